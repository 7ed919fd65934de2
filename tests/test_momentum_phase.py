"""Momentum's phase diagram: the measured grid against the theory of the 2×2 iteration matrix.

Independent truth: eigenvalues of the iteration matrix by numpy.linalg.eigvals, a brute-force search of
the optimum, the closed forms (Polyak; gradient descent), and single runs of the engine's SGD."""
import numpy as np
import pytest

import landscapes
import optimizers
from optimizers import momentum_phase as mp


@pytest.fixture(scope="module")
def quad():
    return landscapes.get("quadratic", condition=10)


@pytest.fixture(scope="module", params=mp.METHODS)
def diagram(request, quad):
    return mp.measure(request.param, quad)          # 200 × 200 = 40,000 runs, one vectorized computation


def test_grid_is_at_least_200_by_200(diagram):
    assert diagram.measured.shape == (200, 200) and diagram.etas.size == 200 and diagram.betas.size == 200
    assert diagram.betas[0] == 0.0                  # plain gradient descent is the bottom row


def test_measured_divergence_boundary_matches_theory_to_the_grid(diagram):
    """For every β row, the first η column that diverges is the first whose theoretical rate is ≥ 1,
    to within one cell, and the theoretical boundary η lies within one cell of the measured edge."""
    first = mp.boundary_columns(diagram.diverged)
    theory_first = mp.boundary_columns(diagram.theory >= 1)
    assert np.abs(first - theory_first).max() <= 1
    L = diagram.eigenvalues[1]
    edge = mp.boundary_eta(diagram.method, diagram.betas, L)
    de = diagram.etas[1] - diagram.etas[0]
    inside = first < diagram.etas.size
    assert np.all(np.abs(diagram.etas[first[inside]] - edge[inside]) <= de)


def test_measured_rates_match_theory(diagram):
    ok = ~diagram.diverged & (diagram.theory < 1)
    err = np.abs(diagram.measured - diagram.theory)[ok]
    assert ok.sum() > 0.4 * ok.size
    assert err.max() < 0.02 and np.percentile(err, 99) < 0.008 and np.median(err) < 1e-3


def test_best_measured_cell_is_next_to_the_optimum(diagram):
    eta, beta, rho = diagram.optimum
    i = np.unravel_index(np.nanargmin(diagram.measured), diagram.measured.shape)
    de, db = diagram.etas[1] - diagram.etas[0], diagram.betas[1] - diagram.betas[0]
    assert abs(diagram.etas[i[1]] - eta) <= 3 * de and abs(diagram.betas[i[0]] - beta) <= 3 * db
    assert diagram.measured[i] == pytest.approx(rho, abs=0.01)


@pytest.mark.parametrize("method", mp.METHODS)
def test_spectral_radius_is_the_iteration_matrix_eigenvalues(method):
    rng = np.random.default_rng(0)
    for _ in range(50):
        eta, beta = rng.uniform(0, 2.5), rng.uniform(0, 0.99)
        lams = (0.2, 2.0)
        ref = max(np.abs(np.linalg.eigvals(mp.iteration_matrix(method, eta, beta, lam))).max() for lam in lams)
        assert mp.spectral_radius(method, eta, beta, lams) == pytest.approx(ref, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("method", mp.METHODS)
def test_iteration_matrix_is_the_engines_sgd(method):
    """Along one eigenvector the engine's SGD step is exactly the 2×2 matrix on (w_t, w_{t−1})."""
    lam, eta, beta = 0.7, 0.9, 0.6
    opt = optimizers.get("SGD", learning_rate=eta, momentum=beta, nesterov=(method == "nesterov"))
    w = np.array([1.3])
    state = opt.init(w)
    ws = [w[0]]
    for _ in range(20):
        w, state = opt.update(lam * w, state, w)
        ws.append(w[0])
    M = mp.iteration_matrix(method, eta, beta, lam)
    # From step 1 on (v₀ = 0 makes w₋₁ = w₀), the pair (w_t, w_{t−1}) obeys M.
    for t in range(1, 20):
        np.testing.assert_allclose(M @ [ws[t], ws[t - 1]], [ws[t + 1], ws[t]], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("method", mp.METHODS)
@pytest.mark.parametrize("kappa", [2.0, 10.0, 100.0])
def test_optimum_is_the_minimum_of_the_theoretical_rate(method, kappa):
    mu, L = 2.0 / kappa, 2.0
    eta, beta, rho = mp.optimum(method, mu, L)
    assert mp.spectral_radius(method, eta, beta, (mu, L)) == pytest.approx(rho, abs=1e-7)
    E, B = np.meshgrid(np.linspace(1e-4, mp.boundary_eta(method, 0.99, L), 600), np.linspace(0, 0.99, 600))
    assert rho <= mp.spectral_radius(method, E, B, (mu, L)).min() + 1e-9
    if method == "heavy_ball":   # Polyak: ρ* = √β* = (√κ − 1)/(√κ + 1)
        assert rho == pytest.approx((np.sqrt(kappa) - 1) / (np.sqrt(kappa) + 1))
        assert beta == pytest.approx(rho ** 2)


def test_gradient_descent_edge(quad):
    """β = 0: ρ = max|1 − ηλ|, best at η = 2/(μ + L), where ρ = (κ − 1)/(κ + 1); diverges beyond 2/L."""
    mu, L = 0.2, 2.0
    etas = np.linspace(0.01, 1.2, 300)
    np.testing.assert_allclose(mp.spectral_radius("heavy_ball", etas, 0.0, (mu, L)),
                               np.maximum(np.abs(1 - etas * mu), np.abs(1 - etas * L)), rtol=1e-12)
    eta, rho = mp.gd_optimum(mu, L)
    assert eta == pytest.approx(2 / 2.2) and rho == pytest.approx(9 / 11)
    d = mp.measure("heavy_ball", quad, etas=etas, betas=np.array([0.0]), steps=400)
    assert not d.diverged[0][etas < 0.99 * 2 / L].any() and d.diverged[0][etas > 1.01 * 2 / L].all()
    i = np.nanargmin(d.measured[0])
    assert abs(etas[i] - eta) <= etas[1] - etas[0]


def test_a_cell_is_a_real_run(quad):
    """One cell of the grid equals a single run of the engine's SGD from the same start."""
    d = mp.measure("heavy_ball", quad, etas=np.array([0.5, 1.5]), betas=np.array([0.3, 0.8]), steps=400)
    traj = optimizers.run(optimizers.get("SGD", learning_rate=1.5, momentum=0.8), quad, steps=400)
    # The run's own contraction over the measured window agrees with the cell's rate.
    w = traj.params
    v = np.asarray(traj.slots["momentum"])
    z = np.sqrt(np.sum(w * w, axis=-1) + np.sum(v * v, axis=-1))
    rate = (z[301:401].max() / z[101:201].max()) ** (1 / 200)
    assert d.measured[1, 1] == pytest.approx(rate, rel=1e-9)


def test_bad_method():
    with pytest.raises(ValueError, match="method must be one of"):
        mp.spectral_radius("adam", 0.1, 0.5, (1.0,))
