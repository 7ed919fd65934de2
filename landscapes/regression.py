"""Fitting a line to noisy data, seen as a loss surface over (slope, intercept).

The data set is the one from the Kerasy optimizer documentation, reproduced
exactly (same RandomState(0) calls in the same order):

    rnd = np.random.RandomState(0)
    X = np.c_[rnd.uniform(0, 1, size=(100, 1)), np.ones((100, 1))]
    y = X @ [[2], [1]] + rnd.normal(0, 1/10, size=(100, 1))
    w = rnd.randn(2, 1)          # the document's initial weights -> our `start`

Parameters are p = (slope w, intercept b) and the loss is the mean squared error

    L(p) = mean((X p - y)^2),    grad L(p) = (2/n) X^T (X p - y).
"""

from __future__ import annotations

import math

import numpy as np

from .base import Landscape, as_points
from .options import Number


class Regression(Landscape):
    name = "regression"
    title = "Linear regression (MSE)"
    latex = r"L(w, b) = \frac{1}{n}\sum_{i=1}^{n} \left(w\,x_i + b - y_i\right)^2"
    teaches = (
        "Training a model means walking downhill on its loss surface: here the learning rate "
        "decides whether a line fit converges slowly, quickly, or not at all."
    )
    axis_labels = ("slope w", "intercept b")
    OPTIONS = {
        "seed": Number(0, 0, 2**32 - 1, "random seed of the data set", integer=True),
        "n_samples": Number(100, 2, 100_000, "number of data points", integer=True),
        "noise": Number(0.1, 0.0, 10.0, "standard deviation of the noise on y"),
    }

    def configure(self, seed, n_samples, noise):
        # The Kerasy document's code, in the same order: the order of the random
        # draws decides the numbers, so do not reorder these lines.
        rnd = np.random.RandomState(seed)
        X = np.c_[rnd.uniform(0, 1, size=(n_samples, 1)), np.ones(shape=(n_samples, 1))]
        coeff = np.asarray([2, 1]).reshape(-1, 1)
        y = X.dot(coeff) + rnd.normal(loc=0.0, scale=noise, size=(n_samples, 1))
        w0 = rnd.randn(2, 1)

        self.X = X  # (n, 2): column 0 is x, column 1 is all ones (for the intercept)
        self.y = y.ravel()  # (n,)
        self.n_samples = n_samples
        self.start = w0.ravel()  # the document's initial weights (slope, intercept)
        self._full = self._statistics(np.arange(n_samples))

        best = np.linalg.lstsq(X, self.y, rcond=None)[0]
        self.minima = (best,)
        self.min_value = float(self.loss(best))
        self.bounds = self._view(best, self.start)

    # --- loss and gradient ----------------------------------------------------
    def _statistics(self, idx):
        """Averages that the loss needs: G = X^T X / m, h = X^T y / m, c = y^T y / m.

        Expanding the square, mean((X p - y)^2) = p^T G p - 2 p.h + c. With these
        three numbers the loss costs the same for 1 or 100 000 samples, so a
        200 x 200 plotting grid never builds a 40 000 x n residual matrix.
        """
        X, y = self.X[idx], self.y[idx]
        m = len(idx)
        return X.T @ X / m, X.T @ y / m, y @ y / m

    def _batch(self, idx):
        if idx is None:
            return self._full
        idx = np.asarray(idx)
        if idx.dtype == bool and idx.shape == (self.n_samples,):
            idx = np.flatnonzero(idx)  # a boolean mask selects samples too
        if idx.ndim != 1 or idx.size == 0 or not np.issubdtype(idx.dtype, np.integer):
            raise ValueError(
                f"idx must be a non-empty 1-D array of sample indices (integers) or a boolean mask "
                f"of length {self.n_samples}; got dtype {idx.dtype}, shape {idx.shape}."
            )
        if idx.min() < 0 or idx.max() >= self.n_samples:
            raise ValueError(f"Sample indices must be from 0 to {self.n_samples - 1}.")
        return self._statistics(idx)

    def loss(self, P, idx=None):
        """MSE at parameters P (..., 2) on the samples ``idx`` (None = all)."""
        return self.loss_and_grad(P, idx)[0]

    def grad(self, P, idx=None):
        """(2/m) X_idx^T (X_idx p - y_idx) at parameters P (..., 2); shape P.shape."""
        return self.loss_and_grad(P, idx)[1]

    def loss_and_grad(self, P, idx=None):
        P = as_points(P)
        G, h, c = self._batch(idx)
        with np.errstate(all="ignore"):
            GP = P @ G  # G is symmetric, so this is G p for every point
            loss = np.einsum("...i,...i->...", P, GP) - 2 * (P @ h) + c
            # Rounding can make an exact fit come out as -1e-17; a squared error is never negative.
            loss = np.maximum(loss, 0.0)
            grad = 2 * (GP - h)
        return (loss[()] if loss.ndim == 0 else loss), grad

    def value(self, P):
        return self.loss(P)

    def predict(self, P, x):
        """Predicted y = w x + b. Shape P.shape[:-1] + np.shape(x)."""
        P, x = as_points(P), np.asarray(x, dtype=np.float64)
        expand = P.shape[:-1] + (1,) * x.ndim
        return P[..., 0].reshape(expand) * x + P[..., 1].reshape(expand)

    @staticmethod
    def _view(best, start):
        """A square view centred on the best fit that shows the start with some margin."""
        half = 1.3 * float(np.max(np.abs(start - best))) + 0.5
        return tuple(
            (math.floor(2 * (m - half)) / 2, math.ceil(2 * (m + half)) / 2) for m in best
        )
