"""The moons task: data, network layout, Keras init, loss and its gradient."""

import math

import numpy as np
import pytest
from sklearn.datasets import make_moons

from landscapes.moons import EPSILON, MoonsTask, make


@pytest.fixture(scope="module")
def task():
    return make()


def test_defaults_match_the_article(task):
    X, y = make_moons(n_samples=300, noise=0.1, random_state=42)
    np.testing.assert_array_equal(task.X, X)
    np.testing.assert_array_equal(task.y, y)
    assert task.X.dtype == np.float64
    assert task.n_samples == 300 and len(task.X_val) == 0
    assert task.name == "moons" and task.title and task.teaches and task.latex
    assert task.shapes == [(2, 12), (12,), (12, 13), (13,), (13, 13), (13,), (13, 2), (2,)]
    assert task.n_params == 2 * 12 + 12 + 12 * 13 + 13 + 13 * 13 + 13 + 13 * 2 + 2 == 415
    # The slices tile the flat vector in Keras order, one per variable.
    assert task.tensor_slices[0].start == 0 and task.tensor_slices[-1].stop == task.n_params
    for s, t, shape in zip(task.tensor_slices, task.tensor_slices[1:], task.shapes):
        assert s.stop == t.start and s.stop - s.start == math.prod(shape)


def test_unflatten_gives_views(task):
    theta = np.zeros((3, task.n_params))
    layers = task.unflatten(theta)
    assert [(W.shape, b.shape) for W, b in layers][0] == ((3, 2, 12), (3, 12))
    layers[1][0][2, 4, 5] = 7.0        # W2 of model 2, row 4, column 5
    s = task.tensor_slices[2]
    assert theta[2, s.start + 4 * 13 + 5] == 7.0


def test_init_is_glorot_uniform_with_zero_biases(task):
    theta = task.init_params(seed=3)
    assert theta.shape == (task.n_params,) and theta.dtype == np.float64
    for W, b in task.unflatten(theta):
        limit = math.sqrt(6 / sum(W.shape))
        assert np.all(np.abs(W) <= limit) and np.abs(W).max() > 0.5 * limit
        assert np.all(b == 0)
    np.testing.assert_array_equal(theta, task.init_params(seed=3))
    assert not np.array_equal(theta, task.init_params(seed=4))
    many = task.init_params(seed=3, n_models=4)
    assert many.shape == (4, task.n_params) and not np.array_equal(many[0], many[1])


def _numeric_grad(task, theta, idx, h=1e-6):
    grad = np.zeros_like(theta)
    for j in range(theta.shape[-1]):
        e = np.zeros(theta.shape[-1])
        e[j] = h
        grad[..., j] = (task.loss(theta + e, idx) - task.loss(theta - e, idx)) / (2 * h)
    return grad


@pytest.mark.parametrize("lead", [(), (3,), (2, 2)])
def test_gradient_matches_finite_differences(lead):
    task = make(n_samples=60, hidden=(5, 4))       # small, so every coordinate is checked
    rng = np.random.default_rng(sum(lead) + 1)
    theta = rng.normal(0.0, 0.8, size=lead + (task.n_params,))
    for idx in (None, rng.choice(task.n_samples, 17, replace=False), np.array([5])):
        loss, grad = task.loss_and_grad(theta, idx)
        assert loss.shape == lead and grad.shape == lead + (task.n_params,)
        np.testing.assert_allclose(grad, _numeric_grad(task, theta, idx), rtol=1e-6, atol=1e-8)


def test_gradient_of_the_article_network():
    task = make()
    theta = task.init_params(seed=1, n_models=2)
    idx = np.arange(32)
    _, grad = task.loss_and_grad(theta, idx)
    np.testing.assert_allclose(grad, _numeric_grad(task, theta, idx), rtol=1e-6, atol=1e-9)


def test_loss_is_keras_clipped_cross_entropy(task):
    theta = task.init_params(seed=0)
    p = task.predict_proba(theta, task.X)
    np.testing.assert_allclose(p.sum(axis=-1), 1.0)
    expected = -np.mean(np.log(np.clip(p[np.arange(300), task.y], EPSILON, 1 - EPSILON)))
    assert task.loss(theta) == pytest.approx(expected, rel=1e-12)
    # A huge bias on class 1 makes every prediction certain: the clip caps the
    # loss at -log(1e-7) (wrong) / -log(1-1e-7) (right), and the gradient is 0.
    b_out = task.unflatten(theta)[-1][1]
    b_out[1] = 1000.0
    loss, grad = task.loss_and_grad(theta)
    frac_1 = task.y.mean()
    assert loss == pytest.approx(-frac_1 * np.log(1 - EPSILON) - (1 - frac_1) * np.log(EPSILON))
    assert np.all(grad == 0)


def test_loss_grad_accuracy_and_evaluate_agree(task):
    theta = task.init_params(seed=0, n_models=3)
    loss, grad, acc = task.loss_grad_accuracy(theta)
    ev_loss, ev_acc = task.evaluate(theta)
    np.testing.assert_allclose(loss, ev_loss, rtol=1e-13)
    np.testing.assert_array_equal(acc, ev_acc)
    np.testing.assert_array_equal(acc, (task.predict_proba(theta, task.X).argmax(-1) == task.y).mean(-1))
    assert grad.shape == (3, task.n_params)


def test_boundary_layout(task):
    theta = task.init_params(seed=2, n_models=2)
    xs, ys, prob = task.boundary(theta, n=7)
    assert xs.shape == ys.shape == (7,) and prob.shape == (2, 7, 7)
    assert xs[0] < task.X[:, 0].min() and xs[-1] > task.X[:, 0].max()
    assert ys[0] < task.X[:, 1].min() and ys[-1] > task.X[:, 1].max()
    # Row i, column j is the point (xs[j], ys[i]).
    point = np.array([[xs[5], ys[2]]])
    assert prob[1, 2, 5] == pytest.approx(task.predict_proba(theta[1], point)[0, 1])


def test_validation_split_holds_out_the_last_fraction():
    X, y = make_moons(n_samples=101, noise=0.2, random_state=7)
    task = make(n_samples=101, noise=0.2, data_seed=7, validation_split=0.2)
    assert task.n_samples == 80                    # floor(101 * 0.8), as Keras
    np.testing.assert_array_equal(task.X, X[:80])
    np.testing.assert_array_equal(task.X_val, X[80:])
    np.testing.assert_array_equal(task.y_val, y[80:])
    assert task.options["validation_split"] == 0.2


def test_options_are_kept_and_used():
    task = make(n_samples=50, hidden=[8], init_seed=5)
    assert isinstance(task, MoonsTask)
    assert task.options["hidden"] == (8,) and task.n_params == 2 * 8 + 8 + 8 * 2 + 2
    np.testing.assert_array_equal(task.init_params(), task.init_params(seed=5))


@pytest.mark.parametrize("options", [
    dict(n_samples=19), dict(n_samples=5001), dict(n_samples=100.5),
    dict(noise=-0.1), dict(noise=1.5), dict(noise="loud"),
    dict(hidden=()), dict(hidden=(0,)), dict(hidden=(129,)), dict(hidden=(4, 4, 4, 4, 4)),
    dict(validation_split=0.95), dict(validation_split=-0.1),
    dict(data_seed=-1), dict(init_seed=1.5), dict(colour="red"),
])
def test_invalid_options_raise_value_error(options):
    with pytest.raises(ValueError):
        make(**options)
