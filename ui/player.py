"""The race player as a Streamlit custom component (an iframe served by this app).

``charts/player_assets/`` holds the page (index.html, player.js, player.css, bridge.js); plotly.js is served
from the plotly package itself (``plotly/package_data/plotly.min.js``) through a second component path, so
the browser loads everything from the app's own host and nothing from a CDN. The component returns the
point clicked on the map (``{"pick": [x, y], "n": count}``), nothing else: play, pause, step, scrub, speed
and overlays stay in the browser.
"""
from __future__ import annotations

import json
from pathlib import Path

import plotly
import streamlit.components.v1 as components

from charts.common import for_projector
from charts.player import ASSETS, restyled
from ui.page_state import present_mode

_player = components.declare_component("race_player", path=str(ASSETS))
# Serves plotly.min.js (4.8 MB, cached by the browser) at /component/ui.player.plotlyjs/plotly.min.js.
_plotlyjs = components.declare_component("plotlyjs", path=str(Path(plotly.__file__).parent / "package_data"))


# (id(spec), what) -> (spec, what was made from it). The specs the pages draw are shared, read-only dicts (cached
# with st.cache_resource), so what a script run makes from one (its JSON, its presentation-mode copy) is made once
# for the class instead of once per run: encoding a ~2.5 MB moons spec was ~22 % of a warm moons run (profile).
# Holding the spec keeps its id from being reused while the entry lives.
_MADE: dict[tuple, tuple[dict, object]] = {}
_MADE_MAX = 24
PRESENT_STYLE = {"control_size": 20, "head_size": 16}  # the player's buttons and loss markers on a projector


def _once(spec: dict, what, make):
    hit = _MADE.get((id(spec), what))
    if hit is not None and hit[0] is spec:
        return hit[1]
    value = make()
    while len(_MADE) >= _MADE_MAX:  # oldest first (dicts keep insertion order)
        _MADE.pop(next(iter(_MADE)))
    _MADE[(id(spec), what)] = (spec, value)
    return value


def encoded(spec: dict) -> bytes:
    """``spec`` as JSON bytes (``json.dumps``, as Streamlit would send it), encoded once per spec object."""
    return _once(spec, "json", lambda: json.dumps(spec).encode("utf-8"))


def projected(spec: dict, map_height: int | None = None, loss_height: int | None = None, **style) -> dict:
    """``spec`` for presentation mode (charts.common.for_projector on both figures, :data:`PRESENT_STYLE` and
    ``style`` for the controls), made once per spec object; ``spec`` itself is not modified."""
    style = {**PRESENT_STYLE, **style}

    def make():
        mfig = for_projector(spec["map"], height=map_height)
        # The status lines the player rewrites at every step (a moons panel's "epoch e: loss …") are as large as
        # the controls' text: ~13 px on a 1920 projector before, now the controls' size (20 px).
        texts = {t["annotation"] for t in spec.get("texts") or []}
        if texts:
            notes = list(mfig["layout"].get("annotations") or [])
            for j in texts:
                font = dict(notes[j].get("font") or {})
                font["size"] = max(font.get("size") or 0, style["control_size"])
                notes[j] = {**notes[j], "font": font}
            mfig = {**mfig, "layout": {**mfig["layout"], "annotations": notes}}
        # A grid of maps (moons) is laid out by the player for its width (charts.moons.map_grid), not map_height.
        return restyled(spec, mfig, for_projector(spec["loss"], height=loss_height), style=style)

    return _once(spec, ("present", map_height, loss_height, tuple(sorted(style.items()))), make)


def race_player(spec: dict, key: str, height: int = 760, present: dict | None = None):
    """Draw the player for ``spec`` (charts.player.player_spec / frames_spec); returns the last map click or None.

    In presentation mode the spec is :func:`projected` with ``present`` (map_height, loss_height, style keys). The
    spec travels as bytes (a component's bytes argument is not re-encoded by Streamlit on every run), with its id
    beside it so the browser decodes it only when the spec changes (charts/player_assets/bridge.js)."""
    if present_mode():
        spec = projected(spec, **(present or {}))
    return _player(spec=encoded(spec), spec_id=spec.get("id"), key=key, default=None, height=height)
