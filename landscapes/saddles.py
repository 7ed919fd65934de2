"""Surfaces whose interesting point is a saddle, not a minimum.

Both are unbounded below, so ``min_value`` is None and ``minima`` is empty.
"""

from __future__ import annotations

from .base import Landscape


class Saddle(Landscape):
    name = "saddle"
    title = "Saddle"
    latex = r"f(x, y) = x^2 - y^2"
    teaches = (
        "A saddle point has zero gradient without being a minimum: gradient descent "
        "slows down near it and escapes only through the small part of the step that points off the x-axis."
    )
    bounds = ((-2.0, 2.0), (-2.0, 2.0))
    # Almost on the x-axis: the path first heads for the saddle, then the tiny y
    # offset grows geometrically and carries it away.
    start = (1.5, 0.01)
    saddles = ((0.0, 0.0),)

    def _value(self, x, y):
        return x**2 - y**2

    def _grad(self, x, y):
        return 2 * x, -2 * y


class MonkeySaddle(Landscape):
    name = "monkey_saddle"
    title = "Monkey saddle"
    latex = r"f(x, y) = x^3 - 3 x y^2"
    teaches = (
        "A monkey saddle is flat to second order (its Hessian at the origin is zero), "
        "so optimizers crawl there and curvature alone cannot tell what kind of point it is."
    )
    bounds = ((-2.0, 2.0), (-2.0, 2.0))
    # On a ridge (where the surface goes up in x), slightly off the axis:
    # the path drifts toward the flat centre, then turns down into a valley.
    start = (1.5, 0.1)
    saddles = ((0.0, 0.0),)

    def _value(self, x, y):
        return x**3 - 3 * x * y**2

    def _grad(self, x, y):
        return 3 * x**2 - 3 * y**2, -6 * x * y
