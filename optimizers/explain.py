"""Why did this step go there? One update of a recorded trajectory, taken apart.

``explain_step(traj, k)`` replays update k+1 (from ``params[k]`` to
``params[k+1]``) with the engine itself, from the state the trajectory
recorded, and returns every intermediate number: the gradient, each slot
before and after, bias-correction factors, the denominator, the effective
per-axis step size (step / −gradient) and the actual step, plus the update
rule as equations with those numbers substituted.

Each equation (:class:`Equation`) carries the numbers it shows *and* the
arithmetic its formula states (``fn``), and, where the engine has the same
quantity, the engine's value (``expect``: a slot after the update, the
processed gradient, the new weights). Tests apply every ``fn`` to its shown
numbers and compare with ``expect``, so the inspector shows the formula that
was actually computed, with numbers that add up. The rule-specific equations
are written in each rule's module (``TEACHING.explain``); this module does
what every rule shares: clipping, weight decay, and the final step.
"""
from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .base import State

_PLACEHOLDER = re.compile(r"<(\w+)>")


def vec(x) -> str:
    """A number or a 2-vector as LaTeX."""
    a = np.asarray(x, dtype=np.float64).ravel()
    parts = [num(v) for v in a]
    return parts[0] if len(parts) == 1 else r"\begin{pmatrix}" + r" \\ ".join(parts) + r"\end{pmatrix}"


def num(v: float) -> str:
    """One number as LaTeX: 6 significant digits, ×10^k when tiny or huge."""
    v = float(v)
    if not np.isfinite(v):
        return r"\text{" + str(v) + "}"
    if v == 0:
        return "0"
    if 1e-3 <= abs(v) < 1e4:
        return f"{v:.6g}"
    m, e = f"{v:.5e}".split("e")
    m = m.rstrip("0").rstrip(".")
    return rf"{m}\times10^{{{int(e)}}}"


@dataclass(frozen=True)
class Equation:
    """One line of the inspector: ``lhs op rule = numbers = result``.

    ``numbers`` is LaTeX with ``<name>`` placeholders, filled from ``values``;
    ``fn(**values)`` is the arithmetic the rule states, and ``result`` is what it
    gives. ``expect`` is the engine's own value of ``lhs``, when it has one."""

    lhs: str
    rule: str
    numbers: str
    values: dict
    fn: Callable
    result: np.ndarray
    expect: np.ndarray | None = None
    op: str = "="

    def latex(self) -> str:
        filled = _PLACEHOLDER.sub(lambda m: vec(self.values[m.group(1)]), self.numbers)
        return rf"{self.lhs} {self.op} {self.rule} = {filled} = {vec(self.result)}"

    def placeholders(self) -> set[str]:
        return set(_PLACEHOLDER.findall(self.numbers))

    def arguments(self) -> set[str]:
        return set(inspect.signature(self.fn).parameters)


@dataclass
class StepExplanation:
    k: int                      # the update moves params[k] → params[k+1]
    t: int                      # Keras's 1-based step used in bias corrections
    flavor: str
    w: np.ndarray               # the weights before the update
    g: np.ndarray               # the gradient as recorded (before clipping)
    w_new: np.ndarray
    learning_rate: float
    slots_before: dict
    slots_after: dict
    g_rule: np.ndarray = None   # the gradient the rule used (after clipping, and PyTorch's L2)
    w_rule: np.ndarray = None   # the weights the rule started from (after decoupled decay)
    quantities: list = field(default_factory=list)   # (label, latex symbol, value)
    equations: list = field(default_factory=list)    # Equation, in order
    slot_labels: dict = field(default_factory=dict)  # slot → "momentum v"
    slot_meanings: dict = field(default_factory=dict)
    momentum_arrow: tuple | None = None              # (label, vector, exact) or None

    @property
    def step(self) -> np.ndarray:
        return self.w_new - self.w

    @property
    def effective_step_size(self) -> np.ndarray:
        """Per axis: how far the step went per unit of (negative) gradient: Δw / (−g).

        For plain gradient descent this is η on both axes; adaptive methods make
        it differ per axis, momentum makes it drift from step to step."""
        with np.errstate(all="ignore"):
            return np.where(self.g != 0, -self.step / self.g, np.nan)

    @property
    def lines(self) -> list[str]:
        """The equations as LaTeX, then the step they add up to (from the weights before any decay)."""
        before = r"w_{t-1}" if np.array_equal(self.w_rule, self.w) else r"w_{t-1}\,(\text{before the decay})"
        return [e.latex() for e in self.equations] + [
            rf"\Delta w = w_t - {before} = {vec(self.step)},\qquad w_t = {vec(self.w_new)}"]

    def eq(self, lhs: str, rule: str, numbers: str, fn: Callable, expect=None, op: str = "=", **values):
        """Append an :class:`Equation` and return its result (``fn(**values)``)."""
        with np.errstate(all="ignore"):
            result = np.asarray(fn(**values), dtype=np.float64)
        self.equations.append(Equation(lhs, rule, numbers, dict(values), fn, result,
                                       None if expect is None else np.asarray(expect, dtype=np.float64), op))
        return result


def _state_at(traj, k, index):
    slots = {name: arr[(k,) + index] for name, arr in traj.slots.items()}
    return State(step=k, iterations=k, slots=slots, batch_ndim=0)


def explain_step(traj, k: int, index=()) -> StepExplanation:
    """Explain update ``k+1`` of run ``index`` of a trajectory recorded with ``record="full"``."""
    from .teaching import teaching

    if traj.record != "full":
        raise ValueError("explain_step() needs a trajectory recorded with record='full'.")
    if not 0 <= k < traj.steps:
        raise ValueError(f"explain_step(): step must be in [0, {traj.steps - 1}]; received {k}.")
    opt = traj.optimizer
    if opt.gradient_accumulation_steps or opt.use_ema:
        raise ValueError("The inspector does not explain gradient accumulation or EMA runs.")
    index = index if isinstance(index, tuple) else (index,)
    if any(isinstance(v, np.ndarray) for v in opt.hp.values()) or isinstance(opt.learning_rate, np.ndarray):
        raise ValueError("explain_step() explains runs with scalar hyperparameters.")
    w = traj.params[(k,) + index]
    g = traj.grads[(k,) + index]
    state = _state_at(traj, k, index)
    with np.errstate(all="ignore"):
        w_new, new_state = opt.update(g, state, w)
        lr_k = opt.learning_rate_at(k)
        (g_rule,), (w_rule,) = opt._prepare([g], [w], lr_k, k, 0)
    lr = float(np.asarray(lr_k))
    ex = StepExplanation(k=k, t=k + 1, flavor=opt.flavor, w=w, g=g, w_new=w_new, learning_rate=lr,
                         slots_before=dict(state.slots), slots_after=dict(new_state.slots),
                         g_rule=g_rule, w_rule=w_rule)
    info = teaching(opt)
    for slot in ex.slots_after:
        ex.slot_labels[slot] = info.slot_label(slot, opt.flavor)
        ex.slot_meanings[slot] = info.slot(slot, opt.flavor).meaning
    with np.errstate(all="ignore"):
        _clipping(ex, opt)
        _weight_decay(ex, opt)
        info.explain(ex, opt)
        if info.momentum_arrow is not None:
            ex.momentum_arrow = info.momentum_arrow(ex, opt)
    return ex


def _clipping(ex, opt):
    g = ex.g
    if opt.clipnorm is not None and opt.clipnorm > 0:
        ex.eq("g_t", r"g_t\,\frac{c}{\max(\lVert g_t\rVert_2,\ c)}", r"<g>\,\frac{<c>}{\max(<n>,\ <c>)}",
              lambda g, c, n: g * c / np.maximum(n, c), op=r"\leftarrow", g=g, c=float(opt.clipnorm),
              n=float(np.sqrt(np.sum(np.square(g)))), expect=_clipped(ex, opt))
    elif opt.global_clipnorm is not None and opt.global_clipnorm > 0:
        ex.eq("g_t", r"g_t\,c\,\min\!\big(\tfrac{1}{N}, \tfrac{1}{c}\big)",
              r"<g>\cdot <c>\,\min\!\big(\tfrac{1}{<n>}, \tfrac{1}{<c>}\big)",
              lambda g, c, n: g * (c * np.minimum(1.0 / n, 1.0 / c)), op=r"\leftarrow", g=g,
              c=float(opt.global_clipnorm), n=float(np.sqrt(np.sum(np.square(g)))), expect=_clipped(ex, opt))
    elif opt.clipvalue is not None and opt.clipvalue > 0:
        ex.eq("g_t", r"\operatorname{clip}(g_t, -c, c)", r"\operatorname{clip}(<g>, -<c>, <c>)",
              lambda g, c: np.clip(g, -c, c), op=r"\leftarrow", g=g, c=float(opt.clipvalue),
              expect=_clipped(ex, opt))


def _clipped(ex, opt):
    (g,) = opt._clip([ex.g], 0)
    return g


def _weight_decay(ex, opt):
    wd = opt.weight_decay
    if wd is None or opt._decay_in_rule():  # the rule's own equations show its decay where it acts
        return
    if opt._coupled_weight_decay():  # PyTorch's L2: into the gradient
        ex.eq("g_t", r"g_t + \lambda\, w_{t-1}", r"<g> + <lam>\,<w>", lambda g, lam, w: g + lam * w,
              op=r"\leftarrow", g=_clipped(ex, opt), lam=float(wd), w=ex.w, expect=ex.g_rule)
        return
    factor = opt._weight_decay_factor(np.asarray(opt.learning_rate_at(ex.k)), ex.k)
    multiplier = getattr(opt, "decay_multiplier", None)
    if multiplier is not None and opt.flavor == "textbook":  # AdamW as Loshchilov & Hutter write it
        eta_t, peak = multiplier(ex.k)
        if peak is None:
            ex.quantities.append(("schedule multiplier η_t", r"\eta_t", eta_t))
            sym = r"\eta_t"
        else:
            ex.eq(r"\eta_t", r"\eta_k / \alpha", r"<lr> / <peak>", lambda lr, peak: lr / peak,
                  lr=ex.learning_rate, peak=peak, expect=factor)
            sym = r"\eta_t"
        ex.eq("w_{t-1}", rf"w_{{t-1}} - {sym}\,\lambda\, w_{{t-1}}", r"<w> - <eta>\cdot <lam>\,<w>",
              lambda w, eta, lam: w - w * lam * eta, op=r"\leftarrow", w=ex.w, eta=float(factor), lam=float(wd),
              expect=ex.w_rule)
        return
    ex.eq("w_{t-1}", r"w_{t-1} - \eta\,\lambda\, w_{t-1}", r"<w> - <lr>\cdot <lam>\,<w>",
          lambda w, lr, lam: w - w * lam * lr, op=r"\leftarrow", w=ex.w, lr=float(factor), lam=float(wd),
          expect=ex.w_rule)
