"""The rules that keep charts truthful (issue: charts never mislead), tested on the figure builders.

Each rule is checked on the case where it was seen broken, with real engine runs.
"""
from __future__ import annotations

import math
import re

import numpy as np
import pytest

import landscapes
import optimizers
from charts.common import PALETTE, STAMP_CHARS, TOOLBAR_PX, edge_marks, loss_axis, wrap_stamp
from charts.race import RaceRun, loss_figure

RACE_LINEUP = [("SGD", dict(learning_rate=0.002)), ("SGD", dict(learning_rate=0.001, momentum=0.9)),
               ("RMSprop", dict(learning_rate=0.01)), ("Adam", dict(learning_rate=0.1)),
               ("Lion", dict(learning_rate=0.01))]


def _runs(land_name, lineup, steps=300):
    land = landscapes.get(land_name)
    runs = []
    for i, (name, kw) in enumerate(lineup):
        t = optimizers.run(optimizers.get(name, **kw), land, steps=steps, record="path")
        runs.append(RaceRun(f"{name} {kw}", t.params, t.loss, t.diverged_at, PALETTE[i], name))
    return land, runs


def _axis_range(fig):
    rng = fig["layout"]["yaxis"]["range"]
    return (10 ** rng[0], 10 ** rng[1]) if fig["layout"]["yaxis"]["type"] == "log" else tuple(rng)


# --------------------------------------------------------------------------- #
# 1. A diverged run never hides the others                                     #
# --------------------------------------------------------------------------- #
def test_goldstein_price_default_lineup_keeps_every_stable_run_on_the_chart():
    """Seen: two SGD runs diverge at step 2, the log axis spans 1e11…1e22 and the other three vanish."""
    land, runs = _runs("goldstein_price", RACE_LINEUP)
    assert any(r.diverged_at is not None for r in runs), "the case needs a diverging run"
    fig, _ = loss_figure(runs, land.min_value)
    lo, hi = _axis_range(fig)
    for r in runs:
        if r.diverged_at is None:
            d = r.loss[:r.last_good + 1]
            assert lo <= d.min() and d.max() <= hi, (r.label, d.min(), d.max(), lo, hi)
    # the diverged runs are announced at the edge, with their step
    texts = [a["text"] for a in fig["layout"]["annotations"]]
    for r in runs:
        if r.diverged_at is not None:
            assert f"✖ diverged at step {r.diverged_at}" in texts


def test_linear_axis_is_not_flattened_by_a_diverging_negative_loss():
    """Seen on "Escaping a saddle": a loss of −3×10⁶ flattens the others on a linear axis."""
    good = RaceRun("good", np.zeros((11, 2)), np.linspace(1.0, -2.0, 11), None, PALETTE[0])
    bad_loss = np.r_[np.linspace(1.0, -5.0, 6), -3e6, np.nan, np.nan, np.nan, np.nan]
    bad = RaceRun("bad", np.zeros((11, 2)), bad_loss, 7, PALETTE[1])
    fig, log_y = loss_figure([good, bad])
    assert not log_y
    lo, hi = fig["layout"]["yaxis"]["range"]
    assert lo > -10 and hi < 10 and lo <= -2.0 and hi >= 1.0
    ann = fig["layout"]["annotations"][0]
    assert ann["y"] == lo and "diverged at step 7" in ann["text"]  # pinned to the bottom edge


def test_all_diverged_axis_covers_them_all():
    a = np.array([1.0, 10.0, 100.0])
    assert loss_axis([a, a * 2], [True, True], log=True)[1] >= math.log10(200)


def test_edge_marks_inside_range_stay_at_the_point():
    marks = edge_marks([5], [2.0], [0.0, 10.0], False, ["#000000"], ["diverged at step 6"])
    assert marks[0]["y"] == 2.0


def test_edge_marks_of_runs_leaving_through_the_same_edge_never_cover_each_other():
    """Seen on Goldstein–Price (default line-up): both SGD runs diverge at step 2, and their two ✖ labels were drawn
    at the same place, so only one "diverged at step 2" could be read. Labels on one edge are stacked."""
    land, runs = _runs("goldstein_price", RACE_LINEUP)
    fig, _ = loss_figure(runs)
    top = [a for a in fig["layout"]["annotations"] if "diverged" in a["text"]]
    assert len(top) == 2
    shifts = sorted(abs(a.get("yshift", 0)) for a in top)
    assert shifts[1] - shifts[0] >= 16                       # one text row apart (13-px font)
    # Bottom edge too, and a mark inside the range is left where its point is.
    marks = edge_marks([3, 3, 1], [-50.0, -60.0, 5.0], [0.0, 10.0], False, ["#000"] * 3, ["a", "b", "c"])
    assert sorted(m.get("yshift", 0) for m in marks[:2]) == [0, 17] and marks[2].get("yshift", 0) == 0


# --------------------------------------------------------------------------- #
# 2. Every colour readable, and distinct for colour-blind viewers              #
# --------------------------------------------------------------------------- #
def _rgb(h):
    return np.array([int(h[i:i + 2], 16) for i in (1, 3, 5)], dtype=float)


def _lin(c):
    c = c / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _contrast(a, b):
    la, lb = (float(np.dot([0.2126, 0.7152, 0.0722], _lin(_rgb(h)))) for h in (a, b))
    hi, lo = max(la, lb), min(la, lb)
    return (hi + 0.05) / (lo + 0.05)


# Machado, Oliveira & Fernandes (2009), severity 1.0, in linear RGB.
_CVD = {"protan": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
        "deutan": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]],
        "tritan": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]],
        "none": np.eye(3)}


def _lab(lin_rgb):
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ lin_rgb
    t = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(t > 0.008856, np.cbrt(t), 7.787 * t + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def _delta_e(a, b, kind):
    m = np.asarray(_CVD[kind])
    return float(np.linalg.norm(_lab(np.clip(m @ _lin(_rgb(a)), 0, 1)) - _lab(np.clip(m @ _lin(_rgb(b)), 0, 1))))


def test_every_optimizer_colour_has_3_to_1_contrast_on_the_white_loss_chart():
    """Seen: white (#FFFFFF) was invisible, yellow #F0E442 had 1.3:1."""
    assert len(PALETTE) == 8 and len(set(PALETTE)) == 8
    for c in PALETTE:
        assert _contrast(c, "#FFFFFF") >= 3.0, c


@pytest.mark.parametrize("kind", sorted(_CVD))
def test_optimizer_colours_stay_distinct_for_colour_blind_viewers(kind):
    worst = min(_delta_e(a, b, kind) for i, a in enumerate(PALETTE) for b in PALETTE[i + 1:])
    assert worst >= 20.0, (kind, worst)


def _lstar(h):
    return float(_lab(_lin(_rgb(h)))[0])


@pytest.mark.parametrize("kind", sorted(_CVD))
def test_basin_colours_cannot_be_confused_with_optimizers(kind):
    """Seen: basin maps coloured minima with #8C564B, #9467BD and #CC79A7, three of the optimizers' colours."""
    from charts.common import BASIN_PALETTE
    from charts.compare import DIVERGED_COLOR, ELSEWHERE_COLOR, GROUP_COLORS, OTHER_MIN_COLOR
    assert GROUP_COLORS == BASIN_PALETTE and not set(GROUP_COLORS) & set(PALETTE)
    worst = min(_delta_e(b, c, kind) for b in BASIN_PALETTE for c in PALETTE)
    assert worst >= (30.0 if kind == "none" else 20.0), (kind, worst)
    # every basin colour is lighter than every optimizer colour: they differ in lightness, which survives
    # every colour-vision deficiency
    assert min(map(_lstar, BASIN_PALETTE)) >= max(map(_lstar, PALETTE)) + 10
    # and the basins stay distinguishable from each other and from tan / grey / diverged red on the map
    fixed = [OTHER_MIN_COLOR, ELSEWHERE_COLOR, DIVERGED_COLOR]
    pair = min(_delta_e(a, b, kind) for i, a in enumerate(BASIN_PALETTE + fixed)
               for b in (BASIN_PALETTE + fixed)[i + 1:])
    assert pair >= 9.0, (kind, pair)
    first = min(_delta_e(a, b, kind) for i, a in enumerate(BASIN_PALETTE[:4] + fixed)
                for b in (BASIN_PALETTE[:4] + fixed)[i + 1:])
    assert first >= 14.0, (kind, first)  # the usual 2–4 minima get the most distinct colours
    if kind == "none":
        assert min(_delta_e(a, b, kind) for i, a in enumerate(BASIN_PALETTE[:4]) for b in BASIN_PALETTE[i + 1:4]) >= 30


def test_basin_map_draws_its_groups_in_the_basin_palette():
    from charts.common import BASIN_PALETTE
    from charts.compare import BasinPanel, basin_figure
    from optimizers import basin_map, endpoint_groups
    land = landscapes.get("himmelblau")
    res = basin_map(optimizers.get("SGD", learning_rate=0.01), land, n=12, steps=60)
    panels = [BasinPanel.of("SGD", res)]
    fig = basin_figure(panels, endpoint_groups(panels, land), land)
    (hm,) = [t for t in fig["data"] if t["type"] == "heatmap"]
    scale = [c for _, c in hm["colorscale"]]
    assert scale[0] == BASIN_PALETTE[0] and not set(scale) & set(PALETTE)


def test_paths_on_the_map_have_a_halo_when_it_costs_no_resolution():
    from charts.common import PATH_HALO
    from charts.race import race_figure
    land, runs = _runs("rosenbrock", RACE_LINEUP[:2], steps=50)
    fig = race_figure(land, runs, None)
    assert fig["layout"]["meta"]["halos"] and fig["layout"]["meta"]["path_stride"] == 1
    lines = [t for t in fig["data"] if t.get("mode") == "lines"]
    halos = [t for t in lines if t["line"]["color"] == PATH_HALO]
    assert len(halos) == len(runs)
    for t in halos:  # drawn under its path, and wider
        path = next(p for p in lines if p.get("legendgroup") == t["legendgroup"] and p is not t)
        assert fig["data"].index(t) < fig["data"].index(path) and t["line"]["width"] > path["line"]["width"]


# --------------------------------------------------------------------------- #
# 3. One change at a time                                                       #
# --------------------------------------------------------------------------- #
def test_flavour_switch_keeps_shared_hyperparameters_and_offers_the_other_default():
    """Seen: switching Adam (lr 0.1) from Keras to textbook loaded lr 0.001 and ε 1e-8: two changes at once."""
    from streamlit.testing.v1 import AppTest
    from pathlib import Path
    from tests.helpers import open_editors, shown

    app = str(Path(__file__).resolve().parents[1] / "app.py")
    at = AppTest.from_file(app, default_timeout=120)
    at.query_params["o1"] = "Adam;learning_rate=0.1"
    at.switch_page("app_pages/race.py")
    at.run()
    open_editors(at)
    sid = at.session_state["race_slots"][0]["id"]
    at.radio(key=f"race_o{sid}_Adam_flavor").set_value("textbook").run()
    assert not at.exception
    assert at.select_slider(key=f"race_o{sid}_Adam_textbook_learning_rate").value == 0.1
    assert at.select_slider(key=f"race_o{sid}_Adam_textbook_epsilon").value == 1e-7
    link = at.query_params["o1"]
    link = link[0] if isinstance(link, list) else link
    assert {"flavor=textbook", "learning_rate=0.1", "epsilon=1e-07"} <= set(link.split(";")), link
    notes = " ".join(shown(c.value) for c in at.caption)
    assert "the textbook default is 1e-08" in notes
    at.button(key=f"race_o{sid}_Adam_textbook_epsilon_apply").click().run()
    assert at.select_slider(key=f"race_o{sid}_Adam_textbook_epsilon").value == 1e-8
    assert at.select_slider(key=f"race_o{sid}_Adam_textbook_learning_rate").value == 0.1


# --------------------------------------------------------------------------- #
# 5. The chart says what produced it                                            #
# --------------------------------------------------------------------------- #
def test_race_charts_and_exports_carry_every_non_default_setting():
    """Seen: with CosineDecay, weight decay 0.01, clipnorm 0.5 and noise σ 2 the legend read "SGD (lr 0.002)"."""
    import json
    from pathlib import Path
    from streamlit.testing.v1 import AppTest

    app = str(Path(__file__).resolve().parents[1] / "app.py")
    at = AppTest.from_file(app, default_timeout=120)
    for k, v in {"sched": "CosineDecay", "wd": "0.01", "clip": "clipnorm", "clipv": "0.5", "noise": "2",
                 "seed": "3", "o1": "SGD;learning_rate=0.002"}.items():
        at.query_params[k] = v
    at.switch_page("app_pages/race.py")
    at.run()
    assert not at.exception
    from tests.helpers import chart_spec
    for key, where in (("race_chart", "legend"), ("race_loss", None)):
        spec = chart_spec(at, key)
        heading = (spec["layout"][where] if where else spec["layout"])["title"]["text"]
        for word in ("CosineDecay", "weight decay 0.01", "clipnorm 0.5", "noise σ 2", "seed 3"):
            assert word in heading, (key, heading)
        # Wrapped, never cut at the chart's edge (seen: "… · gradient no" on the map, "weight decay 0.0" on the
        # loss chart): every line of the stamp fits a phone's chart.
        stamp = [re.sub(r"<[^>]+>", "", line) for line in heading.split("<br>")[1:]]
        assert len(stamp) >= 2 and max(map(len, stamp)) <= STAMP_CHARS, stamp


def test_wrap_stamp_breaks_between_settings():
    assert wrap_stamp("aaaa · bbbb · cccc", width=11) == ["aaaa · bbbb", "cccc"]
    assert wrap_stamp("a-very-long-setting · b", width=5) == ["a-very-long-setting", "b"]
    assert wrap_stamp("schedule CosineDecay (decay_steps 100, alpha 0.1) · seed 3", width=46) == [
        "schedule CosineDecay (decay_steps 100, alpha", "0.1) · seed 3"]
    assert wrap_stamp("") == []


def test_race_map_heading_and_legend_are_one_block_and_the_loss_title_clears_the_toolbar():
    """Seen at 1440 px: the map's settings stamp ran under the legend's first row, and on a phone the wrapped
    legend covered the landscape's name. The name and stamp are now the legend's title (one block, which Plotly
    grows as it wraps); the loss chart keeps the layout rule (title below the toolbar band)."""
    from charts.race import race_figure
    land, runs = _runs("rosenbrock", RACE_LINEUP, steps=20)
    stamp = "schedule CosineDecay (decay_steps 100, alpha 0.1) · weight decay 0.01 · clipnorm 0.5 · gradient noise σ 2"
    lay = race_figure(land, runs, None, max_frames=2, subtitle=stamp)["layout"]
    assert "title" not in lay
    heading = lay["legend"]["title"]
    assert heading["text"].startswith("Rosenbrock<br>") and heading["side"] == "top"
    assert lay["legend"]["yanchor"] == "bottom" and lay["legend"]["y"] >= 1   # the block sits on the map's top
    lines = heading["text"].count("<br>")
    assert lay["margin"]["t"] >= TOOLBAR_PX + 18 * 1.3 + lines * 13 * 1.3 + 24 * 3   # room for it at 1440 px
    check_top_band(loss_figure(runs, subtitle=stamp)[0])


def test_race_html_export_holds_map_loss_and_settings_and_no_cloud_link():
    """The race's export is the player's page (charts.player.player_html): the map, the loss chart and every
    setting (shown literally), and no button that sends the chart off the machine."""
    import json

    from charts.player import player_html, player_js, player_spec
    from charts.race import loss_csv, race_figure, trajectories_csv
    land, runs = _runs("rosenbrock", RACE_LINEUP[:2], steps=20)
    spec = player_spec(race_figure(land, runs, None, max_frames=2), loss_figure(runs)[0], runs)
    html = player_html(spec, "Race <test>", ["weight decay 0.01", "#1 SGD <b>"])
    data = json.loads(html.split("window.__spec = ", 1)[1].split(";DescentPlayer.mount", 1)[0].replace("<\\/", "</"))
    assert data["map"]["data"] and data["loss"]["data"]           # the map and the loss chart
    assert [t.get("name") for t in data["loss"]["data"][:2]] == [t.get("name") for t in loss_figure(runs)[0]["data"][:2]]
    settings = html.split("<ul class='settings'>", 1)[1].split("</ul>", 1)[0]
    assert "weight decay 0.01" in settings and "&lt;b&gt;" in settings and "<b>" not in settings
    # Every plot the player draws (the export's too) has Plotly's "send to cloud" and Chart Studio buttons off.
    js = player_js()
    assert js in html
    config = re.search(r"const config = \{([^}]*)\}", js)[1]
    assert "showSendToCloud: false" in config and "showEditInChartStudio: false" in config
    assert trajectories_csv(runs, ["clipnorm 0.5"]).startswith("# clipnorm 0.5\n")
    assert loss_csv(runs, ["seed 3"]).startswith("# seed 3\n")


# --------------------------------------------------------------------------- #
# 6. Messages that tell the truth                                              #
# --------------------------------------------------------------------------- #
def _open_race(**params):
    from pathlib import Path
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=120)
    for k, v in params.items():
        at.query_params[k] = v
    at.switch_page("app_pages/race.py")
    at.run()
    assert not at.exception, at.exception
    return at


def test_overflow_at_the_start_is_called_overflow_not_undefined_nor_diverged():
    """Seen with exp(exp(exp(x))): "f is undefined at the start", "diverged at step 0 … try a smaller learning
    rate", and an empty loss chart captioned "some losses are ≤ 0"."""
    from tests.helpers import shown
    at = _open_race(land="custom", expr="exp(exp(exp(x)))", start="3,0")
    warns = " ".join(shown(w.value) for w in at.warning)
    assert "overflows" in warns and "undefined" not in warns
    assert "diverged at step 0" not in warns and "smaller learning rate" not in warns
    assert not any("some losses are ≤ 0" in c.value for c in at.caption)


def test_undefined_start_is_called_undefined():
    from tests.helpers import shown
    at = _open_race(land="custom", expr="log(x) + y**2", start="-1,0")
    warns = " ".join(shown(w.value) for w in at.warning)
    assert "undefined at the start" in warns and "overflows" not in warns


def test_user_formula_in_an_error_is_shown_literally():
    """Seen: __import__('os') was rejected, but Markdown turned the underscores into italics."""
    from tests.helpers import shown
    at = _open_race(land="custom")
    at.text_input(key="race_expr").set_value("__import__('os')").run()
    err = " ".join(e.value for e in at.error)
    assert "\\_" in err                      # the underscore is escaped in the Markdown…
    assert "The character '_' at column 1" in shown(err)  # …so the reader sees it as typed, not italics


def test_stalled_since_finds_a_dead_network_and_spares_a_good_one():
    from optimizers import stalled_since
    dead = np.r_[np.linspace(2.0, 8.06, 20), np.full(80, 8.06)]
    assert stalled_since(dead, np.full(100, 0.5)) == 19
    good = np.r_[np.linspace(0.7, 0.01, 50), np.full(50, 0.01)]
    assert stalled_since(good, np.full(100, 1.0)) is None       # flat, but learned
    assert stalled_since(np.linspace(1, 0.5, 100), np.full(100, 0.5)) is None  # still moving


def test_moons_page_flags_a_dead_network():
    """Seen: SGD at lr 10 sat at loss 8.06 and accuracy 0.5 with no warning."""
    from pathlib import Path
    from streamlit.testing.v1 import AppTest
    from tests.helpers import shown

    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=300)
    for k, v in {"o1": "SGD;learning_rate=10", "o2": "Adam;learning_rate=0.01", "epochs": "60"}.items():
        at.query_params[k] = v
    at.switch_page("app_pages/moons.py")
    at.run()
    assert not at.exception
    warns = " ".join(shown(w.value) for w in at.warning)
    assert "stopped learning" in warns and "SGD" in warns.split("stopped learning")[0][-60:]
    assert "Adam" not in warns.split("Stopped learning:")[-1].split(".")[0]


def test_moons_loss_chart_axis_ignores_a_diverged_network():
    from charts.moons import MoonsRun, loss_figure as moons_loss
    good = MoonsRun("Adam", "Adam", {"loss": np.linspace(0.7, 0.01, 30)}, 30, np.array([0]), np.zeros((1, 2, 2)))
    bad = MoonsRun("SGD", "SGD", {"loss": np.r_[0.7, 50.0, 1e12]}, 30, np.array([0]), np.zeros((1, 2, 2)),
                   diverged_at=4)
    fig = moons_loss([good, bad], log=True)
    lo, hi = fig.layout.yaxis.range
    assert 10 ** hi < 10 and 10 ** lo <= 0.01
    assert any("diverged at epoch 4" in a.text for a in fig.layout.annotations)


def test_halo_never_costs_a_drawn_step():
    """Every step is drawn first: the halo is dropped rather than thin out the paths (a zig-zag of period 2
    would vanish at stride 2)."""
    from charts.race import race_figure
    land, runs = _runs("rosenbrock", RACE_LINEUP, steps=300)
    fig = race_figure(land, runs, None)
    assert fig["layout"]["meta"]["path_stride"] == 1


# --------------------------------------------------------------------------- #
# 7. Polish: the moons boundary slider's ticks are regular                      #
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("epochs", [40, 70, 130, 333, 1000])
def test_moons_slider_epochs_are_at_a_regular_stride(epochs):
    """Seen: the boundary slider's ticks read 0, 40, 120, 160, … (frames thinned by index)."""
    import charts.moons as mc
    eps = mc.snapshot_epochs(epochs)
    assert eps[0] == 0 and eps[-1] == epochs and len(eps) <= mc.MAX_SNAPSHOTS
    inner = np.diff(eps[:-1]) if epochs % (eps[1] - eps[0]) else np.diff(eps)
    assert len(set(inner.tolist())) == 1, eps
    for keep in (3, 5, 8, 13):
        kept = mc.regular_epochs(eps, keep)
        assert kept[0] == 0 and kept[-1] == epochs and len(kept) <= keep
        steps = np.diff(kept[:-1]) if len(kept) > 2 else np.diff(kept)
        assert len(set(steps.tolist())) == 1, (keep, kept)


def test_moons_boundary_slider_thinned_by_budget_stays_regular():
    import charts.moons as mc
    from charts.moons import MoonsRun, boundary_figure
    import inspect
    eps = np.array(mc.snapshot_epochs(40))
    grid = (np.linspace(-1.5, 2.5, 40), np.linspace(-1, 1.5, 40))
    rng = np.random.default_rng(0)
    runs = [MoonsRun(f"r{i}", "SGD", {"loss": np.linspace(1, 0.1, 40)}, 40, eps,
                     rng.random((len(eps), 40, 40)).astype(np.float32)) for i in range(8)]
    X = rng.normal(size=(50, 2)); y = (X[:, 0] > 0).astype(int)
    full = boundary_figure(runs, X, y, grid)
    per = mc.json_size(full["frames"][0])
    fig = boundary_figure(runs, X, y, grid, budget=mc.json_size({**full, "frames": []}) + 9 * per)
    labels = [int(s["label"]) for s in fig["layout"]["sliders"][0]["steps"]]
    assert 2 < len(labels) < len(eps) and labels[0] == 0 and labels[-1] == 40
    assert len(set(np.diff(labels[:-1]).tolist())) == 1, labels


def test_moons_small_multiples_scale_ignores_a_diverged_network():
    """The small multiples share one loss scale: it was set by every value, so a diverged network (1e12)
    flattened the other cells."""
    from charts.moons import MoonsRun, multiples_figure
    acc = np.full(30, 0.9)
    good = MoonsRun("Adam", "Adam", {"loss": np.linspace(0.7, 0.01, 30), "accuracy": acc}, 30, np.array([0]),
                    np.zeros((1, 2, 2)))
    bad = MoonsRun("SGD", "SGD", {"loss": np.r_[0.7, 50.0, 1e12], "accuracy": acc[:3]}, 30, np.array([0]),
                   np.zeros((1, 2, 2)), diverged_at=4)
    fig = multiples_figure([good, bad], log=True)
    lo, hi = fig.layout.yaxis.range
    assert 10 ** hi < 10 and 10 ** lo <= 0.01
    assert any("diverged at epoch 4" in (a.text or "") for a in fig.layout.annotations)


def test_moons_small_multiples_are_one_figure_per_network_on_shared_scales():
    """Seen at 390 px: the small multiples (four cells a row, one figure) were squeezed to ~70 px a cell, titles
    running together ("SGD (ISGD (lr 0.01, μ…") and the epoch ticks colliding ("10​0 50 10​0"). Now one figure per
    network (the page's columns stack on a phone), on the same scales as before, titles wrapped between words."""
    from charts.moons import MULTIPLE_TITLE_CHARS, MoonsRun, multiples_figure, multiples_figures
    acc = np.full(30, 0.9)
    good = MoonsRun("SGD (lr 0.01, μ 0.9, nesterov)", "SGD", {"loss": np.linspace(0.7, 0.01, 30), "accuracy": acc},
                    30, np.array([0]), np.zeros((1, 2, 2)))
    short = MoonsRun("Adam", "Adam", {"loss": np.linspace(0.7, 0.001, 20), "accuracy": acc[:20]}, 20, np.array([0]),
                     np.zeros((1, 2, 2)))
    bad = MoonsRun("Lion", "Lion", {"loss": np.r_[0.7, 50.0, 1e12], "accuracy": acc[:3]}, 30, np.array([0]),
                   np.zeros((1, 2, 2)), diverged_at=4)
    whole = multiples_figure([good, short, bad], log=True)
    figs = multiples_figures([good, short, bad], log=True)
    assert len(figs) == 3
    for i, f in enumerate(figs):
        assert f.layout.yaxis.range == whole.layout.yaxis.range and f.layout.yaxis2.range == (0, 1.05)  # loss, accuracy
        assert f.layout.xaxis.range == whole.layout.xaxis.range == (0, 30.5)  # the same epochs in every figure
        assert [t.line.color for t in f.data] == [whole.data[2 * i].line.color] * 2  # each keeps its colour
    titles = [a.text for a in figs[0].layout.annotations if a.yref == "paper"]
    assert titles[0] == "SGD (lr 0.01, μ 0.9,<br>nesterov)"
    assert all(len(line) <= MULTIPLE_TITLE_CHARS for t in titles for line in t.split("<br>"))
    assert any("diverged at epoch 4" in (a.text or "") for a in figs[2].layout.annotations)
    assert len({(f.layout.height, f.layout.margin.t) for f in figs}) == 1  # one title band: the rows align


def test_inspector_effective_step_axis_ignores_the_blow_up():
    """The inspector's metric chart follows the loss-axis rule: the update that blew up (ratio 1e9) does not
    set the axis; it leaves through the top edge with "✖ diverged at step k"."""
    from charts.inspector import effective_step_figure
    land = landscapes.get("rosenbrock")
    traj = optimizers.run(optimizers.get("Adam", learning_rate=0.05), land, steps=30)
    from charts.inspector import effective_step_sizes
    eff = effective_step_sizes(traj.params, traj.grads)
    eff = np.vstack([eff, [[1e9, -1e9]]])  # one more update, 1e9 times the step size: the blow-up
    fig = effective_step_figure(eff, traj.learning_rate, 3, diverged_at=len(eff))
    lo, hi = fig["layout"]["yaxis"]["range"]
    finite = np.abs(eff[:-1][np.isfinite(eff[:-1]) & (eff[:-1] != 0)])
    assert 10 ** lo <= finite.min() and finite.max() <= 10 ** hi < 1e3
    (mark,) = [a for a in fig["layout"]["annotations"] if "diverged" in a["text"]]
    assert mark["text"] == f"✖ diverged at step {len(eff)}" and mark["y"] == hi
    # without a blow-up, nothing is announced
    fig = effective_step_figure(eff[:-1], traj.learning_rate, 3)
    assert not [a for a in fig["layout"]["annotations"] if "diverged" in a["text"]]


# --------------------------------------------------------------------------- #
# 7. Overlaps: titles below the toolbar, legends never under a title          #
# --------------------------------------------------------------------------- #
def _as_dict(fig):
    return fig.to_plotly_json() if hasattr(fig, "to_plotly_json") else fig


def _lines(text):
    return (text or "").count("<br>") + 1


def check_top_band(fig):
    """The layout rule (charts.common.TOOLBAR_PX): Plotly's toolbar covers the figure's top band, so a title
    starts below it; subplot titles (annotations on the plot's top edge) too; no legend sits in the top margin,
    where it would run under a title (legends go below the plot or on its right)."""
    from charts.common import TOOLBAR_PX
    lay = _as_dict(fig)["layout"]
    top = lay.get("margin", {}).get("t", 100)
    title = lay.get("title") or {}
    used = TOOLBAR_PX
    if title.get("text"):
        size = (title.get("font") or {}).get("size", 17)
        assert title.get("yref") == "container" and title.get("yanchor") == "top", title
        assert (title.get("pad") or {}).get("t", 0) >= TOOLBAR_PX, title
        used += _lines(title["text"]) * size * 1.3
        assert top >= used, (top, used, title["text"])
    for a in lay.get("annotations", []):
        if a.get("yref") == "paper" and a.get("y") == 1 and a.get("yanchor") == "bottom" and a.get("text"):
            size = (a.get("font") or {}).get("size", 16)
            assert top - (a.get("yshift") or 0) - _lines(a["text"]) * size * 1.3 >= TOOLBAR_PX, (top, a["text"])
    leg = lay.get("legend") or {}
    if lay.get("showlegend", True) is not False and leg:
        y, anchor = leg.get("y", 1), leg.get("yanchor", "auto")
        in_top = y > 1 or (y >= 1 and anchor == "bottom")
        assert not in_top, leg


@pytest.fixture(scope="module")
def lr_figs():
    from charts import regression as rc
    land = landscapes.get("regression")
    runs = []
    for lr in (0.01, 0.5, 1.1):
        t = optimizers.run(optimizers.get("GradientDescent", learning_rate=lr), land, steps=40, record="path")
        p = t.path()
        runs.append(rc.LRRun(lr, p, p, t.loss[:len(p)], t.diverged_at, 40))
    return [rc.fit_figure(runs, land.X[:, 0], land.y), rc.surface_figure(runs, land),
            rc.fit_figure(runs, land.X[:, 0], land.y, cols=1), *rc.fit_panels(runs, land.X[:, 0], land.y),
            rc.surface_figure(runs, land, part="map"), rc.surface_figure(runs, land, part="loss")]


def test_learning_rate_figures_keep_the_top_band_clear(lr_figs):
    for f in lr_figs:
        check_top_band(f)


def _moons_runs():
    from charts.moons import MoonsRun
    eps = np.array([0, 5, 10])
    rng = np.random.default_rng(0)
    return [MoonsRun(f"Opt{i} (lr 0.01)", "SGD", {"loss": np.linspace(0.7, 0.1, 10), "accuracy": np.full(10, 0.9)},
                     10, eps, rng.random((3, 20, 20)).astype(np.float32)) for i in range(3)]


def test_moons_figures_keep_the_top_band_clear():
    import charts.moons as mc
    runs = _moons_runs()
    X = np.random.default_rng(1).normal(size=(40, 2))
    y = (X[:, 0] > 0).astype(int)
    for f in (mc.loss_figure(runs), mc.multiples_figure(runs),
              mc.boundary_figure(runs, X, y, (np.linspace(-2, 2, 20), np.linspace(-2, 2, 20)))):
        check_top_band(f)


def test_inspector_figures_keep_the_top_band_clear():
    from charts import inspector as ic
    land = landscapes.get("rosenbrock")
    traj = optimizers.run(optimizers.get("Adam", learning_rate=0.05), land, steps=20)
    eff = ic.effective_step_sizes(traj.params, traj.grads)
    check_top_band(ic.effective_step_figure(eff, traj.learning_rate, 3))
    ex = optimizers.explain_step(traj, 3) if hasattr(optimizers, "explain_step") else None
    if ex is not None:
        arrows = ic.step_arrows("Adam", "keras", ex)
        win = ic.step_window(land.bounds, [ex.w, ex.w_new])
        check_top_band(ic.step_figure(None, traj.params[:4], ex.w, ex.w_new, arrows, win, land.bounds, k=3,
                                      title="Step 3 of Adam"))


def test_compare_figures_keep_the_top_band_clear():
    from charts import compare as cc
    from optimizers import basin_map, endpoint_groups, lr_sweep
    land = landscapes.get("himmelblau")
    sw = lr_sweep(optimizers.get("SGD", learning_rate=0.01), land, np.logspace(-4, -1, 12), steps=60)
    check_top_band(cc.sweep_figure([cc.SweepSeries.of("SGD", PALETTE[0], sw)], title="Sensitivity",
                                   subtitle="Himmelblau · 60 steps"))
    panels = [cc.BasinPanel.of("SGD", basin_map(optimizers.get("SGD", learning_rate=0.01), land, n=10, steps=40))]
    check_top_band(cc.basin_figure(panels, endpoint_groups(panels, land), land, title="Basins", subtitle="x"))
    _, runs = _runs("himmelblau", RACE_LINEUP[:3], steps=40)
    check_top_band(cc.fair_map_figure(land, runs, None, ["Landscape: Himmelblau", "SGD"], "Fair race", "60 steps"))
    check_top_band(cc.fair_loss_figure(runs, "Fair race", "60 steps", land.min_value))


def test_surface3d_keeps_the_top_band_clear():
    from charts.surface3d import surface_figure
    land, runs = _runs("himmelblau", RACE_LINEUP[:2], steps=30)
    check_top_band(surface_figure(land, runs, n=20))


def test_surface3d_ticks_are_few_enough_not_to_collide():
    """Seen: the 3-D view's x and y tick labels ran into each other at the near corner."""
    from charts.surface3d import surface_figure
    land, runs = _runs("himmelblau", RACE_LINEUP[:2], steps=30)
    scene = surface_figure(land, runs, n=20)["layout"]["scene"]
    for ax in ("xaxis", "yaxis", "zaxis"):
        assert scene[ax]["nticks"] <= 5 and scene[ax]["tickfont"]["size"] <= 11


def test_basin_map_y_label_clears_the_tick_labels():
    """Seen: the rotated "y" label sat on the 0 tick (standoff 4 px, and the middle tick is 0 on most maps)."""
    from charts.compare import BasinPanel, basin_figure
    from optimizers import basin_map, endpoint_groups
    land = landscapes.get("himmelblau")
    panels = [BasinPanel.of(n, basin_map(optimizers.get(n, learning_rate=0.01), land, n=10, steps=30))
              for n in ("SGD", "Adam")]
    lay = basin_figure(panels, endpoint_groups(panels, land), land)["layout"]
    y = lay["yaxis"]
    assert y["title"]["text"] == "y" and y["title"]["standoff"] >= 12
    # the margin holds tick labels (about 25 px), the standoff and the rotated title (about 16 px)
    assert lay["margin"]["l"] >= 25 + y["title"]["standoff"] + 16


def test_regular_thinning_keeps_as_many_frames_as_the_budget_allows():
    """Snapshots every 2 epochs thinned to at most 18 keep every 4th epoch (11 frames), not every 10th (5)."""
    import charts.moons as mc
    assert mc.regular_epochs(list(range(0, 41, 2)), 18) == list(range(0, 41, 4))


def _text_lines(text):
    return [re.sub(r"<[^>]+>", "", line) for line in (text or "").split("<br>")]


def test_basin_maps_text_fits_a_phone():
    """Seen at 390 px: the maps' settings line was cut ("… the same grid and st"), the two legend columns ran into
    each other, and each map's "diverged … · elsewhere …" line ran into its neighbour's. Every line of text is now
    short enough for a map about 150 px wide (two maps to a row) or for the phone's chart, and the legend's entries
    flow (no fixed half-width columns)."""
    from charts.compare import BasinPanel, basin_figure
    from optimizers import basin_map, endpoint_groups
    land = landscapes.get("himmelblau")
    panels = [BasinPanel.of(n, basin_map(optimizers.get(n, learning_rate=0.01), land, n=10, steps=30))
              for n in ("SGD", "Adam")]
    stamp = "100×100 starts · 500 steps · noise σ=0 · seed 0 · the same grid and steps for every optimizer · no clipping"
    lay = basin_figure(panels, endpoint_groups(panels, land), land, title="Basins", subtitle=stamp)["layout"]
    assert max(map(len, _text_lines(lay["title"]["text"]))) <= STAMP_CHARS
    panel_titles = [a["text"] for a in lay["annotations"] if a.get("yref") == "paper"]
    assert len(panel_titles) == 2
    for t in panel_titles:
        assert max(len(line) for line in _text_lines(t)[1:]) <= 24, t
    assert "entrywidth" not in lay["legend"]
    fig = basin_figure(panels, endpoint_groups(panels, land), land)
    names = [t["name"] for t in fig["data"] if t.get("showlegend")]
    assert names and max(len(line) for n in names for line in _text_lines(n)) <= STAMP_CHARS, names
    check_top_band(fig)


def test_basin_maps_are_one_whole_figure_per_map_for_columns_that_stack_on_a_phone():
    """Seen at 390 px: the maps were one figure planned for ~900 px, so a phone shrank them to ~140 px each (with
    empty rows between). Now one figure per map (the page puts them in st.columns, which stack on a phone); each
    is whole on its own (title + settings stamp, its name and shares, the full legend), with the same colours of
    the minima, and in the final-loss colouring the same f* and colour range as the others."""
    import plotly.graph_objects as go

    from charts.compare import BasinPanel, basin_figure, basin_figures, basin_map_columns
    from optimizers import basin_map, endpoint_groups
    land = landscapes.get("himmelblau")
    panels = [BasinPanel.of(n, basin_map(optimizers.get(n, learning_rate=lr), land, n=12, steps=40))
              for n, lr in (("SGD", 0.01), ("Adam", 0.05), ("Lion", 0.01))]
    groups = endpoint_groups(panels, land)
    whole = basin_figure(panels, groups, land, "minimum", 0.0, "Basins", "12×12 starts · seed 0")
    figs = basin_figures(panels, groups, land, "minimum", 0.0, "Basins", "12×12 starts · seed 0")
    assert len(figs) == 3
    for i, f in enumerate(figs):
        go.Figure(f)  # valid for Plotly
        heat = [t for t in f["data"] if t["type"] == "heatmap"]
        assert len(heat) == 1 and heat[0]["z"] == [t for t in whole["data"] if t["type"] == "heatmap"][i]["z"]
        assert heat[0]["colorscale"] == [t for t in whole["data"] if t["type"] == "heatmap"][0]["colorscale"]
        assert "Basins" in f["layout"]["title"]["text"] and "seed 0" in f["layout"]["title"]["text"]
        assert f["layout"]["meta"]["panels"] == [whole["layout"]["meta"]["panels"][i]]
        assert [t["name"] for t in f["data"] if t.get("showlegend")] == \
            [t["name"] for t in whole["data"] if t.get("showlegend")]
        check_top_band(f)
    # the final-loss colouring: one scale for every figure (as in the single figure)
    lfigs = basin_figures(panels, None, land, "loss", None)
    lwhole = basin_figure(panels, None, land, "loss", None)
    axes = [f["layout"]["coloraxis"] for f in lfigs]
    assert all((a["cmin"], a["cmax"]) == (lwhole["layout"]["coloraxis"]["cmin"], lwhole["layout"]["coloraxis"]["cmax"])
               for a in axes)
    assert all(a["colorbar"]["title"]["text"] == lwhole["layout"]["coloraxis"]["colorbar"]["title"]["text"] for a in axes)
    assert [basin_map_columns(n) for n in range(1, 9)] == [1, 2, 3, 2, 3, 3, 3, 3]


def test_race_table_and_legend_say_overflow_not_diverged_when_the_start_overflows():
    """Seen with exp(exp(exp(x))) from (2, 2): the warning rightly said "f overflows at the start", but the results
    table said "not a number" and "diverged at step 0" for every run, and the legends "✖ diverged at step 0"."""
    from charts.race import race_summary
    runs = [RaceRun("SGD", np.full((1, 2), 2.0), np.array([np.inf]), 0, PALETTE[0]),
            RaceRun("Adam", np.full((1, 2), 2.0), np.array([np.nan]), 0, PALETTE[1]),
            RaceRun("Lion", np.zeros((4, 2)), np.array([3.0, 2.0, np.inf, np.nan]), 2, PALETTE[2])]
    rows = race_summary(runs, [], None, 1e-3)
    assert [r["final loss"] for r in rows] == ["overflow (beyond float64)", "undefined", "2"]
    assert [r["diverged"] for r in rows] == ["did not start: f overflows at the start",
                                             "did not start: f is undefined at the start", "diverged at step 2"]
    assert runs[0].legend == "SGD ✖ did not start: f overflows at the start"
    assert not any("step 0" in str(v) for r in rows for v in r.values())


def test_every_race_chart_and_the_fair_table_say_why_a_run_never_started():
    """A run stopped at step 0 did not diverge (its start is unusable, whatever the rate): the loss chart's ✖ label,
    the map's ✖ marker and the fair-mode table say so, in the same words as the race table and legend."""
    from charts.compare import fair_loss_figure, fair_table
    from charts.race import race_figure
    runs = [RaceRun("SGD", np.full((2, 2), 2.0), np.array([5.0, 5.0]), 0, PALETTE[0]),  # finite f, no gradient
            RaceRun("Lion", np.zeros((4, 2)), np.array([3.0, 2.0, 1e30, np.nan]), 3, PALETTE[2])]
    why = "did not start: the gradient at the start is not finite"
    assert runs[0].stopped == why and runs[1].stopped == "diverged at step 3"
    loss = loss_figure(runs)[0]
    labels = [a["text"] for a in loss["layout"]["annotations"] if a.get("name") == "diverged-edge"]
    assert f"✖ {why}" in labels and "✖ diverged at step 3" in labels
    land, _ = _runs("rosenbrock", RACE_LINEUP[:1], steps=2)
    crosses = [t.get("name") for t in race_figure(land, runs, None, max_frames=2)["data"]
               if (t.get("marker") or {}).get("symbol") == "x"]
    assert why in crosses and "diverged at step 3" in crosses
    fair = [a["text"] for a in fair_loss_figure(runs, "t")["layout"]["annotations"]]
    assert f"✖ {why}" in fair
    assert [r["diverged"] for r in fair_table(runs, [0.1, 0.1], [-1, -1])] == [why, "diverged at step 3"]


def test_player_spec_is_strict_json_when_the_start_overflows():
    """Seen with exp(exp(exp(x))) from (2, 2): the race showed a red "SyntaxError: Unexpected token 'I' … is not
    valid JSON" instead of its charts: the loss markers started at loss[0] = inf, sent as Infinity."""
    import json

    from charts.player import player_spec
    from charts.race import race_figure
    runs = [RaceRun("SGD", np.full((1, 2), 2.0), np.array([np.inf]), 0, PALETTE[0]),
            RaceRun("Adam", np.zeros((3, 2)), np.array([3.0, 2.0, 1.0]), None, PALETTE[1])]
    land, _ = _runs("rosenbrock", RACE_LINEUP[:1], steps=2)
    spec = player_spec(race_figure(land, runs, None, max_frames=2), loss_figure(runs)[0], runs)
    json.dumps(spec, allow_nan=False)  # raises on inf / nan
