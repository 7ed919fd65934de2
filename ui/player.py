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

from charts.player import ASSETS

_player = components.declare_component("race_player", path=str(ASSETS))
# Serves plotly.min.js (4.8 MB, cached by the browser) at /component/ui.player.plotlyjs/plotly.min.js.
_plotlyjs = components.declare_component("plotlyjs", path=str(Path(plotly.__file__).parent / "package_data"))


# id(spec) -> (spec, its JSON as UTF-8 bytes). The specs the pages draw are shared, read-only dicts (cached with
# st.cache_resource), so a class opening one link encodes each spec once instead of once per script run (a moons
# spec is ~2.5 MB: json.dumps took ~40 % of a warm moons run). Holding the spec keeps its id from being reused.
_ENCODED: dict[int, tuple[dict, bytes]] = {}
_ENCODED_MAX = 24


def encoded(spec: dict) -> bytes:
    """``spec`` as JSON bytes (``json.dumps``, as Streamlit would send it), encoded once per spec object."""
    hit = _ENCODED.get(id(spec))
    if hit is not None and hit[0] is spec:
        return hit[1]
    data = json.dumps(spec).encode("utf-8")
    while len(_ENCODED) >= _ENCODED_MAX:  # oldest first (dicts keep insertion order)
        _ENCODED.pop(next(iter(_ENCODED)))
    _ENCODED[id(spec)] = (spec, data)
    return data


def race_player(spec: dict, key: str, height: int = 760):
    """Draw the player for ``spec`` (charts.player.player_spec); returns the last map click or None.

    The spec travels as bytes (a component's bytes argument is not re-encoded by Streamlit on every run), with its
    id beside it so the browser decodes it only when the spec changes (charts/player_assets/bridge.js)."""
    return _player(spec=encoded(spec), spec_id=spec.get("id"), key=key, default=None, height=height)
