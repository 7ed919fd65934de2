"""AppTest: the Step inspector page. The numbers it shows must be the engine's own state at that step."""
import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import landscapes
import optimizers
from tests.helpers import shown

ROOT = Path(__file__).resolve().parents[1]
PAGE = "app_pages/inspector.py"
ROSEN = landscapes.get("rosenbrock")


def open_page(**params):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for k, v in params.items():
        at.query_params[k] = v
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def numbers(at, index=0):
    """The page's main table as {quantity: (x, y)}."""
    df = at.dataframe[index].value
    return {q: (x, y) for q, x, y in zip(df["quantity"], df["x"], df["y"])}


def table_with(at, column):
    """The (first) dataframe on the page that has ``column`` (AppTest does not expose dataframe keys)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def chart(at, key):
    (c,) = [c for c in at.get("plotly_chart") if c.key == key]
    return json.loads(c.proto.spec)


def reference(name="adam", steps=200, **kw):
    return optimizers.run(optimizers.get(name, **kw), ROSEN, steps=steps)


def warnings_text(at):
    return " ".join(shown(w.value) for w in at.warning)


@pytest.fixture(scope="module")
def default_page():
    return open_page()


def test_default_page_shows_adams_first_step(default_page):
    at = default_page
    assert at.title[0].value.endswith("Step inspector")
    assert at.slider(key="insp_k").value == 0 and at.slider(key="insp_k").max == 199
    assert at.subheader[0].value == "Update t = 1: from w_0 to w_1"
    assert "m̂/√v̂ = ±1" in at.info[0].value  # the "why" caption for Adam
    assert dict(at.query_params) == {"o1": "Adam;learning_rate=0.05", "k": "0"}
    assert not at.warning and not at.error
    # the update rule, then the same rule with this step's numbers
    assert at.latex[0].value.strip("$\n") == optimizers.get("adam").latex
    assert any(r"\alpha_t" in l.value and "0.0158114" in l.value for l in at.latex[1:])


def test_shown_numbers_are_the_engines_state_at_step_0(default_page):
    traj = reference(learning_rate=0.05)
    rows = numbers(default_page)
    assert rows["position w_0"] == pytest.approx(traj.params[0])
    assert rows["gradient g = ∇f(w_0)"] == pytest.approx(traj.grads[0])
    assert rows["momentum m before"] == pytest.approx(traj.slots["momentum"][0])
    assert rows["momentum m after"] == pytest.approx(traj.slots["momentum"][1])
    assert rows["velocity v after"] == pytest.approx(traj.slots["velocity"][1])
    assert rows["step Δw = w_1 − w_0"] == pytest.approx(traj.params[1] - traj.params[0])
    # Adam's first step: each axis moves by ≈ η whatever the gradient's size
    assert rows["step Δw = w_1 − w_0"] == pytest.approx([0.05, 0.05], rel=1e-5)
    scal = default_page.dataframe[1].value
    assert scal["η (this step)"][0] == 0.05 and scal["1 − β₁ᵗ"][0] == pytest.approx(0.1)
    assert default_page.metric[0].value == "24.2"  # loss at w_0
    assert float(default_page.metric[1].value) == pytest.approx(float(traj.loss[1]), rel=1e-3)


def test_charts_show_the_background_and_the_exact_step(default_page):
    traj = reference(learning_rate=0.05)
    fig = chart(default_page, "insp_chart")
    assert fig["layout"]["images"][0]["source"].startswith("data:image/png;base64,")
    (step,) = [t for t in fig["data"] if t.get("meta", {}).get("arrow") == "step"]
    assert step["x"] == pytest.approx([traj.params[0, 0], traj.params[1, 0]], abs=0)
    assert step["y"] == pytest.approx([traj.params[0, 1], traj.params[1, 1]], abs=0)
    keys = {a["name"] for a in fig["layout"]["annotations"]}
    assert keys == {"grad", "momentum", "step"}
    eff = chart(default_page, "insp_eff")
    assert eff["layout"]["yaxis"]["type"] == "log" and len(eff["data"][0]["x"]) == 200


def test_maths_link(default_page):
    (link,) = default_page.get("page_link")
    assert link.proto.page == "maths" and link.proto.query_string == "opt=Adam"


def test_step_buttons_move_one_update_and_the_url_follows():
    at = open_page()
    traj = reference(learning_rate=0.05)
    at.button(key="insp_next").click().run()
    assert at.slider(key="insp_k").value == 1 and at.query_params["k"] == "1"
    at.button(key="insp_next").click().run()
    assert at.query_params["k"] == "2" and at.subheader[0].value == "Update t = 3: from w_2 to w_3"
    rows = numbers(at)
    assert rows["position w_2"] == pytest.approx(traj.params[2])
    assert rows["momentum m before"] == pytest.approx(traj.slots["momentum"][2])
    assert rows["momentum m after"] == pytest.approx(traj.slots["momentum"][3])
    at.button(key="insp_prev").click().run()
    assert at.query_params["k"] == "1" and "position w_1" in numbers(at)
    at.slider(key="insp_k").set_value(199).run()
    assert at.query_params["k"] == "199" and at.button(key="insp_next").disabled  # no step past the last update
    assert not at.button(key="insp_prev").disabled


def test_link_to_a_step_of_sgd_with_momentum():
    at = open_page(o1="SGD;learning_rate=0.001;momentum=0.9", k="40", steps="100")
    traj = reference("sgd", steps=100, learning_rate=0.001, momentum=0.9)
    rows = numbers(at)
    assert rows["momentum v before"] == pytest.approx(traj.slots["momentum"][40])
    assert rows["momentum v after"] == pytest.approx(traj.slots["momentum"][41])
    assert rows["new position w_41"] == pytest.approx(traj.params[41])
    assert "velocity" in at.info[0].value
    fig = chart(at, "insp_chart")
    (mom,) = [t for t in fig["data"] if t.get("meta", {}).get("arrow") == "momentum"]
    assert mom["meta"]["scale"] is None  # SGD's velocity is a step: drawn exactly
    assert mom["x"][1] - mom["x"][0] == pytest.approx(0.9 * traj.slots["momentum"][40][0])
    assert dict(at.query_params)["steps"] == "100"


def test_widget_changes_rerun_the_engine():
    at = open_page(k="5")
    at.selectbox(key="insp_o1_name").set_value("Adagrad").run()
    assert not at.exception
    assert at.query_params["o1"].startswith("Adagrad")
    traj = optimizers.run(optimizers.get("adagrad"), ROSEN, steps=200)
    rows = numbers(at)
    assert rows["accumulator a after"] == pytest.approx(traj.slots["accumulator"][6])
    assert "only shrinks" in at.info[0].value
    at.radio(key="insp_zoom").set_value("all").run()  # the whole landscape instead of the zoomed view
    assert chart(at, "insp_chart")["layout"]["xaxis"]["range"] == [-2.0, 2.0]
    at.number_input(key="insp_steps").set_value(3).run()
    assert at.slider(key="insp_k").max == 2 and at.slider(key="insp_k").value == 2  # k clamped to the new range


def test_compare_flavours_shows_each_flavour_at_the_same_step():
    at = open_page(k="3", cmp="1")
    assert at.query_params["cmp"] == "1" and at.checkbox(key="insp_cmp").value
    df = table_with(at, "Keras 3 · x")
    assert [c for c in df.columns if c.endswith(" · x")] == ["Keras 3 · x", "textbook · x", "PyTorch · x"]
    g = df.set_index("quantity")
    for title, flavor in (("Keras 3", "keras"), ("textbook", "textbook"), ("PyTorch", "pytorch")):
        # Every column uses the values in use above, Keras's ε = 1e-7 included (not each flavour's default).
        traj = optimizers.run(optimizers.get("adam", flavor=flavor, learning_rate=0.05, epsilon=1e-7), ROSEN,
                              steps=200)
        assert g.loc["momentum m after", f"{title} · x"] == pytest.approx(traj.slots["momentum"][4][0])
        assert g.loc["new position w_4", f"{title} · y"] == pytest.approx(traj.params[4][1])
    assert len(at.tabs) == 3 and [t.label for t in at.tabs][1] == "textbook: rule and numbers"
    sc = table_with(at, "Keras 3").set_index("quantity")
    assert np.isnan(sc.loc["α_t", "textbook"]) and sc.loc["α_t", "Keras 3"] > 0  # only Keras has α_t
    # Lion has no PyTorch flavour
    at.selectbox(key="insp_o1_name").set_value("Lion").run()
    cols = table_with(at, "Keras 3 · x").columns
    assert [c for c in cols if c.endswith(" · x")] == ["Keras 3 · x", "textbook · x"]


def test_compare_flavours_uses_the_same_values_in_every_column():
    # Adagrad at the Keras default: the PyTorch column used to run with its own lr 0.01 (and a0 = 0,
    # ε = 1e-10) against 0.001 in the other two. Now every column runs with the values in use above.
    at = open_page(o1="Adagrad", k="2", cmp="1")
    sc = table_with(at, "Keras 3").set_index("quantity")
    assert list(sc.loc["η (this step)"]) == [0.001, 0.001, 0.001]
    g = table_with(at, "Keras 3 · x").set_index("quantity")
    for title, flavor in (("Keras 3", "keras"), ("textbook", "textbook"), ("PyTorch", "pytorch")):
        traj = optimizers.run(optimizers.get("adagrad", flavor=flavor, learning_rate=0.001,
                                             initial_accumulator_value=0.1, epsilon=1e-7), ROSEN, steps=200)
        assert g.loc["accumulator a after", f"{title} · x"] == pytest.approx(traj.slots["accumulator"][3][0],
                                                                            rel=1e-12)
    # The denominators are the three different forms, each on its own row.
    assert {"denominator √(a + ε)", "denominator δ + √a", "denominator √a + ε"} <= set(g.index)
    # What a flavour lacks, or has on its own, is said plainly.
    at = open_page(o1="RMSprop", k="1", cmp="1")
    assert "textbook has no momentum, epsilon, centered: left out." in warnings_text(at)
    at = open_page(o1="Nadam", k="1", cmp="1")
    assert "PyTorch also has momentum_decay (its default 0.004 is used)." in warnings_text(at)


def test_same_values_in_another_flavour():
    from ui.settings import OptChoice
    choice = OptChoice.make("Adagrad", learning_rate=0.5)
    fc, dropped = choice.in_flavor("pytorch")
    assert fc.kwargs == {"learning_rate": 0.5, "initial_accumulator_value": 0.1, "epsilon": 1e-7} and not dropped
    assert choice.only_in("pytorch") == [("lr_decay", "0")]
    fc, dropped = OptChoice.make("RMSprop", flavor="textbook").in_flavor("keras")
    assert fc.kwargs == {"learning_rate": 0.001, "rho": 0.9} and not dropped
    assert OptChoice.make("RMSprop", flavor="textbook").only_in("keras") == [("momentum", "0"), ("epsilon", "1e-07"),
                                                                              ("centered", False)]


def test_why_and_slot_meanings_come_from_the_optimizer(default_page):
    at = default_page
    assert at.info[0].value == optimizers.teaching("Adam").why
    caption = " ".join(c.value for c in at.caption)
    for slot in ("momentum", "velocity"):
        info = optimizers.teaching("Adam")
        assert f"**{info.slot_label(slot)}** = {info.slot(slot).meaning}" in caption
    at = open_page(o1="SGD")
    assert at.info[0].value.startswith("With momentum μ = 0 this is plain gradient descent")


@pytest.mark.parametrize("raw,expected_k,phrase", [("99999", 199, "Ignored k = “99999”"),
                                                   ("abc", 0, "Ignored k = “abc”"), ("-3", 0, "Ignored k = “-3”"),
                                                   ("2.5", 0, "Ignored k = “2.5”")])
def test_bad_k_in_the_link_gives_a_notice_and_a_valid_step(raw, expected_k, phrase):
    at = open_page(k=raw)
    assert phrase in warnings_text(at)
    assert at.slider(key="insp_k").value == expected_k and at.query_params["k"] == str(expected_k)
    assert f"position w_{expected_k}" in numbers(at)


def test_bad_values_in_the_link_fall_back_with_notices():
    at = open_page(land="nowhere", o1="Adam;beta_1=7", steps="0", cmp="maybe", start="9,9")
    text = warnings_text(at)
    for phrase in ("Ignored land = “nowhere”", "Ignored optimizer o1 = “Adam;beta_1=7”", "Ignored steps = “0”",
                   "Ignored cmp = “maybe”", "Ignored start = “9,9”"):
        assert phrase in text
    assert at.selectbox(key="insp_land").value == "rosenbrock"
    assert at.query_params["o1"] == "Adam;learning_rate=0.05"
    assert at.slider(key="insp_k").max == 199


def test_a_diverging_run_is_inspectable_up_to_the_step_that_blew_up():
    at = open_page(o1="GradientDescent;learning_rate=0.01", k="50")
    text = warnings_text(at)
    assert "diverged at step 4" in text and "Ignored k = “50”" in text
    assert at.slider(key="insp_k").max == 3 and at.query_params["k"] == "3"
    rows = numbers(at)
    assert rows["effective step size Δw / (−g)"] == pytest.approx([0.01, 0.01])
    assert "NaN" not in at.get("plotly_chart")[0].proto.spec


def test_custom_formula_and_a_broken_one():
    at = open_page(land="custom", expr="x**2 + 10*y**2", k="1", o1="GradientDescent;learning_rate=0.05")
    rows = numbers(at)
    w = np.array(rows["position w_1"])
    assert rows["gradient g = ∇f(w_1)"] == pytest.approx([2 * w[0], 20 * w[1]])
    at.text_input(key="insp_expr").input("x**2 +").run()
    assert not at.exception and at.error  # a helpful message, the last valid formula stays
    assert at.query_params["expr"] == "x**2 + 10*y**2"


def test_settings_survive_a_visit_to_another_page():
    at = open_page()
    at.number_input(key="insp_steps").set_value(50).run()
    at.selectbox(key="insp_o1_name").set_value("Lion").run()
    at.button(key="insp_next").click().run()
    before = dict(at.query_params)
    assert before == {"steps": "50", "o1": "Lion", "k": "1"}
    at.switch_page("app_pages/home.py").run()
    at.switch_page(PAGE).run()  # Streamlit dropped the widgets' values while they were not drawn
    assert not at.exception
    assert dict(at.query_params) == before and at.number_input(key="insp_steps").value == 50


def test_the_map_zoom_and_flavours_survive_a_visit_and_are_in_the_link():
    at = open_page(steps="1")  # a single update: the step slider is not drawn
    assert not at.slider
    at.radio(key="insp_zoom").set_value("all").run()
    at.checkbox(key="insp_cmp").check().run()
    before = dict(at.query_params)
    assert before == {"steps": "1", "o1": "Adam;learning_rate=0.05", "k": "0", "cmp": "1", "zoom": "all"}
    at.query_params.clear()
    at.switch_page("app_pages/home.py").run()
    at.query_params.clear()  # back through the sidebar: no parameters
    at.switch_page(PAGE).run()
    assert not at.exception and dict(at.query_params) == before
    assert at.radio(key="insp_zoom").value == "all" and at.checkbox(key="insp_cmp").value
    # the link reproduces the view: the same step chart in a new session
    again = open_page(**before)
    assert not again.warning and chart(again, "insp_chart") == chart(at, "insp_chart")


def test_a_second_link_replaces_the_optimizer():
    at = open_page(o1="Adam;learning_rate=0.01", k="2")
    lr_key = next(w.key for w in at.select_slider if w.key.endswith("_Adam_keras_learning_rate"))
    assert at.select_slider(key=lr_key).value == 0.01
    at.select_slider(key=lr_key).set_value(0.1).run()  # edited by hand...
    assert at.query_params["o1"] == "Adam;learning_rate=0.1"
    for params in ({"o1": "Adam;learning_rate=0.02", "k": "4"}, {"o1": "Lion", "k": "1"}):
        at.query_params.clear()
        at.switch_page("app_pages/home.py").run()
        at.query_params.clear()
        at.query_params.update(params)  # ...then a preset link opened from the home page
        at.switch_page(PAGE).run()
        assert not at.exception and not at.warning
        assert dict(at.query_params) == params
        name = params["o1"].split(";")[0]
        assert next(w for w in at.selectbox if w.key.endswith("_name")).value == name
        k = int(params["k"])
        assert at.subheader[0].value == f"Update t = {k + 1}: from w_{k} to w_{k + 1}"
