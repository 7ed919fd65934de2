"""Page blocks that several pages draw the same way."""
from __future__ import annotations

import streamlit as st

from ui.text import literal


def plot_config(filename: str, **extra) -> dict:
    """Plotly toolbar settings: PNG export at 2× under ``filename``, no Plotly logo or cloud link."""
    return {"displaylogo": False, "showSendToCloud": False, "showEditInChartStudio": False,
            "toImageButtonOptions": {"format": "png", "filename": filename, "scale": 2}, **extra}


def start_problem(land, start) -> str | None:
    """Why no optimizer can move from ``start``: f overflows, f is undefined, or its gradient is not finite.
    Overflow and undefined are different things with different advice. None when the start is usable."""
    import numpy as np

    import numfmt
    p = np.asarray(start, dtype=np.float64)
    where = f"({numfmt.exact(p[0])}, {numfmt.exact(p[1])})"
    with np.errstate(all="ignore"):
        v = float(np.asarray(land.value(p)))
        g = np.asarray(land.grad(p), dtype=np.float64)
    if np.isinf(v):
        return (f"f overflows at the start {where}: its value is beyond the largest float64 (about 1.8e308), "
                "so no optimizer can move. Start where f is smaller, or rescale the formula.")
    if np.isnan(v):
        return (f"f is undefined at the start {where} (for example the log or square root of a negative number), "
                "so no optimizer can move. Type another start or click the map.")
    if not np.all(np.isfinite(g)):
        return (f"The gradient of f overflows or is undefined at the start {where}, so no optimizer can move. "
                "Start elsewhere.")
    return None


def diverged_warning(runs, advice: str = "Try a smaller learning rate or clipping.", unit: str = "step",
                     stop: str = "Their paths stop at the last good point (✖).") -> None:
    """One warning naming every run that diverged, and the ``unit`` (step, epoch) at which it did.

    A run stopped at step 0 did not diverge: its start is unusable, no learning rate would help, and
    :func:`start_problem` says why."""
    diverged = [r for r in runs if r.diverged_at is not None and (unit != "step" or r.diverged_at > 0)]
    if diverged:
        st.warning("**Diverged:** " + "; ".join(f"{literal(r.label, None)} diverged at {unit} {r.diverged_at}"
                                                for r in diverged)
                   + f". {stop} {advice}", icon=":material/warning:")


def column_grid(n: int, per_row: int) -> list:
    """``n`` Streamlit columns, ``per_row`` a row (the last row keeps the others' widths): figures side by side on a
    wide screen, one under another on a phone (columns stack below ~640 px; one figure's subplot grid cannot)."""
    return [c for start in range(0, n, per_row) for c in st.columns(per_row)][:n]


def maths_links(names, per_row: int | None = None) -> None:
    """“∑ The maths of X” links to the maths page, one per optimizer class, in a row (or rows of ``per_row``)."""
    names = list(dict.fromkeys(names))
    per_row = per_row or min(max(len(names), 1), 4)  # four to a row: a label is never cut to "The maths of Ada…"
    cols = [c for row in range(0, max(len(names), 1), per_row) for c in st.columns(per_row)]
    for col, name in zip(cols, names):
        with col:
            st.page_link("app_pages/maths.py", label=f"The maths of {name}", query_params={"opt": name},
                         icon=":material/functions:", help=f"{name}'s update rule, defaults and notes")


def progress_loop(items, text: str):
    """Yield ``items`` with a progress bar across them (``text`` may use {i} and {n}); removed when done."""
    items = list(items)
    bar = st.progress(0.0, text=text.format(i=1, n=len(items)))
    for i, item in enumerate(items):
        bar.progress(i / max(len(items), 1), text=text.format(i=i + 1, n=len(items)))
        yield item
    bar.empty()


def stalled_warning(runs) -> None:
    """Networks that stopped learning (flat loss, chance accuracy) are flagged like a divergence:
    a dead network sitting at loss 8.06 and accuracy 0.5 is not "trained"."""
    import numfmt
    from optimizers import stalled_since

    dead = []
    for r in runs:
        if r.diverged_at is not None:
            continue
        k = stalled_since(r.history.get("loss", []), r.history.get("accuracy"))
        if k is not None:
            dead.append(f"{literal(r.label, None)} stopped learning: loss flat at "
                        f"{numfmt.readable(r.history['loss'][-1])}, accuracy "
                        f"{numfmt.readable(r.history['accuracy'][-1], digits=2)} since epoch {k + 1}")
    if dead:
        st.warning("**Stopped learning:** " + "; ".join(dead) + ". The network is dead (its ReLUs no longer "
                   "pass a gradient, or the step is too large to make progress): try a smaller learning rate.",
                   icon=":material/heart_broken:")

