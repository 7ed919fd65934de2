"""charts.player: the spec the browser player gets (sizes, every step, scales) and the offline export."""
import base64
import json

import numpy as np
import plotly.graph_objects as go

import landscapes
import optimizers
from charts.common import PALETTE
from charts.player import nice_scale, player_html, player_spec, restyled, spec_bytes
from charts.race import RaceRun, loss_figure, race_figure
from optimizers.overlays import overlay_vectors


def _race(names, steps, land="rosenbrock"):
    land = landscapes.get(land)
    runs, ovs = [], []
    for i, (name, hp) in enumerate(names):
        t = optimizers.run(optimizers.get(name, **hp), land, steps=steps, record="full")
        runs.append(RaceRun(name, t.params, t.loss, t.diverged_at, PALETTE[i], name))
        ovs.append(overlay_vectors(t))
    return land, runs, ovs


def _spec(land, runs, ovs, **kw):
    return player_spec(race_figure(land, runs, None, max_frames=2), loss_figure(runs, land.min_value)[0], runs, ovs, **kw)


def test_nice_scale_is_the_largest_1_2_5_number_below():
    assert [nice_scale(x) for x in (0.037, 1, 4.99, 5, 19, 2e6)] == [0.02, 1, 2, 5, 10, 2e6]


def test_eight_runs_of_2000_steps_fit_the_3_mb_budget_with_every_step():
    line = [("SGD", {"learning_rate": 0.001, "momentum": 0.9}), ("Adam", {"learning_rate": 0.05}),
            ("RMSprop", {"learning_rate": 0.01}), ("Adagrad", {"learning_rate": 0.5}), ("Lion", {"learning_rate": 0.01}),
            ("ScheduleFreeAdamW", {"learning_rate": 0.05}), ("Nadam", {"learning_rate": 0.05}), ("SGD", {"learning_rate": 0.002})]
    land, runs, ovs = _race(line, 2000)
    spec = _spec(land, runs, ovs)
    assert spec_bytes(spec) <= 3_000_000
    assert spec["steps"] == 2000
    for r, run in zip(spec["runs"], runs):
        x = np.frombuffer(base64.b64decode(r["x"]), "<f8")
        assert np.array_equal(x, run.params[:, 0])  # every step, bit for bit
    assert set(spec["overlays"]) == {"grad", "momentum", "step", "second", "x_point"}
    sf = spec["runs"][5]
    x = np.frombuffer(base64.b64decode(sf["ov"]["x_point"]), "<f4").reshape(-1, 2)
    assert len(x) == 2001 and not np.allclose(x[1:], runs[5].params[1:])  # x is not the trained point y
    # z, Schedule-Free's base sequence, is sent too; y = (1 − β₁) z + β₁ x holds at every step (the paper's
    # interpolation, β₁ = 0.9 by default), up to float32.
    z = np.frombuffer(base64.b64decode(sf["ov"]["z_point"]), "<f4").reshape(-1, 2)
    assert len(z) == 2001 and np.allclose(0.1 * z + 0.9 * x, runs[5].params, atol=1e-5)
    assert all("z_point" not in r["ov"] for i, r in enumerate(spec["runs"]) if i != 5)


def test_the_figures_the_player_draws_are_valid_plotly_and_carry_no_animation():
    land, runs, ovs = _race([("Adam", {"learning_rate": 0.1})], 50)
    spec = _spec(land, runs, ovs)
    go.Figure(spec["map"])
    go.Figure(spec["loss"])
    assert "frames" not in spec["map"] and "sliders" not in spec["map"]["layout"]
    assert spec["runs"][0]["loss_trace"] == len(spec["loss"]["data"]) - 1  # the marker trace it moves


def test_scales_are_stated_and_put_a_long_arrow_near_an_eighth_of_the_map():
    land, runs, ovs = _race([("SGD", {"learning_rate": 0.002})], 300)
    spec = _spec(land, runs, ovs)
    c = spec["scales"]["grad"]
    g = np.hypot(*ovs[0]["grad"].T)
    drawn = np.percentile(c * g, 90)
    assert 0.05 * 4 < drawn <= 0.12 * 4 + 1e-9  # the map's smaller side is 4 (y from -1 to 3)


def test_export_is_offline_and_lists_the_settings():
    land, runs, ovs = _race([("Adam", {"learning_rate": 0.1})], 20)
    spec = _spec(land, runs, ovs)
    html = player_html(spec, "Race <x>", ["weight decay 0.01", "#1 <b>"])
    assert "<script src=" not in html and "DescentPlayer.mount" in html and len(html) > 3_000_000
    assert "&lt;b&gt;" in html and "Race &lt;x&gt;" in html
    data = html.split("window.__spec = ", 1)[1].split(";DescentPlayer.mount", 1)[0]
    assert json.loads(data.replace("<\\/", "</"))["id"] == spec["id"]


def test_restyled_gets_a_new_id_and_leaves_the_shared_spec_alone():
    land, runs, ovs = _race([("Adam", {"learning_rate": 0.1})], 20)
    spec = _spec(land, runs, ovs)
    before = json.dumps(spec, sort_keys=True)
    big = restyled(spec, style={"control_size": 22})
    assert big["id"] != spec["id"] and big["style"]["control_size"] == 22
    assert json.dumps(spec, sort_keys=True) == before


# --------------------------------------------------------------------------- #
# The same player for frames of whole arrays: the moons page's decision maps    #
# --------------------------------------------------------------------------- #
def _moons_runs(n=8, epochs=100, diverged_at=None):
    from charts import moons as mc
    from tests.test_charts_moons import fake_run
    return [fake_run(i, epochs=epochs, diverged_at=diverged_at if i == 1 else None) for i in range(n)], mc


def _grid():
    from tests.test_charts_moons import XS, YS
    return XS, YS


def test_moons_player_shows_every_snapshot_with_the_loss_marker_at_its_epoch():
    runs, mc = _moons_runs(3, epochs=40, diverged_at=13)
    rng = np.random.default_rng(1)
    spec = mc.boundary_player(runs, rng.normal(size=(300, 2)), rng.integers(0, 2, 300), _grid())
    assert spec["kind"] == "frames" and spec["values"] == mc.snapshot_epochs(40) and spec["steps"] == 20
    go.Figure(spec["map"])
    go.Figure(spec["loss"])
    assert "frames" not in spec["map"] and "sliders" not in spec["map"]["layout"]
    assert "updatemenus" not in spec["map"]["layout"]
    heat = spec["map"]["layout"]["meta"]["heatmaps"]
    for s, r in zip(spec["series"], runs):
        assert s["trace"] in heat and s["attr"] == "z" and s["shape"] == [50, 50]
        rows = np.frombuffer(base64.b64decode(s["data"]), "<f4").reshape(-1, 50, 50)
        for k, e in enumerate(spec["values"]):
            shown_epoch = rows[s["index"][k]][0, 0]  # fake maps carry their own epoch in [0, 0]
            assert shown_epoch == max(x for x in r.snapshot_epochs if x <= e)  # the last snapshot at or before e
    # the diverged network (at epoch 13, snapshots every 2 epochs) holds its epoch-12 map; its rows are not repeated
    s1 = spec["series"][1]
    assert len(np.frombuffer(base64.b64decode(s1["data"]), "<f4")) == 7 * 2500  # epochs 0, 2, ..., 12
    for m, r in zip(spec["runs"], runs):
        assert m["mx"][0] is None and m["my"][0] is None  # epoch 0: no loss recorded yet
        for k, e in enumerate(spec["values"][1:], 1):
            j = min(e, len(r.history["loss"]))
            assert m["mx"][k] == j and m["my"][k] == float(r.history["loss"][j - 1])
        assert spec["loss"]["data"][m["loss_trace"]]["mode"] == "markers"
    assert spec["runs"][1]["mx"][-1] == 12  # the diverged one stays on its last good epoch
    # Each panel's second title line says what that epoch was, never the final result while showing epoch 6.
    notes = spec["map"]["layout"]["annotations"]
    t0, t1 = spec["texts"][0], spec["texts"][1]
    assert notes[t0["annotation"]]["text"].startswith("<b>Opt0 (lr 0.01)</b>")
    k6 = spec["values"].index(6)
    loss6 = runs[0].history["loss"][5]
    assert t0["values"][k6] == f"<b>Opt0 (lr 0.01)</b><br>epoch 6: loss {loss6:.3g}<br>accuracy {runs[0].history['accuracy'][5]:.3f}"
    assert t0["values"][0].endswith("<br>epoch 0: before training")
    assert t1["values"][-1].endswith("<br>diverged at epoch 13")
    assert not any("<sup>" in v for t in spec["texts"] for v in t["values"])  # every line at the title's size
    # every panel keeps the data's aspect (one unit of x is one unit of y)
    lay = spec["map"]["layout"]
    assert all(lay[k]["scaleanchor"] == "x" + k[5:] for k in lay if k.startswith("yaxis"))
    assert spec_bytes(spec) < 3_000_000


def test_moons_player_with_eight_networks_of_2000_epochs_fits_the_budget():
    runs, mc = _moons_runs(8, epochs=2000)
    rng = np.random.default_rng(1)
    spec = mc.boundary_player(runs, rng.normal(size=(300, 2)), rng.integers(0, 2, 300), _grid())
    assert spec_bytes(spec) <= 3_000_000
    assert spec["values"] == mc.snapshot_epochs(2000)  # every snapshot fits (21 × 8 maps of 50 × 50 float32)
    small = mc.boundary_player(runs, rng.normal(size=(300, 2)), rng.integers(0, 2, 300), _grid(), budget=1_500_000)
    assert spec_bytes(small) <= 1_500_000 and 3 <= small["steps"] < 20
    assert small["values"][0] == 0 and small["values"][-1] == 2000
    assert len(set(np.diff(small["values"]).tolist())) == 1  # thinned at a regular stride of epochs


def test_moons_export_plays_the_same_player_offline_with_the_multiples_below():
    runs, mc = _moons_runs(2, epochs=10)
    rng = np.random.default_rng(1)
    spec = mc.boundary_player(runs, rng.normal(size=(300, 2)), rng.integers(0, 2, 300), _grid())
    extra = mc.multiples_figure(runs).to_plotly_json()
    html = player_html(spec, "Moons", ["batch size 32"], [extra])
    assert "<script src=" not in html and "DescentPlayer.mount" in html and "id='fig0'" in html
    data = html.split("window.__spec = ", 1)[1].split(";DescentPlayer.mount", 1)[0]
    assert json.loads(data.replace("<\\/", "</"))["id"] == spec["id"]


# --------------------------------------------------------------------------- #
# The learning-rate page: the fitted line and the loss curves, epoch by epoch   #
# --------------------------------------------------------------------------- #
def test_learning_rate_player_moves_the_fitted_line_and_the_loss_marker_one_epoch_at_a_time():
    from charts import regression as rc
    from ui.regression_run import compute_runs, regression_land
    from ui.settings import OptChoice

    land = regression_land()
    runs = compute_runs((0.1, 1.1), 30, "full", 10, 0, OptChoice.make("GradientDescent"))
    assert runs[1].diverged_at is not None  # 1.1 diverges (the document's point)
    spec = rc.fit_player(runs, land.X[:, 0], land.y, floor=land.min_value)
    go.Figure(spec["map"])
    go.Figure(spec["loss"])
    assert spec["values"] == list(range(31)) and spec["step_name"] == "epoch"
    for s, r in zip(spec["series"], runs):
        rows = np.frombuffer(base64.b64decode(s["data"]), "<f4").reshape(-1, 2)
        assert s["attr"] == "y" and spec["map"]["data"][s["trace"]]["name"] == "the line after the epoch shown"
        for k in (0, 1, 7, 30):
            j = min(k, len(r.epoch_params) - 1)
            w, b = r.epoch_params[j]
            assert np.allclose(rows[s["index"][k]], np.float32([b, w + b]), rtol=1e-6)  # y at x = 0 and 1
    for m, r in zip(spec["runs"], runs):
        for k in (0, 5, 30):
            j = min(k, len(r.loss) - 1)
            assert m["mx"][k] == j and m["my"][k] == float(r.loss[j])
    assert spec["runs"][1]["mx"][-1] == len(runs[1].loss) - 1  # the diverged rate stays on its last good epoch
    text = json.dumps(spec)
    assert "NaN" not in text and "Infinity" not in text and spec_bytes(spec) < 300_000


def test_moons_player_in_presentation_mode_draws_status_lines_as_large_as_the_controls():
    """Seen at 1920×1080: each panel's status line ("epoch e: loss …") was a <sup> of ~13 px beside 20-px controls."""
    from ui.player import PRESENT_STYLE, projected
    runs, mc = _moons_runs(8, epochs=20)
    rng = np.random.default_rng(1)
    spec = mc.boundary_player(runs, rng.normal(size=(300, 2)), rng.integers(0, 2, 300), _grid())
    assert spec["grid"]["n"] == 8 and len(spec["grid"]["titles"]) == 8 and spec["grid"]["chars"] == mc.PANEL_CHARS
    big = projected(spec, map_height=800, loss_height=800)
    notes = big["map"]["layout"]["annotations"]
    for t in big["texts"]:
        assert notes[t["annotation"]]["font"]["size"] >= PRESENT_STYLE["control_size"] >= 20
        assert all("<sup>" not in v and "<sub>" not in v for v in t["values"])
    assert spec["map"]["layout"]["annotations"][spec["texts"][0]["annotation"]]["font"]["size"] == mc.PANEL_FONT


def test_moons_panel_titles_wrap_between_words_and_keep_each_epochs_status():
    runs, mc = _moons_runs(2, epochs=20)
    runs[0].label = "SGD (lr 0.01, μ 0.9, nesterov)"
    title = mc.panel_title(runs[0], 6)
    lines = title.split("<br>")
    assert lines[:2] == ["<b>SGD (lr 0.01, μ 0.9,</b>", "<b>nesterov)</b>"]
    assert lines[2] == f"epoch 6: loss {runs[0].history['loss'][5]:.3g}"
    assert lines[3] == f"accuracy {runs[0].history['accuracy'][5]:.3f}"
    assert all(len(line.replace("<b>", "").replace("</b>", "")) <= mc.PANEL_CHARS + 2 for line in lines)
