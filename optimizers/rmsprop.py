"""RMSprop, with optional momentum and centring (spec §3.3).

Keras 3 (like Graves 2013 and TF1) puts ε inside the root and the learning
rate inside the momentum buffer: ``m ← μ m + η g / √(v + ε)``, ``w ← w − m``.
Hinton's lecture gives the same plain rule (without an ε), so the textbook
flavour computes the same numbers; PyTorch is the one that differs.
"""
import numpy as np

from .base import HyperParam, Optimizer, bool_param, eps_param, lr_param

_PARAMS = [
    lr_param(0.001),
    HyperParam("rho", 0.9, "ρ: decay of the squared-gradient average", low=0.0, high=1.0, high_open=True,
               ui_low=0.0, ui_high=0.999, symbol=r"\rho"),
    HyperParam("momentum", 0.0, "μ: momentum on the scaled step", low=0.0, high=1.0,
               ui_low=0.0, ui_high=0.99, symbol=r"\mu"),
    eps_param(1e-7),
    bool_param("centered", False, "divide by the gradient's variance instead of its second moment"),
]

_KERAS = r"""\begin{aligned}
v_t &= \rho\, v_{t-1} + (1-\rho)\, g_t^2\\
\bar g_t &= \rho\, \bar g_{t-1} + (1-\rho)\, g_t &&\text{(centered only)}\\
d_t &= v_t + \epsilon \quad\text{or}\quad v_t - \bar g_t^{\,2} + \epsilon &&\text{(centered)}\\
\Delta_t &= \frac{\eta\, g_t}{\sqrt{d_t}}\\
m_t &= \mu\, m_{t-1} + \Delta_t,\quad w_t = w_{t-1} - m_t &&\text{(}\mu > 0\text{, else } w_t = w_{t-1} - \Delta_t\text{)}
\end{aligned}"""


class RMSprop(Optimizer):
    name = "RMSprop"
    aliases = ("rmsprop",)
    HYPERPARAMS = {"keras": _PARAMS, "textbook": _PARAMS}
    LATEX = {"keras": _KERAS, "textbook": _KERAS}
    NOTES = {"textbook": "Same numbers: Hinton's lecture divides by √MS (no ε given) and Graves (2013) puts "
                         "the constant inside the root and η inside the momentum term, as Keras does. "
                         "PyTorch differs: ε outside the root and η outside the momentum buffer."}

    def _slot_names(self):
        names = ["velocity"]
        if np.any(np.asarray(self.hp["momentum"]) > 0):
            names.append("momentum")
        if self.hp["centered"]:
            names.append("average_gradient")
        return tuple(names)

    def _rule(self, g, w, s, lr, t, glob):
        rho, eps = self.hp["rho"], self.hp["epsilon"]
        new = dict(s)
        v = rho * s["velocity"] + (1 - rho) * np.square(g)
        new["velocity"] = v
        if "average_gradient" in s:
            ag = rho * s["average_gradient"] + (1 - rho) * g
            new["average_gradient"] = ag
            den = v - np.square(ag) + eps
        else:
            den = v + eps
        inc = (lr * g) / np.sqrt(den)
        if "momentum" in s:
            m = self.hp["momentum"] * s["momentum"] + inc
            new["momentum"] = m
            return w - m, new
        return w - inc, new
