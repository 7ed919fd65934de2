"""The race player: everything the browser needs to play a race, as one plain dict.

Instead of Plotly animation frames (one copy of every path per frame), the player sends every run's
positions, losses and overlay vectors ONCE, as little-endian base64 typed arrays, and JavaScript
(``player_assets/player.js``) moves the markers with ``Plotly.restyle``. So every optimizer step is a frame
(a 2,000-step race with 8 runs is ~0.6 MB of arrays instead of ~64 MB of frames), play, pause, step, scrub
and speed run in the browser with no server round trip, and the map and the loss chart always show the
same step.

:func:`player_spec` builds the dict from two figure dicts (``charts.race.race_figure`` and
``loss_figure``, possibly restyled for presentation by the caller) and the runs; :func:`player_html` is the
offline export that runs the same ``player.js`` with plotly.js inlined.
"""
from __future__ import annotations

import base64
import hashlib
import html
import json
import math
from pathlib import Path

import numpy as np

ASSETS = Path(__file__).with_name("player_assets")
BASE_RATE = 30.0  # optimizer steps per second at 1× (the old "▶ Play" showed about this many)
SPEED_MIN, SPEED_MAX = 0.1, 10.0
OVERLAYS = ("grad", "momentum", "step", "second", "x_point")
OVERLAY_NAMES = {"grad": "−gradient", "momentum": "momentum", "step": "actual step",
                 "second": "second moment (squares)", "x_point": "Schedule-Free x and z"}
ARROW_SHARE = 0.12  # a long arrow of each kind (90th percentile) is drawn this fraction of the map's smaller side
SQUARE_PX = 50.0    # a large second-moment square's side (90th percentile), in pixels
DEFAULT_STYLE = {"font_size": 14, "control_size": 15, "arrow_width": 2.5, "head_size": 12}


def b64(a, dtype="<f4") -> str:
    """An array as base64 of its little-endian bytes (what ``new Float32Array(buffer)`` reads)."""
    return base64.b64encode(np.ascontiguousarray(np.asarray(a, dtype=np.dtype(dtype))).tobytes()).decode("ascii")


def nice_scale(x: float) -> float:
    """The largest of 1, 2, 5 × 10^k that is ≤ x (a scale factor one can say aloud)."""
    if not np.isfinite(x) or x <= 0:
        return 1.0
    e = math.floor(math.log10(x))
    for m in (5, 2, 1):
        if m * 10.0 ** e <= x * (1 + 1e-12):
            return float(m * 10.0 ** e)
    return float(10.0 ** e)


def _typical(vectors, upto) -> float:
    """The 90th percentile of the lengths of the non-zero finite vectors (over every run's usable steps)."""
    lengths = []
    for v, n in zip(vectors, upto):
        if v is None or n <= 0:
            continue
        L = np.hypot(v[:n, 0], v[:n, 1])
        L = L[np.isfinite(L) & (L > 0)]
        if len(L):
            lengths.append(L)
    return float(np.percentile(np.concatenate(lengths), 90)) if lengths else 0.0


def overlay_scales(overlays: list, runs, map_size: float) -> dict:
    """Per overlay kind the factor that draws a typical vector at ARROW_SHARE of the map (a 1-2-5 number),
    and for the squares the pixels per unit of √v. Stated on the chart."""
    upto = [min(r.last_good, r.steps) for r in runs]
    scales = {}
    for kind in ("grad", "momentum", "step"):
        t = _typical([o.get(kind) if o else None for o in overlays], upto)
        scales[kind] = nice_scale(ARROW_SHARE * map_size / t) if t > 0 else 1.0
    roots = [None if not o or o.get("second") is None else np.sqrt(np.abs(o["second"])) for o in overlays]
    t = _typical([None if r is None else np.stack([r[:, 0], np.zeros_like(r[:, 0])], -1) for r in roots], upto)
    t2 = _typical([None if r is None else np.stack([r[:, 1], np.zeros_like(r[:, 1])], -1) for r in roots], upto)
    typical = max(t, t2)
    scales["second"] = nice_scale(SQUARE_PX / typical) if typical > 0 else 1.0
    return scales


def _strip_animation(fig: dict) -> dict:
    """The map figure without Plotly's frames, buttons and slider (the player replaces them)."""
    layout = dict(fig["layout"])
    for key in ("sliders", "updatemenus"):
        layout.pop(key, None)
    margin = dict(layout.get("margin") or {})
    margin["b"] = 55
    layout["margin"] = margin
    layout["height"] = max(int(layout.get("height", 720)) - 80, 420)
    return {"data": list(fig["data"]), "layout": layout}


def _loss_with_markers(loss_fig: dict, runs, style: dict) -> tuple[dict, list]:
    """The loss figure with one marker trace per run (moved by the player) and a dashed step line."""
    data = list(loss_fig["data"])
    layout = dict(loss_fig["layout"])
    shapes = [s for s in layout.get("shapes", []) if s.get("yref") != "paper"]  # the player draws the step line
    layout["shapes"] = shapes + [dict(type="line", yref="paper", y0=0, y1=1, x0=0, x1=0, name="step line",
                                      line=dict(color="#444", dash="dash", width=1.5))]
    marker_traces = []
    for r in runs:
        marker_traces.append(len(data))
        y0 = float(r.loss[0]) if np.isfinite(r.loss[0]) else None  # strict JSON: a start where f overflows has no point
        data.append(dict(type="scatter", mode="markers", x=[0], y=[y0], name=r.label,
                         showlegend=False, hoverinfo="skip",
                         marker=dict(color=r.color, size=style["head_size"], line=dict(color="black", width=2))))
    return {"data": data, "layout": layout}, marker_traces


def player_spec(map_fig: dict, loss_fig: dict, runs, overlays: list | None = None, *, start_step: int | None = None,
                autoplay: bool = False, style: dict | None = None, title: str = "", settings: list[str] | None = None,
                pick_trace: int | None = 0) -> dict:
    """Everything the player needs (a plain, JSON-serialisable dict).

    ``map_fig`` is ``race_figure``'s dict (its ``meta.run_traces`` says which traces belong to which run),
    ``loss_fig`` is ``loss_figure``'s; ``runs`` are the ``RaceRun``s; ``overlays`` is one dict per run from
    ``optimizers.overlays.overlay_vectors`` (or None: no overlays). ``start_step`` is the step shown first
    (default: the last); ``autoplay`` starts playing from it as soon as the charts are drawn. ``style`` sets the controls' font and the overlay line widths (presentation mode).
    """
    style = {**DEFAULT_STYLE, **(style or {})}
    # no run took a step (every one stopped at its start: f overflows or is undefined there): "Step 0 of 0",
    # never "Step 300 of 300" over paths and curves that do not exist
    steps = 0 if all(r.diverged_at == 0 for r in runs) else max((r.steps for r in runs), default=0)
    overlays = overlays if overlays is not None else [None] * len(runs)
    three_d = "scene" in map_fig["layout"]
    mfig = {"data": list(map_fig["data"]), "layout": dict(map_fig["layout"])} if three_d else _strip_animation(map_fig)
    lfig, markers = _loss_with_markers(loss_fig, runs, style)
    run_traces = map_fig["layout"].get("meta", {}).get("run_traces") or [{} for _ in runs]
    axes = mfig["layout"]["scene"] if three_d else mfig["layout"]
    xr, yr = axes["xaxis"]["range"], axes["yaxis"]["range"]
    map_size = float(min(abs(xr[1] - xr[0]), abs(yr[1] - yr[0])))
    if three_d:
        overlays = [None] * len(runs)  # arrows and squares are drawn on the 2-D map only
    scales = overlay_scales(overlays, runs, map_size)
    out_runs = []
    for i, r in enumerate(runs):
        cross = None
        tr = run_traces[i] if i < len(run_traces) else {}
        if tr.get("cross") is not None:  # where race_figure puts the ✖ (on the map's edge if the run flew off)
            frame = _last_frame_point(map_fig, tr["cross"])
            cross = frame
        ov = overlays[i] or {}
        packed = {}
        for kind in ("grad", "momentum", "step", "second", "x_point", "z_point"):
            v = ov.get(kind)
            if v is not None:
                packed[kind] = b64(np.nan_to_num(np.asarray(v, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0))
        heights = None
        if three_d and tr.get("path") is not None:  # the path's heights on the surface (float32, as drawn)
            z = mfig["data"][tr["path"]]["z"]
            heights = z["bdata"] if isinstance(z, dict) else b64(z)
        out_runs.append({
            "label": r.label, "color": r.color, "steps": int(r.steps), "last_good": int(r.last_good),
            "diverged_at": None if r.diverged_at is None else int(r.diverged_at),
            "x": b64(r.params[:, 0], "<f8"), "y": b64(r.params[:, 1], "<f8"),
            "loss": b64(np.nan_to_num(r.loss, nan=0.0), "<f8"), "cross": cross,
            "traces": tr, "loss_trace": markers[i], "name": r.name,
            "ov": packed, "ov_labels": {"momentum": ov.get("momentum_label", ""), "second": ov.get("second_label", "")},
            "sign_step": bool(ov.get("sign_step", False)), "z": heights,
        })
    available = [k for k in OVERLAYS if any(k in r["ov"] for r in out_runs)]
    spec = {
        "version": 1, "kind": "3d" if three_d else "2d", "steps": int(steps), "map": mfig, "loss": lfig, "runs": out_runs,
        "start_step": int(steps if start_step is None else np.clip(start_step, 0, steps)), "autoplay": bool(autoplay),
        "base_rate": BASE_RATE, "speed_min": SPEED_MIN, "speed_max": SPEED_MAX,
        "overlays": available, "overlay_names": {k: OVERLAY_NAMES[k] for k in available},
        "scales": {k: scales[k] for k in ("grad", "momentum", "step", "second")},
        "pick_trace": pick_trace, "style": style, "title": title, "settings": list(settings or []),
    }
    spec["id"] = hashlib.sha1(json.dumps(spec, separators=(",", ":"), sort_keys=True, default=str).encode()).hexdigest()[:16]
    return spec


def frames_spec(map_fig: dict, loss_fig: dict, series: list[dict], markers: list[dict], values, *, unit: str = "Epoch",
                base_rate: float = 4.0, start_step: int | None = None, style: dict | None = None, title: str = "",
                settings: list[str] | None = None, split: float = 0.6, step_name: str = "snapshot",
                texts: list[dict] | None = None, narrow: dict | None = None, grid: dict | None = None) -> dict:
    """The same player for charts whose frames are whole arrays (the moons page's decision maps, the
    learning-rate page's fitted lines) rather than paths.

    ``map_fig``: the figure at rest (its Plotly frames, buttons and slider are dropped). ``series``: per map trace
    that changes, ``{"trace": i, "attr": "z" or "y", "rows": array (n distinct, ...), "index": row per player
    step}`` (the distinct arrays are sent once, as float32). ``markers``: per loss curve ``{"label", "color",
    "x": [...], "y": [...]}`` with one entry per player step (None: no marker at that step). ``values``: what each
    player step is called (``unit`` k, e.g. the epoch). ``split``: the map's share of the width beside the loss
    chart; ``map_fig`` must show the last step (its arrays and texts are those of step ``len(values) - 1``:
    the browser draws nothing twice when it opens there). ``texts``: map annotations rewritten at every step, ``{"annotation": i, "values": [text per step]}``
    (e.g. a panel's "epoch e: loss …"). One player step is one recorded frame (``step_name``), never an
    interpolation. ``narrow``: ``{"below": px, "layout": {...}}``, the map's layout (same traces, same annotation
    order) where the player is narrower than ``below`` px (a phone), e.g. a grid of panels stacked. ``grid``: the
    map is a grid of panels (``charts.moons.map_grid``) that the browser lays out again for the width it has (fewer
    columns on a phone): the moons page's maps."""
    style = {**DEFAULT_STYLE, **(style or {})}
    values = [int(v) if float(v).is_integer() else float(v) for v in values]
    steps = len(values) - 1
    mfig = _strip_animation(map_fig) if map_fig.get("frames") or "sliders" in map_fig.get("layout", {}) else \
        {"data": list(map_fig["data"]), "layout": dict(map_fig["layout"])}
    mfig.pop("frames", None)
    data = list(loss_fig["data"])
    layout = dict(loss_fig["layout"])
    layout["shapes"] = list(layout.get("shapes") or []) + [dict(type="line", yref="paper", y0=0, y1=1, x0=values[-1],
                                                                 x1=values[-1], name="step line",
                                                                 line=dict(color="#444", dash="dash", width=1.5))]
    out_runs = []
    for m in markers:
        if len(m["x"]) != steps + 1 or len(m["y"]) != steps + 1:
            raise ValueError("a marker needs one position per player step")
        out_runs.append({"label": m["label"], "color": m["color"], "loss_trace": len(data),
                         "mx": [None if v is None else float(v) for v in m["x"]],
                         "my": [None if v is None else float(v) for v in m["y"]]})
        data.append(dict(type="scatter", mode="markers", x=[], y=[], name=m["label"], showlegend=False,
                         hoverinfo="skip", marker=dict(color=m["color"], size=style["head_size"],
                                                       line=dict(color="black", width=2))))
    out_series = []
    for s in series:
        rows = np.asarray(s["rows"], dtype=np.float32)
        index = [int(i) for i in s["index"]]
        if len(index) != steps + 1 or min(index) < 0 or max(index) >= len(rows):
            raise ValueError("a series needs one row index per player step")
        out_series.append({"trace": int(s["trace"]), "attr": s["attr"], "shape": list(rows.shape[1:]),
                           "data": b64(rows), "index": index})
    out_texts = []
    for t in texts or []:
        if len(t["values"]) != steps + 1:
            raise ValueError("a text needs one value per player step")
        out_texts.append({"annotation": int(t["annotation"]), "values": [str(v) for v in t["values"]]})
    spec = {
        "version": 1, "kind": "frames", "texts": out_texts, "rest_step": int(steps), "steps": int(steps), "values": values, "unit": unit, "step_name": step_name,
        "map": mfig, "loss": {"data": data, "layout": layout}, "runs": out_runs, "series": out_series,
        "start_step": int(steps if start_step is None else np.clip(start_step, 0, steps)), "autoplay": False,
        "base_rate": float(base_rate), "speed_min": SPEED_MIN, "speed_max": SPEED_MAX, "overlays": [],
        "overlay_names": {}, "scales": {}, "pick_trace": None, "style": style, "title": title,
        "settings": list(settings or []), "split": float(split),
    }
    if narrow:
        spec["narrow"] = {"below": int(narrow["below"]), "layout": narrow["layout"]}
    if grid is not None:
        spec["grid"] = dict(grid)
    spec["id"] = hashlib.sha1(json.dumps(spec, separators=(",", ":"), sort_keys=True, default=str).encode()).hexdigest()[:16]
    return spec


def _last_frame_point(fig: dict, trace: int):
    """The ✖ position race_figure puts in its last frame for ``trace`` (None if it is not there)."""
    frames = fig.get("frames") or []
    if not frames:
        return None
    last = frames[-1]
    try:
        j = last["traces"].index(trace)
    except (KeyError, ValueError):
        return None
    d = last["data"][j]
    xs, ys = (np.frombuffer(base64.b64decode(d[a]["bdata"]), dtype="<f4") for a in ("x", "y"))
    return [float(xs[0]), float(ys[0])] if len(xs) else None


def _plain(o):
    """JSON for the NumPy values a figure dict may hold (arrays as lists)."""
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, np.generic):
        return o.item()
    raise TypeError(type(o).__name__)


def spec_bytes(spec: dict) -> int:
    """Size of the spec as the JSON Streamlit sends."""
    return len(json.dumps(spec, separators=(",", ":")))


def player_js() -> str:
    return (ASSETS / "player.js").read_text(encoding="utf-8")


def player_css() -> str:
    return (ASSETS / "player.css").read_text(encoding="utf-8")


def player_html(spec: dict, title: str, settings: list[str], extra_figs: list | None = None) -> str:
    """A standalone page: plotly.js and the player inlined (works offline), the settings listed above it;
    ``extra_figs`` (figure dicts or JSON strings) are drawn below it as still Plotly charts."""
    from plotly.offline import get_plotlyjs

    items = "".join(f"<li>{html.escape(line)}</li>" for line in settings)
    data = json.dumps(spec, separators=(",", ":")).replace("</", "<\\/")
    extras = [(f if isinstance(f, str) else json.dumps(f, separators=(",", ":"), default=_plain)).replace("</", "<\\/")
              for f in extra_figs or []]
    more = "".join(f"<div id='fig{i}' class='extra'></div>" for i in range(len(extras)))
    draw = "".join(f"(function(f){{Plotly.newPlot('fig{i}',f.data,f.layout,{{displaylogo:false,responsive:true}});}})"
                   f"({e});" for i, e in enumerate(extras))
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{player_css()}</style></head>"
            f"<body class='export'><h1>{html.escape(title)}</h1><h2>Settings</h2><ul class='settings'>{items}</ul>"
            f"<div id='player'></div>{more}"
            f"<script>{get_plotlyjs()}</script><script>{player_js()}</script>"
            f"<script>window.__spec = {data};"
            f"DescentPlayer.mount(document.getElementById('player'), window.__spec, {{}});{draw}</script>"
            f"</body></html>")


def restyled(spec: dict, map_fig: dict | None = None, loss_fig: dict | None = None, style: dict | None = None) -> dict:
    """A copy of ``spec`` with other map/loss figure dicts (e.g. presentation mode's bigger fonts and thicker
    lines, same traces in the same order) and/or control ``style``, and a new id, so the player redraws.
    ``spec`` itself is not modified (the page's spec is shared by every session)."""
    out = dict(spec)
    if map_fig is not None:
        out["map"] = map_fig
    if loss_fig is not None:
        out["loss"] = loss_fig
    if style is not None:
        out["style"] = {**spec.get("style", DEFAULT_STYLE), **style}
    out.pop("id", None)
    out["id"] = hashlib.sha1(json.dumps(out, separators=(",", ":"), sort_keys=True, default=str).encode()).hexdigest()[:16]
    return out
