"""Adagrad (spec §3.2).

Keras 3 starts the accumulator at ``initial_accumulator_value = 0.1`` and
puts ε *inside* the root: ``w ← w − η g / √(a + ε)``. Duchi et al. (2011)
start at 0 and add δ *outside* the root: ``w ← w − η g / (δ + √a)``. The
textbook flavour computes the latter.
"""
import numpy as np

from .base import HyperParam, Optimizer, eps_param, lr_param

_KERAS = r"""\begin{aligned}
a_t &= a_{t-1} + g_t^2 \qquad (a_0 = 0.1)\\
w_t &= w_{t-1} - \frac{\eta\, g_t}{\sqrt{a_t + \epsilon}}
\end{aligned}"""

_TEXTBOOK = r"""\begin{aligned}
a_t &= a_{t-1} + g_t^2 \qquad (a_0 = 0)\\
w_t &= w_{t-1} - \frac{\eta\, g_t}{\epsilon + \sqrt{a_t}} &&\text{(the paper's } \delta\text{)}
\end{aligned}"""


def _acc_param(default):
    return HyperParam("initial_accumulator_value", default, "a₀: starting value of the squared-gradient sum",
                      low=0.0, ui_low=0.0, ui_high=1.0, symbol="a_0")


_TORCH = r"""\begin{aligned}
\eta_t &= \frac{\eta}{1 + (t-1)\,\text{lr\_decay}}\\
a_t &= a_{t-1} + g_t^2 \qquad (a_0 = 0)\\
w_t &= w_{t-1} - \eta_t\,\frac{g_t}{\sqrt{a_t} + \epsilon}
\end{aligned}"""


class Adagrad(Optimizer):
    name = "Adagrad"
    aliases = ("adagrad",)
    HYPERPARAMS = {
        "keras": [lr_param(0.001), _acc_param(0.1), eps_param(1e-7)],
        "textbook": [lr_param(0.001), _acc_param(0.0), eps_param(1e-7, "δ: added outside the root")],
        "pytorch": [lr_param(0.01), _acc_param(0.0), eps_param(1e-10, "ε: added outside the root"),
                    HyperParam("lr_decay", 0.0, "PyTorch only: η_t = η / (1 + (t−1)·lr_decay)", low=0.0,
                               log=False, ui_low=0.0, ui_high=1.0)],
    }
    LATEX = {"keras": _KERAS, "textbook": _TEXTBOOK, "pytorch": _TORCH}
    NOTES = {"textbook": "Keras starts the accumulator at 0.1 (not 0) and puts ε inside the square root; "
                         "the paper starts at 0 and adds δ outside. Keras's advice 'use learning_rate=1.0 to "
                         "match the paper' is therefore still not exact.",
             "pytorch": "PyTorch follows the paper (a₀ = 0, ε = 1e-10 outside the root) with lr = 0.01 and an "
                        "optional lr_decay; identical to Keras only with Keras's a₀ = 0 and both ε = 0."}

    def _slot_names(self):
        return ("accumulator",)

    def _init_slot(self, name, p):
        return np.full_like(p, 1.0) * self.hp["initial_accumulator_value"]

    def _rule(self, g, w, s, lr, t, glob):
        a = s["accumulator"] + np.square(g)
        eps = self.hp["epsilon"]
        if self.flavor == "keras":
            w = w - (lr * g) / np.sqrt(a + eps)
        elif self.flavor == "pytorch":
            clr = lr / (1 + (t - 1) * self.hp["lr_decay"])
            w = w - clr * (g / (np.sqrt(a) + eps))
        else:
            w = w - (lr * g) / (eps + np.sqrt(a))
        return w, {**s, "accumulator": a}
