"""Lion (spec §3.9; Chen et al. 2023, Alg. 2).

Every coordinate moves by exactly ±η (or 0): the sign of an interpolation
between the *old* momentum and the gradient. The momentum EMA is updated
*after* the step, with a different β. One slot per weight: half of Adam's
state (it still keeps one, contrary to the article's claim). The paper
advises a learning rate 3–10× smaller than AdamW's.
"""
import numpy as np

from .base import HyperParam, Optimizer, lr_param

_PARAMS = [
    lr_param(0.001),
    HyperParam("beta_1", 0.9, "β₁: interpolation used for the sign", low=0.0, high=1.0, low_open=True,
               ui_low=0.01, ui_high=1.0, symbol=r"\beta_1"),
    HyperParam("beta_2", 0.99, "β₂: decay of the momentum EMA", low=0.0, high=1.0,
               ui_low=0.0, ui_high=0.9999, symbol=r"\beta_2"),
]

_LATEX = r"""\begin{aligned}
c_t &= \beta_1\, m_{t-1} + (1-\beta_1)\, g_t\\
w_t &= w_{t-1} - \eta\,\operatorname{sign}(c_t)\\
m_t &= \beta_2\, m_{t-1} + (1-\beta_2)\, g_t
\end{aligned}"""


class Lion(Optimizer):
    name = "Lion"
    aliases = ("lion",)
    HYPERPARAMS = {"keras": _PARAMS, "textbook": _PARAMS}
    LATEX = {"keras": _LATEX, "textbook": _LATEX}
    NOTES = {"textbook": "Same rule, order and defaults as the paper; with weight decay Keras computes "
                         "exactly the paper's θ ← θ − η(sign(c) + λθ)."}

    def _slot_names(self):
        return ("momentum",)

    def _rule(self, g, w, s, lr, t, glob):
        b1, b2 = self.hp["beta_1"], self.hp["beta_2"]
        m = s["momentum"]
        w = w - lr * np.sign(m * b1 + g * (1.0 - b1))
        return w, {**s, "momentum": m * b2 + g * (1.0 - b2)}
