"""Adadelta (spec §3.4).

Zeiler (2012) has no learning rate: the ratio of two running RMS values
sets the step's units. Keras 3 multiplies the applied step by a learning
rate whose default, 0.001, makes default steps 1000× smaller than the
paper's. The textbook flavour has no learning rate and the paper's ε = 1e-6.
"""
import numpy as np

from .base import HyperParam, Optimizer, eps_param, lr_param


def _rho(default):
    return HyperParam("rho", default, "ρ: decay of both running averages", low=0.0, high=1.0, high_open=True,
                      ui_low=0.0, ui_high=0.999, symbol=r"\rho")


_KERAS = r"""\begin{aligned}
E[g^2]_t &= \rho\, E[g^2]_{t-1} + (1-\rho)\, g_t^2\\
\Delta_t &= -\frac{\sqrt{E[\Delta^2]_{t-1} + \epsilon}}{\sqrt{E[g^2]_t + \epsilon}}\; g_t\\
E[\Delta^2]_t &= \rho\, E[\Delta^2]_{t-1} + (1-\rho)\, \Delta_t^2\\
w_t &= w_{t-1} + \eta\, \Delta_t
\end{aligned}"""

_TEXTBOOK = _KERAS.replace(r"w_{t-1} + \eta\, \Delta_t", r"w_{t-1} + \Delta_t")


class Adadelta(Optimizer):
    name = "Adadelta"
    aliases = ("adadelta",)
    HYPERPARAMS = {
        "keras": [lr_param(0.001), _rho(0.95), eps_param(1e-7)],
        "textbook": [_rho(0.95), eps_param(1e-6)],
        "pytorch": [lr_param(1.0), _rho(0.9), eps_param(1e-6)],
    }
    LATEX = {"keras": _KERAS, "textbook": _TEXTBOOK, "pytorch": _KERAS}
    NOTES = {"textbook": "Zeiler's rule has no learning rate (η ≡ 1) and ε = 1e-6. Keras multiplies the "
                         "applied step by η with default 0.001, so its default steps are 1000× smaller; "
                         "the accumulated Δ stays learning-rate-free in both.",
             "pytorch": "The same recursion as Keras; only the defaults differ (lr = 1.0, ρ = 0.9, ε = 1e-6)."}

    def _slot_names(self):
        return ("accumulated_grad", "accumulated_delta_var")

    def _rule(self, g, w, s, lr, t, glob):
        rho, eps = self.hp["rho"], self.hp["epsilon"]
        eg = rho * s["accumulated_grad"] + (1 - rho) * np.square(g)
        ed = s["accumulated_delta_var"]
        delta = -((np.sqrt(ed + eps) * g) / np.sqrt(eg + eps))
        ed = rho * ed + (1 - rho) * np.square(delta)
        w = w + lr * delta  # lr is 1.0 for the textbook flavour
        return w, {**s, "accumulated_grad": eg, "accumulated_delta_var": ed}
