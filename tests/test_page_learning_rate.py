"""AppTest: the Learning-rate page (the Kerasy document's demo, live)."""
import json
import re
from pathlib import Path

import numpy as np
import plotly.io as pio
import pytest
from streamlit.testing.v1 import AppTest
from tests.helpers import decode, shown, chart_spec, open_app_page

ROOT = Path(__file__).resolve().parents[1]
PAGE = "app_pages/learning_rate.py"


def open_page(**params):
    return open_app_page(PAGE, timeout=60, **params)


def chart(at, key):
    return chart_spec(at, key)


arr = decode  # tests/helpers.py


def editor_key(at, widget):
    """The optimizer editor's widget key (its slot id counts up with every link: ui/slots)."""
    return f"lr_o{at.session_state['lr_slots'][0]['id']}_{widget}"


def runs(at):
    return {r["lr"]: r for r in at.session_state["lr_runs"]}


@pytest.fixture(scope="module")
def default_page():
    return open_page()


def test_default_run_reproduces_the_document(default_page):
    at = default_page
    assert at.title[0].value.endswith("Learning rate")
    r = runs(at)
    assert sorted(r) == [0.01, 0.1, 0.5]
    best = np.array(at.session_state["lr_least_squares"])
    # least squares of the document's data: close to the true (2, 1)
    assert best == pytest.approx([2, 1], abs=0.05)
    # lr 0.5 has converged to the least-squares fit after 100 epochs; lr 0.01 has not
    assert np.array(r[0.5]["final"]) == pytest.approx(best, abs=0.01)
    assert np.abs(np.array(r[0.01]["final"]) - best).max() > 0.5
    assert r[0.01]["loss"] > 10 * r[0.5]["loss"]
    assert all(x["epochs_run"] == 100 and x["diverged_at"] is None for x in r.values())
    assert not at.warning  # nothing to complain about
    assert dict(at.query_params) == {"lrs": "0.01,0.1,0.5"}  # defaults give a short link that names the rates


def test_default_figures(default_page):
    # one figure per rate (columns that stack on a phone), titled like the document, plot areas aligned
    figs = [chart(default_page, f"lr_fit_chart_{i}") for i in range(3)]
    titles = [[a["text"] for a in f["layout"]["annotations"]] for f in figs]
    assert titles == [["learning_rate=0.01"], ["learning_rate=0.1"], ["learning_rate=0.5"]]
    assert len({(f["layout"]["height"], f["layout"]["margin"]["t"]) for f in figs}) == 1
    best = default_page.session_state["lr_least_squares"]
    (final_05,) = [t for t in figs[2]["data"] if t["name"] == "prediction (final)"]
    # the red line of the lr=0.5 column is the least-squares line y = w x + b at x = 0 and 1
    assert arr(final_05["y"]) == pytest.approx([best[1], best[0] + best[1]], abs=0.01)
    lines = [t for t in figs[0]["data"] if t["mode"] == "lines"]
    assert len(lines) == 11  # 10 fading epochs + the final line
    surf = pio.from_json(json.dumps(chart(default_page, "lr_surface_chart")))
    assert surf.layout.images[0].source.startswith("data:image/png;base64,")
    legend = [t for t in surf.data if t.name and t.name.startswith("lr ") and t.showlegend is not False]
    assert [t.name for t in sorted(legend, key=lambda t: t.legendrank)] == ["lr 0.01", "lr 0.1", "lr 0.5"]
    # the loss curves: their own figure beside (or, on a phone, below) the map, log scale, its own legend
    loss = pio.from_json(json.dumps(chart(default_page, "lr_loss_chart")))
    assert loss.layout.yaxis.type == "log" and not loss.layout.images
    assert sorted(t.name for t in loss.data if t.showlegend is not False) == ["lr 0.01", "lr 0.1", "lr 0.5"]
    assert not any("NaN" in c.proto.spec for c in default_page.get("plotly_chart"))


def test_exports_and_maths_link(default_page):
    labels = [d.proto.label for d in default_page.get("download_button")]
    assert labels == ["Runs as CSV", "Figures as HTML"]
    assert default_page.get("download_button")[0].proto.url.endswith(".csv")
    html_button = default_page.get("download_button")[1].proto
    assert html_button.deferred_file_id and html_button.ignore_rerun  # built on click, not kept per session
    # What the click builds: the page's figures as one offline page (plotly.js embedded).
    from charts.regression import export_html
    figs = [json.loads(c.proto.spec) for c in default_page.get("plotly_chart")]
    html = export_html(figs, "Descent Lab: learning rate")
    assert html.startswith("<!DOCTYPE html>") and html.count("Plotly.newPlot") == len(figs) and len(html) > 1e6
    # The page's export carries the settings that produced it (rule 5), every one of them.
    from ui.settings import OptChoice
    from ui.regression_run import DEFAULT_LRS, export_html as page_export
    page = page_export(DEFAULT_LRS, 7, "mini", 10, 3, OptChoice.make("SGD", momentum=0.9))
    for text in ("Learning rates: " + ", ".join(f"{v:g}" for v in DEFAULT_LRS), "SGD (momentum 0.9) [keras]",
                 "7 epochs, gradients on mini-batches of 10, shuffled with seed 3", "mean squared error"):
        assert text in page, text
    (link,) = default_page.get("page_link")
    assert link.proto.label == "The maths of GradientDescent"
    assert link.proto.page.endswith("maths") and "opt=GradientDescent" in link.proto.query_string


def test_widget_changes_update_runs_and_link():
    at = open_page()
    at.text_input(key="lr_lrs").set_value("0.05, 1.1").run()
    assert not at.exception
    r = runs(at)
    assert sorted(r) == [0.05, 1.1]
    k = r[1.1]["diverged_at"]
    assert isinstance(k, int) and 1 < k < 100
    assert r[0.05]["diverged_at"] is None
    # the whole sentence, in wrapping text (a metric cut it to "diverged at e…")
    assert f":red[**✖ diverged at epoch {k}**]" in [m.value for m in at.markdown] and not at.metric
    spec = chart_spec(at, "lr_fit_chart_1")  # lr 1.1's own panel says it in its title
    assert f"diverged at epoch {k}" in spec["layout"]["annotations"][0]["text"]
    assert not any("NaN" in c.proto.spec for c in at.get("plotly_chart"))
    assert at.query_params["lrs"] == "0.05,1.1"

    at.slider(key="lr_epochs").set_value(20).run()
    assert not at.exception
    assert runs(at)[0.05]["epochs_run"] == 20
    assert at.query_params["epochs"] == "20"

    # junk typed by the user: kept in the box, a warning, the good values still run
    at.text_input(key="lr_lrs").set_value("0.2, oops, 0.3").run()
    assert not at.exception
    assert at.text_input(key="lr_lrs").value == "0.2, oops, 0.3"
    assert any("oops" in shown(w.value) for w in at.warning)
    assert sorted(runs(at)) == [0.2, 0.3]

    at.text_input(key="lr_lrs").set_value(", ".join(str(0.1 * i) for i in range(1, 9))).run()
    assert len(runs(at)) == 6 and any("at most 6" in shown(w.value) for w in at.warning)


def test_optimizer_choice_changes_the_runs():
    at = open_page(epochs="30")
    base = runs(at)[0.1]["final"]
    at.selectbox(key="lr_o1_name").set_value("SGD").run()
    at.select_slider(key="lr_o1_SGD_keras_momentum").set_value(0.9).run()
    assert not at.exception
    assert at.query_params["o1"] == "SGD;momentum=0.9"
    assert runs(at)[0.1]["final"] != pytest.approx(base, abs=1e-3)


def test_good_url_params():
    at = open_page(lrs="0.2,0.3", epochs="50", mode="mini", bs="20", seed="3", o1="SGD;momentum=0.5")
    assert not at.warning
    assert at.text_input(key="lr_lrs").value == "0.2, 0.3"
    assert at.slider(key="lr_epochs").value == 50 and at.slider(key="lr_bs").value == 20
    assert at.radio(key="lr_mode").value == "mini"
    assert at.selectbox(key="lr_o1_name").value == "SGD"
    assert sorted(runs(at)) == [0.2, 0.3] and runs(at)[0.2]["epochs_run"] == 50
    assert dict(at.query_params) == {"lrs": "0.2,0.3", "epochs": "50", "mode": "mini", "bs": "20", "seed": "3",
                                     "o1": "SGD;momentum=0.5"}


@pytest.mark.parametrize("params, expect", [
    ({"lrs": "0.1,abc,-1,1e9"}, ["Ignored lrs = “0.1,abc,-1,1e9” from the link, in part: “abc” is not a number",
                              "“-1” is outside", "“1e9” is outside"]),
    ({"lrs": "x,y"}, ["Ignored lrs = “x,y” from the link: no usable learning rate"]),
    ({"epochs": "5000", "bs": "0", "mode": "turbo", "seed": "-3"},
     ["epochs = “5000”", "bs = “0”", "mode = “turbo”", "seed = “-3”"]),
    ({"o1": "Nope;learning_rate=0.1"}, ["Ignored optimizer o1 = “Nope"]),
    ({"o1": "Adam;learning_rate=0.3"}, ["ignored: the learning rates come from `lrs`"]),
])
def test_bad_url_params_give_notices(params, expect):
    at = open_page(**params)
    notices = " ".join(shown(w.value) for w in at.warning)
    for e in expect:
        assert e in notices
    assert at.slider(key="lr_epochs").value in (100,)
    assert runs(at)  # the page still shows runs
    assert "NaN" not in at.get("plotly_chart")[0].proto.spec


def test_bad_lrs_keep_the_good_ones():
    at = open_page(lrs="0.1,abc,0.5")
    assert sorted(runs(at)) == [0.1, 0.5]
    assert at.query_params["lrs"] == "0.1,0.5"


def test_mini_batch_switch():
    at = open_page(epochs="40")
    full = runs(at)
    at.radio(key="lr_mode").set_value("mini").run()
    assert not at.exception
    assert at.query_params["mode"] == "mini"
    mini = runs(at)
    assert mini[0.1]["final"] != pytest.approx(full[0.1]["final"], abs=1e-6)
    # 10 updates per epoch: mini-batch lr 0.01 gets much closer than full batch in 40 epochs
    best = np.array(at.session_state["lr_least_squares"])
    assert np.abs(np.array(mini[0.01]["final"]) - best).max() < np.abs(np.array(full[0.01]["final"]) - best).max()
    surf = chart(at, "lr_surface_chart")
    updates = [t for t in surf["data"] if t.get("name", "").endswith("(updates)")]
    assert [len(arr(t["x"])) for t in updates] == [401, 401, 401]  # 40 epochs x 10 batches + start
    # seeded: another seed gives another path, the same seed the same one
    at.number_input(key="lr_seed").set_value(7).run()
    other = runs(at)[0.1]["final"]
    assert other != pytest.approx(mini[0.1]["final"], abs=1e-9)
    at.number_input(key="lr_seed").set_value(0).run()
    assert runs(at)[0.1]["final"] == pytest.approx(mini[0.1]["final"], abs=1e-12)
    # batch size 100 = the full data set per update: the same numbers as full batch
    at.slider(key="lr_bs").set_value(100).run()
    assert runs(at)[0.5]["final"] == pytest.approx(full[0.5]["final"], abs=1e-9)


def test_a_second_link_in_the_same_session_is_applied():
    """Home → link A → Home → link B (preset gallery, maths links): B's settings, B's optimizer."""
    at = open_page(lrs="0.2,0.3", o1="SGD;momentum=0.5")
    for page, params in (("app_pages/home.py", {}), (PAGE, {"lrs": "0.05", "epochs": "20", "o1": "Adam"})):
        at.query_params.clear()
        at.query_params.update(params)
        at.switch_page(page).run()
        assert not at.exception
    assert sorted(runs(at)) == [0.05] and runs(at)[0.05]["epochs_run"] == 20
    assert at.selectbox(key=editor_key(at, "name")).value == "Adam"
    assert dict(at.query_params) == {"lrs": "0.05", "epochs": "20", "o1": "Adam"}
    # back via the sidebar (no parameters): the settings are kept
    at.query_params.clear()
    at.switch_page("app_pages/home.py").run()
    at.switch_page(PAGE).run()
    assert dict(at.query_params) == {"lrs": "0.05", "epochs": "20", "o1": "Adam"}


def test_the_editor_shows_no_learning_rate_control(default_page):
    """Each column has its own learning rate: a learning_rate slider would have no effect, so none is shown."""
    keys = [s.key for s in default_page.select_slider]
    assert not any(k.endswith("_learning_rate") for k in keys), keys
    at = open_page(o1="SGD;momentum=0.5")
    keys = [s.key for s in at.select_slider]
    assert editor_key(at, "SGD_keras_momentum") in keys and not any(k.endswith("_learning_rate") for k in keys)


def test_settings_survive_a_visit_to_another_page():
    """Widgets keep their values (persist_state) when the user opens another page and comes back by the
    sidebar (no parameters); the address bar then holds the same link."""
    at = open_page()
    at.text_input(key="lr_lrs").set_value("0.2, 0.7").run()
    at.slider(key="lr_epochs").set_value(30).run()
    at.radio(key="lr_mode").set_value("mini").run()
    at.slider(key="lr_bs").set_value(25).run()
    at.number_input(key="lr_seed").set_value(4).run()
    at.selectbox(key="lr_o1_name").set_value("SGD").run()
    at.select_slider(key="lr_o1_SGD_keras_momentum").set_value(0.9).run()
    assert not at.exception
    before, shown_runs = dict(at.query_params), runs(at)
    assert before == {"lrs": "0.2,0.7", "epochs": "30", "mode": "mini", "bs": "25", "seed": "4",
                      "o1": "SGD;momentum=0.9"}
    at.query_params.clear()
    at.switch_page("app_pages/home.py").run()
    at.query_params.clear()
    at.switch_page(PAGE).run()
    assert not at.exception
    assert at.text_input(key="lr_lrs").value == "0.2, 0.7" and at.slider(key="lr_epochs").value == 30
    assert at.radio(key="lr_mode").value == "mini" and at.slider(key="lr_bs").value == 25
    assert at.number_input(key="lr_seed").value == 4
    assert at.selectbox(key="lr_o1_name").value == "SGD"
    assert at.select_slider(key="lr_o1_SGD_keras_momentum").value == 0.9
    assert runs(at) == shown_runs and dict(at.query_params) == before


def test_the_written_link_reproduces_the_view():
    at = open_page(epochs="40")
    at.text_input(key="lr_lrs").set_value("0.123456789, 0.9").run()
    at.radio(key="lr_mode").set_value("mini").run()
    at.selectbox(key="lr_o1_name").set_value("Adam").run()
    assert not at.exception
    again = open_page(**dict(at.query_params))
    assert not again.warning
    assert again.text_input(key="lr_lrs").value == "0.123456789, 0.9"  # exactly the rates shown
    assert runs(again) == runs(at)
    for key in ("lr_fit_chart_0", "lr_fit_chart_1", "lr_surface_chart", "lr_loss_chart"):
        assert chart(again, key)["data"] == chart(at, key)["data"]


def test_user_text_is_shown_literally():
    """Neither a link nor the box can turn the page's messages into Markdown links, HTML or formatting."""
    at = open_page(lrs="0.1,[x](https://e.io),**b**")
    text = " ".join(w.value for w in at.warning)
    assert "](" not in text and "**b**" not in text
    assert "“[x](https://e.io)” is not a number" in shown(text) and "“**b**” is not a number" in shown(text)
    at.text_input(key="lr_lrs").set_value("0.1, <img src=x>").run()
    (warning,) = [w for w in at.warning if w.value.startswith("Learning rates:")]
    assert not re.search(r"(?<!\\)<", warning.value) and "“<img src=x>” is not a number" in shown(warning.value)


def test_many_bad_values_are_counted_not_listed():
    at = open_page(lrs="0.1," + ",".join(f"x{i}" for i in range(50)))
    notices = [shown(w.value) for w in at.warning]
    assert len(notices) == 4 and "47 more values are not usable" in notices[-1]
    assert sorted(runs(at)) == [0.1]


def test_one_more_bad_value_is_named_not_counted():
    """Seen with lrs=0.1,oops,-1,0,1e9: "1 more values are not usable learning rates", in place of the one
    sentence it stood for ("“1e9” is outside (0, 100]")."""
    from ui.regression_run import parse_lrs
    lrs, problems = parse_lrs("0.1, oops, -1, 0, 1e9")
    assert lrs == (0.1,)
    assert problems == ["“oops” is not a number", "“-1” is outside (0, 100]", "“0” is outside (0, 100]",
                        "“1e9” is outside (0, 100]"]
    assert not any("1 more" in p for p in parse_lrs("a, b, c, d, e, 0.1")[1])
    assert parse_lrs("a, b, c, d, e, 0.1")[1][-1] == "2 more values are not usable learning rates"


def test_a_second_optimizer_in_the_link_gets_a_notice():
    at = open_page(o1="Adam", o2="SGD")
    assert any("Ignored o2 from the link: at most 1 optimizer." in shown(w.value) for w in at.warning)
    assert dict(at.query_params) == {"lrs": "0.01,0.1,0.5", "o1": "Adam"}


def test_the_player_plays_the_fitted_lines_and_the_loss_curves(default_page):
    """The page's player (ui/player.py) gets one line series per learning rate and one loss marker each, for
    every epoch of the run shown."""
    from tests.helpers import player_spec

    spec = player_spec(default_page)
    assert spec is not None and spec["kind"] == "frames" and spec["values"] == list(range(101))
    assert [r["label"] for r in spec["runs"]] == ["lr 0.01", "lr 0.1", "lr 0.5"]
    r = runs(default_page)
    for m, lr in zip(spec["runs"], (0.01, 0.1, 0.5)):
        assert m["mx"][-1] == 100 and m["my"][-1] == pytest.approx(r[lr]["loss"], rel=1e-12)


def test_batch_size_and_seed_are_shown_only_for_mini_batches():
    """Rule 3: a control that has no effect is not shown. On a full batch the batch size and the seed change
    nothing (they were shown, greyed out); they appear with mini-batches and keep their values across a switch."""
    at = open_page(mode="mini", bs="7", seed="3", epochs="20")
    assert at.slider(key="lr_bs").value == 7 and at.number_input(key="lr_seed").value == 3
    at.radio(key="lr_mode").set_value("full").run()
    assert not at.exception
    assert [w.key for w in at.slider] == ["lr_epochs"] and not at.number_input
    full = runs(at)
    assert full == runs(open_page(epochs="20"))  # the hidden values change nothing
    at.radio(key="lr_mode").set_value("mini").run()
    assert at.slider(key="lr_bs").value == 7 and at.number_input(key="lr_seed").value == 3
    assert at.query_params["bs"] == "7" and at.query_params["seed"] == "3"
    assert not open_page().number_input  # the default page: full batch, no seed box
