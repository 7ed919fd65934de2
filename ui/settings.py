"""Settings that round-trip through the URL (pure Python, no Streamlit).

A teacher pastes a link into slides; a student edits it by hand. Every
value read from a URL is checked here: a bad value falls back to its
default and produces a *notice* (a sentence the page shows), never an
exception.

Two building blocks:

- ``Field``: one scalar setting (float, int, bool, choice, text, point);
- ``OptChoice``: one optimizer with its flavour and non-default
  hyperparameters, encoded as ``Adam;flavor=textbook;learning_rate=0.01``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

import optimizers
import numfmt
from ui.text import literal, quoted

MAX_TEXT = 500


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # "float" | "int" | "bool" | "choice" | "text" | "point"
    default: Any
    low: float | None = None
    high: float | None = None
    choices: tuple = ()
    label: str = ""

    def parse(self, raw: str):
        """Return the value for URL text ``raw``; raise ValueError with a reason otherwise."""
        raw = str(raw)
        if len(raw) > MAX_TEXT:
            raise ValueError(f"longer than {MAX_TEXT} characters")
        if self.kind == "bool":
            if raw.lower() in ("1", "true", "yes", "on"):
                return True
            if raw.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError("expected true or false")
        if self.kind == "choice":
            for c in self.choices:
                if raw == str(c) or raw.lower() == str(c).lower():
                    return c
            raise ValueError(f"expected one of {', '.join(map(str, self.choices))}")
        if self.kind == "text":
            return raw
        if self.kind == "point":
            parts = raw.split(",")
            if len(parts) != 2:
                raise ValueError("expected two numbers, x,y")
            return tuple(self._number(p, float) for p in parts)
        return self._number(raw, int if self.kind == "int" else float)

    def _number(self, raw, typ):
        try:
            v = float(raw)
        except ValueError:
            raise ValueError("not a number") from None
        if not math.isfinite(v):
            raise ValueError("not a finite number")
        if typ is int:
            if v != int(v):
                raise ValueError("expected a whole number")
            v = int(v)
        if self.low is not None and v < self.low or self.high is not None and v > self.high:
            raise ValueError(f"outside [{_fmt(self.low)}, {_fmt(self.high)}]")
        return v

    def encode(self, value) -> str:
        if self.kind == "bool":
            return "1" if value else "0"
        if self.kind == "point":
            return f"{_fmt(value[0])},{_fmt(value[1])}"
        if self.kind == "float":
            return _fmt(value)
        return str(value)


_fmt = numfmt.exact  # kept as a short name: the pages format settings with it


def read_fields(fields, params: Mapping[str, str]) -> tuple[dict, list[str]]:
    """Values for ``fields`` from URL ``params`` (defaults where missing or bad) and notices."""
    values, notices = {}, []
    for f in fields:
        if f.name not in params:
            values[f.name] = f.default
            continue
        try:
            values[f.name] = f.parse(params[f.name])
        except ValueError as exc:
            values[f.name] = f.default
            notices.append(f"Ignored {f.name} = {quoted(params[f.name])} from the link ({literal(exc, None)}); "
                           f"using the default {literal(_show(f.default))}.")
    return values, notices


def encode_fields(fields, values: Mapping[str, Any]) -> dict[str, str]:
    """URL params for the values that differ from their defaults (short links)."""
    out = {}
    for f in fields:
        v = values.get(f.name, f.default)
        if v != f.default:
            out[f.name] = f.encode(v)
    return out


def _show(v) -> str:
    if isinstance(v, tuple):
        return "(" + ", ".join(_fmt(x) for x in v) + ")"
    return _fmt(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else str(v)


# --------------------------------------------------------------------------- #
# Optimizer choices                                                             #
# --------------------------------------------------------------------------- #
@dataclass(frozen=True)
class OptChoice:
    """One optimizer on a page: its class name, flavour and non-default hyperparameters.

    Hashable, so pages can cache computations keyed on it.
    """

    name: str
    flavor: str = "keras"
    params: tuple = field(default_factory=tuple)  # sorted ((name, value), ...)

    @classmethod
    def make(cls, name, flavor="keras", **params):
        cls_ = optimizers.get_class(name)
        return cls(cls_.name, flavor, tuple(sorted(params.items())))

    def canonical(self) -> "OptChoice":
        """The same optimizer with default-valued hyperparameters dropped (as the editor returns it),
        so a choice from a link and the same choice from the widgets compare (and cache) equal."""
        defaults = {hp.name: hp.default for hp in optimizers.settings_spec(self.name, self.flavor)}
        return OptChoice(self.name, self.flavor,
                         tuple((k, v) for k, v in self.params if defaults.get(k, object()) != v))

    @property
    def kwargs(self) -> dict:
        return dict(self.params)

    @property
    def has_learning_rate(self) -> bool:
        """False for the rules without one (textbook Adadelta)."""
        return "learning_rate" in {p.name for p in optimizers.spec(self.name, self.flavor)}

    def with_value(self, hp: str, value) -> "OptChoice":
        """The same optimizer with ``hp`` set to ``value``."""
        return OptChoice(self.name, self.flavor, tuple(sorted({**self.kwargs, hp: value}.items())))

    def without(self, hp: str) -> "OptChoice":
        """The same optimizer with ``hp`` back at its default (e.g. a sweep that varies it)."""
        return OptChoice(self.name, self.flavor, tuple((k, v) for k, v in self.params if k != hp))

    def config(self) -> dict:
        """Every hyperparameter this optimizer runs with, defaults included (``optimizers.full_config``)."""
        return optimizers.full_config(self.name, self.flavor, self.kwargs)

    def as_linked(self) -> "OptChoice":
        """Every number rounded to what a link (and a printed setting) holds: 10 significant digits."""
        return OptChoice(self.name, self.flavor,
                         tuple((k, v if isinstance(v, bool) else float(_fmt(v))) for k, v in self.params))

    def build(self, **common):
        """The engine optimizer (common Keras arguments such as weight_decay may be added)."""
        kw = {**self.kwargs, **{k: v for k, v in common.items() if v is not None}}
        if "learning_rate" not in {p.name for p in optimizers.spec(self.name, self.flavor)}:
            kw.pop("learning_rate", None)  # textbook Adadelta has no learning rate
        return optimizers.get(self.name, flavor=self.flavor, **kw)

    def in_flavor(self, flavor: str) -> tuple["OptChoice", list[str]]:
        """The same optimizer in another flavour with the same hyperparameter values.

        Every value this choice uses, its flavour's defaults included, is carried over, so flavours
        compared side by side differ only in their rule (PyTorch's Adagrad defaults to lr 0.01, Keras's
        to 0.001: a Keras choice at its default runs the PyTorch rule with 0.001 too). Returns the new
        choice and the names of the hyperparameters the other flavour does not have (left out)."""
        there = {hp.name for hp in optimizers.settings_spec(self.name, flavor)}
        values = [(hp.name, self.value(hp.name)) for hp in optimizers.settings_spec(self.name, self.flavor)]
        kept = tuple(sorted((k, v) for k, v in values if k in there))
        dropped = [k for k, _ in values if k not in there]
        return OptChoice(self.name, flavor, kept), dropped

    def only_in(self, flavor: str) -> list[tuple[str, object]]:
        """(name, default as text) of the hyperparameters ``flavor`` has and this choice's flavour lacks: a flavour
        compared side by side runs with its own default for these (PyTorch Nadam's momentum_decay)."""
        here = {hp.name for hp in optimizers.settings_spec(self.name, self.flavor)}
        return [(hp.name, hp.default if hp.kind == "bool" else _fmt(hp.default))
                for hp in optimizers.settings_spec(self.name, flavor) if hp.name not in here]

    def value(self, hp: str):
        """The value in use for ``hp`` (the spec default if not set)."""
        d = self.kwargs
        if hp in d:
            return d[hp]
        for p in optimizers.settings_spec(self.name, self.flavor):
            if p.name == hp:
                return p.default
        return None

    def label(self, lr_digits: int | None = None, show_lr: bool = True) -> str:
        """Short legend text: ``Adam (lr 0.01, textbook)``. ``lr_digits`` shortens the learning rate
        (a tuned one) to that many significant digits; ``show_lr=False`` leaves it out (a sweep varies it)."""
        bits = []
        lr = self.value("learning_rate")
        if lr is not None and show_lr:
            bits.append(f"lr {_fmt(lr) if lr_digits is None else format(float(lr), f'.{lr_digits}g')}")
        for k, v in self.params:
            if k == "learning_rate":
                continue
            if isinstance(v, bool):
                if v:
                    bits.append(_ABBR.get(k, k))
            else:
                bits.append(f"{_ABBR.get(k, k)} {_fmt(v)}")
        if self.flavor != "keras":
            bits.append(self.flavor)
        return f"{self.name} ({', '.join(bits)})" if bits else self.name

    def encode(self) -> str:
        parts = [self.name]
        if self.flavor != "keras":
            parts.append(f"flavor={self.flavor}")
        parts += [f"{k}={_enc_value(v)}" for k, v in self.params]
        return ";".join(parts)

    @classmethod
    def decode(cls, text: str) -> "OptChoice":
        """Parse ``Adam;flavor=textbook;learning_rate=0.01``; ValueError with a reason if bad."""
        if len(text) > MAX_TEXT:
            raise ValueError(f"longer than {MAX_TEXT} characters")
        parts = [p.strip() for p in text.split(";") if p.strip()]
        if not parts:
            raise ValueError("empty optimizer")
        cls_ = optimizers.get_class(parts[0])  # ValueError lists the valid names
        flavor, params = "keras", {}
        for p in parts[1:]:
            if "=" not in p:
                raise ValueError(f"expected name=value, got {p!r}")
            k, v = (s.strip() for s in p.split("=", 1))
            if k == "flavor":
                flavor = v
                continue
            params[k] = v
        if flavor not in cls_.flavors():
            raise ValueError(f"unknown flavour {flavor!r} (valid: {', '.join(cls_.flavors())})")
        specs = {s.name: s for s in optimizers.settings_spec(cls_.name, flavor)}
        typed = {}
        for k, v in params.items():
            if k not in specs:
                raise ValueError(f"{cls_.name} ({flavor}) has no hyperparameter {k!r}")
            if specs[k].kind == "bool":
                typed[k] = Field(k, "bool", False).parse(v)
            else:
                try:
                    typed[k] = float(v)
                except ValueError:
                    raise ValueError(f"{k}={v!r} is not a number") from None
        choice = cls(cls_.name, flavor, tuple(sorted(typed.items())))
        choice.build()  # range checks: ValueError names the argument and its valid range
        return choice


_ABBR = {"momentum": "μ", "beta_1": "β₁", "beta_2": "β₂", "epsilon": "ε", "rho": "ρ",
         "initial_accumulator_value": "a₀", "weight_decay": "wd", "as_matrix": "as 1×2 matrix"}


def _enc_value(v) -> str:
    if isinstance(v, bool):
        return "1" if v else "0"
    return _fmt(v)


def read_optimizers(params: Mapping[str, str], defaults: list[OptChoice], max_n: int = 8,
                    prefix: str = "o") -> tuple[list[OptChoice], list[str]]:
    """Optimizers ``o1``…``o8`` from the URL; falls back to ``defaults`` if none is usable."""
    keys = [f"{prefix}{i}" for i in range(1, max_n + 1)]
    present = [k for k in keys if k in params]
    extra = sorted(k for k in params if k.startswith(prefix) and k[len(prefix):].isdigit() and k not in keys)
    most = f"at most {max_n} optimizer{'s' if max_n != 1 else ''}"
    notices = [f"Ignored {literal(k)} from the link: {most}." for k in extra]
    if not present:
        return list(defaults), notices
    out = []
    for k in present:
        try:
            out.append(OptChoice.decode(params[k]))
        except ValueError as exc:
            notices.append(f"Ignored optimizer {k} = {quoted(params[k])} from the link: {literal(exc, None)}")
    if not out:
        notices.append("No usable optimizer in the link; showing the default line-up.")
        return list(defaults), notices
    return out, notices


def encode_optimizers(choices, prefix: str = "o") -> dict[str, str]:
    return {f"{prefix}{i}": c.encode() for i, c in enumerate(choices, start=1)}


# --------------------------------------------------------------------------- #
# Slider grids                                                                  #
# --------------------------------------------------------------------------- #
_NEAR_ONE = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.97, 0.98, 0.99, 0.995,
             0.999, 0.9995, 0.9999, 1.0)


def slider_grid(hp, current=None) -> list:
    """Values a select-slider offers for ``hp``: 1-2-3-5 per decade on log
    scales, finer steps near 1 for decay rates (β₂ = 0.999 vs 0.9999 matters),
    always including the default and the current value."""
    if hp.kind == "bool":
        return [False, True]
    lo, hi = hp.ui_low, hp.ui_high
    if hp.log:
        grid = [m * 10.0 ** e for e in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1)
                for m in (1, 2, 3, 5)]
        grid = [float(f"{v:.6g}") for v in grid if lo * (1 - 1e-9) <= v <= hi * (1 + 1e-9)]
    elif hi is not None and hi <= 1.0 and hp.high is not None and hp.high <= 1.0:
        grid = [v for v in _NEAR_ONE if lo <= v <= hi]
    else:
        grid = [float(f"{v:.6g}") for v in np.linspace(lo, hi, 21)]
    extra = [v for v in (hp.default, current) if isinstance(v, (int, float)) and not isinstance(v, bool)]
    return sorted(set(float(v) for v in grid + extra))
