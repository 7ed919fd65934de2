"""Hyperparameters at their extremes, and diverging runs.

On the runner and on the pages (race, learning rate, inspector, fair comparison):

- impossible values (β = 1, ρ = 1, a negative, infinite or NaN learning rate) are refused with a clear
  ValueError naming the argument, which the pages show as a notice;
- extreme but legal values (learning rate 1e6, ε = 0, momentum 1, noise 1e6, the most steps a page allows)
  run: diverging runs report ``diverged at step k`` and are frozen at their last good point;
- no NaN or ±Infinity reaches a chart (every number of the figure JSON is checked, binary ``bdata``
  arrays decoded too), and no NumPy RuntimeWarning is emitted (warnings are recorded, or turned into
  errors, around the computation).
"""
from __future__ import annotations

import base64
import json
import math
import warnings
from pathlib import Path

import numpy as np
import pytest

import landscapes
from tests.helpers import open_editors, player_spec_json, shown
import optimizers
from optimizers.runner import MAX_STEPS

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")

# torch.optim.Muon takes only matrices: its flavour refuses the 2-vectors of every landscape here (tested in
# tests/test_zoo_optimizers.py), so it is left out of these runs.
ALL = [(name, flavor) for name in optimizers.available() for flavor in optimizers.get_class(name).flavors()
       if (name, flavor) != ("Muon", "pytorch")]


def params_of(name, flavor):
    return {p.name: p for p in optimizers.spec(name, flavor)}


# --------------------------------------------------------------------------- #
# Figure JSON scanning                                                          #
# --------------------------------------------------------------------------- #
def _reject_constant(token):
    raise ValueError(f"JSON constant {token} in a figure")


def nonfinite(obj, path="$"):
    """Paths of non-finite numbers in a figure (plain numbers and decoded float bdata arrays)."""
    bad = []
    if isinstance(obj, dict):
        if "bdata" in obj and "dtype" in obj:
            arr = np.frombuffer(base64.b64decode(obj["bdata"]), dtype=np.dtype(obj["dtype"]).newbyteorder("<"))
            if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
                bad.append(f"{path}: {int(np.sum(~np.isfinite(arr)))} non-finite of {arr.size}")
        for k, v in obj.items():
            bad += nonfinite(v, f"{path}.{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            bad += nonfinite(v, f"{path}[{i}]")
    elif isinstance(obj, float) and not math.isfinite(obj):
        bad.append(path)
    return bad


def chart_specs(at):
    """{key: figure dict} of every plotly chart; fails on a NaN/Infinity JSON token."""
    specs = {c.key: json.loads(c.proto.spec, parse_constant=_reject_constant) for c in at.get("plotly_chart")}
    for c in at.get("component_instance"):  # the race player: its map and loss figures, and every step's arrays
        if c.proto.component_name == "ui.player.race_player":
            spec = json.loads(player_spec_json(c), parse_constant=_reject_constant)
            if spec["kind"] == "frames":  # the moons and learning-rate players: arrays per frame, markers per step
                specs["player_map"], specs["player_loss"] = spec["map"], spec["loss"]
                specs["player_frames"] = {
                    "markers": [{"x": [v for v in r["mx"] if v is not None], "y": [v for v in r["my"] if v is not None]}
                                for r in spec["runs"]],
                    "series": [np.frombuffer(base64.b64decode(x["data"]), "<f4").tolist() for x in spec["series"]]}
                continue
            specs["race_chart3d" if spec["kind"] == "3d" else "race_chart"], specs["race_loss"] = spec["map"], spec["loss"]
            specs["race_player_runs"] = {"runs": [_decoded(r) for r in spec["runs"]]}
    return specs


def _decoded(run):
    """A player run with its base64 arrays as lists (so nonfinite() sees every number)."""
    out = {}
    for key in ("x", "y", "loss"):
        out[key] = np.frombuffer(base64.b64decode(run[key]), "<f8").tolist()
    for key, b in run["ov"].items():
        out[key] = np.frombuffer(base64.b64decode(b), "<f4").tolist()
    return out


def assert_charts_finite(at):
    specs = chart_specs(at)
    assert specs, "no chart drawn"
    for key, spec in specs.items():
        bad = nonfinite(spec)
        assert not bad, (key, bad[:5])
    return specs


def test_the_scanner_finds_nan_and_infinity():
    """Negative control for the two checks above."""
    f4 = {"dtype": "f4", "bdata": base64.b64encode(np.array([1, np.nan], "<f4").tobytes()).decode()}
    assert nonfinite({"data": [{"x": f4}]}) and nonfinite({"y": [1.0, float("inf")]})
    with pytest.raises(ValueError):
        json.loads('{"x": [NaN]}', parse_constant=_reject_constant)


# --------------------------------------------------------------------------- #
# 1. The runner                                                                 #
# --------------------------------------------------------------------------- #
def run_strict(opt, land, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any RuntimeWarning (overflow, invalid value) fails the test
        return optimizers.run(opt, land, **kw)


def assert_clean(traj, slots=True):
    arrays = [traj.params, traj.loss] + ([traj.grads] if traj.grads is not None else [])
    arrays += list(traj.slots.values()) if slots else []
    for a in arrays:
        assert np.all(np.isfinite(a)), "a non-finite number in the trajectory"
    d = traj.diverged_at
    if d is not None:
        d = int(d)
        assert 1 <= d <= traj.steps
        # frozen at the last good point: nothing moves after the divergence
        assert np.all(traj.params[d:] == traj.params[d - 1]), "the path moves after diverging"
        assert len(traj.path()) == d


@pytest.mark.parametrize("name,flavor", [c for c in ALL if "learning_rate" in params_of(*c)])
@pytest.mark.parametrize("lr", [1e6, 1e300])
def test_huge_learning_rate_diverges_cleanly(name, flavor, lr):
    land = landscapes.get("rosenbrock")
    traj = run_strict(optimizers.get(name, flavor=flavor, learning_rate=lr), land, steps=50, record="full")
    assert_clean(traj)
    if name == "Adafactor":
        # Adafactor's step uses ρ_t = min(η, 1/√t): any η ≥ 1 is the same as η = 1 (no divergence from η).
        same = run_strict(optimizers.get(name, flavor=flavor, learning_rate=1.0), land, steps=50, record="full")
        np.testing.assert_array_equal(traj.params, same.params)
    elif name not in ("Adadelta",) or flavor != "keras":  # Keras Adadelta's first steps are tiny whatever η
        assert traj.diverged_at is not None and int(traj.diverged_at) <= 5, traj.diverged_at


@pytest.mark.parametrize("name,flavor,hp", [(n, f, hp) for n, f in ALL for hp, p in params_of(n, f).items()
                                            if hp in ("beta_1", "beta_2", "rho") and n != "Lion"
                                            and (n, hp) != ("ScheduleFreeAdamW", "beta_1")])
def test_decay_rate_of_one_is_refused_with_a_clear_message(name, flavor, hp):
    with pytest.raises(ValueError) as info:
        optimizers.get(name, flavor=flavor, **{hp: 1.0})
    msg = str(info.value)
    assert hp in msg and "[0, 1)" in msg and "1.0" in msg, msg


@pytest.mark.parametrize("value", [float("inf"), float("nan"), -1.0, -1e-300])
def test_impossible_learning_rates_are_refused(value):
    with pytest.raises(ValueError, match="learning_rate"):
        optimizers.get("Adam", learning_rate=value)


def test_schedule_free_accepts_beta_1_of_one_and_stays_finite():
    """Schedule-Free's β₁ is an interpolation weight: β₁ = 1 trains the average itself (y = x)."""
    for flavor in ("keras", "textbook"):
        traj = run_strict(optimizers.get("ScheduleFreeAdamW", flavor=flavor, beta_1=1.0, learning_rate=0.01),
                          landscapes.get("rosenbrock"), steps=100, record="full")
        assert_clean(traj)
        np.testing.assert_allclose(traj.params[1:], traj.slots["x"][1:], rtol=0, atol=0)


def test_lion_accepts_betas_of_one_and_stays_finite():
    """Lion's β's are interpolation weights (β = 1 is legal: the momentum never changes)."""
    traj = run_strict(optimizers.get("Lion", beta_1=1.0, beta_2=1.0), landscapes.get("rosenbrock"), steps=100)
    assert_clean(traj)


@pytest.mark.parametrize("name,flavor", [c for c in ALL if "epsilon" in params_of(*c)])
@pytest.mark.parametrize("where", ["default start", "at a stationary point"])
def test_epsilon_zero(name, flavor, where):
    land = landscapes.get("quadratic")
    start = land.minima[0] if where != "default start" else None  # g = 0 there: 0/0 without ε
    traj = run_strict(optimizers.get(name, flavor=flavor, epsilon=0.0), land, start=start, steps=50,
                      record="full")
    assert_clean(traj)


@pytest.mark.parametrize("name,flavor", [c for c in ALL if "momentum" in params_of(*c)])
def test_momentum_one(name, flavor):
    traj = run_strict(optimizers.get(name, flavor=flavor, momentum=1.0, learning_rate=0.001),
                      landscapes.get("rosenbrock"), steps=400, record="full")
    assert_clean(traj)


@pytest.mark.parametrize("noise", [10.0, 1e6, 1e300])
@pytest.mark.parametrize("name", ["SGD", "Adam", "Lion", "Adagrad"])
def test_huge_gradient_noise(name, noise):
    traj = run_strict(optimizers.get(name, learning_rate=0.01), landscapes.get("rosenbrock"), steps=100,
                      noise=noise, seed=3, record="full")
    # Noise 1e300 (far beyond the pages' limit of 10) overflows g² in the optimizer's state (Adam's velocity
    # becomes inf at the last good step); what charts draw (params, loss, gradients) stays finite.
    assert_clean(traj, slots=noise < 1e300)


def test_steps_are_bounded_in_the_runner():
    with pytest.raises(ValueError):
        optimizers.run(optimizers.get("SGD"), landscapes.get("quadratic"), steps=MAX_STEPS + 1)
    with pytest.raises(ValueError):
        optimizers.run(optimizers.get("SGD"), landscapes.get("quadratic"), steps=-1)


def test_a_batch_with_extremes_diverges_per_row():
    lrs = np.array([1e-300, 1e-3, 1.0, 1e6])
    traj = run_strict(optimizers.get("SGD", learning_rate=lrs[:, None]), landscapes.get("rosenbrock"),
                      start=np.zeros((4, 2)), steps=200, record="path")
    assert np.all(np.isfinite(traj.params)) and np.all(np.isfinite(traj.loss))
    d = np.asarray(traj.diverged_at)
    assert d[0] == -1 and d[1] == -1 and d[3] >= 1


@pytest.mark.parametrize("expr", ["exp(100*x**2) + y**2", "1e300*x**2 + y**2", "log(x) + y**2", "sqrt(x) + y**2",
                                  "x**2/y", "abs(x)**0.5 + abs(y)"])
def test_custom_surfaces_that_blow_up(expr):
    land = landscapes.get("custom", expression=expr)
    traj = run_strict(optimizers.get("Adam", learning_rate=0.1), land, steps=200, record="full")
    # A gradient near 1e300 overflows g² in Adam's state (velocity = inf at the last good step); the
    # drawn quantities stay finite and the run is frozen. (The inspector test below checks its charts.)
    assert_clean(traj, slots=False)


# --------------------------------------------------------------------------- #
# 2. The pages                                                                  #
# --------------------------------------------------------------------------- #


def registered(page_file):
    return (ROOT / page_file).exists() and f'"{page_file}"' in (ROOT / "app.py").read_text()


def open_page(page_file, **params):
    """A fresh session on ``page_file`` with URL ``params``; caches cleared so every computation really
    runs; RuntimeWarnings from any thread are recorded and must not occur."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    if not registered(page_file):
        pytest.skip(f"{page_file} is not in the app yet")
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=120)
    for k, v in params.items():
        at.query_params[k] = v
    at.switch_page(page_file)
    return rerun(at)


def rerun(at):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        at.run()
    runtime = [f"{w.category.__name__}: {w.message} ({w.filename}:{w.lineno})" for w in caught
               if issubclass(w.category, (RuntimeWarning, FloatingPointError))]
    assert not runtime, runtime
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(at, *kinds):
    """What a reader sees of the messages (ui.text.literal escapes removed)."""
    return " ".join(shown(e.value) for kind in kinds for e in getattr(at, kind))


def test_race_with_every_extreme_at_once():
    at = open_page("app_pages/race.py", o1="SGD;learning_rate=1000000", o2="Adam;epsilon=0",
                   o3="SGD;learning_rate=0.001;momentum=1", o4="Adam;beta_1=1", o5="Lion;learning_rate=1e6",
                   start="1,1", noise="10", steps="2000")
    warn = texts(at, "warning")
    assert "Ignored optimizer o4 = “Adam;beta_1=1”" in warn and "beta_1" in warn and "[0, 1)" in warn
    assert "SGD (lr 1000000) diverged at step 1" in warn
    assert "Lion (lr 1000000) diverged at step 1" in warn
    specs = assert_charts_finite(at)
    assert len(specs["race_player_runs"]["runs"][0]["x"]) == 2001  # steps=2000: every step, sent once
    # The diverged paths end at their last good point (one point: the start).
    paths = {t["name"]: t for t in specs["race_chart"]["data"] if t.get("mode") == "lines"}
    assert paths, [t.get("name") for t in specs["race_chart"]["data"]]


def test_race_3d_view_with_diverging_runs_and_an_overflowing_surface():
    at = open_page("app_pages/race.py", land="custom", expr="exp(100*x**2) + y**2", view="3d",
                   o1="SGD;learning_rate=0.002", o2="Adam;learning_rate=0.1")
    assert "diverged at step" in texts(at, "warning")
    specs = assert_charts_finite(at)
    assert "race_chart3d" in specs


def test_race_widgets_at_their_extremes():
    at = open_editors(open_page("app_pages/race.py", o1="Adam;learning_rate=0.1"))
    # Largest learning rate the slider offers, every hyperparameter at its last grid value, max steps/noise.
    for s in at.select_slider:
        if s.key and s.key.startswith("race_o") and s.key.endswith("_learning_rate"):
            s.set_value(float(s.options[-1]))  # options are the formatted grid values
    at.number_input(key="race_steps").set_value(2000)
    at.number_input(key="race_noise").set_value(10.0)
    rerun(at)
    assert_charts_finite(at)
    for s in at.select_slider:  # ε, β's at the ends of their grids
        if s.key and s.key.startswith("race_o") and s.key.endswith(("_epsilon", "_beta_1", "_beta_2")):
            s.set_value(float(s.options[0]) if s.key.endswith("_epsilon") else float(s.options[-1]))
    rerun(at)
    assert_charts_finite(at)
    assert not at.error, texts(at, "error")


def test_learning_rate_page_diverging_rates():
    at = open_page("app_pages/learning_rate.py", lrs="100,1e-9,50,1.1", epochs="1000")
    shown = [m.value for m in at.markdown]
    assert sum("✖ diverged at epoch" in m for m in shown) == 3, shown
    assert_charts_finite(at)
    runs = at.session_state["lr_runs"]
    assert [r["diverged_at"] is not None for r in runs] == [True, False, True, True]


def test_learning_rate_page_mini_batches_of_one_with_a_diverging_rate():
    at = open_page("app_pages/learning_rate.py", lrs="100,0.5", epochs="20", mode="mini", bs="1", seed="4294967295")
    assert any("✖ diverged at epoch" in m.value for m in at.markdown)
    assert_charts_finite(at)


def test_inspector_epsilon_zero_at_the_minimum():
    at = open_page("app_pages/inspector.py", land="quadratic", o1="Adam;epsilon=0", start="0,0", k="0")
    assert "diverged at step 1" in texts(at, "warning")
    assert_charts_finite(at)


def test_inspector_on_a_surface_whose_gradient_overflows_the_state():
    at = open_page("app_pages/inspector.py", land="custom", expr="1e300*x**2 + y**2", o1="Adam;learning_rate=0.1")
    assert_charts_finite(at)


def test_inspector_huge_learning_rate():
    at = open_page("app_pages/inspector.py", o1="SGD;learning_rate=1000000", k="5")
    warn = texts(at, "warning")
    assert "diverged at step 1" in warn and "Ignored k = “5”" in warn
    assert_charts_finite(at)


@pytest.mark.parametrize("view", [
    "sweep",  # was a bug (NaN gaps in the sweep curves), fixed: gaps are JSON nulls
    "fair"])
def test_compare_page_sweeps_into_divergence(view):
    # The sweep runs every optimizer at learning rates up to 10: many of them diverge.
    at = open_page("app_pages/compare.py", view=view, steps="300", o1="SGD;learning_rate=0.01", o2="Adam;epsilon=0",
                   o3="SGD;learning_rate=0.001;momentum=1")
    assert_charts_finite(at)


def test_compare_basin_maps_with_diverging_starts():
    at = open_page("app_pages/compare.py", view="basins", grid="50", steps="100", o1="SGD;learning_rate=0.05",
                   o2="Adam;learning_rate=0.5")
    assert_charts_finite(at)
