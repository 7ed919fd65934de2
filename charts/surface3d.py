"""The race in 3-D: the landscape as a surface with each path lifted onto it.

Heights are what the 2-D background's colours show: the loss itself, or
log10 of its height above the minimum when the values span many decades
(Rosenbrock), so valleys stay visible. Paths use the same transform, so a
path lies on the surface. Animated by the race player (charts/player.py), which moves each path and head
with Plotly.restyle; ``layout.meta.run_traces`` says which traces those are.
"""
from __future__ import annotations

import numpy as np

from charts.background import grid
from charts.common import bdata, finite_or_none, title_band
from charts.race import MINIMUM_STYLE, RaceRun

TICKS_3D = dict(nticks=5, tickfont=dict(size=11), exponentformat="power")


def height_transform(Z):
    """A function z ↦ displayed height, and whether it is a log scale (see module doc)."""
    finite = Z[np.isfinite(Z)]
    if finite.size == 0:
        return (lambda v: np.asarray(v, dtype=float)), False
    zmin = float(finite.min())
    lo, hi = np.percentile(finite, [5, 95])
    if (hi - zmin) > 100 * max(lo - zmin, 1e-12):
        eps = 1e-3 * max(hi - zmin, 1e-12)

        def f(v):
            with np.errstate(all="ignore"):
                return np.log10(np.maximum(np.asarray(v, dtype=float) - zmin, 0) + eps)
        return f, True
    return (lambda v: np.asarray(v, dtype=float)), False


def surface_figure(land, runs: list[RaceRun], n: int = 80, height: int = 640, title: str | None = None) -> dict:
    """go.Surface of the landscape plus a Scatter3d per run (its whole path, cut at divergence)."""
    xs, ys, Z = grid(land, n)
    f, log = height_transform(Z)
    H = f(Z)
    finite = H[np.isfinite(H)]
    lo, hi = (np.percentile(finite, [0, 99]) if finite.size else (0.0, 1.0))
    if hi <= lo:
        hi = lo + 1.0
    Hc = np.where(np.isfinite(H), np.clip(H, lo, hi), np.nan)  # tame the spikes of steep walls
    lift = 0.03 * (hi - lo)  # draw paths just above the surface so they stay visible
    data = [dict(type="surface", x=bdata(xs, "f8"), y=bdata(ys, "f8"), z=[finite_or_none(row) for row in Hc],
                 colorscale="Viridis", showscale=False, opacity=0.9, name="landscape",
                 contours=dict(z=dict(show=True, usecolormap=True, project=dict(z=True), width=1)),
                 hovertemplate="x %{x:.3g}<br>y %{y:.3g}<extra></extra>")]
    run_traces = []
    for r in runs:
        P = r.params[:r.last_good + 1]
        z = np.clip(f(r.loss[:r.last_good + 1]), lo, hi) + lift
        z = np.where(np.isfinite(z), z, hi)
        data.append(dict(type="scatter3d", mode="lines", name=r.legend, x=bdata(P[:, 0]), y=bdata(P[:, 1]),
                         z=bdata(z), line=dict(color=r.color, width=8), hoverinfo="skip"))
        data.append(dict(type="scatter3d", mode="markers", name=r.label, showlegend=False,
                         x=[float(P[-1, 0])], y=[float(P[-1, 1])], z=[float(z[-1])],
                         marker=dict(color=r.color, size=7 if r.diverged_at is None else 9,
                                     symbol="circle" if r.diverged_at is None else "x",
                                     line=dict(color="black", width=2)), hoverinfo="skip"))
        run_traces.append({"halo": None, "path": len(data) - 2, "head": len(data) - 1, "cross": None})
    minima = np.asarray(getattr(land, "minima", np.empty((0, 2)))).reshape(-1, 2)
    if len(minima):
        zm = np.clip(f(land.value(minima)), lo, hi) + lift
        data.append(dict(type="scatter3d", mode="markers", name="minimum", x=minima[:, 0].tolist(),
                         y=minima[:, 1].tolist(), z=[float(v) if np.isfinite(v) else float(lo) for v in np.atleast_1d(zm)],
                         marker=dict(symbol="diamond", size=6, color=MINIMUM_STYLE["color"],
                                     line=dict(color="black", width=1)), hoverinfo="skip"))
    xlabel, ylabel = getattr(land, "axis_labels", ("x", "y"))
    (x0, x1), (y0, y1) = land.bounds
    title3d, top = title_band((title or getattr(land, "title", "")) + (" — height: log₁₀(loss − min)" if log else ""),
                              17)
    layout = dict(
        title=title3d,
        height=height, margin=dict(l=0, r=0, t=top, b=0),
        # Few ticks per axis (TICKS_3D): where the x and y axes meet at the near corner, Plotly's default
        # 6–8 labels per axis ran into each other.
        scene=dict(xaxis=dict(title=dict(text=xlabel), range=[x0, x1], **TICKS_3D),
                   yaxis=dict(title=dict(text=ylabel), range=[y0, y1], **TICKS_3D),
                   zaxis=dict(title=dict(text="log₁₀ loss" if log else "loss"), **TICKS_3D),
                   camera=dict(eye=dict(x=-0.5, y=-1.6, z=1.7)), aspectmode="manual",
                   aspectratio=dict(x=1, y=1, z=0.5)),
        legend=dict(orientation="h", x=0, y=0, font=dict(size=13), bgcolor="rgba(255,255,255,0.8)"),
        meta=dict(log_height=log, run_traces=run_traces),
    )
    return dict(data=data, layout=layout)
