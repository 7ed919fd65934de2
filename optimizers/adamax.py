"""Adamax: Adam with the infinity norm (docs/maths.md, "Adamax").

``u ← max(β₂ u, |g|)`` is the p → ∞ limit of the p-norm EMA. Keras 3 adds ε
to u; the paper (Kingma & Ba, Alg. 2) has no ε and a default rate of 0.002,
not Keras's 0.001. In the textbook flavour a coordinate that has only ever
seen zero gradients has m = u = 0 and does not move (0/0 is taken as 0).
"""
import numpy as np

from .adam import ADAM_SLOTS, adam_momentum_arrow
from .base import HyperParam, Optimizer, eps_param, lr_param
from .teaching import Slot, Teaching


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


def _ratio(top, den):
    """top / den, with 0/0 (a coordinate that has only seen zero gradients) taken as 0."""
    return np.divide(top, den, out=np.zeros(np.broadcast_shapes(np.shape(top), np.shape(den))), where=den > 0)


def _explain(ex, opt):
    g, w, lr, t = ex.g_rule, ex.w_rule, ex.learning_rate, ex.t
    b1, b2 = float(opt.hp["beta_1"]), float(opt.hp["beta_2"])
    bc1 = 1 - b1 ** t
    ex.quantities.append(("1 − β₁ᵗ", r"1-\beta_1^t", bc1))
    m = ex.eq("m_t", r"m_{t-1} + (1-\beta_1)(g_t - m_{t-1})", r"<m> + <one_minus_b1>\,(<g> - <m>)",
              lambda m, one_minus_b1, g: m + (g - m) * one_minus_b1, m=ex.slots_before["momentum"],
              one_minus_b1=1 - b1, g=g, expect=ex.slots_after["momentum"])
    u0 = ex.slots_before["norm"]
    if opt.flavor == "pytorch":
        eps = float(opt.hp["epsilon"])
        u = ex.eq("u_t", r"\max(\beta_2\, u_{t-1},\ |g_t| + \epsilon)", r"\max(<b2>\,<u>,\ |<g>| + <eps>)",
                  lambda b2, u, g, eps: np.maximum(u * b2, np.abs(g) + eps), b2=b2, u=u0, g=g, eps=eps,
                  expect=ex.slots_after["norm"])
        ex.eq("w_t", r"w_{t-1} - \frac{\eta}{1-\beta_1^{\,t}}\,\frac{m_t}{u_t}", r"<w> - \frac{<lr>}{<bc1>}\,\frac{<m>}{<u>}",
              lambda w, lr, bc1, m, u: w - (lr / bc1) * (m / u), w=w, lr=lr, bc1=bc1, m=m, u=u, expect=ex.w_new)
        return
    u = ex.eq("u_t", r"\max(\beta_2\, u_{t-1},\ |g_t|)", r"\max(<b2>\,<u>,\ |<g>|)",
              lambda b2, u, g: np.maximum(b2 * u, np.abs(g)), b2=b2, u=u0, g=g, expect=ex.slots_after["norm"])
    if opt.flavor == "keras":
        eps = float(opt.hp["epsilon"])
        ex.eq("w_t", r"w_{t-1} - \frac{\eta\, m_t}{(1-\beta_1^{\,t})\,(u_t + \epsilon)}",
              r"<w> - \frac{<lr>\,<m>}{<bc1>\,(<u> + <eps>)}",
              lambda w, lr, m, bc1, u, eps: w - (lr * m) / (bc1 * (u + eps)),
              w=w, lr=lr, m=m, bc1=bc1, u=u, eps=eps, expect=ex.w_new)
    else:
        ex.eq("w_t", r"w_{t-1} - \frac{\eta}{1-\beta_1^{\,t}}\,\frac{m_t}{u_t}", r"<w> - \frac{<lr>}{<bc1>}\,\frac{<m>}{<u>}",
              lambda w, lr, bc1, m, u: w - (lr / bc1) * _ratio(m, u), w=w, lr=lr, bc1=bc1, m=m, u=u, expect=ex.w_new)


TEACHING = Teaching(
    summary="Adam with the infinity norm: the denominator is a decaying maximum of |g| instead of an RMS.",
    why="Like Adam, but divided by u = max(β₂·u, |g|), the largest recent |g|: at t = 1, m̂/u = ±1, so each axis "
        "moves ≈ η; afterwards one large gradient keeps that axis's steps small for a long time.",
    differences=(
        "Keras adds ε (1e-7) to u: w ← w − η·m/((1−β₁ᵗ)(u + ε)). The paper has no ε; PyTorch puts it "
        "inside the max, u ← max(β₂u, |g| + ε).",
        "Default learning rate: Keras **0.001**; the paper, Kerasy and PyTorch 0.002 (the Keras "
        "docstring's 'defaults follow the paper' is wrong for the learning rate).",
        "u ← max(β₂u, |g|) is the p → ∞ limit of the p-norm average (β₂ → β₂ᵖ, p-th root outside).",
    ),
    keras_note="ε added to u; lr is not the paper's 0.002",
    other_defaults={"Kerasy": "learning_rate=0.002, ε=1e-7 on u", "Paper": "α=2e-3, β₁=0.9, β₂=0.999, no ε",
                    "PyTorch 2.13": "lr=2e-3, eps=1e-8 inside the max"},
    slots={"momentum": ADAM_SLOTS["momentum"], "norm": Slot("u", "the largest recent |g| (decaying)")},
    explain=_explain,
    momentum_arrow=adam_momentum_arrow,
)


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
    TEACHING = TEACHING

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
            w = w - (lr / (1 - b1_power)) * _ratio(m, u)
        return w, {**s, "momentum": m, "norm": u}
