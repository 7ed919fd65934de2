"""Figures for the Moons page: the article's MLP experiment, one network per optimizer.

Input is a list of :class:`MoonsRun` built by ``ui.moons_run`` from ``optimizers.train``:

- :func:`loss_figure`: the loss curves overlaid (the article's plots, all on one axis; log option);
- :func:`multiples_figure`: small multiples, one cell per optimizer, loss and accuracy;
- :func:`boundary_figure`: each network's decision boundary animated over the snapshot epochs. The
  boundary itself changes, so every frame carries the heatmaps (float32 binary arrays, a 50×50 grid,
  ~20 frames); the data points are static traces that no frame touches. Play/slider use
  ``redraw=True`` (a heatmap is not animatable without it);
- :func:`boundary_player`: what the page draws: the same maps and the loss curves in the race's player
  (``charts.player.frames_spec``): one step = one snapshot, a marker on every loss curve, every panel's status
  line at that epoch, played in the browser (and in the offline export);
- :func:`histories_csv`: the exports.

Diverged runs stop at their last good epoch and are labelled "diverged at epoch k"; nothing here
plots NaN. Pure functions (plotly, numpy): no Streamlit.
"""
from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
from dataclasses import dataclass, field

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from charts.common import PALETTE, TOOLBAR_PX, bdata, edge_marks, loss_axis, subplot_title_margin, title_band

# Okabe–Ito without yellow and white: these curves are drawn on a white background.
COLORS = PALETTE  # the optimizer colours of every page (charts.common: contrast and colour-blind checked)
CLASS_COLORS = ("#1f5fa8", "#d9480f")  # class 0 / class 1 points
# P(class 1): blue for class 0, white at the boundary (p = 0.5), orange for class 1.
BOUNDARY_SCALE = [[0.0, "#6fa8dc"], [0.45, "#e3eef9"], [0.5, "#ffffff"], [0.55, "#fde3cf"], [1.0, "#f4a261"]]
FIGURE_BUDGET = 2_900_000  # bytes of JSON for the animated figure (the brief: ≤ 3 MB)
MAX_SNAPSHOTS = 21


def color(i: int) -> str:
    return COLORS[i % len(COLORS)]


def run_color(run, i: int) -> str:
    """The colour of the ``i``-th run: its own, else the ``i``-th of :data:`COLORS`."""
    return run.color or color(i)


@dataclass
class MoonsRun:
    """One optimizer's network.

    history        Keras-style per-epoch arrays ("loss", "accuracy", "eval_loss", "eval_accuracy"),
                   one entry per completed epoch (so shorter than ``epochs`` if it diverged);
    snapshot_epochs the epochs (0 = before training) with a decision map, ascending;
    maps           (len(snapshot_epochs), n, n) float32 P(class 1), row i = ys[i], column j = xs[j];
    color          its line colour (None: ``color(i)`` by position), so a page can keep an optimizer's
                   colour when another one is removed.
    """

    label: str
    name: str
    history: dict
    epochs: int
    snapshot_epochs: np.ndarray
    maps: np.ndarray
    diverged_at: int | None = None
    stopped_at: int | None = None
    extra: dict = field(default_factory=dict)
    color: str | None = None

    @property
    def epochs_run(self) -> int:
        return len(self.history.get("loss", ()))

    @property
    def status(self) -> str:
        if self.diverged_at is not None:
            return f"diverged at epoch {self.diverged_at}"
        if not self.epochs_run:
            return "not trained"
        acc = self.history.get("accuracy")
        tail = f", accuracy {acc[-1]:.3f}" if acc is not None and len(acc) else ""
        return f"loss {self.history['loss'][-1]:.3g}{tail}"


def _nice_strides():
    """1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, …: the steps a reader counts in."""
    k = 1
    while True:
        for m in (1, 2, 5) if k == 1 else (1, 2, 2.5, 5):
            yield int(m * k)
        k *= 10


def regular_epochs(epochs: list[int], keep: int) -> list[int]:
    """At most ``keep`` of ``epochs`` at a regular stride (the multiples of 1, 2, 5, 10, 20, 25, 50, …),
    always with the first and the last: the slider's ticks read 0, 5, 10, 15 … and never 0, 40, 120, 160."""
    epochs = sorted(int(e) for e in epochs)
    if len(epochs) <= max(keep, 2):
        return epochs
    # Strides are multiples of the epochs' own spacing (snapshots every 2 epochs thin to 4, 10, 20, …: a
    # stride of 5 would keep only the multiples of 10).
    base = int(np.gcd.reduce(np.diff(epochs[:-1]))) if len(epochs) > 2 else 1
    for m in _nice_strides():
        s = base * m
        kept = [e for e in epochs if e % s == 0]
        if epochs[0] not in kept:
            kept.insert(0, epochs[0])
        if epochs[-1] not in kept:
            kept.append(epochs[-1])
        if len(kept) <= max(keep, 2):
            return kept


def snapshot_epochs(epochs: int, count: int = MAX_SNAPSHOTS) -> list[int]:
    """About ``count`` epochs from 0 to ``epochs`` (both included), at a regular stride (1, 2, 5, 10, …)."""
    return regular_epochs(list(range(int(epochs) + 1)), count)


def json_size(obj) -> int:
    """Length of ``obj`` as Plotly/Streamlit serialise it (plotly.io.to_json escapes "/" as \\u002f,
    which base64 is full of: float32 probabilities near 0.5–1 encode to many "/")."""
    text = json.dumps(obj, separators=(",", ":"))
    return len(text) + 5 * text.count("/")


def thin(items: list, keep: int) -> list:
    """``keep`` items spread evenly over ``items``, always keeping the first and the last."""
    if keep >= len(items):
        return list(items)
    idx = np.unique(np.round(np.linspace(0, len(items) - 1, max(keep, 2))).astype(int))
    return [items[i] for i in idx]


def _grid(n: int) -> tuple[int, int]:
    cols = n if n <= 4 else math.ceil(n / 2)
    return math.ceil(n / cols), cols


PANEL_CHARS = 22  # characters per line of a map panel's title: ~140 px at 12 px, so two panels fit a 390-px phone
PANEL_FONT = 12   # px: a map panel's title (every line; presentation mode makes it projector-sized)


def wrap_words(text: str, width: int = PANEL_CHARS) -> list[str]:
    """``text`` as lines of at most ``width`` characters, broken between words (a longer word keeps its line).
    Plotly never wraps a title: "SGD (lr 0.01, μ 0.9, nesterov)" ran into its neighbour's on a phone."""
    lines: list[str] = []
    for word in str(text).split(" "):
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


def status_lines(run, e: int | None = None) -> list[str]:
    """A network's status as short lines (each ≤ about :data:`PANEL_CHARS`): at epoch ``e`` of the player (what
    Keras reported for that epoch), or at the end (``e`` None)."""
    done = run.epochs_run
    acc = run.history.get("accuracy")
    if e == 0:
        return ["epoch 0: before training"]
    if run.diverged_at is not None and (e is None or e > done):
        return [f"diverged at epoch {run.diverged_at}"]
    if not done:
        return ["not trained"]
    if e is None or e > done:
        at, head = done, ([] if e is None else [f"stopped after epoch {done}:"])
    else:
        at, head = e, []
    loss = f"loss {run.history['loss'][at - 1]:.3g}"
    tail = [f"accuracy {acc[at - 1]:.3f}"] if acc is not None and len(acc) >= at else []
    return (head + [loss] if head else [f"epoch {at}: {loss}"]) + tail


def _title_lines(runs, epochs=None) -> int:
    """The most lines any panel title has, at any of ``epochs`` (None: at rest), so every row's title band fits."""
    eps = [None] if epochs is None else [None, *(int(e) for e in epochs)]
    return max((panel_title(r, e).count("<br>") + 1 for r in runs for e in eps), default=2)


def panel_title(run, e: int | None = None) -> str:
    """A map panel's title: the optimizer (bold, wrapped between words), then its status at epoch ``e``, every line
    at the title's own size (a ``<sup>`` line was ~9 px, and ~13 px on a projector)."""
    return "<br>".join([f"<b>{line}</b>" for line in wrap_words(run.label)] + status_lines(run, e))


# --------------------------------------------------------------------------- #
# Loss curves                                                                   #
# --------------------------------------------------------------------------- #
def _positive(a) -> np.ndarray:
    """For a log axis: cross-entropy can round to 0 after clipping; draw it at a tiny positive value."""
    return np.maximum(np.asarray(a, dtype=np.float64), 1e-12)


def loss_figure(runs, log: bool = True, metric: str = "loss") -> go.Figure:
    """All optimizers' loss curves on one axis (the article's curves, overlaid)."""
    fig = go.Figure()
    curves, gone = [], []
    for i, r in enumerate(runs):
        y = np.asarray(r.history.get(metric, ()), dtype=np.float64)
        x = np.arange(1, len(y) + 1)
        name = r.label + (f" (diverged at epoch {r.diverged_at})" if r.diverged_at is not None else "")
        drawn = _positive(y) if log else y
        curves.append(np.asarray(drawn, dtype=np.float64))
        fig.add_trace(go.Scatter(x=x, y=drawn, mode="lines", name=name, legendgroup=r.label,
                                 line=dict(color=run_color(r, i), width=2),
                                 hovertemplate=f"{r.label}<br>epoch %{{x}}<br>{metric} %{{y:.4g}}<extra></extra>"))
        if r.diverged_at is not None and len(y):
            gone.append((int(x[-1]), float(drawn[-1]), run_color(r, i), f"diverged at epoch {r.diverged_at}"))
    # The axis is set by the runs that did not diverge; a diverged one leaves through the edge (charts.common).
    yrange = loss_axis(curves, [r.diverged_at is not None for r in runs], log)
    for ann in edge_marks([g[0] for g in gone], [g[1] for g in gone], yrange, log, [g[2] for g in gone],
                          [g[3] for g in gone]):
        fig.add_annotation(**ann)
    epochs = max((r.epochs for r in runs), default=1)
    fig.update_xaxes(title_text="epoch", range=[0, epochs + 0.5])
    fig.update_yaxes(title_text=f"{metric} (log scale)" if log else metric, type="log" if log else "linear",
                     exponentformat="power", **({"range": yrange} if yrange is not None else {}))
    title, top = title_band("Training loss per epoch (Keras's running mean over the batches)", 14, x=0)
    # The legend under the chart, at the figure's bottom edge (Plotly keeps the axis title above it): on the right
    # it took half a phone's width and left the curves about 60 px.
    fig.update_layout(height=440 + 22 * math.ceil(len(runs) / 3), margin=dict(l=60, r=20, t=top, b=45),
                      hovermode="x unified", title=title,
                      legend=dict(orientation="h", x=0, xanchor="left", y=0, yref="container", yanchor="bottom"),
                      meta={"view": "moons-loss", "log": bool(log)})
    return fig


def _multiples_scale(runs, log: bool) -> list:
    """The small multiples' shared loss range, set by the networks that did not diverge (charts.common.loss_axis);
    a diverged one leaves its cell through the edge, and its cell says "diverged at epoch k"."""
    curves = [(_positive(c) if log else c) for c in
              (np.asarray(r.history.get("loss", ()), dtype=np.float64) for r in runs)]
    return loss_axis(curves, [r.diverged_at is not None for r in runs], log) or ([-1, 1] if log else [0, 1])


MULTIPLE_TITLE_CHARS = 26  # a small multiple's title wraps here: four figures a row at 1440 px, one on a phone


def multiples_figures(runs, log: bool = True) -> list[go.Figure]:
    """The small multiples as one figure per network (loss over accuracy), for columns that stack on a phone (one
    figure of four cells a row squeezed each to ~70 px there, titles running together). The scales are shared
    as in :func:`multiples_figure`: one loss range (from the networks that did not diverge), accuracy 0–1, the
    same epochs; each keeps its network's colour."""
    loss_range = _multiples_scale(runs, log)
    epochs = max((r.epochs for r in runs), default=1)
    lines = max((len(wrap_words(r.label, MULTIPLE_TITLE_CHARS)) for r in runs), default=1)  # rows align
    return [multiples_figure([dataclasses.replace(r, color=run_color(r, i))], log=log, loss_range=loss_range,
                             epochs=epochs, wrap=MULTIPLE_TITLE_CHARS, title_lines=lines) for i, r in enumerate(runs)]


def multiples_figure(runs, log: bool = True, loss_range: list | None = None, epochs: int | None = None,
                     wrap: int | None = None, title_lines: int | None = None) -> go.Figure:
    """Small multiples on shared scales: per optimizer, its loss (top cell) over its accuracy (bottom cell).
    ``loss_range`` and ``epochs`` set the scales (default: from ``runs``); ``wrap`` breaks titles between words;
    ``title_lines`` is the title band's height in lines (default: the longest title here)."""
    n = max(len(runs), 1)
    blocks, cols = _grid(n)
    rows = 2 * blocks
    titles = []
    name = (lambda r: "<br>".join(wrap_words(r.label, wrap))) if wrap else (lambda r: r.label)
    for b in range(blocks):
        titles += [name(runs[b * cols + c]) if b * cols + c < len(runs) else "" for c in range(cols)]
        titles += [""] * cols
    title_lines = title_lines or max((t.count("<br>") + 1 for t in titles if t), default=1)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles, shared_xaxes=True,
                        horizontal_spacing=0.03, vertical_spacing=0.035 if blocks > 1 else 0.05,
                        row_heights=[1.6, 1] * blocks)
    epochs = epochs or max((r.epochs for r in runs), default=1)
    loss_axes, acc_axes = [], []
    for i, r in enumerate(runs):
        b, col = divmod(i, cols)
        loss = np.asarray(r.history.get("loss", ()), dtype=np.float64)
        acc = np.asarray(r.history.get("accuracy", ()), dtype=np.float64)
        x = np.arange(1, len(loss) + 1)
        fig.add_trace(go.Scatter(x=x, y=_positive(loss) if log else loss, mode="lines", name=r.label,
                                 showlegend=False, line=dict(color=run_color(r, i), width=2),
                                 hovertemplate=f"{r.label}<br>epoch %{{x}}<br>loss %{{y:.4g}}<extra></extra>"),
                      row=2 * b + 1, col=col + 1)
        loss_axes.append(fig.data[-1].yaxis)
        fig.add_trace(go.Scatter(x=x, y=acc, mode="lines", name=r.label, showlegend=False,
                                 line=dict(color=run_color(r, i), width=1.5, dash="dot"),
                                 hovertemplate=f"{r.label}<br>epoch %{{x}}<br>accuracy %{{y:.3f}}<extra></extra>"),
                      row=2 * b + 2, col=col + 1)
        acc_axes.append(fig.data[-1].yaxis)
        if r.diverged_at is not None:
            ax = loss_axes[-1][1:]
            fig.add_annotation(text=f"diverged at epoch {r.diverged_at}", showarrow=False,
                               font=dict(color="#c0392b"), xref=f"x{ax} domain", yref=f"y{ax} domain", x=0.5, y=0.5)
    # Shared scales: every loss cell matches the first loss axis, every accuracy cell is 0–1.
    for ax in loss_axes[1:]:
        fig.layout["yaxis" + ax[1:]].matches = loss_axes[0]
    # The shared loss scale is set by the networks that did not diverge (charts.common.loss_axis); a diverged
    # one leaves its cell through the edge, and its cell says "diverged at epoch k".
    loss_range = loss_range or _multiples_scale(runs, log)
    for ax in loss_axes:
        fig.layout["yaxis" + ax[1:]].update(type="log" if log else "linear", exponentformat="power",
                                            range=loss_range)
    for ax in acc_axes:
        fig.layout["yaxis" + ax[1:]].update(range=[0, 1.05], tickvals=[0, 0.5, 1])
    for b in range(blocks):
        for c in range(cols):
            show = c == 0
            fig.update_yaxes(showticklabels=show, row=2 * b + 1, col=c + 1, title_text="loss" if show else None)
            fig.update_yaxes(showticklabels=show, row=2 * b + 2, col=c + 1, title_text="accuracy" if show else None)
    fig.update_xaxes(range=[0, epochs + 0.5])
    fig.update_xaxes(title_text="epoch", row=rows)
    fig.update_layout(height=240 * blocks + 100 + 20 * (title_lines - 1),
                      margin=dict(l=60, r=15, t=subplot_title_margin() + 20 * (title_lines - 1), b=45),
                      meta={"view": "moons-multiples", "log": bool(log)})
    return fig


# --------------------------------------------------------------------------- #
# Decision boundaries, animated                                                 #
# --------------------------------------------------------------------------- #
def _map_at(run, epoch):
    """The run's map at ``epoch``: the last snapshot at or before it (a diverged run holds its last one)."""
    eps = np.asarray(run.snapshot_epochs)
    k = int(np.searchsorted(eps, epoch, side="right")) - 1
    return run.maps[max(k, 0)], int(eps[max(k, 0)])


def boundary_figure(runs, X, y, grid, budget: int = FIGURE_BUDGET, cols: int | None = None) -> dict:
    """Each optimizer's decision map P(class 1) with the data, animated over the snapshot epochs.

    Returns a plain figure dict (frames hold hand-made float32 bdata; see the module docstring).
    ``grid`` = (xs, ys) of the maps. The figure rests on the last epoch; ▶ Play runs from epoch 0.
    """
    xs, ys = (np.asarray(a, dtype=np.float64) for a in grid)
    n_runs = max(len(runs), 1)
    rows, cols = _grid(n_runs) if cols is None else (math.ceil(n_runs / cols), cols)
    titles = [panel_title(r) for r in runs] or [""]
    lines = _title_lines(runs)
    height = 250 * rows + 160 + 15 * (lines - 2)
    base = make_subplots(rows=rows, cols=cols, subplot_titles=titles, horizontal_spacing=0.03,
                         # the gap above a row holds its titles (15 px a line)
                         vertical_spacing=min(0.3, (15 * lines + 14) / height) if rows > 1 else 0.05)
    all_epochs = sorted({int(e) for r in runs for e in r.snapshot_epochs}) or [0]
    last = all_epochs[-1] if all_epochs else 0
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    heat_idx = []
    for i, r in enumerate(runs):
        row, col = divmod(i, cols)
        z, _ = _map_at(r, last)
        base.add_trace(go.Heatmap(x=xs, y=ys, z=np.asarray(z, np.float32), zmin=0, zmax=1, colorscale=BOUNDARY_SCALE,
                                  showscale=False, name=r.label, zsmooth="best",
                                  hovertemplate="x %{x:.2f}, y %{y:.2f}<br>P(class 1) %{z:.2f}<extra></extra>"),
                       row=row + 1, col=col + 1)
        heat_idx.append(len(base.data) - 1)
    for i, r in enumerate(runs):  # the data: static traces, in no frame
        row, col = divmod(i, cols)
        for cls in (0, 1):
            pts = X[y == cls]
            base.add_trace(go.Scatter(x=pts[:, 0], y=pts[:, 1], mode="markers", name=f"class {cls}",
                                      showlegend=False, hoverinfo="skip",
                                      marker=dict(size=5, color=CLASS_COLORS[cls], line=dict(color="white", width=0.6))),
                           row=row + 1, col=col + 1)
    for i in range(n_runs):
        row, col = divmod(i, cols)
        base.update_xaxes(range=[xs[0], xs[-1]], showticklabels=False, showgrid=False, zeroline=False,
                          row=row + 1, col=col + 1)
        base.update_yaxes(range=[ys[0], ys[-1]], showticklabels=False, showgrid=False, zeroline=False,
                          row=row + 1, col=col + 1)
    redraw = {"frame": {"duration": 350, "redraw": True}, "transition": {"duration": 0}, "mode": "immediate"}
    base.update_layout(
        height=height, margin=dict(l=10, r=10, t=subplot_title_margin() + 15 * lines - 8, b=10),
        updatemenus=[dict(type="buttons", direction="left", x=0.0, y=-0.02, xanchor="left", yanchor="top",
                          pad=dict(t=5, r=10), showactive=False,
                          buttons=[dict(label="▶ Play", method="animate", args=[None, {**redraw, "fromcurrent": False}]),
                                   dict(label="❚❚ Pause", method="animate",
                                        args=[[None], {"mode": "immediate", "frame": {"duration": 0, "redraw": False},
                                                       "transition": {"duration": 0}}])])],
        sliders=[dict(active=len(all_epochs) - 1, x=0.2, len=0.8, y=-0.02, yanchor="top", pad=dict(t=5),
                      currentvalue=dict(prefix="epoch ", visible=True, xanchor="right"),
                      steps=[dict(label=str(e), method="animate",
                                  args=[[str(e)], {"frame": {"duration": 0, "redraw": True},
                                                   "transition": {"duration": 0}, "mode": "immediate"}])
                             for e in all_epochs])],
        meta={"view": "moons-boundary", "epochs": all_epochs, "heatmaps": heat_idx},
    )
    fig = base.to_plotly_json()
    fig["layout"]["margin"]["b"] = 70
    fig["data"] = [_compact(t) for t in fig["data"]]
    frames = []
    for e in all_epochs:
        data = [{"type": "heatmap", "z": bdata(np.asarray(_map_at(r, e)[0], np.float32))} for r in runs]
        frames.append({"name": str(e), "data": data, "traces": heat_idx})
    # Stay within the budget: drop frames evenly (the first and the last stay), then the slider to match.
    room = budget - json_size(fig) - 2_000
    per_frame = max(json_size(f) for f in frames)
    keep = max(2, int(room // per_frame))
    if keep < len(frames):  # a regular stride of epochs (thin() by index gave ticks 0, 40, 120, 160, …)
        names = {str(e) for e in regular_epochs([int(f["name"]) for f in frames], keep)}
        frames = [f for f in frames if f["name"] in names]
        slider = fig["layout"]["sliders"][0]
        slider["steps"] = [s for s in slider["steps"] if s["args"][0][0] in names]
        slider["active"] = len(slider["steps"]) - 1
        fig["layout"]["meta"]["epochs"] = [int(f["name"]) for f in frames]
    fig["frames"] = frames
    return fig


def boundary_player(runs, X, y, grid, log: bool = True, budget: int = FIGURE_BUDGET, title: str = "",
                    settings: list[str] | None = None) -> dict:
    """The decision maps and the loss curves in one player (``charts.player.frames_spec``): the maps of every
    network and a marker on every loss curve at the same snapshot epoch; one player step = one snapshot.

    The snapshots are :func:`boundary_figure`'s (thinned to ``budget`` at a regular stride); each network's
    distinct maps are sent once (a diverged one holds its last map). The loss marker at epoch e sits on the
    curve's point for epoch e (epoch 0, before training, has no recorded loss: no marker); a run that stopped
    earlier keeps its marker on its last epoch."""
    from charts.player import spec_bytes

    cols = player_cols(len(runs))
    fig = boundary_figure(runs, X, y, grid, budget=10**12, cols=cols)  # every snapshot; the player's budget below
    fig = _still_maps(fig, runs, grid)
    epochs = list(fig["layout"]["meta"]["epochs"])
    spec = _boundary_spec(fig, runs, grid, epochs, log, title, settings)
    size = spec_bytes(spec)
    if size > budget:  # drop snapshots at a regular stride (the first and the last stay) until it fits
        per = sum(len(s["data"]) for s in spec["series"]) / len(epochs)
        keep = max(2, int((budget - (size - per * len(epochs))) // per))
        while True:
            kept = regular_epochs(epochs, keep)
            spec = _boundary_spec(fig, runs, grid, kept, log, title, settings)
            if spec_bytes(spec) <= budget or keep <= 2:
                break
            keep -= 1
    return spec


def player_cols(n: int) -> int:
    """Columns of maps in the player (beside the loss chart the column is narrow: 8 maps in 3 × 3, not 2 × 4)."""
    return {1: 1, 2: 2, 3: 3, 4: 2}.get(n, 3)


PLAYER_MAP_WIDTH = 660  # px: the maps' column beside the loss chart in a 1440-px window (the height is set for it)


def _still_maps(fig: dict, runs, grid) -> dict:
    """:func:`boundary_figure` without its Plotly animation, for the player: every panel keeps the data's aspect
    (1 unit of x = 1 unit of y, ``scaleanchor``), the height suits :data:`PLAYER_MAP_WIDTH`, and the titles are
    :data:`PANEL_FONT` (the player rewrites their status lines at every step, and lays the panels out again for
    the width it has: :func:`map_grid`)."""
    layout = {k: v for k, v in fig["layout"].items() if k not in ("sliders", "updatemenus")}
    cols = player_cols(len(runs))
    rows = math.ceil(max(len(runs), 1) / cols)
    xs, ys = grid
    aspect = (ys[-1] - ys[0]) / (xs[-1] - xs[0])
    panel = PLAYER_MAP_WIDTH / cols * aspect
    band = _band_px(_title_lines(runs), PANEL_FONT)
    layout["height"] = int(min(max(rows * (panel + band + 10) + TOOLBAR_PX + 10, 280), 900))
    layout["margin"] = {**layout["margin"], "b": 10}
    for key in list(layout):
        if key.startswith("yaxis"):
            layout[key] = {**layout[key], "scaleanchor": "x" + key[5:], "scaleratio": 1, "constrain": "domain"}
        elif key.startswith("xaxis"):
            layout[key] = {**layout[key], "constrain": "domain"}
    layout["annotations"] = [{**a, "font": {**(a.get("font") or {}), "size": PANEL_FONT}}
                             for a in layout.get("annotations", [])]
    return {"data": fig["data"], "layout": layout}


def _band_px(lines: int, font: float) -> int:
    """Pixels above a map for a title of ``lines`` lines at ``font`` px (player.js plans the same band)."""
    return int(math.ceil(lines * font * 1.3 + 8))


def map_grid(runs, grid, epochs, titles: list[int]) -> dict:
    """What the player needs to lay the maps out for the width it has (charts/player_assets/player.js): as many
    columns as fit titles of :data:`PANEL_CHARS` characters (at most :func:`player_cols`: on a phone two, or one),
    each map keeping the data's aspect, each row's titles in a band as tall as the longest title at any step."""
    xs, ys = grid
    return {"n": len(runs), "cols": player_cols(len(runs)), "aspect": float((ys[-1] - ys[0]) / (xs[-1] - xs[0])),
            "chars": PANEL_CHARS, "lines": _title_lines(runs, epochs), "titles": list(titles), "toolbar": TOOLBAR_PX,
            "gap": 12, "vgap": 10}


def _boundary_spec(fig, runs, grid, epochs, log, title, settings) -> dict:
    """:func:`boundary_player`'s spec for the player steps ``epochs``."""
    from charts.player import frames_spec

    heat = fig["layout"]["meta"]["heatmaps"]
    series, markers, texts = [], [], []
    annotations = fig["layout"].get("annotations", [])
    for i, r in enumerate(runs):
        at = next((j for j, a in enumerate(annotations) if a.get("text") == panel_title(r)), None)
        if at is not None:
            texts.append({"annotation": at, "values": [panel_title(r, int(e)) for e in epochs]})
        snaps = [int(e) for e in np.asarray(r.snapshot_epochs)]
        held = [_map_at(r, e)[1] for e in epochs]  # the snapshot each player step shows
        used = sorted(set(held))
        rows = np.stack([np.asarray(r.maps[snaps.index(e)], np.float32) for e in used]) if used else \
            np.zeros((1, len(grid[1]), len(grid[0])), np.float32)
        series.append({"trace": heat[i], "attr": "z", "rows": rows, "index": [used.index(e) for e in held]})
        loss = np.asarray(r.history.get("loss", ()), dtype=np.float64)
        drawn = _positive(loss) if log else loss
        mx, my = [], []
        for e in epochs:
            j = min(int(e), len(drawn))
            ok = j >= 1 and np.isfinite(drawn[j - 1])
            mx.append(j if ok else None)
            my.append(float(drawn[j - 1]) if ok else None)
        markers.append({"label": r.label, "color": run_color(r, i), "x": mx, "y": my})
    notes = [dict(a) for a in annotations]
    for t in texts:  # at rest the figure shows the last step, texts included
        notes[t["annotation"]]["text"] = t["values"][-1]
    fig = {**fig, "layout": {**fig["layout"], "annotations": notes,
                             "meta": {**fig["layout"]["meta"], "epochs": list(epochs)}}}
    lfig = loss_figure(runs, log=log).to_plotly_json()
    layout = lfig["layout"]
    # Beside the maps the chart is narrow (about two legend entries a row): the legend goes under the plot with a
    # bottom margin planned for its rows, and the figure is as tall as the maps (at the figure's bottom edge, as
    # loss_figure places it alone, the player's resizing put it over the epoch ticks: seen in Chromium).
    legend_px = 22 * math.ceil(len(runs) / 2)
    layout["height"] = max(fig["layout"]["height"], 380 + legend_px)
    layout["legend"] = dict(orientation="h", x=0, xanchor="left", y=-0.16, yanchor="top")
    # Two short lines: beside the maps the chart is ~330 px wide (~470 px on a projector at 1440, where the 26-px
    # one-line title was cut: "Training loss (Keras's running mean per e").
    title, top = title_band("Training loss per epoch<br>(Keras's running mean)", 14, x=0)
    layout["margin"] = {**layout.get("margin", {}), "r": 10, "b": 45 + legend_px, "t": top}
    layout["title"] = title
    return frames_spec(fig, lfig, series, markers, epochs, unit="Epoch", step_name="snapshot", base_rate=4.0,
                       title=title, settings=settings, split=0.64, texts=texts,
                       grid=map_grid(runs, grid, epochs, [t["annotation"] for t in texts]))


def _compact(trace: dict) -> dict:
    """float32 binary arrays for the big arrays of a trace dict."""
    out = dict(trace)
    for k in ("x", "y", "z"):
        v = out.get(k)
        if isinstance(v, np.ndarray) and v.dtype.kind == "f":
            out[k] = bdata(v)
    return out


def page_figures(runs, X, y, grid, log: bool = True) -> tuple:
    """The moons page's figures: the small multiples (one figure per network), and the player of the decision boundaries with the loss
    curves (a ``charts.player`` spec dict: the loss curves are drawn there, beside the maps)."""
    return multiples_figures(runs, log=log), boundary_player(runs, X, y, grid, log=log)


# --------------------------------------------------------------------------- #
# Exports                                                                       #
# --------------------------------------------------------------------------- #
CSV_COLUMNS = ("optimizer", "epoch", "loss", "accuracy", "eval_loss", "eval_accuracy", "diverged_at_epoch")


def histories_csv(runs) -> str:
    """One row per (optimizer, completed epoch)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for r in runs:
        d = "" if r.diverged_at is None else r.diverged_at
        h = r.history
        for k in range(r.epochs_run):
            w.writerow([r.label, k + 1] + [repr(float(h[m][k])) if m in h and k < len(h[m]) else ""
                                           for m in CSV_COLUMNS[2:6]] + [d])
    return buf.getvalue()
