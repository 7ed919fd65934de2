"""Fair, vectorized comparisons built on the runner.

- ``lr_sweep``: one optimizer, hundreds of learning rates, one NumPy run.
- ``basin_map``: one optimizer, a grid of start points, one NumPy run;
  each start is labelled by the known minimum it reaches.
- ``steps_to_tolerance``: the first step a run gets within a tolerance.
- ``tune_learning_rate``: the best rate from a sweep (fair comparison mode).

Every function uses the same start, steps and noise seed for every
optimizer it is given: the fairness is in the arguments, not in hidden
per-method tweaks.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .registry import get
from .runner import run

_TOL_DEFAULT = 1e-3


def _build(name_or_opt, flavor="keras", **kwargs):
    if isinstance(name_or_opt, str):
        return get(name_or_opt, flavor=flavor, **kwargs)
    if kwargs:
        raise ValueError("pass hyperparameters either in the optimizer or as keyword arguments, not both")
    return name_or_opt


def steps_to_tolerance(loss: np.ndarray, target: float, tol: float, diverged_at=None) -> np.ndarray:
    """First step k with ``loss[k] − target ≤ tol`` (−1 if never, or only after diverging).

    ``loss`` has the step axis first; the result has the batch shape.
    """
    loss = np.asarray(loss, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        hit = (loss - target) <= tol
    first = np.where(hit.any(axis=0), hit.argmax(axis=0), -1)
    if diverged_at is not None:
        d = np.asarray(-1 if diverged_at is None else diverged_at)
        first = np.where((d >= 0) & (first >= d), -1, first)
    return first


@dataclass
class SweepResult:
    learning_rates: np.ndarray   # (n,)
    final_loss: np.ndarray       # (n,) loss at the last step (last good point for diverged runs)
    diverged_at: np.ndarray      # (n,) −1 = never
    steps_to_tol: np.ndarray     # (n,) −1 = never
    best_index: int              # lowest tail loss among runs that did not diverge (−1 if all diverged)
    loss_curves: np.ndarray | None = None  # (steps+1, n) when requested
    tail_loss: np.ndarray | None = None    # (n,) mean loss over the last 10% of steps: what "best" ranks

    @property
    def best_learning_rate(self):
        return None if self.best_index < 0 else float(self.learning_rates[self.best_index])

    @property
    def diverging_range(self):
        """(smallest, largest) diverging learning rate, or None."""
        d = self.diverged_at >= 0
        if not d.any():
            return None
        return float(self.learning_rates[d].min()), float(self.learning_rates[d].max())


def lr_sweep(optimizer, landscape, learning_rates=None, start=None, steps: int = 200, noise: float = 0.0,
             seed: int = 0, tol: float = _TOL_DEFAULT, flavor: str = "keras", keep_curves: bool = False,
             **hyper) -> SweepResult:
    """Final loss (and steps to ``tol``) against the learning rate, as one vectorized run.

    ``learning_rates`` defaults to 200 values on a log grid from 1e-5 to 10.
    Other hyperparameters (``momentum=0.9``, …) are passed through.
    """
    lrs = np.logspace(-5, 1, 200) if learning_rates is None else np.asarray(learning_rates, dtype=np.float64)
    if lrs.ndim != 1 or lrs.size == 0:
        raise ValueError("lr_sweep(): `learning_rates` must be a non-empty 1-D sequence.")
    name = optimizer if isinstance(optimizer, str) else optimizer.name
    opt = get(name, flavor=flavor, learning_rate=lrs[:, None], **hyper)
    s = np.asarray(landscape.start if start is None else start, dtype=np.float64)
    starts = np.broadcast_to(s, (lrs.size, 2))
    traj = run(opt, landscape, start=starts, steps=steps, noise=noise, seed=seed, record="path")
    target = _target(landscape)
    stt = steps_to_tolerance(traj.loss, target, tol, traj.diverged_at) if tol is not None \
        else np.full(lrs.size, -1)
    final = traj.loss[-1]
    # Rank by the mean loss over the last 10% of the steps, not the last step alone: an optimizer
    # that oscillates (Lion, RMSprop at large rates) can land on a low loss at the last step by luck.
    tail = traj.loss[-max(1, steps // 10):].mean(axis=0)
    ok = (traj.diverged_at < 0) & np.isfinite(tail)
    best = int(np.argmin(np.where(ok, tail, np.inf))) if ok.any() else -1
    return SweepResult(lrs, final, traj.diverged_at, stt, best, traj.loss if keep_curves else None, tail)


def _target(landscape) -> float:
    m = getattr(landscape, "min_value", None)
    if m is not None and np.isfinite(m):
        return float(m)
    minima = np.asarray(getattr(landscape, "minima", np.zeros((0, 2))), dtype=np.float64).reshape(-1, 2)
    if len(minima):
        with np.errstate(all="ignore"):
            return float(np.nanmin(landscape.value(minima)))
    return 0.0


@dataclass
class BasinResult:
    xs: np.ndarray              # (n,)
    ys: np.ndarray              # (m,)
    label: np.ndarray           # (m, n): index of the minimum reached, −1 none within radius, −2 diverged
    final_loss: np.ndarray      # (m, n)
    final_params: np.ndarray    # (m, n, 2)
    diverged_at: np.ndarray     # (m, n)
    minima: np.ndarray          # (k, 2)


def basin_map(optimizer, landscape, n: int = 100, steps: int = 500, bounds=None, radius: float | None = None,
              noise: float = 0.0, seed: int = 0, flavor: str = "keras", **hyper) -> BasinResult:
    """Which minimum each start on an n×n grid reaches, in one vectorized run.

    A run is labelled with the nearest known minimum if it ends within
    ``radius`` of it (default 5% of the view's diagonal), −1 if it ends
    elsewhere, and −2 if it diverged.
    """
    if not 2 <= int(n) <= 400:
        raise ValueError(f"basin_map(): `n` must be between 2 and 400; received {n!r}.")
    opt = _build(optimizer, flavor=flavor, **hyper)
    (x0, x1), (y0, y1) = bounds if bounds is not None else landscape.bounds
    xs, ys = np.linspace(x0, x1, int(n)), np.linspace(y0, y1, int(n))
    X, Y = np.meshgrid(xs, ys)
    starts = np.stack([X, Y], axis=-1)
    traj = run(opt, landscape, start=starts, steps=steps, noise=noise, seed=seed, record="final")
    final = traj.params[-1]
    minima = np.asarray(getattr(landscape, "minima", np.zeros((0, 2))), dtype=np.float64).reshape(-1, 2)
    if radius is None:
        radius = 0.05 * float(np.hypot(x1 - x0, y1 - y0))
    label = np.full(final.shape[:-1], -1, dtype=np.int64)
    if len(minima):
        d = np.linalg.norm(final[..., None, :] - minima, axis=-1)
        nearest = d.argmin(axis=-1)
        label = np.where(d.min(axis=-1) <= radius, nearest, -1)
    label = np.where(traj.diverged_at >= 0, -2, label)
    return BasinResult(xs, ys, label, traj.loss[-1], final, traj.diverged_at, minima)


def tune_learning_rate(optimizer, landscape, start=None, steps: int = 200, noise: float = 0.0, seed: int = 0,
                       learning_rates=None, flavor: str = "keras", **hyper) -> tuple[float | None, SweepResult]:
    """The learning rate with the lowest mean loss over the last 10% of steps (among runs that did not
    diverge): robust to oscillating optimizers that touch a low loss at the last step by chance."""
    res = lr_sweep(optimizer, landscape, learning_rates, start=start, steps=steps, noise=noise, seed=seed,
                   flavor=flavor, **hyper)
    return res.best_learning_rate, res


def stalled_since(loss, accuracy=None, rel: float = 1e-3, chance: float = 0.55, min_epochs: int = 5):
    """The epoch since which a network has stopped learning, or None.

    "Stopped" means: from that epoch on, the loss stays within ``rel`` (relative) of its last value for at
    least ``min_epochs`` epochs and at least a tenth of the run, and the final accuracy is at chance level
    (≤ ``chance`` for two classes). A diverged run is reported as diverged, not here; a run that settles at
    a good loss is not "stalled" because its accuracy is high."""
    loss = np.asarray(loss, dtype=np.float64).ravel()
    if loss.size < min_epochs or not np.all(np.isfinite(loss)):
        return None
    if accuracy is not None:
        acc = np.asarray(accuracy, dtype=np.float64).ravel()
        if not acc.size or acc[-1] > chance:
            return None
    last = loss[-1]
    flat = np.abs(loss - last) <= rel * max(abs(last), 1e-12)
    off = np.nonzero(~flat)[0]
    k = int(off[-1]) + 1 if off.size else 0
    if loss.size - k < max(min_epochs, loss.size // 10):
        return None
    return k
