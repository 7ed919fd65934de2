"""The rules that keep charts truthful (issue: charts never mislead), tested on the figure builders.

Each rule is checked on the case where it was seen broken, with real engine runs.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import landscapes
import optimizers
from charts.common import PALETTE, edge_marks, loss_axis
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


def test_basin_colours_cannot_be_confused_with_optimizers():
    from charts.common import BASIN_PALETTE
    for b in BASIN_PALETTE:
        for c in PALETTE:
            assert _delta_e(b, c, "none") >= 25.0, (b, c)


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
    from tests.helpers import shown

    app = str(Path(__file__).resolve().parents[1] / "app.py")
    at = AppTest.from_file(app, default_timeout=120)
    at.query_params["o1"] = "Adam;learning_rate=0.1"
    at.switch_page("app_pages/race.py")
    at.run()
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
    for key in ("race_chart", "race_loss"):
        spec = chart_spec(at, key)
        sub = spec["layout"]["title"]["subtitle"]["text"]
        for word in ("CosineDecay", "weight decay 0.01", "clipnorm 0.5", "noise σ 2", "seed 3"):
            assert word in sub, (key, sub)


def test_race_html_export_holds_map_loss_and_settings_and_no_cloud_link():
    from charts.race import export_html, loss_csv, race_figure, trajectories_csv
    land, runs = _runs("rosenbrock", RACE_LINEUP[:2], steps=20)
    html = export_html(race_figure(land, runs, None), loss_figure(runs)[0], "Race <test>",
                       ["weight decay 0.01", "#1 SGD <b>"])
    assert html.count("Plotly.newPlot") == 2          # the map and the loss chart
    assert "weight decay 0.01" in html and "&lt;b&gt;" in html and "<b>" not in html.split("<ul>")[1][:200]
    assert '"showSendToCloud": false' in html or '"showSendToCloud":false' in html
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
