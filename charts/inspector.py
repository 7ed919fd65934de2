"""The step inspector: one update of one run, taken apart (pure functions, no Streamlit).

Everything here is drawn from an ``optimizers.StepExplanation`` (the engine's
own update replayed from the recorded state) and the run's arrays, so the
pictures cannot disagree with the race chart.

- :func:`step_arrows`: which arrows explain a step of this optimizer (the
  downhill gradient, its momentum or velocity, the actual step Δw);
- :func:`step_window`: a square view around the step, never smaller than a
  sensible fraction of the landscape;
- :func:`step_figure`: the zoomed landscape (layout image), the path so far
  and the arrows at ``w`` (a line trace per arrow for the legend, plus a
  layout annotation for its arrowhead);
- :func:`effective_step_sizes` / :func:`effective_step_figure`: Δw / (−g) per
  axis over the whole run, on a log axis;
- :func:`step_rows`: the numbers of one step as table rows (x, y columns).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from charts.common import TOOLBAR_PX, edge_marks, loss_axis, title_band

STEP_COLOR = "#FF3B3B"      # the actual step Δw (exact)
GRAD_COLOR = "#FFFFFF"      # −∇f (direction, scaled)
MOMENTUM_COLOR = "#3FD0FF"  # momentum / velocity
PATH_COLOR = "#FFB000"
# Further sequences of points an optimizer keeps (Schedule-Free's x and z): colour, dash, marker.
SEQUENCE_STYLES = (("#00E08A", "solid", "diamond"), ("#FF5CD6", "dot", "square"), ("#B0B0FF", "dash", "cross"))
AXIS_COLORS = ("#D55E00", "#0072B2")  # x and y in the effective-step chart
LR_COLOR = "#555555"
MIN_FRAC = 0.05  # the zoomed view is at least this fraction of the landscape's larger side
MAX_FRAC = 10.0  # ... and at most this many times it (a diverging step is cut off at the edge)
PRESENT_HEIGHT = 860  # px: the step map in presentation mode (a map of about 575 px square above its legend)

# --------------------------------------------------------------------------- #
# Arrows                                                                        #
# --------------------------------------------------------------------------- #
@dataclass(frozen=True)
class Arrow:
    """One arrow drawn at ``w``. ``vector`` is the true vector; ``exact`` arrows are drawn
    at their true length (in x, y units), the others only show a direction and are
    drawn at a common display length (the legend says by how much they were scaled)."""

    key: str         # "grad", "momentum", "step"
    name: str        # legend text before the scale note
    vector: np.ndarray
    color: str
    exact: bool
    dash: str = "solid"
    width: float = 3.0


def step_arrows(optimizer: str, flavor: str, ex, hp: dict | None = None) -> list[Arrow]:
    """The arrows that explain step ``ex``, in drawing order: the momentum (if the optimizer
    keeps one), −∇f, and the actual step Δw last, on top.

    Which vector is "the momentum" is the optimizer's own knowledge: the engine puts it on the
    explanation (``ex.momentum_arrow``: label, vector, drawn exactly or as a direction).
    ``optimizer``, ``flavor`` and ``hp`` are accepted for the callers' convenience only."""
    g = np.asarray(ex.g, dtype=np.float64)
    grad = Arrow("grad", "−∇f: downhill", -g, GRAD_COLOR, exact=False, dash="dot", width=2.5)
    out = []
    mom = getattr(ex, "momentum_arrow", None)
    if mom is not None:
        out.append(Arrow("momentum", mom[0], np.asarray(mom[1], dtype=np.float64).reshape(2), MOMENTUM_COLOR,
                         exact=mom[2], dash="dash", width=6.0))
    out.append(grad)  # over the (wider) momentum arrow: at t = 1 Adam's m points along g
    out.append(Arrow("step", "Δw: the actual step", np.asarray(ex.step, dtype=np.float64), STEP_COLOR,
                     exact=True, width=3.5))
    return out


def _norm(v) -> float:
    v = np.asarray(v, dtype=np.float64)
    return float(np.hypot(v[0], v[1])) if np.all(np.isfinite(v)) else float("nan")


def display_length(step_length: float, bounds) -> float:
    """How long direction-only arrows are drawn: as long as the step, or 30 % of the smallest view."""
    span = _span(bounds)
    floor = 0.3 * MIN_FRAC * span
    return max(step_length, floor) if np.isfinite(step_length) else floor


def _span(bounds) -> float:
    (x0, x1), (y0, y1) = bounds
    return max(float(x1 - x0), float(y1 - y0), 1e-12)


def drawn_vectors(arrows: list[Arrow], bounds) -> list[tuple[np.ndarray, float | None]]:
    """(vector as drawn, scale factor or None for exact arrows) for each arrow."""
    step = next((a for a in arrows if a.key == "step"), None)
    length = display_length(_norm(step.vector) if step is not None else float("nan"), bounds)
    out = []
    for a in arrows:
        n = _norm(a.vector)
        if a.exact or not np.isfinite(n) or n == 0:
            out.append((a.vector, None))
        else:
            s = length / n
            out.append((a.vector * s, s))
    return out


def step_window(bounds, points, min_frac: float = MIN_FRAC, max_frac: float = MAX_FRAC, pad: float = 0.18):
    """A square ((x0, x1), (y0, y1)) that holds ``points`` (w, w_new, arrow tips) with a margin,
    at least ``min_frac`` of the landscape's larger side wide and at most ``max_frac`` times it.
    Non-finite points are ignored."""
    span = _span(bounds)
    P = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    P = P[np.all(np.isfinite(P), axis=1)]
    if not len(P):
        (x0, x1), (y0, y1) = bounds
        P = np.array([[(x0 + x1) / 2, (y0 + y1) / 2]])
    lo, hi = P.min(axis=0), P.max(axis=0)
    centre = (lo + hi) / 2
    half = max(float((hi - lo).max()) / 2 * (1 + 2 * pad), min_frac * span / 2)
    half = min(half, max_frac * span / 2)
    if not np.all(np.isfinite(P[0])) or np.any(np.abs(P[0] - centre) > half):
        centre = P[0]  # the view is capped: keep w in the middle
    return ((float(centre[0] - half), float(centre[0] + half)), (float(centre[1] - half), float(centre[1] + half)))


def _fmt(v: float) -> str:
    if not np.isfinite(v):
        return str(v)
    if v == 0:
        return "0"
    return f"{v:.3g}" if 1e-3 <= abs(v) < 1e4 else f"{v:.2e}"


def _finite_list(a) -> list:
    return [float(v) if np.isfinite(v) else None for v in np.asarray(a, dtype=np.float64)]


def sequence_points(sequences) -> list:
    """Every finite point of the ``sequences`` of :func:`step_figure` (for :func:`step_window`)."""
    pts = [np.asarray(p, dtype=np.float64).reshape(-1, 2) for _, _, p in sequences]
    return [q for p in pts for q in p[-2:] if np.all(np.isfinite(q))]


def step_figure(background: dict | None, path, w, w_new, arrows: list[Arrow], window, bounds, *,
                minima=(), axis_labels=("x", "y"), k: int = 0, height: int = 560, title: str = "",
                sequences=(), path_name: str = "") -> dict:
    """The zoomed view of one step as a Plotly figure dict.

    ``background`` is a ``layout.images`` entry rendered for ``window``;
    ``path`` the points w₀ … w_k; ``arrows`` from :func:`step_arrows`;
    ``bounds`` the landscape's bounds (sets the display length of scaled arrows).
    Each arrow is a line trace from ``w`` to its tip (legend, hover) plus an
    annotation with an arrowhead at the tip.

    ``sequences``: further points the optimizer keeps in the same plane, as ``(key, legend text, points)``
    with points 0 … k+1 (Schedule-Free's average x and base sequence z, from the recorded state): each is
    drawn as its own path, with a large marker at k+1 (after this step);
    ``path_name`` then names the parameters' own sequence (Schedule-Free's y).
    """
    (x0, x1), (y0, y1) = window
    xl, yl = axis_labels
    w = np.asarray(w, dtype=np.float64)
    w_new = np.asarray(w_new, dtype=np.float64)
    path = np.asarray(path, dtype=np.float64).reshape(-1, 2)
    head = f"{path_name}: " if path_name else ""
    data = [dict(type="scatter", mode="lines+markers", name=f"{head}path so far (w₀ … w_{k})",
                 x=path[:, 0].tolist(), y=path[:, 1].tolist(),
                 line=dict(color=PATH_COLOR, width=2), marker=dict(size=5, color=PATH_COLOR),
                 hovertemplate=f"{xl} = %{{x:.5g}}<br>{yl} = %{{y:.5g}}<extra>path</extra>")]
    minima = np.asarray(minima, dtype=np.float64).reshape(-1, 2)
    inside = minima[(minima[:, 0] >= x0) & (minima[:, 0] <= x1) & (minima[:, 1] >= y0) & (minima[:, 1] <= y1)]
    if len(inside):
        data.append(dict(type="scatter", mode="markers", name="minimum", x=inside[:, 0].tolist(),
                         y=inside[:, 1].tolist(), hoverinfo="skip",
                         marker=dict(symbol="star", size=17, color="#FFD700", line=dict(color="black", width=1.5))))
    data.append(dict(type="scatter", mode="markers", name=f"w_{k}: before this step", x=[float(w[0])],
                     y=[float(w[1])], marker=dict(size=14, color="white", line=dict(color="black", width=2)),
                     hovertemplate=f"w_{k}<br>{xl} = %{{x:.6g}}<br>{yl} = %{{y:.6g}}<extra></extra>"))
    if np.all(np.isfinite(w_new)):
        data.append(dict(type="scatter", mode="markers", name=f"w_{k + 1}: after it", x=[float(w_new[0])],
                         y=[float(w_new[1])],
                         marker=dict(size=14, color=STEP_COLOR, symbol="circle-open", line=dict(width=3)),
                         hovertemplate=f"w_{k + 1}<br>{xl} = %{{x:.6g}}<br>{yl} = %{{y:.6g}}<extra></extra>"))
    for (key, name, pts), (colour, dash, symbol) in zip(sequences, SEQUENCE_STYLES):
        pts = np.asarray(pts, dtype=np.float64).reshape(-1, 2)[:k + 2]
        sym = name.split(":")[0].strip() or key
        before, after = pts[:k + 1], pts[k + 1:]
        data.append(dict(type="scatter", mode="lines+markers", name=f"{name} ({sym}₀ … {sym}_{k + 1})",
                         x=_finite_list(pts[:, 0]), y=_finite_list(pts[:, 1]),
                         line=dict(color=colour, width=2, dash=dash),
                         marker=dict(size=[5] * len(before) + [13] * len(after), color=colour, symbol=symbol,
                                     line=dict(color="black", width=1)),
                         meta=dict(sequence=key),
                         hovertemplate=(f"{sym}<br>{xl} = %{{x:.6g}}<br>{yl} = %{{y:.6g}}<extra></extra>")))
    annotations = []
    for a, (vec, scale) in zip(arrows, drawn_vectors(arrows, bounds)):
        vec = np.asarray(vec, dtype=np.float64)
        if not np.all(np.isfinite(vec)) or _norm(vec) == 0:
            continue
        tip = w + vec
        inside = x0 <= tip[0] <= x1 and y0 <= tip[1] <= y1
        if scale is None:
            note = f"exact, length {_fmt(_norm(vec))}" + ("" if inside else ", runs off the view")
        else:
            note = f"direction only, drawn ×{_fmt(scale)}"
        data.append(dict(type="scatter", mode="lines", name=f"{a.name} ({note})",
                         x=[float(w[0]), float(tip[0])], y=[float(w[1]), float(tip[1])],
                         line=dict(color=a.color, width=a.width, dash=a.dash),
                         meta=dict(arrow=a.key, scale=scale),
                         hovertemplate=(f"{a.name}<br>true vector ({_fmt(a.vector[0])}, {_fmt(a.vector[1])})"
                                        "<extra></extra>")))
        if not inside:  # Plotly draws annotations over the margins: only arrowheads inside the view
            continue
        annotations.append(dict(x=float(tip[0]), y=float(tip[1]), ax=float(w[0]), ay=float(w[1]),
                                xref="x", yref="y", axref="x", ayref="y", text="", showarrow=True,
                                arrowhead=2, arrowsize=1.1, arrowwidth=a.width, arrowcolor=a.color,
                                standoff=0, startstandoff=0, name=a.key))
    # An invisible trace keeps the axes alive if everything else is empty.
    data.append(dict(type="scatter", mode="markers", x=[x0, x1], y=[y0, y1], marker=dict(opacity=0),
                     showlegend=False, hoverinfo="skip"))
    title_dict, top = title_band(title, 16) if title else (None, TOOLBAR_PX)
    layout = dict(
        title=title_dict,
        height=height, margin=dict(l=60, r=15, t=top, b=30),
        xaxis=dict(range=[x0, x1], title=dict(text=xl), showgrid=False, zeroline=False, constrain="domain",
                   exponentformat="power"),
        yaxis=dict(range=[y0, y1], title=dict(text=yl), showgrid=False, zeroline=False, scaleanchor="x",
                   scaleratio=1, constrain="domain", exponentformat="power"),
        images=[background] if background else [], annotations=annotations,
        plot_bgcolor="#f0f0f0", hovermode="closest", dragmode="pan",
        # A dark legend: the white (−∇f) and pale arrow colours must show in it too.
        legend=dict(orientation="v", x=0.0, y=-0.2, xanchor="left", yanchor="top", font=dict(size=13, color="white"),
                    bgcolor="#2f2f3a", bordercolor="#2f2f3a", borderwidth=6),
        meta=dict(window=[[x0, x1], [y0, y1]]),
    )
    if not title:
        layout.pop("title")
    return dict(data=data, layout=layout)


# --------------------------------------------------------------------------- #
# Effective step size over the run                                              #
# --------------------------------------------------------------------------- #
def effective_step_sizes(params, grads, n: int | None = None) -> np.ndarray:
    """Δw / (−g) per axis for updates 0 … n−1: ``(n, 2)``; NaN where g = 0.

    Row k equals ``explain_step(traj, k).effective_step_size``."""
    params = np.asarray(params, dtype=np.float64)
    grads = np.asarray(grads, dtype=np.float64)
    n = len(params) - 1 if n is None else int(n)
    step = params[1:n + 1] - params[:n]
    g = grads[:n]
    with np.errstate(all="ignore"):
        return np.where(g != 0, -step / g, np.nan)


def _positive_or_none(a) -> list:
    a = np.abs(np.asarray(a, dtype=np.float64))
    return [float(v) if np.isfinite(v) and v > 0 else None for v in a]


def effective_step_figure(eff, learning_rates, k: int, *, axis_labels=("x", "y"), height: int = 370,
                          diverged_at: int | None = None) -> dict:
    """|Δw / (−g)| per axis against the step, log y, with η (what plain gradient descent
    would use) dashed — unless ``learning_rates`` is None (a rule without η) — and the inspected
    step ``k`` marked. Hover shows the signed value.

    ``diverged_at``: the run blew up at its last update; that update does not set the axis
    (charts.common.loss_axis) and leaves through the edge with "✖ diverged at step k"."""
    eff = np.asarray(eff, dtype=np.float64).reshape(-1, 2)
    n = len(eff)
    steps = list(range(n))
    data, notes = [], []
    for i, (lab, col) in enumerate(zip(axis_labels, AXIS_COLORS)):
        data.append(dict(type="scatter", mode="lines", name=f"{lab}-axis: |Δ{lab} / (−∂f/∂{lab})|", x=steps,
                         y=_positive_or_none(eff[:, i]), customdata=[None if not np.isfinite(v) else float(v)
                                                                      for v in eff[:, i]],
                         line=dict(color=col, width=2), connectgaps=False,
                         hovertemplate=f"step %{{x}}<br>{lab}: Δ{lab}/(−g) = %{{customdata:.4g}}<extra></extra>"))
    if learning_rates is not None:
        lrs = np.asarray(learning_rates, dtype=np.float64).reshape(-1)[:n]
        data.append(dict(type="scatter", mode="lines", name="η (plain gradient descent: both axes)", x=steps,
                         y=_positive_or_none(lrs), line=dict(color=LR_COLOR, width=1.5, dash="dash"),
                         hovertemplate="step %{x}<br>η = %{y:.4g}<extra></extra>"))
        if n and np.isfinite(lrs[-1]) and lrs[-1] > 0:
            notes.append(dict(x=n - 1, y=float(np.log10(lrs[-1])), xref="x", yref="y", text=f"η = {_fmt(lrs[-1])}",
                              showarrow=False, xanchor="right", yanchor="bottom", font=dict(color=LR_COLOR, size=12)))
    if 0 <= k < n:
        ys = _positive_or_none(eff[k])
        data.append(dict(type="scatter", mode="markers", name=f"step {k}", x=[k, k], y=ys,
                         marker=dict(size=11, color=list(AXIS_COLORS), line=dict(color="black", width=1.5)),
                         hoverinfo="skip", showlegend=False))
    # The axis rule (charts.common): the updates before a blow-up set the range; the blow-up leaves the chart.
    bad = diverged_at is not None and n > 0
    curves = [np.abs(eff[: n - 1 if bad else n, i]) for i in range(2)]
    flags = [False, False]
    if learning_rates is not None:
        curves.append(np.asarray(learning_rates, dtype=np.float64).reshape(-1)[:n])
        flags.append(False)
    if bad:
        curves.append(np.abs(eff[n - 1]))
        flags.append(True)
    yrange = loss_axis(curves, flags, log=True)
    if bad:
        last = np.abs(eff[n - 1])
        last = last[np.isfinite(last) & (last > 0)]
        if last.size:
            notes += edge_marks([n - 1], [float(last.max())], yrange, True, [STEP_COLOR],
                                [f"diverged at step {diverged_at}"])
    layout = dict(height=height, margin=dict(l=60, r=10, t=TOOLBAR_PX, b=90),
                  xaxis=dict(title=dict(text="step k"), range=[-0.5, max(n - 0.5, 0.5)]),
                  yaxis=dict(title=dict(text="effective step size (log)"), type="log", exponentformat="power",
                             dtick=1, **({"range": yrange} if yrange else {})),  # one label per decade
                  shapes=[dict(type="line", yref="paper", y0=0, y1=1, x0=k, x1=k,
                               line=dict(color="black", dash="dot", width=1))],
                  # the legend below the plot: the top band is the toolbar's
                  legend=dict(orientation="h", x=0, y=-0.22, xanchor="left", yanchor="top", font=dict(size=12)),
                  annotations=notes, hovermode="closest")
    return dict(data=data, layout=layout)


# --------------------------------------------------------------------------- #
# Numbers                                                                       #
# --------------------------------------------------------------------------- #
def _xy(v):
    a = np.asarray(v, dtype=np.float64).reshape(-1)
    return (float(a[0]), float(a[1])) if a.size == 2 else None


def step_rows(optimizer: str, flavor: str, ex, axis_labels=("x", "y")) -> list[dict]:
    """The vectors of one step as rows ``{"quantity", "x", "y"}`` (column names are the axis labels).

    State slots are labelled ``"<slot name> <symbol> before"`` / ``"… after"`` with the labels the
    optimizer itself gives them (``ex.slot_labels``, from its teaching record).

    Order: w_k, g, each state slot before → after, the optimizer's vector
    quantities (denominators, …), Δw, Δw/(−g), w_{k+1}. Scalars are left to
    :func:`step_scalars`."""
    xl, yl = axis_labels
    k = ex.k
    rows = [("position w_" + str(k), ex.w), ("gradient g = ∇f(w_" + str(k) + ")", ex.g)]
    for slot in ex.slots_after:
        b, a = _xy(ex.slots_before.get(slot, np.nan * np.ones(2))), _xy(ex.slots_after[slot])
        if a is None:
            continue
        lab = ex.slot_labels.get(slot, slot)
        rows += [(f"{lab} before", b), (f"{lab} after", a)]
    for label, _sym, value in ex.quantities:
        if _xy(value) is not None and not label.endswith("before"):
            rows.append((label, value))
    rows += [("step Δw = w_" + str(k + 1) + " − w_" + str(k), ex.step),
             ("effective step size Δw / (−g)", ex.effective_step_size),
             ("new position w_" + str(k + 1), ex.w_new)]
    out = []
    for label, v in rows:
        x, y = _xy(v)
        out.append({"quantity": label, xl: x, yl: y})
    return out


def step_scalars(optimizer: str, flavor: str, ex, has_learning_rate: bool = True) -> list[tuple[str, float]]:
    """Scalar numbers of one step (η, bias corrections, Nadam's μ's, scalar slots).

    Rules without a learning rate (the paper's Adadelta) show no η."""
    out = [("η (this step)", float(ex.learning_rate))] if has_learning_rate else []
    for label, _sym, value in ex.quantities:
        a = np.asarray(value, dtype=np.float64)
        if a.size == 1:
            out.append((label, float(a.reshape(-1)[0])))
    return out


def compare_rows(tables: dict, axis_labels=("x", "y")) -> list[dict]:
    """Several flavours' :func:`step_rows` merged into one table, side by side.

    ``tables`` maps a column title (``"Keras 3"``) to that flavour's rows. Rows
    are matched by their label; a quantity one flavour does not have (PyTorch's
    gradient buffer b instead of Keras's velocity v) is None there."""
    xl, yl = axis_labels
    order, values = [], {}
    for title, rows in tables.items():
        labels = [r["quantity"] for r in rows]
        for i, q in enumerate(labels):
            if q not in values:
                # Right before this table's next row that is already placed (or at the end).
                nxt = next((order.index(n) for n in labels[i + 1:] if n in values), len(order))
                order.insert(nxt, q)
                values[q] = {}
        for r in rows:
            q = r["quantity"]
            values[q][title] = (r[xl], r[yl])
    out = []
    for q in order:
        row = {"quantity": q}
        for title in tables:
            x, y = values[q].get(title, (None, None))
            row[f"{title} · {xl}"], row[f"{title} · {yl}"] = x, y
        out.append(row)
    return out


def compare_scalars(scalars: dict) -> list[dict]:
    """Several flavours' :func:`step_scalars` as rows ``{"quantity", <title>: value, …}``."""
    order, values = [], {}
    for title, items in scalars.items():
        for label, v in items:
            if label not in values:
                order.append(label)
                values[label] = {}
            values[label][title] = v
    return [{"quantity": q, **{t: values[q].get(t) for t in scalars}} for q in order]
