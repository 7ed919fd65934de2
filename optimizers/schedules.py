"""Learning-rate schedules, computed the way Keras 3 computes them.

A schedule is called with the optimizer's *raw* step counter (0 on the first
update), exactly like ``keras.optimizers.schedules``: the first update uses
``schedule(0)``. Every schedule accepts an int or an array of steps, so a page
can plot the whole curve with one call.

The formulas are listed in docs/maths.md ("Learning-rate schedules").
"""
from __future__ import annotations

import math

import numpy as np

__all__ = [
    "LearningRateSchedule", "ExponentialDecay", "InverseTimeDecay", "PolynomialDecay",
    "PiecewiseConstantDecay", "CosineDecay", "CosineDecayRestarts", "get", "available",
]


def _positive(name, value, cls, allow_zero=False):
    v = float(value)
    if not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        bound = "≥ 0" if allow_zero else "> 0"
        raise ValueError(f"{cls}: `{name}` must be a finite number {bound}; received {value!r}.")
    return v


def _nonneg_float(name, value, cls):
    return _positive(name, value, cls, allow_zero=True)


class LearningRateSchedule:
    """Base class: subclasses implement ``__call__(step)`` and ``get_config()``."""

    def __call__(self, step):  # pragma: no cover - abstract
        raise NotImplementedError

    def get_config(self) -> dict:  # pragma: no cover - abstract
        raise NotImplementedError

    def peak(self) -> float:
        """The largest rate the schedule ever gives (its first value if it grows without bound).

        The textbook AdamW flavour measures its schedule multiplier against it:
        η_t = schedule(k) / peak, so η_t ≤ 1 and a warmup cannot switch the decay off."""
        raise NotImplementedError  # pragma: no cover - abstract

    def to_dict(self) -> dict:
        """Serialisable form: ``{"schedule": class name, "config": {...}}``."""
        return {"schedule": type(self).__name__, "config": self.get_config()}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other):
        return type(self) is type(other) and self.get_config() == other.get_config()

    def __hash__(self):
        return hash((type(self).__name__, repr(self.get_config())))


def _step(step):
    return np.asarray(step, dtype=np.float64)


_F32 = np.float32


def _cos32(x):
    """cos as Keras 3 computes it in a schedule: in float32, even in float64 mode.

    Keras's dtype rules make ``ops.cos`` of a float64 tensor return float32 (on the
    jax and torch backends), so the cosine schedules carry float32 rounding. We
    round the argument to float32 and the correctly rounded cosine back to
    float32; measured against Keras 3.15.1 this agrees bit for bit on >99% of
    steps and otherwise within one float32 ulp (≤ 2e-7 relative).
    """
    x32 = np.asarray(x, dtype=np.float64).astype(_F32)
    return np.cos(x32.astype(np.float64)).astype(_F32)


class _RateDecay(LearningRateSchedule):
    """Shared by the two schedules driven by ``p = s / decay_steps`` (floored with ``staircase``)."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name=None):
        cls = type(self).__name__
        self.initial_learning_rate = _nonneg_float("initial_learning_rate", initial_learning_rate, cls)
        self.decay_steps = _positive("decay_steps", decay_steps, cls)
        self.decay_rate = _nonneg_float("decay_rate", decay_rate, cls)
        self.staircase = bool(staircase)
        self.name = name

    def _p(self, step):
        p = _step(step) / self.decay_steps
        return np.floor(p) if self.staircase else p

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "decay_rate": self.decay_rate, "staircase": self.staircase}

    def peak(self):
        # Both are largest at s = 0, except a growing ExponentialDecay (rate > 1), which has no
        # largest value: its first one is used.
        return self.initial_learning_rate


class ExponentialDecay(_RateDecay):
    """``lr0 · rate^(s / decay_steps)``; with ``staircase`` the exponent is floored."""

    def __call__(self, step):
        return self.initial_learning_rate * np.power(self.decay_rate, self._p(step))


class InverseTimeDecay(_RateDecay):
    """``lr0 / (1 + rate · s / decay_steps)``; with ``staircase`` the ratio is floored."""

    def __call__(self, step):
        return self.initial_learning_rate / (1.0 + self.decay_rate * self._p(step))


class PolynomialDecay(LearningRateSchedule):
    """``(lr0 − end)(1 − s'/D)^power + end`` with ``s' = min(s, D)``.

    With ``cycle=True`` the horizon D grows to the first multiple of
    ``decay_steps`` at or above ``s`` (taken as 1× at s = 0), so the rate
    jumps back up and decays again.
    """

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0,
                 cycle=False, name=None):
        self.initial_learning_rate = _nonneg_float("initial_learning_rate", initial_learning_rate, "PolynomialDecay")
        self.decay_steps = _positive("decay_steps", decay_steps, "PolynomialDecay")
        self.end_learning_rate = _nonneg_float("end_learning_rate", end_learning_rate, "PolynomialDecay")
        self.power = _nonneg_float("power", power, "PolynomialDecay")
        self.cycle = bool(cycle)
        self.name = name

    def __call__(self, step):
        s = _step(step)
        d = np.float64(self.decay_steps)
        if self.cycle:
            d = d * np.where(s == 0, 1.0, np.ceil(s / self.decay_steps))
        else:
            s = np.minimum(s, d)
        p = s / d
        return (self.initial_learning_rate - self.end_learning_rate) * np.power(1 - p, self.power) \
            + self.end_learning_rate

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "end_learning_rate": self.end_learning_rate, "power": self.power, "cycle": self.cycle}

    def peak(self):
        # Monotone between its two ends (a rising one is a warmup), with or without cycles.
        return max(self.initial_learning_rate, self.end_learning_rate)


class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[0]`` while ``s ≤ boundaries[0]``, ``values[i]`` while
    ``boundaries[i-1] < s ≤ boundaries[i]``, ``values[-1]`` after the last one.

    Boundaries are inclusive on the left interval, as in Keras: with
    boundaries [3, 6], steps 0–3 use values[0] and steps 4–6 use values[1].
    """

    def __init__(self, boundaries, values, name=None):
        boundaries = [float(b) for b in boundaries]
        values = [float(v) for v in values]
        if len(values) != len(boundaries) + 1:
            raise ValueError(
                "PiecewiseConstantDecay: `values` must have exactly one more entry than `boundaries`; "
                f"received {len(boundaries)} boundaries and {len(values)} values.")
        if any(b2 <= b1 for b1, b2 in zip(boundaries, boundaries[1:])):
            raise ValueError(f"PiecewiseConstantDecay: `boundaries` must be strictly increasing; received {boundaries}.")
        if any(v < 0 or not math.isfinite(v) for v in values):
            raise ValueError(f"PiecewiseConstantDecay: `values` must be finite and ≥ 0; received {values}.")
        self.boundaries, self.values, self.name = boundaries, values, name

    def __call__(self, step):
        s = _step(step)
        # np.searchsorted(side="left") counts boundaries strictly below s, which is
        # exactly the index of the interval (b_{i-1}, b_i] that contains s.
        idx = np.searchsorted(np.asarray(self.boundaries), s, side="left")
        return np.asarray(self.values, dtype=np.float64)[idx]

    def get_config(self):
        return {"boundaries": list(self.boundaries), "values": list(self.values)}

    def peak(self):
        return max(self.values)


class CosineDecay(LearningRateSchedule):
    """Cosine decay from ``lr0`` to ``alpha·lr0`` over ``decay_steps``.

    With ``warmup_target`` set, the rate first rises linearly from ``lr0`` to
    ``warmup_target`` over ``warmup_steps``, then decays from the target; with
    ``warmup_steps = 0`` (as in Keras) it decays from the target at once.
    Without a target there is no warmup, whatever ``warmup_steps`` says.
    """

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name=None,
                 warmup_target=None, warmup_steps=0):
        self.initial_learning_rate = _nonneg_float("initial_learning_rate", initial_learning_rate, "CosineDecay")
        self.decay_steps = _positive("decay_steps", decay_steps, "CosineDecay")
        self.alpha = _nonneg_float("alpha", alpha, "CosineDecay")
        self.warmup_target = None if warmup_target is None else _nonneg_float("warmup_target", warmup_target, "CosineDecay")
        self.warmup_steps = _nonneg_float("warmup_steps", warmup_steps, "CosineDecay")
        self.name = name

    def _cosine_factor(self, s):
        """(1 − α)·½(1 + cos(π s/D)) + α, in float32 as Keras computes it."""
        completed = s / self.decay_steps
        cosine = _F32(0.5) * (_F32(1.0) + _cos32(math.pi * completed))
        return _F32(1 - self.alpha) * cosine + _F32(self.alpha)

    def __call__(self, step):
        s = _step(step)
        if self.warmup_target is None:
            # Without warmup Keras's whole result is float32 (the rate itself included).
            s = np.minimum(s, self.decay_steps)
            return (_F32(self.initial_learning_rate) * self._cosine_factor(s)).astype(np.float64)
        w = self.warmup_steps
        s = np.minimum(s, self.decay_steps + w)
        with np.errstate(divide="ignore", invalid="ignore"):  # w = 0: no warmup branch is taken
            warm = (self.warmup_target - self.initial_learning_rate) * (s / w) + self.initial_learning_rate
        decay = self.warmup_target * self._cosine_factor(np.maximum(s - w, 0.0)).astype(np.float64)
        return np.where(s < w, warm, decay)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "alpha": self.alpha, "warmup_target": self.warmup_target, "warmup_steps": self.warmup_steps}

    def peak(self):
        # The decay runs from its start (the warmup target, if any) to alpha × start; the warmup
        # is linear from initial_learning_rate to the target.
        start = self.initial_learning_rate if self.warmup_target is None else self.warmup_target
        top = start * max(1.0, self.alpha)
        return top if self.warmup_target is None else max(self.initial_learning_rate, top)


class CosineDecayRestarts(LearningRateSchedule):
    """SGDR: cosine decay that restarts; period i lasts ``first_decay_steps · t_mul^i``
    and starts from ``lr0 · m_mul^i``."""

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0, name=None):
        self.initial_learning_rate = _nonneg_float("initial_learning_rate", initial_learning_rate, "CosineDecayRestarts")
        self.first_decay_steps = _positive("first_decay_steps", first_decay_steps, "CosineDecayRestarts")
        self.t_mul = _positive("t_mul", t_mul, "CosineDecayRestarts")
        self.m_mul = _nonneg_float("m_mul", m_mul, "CosineDecayRestarts")
        self.alpha = _nonneg_float("alpha", alpha, "CosineDecayRestarts")
        self.name = name

    def __call__(self, step):
        frac = _step(step) / self.first_decay_steps
        if self.t_mul == 1.0:
            i = np.floor(frac)
            frac = frac - i
        else:
            # Periods grow geometrically: the restart index solves the geometric sum.
            i = np.floor(np.log(1.0 - frac * (1.0 - self.t_mul)) / np.log(self.t_mul))
            done = (1.0 - np.power(self.t_mul, i)) / (1.0 - self.t_mul)
            frac = (frac - done) / np.power(self.t_mul, i)
        # The cosine is float32 in Keras (see _cos32); the rest stays float64.
        cosine = _F32(0.5) * np.power(self.m_mul, i) * (_F32(1.0) + _cos32(math.pi * frac))
        return self.initial_learning_rate * ((1 - self.alpha) * cosine + self.alpha)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "first_decay_steps": self.first_decay_steps,
                "t_mul": self.t_mul, "m_mul": self.m_mul, "alpha": self.alpha}

    def peak(self):
        # Each period runs from lr0·m_mul^i·(1 − α) + lr0·α down to lr0·α; restarts never grow when
        # m_mul ≤ 1. With m_mul > 1 the restarts grow without bound: the first value is used.
        if self.m_mul > 1.0:
            return self.initial_learning_rate
        return self.initial_learning_rate * max(1.0, self.alpha)


_SCHEDULES = {cls.__name__: cls for cls in (ExponentialDecay, InverseTimeDecay, PolynomialDecay,
                                            PiecewiseConstantDecay, CosineDecay, CosineDecayRestarts)}


def available() -> list[str]:
    return list(_SCHEDULES)


def get(identifier, **config) -> LearningRateSchedule:
    """Build a schedule from its class name and config, or from a dict
    ``{"schedule": "CosineDecay", "config": {...}}`` (Keras ``class_name`` works too)."""
    if isinstance(identifier, LearningRateSchedule):
        return identifier
    if isinstance(identifier, dict):
        name = identifier.get("schedule", identifier.get("class_name"))
        config = dict(identifier.get("config", {}))
        identifier = name
    if identifier not in _SCHEDULES:
        raise ValueError(f"Unknown learning-rate schedule {identifier!r}. Valid schedules: {', '.join(_SCHEDULES)}.")
    cls = _SCHEDULES[identifier]
    try:
        return cls(**config)
    except TypeError as exc:  # unknown or missing keyword
        raise ValueError(f"{identifier}: {exc}") from None
