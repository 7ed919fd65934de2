"""Lamb (You et al. 2019, "Large Batch Optimization for Deep Learning", Algorithm 2).

Adam's bias-corrected direction ``r = m̂ / (√v̂ + ε)``, rescaled per variable
(per layer) by a *trust ratio* ``‖w‖ / ‖r‖``: every variable moves by
``η‖w‖`` in norm, whatever the size of its gradient. The ratio is 1 when
either norm is 0 (a zero-initialised layer still moves).

Keras 3 puts ε on the bias-corrected √v̂ (the textbook placement, unlike
Keras Adam), and its weight decay is the base class's decoupled step
``w ← w − η·wd·w`` *before* the rule, outside the trust ratio. The paper
puts λw inside: ``w ← w − η φ(‖w‖)/‖r + λw‖ · (r + λw)``; the textbook
flavour does that (φ = identity). With no weight decay the two flavours
are the same rule. torch.optim has no Lamb.
"""
import numpy as np

from ._layout import RunAxes, var_axes
from .base import HyperParam, Optimizer, eps_param, lr_param

_PARAMS = [
    lr_param(0.001),
    HyperParam("beta_1", 0.9, "β₁: decay of the gradient average (momentum)", low=0.0, high=1.0,
               high_open=True, ui_low=0.0, ui_high=0.999, symbol=r"\beta_1"),
    HyperParam("beta_2", 0.999, "β₂: decay of the squared-gradient average", low=0.0, high=1.0,
               high_open=True, ui_low=0.0, ui_high=0.9999, symbol=r"\beta_2"),
    eps_param(1e-7, "ε: added to the bias-corrected √v̂"),
]

_KERAS = r"""\begin{aligned}
w_{t-1} &\leftarrow w_{t-1} - \eta\,\lambda\, w_{t-1} &&\text{(weight decay, if set: before the rule)}\\
m_t &= m_{t-1} + (1-\beta_1)(g_t - m_{t-1}),\qquad v_t = v_{t-1} + (1-\beta_2)(g_t^2 - v_{t-1})\\
r_t &= \frac{m_t / (1-\beta_1^{\,t})}{\sqrt{v_t / (1-\beta_2^{\,t})} + \epsilon}\\
\tau_t &= \begin{cases}\lVert w_{t-1}\rVert / \lVert r_t\rVert & \lVert w_{t-1}\rVert > 0 \text{ and } \lVert r_t\rVert > 0\\
1 & \text{otherwise}\end{cases} &&\text{(norms over the whole variable)}\\
w_t &= w_{t-1} - \eta\,\tau_t\, r_t
\end{aligned}"""

_TEXTBOOK = r"""\begin{aligned}
m_t &= \beta_1 m_{t-1} + (1-\beta_1)\, g_t,\qquad v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2\\
\hat m_t &= \frac{m_t}{1-\beta_1^{\,t}},\qquad \hat v_t = \frac{v_t}{1-\beta_2^{\,t}},\qquad
r_t = \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}\\
u_t &= r_t + \lambda\, w_{t-1}\\
w_t &= w_{t-1} - \eta\,\frac{\phi(\lVert w_{t-1}\rVert)}{\lVert u_t\rVert}\, u_t
\qquad (\phi(z) = z;\ \text{ratio } 1 \text{ if a norm is } 0)
\end{aligned}"""

_NOTE = ("Same moments, bias corrections and ε placement as the paper's Algorithm 2. Two differences: "
         "(1) weight decay: Keras decays w ← w − η·wd·w before the step, outside the trust ratio; the paper adds "
         "λw to the direction inside it, u = r + λw, so the decay is rescaled by ‖w‖/‖u‖ too (identical when "
         "λ = 0); (2) the paper leaves the ratio undefined when ‖w‖ or ‖r‖ is 0 and allows a clipping φ; here, "
         "as in Keras, the ratio is 1 then and φ is the identity. Algorithm 2 lists η, β₁, β₂, ε as inputs "
         "without defaults: Keras's defaults are used.")


class Lamb(RunAxes, Optimizer):
    name = "Lamb"
    aliases = ("lamb",)
    HYPERPARAMS = {"keras": _PARAMS, "textbook": _PARAMS}
    LATEX = {"keras": _KERAS, "textbook": _TEXTBOOK}
    NOTES = {"textbook": _NOTE}
    SLOT_HELP = {"momentum": "m: average of the gradients (β₁)",
                 "velocity": "v: average of the squared gradients (β₂)"}

    def _slot_names(self):
        return ("momentum", "velocity")

    def _weight_decay_factor(self, lr, step):
        # The paper's decay acts inside the trust ratio (in _rule); the base class's is then a no-op.
        return 0.0 if self.flavor == "textbook" else lr

    def _rule(self, g, w, s, lr, t, glob):
        b1, b2, eps = self.hp["beta_1"], self.hp["beta_2"], self.hp["epsilon"]
        axes = var_axes(w)
        if self.flavor == "keras":
            m = s["momentum"] + (g - s["momentum"]) * (1 - b1)
            v = s["velocity"] + (np.square(g) - s["velocity"]) * (1 - b2)
            u = (m / (1.0 - b1 ** t)) / (np.sqrt(v / (1.0 - b2 ** t)) + eps)
        else:
            m = b1 * s["momentum"] + (1 - b1) * g
            v = b2 * s["velocity"] + (1 - b2) * np.square(g)
            u = (m / (1.0 - b1 ** t)) / (np.sqrt(v / (1.0 - b2 ** t)) + eps)
            if self.weight_decay is not None:
                u = u + self.weight_decay * w
        w_norm = np.sqrt(np.sum(np.square(w), axis=axes, keepdims=True))
        u_norm = np.sqrt(np.sum(np.square(u), axis=axes, keepdims=True))
        ratio = np.where(w_norm > 0, np.where(u_norm > 0, w_norm / u_norm, 1.0), 1.0)
        return w - ratio * lr * u, {**s, "momentum": m, "velocity": v}
