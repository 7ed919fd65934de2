"""The runner: (optimizer, landscape, start) → a trajectory.

Every chart in the app is drawn from a ``Trajectory``. Runs are vectorized:
``start`` may be a batch of points of shape ``(..., 2)``, and hyperparameters
may be arrays that broadcast against it, so a sweep over 200 learning rates
or a map of 10,000 starts is one NumPy computation per step.

Divergence is reported, never plotted: when a run's parameters, loss or
gradient become non-finite, or the parameters leave a generous box around
the landscape, ``diverged_at`` records that step, and the run is frozen at
its last good point (parameters, loss and state stop changing), so no NaN
reaches a chart and NumPy prints no warnings.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import Optimizer, State
from .registry import get

MAX_STEPS = 100_000
RECORD_MODES = ("full", "path", "final")


@dataclass
class Trajectory:
    """What one call to :func:`run` produced.

    Arrays have a leading step axis of length ``steps + 1`` (index k = after
    k updates), then the batch axes of the runs, then the parameter axis:

    - ``params``: ``(steps+1, ..., 2)``;
    - ``loss``: ``(steps+1, ...)``;
    - ``grads``: ``(steps+1, ..., 2)``, the gradient (noise included) evaluated
      at ``params[k]``, i.e. the one update k+1 used (the last row is the
      gradient at the final point);
    - ``slots``: Keras-named optimizer state after k updates, each
      ``(steps+1, ...)`` shaped like its slot;
    - ``learning_rate``: ``(steps, ...)``, the η each update used.

    ``diverged_at`` is the first step whose point is unusable: an int or
    ``None`` for a single run, an int array with -1 for "never" for a batch.
    ``record="path"`` keeps only params and loss; ``record="final"`` keeps only
    the last row of them (step axis of length 1).
    """

    params: np.ndarray
    loss: np.ndarray
    grads: np.ndarray | None
    slots: dict
    learning_rate: np.ndarray | None
    diverged_at: object
    steps: int
    optimizer: Optimizer
    landscape: object
    noise: float = 0.0
    seed: int = 0
    record: str = "full"

    @property
    def batch_shape(self) -> tuple:
        return self.params.shape[1:-1]

    @property
    def final_params(self) -> np.ndarray:
        return self.params[-1]

    @property
    def final_loss(self) -> np.ndarray:
        return self.loss[-1]

    @property
    def diverged(self):
        d = np.asarray(-1 if self.diverged_at is None else self.diverged_at)
        return d >= 0

    def path(self, index=()) -> np.ndarray:
        """The usable part of one run's path, ``(n, 2)``: cut before the step where it diverged."""
        idx = index if isinstance(index, tuple) else (index,)
        p = self.params[(slice(None),) + idx]
        d = int(np.asarray(-1 if self.diverged_at is None else self.diverged_at)[idx])
        return p if d < 0 else p[:max(d, 1)]


def _broadcast_shape(opt: Optimizer, start: np.ndarray) -> tuple:
    shapes = [start.shape]
    for v in list(opt.hp.values()) + [opt.learning_rate, opt.weight_decay, opt.clipnorm, opt.clipvalue,
                                       opt.global_clipnorm]:
        if isinstance(v, np.ndarray):
            shapes.append(v.shape)
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        raise ValueError(f"Hyperparameter arrays of shapes {shapes[1:]} do not broadcast against "
                         f"start points of shape {start.shape}.") from None


def escape_radius(landscape) -> float:
    """A generous box: 1000× the size of the landscape's plot bounds."""
    r = getattr(landscape, "escape_radius", None)
    if r is not None:
        return float(r)
    b = np.abs(np.asarray(landscape.bounds, dtype=np.float64))
    return 1e3 * max(1.0, float(b.max()))


def _checked_args(record, steps, noise, start, landscape):
    """``run``'s arguments, checked: ValueError naming the argument and its valid range."""
    if record not in RECORD_MODES:
        raise ValueError(f"run(): `record` must be one of {RECORD_MODES}; received {record!r}.")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or not 0 <= steps <= MAX_STEPS:
        raise ValueError(f"run(): `steps` must be an integer in [0, {MAX_STEPS}]; received {steps!r}.")
    noise = float(noise)
    if not np.isfinite(noise) or noise < 0:
        raise ValueError(f"run(): `noise` must be a finite number ≥ 0; received {noise!r}.")
    start = np.asarray(landscape.start if start is None else start, dtype=np.float64)
    if start.ndim == 0 or start.shape[-1] != 2:
        raise ValueError(f"run(): `start` must have shape (..., 2); received shape {start.shape}.")
    if not np.all(np.isfinite(start)):
        raise ValueError("run(): `start` must be finite.")
    return int(steps), noise, start


class _Recorder:
    """The rows ``run`` keeps: every point and loss (``record`` "path" or "full"), plus every gradient,
    state slot and learning rate ("full"), or only the final point ("final")."""

    def __init__(self, record: str, steps: int, shape: tuple, opt):
        batch = shape[:-1]
        self.steps = steps
        self.keep_all = record != "final"
        self.keep_state = record == "full"
        n_rows = steps + 1 if self.keep_all else 1
        self.params = np.empty((n_rows,) + shape)
        self.loss = np.empty((n_rows,) + batch)
        self.grads = np.empty((n_rows,) + shape) if self.keep_state else None
        self.lrs = None
        if self.keep_state:  # the η of update k+1 is evaluated at the raw counter k, as Keras does
            self.lrs = np.empty((steps,) + batch)
            for k in range(steps):
                self.lrs[k] = np.broadcast_to(opt.learning_rate_at(k), shape)[..., 0]
        self.slots = {}

    def row(self, k: int, P, L, G, state) -> None:
        if self.keep_all:
            self.params[k], self.loss[k] = P, L
        if self.keep_state:
            self.grads[k] = G
            for name, v in state.slots.items():
                v = np.asarray(v)
                if name not in self.slots:
                    self.slots[name] = np.empty((self.steps + 1,) + v.shape)
                self.slots[name][k] = v

    def hold_after(self, k_done: int) -> None:
        """Every run diverged at ``k_done``: the remaining rows repeat the last one."""
        if self.keep_all and k_done < self.steps:
            self.params[k_done + 1:], self.loss[k_done + 1:] = self.params[k_done], self.loss[k_done]
            if self.keep_state:
                self.grads[k_done + 1:] = self.grads[k_done]
                for v in self.slots.values():
                    v[k_done + 1:] = v[k_done]

    def final(self, P, L) -> None:
        if not self.keep_all:
            self.params[0], self.loss[0] = P, L

    def squeeze(self) -> None:
        """A single run was computed as a batch of one: drop that axis."""
        self.params, self.loss = self.params[:, 0], self.loss[:, 0]
        if self.keep_state:
            self.grads, self.lrs = self.grads[:, 0], self.lrs[:, 0]
            self.slots = {k: (v[:, 0] if v.ndim > 1 and v.shape[1] == 1 else v) for k, v in self.slots.items()}


def run(optimizer, landscape, start=None, steps: int = 200, noise: float = 0.0, seed: int = 0,
        record: str = "full") -> Trajectory:
    """Run ``optimizer`` on a 2-D ``landscape`` from ``start`` for ``steps`` updates.

    ``optimizer`` is an optimizer or a name (``"adam"``); ``start`` defaults to
    ``landscape.start`` and may be ``(..., 2)``. ``noise`` adds seeded Gaussian
    noise of that standard deviation to every gradient (stochastic gradients).
    A run whose new point is unusable (non-finite, or far outside the view) is
    frozen at its last good point, and ``diverged_at`` says at which step.
    """
    opt = get(optimizer) if isinstance(optimizer, str) else optimizer
    steps, noise, start = _checked_args(record, steps, noise, start, landscape)
    shape = _broadcast_shape(opt, start)
    single = shape[:-1] == ()
    if single:
        # A single run is computed as a batch of one, so NumPy takes the same array code
        # paths (e.g. for x**2) and a single run equals its row of a vectorized run bit for bit.
        shape = (1,) + shape
    batch = shape[:-1]
    P = np.broadcast_to(start, shape).copy()
    state = opt.init(P, batch_ndim=len(batch))
    bound = escape_radius(landscape)
    rng = np.random.default_rng(seed)
    rec = _Recorder(record, steps, shape, opt)
    diverged = np.full(batch, -1, dtype=np.int64)
    alive = np.ones(batch, dtype=bool)

    def grad_at(P):
        g = landscape.grad(P)
        if noise > 0:
            g = g + noise * rng.standard_normal(shape)
        return g

    with np.errstate(all="ignore"):
        L = np.asarray(landscape.value(P), dtype=np.float64)
        G = grad_at(P)
        ok = np.isfinite(L + G[..., 0] + G[..., 1])
        diverged[~ok] = 0
        alive &= ok
        rec.row(0, P, L, G, state)
        k_done = 0
        for k in range(1, steps + 1):
            if not alive.any():
                break
            P_new, state_new = opt.update(G, state, P)
            L_new = np.asarray(landscape.value(P_new), dtype=np.float64)
            G_new = grad_at(P_new)
            ok = _usable(P_new, L_new, G_new, bound)
            if alive.all() and ok.all():  # the common case: nothing to freeze
                P, L, G, state = P_new, L_new, G_new, state_new
            else:
                diverged[alive & ~ok] = k
                alive &= ok
                # Frozen runs keep their last good point, loss, gradient and state.
                P = np.where(alive[..., None], P_new, P)
                L = np.where(alive, L_new, L)
                G = np.where(alive[..., None], G_new, G)
                state = _freeze(state_new, state, alive)
            rec.row(k, P, L, G, state)
            k_done = k
        rec.hold_after(k_done)
    rec.final(P, L)

    if single:
        rec.squeeze()
        div = None if diverged[0] < 0 else int(diverged[0])
    else:
        div = diverged
    return Trajectory(params=rec.params, loss=rec.loss, grads=rec.grads, slots=rec.slots, learning_rate=rec.lrs,
                      diverged_at=div, steps=steps, optimizer=opt, landscape=landscape, noise=noise, seed=seed,
                      record=record)


def _usable(P, L, G, bound):
    """Runs whose new point is finite, inside the box, with a finite loss and gradient.

    Written without reductions over the tiny last axis (slow in NumPy): a
    comparison with NaN is False, and a sum is non-finite if any term is.
    """
    return ((np.abs(P[..., 0]) <= bound) & (np.abs(P[..., 1]) <= bound)
            & np.isfinite(L + G[..., 0] + G[..., 1]))


def _freeze(new: State, old: State, alive: np.ndarray) -> State:
    """State of the live runs from ``new``, of the frozen ones from ``old``."""
    if alive.all():
        return new
    slots = {}
    for name, v in new.slots.items():
        v, o = np.asarray(v), np.asarray(old.slots[name])
        if v.ndim < alive.ndim:  # a scalar shared by all runs (Nadam's u_product with scalar β₁)
            slots[name] = v
            continue
        mask = alive.reshape(alive.shape + (1,) * (v.ndim - alive.ndim))
        slots[name] = np.where(mask, v, o)
    return State(step=new.step, iterations=new.iterations, slots=slots, batch_ndim=new.batch_ndim)
