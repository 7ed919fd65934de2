"""Unit tests of charts.compare (no Streamlit): sweeps, basin maps, fair-mode provenance."""
import html
import json
import re
import time

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest

import landscapes
import optimizers
from charts.compare import (DIVERGED_COLOR, ELSEWHERE_COLOR, GROUP_COLORS, LOSS_FLOOR, OTHER_MIN_COLOR, BasinPanel,
                            SweepSeries, basin_csv, basin_figure, best_index, config_line, diverging_segments,
                            fair_html, fair_loss_figure, fair_map_figure, fair_table, parse_config_lines,
                            provenance_lines, provenance_text, sweep_csv, sweep_figure, sweep_table, sweep_values)
from charts.race import RaceRun
from optimizers import endpoint_groups, full_config
from tests.helpers import decode as decode_array

LRS = np.logspace(-5, 1, 241)



def decode(b):
    return decode_array(b, None if isinstance(b, dict) else float)


def series_of(name, land, label=None, color="#0072B2", metric_tol=1e-3, steps=300, **hyper):
    r = optimizers.lr_sweep(name, land, LRS, steps=steps, tol=metric_tol, **hyper)
    return SweepSeries(label or name, color, r.learning_rates, r.final_loss, r.diverged_at, r.steps_to_tol,
                       r.best_index, name), r


@pytest.fixture(scope="module")
def himmel():
    return landscapes.get("himmelblau")


@pytest.fixture(scope="module")
def sgd_adam(himmel):
    s1, r1 = series_of("SGD", himmel, "SGD (μ 0.9)", "#E69F00", momentum=0.9)
    s2, r2 = series_of("Adam", himmel, "Adam", "#009E73")
    return [s1, s2], [r1, r2]


# --------------------------------------------------------------------------- #
# Learning-rate sensitivity                                                     #
# --------------------------------------------------------------------------- #
def test_sweep_figure_validates_and_draws_one_curve_per_optimizer(sgd_adam):
    series, _ = sgd_adam
    fig = sweep_figure(series, "final", 0.0, "title", "sub", 1e-3)
    go.Figure(fig)  # plotly's validator accepts the dict
    lines = [t for t in fig["data"] if t["mode"] == "lines"]
    assert [t["name"].split(" · ")[0] for t in lines] == ["SGD (μ 0.9)", "Adam"]
    assert fig["layout"]["xaxis"]["type"] == "log" and fig["layout"]["yaxis"]["type"] == "log"
    x = decode(lines[0]["x"])
    assert len(x) >= 200 and np.allclose(x, LRS)


def test_best_marker_sits_at_the_sweeps_best(sgd_adam):
    series, results = sgd_adam
    fig = sweep_figure(series, "final", 0.0)
    stars = [t for t in fig["data"] if t.get("marker", {}).get("symbol") == "star"]
    assert len(stars) == 2
    for s, r, star in zip(series, results, stars):
        b = r.best_index
        assert b >= 0
        assert star["x"] == [pytest.approx(r.best_learning_rate)]
        assert star["y"] == [pytest.approx(max(r.final_loss[b] - 0.0, LOSS_FLOOR))]
        # no rate that did not diverge has a lower tail loss (mean over the last 10% of steps)
        ok = r.diverged_at < 0
        assert r.tail_loss[b] == r.tail_loss[ok].min()
    best_notes = [a for a in fig["layout"]["annotations"] if a.get("name") == "best"]
    assert len(best_notes) == 2
    assert np.isclose(10 ** best_notes[0]["x"], results[0].best_learning_rate)  # log axes: annotation x is log10
    assert "SGD" in best_notes[0]["text"] and "Adam" in best_notes[1]["text"]


def test_steps_metric_stars_the_fewest_steps(sgd_adam):
    series, results = sgd_adam
    fig = sweep_figure(series, "steps", 0.0, tol=1e-3)
    stars = [t for t in fig["data"] if t.get("marker", {}).get("symbol") == "star"]
    for s, star in zip(series, stars):
        ok = (s.diverged_at < 0) & (s.steps_to_tol >= 0)
        fewest = s.steps_to_tol[ok].min()
        assert star["y"] == [fewest]
        assert s.steps_to_tol[np.argmin(np.abs(s.learning_rates - star["x"][0]))] == fewest
    assert "steps until" in fig["layout"]["yaxis"]["title"]["text"]


@pytest.mark.parametrize("metric", ["final", "steps"])
def test_sweep_table_row_is_the_starred_rate(sgd_adam, metric):
    """Every column of a row describes the same (starred) learning rate, whichever metric is shown."""
    series, results = sgd_adam
    fig = sweep_figure(series, metric, 0.0, tol=1e-3)
    rows = sweep_table(series, fig)
    assert [r["optimizer"] for r in rows] == ["SGD (μ 0.9)", "Adam"]
    for row, s, r in zip(rows, series, results):
        i = best_index(s, metric)
        assert i >= 0 and row["best learning rate"].split(" ")[0] == f"{float(r.learning_rates[i]):.4g}"
        next_to_cliff = any(r.diverged_at[j] >= 0 for j in (i - 1, i + 1) if 0 <= j < len(r.diverged_at))
        assert ("next to a diverging rate" in row["best learning rate"]) == next_to_cliff
        assert float(row["final loss at the best rate"]) == pytest.approx(float(r.final_loss[i]), rel=5e-4)
        assert row["steps to tolerance at the best rate"] == (str(int(r.steps_to_tol[i])) if r.steps_to_tol[i] >= 0
                                                              else "not reached")
        assert not any(v in (None, -1, "-1", "None") for v in row.values())  # words, never codes
    d = results[0].diverged_at >= 0
    # every diverging range is listed, not only the first
    n_ranges = int(np.sum(d[1:] & ~d[:-1]) + d[0])
    assert rows[0]["diverges for"].count(" and ") == n_ranges - 1
    assert rows[0]["diverges for"].endswith(f"({int(d.sum())} of 241 rates)")


def test_curve_has_gaps_where_runs_diverge(sgd_adam):
    series, results = sgd_adam
    v = sweep_values(series[0], "final", 0.0)
    d = results[0].diverged_at >= 0
    assert d.any() and (~d).any()
    assert np.all(np.isnan(v[d])) and np.all(np.isfinite(v[~d]))
    fig = sweep_figure(series, "final", 0.0)
    y = decode(fig["data"][0]["y"])
    assert np.array_equal(np.isnan(y), d)


def test_divergence_shading_covers_exactly_the_diverging_rates(sgd_adam):
    series, results = sgd_adam
    fig = sweep_figure(series, "final", 0.0)
    lane = [sh for sh in fig["layout"]["shapes"] if sh.get("yref") == "y2"]
    sgd_rects = [sh for sh in lane if sh["y0"] < 0 < sh["y1"]]      # lane 0 = SGD
    adam_rects = [sh for sh in lane if sh["y0"] < 1 < sh["y1"]]     # lane 1 = Adam
    d = results[0].diverged_at >= 0
    inside = np.zeros(len(LRS), bool)
    for sh in sgd_rects:
        inside |= (LRS >= sh["x0"]) & (LRS <= sh["x1"])
        assert sh["fillcolor"] == "#E69F00"
    assert np.array_equal(inside, d)  # every diverging rate shaded, no other
    # Adam (bounded steps) never leaves the box here: no shading, and the lane says so
    assert adam_rects == [] and results[1].diverging_range is None
    assert any("never diverges" in a["text"] for a in fig["layout"]["annotations"] if a.get("yref") == "y2")
    assert fig["layout"]["meta"]["diverging"][0]["segments"] == diverging_segments(series[0])


def test_diverging_segments_on_a_hand_made_pattern():
    lrs = np.array([1, 2, 3, 4, 5, 6, 7], float)
    div = np.array([-1, 5, 3, -1, -1, 2, 1])
    s = SweepSeries("x", "#000", lrs, np.ones(7), div, -np.ones(7, int), 0)
    assert diverging_segments(s) == [(2.0, 3.0), (6.0, 7.0)]
    s = SweepSeries("x", "#000", lrs, np.ones(7), -np.ones(7, int), -np.ones(7, int), 0)
    assert diverging_segments(s) == []


def test_sweep_csv_round_trips(sgd_adam):
    series, _ = sgd_adam
    text = sweep_csv(series).splitlines()
    assert text[0] == "optimizer,learning_rate,final_loss,steps_to_tol,diverged_at"
    assert len(text) == 1 + 2 * len(LRS)
    first = text[1].split(",")
    assert float(first[-4]) == pytest.approx(LRS[0])


def test_best_index_when_everything_diverges():
    lrs = np.array([1.0, 2.0])
    s = SweepSeries("x", "#000", lrs, np.ones(2), np.array([3, 2]), np.array([-1, -1]), -1)
    assert best_index(s, "final") == -1 and best_index(s, "steps") == -1
    fig = sweep_figure([s], "final", 0.0)
    assert not [t for t in fig["data"] if t.get("marker", {}).get("symbol") == "star"]
    assert "no rate converged" in fig["data"][0]["name"]


# --------------------------------------------------------------------------- #
# Basin maps                                                                    #
# --------------------------------------------------------------------------- #
def panel_of(opt, land, n=40, steps=300, label=None):
    r = optimizers.basin_map(opt, land, n=n, steps=steps)
    return BasinPanel(label or opt.name, r.xs, r.ys, r.label, r.final_loss, r.final_params), r


def colour_of(code, colorscale):
    """The colour a discrete colorscale (zmin −0.5, one flat step per code) gives integer ``code``."""
    K = len(colorscale) // 2
    return colorscale[2 * code][1] if code < K else None


def test_basin_heatmap_shape_codes_and_colours(himmel):
    p1, r1 = panel_of(optimizers.get("Adam", learning_rate=0.05), himmel)
    p2, r2 = panel_of(optimizers.get("SGD", learning_rate=0.02, momentum=0.9), himmel)
    assert (r2.label == -2).any(), "SGD at 0.02 should diverge from some starts"
    g = endpoint_groups([p1, p2], himmel)
    assert len(g.centres) == 4 and all(g.known)
    fig = basin_figure([p1, p2], g, himmel, "minimum", 0.0, "t", "s")
    go.Figure(fig)
    heat = [t for t in fig["data"] if t["type"] == "heatmap"]
    assert len(heat) == 2
    for h, r in zip(heat, (r1, r2)):
        z = decode(h["z"])
        assert z.dtype == np.uint8 and z.shape == (40, 40)
        assert np.allclose(decode(h["x"]), r.xs) and np.allclose(decode(h["y"]), r.ys)
        # known-minimum labels are the codes, diverged → the diverged code
        kn = r.label >= 0
        assert np.array_equal(z[kn], r.label[kn])
        assert np.all(z[r.label == -2] == g.diverged)
        assert np.all(z[r.label == -1] == g.elsewhere)  # Himmelblau: nothing else is found
        cs = h["colorscale"]
        assert colour_of(g.diverged, cs) == DIVERGED_COLOR
        assert colour_of(g.elsewhere, cs) == ELSEWHERE_COLOR
        assert [colour_of(k, cs) for k in range(4)] == GROUP_COLORS[:4]
        assert h["zmin"] == -0.5 and h["zmax"] == len(cs) // 2 - 0.5
    # every group the engine can list has a colour of its own
    assert optimizers.basins.MAX_GROUPS <= len(GROUP_COLORS) and len(set(GROUP_COLORS)) == len(GROUP_COLORS)
    # the four minima have four distinct colours, none of them the diverged red
    assert len(set(GROUP_COLORS[:4])) == 4 and DIVERGED_COLOR not in GROUP_COLORS
    legend = [t["name"] for t in fig["data"] if t.get("showlegend")]
    assert legend[:4] == g.names and "M1 (3, 2) global minimum" in legend
    assert "✖ diverged" in legend
    # minima marked on each map
    stars = [t for t in fig["data"] if t.get("name") == "minima"]
    assert len(stars) == 2 and len(stars[0]["x"]) == 4
    meta = fig["layout"]["meta"]["panels"][1]["shares"]
    assert meta[g.diverged] == pytest.approx((r2.label == -2).mean())


def test_rastrigin_local_minima_are_found_and_named(himmel):
    land = landscapes.get("rastrigin")
    p, r = panel_of(optimizers.get("RMSprop", learning_rate=0.01), land, n=60, steps=400)
    g = endpoint_groups([p], land)
    assert g.names[0] == "M1 (0, 0) global minimum"
    assert len(g.centres) == 10 and g.n_other > 30  # ~100 dips: 9 listed, the rest share one colour
    found = g.centres[1:]
    assert np.all(np.abs(np.round(found) - found) < 0.02)  # dips sit next to integer points
    dist = np.hypot(*found.T)  # the listed ones are the global minimum's 8 neighbours, then one 2 away
    assert np.all(dist[:8] < 1.5) and np.all(dist < 2.05)
    assert all("local minimum" in n for n in g.names[1:])
    code = g.codes[0]
    assert (code == g.other).mean() > 0.5
    fig = basin_figure([p], g, land, "minimum", 0.0)
    assert colour_of(g.other, fig["data"][0]["colorscale"]) == OTHER_MIN_COLOR
    assert any("another local minimum" in t.get("name", "") for t in fig["data"])
    # every coloured start's own run really ends next to its group's centre
    F = r.final_params
    for k in range(len(g.centres)):
        sel = code == k
        if sel.any():
            assert np.max(np.hypot(*(F[sel] - g.centres[k]).T)) < 0.05 * np.hypot(10.24, 10.24)


def test_end_points_that_are_not_minima_are_not_called_minima():
    land = landscapes.get("rosenbrock")  # slow optimizers pile up in the valley, away from (1, 1)
    p, _ = panel_of(optimizers.get("SGD", learning_rate=1e-4), land, n=30, steps=50)
    g = endpoint_groups([p], land, min_share=0.01)
    assert len(g.names) > 1, g.names
    for name in g.names[1:]:
        assert name.startswith("E") and "not a minimum" in name


def test_custom_formula_minima_are_found():
    land = landscapes.get("custom", expression="(x**2 - 1)**2 + (y**2 - 1)**2")
    assert len(land.minima) == 0
    p, _ = panel_of(optimizers.get("Adam", learning_rate=0.05), land, n=40, steps=300)
    g = endpoint_groups([p], land)
    assert sorted(g.names) == ["M1 ≈ (1, 1) local minimum", "M2 ≈ (−1, 1) local minimum",
                               "M3 ≈ (1, −1) local minimum", "M4 ≈ (−1, −1) local minimum"] or \
        sorted(np.round(g.centres).tolist()) == [[-1, -1], [-1, 1], [1, -1], [1, 1]]
    assert all("local minimum" in n for n in g.names) and len(g.names) == 4


def test_loss_colouring_shares_one_colour_bar_and_shows_diverged_red(himmel):
    p1, r1 = panel_of(optimizers.get("SGD", learning_rate=0.02, momentum=0.9), himmel)
    fig = basin_figure([p1], None, himmel, "loss", 0.0)
    go.Figure(fig)
    heat = [t for t in fig["data"] if t["type"] == "heatmap"]
    assert len(heat) == 2 and heat[0]["coloraxis"] == "coloraxis"
    z = decode(heat[0]["z"])
    assert z.dtype == np.float32
    d = r1.label == -2
    assert np.all(np.isfinite(z))  # no NaN to the browser: diverged starts are painted by the overlay
    assert d.any() and np.all(z[d] == z[~d].min())  # ...over a finite placeholder
    assert np.allclose(z[~d], np.log10(np.maximum(r1.final_loss[~d], LOSS_FLOOR)), atol=1e-5)
    overlay = decode(heat[1]["z"])
    assert np.array_equal(overlay.astype(bool), d) and heat[1]["colorscale"][-1][1] == DIVERGED_COLOR


def test_basin_figure_is_small_and_quick(himmel):
    panels = []
    for i, (name, kw) in enumerate([("SGD", dict(learning_rate=0.01, momentum=0.9)), ("RMSprop", {}),
                                    ("Adam", dict(learning_rate=0.05)), ("Lion", {})] * 2):
        p, _ = panel_of(optimizers.get(name, **kw), himmel, n=200, steps=30, label=f"{name} {i}")
        panels.append(p)
    t = time.perf_counter()
    g = endpoint_groups(panels, himmel)
    fig = basin_figure(panels, g, himmel, "minimum", 0.0)
    built = time.perf_counter() - t
    size = len(pio.to_json(fig, validate=False))
    loss_size = len(pio.to_json(basin_figure(panels, g, himmel, "loss", 0.0), validate=False))
    assert built < 1.0, built                    # 8 × 40,000 starts: grouping and figure, no per-point Python
    assert size < 1_000_000 and loss_size < 3_000_000, (size, loss_size)


def test_basin_csv_lists_every_start(himmel):
    p, r = panel_of(optimizers.get("Adam", learning_rate=0.05), himmel, n=10)
    g = endpoint_groups([p], himmel)
    rows = basin_csv([p], g).splitlines()
    assert len(rows) == 1 + 100
    outcomes = {row.rsplit(",", 1)[1] for row in rows[1:]}
    assert outcomes <= {"M1", "M2", "M3", "M4", "elsewhere", "diverged"}


# --------------------------------------------------------------------------- #
# Fair comparison                                                              #
# --------------------------------------------------------------------------- #
def test_full_config_lists_every_hyperparameter_with_defaults():
    cfg = full_config("Adam", "keras", {"learning_rate": 0.0841})
    assert cfg == {"learning_rate": 0.0841, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": False}
    assert full_config("SGD", "keras", {"nesterov": 1})["nesterov"] is True
    line = config_line("Adam", "keras", full_config("Adam", "keras", {"learning_rate": 0.08413951416451965}),
                       tuned=True)
    assert "learning_rate=0.08413951416451965 (tuned)" in line and "epsilon=1e-07" in line
    assert "no learning rate" in config_line("Adadelta", "textbook", full_config("Adadelta", "textbook"))


def test_provenance_contains_every_setting_and_runs_back_to_the_same_result(himmel):
    start, steps, noise, seed, tol = (0.5, -1.25), 150, 0.3, 7, 1e-3
    chosen = [("Adam", "keras", {"learning_rate": 0.08413951416451965}),
              ("SGD", "pytorch", {"learning_rate": 0.01, "momentum": 0.9, "nesterov": True}),
              ("Adadelta", "textbook", {})]
    runs, configs = [], []
    for i, (name, flavor, params) in enumerate(chosen):
        t = optimizers.run(optimizers.get(name, flavor=flavor, **params), himmel, start=start, steps=steps,
                           noise=noise, seed=seed, record="path")
        runs.append(RaceRun(name, t.params, t.loss, t.diverged_at, GROUP_COLORS[i], name))
        configs.append((GROUP_COLORS[i], config_line(name, flavor, full_config(name, flavor, params),
                                                     tuned=name == "Adam")))
    lines = provenance_lines("Himmelblau (himmelblau)", start, steps, noise, seed, tol, configs)
    text = "\n".join(lines)
    for piece in ("Himmelblau (himmelblau)", "start (0.5, -1.25)", "steps 150", "noise σ=0.3", "noise seed 7",
                  "tolerance 0.001", "no clipping", "learning_rate=0.08413951416451965 (tuned)",
                  "SGD [pytorch]", "momentum=0.9", "dampening=0", "nesterov=True", "Adadelta [textbook]",
                  "rho=0.95", "epsilon=1e-06", "beta_2=0.999", "amsgrad=False"):
        assert piece in text, piece
    assert max(len(ln.split("</span> ")[-1]) for ln in lines) <= 125  # wrapped to fit the chart
    # Read the settings back from the text and rerun the engine: the same final losses.
    parsed = parse_config_lines(lines)
    assert [(n, f) for n, f, _ in parsed] == [(n, f) for n, f, _ in chosen]
    for (name, flavor, params), run in zip(parsed, runs):
        t = optimizers.run(optimizers.get(name, flavor=flavor, **params), himmel, start=start, steps=steps,
                           noise=noise, seed=seed)
        assert float(t.loss[-1]) == float(run.loss[-1])
    fig = fair_map_figure(himmel, runs, {"source": "data:image/png;base64,AA", "xref": "x", "yref": "y", "x": -5,
                                         "y": 5, "sizex": 10, "sizey": 10, "layer": "below"},
                          lines, "Fair comparison", "start (0.5, −1.25) · 150 steps", start)
    go.Figure(fig)
    assert fig["layout"]["meta"]["provenance"] == lines
    assert fig["layout"]["images"][0]["layer"] == "below"
    # The HTML export: both figures and every setting, readable as plain text; no cloud button.
    page = fair_html([fig, fair_loss_figure(runs, "Loss", "", 0.0)], lines, "Fair comparison <on> Himmelblau")
    assert page.count('class="plotly-graph-div"') == 2 and "Fair comparison &lt;on&gt; Himmelblau" in page
    assert '"showSendToCloud": false' in page and '"displaylogo": false' in page
    pre = re.search(r"<pre[^>]*>(.*?)</pre>", page, re.S).group(1)
    assert html.unescape(pre) == provenance_text(lines) and "white-space:pre-wrap" in page
    assert parse_config_lines([re.sub(r"^■ ", "<span>■</span> ", ln) for ln in html.unescape(pre).splitlines()]) \
        == parse_config_lines(lines)


def test_fair_figures_titles_fit_a_phone_and_the_loss_chart_names_every_run(himmel):
    """Two figures (a phone stacks st.columns): each title carries the stamp wrapped to 46 characters; the loss
    chart's legend names every run in the optimizers' order, so its PNG alone says which curve is which."""
    runs = []
    for i, (name, lr) in enumerate((("SGD", 0.01), ("Adam", 0.05), ("Lion", 0.01))):
        t = optimizers.run(optimizers.get(name, learning_rate=lr), himmel, start=(0, 0), steps=60, record="path")
        runs.append(RaceRun(f"{name} (lr {lr})", t.params, t.loss, t.diverged_at, GROUP_COLORS[i], name))
    stamp = ("start (0, 0) · 60 steps · noise σ=0.3 · seed 7 · tolerance 0.001 · learning rates tuned on this "
             "landscape · no clipping")
    for fig in (fair_map_figure(himmel, runs, None, ["x"], "Fair comparison on Himmelblau", stamp),
                fair_loss_figure(runs, "Loss: fair comparison on f(x, y) = x**2 + 3*y**2 + sin(x*y)**2", stamp,
                                 0.0)):
        go.Figure(fig)
        lines = fig["layout"]["title"]["text"].split("<br>")
        head = [ln for ln in lines if not ln.startswith("<span")]
        assert max(map(len, head)) <= 40, head  # a long custom formula wraps too
        plain = [re.sub(r"<[^>]+>", "", ln) for ln in lines[len(head):]]
        assert " · ".join(plain) == stamp and max(map(len, plain)) <= 46
        assert fig["layout"]["legend"]["yref"] == "container"  # under the plot, never under the title
    loss = fair_loss_figure(runs, "Loss", stamp, 0.0)
    named = sorted((t["legendrank"], t["name"]) for t in loss["data"] if t.get("showlegend", True))
    assert [n for _, n in named] == [r.legend for r in runs]


def test_provenance_detects_a_wrong_setting(himmel):
    """The round trip can fail: a run with another learning rate than the printed one is caught."""
    cfg = full_config("Adam", "keras", {"learning_rate": 0.05})
    lines = provenance_lines("h", (0, 0), 100, 0.0, 0, 1e-3, [("#000", config_line("Adam", "keras", cfg))])
    (name, flavor, params), = parse_config_lines(lines)
    printed = optimizers.run(optimizers.get(name, flavor=flavor, **params), himmel, start=(0, 0), steps=100)
    other = optimizers.run(optimizers.get("Adam", learning_rate=0.0500001), himmel, start=(0, 0), steps=100)
    assert float(printed.loss[-1]) != float(other.loss[-1])


def test_fair_figure_cuts_diverged_paths_and_table_says_so(himmel):
    t = optimizers.run(optimizers.get("SGD", learning_rate=0.5), himmel, start=(4, 4), steps=50, record="path")
    assert t.diverged_at is not None
    ok = optimizers.run(optimizers.get("Adam", learning_rate=0.1), himmel, start=(4, 4), steps=50, record="path")
    runs = [RaceRun("SGD", t.params, t.loss, t.diverged_at, "#E69F00", "SGD"),
            RaceRun("Adam", ok.params, ok.loss, ok.diverged_at, "#0072B2", "Adam")]
    fig = fair_map_figure(himmel, runs, None, ["x"], "t", "", (4, 4))
    loss = fair_loss_figure(runs, "t", "", 0.0)
    curve = [tr for tr in loss["data"] if tr["meta"] == "SGD"][0]
    assert len(decode(curve["y"])) == t.diverged_at
    assert any("diverged at step" in a["text"] for a in loss["layout"]["annotations"])
    path = [tr for tr in fig["data"] if tr.get("name", "").startswith("SGD") and tr["mode"] == "lines"][0]
    assert len(decode(path["x"])) == t.diverged_at  # up to the last good point
    assert "diverged at step" in path["name"]
    assert np.all(np.isfinite(json.loads(pio.to_json(fig))["data"][0]["x"]))
    stt = [optimizers.steps_to_tolerance(t.loss, 0.0, 1e-3, t.diverged_at),
           optimizers.steps_to_tolerance(ok.loss, 0.0, 1e-3)]
    rows = fair_table(runs, [0.5, 0.1], stt)
    assert rows[0]["diverged"] == f"diverged at step {t.diverged_at}" and rows[1]["diverged"] == "—"
    assert rows[1]["tuned learning rate"] == 0.1
    assert rows[1]["final loss"] == float(ok.loss[-1])
    assert rows[0]["steps to tolerance"] == "not reached"  # it diverged before getting close
    assert rows[1]["steps to tolerance"] == (str(int(stt[1])) if stt[1] >= 0 else "not reached")


def test_fair_csv_stops_at_divergence(himmel):
    from charts.compare import fair_csv
    t = optimizers.run(optimizers.get("SGD", learning_rate=0.5), himmel, start=(4, 4), steps=50, record="path")
    rows = fair_csv([RaceRun('SGD "big"', t.params, t.loss, t.diverged_at, "#000", "SGD")]).splitlines()
    assert rows[0] == "step,optimizer,x,y,loss"
    assert len(rows) == 1 + t.diverged_at          # steps 0 … last good point
    assert rows[1].startswith('0,"SGD ""big""",4,4,')
