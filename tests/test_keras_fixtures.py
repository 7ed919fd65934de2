"""The engine against real Keras 3.15.1 (jax backend, float64): every optimizer and option.

The fixtures were produced by ``tools/make_keras_fixtures.py`` (command in the
file's ``meta``); Keras is never imported here. Gradients are fixed sequences,
so nothing is chaotic, and many cases use gradients of the size of ε, where
ε-placement errors show.
"""
import json
from pathlib import Path

import numpy as np
import pytest

import optimizers
from optimizers import schedules

FIXTURES = json.loads((Path(__file__).parent / "fixtures" / "keras3_fixtures.json").read_text())
CASES = FIXTURES["cases"]
RTOL = 1e-6
# Keras computes cos() in float32 even in float64 mode, so cosine-scheduled cases carry ~1e-8 errors
# (see the fixture's meta notes); the tolerance below still sits far under any formula error.
ATOL = 1e-12


def _run(case, **override):
    kwargs = {**case["kwargs"], **override}
    opt = optimizers.get(case["optimizer"], **kwargs)
    params = [np.array(p, dtype=np.float64) for p in case["params0"]]
    state = opt.init(params)
    history = []
    for step_grads in case["grads"]:
        grads = [np.array(g, dtype=np.float64) for g in step_grads]
        params, state = opt.update(grads, state, params)
        history.append(params)
    return opt, history, state


def _atol(case):
    return 1e-7 if "Cosine" in json.dumps(case["kwargs"]) else ATOL


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_engine_matches_keras(case):
    opt, history, state = _run(case)
    for k, (ours, theirs) in enumerate(zip(history, case["params"])):
        for v, (a, b) in enumerate(zip(ours, theirs)):
            np.testing.assert_allclose(a, np.array(b), rtol=RTOL, atol=_atol(case),
                                       err_msg=f"{case['id']}: step {k + 1}, variable {v}")
    for name, per_var in case.get("slots", {}).items():
        for v, expected in enumerate(per_var):
            np.testing.assert_allclose(state[name][v], np.array(expected), rtol=RTOL, atol=_atol(case),
                                       err_msg=f"{case['id']}: slot {name}, variable {v}")
    scalars = case.get("scalars", {})
    if "iterations" in scalars:
        assert state.iterations == scalars["iterations"]
    if "u_product" in scalars:
        np.testing.assert_allclose(state["u_product"], scalars["u_product"], rtol=1e-12)
    if "lr" in case:
        lrs = [float(np.asarray(opt.learning_rate_at(k))) for k in range(len(case["lr"]))]
        np.testing.assert_allclose(lrs, case["lr"], rtol=RTOL, atol=_atol(case) * 1e-1)


def test_fixtures_cover_every_optimizer_and_option():
    names = {c["optimizer"] for c in CASES}
    assert names >= {"SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW", "Adamax", "Nadam", "Lion"}
    text = json.dumps([c["kwargs"] for c in CASES])
    for option in ("momentum", "nesterov", "centered", "amsgrad", "weight_decay", "clipnorm", "clipvalue",
                   "global_clipnorm", "ExponentialDecay", "InverseTimeDecay", "PolynomialDecay",
                   "PiecewiseConstantDecay", "CosineDecay", "CosineDecayRestarts"):
        assert option in text, option


ACCUMULATION = [c for c in CASES if c["kwargs"].get("gradient_accumulation_steps")]


def _worst_relative_error(history, case):
    """Largest |ours − Keras| over every step and variable, relative to the size of the parameters."""
    worst = 0.0
    for ours, theirs in zip(history, case["params"]):
        for a, b in zip(ours, theirs):
            b = np.asarray(b)
            worst = max(worst, float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300)))
    return worst


@pytest.mark.parametrize("case", ACCUMULATION, ids=[c["id"] for c in ACCUMULATION])
def test_gradient_accumulation_matches_keras_to_rounding(case):
    # Regression test for issue 10: Adagrad's gradient accumulator used to start at
    # initial_accumulator_value (0.1) instead of 0, so its first real update used (Σg + 0.1)/n
    # (error 1e-2 here before the fix). Every optimizer, the final accumulator included.
    opt, history, state = _run(case)
    assert _worst_relative_error(history, case) < 1e-13
    np.testing.assert_allclose(state["gradient_accumulator"][0], case["slots"]["gradient_accumulator"][0],
                               rtol=1e-13, atol=1e-15)
    assert state.step == len(case["grads"])
    assert state.iterations == case["scalars"]["iterations"] == len(case["grads"]) // opt.gradient_accumulation_steps


def test_accumulation_fixtures_cover_every_optimizer():
    # The five newer rules have their accumulation fixtures in keras3_zoo_fixtures.json, checked against
    # Keras in tests/test_keras_zoo_fixtures.py (their own tolerances: Keras's float32 reductions).
    zoo = json.loads((Path(__file__).parent / "fixtures" / "keras3_zoo_fixtures.json").read_text())["cases"]
    zoo_acc = {c["optimizer"] for c in zoo if c["kwargs"].get("gradient_accumulation_steps")}
    assert zoo_acc == {"Adafactor", "Ftrl", "Lamb", "Muon", "ScheduleFreeAdamW"}
    assert {c["optimizer"] for c in ACCUMULATION} | zoo_acc == set(optimizers.available()) - {"GradientDescent"}


def test_gradient_descent_with_accumulation_is_keras_sgd_without_momentum():
    case = next(c for c in ACCUMULATION if c["id"] == "sgd_accumulation_plain")
    _, history, state = _run({**case, "optimizer": "GradientDescent"})
    assert _worst_relative_error(history, case) < 1e-13
    assert state.iterations == case["scalars"]["iterations"]


@pytest.mark.parametrize("name", optimizers.available())
def test_base_class_slots_start_where_keras_starts_them(name):
    # The base optimizer owns its slots: the gradient accumulator starts at 0 and the EMA at the
    # weights, whatever the rule's own slots start at (Adagrad's accumulator: 0.5 here).
    kw = {"initial_accumulator_value": 0.5} if name == "Adagrad" else {}
    opt = optimizers.get(name, gradient_accumulation_steps=3, use_ema=True, **kw)
    params = [np.array([1.5, -2.0]), np.array([[0.25]])]
    state = opt.init(params)
    for acc, avg, p in zip(state["gradient_accumulator"], state["average"], params):
        np.testing.assert_array_equal(acc, np.zeros_like(p))
        np.testing.assert_array_equal(avg, p)
    if name == "Adagrad":
        np.testing.assert_array_equal(state["accumulator"][0], [0.5, 0.5])


@pytest.mark.parametrize("case_id, override", [
    ("adam_tiny_grads", {"flavor": "textbook"}),       # ε on the bias-corrected v̂
    ("nadam_tiny_grads", {"flavor": "textbook"}),      # Dozat's 0.96^(t/250)
])
def test_negative_control_textbook_flavour_differs_from_keras(case_id, override):
    case = next(c for c in CASES if c["id"] == case_id)
    _, history, _ = _run(case, **override)
    worst = max(float(np.max(np.abs(a - np.array(b)) / (np.abs(np.array(b)) + 1e-300)))
                for ours, theirs in zip(history, case["params"]) for a, b in zip(ours, theirs))
    assert worst > 1e-4


@pytest.mark.parametrize("entry", FIXTURES["schedules"], ids=[s["id"] for s in FIXTURES["schedules"]])
def test_schedules_match_keras(entry):
    sched = schedules.get(entry["class"], **entry["config"])
    ours = np.array([float(sched(s)) for s in entry["steps"]])
    vectorized = sched(np.array(entry["steps"]))
    np.testing.assert_allclose(ours, entry["values"], rtol=RTOL if "Cosine" in entry["class"] else 1e-12, atol=1e-12)
    np.testing.assert_allclose(vectorized, ours, rtol=1e-15)  # array and scalar pow may differ by an ulp
