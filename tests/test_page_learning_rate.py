"""AppTest: the Learning-rate page (the Kerasy document's demo, live)."""
import json
from pathlib import Path

import numpy as np
import plotly.io as pio
import pytest
from streamlit.testing.v1 import AppTest
from tests.helpers import decode, shown

ROOT = Path(__file__).resolve().parents[1]
PAGE = "app_pages/learning_rate.py"


def open_page(**params):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for k, v in params.items():
        at.query_params[k] = v
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def chart(at, key):
    (c,) = [c for c in at.get("plotly_chart") if c.key == key]
    return json.loads(c.proto.spec)


arr = decode  # tests/helpers.py


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
    fig = chart(default_page, "lr_fit_chart")
    titles = [a["text"] for a in fig["layout"]["annotations"]]
    assert titles == ["learning_rate=0.01", "learning_rate=0.1", "learning_rate=0.5"]
    best = default_page.session_state["lr_least_squares"]
    (final_05,) = [t for t in fig["data"] if t.get("xaxis") == "x3" and t["name"] == "prediction (final)"]
    # the red line of the lr=0.5 column is the least-squares line y = w x + b at x = 0 and 1
    assert arr(final_05["y"]) == pytest.approx([best[1], best[0] + best[1]], abs=0.01)
    lines = [t for t in fig["data"] if t.get("xaxis", "x") == "x" and t["mode"] == "lines"]
    assert len(lines) == 11  # 10 fading epochs + the final line
    surf = pio.from_json(json.dumps(chart(default_page, "lr_surface_chart")))
    assert surf.layout.images[0].source.startswith("data:image/png;base64,")
    assert surf.layout.yaxis2.type == "log"
    legend = [t for t in surf.data if t.name and t.name.startswith("lr ") and t.showlegend is not False]
    assert [t.name for t in sorted(legend, key=lambda t: t.legendrank)] == ["lr 0.01", "lr 0.1", "lr 0.5"]
    assert "NaN" not in default_page.get("plotly_chart")[1].proto.spec


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
    assert any(m.value == f"diverged at epoch {k}" for m in at.metric)
    spec = at.get("plotly_chart")[0].proto.spec
    assert f"diverged at epoch {k}" in spec and "NaN" not in spec
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
    ({"lrs": "0.1,abc,-1,1e9"}, ["`abc` is not a number", "`-1` is outside", "`1e9` is outside"]),
    ({"lrs": "x,y"}, ["no usable learning rate"]),
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
    assert at.selectbox(key="lr_o1_name").value == "Adam"
    assert dict(at.query_params) == {"lrs": "0.05", "epochs": "20", "o1": "Adam"}
    # back via the sidebar (no parameters): the settings are kept
    at.query_params.clear()
    at.switch_page("app_pages/home.py").run()
    at.switch_page(PAGE).run()
    assert dict(at.query_params) == {"lrs": "0.05", "epochs": "20", "o1": "Adam"}
