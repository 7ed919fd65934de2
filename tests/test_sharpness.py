"""Sharpness: exact Hessian-vector products of the moons MLP, power iteration, preconditioners, and the
edge of stability.

Independent truth: jax's Hessian of the same loss (tests/fixtures/moons_hessian.json, made by
tools/make_hessian_fixture.py), numpy.linalg.eigvalsh, closed-form Hessians of the quadratic and the
regression, and the engine's own update rules for the preconditioners."""
import json
from pathlib import Path

import numpy as np
import pytest

import landscapes
import optimizers
from landscapes.moons_hessian import MoonsHessian
from optimizers import sharpness as S

FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "moons_hessian.json").read_text())["cases"]


def task_of(case):
    c = FIXTURE[case]
    task = landscapes.get("moons", hidden=tuple(c["hidden"]), n_samples=c["n_samples"], noise=c["noise"])
    assert np.array_equal(task.X, np.asarray(c["X"])) and np.array_equal(task.y, np.asarray(c["y"]))
    return task, np.asarray(c["theta"]), c


@pytest.mark.parametrize("case", ["small", "article"])
def test_gradient_of_the_exact_pass_is_the_tasks(case):
    task, theta, c = task_of(case)
    mh = MoonsHessian(task)
    rng = np.random.default_rng(0)
    stacked = theta + 0.1 * rng.standard_normal((3, task.n_params))
    for th in (theta, stacked):
        l1, g1 = task.loss_and_grad(th)
        l2, g2 = mh.loss_and_grad(th)
        np.testing.assert_allclose(l2, l1, rtol=1e-13, atol=0)
        np.testing.assert_allclose(g2, g1, rtol=1e-11, atol=1e-15)
    # …and both are jax's gradient.
    np.testing.assert_allclose(mh.loss_and_grad(theta)[1], c["grad"], rtol=1e-10, atol=1e-14)


def test_full_hessian_equals_jax_on_a_small_mlp():
    task, theta, c = task_of("small")
    H = MoonsHessian(task).hessian(theta)
    Hj = np.asarray(c["hessian"])
    assert np.abs(H - Hj).max() <= 1e-10 * np.abs(Hj).max()


def test_hvp_equals_jax_forward_over_reverse_on_the_article_network():
    task, theta, c = task_of("article")
    mh = MoonsHessian(task)
    V = np.asarray(c["v"])
    Hv = mh.hvp(theta, V)                          # three products in one stacked pass
    ref = np.asarray(c["hv"])
    assert np.abs(Hv - ref).max() <= 1e-10 * np.abs(ref).max()


def test_central_difference_agrees_away_from_kinks():
    task, theta, c = task_of("small")
    H = S.hessian(S.central_hvp(lambda t: task.loss_and_grad(t)[1]), theta)
    Hj = np.asarray(c["hessian"])
    assert np.abs(H - Hj).max() <= 1e-6 * np.abs(Hj).max()


@pytest.mark.parametrize("case", ["small", "article"])
def test_power_iteration_finds_eigvalsh_top(case):
    task, theta, c = task_of(case)
    mh = MoonsHessian(task)
    eig = S.top_eigenvalue(mh.hvp, theta, tol=1e-12, max_iter=5000)
    top = c["top_eigenvalues"][0]
    assert eig.converged
    assert eig.value == pytest.approx(top, rel=1e-6)
    if case == "small":  # numpy.linalg.eigvalsh of the full Hessian, too
        assert eig.value == pytest.approx(np.linalg.eigvalsh(mh.hessian(theta))[-1], rel=1e-6)
    # The vector is an eigenvector: H u = λ u.
    u = eig.vector
    assert np.linalg.norm(mh.hvp(theta, u) - eig.value * u) <= 1e-3 * abs(eig.value)


def test_power_iteration_shifts_when_the_negative_eigenvalue_dominates():
    A = np.diag([-5.0, 2.0, 1.0, -1.0])
    eig = S.top_eigenvalue(lambda th, v: v @ A, np.zeros(4), tol=1e-13, max_iter=2000)
    assert eig.value == pytest.approx(2.0, rel=1e-8)


def test_preconditioned_sharpness_is_the_top_eigenvalue_of_p_inverse_h():
    rng = np.random.default_rng(3)
    Q = rng.standard_normal((6, 6))
    A = Q @ Q.T + np.diag([5.0, 0, 0, 0, 0, 1])
    p = rng.uniform(0.1, 3.0, 6)
    eig = S.top_eigenvalue(lambda th, v: v @ A, np.zeros(6), precond=p, tol=1e-13, max_iter=5000)
    ref = np.max(np.linalg.eigvals(np.diag(1 / p) @ A).real)
    assert eig.value == pytest.approx(ref, rel=1e-8)


def test_vectorized_rows_are_independent():
    task, theta, _ = task_of("small")
    mh = MoonsHessian(task)
    thetas = np.stack([theta, theta * 1.1])
    both = S.top_eigenvalue(mh.hvp, thetas, tol=1e-12, max_iter=5000).value
    for i in range(2):
        one = S.top_eigenvalue(mh.hvp, thetas[i], tol=1e-12, max_iter=5000).value
        assert both[i] == pytest.approx(one, rel=1e-7)


def test_sharpness_of_the_quadratic_and_the_regression_by_central_differences():
    quad = landscapes.get("quadratic", condition=25, angle=30)
    hv = S.hvp_function(quad)
    eig = S.top_eigenvalue(hv, np.array([1.0, -2.0]), tol=1e-14, max_iter=500)
    assert eig.value == pytest.approx(2.0, rel=1e-9)      # the steep curvature is 2 for every κ
    reg = landscapes.get("regression")
    H = S.hessian(S.hvp_function(reg), reg.start)
    exact = 2 * reg.X.T @ reg.X / reg.n_samples
    np.testing.assert_allclose(H, exact, rtol=1e-8)
    eig = S.top_eigenvalue(S.hvp_function(reg), reg.start, tol=1e-14, max_iter=500)
    assert eig.value == pytest.approx(np.linalg.eigvalsh(exact)[-1], rel=1e-9)


# --------------------------------------------------------------------------- #
# Preconditioners: P is what the engine's own update divides by                 #
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("name, flavor, hyper", [
    ("Adam", "keras", {}), ("Adam", "textbook", {}), ("Adam", "pytorch", {}), ("Adam", "keras", {"amsgrad": True}),
    ("RMSprop", "keras", {}), ("RMSprop", "pytorch", {}), ("RMSprop", "keras", {"centered": True}),
])
def test_preconditioner_is_what_the_update_divides_by(name, flavor, hyper):
    rng = np.random.default_rng(1)
    lr = 0.01
    opt = optimizers.get(name, flavor=flavor, learning_rate=lr, **hyper)
    w = rng.standard_normal(5)
    state = opt.init(w)
    for _ in range(4):
        g = rng.standard_normal(5)
        w_new, state = opt.update(g, state, w)
        P = S.preconditioner(opt, state)
        step = state["momentum"] if name == "Adam" else g     # Adam divides m; RMSprop divides g
        np.testing.assert_allclose(w_new, w - lr * step / P, rtol=1e-12, atol=1e-15)
        w = w_new


def test_thresholds():
    def thr(name, **kw):
        return float(np.asarray(S.threshold(optimizers.get(name, learning_rate=0.01, **kw))[0]))
    assert thr("Adam") == pytest.approx(38 / 0.01)                 # (2 + 2β₁)/((1 − β₁)η) at β₁ = 0.9
    assert thr("Adam", beta_1=0.5) == pytest.approx(6 / 0.01)
    assert thr("GradientDescent") == pytest.approx(200)
    assert thr("SGD", momentum=0.9) == pytest.approx(3.8 / 0.01)
    assert thr("SGD", momentum=0.9, nesterov=True) == pytest.approx(3.8 / 2.8 / 0.01)
    assert thr("RMSprop") == pytest.approx(200)
    with pytest.raises(ValueError, match="edge of stability is shown for"):
        S.threshold(optimizers.get("Lion"))
    with pytest.raises(ValueError, match="weight decay"):
        S.threshold(optimizers.get("SGD", weight_decay=0.1))


def test_gradient_descent_threshold_is_exact_on_the_quadratic():
    """On a quadratic the sharpness is constant, and GD converges iff η < 2/λ_max: no self-stabilisation."""
    quad = landscapes.get("quadratic", condition=10)
    res = S.edge_of_stability("GradientDescent", quad, [0.95, 1.1], steps=400, every=50)
    np.testing.assert_allclose(res.sharpness[:, 0], 2.0, rtol=1e-6)  # power iteration stops at tol=1e-3
    assert res.diverged_at[0] == -1 and res.loss[-1, 0] < 1e-6
    assert res.diverged_at[1] > 0  # 2/η ≈ 1.82 < 2: the error grows ×1.2 a step until the norm passes 1e10


@pytest.mark.parametrize("preset", sorted(S.EOS_PRESETS))
def test_the_edge_of_stability_preset_claims(preset):
    """Each preset's claim, computed by the engine on the moons MLP: the sharpness (preconditioned for Adam
    and RMSprop) starts well below its threshold, reaches it within the first half, and then stays within
    ±15 % of it for at least the claimed share of the second half's measurements, while the loss keeps
    falling, not monotonically."""
    p = S.EOS_PRESETS[preset]
    task = landscapes.get("moons", noise=p["noise"])
    res = S.edge_of_stability(p["optimizer"], task, [p["learning_rate"]], steps=p["steps"], every=p["every"],
                              hvp=MoonsHessian(task).hvp)
    h = S.hovering(res, 0, since=0.5, band=0.15)
    assert res.sharpness[0, 0] < 0.3 * res.threshold[0]   # first measurement: step 0 (adaptive: step `every`)
    assert h["first_reached"] is not None and h["first_reached"] <= 0.5 * p["steps"]
    assert h["share_within"] >= p["share"]
    loss = res.loss[:, 0]
    assert loss[-1] < 0.15 * loss[0]
    assert np.sum(np.diff(loss[p["steps"] // 2:]) > 0) > 50          # not monotone: the loss goes up at times
    ratio = res.sharpness[:, 0] / res.threshold[0]
    k = res.sharp_steps
    second = k >= p["steps"] // 2
    if preset == "gd":
        assert res.sharpness[0, 0] == pytest.approx(2.53, abs=0.05) and res.threshold[0] == pytest.approx(20)
        assert 600 <= h["first_reached"] <= 640
        assert 800 < k[np.argmax(ratio >= 1)] <= 900
        assert np.all((ratio[second] >= 1.0) & (ratio[second] <= 1.15))
    if preset == "adam":
        assert res.threshold[0] == pytest.approx(38 / 0.003)
        assert 300 < res.sharpness[0, 0] < 400 and 640 <= h["first_reached"] <= 680
        assert np.nanmax(ratio) < 1
    if preset == "rmsprop":
        assert 250 < res.sharpness[0, 0] < 300 and h["first_reached"] <= 100
