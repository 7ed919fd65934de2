"""The straightforward implementation of train() and of the moons MLP, as they were
before the fast path (issue 17): the reference the fast ones must reproduce.

Nothing here is fast: every batch allocates its arrays, every optimizer is
updated by its own ``update`` call, the epoch metrics are accumulated batch
by batch. tests/test_training_fast_path.py compares optimizers.train with
``reference_train`` (bit for bit, or to 1e-12).
"""

from __future__ import annotations

import math

import numpy as np

from landscapes.moons import BOUNDARY_PAD, EPSILON, ROWS_PER_PASS
from optimizers.runner import escape_radius
from optimizers.training import DIVERGENCE_LIMIT, TrainResult, _describe, _resolve, _start_params


# ----------------------------------------------------------------- the MLP
class ReferenceMLP:
    """The moons MLP's forward, loss, backward and evaluation, one allocation
    at a time, built only from the task's public layout (tensor_slices)."""

    def __init__(self, task):
        self.task = task
        self.X1 = np.column_stack([task.X, np.ones(len(task.X))])
        self.y = task.y
        self.onehot = np.eye(2)[task.y]
        sl = task.tensor_slices
        self.stacked = [(slice(w.start, b.stop), (shape[0] + 1, shape[1]))
                        for w, b, shape in zip(sl[0::2], sl[1::2], task.shapes[0::2])]
        self.n_samples = task.n_samples

    def layers(self, theta):
        lead = theta.shape[:-1]
        return [theta[..., s].reshape(lead + shape) for s, shape in self.stacked]

    def forward(self, theta, X1):
        layers = self.layers(theta)
        inputs, active = [], []
        a = X1
        for Wb in layers[:-1]:
            inputs.append(a)
            z = a @ Wb
            active.append(z > 0)
            a = np.empty(z.shape[:-1] + (z.shape[-1] + 1,))
            np.maximum(z, 0.0, out=a[..., :-1])
            a[..., -1] = 1.0
        inputs.append(a)
        z = a @ layers[-1]
        e = np.exp(z - np.maximum(z[..., :1], z[..., 1:]))
        p = e / (e[..., :1] + e[..., 1:])
        return p, (layers, inputs, active)

    @staticmethod
    def true_class_prob(p, y):
        q = p / (p[..., :1] + p[..., 1:])
        q_true = np.where(y == 1, q[..., 1], q[..., 0])
        return q_true, np.clip(q_true, EPSILON, 1.0 - EPSILON)

    def loss_grad_accuracy(self, theta, idx):
        X1, y, onehot = self.X1[idx], self.y[idx], self.onehot[idx]
        p, (layers, inputs, active) = self.forward(theta, X1)
        q_true, q_clipped = self.true_class_prob(p, y)
        loss = -np.log(q_clipped).mean(axis=-1)
        accuracy = (p.argmax(axis=-1) == y).mean(axis=-1)
        weight = (q_true == q_clipped) / len(y)
        dz = (p - onehot) * weight[..., None]
        grad = np.empty_like(theta)
        grad_layers = self.layers(grad)
        for k in range(len(layers) - 1, -1, -1):
            np.matmul(inputs[k].mT, dz, out=grad_layers[k])
            if k > 0:
                W = layers[k][..., :-1, :]
                dz = (dz @ W.mT) * active[k - 1]
        return loss, grad, accuracy

    def probabilities(self, theta, X1):
        step = max(16, ROWS_PER_PASS // math.prod(theta.shape[:-1]))
        parts = [self.forward(theta, X1[i:i + step])[0] for i in range(0, len(X1), step)]
        return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=-2)

    def evaluate(self, theta, X=None, y=None):
        X1 = self.X1 if X is None else np.column_stack([X, np.ones(len(X))])
        y = self.y if y is None else y
        p = self.probabilities(theta, X1)
        loss = -np.log(self.true_class_prob(p, y)[1]).mean(axis=-1)
        return loss, (p.argmax(axis=-1) == y).mean(axis=-1)

    def boundary(self, theta, n=60):
        X_all = np.concatenate([self.task.X, self.task.X_val])
        lo, hi = X_all.min(axis=0) - BOUNDARY_PAD, X_all.max(axis=0) + BOUNDARY_PAD
        xs, ys = np.linspace(lo[0], hi[0], n), np.linspace(lo[1], hi[1], n)
        gx, gy = np.meshgrid(xs, ys)
        grid = np.column_stack([gx.ravel(), gy.ravel(), np.ones(n * n)])
        prob = self.probabilities(theta, grid)[..., 1]
        return xs, ys, prob.reshape(prob.shape[:-1] + (n, n))


# ----------------------------------------------------------------- train()
def reference_train(optimizer_or_list, landscape, epochs, batch_size=32, seed=0,
                    boundary_epochs=None, start=None):
    """train() as it was: one ``update`` call per optimizer per batch, the
    landscape's loss_grad_accuracy (or loss_and_grad) per batch, the epoch's
    metrics summed batch by batch and a separate evaluation pass. For the
    moons task the MLP above replaces the task's own methods."""
    single = not isinstance(optimizer_or_list, (list, tuple))
    opts = [_resolve(o) for o in ([optimizer_or_list] if single else optimizer_or_list)]
    n = int(landscape.n_samples)
    M = len(opts)
    mlp = ReferenceMLP(landscape) if hasattr(landscape, "tensor_slices") else None

    theta0 = _start_params(landscape, start, seed)
    theta = np.array(np.broadcast_to(theta0, (M, theta0.shape[-1])), dtype=np.float64)
    P = theta.shape[-1]
    two_d = P == 2
    radius = escape_radius(landscape) if two_d and hasattr(landscape, "bounds") else np.inf
    has_accuracy = hasattr(landscape, "loss_grad_accuracy")
    can_draw = hasattr(landscape, "boundary")
    boundary_epochs = sorted({e for e in (boundary_epochs or ()) if e <= epochs})
    slices = getattr(landscape, "tensor_slices", None)
    shapes = getattr(landscape, "shapes", None)
    per_tensor = [getattr(o, "clipnorm", None) is not None and slices is not None for o in opts]

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

    states = [opt.init(row(i, theta)) for i, opt in enumerate(opts)]
    results = [TrainResult(optimizer=_describe(o)) for o in opts]
    history = [dict() for _ in opts]
    active = np.ones(M, dtype=bool)
    live = list(range(M))
    n_batches = math.ceil(n / batch_size)
    if two_d:
        path = np.empty((epochs * n_batches + 1, M, 2))
        path[0] = theta
        per_epoch = np.empty((epochs + 1, M, 2))
        per_epoch[0] = theta

    def snapshot(epoch):
        if can_draw:
            xs, ys, prob = (mlp or landscape).boundary(theta)
        for i in np.flatnonzero(active):
            results[i].snapshots[epoch] = theta[i].copy()
            if can_draw:
                results[i].boundaries[epoch] = prob[i]
                results[i].boundary_xy = (xs, ys)

    rng = np.random.default_rng(seed)
    step = 0
    steps = [None] * M
    with np.errstate(all="ignore"):
        if 0 in boundary_epochs:
            snapshot(0)
        for epoch in range(1, epochs + 1):
            order = rng.permutation(n)
            loss_sum = np.zeros(M)
            acc_sum = np.zeros(M)
            for b0 in range(0, n, batch_size):
                idx = order[b0:b0 + batch_size]
                if mlp is not None:
                    loss, grad, acc = mlp.loss_grad_accuracy(theta, idx)
                    acc_sum += acc * len(idx)
                elif has_accuracy:
                    loss, grad, acc = landscape.loss_grad_accuracy(theta, idx)
                    acc_sum += acc * len(idx)
                else:
                    loss, grad = landscape.loss_and_grad(theta, idx)
                loss_sum += loss * len(idx)
                before = theta.copy()
                for i in live:
                    new, states[i] = opts[i].update(row(i, grad), states[i], row(i, before))
                    write_row(i, new)
                step += 1
                ok = np.isfinite(loss) & (np.einsum("ij,ij->i", theta, theta) <= DIVERGENCE_LIMIT ** 2)
                if two_d:
                    ok &= (np.abs(theta[:, 0]) <= radius) & (np.abs(theta[:, 1]) <= radius)
                for i in [i for i in live if not ok[i]]:
                    theta[i] = before[i]
                    active[i] = False
                    live.remove(i)
                    results[i].diverged_at = epoch
                    steps[i] = step - 1
                if two_d:
                    path[step] = theta

            logs = {"loss": loss_sum / n}
            if mlp is not None or has_accuracy:
                logs["accuracy"] = acc_sum / n
            if mlp is not None:
                logs["eval_loss"], logs["eval_accuracy"] = mlp.evaluate(theta)
                if len(landscape.X_val):
                    logs["val_loss"], logs["val_accuracy"] = mlp.evaluate(
                        theta, landscape.X_val, landscape.y_val)
            elif hasattr(landscape, "evaluate"):
                logs["eval_loss"], logs["eval_accuracy"] = landscape.evaluate(theta)
            elif hasattr(landscape, "loss"):
                logs["eval_loss"] = landscape.loss(theta)
            else:
                logs["eval_loss"] = landscape.loss_and_grad(theta, np.arange(n))[0]
            for i in np.flatnonzero(active):
                for key, values in logs.items():
                    history[i].setdefault(key, []).append(float(values[i]))
                if two_d:
                    per_epoch[epoch, i] = theta[i]
            if epoch in boundary_epochs:
                snapshot(epoch)
            if not active.any():
                break

    for i, res in enumerate(results):
        if steps[i] is None:
            steps[i] = step
        done = len(next(iter(history[i].values()), []))
        res.history = {k: np.asarray(v, dtype=np.float64) for k, v in history[i].items()}
        res.final_params = theta[i].copy()
        res.params = per_epoch[:done + 1, i].copy() if two_d else res.final_params
        res.path = path[:steps[i] + 1, i].copy() if two_d else None
        res.epochs_run = done
        res.steps = steps[i]
    return results[0] if single else results
