"""AppTest (browser-less) tests of the Optimizer race page."""
import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from charts.common import PATH_HALO
from charts.race import PICK_TRACE
from tests.helpers import decode as decode_array, shown, chart_spec, open_app_page, open_editors

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
DEFAULT_URL = {"o1": "SGD;learning_rate=0.002", "o2": "SGD;learning_rate=0.001;momentum=0.9",
               "o3": "RMSprop;learning_rate=0.01", "o4": "Adam;learning_rate=0.1", "o5": "Lion;learning_rate=0.01"}


def open_race(**params):
    return open_app_page("app_pages/race.py", timeout=60, **params)


def chart(at, key="race_chart"):
    return chart_spec(at, key)



def decode(b):
    return decode_array(b, float)


def decode_run(run, key, dtype="<f8"):
    """One of a player run's arrays (positions and losses are float64, overlay vectors float32)."""
    import base64
    return np.frombuffer(base64.b64decode(run[key]), dtype)


def paths(spec):
    return {t["name"]: np.stack([decode(t["x"]), decode(t["y"])], axis=-1)
            for t in spec["data"] if t.get("mode") == "lines" and t["line"]["color"] != PATH_HALO}


def warnings(at):
    return " ".join(shown(w.value) for w in at.warning)


def errors(at):
    return " ".join(shown(e.value) for e in at.error)


def start_of(at):
    land = at.selectbox(key="race_land").value
    return at.number_input(key=f"race_sx_{land}").value, at.number_input(key=f"race_sy_{land}").value




@pytest.fixture(scope="module")
def default_at():
    return open_race()


# --------------------------------------------------------------------------- #
def test_default_run(default_at):
    at = default_at
    spec = chart(at)
    assert spec["player_steps"] == 300  # the player gets every step of every run
    assert [len(decode_run(r, "x")) for r in spec["player_runs"]] == [301] * 5
    assert spec["layout"]["images"][0]["source"].startswith("data:image/png;base64,")
    assert len(paths(spec)) == 5
    assert spec["layout"]["legend"]["title"]["text"] == "Rosenbrock"  # the map's heading (charts.race.race_figure)
    assert dict(at.query_params) == {**DEFAULT_URL, "frame": "150"}  # a shareable link, at the opening frame
    assert not at.warning and not at.error
    assert start_of(at) == (-1.2, 1.0)
    assert len(at.dataframe[0].value) == 5
    assert chart(at, "race_loss")["layout"]["yaxis"]["type"] == "log"


def test_change_a_learning_rate():
    at = open_editors(open_race())
    before = paths(chart(at))
    at.select_slider(key="race_o4_Adam_keras_learning_rate").set_value(0.01).run()
    assert not at.exception
    assert at.query_params["o4"] == "Adam;learning_rate=0.01"
    after = paths(chart(at))
    assert "Adam (lr 0.01)" in after and "Adam (lr 0.1)" not in after
    assert before["Adam (lr 0.1)"].shape != after["Adam (lr 0.01)"].shape or \
        not np.allclose(before["Adam (lr 0.1)"], after["Adam (lr 0.01)"])
    assert np.array_equal(before["RMSprop (lr 0.01)"], after["RMSprop (lr 0.01)"])  # others unchanged


def test_add_and_remove_optimizers():
    at = open_editors(open_race())
    at.button(key="race_add").click().run()
    assert not at.exception
    assert len(paths(chart(at))) == 6 and "o6" in at.query_params
    assert at.query_params["o6"].startswith("Nadam")  # the first of the add order whose class is not racing yet
    at.button(key="race_rm1").click().run()  # remove plain SGD
    names = list(paths(chart(at)))
    assert len(names) == 5 and "SGD (lr 0.002)" not in names
    assert at.query_params["o1"] == "SGD;learning_rate=0.001;momentum=0.9"
    for _ in range(3):
        at.button(key="race_add").click().run()
    assert len(paths(chart(at))) == 8 and at.button(key="race_add").disabled  # at most eight
    colours = [t["line"]["color"] for t in chart(at)["data"] if t.get("mode") == "lines" and t["line"]["color"] != PATH_HALO]
    assert len(set(colours)) == 8  # each optimizer keeps its own colour


def test_switch_landscape():
    at = open_race()
    at.selectbox(key="race_land").set_value("himmelblau").run()
    assert not at.exception
    spec = chart(at)
    assert spec["layout"]["legend"]["title"]["text"] == "Himmelblau"
    assert at.query_params["land"] == "himmelblau"
    minima = next(t for t in spec["data"] if t.get("name") == "minimum")
    assert len(minima["x"]) == 4
    assert start_of(at) == (0.0, 0.0)
    at.selectbox(key="race_land").set_value("regression").run()
    assert not at.exception and chart(at)["layout"]["xaxis"]["title"]["text"] == "slope w"


def test_custom_formula_good_then_bad():
    at = open_race(land="custom")
    assert not at.error
    at.text_input(key="race_expr").set_value("x**2 + 10*y**2").run()
    good = chart(at)
    assert not at.error and at.query_params["expr"] == "x**2 + 10*y**2"
    at.text_input(key="race_expr").set_value("x^2 + y").run()
    assert not at.exception
    assert "**" in errors(at) and "x**2 + 10*y**2" in errors(at)
    assert at.text_input(key="race_expr").value == "x^2 + y"  # the user's text is kept
    bad = chart(at)
    assert bad["layout"]["images"][0]["source"] == good["layout"]["images"][0]["source"]  # last valid formula
    assert at.query_params["expr"] == "x**2 + 10*y**2"
    at.text_input(key="race_expr").set_value("__import__('os')").run()
    assert not at.exception and at.error


def test_custom_formula_bad_from_the_link_uses_the_default():
    at = open_race(land="custom", expr="sin(x) +* y")
    assert at.error and at.text_input(key="race_expr").value == "sin(x) +* y"
    assert "expr" not in at.query_params  # the chart shows the default formula
    assert chart(at)["player_runs"]


def test_good_url_params_are_applied():
    at = open_race(land="beale", steps="120", noise="0.5", seed="3", sched="CosineDecay", sched_steps="50",
                   sched_rate="0.2", wd="0.001", clip="clipnorm", clipv="0.5", start="1,1",
                   o1="Adam;flavor=textbook;learning_rate=0.05", o2="Lion;learning_rate=0.003")
    assert not at.warning and not at.error
    assert at.selectbox(key="race_land").value == "beale"
    assert at.number_input(key="race_steps").value == 120
    assert at.number_input(key="race_noise").value == 0.5 and at.number_input(key="race_seed").value == 3
    assert at.selectbox(key="race_sched").value == "CosineDecay"
    assert at.number_input(key="race_sched_steps").value == 50 and at.number_input(key="race_clipv").value == 0.5
    assert at.selectbox(key="race_clip").value == "clipnorm" and at.number_input(key="race_wd").value == 0.001
    assert start_of(at) == (1.0, 1.0)
    open_editors(at)  # the flavour is in the optimizers' box
    assert at.radio(key="race_o1_Adam_flavor").value == "textbook"
    spec = chart(at)
    assert spec["player_steps"] == 120 and len(paths(spec)) == 2
    assert all(np.allclose(p[0], (1, 1)) for p in paths(spec).values())
    assert at.query_params["o1"] == "Adam;flavor=textbook;learning_rate=0.05"
    at3 = open_race(view="3d")
    spec3 = chart(at3, "race_chart3d")
    assert spec3["data"][0]["type"] == "surface" and "scatter3d" in {t["type"] for t in spec3["data"]}
    # The 3-D view is animated by the same player: every run's heights on the surface, one per step.
    from tests.helpers import player_spec
    p3 = player_spec(at3)
    assert p3["kind"] == "3d" and p3["overlays"] == [] and p3["pick_trace"] is None
    assert [len(decode_run(r, "z", "<f4")) for r in p3["runs"]] == [301] * 5


# Bad values from a tampered link, grouped so that each group is one page load; every one must get its own
# notice and fall back to its default.
BAD_GROUPS = [
    {"land": "narnia", "steps": "abc", "noise": "-1", "seed": "1.5", "sched": "Sometimes", "sched_steps": "0",
     "sched_rate": "fast", "wd": "-0.1", "clip": "scissors", "clipv": "0", "view": "4d", "start": "99,99",
     "o1": "Nope;learning_rate=0.1", "o9": "Adam"},
    {"steps": "5000", "start": "1", "o1": "Adam;learning_rate=-1", "o2": "Adam;beta_9=0.5"},
    {"steps": "0", "start": "nan,1", "noise": "1e999"},
]
DEFAULTS = {"land": ("selectbox", "race_land", "rosenbrock"), "steps": ("number_input", "race_steps", 300),
            "noise": ("number_input", "race_noise", 0.0), "seed": ("number_input", "race_seed", 0),
            "sched": ("selectbox", "race_sched", "none"), "sched_steps": ("number_input", "race_sched_steps", 100),
            "sched_rate": ("number_input", "race_sched_rate", 0.1), "wd": ("number_input", "race_wd", 0.0),
            "clip": ("selectbox", "race_clip", "none"), "clipv": ("number_input", "race_clipv", 1.0),
            "view": ("radio", "race_view", "2d")}


@pytest.mark.parametrize("params", BAD_GROUPS, ids=["most", "ranges", "zero-nan"])
def test_bad_url_params_show_a_notice_each_and_use_the_defaults(params):
    at = open_race(**params)
    notices = [shown(w.value) for w in at.warning]
    for name, value in params.items():
        assert any(f"Ignored {name} = " in n or f"Ignored {name} " in n or f"optimizer {name} = " in n for n in notices), (name, notices)
        if name in DEFAULTS:
            kind, key, default = DEFAULTS[name]
            assert getattr(at, kind)(key=key).value == default, name
    assert start_of(at) == (-1.2, 1.0)
    assert len(paths(chart(at))) == 5  # no usable optimizer in the link: the default line-up races
    assert chart(at)["player_runs"]
    assert "start" not in at.query_params and "land" not in at.query_params


def test_clicking_the_map_moves_the_start():
    at = open_race()
    at.session_state["race_player"] = {"pick": [0.5, 0.25], "n": 1}  # what the player returns for a map click
    at.run()
    assert not at.exception
    assert start_of(at) == (0.5, 0.25)
    assert at.query_params["start"] == "0.5,0.25"
    spec = chart(at)
    assert all(np.allclose(p[0], (0.5, 0.25)) for p in paths(spec).values())
    start = next(t for t in spec["data"] if t.get("name") == "start")
    assert (start["x"], start["y"]) == ([0.5], [0.25])
    at.run()  # the same click again: one-shot, nothing changes
    assert start_of(at) == (0.5, 0.25)
    # A click outside the landscape's bounds does not move the start.
    at.session_state["race_player"] = {"pick": [99.0, 0.0], "n": 2}
    at.run()
    assert start_of(at) == (0.5, 0.25)


def test_diverging_learning_rate_is_reported():
    at = open_race(o1="SGD;learning_rate=0.05", o2="Adam;learning_rate=0.05")
    assert not at.exception
    assert "diverged at step" in warnings(at)
    names = list(paths(chart(at)))
    assert any("diverged at step" in n for n in names) and "Adam (lr 0.05)" in names
    table = at.dataframe[0].value
    assert table["diverged"].str.startswith("diverged at step").sum() == 1


def test_the_player_gets_every_engine_step_and_the_inspectors_overlay_numbers():
    """Stepping happens in the browser, so the spec must hold the engine's numbers for every step: positions and
    losses bit for bit (float64), and the overlay vectors as the step inspector computes them."""
    import optimizers
    from optimizers.explain import explain_step
    from ui.compute import run_path
    from ui.landscape_picker import get_land
    from ui.settings import OptChoice

    at = open_race(steps="100", o1="SGD;learning_rate=0.001;momentum=0.9", o2="Adam;learning_rate=0.1",
                   o3="Lion;learning_rate=0.01")
    spec = chart(at)
    assert spec["player_steps"] == 100
    runs = spec["player_runs"]
    lines = [("SGD", (("learning_rate", 0.001), ("momentum", 0.9))), ("Adam", (("learning_rate", 0.1),)),
             ("Lion", (("learning_rate", 0.01),))]
    for run, (name, params) in zip(runs, lines):
        opt = optimizers.get(name, **dict(params))
        traj = optimizers.run(opt, get_land("rosenbrock", None), start=np.array([-1.2, 1.0]), steps=100,
                              record="full")
        P = np.stack([decode_run(run, "x"), decode_run(run, "y")], axis=-1)
        assert np.array_equal(P, traj.params)
        assert np.array_equal(decode_run(run, "loss"), traj.loss)
        for k in (0, 1, 37, 99):  # the inspector's numbers for update k+1, as drawn (float32)
            ex = explain_step(traj, k)
            grad = decode_run(run["ov"], "grad", "<f4").reshape(-1, 2)[k]
            step = decode_run(run["ov"], "step", "<f4").reshape(-1, 2)[k]
            mom = decode_run(run["ov"], "momentum", "<f4").reshape(-1, 2)[k]
            assert np.array_equal(grad, (-ex.g).astype("<f4"))
            assert np.array_equal(step, ex.step.astype("<f4"))
            assert np.array_equal(mom, np.asarray(ex.momentum_arrow[1]).astype("<f4")), (name, k)
    assert "second" in runs[1]["ov"] and "second" not in runs[0]["ov"]  # Adam's v; SGD has no second moment
    assert runs[2]["sign_step"] and not runs[0]["sign_step"]  # Lion: the step is its sign step
    assert {"grad", "momentum", "step", "second"} <= set(at_spec_overlays(at))
    assert "Speed goes from 0.1× to 10×" in " ".join(c.value for c in at.caption)


def at_spec_overlays(at):
    from tests.helpers import player_spec
    return player_spec(at)["overlays"]


def test_schedule_weight_decay_and_clipping_change_the_race():
    at = open_race(o1="SGD;learning_rate=0.001;momentum=0.9")
    base = paths(chart(at))["SGD (lr 0.001, μ 0.9)"]
    at.selectbox(key="race_sched").set_value("PiecewiseConstantDecay").run()
    at.number_input(key="race_sched_steps").set_value(20).run()
    assert at.query_params["sched"] == "PiecewiseConstantDecay"
    sched = paths(chart(at))["SGD (lr 0.001, μ 0.9)"]
    assert not np.allclose(base, sched)
    at.selectbox(key="race_clip").set_value("clipvalue").run()
    assert not at.exception and at.query_params["clip"] == "clipvalue"


def test_maths_links_and_exports(default_at):
    at = default_at
    labels = [b.label for b in at.get("download_button")] if at.get("download_button") else []
    assert any("Trajectories" in l for l in labels) and any("HTML" in l for l in labels)
    text = " ".join(str(e.proto) for e in at.get("page_link")) + " ".join(m.value for m in at.markdown)
    for name in ("SGD", "RMSprop", "Adam", "Lion"):
        assert f"The maths of {name}" in text


def test_undefined_start_and_landscape_without_minima():
    at = open_race(land="custom", expr="log(x) + y**2", start="-1,1")
    assert not at.exception and "undefined at the start" in warnings(at)
    assert chart(at)["player_runs"]
    at.selectbox(key="race_land").set_value("saddle").run()  # unbounded below: no minimum, negative losses
    assert not at.exception
    assert chart(at, "race_loss")["layout"]["yaxis"]["type"] == "linear"
    assert "log scale cannot show" in " ".join(c.value for c in at.caption)
    assert set(at.dataframe[0].value["first step within tol"]) == {"n/a (unknown minimum)"}


def test_opening_the_page_with_a_new_link_applies_it_and_the_sidebar_keeps_the_state():
    at = open_editors(open_race())
    at.select_slider(key="race_o4_Adam_keras_learning_rate").set_value(0.01).run()
    at.number_input(key="race_sx_rosenbrock").set_value(0.5).run()
    # The sidebar navigation opens the page without parameters: the race is kept.
    at.query_params.clear()
    at.switch_page("app_pages/home.py").run()
    at.query_params.clear()
    at.switch_page("app_pages/race.py").run()
    assert not at.exception
    assert "Adam (lr 0.01)" in paths(chart(at)) and start_of(at) == (0.5, 1.0)
    assert at.query_params["o4"] == "Adam;learning_rate=0.01"
    # A preset link (st.page_link with query_params) opens it with new settings: they replace the old ones.
    at.switch_page("app_pages/home.py").run()
    at.query_params.clear()
    for k, v in {"land": "beale", "o1": "Adam;learning_rate=0.05", "steps": "100"}.items():
        at.query_params[k] = v
    at.switch_page("app_pages/race.py").run()
    assert not at.exception and not at.warning
    assert at.selectbox(key="race_land").value == "beale" and at.number_input(key="race_steps").value == 100
    assert list(paths(chart(at))) == ["Adam (lr 0.05)"]
    assert start_of(at) == (1.0, 1.5)  # Beale's own start
    assert dict(at.query_params) == {"land": "beale", "o1": "Adam;learning_rate=0.05", "steps": "100"}


def test_a_start_where_f_overflows_says_so_in_the_loss_chart_and_the_player_shows_no_steps():
    """Seen with exp(exp(exp(x))) from (2, 2) (issue 13 walk): the loss chart was empty with no note of its own, and
    the player read "Step 300 of 300" for runs that never took a step."""
    at = open_race(land="custom", expr="exp(exp(exp(x)))", start="2,2")
    assert not at.exception
    loss = chart(at, "race_loss")
    assert loss["player_steps"] == 0 and all(r["diverged_at"] == 0 for r in loss["player_runs"])
    (note,) = [a for a in loss["layout"]["annotations"] if a.get("name") == "no-loss-note"]
    text = note["text"].replace("<br>", " ")
    assert "No loss to draw: f overflows at the start" in text and "no run took a step" in text
    assert max(len(line) for line in note["text"].split("<br>")) <= 30  # fits a phone's chart
    assert "smaller learning rate" not in note["text"]
    assert loss["layout"]["yaxis"]["showticklabels"] is False  # no made-up axis around nothing
    # A start where f is finite: curves, no note, every step.
    ok = chart(open_race(land="custom", expr="exp(x) + y**2", start="1,1", steps="40"), "race_loss")
    assert ok["player_steps"] == 40 and not [a for a in ok["layout"].get("annotations", [])
                                             if a.get("name") == "no-loss-note"]


def test_race_run_is_one_engine_run_with_the_paths_numbers():
    """ui.compute.race_run records the run once (in full when overlays are drawn): its path, loss and divergence
    are run_path's numbers exactly, diverged or not, with noise and common settings; without overlays nothing is
    recorded beyond the path."""
    from ui.compute import Common, race_run, run_path
    from ui.settings import OptChoice

    for land, choice, noise, common in [
            (("rosenbrock", None), OptChoice.make("SGD", learning_rate=0.002, momentum=0.9), 0.0, Common()),
            (("goldstein_price", None), OptChoice.make("SGD", learning_rate=0.01), 0.0, Common()),
            (("himmelblau", None), OptChoice.make("Adam", learning_rate=0.1), 0.5,
             Common(sched="CosineDecay", wd=0.01, clip="clipnorm", clipv=0.5))]:
        ref = run_path(land, choice, (0.5, 0.5), 200, noise, 3, common)
        for overlays in (False, True):  # the last: with the overlays
            params, loss, div, vectors = race_run(land, choice, (0.5, 0.5), 200, noise, 3, common, overlays)
            np.testing.assert_array_equal(params, ref[0])
            np.testing.assert_array_equal(loss, ref[1])
            assert div == ref[2]
            assert (vectors is None) == (not overlays)
        if ref[2] is None:  # the overlay's step arrow is the recorded step itself
            np.testing.assert_array_equal(vectors["step"], ref[0][1:] - ref[0][:-1])
