"""``train()``: mini-batch training the Keras ``fit`` way, for many optimizers at once.

Works for any landscape that exposes ``n_samples`` and
``loss_and_grad(theta, idx) -> (loss (...,), grad (..., P))`` on the training
samples ``idx``: the moons MLP (``landscapes.moons``) as well as 2-D data-fit
landscapes such as the linear regression (params shape (..., 2)).

What ``fit(X, y, batch_size, epochs)`` does, and so what this does:
  * every epoch the training samples are shuffled, then cut into batches of
    ``batch_size`` (the last one may be smaller), one optimizer update per batch;
  * the epoch's ``loss`` is the mean of the batch losses weighted by batch
    size (Keras 3's loss tracker), computed BEFORE each batch's update, so it
    lags the weights a little; ``accuracy`` likewise.
We add ``eval_loss`` (and ``eval_accuracy``): the full training data evaluated
with the weights at the end of the epoch, and ``val_loss``/``val_accuracy``
when the landscape holds out validation data.

Fair comparison and speed: given a list of optimizers, all models start from
the SAME weights and see the SAME batches. They are stacked as rows of one
(M, P) array, so one batched forward/backward pass serves all of them; each
optimizer then updates only its own row.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from .runner import escape_radius

# A run whose parameter vector grows longer than DIVERGENCE_LIMIT (or turns
# inf/NaN) is declared diverged and frozen at its last good parameters. Runs on
# a 2-D landscape (the regression) also stop at optimizers.run's box around the view.
DIVERGENCE_LIMIT = 1e10


@dataclass
class TrainResult:
    """Everything one optimizer's run produced.

    history      name -> 1-D array, one entry per completed epoch (Keras names:
                 loss, accuracy, val_loss, val_accuracy; plus eval_loss,
                 eval_accuracy on the full training data after the epoch).
    params       2-D landscapes: (epochs_run + 1, 2), the start then the
                 params after each epoch. Others: the final flat vector (P,).
    final_params the parameters at the end, shape (P,).
    snapshots    epoch -> params at ``boundary_epochs`` (0 = the start).
    boundaries   epoch -> (n, n) P(class 1) map; ``boundary_xy`` = (xs, ys).
    path         2-D landscapes: every step's params, (steps + 1, 2); else None.
    diverged_at  the epoch (1-based) during which the run diverged, or None.
    epochs_run, steps   completed epochs and optimizer updates of this run.
    stopped_early       the callback asked to stop.
    seconds             wall time of the whole train() call.
    optimizer           {"name", "flavor", "config"} of the optimizer.
    """

    optimizer: dict
    history: dict = field(default_factory=dict)
    params: np.ndarray | None = None
    final_params: np.ndarray | None = None
    snapshots: dict = field(default_factory=dict)
    boundaries: dict = field(default_factory=dict)
    boundary_xy: tuple | None = None
    path: np.ndarray | None = None
    diverged_at: int | None = None
    epochs_run: int = 0
    steps: int = 0
    stopped_early: bool = False
    seconds: float = 0.0


def _resolve(optimizer):
    """Accept an optimizer object or a name such as "adam"."""
    if isinstance(optimizer, str):
        from . import get  # lazy: the engine package imports this module
        return get(optimizer)
    return optimizer


def _describe(opt):
    return {"name": getattr(opt, "name", type(opt).__name__),
            "flavor": getattr(opt, "flavor", None),
            "config": dict(getattr(opt, "config", {}) or {})}


def _start_params(landscape, start, seed):
    """The initial parameters of one model, shape (P,) (or (M, P) if given)."""
    if start is not None:
        return np.array(start, dtype=np.float64)
    if hasattr(landscape, "init_params"):
        # A fixed init_seed option on the landscape wins; otherwise the
        # training seed also picks the initial weights (as Keras'
        # set_random_seed would).
        own = getattr(landscape, "init_seed", None)
        return np.array(landscape.init_params(seed if own is None else own),
                        dtype=np.float64)
    return np.array(landscape.start, dtype=np.float64)


def _check_int(name, value, low):
    if isinstance(value, bool) or int(value) != value or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def train(optimizer_or_list, landscape, epochs, batch_size=32, seed=0,
          callback=None, boundary_epochs=None, start=None):
    """Train like Keras ``fit``; return a TrainResult (or a list, for a list).

    optimizer_or_list  an engine optimizer (or its name), or a list of them:
                       then every model starts from the same weights and sees
                       the same batches, and the result is a list.
    epochs, batch_size as in ``fit``; ``seed`` fixes the batch order (and the
                       initial weights when the landscape has no init_seed).
    callback           ``callback(epoch, logs)`` after each epoch (epoch is the
                       1-based count of completed epochs; logs is a dict, or a
                       list of dicts for a list of optimizers, None for a
                       diverged model). Returning False stops training.
    boundary_epochs    epochs (0 = before training) at which to store the
                       decision map (landscapes with ``boundary``) and params.
    start              initial params (P,) for all models, or (M, P) one per
                       model; default ``landscape.init_params`` or ``.start``.
    """
    single = not isinstance(optimizer_or_list, (list, tuple))
    opts = [_resolve(o) for o in ([optimizer_or_list] if single else optimizer_or_list)]
    if not opts:
        raise ValueError("train() needs at least one optimizer")
    epochs = _check_int("epochs", epochs, 0)
    batch_size = _check_int("batch_size", batch_size, 1)
    n = int(landscape.n_samples)
    M = len(opts)

    theta0 = _start_params(landscape, start, seed)
    theta = np.array(np.broadcast_to(theta0, (M, theta0.shape[-1])), dtype=np.float64)
    P = theta.shape[-1]
    two_d = P == 2
    radius = escape_radius(landscape) if two_d and hasattr(landscape, "bounds") else np.inf
    has_accuracy = hasattr(landscape, "loss_grad_accuracy")
    X_val = getattr(landscape, "X_val", None)
    has_val = X_val is not None and len(X_val) > 0 and hasattr(landscape, "evaluate")
    can_draw = hasattr(landscape, "boundary")
    boundary_epochs = sorted({_check_int("boundary epoch", e, 0)
                              for e in (boundary_epochs or ()) if e <= epochs})

    # Keras clips per variable (clipnorm), and some rules act on each variable
    # as a whole (``per_variable``: Lamb's trust ratio, Adafactor's factored
    # moment and relative step, Muon's Newton–Schulz step for 2-D kernels and
    # Adam step for biases): such an optimizer gets the list of per-tensor
    # views of its row. Everyone else gets the whole flat row as one tensor,
    # which is faster (and global_clipnorm over the flat vector equals the
    # global norm over all tensors).
    slices = getattr(landscape, "tensor_slices", None)
    shapes = getattr(landscape, "shapes", None)
    per_tensor = [(getattr(o, "clipnorm", None) is not None or getattr(o, "per_variable", False))
                  and slices is not None for o in opts]

    def row(i, arr):
        if per_tensor[i]:
            return [arr[i, s].reshape(shape) for s, shape in zip(slices, shapes)]
        return arr[i]

    def write_row(i, new):
        if per_tensor[i]:
            for s, t in zip(slices, new):
                theta[i, s] = np.reshape(t, -1)
        else:
            theta[i] = new

    any_per_tensor = any(per_tensor)
    states = [opt.init(row(i, theta)) for i, opt in enumerate(opts)]
    results = [TrainResult(optimizer=_describe(o)) for o in opts]
    history = [dict() for _ in opts]
    active = np.ones(M, dtype=bool)
    live = list(range(M))                   # the runs still training

    n_batches = math.ceil(n / batch_size)
    if two_d:
        path = np.empty((epochs * n_batches + 1, M, 2))
        path[0] = theta
        per_epoch = np.empty((epochs + 1, M, 2))
        per_epoch[0] = theta

    def snapshot(epoch):
        if can_draw:
            xs, ys, prob = landscape.boundary(theta)     # all models in one go
        for i in np.flatnonzero(active):
            results[i].snapshots[epoch] = theta[i].copy()
            if can_draw:
                results[i].boundaries[epoch] = prob[i]
                results[i].boundary_xy = (xs, ys)

    rng = np.random.default_rng(seed)
    t_start = time.perf_counter()
    step = 0                                # updates so far (of runs still going)
    steps = [None] * M                      # for a diverged run: its last good step
    stopped = False
    # Diverging runs overflow; we detect that ourselves, so silence numpy.
    with np.errstate(all="ignore"):
        if 0 in boundary_epochs:
            snapshot(0)
        for epoch in range(1, epochs + 1):
            order = rng.permutation(n)
            loss_sum = np.zeros(M)
            acc_sum = np.zeros(M)
            for b0 in range(0, n, batch_size):
                idx = order[b0:b0 + batch_size]
                if has_accuracy:
                    loss, grad, acc = landscape.loss_grad_accuracy(theta, idx)
                    acc_sum += acc * len(idx)
                else:
                    loss, grad = landscape.loss_and_grad(theta, idx)
                loss_sum += loss * len(idx)
                before = theta.copy()       # to roll back a run that blows up
                if any_per_tensor:
                    for i in live:
                        new, states[i] = opts[i].update(row(i, grad), states[i], row(i, theta))
                        write_row(i, new)
                else:                       # the common case, without the helpers' call overhead
                    for i in live:
                        theta[i], states[i] = opts[i].update(grad[i], states[i], before[i])
                step += 1
                # Divergence, all runs at once: a NaN/inf loss, or params with
                # NaN/inf or a norm over the limit (NaN <= x is False).
                ok = np.isfinite(loss) & (np.einsum("ij,ij->i", theta, theta)
                                          <= DIVERGENCE_LIMIT ** 2)
                if two_d:  # the same box as optimizers.run, so full-batch and mini-batch agree
                    ok &= (np.abs(theta[:, 0]) <= radius) & (np.abs(theta[:, 1]) <= radius)
                for i in [i for i in live if not ok[i]]:
                    theta[i] = before[i]        # keep its last good params
                    active[i] = False
                    live.remove(i)
                    results[i].diverged_at = epoch
                    steps[i] = step - 1         # updates it completed
                if two_d:
                    path[step] = theta

            logs = _epoch_logs(landscape, theta, loss_sum / n,
                               acc_sum / n if has_accuracy else None, has_val)
            for i in np.flatnonzero(active):
                for key, values in logs.items():
                    history[i].setdefault(key, []).append(float(values[i]))
                if two_d:
                    per_epoch[epoch, i] = theta[i]
            if epoch in boundary_epochs:
                snapshot(epoch)

            if callback is not None:
                per_model = [{k: float(v[i]) for k, v in logs.items()} if active[i] else None
                             for i in range(M)]
                if callback(epoch, per_model[0] if single else per_model) is False:
                    stopped = True
                    break
            if not active.any():
                break
    seconds = time.perf_counter() - t_start

    for i, res in enumerate(results):
        if steps[i] is None:
            steps[i] = step
        done = len(next(iter(history[i].values()), []))   # epochs this run completed
        res.history = {k: np.asarray(v, dtype=np.float64) for k, v in history[i].items()}
        res.final_params = theta[i].copy()
        res.params = per_epoch[:done + 1, i].copy() if two_d else res.final_params
        res.path = path[:steps[i] + 1, i].copy() if two_d else None
        res.epochs_run = done
        res.steps = steps[i]
        res.stopped_early = stopped
        res.seconds = seconds
    return results[0] if single else results


def _epoch_logs(landscape, theta, loss, accuracy, has_val):
    """This epoch's numbers for all M models: name -> array (M,)."""
    logs = {"loss": loss}
    if accuracy is not None:
        logs["accuracy"] = accuracy
    if hasattr(landscape, "evaluate"):
        logs["eval_loss"], logs["eval_accuracy"] = landscape.evaluate(theta)
    elif hasattr(landscape, "loss"):
        logs["eval_loss"] = landscape.loss(theta)       # all training samples
    else:
        everything = np.arange(int(landscape.n_samples))
        logs["eval_loss"] = landscape.loss_and_grad(theta, everything)[0]
    if has_val:
        logs["val_loss"], logs["val_accuracy"] = landscape.evaluate(
            theta, landscape.X_val, landscape.y_val)
    return logs
