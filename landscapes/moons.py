"""The article's classification task: an MLP on scikit-learn's "two moons".

The article trains a small Keras network on ``make_moons`` to compare
optimizers. Here the same task is seen as a *landscape over the network's
weights*: every weight and bias of the network is one coordinate of a flat
float64 vector ``theta`` of length ``n_params``, and the training loss is a
function of that vector, exactly like the 2-D surfaces, only with a few hundred
dimensions instead of two.

Any number of leading "model" axes are allowed: ``theta`` of shape (M, P)
holds M independent networks, and one batched matrix product (``np.matmul``
broadcasts over leading axes) runs all of them at once. That is how several
optimizers are trained side by side at the cost of roughly one.

Defaults reproduce the article::

    X, y = make_moons(n_samples=300, noise=0.1, random_state=42)
    Dense(12, relu) -> Dense(13, relu) -> Dense(13, relu) -> Dense(2, softmax)
    loss = sparse categorical cross-entropy, Keras default initialisation
"""

from __future__ import annotations

import math

import numpy as np
from sklearn.datasets import make_moons

# Keras' fuzz factor (keras.config.epsilon()), used to clip probabilities.
EPSILON = 1e-7

# Option bounds: keep the task small enough to train interactively.
N_SAMPLES_RANGE = (20, 5000)
NOISE_RANGE = (0.0, 1.0)
MAX_LAYERS = 4
UNITS_RANGE = (1, 128)
VALIDATION_SPLIT_MAX = 0.9

# Forward passes over many samples go in slices of about this many rows
# (samples x models); see MoonsTask._probabilities. 4096: the article's 300
# training samples are evaluated in ONE pass for up to 13 models side by side
# (the epoch's evaluation is then ~16 NumPy calls instead of twice that).
ROWS_PER_PASS = 4096

# Padding (in data units) around the data for the decision-boundary grid.
BOUNDARY_PAD = 0.5


class MoonsTask:
    """The moons classification task as a loss landscape over flat weight vectors."""

    name = "moons"
    title = "Two moons: an MLP classifier (the article's experiment)"
    teaches = (
        "Real training: the 'landscape' is the network's loss over all its "
        "weights; optimizers see it only through noisy mini-batch gradients."
    )
    latex = (
        r"L(\theta) = -\frac{1}{B}\sum_{i \in \text{batch}} "
        r"\log \operatorname{clip}\!\left(p_\theta(y_i \mid x_i),\ 10^{-7},\ 1-10^{-7}\right)"
    )

    def __init__(self, n_samples=300, noise=0.1, data_seed=42,
                 hidden=(12, 13, 13), validation_split=0.0, init_seed=None):
        n_samples, noise, data_seed, hidden, validation_split, init_seed = _check_options(
            n_samples, noise, data_seed, hidden, validation_split, init_seed)
        self.options = dict(n_samples=n_samples, noise=noise, data_seed=data_seed,
                            hidden=hidden, validation_split=validation_split,
                            init_seed=init_seed)
        self.init_seed = init_seed

        X, y = make_moons(n_samples=n_samples, noise=noise, random_state=data_seed)
        X = X.astype(np.float64)
        y = y.astype(np.int64)
        # Keras' fit(validation_split=v) holds out the LAST fraction of the data,
        # before any shuffling: split at floor(n * (1 - v)).
        split_at = int(math.floor(n_samples * (1.0 - validation_split)))
        if split_at == 0 or (split_at == n_samples and validation_split > 0):
            raise ValueError(
                f"validation_split={validation_split} leaves an empty training "
                f"or validation set with n_samples={n_samples}")
        self.X, self.y = X[:split_at], y[:split_at]
        self.X_val, self.y_val = X[split_at:], y[split_at:]
        self.n_samples = split_at          # number of TRAINING samples
        self._onehot = np.eye(2)[self.y]   # row i = (1, 0) if y_i == 0 else (0, 1)
        self._X1 = self._with_ones(self.X)
        self._X_all = X

        # Layer sizes: 2 inputs -> hidden... -> 2 classes.
        self.layer_sizes = (2,) + hidden + (2,)
        # One entry per Keras variable, in Keras order: W1, b1, W2, b2, ...
        self.shapes = []
        for fan_in, fan_out in zip(self.layer_sizes[:-1], self.layer_sizes[1:]):
            self.shapes += [(fan_in, fan_out), (fan_out,)]
        self.tensor_slices = []
        start = 0
        for shape in self.shapes:
            size = math.prod(shape)
            self.tensor_slices.append(slice(start, start + size))
            start += size
        self.n_params = start
        self.dim = start                   # like Landscape.dim (2 for the surfaces)
        # Each layer's W and b together: (slice of theta, (fan_in + 1, fan_out)).
        self._stacked = [(slice(w.start, b.stop), (fan_in + 1, fan_out))
                         for w, b, (fan_in, fan_out) in zip(
                             self.tensor_slices[0::2], self.tensor_slices[1::2], self.shapes[0::2])]

    # ------------------------------------------------------------------ params
    def unflatten(self, theta):
        """Split flat vector(s) (..., P) into [(W1, b1), (W2, b2), ...] VIEWS.

        W has shape (..., fan_in, fan_out) and b (..., fan_out). They are views,
        so writing into them writes into ``theta`` (used to build gradients).
        """
        lead = theta.shape[:-1]
        tensors = [theta[..., s].reshape(lead + shape)
                   for s, shape in zip(self.tensor_slices, self.shapes)]
        return list(zip(tensors[0::2], tensors[1::2]))

    def init_params(self, seed=None, n_models=None):
        """Keras' default initialisation, as flat vector(s).

        Dense layers default to Glorot-uniform weights, W ~ U(-a, a) with
        a = sqrt(6 / (fan_in + fan_out)) (keeps activations' variance roughly
        constant from layer to layer), and zero biases.
        ``n_models`` given -> shape (n_models, P), each model drawn independently.
        """
        if seed is None:
            seed = 0 if self.init_seed is None else self.init_seed
        rng = np.random.default_rng(seed)
        lead = () if n_models is None else (int(n_models),)
        theta = np.zeros(lead + (self.n_params,), dtype=np.float64)
        for W, _b in self.unflatten(theta):
            fan_in, fan_out = W.shape[-2:]
            limit = math.sqrt(6.0 / (fan_in + fan_out))
            W[...] = rng.uniform(-limit, limit, size=W.shape)
        return theta

    # ----------------------------------------------------------------- forward
    # A trick that saves work: h @ W + b == [h, 1] @ [[W], [b]]. The bias is
    # the weight of an extra input that is always 1. In the flat vector b comes
    # right after W (Keras order), so the stacked matrix [[W], [b]] of shape
    # (fan_in + 1, fan_out) is just a view of theta, and one matmul does both
    # the product and the bias, forward and backward.
    def _layers(self, theta):
        """Each layer's [[W], [b]] as a view, shape (..., fan_in + 1, fan_out)."""
        lead = theta.shape[:-1]
        return [theta[..., s].reshape(lead + shape) for s, shape in self._stacked]

    @staticmethod
    def _with_ones(X):
        """Append the constant-1 input column: (B, 2) -> (B, 3)."""
        return np.column_stack([X, np.ones(len(X))])

    def _pass(self, lead, rows):
        """Work arrays for passes of models ``lead`` over ``rows`` samples (see Pass)."""
        return Pass(self.layer_sizes, lead, rows)

    def _probabilities(self, theta, X1):
        """Softmax outputs (..., len(X1), 2) for many inputs X1, a slice of rows at a time.

        Only speed: one pass over thousands of points (a decision map: 3600)
        x 13 models needs tens of megabytes of work arrays, which the memory
        allocator gives back to the OS after every call (and page-faults in
        again on the next one). Slices of about ROWS_PER_PASS (samples x
        models) keep them to a few megabytes, reused slice after slice.
        (MiniBatchTrainer.evaluate cuts the rows the same way: a matrix
        product's last bits may depend on how many rows it is given.)"""
        lead = theta.shape[:-1]
        layers = self._layers(theta)
        out = np.empty(lead + (len(X1), 2))
        work = None
        for start, stop in _slices(len(X1), _rows_per_pass(lead)):
            if work is None or work.rows != stop - start:
                work = self._pass(lead, stop - start)
            out[..., start:stop, :] = work.forward(layers, X1[start:stop], backprop=False)
        return out

    def predict_proba(self, theta, X):
        """Class probabilities, shape (..., len(X), 2)."""
        theta = np.asarray(theta, dtype=np.float64)
        return self._probabilities(theta, self._with_ones(np.asarray(X, dtype=np.float64)))

    def _batch(self, idx):
        """Inputs, labels and one-hot labels of training samples ``idx``."""
        if idx is None:
            return self._X1, self.y, self._onehot
        return self._X1[idx], self.y[idx], self._onehot[idx]

    # --------------------------------------------------------- loss & backprop
    def loss_grad_accuracy(self, theta, idx=None):
        """Mean loss, its gradient and the accuracy on training samples ``idx``.

        Returns loss (...,), grad (..., P), accuracy (...,). The accuracy uses
        the same forward pass (before any update), as Keras' fit does.
        """
        theta = np.asarray(theta, dtype=np.float64)
        X1, y, onehot = self._batch(idx)
        work = self._pass(theta.shape[:-1], len(y))
        layers = self._layers(theta)
        p = work.forward(layers, X1)
        work.true_class_prob(y == 1, out=work.q)
        grad = np.empty_like(theta)
        work.backward(layers, X1, onehot, self._layers(grad))   # fills grad
        loss = -np.log(work.clipped).mean(axis=-1)
        accuracy = (p.argmax(axis=-1) == y).mean(axis=-1)
        return loss, grad, accuracy

    def loss_and_grad(self, theta, idx=None):
        """(loss (...,), grad (..., P)) on training samples ``idx`` (None = all)."""
        loss, grad, _ = self.loss_grad_accuracy(theta, idx)
        return loss, grad

    def _loss_accuracy(self, theta, X1, y):
        """(mean loss, accuracy) of inputs X1 (with ones column) and labels y."""
        p = self._probabilities(np.asarray(theta, dtype=np.float64), X1)
        return _mean_loss_accuracy(_true_class_prob(p, y == 1), p.argmax(axis=-1) == y)

    def evaluate(self, theta, X=None, y=None):
        """(loss, accuracy), each shape (...,), on the training data or (X, y)."""
        if X is None:
            return self._loss_accuracy(theta, self._X1, self.y)
        y = np.asarray(y, dtype=np.int64)
        X1 = self._with_ones(np.asarray(X, dtype=np.float64))
        return self._loss_accuracy(theta, X1, y)

    def loss(self, theta, idx=None):
        """Mean loss on training samples ``idx`` (None = all), shape (...,)."""
        X1, y, _ = self._batch(idx)
        return self._loss_accuracy(theta, X1, y)[0]

    def boundary(self, theta, n=60):
        """Decision map: (xs (n,), ys (n,), P(class 1) of shape (..., n, n)).

        Row i, column j of the map is the point (xs[j], ys[i]) (the
        ``z[y][x]`` layout contour plots expect). The grid covers all data
        (training and validation) padded by ``BOUNDARY_PAD``.
        """
        lo = self._X_all.min(axis=0) - BOUNDARY_PAD
        hi = self._X_all.max(axis=0) + BOUNDARY_PAD
        xs = np.linspace(lo[0], hi[0], n)
        ys = np.linspace(lo[1], hi[1], n)
        gx, gy = np.meshgrid(xs, ys)
        grid = np.column_stack([gx.ravel(), gy.ravel()])
        prob = self.predict_proba(theta, grid)[..., 1]
        return xs, ys, prob.reshape(prob.shape[:-1] + (n, n))

    def minibatch_trainer(self, n_models, batch_size):
        """``optimizers.train``'s fast path for ``n_models`` networks: see MiniBatchTrainer."""
        return MiniBatchTrainer(self, n_models, batch_size)


# --------------------------------------------------------------------------- #
# The network's passes, in work arrays allocated once                          #
# --------------------------------------------------------------------------- #
class Pass:
    """Forward and backward pass of stacked networks over ``rows`` samples.

    ``lead`` is the shape of the model axes: () for one network, (M,) for M
    networks side by side (their weights are the rows of theta (M, P), and
    ``np.matmul`` runs all M at once). Every array a pass needs is allocated
    here once and then written in place (``out=``): a training step is ~35
    NumPy calls on arrays of a few hundred numbers, so the calls themselves,
    not the arithmetic, are most of its cost.

    The arithmetic is exactly what Keras computes (in float64), operation by
    operation; MoonsTask.loss_grad_accuracy is one pass, and
    MiniBatchTrainer reuses passes for every batch of a training run.
    (Each matrix product keeps its operands' roles and shapes: the last
    bits of a BLAS product depend on them.)
    """

    def __init__(self, layer_sizes, lead, rows):
        self.rows = rows
        hidden = layer_sizes[1:-1]

        def arr(*shape, dtype=np.float64):
            return np.empty(lead + (rows,) + shape, dtype=dtype)

        # Hidden layer k: its output with the constant-1 column, (.., rows,
        # units + 1): the next layer's input. The layer's product goes
        # straight into its first columns (``relu``) and the ReLU is applied
        # in place over the whole array (max(1, 0) is still 1): one pass over
        # contiguous memory, where writing into the column view would cost
        # one small loop per row. ``active``, the same shape, is where the
        # ReLU passed its input (h > 0, i.e. z > 0; the 1-column: True).
        self.outputs = [arr(h + 1) for h in hidden]
        for h1 in self.outputs:
            h1[..., -1] = 1.0
        self.relu = [h1[..., :-1] for h1 in self.outputs]
        self.active = [arr(h + 1, dtype=bool) for h in hidden]
        self.hidden = list(zip(self.relu, self.outputs, self.active))
        # Output layer: logits, exp, probabilities (and their class columns);
        # the loss's gradient dz.
        self.logits, self.e, self.p, self.dz = arr(2), arr(2), arr(2), arr(2)
        self.top, self.total = arr(1), arr(1)
        self.columns = [(a[..., :1], a[..., 1:]) for a in (self.logits, self.e)]
        self.p0, self.p1 = self.p[..., 0], self.p[..., 1]
        self.q, self.clipped, self.p_sum = arr(), arr(), arr()
        self.keep = arr(dtype=bool)
        self.keep_col = self.keep[..., None]
        # Backprop through hidden layer k: dL/d(its output) in the first
        # columns ``dh`` (.., rows, units) of an array shaped like its
        # output, whose last column stays 0, so that the ReLU's mask is
        # also applied in one contiguous pass.
        self.dh1 = [np.zeros(lead + (rows, h + 1)) for h in hidden]
        self.dh = [d[..., :-1] for d in self.dh1]
        # Backward goes top layer first: (layer k, its input; None: the data).
        self.backward_order = [(k, self.outputs[k - 1] if k else None) for k in range(len(hidden), -1, -1)]

    def forward(self, layers, X1, backprop=True):
        """Softmax probabilities (.., rows, 2) of inputs X1 (rows, 3): the
        data with its column of ones, shared by all models. ``layers`` are
        the models' [[W], [b]] matrices (.., fan_in + 1, fan_out).
        ``backprop=False`` skips what only the backward pass needs."""
        a = X1
        for Wb, (relu, h1, active) in zip(layers, self.hidden):
            # z = a @ Wb: (.., rows, fan_in+1) @ (.., fan_in+1, units) -> (.., rows, units),
            # written into h1's first columns; then h1 = [ReLU(z), 1] in place.
            np.matmul(a, Wb, out=relu)
            np.maximum(h1, 0.0, out=h1)
            if backprop:
                np.greater(h1, 0.0, out=active)         # (.., rows, units+1)
            a = h1
        z = np.matmul(a, layers[-1], out=self.logits)      # (.., rows, 2)
        # Softmax over the 2 classes. Subtracting the larger logit changes
        # nothing mathematically but keeps exp() from overflowing. (Column
        # arithmetic: with only 2 classes it is much faster than max/sum over
        # the last axis.)
        (z0, z1), (e0, e1) = self.columns
        np.maximum(z0, z1, out=self.top)                    # (.., rows, 1)
        e = np.exp(np.subtract(z, self.top, out=self.e), out=self.e)
        np.add(e0, e1, out=self.total)
        return np.divide(e, self.total, out=self.p)

    def true_class_prob(self, y1, out, backprop=True):
        """Keras' cross-entropy input for the last forward pass (see
        _true_class_prob) into ``out`` (.., rows); y1 = labels == 1.

        For the backward pass, also the clipped value (``clipped``) and where
        the clip was inactive (``keep``)."""
        np.add(self.p0, self.p1, out=self.p_sum)
        q = np.divide(np.where(y1, self.p1, self.p0), self.p_sum, out=out)
        if backprop:
            np.minimum(np.maximum(q, EPSILON, out=self.clipped), 1.0 - EPSILON, out=self.clipped)
            np.equal(q, self.clipped, out=self.keep)
        return q

    def backward(self, layers, X1, onehot, grad_layers, weights_T=None):
        """Gradient of the mean loss of the last forward pass (after
        ``true_class_prob``) into ``grad_layers``: views (.., fan_in + 1,
        fan_out) of the flat gradient, one per layer, as ``_layers`` gives.
        ``weights_T``: each layer's W^T (without the bias row), if at hand."""
        if weights_T is None:
            weights_T = _weights_T(layers)
        # d loss / d logits. For softmax followed by -log p_y the classic result
        # is p - onehot(y) (the normalisation p / sum(p) adds nothing: sum(p)
        # is constant 1, so its derivative is 0). Where the clip was active
        # the loss is flat in p, so that sample gives NO gradient at all, as in
        # Keras. Divide by B: the loss is a batch mean.
        # (Keras multiplies by keep / B; x * (1/B) * keep is the same number,
        # bit for bit, with one fast scalar product.)
        dz = np.subtract(self.p, onehot, out=self.dz)              # (.., rows, 2)
        np.multiply(dz, 1.0 / self.rows, out=dz)
        np.multiply(dz, self.keep_col, out=dz)                      # 0 where clipped
        for k, a in self.backward_order:
            # z = a @ Wb  =>  dL/dWb = a^T @ dz. Its last row (from the
            # constant-1 input) is the bias gradient: dz summed over the batch.
            np.matmul((X1 if a is None else a).mT, dz, out=grad_layers[k])
            if k > 0:
                # Back through the matmul (dL/dh = dz @ W^T, W without its bias
                # row), then through the ReLU: it passes gradient only where
                # it was active (z > 0), elsewhere its slope is 0.
                # (.., rows, fan_out) @ (.., fan_out, units) -> (.., rows, units)
                np.matmul(dz, weights_T[k], out=self.dh[k - 1])
                dh1 = self.dh1[k - 1]                   # [dh, 0]
                np.multiply(dh1, self.active[k - 1], out=dh1)
                dz = self.dh[k - 1]


def _weights_T(layers):
    """W^T (.., fan_out, fan_in) of each layer's [[W], [b]] (None for the first:
    backprop does not go further than the inputs)."""
    return [None] + [Wb[..., :-1, :].mT for Wb in layers[1:]]


def _true_class_prob(p, y1):
    """Keras' cross-entropy input: p_y / sum(p), shape (..., B); y1 = labels == 1.

    Keras 3 (jax backend), given probabilities (``from_logits=False``),
    computes ``-log(clip(p / sum(p), 1e-7, 1 - 1e-7))``. The division is a
    no-op for a softmax output (up to rounding, which is kept); the clip
    (applied by the callers) caps each sample's loss at -log(1e-7) ~ 16.1
    and floors it at ~1e-7.
    """
    p0, p1 = p[..., 0], p[..., 1]
    return np.where(y1, p1, p0) / (p0 + p1)


def _mean_loss_accuracy(q, correct):
    """Mean loss and accuracy over the last axis, from the true class's
    probability q (the loss clips it) and whether each prediction was right."""
    n = q.shape[-1]
    # np.clip and .mean, as the fast ufunc calls they make.
    log_q = np.log(np.minimum(np.maximum(q, EPSILON), 1.0 - EPSILON))
    return -(np.add.reduce(log_q, axis=-1) / n), np.add.reduce(correct, axis=-1, dtype=np.float64) / n


def _rows_per_pass(lead):
    return max(16, ROWS_PER_PASS // math.prod(lead))


def _slices(n, step):
    """(start, stop) of consecutive slices of at most ``step`` of range(n)."""
    return [(i, min(i + step, n)) for i in range(0, n, step)]


class MiniBatchTrainer:
    """``optimizers.train``'s fast path: one epoch of mini-batches at a time.

    Exactly the numbers of ``loss_grad_accuracy`` on every batch and of
    ``evaluate`` after every epoch, bit for bit, but with the arrays
    allocated once per training run:
      * each epoch gathers the shuffled data once; the batches are views;
      * every batch size (the full one and the last, smaller one) has its
        own Pass;
      * the epoch's ``loss`` and ``accuracy`` are Keras's running means over
        the batches (each computed before its batch's update): each batch
        only stores its samples' true-class probability and prediction,
        and ``epoch_metrics`` reduces them at the end of the epoch, batch
        by batch, in the order Keras (and loss_grad_accuracy) would.
    ``n_models`` networks are trained side by side: parameters (M, P).
    """

    # Gradients are handed out from blocks of about this many numbers: a
    # fresh array per batch (an optimizer may keep the one it was given),
    # without allocating one, and slicing it into layers, at every batch.
    GRAD_BLOCK = 1 << 16

    def __init__(self, task, n_models, batch_size):
        self.task = task
        n = task.n_samples
        B = min(int(batch_size), n)
        self.n_models = M = int(n_models)
        self.lead = lead = () if M == 1 else (M,)
        self.n_full, rest = divmod(n, B)
        self.sizes = np.array([B] * self.n_full + ([rest] if rest else []), dtype=np.float64)
        self.n_batches = len(self.sizes)
        # The epoch's data in shuffled order, and per sample the true-class
        # probability and the prediction (p_1 > p_0) of its batch's pass.
        self.X1 = np.empty_like(task._X1)
        self.onehot = np.empty_like(task._onehot)
        self.y1 = np.empty(n, dtype=bool)
        self.q = np.empty(lead + (n,))
        self.predicted_1 = np.empty(lead + (n,), dtype=bool)
        self._per_sample = np.empty((2,) + lead + (n,))    # for epoch_metrics
        passes = {B: task._pass(lead, B)}
        if rest:
            passes[rest] = task._pass(lead, rest)
        self.batches = [(passes[stop - start], self.X1[start:stop], self.onehot[start:stop],
                         self.y1[start:stop], self.q[..., start:stop], self.predicted_1[..., start:stop])
                        for start, stop in _slices(n, B)]
        # The end-of-epoch evaluation on all training samples, sliced as
        # MoonsTask._probabilities slices them.
        self.eval_q = np.empty(lead + (n,))
        self.eval_predicted_1 = np.empty(lead + (n,), dtype=bool)
        self.y1_all = task.y == 1
        eval_passes = {}
        self.eval_slices = []
        for start, stop in _slices(n, _rows_per_pass(lead)):
            work = eval_passes.setdefault(stop - start, task._pass(lead, stop - start))
            self.eval_slices.append((work, task._X1[start:stop], self.y1_all[start:stop],
                                     self.eval_q[..., start:stop],
                                     self.eval_predicted_1[..., start:stop]))
        self._grads = []

    def layers(self, theta):
        """Views of parameters theta (M, P) for ``gradient`` and ``evaluate``:
        each layer's [[W], [b]] (MoonsTask._layers) and W^T."""
        layers = self.task._layers(theta[0] if self.lead == () else theta)
        return layers, _weights_T(layers)

    def start_epoch(self, order):
        """Gather this epoch's samples in the shuffled ``order``."""
        np.take(self.task._X1, order, axis=0, out=self.X1)
        np.take(self.task._onehot, order, axis=0, out=self.onehot)
        np.equal(np.take(self.task.y, order), 1, out=self.y1)

    def gradient(self, layers, j):
        """Gradient (M, P) of the mean loss of batch ``j`` of this epoch, for
        the parameters whose ``layers`` views are given. A new array every
        call, never written again: an optimizer may keep the gradient it
        was given (PyTorch's SGD keeps the first as its momentum buffer)."""
        if not self._grads:
            self._new_grad_block()
        grad, grad_layers = self._grads.pop()
        work, X1, onehot, y1, q, predicted_1 = self.batches[j]
        work.forward(layers[0], X1)
        work.true_class_prob(y1, out=q)
        np.greater(work.p1, work.p0, out=predicted_1)
        work.backward(layers[0], X1, onehot, grad_layers, layers[1])
        return grad

    def _new_grad_block(self):
        """A block of fresh gradient arrays and their layer views."""
        size = self.n_models * self.task.n_params
        count = max(1, min(self.n_batches, self.GRAD_BLOCK // size))
        block = np.empty((count, self.n_models, self.task.n_params))
        flat = block[:, 0] if self.lead == () else block
        per_layer = self.task._layers(flat)        # (count, .., fan_in + 1, fan_out)
        self._grads = [(block[i], [v[i] for v in per_layer]) for i in range(count - 1, -1, -1)]

    def epoch_metrics(self):
        """This epoch's Keras ``loss`` and ``accuracy``, each (M,): the means
        over the batches, weighted by batch size (Keras 3's loss tracker)."""
        # Per sample: log of the clipped true-class probability, and 1 if
        # the prediction was right; then per batch: their sums over the batch.
        per_sample = self._per_sample
        clipped = np.minimum(np.maximum(self.q, EPSILON), 1.0 - EPSILON)     # as np.clip
        np.log(clipped, out=per_sample[0])
        np.equal(self.predicted_1, self.y1, out=per_sample[1])
        B, full = int(self.sizes[0]), self.n_full * int(self.sizes[0])
        sums = np.add.reduce(per_sample[..., :full].reshape(per_sample.shape[:-1] + (self.n_full, B)), axis=-1)
        if full < per_sample.shape[-1]:
            rest = np.add.reduce(per_sample[..., full:], axis=-1, keepdims=True)
            sums = np.concatenate([sums, rest], axis=-1)
        means = sums / self.sizes                          # each batch's mean
        means[0] = -means[0]                               # loss = -mean(log q)
        # Running sums in batch order, as fit's tracker adds them.
        totals = np.add.accumulate(means * self.sizes, axis=-1)[..., -1] / self.task.n_samples
        return totals[0].reshape(self.n_models), totals[1].reshape(self.n_models)

    def evaluate(self, layers):
        """(loss, accuracy), each (M,), on all training samples: MoonsTask.evaluate."""
        for work, X1, y1, q, predicted_1 in self.eval_slices:
            work.forward(layers[0], X1, backprop=False)
            work.true_class_prob(y1, out=q, backprop=False)
            np.greater(work.p1, work.p0, out=predicted_1)
        loss, accuracy = _mean_loss_accuracy(self.eval_q, self.eval_predicted_1 == self.y1_all)
        return loss.reshape(self.n_models), accuracy.reshape(self.n_models)


def _check_options(n_samples, noise, data_seed, hidden, validation_split, init_seed):
    """Validate options; raise ValueError with a message a user can act on."""
    def as_float(name, value):
        if isinstance(value, bool):
            raise ValueError(f"{name} must be a number, got {value!r}")
        try:
            return float(value)
        except (TypeError, ValueError, OverflowError):
            raise ValueError(f"{name} must be a number, got {value!r}") from None

    def as_int(name, value):
        number = as_float(name, value)
        if not number.is_integer():
            raise ValueError(f"{name} must be an integer, got {value!r}")
        return int(number)

    n_samples = as_int("n_samples", n_samples)
    noise = as_float("noise", noise)
    data_seed = as_int("data_seed", data_seed)
    validation_split = as_float("validation_split", validation_split)
    if init_seed is not None:
        init_seed = as_int("init_seed", init_seed)
    if isinstance(hidden, (int, np.integer)):
        hidden = (hidden,)
    try:
        hidden = tuple(as_int("hidden layer size", h) for h in hidden)
    except TypeError:
        raise ValueError(f"hidden must be a tuple of layer sizes, got {hidden!r}") from None

    if not N_SAMPLES_RANGE[0] <= n_samples <= N_SAMPLES_RANGE[1]:
        raise ValueError(f"n_samples must be between {N_SAMPLES_RANGE[0]} and "
                         f"{N_SAMPLES_RANGE[1]}, got {n_samples}")
    if not NOISE_RANGE[0] <= noise <= NOISE_RANGE[1]:
        raise ValueError(f"noise must be between {NOISE_RANGE[0]} and "
                         f"{NOISE_RANGE[1]}, got {noise}")
    if data_seed < 0 or (init_seed is not None and init_seed < 0):
        raise ValueError("seeds must be non-negative integers")
    if not 1 <= len(hidden) <= MAX_LAYERS:
        raise ValueError(f"hidden must have 1 to {MAX_LAYERS} layers, got {len(hidden)}")
    if not all(UNITS_RANGE[0] <= h <= UNITS_RANGE[1] for h in hidden):
        raise ValueError(f"each hidden layer must have {UNITS_RANGE[0]} to "
                         f"{UNITS_RANGE[1]} units, got {hidden}")
    if not 0.0 <= validation_split <= VALIDATION_SPLIT_MAX:
        raise ValueError(f"validation_split must be between 0 and "
                         f"{VALIDATION_SPLIT_MAX}, got {validation_split}")
    return n_samples, noise, data_seed, hidden, validation_split, init_seed


def make(**options) -> MoonsTask:
    """Factory used by the landscapes registry: ``landscapes.get("moons", ...)``."""
    known = ("n_samples", "noise", "data_seed", "hidden", "validation_split", "init_seed")
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise ValueError(f"unknown moons option(s) {unknown}; valid: {', '.join(known)}")
    return MoonsTask(**options)
