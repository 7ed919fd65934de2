"""Lion (Chen et al. 2023, Alg. 2; docs/maths.md, "Lion").

Every coordinate moves by exactly ±η (or 0): the sign of an interpolation
between the *old* momentum and the gradient. The momentum EMA is updated
*after* the step, with a different β. One slot per weight: half of Adam's
state (it still keeps one, contrary to the article's claim). The paper
advises a learning rate 3–10× smaller than AdamW's.
"""
import numpy as np

from .base import HyperParam, Optimizer, lr_param
from .teaching import Slot, Teaching

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


def _explain(ex, opt):
    g, w, lr = ex.g_rule, ex.w_rule, ex.learning_rate
    b1, b2 = float(opt.hp["beta_1"]), float(opt.hp["beta_2"])
    m0 = ex.slots_before["momentum"]
    c = ex.eq("c_t", r"\beta_1\, m_{t-1} + (1-\beta_1)\, g_t", r"<b1>\,<m> + <one_minus_b1>\,<g>",
              lambda b1, m, one_minus_b1, g: m * b1 + g * one_minus_b1, b1=b1, m=m0, one_minus_b1=1.0 - b1, g=g)
    ex.quantities.append(("interpolation c", "c_t", c))
    ex.eq("w_t", r"w_{t-1} - \eta\,\operatorname{sign}(c_t)", r"<w> - <lr>\,\operatorname{sign}(<c>)",
          lambda w, lr, c: w - lr * np.sign(c), w=w, lr=lr, c=c, expect=ex.w_new)
    ex.eq("m_t", r"\beta_2\, m_{t-1} + (1-\beta_2)\, g_t", r"<b2>\,<m> + <one_minus_b2>\,<g>",
          lambda b2, m, one_minus_b2, g: m * b2 + g * one_minus_b2, b2=b2, m=m0, one_minus_b2=1.0 - b2, g=g,
          expect=ex.slots_after["momentum"])


def _momentum_arrow(ex, opt):
    c = next((q[2] for q in ex.quantities if q[1] == "c_t"), None)
    return None if c is None else ("−c: momentum mix (its sign is the step)", -np.asarray(c, dtype=np.float64), False)


TEACHING = Teaching(
    summary="Moves every coordinate by exactly ±η: the sign of an interpolation between the old "
            "momentum and the gradient.",
    why="sign() makes every coordinate move exactly ±η, so every step has length η·√2 and is diagonal, "
        "whatever the gradient's size. The momentum only decides the signs.",
    differences=(
        "Keras computes the paper's rule in the paper's order, with its defaults (β₁ 0.9, β₂ 0.99): the "
        "sign of the interpolation with the OLD m, then the weight step, then the momentum update.",
        "It keeps ONE momentum slot per weight: half of Adam's state, not none.",
        "β₁ must be in (0, 1]; Keras's error message says [0, 1], but 0 is rejected.",
        "With `weight_decay` Keras computes exactly the paper's θ ← θ − η(sign(c) + λθ).",
        "The paper advises a learning rate 3–10× smaller than AdamW's and a λ 3–10× larger.",
        "Kerasy and `torch.optim` (2.13) have no Lion.",
    ),
    keras_note="same as the paper",
    other_defaults={"Kerasy": "— (no Lion)", "Paper": "β₁=0.9, β₂=0.99; lr 3–10× smaller than AdamW's",
                    "PyTorch 2.13": "— (no Lion in torch.optim)"},
    slots={"momentum": Slot("m", "a moving average of the gradient (updated after the step)")},
    explain=_explain,
    momentum_arrow=_momentum_arrow,
)


class Lion(Optimizer):
    name = "Lion"
    aliases = ("lion",)
    HYPERPARAMS = {"keras": _PARAMS, "textbook": _PARAMS}
    LATEX = {"keras": _LATEX, "textbook": _LATEX}
    NOTES = {"textbook": "Same rule, order and defaults as the paper; with weight decay Keras computes "
                         "exactly the paper's θ ← θ − η(sign(c) + λθ)."}
    TEACHING = TEACHING

    def _slot_names(self):
        return ("momentum",)

    def _rule(self, g, w, s, lr, t, glob):
        b1, b2 = self.hp["beta_1"], self.hp["beta_2"]
        m = s["momentum"]
        w = w - lr * np.sign(m * b1 + g * (1.0 - b1))
        return w, {**s, "momentum": m * b2 + g * (1.0 - b2)}
