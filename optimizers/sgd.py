"""SGD with optional (Nesterov) momentum, as Keras 3 computes it (spec §3.1).

The velocity ``v`` stores the *step*, learning rate included:
``v ← μ v − η g``. Plain momentum adds ``v``; Nesterov adds ``μ v − η g``
with the *new* ``v``: the look-ahead re-parametrisation (Bengio et al.
2012) of Sutskever's "gradient at the look-ahead point" form. The slot
exists only when momentum ≠ 0, as in Keras.
"""
import numpy as np

from .base import HyperParam, Optimizer, bool_param, lr_param

_PARAMS = [
    lr_param(0.01),
    HyperParam("momentum", 0.0, "μ: fraction of the previous step kept", low=0.0, high=1.0,
               ui_low=0.0, ui_high=0.99, symbol=r"\mu"),
    bool_param("nesterov", False, "use Nesterov's look-ahead step"),
]

_KERAS = r"""\begin{aligned}
v_t &= \mu\, v_{t-1} - \eta\, g_t \qquad (v_0 = 0)\\
w_t &= w_{t-1} + v_t &&\text{(momentum)}\\
w_t &= w_{t-1} + \mu\, v_t - \eta\, g_t &&\text{(Nesterov, new } v_t\text{)}\\
w_t &= w_{t-1} - \eta\, g_t &&\text{(}\mu = 0\text{)}
\end{aligned}"""

_TEXTBOOK = r"""\begin{aligned}
v_t &= \mu\, v_{t-1} - \eta\, \nabla f(w_{t-1}) &&\text{(Polyak heavy ball)}\\
v_t &= \mu\, v_{t-1} - \eta\, \nabla f(w_{t-1} + \mu v_{t-1}) &&\text{(Sutskever NAG)}\\
w_t &= w_{t-1} + v_t
\end{aligned}"""


class SGD(Optimizer):
    name = "SGD"
    aliases = ("sgd",)
    HYPERPARAMS = {"keras": _PARAMS, "textbook": _PARAMS}
    LATEX = {"keras": _KERAS, "textbook": _TEXTBOOK}
    NOTES = {"textbook": "Identical steps. Keras (like Kerasy and PyTorch) stores the look-ahead point, "
                         "so its Nesterov gradient is taken at the stored w and the step is μ·v_new − η·g; "
                         "Sutskever's form takes the gradient at w + μv. The two produce the same sequence "
                         "of look-ahead points."}

    def _slot_names(self):
        # Keras creates the slot only when momentum != 0.
        return ("momentum",) if np.any(np.asarray(self.hp["momentum"]) != 0) else ()

    def _rule(self, g, w, s, lr, t, glob):
        if "momentum" not in s:
            return w - g * lr, s
        mu = self.hp["momentum"]
        v = s["momentum"] * mu - g * lr
        if self.hp["nesterov"]:
            w = w + (v * mu - g * lr)
        else:
            w = w + v
        return w, {**s, "momentum": v}
