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
(M, P) array, so one batched forward/backward pass serves all of them; then
each optimizer updates its own row. Optimizers that share a rule and its
flags update their rows in one vectorized call (``stacking.stack``).
A landscape with ``minibatch_trainer`` (the moons MLP) supplies the batches'
gradients and the epoch's metrics from work arrays allocated once; any other
landscape is called batch by batch. Both give the same numbers, bit for bit.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from .runner import escape_radius
from .stacking import Stepper, stack, stack_key

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
          callback=None, boundary_epochs=None, start=None, evaluate=True):
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
                       decision map (landscapes with ``boundary``) and params;
                       a training stopped by ``callback`` stores its last
                       epoch too.
    start              initial params (P,) for all models, or (M, P) one per
                       model; default ``landscape.init_params`` or ``.start``.
    evaluate           False: no ``eval_loss``/``eval_accuracy``, so no pass over
                       the whole training data after each epoch (Keras fit
                       reports only the running ``loss`` and ``accuracy``).
    """
    single = not isinstance(optimizer_or_list, (list, tuple))
    opts = [_resolve(o) for o in ([optimizer_or_list] if single else optimizer_or_list)]
    if not opts:
        raise ValueError("train() needs at least one optimizer")
    epochs = _check_int("epochs", epochs, 0)
    batch_size = _check_int("batch_size", batch_size, 1)
    boundary_epochs = sorted({_check_int("boundary epoch", e, 0)
                              for e in (boundary_epochs or ()) if e <= epochs})

    models = _Models(opts, landscape, _start_params(landscape, start, seed))
    batches = _batch_source(landscape, models, batch_size, evaluate)
    record = _Record(opts, landscape, models, epochs * batches.n_batches)
    rng = np.random.default_rng(seed)
    t_start = time.perf_counter()
    stopped = False
    # Diverging runs overflow; we detect that ourselves, so silence numpy.
    with np.errstate(all="ignore"):
        if 0 in boundary_epochs:
            record.snapshot(0, models)
        for epoch in range(1, epochs + 1):
            batches.start_epoch(rng.permutation(batches.n_samples))
            for j in range(batches.n_batches):
                loss, grad = batches.gradient(j, models.theta)
                models.update(grad, loss, epoch)
                if record.two_d:
                    record.step(models)
            logs = batches.epoch_logs(models.theta)
            record.epoch(epoch, logs, models)
            if epoch in boundary_epochs:
                record.snapshot(epoch, models)
            if callback is not None:
                per_model = [{k: float(v[i]) for k, v in logs.items()} if models.active[i] else None
                             for i in range(len(opts))]
                if callback(epoch, per_model[0] if single else per_model) is False:
                    stopped = True
                    # A stopped training shows what it trained: its last epoch is a snapshot too (else the
                    # last map drawn would be an earlier epoch's, under "stopped after epoch k").
                    if boundary_epochs and epoch not in boundary_epochs:
                        record.snapshot(epoch, models)
                    break
            if not models.active.any():
                break
    results = record.results(models, time.perf_counter() - t_start, stopped)
    return results[0] if single else results


# --------------------------------------------------------------------------- #
# The models: parameters, optimizers, divergence                               #
# --------------------------------------------------------------------------- #
class _Models:
    """The M models' parameters (rows of ``theta`` (M, P)) and their optimizers.

    An update writes every model's new row into a second array, checks it and
    swaps the two arrays; a model that diverges keeps its last good row and
    is left out of later updates (``active``)."""

    def __init__(self, opts, landscape, theta0):
        M = len(opts)
        self.theta = np.array(np.broadcast_to(theta0, (M, theta0.shape[-1])), dtype=np.float64)
        self.spare = np.empty_like(self.theta)
        self.two_d = self.theta.shape[-1] == 2
        self.radius = escape_radius(landscape) if self.two_d and hasattr(landscape, "bounds") else np.inf
        self.active = np.ones(M, dtype=bool)
        self.frozen = np.zeros(0, dtype=np.intp)    # rows of diverged models
        self.steps = 0                              # updates so far (of runs still going)
        self.diverged_at = [None] * M
        self.last_step = [None] * M                 # for a diverged run: its last good step
        self.groups = _groups(opts, landscape, self.theta)
        self._live_groups(self.groups)

    def _live_groups(self, groups):
        """The groups to update: (step, rows) pairs for the usual ones (one
        call each, the least Python per batch), and those with per-tensor views."""
        self.live_steps = [(g.stepper.step, g.rows) for g in groups if g.tensors is None]
        self.live_tensor_groups = [g for g in groups if g.tensors is not None]

    def update(self, grad, loss, epoch):
        """One optimizer step of every active model, from the gradients
        ``grad`` (M, P) of the batch whose losses (M,) were ``loss`` (None: the
        batch source guarantees finite losses for finite parameters)."""
        theta, new = self.theta, self.spare
        for step, rows in self.live_steps:
            new[rows] = step(grad[rows], theta[rows])
        for group in self.live_tensor_groups:
            group.update(grad, theta, new)
        if len(self.frozen):
            new[self.frozen] = theta[self.frozen]
        self.steps += 1
        if not self._all_fine(new, loss):
            self._freeze_diverged(new, theta, loss, epoch)
        self.theta, self.spare = new, theta

    def _all_fine(self, theta, loss):
        """A quick test that passes only when every row passes the exact one:
        one dot product over all models. The squared norm of every row is at
        most the total, and the rounding of either sum is far below 1e-6."""
        if self.two_d or (loss is not None and not np.isfinite(loss).all()):
            return False
        return bool(np.vdot(theta, theta) <= DIVERGENCE_LIMIT ** 2 * (1 - 1e-6))

    def _freeze_diverged(self, theta, before, loss, epoch):
        """The exact test, per model: a NaN/inf loss, or params with NaN/inf or
        a norm over the limit (NaN <= x is False); on a 2-D landscape, the same
        box as optimizers.run, so full-batch and mini-batch agree."""
        ok = np.einsum("ij,ij->i", theta, theta) <= DIVERGENCE_LIMIT ** 2
        if loss is not None:
            ok &= np.isfinite(loss)
        if self.two_d:
            ok &= (np.abs(theta[:, 0]) <= self.radius) & (np.abs(theta[:, 1]) <= self.radius)
        bad = np.flatnonzero(self.active & ~ok)
        if len(bad):
            theta[bad] = before[bad]        # keep their last good params
            self.active[bad] = False
            self.frozen = np.flatnonzero(~self.active)
            self._live_groups([g for g in self.groups if self.active[g.members].any()])
            for i in bad:
                self.diverged_at[i] = epoch
                self.last_step[i] = self.steps - 1  # updates it completed


class _Group:
    """One optimizer (maybe several stacked, ``stacking.stack``) and the rows
    it updates: ``rows`` is an int (one model: its row, as a (P,) vector), a
    slice or an index array ((G, P) rows, each an independent run)."""

    def __init__(self, members, opts, theta, tensors=None):
        self.members = members
        if len(members) == 1:
            self.rows = members[0]
        elif members == list(range(members[0], members[-1] + 1)):
            self.rows = slice(members[0], members[-1] + 1)
        else:
            self.rows = np.array(members)
        # Keras clips per variable (clipnorm): such an optimizer sees the list
        # of per-tensor views of its row. Everyone else sees the whole flat
        # row as one tensor, which is faster (and global_clipnorm over the
        # flat vector equals the global norm over all tensors).
        self.tensors = tensors
        self.stepper = Stepper(stack(opts), self._view(theta), batch_ndim=int(len(members) > 1))

    def _view(self, arr):
        rows = arr[self.rows]
        if self.tensors is None:
            return rows
        return [rows[..., s].reshape(rows.shape[:-1] + shape) for s, shape in self.tensors]

    def update(self, grad, theta, out):
        new = self.stepper.step(self._view(grad), self._view(theta))
        if self.tensors is None:
            out[self.rows] = new
        else:                       # (never stacked: one model, one row)
            for (s, _), t in zip(self.tensors, new):
                out[self.rows, s] = np.reshape(t, -1)


def _groups(opts, landscape, theta):
    """Optimizers with equal ``stack_key`` share one group, the others get
    their own (in the order of their first model)."""
    slices = getattr(landscape, "tensor_slices", None)
    shapes = getattr(landscape, "shapes", None)
    by_key, groups = {}, []
    for i, opt in enumerate(opts):
        # Keras clips per variable (clipnorm), and some rules act on each variable as a whole
        # (``per_variable``: Lamb's trust ratio, Adafactor's factored moment, Muon's Newton–Schulz step for
        # 2-D kernels and Adam step for biases): those get per-tensor views of their row.
        per_tensor = ((getattr(opt, "clipnorm", None) is not None or getattr(opt, "per_variable", False))
                      and slices is not None)
        key = None if per_tensor else stack_key(opt)
        if key is not None and key in by_key:
            by_key[key].append(i)
            continue
        members = [i]
        groups.append((members, per_tensor))
        if key is not None:
            by_key[key] = members
    return [_Group(members, [opts[i] for i in members], theta,
                   list(zip(slices, shapes)) if per_tensor else None)
            for members, per_tensor in groups]


# --------------------------------------------------------------------------- #
# Batches: gradients and the epoch's metrics                                   #
# --------------------------------------------------------------------------- #
def _batch_source(landscape, models, batch_size, evaluate):
    n = int(landscape.n_samples)
    maker = getattr(landscape, "minibatch_trainer", None)
    # The fast path takes no per-batch loss (see _TrainerBatches); a start
    # that would already fail the divergence test goes the general way.
    start = models.theta
    if maker is not None and np.einsum("ij,ij->i", start, start).max() <= DIVERGENCE_LIMIT ** 2:
        return _TrainerBatches(landscape, maker(len(start), batch_size), models, evaluate)
    return _Batches(landscape, n, batch_size, len(start), evaluate)


class _TrainerBatches:
    """Batches from the landscape's ``minibatch_trainer`` (the moons MLP).

    It returns no per-batch losses (the epoch's loss comes from
    ``epoch_metrics``): for finite parameters within DIVERGENCE_LIMIT the
    MLP's loss is always finite (its logits stay below ~1e60 and the
    cross-entropy is clipped), and non-finite parameters make every output,
    gradient and so the next parameters non-finite, so the parameter test
    alone flags the same steps as testing the loss too."""

    def __init__(self, landscape, trainer, models, evaluate):
        self.landscape, self.trainer, self.evaluate = landscape, trainer, evaluate
        self.n_samples, self.n_batches = int(landscape.n_samples), trainer.n_batches
        # Layer views of both parameter arrays (they swap every step).
        self.views = {id(a): trainer.layers(a) for a in (models.theta, models.spare)}
        X_val = getattr(landscape, "X_val", None)
        self.has_val = X_val is not None and len(X_val) > 0

    def start_epoch(self, order):
        self.trainer.start_epoch(order)

    def gradient(self, j, theta):
        return None, self.trainer.gradient(self.views[id(theta)], j)

    def epoch_logs(self, theta):
        logs = dict(zip(("loss", "accuracy"), self.trainer.epoch_metrics()))
        if self.evaluate:
            logs["eval_loss"], logs["eval_accuracy"] = self.trainer.evaluate(self.views[id(theta)])
        if self.has_val:
            logs["val_loss"], logs["val_accuracy"] = self.landscape.evaluate(
                theta, self.landscape.X_val, self.landscape.y_val)
        return logs


class _Batches:
    """Any landscape: ``loss_grad_accuracy`` (or ``loss_and_grad``) per batch,
    the epoch's loss (and accuracy) summed up batch by batch."""

    def __init__(self, landscape, n, batch_size, n_models, evaluate):
        self.landscape, self.n_samples, self.batch_size = landscape, n, batch_size
        self.evaluate = evaluate
        self.n_batches = math.ceil(n / batch_size)
        self.n_models = n_models
        self.has_accuracy = hasattr(landscape, "loss_grad_accuracy")
        X_val = getattr(landscape, "X_val", None)
        self.has_val = X_val is not None and len(X_val) > 0 and hasattr(landscape, "evaluate")

    def start_epoch(self, order):
        self.order = order
        self.loss_sum = np.zeros(self.n_models)
        self.acc_sum = np.zeros(self.n_models)

    def gradient(self, j, theta):
        idx = self.order[j * self.batch_size:(j + 1) * self.batch_size]
        if self.has_accuracy:
            loss, grad, acc = self.landscape.loss_grad_accuracy(theta, idx)
            self.acc_sum += acc * len(idx)
        else:
            loss, grad = self.landscape.loss_and_grad(theta, idx)
        self.loss_sum += loss * len(idx)
        return loss, grad

    def epoch_logs(self, theta):
        n = self.n_samples
        return _epoch_logs(self.landscape, theta, self.loss_sum / n,
                           self.acc_sum / n if self.has_accuracy else None, self.has_val, self.evaluate)


def _epoch_logs(landscape, theta, loss, accuracy, has_val, evaluate=True):
    """This epoch's numbers for all M models: name -> array (M,)."""
    logs = {"loss": loss}
    if accuracy is not None:
        logs["accuracy"] = accuracy
    if evaluate:                                        # all training samples
        if hasattr(landscape, "evaluate"):
            logs["eval_loss"], logs["eval_accuracy"] = landscape.evaluate(theta)
        elif hasattr(landscape, "loss"):
            logs["eval_loss"] = landscape.loss(theta)
        else:
            everything = np.arange(int(landscape.n_samples))
            logs["eval_loss"] = landscape.loss_and_grad(theta, everything)[0]
    if has_val:
        logs["val_loss"], logs["val_accuracy"] = landscape.evaluate(
            theta, landscape.X_val, landscape.y_val)
    return logs


# --------------------------------------------------------------------------- #
# What is kept: history, snapshots, 2-D paths, the results                     #
# --------------------------------------------------------------------------- #
class _Record:
    """Each model's TrainResult: history, snapshots and (2-D landscapes) paths."""

    def __init__(self, opts, landscape, models, max_steps):
        self.landscape = landscape
        self.runs = [TrainResult(optimizer=_describe(o)) for o in opts]
        self.logs = []                      # every epoch's logs, name -> (M,)
        self.epochs_done = np.zeros(len(opts), dtype=int)  # epochs each model completed
        self.can_draw = hasattr(landscape, "boundary")
        self.two_d = models.two_d
        if self.two_d:      # the params after every step and after every epoch
            self.path = np.empty((max_steps + 1,) + models.theta.shape)
            self.path[0] = models.theta
            self.per_epoch = [models.theta.copy()]

    def step(self, models):
        if self.two_d:
            self.path[models.steps] = models.theta

    def epoch(self, epoch, logs, models):
        """Keep this epoch's logs; a model that diverged during it records nothing."""
        self.logs.append(logs)
        self.epochs_done += models.active
        if self.two_d:
            self.per_epoch.append(models.theta.copy())

    def snapshot(self, epoch, models):
        theta = models.theta
        if self.can_draw:
            xs, ys, prob = self.landscape.boundary(theta)     # all models in one go
        for i in np.flatnonzero(models.active):
            self.runs[i].snapshots[epoch] = theta[i].copy()
            if self.can_draw:
                self.runs[i].boundaries[epoch] = prob[i]
                self.runs[i].boundary_xy = (xs, ys)

    def results(self, models, seconds, stopped):
        # name -> (epochs, M): every epoch's logs, one column per model.
        logs = {k: np.array([epoch[k] for epoch in self.logs], dtype=np.float64) for k in
                (self.logs[0] if self.logs else ())}
        for i, res in enumerate(self.runs):
            steps = models.steps if models.last_step[i] is None else models.last_step[i]
            done = int(self.epochs_done[i])
            res.history = {k: v[:done, i].copy() for k, v in logs.items()} if done else {}
            res.final_params = models.theta[i].copy()
            res.params = (np.array([p[i] for p in self.per_epoch[:done + 1]]) if self.two_d
                          else res.final_params)
            res.path = self.path[:steps + 1, i].copy() if self.two_d else None
            res.diverged_at = models.diverged_at[i]
            res.epochs_run = done
            res.steps = steps
            res.stopped_early = stopped
            res.seconds = seconds
        return self.runs
