"""Presentation mode: one switch and ``present=1`` on every page, kept in the link; projector-sized text (CSS)
and figures (charts.common.for_projector: fonts >= 18 px in the figure dicts Streamlit sends); thicker paths
and outlined markers; the sidebar collapsed by the link. And the race's ``frame=`` link parameter."""
import json
import re

import pytest

from charts.common import PROJECTOR_MIN_FONT, for_projector
from charts.race import frame_steps
from tests.helpers import chart_spec, open_app_page, shown
from ui.presets import PRESETS
from ui.page_state import PRESENT_CSS, PRESENT_FONT_PX

PAGES = {  # page file -> URL parameters that keep the page light in a test
    "app_pages/home.py": {},
    "app_pages/race.py": {},
    "app_pages/learning_rate.py": {},
    "app_pages/moons.py": {"epochs": "10"},
    "app_pages/inspector.py": {},
    "app_pages/compare.py": {},
    "app_pages/theory.py": {},
    "app_pages/maths.py": {},
}


def font_sizes(node, path=""):
    """(path, size) of every visible font size stated in a figure dict (frames included)."""
    if isinstance(node, dict):
        if "bdata" in node:
            return
        for k, v in node.items():
            if k.endswith("font") and isinstance(v, dict) and "size" in v:
                colour = str(v.get("color", "")).replace(" ", "")
                if colour not in ("rgba(0,0,0,0)", "transparent"):
                    yield f"{path}.{k}", v["size"]
            yield from font_sizes(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from font_sizes(v, f"{path}[{i}]")


def check_projector_figure(spec):
    """The rules of presentation mode, on the JSON Streamlit sends."""
    layout = spec["layout"]
    small = [(p, s) for p, s in font_sizes(spec) if s < PROJECTOR_MIN_FONT]
    assert not small, small[:5]
    assert layout["font"]["size"] >= 18 and layout["legend"]["font"]["size"] >= 18
    for key in [k for k in layout if re.fullmatch(r"[xy]axis\d*", k)]:
        assert layout[key]["tickfont"]["size"] >= 18, key
    title = layout.get("title")
    if isinstance(title, dict) and title.get("text"):
        assert title["font"]["size"] > 18  # titles larger than the rest
    inline = [int(m) for m in re.findall(r"font-size:\s*(\d+)px", json.dumps(spec))]
    assert all(px >= 18 for px in inline), inline


@pytest.mark.parametrize("page_file", sorted(PAGES))
def test_present_on_every_page(page_file):
    at = open_app_page(page_file, present="1", **PAGES[page_file])
    assert at.query_params["present"] == "1"  # read, and kept in the page's link
    assert at.toggle(key="present_mode").value is True
    css = [h.proto.body for h in at.get("html") if "font-size" in h.proto.body]
    assert css and PRESENT_CSS in css
    charts = figures(at)
    if page_file != "app_pages/maths.py":
        assert charts, page_file
    for c in charts:
        check_projector_figure(c)
    from tests.helpers import player_spec
    if player_spec(at):  # the player's own buttons and loss markers are projector-sized too (ui.player.projected)
        assert player_spec(at)["style"]["control_size"] >= 20 and player_spec(at)["style"]["head_size"] >= 16
    # Switched off: the parameter leaves the link and the figures are the page's own again.
    at.toggle(key="present_mode").set_value(False).run()
    assert "present" not in at.query_params and not [h for h in at.get("html") if h.proto.body == PRESENT_CSS]
    if charts:
        sizes = [s for c in figures(at) for _, s in font_sizes(c)]
        assert min(sizes) < PROJECTOR_MIN_FONT  # the normal figures have their smaller fonts back


def figures(at):
    """Every figure dict the page sends: its plotly charts, and the race player's map and loss chart."""
    from tests.helpers import player_spec
    out = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    spec = player_spec(at)
    return out + ([spec["map"], spec["loss"]] if spec else [])


def test_present_css_sizes():
    """Body text is the root size (20 px); captions and widget labels at least 18 px."""
    assert PRESENT_FONT_PX >= 18 and f"html {{ font-size: {PRESENT_FONT_PX}px; }}" in PRESENT_CSS
    assert "max(0.9rem, 18px)" in PRESENT_CSS and 0.9 * PRESENT_FONT_PX >= 18
    # a metric's value is a paragraph too: it keeps a size above the body text's (it fell to 20 px once)
    metric = re.search(r'stMetricValue.*?font-size: ([0-9.]+)rem', PRESENT_CSS)
    assert metric and float(metric[1]) * PRESENT_FONT_PX > 2 * PRESENT_FONT_PX


def test_present_stays_in_the_link_across_pages_and_preset_links():
    at = open_app_page("app_pages/race.py", present="1")
    at.switch_page("app_pages/home.py").run()
    assert at.query_params.get("present") == "1"
    # The slide links of the home page open in presentation mode as well.
    text = "\n".join(m.value for m in at.expander[0].markdown)
    assert text.count("&present=1`") == text.count("`") // 2 == len(PRESETS)
    at.switch_page("app_pages/maths.py").run()
    assert at.query_params.get("present") == "1" and at.query_params.get("opt")
    # The switch by hand: on without a link, and written into it.
    at2 = open_app_page("app_pages/race.py")
    assert "present" not in at2.query_params and at2.toggle(key="present_mode").value is False
    at2.toggle(key="present_mode").set_value(True).run()
    assert at2.query_params["present"] == "1" and at2.query_params["o1"]
    check_projector_figure(chart_spec(at2, "race_chart"))


@pytest.mark.parametrize("bad", ["yes", "2", "[x](http://e.vil)"])
def test_bad_present_value_is_a_notice_and_changes_nothing(bad):
    at = open_app_page("app_pages/race.py", present=bad, steps="120")
    notes = [shown(w.value) for w in at.warning if "present" in w.value]
    assert len(notes) == 1 and f"present={bad}" in notes[0] and "not 0 or 1" in notes[0], notes
    assert at.toggle(key="present_mode").value is False and "present" not in at.query_params
    assert at.query_params["steps"] == "120"  # the rest of the link is kept


def test_present_0_turns_it_off():
    at = open_app_page("app_pages/race.py", present="1")
    at.query_params["present"] = "0"
    at.run()
    assert at.toggle(key="present_mode").value is False and "present" not in at.query_params


def test_race_map_in_present_mode_is_taller_with_thicker_paths():
    normal = chart_spec(open_app_page("app_pages/race.py"), "race_chart")
    big = chart_spec(open_app_page("app_pages/race.py", present="1"), "race_chart")
    assert big["layout"]["height"] > normal["layout"]["height"]
    widths = lambda s: [t["line"]["width"] for t in s["data"] if t.get("mode") == "lines"]  # noqa: E731
    assert min(widths(big)) >= 1.5 * min(widths(normal)) and min(widths(big)) >= 3
    heads = lambda s: [t["marker"] for t in s["data"] if t.get("mode") == "markers" and t["marker"].get("opacity", 1)]  # noqa: E731
    assert all(m["line"]["width"] >= 1.5 for m in heads(big))
    # The player gets the same steps: the same per-step arrays, only the figures' style differs.
    assert big["player_runs"] == normal["player_runs"] and big["player_steps"] == normal["player_steps"]


# --------------------------------------------------------------------------- #
# for_projector on its own                                                      #
# --------------------------------------------------------------------------- #
def test_for_projector_on_a_plain_figure():
    import copy

    import plotly.graph_objects as go

    fig = {"data": [{"type": "scatter", "mode": "lines+markers", "x": [0, 1], "y": [1, 0], "line": {"width": 2},
                     "marker": {"size": 8, "symbol": "circle-open", "color": "red"}},
                    {"type": "heatmap", "z": [[1, 2], [3, 4]], "colorbar": {"tickfont": {"size": 10}}}],
           "layout": {"title": "A title", "xaxis": {"title": "x"}, "yaxis2": {"tickfont": {"size": 9}},
                      "annotations": [{"text": "note", "font": {"size": 11}}],
                      "sliders": [{"font": {"size": 10, "color": "rgba(0,0,0,0)"}}],
                      "margin": {"l": 50, "t": 30}},
           "frames": [{"name": "1", "data": [{"line": {"width": 2}}], "traces": [0]}]}
    before = copy.deepcopy(fig)
    out = for_projector(fig, height=700)
    assert fig == before  # a cached, shared figure is never changed
    go.Figure(out)  # valid for Plotly's validator
    check_projector_figure(out)
    assert out["layout"]["title"]["font"]["size"] >= 26 and out["layout"]["height"] == 700
    assert out["data"][0]["line"]["width"] >= 3.2 and out["frames"][0]["data"][0]["line"]["width"] >= 3.2
    assert out["data"][0]["marker"]["line"]["width"] >= 2.5 and "color" not in out["data"][0]["marker"]["line"]
    assert out["data"][1]["colorbar"]["tickfont"]["size"] >= 18
    assert out["layout"]["sliders"][0]["font"]["size"] == 10  # the race's hidden slider labels stay hidden
    assert out["layout"]["margin"]["l"] > 50


def test_race_figures_through_for_projector_validate():
    import plotly.graph_objects as go

    at = open_app_page("app_pages/race.py", present="1")
    for key in ("race_chart", "race_loss"):
        go.Figure(chart_spec(at, key))


# --------------------------------------------------------------------------- #
# frame= in race links                                                          #
# --------------------------------------------------------------------------- #
def caption_step(at):
    """The step the race player opens at (it shows "Step k of n" in the browser)."""
    from tests.helpers import player_spec
    return player_spec(at)["start_step"]


def test_default_race_opens_at_a_telling_frame():
    at = open_app_page("app_pages/race.py")
    assert caption_step(at) == 150 and at.query_params["frame"] == "150"
    spec = chart_spec(at, "race_chart")
    assert spec["player_steps"] == 300  # the player can still step to any step from there


def test_frame_link_round_trip():
    at = open_app_page("app_pages/race.py", frame="51", steps="300")
    assert caption_step(at) == 51 and at.query_params["frame"] == "51"
    again = open_app_page("app_pages/race.py", **dict(at.query_params))
    assert caption_step(again) == 51 and dict(again.query_params) == dict(at.query_params)
    exact = open_app_page("app_pages/race.py", frame="52", steps="300")
    assert caption_step(exact) == 52 and exact.query_params["frame"] == "52"  # every step, not only drawn frames


@pytest.mark.parametrize("bad", ["abc", "-3", "2.5", "301", "99999999999", "[x](http://e.vil)"])
def test_bad_frame_value(bad):
    at = open_app_page("app_pages/race.py", frame=bad, steps="300", noise="0.5")
    notes = [shown(w.value) for w in at.warning if "frame" in w.value]
    assert len(notes) == 1 and f"“{bad}”" in notes[0] and "opens at its end" in notes[0], notes
    assert caption_step(at) == 300 and "frame" not in at.query_params
    assert at.query_params["noise"] == "0.5"  # nothing else lost


# --------------------------------------------------------------------------- #
# Layout in presentation mode: legends below the plot, the inspector's map      #
# --------------------------------------------------------------------------- #
def check_legend_clear_of_axis_titles(spec):
    """A legend below the plot sits at the figure's bottom edge (container), where Plotly reserves its height and
    puts the axes' tick labels and titles above it; in paper units it fell on the enlarged "x" title (seen: the
    learning-rate fit chart at 1920×1080, the inspector's map at 1440×900)."""
    leg = spec["layout"].get("legend") or {}
    if spec["layout"].get("showlegend") is False or not leg:
        return
    y = leg.get("y", 1)
    if leg.get("yref", "paper") == "paper":
        assert y >= 0, leg                       # beside or above the plot, never hanging below it in paper units
    else:
        assert leg["yref"] == "container" and leg["y"] == 0 and leg["yanchor"] == "bottom", leg
    for key in [k for k in spec["layout"] if re.fullmatch(r"xaxis\d*", k)]:
        assert spec["layout"][key].get("automargin") is True, key   # tick labels and title stacked above it


def test_legends_below_the_plot_move_to_the_bottom_edge_in_present_mode():
    fig = {"data": [{"type": "scatter", "x": [0, 1], "y": [1, 0], "name": "a"},
                    {"type": "scatter", "x": [0, 1], "y": [0, 1], "name": "b"}],
           "layout": {"height": 400, "xaxis": {"title": {"text": "x"}},
                      "legend": {"orientation": "h", "x": 0, "y": -0.24, "yanchor": "top"}}}
    out = for_projector(fig)
    assert out["layout"]["legend"]["yref"] == "container" and fig["layout"]["legend"]["y"] == -0.24
    check_legend_clear_of_axis_titles(out)
    beside = {**fig, "layout": {**fig["layout"], "legend": {"x": 1.02, "y": 1}}}
    assert "yref" not in for_projector(beside)["layout"]["legend"]   # a legend beside the plot stays there


def test_inspector_and_learning_rate_figures_in_present_mode_keep_legends_off_the_axis_titles():
    at = open_app_page("app_pages/inspector.py", present="1")
    step_map = chart_spec(at, "insp_chart")
    check_legend_clear_of_axis_titles(step_map)
    # The map is tall enough to be large (≈575 px square above its legend, measured in Chromium; it was ≈210 px).
    from charts.inspector import PRESENT_HEIGHT
    assert step_map["layout"]["height"] == PRESENT_HEIGHT >= 800
    normal = chart_spec(open_app_page("app_pages/inspector.py"), "insp_chart")
    assert step_map["layout"]["height"] > normal["layout"]["height"]
    at = open_app_page("app_pages/learning_rate.py", present="1")
    for key in ("lr_fit_chart_0", "lr_fit_chart_2", "lr_surface_chart", "lr_loss_chart"):
        check_legend_clear_of_axis_titles(chart_spec(at, key))
