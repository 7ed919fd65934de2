"""Plain gradient descent, Kerasy's ``GradientDescent``: ``w ← w − η g``.

Keras 3 has no class of this name; it is ``SGD(momentum=0.0)``, and the
Kerasy document's learning-rate demo uses it. Keras's common arguments
(weight decay, clipping, schedules) still apply.
"""
from .base import Optimizer, lr_param

_RULE = r"w_{t} = w_{t-1} - \eta\, g_t"


class GradientDescent(Optimizer):
    name = "GradientDescent"
    aliases = ("gradient_descent", "gradientdescent", "gd")
    HYPERPARAMS = {"keras": [lr_param(0.01)], "textbook": [lr_param(0.01)]}
    LATEX = {"keras": _RULE, "textbook": _RULE}
    NOTES = {"textbook": "The same rule as Keras: the oldest method has a single form."}

    def _slot_names(self):
        return ()

    def _rule(self, g, w, s, lr, t, glob):
        return w - g * lr, s
