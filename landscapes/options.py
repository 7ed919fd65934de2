"""Option specifications for landscapes.

Each landscape class lists the options it accepts in a dict ``OPTIONS`` that maps
an option name to one of the small spec objects below. ``check_options`` turns the
keyword arguments a caller passed into a complete, validated dict. Any mistake
(unknown name, wrong type, out of range) becomes a ``ValueError`` whose message
lists what *is* valid, because the person reading it is usually a student who just
moved a slider or typed into a text box.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass


def _fmt(value) -> str:
    """Short human form of a number: 100 rather than 100.0."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def _as_real(value, what: str) -> float:
    """Accept Python/NumPy ints and floats, but not bools, strings or NaN/inf."""
    # bool is a subclass of int, so True would silently mean 1: reject it.
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{what} must be a number, got {value!r}.")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number, got {value!r}.")
    return value


@dataclass(frozen=True)
class Number:
    """A real (or integer) option with an inclusive valid range."""

    default: float
    low: float
    high: float
    help: str = ""
    integer: bool = False

    def describe(self) -> str:
        kind = "integer" if self.integer else "number"
        return f"{kind} from {_fmt(self.low)} to {_fmt(self.high)}, default {_fmt(self.default)}"

    def check(self, what: str, value):
        number = _as_real(value, what)
        if self.integer and not number.is_integer():
            raise ValueError(f"{what} must be a whole number, got {value!r}.")
        if not self.low <= number <= self.high:
            raise ValueError(
                f"{what} must be between {_fmt(self.low)} and {_fmt(self.high)}, got {_fmt(number)}."
            )
        return int(number) if self.integer else number


@dataclass(frozen=True)
class Text:
    """A text option (the formula of the custom landscape)."""

    default: str
    max_length: int
    help: str = ""

    def describe(self) -> str:
        return f"text of at most {self.max_length} characters, default {self.default!r}"

    def check(self, what: str, value):
        if not isinstance(value, str):
            raise ValueError(f"{what} must be text, got {value!r}.")
        if len(value) > self.max_length:
            raise ValueError(f"{what} is too long: {len(value)} characters, the limit is {self.max_length}.")
        return value


@dataclass(frozen=True)
class Point:
    """A point (x, y) of two finite numbers."""

    default: tuple
    help: str = ""

    def describe(self) -> str:
        return f"point (x, y), default {self.default}"

    def check(self, what: str, value):
        try:
            x, y = value
        except (TypeError, ValueError):
            raise ValueError(f"{what} must be a pair (x, y) of numbers, got {value!r}.") from None
        return (_as_real(x, f"{what} x"), _as_real(y, f"{what} y"))


@dataclass(frozen=True)
class Bounds:
    """Plot bounds ((xmin, xmax), (ymin, ymax)) with min < max on each axis."""

    default: tuple
    help: str = ""
    max_span: float = 1e6  # wider views only show numerical noise

    def describe(self) -> str:
        return f"((xmin, xmax), (ymin, ymax)) with min < max, default {self.default}"

    def check(self, what: str, value):
        try:
            (x0, x1), (y0, y1) = value
        except (TypeError, ValueError):
            raise ValueError(f"{what} must look like ((xmin, xmax), (ymin, ymax)), got {value!r}.") from None
        out = []
        for axis, (lo, hi) in (("x", (x0, x1)), ("y", (y0, y1))):
            lo, hi = _as_real(lo, f"{what} {axis}min"), _as_real(hi, f"{what} {axis}max")
            if not lo < hi:
                raise ValueError(f"{what}: {axis}min must be smaller than {axis}max, got ({_fmt(lo)}, {_fmt(hi)}).")
            if hi - lo > self.max_span:
                raise ValueError(f"{what}: the {axis} range is wider than {_fmt(self.max_span)}.")
            out.append((lo, hi))
        return tuple(out)


def describe_options(spec: dict) -> str:
    """One line per option, for error messages and help texts."""
    if not spec:
        return "this landscape takes no options"
    return "; ".join(f"{key} ({option.describe()})" for key, option in spec.items())


def check_options(landscape: str, spec: dict, given: dict) -> dict:
    """Validate ``given`` against ``spec`` and fill in defaults.

    Returns a new dict with every option in ``spec`` (in spec order).
    """
    unknown = [key for key in given if key not in spec]
    if unknown:
        raise ValueError(
            f"Unknown option {unknown[0]!r} for landscape {landscape!r}. "
            f"Valid options: {describe_options(spec)}."
        )
    resolved = {}
    for key, option in spec.items():
        value = given.get(key, option.default)
        resolved[key] = option.check(f"Option {key!r} of landscape {landscape!r}", value)
    return resolved
