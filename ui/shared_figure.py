"""Figures serialised once and shared by every session: ``st.plotly_chart(SharedFigure(fig))``.

Why: ``st.plotly_chart`` turns its figure into JSON on every script run of every session
(``plotly.io.to_json``: ``json.dumps`` of the whole figure, then a ``str.replace`` pass that escapes
``/ < >`` for HTML). For the moons page that is ~2.6 MB per run, and a plain dict or a ``go.Figure`` is
also run through plotly's validator first (0.15–0.45 CPU-s per run together, load/results.md). A
:class:`SharedFigure` is validated and serialised **once**, by the same calls Streamlit makes
(``plotly.tools.return_figure_from_figure_or_data`` then ``plotly.io.to_json(…, validate=False)``), so the
bytes a browser receives are exactly the ones Streamlit would have produced; kept in
``st.cache_resource``, one object serves every session with the same settings.

How Streamlit is made to use the stored JSON: it calls ``figure.to_dict()`` on a ``go.Figure`` (taken
as already valid), then ``plotly.io.to_json(that_dict, validate=False)``. ``to_dict`` here returns a
:class:`Serialised` dict (only the layout's width/height, which Streamlit reads to size the element,
plus the JSON), and :func:`install` wraps ``plotly.io.to_json`` once per process so that it returns the
stored JSON for a ``Serialised`` and behaves exactly as before for everything else.
``tests/test_shared_figure.py`` checks, through ``st.plotly_chart`` itself, that the spec sent is
byte-identical to the plain path, so a Streamlit upgrade that changes this path fails a test.

A SharedFigure is immutable: it holds a ``str``, nothing a page could change for the others.
"""
from __future__ import annotations

import json
import threading

import plotly.graph_objects as go
import plotly.io as pio
import plotly.tools


class Serialised(dict):
    """What ``st.plotly_chart`` sees as the figure dict: ``{"layout": {width/height}}`` and ``.json``."""

    __slots__ = ("json",)


_lock = threading.Lock()
_original_to_json = None


def _to_json(fig, *args, **kwargs):
    if type(fig) is Serialised:
        return fig.json
    return _original_to_json(fig, *args, **kwargs)


def install() -> None:
    """Make ``plotly.io.to_json`` return a :class:`Serialised`'s stored JSON (once per process)."""
    global _original_to_json
    with _lock:
        if _original_to_json is None:
            _original_to_json = pio.to_json
            pio.to_json = _to_json


class SharedFigure(go.Figure):
    """A figure (``go.Figure`` or figure dict) serialised now, once; ``st.plotly_chart`` sends that JSON."""

    def __init__(self, fig, validate: bool = True):
        """``validate=False``: a dict is sent as it is, as ``st.plotly_chart(charts.race.Prebuilt(fig))``
        sends it (for figure dicts checked against the validator in the unit tests)."""
        super().__init__(_validate=False)
        install()
        # The exact calls st.plotly_chart makes: a Figure's to_dict(), or a dict validated into a Figure
        # (which also adds the theme's template), then to_json without validation.
        if validate or not isinstance(fig, dict):
            fig = plotly.tools.return_figure_from_figure_or_data(fig, validate_figure=True)
        self._json = _original_to_json(fig, validate=False)
        layout = fig.get("layout", {})
        self._light = Serialised({"layout": {k: layout[k] for k in ("width", "height") if k in layout}})
        self._light.json = self._json
        self._meta = layout.get("meta")

    @property
    def json(self) -> str:
        """The figure's JSON, exactly as ``st.plotly_chart`` sends it."""
        return self._json

    def to_dict(self):
        return self._light

    def to_plotly_json(self):
        return self._light

    @property
    def meta(self):
        """The figure's ``layout.meta`` (what a page reads back, e.g. the race's path stride)."""
        return self._meta

    def figure(self) -> dict:
        """The figure as a plain dict again (a new one each call), e.g. for an HTML export."""
        return json.loads(self.json)

    @property
    def nbytes(self) -> int:
        return len(self.json)
