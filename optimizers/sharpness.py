"""Sharpness: the top eigenvalue of the loss's Hessian, and the edge of stability.

Hessian-vector products come from the landscape when it has an exact one (the moons MLP:
``landscapes.moons_hessian.MoonsHessian.hvp``, forward-over-reverse, passed as ``hvp=``); otherwise they
are a **central difference of the analytic gradient**::

    H v ≈ (∇L(θ + h v) − ∇L(θ − h v)) / (2h),     ‖v‖ = 1,  h = 1e-6 · max(1, RMS of θ)

exact for a quadratic (the 2-D surfaces, the regression) up to rounding, O(h²) for smooth losses. It is not
used for the ReLU network: a ReLU switching between θ − hv and θ + hv makes the gradient jump, and the
quotient then gets a spike of size jump/2h that power iteration amplifies (seen on the moons MLP: values
10–400× too large in about one measurement in 100–250). Both points go through the landscape in one call.

The top eigenvalue is found by **power iteration** on those products (the Rayleigh quotient of the
normalised iterate). Power iteration finds the eigenvalue of largest magnitude; if that one is negative
the iteration is repeated on H − λI, which makes the largest one the dominant. Warm starts (the
previous eigenvector) make tracking it along a run cheap.

For adaptive methods the quantity is the **preconditioned sharpness** λ_max(P⁻¹H) of Cohen et al. 2022,
"Adaptive Gradient Methods at the Edge of Stability", where the update is w ← w − η P⁻¹ m. It is
computed as the top eigenvalue of the symmetric P^{-1/2} H P^{-1/2} (same eigenvalues).

Stability thresholds (on a quadratic with a frozen preconditioner, the iteration diverges above them):

- gradient descent: 2/η;
- heavy-ball momentum μ (Keras SGD): (2 + 2μ)/η;  Nesterov: (2 + 2μ)/((1 + 2μ)η);
- RMSprop: 2/η (with momentum μ: (2 + 2μ)/η);
- Adam: (2 + 2β₁)/((1 − β₁)η), 38/η at β₁ = 0.9.

Every function takes a landscape duck-typed like ``optimizers.train`` does: one with
``loss_and_grad(theta, idx)`` (the moons MLP, the regression), or a 2-D surface with ``value``/``grad``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .registry import get

HVP_STEP = 1e-6
EOS_OPTIMIZERS = ("GradientDescent", "SGD", "RMSprop", "Adam")

# Presets that show the edge of stability on the moons MLP (the article's 12-13-13 network, 300 samples),
# each with the claim tests/test_sharpness.py checks against the engine: over the second half of the run,
# at least ``share`` of the sharpness measurements lie within ±15 % of the threshold. (On this
# cross-entropy task the sharpness falls again once the loss nears zero, so the presets use noisier data,
# where it cannot.)
EOS_PRESETS = {
    "gd": dict(optimizer="GradientDescent", learning_rate=0.1, noise=0.2, steps=2000, every=20, share=1.0,
               claim="the sharpness rises from about 2.5 (progressive sharpening), comes within 15 % of 2/η = 20 "
                     "near step 620, crosses it between steps 800 and 900, and over the whole second half stays "
                     "between 1 and 1.15 × 2/η (just above it, as in Cohen et al.), while the loss keeps falling, "
                     "not monotonically"),
    "adam": dict(optimizer="Adam", learning_rate=0.003, noise=0.3, steps=2000, every=20, share=0.9,
                 claim="the preconditioned sharpness λ_max(P⁻¹H) rises from about 340 to within 15 % of "
                       "38/η ≈ 12,700 near step 660, then stays just below it: at least 90 % of the second half's "
                       "measurements are within 15 %, and it never crosses it in this run"),
    "rmsprop": dict(optimizer="RMSprop", learning_rate=0.001, noise=0.2, steps=2000, every=20, share=1.0,
                    claim="the preconditioned sharpness λ_max(P⁻¹H) rises from about 270 to within 15 % of "
                          "2/η = 2,000 by step 100 and stays within ±15 % of it for the whole second half"),
}
EOS_PRESET = EOS_PRESETS["gd"]


# --------------------------------------------------------------------------- #
# Loss, gradient and Hessian-vector products                                   #
# --------------------------------------------------------------------------- #
def loss_and_grad_fn(landscape, idx=None):
    """``f(theta) -> (loss (...,), grad (..., P))`` on the full data (or samples ``idx``)."""
    if hasattr(landscape, "loss_and_grad"):
        return lambda theta: landscape.loss_and_grad(theta, idx)
    if idx is not None:
        raise ValueError("This landscape has no data, so it has no mini-batches.")
    return lambda theta: (landscape.value(theta), landscape.grad(theta))


def _step(theta) -> np.ndarray:
    """h per row: HVP_STEP relative to the parameters' RMS size (at least 1)."""
    theta = np.asarray(theta, dtype=np.float64)
    rms = np.sqrt(np.mean(np.square(theta), axis=-1, keepdims=True))
    return HVP_STEP * np.maximum(1.0, rms)


def central_hvp(grad_of):
    """``hvp(theta, v)`` by a central difference of ``grad_of(theta) -> grad (..., P)``."""
    return lambda theta, v: hvp(grad_of, theta, v)


def hvp_function(landscape):
    """The best Hessian-vector product for ``landscape``: its own exact ``hvp(theta, v)`` if it has one
    (e.g. ``landscapes.moons_hessian.MoonsHessian``), else a central difference of its full gradient."""
    own = getattr(landscape, "hvp", None)
    if callable(own):
        return own
    full = loss_and_grad_fn(landscape)
    return central_hvp(lambda th: full(th)[1])


def hvp(grad_of, theta, v) -> np.ndarray:
    """H v by a central difference, for every row: ``theta``, ``v`` of shape (..., P); v need not be
    normalised. ``grad_of(theta) -> grad`` (..., P); both points of every row go in one stacked call."""
    theta = np.asarray(theta, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    norm = np.sqrt(np.sum(v * v, axis=-1, keepdims=True))
    safe = np.where(norm > 0, norm, 1.0)
    h = _step(theta)
    d = h * v / safe
    g = grad_of(np.stack([theta + d, theta - d]))
    return (g[0] - g[1]) / (2 * h) * norm


def hessian(hvp_of, theta) -> np.ndarray:
    """The full (P, P) Hessian at one point from ``hvp_of(theta, v)``, one product per column,
    symmetrised. Small models only."""
    theta = np.asarray(theta, dtype=np.float64)
    P = theta.shape[-1]
    H = np.asarray(hvp_of(np.broadcast_to(theta, (P, P)), np.eye(P)))   # row j = H e_j
    return 0.5 * (H + H.T)


# --------------------------------------------------------------------------- #
# Power iteration                                                              #
# --------------------------------------------------------------------------- #
@dataclass
class Eigen:
    """Top eigenvalue(s) of one or more rows: ``value`` (...,), ``vector`` (..., P) (unit),
    ``iterations`` used and whether every row met the tolerance."""

    value: np.ndarray
    vector: np.ndarray
    iterations: int
    converged: bool


def _power(apply, v, tol, max_iter):
    """Power iteration on the symmetric operator ``apply`` for every row; Rayleigh quotients."""
    v = v / np.linalg.norm(v, axis=-1, keepdims=True)
    lam = None
    for it in range(1, max_iter + 1):
        w = apply(v)
        new = np.sum(v * w, axis=-1)
        norm = np.linalg.norm(w, axis=-1, keepdims=True)
        if not np.all(np.isfinite(norm)) or np.any(norm == 0):
            return new, v, it, False
        # Keep the sign of the eigenvector stable (w = λv flips it when λ < 0).
        v = w / norm * np.where(new < 0, -1.0, 1.0)[..., None]
        if lam is not None and np.all(np.abs(new - lam) <= tol * np.maximum(np.abs(new), 1e-12)):
            return new, v, it, True
        lam = new
    return lam, v, max_iter, False


def top_eigenvalue(hvp_of, theta, v0=None, precond=None, tol: float = 1e-4, max_iter: int = 200,
                   seed: int = 0) -> Eigen:
    """``hvp_of(theta, v) -> H v``. The largest (algebraic) eigenvalue of H, or of P⁻¹H when ``precond`` (the diagonal of P, positive,
    shaped like ``theta``) is given, for every row of ``theta`` (..., P).

    ``v0`` warm-starts the iteration (e.g. the previous eigenvector); ``tol`` is the relative change of
    the Rayleigh quotient between two iterations at which it stops."""
    theta = np.asarray(theta, dtype=np.float64)
    if v0 is None:
        v0 = np.random.default_rng(seed).standard_normal(theta.shape)
    v0 = np.array(np.broadcast_to(v0, theta.shape), dtype=np.float64)
    if precond is None:
        def apply(u):
            return hvp_of(theta, u)
    else:
        s = 1.0 / np.sqrt(np.asarray(precond, dtype=np.float64))   # P^{-1/2}

        def apply(u):  # P^{-1/2} H P^{-1/2} u: symmetric, same eigenvalues as P⁻¹H
            return s * hvp_of(theta, s * u)
    lam, v, its, ok = _power(apply, v0, tol, max_iter)
    neg = lam < 0
    if np.any(neg):
        # The dominant eigenvalue is negative: shift so the top one dominates, λ_top = μ + λ_neg.
        shift = np.where(neg, lam, 0.0)[..., None]
        lam2, v2, its2, ok2 = _power(lambda u: apply(u) - shift * u, v0, tol, max_iter)
        lam = np.where(neg, lam2 + shift[..., 0], lam)
        v = np.where(neg[..., None], v2, v)
        its, ok = its + its2, ok and ok2
    return Eigen(np.asarray(lam, dtype=np.float64), v, its, bool(ok))


# --------------------------------------------------------------------------- #
# Thresholds and preconditioners of the optimizers                              #
# --------------------------------------------------------------------------- #
def _scalar(x):
    return float(np.asarray(x).reshape(-1)[0]) if np.ndim(x) else float(x)


def check_eos_optimizer(opt) -> None:
    """Only plain settings have a known threshold: refuse the others with a clear reason."""
    if opt.name not in EOS_OPTIMIZERS:
        raise ValueError(f"The edge of stability is shown for {', '.join(EOS_OPTIMIZERS)}; "
                         f"{opt.name} has no stability threshold in Cohen et al.")
    if not isinstance(opt.learning_rate, (float, np.ndarray)):
        raise ValueError("The edge of stability needs a constant learning rate (no schedule).")
    if any(getattr(opt, a) is not None for a in ("weight_decay", "clipnorm", "clipvalue", "global_clipnorm")):
        raise ValueError("The edge of stability is shown without weight decay or clipping.")
    if opt.use_ema or opt.gradient_accumulation_steps:
        raise ValueError("The edge of stability is shown without EMA or gradient accumulation.")


def threshold(opt) -> tuple[np.ndarray, str, str]:
    """(threshold, its formula in LaTeX, what it bounds) for ``opt``; the threshold has the shape of η."""
    check_eos_optimizer(opt)
    lr = np.asarray(opt.learning_rate, dtype=np.float64)
    hp = opt.hp
    if opt.name == "Adam":
        b1 = np.asarray(hp["beta_1"])
        return ((2 + 2 * b1) / ((1 - b1) * lr), r"\frac{2 + 2\beta_1}{(1-\beta_1)\,\eta}",
                r"\lambda_{\max}(P^{-1}H)")
    mu = np.asarray(hp.get("momentum", 0.0))
    what = r"\lambda_{\max}(P^{-1}H)" if opt.name == "RMSprop" else r"\lambda_{\max}(H)"
    if np.all(mu == 0):
        return 2 / lr + 0 * mu, r"\frac{2}{\eta}", what
    if opt.name == "SGD" and hp.get("nesterov"):
        return (2 + 2 * mu) / ((1 + 2 * mu) * lr), r"\frac{2 + 2\mu}{(1 + 2\mu)\,\eta}", what
    return (2 + 2 * mu) / lr, r"\frac{2 + 2\mu}{\eta}", what


def preconditioner(opt, state):
    """The diagonal P of the update w ← w − η P⁻¹(…) in ``state`` (after ``state.iterations`` steps),
    or None for methods without one. Shaped like the parameters.

    Adam (momentum m an EMA with weight 1 − β₁, t = iterations):
      Keras:            P = (1 − β₁ᵗ) (√v + ε̂) / √(1 − β₂ᵗ)       (ε̂ on the uncorrected √v)
      textbook/PyTorch: P = (1 − β₁ᵗ) (√(v / (1 − β₂ᵗ)) + ε)
    RMSprop: Keras P = √(v + ε) (ε inside the root), PyTorch P = √v + ε; centred: v − ḡ² in place of v."""
    if opt.name not in ("Adam", "RMSprop"):
        return None
    t = float(state.iterations)
    if t < 1:
        raise ValueError("The preconditioner exists after the first step.")
    hp = opt.hp
    eps = hp["epsilon"]
    if opt.name == "Adam":
        b1, b2 = hp["beta_1"], hp["beta_2"]
        v = state["velocity_hat"] if "velocity_hat" in state else state["velocity"]
        if opt.flavor == "keras":
            return (1 - b1 ** t) * (np.sqrt(v) + eps) / np.sqrt(1 - b2 ** t)
        if opt.flavor == "textbook" and "velocity_hat" in state:
            return np.sqrt(v) + eps   # Reddi et al.'s AMSGrad: no bias correction
        return (1 - b1 ** t) * (np.sqrt(v / (1 - b2 ** t)) + eps)
    ms = state["velocity"]
    if "average_gradient" in state:
        ms = ms - np.square(state["average_gradient"])
    if opt.flavor == "pytorch":
        return np.sqrt(ms) + eps
    return np.sqrt(ms + eps)


# --------------------------------------------------------------------------- #
# The edge-of-stability run                                                    #
# --------------------------------------------------------------------------- #
@dataclass
class EosResult:
    """A full-batch (or mini-batch) run with its sharpness tracked.

    Rows are the learning rates (one model each, the same start). ``loss`` (steps+1, M) is the full-data
    loss at every step; ``sharp_steps`` (K,) the steps where the sharpness was measured and
    ``sharpness`` (K, M) its value there (λ_max(H), or λ_max(P⁻¹H) when ``preconditioned``);
    ``threshold`` (M,) and ``formula`` the stability threshold; ``diverged_at`` (M,) −1 = never.
    ``hvps`` counts the Hessian-vector products used."""

    learning_rates: np.ndarray
    loss: np.ndarray
    sharp_steps: np.ndarray
    sharpness: np.ndarray
    threshold: np.ndarray
    formula: str
    quantity: str
    preconditioned: bool
    diverged_at: np.ndarray
    optimizer: str
    steps: int
    batch_size: int | None
    hvps: int = 0
    seconds: float = 0.0
    config: dict = field(default_factory=dict)

    def ratio(self) -> np.ndarray:
        """Sharpness / threshold, (K, M)."""
        return self.sharpness / self.threshold[None, :]


def edge_of_stability(name: str, landscape, learning_rates, steps: int, every: int = 10, *, start=None,
                      batch_size: int | None = None, seed: int = 0, flavor: str = "keras", tol: float = 1e-3,
                      max_iter: int = 60, hvp=None, callback=None, **hyper) -> EosResult:
    """Train one model per learning rate from the same start and track the sharpness every ``every`` steps.

    ``name`` is one of :data:`EOS_OPTIMIZERS` (``hyper`` its other hyperparameters, e.g. momentum=0.9);
    ``batch_size`` None is full-batch gradient descent; otherwise every step takes the next mini-batch of
    a seeded shuffle (Keras's fit order). The sharpness is always that of the full-data loss.
    ``hvp(theta, v)`` is the Hessian-vector product of the full-data loss (default
    :func:`hvp_function`). ``callback(step, steps)`` may return False to stop (the result then ends there).
    """
    import time
    t0 = time.perf_counter()
    lrs = np.atleast_1d(np.asarray(learning_rates, dtype=np.float64))
    if lrs.ndim != 1 or not len(lrs) or np.any(~np.isfinite(lrs)) or np.any(lrs <= 0):
        raise ValueError("learning_rates must be positive numbers.")
    steps, every = int(steps), max(1, int(every))
    M = len(lrs)
    opt = get(name, flavor=flavor, learning_rate=lrs[:, None], **hyper)
    check_eos_optimizer(opt)
    thr, formula, quantity = threshold(opt)
    thr = np.broadcast_to(np.asarray(thr, dtype=np.float64).reshape(-1), (M,)).copy() if np.ndim(thr) else \
        np.full(M, float(thr))
    adaptive = opt.name in ("Adam", "RMSprop")

    if start is None:
        start = landscape.init_params(seed) if hasattr(landscape, "init_params") else landscape.start
    theta = np.array(np.broadcast_to(np.asarray(start, dtype=np.float64), (M, np.shape(start)[-1])))
    full = loss_and_grad_fn(landscape)
    hvp_of = hvp if hvp is not None else hvp_function(landscape)
    n = getattr(landscape, "n_samples", None)
    if batch_size is not None and n is None:
        raise ValueError("This landscape has no data, so it has no mini-batches: use full batch.")
    rng = np.random.default_rng(seed)
    order, pos = None, 0

    state = opt.init(theta, batch_ndim=1)
    loss_hist = np.empty((steps + 1, M))
    sharp_steps, sharp = [], []
    diverged = np.full(M, -1, dtype=np.int64)
    alive = np.ones(M, dtype=bool)
    vec = None
    hvps = 0
    limit = 1e10

    def measure(k):
        nonlocal vec, hvps
        pre = preconditioner(opt, state) if adaptive else None
        eig = top_eigenvalue(hvp_of, theta, v0=vec, precond=pre, tol=tol, max_iter=max_iter, seed=seed)
        vec = eig.vector
        hvps += eig.iterations * M
        sharp_steps.append(k)
        sharp.append(np.where(alive, eig.value, np.nan))

    with np.errstate(all="ignore"):
        loss, g = full(theta)
        loss_hist[0] = loss
        if not adaptive:
            measure(0)
        k_done = 0
        for k in range(1, steps + 1):
            if batch_size is None:
                gk = g
            else:
                if order is None or pos >= n:
                    order, pos = rng.permutation(n), 0
                idx = order[pos:pos + batch_size]
                pos += batch_size
                gk = landscape.loss_and_grad(theta, idx)[1]
            new, new_state = opt.update(gk, state, theta)
            new_loss, new_g = full(new)
            ok = np.isfinite(new_loss) & np.all(np.isfinite(new_g), axis=-1) & \
                (np.einsum("ij,ij->i", new, new) <= limit ** 2)
            newly = alive & ~ok
            diverged[newly] = k
            alive &= ok
            if not alive.all():
                new = np.where(alive[:, None], new, theta)
                new_loss = np.where(alive, new_loss, loss)
                new_g = np.where(alive[:, None], new_g, g)
                new_state = _freeze(new_state, state, alive)
            theta, state, loss, g = new, new_state, new_loss, new_g
            loss_hist[k] = loss
            k_done = k
            if k % every == 0 or k == steps:
                measure(k)
            if not alive.any():
                break
            if callback is not None and callback(k, steps) is False:
                break
    loss_hist = loss_hist[:k_done + 1]
    return EosResult(learning_rates=lrs, loss=loss_hist, sharp_steps=np.asarray(sharp_steps, dtype=np.int64),
                     sharpness=np.asarray(sharp, dtype=np.float64).reshape(len(sharp_steps), M), threshold=thr,
                     formula=formula, quantity=quantity, preconditioned=adaptive, diverged_at=diverged,
                     optimizer=opt.name, steps=k_done, batch_size=batch_size, hvps=hvps,
                     seconds=time.perf_counter() - t0,
                     config={"flavor": flavor, **{k: v for k, v in hyper.items()}})


def _freeze(new, old, alive):
    from .runner import _freeze as freeze
    return freeze(new, old, alive)


def hovering(result: EosResult, row: int = 0, since: float = 0.5, band: float = 0.15) -> dict:
    """How the sharpness of one row sits against its threshold over the last ``1 − since`` of the run:
    the share of measurements within ±``band`` of it, the median ratio, and the first step at which it
    came within ``band`` (None if never)."""
    s = result.sharpness[:, row] / result.threshold[row]
    k = result.sharp_steps
    tail = k >= since * result.steps
    ok = np.isfinite(s)
    inside = np.abs(s - 1) <= band
    first = k[inside & ok]
    return {"share_within": float(np.mean(inside[tail & ok])) if np.any(tail & ok) else 0.0,
            "median_ratio": float(np.median(s[tail & ok])) if np.any(tail & ok) else math.nan,
            "first_reached": int(first[0]) if len(first) else None}
