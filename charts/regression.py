"""Figures for the Learning-rate page: the Kerasy document's line-fit demo, made live.

Input is a list of :class:`LRRun` (one per learning rate), built by the page
from ``optimizers.run`` (full batch) or ``optimizers.train`` (mini-batches).
Three views of the same runs:

- :func:`fit_figure`: the document's figure, one column per learning rate:
  the data, the fitted line after each of the first 10 epochs fading in
  (opacity 0.1·epoch, as the document's ``alpha=0.1*(epoch+1)``) and the final
  line in red;
- :func:`surface_figure`: the runs as paths over (slope, intercept) on the
  loss surface (a background image) next to their loss curves (log y);
- :func:`runs_csv` / :func:`export_html`: the exports.

A diverged run is drawn only up to its last good point and labelled
"diverged at epoch k"; nothing here ever plots NaN.
"""
from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from charts.background import background_image
from charts.common import (TOOLBAR_PX, color, edge_marks, figures_html, loss_axis, subplot_title_margin,
                           wrap_stamp)

FADE_EPOCHS = 10  # the document draws the first 10 epochs' lines
DATA_COLOR = "#1f77b4"  # matplotlib's default blue, as in the document's figure
LINE_COLOR = "#1f4e9c"
FINAL_COLOR = "#d62728"  # the document's red "prediction" line
DIVERGED_REACH = 5.0  # a diverging panel's y axis reaches this many data spans beyond the data


@dataclass
class LRRun:
    """One learning rate's run.

    epoch_params  (E+1, 2) (slope, intercept) after each completed epoch, row 0 = start;
    path          (S+1, 2) after every update (equals epoch_params for full batch);
    loss          (E+1,) full-data MSE at epoch_params;
    diverged_at   the epoch during which the run diverged (1-based), or None.
    Rows stop at the last good point, so a diverged run has fewer rows than epochs + 1.
    """

    lr: float
    epoch_params: np.ndarray
    path: np.ndarray
    loss: np.ndarray
    diverged_at: int | None = None
    epochs: int | None = None  # epochs asked for (for the labels)

    @property
    def label(self) -> str:
        return f"lr {_num(self.lr)}"

    @property
    def status(self) -> str:
        if self.diverged_at is not None:
            return f"diverged at epoch {self.diverged_at}"
        return f"loss {self.loss[-1]:.4g} after {len(self.loss) - 1} epochs"


def _num(x) -> str:
    return f"{float(x):.6g}"


def _y_range(y, lines=(), reach: float = 2.0) -> list:
    """The data's y range, widened (like matplotlib's autoscale in the document) to show the drawn
    lines' ends, but never more than ``reach`` data spans beyond the data (a diverging line leaves)."""
    lo, hi = float(np.min(y)), float(np.max(y))
    span = hi - lo or 1.0
    cap_lo, cap_hi = lo - reach * span, hi + reach * span  # from the data alone (not from lines let in)
    for v in np.asarray(lines, dtype=np.float64).ravel():
        if np.isfinite(v) and cap_lo <= v <= cap_hi:
            lo, hi = min(lo, v), max(hi, v)
    pad = 0.08 * (hi - lo or 1.0)
    return [lo - pad, hi + pad]


TITLE_PX = 16 * 1.35              # one line of a 16-px subplot title (Plotly spaces every line of an
                                  # annotation by its own font size, smaller spans included)
PANEL_PX = 240                    # a stacked panel's plot height (a phone)
BELOW_PX = 56                     # x tick labels and the "x" title under a plot
PLAYER_PANEL_PX = 180             # a panel's plot height in the player's two-row map
NARROW_PX = 600                   # a player narrower than this stacks its panels (a phone)


def _title_lines(text: str) -> float:
    """Pixels of a panel title: every line, the smaller ones too, at the title's line height (seen in Chromium)."""
    return (text.count("<br>") + 1) * TITLE_PX


def fit_figure(runs, x, y, x_range=(0.0, 1.0), fade_epochs: int = FADE_EPOCHS, *, cols: int | None = None,
               legend: bool = True, top: int | None = None, panel_height: int | None = None,
               short_titles: bool = False) -> go.Figure:
    """The document's figure: one panel per learning rate (data, fading lines, final line), ``cols`` panels a
    row (default: all in one row). A diverged rate's "✖ diverged at epoch k" and "the lines leave the chart"
    note are its panel's title lines, above the plot, so they never cover the lines or their epoch labels.
    ``top``: the top margin (px) when several one-panel figures must line up; ``panel_height``: each plot's
    height in px (default: one row in a 400-px figure). ``short_titles``: "lr 0.1" (the loss legend's names)
    instead of the document's "learning_rate=0.1" (the player's narrower panels)."""
    n = max(len(runs), 1)
    cols = min(cols or n, n)
    rows = math.ceil(n / cols)
    titles = [r.label if short_titles else f"learning_rate={_num(r.lr)}" for r in runs] or [""]
    texts = list(titles)
    xs = np.asarray(x_range, dtype=np.float64)
    panels = []  # (row, col, axis suffix) per run
    for i in range(len(runs)):
        r, c = divmod(i, cols)
        panels.append((r + 1, c + 1, "" if i == 0 else str(i + 1)))
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles,
                        horizontal_spacing=0.05 if cols > 3 else 0.06, vertical_spacing=0.1 if rows > 1 else None)
    for i, run in enumerate(runs):
        row, c, ax = panels[i]
        first = i == 0
        fig.add_trace(go.Scatter(x=np.asarray(x, float), y=np.asarray(y, float), mode="markers", name="data",
                                 legendgroup="data", showlegend=first and legend,
                                 marker=dict(color=DATA_COLOR, size=6, opacity=0.8),
                                 hovertemplate="x %{x:.3f}<br>y %{y:.3f}<extra>data</extra>"), row=row, col=c)
        # A diverging run: every good epoch up to 3× the fading ones (they are the story of the panel).
        shown = min(fade_epochs if run.diverged_at is None else 3 * fade_epochs, len(run.epoch_params) - 1)
        for k in range(1, shown + 1):  # after k updates; the document's alpha = 0.1 * (epoch + 1)
            w, b = run.epoch_params[k]
            fig.add_trace(go.Scatter(
                x=xs, y=w * xs + b, mode="lines", name=f"epochs 1–{fade_epochs} (fading in)",
                legendgroup="fade", showlegend=first and k == shown and legend,
                # a diverging panel's first lines are its whole story: never fainter than 0.5
                opacity=min(1.0, 0.1 * k) if run.diverged_at is None else min(1.0, 0.5 + 0.05 * k),
                line=dict(color=LINE_COLOR, width=1.5),
                hovertemplate=f"epoch {k}: y = {w:.3f}·x + {b:.3f}<extra>lr {_num(run.lr)}</extra>"), row=row, col=c)
        if run.diverged_at is None:
            w, b = run.epoch_params[-1]
            fig.add_trace(go.Scatter(
                x=xs, y=w * xs + b, mode="lines", name="prediction (final)", legendgroup="final",
                showlegend=first and legend, line=dict(color=FINAL_COLOR, width=3),
                hovertemplate=(f"after {len(run.epoch_params) - 1} epochs: y = {w:.3f}·x + {b:.3f}"
                               f"<extra>lr {_num(run.lr)}</extra>")), row=row, col=c)
        drawn = run.epoch_params[1:shown + 1]
        if run.diverged_at is None:
            drawn = np.concatenate([drawn, run.epoch_params[-1:]])
        ends = [w * xs + b for w, b in drawn]
        # A diverging rate's panel shows its first lines as they swing out (the axis reaches DIVERGED_REACH
        # data spans, so the first overshoots are on the chart), each labelled with its epoch; later lines
        # leave through the edges, and "✖ diverged at epoch k" says where the run stopped.
        yr = _y_range(y, ends, reach=2.0 if run.diverged_at is None else DIVERGED_REACH)
        fig.update_yaxes(range=yr, row=row, col=c)
        fig.update_xaxes(title_text="x", range=list(xs), row=row, col=c)
        if c == 1:
            fig.update_yaxes(title_text="y", row=row, col=c)
        if run.diverged_at is not None:
            for k, (w, b) in enumerate(drawn, start=1):
                for xe, side in ((xs[0], "left"), (xs[-1], "right")):  # the label at an end inside the view
                    yk = w * xe + b
                    if yr[0] <= yk <= yr[1]:
                        fig.add_annotation(text=f"epoch {k}", x=xe, y=yk, xref=f"x{ax}", yref=f"y{ax}",
                                           xanchor=side, yanchor="bottom" if yk < yr[1] - 0.1 * (yr[1] - yr[0])
                                           else "top", showarrow=False, font=dict(color=LINE_COLOR, size=11))
                        break
            gone = [k for k, e in enumerate(ends, start=1) if max(e) < yr[0] or min(e) > yr[1]]
            # the title's lines (Plotly never wraps: short lines fit a narrow panel)
            note = "".join(f"<br><span style='font-size:11px'>{line}</span>" for line in
                           wrap_stamp(f"from epoch {gone[0]} on, the lines leave the chart", 24, sep="\n")) if gone else ""
            texts[i] = (f"{titles[i]}<br><span style='color:{FINAL_COLOR};font-size:13px'>"
                        f"<b>✖ diverged at epoch {run.diverged_at}</b>{note}</span>")
            fig.layout.annotations[i].text = texts[i]
    title_px = max(_title_lines(t) for t in texts)
    t = top if top is not None else int(TOOLBAR_PX + title_px + 8)
    below = 80 if legend else BELOW_PX
    if panel_height is None and rows == 1:
        height, plot_h = 400 + (t - subplot_title_margin()), 400 - subplot_title_margin() - 80
    else:
        plot_h = panel_height or PANEL_PX
        gap = title_px + 8 + BELOW_PX  # between rows: the lower panel's title and the upper panel's x axis
        inner = rows * plot_h + (rows - 1) * gap
        height = int(t + inner + below)
        if rows > 1:  # the same pixel gap between every two rows (make_subplots's spacing is a share of the plot)
            for i, (row, c, ax) in enumerate(panels):
                hi = 1 - (row - 1) * (plot_h + gap) / inner
                fig.layout[f"yaxis{ax}"].domain = [max(hi - plot_h / inner, 0.0), min(hi, 1.0)]
                fig.layout.annotations[i].y = hi
        plot_h = inner
    # The legend hangs from just below the x titles (yanchor top): on a narrow screen its extra rows grow
    # downwards, never up over the axes.
    fig.update_layout(height=height, margin=dict(l=50, r=20, t=t, b=below), showlegend=legend,
                      legend=dict(orientation="h", yanchor="top", y=-62 / plot_h, x=0),
                      meta={"view": "learning-rate-fit"})
    return fig


def fit_panels(runs, x, y, x_range=(0.0, 1.0)) -> list:
    """:func:`fit_figure` as one figure per learning rate, all with the same top margin and plot height, for
    columns that sit side by side on a wide screen and stack on a phone (a subplot grid cannot reflow: four
    panels in one figure were ~85 px wide on a 390-px phone, their titles running together). No legend: the page
    says what the dots and lines are."""
    figs = [fit_figure([r], x, y, x_range, legend=False, panel_height=PANEL_PX) for r in runs]
    top = max((f.layout.margin.t for f in figs), default=0)
    for f in figs:
        # narrow side margins: four panels share a laptop's row (y's tick labels and title need ~40 px)
        f.update_layout(height=f.layout.height + top - f.layout.margin.t, margin=dict(t=top, l=36, r=12, pad=0),
                        meta={"view": "learning-rate-fit", "panel": True})
        f.update_yaxes(title_standoff=2)
    return figs


def surface_bounds(runs, land, pad: float = 0.08, reach: float = 0.5):
    """A view containing the landscape's default view, the least-squares minimum, the start and
    every converging path; diverging paths are followed only ``reach`` view-widths out (they leave
    the picture, which is the point)."""
    (x0, x1), (y0, y1) = land.bounds
    pts = [np.asarray(land.minima, float).reshape(-1, 2), np.asarray(land.start, float).reshape(1, 2)]
    for r in runs:
        if r.diverged_at is None:
            pts.append(np.asarray(r.path, float).reshape(-1, 2))
    P = np.concatenate(pts)
    P = P[np.all(np.isfinite(P), axis=1)]
    lo = np.minimum(P.min(axis=0), [x0, y0])
    hi = np.maximum(P.max(axis=0), [x1, y1])
    cap_lo, cap_hi = lo - reach * (hi - lo), hi + reach * (hi - lo)
    for r in runs:
        if r.diverged_at is not None:
            Q = np.asarray(r.path, float).reshape(-1, 2)
            Q = Q[np.all(np.isfinite(Q) & (Q >= cap_lo) & (Q <= cap_hi), axis=1)]
            if len(Q):
                lo, hi = np.minimum(lo, Q.min(axis=0)), np.maximum(hi, Q.max(axis=0))
    span = hi - lo
    lo, hi = lo - pad * span, hi + pad * span
    return ((float(lo[0]), float(hi[0])), (float(lo[1]), float(hi[1])))


SURFACE_TITLES = {"map": "Paths on the loss surface", "loss": "Loss (mean squared error)"}


def surface_figure(runs, land, bounds=None, n: int = 160, part: str = "both") -> go.Figure:
    """Left: the runs as paths over (slope, intercept) on the loss surface; right: loss curves (log y).

    ``part="map"`` or ``"loss"``: that half alone, as its own figure (the page puts the two in columns, which
    stack on a phone: side by side in one figure their titles ran into each other at 390 px and the loss axis's
    title sat on the map). Alone, the loss chart has its own legend (the rates)."""
    if part not in ("both", "map", "loss"):
        raise ValueError(f"part must be 'both', 'map' or 'loss', not {part!r}")
    bounds = bounds or surface_bounds(runs, land)
    (x0, x1), (y0, y1) = bounds
    both = part == "both"
    if both:
        fig = make_subplots(rows=1, cols=2, column_widths=[0.52, 0.48], horizontal_spacing=0.09,
                            subplot_titles=(SURFACE_TITLES["map"], SURFACE_TITLES["loss"]))
    else:
        fig = make_subplots(rows=1, cols=1, subplot_titles=(SURFACE_TITLES[part],))
    draw_map, draw_loss = part in ("both", "map"), part in ("both", "loss")
    lcol, lx, ly = (2, "x2", "y2") if both else (1, "x", "y")  # where the loss curves go

    def on_map(trace):
        if draw_map:
            fig.add_trace(trace, row=1, col=1)

    labels = getattr(land, "axis_labels", ("slope w", "intercept b"))
    best = np.asarray(land.minima, float).reshape(-1, 2)
    start = np.asarray(land.start, float)
    if draw_map:
        fig.add_layout_image(background_image(land, n=n, bounds=bounds))
    # Two invisible corner points so the axes exist even without paths.
    on_map(go.Scatter(x=[x0, x1], y=[y0, y1], mode="markers", marker=dict(opacity=0), hoverinfo="skip",
                      showlegend=False, name="_axes"))
    # Largest learning rate first, so the short, dense paths of small rates are drawn on top of it;
    # legendrank keeps the legend in the order of the list.
    for i, run in reversed(list(enumerate(runs))):
        c = color(i)
        name = run.label + (f" (diverged at epoch {run.diverged_at})" if run.diverged_at is not None else "")
        path = np.asarray(run.path, float)
        ep = np.asarray(run.epoch_params, float)
        per_step = len(path) != len(ep)
        if per_step:  # mini-batches: every update as a thin line, epochs as dots
            on_map(go.Scatter(x=path[:, 0], y=path[:, 1], mode="lines", line=dict(color=c, width=1),
                              opacity=0.7, legendgroup=run.label, showlegend=False, hoverinfo="skip",
                              name=name + " (updates)"))
        on_map(go.Scatter(
            x=ep[:, 0], y=ep[:, 1], mode="markers" if per_step else "lines+markers", name=name,
            legendgroup=run.label, legendrank=100 + i, line=dict(color=c, width=2), marker=dict(color=c, size=4),
            customdata=np.c_[np.arange(len(ep)), run.loss[:len(ep)]],
            hovertemplate=(f"{run.label}<br>epoch %{{customdata[0]}}<br>w %{{x:.4f}}, b %{{y:.4f}}"
                           "<br>loss %{customdata[1]:.4g}<extra></extra>")))
        if run.diverged_at is not None:
            on_map(go.Scatter(x=[ep[-1, 0]], y=[ep[-1, 1]], mode="markers", showlegend=False,
                              legendgroup=run.label, marker=dict(symbol="x", size=11, color=c),
                              hovertemplate=f"{run.label}: last good point before it diverged<extra></extra>"))
        if draw_loss:
            epochs = np.arange(len(run.loss))
            fig.add_trace(go.Scatter(x=epochs, y=np.maximum(np.asarray(run.loss, float), 1e-300), mode="lines",
                                     name=name, legendgroup=run.label, showlegend=not both, legendrank=100 + i,
                                     line=dict(color=c, width=2),
                                     hovertemplate=f"{run.label}<br>epoch %{{x}}<br>loss %{{y:.4g}}<extra></extra>"),
                          row=1, col=lcol)
    # The start: a black ring (its legend swatch shows on the white legend) over a white halo (the ring
    # shows on the dark parts of the map too).
    on_map(go.Scatter(x=[start[0]], y=[start[1]], mode="markers", showlegend=False, hoverinfo="skip",
                      marker=dict(symbol="circle-open", size=14, color="white", line=dict(width=5)),
                      name="start w₀ (halo)"))
    on_map(go.Scatter(x=[start[0]], y=[start[1]], mode="markers", name="start w₀",
                      marker=dict(symbol="circle-open", size=12, color="black", line=dict(width=2)),
                      hovertemplate="start w₀ = (%{x:.4f}, %{y:.4f})<extra></extra>"))
    on_map(go.Scatter(x=best[:, 0], y=best[:, 1], mode="markers", name="least-squares fit",
                      marker=dict(symbol="star", size=16, color="white", line=dict(color="black", width=1)),
                      hovertemplate="least-squares minimum<br>w %{x:.4f}, b %{y:.4f}<extra></extra>"))
    if draw_loss:
        # The loss axis: set by the rates that did not diverge (charts.common.loss_axis); a diverging rate's
        # curve leaves through the top edge, where its ✖ and "diverged at epoch k" are pinned.
        floor = getattr(land, "min_value", None)
        curves = [np.asarray(r.loss, float) for r in runs]
        yrange = loss_axis(curves + ([np.array([floor])] if floor else []),
                           [r.diverged_at is not None for r in runs] + ([False] if floor else []), log=True)
        gone = [(i, r) for i, r in enumerate(runs) if r.diverged_at is not None and len(r.loss)]
        for ann in edge_marks([len(r.loss) - 1 for _, r in gone], [float(r.loss[-1]) for _, r in gone], yrange,
                              True, [color(i) for i, _ in gone], [f"diverged at epoch {r.diverged_at}" for _, r in gone],
                              xref=lx, yref=ly):
            fig.add_annotation(ann)
        if floor is not None and floor > 0:
            # Its label sits on the line (an annotation in the axis's own log units, not add_hline's, which
            # put it a decade away on a log axis).
            fig.add_shape(type="line", xref=f"{lx} domain", x0=0, x1=1, yref=ly, y0=floor, y1=floor,
                          line=dict(color="gray", dash="dash", width=1))
            fig.add_annotation(text=f"least-squares loss {floor:.4g}", xref=f"{lx} domain", x=1, xanchor="right",
                               yref=ly, y=math.log10(floor), yanchor="bottom", showarrow=False,
                               font=dict(color="#555", size=12), name="least-squares loss")
        last_epoch = max((len(r.loss) - 1 for r in runs), default=1)
        if any(r.epochs for r in runs):
            last_epoch = max(last_epoch, max(r.epochs or 0 for r in runs))
        fig.update_xaxes(title_text="epoch", range=[0, max(last_epoch, 1)], row=1, col=lcol)
        fig.update_yaxes(title_text="loss (log scale)", type="log", exponentformat="power", range=yrange,
                         row=1, col=lcol)
    if draw_map:
        fig.update_xaxes(title_text=labels[0], range=[x0, x1], showgrid=False, zeroline=False, row=1, col=1)
        fig.update_yaxes(title_text=labels[1], range=[y0, y1], showgrid=False, zeroline=False, row=1, col=1)
    fig.update_layout(height=520, margin=dict(l=55, r=20, t=subplot_title_margin(), b=90), hovermode="closest",
                      legend=dict(orientation="h", yanchor="top", y=-0.16, x=0),
                      meta={"view": "learning-rate-surface" if both else f"learning-rate-surface-{part}",
                            "bounds": [[x0, x1], [y0, y1]]})
    return fig


def fit_player(runs, x, y, x_range=(0.0, 1.0), floor: float | None = None) -> dict:
    """The fitted lines and the loss curves in the race's player (``charts.player.frames_spec``): in every
    column a black line is the fit after the epoch shown, and a marker sits on each rate's loss curve at that
    epoch; one player step = one epoch (every epoch is recorded). The columns keep the document's figure
    (:func:`fit_figure`) behind the moving line. A diverged rate holds its last good line and loss."""
    from charts.player import frames_spec

    # Beside the loss chart the map has ~60 % of the row: four or more panels in one row were too narrow for
    # their titles (a diverged rate's "✖ diverged at epoch 15" was cut at the edge), so two rows of two or three.
    cols = len(runs) if len(runs) <= 3 else (2 if len(runs) == 4 else 3)
    fig = fit_figure(runs, x, y, x_range, cols=cols, short_titles=True,
                     panel_height=None if cols == len(runs) else PLAYER_PANEL_PX).to_plotly_json()
    xs = np.asarray(x_range, dtype=np.float64)
    epochs = max((len(r.epoch_params) - 1 for r in runs), default=0)
    series, markers = [], []
    loss = go.Figure()
    for i, r in enumerate(runs):
        ax = "" if i == 0 else str(i + 1)
        fig["data"].append(dict(type="scatter", mode="lines", x=xs.tolist(), y=[0.0, 0.0], name="the line after the epoch shown",
                                legendgroup="now", showlegend=i == 0, hoverinfo="skip", xaxis="x" + ax, yaxis="y" + ax,
                                line=dict(color="#111111", width=3.5)))
        p = np.asarray(r.epoch_params, dtype=np.float64)
        rows = np.clip(p[:, :1] * xs[None, :] + p[:, 1:2], -1e30, 1e30)  # float32-safe, off the chart anyway
        n = len(p) - 1
        series.append({"trace": len(fig["data"]) - 1, "attr": "y", "rows": rows,
                       "index": [min(k, n) for k in range(epochs + 1)]})
        curve = np.asarray(r.loss, dtype=np.float64)
        name = r.label + (f" (diverged at epoch {r.diverged_at})" if r.diverged_at is not None else "")
        loss.add_trace(go.Scatter(x=np.arange(len(curve)), y=curve, mode="lines", name=name, line=dict(color=color(i), width=2),
                                  hovertemplate=f"{r.label}<br>epoch %{{x}}<br>loss %{{y:.4g}}<extra></extra>"))
        markers.append({"label": r.label, "color": color(i),
                        "x": [min(k, len(curve) - 1) for k in range(epochs + 1)],
                        "y": [float(curve[min(k, len(curve) - 1)]) for k in range(epochs + 1)]})
    curves = [np.asarray(r.loss, float) for r in runs]
    yrange = loss_axis(curves + ([np.array([floor])] if floor else []),
                       [r.diverged_at is not None for r in runs] + ([False] if floor else []), log=True)
    gone = [(i, r) for i, r in enumerate(runs) if r.diverged_at is not None and len(r.loss)]
    for ann in edge_marks([len(r.loss) - 1 for _, r in gone], [float(r.loss[-1]) for _, r in gone], yrange, True,
                          [color(i) for i, _ in gone], [f"diverged at epoch {r.diverged_at}" for _, r in gone]):
        loss.add_annotation(ann)
    # 3 % to spare at the right: the last epoch's markers and tick label were cut in half at the plot's edge
    loss.update_xaxes(title_text="epoch", range=[0, 1.03 * max(epochs, 1)])
    loss.update_yaxes(title_text="loss (MSE, log scale)", type="log", exponentformat="power", range=yrange)
    loss.update_layout(height=fig["layout"]["height"], margin=dict(l=60, r=16, t=subplot_title_margin(), b=80),
                       legend=dict(orientation="h", yanchor="top", y=-0.24, x=0), hovermode="closest",
                       title=dict(text="Full-data loss after each epoch", x=0, font=dict(size=14)))
    # The moving line's end points at rest: the last epoch.
    for s in series:
        fig["data"][s["trace"]]["y"] = np.asarray(s["rows"][s["index"][-1]], dtype=np.float64).tolist()
    # A phone (the player narrower than NARROW_PX): the panels one under the other, each PANEL_PX tall, with
    # the moving lines on the same axes (same traces, same annotations in the same order).
    narrow = fit_figure(runs, x, y, x_range, cols=1, short_titles=True).to_plotly_json()["layout"]
    return frames_spec(fig, loss.to_plotly_json(), series, markers, list(range(epochs + 1)), unit="Epoch",
                       step_name="epoch", base_rate=10.0, split=0.62,
                       narrow={"below": NARROW_PX, "layout": narrow})


CSV_COLUMNS = ("learning_rate", "epoch", "slope_w", "intercept_b", "loss_mse", "diverged_at_epoch")


def runs_csv(runs) -> str:
    """One row per (learning rate, epoch): the params after that epoch and the full-data loss."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for r in runs:
        d = "" if r.diverged_at is None else r.diverged_at
        for k, ((a, b), L) in enumerate(zip(r.epoch_params, r.loss)):
            w.writerow([_num(r.lr), k, repr(float(a)), repr(float(b)), repr(float(L)), d])
    return buf.getvalue()


def export_html(figs, title: str = "Descent Lab", settings: str = "") -> str:
    """Several figures as one standalone, offline HTML page with the settings that produced them
    (charts.common.figures_html)."""
    return figures_html(figs, title, settings)


def is_finite_figure(fig) -> bool:
    """True if no trace of ``fig`` carries a NaN or infinity in x or y (what the tests and the page check)."""
    for t in fig.data:
        for arr in (getattr(t, "x", None), getattr(t, "y", None)):
            if arr is None:
                continue
            a = np.asarray(arr, dtype=object).ravel()
            for v in a:
                if v is None or (isinstance(v, (float, np.floating)) and not math.isfinite(v)):
                    return False
    return True
