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


_TORCH_PARAMS = [lr_param(0.01), HyperParam("rho", 0.99, "ρ (PyTorch `alpha`): decay of the squared-gradient "
                                            "average", low=0.0, high=1.0, high_open=True, ui_low=0.0,
                                            ui_high=0.999, symbol=r"\rho"),
                 _PARAMS[2], eps_param(1e-8, "ε: added outside the root"), _PARAMS[4]]

_TORCH = r"""\begin{aligned}
v_t &= \rho\, v_{t-1} + (1-\rho)\, g_t^2,\qquad \bar g_t = \rho\, \bar g_{t-1} + (1-\rho)\, g_t \ \text{(centered)}\\
d_t &= \sqrt{v_t} + \epsilon \quad\text{or}\quad \sqrt{v_t - \bar g_t^{\,2}} + \epsilon\\
b_t &= \mu\, b_{t-1} + g_t / d_t,\quad w_t = w_{t-1} - \eta\, b_t &&\text{(}\mu > 0\text{, else } w_t = w_{t-1} - \eta\, g_t/d_t\text{)}
\end{aligned}"""


class RMSprop(Optimizer):
    name = "RMSprop"
    aliases = ("rmsprop",)
    HYPERPARAMS = {"keras": _PARAMS, "textbook": _PARAMS, "pytorch": _TORCH_PARAMS}
    LATEX = {"keras": _KERAS, "textbook": _KERAS, "pytorch": _TORCH}
    NOTES = {"textbook": "Same numbers: Hinton's lecture divides by √MS (no ε given) and Graves (2013) puts "
                         "the constant inside the root and η inside the momentum term, as Keras does. "
                         "PyTorch differs: ε outside the root and η outside the momentum buffer.",
             "pytorch": "ε (1e-8) is outside the root and η multiplies the momentum buffer at the end; defaults "
                        "lr = 0.01 and ρ (alpha) = 0.99. Identical to Keras for ε = 0 and a constant η."}

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
            ms = v - np.square(ag)  # the gradient's variance estimate
        else:
            ms = v
        if self.flavor == "pytorch":  # ε outside the root, η outside the momentum buffer
            den = np.sqrt(ms) + eps
            if "momentum" in s:
                b = self.hp["momentum"] * s["momentum"] + g / den
                new["momentum"] = b
                return w - lr * b, new
            return w - lr * (g / den), new
        inc = (lr * g) / np.sqrt(ms + eps)  # Keras: ε inside the root, η inside the increment
        if "momentum" in s:
            m = self.hp["momentum"] * s["momentum"] + inc
            new["momentum"] = m
            return w - m, new
        return w - inc, new
