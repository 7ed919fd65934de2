"""Shared chart helpers: the optimizer palette and compact binary arrays for Plotly."""
from __future__ import annotations

import base64
import math
import re

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


EDGE_FONT = 13     # px: the ✖ labels of diverged runs
EDGE_ROW_PX = 17   # px between two stacked ✖ labels (one row of EDGE_FONT text)
EDGE_MARK = "diverged-edge"  # the annotations' name (for_projector spreads their stacking with their font)


def edge_marks(x_last, y_last, yrange, log: bool, colors, labels, xref="x", yref="y") -> list[dict]:
    """Annotations “✖ diverged at step k” for diverged runs: at the last good point when it is inside
    ``yrange``, else pinned to the top (or bottom) edge above (below) that step. Labels pinned to the same edge
    are stacked one row apart (``yshift``, away from the edge), so two runs that diverge at the same step never
    show as one."""
    out, on_edge = [], {"top": 0, "bottom": 0}
    for x, y, colour, label in zip(x_last, y_last, colors, labels):
        v = math.log10(y) if log and y > 0 else (None if log else y)
        if yrange is None or v is None:
            continue
        lo, hi = yrange
        inside = lo <= v <= hi
        pos = v if inside else (hi if v > hi else lo)
        mark = dict(x=x, y=pos, xref=xref, yref=yref, text=f"✖ {label}", showarrow=False,
                    font=dict(color=colour, size=EDGE_FONT), bgcolor="rgba(255,255,255,0.85)",
                    xanchor="right" if inside else "center",
                    yanchor="top" if (not inside and v > hi) else ("bottom" if not inside else "middle"),
                    name=EDGE_MARK)
        if not inside:
            edge = "top" if v > hi else "bottom"
            if on_edge[edge]:
                mark["yshift"] = (-1 if edge == "top" else 1) * on_edge[edge] * EDGE_ROW_PX
            on_edge[edge] += 1
        out.append(mark)
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


STAMP_CHARS = 46   # characters per line of a settings stamp: 13-px text fits a 390-px phone's chart


def wrap_stamp(text: str, width: int = STAMP_CHARS, sep: str = " · ") -> list[str]:
    """A settings stamp ("schedule … · weight decay 0.01 · clipnorm 0.5 · …") as lines of at most ``width``
    characters, broken between settings, and a longer setting between its words. Plotly never wraps text, so a
    one-line stamp was cut at the figure's edge ("… · gradient no")."""
    lines: list[str] = []
    for part in (p for p in (text or "").split(sep) if p):
        if lines and len(lines[-1]) + len(sep) + len(part) <= width:
            lines[-1] += sep + part
            continue
        lines.append("")
        for word in part.split(" "):
            if lines[-1] and len(lines[-1]) + 1 + len(word) > width:
                lines.append(word)
            else:
                lines[-1] = f"{lines[-1]} {word}" if lines[-1] else word
    return lines


def subplot_title_margin(size: int = 16) -> int:
    """The top margin that keeps subplot titles (annotations just above the plot area) below the toolbar."""
    return int(TOOLBAR_PX + size * 1.35 + 8)


# --------------------------------------------------------------------------- #
# Presentation mode: any figure, readable from the back of a lecture hall       #
# --------------------------------------------------------------------------- #
PROJECTOR_MIN_FONT = 18     # px: tick labels, legends, annotations, buttons
PROJECTOR_AXIS_TITLE = 20   # px: axis and colour-bar titles
PROJECTOR_TITLE = 26        # px: the figure's title (larger than everything else)
PROJECTOR_SCALE = 1.4       # every stated font size and margin grows by this much (then the minimums apply)
PROJECTOR_LINE = 1.6        # scatter line widths × this (at least PROJECTOR_MIN_LINE)
PROJECTOR_MIN_LINE = 3.0
PROJECTOR_BELOW_PX = 75     # px at least between the plot and buttons or sliders under it (tick labels + axis title)
PROJECTOR_OUTLINE = dict(color="black", width=1.5)  # markers get a dark outline on a washed-out screen
_SCATTER = {None, "scatter", "scattergl", "scatter3d", "scatterpolar", "scatterternary"}
_DATA_KEYS = {"x", "y", "z", "customdata", "text", "hovertext", "ids", "meta", "values", "labels", "source",
              "r", "theta", "a", "b", "c", "i", "j", "k", "intensity", "surfacecolor"}


_INLINE_SIZE = re.compile(r"font-size:\s*([0-9.]+)px")


def _transparent(colour) -> bool:
    return isinstance(colour, str) and colour.replace(" ", "").lower() in ("rgba(0,0,0,0)", "transparent")


def _font(font, floor: float, scale: float = PROJECTOR_SCALE):
    """A font dict with its size scaled and at least ``floor`` px (a hidden, transparent font is left alone)."""
    font = dict(font or {})
    if _transparent(font.get("color")):
        return font
    size = font.get("size")
    if isinstance(size, (int, float)) and not isinstance(size, bool):
        font["size"] = max(round(size * scale, 1), floor)
    elif size is None:
        font["size"] = floor
    return font


def _fonts(node, floor: float = PROJECTOR_MIN_FONT):
    """Every ``*font`` dict inside ``node`` (dicts and lists, never data arrays) scaled, as a copy."""
    if isinstance(node, dict):
        if "bdata" in node:
            return node
        out = {}
        for key, v in node.items():
            if key == "text" and isinstance(v, str) and "font-size" in v:  # inline HTML in a title
                out[key] = _INLINE_SIZE.sub(lambda m: f"font-size:{max(round(float(m[1]) * PROJECTOR_SCALE), floor)}px", v)
            elif key in _DATA_KEYS and not isinstance(v, dict):
                out[key] = v
            elif key.endswith("font") and isinstance(v, dict):
                out[key] = _font(v, floor)
            elif key == "title" and isinstance(v, dict):
                out[key] = _fonts(v, PROJECTOR_AXIS_TITLE)
            else:
                out[key] = _fonts(v, floor)
        return out
    if isinstance(node, list) and node and isinstance(node[0], (dict, list)):
        return [_fonts(v, floor) for v in node]
    return node


def _trace(tr: dict, frame: bool = False) -> dict:
    """One trace with thicker lines and outlined, slightly larger markers (only scatter-like traces). In a
    frame (``frame=True``) only the line and marker settings the frame already carries change."""
    if tr.get("type") not in _SCATTER:
        return _fonts(tr) if not frame else tr
    tr = dict(tr)
    mode = tr.get("mode") or ""
    line = tr.get("line")
    if isinstance(line, dict) or (not frame and "lines" in mode):
        line = dict(line or {})
        w = line.get("width", 2)
        if isinstance(w, (int, float)) and w > 0:
            line["width"] = max(round(w * PROJECTOR_LINE, 1), PROJECTOR_MIN_LINE)
        tr["line"] = line
    marker = tr.get("marker")
    if isinstance(marker, dict) and marker.get("opacity", 1) != 0:
        marker = dict(marker)
        size = marker.get("size")
        if isinstance(size, (int, float)):
            marker["size"] = round(size * 1.25, 1)
        mline = dict(marker.get("line") or {})
        open_symbol = isinstance(marker.get("symbol"), str) and "open" in marker["symbol"]
        if open_symbol:  # an open symbol *is* its outline: thicker, in its own colour
            mline["width"] = max(mline.get("width", 1), 2.5)
        elif not isinstance(mline.get("width"), (int, float)) or mline["width"] < PROJECTOR_OUTLINE["width"]:
            mline = {"color": mline.get("color", PROJECTOR_OUTLINE["color"]), "width": PROJECTOR_OUTLINE["width"]}
        marker["line"] = mline
        tr["marker"] = marker
    return _fonts(tr) if not frame else tr


def _axis(orig, cartesian: bool = True):
    orig = dict(orig or {})
    ax = _fonts(orig)
    ax["tickfont"] = _font(ax.get("tickfont"), PROJECTOR_MIN_FONT)
    title = orig.get("title")
    if isinstance(title, str):
        title = {"text": title}
    if isinstance(title, dict):
        ax["title"] = {**title, "font": _font(title.get("font"), PROJECTOR_AXIS_TITLE)}
    if cartesian:
        ax.setdefault("automargin", True)
    return ax


PROJECTOR_LEGEND_ROW = 30   # px per entry of a vertical legend at 18 px


def _legend_fits(fig: dict, layout: dict) -> None:
    """A vertical legend beside the plot shows every entry at 18 px (no scrolling legend): the figure grows."""
    legend = layout.get("legend") or {}
    if legend.get("orientation") == "h" or layout.get("showlegend") is False or not isinstance(layout.get("height"), (int, float)):
        return
    seen, n = set(), 0
    for t in fig.get("data") or []:
        shows = t.get("showlegend", t.get("type") in (None, "scatter", "scattergl", "bar"))
        group = t.get("legendgroup") or id(t)
        if shows and t.get("name") and group not in seen:
            seen.add(group)
            n += 1
    m = layout.get("margin") or {}
    needed = n * PROJECTOR_LEGEND_ROW + m.get("t", 100) + m.get("b", 80) + 20
    if n > 1 and layout["height"] < needed:
        layout["height"] = needed


def _controls_below(orig: dict, layout: dict) -> None:
    """Buttons and sliders under the plot (``y < 0``, a fraction of the plot's height) keep clear of the larger
    tick labels: their distance below the plot grows with the text (×PROJECTOR_SCALE in pixels), whatever the new
    height and margins make of the plot's height."""
    def plot_h(lay):
        m = lay.get("margin") or {}
        h = lay.get("height")
        return None if not isinstance(h, (int, float)) else h - m.get("t", 100) - m.get("b", 80)

    old, new = plot_h(orig), plot_h(layout)
    if not old or not new or old <= 0 or new <= 0:
        return
    for key in ("updatemenus", "sliders"):
        items = layout.get(key)
        if isinstance(items, list):
            layout[key] = [{**c, "y": -max(-c["y"] * old * PROJECTOR_SCALE, PROJECTOR_BELOW_PX) / new}
                           if isinstance(c.get("y"), (int, float)) and c["y"] < 0 and c.get("yref", "paper") == "paper"
                           else c for c in items]


def _legend_at_bottom(orig: dict, layout: dict) -> None:
    """A legend hanging below the plot (paper ``y < 0``) moves to the figure's bottom edge (``yref="container"``).

    Below the plot it sat a fraction of the plot's height down, which the larger tick labels and axis titles (and
    the plot shrinking as the legend's own rows reserve room) turn into too few pixels: it landed on the "x" title.
    At the container's bottom Plotly reserves the legend's height there, and the axes' automargin puts their
    tick labels and titles above it: they can never meet. When the figure places text of its own under the legend
    (an annotation below the plot), both move down in pixels instead, in their order."""
    legend = layout.get("legend")
    if not isinstance(legend, dict) or layout.get("showlegend") is False:
        return
    y = legend.get("y")
    if not (isinstance(y, (int, float)) and y < 0 and legend.get("yref", "paper") == "paper"):
        return
    below = [i for i, a in enumerate(layout.get("annotations") or []) if isinstance(a, dict)
             and a.get("yref") == "paper" and a.get("y", 1) <= 0 and (a.get("yshift") or 0) < 0]
    if not below:
        layout["legend"] = {**legend, "yref": "container", "y": 0, "yanchor": "bottom"}
        return
    # The figure plans a block of its own under the legend (the fair race's settings): keep the order, in pixels
    # below the plot: the legend clears the enlarged tick labels and axis title, the block follows it, each
    # distance grown with the text (like the buttons in _controls_below).
    old_h, new_h = _plot_height(orig), _plot_height(layout)
    if not old_h or not new_h:
        return
    d_old = -y * old_h
    d_new = max(d_old * PROJECTOR_SCALE, PROJECTOR_BELOW_PX + 10)
    layout["legend"] = {**legend, "y": -d_new / new_h}
    anns = list(layout["annotations"])
    for i in below:
        gap = -anns[i]["yshift"] - d_old  # how far under the legend's top the block starts
        anns[i] = {**anns[i], "yshift": -round(d_new + gap * PROJECTOR_SCALE)}
    layout["annotations"] = anns


def _plot_height(layout: dict):
    m = layout.get("margin") or {}
    h = layout.get("height")
    return None if not isinstance(h, (int, float)) else h - m.get("t", 100) - m.get("b", 80)


def for_projector(fig: dict, height: int | None = None) -> dict:
    """``fig`` (a Plotly figure dict, frames included) made readable on a projector at the back of a room.

    Tick labels, legends, annotations, buttons and slider labels of at least 18 px; axis titles 20 px; the
    title 26 px or more; every stated font size ×1.4; scatter lines ×1.6 (at least 3 px); markers 25 % larger
    with a dark outline; margins grown with the text. A new dict: ``fig`` is never changed (a cached, shared
    figure stays as it is), and the data arrays are shared, not copied. ``height`` replaces the figure's height."""
    out = dict(fig)
    orig = dict(fig.get("layout") or {})
    layout = _fonts(orig)
    layout["font"] = _font(orig.get("font"), PROJECTOR_MIN_FONT, 1.5)
    for key in ("legend", "hoverlabel"):
        layout[key] = {**(layout.get(key) or {}), "font": _font((orig.get(key) or {}).get("font"), PROJECTOR_MIN_FONT)}
    title = orig.get("title")
    if isinstance(title, str):
        title = {"text": title}
    if isinstance(title, dict):
        layout["title"] = {**layout["title"], "font": _font(title.get("font"), PROJECTOR_TITLE)} \
            if isinstance(layout.get("title"), dict) else {**title, "font": _font(title.get("font"), PROJECTOR_TITLE)}
    for key in list(orig):
        if key.startswith(("xaxis", "yaxis")):
            layout[key] = _axis(orig[key])
        elif key.startswith(("scene", "polar", "ternary")) and isinstance(orig[key], dict):
            layout[key] = {k: _axis(v, False) if k.endswith("axis") else layout[key][k] for k, v in orig[key].items()}
    if not any(k.startswith("xaxis") for k in layout):
        layout["xaxis"] = _axis({})
    if not any(k.startswith("yaxis") for k in layout):
        layout["yaxis"] = _axis({})
    if isinstance(layout.get("margin"), dict):
        layout["margin"] = {k: (round(v * PROJECTOR_SCALE) if k in ("l", "r", "t", "b") and isinstance(v, (int, float))
                                else v) for k, v in layout["margin"].items()}
    if isinstance(layout.get("annotations"), list):  # stacked labels (edge_marks) stay one (bigger) row apart
        layout["annotations"] = [{**a, "yshift": round(a["yshift"] * PROJECTOR_SCALE, 1)}
                                 if isinstance(a, dict) and a.get("name") == EDGE_MARK
                                 and isinstance(a.get("yshift"), (int, float)) else a
                                 for a in layout["annotations"]]
    if isinstance(layout.get("shapes"), list):
        layout["shapes"] = [{**s, "line": {**s["line"], "width": max(s["line"].get("width", 2) * 1.5, 2)}}
                            if isinstance(s.get("line"), dict) else s for s in layout["shapes"]]
    if height is not None:
        layout["height"] = int(height)
    _legend_fits(fig, layout)
    _controls_below(orig, layout)
    _legend_at_bottom(orig, layout)
    out["layout"] = layout
    out["data"] = [_trace(t) for t in fig.get("data") or []]
    if fig.get("frames"):
        out["frames"] = [{**f, "data": [_trace(t, frame=True) for t in f.get("data") or []],
                          **({"layout": _fonts(f["layout"])} if isinstance(f.get("layout"), dict) else {})}
                         for f in fig["frames"]]
    return out


def figures_html(figs, title: str, settings: str = "") -> str:
    """Figures (Plotly figures or dicts) as one standalone, offline HTML page: plotly.js embedded once, no Plotly
    logo and no "send to cloud" button (nothing leaves the machine), the figures side by side where the window is
    wide (one under the other on a phone), then ``settings`` (plain text, one line each) in a block that wraps.
    ``title`` and ``settings`` are shown literally (escaped)."""
    import html

    import plotly.io as pio

    cfg = {"displaylogo": False, "showSendToCloud": False, "responsive": True}
    parts = [pio.to_html(f, include_plotlyjs=(i == 0), full_html=False, config=cfg, validate=False,
                         auto_play=False) for i, f in enumerate(figs)]  # figure dicts may hold bdata frames
    body = "\n".join(f"<div style=\"flex:1 1 520px;min-width:0\">{p}</div>" for p in parts)
    safe = html.escape(title)
    block = ("<h3>Every setting used</h3>\n<pre style=\"white-space:pre-wrap;overflow-wrap:anywhere;font-size:13px;"
             f"background:#f5f5f5;padding:8px\">{html.escape(settings)}</pre>\n") if settings else ""
    return (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{safe}</title>"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"></head>"
            f"<body style=\"font-family:sans-serif\"><h2>{safe}</h2>\n"
            f"<div style=\"display:flex;flex-wrap:wrap;gap:12px\">{body}</div>\n{block}"
            # Each figure is drawn as its script runs, before the next one's box exists: the first took the whole
            # row's width and was cut to half of it when the row filled (the learning-rate export lost two of its
            # four panels at 1440 px). Once the page is laid out, every figure takes its own box's width.
            "<script>window.addEventListener('load', function () { document.querySelectorAll('.js-plotly-plot')"
            ".forEach(function (g) { Plotly.Plots.resize(g); }); });</script></body></html>")

