"""A landscape from a formula the user types, e.g. "x**2 + 3*sin(y)".

The text goes through landscapes.expression.parse_expression, which never
evaluates it; sympy then differentiates the checked expression, and
sympy.lambdify turns value and gradient into NumPy functions. lambdify writes
Python code, but from our validated sympy tree, not from the user's text.
"""

from __future__ import annotations

import numpy as np
import sympy

from .base import Landscape
from .expression import MAX_LENGTH, X, Y, ExpressionError, normalize_expression, parse_expression

# The gradient may hold at most this many operations (sympy.count_ops, both components together). The
# parser's limits (200 parts, 30 levels) keep every formula short, but differentiation can multiply its
# size: a 30-deep power tower x**x**…**x has a gradient of 984 operations. Past this limit evaluating it
# on a basin map's 40,000 points would cost seconds per step, so it is refused with a message instead.
MAX_GRADIENT_OPS = 2000
from .options import Bounds, Point, Text

BIG = 2**53  # beyond this, integers are not exact in float64 anyway


class Custom(Landscape):
    name = "custom"
    title = "Custom formula"
    teaches = (
        "Typing your own formula lets you test a hunch: the gradient is derived symbolically, "
        "so every optimizer can run on any surface you can write down."
    )
    OPTIONS = {
        "expression": Text("x**2 + 3*sin(y)", MAX_LENGTH, "a formula in x and y"),
        "bounds": Bounds(((-3.0, 3.0), (-3.0, 3.0)), "plot bounds"),
        "start": Point((2.0, 2.0), "starting point, inside the bounds"),
    }

    def configure(self, expression, bounds, start):
        expr = parse_expression(expression)
        (x0, x1), (y0, y1) = bounds
        if not (x0 <= start[0] <= x1 and y0 <= start[1] <= y1):
            raise ValueError(f"The start {start} is outside the bounds {bounds}.")
        try:
            gradient = (sympy.diff(expr, X), sympy.diff(expr, Y))
            if any(g.has(sympy.zoo, sympy.nan, sympy.I) for g in gradient):
                raise ExpressionError("The gradient of this formula is undefined everywhere (e.g. 0**x).")
            ops = sum(sympy.count_ops(g) for g in gradient)
            if ops > MAX_GRADIENT_OPS:
                raise ExpressionError(
                    f"The gradient of this formula is too complex to compute quickly ({ops:,} operations; the "
                    f"limit is {MAX_GRADIENT_OPS:,}). Try a shorter formula, e.g. with fewer nested powers.")
            # cse=True: repeated subexpressions are computed once (a 30-deep power tower's value and
            # gradient on 40,000 points: 0.76 s without, 0.08 s with; bench/budget_results.md).
            self._f = sympy.lambdify((X, Y), _float_safe(expr), modules="numpy", cse=True)
            self._df = [sympy.lambdify((X, Y), _float_safe(g), modules="numpy", cse=True) for g in gradient]
        except RecursionError:
            raise ExpressionError("The formula is too complex to differentiate.") from None
        self.sympy_expr = expr
        self.sympy_grad = gradient
        self.expression = normalize_expression(expression)
        self.latex = "f(x, y) = " + sympy.latex(expr)
        self.bounds = bounds
        self.start = start

    def _value(self, x, y):
        return _evaluate(self._f, x, y)

    def _grad(self, x, y):
        return _evaluate(self._df[0], x, y), _evaluate(self._df[1], x, y)


def _float_safe(expr):
    """Replace huge exact integers/fractions by floats.

    (2*x)**100 becomes 2**100 * x**100 in sympy; the generated code would then
    multiply a NumPy array by a 31-digit Python int, and beyond ~1e308 NumPy
    raises OverflowError instead of giving inf. As floats they just overflow to inf.
    """
    huge = {r: sympy.Float(r, 17) for r in expr.atoms(sympy.Rational) if abs(r.p) > BIG or r.q > BIG}
    return expr.xreplace(huge) if huge else expr


def _evaluate(function, x, y):
    """Call a lambdified function; always return real float64 values.

    Non-real results (a real formula can still yield complex numbers in NumPy for
    unusual inputs) become nan, which charts simply leave blank.
    """
    try:
        result = np.asarray(function(x, y))
    except ArithmeticError:  # e.g. an overflow in a Python-int step: no value here
        return np.full(np.broadcast(x, y).shape, np.nan)
    if np.iscomplexobj(result):
        result = np.where(result.imag == 0, result.real, np.nan)
    try:
        return result.astype(np.float64)
    except (TypeError, ValueError):  # should not happen; never hand objects to a chart
        return np.full(result.shape, np.nan)
