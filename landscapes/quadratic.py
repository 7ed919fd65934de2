"""An ill-conditioned quadratic bowl: the simplest surface where step size matters.

f(p) = 1/2 p^T A p,   A = (2/kappa) R^T diag(1, kappa) R,
     = u^2 / kappa + v^2,  with (u, v) = R p.

A is the Hessian. R rotates by ``angle`` so that the long axis of the elliptic
valley points in that direction. The Hessian's eigenvalues are 2/kappa (along the valley) and 2
(across it). Dividing by kappa keeps the steep direction fixed as kappa grows:
gradient descent is stable for every kappa when lr < 1 (= 2 / largest eigenvalue),
and a larger condition number only makes the valley flatter, which is exactly
why ill-conditioning slows plain gradient descent down.
"""

from __future__ import annotations

import numpy as np

from .base import Landscape
from .options import Number


class Quadratic(Landscape):
    name = "quadratic"
    title = "Ill-conditioned quadratic"
    teaches = (
        "On an elongated bowl the learning rate is limited by the steep direction, so progress "
        "along the flat direction slows as the condition number grows; rotating the bowl shows "
        "whether a method depends on the coordinate axes."
    )
    OPTIONS = {
        "condition": Number(10.0, 1.0, 1000.0, "condition number kappa (ratio of the curvatures)"),
        "angle": Number(0.0, -180.0, 180.0, "direction of the long axis, in degrees"),
    }
    bounds = ((-3.0, 3.0), (-3.0, 3.0))
    start = (-2.5, 2.0)
    minima = ((0.0, 0.0),)
    min_value = 0.0

    def configure(self, condition, angle):
        t = np.deg2rad(angle)
        c, s = np.cos(t), np.sin(t)
        # Row 0 of R is the valley direction (u axis), row 1 the steep one (v axis).
        self.R = np.array([[c, s], [-s, c]])
        self.A = (2 / condition) * self.R.T @ np.diag([1.0, condition]) @ self.R  # the Hessian
        self.latex = (
            rf"\begin{{gathered}}f(x, y) = \frac{{u^2}}{{\kappa}} + v^2,\quad \binom{{u}}{{v}} = R_{{\theta}}"
            rf"\binom{{x}}{{y}},\\ \kappa = {condition:g},\ \theta = {angle:g}^\circ\end{{gathered}}"
        )

    def _value(self, x, y):
        A = self.A
        return 0.5 * (A[0, 0] * x**2 + 2 * A[0, 1] * x * y + A[1, 1] * y**2)

    def _grad(self, x, y):
        A = self.A  # the gradient of 1/2 p^T A p is A p (A is symmetric)
        return A[0, 0] * x + A[0, 1] * y, A[0, 1] * x + A[1, 1] * y
