"""The base optimizer: what every update rule shares, in Keras 3's order.

Keras 3 keeps clipping, weight decay, gradient accumulation, the EMA of the
weights and the step counter in one base class, and each optimizer only
writes its ``update_step``. We do the same, but as pure functions of
``(grads, state, params)``: nothing is mutated, every call returns new arrays.

One ``update`` call is one Keras ``apply()`` call (docs/maths.md, "Order of operations"):

1. divide by ``loss_scale_factor``;
2. gradient accumulation (on micro-steps add g to the accumulator and skip
   3–5, but still do 6–7; else use the mean of the window);
3. clipping (``clipnorm`` per tensor, ``global_clipnorm``, ``clipvalue``);
4. decoupled weight decay ``w ← w − w · wd · η`` on the pre-update weights;
5. the optimizer's own rule (``_rule``), with ``t = iterations + 1``;
6. the EMA of the weights (and overwrite when due);
7. the raw counter advances.

Vectorizing across runs: leading axes of the parameters may index
independent runs (``init(params, batch_ndim=k)``). Hyperparameters may be
arrays that broadcast against the parameters, so 200 learning rates are one
NumPy computation. Norms for clipping are then taken per run.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from . import schedules as _schedules

FLAVORS = ("keras", "textbook", "pytorch")


# --------------------------------------------------------------------------- #
# Hyperparameter specs: one source for validation, sliders and the maths page #
# --------------------------------------------------------------------------- #
@dataclass(frozen=True)
class HyperParam:
    """One hyperparameter of one optimizer flavour.

    ``low``/``high`` bound the *valid* values (``low_open``/``high_open`` make a
    bound exclusive); ``ui_low``/``ui_high`` and ``log`` describe a sensible
    slider. ``kind`` is ``"float"`` or ``"bool"``.
    """

    name: str
    default: Any
    help: str
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    log: bool = False
    ui_low: float | None = None
    ui_high: float | None = None
    kind: str = "float"
    symbol: str = ""

    def range_text(self) -> str:
        if self.kind == "bool":
            return "True or False"
        lo = "-∞" if self.low is None else f"{self.low:g}"
        hi = "∞" if self.high is None else f"{self.high:g}"
        left = "(" if (self.low_open or self.low is None) else "["
        right = ")" if (self.high_open or self.high is None) else "]"
        return f"{left}{lo}, {hi}{right}"

    def check(self, value, owner: str):
        """Return the validated value (float, bool or float64 array); raise ValueError otherwise."""
        if self.kind == "bool":
            if isinstance(value, (bool, np.bool_)):
                return bool(value)
            raise ValueError(f"{owner}: `{self.name}` must be True or False; received {value!r}.")
        if isinstance(value, (bool, np.bool_)) or value is None or isinstance(value, str):
            raise ValueError(f"{owner}: `{self.name}` must be a number in {self.range_text()}; received {value!r}.")
        try:
            arr = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"{owner}: `{self.name}` must be a number in {self.range_text()}; "
                             f"received {value!r}.") from None
        bad = ~np.isfinite(arr)
        if self.low is not None:
            bad |= (arr <= self.low) if self.low_open else (arr < self.low)
        if self.high is not None:
            bad |= (arr >= self.high) if self.high_open else (arr > self.high)
        if np.any(bad):
            shown = value if arr.ndim == 0 else arr[bad].flat[0]
            raise ValueError(f"{owner}: `{self.name}` must be in {self.range_text()}; received {shown!r}.")
        return float(arr) if arr.ndim == 0 else arr


def lr_param(default, ui_low=1e-5, ui_high=10.0):
    return HyperParam("learning_rate", default, "step size η: how far each update moves",
                      low=0.0, log=True, ui_low=ui_low, ui_high=ui_high, symbol=r"\eta")


def eps_param(default, help="ε: keeps the denominator away from zero"):
    return HyperParam("epsilon", default, help, low=0.0, log=True, ui_low=1e-12, ui_high=1.0,
                      symbol=r"\epsilon")


# Arguments every Keras 3 optimizer accepts (docs/maths.md, "Common arguments"), with their checks.
_CLIP_HELP = "gradient clipping threshold (None = off)"
COMMON_PARAMS = {
    "weight_decay": HyperParam("weight_decay", None, "decoupled decay: w ← w − η·wd·w before the rule",
                               low=0.0, log=True, ui_low=1e-5, ui_high=1.0, symbol=r"\lambda"),
    "clipnorm": HyperParam("clipnorm", None, "clip each tensor's gradient to this L2 norm " + _CLIP_HELP,
                           low=0.0, log=True, ui_low=0.01, ui_high=100.0),
    "clipvalue": HyperParam("clipvalue", None, "clip each gradient entry to ±value " + _CLIP_HELP,
                            low=0.0, log=True, ui_low=0.01, ui_high=100.0),
    "global_clipnorm": HyperParam("global_clipnorm", None, "clip all gradients together to this L2 norm",
                                  low=0.0, log=True, ui_low=0.01, ui_high=100.0),
    "ema_momentum": HyperParam("ema_momentum", 0.99, "momentum of the weights' moving average",
                               low=0.0, high=1.0),
    "loss_scale_factor": HyperParam("loss_scale_factor", None, "gradients are divided by it first",
                                    low=0.0, low_open=True),
}
_OTHER_COMMON = ("learning_rate", "use_ema", "ema_overwrite_frequency", "gradient_accumulation_steps",
                 "name", "decay", "flavor")


# --------------------------------------------------------------------------- #
# State                                                                        #
# --------------------------------------------------------------------------- #
@dataclass(frozen=True)
class State:
    """Optimizer state. Slots use Keras's names (``momentum``, ``velocity``…).

    ``step`` is Keras's raw counter ``_iterations`` (``apply`` calls so far);
    ``iterations`` is the public property, which counts real updates when
    gradient accumulation is on. For a single-array parameter each slot is an
    array; for a list of parameters it is a list of arrays in the same order.
    Scalars shared by all variables (Nadam's ``u_product``) are plain arrays.
    """

    step: int
    iterations: int
    slots: Mapping[str, Any] = field(default_factory=dict)
    batch_ndim: int = 0

    def __getitem__(self, name):
        return self.slots[name]

    def __contains__(self, name):
        return name in self.slots

    def keys(self):
        return self.slots.keys()


# --------------------------------------------------------------------------- #
# The base optimizer                                                           #
# --------------------------------------------------------------------------- #
class Optimizer:
    """Base class. Subclasses set ``name``, ``HYPERPARAMS``, ``LATEX``, ``NOTES`` and ``TEACHING``
    (what the app teaches about them) and implement ``_slot_names`` and ``_rule``."""

    name = "Optimizer"
    aliases: tuple[str, ...] = ()
    HYPERPARAMS: dict[str, list[HyperParam]] = {}
    LATEX: dict[str, str] = {}
    NOTES: dict[str, str] = {}
    GLOBAL_SLOTS: tuple[str, ...] = ()
    # App options per flavour: switches the app offers that are not arguments of Keras, the paper or torch
    # (Muon's ``as_matrix``). Not in ``spec`` (which lists the real arguments); accepted by ``__init__``,
    # kept in ``hp`` and edited, linked and exported with the hyperparameters (``registry.settings_spec``).
    OPTIONS: dict[str, list[HyperParam]] = {}
    TEACHING = None  # every rule module sets its own ``teaching.Teaching`` record

    def __init__(self, flavor: str = "keras", **kwargs):
        if flavor not in self.flavors():
            raise ValueError(f"{self.name}: unknown flavor {flavor!r}. Valid flavours: {', '.join(self.flavors())}.")
        self.flavor = flavor
        specs = {p.name: p for p in self.HYPERPARAMS[flavor] + self.options(flavor)}
        valid = sorted(set(specs) | set(COMMON_PARAMS) | set(_OTHER_COMMON))
        for key in kwargs:
            if key not in valid:
                hint = " Keras 3 has no `lr` alias: use `learning_rate`." if key == "lr" else ""
                raise ValueError(f"{self.name}: unknown argument `{key}`.{hint} "
                                 f"Valid arguments: {', '.join(k for k in valid if k != 'flavor')}.")
        if "decay" in kwargs:
            # Keras 3 keeps the Keras-2 `decay` name only to warn that it does nothing.
            kwargs.pop("decay")
            warnings.warn(f"{self.name}: `decay` is deprecated in Keras 3 and is ignored; "
                          "use a learning-rate schedule instead.", stacklevel=3)

        # The optimizer's own hyperparameters, with defaults.
        self.hp: dict[str, Any] = {}
        for name, spec in specs.items():
            if name == "learning_rate" or name in COMMON_PARAMS:
                continue
            value = kwargs.get(name, spec.default)
            if value is None:
                raise ValueError(f"{self.name}: `{name}` cannot be None; it must be in {spec.range_text()}.")
            self.hp[name] = spec.check(value, self.name)
        self._validate_extra()

        # Learning rate: a float (or array), a schedule, or a zero-argument callable.
        self.has_learning_rate = "learning_rate" in specs
        lr = kwargs.get("learning_rate", specs["learning_rate"].default if self.has_learning_rate else 1.0)
        if not self.has_learning_rate and "learning_rate" in kwargs:
            raise ValueError(f"{self.name} ({flavor}) has no learning rate: the paper's rule has none. "
                             "Use flavor='keras' to scale the step by a learning rate.")
        if isinstance(lr, dict):
            lr = _schedules.get(lr)
        if isinstance(lr, _schedules.LearningRateSchedule) or (callable(lr) and not isinstance(lr, np.ndarray)):
            self.learning_rate = lr
        else:
            self.learning_rate = specs["learning_rate"].check(lr, self.name) if self.has_learning_rate else 1.0

        # Common Keras arguments.
        # A subclass may list a common argument in its own spec to change its
        # default (AdamW: weight_decay=0.004, which may then not be None).
        common = {}
        for name, spec in COMMON_PARAMS.items():
            spec = specs.get(name, spec)
            value = kwargs.get(name, spec.default)
            if value is None and name in specs:
                raise ValueError(f"{self.name}: `{name}` cannot be None; it must be in {spec.range_text()}.")
            common[name] = None if value is None else spec.check(value, self.name)
        self.weight_decay = common["weight_decay"]
        self.clipnorm = common["clipnorm"]
        self.clipvalue = common["clipvalue"]
        self.global_clipnorm = common["global_clipnorm"]
        n_clip = sum(v is not None for v in (self.clipnorm, self.clipvalue, self.global_clipnorm))
        if n_clip > 1:
            raise ValueError(f"{self.name}: only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set.")
        self.loss_scale_factor = common["loss_scale_factor"]
        self.ema_momentum = common["ema_momentum"]
        self.use_ema = kwargs.get("use_ema", False)
        if not isinstance(self.use_ema, (bool, np.bool_)):
            raise ValueError(f"{self.name}: `use_ema` must be True or False; received {self.use_ema!r}.")
        self.ema_overwrite_frequency = self._positive_int(kwargs.get("ema_overwrite_frequency"),
                                                          "ema_overwrite_frequency", 1)
        self.gradient_accumulation_steps = self._positive_int(kwargs.get("gradient_accumulation_steps"),
                                                              "gradient_accumulation_steps", 2)
        self.display_name = kwargs.get("name") or self.name
        # No accumulation, EMA or loss scaling: update() may take its short path.
        self._plain = not (self.gradient_accumulation_steps or self.use_ema or self.loss_scale_factor is not None)

    # -- construction helpers ------------------------------------------------
    def _positive_int(self, value, name, minimum):
        if value is None:
            return None
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < minimum:
            raise ValueError(f"{self.name}: `{name}` must be an integer ≥ {minimum} (or None); received {value!r}.")
        return int(value)

    def _validate_extra(self):
        """Hook for checks that involve several hyperparameters."""

    @classmethod
    def flavors(cls) -> tuple[str, ...]:
        return tuple(f for f in FLAVORS if f in cls.HYPERPARAMS)

    @classmethod
    def spec(cls, flavor: str = "keras") -> list[HyperParam]:
        """The hyperparameters of this optimizer flavour, for sliders and docs."""
        return list(cls.HYPERPARAMS[flavor])

    @classmethod
    def options(cls, flavor: str = "keras") -> list[HyperParam]:
        """The app options of this flavour (see ``OPTIONS``): not arguments of the real optimizer."""
        return list(cls.OPTIONS.get(flavor, ()))

    @property
    def latex(self) -> str:
        return self.LATEX[self.flavor]

    @property
    def config(self) -> dict:
        """Every hyperparameter in use (the learning rate as given)."""
        cfg = {"learning_rate": self.learning_rate} if self.has_learning_rate else {}
        cfg.update(self.hp)
        for name in ("weight_decay", "clipnorm", "clipvalue", "global_clipnorm", "loss_scale_factor"):
            if getattr(self, name) is not None:
                cfg[name] = getattr(self, name)
        if self.use_ema:
            cfg.update(use_ema=True, ema_momentum=self.ema_momentum,
                       ema_overwrite_frequency=self.ema_overwrite_frequency)
        if self.gradient_accumulation_steps:
            cfg["gradient_accumulation_steps"] = self.gradient_accumulation_steps
        return cfg

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.config.items())
        flavor = "" if self.flavor == "keras" else f", flavor={self.flavor!r}"
        return f"{self.name}({args}{flavor})"

    # -- learning rate -------------------------------------------------------
    def learning_rate_at(self, step):
        """η used by the update whose raw counter is ``step`` (Keras: ``schedule(_iterations)``)."""
        lr = self.learning_rate
        if isinstance(lr, _schedules.LearningRateSchedule):
            return lr(step)
        if callable(lr):
            return np.asarray(lr(), dtype=np.float64)
        return lr

    # -- slots ---------------------------------------------------------------
    def _slot_names(self) -> tuple[str, ...]:
        """Per-variable slots this configuration needs (Keras names)."""
        raise NotImplementedError

    def _init_global(self) -> dict:
        """Scalars shared by all variables (Nadam's ``u_product``)."""
        return {}

    def _init_slot(self, name, p):
        """Initial value of one of the rule's own slots (``name`` is one of ``_slot_names()``)."""
        return np.zeros_like(p)

    def init(self, params, batch_ndim: int = 0) -> State:
        """Fresh state for ``params`` (an array or a list of arrays).

        ``batch_ndim`` leading axes are independent runs: clipping norms are
        then computed per run.

        The rule's own slots come from ``_init_slot``; the base class's slots do
        not: it owns them and their initial values, as Keras's base optimizer
        does (``gradient_accumulator`` starts at 0, ``average`` at the weights).
        """
        single, plist = _as_list(params)
        slots = {}
        for name in self._slot_names():
            per_var = [self._init_slot(name, p) for p in plist]
            slots[name] = per_var[0] if single else per_var
        if self.gradient_accumulation_steps:
            slots["gradient_accumulator"] = np.zeros_like(plist[0]) if single else [np.zeros_like(p) for p in plist]
        if self.use_ema:
            slots["average"] = plist[0].copy() if single else [p.copy() for p in plist]
        slots.update(self._init_global())
        return State(step=0, iterations=0, slots=slots, batch_ndim=int(batch_ndim))

    # -- the update ----------------------------------------------------------
    def update(self, grads, state: State, params):
        """One Keras ``apply()``: returns ``(new_params, new_state)``; inputs are never mutated."""
        if (self._plain and type(params) is np.ndarray and type(grads) is np.ndarray
                and params.dtype == np.float64 and grads.shape == params.shape):
            return self._update_one_array(grads, state, params)
        single, plist = _as_list(params)
        _, glist = _as_list(grads)
        if len(glist) != len(plist):
            raise ValueError(f"{self.name}: got {len(glist)} gradients for {len(plist)} parameters.")
        for g, p in zip(glist, plist):
            if g.shape != p.shape:
                raise ValueError(f"{self.name}: gradient shape {g.shape} does not match parameter shape {p.shape}.")
        n = len(plist)
        per_var = [{k: (v if single else v[i]) for k, v in state.slots.items() if k not in self.GLOBAL_SLOTS}
                   for i in range(n)]
        glob = {k: state.slots[k] for k in self.GLOBAL_SLOTS}
        k = state.step
        acc_n = self.gradient_accumulation_steps
        iterations = k // acc_n if acc_n else k

        with np.errstate(all="ignore"):  # divergence is reported by the runner, not as warnings
            if self.loss_scale_factor is not None:
                glist = [g / self.loss_scale_factor for g in glist]
            new_params, do_update = list(plist), True
            if acc_n:
                acc = [s["gradient_accumulator"] for s in per_var]
                if (k + 1) % acc_n == 0:
                    glist = [(g + a) / acc_n for g, a in zip(glist, acc)]
                    for s, a in zip(per_var, acc):
                        s["gradient_accumulator"] = np.zeros_like(a)
                else:
                    do_update = False
                    for s, g, a in zip(per_var, glist, acc):
                        s["gradient_accumulator"] = a + g
            if do_update:
                lr = self.learning_rate_at(k)
                glist, new_params = self._prepare(glist, new_params, lr, k, state.batch_ndim)
                t = float(iterations + 1)
                glob = self._pre_step(glob, t)
                for i in range(n):
                    new_params[i], per_var[i] = self._rule(glist[i], new_params[i], per_var[i], lr, t, glob)
            if self.use_ema:
                mom = 0.0 if iterations == 0 else self.ema_momentum
                for i in range(n):
                    per_var[i]["average"] = mom * per_var[i]["average"] + (1 - mom) * new_params[i]
                f = self.ema_overwrite_frequency
                if f and (iterations + 1) % f == 0:
                    new_params = [s["average"] for s in per_var]

        slots = {}
        for name in state.slots:
            if name in self.GLOBAL_SLOTS:
                slots[name] = glob[name]
            else:
                vals = [s[name] for s in per_var]
                slots[name] = vals[0] if single else vals
        new_step = k + 1
        new_state = State(step=new_step, iterations=new_step // acc_n if acc_n else new_step, slots=slots,
                          batch_ndim=state.batch_ndim)
        return (new_params[0] if single else new_params), new_state

    def _update_one_array(self, g, state: State, w):
        """``update`` for the common case (one float64 array; no accumulation, EMA or loss
        scaling): the same arithmetic in the same order as the general path, with less
        Python around it. Training a network calls this thousands of times a second."""
        k = state.step
        gs = self.GLOBAL_SLOTS
        s = dict(state.slots)
        glob = {n: s.pop(n) for n in gs} if gs else {}
        with np.errstate(all="ignore"):
            lr = self.learning_rate_at(k)
            if (self.weight_decay is not None or self.clipnorm is not None or self.global_clipnorm is not None
                    or self.clipvalue is not None):
                (g,), (w,) = self._prepare([g], [w], lr, k, state.batch_ndim)
            t = float(k + 1)
            if gs:
                glob = self._pre_step(glob, t)
            w, s = self._rule(g, w, s, lr, t, glob)
        if gs:
            s.update(glob)
        return w, State(step=k + 1, iterations=k + 1, slots=s, batch_ndim=state.batch_ndim)

    def _prepare(self, glist, plist, lr, step, batch_ndim):
        """Clipping, then weight decay (Keras's order): ``(gradients the rule sees, weights it starts from)``.

        Decoupled decay shrinks the pre-update weights, ``w ← w − w·wd·η``; PyTorch's L2 adds
        ``wd·w`` to the gradient instead. The inspector replays this same function."""
        glist = self._clip(glist, batch_ndim)
        if self.weight_decay is not None:
            if self._coupled_weight_decay():
                # torch.optim's weight_decay is L2: it is added to the gradient.
                glist = [g + self.weight_decay * p for g, p in zip(glist, plist)]
            else:
                wd_lr = self._weight_decay_factor(lr, step)
                plist = [p - p * self.weight_decay * wd_lr for p in plist]
        return glist, plist

    def _coupled_weight_decay(self) -> bool:
        """True when ``weight_decay`` means L2 added to the gradient (PyTorch, except AdamW)."""
        return self.flavor == "pytorch"

    def _weight_decay_factor(self, lr, step):
        """The η that multiplies ``weight_decay`` (Keras: the current learning rate)."""
        return lr

    def _decay_in_rule(self) -> bool:
        """True when the rule applies ``weight_decay`` itself (in ``_rule``), so the base class's is off."""
        return False

    # -- clipping (docs/maths.md, "Clipping") ----------------------------------
    def _clip(self, glist, batch_ndim):
        if self.clipnorm is not None and np.any(self.clipnorm > 0):
            c = self.clipnorm
            out = []
            for g in glist:
                axes = tuple(range(batch_ndim, g.ndim))
                norm = np.sqrt(np.sum(np.square(g), axis=axes, keepdims=True))
                out.append(g * c / np.maximum(norm, c))
            return out
        if self.global_clipnorm is not None and np.any(self.global_clipnorm > 0):
            c = self.global_clipnorm
            sq = sum(np.sum(np.square(g), axis=tuple(range(batch_ndim, g.ndim))) for g in glist)
            norm = np.sqrt(sq)
            # Finite norms give min(1/N, 1/c)·c; inf or NaN norms make the scale NaN on purpose (Keras).
            scale = c * np.minimum(1.0 / norm, 1.0 / c) + (norm - norm)
            return [g * np.reshape(scale, np.shape(scale) + (1,) * (g.ndim - batch_ndim)) for g in glist]
        if self.clipvalue is not None and np.any(self.clipvalue > 0):
            v = self.clipvalue
            return [np.clip(g, -v, v) for g in glist]
        return glist

    # -- subclass hooks ------------------------------------------------------
    def _pre_step(self, glob: dict, t: float) -> dict:
        """Once per update, before any variable (Nadam advances ``u_product`` here)."""
        return glob

    def _rule(self, g, w, s: dict, lr, t: float, glob: dict):
        """The optimizer's own update for one variable: return ``(new_w, new_slots)``.

        ``s`` is a fresh dict this call may rebind entries of (never mutate arrays)."""
        raise NotImplementedError

    def finalize(self, state: State, params):
        """Keras's ``finalize_variable_values``: with EMA on, the weights become their averages."""
        if not self.use_ema:
            return params
        return state.slots["average"]


def sqrt(x):
    """Square root of a Python float (fast ``math.sqrt``) or an array (``np.sqrt``): both
    are correctly rounded, so the two give identical bits."""
    return math.sqrt(x) if type(x) is float else np.sqrt(x)


def _as_list(params):
    """(single?, list of float64 arrays)."""
    if isinstance(params, (list, tuple)):
        return False, [np.asarray(p, dtype=np.float64) for p in params]
    return True, [np.asarray(params, dtype=np.float64)]


def bool_param(name, default, help):
    return HyperParam(name, default, help, kind="bool")

