"""The optimizer race: several optimizers on one 2-D landscape.

Pure functions from run results to Plotly figures (plain dicts, which are
fast to build and serialise):

- :func:`race_figure`: the animated 2-D view. The landscape is a layout
  image (``go.Contour`` vanishes when an animation plays), minima and saddles
  are static markers, an invisible scatter grid lets a click choose the start
  (trace :data:`PICK_TRACE`), and dict frames carry only the optimizer traces
  as float32 binary arrays, never the landscape;
- :func:`loss_figure`: loss against step;
- :func:`race_summary`, :func:`trajectories_csv`, :func:`loss_csv`: the table
  and the exports.

The 3-D surface view lives in :mod:`charts.surface3d`.
"""
from __future__ import annotations

import base64
import io
import math
from dataclasses import dataclass

import numpy as np

import plotly.graph_objects as go

import numfmt
from charts.common import PATH_HALO, TOOLBAR_PX, bdata, edge_marks, loss_axis, title_band, wrap_stamp

PICK_TRACE = 0  # curve_number of the invisible click-to-start grid
MAX_FRAMES = 150
FRAME_BUDGET = 2_200_000  # bytes of JSON the animation frames may take (the whole figure stays < 3 MB)
# Bytes one (x, y) float32 point costs in the JSON Streamlit sends: 8 bytes, 4/3 in base64, and plotly.io.to_json
# escapes every "/" of the base64 text as \u002f (6 characters), which for path coordinates adds up to ~45 %.
BYTES_PER_POINT = 16
SPEEDS = (("▶ Slow", 200), ("▶ Play", 70), ("▶▶ Fast", 20))  # label, ms per frame (plain glyphs: DejaVu has them)
MINIMUM_STYLE = dict(symbol="star", size=17, color="#FFD700", line=dict(color="black", width=1.5))
SADDLE_STYLE = dict(symbol="diamond", size=12, color="white", line=dict(color="black", width=1.5))


@dataclass(frozen=True)
class RaceRun:
    """One optimizer's run as the charts need it.

    ``params`` is ``(steps+1, 2)`` and ``loss`` is ``(steps+1,)``: the runner's
    arrays, where a diverged run is frozen at its last good point (so both are
    finite). ``diverged_at`` is the first unusable step, or ``None``.
    """

    label: str
    params: np.ndarray
    loss: np.ndarray
    diverged_at: int | None
    color: str
    name: str = ""  # optimizer class name (links, CSV)

    @property
    def steps(self) -> int:
        return len(self.params) - 1

    @property
    def last_good(self) -> int:
        """Index of the last usable point (the whole run if it never diverged)."""
        if self.diverged_at is None:
            return self.steps
        return max(int(self.diverged_at) - 1, 0)

    @property
    def stopped(self) -> str | None:
        """Why the run stopped, in words (None: it ran to the end). A run stopped at step 0 did not diverge: its
        start is unusable (f overflows, is undefined, or has no finite gradient there), whatever the rate."""
        if self.diverged_at is None:
            return None
        if int(self.diverged_at) == 0:
            v = float(np.asarray(self.loss, dtype=np.float64).ravel()[0]) if len(self.loss) else float("nan")
            if np.isinf(v):
                return "did not start: f overflows at the start"
            if np.isnan(v):
                return "did not start: f is undefined at the start"
            return "did not start: the gradient at the start is not finite"
        return f"diverged at step {int(self.diverged_at)}"

    @property
    def legend(self) -> str:
        if self.diverged_at is None:
            return self.label
        return f"{self.label} ✖ {self.stopped}"


# --------------------------------------------------------------------------- #
# Frame bookkeeping                                                             #
# --------------------------------------------------------------------------- #
def frame_steps(steps: int, max_frames: int = MAX_FRAMES) -> np.ndarray:
    """The step shown by each animation frame: 0, s, 2s, …, always ending at ``steps``.

    The stride s is chosen so there are at most ``max_frames`` frames."""
    steps = int(steps)
    if steps <= 0:
        return np.array([0])
    stride = max(1, math.ceil(steps / max(max_frames - 1, 1)))
    ks = np.arange(0, steps + 1, stride)
    if ks[-1] != steps:
        ks = np.append(ks, steps)
    return ks


def path_stride(steps: int, n_runs: int, n_frames: int, budget: int = FRAME_BUDGET) -> int:
    """Every how many steps the animated paths keep a point, so the frames fit ``budget`` bytes.

    Frame j holds each path up to its step, so the frames hold about
    ``n_frames · steps / (2·stride)`` points per run, 8 bytes each (x, y as
    float32), more in base64 and escaped JSON (:data:`BYTES_PER_POINT`). Stride 1 (every step) whenever it fits:
    a zig-zag with period 2 would vanish with stride 2."""
    per_point = BYTES_PER_POINT
    for stride in range(1, max(steps, 1) + 1):
        points = n_frames * (steps / stride + 2) / 2 * max(n_runs, 1)
        if points * per_point <= budget:
            return stride
    return max(steps, 1)


# --------------------------------------------------------------------------- #
# The animated 2-D view                                                         #
# --------------------------------------------------------------------------- #
def pick_grid(land, n: int = 51):
    """Points a click can choose as the start: an n×n grid over the bounds where f is finite."""
    (x0, x1), (y0, y1) = land.bounds
    X, Y = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
    P = np.stack([X.ravel(), Y.ravel()], axis=-1)
    with np.errstate(all="ignore"):
        Z = np.asarray(land.value(P), dtype=np.float64).reshape(-1)
    ok = np.isfinite(Z)
    return P[ok, 0], P[ok, 1], Z[ok]


class _Encoded:
    """One run's coordinates as float32 base64, encoded once, so that frames cost string slicing.

    The base64 text of the first n values is a prefix of the whole array's text up to the last
    complete 3-byte group; only the 0–2 bytes after it (plus an appended point) are encoded anew.
    This makes a 150-frame race with 8 runs ~10× cheaper than encoding every frame's arrays."""

    def __init__(self, run: RaceRun, stride: int, box=None):
        self.run, self.stride = run, stride
        p32 = np.ascontiguousarray(run.params, dtype="<f4")
        self.point = [p32[:, 0].tobytes(), p32[:, 1].tobytes()]  # every step, for heads and end points
        self.cross = b"", b""
        if run.diverged_at is not None:
            # The ✖ sits at the last good point; a run that flew off the map gets it on the map's edge,
            # where its path leaves the view, so the class still sees where it went.
            c = run.params[run.last_good].astype(np.float64)
            if box is not None:
                (x0, x1), (y0, y1) = box
                c = _to_edge(run.params[max(run.last_good - 1, 0)], c, x0, x1, y0, y1)
            c32 = c.astype("<f4")
            self.cross = c32[0:1].tobytes(), c32[1:2].tobytes()
        strided = p32[::stride]
        self.raw = [strided[:, 0].tobytes(), strided[:, 1].tobytes()]
        self.b64 = [base64.b64encode(r).decode("ascii") for r in self.raw]

    def _prefix(self, axis: int, m: int, extra: bytes = b"") -> dict:
        nbytes = 4 * m
        whole = nbytes // 3 * 3
        text = self.b64[axis][:whole // 3 * 4] + base64.b64encode(self.raw[axis][whole:nbytes] + extra).decode("ascii")
        return {"dtype": "f4", "bdata": text}

    def _at(self, axis: int, j: int) -> bytes:
        return self.point[axis][4 * j:4 * j + 4]

    def traces(self, k: int) -> list[dict]:
        """Data of the run at frame step k: [path, head, (✖ if the run diverged)].

        The path holds steps 0, s, 2s, … up to the shown step j (s = stride) and always j itself;
        j is k, or the last good step of a run that diverged before k."""
        run, s = self.run, self.stride
        j = min(int(k), run.last_good)
        m = j // s + 1  # strided points 0, s, …, (m-1)·s <= j
        extra = [b"", b""] if (m - 1) * s == j else [self._at(0, j), self._at(1, j)]
        out = [{"x": self._prefix(0, m, extra[0]), "y": self._prefix(1, m, extra[1])},
               {"x": _b64(self._at(0, j)), "y": _b64(self._at(1, j))}]
        if run.diverged_at is not None:
            if k >= int(run.diverged_at):
                out.append({"x": _b64(self.cross[0]), "y": _b64(self.cross[1])})
            else:
                out.append({"x": _EMPTY, "y": _EMPTY})
        return out


_EMPTY = {"dtype": "f4", "bdata": ""}


def _to_edge(a, b, x0, x1, y0, y1):
    """Point b, or where the segment a→b leaves the box if b is outside it (a inside)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    inside = lambda p: x0 <= p[0] <= x1 and y0 <= p[1] <= y1  # noqa: E731
    if inside(b):
        return b
    if not inside(a):
        return np.array([np.clip(b[0], x0, x1), np.clip(b[1], y0, y1)])
    d = b - a
    t = 1.0
    for lo, hi, i in ((x0, x1, 0), (y0, y1, 1)):
        if d[i] > 0:
            t = min(t, (hi - a[i]) / d[i])
        elif d[i] < 0:
            t = min(t, (lo - a[i]) / d[i])
    return a + t * d


def _b64(raw: bytes) -> dict:
    return {"dtype": "f4", "bdata": base64.b64encode(raw).decode("ascii")}


def race_figure(land, runs: list[RaceRun], background: dict | None, *, start=None, active: int | None = None,
                max_frames: int = MAX_FRAMES, pick_n: int = 51, height: int = 720,
                budget: int = FRAME_BUDGET, title: str | None = None, subtitle: str = "") -> dict:
    """The animated race as a Plotly figure dict.

    ``background`` is a ``layout.images`` entry (``charts.background.background_image``).
    ``active`` is the frame shown before Play (default: the last one, the whole race);
    Play starts from it. Trace 0 is the click-to-start grid, then the minima, saddles and
    start markers, then for each run its halo, its path, its head and (if it diverged) a ✖.
    ``subtitle`` states every setting that is not a default (schedule, weight decay, clipping, noise and
    seed), so the figure and its PNG and HTML exports say what produced them.
    """
    (x0, x1), (y0, y1) = land.bounds
    steps = max((r.steps for r in runs), default=0)
    ks = frame_steps(steps, max_frames)
    # Each path gets a white halo under it (readable on dark and light parts of the map) when sending its points
    # twice still fits the frame budget at the same stride; every step drawn comes first, the halo second.
    stride = path_stride(steps, len(runs), len(ks), budget)
    halos = path_stride(steps, 2 * len(runs), len(ks), budget) == stride
    active = len(ks) - 1 if active is None else int(np.clip(active, 0, len(ks) - 1))
    xlabel, ylabel = getattr(land, "axis_labels", ("x", "y"))

    gx, gy, gz = pick_grid(land, pick_n)
    data = [dict(type="scatter", mode="markers", x=bdata(gx, "f8"), y=bdata(gy, "f8"), customdata=bdata(gz, "f8"),
                 marker=dict(size=11, opacity=0, color="white"), showlegend=False, name="pick a start",
                 hovertemplate=f"{xlabel} = %{{x:.3g}}, {ylabel} = %{{y:.3g}}<br>loss %{{customdata:.4g}}"
                               "<br><b>click to start here</b><extra></extra>",
                 unselected=dict(marker=dict(opacity=0)), selected=dict(marker=dict(opacity=0)))]
    minima = np.asarray(getattr(land, "minima", np.empty((0, 2)))).reshape(-1, 2)
    saddles = np.asarray(getattr(land, "saddles", np.empty((0, 2)))).reshape(-1, 2)
    data.append(dict(type="scatter", mode="markers", x=minima[:, 0].tolist(), y=minima[:, 1].tolist(),
                     name="minimum", marker=MINIMUM_STYLE, hoverinfo="skip", showlegend=len(minima) > 0,
                     unselected=dict(marker=dict(opacity=1))))
    data.append(dict(type="scatter", mode="markers", x=saddles[:, 0].tolist(), y=saddles[:, 1].tolist(),
                     name="saddle point", marker=SADDLE_STYLE, hoverinfo="skip", showlegend=len(saddles) > 0,
                     unselected=dict(marker=dict(opacity=1))))
    s = np.asarray(start if start is not None else (runs[0].params[0] if runs else land.start), dtype=float)
    data.append(dict(type="scatter", mode="markers", x=[float(s[0])], y=[float(s[1])], name="start",
                     marker=dict(symbol="circle", size=16, color="rgba(255,255,255,0.35)",
                                 line=dict(color="black", width=3)),
                     hoverinfo="skip", showlegend=True, unselected=dict(marker=dict(opacity=1))))

    animated = []  # trace indices the frames update
    run_traces = []  # per run: the indices of its halo, path, head and ✖ traces (None when absent)
    encoded = [_Encoded(run, stride, land.bounds) for run in runs]
    for i, run in enumerate(runs):
        group = f"run{i}"
        traces = encoded[i].traces(int(ks[active]))
        halo = dict(type="scatter", mode="lines", name=run.label, legendgroup=group, showlegend=False,
                    line=dict(color=PATH_HALO, width=6.5), hoverinfo="skip",
                    unselected=dict(marker=dict(opacity=1)), **traces[0])
        path = dict(type="scatter", mode="lines", name=run.legend, legendgroup=group,
                    line=dict(color=run.color, width=3), hoverinfo="skip", unselected=dict(marker=dict(opacity=1)),
                    **traces[0])
        head = dict(type="scatter", mode="markers", name=run.label, legendgroup=group, showlegend=False,
                    marker=dict(color=run.color, size=14, line=dict(color="black", width=2)), hoverinfo="skip",
                    unselected=dict(marker=dict(opacity=1)), **traces[1])
        data += ([halo] if halos else []) + [path, head]
        animated += ([len(data) - 3] if halos else []) + [len(data) - 2, len(data) - 1]
        run_traces.append({"halo": len(data) - 3 if halos else None, "path": len(data) - 2, "head": len(data) - 1,
                           "cross": None})
        if run.diverged_at is not None:
            data.append(dict(type="scatter", mode="markers", name=run.stopped,
                             legendgroup=group, showlegend=False,
                             marker=dict(symbol="x", size=20, color=run.color, line=dict(color="black", width=1.5)),
                             hoverinfo="skip", unselected=dict(marker=dict(opacity=1)), **traces[2]))
            animated.append(len(data) - 1)
            run_traces[-1]["cross"] = len(data) - 1

    frames = []
    for k in ks:
        fdata = []
        for enc in encoded:
            tr = enc.traces(int(k))
            fdata += ([tr[0]] if halos else []) + tr  # halo and path share the same points
        frames.append(dict(name=str(int(k)), data=fdata, traces=animated))

    def anim(duration):
        return [None, dict(frame=dict(duration=duration, redraw=False), transition=dict(duration=0),
                           fromcurrent=True, mode="immediate")]

    buttons = [dict(label=label, method="animate", args=anim(ms)) for label, ms in SPEEDS]
    buttons.insert(2, dict(label="❚❚ Pause", method="animate",
                           args=[[None], dict(frame=dict(duration=0, redraw=False), transition=dict(duration=0),
                                              mode="immediate")]))
    slider_steps = [dict(method="animate", label=str(int(k)),
                         args=[[str(int(k))], dict(mode="immediate", frame=dict(duration=0, redraw=False),
                                                   transition=dict(duration=0))]) for k in ks]
    name = title or getattr(land, "title", "")
    stamp = wrap_stamp(subtitle)
    heading = "<br>".join([name] + [f"<span style='font-size:13px;color:#333'>{line}</span>" for line in stamp])
    top = int(TOOLBAR_PX + 18 * 1.35 + len(stamp) * 13 * 1.35 + 24 * math.ceil((len(runs) + 2) / 3) + 8)
    layout = dict(
        height=height, margin=dict(l=60, r=20, t=top, b=135),
        xaxis=dict(range=[x0, x1], title=dict(text=xlabel), showgrid=False, zeroline=False, constrain="domain"),
        yaxis=dict(range=[y0, y1], title=dict(text=ylabel), showgrid=False, zeroline=False),
        images=[background] if background else [],
        plot_bgcolor="#f0f0f0", hovermode="closest", dragmode="pan",
        # The landscape's name and the settings stamp are the legend's title: one block above the map that grows
        # as a narrow screen wraps it, so the name, the stamp and the entries can never run over each other
        # (a separate figure title did, on a phone and whenever a stamp was shown).
        legend=dict(orientation="h", x=0, y=1.01, xanchor="left", yanchor="bottom", font=dict(size=13),
                    itemclick="toggle", bgcolor="rgba(255,255,255,0)",
                    title=dict(text=heading, side="top", font=dict(size=18))),
        updatemenus=[dict(type="buttons", direction="left", showactive=False, x=0, y=-0.125, xanchor="left",
                          yanchor="top", pad=dict(t=0, r=10), buttons=buttons, font=dict(size=14))],
        sliders=[dict(active=active, steps=slider_steps, x=0, len=1.0, y=-0.16, xanchor="left",
                      yanchor="top", pad=dict(t=30, b=0), currentvalue=dict(prefix="step ", font=dict(size=14, color="#222"),
                                                                           xanchor="right"),
                      transition=dict(duration=0), ticklen=3,
                      font=dict(size=10, color="rgba(0,0,0,0)"))],  # hide the crowded tick labels
        meta=dict(path_stride=stride, frame_steps=[int(k) for k in ks], halos=bool(halos), run_traces=run_traces),
    )
    return dict(data=data, layout=layout, frames=frames)


# --------------------------------------------------------------------------- #
# Loss against step                                                             #
# --------------------------------------------------------------------------- #
def loss_figure(runs: list[RaceRun], min_value: float | None = None, height: int = 420,
                step: int | None = None, subtitle: str = "") -> tuple[dict, bool]:
    """Loss against step for every run (cut at divergence). Returns (figure, log_y).

    The y axis is logarithmic when every drawn loss is positive; otherwise linear."""
    drawn = [r.loss[:r.last_good + 1] for r in runs]
    drawn = [d if np.all(np.isfinite(d)) else d[:0] for d in drawn]  # a run that failed at its start has no curve
    log_y = any(len(d) for d in drawn) and all(np.all(d > 0) for d in drawn)
    diverged = [r.diverged_at is not None for r in runs]
    yrange = loss_axis(drawn, diverged, log_y)  # set by the runs that did not diverge (charts.common)
    data = []
    for r, d in zip(runs, drawn):
        data.append(dict(type="scatter", mode="lines", name=r.legend, x=bdata(np.arange(len(d)), "i4"),
                         y=bdata(d, "f8"), line=dict(color=r.color, width=2.5),
                         hovertemplate=f"{r.label}<br>step %{{x}}<br>loss %{{y:.4g}}<extra></extra>"))
    gone = [(r, d) for r, d in zip(runs, drawn) if r.diverged_at is not None and len(d)]
    annotations = edge_marks([len(d) - 1 for _, d in gone], [float(d[-1]) for _, d in gone], yrange, log_y,
                             [r.color for r, _ in gone], [r.stopped for r, _ in gone])
    shapes = []
    if min_value is not None and (not log_y or min_value > 0):
        shapes.append(dict(type="line", xref="paper", x0=0, x1=1, y0=min_value, y1=min_value,
                           line=dict(color="gray", dash="dot", width=1.5)))
    if step is not None:
        shapes.append(dict(type="line", yref="paper", y0=0, y1=1, x0=step, x1=step,
                           line=dict(color="gray", dash="dash", width=1)))
    yaxis = dict(title=dict(text="loss"), type="log" if log_y else "linear", exponentformat="power")
    if yrange is not None:
        yaxis["range"] = yrange
    xaxis = dict(title=dict(text="step"))
    if runs and not any(len(d) for d in drawn):
        # Nothing to draw (every run stopped at its start: f overflows there, or is undefined): the chart says
        # why inside itself, and shows no made-up axis (an empty chart read as "no data", or as a bug).
        why = sorted({r.stopped.removeprefix("did not start: ") for r in runs if r.stopped})
        note = ("No loss to draw: " + "; ".join(why) + ", so no run took a step. · Start elsewhere, or rescale "
                "the formula." if why else "No loss to draw.")
        annotations.append(dict(
            text="<br>".join(wrap_stamp(note, 30)),  # Plotly never wraps: short lines fit a phone's chart
            xref="paper", yref="paper", x=0.5, y=0.5, xanchor="center", yanchor="middle", showarrow=False,
            align="center", font=dict(size=14, color="#B00020"), bgcolor="rgba(255,255,255,0.9)",
            bordercolor="#B00020", borderwidth=1, borderpad=6, name="no-loss-note"))
        for ax in (xaxis, yaxis):  # the player's step line at 0 then sits on the left edge
            ax.update(showticklabels=False, showgrid=False, zeroline=False, range=[0, 1], type="linear")
    heading = "<br>".join(["Loss vs step" + (" (log scale)" if log_y else "")]
                          + [f"<span style='font-size:12px;color:#333'>{line}</span>" for line in wrap_stamp(subtitle)])
    title, top = title_band(heading, 16)
    layout = dict(height=height, margin=dict(l=60, r=10, t=top, b=40), title=title,
                  xaxis=xaxis,
                  yaxis=yaxis,
                  showlegend=False, hovermode="closest", shapes=shapes, annotations=annotations)
    return dict(data=data, layout=layout), log_y


# --------------------------------------------------------------------------- #
# Summary table and exports                                                     #
# --------------------------------------------------------------------------- #
def race_summary(runs: list[RaceRun], minima, min_value: float | None, tol: float,
                 criterion: str = "loss") -> list[dict]:
    """One row per run: final loss, distance to the nearest known minimum, the first step
    that meets the tolerance, and the divergence step.

    ``criterion`` is ``"loss"`` (loss within ``tol`` of ``min_value``) or
    ``"distance"`` (within ``tol`` of a known minimum). When the landscape does not
    know what is needed (no minimum value, no minima), that column says so."""
    minima = np.asarray(minima, dtype=np.float64).reshape(-1, 2)
    rows = []
    for r in runs:
        good = r.last_good
        P, L = r.params[:good + 1], r.loss[:good + 1]
        dist = np.linalg.norm(P[:, None, :] - minima[None, :, :], axis=-1).min(axis=1) if len(minima) else None
        if criterion == "loss" and min_value is not None:
            with np.errstate(invalid="ignore"):
                hit = np.nonzero(L - min_value <= tol)[0]
        elif criterion == "distance" and dist is not None:
            hit = np.nonzero(dist <= tol)[0]
        else:
            hit = None
        if hit is None:
            reached = "n/a (unknown minimum)"
        elif len(hit):
            reached = int(hit[0])
        else:
            reached = "not reached"
        rows.append({
            "optimizer": r.label,
            "final loss": (numfmt.readable(L[-1], missing="not a number") if np.isfinite(L[-1]) or good > 0
                           else "overflow (beyond float64)" if np.isinf(L[-1]) else "undefined"),
            "distance to nearest minimum": ("unknown: this landscape lists no minimum" if dist is None
                                            else numfmt.readable(dist[-1])),
            "first step within tol": str(reached),
            "diverged": r.stopped or "—",
        })
    return rows


def _csv(header, rows) -> str:
    buf = io.StringIO()
    buf.write(",".join(header) + "\n")
    for row in rows:
        buf.write(",".join(row) + "\n")
    return buf.getvalue()


def _q(text: str) -> str:
    return '"' + str(text).replace('"', '""') + '"'


def settings_header(settings) -> str:
    """CSV comment lines (``# …``) with the settings that produced the file (pandas: ``comment="#"``)."""
    return "".join(f"# {' '.join(str(line).split())}\n" for line in settings or ())


def trajectories_csv(runs: list[RaceRun], settings=()) -> str:
    """Long format: step, optimizer, x, y, loss (each run up to its last good point), after the settings."""
    buf = io.StringIO()
    buf.write(settings_header(settings))
    buf.write("step,optimizer,x,y,loss\n")
    for r in runs:
        name = _q(r.label)
        for k in range(r.last_good + 1):
            x, y = r.params[k]
            loss = f"{r.loss[k]:.10g}" if np.isfinite(r.loss[k]) else ""
            buf.write(f"{k},{name},{x:.10g},{y:.10g},{loss}\n")
    return buf.getvalue()


def loss_csv(runs: list[RaceRun], settings=()) -> str:
    """Wide format: step, then one loss column per run (empty after a divergence), after the settings."""
    steps = max((r.steps for r in runs), default=0)
    header = ["step"] + [_q(r.label) for r in runs]
    rows = []
    for k in range(steps + 1):
        rows.append([str(k)] + [f"{r.loss[k]:.10g}" if k <= r.last_good and k < len(r.loss) and np.isfinite(r.loss[k])
                                else "" for r in runs])
    return settings_header(settings) + _csv(header, rows)


class Prebuilt(go.Figure):
    """A figure dict that ``st.plotly_chart`` sends as it is.

    Streamlit runs a plain dict through plotly.py's validator (0.2–0.5 s for a
    race with 150 frames, most of a rerun's budget) but takes a ``go.Figure`` as
    already valid and only calls ``to_dict()``. The figure builders here are
    checked against the validator in the unit tests (``go.Figure(fig)``), so at
    run time the dict is handed over directly.
    """

    def __init__(self, fig: dict):
        super().__init__(_validate=False)
        self._prebuilt = fig

    def to_dict(self):
        return self._prebuilt

    def to_plotly_json(self):
        return self._prebuilt
