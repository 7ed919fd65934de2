"""Adamax (spec §3.7): Adam with the infinity norm.

``u ← max(β₂ u, |g|)`` is the p → ∞ limit of the p-norm EMA. Keras 3 adds ε
to u; the paper (Kingma & Ba, Alg. 2) has no ε and a default rate of 0.002,
not Keras's 0.001. In the textbook flavour a coordinate that has only ever
seen zero gradients has m = u = 0 and does not move (0/0 is taken as 0).
"""
import numpy as np

from .base import HyperParam, Optimizer, eps_param, lr_param


def _betas():
    return [
        HyperParam("beta_1", 0.9, "β₁: decay of the gradient average", low=0.0, high=1.0, high_open=True,
                   ui_low=0.0, ui_high=0.999, symbol=r"\beta_1"),
        HyperParam("beta_2", 0.999, "β₂: decay of the infinity norm", low=0.0, high=1.0, high_open=True,
                   ui_low=0.0, ui_high=0.9999, symbol=r"\beta_2"),
    ]


_KERAS = r"""\begin{aligned}
m_t &= m_{t-1} + (1-\beta_1)(g_t - m_{t-1})\\
u_t &= \max(\beta_2\, u_{t-1},\ |g_t|)\\
w_t &= w_{t-1} - \frac{\eta\, m_t}{(1-\beta_1^{\,t})\,(u_t + \epsilon)}
\end{aligned}"""

_TEXTBOOK = r"""\begin{aligned}
m_t &= \beta_1 m_{t-1} + (1-\beta_1)\, g_t\\
u_t &= \max(\beta_2\, u_{t-1},\ |g_t|)\\
w_t &= w_{t-1} - \frac{\eta}{1-\beta_1^{\,t}}\,\frac{m_t}{u_t}
\end{aligned}"""


class Adamax(Optimizer):
    name = "Adamax"
    aliases = ("adamax",)
    HYPERPARAMS = {"keras": [lr_param(0.001), *_betas(), eps_param(1e-7)],
                   "textbook": [lr_param(0.002), *_betas()],
                   "pytorch": [lr_param(0.002), *_betas(), eps_param(1e-8, "ε: added to |g| inside the max")]}
    LATEX = {"keras": _KERAS, "textbook": _TEXTBOOK,
             "pytorch": _TEXTBOOK.replace(r"|g_t|)", r"|g_t| + \epsilon)")}
    NOTES = {"textbook": "The paper has no ε and α = 0.002; Keras adds ε to u and defaults to 0.001 "
                         "(its docstring's 'defaults follow the paper' is wrong for the learning rate).",
             "pytorch": "PyTorch puts ε inside the max, u = max(β₂u, |g| + ε), with lr = 0.002 and ε = 1e-8; "
                        "identical to Keras when ε = 0."}

    def _slot_names(self):
        return ("momentum", "norm")

    def _rule(self, g, w, s, lr, t, glob):
        b1, b2 = self.hp["beta_1"], self.hp["beta_2"]
        m = s["momentum"] + (g - s["momentum"]) * (1 - b1)
        if self.flavor == "pytorch":
            u = np.maximum(s["norm"] * b2, np.abs(g) + self.hp["epsilon"])
            clr = lr / (1 - b1 ** t)
            return w - clr * (m / u), {**s, "momentum": m, "norm": u}
        u = np.maximum(b2 * s["norm"], np.abs(g))
        b1_power = b1 ** t
        if self.flavor == "keras":
            w = w - (lr * m) / ((1 - b1_power) * (u + self.hp["epsilon"]))
        else:
            ratio = np.divide(m, u, out=np.zeros(np.broadcast_shapes(m.shape, u.shape)), where=u > 0)
            w = w - (lr / (1 - b1_power)) * ratio
        return w, {**s, "momentum": m, "norm": u}
