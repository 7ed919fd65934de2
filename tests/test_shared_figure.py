"""ui.shared_figure: a figure serialised once sends, through st.plotly_chart itself, the same bytes as the
plain figure (a Streamlit or plotly upgrade that changes this path fails here)."""
import json

import plotly.graph_objects as go
import plotly.io as pio
from streamlit.testing.v1 import AppTest

from ui.shared_figure import SharedFigure


def _chart_app(kind):
    """Three charts: the plain figures, or the same figures as SharedFigures (kind)."""
    import plotly.graph_objects as go
    import streamlit as st

    from charts.race import Prebuilt
    from ui.shared_figure import SharedFigure

    fig = go.Figure(go.Scatter(x=[0, 1, 2], y=[1.5, -2, 3], name="a</script><b>", line=dict(color="#123456")))
    fig.update_layout(width=640, height=410, title="x / y < z")
    plain = {"data": [{"type": "heatmap", "z": [[0.25, 0.5], [1, 2]], "name": "h"}], "layout": {"height": 300}}
    st.plotly_chart(fig if kind == "plain" else SharedFigure(fig), key="fig", width="content", height="content")
    st.plotly_chart(plain if kind == "plain" else SharedFigure(plain), key="dict")
    raw = {"data": [{"type": "scatter", "x": [1, 2], "y": [3, 4]}], "layout": {"meta": {"path_stride": 2}}}
    st.plotly_chart(Prebuilt(raw) if kind == "plain" else SharedFigure(raw, validate=False), key="raw",
                    on_select="rerun", selection_mode=("points",))


def test_shared_figure_sends_what_plotly_chart_sends_for_the_plain_figure():
    """Byte for byte, through st.plotly_chart itself (a Streamlit upgrade changing its path fails here)."""
    out = {}
    for kind in ("plain", "shared"):
        at = AppTest.from_function(_chart_app, args=(kind,)).run()
        assert not at.exception
        out[kind] = {c.key: c.proto for c in at.get("plotly_chart")}
    assert out["shared"]["fig"].spec == out["plain"]["fig"].spec
    assert out["shared"]["dict"].spec == out["plain"]["dict"].spec  # validated (the theme's template added) as before
    assert out["shared"]["raw"].spec == out["plain"]["raw"].spec  # sent as it is, as charts.race.Prebuilt does
    assert "template" not in json.loads(out["shared"]["raw"].spec)["layout"]
    assert [p.id for p in out["shared"].values()] == [p.id for p in out["plain"].values()]  # same element ids
    assert "<b>" not in out["shared"]["fig"].spec and "\\u003cb\\u003e" in out["shared"]["fig"].spec  # escaped as before
    # Streamlit sizes a "content" chart from the layout: the stored layout keeps width and height.
    fig = SharedFigure(go.Figure(layout=dict(width=640, height=410)))
    assert fig.to_dict() == {"layout": {"width": 640, "height": 410}}
    # Everything else still goes through plotly.io.to_json as before.
    assert pio.to_json({"data": [], "layout": {"title": {"text": "t"}}}, validate=False) == \
        '{"data":[],"layout":{"title":{"text":"t"}}}'
    # figure() gives the dict back (for HTML exports).
    assert SharedFigure({"data": [], "layout": {"meta": {"path_stride": 2}}}, validate=False).meta == {"path_stride": 2}
    back = SharedFigure({"data": [{"type": "bar", "y": [1, 2]}], "layout": {"height": 300}}).figure()
    assert back["data"] == [{"type": "bar", "y": [1, 2]}] and back["layout"]["height"] == 300
