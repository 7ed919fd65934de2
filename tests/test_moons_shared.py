"""The moons page shares one training and one set of serialised figures between sessions with the same
settings (st.cache_resource), and nothing shared can be changed by a page."""
import json

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from charts import moons as mc
from tests.helpers import open_app_page
from ui import moons_run as mr
from ui.shared_figure import SharedFigure

PAGE = "app_pages/moons.py"
CHARTS = ("moons_loss_chart", "moons_multiples_chart", "moons_boundary_chart")


def specs(at) -> dict:
    return {c.key: c.proto.spec for c in at.get("plotly_chart") if c.key in CHARTS}


@pytest.fixture()
def counted(monkeypatch):
    """Count the figure builds and the trainings (module attributes: the page looks them up at call time)."""
    calls = {"figures": 0, "train": 0}
    page_figures, train = mc.page_figures, mr.train

    def counting_figures(*a, **k):
        calls["figures"] += 1
        return page_figures(*a, **k)

    def counting_train(*a, **k):
        calls["train"] += 1
        return train(*a, **k)

    monkeypatch.setattr(mc, "page_figures", counting_figures)
    monkeypatch.setattr(mr, "train", counting_train)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield calls
    st.cache_resource.clear()


def test_a_second_session_with_the_same_settings_reuses_the_shared_figures(counted):
    first = open_app_page(PAGE, epochs="4", seed="7")
    assert counted == {"figures": 1, "train": 1}
    second = open_app_page(PAGE, epochs="4", seed="7")
    assert counted == {"figures": 1, "train": 1}  # no new training and no new figure for the second session
    assert specs(second) == specs(first) and len(specs(first)) == 3  # the same bytes sent
    second.run()  # a rerun does not rebuild either
    assert counted == {"figures": 1, "train": 1}
    # Other settings: a new training and new figures; the log toggle only new figures.
    open_app_page(PAGE, epochs="4", seed="8")
    assert counted == {"figures": 2, "train": 2}
    open_app_page(PAGE, epochs="4", seed="7", log="false")
    assert counted == {"figures": 3, "train": 2}


def test_the_shared_result_and_figures_are_read_only(counted):
    at = open_app_page(PAGE, epochs="4", seed="7")
    key = at.session_state["moons_key"]
    result = mr.train_cached(key)  # a cache hit: the object every session gets
    assert mr.train_cached(key) is result
    assert counted["train"] == 1
    arrays = [result["X"], result["y"], *result["grid"]]
    for run in result["runs"]:
        arrays += [run.maps, run.snapshot_epochs, *run.history.values()]
    assert len(arrays) > 4 + 8 * 3
    assert all(isinstance(a, np.ndarray) and not a.flags.writeable for a in arrays)
    with pytest.raises(ValueError, match="read-only"):
        result["runs"][0].maps[0, 0, 0] = 0.5
    with pytest.raises(ValueError, match="read-only"):
        result["runs"][0].history["loss"][0] = 0.0
    # Drawing the figures recolours copies, never the shared runs.
    assert all(r.color is None for r in result["runs"])
    # The figures: stored JSON (a str), the same object for every session with these settings.
    colors = tuple(t["line"]["color"] for t in json.loads(specs(at)["moons_loss_chart"])["data"])
    assert len(colors) == 8
    out = mr.cached_outputs(key, colors, True, None)  # a hit (the result argument is not used then)
    assert mr.cached_outputs(key, colors, True, None) is out
    assert all(isinstance(f, SharedFigure) and isinstance(f.json, str) for f in out["figs"])
    assert specs(at)["moons_boundary_chart"] == out["figs"][2].json
    assert counted["figures"] == 1


def _chart_app(kind):
    """A one-chart app: the plain figure, or the same figure as a SharedFigure (kind)."""
    import plotly.graph_objects as go
    import streamlit as st

    from ui.shared_figure import SharedFigure

    fig = go.Figure(go.Scatter(x=[0, 1, 2], y=[1.5, -2, 3], name="a</script><b>", line=dict(color="#123456")))
    fig.update_layout(width=640, height=410, title="x / y < z")
    plain = {"data": [{"type": "heatmap", "z": [[0.25, 0.5], [1, 2]], "name": "h"}], "layout": {"height": 300}}
    st.plotly_chart(fig if kind == "plain" else SharedFigure(fig), key="fig", width="content", height="content")
    st.plotly_chart(plain if kind == "plain" else SharedFigure(plain), key="dict")


def test_shared_figure_sends_what_plotly_chart_sends_for_the_plain_figure():
    """Byte for byte, through st.plotly_chart itself (a Streamlit upgrade changing its path fails here)."""
    out = {}
    for kind in ("plain", "shared"):
        at = AppTest.from_function(_chart_app, args=(kind,)).run()
        assert not at.exception
        out[kind] = {c.key: c.proto for c in at.get("plotly_chart")}
    assert out["shared"]["fig"].spec == out["plain"]["fig"].spec
    assert out["shared"]["dict"].spec == out["plain"]["dict"].spec  # validated (the theme's template added) as before
    assert "<b>" not in out["shared"]["fig"].spec and "\\u003cb\\u003e" in out["shared"]["fig"].spec  # escaped as before
    # Streamlit sizes a "content" chart from the layout: the stored layout keeps width and height.
    fig = SharedFigure(go.Figure(layout=dict(width=640, height=410)))
    assert fig.to_dict() == {"layout": {"width": 640, "height": 410}}
    # Everything else still goes through plotly.io.to_json as before.
    assert pio.to_json({"data": [], "layout": {"title": {"text": "t"}}}, validate=False) == \
        '{"data":[],"layout":{"title":{"text":"t"}}}'
    # figure() gives the dict back (for HTML exports).
    back = SharedFigure({"data": [{"type": "bar", "y": [1, 2]}], "layout": {"height": 300}}).figure()
    assert back["data"] == [{"type": "bar", "y": [1, 2]}] and back["layout"]["height"] == 300
