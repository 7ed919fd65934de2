"""How Descent Lab writes numbers: one module for the engine's text, the charts and the pages.

Each function is one *purpose*, so the same number reads the same everywhere:

- :func:`exact`: a setting as it is used (links, printed settings): 10 significant digits, ints as ints.
- :func:`plain`: a value exactly as the engine used it (Python's shortest round-trip form), for re-running.
- :func:`sig`: a compact value for a legend or a label (``digits`` significant digits, a real minus sign).
- :func:`readable`: a measured value for a table or a metric: fixed notation in a readable range,
  scientific outside it, and a dash for a value that is not a number.
- :func:`latex`: a value inside a LaTeX formula (``1.2\\times10^{-5}``).
- :func:`point`: ``(x, y)`` for a position on a map.
"""
from __future__ import annotations

import math


def exact(x) -> str:
    """A setting as used: ``0.001``, ``300``, ``1e-08``; None (no bound) is ``∞``."""
    if x is None:
        return "∞"
    if isinstance(x, bool):
        return str(x)
    if isinstance(x, int) or (hasattr(x, "dtype") and getattr(x.dtype, "kind", "") in "iu"):
        return str(int(x))
    return f"{float(x):.10g}"


def plain(v) -> str:
    """A number exactly as the engine used it (shortest form that reads back to the same float; ASCII)."""
    if isinstance(v, bool):
        return str(v)
    v = float(v)
    return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)


def sig(v, digits: int = 4, minus: str = "−") -> str:
    """``digits`` significant digits with a real minus sign: ``−0.0123``; 0 is ``0``."""
    v = float(v)
    if v == 0:
        return "0"
    return f"{v:.{digits}g}".replace("-", minus)


def readable(v, digits: int = 4, lo: float = 1e-3, hi: float = 1e5, sci_digits: int = 2,
             missing: str = "—") -> str:
    """A measured value: ``0.01234`` inside [lo, hi), ``1.23e-7`` outside, ``missing`` if not finite."""
    v = float(v)
    if not math.isfinite(v):
        return missing
    if v == 0:
        return "0"
    if lo <= abs(v) < hi:
        return f"{v:.{digits}g}"
    m, e = f"{v:.{sci_digits}e}".split("e")
    return f"{m}e{int(e)}"


def latex(v: float, digits: int = 6, lo: float = 1e-3, hi: float = 1e4) -> str:
    """A value inside a LaTeX formula: ``0.0123`` or ``1.2346\\times10^{-5}``."""
    v = float(v)
    if not math.isfinite(v):
        return r"\text{" + str(v) + "}"
    if v == 0:
        return "0"
    if lo <= abs(v) < hi:
        return f"{v:.{digits}g}"
    m, e = f"{v:.{digits - 2}e}".split("e")
    return rf"{m}\times10^{{{int(e)}}}"


def point(p, digits: int = 3) -> str:
    """``(x, y)`` to ``digits`` significant digits; coordinates within 1e-6 of 0 print as 0."""
    x, y = (0.0 if abs(float(v)) < 1e-6 else float(v) for v in p[:2])
    return f"({sig(x, digits)}, {sig(y, digits)})"
