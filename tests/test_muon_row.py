"""Muon's app option ``as_matrix``: a landscape's point treated as a 1×2 matrix.

The expected numbers are derived by hand: for a 1 × n row X the Gram matrix X Xᵀ is the 1 × 1 matrix ‖X‖²,
so the quintic Newton–Schulz map multiplies X by a + b‖X‖² + c‖X‖⁴ and never turns it. Written out below
with plain floats (no engine code), then compared with the engine's full matrix arithmetic.
"""
import math

import numpy as np
import pytest

import landscapes
import optimizers
from optimizers.muon import point_note, row_factor

A, B, C = 3.4445, -4.7750, 2.0315


def _hand_factor(norm, steps=5):
    s = norm / (norm + 1e-7)       # Keras normalises by ‖m̃‖ + 1e-7
    for _ in range(steps):
        s = s * (A + B * s * s + C * s ** 4)
    return s


def test_row_factor_is_the_scalar_recurrence_and_its_stated_value():
    # 1 → 0.701 → 1.1136 → 0.7207 → 1.0900 → 0.6964, the numbers the docstring and the page state.
    s, seen = 1.0, []
    for _ in range(5):
        s = s * (A + B * s * s + C * s ** 4)
        seen.append(round(s, 4))
    assert seen == [0.701, 1.1136, 0.7207, 1.09, 0.6964]
    assert row_factor() == pytest.approx(0.6964364094697532, rel=1e-15)
    # Not m/|m| exactly: five quintic steps land at 0.6964, not 1 (Jordan's coefficients aim for 0.7–1.2).
    assert abs(row_factor() - 1) > 0.3


def test_keras_step_on_a_row_matches_the_hand_computation():
    w0, g, lr, wd, mu = np.array([1.0, -2.0]), np.array([3.0, 4.0]), 0.1, 0.004, 0.95
    opt = optimizers.get("Muon", learning_rate=lr, as_matrix=True)
    state = opt.init(w0)
    assert set(state.slots) == {"momentum"}  # a matrix variable: no Adam velocity
    w1, state = opt.update(g, state, w0)
    # By hand: decay first, m = g, Nesterov m̃ = g + μm = 1.95·(3, 4), ‖m̃‖ = 9.75.
    decayed = [1.0 - 1.0 * wd * lr, -2.0 - (-2.0) * wd * lr]
    mt = [1.95 * 3.0, 1.95 * 4.0]
    norm = math.hypot(*mt)
    assert norm == pytest.approx(9.75, rel=1e-15)
    f = _hand_factor(norm)
    scale = lr * 0.2 * math.sqrt(2.0) * f   # rms_rate·√max(1, 2)
    expected = [decayed[0] - scale * mt[0] / norm, decayed[1] - scale * mt[1] / norm]
    np.testing.assert_allclose(w1, expected, rtol=1e-13)
    np.testing.assert_array_equal(state["momentum"], g)
    # Step 2: the momentum keeps growing but the step's length does not.
    g2 = np.array([-1.0, 0.5])
    w2, state = opt.update(g2, state, w1)
    m2 = mu * g + g2
    mt2 = g2 + mu * m2
    n2 = float(np.hypot(*mt2))
    expected2 = w1 - w1 * wd * lr - lr * 0.2 * math.sqrt(2.0) * _hand_factor(n2) * mt2 / n2
    np.testing.assert_allclose(w2, expected2, rtol=1e-13)


def test_row_step_equals_the_engine_on_an_explicit_one_by_two_matrix():
    """The option only reshapes: the same numbers as Muon on a real (1, 2) variable, for each flavour."""
    rng = np.random.default_rng(4)
    gs = rng.normal(size=(6, 2)) * np.array([[1e-3], [1], [10], [1e3], [1], [0.1]])
    for flavor in ("keras", "textbook", "pytorch"):
        row = optimizers.get("Muon", flavor=flavor, learning_rate=0.05, as_matrix=True)
        mat = optimizers.get("Muon", flavor=flavor, learning_rate=0.05)
        w, wm = np.array([0.3, -0.7]), np.array([[0.3, -0.7]])
        s, sm = row.init(w), mat.init(wm)
        for g in gs:
            w, s = row.update(g, s, w)
            wm, sm = mat.update(g[None, :], sm, wm)
            np.testing.assert_array_equal(w, wm[0], err_msg=flavor)


def test_step_length_does_not_depend_on_the_gradient_scale():
    """With the option, scaling f by 1000 (every gradient ×1000) leaves the path unchanged (to rounding):
    the step is the normalised momentum. Without it, Keras's Adam step is nearly scale-free too, except
    through ε; plain SGD would move 1000× further."""
    land = landscapes.get("quadratic")
    opt = optimizers.get("Muon", learning_rate=0.05, as_matrix=True)
    start = np.array([1.5, -1.0])
    state, w = opt.init(start), start
    state_big, w_big = opt.init(start), start
    for _ in range(30):
        w, state = opt.update(land.grad(w), state, w)
        w_big, state_big = opt.update(1000.0 * land.grad(w_big), state_big, w_big)
    # Equal up to the 1e-7 Keras adds to ‖m̃‖ (s₀ = ‖m̃‖/(‖m̃‖ + 1e-7)): a few parts in 10⁹ here.
    np.testing.assert_allclose(w_big, w, rtol=1e-7, atol=0)
    assert np.linalg.norm(w - start) > 0.1  # and the point did move


def test_vectorized_rows_equal_single_runs():
    rng = np.random.default_rng(1)
    starts, lrs = rng.normal(size=(5, 2)), np.array([0.01, 0.03, 0.1, 0.3, 1.0])[:, None]
    opt = optimizers.get("Muon", learning_rate=lrs, as_matrix=True)
    state, w = opt.init(starts, batch_ndim=1), starts
    land = landscapes.get("rosenbrock")
    for _ in range(8):
        w, state = opt.update(land.grad(w), state, w)
    for i in range(5):
        one = optimizers.get("Muon", learning_rate=float(lrs[i, 0]), as_matrix=True)
        s, v = one.init(starts[i]), starts[i]
        for _ in range(8):
            v, s = one.update(land.grad(v), s, v)
        np.testing.assert_allclose(w[i], v, rtol=1e-14, atol=1e-15)


def test_without_the_option_the_point_takes_keras_adam_step_and_torch_refuses_it():
    opt = optimizers.get("Muon", learning_rate=0.1)
    state = opt.init(np.array([1.0, -2.0]))
    assert set(state.slots) == {"momentum", "velocity"}
    w1, _ = opt.update(np.array([3.0, 4.0]), state, np.array([1.0, -2.0]))
    # Keras's Adam step at t = 1 moves each coordinate by about η (sign of g), after the decay η·0.004·w.
    np.testing.assert_allclose(w1, [1.0 - 0.0004 - 0.1, -2.0 + 0.0008 - 0.1], atol=1e-6)
    with pytest.raises(ValueError, match="as_matrix"):
        optimizers.get("Muon", flavor="pytorch").init(np.zeros(2))
    optimizers.get("Muon", flavor="pytorch", as_matrix=True).init(np.zeros(2))  # accepted with the option


def test_option_is_not_a_keras_argument_but_is_validated_and_kept():
    assert "as_matrix" not in {p.name for p in optimizers.spec("Muon")}
    assert [p.name for p in optimizers.settings_spec("Muon")][-1] == "as_matrix"
    assert optimizers.full_config("Muon", "keras", {"as_matrix": True})["as_matrix"] is True
    with pytest.raises(ValueError, match="as_matrix"):
        optimizers.get("Muon", as_matrix="yes")
    with pytest.raises(ValueError, match="unknown argument `as_matrix`"):
        optimizers.get("Adam", as_matrix=True)
    opt = optimizers.get("Muon", as_matrix=True)
    assert optimizers.get("Muon", **opt.config).hp["as_matrix"] is True


@pytest.mark.parametrize("flavor", ["keras", "textbook", "pytorch"])
def test_inspector_equations_reproduce_the_row_step(flavor):
    opt = optimizers.get("Muon", flavor=flavor, learning_rate=0.05, as_matrix=True)
    traj = optimizers.run(opt, landscapes.get("himmelblau"), start=[0.5, 0.5], steps=6)
    ex = optimizers.explain_step(traj, 3)
    for e in ex.equations:
        if e.expect is not None:
            np.testing.assert_allclose(e.result, e.expect, rtol=1e-12, atol=0, err_msg=e.lhs)
    o = next(e for e in ex.equations if e.lhs == "O_t")
    into_ns = {"keras": r"\tilde m_t", "pytorch": r"\tilde b_t", "textbook": "B_t"}[flavor]  # textbook: no Nesterov
    mt = next(e for e in ex.equations if e.lhs == into_ns).result
    assert np.linalg.norm(o.result) == pytest.approx(0.6964, abs=1e-4)
    np.testing.assert_allclose(o.result / np.linalg.norm(o.result), mt / np.linalg.norm(mt), rtol=1e-12)
    assert "1×2 matrix" in optimizers.teaching("Muon").why_for(flavor, opt.hp)


def test_point_note_states_the_engine_numbers():
    note = point_note("keras", {})
    assert "0.6964" in note and "η·0.197" in note and "Adam step" in note
    # η·0.197: the distance one Keras step moves the point (decay off), measured on the engine.
    opt = optimizers.get("Muon", learning_rate=0.1, as_matrix=True, weight_decay=None)
    w1, _ = opt.update(np.array([3.0, -4.0]), opt.init(np.zeros(2)), np.zeros(2))
    assert np.linalg.norm(w1) / 0.1 == pytest.approx(0.197, abs=5e-4)
    assert "η·0.6964" in point_note("textbook", {})


def test_as_matrix_on_the_point_is_what_keras_computes_for_a_one_by_two_variable():
    """The Keras 3.15.1 fixture ``muon_rosenbrock_row_matrix`` (real Keras, a (1, 2) variable on the Rosenbrock
    loop): the engine's 2-vector with ``as_matrix`` follows the same 40 steps."""
    import json
    from pathlib import Path
    case = next(c for c in json.loads((Path(__file__).parent / "fixtures" / "keras3_zoo_fixtures.json").read_text())
                ["cases"] if c["id"] == "muon_rosenbrock_row_matrix")
    assert case["shapes"] == [[1, 2]]
    opt = optimizers.get("Muon", as_matrix=True, **case["kwargs"])
    w = np.reshape(np.asarray(case["params0"][0], dtype=np.float64), 2)
    land = landscapes.get("rosenbrock")
    state = opt.init(w)
    for k, (f64, real) in enumerate(zip(case["params_f64"], case["params"])):
        w, state = opt.update(land.grad(w), state, w)
        # Keras's code with its norm in float64: to rounding; real Keras (float32 norm): to rtol 1e-6 of the step.
        np.testing.assert_allclose(w, np.reshape(f64[0], 2), rtol=1e-11, err_msg=f"step {k + 1}")
        np.testing.assert_allclose(w, np.reshape(real[0], 2), rtol=1e-6, err_msg=f"step {k + 1}")
    np.testing.assert_allclose(state["momentum"], np.reshape(case["slots_f64"]["momentum"][0], 2), rtol=1e-11)
