"""Sweeps, basin maps and the step inspector agree with one-by-one runs of the engine."""
import numpy as np
import pytest

import optimizers
from tests.test_runner import Bowl, Himmelblau

H = Himmelblau()
H.minima = np.array([[3.0, 2.0], [-2.805118, 3.131312], [-3.779310, -3.283186], [3.584428, -1.848126]])
H.min_value = 0.0


def test_lr_sweep_equals_single_runs_on_a_sample():
    lrs = np.logspace(-4, 0, 201)
    res = optimizers.lr_sweep("sgd", H, lrs, start=[0.5, -0.5], steps=150, tol=1e-3, momentum=0.9)
    assert res.final_loss.shape == (201,)
    for i in (0, 40, 100, 150, 200):
        one = optimizers.run(optimizers.get("sgd", learning_rate=float(lrs[i]), momentum=0.9), H,
                             start=[0.5, -0.5], steps=150)
        assert res.final_loss[i] == one.loss[-1]
        assert (res.diverged_at[i] if res.diverged_at[i] >= 0 else None) == one.diverged_at
        hit = np.nonzero(one.loss <= 1e-3)[0]
        expected = -1 if one.diverged_at is not None or not len(hit) else hit[0]
        assert res.steps_to_tol[i] == expected
    best = res.best_index
    assert res.diverged_at[best] < 0 and res.tail_loss[best] == res.tail_loss[res.diverged_at < 0].min()
    one = optimizers.run(optimizers.get("sgd", learning_rate=float(lrs[best]), momentum=0.9), H,
                         start=[0.5, -0.5], steps=150)
    assert res.tail_loss[best] == pytest.approx(one.loss[-15:].mean(), rel=1e-12)
    lo, hi = res.diverging_range
    assert lo <= hi and res.diverged_at[lrs == hi] >= 0


def test_basin_map_equals_single_runs_and_labels_minima():
    res = optimizers.basin_map("adam", H, n=30, steps=400, learning_rate=0.05)
    assert res.label.shape == (30, 30)
    assert set(np.unique(res.label)) <= {-2, -1, 0, 1, 2, 3}
    assert len(set(np.unique(res.label)) & {0, 1, 2, 3}) == 4  # Himmelblau: all four basins appear
    rng = np.random.default_rng(0)
    for i, j in rng.integers(0, 30, size=(6, 2)):
        start = [res.xs[j], res.ys[i]]
        one = optimizers.run(optimizers.get("adam", learning_rate=0.05), H, start=start, steps=400)
        np.testing.assert_array_equal(res.final_params[i, j], one.params[-1])
        if res.label[i, j] >= 0:
            assert np.linalg.norm(one.params[-1] - H.minima[res.label[i, j]]) <= 0.05 * np.hypot(10, 10)


def test_basin_map_marks_divergence():
    # GD with lr 0.3 multiplies y by −2 each step: every start with y ≠ 0 diverges, none with y = 0.
    res = optimizers.basin_map("gradient_descent", Bowl(), n=5, steps=50, learning_rate=0.3)
    assert res.ys[2] == 0.0
    assert (res.label[[0, 1, 3, 4]] == -2).all()
    assert (res.label[2] != -2).all() and (res.diverged_at[2] == -1).all()


def test_steps_to_tolerance():
    loss = np.array([[5.0, 5.0], [1.0, 0.5], [0.01, 0.2], [0.001, 0.0]])
    np.testing.assert_array_equal(optimizers.steps_to_tolerance(loss, 0.0, 0.05), [2, 3])
    np.testing.assert_array_equal(optimizers.steps_to_tolerance(loss, 0.0, 0.05, np.array([-1, 2])), [2, -1])


def test_tune_learning_rate_returns_the_sweeps_best():
    lr, res = optimizers.tune_learning_rate("adam", H, start=[0.0, 0.0], steps=100)
    assert lr == res.learning_rates[res.best_index]


@pytest.mark.parametrize("name", optimizers.available())
@pytest.mark.parametrize("flavor", ["keras", "textbook", "pytorch"])
def test_inspector_numbers_equal_the_engine_state(name, flavor):
    cls = optimizers.get_class(name)
    if flavor not in cls.flavors():
        pytest.skip(f"{name} has no {flavor} flavour")
    has_momentum = "momentum" in {hp.name for hp in optimizers.spec(name, flavor)}
    kw = {"momentum": 0.9} if name in ("SGD", "RMSprop") and has_momentum else {}
    if not (name == "Adadelta" and flavor == "textbook"):
        kw["learning_rate"] = 0.01
    if name == "Muon" and flavor == "pytorch":  # torch.optim.Muon refuses a 2-vector, and so does the engine
        with pytest.raises(ValueError, match="only supports 2-D parameters"):
            optimizers.run(optimizers.get(name, flavor=flavor, **kw), H, start=[0.5, 0.5], steps=12)
        return
    traj = optimizers.run(optimizers.get(name, flavor=flavor, **kw), H, start=[0.5, 0.5], steps=12)
    for k in (0, 6, 11):
        ex = optimizers.explain_step(traj, k)
        np.testing.assert_array_equal(ex.w, traj.params[k])
        np.testing.assert_array_equal(ex.g, traj.grads[k])
        np.testing.assert_array_equal(ex.w_new, traj.params[k + 1])
        for slot, values in traj.slots.items():
            np.testing.assert_array_equal(np.asarray(ex.slots_after[slot]), values[k + 1])
            np.testing.assert_array_equal(np.asarray(ex.slots_before[slot]), values[k])
        assert ex.lines and all(isinstance(line, str) for line in ex.lines)


def test_inspector_adam_bias_corrections_and_effective_step():
    traj = optimizers.run(optimizers.get("adam", learning_rate=0.1), H, start=[0.5, 0.5], steps=3)
    ex = optimizers.explain_step(traj, 0)
    q = {label: v for label, _, v in ex.quantities}
    assert q["1 − β₁ᵗ"] == pytest.approx(0.1) and q["1 − β₂ᵗ"] == pytest.approx(0.001)
    # First Adam step: |Δw| ≈ η on each axis whatever the gradient's size (Adam's "huge first steps").
    np.testing.assert_allclose(np.abs(ex.step), 0.1, rtol=1e-3)
    np.testing.assert_allclose(ex.effective_step_size, 0.1 / np.abs(ex.g), rtol=1e-3)
