"""Momentum's phase diagram: which (η, β) converge on a quadratic, how fast, and why exactly there.

On f(w) = ½ wᵀAw with Hessian eigenvalues λ ∈ [μ, L], Keras's SGD with momentum β,

    v ← β v − η ∇f(w),   w ← w + v                  (heavy ball, Polyak 1964)
    w ← w + β v_new − η ∇f(w)                         (Nesterov, Keras's form)

is linear. Along the eigenvector of λ, with h = ηλ, the pair (w_t, w_{t−1}) evolves by a 2×2 matrix whose
characteristic polynomial is

    heavy ball:  z² − (1 + β − h) z + β
    Nesterov:    z² − (1 + β)(1 − h) z + β(1 − h)

and the error shrinks like ρᵗ, where the **rate** ρ = max over the eigenvalues λ of |the roots|. The run
converges iff ρ < 1 (Jury's conditions), which for β ∈ [0, 1) is

    heavy ball:  0 < ηL < 2(1 + β)
    Nesterov:    0 < ηL < 2(1 + β)/(1 + 2β)

(the largest eigenvalue L is the binding one). Polyak's optimum for heavy ball is
η* = 4/(√L + √μ)², β* = ((√κ − 1)/(√κ + 1))², κ = L/μ, with rate ρ* = √β* = (√κ − 1)/(√κ + 1).
Plain gradient descent is the β = 0 edge: ρ = max|1 − ηλ|, best at η = 2/(μ + L) with ρ = (κ − 1)/(κ + 1).

:func:`measure` runs every cell of a grid as one vectorized computation with the engine's own SGD
(40,000 trajectories for a 200 × 200 grid) and measures the rate from the run itself.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .registry import get

METHODS = ("heavy_ball", "nesterov")


# --------------------------------------------------------------------------- #
# Theory                                                                        #
# --------------------------------------------------------------------------- #
def _coefficients(method: str, h, beta):
    """(a, b) of z² − a z + b for step h = ηλ and momentum β."""
    if method == "heavy_ball":
        return 1 + beta - h, beta * np.ones_like(h)
    if method == "nesterov":
        return (1 + beta) * (1 - h), beta * (1 - h)
    raise ValueError(f"method must be one of {METHODS}; received {method!r}.")


def spectral_radius(method: str, eta, beta, eigenvalues) -> np.ndarray:
    """Theoretical rate ρ(η, β) = max over the Hessian's eigenvalues of |roots of the iteration's
    characteristic polynomial|. ``eta``, ``beta`` broadcast; the result has their shape."""
    eta, beta = np.broadcast_arrays(np.asarray(eta, dtype=np.float64), np.asarray(beta, dtype=np.float64))
    rho = np.zeros(eta.shape)
    for lam in np.atleast_1d(np.asarray(eigenvalues, dtype=np.float64)):
        a, b = _coefficients(method, eta * lam, beta)
        disc = np.sqrt((a * a - 4 * b).astype(np.complex128))
        r = np.maximum(np.abs((a + disc) / 2), np.abs((a - disc) / 2))
        rho = np.maximum(rho, r)
    return rho


def iteration_matrix(method: str, eta: float, beta: float, lam: float) -> np.ndarray:
    """The 2×2 matrix acting on (w_t, w_{t−1}) along one eigenvector (for the maths page and tests)."""
    a, b = _coefficients(method, np.float64(eta * lam), np.float64(beta))
    return np.array([[a, -b], [1.0, 0.0]])


def boundary_eta(method: str, beta, L: float) -> np.ndarray:
    """The largest η that converges at momentum β ∈ [0, 1): the edge of the convergence region."""
    beta = np.asarray(beta, dtype=np.float64)
    if method == "heavy_ball":
        return 2 * (1 + beta) / L
    if method == "nesterov":
        return 2 * (1 + beta) / ((1 + 2 * beta) * L)
    raise ValueError(f"method must be one of {METHODS}; received {method!r}.")


def optimum(method: str, mu: float, L: float) -> tuple[float, float, float]:
    """(η*, β*, ρ*), the pair with the smallest worst-case rate over eigenvalues in [μ, L].

    Heavy ball (Polyak 1964): η* = 4/(√L + √μ)², β* = ((√κ − 1)/(√κ + 1))², ρ* = (√κ − 1)/(√κ + 1).
    Nesterov (Lessard, Recht & Packard 2016, Sec. 4.4): η* = 4/(3L + μ),
    β* = (√(3κ + 1) − 2)/(√(3κ + 1) + 2), ρ* = 1 − 2/√(3κ + 1).
    (The tests check both against a brute-force search of :func:`spectral_radius`.)"""
    kappa = L / mu
    if method == "heavy_ball":
        r = (np.sqrt(kappa) - 1) / (np.sqrt(kappa) + 1)
        return float(4 / (np.sqrt(L) + np.sqrt(mu)) ** 2), float(r * r), float(r)
    if method == "nesterov":
        s = np.sqrt(3 * kappa + 1)
        return float(4 / (3 * L + mu)), float((s - 2) / (s + 2)), float(1 - 2 / s)
    raise ValueError(f"method must be one of {METHODS}; received {method!r}.")


def gd_optimum(mu: float, L: float) -> tuple[float, float]:
    """Gradient descent (β = 0): η = 2/(μ + L), ρ = (κ − 1)/(κ + 1)."""
    return 2 / (mu + L), (L - mu) / (L + mu)


# --------------------------------------------------------------------------- #
# Measurement                                                                   #
# --------------------------------------------------------------------------- #
@dataclass
class PhaseDiagram:
    """Measured and theoretical rates on an (η, β) grid; rows follow β, columns η.

    ``measured`` (nβ, nη): the rate measured from the runs (NaN where the run diverged);
    ``diverged`` (nβ, nη) bool: the error grew (measured rate ≥ 1, or the run overflowed);
    ``theory`` (nβ, nη): ρ(η, β) from the eigenvalues; ``eigenvalues`` (μ, L)."""

    method: str
    etas: np.ndarray
    betas: np.ndarray
    measured: np.ndarray
    diverged: np.ndarray
    theory: np.ndarray
    eigenvalues: tuple
    steps: int
    window: int
    start: tuple
    seconds: float
    optimum: tuple
    gd_optimum: tuple

    @property
    def kappa(self) -> float:
        return self.eigenvalues[1] / self.eigenvalues[0]


def default_grid(method: str, L: float, n_eta: int = 200, n_beta: int = 200):
    """η from 0 to 1.1× the largest η that converges at any β (4/L for heavy ball, 2/L for Nesterov),
    cell centres (η = 0 excluded); β from 0 (plain gradient descent) to 0.995."""
    top = 1.1 * (4.0 / L if method == "heavy_ball" else 2.0 / L)
    etas = (np.arange(n_eta) + 0.5) * top / n_eta
    betas = np.linspace(0.0, 0.995, n_beta)
    return etas, betas


def measure(method: str, landscape, etas=None, betas=None, steps: int = 400, start=None,
            callback=None) -> PhaseDiagram:
    """Run the engine's SGD (Keras form) at every (η, β) of the grid, all at once, and measure each rate.

    ``landscape`` is a quadratic with Hessian ``A`` (``landscapes.get("quadratic", condition=κ)``).
    The measured rate is (max ‖z_t‖ over (3T/4, T] / max ‖z_t‖ over (T/4, T/2])^{1/(T/2)}, with
    z = (w, v) the full state (position and velocity, so a run passing through the minimum does not fake a
    fast rate). Skipping the first quarter lets the start's transient die out; the maxima over windows of
    T/4 steps remove the phase of the oscillating (complex-root) modes, which a ratio of two single norms
    would pick up. The state is rescaled by a power of two
    every 50 steps (the dynamics are linear, so this changes nothing but the exponent), so that neither
    fast convergence underflows nor divergence overflows; the log of the scale is added back.
    ``callback(step, steps)`` reports progress.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}; received {method!r}.")
    t0 = time.perf_counter()
    A = np.asarray(landscape.A, dtype=np.float64)
    lam = np.linalg.eigvalsh(A)
    mu, L = float(lam[0]), float(lam[-1])
    if etas is None or betas is None:
        de, db = default_grid(method, L)
        etas = de if etas is None else etas
        betas = db if betas is None else betas
    etas = np.asarray(etas, dtype=np.float64)
    betas = np.asarray(betas, dtype=np.float64)
    steps = int(steps)
    if steps < 20:
        raise ValueError("steps must be at least 20.")
    E, B = np.meshgrid(etas, betas)                     # (nβ, nη)
    shape = E.shape
    start = np.asarray(landscape.start if start is None else start, dtype=np.float64)
    opt = get("SGD", learning_rate=E[..., None], momentum=B[..., None], nesterov=(method == "nesterov"))
    w = np.array(np.broadcast_to(start, shape + (2,)))
    state = opt.init(w, batch_ndim=2)
    if "momentum" not in state:   # every β is 0: plain gradient descent has no velocity slot
        from .base import State
        state = State(0, 0, {"momentum": np.zeros_like(w)}, 2)
    log_scale = np.zeros(shape)
    q1, q2, q3 = steps // 4, steps // 2, (3 * steps) // 4
    peak1 = np.full(shape, -np.inf)                     # max of log‖z‖ over steps (T/4, T/2]
    peak2 = np.full(shape, -np.inf)                     # … and over (3T/4, T]
    with np.errstate(all="ignore"):
        for k in range(1, steps + 1):
            g = w @ A                                      # A is symmetric
            w, state = opt.update(g, state, w)
            if k > q1 and (k <= q2 or k > q3) or k % 50 == 0:
                v = state["momentum"]
                n = np.sqrt(np.sum(w * w, axis=-1) + np.sum(v * v, axis=-1))
                if q1 < k <= q2:
                    peak1 = np.fmax(peak1, np.log(n) + log_scale)
                elif k > q3:
                    peak2 = np.fmax(peak2, np.log(n) + log_scale)
                if k % 50 == 0:
                    # Rescale by a power of two (exact in floating point; the dynamics are linear).
                    ok = np.isfinite(n) & (n > 0)
                    e = np.where(ok, np.round(np.log2(np.where(ok, n, 1.0))), 0.0)
                    f = np.exp2(-e)[..., None]
                    w = w * f
                    state = state.__class__(state.step, state.iterations, {"momentum": v * f}, state.batch_ndim)
                    log_scale = log_scale + e * np.log(2.0)
            if callback is not None and k % 20 == 0:
                callback(k, steps)
        window = q3 - q1
        rate = np.exp((peak2 - peak1) / window)
    bad = ~np.isfinite(rate) | (rate >= 1.0)
    measured = np.where(bad, np.nan, rate)
    theory = spectral_radius(method, E, B, (mu, L))
    return PhaseDiagram(method=method, etas=etas, betas=betas, measured=measured, diverged=bad, theory=theory,
                        eigenvalues=(mu, L), steps=steps, window=window, start=tuple(float(x) for x in start),
                        seconds=time.perf_counter() - t0, optimum=optimum(method, mu, L),
                        gd_optimum=gd_optimum(mu, L))


def boundary_columns(diverged: np.ndarray) -> np.ndarray:
    """For every β row, the index of the first η column that diverges (n_η if none does)."""
    d = np.asarray(diverged, dtype=bool)
    first = np.where(d.any(axis=1), d.argmax(axis=1), d.shape[1])
    return first
