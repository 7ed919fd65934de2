"""The Landscape base class: what every 2-D loss surface offers.

A landscape is a function f(x, y) together with everything a chart or a lesson
needs to show it: plot bounds, a good starting point, the minima and saddle
points worth marking, a formula and one sentence on what the surface teaches.

Points are NumPy arrays whose *last* axis holds (x, y). A single point has shape
(2,), a path has shape (steps, 2), a plotting grid has shape (rows, cols, 2).
``value`` drops the last axis, ``grad`` keeps it, so one call handles any of them.
"""

from __future__ import annotations

import numpy as np

from .options import check_options

MAX_GRID = 2000  # value_grid(n) builds n*n points; more than this is never needed on screen


def as_points(P) -> np.ndarray:
    """Convert P to a float64 array of shape (..., 2), or raise ValueError."""
    P = np.asarray(P, dtype=np.float64)
    if P.ndim == 0 or P.shape[-1] != 2:
        raise ValueError(f"Points must have shape (..., 2) (last axis = x, y); got shape {P.shape}.")
    return P


def _finish(array, shape) -> np.ndarray:
    """Return a fresh float64 array of exactly ``shape``.

    Formulas may give a plain number where an array is expected (the gradient of
    x**2 + y is the constant 1 in y); broadcasting fixes the shape. For a single
    point (shape ()) we return a NumPy scalar, which behaves like a float.
    """
    out = np.array(np.broadcast_to(np.asarray(array, dtype=np.float64), shape))
    return out[()] if out.ndim == 0 else out


class Landscape:
    """Base class. Subclasses set the class attributes below and write ``_value``/``_grad``.

    Subclasses with options list them in ``OPTIONS`` and may override ``configure``
    to compute option-dependent attributes (bounds, minima, latex, ...).
    """

    name = ""  # id used by landscapes.get(name)
    title = ""  # display name
    latex = ""  # formula, LaTeX
    teaches = ""  # one sentence: what this surface teaches
    bounds = ((-1.0, 1.0), (-1.0, 1.0))  # ((xmin, xmax), (ymin, ymax)) for plots
    start = (0.0, 0.0)  # a good default starting point
    minima = ()  # known minima worth marking, global ones first
    saddles = ()  # known saddle points
    min_value = None  # global minimum value, or None if unbounded/unknown
    axis_labels = ("x", "y")  # what the two coordinates mean
    dim = 2
    OPTIONS: dict = {}

    def __init__(self, **options):
        self.options = check_options(self.name, self.OPTIONS, options)
        self.configure(**self.options)
        # Class attributes are shared by all instances; copy them into fresh
        # per-instance arrays so that changing one landscape's start (say) in
        # place cannot change another's.
        self.bounds = tuple((float(lo), float(hi)) for lo, hi in self.bounds)
        self.start = np.array(self.start, dtype=np.float64).reshape(2)
        self.minima = np.array(self.minima, dtype=np.float64).reshape(-1, 2)
        self.saddles = np.array(self.saddles, dtype=np.float64).reshape(-1, 2)
        if self.min_value is not None:
            self.min_value = float(self.min_value)

    def configure(self, **options):
        """Hook for subclasses with options. ``options`` are already validated."""

    # --- the function itself -------------------------------------------------
    def _value(self, x, y):
        raise NotImplementedError

    def _grad(self, x, y):
        """Return (df/dx, df/dy)."""
        raise NotImplementedError

    def value(self, P):
        """f at points P of shape (..., 2); returns shape P.shape[:-1]."""
        P = as_points(P)
        # Overflow (Goldstein-Price far out) or log(0) in a custom formula should
        # give inf/nan silently, so the chart can still draw the rest.
        with np.errstate(all="ignore"):
            z = self._value(P[..., 0], P[..., 1])
            return _finish(z, P.shape[:-1])

    def grad(self, P):
        """Analytic gradient at points P of shape (..., 2); returns shape P.shape."""
        P = as_points(P)
        with np.errstate(all="ignore"):
            gx, gy = self._grad(P[..., 0], P[..., 1])
            shape = P.shape[:-1]
            return np.stack([_finish(gx, shape), _finish(gy, shape)], axis=-1)

    def __call__(self, P):
        return self.value(P)

    # --- conveniences for charts --------------------------------------------
    def value_grid(self, n: int = 200):
        """Return (X, Y, Z) on an n-by-n grid over ``bounds``; rows follow y.

        Z may contain nan or inf where the function is undefined or overflows.
        """
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 2 <= n <= MAX_GRID:
            raise ValueError(f"n must be an integer from 2 to {MAX_GRID}, got {n!r}.")
        (x0, x1), (y0, y1) = self.bounds
        X, Y = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
        Z = self.value(np.stack([X, Y], axis=-1))
        return X, Y, Z

    def __repr__(self):
        opts = ", ".join(f"{k}={v!r}" for k, v in self.options.items())
        return f"{type(self).__name__}({opts})"


def read_only(obj):
    """Mark every NumPy array held by ``obj`` (directly, or inside a tuple, list or dict attribute) read-only,
    and return ``obj``.

    For objects shared between sessions (``st.cache_resource`` hands every session the same landscape): a
    page that wrote into ``land.start`` or ``land.X`` by mistake would change what every other student sees;
    with this it raises ``ValueError: assignment destination is read-only`` instead."""
    def freeze(value):
        if isinstance(value, np.ndarray):
            value.flags.writeable = False
        elif isinstance(value, (tuple, list)):
            for v in value:
                freeze(v)
        elif isinstance(value, dict):
            for v in value.values():
                freeze(v)

    for value in vars(obj).values():
        freeze(value)
    return obj
