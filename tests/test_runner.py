"""The runner: shapes, divergence handling, vectorized runs equal single runs."""
import warnings

import numpy as np
import pytest

import optimizers


class Bowl:
    """f = ½(x² + 10 y²): analytic, so the GD path is known in closed form."""
    bounds = ((-2.0, 2.0), (-2.0, 2.0))
    start = np.array([1.5, 1.0])

    def value(self, P):
        return 0.5 * (P[..., 0] ** 2 + 10 * P[..., 1] ** 2)

    def grad(self, P):
        return np.stack([P[..., 0], 10 * P[..., 1]], axis=-1)


class Himmelblau:
    bounds = ((-5.0, 5.0), (-5.0, 5.0))
    start = np.array([0.0, 0.0])

    def value(self, P):
        x, y = P[..., 0], P[..., 1]
        return (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2

    def grad(self, P):
        x, y = P[..., 0], P[..., 1]
        a, b = x * x + y - 11, x + y * y - 7
        return np.stack([4 * x * a + 2 * b, 2 * a + 4 * y * b], axis=-1)


def test_gradient_descent_path_matches_closed_form():
    lr = 0.05
    t = optimizers.run(optimizers.get("gradient_descent", learning_rate=lr), Bowl(), steps=30)
    k = np.arange(31)
    expected = np.stack([1.5 * (1 - lr) ** k, 1.0 * (1 - 10 * lr) ** k], axis=-1)
    np.testing.assert_allclose(t.params, expected, rtol=1e-12)
    np.testing.assert_allclose(t.loss, Bowl().value(expected), rtol=1e-12)
    np.testing.assert_allclose(t.grads, Bowl().grad(expected), rtol=1e-12)
    assert t.diverged_at is None and t.learning_rate.shape == (30,)


def test_divergence_is_reported_and_frozen_without_nan_or_warnings():
    # GD on y: factor (1 − 10·lr) = −2 per step; |y| passes the 1000×-bounds box (2000) at step 11.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t = optimizers.run(optimizers.get("gradient_descent", learning_rate=0.3), Bowl(), steps=40)
    assert t.diverged_at == 11
    assert np.all(np.isfinite(t.params)) and np.all(np.isfinite(t.loss))
    np.testing.assert_array_equal(t.params[11:], np.broadcast_to(t.params[10], t.params[11:].shape))
    assert len(t.path()) == 11


def test_overflow_to_inf_is_divergence_too():
    class Steep(Bowl):
        def grad(self, P):
            return np.exp(np.abs(P) * 400) * np.sign(P)
    t = optimizers.run(optimizers.get("sgd", learning_rate=1.0), Steep(), steps=5)
    assert t.diverged_at == 1 and np.all(np.isfinite(t.params))


@pytest.mark.parametrize("name", optimizers.available())
def test_vectorized_starts_equal_single_runs(name):
    land = Himmelblau()
    starts = np.random.default_rng(0).uniform(-4, 4, size=(6, 2))
    opt = optimizers.get(name, learning_rate=0.01) if name != "Adadelta" else optimizers.get(name, learning_rate=1.0)
    batch = optimizers.run(opt, land, start=starts, steps=60)
    for i in range(6):
        single = optimizers.run(opt, land, start=starts[i], steps=60)
        np.testing.assert_array_equal(batch.params[:, i], single.params)
        np.testing.assert_array_equal(batch.loss[:, i], single.loss)
        for k in single.slots:
            if k != "u_product":
                np.testing.assert_array_equal(batch.slots[k][:, i], single.slots[k])
        assert (batch.diverged_at[i] if batch.diverged_at[i] >= 0 else None) == single.diverged_at


def test_learning_rate_sweep_is_one_run_and_equals_single_runs():
    lrs = np.logspace(-4, 0, 200)[:, None]
    land = Himmelblau()
    sweep = optimizers.run(optimizers.get("sgd", learning_rate=lrs, momentum=0.9), land,
                           start=np.tile([0.5, -0.5], (200, 1)), steps=100, record="path")
    assert sweep.params.shape == (101, 200, 2)
    assert 0 < (sweep.diverged_at >= 0).sum() < 200  # the big ones diverge, the small ones do not
    for i in (0, 57, 120, 199):
        one = optimizers.run(optimizers.get("sgd", learning_rate=float(lrs[i, 0]), momentum=0.9), land,
                             start=[0.5, -0.5], steps=100, record="path")
        np.testing.assert_array_equal(sweep.params[:, i], one.params)
        assert (sweep.diverged_at[i] if sweep.diverged_at[i] >= 0 else None) == one.diverged_at


def test_record_final_equals_last_row_of_full():
    starts = np.random.default_rng(1).uniform(-4, 4, size=(50, 2))
    full = optimizers.run("adam", Himmelblau(), start=starts, steps=80)
    final = optimizers.run("adam", Himmelblau(), start=starts, steps=80, record="final")
    np.testing.assert_array_equal(final.params[0], full.params[-1])
    assert final.params.shape == (1, 50, 2)


def test_noise_is_seeded():
    a = optimizers.run("adam", Bowl(), steps=20, noise=0.5, seed=3)
    b = optimizers.run("adam", Bowl(), steps=20, noise=0.5, seed=3)
    c = optimizers.run("adam", Bowl(), steps=20, noise=0.5, seed=4)
    np.testing.assert_array_equal(a.params, b.params)
    assert not np.array_equal(a.params, c.params)
    clean = optimizers.run("adam", Bowl(), steps=20)
    assert np.abs(a.grads[0] - clean.grads[0]).max() > 0.01


@pytest.mark.parametrize("kwargs, match", [
    ({"steps": -1}, "steps"), ({"steps": 10**9}, "steps"), ({"steps": 2.5}, "steps"),
    ({"noise": -1.0}, "noise"), ({"start": [1.0, 2.0, 3.0]}, "shape"), ({"start": [np.nan, 0.0]}, "finite"),
    ({"record": "some"}, "record"),
])
def test_bad_runner_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        optimizers.run("adam", Bowl(), **kwargs)
