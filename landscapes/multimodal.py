"""Surfaces with a grid of local minima around one global minimum at the origin."""

from __future__ import annotations

import numpy as np

from .base import Landscape
from .options import Number

TWO_PI = 2 * np.pi


class Rastrigin(Landscape):
    name = "rastrigin"
    title = "Rastrigin"
    teaches = (
        "Rastrigin's egg-box surface has a local minimum near every integer point, so a gradient "
        "method stops in whichever dip it starts in; only large or noisy steps get further."
    )
    OPTIONS = {"A": Number(10.0, 0.0, 50.0, "depth of the ripples (0 gives a plain bowl)")}
    bounds = ((-5.12, 5.12), (-5.12, 5.12))
    start = (3.2, 2.2)
    minima = ((0.0, 0.0),)
    min_value = 0.0

    def configure(self, A):
        self.A = A
        self.latex = rf"f(x, y) = 2\cdot{A:g} + \sum_{{v \in \{{x, y\}}}} \left(v^2 - {A:g}\cos(2\pi v)\right)"

    def _value(self, x, y):
        A = self.A
        return 2 * A + x**2 - A * np.cos(TWO_PI * x) + y**2 - A * np.cos(TWO_PI * y)

    def _grad(self, x, y):
        A = self.A
        return 2 * x + TWO_PI * A * np.sin(TWO_PI * x), 2 * y + TWO_PI * A * np.sin(TWO_PI * y)


class Ackley(Landscape):
    name = "ackley"
    title = "Ackley"
    latex = (
        r"f(x, y) = -20\,e^{-0.2\sqrt{\frac{1}{2}(x^2 + y^2)}}"
        r" - e^{\frac{1}{2}(\cos 2\pi x + \cos 2\pi y)} + e + 20"
    )
    teaches = (
        "Ackley's surface is an almost flat plateau full of small dips around one deep funnel, "
        "so the gradient far away says little about where the global minimum is."
    )
    bounds = ((-5.0, 5.0), (-5.0, 5.0))
    start = (3.0, -2.5)
    minima = ((0.0, 0.0),)
    min_value = 0.0

    def _value(self, x, y):
        r = np.sqrt(0.5 * (x**2 + y**2))
        ripples = np.exp(0.5 * (np.cos(TWO_PI * x) + np.cos(TWO_PI * y)))
        return -20 * np.exp(-0.2 * r) - ripples + np.e + 20

    def _grad(self, x, y):
        r = np.sqrt(0.5 * (x**2 + y**2))
        # d r / dx = x / (2 r). At the origin the funnel has a sharp tip and no
        # derivative; we return 0 there (a valid subgradient) instead of 0/0.
        safe_r = np.where(r > 0, r, 1.0)
        funnel = np.where(r > 0, 4 * np.exp(-0.2 * r) / (2 * safe_r), 0.0)  # 4 = 20 * 0.2
        ripples = np.pi * np.exp(0.5 * (np.cos(TWO_PI * x) + np.cos(TWO_PI * y)))
        return funnel * x + ripples * np.sin(TWO_PI * x), funnel * y + ripples * np.sin(TWO_PI * y)
