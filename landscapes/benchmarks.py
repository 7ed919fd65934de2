"""Classic optimization test functions (valleys, plateaus, several minima).

Gradients are written out by hand; tests/test_landscapes.py checks each one
against finite differences. Stationary points were found with sympy.nsolve at
30 digits and are stored to float precision.
"""

from __future__ import annotations

from .base import Landscape
from .options import Number


class Rosenbrock(Landscape):
    name = "rosenbrock"
    title = "Rosenbrock"
    teaches = (
        "Rosenbrock's long, curved, narrow valley is easy to find but slow to follow: "
        "plain gradient descent zig-zags across it, momentum and adaptive methods help."
    )
    OPTIONS = {
        "a": Number(1.0, -2.0, 2.0, "the minimum is at (a, a^2)"),
        "b": Number(100.0, 0.1, 1000.0, "steepness of the valley walls"),
    }
    min_value = 0.0

    def configure(self, a, b):
        self.a, self.b = a, b
        self.latex = rf"f(x, y) = ({a:g} - x)^2 + {b:g}\,(y - x^2)^2"
        self.minima = ((a, a * a),)
        # The usual view, widened if the minimum (a, a^2) would fall outside it.
        self.bounds = ((min(-2.0, a - 1), max(2.0, a + 1)), (-1.0, max(3.0, a * a + 1)))
        # (-1.2, 1) is Rosenbrock's own 1960 starting point; mirror it when a < 0
        # so the start does not sit right next to the minimum.
        self.start = (-1.2, 1.0) if a >= 0 else (1.2, 1.0)

    def _value(self, x, y):
        return (self.a - x) ** 2 + self.b * (y - x**2) ** 2

    def _grad(self, x, y):
        valley = y - x**2
        return -2 * (self.a - x) - 4 * self.b * x * valley, 2 * self.b * valley


class Beale(Landscape):
    name = "beale"
    title = "Beale"
    latex = r"f(x, y) = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2"
    teaches = (
        "Beale's function has flat plateaus next to very steep walls, so the gradient's size "
        "varies enormously and a single fixed learning rate is either too small or too large somewhere."
    )
    bounds = ((-4.5, 4.5), (-4.5, 4.5))
    start = (1.0, 1.5)
    minima = ((3.0, 0.5),)
    saddles = ((0.0, 1.0), (0.10053793732415836, -2.644513585023125))
    min_value = 0.0
    C = (1.5, 2.25, 2.625)

    def _value(self, x, y):
        return sum((c - x + x * y**k) ** 2 for k, c in enumerate(self.C, start=1))

    def _grad(self, x, y):
        gx, gy = 0.0, 0.0
        for k, c in enumerate(self.C, start=1):
            t = c - x + x * y**k  # the k-th squared term is t**2
            gx = gx + 2 * t * (y**k - 1)
            gy = gy + 2 * t * k * x * y ** (k - 1)
        return gx, gy


class Booth(Landscape):
    name = "booth"
    title = "Booth"
    latex = r"f(x, y) = (x + 2y - 7)^2 + (2x + y - 5)^2"
    teaches = (
        "Booth's function is a tilted quadratic bowl: every method reaches its single minimum, "
        "so it is a baseline for comparing speed rather than robustness."
    )
    bounds = ((-10.0, 10.0), (-10.0, 10.0))
    start = (-6.0, -6.0)
    minima = ((1.0, 3.0),)
    min_value = 0.0

    def _value(self, x, y):
        return (x + 2 * y - 7) ** 2 + (2 * x + y - 5) ** 2

    def _grad(self, x, y):
        p, q = x + 2 * y - 7, 2 * x + y - 5
        return 2 * p + 4 * q, 4 * p + 2 * q


class Himmelblau(Landscape):
    name = "himmelblau"
    title = "Himmelblau"
    latex = r"f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2"
    teaches = (
        "Himmelblau's function has four equally good minima, so which one an optimizer "
        "reaches depends on where it starts and how it moves, not only on the surface."
    )
    bounds = ((-5.0, 5.0), (-5.0, 5.0))
    start = (0.0, 0.0)
    minima = (
        (3.0, 2.0),
        (-2.805118086952745, 3.131312518250573),
        (-3.779310253377747, -3.2831859912861696),
        (3.5844283403304917, -1.8481265269644036),
    )
    saddles = (
        (3.385154183607021, 0.07385187983774928),
        (0.08667750455539636, 2.884254701174776),
        (-3.0730257507643897, -0.08135304428796751),
        (-0.12796134673068008, -1.9537149802445763),
    )
    min_value = 0.0

    def _value(self, x, y):
        return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2

    def _grad(self, x, y):
        u, v = x**2 + y - 11, x + y**2 - 7
        return 4 * x * u + 2 * v, 2 * u + 4 * y * v


class GoldsteinPrice(Landscape):
    name = "goldstein_price"
    title = "Goldstein–Price"
    latex = (
        r"f(x, y) = \left[1 + (x + y + 1)^2 (19 - 14x + 3x^2 - 14y + 6xy + 3y^2)\right]"
        r"\left[30 + (2x - 3y)^2 (18 - 32x + 12x^2 + 48y - 36xy + 27y^2)\right]"
    )
    teaches = (
        "Goldstein–Price spans values from 3 to about a million in a small square, so raw gradients "
        "are huge and optimizers need tiny steps, gradient scaling or an adaptive method."
    )
    bounds = ((-2.0, 2.0), (-2.0, 2.0))
    start = (-0.5, 1.0)
    # Global minimum first, then local minima with values 30, 84 and 840.
    minima = ((0.0, -1.0), (-0.6, -0.4), (1.8, 0.2), (1.2, 0.8))
    saddles = ((-0.4, -0.6), (1.2, -0.2), (1.4, 0.6), (0.6, 0.4))
    min_value = 3.0

    def _value(self, x, y):
        A, _, _ = self._first(x, y)
        B, _, _ = self._second(x, y)
        return A * B

    def _grad(self, x, y):
        # Product rule on f = A * B.
        A, Ax, Ay = self._first(x, y)
        B, Bx, By = self._second(x, y)
        return Ax * B + A * Bx, Ay * B + A * By

    @staticmethod
    def _first(x, y):
        """A = 1 + u^2 p with its partial derivatives."""
        u = x + y + 1
        p = 19 - 14 * x + 3 * x**2 - 14 * y + 6 * x * y + 3 * y**2
        dp = -14 + 6 * x + 6 * y  # dp/dx and dp/dy happen to be equal
        dA = 2 * u * p + u**2 * dp  # du/dx = du/dy = 1, so dA/dx = dA/dy
        return 1 + u**2 * p, dA, dA

    @staticmethod
    def _second(x, y):
        """B = 30 + v^2 q with its partial derivatives."""
        v = 2 * x - 3 * y
        q = 18 - 32 * x + 12 * x**2 + 48 * y - 36 * x * y + 27 * y**2
        qx = -32 + 24 * x - 36 * y
        qy = 48 - 36 * x + 54 * y
        return 30 + v**2 * q, 4 * v * q + v**2 * qx, -6 * v * q + v**2 * qy


class SixHumpCamel(Landscape):
    name = "six_hump_camel"
    title = "Six-hump camel"
    latex = r"f(x, y) = \left(4 - 2.1x^2 + \tfrac{x^4}{3}\right)x^2 + xy + (-4 + 4y^2)\,y^2"
    teaches = (
        "The six-hump camel has two global minima, four local ones and seven saddles, "
        "so a run can end in a local minimum that is clearly worse than the best one."
    )
    bounds = ((-2.0, 2.0), (-1.2, 1.2))
    start = (-1.5, -1.0)
    # Two global minima (f = -1.0316...), then local minima (f = -0.2155 and 2.1043).
    minima = (
        (0.08984201310031806, -0.7126564030207396),
        (-0.08984201310031806, 0.7126564030207396),
        (-1.703606714969981, 0.7960835686726251),
        (1.703606714969981, -0.7960835686726251),
        (-1.6071047529201972, -0.5686514548841314),
        (1.6071047529201972, 0.5686514548841314),
    )
    saddles = (
        (0.0, 0.0),
        (-1.1092053368047865, 0.7682680925095399),
        (1.1092053368047865, -0.7682680925095399),
        (-1.6380679841897785, -0.22867406904439408),
        (1.6380679841897785, 0.22867406904439408),
        (-1.2960702671671092, -0.6050843880386585),
        (1.2960702671671092, 0.6050843880386585),
    )
    min_value = -1.0316284534898774

    def _value(self, x, y):
        return (4 - 2.1 * x**2 + x**4 / 3) * x**2 + x * y + (-4 + 4 * y**2) * y**2

    def _grad(self, x, y):
        return 8 * x - 8.4 * x**3 + 2 * x**5 + y, x - 8 * y + 16 * y**3

