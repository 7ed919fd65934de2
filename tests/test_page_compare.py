"""AppTest (browser-less) tests of the Fair comparison page: every view, URL params, and that what the
page shows equals one-by-one engine runs with the settings it prints."""
import json
import re
from pathlib import Path

import numpy as np
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import landscapes
import optimizers
from tests.helpers import decode as decode_array, shown, chart_spec, open_app_page

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
DEFAULT_OPTS = {"o1": "SGD;momentum=0.9", "o2": "RMSprop;learning_rate=0.01", "o3": "Adam;learning_rate=0.05",
                "o4": "Lion;learning_rate=0.01"}
LR_GRID = np.logspace(-5, 1, 241)


def open_compare(**params):
    return open_app_page("app_pages/compare.py", timeout=120, **params)


def chart(at, key):
    return chart_spec(at, key)


def basin_chart(at) -> dict:
    """The basin maps, one figure per map (``cmp_basin_chart_0``, ``_1``, …, in columns that stack on a phone),
    read as one: every figure's traces and annotations in order, the first figure's layout, every map's shares."""
    keys = sorted((c.key for c in at.get("plotly_chart") if (c.key or "").startswith("cmp_basin_chart_")),
                  key=lambda k: int(k.rsplit("_", 1)[1]))
    assert keys, [c.key for c in at.get("plotly_chart")]
    figs = [chart_spec(at, k) for k in keys]
    layout = {**figs[0]["layout"], "annotations": [a for f in figs for a in f["layout"].get("annotations", [])],
              "meta": {**figs[0]["layout"]["meta"], "panels": [p for f in figs for p in f["layout"]["meta"]["panels"]]}}
    assert all(f["layout"]["meta"]["groups"] == figs[0]["layout"]["meta"]["groups"] for f in figs)
    return {"data": [t for f in figs for t in f["data"]], "layout": layout, "figures": figs}



def decode(b):
    return decode_array(b, None if isinstance(b, dict) else float)


def texts(elements):
    return " ".join(shown(e.value) for e in elements)


@pytest.fixture(scope="module")
def default_sweep():
    return open_compare()


# --------------------------------------------------------------------------- #
# Default runs of each view                                                     #
# --------------------------------------------------------------------------- #
def test_default_sweep_view(default_sweep):
    at = default_sweep
    spec = chart(at, "cmp_sweep_chart")
    lines = [t for t in spec["data"] if t["mode"] == "lines"]
    assert [t["name"].split(" · ")[0] for t in lines] == ["SGD (μ 0.9)", "RMSprop", "Adam", "Lion"]
    assert all(len(decode(t["x"])) >= 200 for t in lines)
    assert spec["layout"]["xaxis"]["type"] == "log" and spec["layout"]["yaxis"]["type"] == "log"
    assert len([t for t in spec["data"] if t.get("marker", {}).get("symbol") == "star"]) == 4
    assert "Himmelblau" in spec["layout"]["title"]["text"]
    assert dict(at.query_params) == DEFAULT_OPTS  # defaults are not repeated in the link
    assert not at.error and not at.warning
    assert len(at.dataframe[0].value) == 4


def test_default_basin_view():
    at = open_compare(view="basins")
    spec = basin_chart(at)
    heat = [t for t in spec["data"] if t["type"] == "heatmap"]
    assert len(heat) == 4
    for h in heat:
        z = decode(h["z"])
        assert z.dtype == np.uint8 and z.shape == (100, 100)
    legend = [t["name"] for t in spec["data"] if t.get("showlegend")]
    for m in ("M1 (3, 2) global minimum", "M2 (−2.81, 3.13) global minimum", "M3 (−3.78, −3.28) global minimum",
              "M4 (3.58, −1.85) global minimum", "✖ diverged"):
        assert m in legend
    assert len(json.dumps(spec)) < 1_000_000
    assert dict(at.query_params) == {**DEFAULT_OPTS, "view": "basins"}
    assert not at.error
    # Seen on a 390-px phone: the four maps were one figure, shrunk to ~140 px each. Now one figure per map, in
    # columns (two a row: Streamlit stacks them on a phone), each whole on its own: title and settings stamp, its
    # map's name and shares, every minimum in the legend.
    figs = spec["figures"]
    assert len(figs) == 4 and [len([t for t in f["data"] if t["type"] == "heatmap"]) for f in figs] == [1] * 4
    in_columns = [[c.key for c in col.get("plotly_chart")] for col in at.columns]
    assert [keys for keys in in_columns if keys] == [[f"cmp_basin_chart_{i}"] for i in range(4)]
    for f, name in zip(figs, ("SGD (lr 0.01, μ 0.9)", "RMSprop (lr 0.01)", "Adam (lr 0.05)", "Lion (lr 0.01)")):
        title = f["layout"]["title"]["text"]
        assert "Basins of attraction on Himmelblau" in title and "100×100 starts" in title and "seed 0" in title
        assert any(a["text"].startswith(f"<b>{name}</b>") for a in f["layout"]["annotations"])
        assert "M1 (3, 2) global minimum" in [t["name"] for t in f["data"] if t.get("showlegend")]


def test_default_fair_view():
    at = open_compare(view="fair")
    spec = chart(at, "cmp_fair_chart")
    assert spec["layout"]["images"][0]["source"].startswith("data:image/png;base64,")
    prov = "<br>".join(spec["layout"]["meta"]["provenance"])
    assert "Landscape: Himmelblau (himmelblau) · start (0, 0) · steps 500" in prov
    assert "no clipping" in prov and prov.count("(tuned)") == 4
    # Map and loss chart are two figures (st.columns: a phone stacks them, the old single figure kept them
    # ~150 px wide side by side); both titles carry the shared settings in lines that fit a phone.
    loss = chart(at, "cmp_fair_loss")
    assert [t["mode"] for t in loss["data"]] == ["lines"] * 4 and not loss["layout"].get("images")
    for fig in (spec, loss):
        title = fig["layout"]["title"]["text"]
        assert "start (0, 0) · 500 steps" in title and "seed 0" in title and "no clipping" in title
        assert max(len(re.sub(r"<[^>]+>", "", ln)) for ln in title.split("<br>")[1:]) <= 46
        assert not [a for a in fig["layout"].get("annotations", []) if a.get("name") == "provenance"]
    # Every setting is printed on the page as plain text that wraps (no 125-character line cut at the edge).
    printed = at.code[0]
    assert printed.value.splitlines() == [re.sub(r"^<span[^>]*>■</span> ", "■ ", ln)
                                          for ln in spec["layout"]["meta"]["provenance"]]
    assert printed.proto.wrap_lines
    assert len(printed.value.splitlines()) == 3 + 4  # one line a setting group: the browser wraps them
    table = at.dataframe[0].value
    assert list(table["optimizer"].str.split(" ").str[0]) == ["SGD", "RMSprop", "Adam", "Lion"]
    assert table["tuned learning rate"].notna().all()
    assert not at.error


# --------------------------------------------------------------------------- #
# What the page shows equals one-by-one runs                                   #
# --------------------------------------------------------------------------- #
def test_sweep_results_equal_one_by_one_runs(default_sweep):
    at = default_sweep
    land = landscapes.get("himmelblau")
    results = at.session_state["cmp_sweep_results"]
    spec = chart(at, "cmp_sweep_chart")
    lines = {t["name"].split(" · ")[0]: decode(t["y"]) for t in spec["data"] if t["mode"] == "lines"}
    assert set(results) == set(lines)
    for label, r in results.items():
        choice = r["choice"]
        assert np.allclose(r["learning_rates"], LR_GRID)
        hyper = {k: v for k, v in choice.params if k != "learning_rate"}
        # what the chart draws is what the page stored
        shown = lines[label]
        ok = r["diverged_at"] < 0
        assert np.allclose(shown[ok], np.maximum(r["final_loss"][ok], 1e-16), rtol=1e-12)
        assert np.all(np.isnan(shown[~ok]))
        for i in sorted({0, 60, 120, 180, 240, int(r["best_index"])}):
            opt = optimizers.get(choice.name, flavor=choice.flavor, learning_rate=float(LR_GRID[i]), **hyper)
            t = optimizers.run(opt, land, start=(0.0, 0.0), steps=500)
            assert t.loss[-1] == pytest.approx(r["final_loss"][i], rel=1e-12, abs=1e-300), (label, i)
            assert (t.diverged_at if t.diverged_at is not None else -1) == r["diverged_at"][i]
            stt = optimizers.steps_to_tolerance(t.loss, 0.0, 1e-3, -1 if t.diverged_at is None else t.diverged_at)
            assert int(stt) == r["steps_to_tol"][i]


def test_basin_results_equal_one_by_one_runs():
    at = open_compare(view="basins", grid="50", steps="150", o1="SGD;learning_rate=0.02;momentum=0.9",
                      o2="Adam;learning_rate=0.1")
    land = landscapes.get("himmelblau")
    spec = basin_chart(at)
    heat = [t for t in spec["data"] if t["type"] == "heatmap"]
    groups = spec["layout"]["meta"]["groups"]
    G = len(groups)
    radius = 0.05 * np.hypot(10, 10)
    minima = np.asarray(land.minima)
    rng = np.random.default_rng(0)
    opts = [optimizers.get("SGD", learning_rate=0.02, momentum=0.9), optimizers.get("Adam", learning_rate=0.1)]
    codes = [decode(h["z"]) for h in heat]
    assert (codes[0] == G + 2).any(), "this SGD diverges from some starts"
    xs, ys = decode(heat[0]["x"]), decode(heat[0]["y"])
    for opt, code in zip(opts, codes):
        picks = [tuple(rng.integers(0, 50, 2)) for _ in range(10)]
        picks += [tuple(np.argwhere(code == G + 2)[0])] if (code == G + 2).any() else []
        for i, j in picks:
            t = optimizers.run(opt, land, start=(float(xs[j]), float(ys[i])), steps=150)
            if t.diverged_at is not None:
                assert code[i, j] == G + 2
                continue
            d = np.hypot(*(minima - t.params[-1]).T)
            if d.min() <= radius:
                assert code[i, j] == d.argmin(), (i, j)
            else:
                assert code[i, j] >= 4 and code[i, j] != G + 2
    # the same starts coloured by final loss
    at.radio(key="cmp_color").set_value("loss").run()
    assert not at.exception
    spec = basin_chart(at)
    z = decode([t for t in spec["data"] if t["type"] == "heatmap"][2]["z"])  # Adam (after SGD's 2 layers)
    for i, j in [(0, 0), (10, 40), (25, 25), (49, 3)]:
        t = optimizers.run(opts[1], land, start=(float(xs[j]), float(ys[i])), steps=150)
        assert z[i, j] == pytest.approx(np.log10(max(float(t.loss[-1]), 1e-16)), abs=1e-5)


def test_fair_mode_prints_the_settings_it_used():
    params = dict(view="fair", land="six_hump_camel", start="1,-0.5", steps="200", noise="0.5", seed="3",
                  o1="Adam;flavor=textbook;beta_1=0.8", o2="SGD;momentum=0.9;nesterov=1",
                  o3="RMSprop;flavor=pytorch;learning_rate=0.01")
    at = open_compare(**params)
    land = landscapes.get("six_hump_camel")
    spec = chart(at, "cmp_fair_chart")
    prov = "<br>".join(spec["layout"]["meta"]["provenance"])
    lines = prov.split("<br>")
    head = " ".join(lines[:2])
    m = re.search(r"Landscape: .*\((\w+)\) · start \(([^,]+), ([^)]+)\) · steps (\d+) · gradient noise σ=([\d.e+-]+) "
                  r"· noise seed (\d+)", head)
    assert m, head
    name, sx, sy, steps, noise, seed = m.groups()
    assert (name, float(sx), float(sy), int(steps), float(noise), int(seed)) == ("six_hump_camel", 1.0, -0.5, 200,
                                                                                0.5, 3)
    from charts.compare import parse_config_lines
    printed = parse_config_lines(lines)
    assert [(n, f) for n, f, _ in printed] == [("Adam", "textbook"), ("SGD", "keras"), ("RMSprop", "pytorch")]
    assert printed[0][2]["beta_1"] == 0.8 and printed[1][2]["nesterov"] is True
    assert printed[0][2]["epsilon"] == 1e-08  # the textbook default, printed although not set
    table = at.dataframe[0].value
    curves = {t["meta"]: t for t in chart(at, "cmp_fair_loss")["data"] if t["mode"] == "lines"}
    for k, (oname, flavor, hp) in enumerate(printed):
        t = optimizers.run(optimizers.get(oname, flavor=flavor, **hp), land, start=(float(sx), float(sy)),
                           steps=int(steps), noise=float(noise), seed=int(seed))
        assert float(table["final loss"].iloc[k]) == float(t.loss[-1 if t.diverged_at is None else t.diverged_at - 1])
        assert decode(curves[table["optimizer"].iloc[k]]["y"])[-1] == pytest.approx(max(float(t.loss[-1]) - land.min_value, 1e-16), rel=1e-12)
        # the printed learning rate is the tuned one: the sweep's best on these very settings
        hyper = {kk: v for kk, v in hp.items() if kk != "learning_rate"}
        best, _ = optimizers.tune_learning_rate(oname, land, start=(1.0, -0.5), steps=200, noise=0.5, seed=3,
                                                learning_rates=LR_GRID, flavor=flavor, **hyper)
        assert hp["learning_rate"] == best
        assert float(table["tuned learning rate"].iloc[k]) == best
    unwrapped = " ".join(ln.strip() for ln in prov.split("<br>"))
    assert "no clipping, no added weight decay, constant learning rate" in unwrapped


def test_fair_mode_detects_a_changed_setting():
    """The provenance check above can fail: a different seed gives a different final loss."""
    at = open_compare(view="fair", land="six_hump_camel", steps="100", noise="0.5", seed="3", o1="Adam")
    from charts.compare import parse_config_lines
    spec = chart(at, "cmp_fair_chart")
    prov = "<br>".join(spec["layout"]["meta"]["provenance"])
    (name, flavor, hp), = parse_config_lines(prov.split("<br>"))
    land = landscapes.get("six_hump_camel")
    shown = float(at.dataframe[0].value["final loss"].iloc[0])
    same = optimizers.run(optimizers.get(name, flavor=flavor, **hp), land, steps=100, noise=0.5, seed=3)
    other = optimizers.run(optimizers.get(name, flavor=flavor, **hp), land, steps=100, noise=0.5, seed=4)
    assert float(same.loss[-1]) == shown != float(other.loss[-1])


# --------------------------------------------------------------------------- #
# URL parameters and widgets                                                    #
# --------------------------------------------------------------------------- #
def test_bad_url_params_fall_back_with_notices():
    bad = dict(land="nowhere", steps="99999", noise="-1", seed="x", tol="abc", view="zoom", grid="201",
               metric="best", start="100,100", o1="Bogus;learning_rate=1", o2="Adam;learning_rate=-3",
               o9="Adam")
    at = open_compare(**bad)
    notes = texts(at.warning)
    for name, raw in bad.items():
        phrase = f"Ignored {name} from the link" if name == "o9" else (
            f"Ignored optimizer {name} = “{raw}”" if name in ("o1", "o2") else f"Ignored {name} = “{raw}”")
        assert phrase in notes, (phrase, notes)  # start: checked against the default landscape's bounds
    assert at.selectbox(key="cmp_land").value == "himmelblau"
    assert at.number_input(key="cmp_steps").value == 500 and at.slider(key="cmp_grid").value == 100
    assert at.radio(key="cmp_view").value == "sweep"
    # both optimizers were rejected: the default line-up, and a link without the bad values
    assert dict(at.query_params) == DEFAULT_OPTS
    chart(at, "cmp_sweep_chart")


def test_bad_custom_formula_in_link():
    at = open_compare(land="custom", expr="x +* 2", view="basins", grid="50", steps="100", o1="Adam")
    assert "Ignored expr = “x +* 2” from the link" in texts(at.warning)
    assert at.text_input(key="cmp_expr").value == "(x**2 - 1)**2 + (y**2 - 1)**2"
    basin_chart(at)


def test_good_link_round_trips():
    params = dict(land="six_hump_camel", view="basins", grid="60", steps="200", seed="5", tol="0.01",
                  o1="Adam;learning_rate=0.02", o2="Lion")
    at = open_compare(**params)
    assert not at.warning
    spec = basin_chart(at)
    heat = [t for t in spec["data"] if t["type"] == "heatmap"]
    assert len(heat) == 2 and decode(heat[0]["z"]).shape == (60, 60)
    assert [a["text"].split("</b>")[0] for a in spec["layout"]["annotations"] if a["text"].startswith("<b>")] == \
        ["<b>Adam (lr 0.02)", "<b>Lion (lr 0.001)"]
    assert len([n for n in spec["layout"]["meta"]["groups"] if n.startswith("M")]) == 6
    assert dict(at.query_params) == params


def test_metric_switch_moves_the_stars_and_the_link(default_sweep):
    at = open_compare(steps="200")
    at.radio(key="cmp_metric").set_value("steps").run()
    assert not at.exception
    assert at.query_params["metric"] == "steps"
    spec = chart(at, "cmp_sweep_chart")
    assert spec["layout"]["yaxis"]["title"]["text"].startswith("steps until")
    results = at.session_state["cmp_sweep_results"]
    for (label, r), star in zip(results.items(), [t for t in spec["data"]
                                                   if t.get("marker", {}).get("symbol") == "star"]):
        ok = (r["diverged_at"] < 0) & (r["steps_to_tol"] >= 0)
        assert star["y"] == [r["steps_to_tol"][ok].min()]
    # the switch survives a trip to another view and back (its state is kept while hidden)
    at.radio(key="cmp_view").set_value("fair").run()
    at.radio(key="cmp_view").set_value("sweep").run()
    assert at.radio(key="cmp_metric").value == "steps" and at.query_params["metric"] == "steps"


def test_textbook_adadelta_is_skipped_in_the_sweep_and_not_tuned():
    at = open_compare(steps="100", o1="Adadelta;flavor=textbook", o2="Adam")
    assert "no learning rate" in texts(at.info)
    spec = chart(at, "cmp_sweep_chart")
    assert [t["name"].split(" · ")[0] for t in spec["data"] if t["mode"] == "lines"] == ["Adam"]
    at.radio(key="cmp_view").set_value("fair").run()
    assert not at.exception
    prov = "<br>".join(chart(at, "cmp_fair_chart")["layout"]["meta"]["provenance"])
    assert "Adadelta [textbook] no learning rate (nothing to tune), rho=0.95" in prov
    assert "Adadelta [textbook] no learning rate (nothing to tune), rho=0.95" in at.code[0].value  # printed


def test_custom_formula_basins_and_live_validation():
    at = open_compare(land="custom", expr="(x**2 - 1)**2 + 2*(y**2 - 1)**2", view="basins", grid="50", steps="150",
                      o1="Adam;learning_rate=0.05")
    groups = basin_chart(at)["layout"]["meta"]["groups"]
    assert len(groups) == 4 and all("local minimum" in g for g in groups)
    at.text_input(key="cmp_expr").set_value("x**2 +* y").run()
    assert not at.exception
    assert "Could not read the formula" in texts(at.error)
    basin_chart(at)  # still drawn, with the last valid formula
    assert at.query_params["expr"] == "(x**2 - 1)**2 + 2*(y**2 - 1)**2"


def test_single_minimum_landscape_says_so():
    at = open_compare(land="quadratic", view="basins", grid="50", steps="300", o1="Adam;learning_rate=0.1")
    assert "single minimum" in texts(at.info)
    at.radio(key="cmp_color").set_value("loss").run()
    spec = basin_chart(at)
    assert "coloraxis" in spec["layout"]


def test_changing_one_optimizer_recomputes_only_that_one(monkeypatch):
    calls = {"lr_sweep": 0, "basin_map": 0}
    real_sweep, real_basin = optimizers.lr_sweep, optimizers.basin_map

    def sweep(*a, **k):
        calls["lr_sweep"] += 1
        return real_sweep(*a, **k)

    def basin(*a, **k):
        calls["basin_map"] += 1
        return real_basin(*a, **k)

    monkeypatch.setattr(optimizers, "lr_sweep", sweep)
    monkeypatch.setattr(optimizers, "basin_map", basin)
    st.cache_data.clear()
    at = open_compare(steps="120", seed="11")
    assert calls["lr_sweep"] == 4
    at.select_slider(key="cmp_o1_SGD_keras_momentum").set_value(0.5).run()
    assert calls["lr_sweep"] == 5                     # only SGD's sweep again
    at.select_slider(key="cmp_o3_Adam_keras_learning_rate").set_value(0.01).run()
    assert calls["lr_sweep"] == 5                     # the sweep does not depend on the learning rate
    at.radio(key="cmp_view").set_value("basins").run()
    assert calls["basin_map"] == 4
    at.select_slider(key="cmp_o3_Adam_keras_learning_rate").set_value(0.02).run()
    assert calls["basin_map"] == 5                    # only Adam's map again
    assert not at.exception


def test_add_and_remove_optimizers():
    at = open_compare(steps="50", o1="Adam")
    at.button(key="cmp_add").click().run()
    assert len(at.session_state["cmp_slots"]) == 2
    assert len([k for k in at.query_params if re.fullmatch(r"o\d", k)]) == 2
    at.button(key="cmp_rm1").click().run()
    assert len(at.session_state["cmp_slots"]) == 1 and "o2" not in at.query_params
    assert not at.exception


def test_settings_survive_a_visit_to_another_page():
    """Streamlit forgets widgets a run does not draw; persist_state keeps the page's settings, also those of
    switches drawn in one view only (the sweep's metric while the basin maps are shown)."""
    at = open_compare(steps="100", grid="50")
    at.radio(key="cmp_metric").set_value("steps").run()
    at.radio(key="cmp_view").set_value("basins").run()
    at.radio(key="cmp_color").set_value("loss").run()
    at.selectbox(key="cmp_land").set_value("six_hump_camel").run()
    at.number_input(key="cmp_steps").set_value(121).run()
    sx = next(w.key for w in at.number_input if w.key.startswith("cmp_sx"))
    at.number_input(key=sx).set_value(0.5).run()
    before = dict(at.query_params)
    assert before["metric"] == "steps" and before["color"] == "loss" and before["view"] == "basins"
    at.query_params.clear()  # the sidebar navigation opens pages without parameters
    at.switch_page("app_pages/maths.py").run()
    at.query_params.clear()
    at.switch_page("app_pages/compare.py").run()
    assert not at.exception
    assert dict(at.query_params) == before
    assert at.selectbox(key="cmp_land").value == "six_hump_camel"
    assert at.number_input(key="cmp_steps").value == 121
    assert at.number_input(key=sx).value == 0.5
    assert at.radio(key="cmp_color").value == "loss"
    at.radio(key="cmp_view").set_value("sweep").run()  # the metric switch, hidden since before the visit
    assert at.radio(key="cmp_metric").value == "steps"
    assert chart(at, "cmp_sweep_chart")["layout"]["meta"]["metric"] == "steps"


def test_a_link_reproduces_the_view():
    """The link the page writes, opened in a new session, shows the same chart."""
    at = open_compare(steps="80", o1="Adam;learning_rate=0.02")
    at.radio(key="cmp_view").set_value("basins").run()
    at.radio(key="cmp_color").set_value("loss").run()
    at.slider(key="cmp_grid").set_value(50).run()
    again = open_compare(**dict(at.query_params))
    assert not again.warning
    assert basin_chart(again) == basin_chart(at)
    assert dict(again.query_params) == dict(at.query_params)
