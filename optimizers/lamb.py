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
from .teaching import Slot, Teaching
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



def _explain(ex, opt):
    g, w, lr, t = ex.g_rule, ex.w_rule, ex.learning_rate, ex.t
    b1, b2, eps = float(opt.hp["beta_1"]), float(opt.hp["beta_2"]), float(opt.hp["epsilon"])
    m0, v0 = ex.slots_before["momentum"], ex.slots_before["velocity"]
    if opt.flavor == "keras":
        m = ex.eq("m_t", r"m_{t-1} + (1-\beta_1)(g_t - m_{t-1})", r"<m> + <one_minus_b1>\,(<g> - <m>)",
                  lambda m, one_minus_b1, g: m + (g - m) * one_minus_b1, m=m0, one_minus_b1=1 - b1, g=g,
                  expect=ex.slots_after["momentum"])
        v = ex.eq("v_t", r"v_{t-1} + (1-\beta_2)(g_t^2 - v_{t-1})", r"<v> + <one_minus_b2>\,(<g>^2 - <v>)",
                  lambda v, one_minus_b2, g: v + (np.square(g) - v) * one_minus_b2, v=v0, one_minus_b2=1 - b2, g=g,
                  expect=ex.slots_after["velocity"])
    else:
        m = ex.eq("m_t", r"\beta_1 m_{t-1} + (1-\beta_1)\, g_t", r"<b1>\,<m> + <one_minus_b1>\,<g>",
                  lambda b1, m, one_minus_b1, g: b1 * m + one_minus_b1 * g, b1=b1, m=m0, one_minus_b1=1 - b1, g=g,
                  expect=ex.slots_after["momentum"])
        v = ex.eq("v_t", r"\beta_2 v_{t-1} + (1-\beta_2)\, g_t^2", r"<b2>\,<v> + <one_minus_b2>\,<g>^2",
                  lambda b2, v, one_minus_b2, g: b2 * v + one_minus_b2 * np.square(g), b2=b2, v=v0,
                  one_minus_b2=1 - b2, g=g, expect=ex.slots_after["velocity"])
    r = ex.eq("r_t", r"\frac{m_t/(1-\beta_1^{\,t})}{\sqrt{v_t/(1-\beta_2^{\,t})} + \epsilon}",
              r"\frac{<m>/<bc1>}{\sqrt{<v>/<bc2>} + <eps>}",
              lambda m, bc1, v, bc2, eps: (m / bc1) / (np.sqrt(v / bc2) + eps),
              m=m, bc1=1.0 - b1 ** t, v=v, bc2=1.0 - b2 ** t, eps=eps)
    u, u_sym = r, "r_t"
    if opt.flavor == "textbook" and opt.weight_decay is not None:
        u = ex.eq("u_t", r"r_t + \lambda\, w_{t-1}", r"<r> + <lam>\,<w>", lambda r, lam, w: r + lam * w,
                  r=r, lam=float(opt.weight_decay), w=w)
        u_sym = "u_t"
    wn = ex.eq(r"\lVert w_{t-1}\rVert", r"\sqrt{\textstyle\sum w_{t-1}^2}", r"\sqrt{\textstyle\sum <w>^2}",
               lambda w: np.sqrt(np.sum(np.square(w))), w=w)
    un = ex.eq(rf"\lVert {u_sym}\rVert", rf"\sqrt{{\textstyle\sum {u_sym}^2}}", r"\sqrt{\textstyle\sum <u>^2}",
               lambda u: np.sqrt(np.sum(np.square(u))), u=u)
    tau = ex.eq(r"\tau_t", rf"\lVert w_{{t-1}}\rVert / \lVert {u_sym}\rVert\ \ (1\text{{ if either is }}0)",
                r"<wn> / <un>", lambda wn, un: np.where(wn > 0, np.where(un > 0, wn / np.where(un > 0, un, 1.0),
                                                                                  1.0), 1.0), wn=wn, un=un)
    ex.quantities += [("trust ratio τ", r"\tau_t", float(tau)), ("η·τ (this variable's rate)", r"\eta\,\tau_t",
                                                                 float(tau) * lr)]
    ex.eq("w_t", rf"w_{{t-1}} - \tau_t\,\eta\,{u_sym}", r"<w> - <tau>\cdot<lr>\,<u>",
          lambda w, tau, lr, u: w - tau * lr * u, w=w, tau=tau, lr=lr, u=u, expect=ex.w_new)


def _momentum_arrow(ex, opt):
    return ("−m: momentum (average g)", -np.asarray(ex.slots_after["momentum"], dtype=np.float64), False)


TEACHING = Teaching(
    summary="Adam's direction rescaled per variable (per layer) by a trust ratio ‖w‖/‖r‖, so every layer moves "
            "by η times its own size.",
    why="The direction is Adam's (at t = 1, ±1 per axis), but its length is then set by the trust ratio: the step "
        "is η·‖w‖ long whatever the gradient, so far from the origin the point takes big steps and near it "
        "small ones.",
    differences=(
        "Keras puts ε on the bias-corrected √v̂, the paper's placement (unlike Keras Adam).",
        "Weight decay: Keras decays w ← w − η·wd·w before the step, outside the trust ratio; the paper adds λw "
        "to the direction inside it, u = r + λw. Identical without decay.",
        "The ratio is 1 when ‖w‖ or ‖r‖ is 0 (the paper leaves it undefined), and φ is the identity.",
        "Norms are over each whole variable (a layer's kernel, its bias), not per coordinate.",
        "Kerasy and `torch.optim` (2.13) have no Lamb.",
    ),
    keras_note="weight decay outside the trust ratio",
    other_defaults={"Kerasy": "— (no Lamb)",
                    "Paper": "η, β₁, β₂, ε, λ are inputs (Algorithm 2); λw inside the trust ratio",
                    "PyTorch 2.13": "— (no Lamb in torch.optim)"},
    slots={"momentum": Slot("m", "a moving average of the gradient (β₁)"),
           "velocity": Slot("v", "a moving average of g² (β₂)")},
    explain=_explain,
    momentum_arrow=_momentum_arrow,
)

class Lamb(RunAxes, Optimizer):
    name = "Lamb"
    aliases = ("lamb",)
    HYPERPARAMS = {"keras": _PARAMS, "textbook": _PARAMS}
    LATEX = {"keras": _KERAS, "textbook": _TEXTBOOK}
    NOTES = {"textbook": _NOTE}
    TEACHING = TEACHING

    def _slot_names(self):
        return ("momentum", "velocity")

    def _weight_decay_factor(self, lr, step):
        # The paper's decay acts inside the trust ratio (in _rule); the base class's is then a no-op.
        return 0.0 if self.flavor == "textbook" else lr

    def _decay_in_rule(self):
        return self.flavor == "textbook"

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
