"""Adam and AMSGrad (spec §3.5).

Keras 3 uses Kingma & Ba's "efficient" form (end of their Sec. 2): fold both
bias corrections into the step size and add ε̂ to the *uncorrected* √v:

    α_t = η √(1 − β₂ᵗ) / (1 − β₁ᵗ),   w ← w − α_t m / (√v + ε̂)

This is the textbook rule except for ε: ε̂ acts like a textbook
ε_t = ε̂ / √(1 − β₂ᵗ), which is 3.2e-6 at t = 1 for the default 1e-7.
β₁ and β₂ are constants; the powers βᵗ are only the bias correction.
"""
import numpy as np

from .base import HyperParam, Optimizer, bool_param, eps_param, lr_param, sqrt


def adam_params(lr, eps):
    return [
        lr_param(lr),
        HyperParam("beta_1", 0.9, "β₁: decay of the gradient average (momentum)", low=0.0, high=1.0,
                   high_open=True, ui_low=0.0, ui_high=0.999, symbol=r"\beta_1"),
        HyperParam("beta_2", 0.999, "β₂: decay of the squared-gradient average", low=0.0, high=1.0,
                   high_open=True, ui_low=0.0, ui_high=0.9999, symbol=r"\beta_2"),
        eps_param(eps),
        bool_param("amsgrad", False, "AMSGrad: divide by the largest second moment seen so far"),
    ]


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
\text{AMSGrad: } v^{\max}_t &= \max(v^{\max}_{t-1}, v_t),\quad
w_t = w_{t-1} - \eta\,\frac{m_t}{\sqrt{v^{\max}_t} + \epsilon}
\end{aligned}"""

TORCH_LATEX = r"""\begin{aligned}
m_t &= m_{t-1} + (1-\beta_1)(g_t - m_{t-1}),\qquad v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2\\
v^{\max}_t &= \max(v^{\max}_{t-1}, v_t) &&\text{(amsgrad: used in place of } v_t\text{)}\\
w_t &= w_{t-1} - \frac{\eta}{1-\beta_1^{\,t}}\;\frac{m_t}{\sqrt{v_t}\,/\sqrt{1-\beta_2^{\,t}} + \epsilon}
\end{aligned}"""

TORCH_NOTE = ("torch.optim.Adam puts ε on the bias-corrected √v̂ (the textbook placement) with ε = 1e-8, and its "
              "weight_decay is L2 added to the gradient (use AdamW for decoupled decay). Identical to Keras "
              "when ε = 0, with or without AMSGrad.")

ADAM_NOTE = ("Algebraically the same as Keras except for ε: Keras adds ε̂ to √v before bias correction, which "
             "equals a textbook ε_t = ε̂/√(1−β₂ᵗ) (3.2e-6 at t = 1 for ε̂ = 1e-7). The paper's default ε is "
             "1e-8, Keras's 1e-7. AMSGrad as in Reddi et al. (2018) has no bias correction; Keras keeps it "
             "and takes the max of the raw v.")


class Adam(Optimizer):
    name = "Adam"
    aliases = ("adam",)
    HYPERPARAMS = {"keras": adam_params(0.001, 1e-7), "textbook": adam_params(0.001, 1e-8),
                   "pytorch": adam_params(0.001, 1e-8)}
    LATEX = {"keras": KERAS_LATEX, "textbook": TEXTBOOK_LATEX, "pytorch": TORCH_LATEX}
    NOTES = {"textbook": ADAM_NOTE, "pytorch": TORCH_NOTE}

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
        # Textbook (Kingma & Ba, Algorithm 1; Reddi et al. for AMSGrad).
        m = b1 * s["momentum"] + (1 - b1) * g
        v = b2 * s["velocity"] + (1 - b2) * np.square(g)
        new.update(momentum=m, velocity=v)
        if "velocity_hat" in s:
            vmax = np.maximum(s["velocity_hat"], v)
            new["velocity_hat"] = vmax
            return w - lr * m / (np.sqrt(vmax) + eps), new
        m_hat = m / (1 - b1 ** t)
        v_hat = v / (1 - b2 ** t)
        return w - lr * m_hat / (np.sqrt(v_hat) + eps), new
