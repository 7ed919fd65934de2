"""Descent Lab landscapes: 2-D loss surfaces for optimizers to walk on.

    import landscapes
    landscapes.available()                    # ['rosenbrock', 'saddle', ...]
    surface = landscapes.get("rosenbrock", b=10)
    surface.value(points), surface.grad(points)  # points: array of shape (..., 2)

New surfaces join through ``register(name, factory)``; ``factory(**options)``
must return a Landscape and raise ValueError for bad options (subclassing
``Landscape`` and listing ``OPTIONS`` does that for you).

This package may import only numpy, scikit-learn, sympy and the standard
library, never streamlit or plotly, so it can be tested and reused without the app.
"""

from __future__ import annotations

import importlib
import importlib.util

from .base import Landscape, as_points
from .benchmarks import Beale, Booth, GoldsteinPrice, Himmelblau, Rosenbrock, SixHumpCamel
from .custom import Custom
from .expression import ExpressionError, normalize_expression, parse_expression
from .multimodal import Ackley, Rastrigin
from .options import describe_options
from .quadratic import Quadratic
from .regression import Regression
from .saddles import MonkeySaddle, Saddle

__all__ = [
    "Landscape", "ExpressionError", "as_points", "available", "get", "register",
    "parse_expression", "normalize_expression", "describe_options",
]

_FACTORIES: dict = {}

# Landscapes that live in their own module and are imported only when asked for.
# The module must either call landscapes.register(name, factory) when imported,
# or define a function make(**options) (or factory(**options)) returning a Landscape.
# A name is offered by available() only if its module file exists.
_LAZY_MODULES = {"moons": "landscapes.moons"}


def register(name: str, factory, *, replace: bool = False) -> None:
    """Make ``factory`` available as ``get(name, **options)``."""
    if not isinstance(name, str) or not name.isidentifier() or name != name.lower():
        raise ValueError(f"A landscape name must be a lower-case identifier, got {name!r}.")
    if not callable(factory):
        raise ValueError(f"The factory for {name!r} must be callable.")
    if name in _FACTORIES and not replace:
        raise ValueError(f"A landscape named {name!r} is already registered (pass replace=True).")
    _FACTORIES[name] = factory


def _lazy_exists(name: str) -> bool:
    try:
        # find_spec locates the file without running it.
        return importlib.util.find_spec(_LAZY_MODULES[name]) is not None
    except (ImportError, ValueError):
        return False


def available() -> list[str]:
    """Names accepted by get(), with 'custom' last (it is the odd one out in a menu)."""
    names = list(_FACTORIES)
    names += [n for n in _LAZY_MODULES if n not in _FACTORIES and _lazy_exists(n)]
    return sorted(names, key=lambda n: n == "custom")  # sorted() is stable


def _load_lazy(name: str) -> None:
    module = importlib.import_module(_LAZY_MODULES[name])
    if name in _FACTORIES:  # the module registered itself
        return
    factory = getattr(module, "make", None) or getattr(module, "factory", None)
    if factory is None:
        raise ValueError(f"Module {module.__name__} defines no make(**options) for landscape {name!r}.")
    register(name, factory)


def get(name: str, **options) -> Landscape:
    """A new landscape by name, e.g. get("quadratic", condition=50, angle=30)."""
    if not isinstance(name, str):
        raise ValueError(f"A landscape name must be text, got {name!r}. Valid names: {', '.join(available())}.")
    key = name.strip().lower()
    if key not in _FACTORIES and key in _LAZY_MODULES and _lazy_exists(key):
        _load_lazy(key)
    if key not in _FACTORIES:
        raise ValueError(f"Unknown landscape {name!r}. Valid names: {', '.join(available())}.")
    return _FACTORIES[key](**options)


for _cls in (Rosenbrock, Saddle, MonkeySaddle, Regression, Beale, Himmelblau, Rastrigin,
             Ackley, Booth, GoldsteinPrice, SixHumpCamel, Quadratic, Custom):
    register(_cls.name, _cls)
del _cls
