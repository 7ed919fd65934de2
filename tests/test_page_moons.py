"""AppTest: the Moons page (the article's MLP experiment). Small epochs via the URL keep it fast."""
import json
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest
from tests.helpers import shown, chart_spec, open_app_page, player_spec

ROOT = Path(__file__).resolve().parents[1]
PAGE = "app_pages/moons.py"
ARTICLE = ["SGD (lr 0.01)", "SGD (lr 0.01, μ 0.9)", "SGD (lr 0.01, μ 0.9, nesterov)", "Adagrad (lr 0.01)",
           "RMSprop (lr 0.01)", "Adam (lr 0.01)", "Nadam (lr 0.01)", "Lion (lr 0.001)"]


def open_page(**params):
    return open_app_page(PAGE, timeout=120, **params)


def open_editors(at):
    """Open the "Optimizers" box: its editors are built only while it is open (on_change="rerun")."""
    at.session_state["moons_editors"] = True
    at.run()
    assert not at.exception, at.exception
    return at


def chart(at, key):
    return chart_spec(at, key)


def summary(at):
    return at.session_state["moons_summary"]


@pytest.fixture(scope="module")
def default_page():
    st.cache_data.clear()
    st.cache_resource.clear()
    return open_page(epochs="6")


def test_default_run_is_the_articles_lineup(default_page):
    at = default_page
    s = summary(at)
    assert [r["label"] for r in s] == ARTICLE
    assert all(r["epochs_run"] == 6 and r["diverged_at"] is None for r in s)
    by = {r["label"]: r for r in s}
    # even after 6 epochs the adaptive optimizers are far ahead of plain SGD (the article's point)
    assert by["Adam (lr 0.01)"]["loss"] < 0.5 * by["SGD (lr 0.01)"]["loss"]
    assert by["Adam (lr 0.01)"]["accuracy"] > 0.9
    assert dict(at.query_params) == {"epochs": "6"}
    assert not at.warning and not at.error
    assert any("8 networks of 415 weights" in c.value for c in at.caption)  # 2-12-13-13-2


def test_default_figures(default_page):
    at = default_page
    loss = chart(at, "moons_loss_chart")
    assert loss["layout"]["yaxis"]["type"] == "log"
    assert [t["name"] for t in loss["data"] if t.get("mode") == "lines"] == ARTICLE
    assert [t["name"] for t in loss["data"] if t.get("mode") == "markers"] == ARTICLE  # the player's markers
    b = chart(at, "moons_boundary_chart")  # drawn by the player, beside the loss curves
    heat = b["layout"]["meta"]["heatmaps"]
    assert len(heat) == 8 and all(b["data"][i]["type"] == "heatmap" for i in heat)
    spec = player_spec(at)
    assert spec["kind"] == "frames" and spec["values"] == list(range(7)) and spec["unit"] == "Epoch"
    assert [s["trace"] for s in spec["series"]] == heat and all(s["shape"] == [50, 50] for s in spec["series"])
    assert [r["label"] for r in spec["runs"]] == ARTICLE
    assert len(json.dumps(spec)) < 3_000_000
    labels = [d.proto.label for d in at.get("download_button")]
    assert labels == ["Histories as CSV", "Figures as HTML"]
    links = [p.proto.label for p in at.get("page_link")]
    assert sorted(links) == sorted(f"The maths of {n}" for n in ["SGD", "Adagrad", "RMSprop", "Adam", "Nadam", "Lion"])


def test_results_are_cached_across_sessions(default_page):
    first = [c.value for c in default_page.caption if "trained in" in c.value]
    again = open_page(epochs="6")
    assert [c.value for c in again.caption if "trained in" in c.value] == first  # same training, not a new one


def test_widget_changes():
    at = open_page(epochs="3")
    at.toggle(key="moons_log").set_value(False).run()
    assert not at.exception
    assert chart(at, "moons_loss_chart")["layout"]["yaxis"]["type"] == "linear"
    assert at.query_params["log"] == "0"
    at.number_input(key="moons_epochs").set_value(4).run()
    assert all(r["epochs_run"] == 4 for r in summary(at))
    at.text_input(key="moons_hidden").set_value("8, 8").run()
    assert not at.exception
    assert at.query_params["hidden"] == "8,8"
    assert any("networks of 114 weights" in c.value for c in at.caption)  # (2*8+8) + (8*8+8) + (8*2+2)
    # a bad value: kept in the box, a clear message, training goes on with the last valid layers
    at.text_input(key="moons_hidden").set_value("8, x").run()
    assert not at.exception
    assert at.text_input(key="moons_hidden").value == "8, x"
    assert any("“x” is not a whole number" in shown(e.value) for e in at.error)
    assert any("networks of 114 weights" in c.value for c in at.caption)
    at.text_input(key="moons_hidden").set_value("500").run()
    assert any("1 to 128 units" in shown(e.value) for e in at.error)
    # Seen: "0,-3" said "“-3” is not a whole number of units" (it is: it is out of range); "8,,8" said "“” is not
    # a whole number"; "8,²" showed Python's own "invalid literal for int()" (str.isdigit() accepts "²").
    for typed, said in (("0,-3", "each layer needs 1 to 128 units, got 0"),
                        ("8,-3", "each layer needs 1 to 128 units, got -3"),
                        ("8,,8", "a layer size is missing"), ("8,²", "“²” is not a whole number of units")):
        at.text_input(key="moons_hidden").set_value(typed).run()
        assert not at.exception
        errors = [shown(e.value) for e in at.error]
        assert any(said in e for e in errors), (typed, errors)
        assert not any("invalid literal" in e or "whole number" in e and "-3" in e for e in errors), errors
        assert any("networks of 114 weights" in c.value for c in at.caption)  # still trained with 8,8


def test_remove_and_add_optimizers():
    at = open_editors(open_page(epochs="2"))
    at.button(key="moons_rm1").click().run()
    assert [r["label"] for r in summary(at)] == ARTICLE[1:]
    assert at.query_params["o1"] == "SGD;momentum=0.9"  # lr 0.01 is the default
    assert "o8" not in at.query_params
    at.button(key="moons_add").click().run()
    assert not at.exception
    assert [r["label"] for r in summary(at)][-1] == "RMSprop (lr 0.01, centered, μ 0.9)"  # the article's 9th
    assert at.button(key="moons_add").disabled  # 8 is the limit


def test_editing_an_optimizer():
    at = open_editors(open_page(epochs="2", o1="Adam;learning_rate=0.01"))
    at.select_slider(key="moons_o1_Adam_keras_learning_rate").set_value(0.05).run()
    assert not at.exception
    assert at.query_params["o1"] == "Adam;learning_rate=0.05"
    assert [r["label"] for r in summary(at)] == ["Adam (lr 0.05)"]


def test_good_url_params():
    at = open_page(o1="Adam;learning_rate=0.02", o2="SGD;momentum=0.9", epochs="4", bs="16", hidden="8,8",
                   samples="100", noise="0.2", seed="3", log="0")
    assert not at.warning and not at.error
    assert [r["label"] for r in summary(at)] == ["Adam (lr 0.02)", "SGD (lr 0.01, μ 0.9)"]
    assert at.number_input(key="moons_bs").value == 16 and at.number_input(key="moons_samples").value == 100
    assert at.slider(key="moons_noise").value == 0.2 and at.toggle(key="moons_log").value is False
    assert any("100 samples, noise 0.2 · batch size 16 (7 updates per epoch) · 4 epochs" in c.value
               for c in at.caption)
    assert dict(at.query_params) == {"epochs": "4", "bs": "16", "hidden": "8,8", "samples": "100", "noise": "0.2",
                                     "seed": "3", "log": "0", "o1": "Adam;learning_rate=0.02",
                                     "o2": "SGD;momentum=0.9"}


@pytest.mark.parametrize("params, expect", [
    ({"hidden": "a,b", "epochs": "1e9"}, ["hidden = “a,b”", "epochs = “1e9”"]),
    ({"hidden": "1,2,3,4,5", "samples": "5", "noise": "3", "bs": "x"},
     ["1 to 4 hidden layers", "samples = “5”", "noise = “3”", "bs = “x”"]),
    ({"o1": "Nope", "o2": "Adam;beta_1=2", "o9": "Adam"}, ["o1 = “Nope", "o2 = “Adam;beta_1=2", "o9 ",
                                                          "No usable optimizer"]),
])
def test_bad_url_params_give_notices(params, expect):
    at = open_page(**{"epochs": "2", **params}) if "epochs" not in params else open_page(**params)
    notices = " ".join(shown(w.value) for w in at.warning)
    for e in expect:
        assert e in notices
    assert summary(at)  # something was trained, nothing crashed
    assert at.number_input(key="moons_epochs").value in (2, 100)


def test_too_much_work_is_refused_with_a_message():
    at = open_page(epochs="2000", bs="1", samples="500", o1="Adam;learning_rate=0.01")
    assert any("updates per network" in e.value and "limit is 40,000" in shown(e.value) for e in at.error)
    assert at.get("plotly_chart") == [] or not any(c.key == "moons_boundary_chart" for c in at.get("plotly_chart"))
    assert at.query_params["epochs"] == "2000"  # the settings are kept, so the user can fix one of them
    at.number_input(key="moons_bs").set_value(250).run()
    assert not at.error  # 2000 epochs x 2 batches = 4,000 updates: allowed
    assert [r["epochs_run"] for r in summary(at)] == [2000]


def test_stopped_training_offers_train_again():
    at = open_page(epochs="3", o1="Adam;learning_rate=0.01")
    at.session_state["moons_stopped_key"] = at.session_state["moons_key"]
    at.run()
    assert not at.exception
    assert any("Training stopped" in shown(w.value) for w in at.warning)
    at.button(key="moons_resume").click().run()
    assert not at.exception
    assert [r["epochs_run"] for r in summary(at)] == [3]
    assert not any("Training stopped" in shown(w.value) for w in at.warning)


def test_a_second_link_in_the_same_session_is_applied():
    at = open_page(epochs="2", o1="Adam;learning_rate=0.02", o2="Lion")
    for page, params in (("app_pages/home.py", {}), (PAGE, {"epochs": "3", "o1": "SGD;momentum=0.9"})):
        at.query_params.clear()
        at.query_params.update(params)
        at.switch_page(page).run()
        assert not at.exception
    assert [r["label"] for r in summary(at)] == ["SGD (lr 0.01, μ 0.9)"]
    assert summary(at)[0]["epochs_run"] == 3
    assert dict(at.query_params) == {"epochs": "3", "o1": "SGD;momentum=0.9"}
    at.query_params.clear()
    at.switch_page("app_pages/home.py").run()
    at.switch_page(PAGE).run()  # the sidebar: no parameters, the settings stay
    assert dict(at.query_params) == {"epochs": "3", "o1": "SGD;momentum=0.9"}


def test_settings_survive_a_visit_to_another_page():
    """Widgets keep their values (persist_state) when the user opens another page and comes back by the
    sidebar (no parameters); the address bar then holds the same link."""
    at = open_page(epochs="2", o1="Adam;learning_rate=0.01", o2="Lion")
    at.number_input(key="moons_epochs").set_value(3).run()
    at.toggle(key="moons_log").set_value(False).run()
    at.text_input(key="moons_hidden").set_value("8, 8").run()
    at.slider(key="moons_noise").set_value(0.2).run()
    open_editors(at).select_slider(key="moons_o1_Adam_keras_learning_rate").set_value(0.05).run()
    at.button(key="moons_rm2").click().run()
    assert not at.exception
    before = dict(at.query_params)
    assert before == {"epochs": "3", "hidden": "8,8", "noise": "0.2", "log": "0", "o1": "Adam;learning_rate=0.05"}
    at.query_params.clear()
    at.switch_page("app_pages/home.py").run()
    at.query_params.clear()
    at.switch_page(PAGE).run()
    assert not at.exception
    assert at.number_input(key="moons_epochs").value == 3 and at.toggle(key="moons_log").value is False
    assert at.text_input(key="moons_hidden").value == "8, 8" and at.slider(key="moons_noise").value == 0.2
    assert dict(at.query_params) == before  # the editors' values are kept while their box is closed
    assert open_editors(at).select_slider(key="moons_o1_Adam_keras_learning_rate").value == 0.05
    assert [r["label"] for r in summary(at)] == ["Adam (lr 0.05)"] and summary(at)[0]["epochs_run"] == 3
    assert dict(at.query_params) == before


def test_the_written_link_reproduces_the_view():
    at = open_page(epochs="2", o1="Adam;learning_rate=0.01", o2="Lion")
    at.number_input(key="moons_samples").set_value(100).run()
    open_editors(at).button(key="moons_add").click().run()
    at.select_slider(key="moons_o2_Lion_keras_beta_1").set_value(0.8).run()
    assert not at.exception
    again = open_page(**dict(at.query_params))
    assert not again.warning
    assert summary(again) == summary(at)
    for key in ("moons_loss_chart", "moons_boundary_chart"):
        assert chart(again, key)["data"] == chart(at, key)["data"]


def test_user_text_is_shown_literally():
    """A link or the box can never turn the page's messages into Markdown links, HTML or formatting."""
    at = open_page(epochs="2", hidden="[click](https://evil.example)", o1="Adam")
    (notice,) = [w.value for w in at.warning if "hidden" in w.value]
    assert "](" not in notice and "“[click](https://evil.example)”" in shown(notice)
    at.text_input(key="moons_hidden").set_value("**8**, <b>x</b>").run()
    (err,) = at.error
    assert "**8**" not in err.value and "\\*\\*8\\*\\*" in err.value
