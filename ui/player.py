"""The race player as a Streamlit custom component (an iframe served by this app).

``charts/player_assets/`` holds the page (index.html, player.js, player.css, bridge.js); plotly.js is served
from the plotly package itself (``plotly/package_data/plotly.min.js``) through a second component path, so
the browser loads everything from the app's own host and nothing from a CDN. The component returns the
point clicked on the map (``{"pick": [x, y], "n": count}``), nothing else: play, pause, step, scrub, speed
and overlays stay in the browser.
"""
from __future__ import annotations

from pathlib import Path

import plotly
import streamlit.components.v1 as components

from charts.player import ASSETS

_player = components.declare_component("race_player", path=str(ASSETS))
# Serves plotly.min.js (4.8 MB, cached by the browser) at /component/ui.player.plotlyjs/plotly.min.js.
_plotlyjs = components.declare_component("plotlyjs", path=str(Path(plotly.__file__).parent / "package_data"))


def race_player(spec: dict, key: str, height: int = 760):
    """Draw the player for ``spec`` (charts.player.player_spec); returns the last map click or None."""
    return _player(spec=spec, key=key, default=None, height=height)
