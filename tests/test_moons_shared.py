"""The moons page shares one training and one set of serialised figures between sessions with the same
settings (st.cache_resource), and nothing shared can be changed by a page."""
import json

import numpy as np
import pytest
import streamlit as st

from charts import moons as mc
from tests.helpers import open_app_page, player_spec_json
from ui import moons_run as mr
from ui.shared_figure import SharedFigure

PAGE = "app_pages/moons.py"
# The small multiples, one figure per network; the maps and loss curves are drawn by the player (its spec below).
CHARTS = tuple(f"moons_multiples_chart_{i}" for i in range(8))


def specs(at) -> dict:
    out = {c.key: c.proto.spec for c in at.get("plotly_chart") if c.key in CHARTS}
    found = [c for c in at.get("component_instance") if c.proto.component_name == "ui.player.race_player"]
    if found:
        out["player"] = player_spec_json(found[0])
    return out


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
    assert specs(second) == specs(first) and len(specs(first)) == 1 + 8  # the same bytes sent (player + multiples)
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
    colors = tuple(r["color"] for r in json.loads(specs(at)["player"])["runs"])
    assert len(colors) == 8
    out = mr.cached_outputs(key, colors, True, None)  # a hit (the result argument is not used then)
    assert mr.cached_outputs(key, colors, True, None) is out
    assert all(isinstance(f, SharedFigure) and isinstance(f.json, str) for f in out["figs"])
    assert [specs(at)[k] for k in CHARTS] == [f.json for f in out["figs"]]
    assert json.loads(specs(at)["player"]) == out["player"]  # the shared dict, sent as it is (bytes, encoded once)
    assert counted["figures"] == 1


def test_a_shared_player_spec_is_encoded_once_and_sent_as_those_bytes():
    """The player's spec goes to the browser as a bytes argument encoded once per shared spec object (not
    json.dumps'd by Streamlit on every script run of every session); a new spec object is encoded anew."""
    from ui import player

    spec = {"id": "abc", "runs": [{"x": [0.5, 1.0]}]}
    first = player.encoded(spec)
    assert json.loads(first) == spec
    assert player.encoded(spec) is first  # the same object: not encoded again
    other = dict(spec, id="abd")
    assert json.loads(player.encoded(other))["id"] == "abd"
    for i in range(player._MADE_MAX + 5):  # bounded: the oldest specs are dropped
        player.encoded({"id": str(i)})
    assert len(player._MADE) <= player._MADE_MAX


def test_a_shared_spec_is_projected_once_for_presentation_and_left_unchanged():
    """Presentation mode's copy of a shared player spec (bigger controls and markers, projector figures) is made
    once per spec object, never by changing the shared one, and gets its own id so the player redraws."""
    import copy

    from ui import player

    spec = {"id": "s1", "style": {"control_size": 15, "head_size": 12},
            "map": {"data": [], "layout": {"height": 500}}, "loss": {"data": [], "layout": {"height": 400}}}
    before = copy.deepcopy(spec)
    shown = player.projected(spec, map_height=860, arrow_width=3.5)
    assert player.projected(spec, map_height=860, arrow_width=3.5) is shown  # made once
    assert spec == before  # the shared spec is untouched
    assert shown["style"] == {"control_size": 20, "head_size": 16, "arrow_width": 3.5}
    assert shown["map"]["layout"]["height"] == 860 and shown["id"] != spec["id"]
    assert player.projected(spec) is not shown  # other settings, another copy
