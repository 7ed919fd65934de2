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
    HYPERPARAMS = {"keras": [lr_param(0.01)], "textbook": [lr_param(0.01)], "pytorch": [lr_param(0.001)]}
    LATEX = {"keras": _RULE, "textbook": _RULE, "pytorch": _RULE}
    NOTES = {"textbook": "The same rule as Keras: the oldest method has a single form.",
             "pytorch": "torch.optim.SGD(lr=1e-3) without momentum: the same rule; its weight_decay is L2 "
                        "added to the gradient, which for plain gradient descent equals Keras's decoupled decay."}

    def _slot_names(self):
        return ()

    def _rule(self, g, w, s, lr, t, glob):
        return w - g * lr, s
