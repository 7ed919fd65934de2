"""Run axes and variable axes, for rules whose arithmetic depends on a variable's shape.

A parameter array may carry leading *run* axes (``init(params, batch_ndim=k)``):
``(200, 2)`` with k = 1 is 200 independent runs of a 2-vector. Most rules are
elementwise and never need to know k. Five are not:

- Lamb's trust ratio and Adafactor's relative step use norms/RMS over a whole
  variable, i.e. over every axis *after* the run axes;
- Adafactor factors the second moment of a variable with ≥ 2 axes over its
  last two axes; Muon orthogonalises a 2-D variable over its last two axes,
  and takes an AdamW step for every other variable.

The base class hands ``_rule`` one variable with its run axes but not k.
``RunAxes`` (a mixin placed before ``Optimizer``) makes k available for the
duration of each ``init``/``update`` call through a context variable, so the
rules stay pure and an optimizer object can serve states with different k.
It also drops, at ``init``, slots that no variable uses (Adafactor's row and
column factors when nothing is factored, Muon's AdamW velocity when every
variable is a matrix); a variable that does not use a slot some other
variable of the same list uses gets a placeholder of zeros, one per run
(Keras keeps a scalar 0 for it), which its update leaves unchanged.
"""
from __future__ import annotations

import contextvars

import numpy as np

from .base import State, _as_list

_RUN_NDIM = contextvars.ContextVar("descent_lab_run_ndim", default=0)


def run_ndim() -> int:
    """Number of leading run axes of the variable being initialised or updated."""
    return _RUN_NDIM.get()


def var_ndim(w) -> int:
    """Number of axes of the variable itself (Keras's ``len(variable.shape)``)."""
    return np.ndim(w) - run_ndim()


def var_axes(w) -> tuple:
    """The axes of ``w`` that belong to the variable (not the run axes)."""
    return tuple(range(run_ndim(), np.ndim(w)))


def placeholder(p):
    """What a variable keeps in a slot it does not use: one zero per run."""
    return np.zeros(np.shape(p)[:run_ndim()])


def mT(x):
    """Swap the last two axes (a batched matrix transpose)."""
    return np.swapaxes(x, -1, -2)


def torch_lerp(start, end, weight):
    """torch.lerp's formula: start + w(end − start) for w < ½, else end − (end − start)(1 − w)."""
    diff = end - start
    return np.where(np.less(weight, 0.5), start + weight * diff, end - diff * (1.0 - weight))


class RunAxes:
    """Mixin: exposes ``run_ndim()`` during ``init``/``update`` and drops unused slots."""

    # The rule treats each variable as a whole (norms, factors, matrix steps): train() must hand it the
    # network's tensors one by one, not one flat vector (Keras's variables).
    per_variable = True

    def _slot_used(self, name: str, p) -> bool:
        """Whether variable ``p`` (with run axes) uses slot ``name``; called during ``init``."""
        return True

    def init(self, params, batch_ndim: int = 0) -> State:
        token = _RUN_NDIM.set(int(batch_ndim))
        try:
            state = super().init(params, batch_ndim)
            _, plist = _as_list(params)
            unused = [n for n in self._slot_names() if not any(self._slot_used(n, p) for p in plist)]
        finally:
            _RUN_NDIM.reset(token)
        if not unused:
            return state
        slots = {k: v for k, v in state.slots.items() if k not in unused}
        return State(step=state.step, iterations=state.iterations, slots=slots, batch_ndim=state.batch_ndim)

    def update(self, grads, state: State, params):
        token = _RUN_NDIM.set(int(state.batch_ndim))
        try:
            return super().update(grads, state, params)
        finally:
            _RUN_NDIM.reset(token)
