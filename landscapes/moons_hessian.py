"""Exact Hessian-vector products for the moons MLP (forward-over-reverse, Pearlmutter 1994).

``H v`` is the directional derivative of the gradient along ``v``. Differencing the gradient at
θ ± hv is not good enough for a ReLU network: whenever a ReLU switches between the two points (for
h = 1e-6 about once per hundred products on the 12-13-13 network), the gradient jumps and the
quotient gets a spike of size jump/2h, which power iteration then amplifies. Here every quantity of
the forward and backward pass gets its tangent along ``v`` (Pearlmutter's R{·} operator), so

    H v = R{∇L(θ)}  exactly (to rounding),

with the ReLU's own derivative taken as 0 (its kink has measure zero, as in autodiff).

The network is rebuilt here from the task's public description (``X``, ``y``, ``layer_sizes``,
``tensor_slices``, ``shapes``, ``EPSILON``): inputs with a column of ones, each layer's [[W], [b]],
ReLU, softmax, and Keras's clipped cross-entropy (a sample whose probability of its class is clipped
gives no gradient, and so no curvature). ``gradient`` returns the gradient of this same pass, which
the tests compare with ``MoonsTask.loss_and_grad``, so the two cannot drift apart.

Many networks at once: ``theta`` and ``v`` of shape (..., P) broadcast over leading axes.
"""
from __future__ import annotations

import numpy as np

from .moons import EPSILON


class MoonsHessian:
    """Exact ``hvp(theta, v)`` (and the gradient) of the moons task's mean training loss."""

    def __init__(self, task, idx=None):
        self.task = task
        X = np.asarray(task.X, dtype=np.float64)
        y = np.asarray(task.y, dtype=np.int64)
        if idx is not None:
            X, y = X[idx], y[idx]
        self.X1 = np.column_stack([X, np.ones(len(X))])
        self.y = y
        self.onehot = np.eye(2)[y]
        sizes = task.layer_sizes
        self.layers = []
        for w_slice, b_slice, shape in zip(task.tensor_slices[0::2], task.tensor_slices[1::2], task.shapes[0::2]):
            self.layers.append((w_slice, b_slice, shape))
        if [s[2][0] for s in self.layers] != list(sizes[:-1]):
            raise ValueError("The moons task's layer shapes do not match its layer sizes.")

    def _mats(self, theta):
        """Each layer's [[W], [b]], shape (..., fan_in + 1, fan_out) (copies)."""
        lead = theta.shape[:-1]
        out = []
        for ws, bs, (fi, fo) in self.layers:
            W = theta[..., ws].reshape(lead + (fi, fo))
            b = theta[..., bs].reshape(lead + (1, fo))
            out.append(np.concatenate([W, b], axis=-2))
        return out

    def _flat(self, mats, lead):
        out = np.empty(lead + (self.task.n_params,))
        for (ws, bs, (fi, fo)), M in zip(self.layers, mats):
            out[..., ws] = M[..., :fi, :].reshape(lead + (fi * fo,))
            out[..., bs] = M[..., fi, :]
        return out

    def _pass(self, theta, v=None):
        """Loss, gradient and (if ``v``) H v, for every leading row."""
        theta = np.asarray(theta, dtype=np.float64)
        lead = theta.shape[:-1]
        Wb = self._mats(theta)
        VWb = self._mats(np.broadcast_to(np.asarray(v, dtype=np.float64), theta.shape)) if v is not None else None
        n_layers = len(Wb)
        a = self.X1                       # (B, 3), shared by every row
        Ra = None                         # its tangent is 0
        inputs, Rinputs, masks = [], [], []
        for k in range(n_layers):
            inputs.append(a)
            Rinputs.append(Ra)
            z = a @ Wb[k]
            Rz = None
            if v is not None:
                Rz = a @ VWb[k] if Ra is None else Ra @ Wb[k] + a @ VWb[k]
            if k == n_layers - 1:
                break
            mask = z > 0
            masks.append(mask)
            ones = np.ones(z.shape[:-1] + (1,))
            a = np.concatenate([np.where(mask, z, 0.0), ones], axis=-1)
            if v is not None:
                Ra = np.concatenate([np.where(mask, Rz, 0.0), np.zeros_like(ones)], axis=-1)
        # Softmax over the 2 classes, as the task computes it.
        e = np.exp(z - np.maximum(z[..., :1], z[..., 1:]))
        p = e / (e[..., :1] + e[..., 1:])
        q_true = np.where(self.y == 1, p[..., 1], p[..., 0]) / (p[..., 0] + p[..., 1])
        q_clip = np.clip(q_true, EPSILON, 1.0 - EPSILON)
        loss = -np.log(q_clip).mean(axis=-1)
        weight = (q_true == q_clip) / len(self.y)
        dz = (p - self.onehot) * weight[..., None]
        Rdz = None
        if v is not None:
            Rp = p * (Rz - np.sum(p * Rz, axis=-1, keepdims=True))
            Rdz = Rp * weight[..., None]
        grads, Rgrads = [None] * n_layers, [None] * n_layers
        for k in range(n_layers - 1, -1, -1):
            a, Ra = inputs[k], Rinputs[k]
            grads[k] = np.swapaxes(a, -1, -2) @ dz
            if v is not None:
                Rg = np.swapaxes(a, -1, -2) @ Rdz
                if Ra is not None:
                    Rg = Rg + np.swapaxes(Ra, -1, -2) @ dz
                Rgrads[k] = Rg
            if k > 0:
                W = Wb[k][..., :-1, :]
                dh = dz @ np.swapaxes(W, -1, -2)
                if v is not None:
                    VW = VWb[k][..., :-1, :]
                    Rdh = Rdz @ np.swapaxes(W, -1, -2) + dz @ np.swapaxes(VW, -1, -2)
                    Rdz = Rdh * masks[k - 1]
                dz = dh * masks[k - 1]
        grad = self._flat([np.broadcast_to(g, lead + g.shape[-2:]) for g in grads], lead)
        Hv = None if v is None else self._flat([np.broadcast_to(g, lead + g.shape[-2:]) for g in Rgrads], lead)
        return loss, grad, Hv

    def loss_and_grad(self, theta):
        """(loss (...,), gradient (..., P)) of this pass (equal to the task's own, tested)."""
        loss, grad, _ = self._pass(theta)
        return loss, grad

    def hvp(self, theta, v) -> np.ndarray:
        """Exact H v, shape (..., P), for ``theta`` and ``v`` of shape (..., P) (broadcasting)."""
        theta = np.asarray(theta, dtype=np.float64)
        v = np.asarray(v, dtype=np.float64)
        shape = np.broadcast_shapes(theta.shape, v.shape)
        with np.errstate(all="ignore"):
            return self._pass(np.broadcast_to(theta, shape), np.broadcast_to(v, shape))[2]

    def hessian(self, theta) -> np.ndarray:
        """The full (P, P) Hessian at one point (one product per column). Small networks only."""
        theta = np.asarray(theta, dtype=np.float64)
        P = theta.shape[-1]
        H = self.hvp(np.broadcast_to(theta, (P, P)), np.eye(P))
        return 0.5 * (H + H.T)
