"""Fair comparisons: learning-rate sensitivity, basin maps and the fair-mode race.

Pure functions from engine results (``optimizers.lr_sweep`` / ``basin_map`` /
``run``) to Plotly figure dicts, plus the tables and CSV exports:

- :func:`sweep_figure`: final loss (or steps to a tolerance) against the
  learning rate on log-log axes, each optimizer's best rate starred and
  annotated, and a lane per optimizer shading the rates where it diverges;
- :func:`basin_figure`: which minimum each start of an n×n grid reaches
  (known minima, plus local minima found among the end points by
  ``optimizers.endpoint_groups``), or its final loss, one heatmap per
  optimizer side by side;
- :func:`provenance_lines`, :func:`fair_map_figure` + :func:`fair_loss_figure`
  (two figures, so that a phone stacks them) and :func:`fair_html`: the
  fair-mode race; each figure's title carries the shared settings, its legend
  each optimizer's, and the page and the HTML export print every setting.

Charts only draw: every number comes from the engine's results (nothing here
runs or evaluates the engine). Heatmaps are static (no animation), so ``Heatmap`` is safe here; their ``z``
is sent as uint8 / float32 binary arrays to keep the figure small.
"""
from __future__ import annotations

import io
import math
import dataclasses
from dataclasses import dataclass

import numpy as np

import numfmt
from charts.common import (BASIN_PALETTE, bdata, edge_marks, figures_html, finite_or_none, loss_axis, title_band,
                           wrap_stamp)
from charts.race import MINIMUM_STYLE, RaceRun

LOSS_FLOOR = 1e-16          # log axes: a loss gap of exactly 0 is drawn here
DIVERGED_COLOR = "#D7191C"  # red: "blew up", the same in every chart of this page
ELSEWHERE_COLOR = "#D0D0D0"  # light grey: ended away from every known or found minimum
OTHER_MIN_COLOR = "#C9B18A"  # tan: one of many further local minima (Rastrigin)
# Colours of the minima on basin maps: charts.common.BASIN_PALETTE, light tints that cannot be confused with
# the optimizers' colours (charts.common.PALETTE; the old list shared #8C564B, #9467BD and #CC79A7 with it),
# and no red (reserved for "diverged") or grey ("elsewhere").
GROUP_COLORS = list(BASIN_PALETTE)
AXIS_TITLE_STANDOFF = 14  # px between a basin map's y tick labels and its axis title
MAX_GROUPS = len(GROUP_COLORS)  # groups a basin map can colour individually (optimizers.endpoint_groups)
NO_CLIPPING = "no clipping, no added weight decay, constant learning rate"


def _g(v, digits: int = 4) -> str:
    """Compact number: 4 significant digits, a real minus sign."""
    v = float(v)
    if v == 0:
        return "0"
    s = f"{v:.{digits}g}"
    return s.replace("-", "−")


def _plain(v) -> str:
    """A number exactly as the engine used it: Python's shortest round-trip form (ASCII)."""
    if isinstance(v, bool):
        return str(v)
    v = float(v)
    return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)


# --------------------------------------------------------------------------- #
# 1. Learning-rate sensitivity                                                  #
# --------------------------------------------------------------------------- #
@dataclass(frozen=True)
class SweepSeries:
    """One optimizer's sweep, as the chart needs it (arrays from ``optimizers.SweepResult``)."""

    label: str
    color: str
    learning_rates: np.ndarray
    final_loss: np.ndarray
    diverged_at: np.ndarray
    steps_to_tol: np.ndarray
    best_index: int   # the engine's: lowest mean loss over the last 10% of steps, among runs that did not diverge
    name: str = ""

    @classmethod
    def of(cls, label: str, color: str, result, name: str = "") -> "SweepSeries":
        """From an ``optimizers.SweepResult`` (or anything with its arrays)."""
        return cls(label, color, result.learning_rates, result.final_loss, result.diverged_at, result.steps_to_tol,
                   result.best_index, name)


def best_index(s: SweepSeries, metric: str = "final") -> int:
    """The learning rate the chart stars: the engine's best (lowest tail-mean loss) for
    ``metric="final"``; the fewest steps to the tolerance (smallest rate on ties) for ``"steps"``."""
    if metric == "final":
        return int(s.best_index)
    ok = (s.diverged_at < 0) & (s.steps_to_tol >= 0)
    if not ok.any():
        return -1
    return int(np.argmin(np.where(ok, s.steps_to_tol, np.iinfo(np.int64).max)))


def sweep_values(s: SweepSeries, metric: str, f_star: float | None) -> np.ndarray:
    """What the curve shows (NaN where nothing is drawn: diverged, or tolerance never reached).

    ``final``: final loss − f* (clipped at :data:`LOSS_FLOOR` for log axes) if f* is known,
    else the final loss. ``steps``: steps to the tolerance."""
    bad = s.diverged_at >= 0
    if metric == "steps":
        v = s.steps_to_tol.astype(np.float64)
        return np.where(bad | (s.steps_to_tol < 0), np.nan, v)
    v = np.asarray(s.final_loss, dtype=np.float64)
    if f_star is not None:
        v = np.maximum(v - f_star, LOSS_FLOOR)
    return np.where(bad | ~np.isfinite(v), np.nan, v)


def diverging_segments(s: SweepSeries) -> list[tuple[float, float]]:
    """Runs of consecutive diverging learning rates: [(first lr, last lr), …] of the grid."""
    d = np.asarray(s.diverged_at) >= 0
    segs, i, n = [], 0, len(d)
    while i < n:
        if d[i]:
            j = i
            while j + 1 < n and d[j + 1]:
                j += 1
            segs.append((float(s.learning_rates[i]), float(s.learning_rates[j])))
            i = j + 1
        else:
            i += 1
    return segs


def _half_cell(lrs: np.ndarray) -> float:
    """Half a grid cell in log space (as a factor), so shading covers the cells, not just their centres."""
    if len(lrs) < 2:
        return 1.0
    return float(np.sqrt(np.exp(np.median(np.diff(np.log(lrs))))))


def sweep_figure(series: list[SweepSeries], metric: str = "final", f_star: float | None = None,
                 title: str = "", subtitle: str = "", tol: float | None = None, height: int | None = None) -> dict:
    """Final loss (or steps to ``tol``) against the learning rate, log-log.

    Traces: per optimizer its curve (NaN gaps where it diverged / never reached the
    tolerance), then its best-rate star. Shapes: in the lane axis above the plot, one
    rectangle per run of diverging rates, in the optimizer's colour. Annotations name the
    best rates and label the lanes. ``layout.meta`` records the starred points and shaded
    ranges (used by the tests and the page's table)."""
    n = max(len(series), 1)
    lane_h = min(0.045 * n + 0.03, 0.32)
    main_top = 1 - lane_h - 0.06
    vals = [sweep_values(s, metric, f_star) for s in series]
    drawn = np.concatenate([v[np.isfinite(v)] for v in vals]) if vals else np.empty(0)
    log_y = bool(drawn.size) and bool(np.all(drawn > 0))
    data, shapes, annotations, meta_best, meta_div, placed = [], [], [], [], [], []
    for i, (s, v) in enumerate(zip(series, vals)):
        b = best_index(s, metric)
        has_best = b >= 0 and np.isfinite(v[b])
        if metric == "steps":
            hover = f"{s.label}<br>learning rate %{{x:.3g}}<br>%{{y:.0f}} steps to tol<extra></extra>"
        else:
            what = "final loss − f*" if f_star is not None else "final loss"
            hover = f"{s.label}<br>learning rate %{{x:.3g}}<br>{what} %{{y:.3g}}<extra></extra>"
        name = s.label + (f" · ★ best lr {_g(s.learning_rates[b], 3)}" if has_best else " · no rate converged")
        data.append(dict(type="scatter", mode="lines", name=name, legendgroup=f"o{i}",
                         # gaps (diverged / never reached) as JSON nulls: no NaN is sent to the browser
                         x=bdata(s.learning_rates, "f8"), y=finite_or_none(v), connectgaps=False,
                         line=dict(color=s.color, width=3), hovertemplate=hover))
        if has_best:
            lr, y = float(s.learning_rates[b]), float(v[b])
            data.append(dict(type="scatter", mode="markers", name=f"best lr of {s.label}", legendgroup=f"o{i}",
                             showlegend=False, x=[lr], y=[y],
                             marker=dict(symbol="star", size=20, color=s.color, line=dict(color="black", width=1.5)),
                             hovertemplate=f"<b>best for {s.label}</b><br>learning rate {_g(lr)}<extra></extra>"))
            level = sum(1 for prev in placed if abs(prev - math.log10(lr)) < 0.45)
            placed.append(math.log10(lr))
            annotations.append(dict(x=math.log10(lr), y=math.log10(y) if log_y else y, xref="x", yref="y",
                                    text=f"<b>{s.name or s.label}</b> {_g(lr, 3)}", showarrow=True, arrowhead=0,
                                    arrowwidth=1.5, arrowcolor=s.color, ax=0, ay=-30 - 24 * level,
                                    font=dict(size=12, color="#111"), bgcolor="rgba(255,255,255,0.9)",
                                    bordercolor=s.color, borderwidth=2, borderpad=2, name="best"))
            meta_best.append(dict(label=s.label, index=b, learning_rate=lr, value=y))
        else:
            meta_best.append(dict(label=s.label, index=-1, learning_rate=None, value=None))
        # Divergence lane i (top to bottom in the order of the optimizers).
        half = _half_cell(s.learning_rates)
        segs = diverging_segments(s)
        meta_div.append(dict(label=s.label, segments=segs))
        for lo, hi in segs:
            shapes.append(dict(type="rect", xref="x", yref="y2", x0=lo / half, x1=hi * half, y0=i - 0.42,
                               y1=i + 0.42, fillcolor=s.color, opacity=0.55, line=dict(width=0), layer="below",
                               name=f"diverges: {s.label}"))
            if math.log10(hi * half) - math.log10(lo / half) > 0.5:
                annotations.append(dict(x=0.5 * (math.log10(lo) + math.log10(hi)), y=i, xref="x", yref="y2",
                                        text="diverges", showarrow=False, font=dict(size=11, color="#111")))
        if not segs:
            annotations.append(dict(x=1, y=i, xref="paper", yref="y2", xanchor="right", showarrow=False,
                                    text="never diverges on this grid", font=dict(size=11, color="#555")))
        # faint shading of the same ranges in the main plot, under the curves
        for lo, hi in segs:
            shapes.append(dict(type="rect", xref="x", yref="y domain", x0=lo / half, x1=hi * half, y0=0, y1=1,
                               fillcolor=s.color, opacity=0.07, line=dict(width=0), layer="below"))
    lrs_all = np.concatenate([s.learning_rates for s in series]) if series else np.array([1e-5, 10])
    xr = [math.log10(lrs_all.min()) - 0.05, math.log10(lrs_all.max()) + 0.05]
    if metric == "steps":
        ytitle = f"steps until loss − f* ≤ {_g(tol, 3)}" if tol is not None else "steps to tolerance"
    elif f_star is not None:
        ytitle = f"final loss − f*   (f* = {_g(f_star)}; 0 drawn at {LOSS_FLOOR:g})"
    else:
        ytitle = "final loss"
    yaxis = dict(title=dict(text=ytitle), type="log" if log_y else "linear", exponentformat="power",
                 domain=[0, main_top], anchor="x")
    if log_y and metric == "final":
        hi, lo = float(drawn.max()), float(drawn.min())
        yaxis["range"] = [math.log10(lo) - 0.5, math.log10(hi) + 0.8]  # LOSS_FLOOR keeps lo ≥ 1e-16
    labels = [s.name or s.label for s in series]
    title_dict, top = title_band(_heading(title, subtitle), 17)
    layout = dict(
        height=(height or int(560 + 26 * n)) + max(top - 80, 0),
        margin=dict(l=80, r=30, t=max(top, 80), b=60),
        title=title_dict,
        xaxis=dict(type="log", title=dict(text="learning rate (log scale)"), range=xr, exponentformat="power",
                   anchor="y", showgrid=True),
        yaxis=yaxis,
        yaxis2=dict(domain=[main_top + 0.03, 1], anchor="x", range=[n - 0.5, -0.5], tickvals=list(range(n)),
                    ticktext=labels, showgrid=False, zeroline=False, fixedrange=True,
                    title=dict(text="diverges", font=dict(size=12, color=DIVERGED_COLOR))),
        shapes=shapes, annotations=annotations, hovermode="closest", plot_bgcolor="white",
        # At the figure's bottom edge: Plotly keeps the x title above it (a tenth of the plot's height below the
        # plot, it sat on "learning rate (log scale)" on a phone).
        legend=dict(orientation="h", x=0, y=0, yref="container", xanchor="left", yanchor="bottom", font=dict(size=13)),
        meta=dict(best=meta_best, diverging=meta_div, metric=metric, log_y=log_y),
    )
    layout["xaxis"]["gridcolor"] = "#e6e6e6"
    layout["yaxis"]["gridcolor"] = "#e6e6e6"
    return dict(data=data, layout=layout)


def sweep_csv(series: list[SweepSeries]) -> str:
    """Long format: optimizer, learning rate, final loss, steps to tol (−1 never), diverged at (−1 never)."""
    buf = io.StringIO()
    buf.write("optimizer,learning_rate,final_loss,steps_to_tol,diverged_at\n")
    for s in series:
        name = '"' + s.label.replace('"', '""') + '"'
        for lr, f, k, d in zip(s.learning_rates, s.final_loss, s.steps_to_tol, s.diverged_at):
            buf.write(f"{name},{lr:.10g},{f:.10g},{int(k)},{int(d)}\n")
    return buf.getvalue()


def _ranges_text(segs, top: float) -> str:
    """Diverging learning-rate ranges as words: "0.0211–0.0316 and from 0.05" (every range, not only the
    first; "from x" when the range runs to the top of the grid, ``top``)."""
    parts = [f"from {numfmt.sig(lo, 3)}" if hi >= top else f"{numfmt.sig(lo, 3)}–{numfmt.sig(hi, 3)}"
             for lo, hi in segs]
    return " and ".join(parts)


def sweep_table(series: list[SweepSeries], fig: dict) -> list[dict]:
    """One row per optimizer of :func:`sweep_figure`'s ``fig``. Every column of a row is read at one index,
    the starred rate; "not reached" and "none" are words, never codes; where the star stands right next
    to a diverging rate the row says so, and every diverging range is listed."""
    rows = []
    for s, m, div in zip(series, fig["layout"]["meta"]["best"], fig["layout"]["meta"]["diverging"]):
        segs, b = div["segments"], m["index"]  # the starred rate (of the metric shown)
        n_div = int((s.diverged_at >= 0).sum())
        if b < 0:
            best, loss_at, steps_at = "none: every rate diverged", "—", "—"
        else:
            best = numfmt.sig(m["learning_rate"], 4)
            nb = [j for j in (b - 1, b + 1) if 0 <= j < len(s.diverged_at)]
            if any(s.diverged_at[j] >= 0 for j in nb):
                best += " (next to a diverging rate)"
            loss_at = numfmt.readable(s.final_loss[b])
            steps_at = "not reached" if s.steps_to_tol[b] < 0 else str(int(s.steps_to_tol[b]))
        rows.append({
            "optimizer": s.label,
            "best learning rate": best,
            "final loss at the best rate": loss_at,
            "steps to tolerance at the best rate": steps_at,
            "diverges for": ("no rate" if not segs else
                             f"{_ranges_text(segs, float(s.learning_rates[-1]))} ({n_div} of {len(s.learning_rates)} rates)"),
        })
    return rows


# --------------------------------------------------------------------------- #
# 2. Basin maps                                                                 #
# --------------------------------------------------------------------------- #
@dataclass(frozen=True)
class BasinPanel:
    """One optimizer's basin map (arrays from ``optimizers.BasinResult``)."""

    label: str
    xs: np.ndarray
    ys: np.ndarray
    label_map: np.ndarray       # (m, n) engine labels: index of a known minimum, −1 elsewhere, −2 diverged
    final_loss: np.ndarray      # (m, n)
    final_params: np.ndarray    # (m, n, 2)
    color: str = "#333"

    @classmethod
    def of(cls, label: str, result, color: str = "#333") -> "BasinPanel":
        """From an ``optimizers.BasinResult`` (or anything with its arrays)."""
        return cls(label, result.xs, result.ys, result.label, result.final_loss, result.final_params, color)


def _discrete_scale(colors: list[str]) -> list:
    """A colorscale showing integer z = 0..K−1 as flat colours (with zmin −0.5, zmax K−0.5)."""
    K = len(colors)
    out = []
    for i, c in enumerate(colors):
        out += [[i / K, c], [(i + 1) / K, c]]
    return out


def _grid_layout(n: int):
    """Rows × columns of small multiples: 1–3 in a row, 4 as 2×2 (bigger maps), 5–8 in rows of 4."""
    cols = 2 if n == 4 else min(max(n, 1), 4)
    return max(1, math.ceil(n / cols)), cols


TITLE_CHARS = 40  # characters per line of a 17-px title on a 390-px phone's chart


def _heading(title: str, subtitle: str = "") -> str:
    """A figure title with its settings stamp under it, wrapped between settings (charts.common.wrap_stamp): one
    long line was cut at the chart's edge on a phone."""
    return "<br>".join(wrap_stamp(title, TITLE_CHARS) + [f"<span style='font-size:12px;color:#444'>{line}</span>"
                                                         for line in wrap_stamp(subtitle)])


def _loss_scale(panels: list[BasinPanel], f_star: float | None) -> tuple[float, float, float]:
    """The final-loss colouring's reference f* (the lowest final loss when unknown) and colour range (log10 of the
    loss gap, 1st percentile to max over the starts that did not diverge), over every panel."""
    fs = f_star
    finite = [p.final_loss[(p.label_map != -2) & np.isfinite(p.final_loss)] for p in panels]
    allv = np.concatenate(finite) if finite else np.empty(0)
    if fs is None:
        fs = float(allv.min()) if allv.size else 0.0
    lv = [np.log10(np.maximum(np.asarray(p.final_loss, np.float64) - fs, LOSS_FLOOR)) for p in panels]
    okv = np.concatenate([v[(p.label_map != -2)] for v, p in zip(lv, panels)]) if panels else np.empty(0)
    okv = okv[np.isfinite(okv)]
    cmin, cmax = (float(np.percentile(okv, 1)), float(okv.max())) if okv.size else (0.0, 1.0)
    if cmax <= cmin:
        cmax = cmin + 1
    return fs, cmin, cmax


PHONE_MAP_PX = 460  # a single basin map's figure is planned for this width (a column at 1440 px; a phone ~360 px)


def basin_map_columns(n: int) -> int:
    """Columns of single-map figures on the page (``st.columns``, which stack below ~640 px: one map a row on a
    phone): 1–3 maps in a row, 4 as 2 × 2, 5–8 in rows of 3 (each figure carries its own key and settings)."""
    return 2 if n == 4 else min(max(n, 1), 3)


def basin_figures(panels: list[BasinPanel], groups, land, mode: str = "minimum", f_star: float | None = None,
                  title: str = "", subtitle: str = "", width_hint: int = PHONE_MAP_PX) -> list[dict]:
    """One :func:`basin_figure` per map, for columns that stack on a phone (one figure with every map was shrunk
    to ~140 px maps there). Each figure is whole on its own (a PNG or a screenshot of one map keeps them): the
    title with the settings stamp, the map's name and shares, and the legend; the colours of the minima and, for
    ``mode="loss"``, the colour range and f* are the same in every figure."""
    scale = _loss_scale(panels, f_star) if mode == "loss" else None
    out = []
    for i, p in enumerate(panels):
        g = None if groups is None else dataclasses.replace(groups, codes=[groups.codes[i]])
        out.append(basin_figure([p], g, land, mode, f_star, title, subtitle, width_hint=width_hint, loss_scale=scale))
    return out


def basin_figure(panels: list[BasinPanel], groups, land, mode: str = "minimum",
                 f_star: float | None = None, title: str = "", subtitle: str = "", width_hint: int = 900,
                 loss_scale: tuple[float, float, float] | None = None) -> dict:
    """Basin maps side by side: one heatmap per optimizer over the grid of start points.

    ``groups`` is ``optimizers.endpoint_groups(panels, land)`` (None only for ``mode="loss"``).
    ``mode="minimum"``: each start coloured by its group (``groups.codes``), light grey
    for "ended elsewhere", red for "diverged"; a legend lists the minima with their
    coordinates, and stars + "M1"… labels mark them on every map.
    ``mode="loss"``: log10 of the final loss (− f* when known), one shared colour bar,
    diverged starts red. ``layout.meta`` records the share of each outcome per panel.
    Sizes are planned for a figure about ``width_hint`` pixels wide (maps keep equal x/y units)."""
    n = len(panels)
    rows, cols = _grid_layout(n)
    xlabel, ylabel = getattr(land, "axis_labels", ("x", "y"))
    (bx0, bx1), (by0, by1) = land.bounds
    aspect = (by1 - by0) / (bx1 - bx0)
    G = 0 if groups is None else len(groups.centres)
    colors = GROUP_COLORS[:G] + [OTHER_MIN_COLOR, ELSEWHERE_COLOR, DIVERGED_COLOR]
    n_other = 0 if groups is None else groups.n_other
    # Plan in pixels, then convert to paper fractions.
    title_dict, title_px = title_band(_heading(title, subtitle), 17)
    ml, mr, mt = 55, (110 if mode == "loss" else 20), max(95, title_px)
    n_items = G + 2 + (n_other > 0) if mode == "minimum" else 1
    legend_px = 30 + 24 * math.ceil(n_items / 2)
    mb = 45 + legend_px
    gap_xpx, title_px, gap_ypx = 40, 62, 48  # each map's title: its name, then its shares on two short lines
    panel_w = (width_hint - ml - mr - gap_xpx * (cols - 1)) / cols
    panel_h = min(panel_w * aspect, 400)
    H = rows * (title_px + panel_h) + (rows - 1) * gap_ypx
    height = int(mt + H + mb)
    gap_x = gap_xpx / (width_hint - ml - mr)
    w = (1 - gap_x * (cols - 1)) / cols
    layout = dict(
        height=height,
        margin=dict(l=ml, r=mr, t=mt, b=mb),
        title=title_dict,
        plot_bgcolor="white", hovermode="closest", annotations=[], showlegend=True,
        # Entries flow and wrap at the figure's width (fixed half-width columns ran into each other on a phone).
        legend=dict(orientation="h", x=0, y=-(45 / H), xanchor="left", yanchor="top", font=dict(size=13),
                    itemclick=False, itemdoubleclick=False,
                    title=dict(text="Each start is coloured by where it ends:" if mode == "minimum" else "",
                               side="top")),
    )
    data = []
    counts_meta = []
    if mode == "loss":
        fs, cmin, cmax = loss_scale or _loss_scale(panels, f_star)
        lv = [np.log10(np.maximum(np.asarray(p.final_loss, np.float64) - fs, LOSS_FLOOR)) for p in panels]
        label = "log₁₀(final loss − f*)" if f_star is not None else f"log₁₀(final loss − {_g(fs)})"
        layout["coloraxis"] = dict(colorscale="Viridis", cmin=cmin, cmax=cmax,
                                   colorbar=dict(title=dict(text=label, side="right"), thickness=16, len=0.9,
                                                 y=1, yanchor="top"))
    for i, p in enumerate(panels):
        r, c = divmod(i, cols)
        ax = "" if i == 0 else str(i + 1)
        x0 = c * (w + gap_x)
        top_px = r * (title_px + panel_h + gap_ypx) + title_px
        y1 = 1 - top_px / H
        y0 = 1 - (top_px + panel_h) / H
        layout[f"xaxis{ax}"] = dict(domain=[x0, x0 + w], anchor=f"y{ax}", range=[bx0, bx1], showgrid=False,
                                    zeroline=False, title=dict(text=xlabel, standoff=4), constrain="domain",
                                    ticks="outside")
        layout[f"yaxis{ax}"] = dict(domain=[max(y0, 0), y1], anchor=f"x{ax}", range=[by0, by1], showgrid=False,
                                    zeroline=False, scaleanchor=f"x{ax}", scaleratio=1, constrain="domain",
                                    constraintoward="top", showticklabels=c == 0, ticks="outside",
                                    # standoff: the rotated "y" sat on the middle tick label ("0")
                                    title=dict(text=ylabel if c == 0 else "", standoff=AXIS_TITLE_STANDOFF))
        lm = p.label_map
        div_share = float((lm == -2).mean())
        hm = dict(type="heatmap", x=bdata(p.xs), y=bdata(p.ys), xaxis=f"x{ax}", yaxis=f"y{ax}", zsmooth=False,
                  showscale=False, name=p.label, showlegend=False)
        if mode == "minimum":
            code = groups.codes[i]
            hm.update(z=bdata(code, "u1"), zmin=-0.5, zmax=len(colors) - 0.5, colorscale=_discrete_scale(colors),
                      hovertemplate="start (%{x:.3g}, %{y:.3g})<extra>" + p.label + "</extra>")
            share = np.bincount(code.ravel(), minlength=G + 3) / code.size
            counts_meta.append(dict(label=p.label, shares=[float(v) for v in share]))
            reached_g = share[:G] > 0
            sub = f"diverged {100 * div_share:.1f}%<br>elsewhere {100 * float(share[G + 1]):.1f}%"
            if n_other:
                sub = f"other local minima {100 * float(share[G]):.0f}%<br>" + sub
        else:
            # Diverged starts are painted red by the overlay drawn on top; underneath they only need a
            # finite placeholder (no NaN is sent to the browser).
            z = lv[i].astype(np.float32)
            ok = (lm != -2) & np.isfinite(z)
            z = np.where(ok, z, z[ok].min() if ok.any() else 0.0).astype(np.float32)
            hm.update(z=bdata(z, "f4"), coloraxis="coloraxis",
                      hovertemplate="start (%{x:.3g}, %{y:.3g})<br>log₁₀ loss gap %{z:.2f}<extra>"
                                    + p.label + "</extra>")
            counts_meta.append(dict(label=p.label, diverged=div_share))
            sub = f"diverged {100 * div_share:.1f}%"
        data.append(hm)
        if mode == "loss":  # diverged starts on top, red; transparent elsewhere
            data.append(dict(type="heatmap", x=bdata(p.xs), y=bdata(p.ys), xaxis=f"x{ax}", yaxis=f"y{ax}",
                             z=bdata((lm == -2).astype(np.uint8), "u1"), zmin=0, zmax=1, zsmooth=False,
                             colorscale=[[0, "rgba(0,0,0,0)"], [1, DIVERGED_COLOR]], showscale=False,
                             showlegend=False, hoverinfo="skip", name="diverged"))
        layout["annotations"].append(dict(
            text=f"<b>{p.label}</b><br>" + "<br>".join(f"<span style='font-size:11px;color:#444'>{line}</span>"
                                                        for line in sub.split("<br>")),
            x=x0 + w / 2, y=y1, yshift=4, xref="paper", yref="paper", xanchor="center", yanchor="bottom",
            showarrow=False, font=dict(size=14, color="#111")))
        # Minima (known and found): stars; other end points: open circles; each with its name.
        if groups is not None and G:
            cx, cy = groups.centres[:, 0], groups.centres[:, 1]
            inside = (cx >= bx0) & (cx <= bx1) & (cy >= by0) & (cy <= by1)
            is_min = np.array([not nm.startswith("E") for nm in groups.names])
            if mode == "minimum":  # found points only where this optimizer reaches them; listed minima always
                inside = inside & (np.asarray(groups.known) | reached_g)
            for sel, marker in ((inside & is_min, dict(MINIMUM_STYLE, size=14)),
                                (inside & ~is_min, dict(symbol="circle-open", size=12, color="black",
                                                        line=dict(width=2.5)))):
                if sel.any():
                    data.append(dict(type="scatter", mode="markers", x=cx[sel].tolist(), y=cy[sel].tolist(),
                                     xaxis=f"x{ax}", yaxis=f"y{ax}", marker=marker, showlegend=False,
                                     hovertext=[nm for nm, ok in zip(groups.names, sel) if ok], hoverinfo="text",
                                     name="minima" if marker.get("symbol") == "star" else "end points"))
            for j in np.nonzero(inside)[0]:
                layout["annotations"].append(dict(
                    x=float(cx[j]), y=float(cy[j]), xref=f"x{ax}", yref=f"y{ax}", text=groups.names[j].split(" ")[0],
                    showarrow=False, yshift=14, font=dict(size=11, color="#111"), bgcolor="rgba(255,255,255,0.85)",
                    borderpad=1))
    # Legend: every group (reached or not), then "elsewhere" and "diverged".
    if mode == "minimum":
        items = [(groups.names[j], colors[j]) for j in range(G)]
        if n_other:
            items.append((f"another local minimum (one of {n_other} more found)", OTHER_MIN_COLOR))
        items.append(("ended elsewhere<br>(no minimum within reach, or left the view)", ELSEWHERE_COLOR))
        items.append(("✖ diverged", DIVERGED_COLOR))
    else:
        items = [("✖ diverged", DIVERGED_COLOR)]
    for name, col in items:
        data.append(dict(type="scatter", mode="markers", x=[None], y=[None], name=name, showlegend=True,
                         marker=dict(symbol="square", size=15, color=col, line=dict(color="#333", width=1)),
                         hoverinfo="skip"))
    layout["meta"] = dict(panels=counts_meta, groups=[] if groups is None else list(groups.names), mode=mode)
    return dict(data=data, layout=layout)


def basin_csv(panels: list[BasinPanel], groups) -> str:
    """Long format: optimizer, start x, start y, end x, end y, final loss, outcome."""
    buf = io.StringIO()
    buf.write("optimizer,start_x,start_y,end_x,end_y,final_loss,outcome\n")
    for i, p in enumerate(panels):
        name = '"' + p.label.replace('"', '""') + '"'
        X, Y = np.meshgrid(p.xs, p.ys)
        for (r, c), lm in np.ndenumerate(p.label_map):
            if lm == -2:
                out = "diverged"
            elif groups is not None:
                code = int(groups.codes[i][r, c])
                out = groups.names[code].split(" ")[0] if code < len(groups.centres) else "elsewhere"
            else:
                out = f"M{lm + 1}" if lm >= 0 else "elsewhere"
            e = p.final_params[r, c]
            buf.write(f"{name},{X[r, c]:.6g},{Y[r, c]:.6g},{e[0]:.8g},{e[1]:.8g},{p.final_loss[r, c]:.8g},{out}\n")
    return buf.getvalue()


# --------------------------------------------------------------------------- #
# 3. Fair comparison                                                           #
# --------------------------------------------------------------------------- #
def config_line(name: str, flavor: str, cfg: dict, tuned: bool = False) -> str:
    """``Adam [keras] learning_rate=0.05812 (tuned), beta_1=0.9, …`` (machine-readable: the
    engine can be re-run from it). ``cfg`` holds every hyperparameter the optimizer used
    (``optimizers.full_config``), so defaults are printed too."""
    bits = []
    for k, v in cfg.items():
        s = f"{k}={_plain(v)}"
        if k == "learning_rate" and tuned:
            s += " (tuned)"
        bits.append(s)
    if "learning_rate" not in cfg:
        bits.insert(0, "no learning rate (nothing to tune)")
    return f"{name} [{flavor}] " + ", ".join(bits)


def _wrap(text: str, width: int | None) -> list[str]:
    """Split a long settings line after ", " or " · " separators; continuation lines are indented (``width``
    None: one line, for text that wraps where it is shown)."""
    import re

    if width is None or len(text) <= width:
        return [text]
    tokens = re.split(r"(?<=, )|(?<= · )", text)
    out, cur = [], ""
    for tok in tokens:
        if cur and len(cur) + len(tok) > width:
            out.append(cur.rstrip())
            cur = "    " + tok
        else:
            cur += tok
    out.append(cur.rstrip())
    return out


def provenance_lines(landscape: str, start, steps: int, noise: float, seed: int, tol: float,
                     configs: list[tuple[str, str]], grid_note: str = "", width: int | None = 125) -> list[str]:
    """The fair-mode settings: the shared settings, then one entry per optimizer (``configs`` = [(colour,
    config_line), …]); entries longer than ``width`` wrap onto indented lines (None: never, for the page's
    block and the HTML export, which wrap at the screen's width)."""
    head = (f"Landscape: {landscape} · start ({_plain(start[0])}, {_plain(start[1])}) · steps {int(steps)} · "
            f"gradient noise σ={_plain(noise)} · noise seed {int(seed)} · tolerance {_plain(tol)}")
    lines = _wrap(head, width)
    lines += _wrap("Same start, same number of steps and the same noise seed for every optimizer; "
                   + NO_CLIPPING + ".", width)
    if grid_note:
        lines += _wrap(grid_note, width)
    for color, text in configs:
        wrapped = _wrap(text, None if width is None else width - 2)
        lines.append(f"<span style='color:{color}'>■</span> " + wrapped[0])
        lines += ["  " + w for w in wrapped[1:]]
    return lines


def parse_config_lines(lines: list[str]) -> list[tuple[str, str, dict]]:
    """Read the optimizer settings back from :func:`provenance_lines` (name, flavour, hyperparameters)."""
    import re

    text, entries = "", []
    for ln in lines:
        if ln.startswith("<span"):
            entries.append(re.sub(r"^<span[^>]*>■</span> ", "", ln))
        elif entries and ln.startswith("  "):
            entries[-1] += " " + ln.strip()
    out = []
    for e in entries:
        m = re.match(r"(\w+) \[(\w+)\] (.*)$", e)
        name, flavor, rest = m.group(1), m.group(2), m.group(3)
        params = {}
        for k, v in re.findall(r"(\w+)=([^,\s]+)", rest):
            params[k] = (v == "True") if v in ("True", "False") else float(v)
        out.append((name, flavor, params))
    return out


def provenance_text(lines: list[str]) -> str:
    """:func:`provenance_lines` as plain text (the colour squares' markup removed), one line each: what the
    page prints in a block that wraps at the screen's width, and what the HTML export carries."""
    import re

    return "\n".join(re.sub(r"^<span[^>]*>■</span> ", "■ ", ln) for ln in lines)


FAIR_PLOT_H = 420  # px: the plot area of each fair-mode figure (the map is square)


def _fair_layout(title: str, stamp: str, n_runs: int) -> dict:
    """Layout shared by the fair-mode map and loss chart: title + wrapped settings stamp below the toolbar, the
    legend at the figure's bottom edge (entries flow; on a phone one or two a row)."""
    title_dict, top = title_band(_heading(title, stamp), 16)  # title and stamp wrapped to fit a phone
    leg_h = 26 * math.ceil((n_runs + 2) / 2) + 10
    return dict(height=top + FAIR_PLOT_H + 60 + leg_h, margin=dict(l=60, r=20, t=top, b=60),
                title=title_dict, plot_bgcolor="white", hovermode="closest",
                legend=dict(orientation="h", x=0, y=0, yref="container", xanchor="left", yanchor="bottom",
                            font=dict(size=13)))


def fair_map_figure(land, runs: list[RaceRun], background: dict | None, provenance: list[str], title: str,
                    stamp: str = "", start=None) -> dict:
    """Fair mode, left (on a phone: first): the paths over the landscape from the shared start. Its title
    carries ``stamp`` (the shared settings, wrapped to fit a phone), its legend each optimizer with its
    learning rate, and ``layout.meta.provenance`` every setting (:func:`provenance_lines`)."""
    (x0, x1), (y0, y1) = land.bounds
    xlabel, ylabel = getattr(land, "axis_labels", ("x", "y"))
    data = [dict(type="scatter", mode="markers", x=[x0, x1], y=[y0, y1], marker=dict(opacity=0), showlegend=False,
                 hoverinfo="skip")]
    minima = np.asarray(getattr(land, "minima", np.empty((0, 2))), dtype=np.float64).reshape(-1, 2)
    if len(minima):
        data.append(dict(type="scatter", mode="markers", x=minima[:, 0].tolist(), y=minima[:, 1].tolist(),
                         name="minimum", marker=MINIMUM_STYLE, hoverinfo="skip"))
    s = np.asarray(start if start is not None else (runs[0].params[0] if runs else land.start), dtype=float)
    for i, r in enumerate(runs):
        P = r.params[:r.last_good + 1]
        # a white halo under each path keeps every colour readable on the landscape
        data.append(dict(type="scatter", mode="lines", x=bdata(P[:, 0]), y=bdata(P[:, 1]), showlegend=False,
                         line=dict(color="rgba(255,255,255,0.75)", width=6), hoverinfo="skip", legendgroup=f"r{i}"))
        data.append(dict(type="scatter", mode="lines", name=r.legend, legendgroup=f"r{i}", x=bdata(P[:, 0]),
                         y=bdata(P[:, 1]), line=dict(color=r.color, width=3),
                         hovertemplate=f"{r.label}<br>({xlabel}, {ylabel}) = (%{{x:.3g}}, %{{y:.3g}})<extra></extra>"))
        end = P[-1]
        data.append(dict(type="scatter", mode="markers", x=[float(end[0])], y=[float(end[1])], legendgroup=f"r{i}",
                         showlegend=False, hoverinfo="skip",
                         marker=dict(symbol="x" if r.diverged_at is not None else "circle",
                                     size=18 if r.diverged_at is not None else 13, color=r.color,
                                     line=dict(color="black", width=1.5))))
    data.append(dict(type="scatter", mode="markers", x=[float(s[0])], y=[float(s[1])], name="shared start",
                     marker=dict(symbol="circle", size=16, color="rgba(255,255,255,0.6)",
                                 line=dict(color="black", width=3)), hoverinfo="skip"))
    layout = _fair_layout(title, stamp, len(runs))
    layout.update(
        xaxis=dict(range=[x0, x1], title=dict(text=xlabel), showgrid=False, zeroline=False, constrain="domain"),
        yaxis=dict(range=[y0, y1], title=dict(text=ylabel), showgrid=False, zeroline=False, scaleanchor="x",
                   constrain="domain"),
        images=[background] if background else [],
        meta=dict(provenance=provenance))
    return dict(data=data, layout=layout)


def fair_loss_figure(runs: list[RaceRun], title: str, stamp: str = "", f_star: float | None = None) -> dict:
    """Fair mode, right (on a phone: second): the loss curves (loss − f* when f* is known), each up to its
    last good point; the axis is set by the runs that did not diverge (charts.common.loss_axis)."""
    drawn = []
    for r in runs:
        L = np.asarray(r.loss[:r.last_good + 1], dtype=np.float64)
        drawn.append(np.maximum(L - f_star, LOSS_FLOOR) if f_star is not None else L)
    # The most jagged first (drawn underneath), so an optimizer that oscillates every step (a solid band on a
    # log axis) does not hide the smooth curves; the legend keeps the optimizers' order.
    with np.errstate(all="ignore"):
        jag = [float(np.nansum(np.abs(np.diff(np.log10(np.abs(y) + 1e-300))))) for y in drawn]
    data = []
    for i in sorted(range(len(runs)), key=lambda k: -jag[k]):
        r, y = runs[i], drawn[i]
        data.append(dict(type="scatter", mode="lines", legendgroup=f"r{i}", legendrank=i + 1, name=r.legend,
                         x=bdata(np.arange(len(y)), "i4"), y=bdata(y, "f8"), line=dict(color=r.color, width=1.8),
                         meta=r.label,
                         hovertemplate=f"{r.label}<br>step %{{x}}<br>loss %{{y:.4g}}<extra></extra>"))
    log_y = bool(drawn) and all(np.all(d > 0) for d in drawn)
    what = "loss − f*" if f_star is not None else "loss"
    yaxis = dict(type="log" if log_y else "linear", exponentformat="power", gridcolor="#e6e6e6",
                 title=dict(text=what + (" (log scale)" if log_y else "")))
    # The axis is set by the runs that did not diverge; a diverged one leaves through the edge (charts.common).
    y_range = loss_axis(drawn, [r.diverged_at is not None for r in runs], log_y, max_decades=18)
    if y_range is not None:
        yaxis["range"] = y_range
    gone = [(r, y) for r, y in zip(runs, drawn) if r.diverged_at is not None and len(y)]
    edge = edge_marks([len(y) - 1 for _, y in gone], [float(y[-1]) for _, y in gone], y_range, log_y,
                      [r.color for r, _ in gone], [r.stopped for r, _ in gone])
    layout = _fair_layout(title, stamp, len(runs))
    layout.update(xaxis=dict(title=dict(text="step"), gridcolor="#e6e6e6"), yaxis=yaxis, annotations=edge)
    return dict(data=data, layout=layout)


def fair_html(figs: list[dict], provenance: list[str], title: str) -> str:
    """The fair-mode export: both figures and every setting (:func:`provenance_text`) as one offline HTML page
    (charts.common.figures_html)."""
    return figures_html(figs, title, provenance_text(provenance))


def fair_table(runs: list[RaceRun], tuned: list, steps_to_tol: list) -> list[dict]:
    """One row per optimizer: tuned learning rate, final loss, steps to tolerance, divergence.

    ``steps_to_tol`` per run: the engine's ``optimizers.steps_to_tolerance`` (−1: not reached)."""
    rows = []
    for r, lr, stt in zip(runs, tuned, steps_to_tol):
        stt = int(stt)
        rows.append({
            "optimizer": r.label,
            "tuned learning rate": None if lr is None else float(lr),
            "final loss": float(r.loss[r.last_good]),
            "steps to tolerance": str(stt) if stt >= 0 else "not reached",
            "diverged": r.stopped or "—",  # "diverged at step k", or why it never started
        })
    return rows


def fair_csv(runs: list[RaceRun]) -> str:
    """Long format: step, optimizer, x, y, loss (each run up to its last good point)."""
    buf = io.StringIO()
    buf.write("step,optimizer,x,y,loss\n")
    for r in runs:
        name = '"' + r.label.replace('"', '""') + '"'
        for k in range(r.last_good + 1):
            x, y = r.params[k]
            buf.write(f"{k},{name},{x:.10g},{y:.10g},{r.loss[k]:.10g}\n")
    return buf.getvalue()
