"""What each optimizer teaches, kept next to its update rule.

Every rule class carries one :class:`Teaching` record (``cls.TEACHING``),
written in the rule's own module. It is the single home of everything the app
says about that optimizer:

- ``summary``: one plain sentence (the maths page's first line);
- ``why``: why its path bends the way it does (the inspector's 💡 box);
- ``differences``: Keras 3 against the paper, Kerasy and PyTorch (maths page);
- ``keras_note`` and ``other_defaults``: the defaults table of the maths page;
- ``slots``: a symbol and a meaning for each of its state slots (Keras names),
  with per-flavour overrides;
- ``explain``: the rule's equations with one step's numbers substituted (the
  inspector), and ``momentum_arrow``: which vector the inspector draws as its
  momentum.

The maths page, the inspector page, :mod:`optimizers.explain` and
:mod:`charts.inspector` read these records through :func:`teaching`, so adding
an optimizer's teaching text touches its own module only. Numbers in the text
are computed (from the rule's hyperparameter specs, or by the engine), never
typed, and tests check them against independent derivations.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping

SOURCES = ("Kerasy", "Paper", "PyTorch 2.13")  # other_defaults columns, after Keras 3


@dataclass(frozen=True)
class Slot:
    """A state slot as the app shows it: ``symbol`` in tables, ``meaning`` in a caption."""

    symbol: str
    meaning: str


# Slots the base optimizer owns (and initialises), whatever the rule.
BASE_SLOTS = {
    "gradient_accumulator": Slot("Σg", "the sum of this accumulation window's gradients so far"),
    "average": Slot("EMA", "the moving average of the weights"),
}


@dataclass(frozen=True)
class Teaching:
    """Everything the app teaches about one optimizer (see the module docstring)."""

    summary: str
    why: str
    differences: tuple[str, ...]
    keras_note: str
    other_defaults: Mapping[str, str]
    slots: Mapping[str, Slot]
    explain: Callable  # explain(ex, opt): append the rule's equations to a StepExplanation
    flavor_slots: Mapping[str, Mapping[str, Slot]] = field(default_factory=dict)
    why_variants: Callable | None = None  # why_variants(flavor, hp) -> str | None (a special case)
    momentum_arrow: Callable | None = None  # momentum_arrow(ex, opt) -> (label, vector, exact) | None
    option_note: Callable | None = None  # option_note(flavor, hp) -> str: one sentence on the app options
    # Slots that are points of the same space as the parameters (Schedule-Free's x and z): slot → legend text.
    # The charts draw them beside the path; ``path_name`` then names the parameters' own sequence.
    point_slots: Mapping[str, str] = field(default_factory=dict)
    path_name: str = ""
    sequences_note: str = ""  # one paragraph on what the drawn sequences show

    def why_for(self, flavor: str, hp: Mapping) -> str:
        """The "why" text for this configuration (``hp``: hyperparameter name → value in use)."""
        special = self.why_variants(flavor, hp) if self.why_variants else None
        return special or self.why

    def slot(self, name: str, flavor: str = "keras") -> Slot:
        """Symbol and meaning of state slot ``name`` in ``flavor`` (base-class slots included)."""
        over = self.flavor_slots.get(flavor, {})
        if name in over:
            return over[name]
        if name in self.slots:
            return self.slots[name]
        if name in BASE_SLOTS:
            return BASE_SLOTS[name]
        raise KeyError(f"no teaching text for slot {name!r}")

    def slot_label(self, name: str, flavor: str = "keras") -> str:
        """``momentum v``: the Keras slot name and the symbol the update rule uses for it; just ``x`` when the
        two are the same (Schedule-Free's average), never ``x x``."""
        symbol = self.slot(name, flavor).symbol
        return name if symbol == name else f"{name} {symbol}"


FIELDS = ("summary", "why", "differences", "keras_note", "other_defaults", "slots", "explain")


def teaching(identifier) -> Teaching:
    """The teaching record of an optimizer: ``teaching("Adam")``, ``teaching("adam")`` or a class/instance."""
    from .base import Optimizer
    from .registry import get_class

    if isinstance(identifier, Optimizer) or (isinstance(identifier, type) and issubclass(identifier, Optimizer)):
        cls = identifier if isinstance(identifier, type) else type(identifier)
    else:
        cls = get_class(identifier)
    record = cls.__dict__.get("TEACHING")
    if not isinstance(record, Teaching):
        raise LookupError(f"{cls.name} has no teaching record (set TEACHING in its module).")
    return record


def fmt(x: float) -> str:
    """A number as the teaching text writes it: ``0.001``, ``1e-7``, ``3.2e-6``, ``0.9``."""
    x = float(x)
    if x == 0:
        return "0"
    if 1e-3 <= abs(x) < 1e5:
        return f"{x:g}"
    m, e = f"{x:.2g}".split("e")
    return f"{m}e{int(e)}"
