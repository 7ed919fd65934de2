"""Shared chart helpers: the optimizer palette and compact binary arrays for Plotly."""
from __future__ import annotations

import base64
import math

import numpy as np

# The eight optimizer colours. Chosen by a search over the Okabe–Ito, Paul Tol, ColorBrewer, Tableau and IBM
# colour-blind-safe palettes for the set whose smallest pairwise CIELAB distance is largest under simulated
# protanopia, deuteranopia and tritanopia (Machado et al. 2009, full severity), among colours with at least
# 3:1 contrast on white (WCAG non-text contrast: the loss charts). tests/test_chart_rules.py recomputes both.
# On the map every path also gets a white halo (PATH_HALO), so dark colours stand out on dark regions too.
PALETTE = ["#1A85FF", "#E31A1C", "#000000", "#882255", "#8C564B", "#332288", "#9467BD", "#CC79A7"]
PATH_HALO = "rgba(255,255,255,0.85)"
# Colours of minima and basins (basin maps): light tints, every one lighter (CIELAB L* 74–92) than every
# optimizer colour (L* ≤ 61, which the 3:1 contrast on white forces), so a basin can never be taken for an
# optimizer's line. Chosen by a max–min search over light sRGB colours (L* 72–92, chroma ≤ 55): the ten whose
# smallest CIELAB distance to each other and to the basin map's fixed colours (tan, grey, diverged red) is
# largest under normal vision and simulated protanopia, deuteranopia and tritanopia (Machado et al. 2009), with
# ΔE ≥ 30 (normal) and ≥ 20 (each deficiency) to every optimizer colour; ordered so the first ones (the
# usual 2–4 minima: green, yellow, cyan, lavender) are the most distinct. The maps also label each minimum "M1"…, so colour is not the only
# cue. tests/test_chart_rules.py recomputes every bound.
BASIN_PALETTE = ["#AAEEBB", "#FFDD77", "#99EEFF", "#AABBFF", "#88CCEE", "#DDDD88", "#BBBB77", "#66FFEE", "#AACCAA",
                 "#DDEEAA"]

def color(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def bdata(a, dtype="f4") -> dict:
    """A numpy array as Plotly's typed-array JSON (``{"dtype", "bdata"}``).

    float32 halves the figure size and is plenty for drawing; it also skips
    Plotly's slow per-element validation when used inside dict frames.
    """
    arr = np.ascontiguousarray(np.asarray(a, dtype=np.dtype(dtype).newbyteorder("<")))
    out = {"dtype": dtype, "bdata": base64.b64encode(arr.tobytes()).decode("ascii")}
    if arr.ndim > 1:
        out["shape"] = ",".join(map(str, arr.shape))
    return out


def finite_or_none(a) -> list:
    """A list with NaN/inf replaced by None (Plotly draws gaps there)."""
    a = np.asarray(a, dtype=np.float64)
    return [float(v) if np.isfinite(v) else None for v in a.ravel()]


# --------------------------------------------------------------------------- #
# The loss-axis rule: a diverged run never hides the others                     #
# --------------------------------------------------------------------------- #
def loss_axis(curves, diverged, log: bool, max_decades: float = 12.0, pad: float = 0.08):
    """The y range of a loss (or metric) chart, set by the runs that did **not** diverge.

    ``curves`` are the drawn values of each run (up to its last good point), ``diverged`` a flag per run.
    A diverged run is still drawn, but its values do not set the axis: it leaves the chart through the top
    (or bottom) edge, where :func:`edge_marks` puts its ✖ and “diverged at step k”. With every run diverged
    the axis covers them all. ``log``: the range is in decades (Plotly's convention for log axes), at most
    ``max_decades`` deep so that a run landing on the minimum (1e-30) cannot squash the others.
    Returns ``[lo, hi]`` or None when there is nothing to draw."""
    curves = [np.asarray(c, dtype=np.float64).ravel() for c in curves]
    ref = [c for c, d in zip(curves, diverged) if not d and c.size] or [c for c in curves if c.size]
    vals = np.concatenate(ref) if ref else np.empty(0)
    vals = vals[np.isfinite(vals)]
    if log:
        vals = vals[vals > 0]
    if not vals.size:
        return None
    lo, hi = float(vals.min()), float(vals.max())
    if log:
        lo, hi = math.log10(lo), math.log10(hi)
        lo = max(lo, hi - max_decades)
        span = max(hi - lo, 0.5)
        return [lo - pad * span - 0.1, hi + pad * span + 0.1]
    span = hi - lo if hi > lo else max(abs(hi), 1.0)
    return [lo - pad * span, hi + pad * span]


def edge_marks(x_last, y_last, yrange, log: bool, colors, labels, xref="x", yref="y") -> list[dict]:
    """Annotations “✖ diverged at step k” for diverged runs: at the last good point when it is inside
    ``yrange``, else pinned to the top (or bottom) edge above (below) that step."""
    out = []
    for x, y, colour, label in zip(x_last, y_last, colors, labels):
        v = math.log10(y) if log and y > 0 else (None if log else y)
        if yrange is None or v is None:
            continue
        lo, hi = yrange
        inside = lo <= v <= hi
        pos = v if inside else (hi if v > hi else lo)
        out.append(dict(x=x, y=pos, xref=xref, yref=yref, text=f"✖ {label}", showarrow=False,
                        font=dict(color=colour, size=13), bgcolor="rgba(255,255,255,0.85)",
                        xanchor="right" if inside else "center",
                        yanchor="top" if (not inside and v > hi) else ("bottom" if not inside else "middle")))
    return out

def numbered(labels: list[str]) -> list[str]:
    """Legend labels made distinct: equal ones get their position, ``#2 SGD (μ 0.9)``."""
    return [f"#{i + 1} {lab}" if labels.count(lab) > 1 else lab for i, lab in enumerate(labels)]


# --------------------------------------------------------------------------- #
# The layout rule: nothing under the toolbar, titles never over legends         #
# --------------------------------------------------------------------------- #
# Plotly's toolbar (modebar) appears over the top-right corner of every figure, in a band this tall.
# Titles (the figure's and the subplots') start below it; legends go below the plot or on its right,
# never in the top margin where the titles are. tests/test_chart_rules.py checks every figure builder.
TOOLBAR_PX = 34


def title_band(text: str, size: int = 15, x: float = 0.01) -> tuple[dict, int]:
    """A figure title placed below the toolbar band, left-aligned, and the top margin it needs (px)."""
    lines = text.count("<br>") + 1
    title = dict(text=text, x=x, xanchor="left", xref="container", yref="container", y=1, yanchor="top",
                 pad=dict(t=TOOLBAR_PX), font=dict(size=size))
    return title, int(TOOLBAR_PX + lines * size * 1.35 + 12)


def subplot_title_margin(size: int = 16) -> int:
    """The top margin that keeps subplot titles (annotations just above the plot area) below the toolbar."""
    return int(TOOLBAR_PX + size * 1.35 + 8)
