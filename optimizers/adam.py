"""Adam and AMSGrad (docs/maths.md, "Adam").

Keras 3 uses Kingma & Ba's "efficient" form (end of their Sec. 2): fold both
bias corrections into the step size and add ε̂ to the *uncorrected* √v:

    α_t = η √(1 − β₂ᵗ) / (1 − β₁ᵗ),   w ← w − α_t m / (√v + ε̂)

This is the textbook rule except for ε: ε̂ acts like a textbook
ε_t = ε̂ / √(1 − β₂ᵗ) (:func:`equivalent_textbook_epsilon`).
β₁ and β₂ are constants; the powers βᵗ are only the bias correction.
AMSGrad as Reddi et al. (2018) write it (the textbook flavour) has neither
bias correction nor ε.
"""
import math

import numpy as np

from .base import HyperParam, Optimizer, bool_param, eps_param, lr_param, sqrt
from .teaching import Slot, Teaching, fmt


def adam_params(lr, eps, eps_help=None):
    return [
        lr_param(lr),
        HyperParam("beta_1", 0.9, "β₁: decay of the gradient average (momentum)", low=0.0, high=1.0,
                   high_open=True, ui_low=0.0, ui_high=0.999, symbol=r"\beta_1"),
        HyperParam("beta_2", 0.999, "β₂: decay of the squared-gradient average", low=0.0, high=1.0,
                   high_open=True, ui_low=0.0, ui_high=0.9999, symbol=r"\beta_2"),
        eps_param(eps) if eps_help is None else eps_param(eps, eps_help),
        bool_param("amsgrad", False, "AMSGrad: divide by the largest second moment seen so far"),
    ]


TEXTBOOK_EPS_HELP = "ε: added to √v̂ (not used by AMSGrad: Reddi et al.'s rule has none)"

KERAS_LATEX = r"""\begin{aligned}
m_t &= m_{t-1} + (1-\beta_1)(g_t - m_{t-1})\\
v_t &= v_{t-1} + (1-\beta_2)(g_t^2 - v_{t-1})\\
v^{\max}_t &= \max(v^{\max}_{t-1}, v_t) &&\text{(amsgrad: used in place of } v_t\text{)}\\
\alpha_t &= \eta\,\frac{\sqrt{1-\beta_2^{\,t}}}{1-\beta_1^{\,t}}\\
w_t &= w_{t-1} - \alpha_t\,\frac{m_t}{\sqrt{v_t} + \hat\epsilon}
\end{aligned}"""

TEXTBOOK_LATEX = r"""\begin{aligned}
m_t &= \beta_1 m_{t-1} + (1-\beta_1)\, g_t,\qquad v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2\\
\hat m_t &= \frac{m_t}{1-\beta_1^{\,t}},\qquad \hat v_t = \frac{v_t}{1-\beta_2^{\,t}}\\
w_t &= w_{t-1} - \eta\,\frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}\\
\text{AMSGrad: } v^{\max}_t &= \max(v^{\max}_{t-1}, v_t),\quad w_t = w_{t-1} - \eta\,\frac{m_t}{\sqrt{v^{\max}_t}}
\end{aligned}"""

TORCH_LATEX = r"""\begin{aligned}
m_t &= m_{t-1} + (1-\beta_1)(g_t - m_{t-1}),\qquad v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2\\
v^{\max}_t &= \max(v^{\max}_{t-1}, v_t) &&\text{(amsgrad: used in place of } v_t\text{)}\\
w_t &= w_{t-1} - \frac{\eta}{1-\beta_1^{\,t}}\;\frac{m_t}{\sqrt{v_t}\,/\sqrt{1-\beta_2^{\,t}} + \epsilon}
\end{aligned}"""

TORCH_NOTE = ("torch.optim.Adam puts ε on the bias-corrected √v̂ (the textbook placement) with ε = 1e-8, and its "
              "weight_decay is L2 added to the gradient (use AdamW for decoupled decay). Identical to Keras "
              "when ε = 0, with or without AMSGrad.")

_KERAS_DEFAULTS = {"beta_2": 0.999, "epsilon": 1e-7}


def equivalent_textbook_epsilon(t: int = 1, eps_hat: float = 1e-7, beta_2: float = 0.999) -> float:
    """The textbook ε that Keras's ε̂ amounts to at step t: ε̂ / √(1 − β₂ᵗ)."""
    return eps_hat / math.sqrt(1 - beta_2 ** t)


def _eps_text() -> str:
    e = _KERAS_DEFAULTS["epsilon"]
    return (f"ε̂ acts as a textbook ε_t = ε̂/√(1−β₂ᵗ) ({fmt(equivalent_textbook_epsilon(1, e))} at t = 1, "
            f"{fmt(equivalent_textbook_epsilon(10, e))} at t = 10, {fmt(equivalent_textbook_epsilon(1000, e))} at "
            f"t = 1000 for ε̂ = {fmt(e)})")


ADAM_NOTE = ("Algebraically the same as Keras except for ε: Keras adds ε̂ to √v before bias correction, so "
             + _eps_text() + ". The paper's default ε is 1e-8, Keras's 1e-7. AMSGrad as in Reddi et al. (2018) "
             "has no bias correction and no ε (a coordinate with only zero gradients does not move: 0/0 is "
             "taken as 0); Keras keeps the bias correction and ε̂ and takes the max of the raw v.")


def explain_adam(ex, opt, rate=r"\eta"):
    """Adam's (and AdamW's) equations with one step's numbers; ``rate`` is the step size's symbol."""
    g, w, lr, t = ex.g_rule, ex.w_rule, ex.learning_rate, ex.t
    b1, b2, eps = float(opt.hp["beta_1"]), float(opt.hp["beta_2"]), float(opt.hp["epsilon"])
    m0, v0 = ex.slots_before["momentum"], ex.slots_before["velocity"]
    bc1, bc2 = 1 - b1 ** t, 1 - b2 ** t
    ex.quantities += [("1 − β₁ᵗ", r"1-\beta_1^t", bc1), ("1 − β₂ᵗ", r"1-\beta_2^t", bc2)]
    ams = "velocity_hat" in ex.slots_after
    if opt.flavor == "textbook":
        m = ex.eq("m_t", r"\beta_1 m_{t-1} + (1-\beta_1)\, g_t", r"<b1>\,<m> + <one_minus_b1>\,<g>",
                  lambda b1, m, one_minus_b1, g: b1 * m + one_minus_b1 * g, b1=b1, m=m0, one_minus_b1=1 - b1, g=g,
                  expect=ex.slots_after["momentum"])
    else:
        m = ex.eq("m_t", r"m_{t-1} + (1-\beta_1)(g_t - m_{t-1})", r"<m> + <one_minus_b1>\,(<g> - <m>)",
                  lambda m, one_minus_b1, g: m + (g - m) * one_minus_b1, m=m0, one_minus_b1=1 - b1, g=g,
                  expect=ex.slots_after["momentum"])
    if opt.flavor == "keras":
        v = ex.eq("v_t", r"v_{t-1} + (1-\beta_2)(g_t^2 - v_{t-1})", r"<v> + <one_minus_b2>\,(<g>^2 - <v>)",
                  lambda v, one_minus_b2, g: v + (np.square(g) - v) * one_minus_b2, v=v0, one_minus_b2=1 - b2, g=g,
                  expect=ex.slots_after["velocity"])
    else:
        v = ex.eq("v_t", r"\beta_2 v_{t-1} + (1-\beta_2)\, g_t^2", r"<b2>\,<v> + <one_minus_b2>\,<g>^2",
                  lambda b2, v, one_minus_b2, g: b2 * v + one_minus_b2 * np.square(g), b2=b2, v=v0,
                  one_minus_b2=1 - b2, g=g, expect=ex.slots_after["velocity"])
    if ams:
        v = ex.eq(r"v^{\max}_t", r"\max(v^{\max}_{t-1}, v_t)", r"\max(<vmax>, <v>)",
                  lambda vmax, v: np.maximum(vmax, v), vmax=ex.slots_before["velocity_hat"], v=v,
                  expect=ex.slots_after["velocity_hat"])
    vs = r"v^{\max}_t" if ams else "v_t"
    if opt.flavor == "keras":
        alpha = ex.eq(r"\alpha_t", r"\eta\,\frac{\sqrt{1-\beta_2^{\,t}}}{1-\beta_1^{\,t}}",
                      r"<lr>\,\frac{\sqrt{<bc2>}}{<bc1>}", lambda lr, bc2, bc1: lr * np.sqrt(bc2) / bc1,
                      lr=lr, bc2=bc2, bc1=bc1)
        ex.quantities.append(("α_t", r"\alpha_t", float(alpha)))
        ex.eq("w_t", rf"w_{{t-1}} - \alpha_t\,\frac{{m_t}}{{\sqrt{{{vs}}} + \hat\epsilon}}",
              r"<w> - <alpha>\,\frac{<m>}{\sqrt{<v>} + <eps>}", lambda w, alpha, m, v, eps: w - (m * alpha) / (np.sqrt(v) + eps),
              w=w, alpha=float(alpha), m=m, v=v, eps=eps, expect=ex.w_new)
    elif opt.flavor == "pytorch":
        ex.eq("w_t", rf"w_{{t-1}} - \frac{{\eta}}{{1-\beta_1^{{\,t}}}}\,\frac{{m_t}}{{\sqrt{{{vs}}}/\sqrt{{1-\beta_2^{{\,t}}}} + \epsilon}}",
              r"<w> - \frac{<lr>}{<bc1>}\,\frac{<m>}{\sqrt{<v>}/\sqrt{<bc2>} + <eps>}",
              lambda w, lr, bc1, m, v, bc2, eps: w - (lr / bc1) * (m / (np.sqrt(v) / np.sqrt(bc2) + eps)),
              w=w, lr=lr, bc1=bc1, m=m, v=v, bc2=bc2, eps=eps, expect=ex.w_new)
    elif ams:  # Reddi et al.: no bias correction, no ε
        ex.eq("w_t", rf"w_{{t-1}} - {rate}\,\frac{{m_t}}{{\sqrt{{v^{{\max}}_t}}}}", r"<w> - <lr>\,\frac{<m>}{\sqrt{<v>}}",
              lambda w, lr, m, v: w - _ratio(lr * m, np.sqrt(v)), w=w, lr=lr, m=m, v=v, expect=ex.w_new)
    else:
        m_hat = ex.eq(r"\hat m_t", r"\frac{m_t}{1-\beta_1^{\,t}}", r"\frac{<m>}{<bc1>}", lambda m, bc1: m / bc1,
                      m=m, bc1=bc1)
        v_hat = ex.eq(r"\hat v_t", r"\frac{v_t}{1-\beta_2^{\,t}}", r"\frac{<v>}{<bc2>}", lambda v, bc2: v / bc2,
                      v=v, bc2=bc2)
        ex.eq("w_t", rf"w_{{t-1}} - {rate}\,\frac{{\hat m_t}}{{\sqrt{{\hat v_t}} + \epsilon}}",
              r"<w> - <lr>\,\frac{<m_hat>}{\sqrt{<v_hat>} + <eps>}",
              lambda w, lr, m_hat, v_hat, eps: w - lr * m_hat / (np.sqrt(v_hat) + eps),
              w=w, lr=lr, m_hat=m_hat, v_hat=v_hat, eps=eps, expect=ex.w_new)


def adam_momentum_arrow(ex, opt):
    if "momentum" not in ex.slots_after:
        return None
    return ("−m: momentum (average g)", -np.asarray(ex.slots_after["momentum"]), False)


def _ratio(top, den):
    """top / den, with 0/0 (a coordinate that has only seen zero gradients) taken as 0."""
    out = np.zeros(np.broadcast_shapes(np.shape(top), np.shape(den)))
    return np.divide(top, den, out=out, where=den > 0)


ADAM_SLOTS = {"momentum": Slot("m", "a moving average of the gradient"),
              "velocity": Slot("v", "a moving average of g²"),
              "velocity_hat": Slot("v̂ₘₐₓ", "the largest v so far (AMSGrad)")}

TEACHING = Teaching(
    summary="Momentum (an average of gradients) divided by the root of an average of squared "
            "gradients, with both averages bias-corrected.",
    why="At t = 1, m̂ = g and v̂ = g², so m̂/√v̂ = ±1: each axis moves by ≈ η whatever the gradient's size — "
        "a big, diagonal first step even on a gentle slope. Later, m̂/√v̂ behaves like a signal-to-noise "
        "ratio: steady gradients keep steps near η, gradients that flip sign shrink them.",
    differences=(
        "Keras folds both bias corrections into the step size, α_t = η·√(1−β₂ᵗ)/(1−β₁ᵗ), and adds ε̂ "
        "to the UNcorrected √v: Kingma & Ba's own 'efficient' form. It is identical to the textbook "
        "rule except for ε: " + _eps_text() + ".",
        "Default ε: 1e-7 in Keras (and Kerasy), 1e-8 in the paper and PyTorch.",
        "β₁ and β₂ are constants; the powers βᵗ are only the bias correction.",
        "AMSGrad: Keras and PyTorch take the max of the raw v and keep the √(1−β₂ᵗ) factor and ε; Reddi et "
        "al.'s algorithm has no bias correction and no ε (w ← w − η·m/√v̂ₘₐₓ).",
        "PyTorch's `Adam(weight_decay=λ)` is coupled L2; Keras's `Adam(weight_decay=λ)` is decoupled "
        "and exactly `AdamW(weight_decay=λ)`.",
        "Keras counts steps with one global counter; PyTorch counts per parameter.",
    ),
    keras_note="ε̂ on the uncorrected √v (efficient form)",
    other_defaults={"Kerasy": "learning_rate=0.001, beta_1=0.9, beta_2=0.999, ε̂=1e-7 (settable only through "
                              "the misspelt keyword `eosukib`)",
                    "Paper": "α=1e-3, β₁=0.9, β₂=0.999, ε=1e-8",
                    "PyTorch 2.13": "lr=1e-3, betas=(0.9, 0.999), eps=1e-8 (textbook placement)"},
    slots=ADAM_SLOTS,
    explain=explain_adam,
    momentum_arrow=adam_momentum_arrow,
)


class Adam(Optimizer):
    name = "Adam"
    aliases = ("adam",)
    HYPERPARAMS = {"keras": adam_params(0.001, 1e-7), "textbook": adam_params(0.001, 1e-8, TEXTBOOK_EPS_HELP),
                   "pytorch": adam_params(0.001, 1e-8)}
    LATEX = {"keras": KERAS_LATEX, "textbook": TEXTBOOK_LATEX, "pytorch": TORCH_LATEX}
    NOTES = {"textbook": ADAM_NOTE, "pytorch": TORCH_NOTE}
    TEACHING = TEACHING

    def _slot_names(self):
        return ("momentum", "velocity", "velocity_hat") if self.hp["amsgrad"] else ("momentum", "velocity")

    def _rule(self, g, w, s, lr, t, glob):
        b1, b2, eps = self.hp["beta_1"], self.hp["beta_2"], self.hp["epsilon"]
        new = dict(s)
        if self.flavor == "keras":
            # Python's ** on floats and np.power both call C's pow(): the same bits, less overhead.
            b1_power, b2_power = b1 ** t, b2 ** t
            alpha = lr * sqrt(1 - b2_power) / (1 - b1_power)
            m = s["momentum"] + (g - s["momentum"]) * (1 - b1)
            v = s["velocity"] + (np.square(g) - s["velocity"]) * (1 - b2)
            new.update(momentum=m, velocity=v)
            if "velocity_hat" in s:
                v = np.maximum(s["velocity_hat"], v)
                new["velocity_hat"] = v
            return w - (m * alpha) / (np.sqrt(v) + eps), new
        if self.flavor == "pytorch":
            m = s["momentum"] + (g - s["momentum"]) * (1 - b1)
            v = b2 * s["velocity"] + (1 - b2) * np.square(g)
            new.update(momentum=m, velocity=v)
            if "velocity_hat" in s:
                v = np.maximum(s["velocity_hat"], v)
                new["velocity_hat"] = v
            denom = np.sqrt(v) / sqrt(1 - b2 ** t) + eps
            return w - (lr / (1 - b1 ** t)) * (m / denom), new
        # Textbook (Kingma & Ba, Algorithm 1; Reddi et al., Algorithm 2, for AMSGrad).
        m = b1 * s["momentum"] + (1 - b1) * g
        v = b2 * s["velocity"] + (1 - b2) * np.square(g)
        new.update(momentum=m, velocity=v)
        if "velocity_hat" in s:
            vmax = np.maximum(s["velocity_hat"], v)
            new["velocity_hat"] = vmax
            return w - _ratio(lr * m, np.sqrt(vmax)), new  # no bias correction, no ε
        m_hat = m / (1 - b1 ** t)
        v_hat = v / (1 - b2 ** t)
        return w - lr * m_hat / (np.sqrt(v_hat) + eps), new
