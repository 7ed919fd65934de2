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

_TORCH_PARAMS = [
    lr_param(0.001),
    _PARAMS[1],
    HyperParam("dampening", 0.0, "PyTorch only: scales the new gradient in the buffer by (1 − dampening)",
               low=0.0, high=1.0, ui_low=0.0, ui_high=0.99),
    _PARAMS[2],
]

_TORCH = r"""\begin{aligned}
b_1 &= g_1,\qquad b_t = \mu\, b_{t-1} + (1-d)\, g_t &&\text{(buffer of gradients, no } \eta\text{)}\\
w_t &= w_{t-1} - \eta\, b_t &&\text{(momentum)}\\
w_t &= w_{t-1} - \eta\,(g_t + \mu\, b_t) &&\text{(Nesterov)}
\end{aligned}"""

_KERAS = r"""\begin{aligned}
v_t &= \mu\, v_{t-1} - \eta\, g_t \qquad (v_0 = 0)\\
w_t &= w_{t-1} + v_t &&\text{(momentum)}\\
w_t &= w_{t-1} + \mu\, v_t - \eta\, g_t &&\text{(Nesterov, new } v_t\text{)}\\
w_t &= w_{t-1} - \eta\, g_t &&\text{(}\mu = 0\text{)}
\end{aligned}"""

_TEXTBOOK = r"""\begin{aligned}
&\text{Heavy ball (Polyak):}\\
v_t &= \mu v_{t-1} - \eta\nabla f(w_{t-1}),\quad w_t = w_{t-1} + v_t\\
&\text{Nesterov (Sutskever et al. 2013):}\\
v_t &= \mu v_{t-1} - \eta\nabla f(w_{t-1} + \mu v_{t-1}),\quad w_t = w_{t-1} + v_t\\
&\text{the same in } \tilde w = w + \mu v \text{ (what is plotted):}\\
\tilde w_t &= \tilde w_{t-1} + \mu v_t - \eta\nabla f(\tilde w_{t-1})
\end{aligned}"""


class SGD(Optimizer):
    name = "SGD"
    aliases = ("sgd",)
    HYPERPARAMS = {"keras": _PARAMS, "textbook": _PARAMS, "pytorch": _TORCH_PARAMS}
    LATEX = {"keras": _KERAS, "textbook": _TEXTBOOK, "pytorch": _TORCH}
    NOTES = {"textbook": "Identical steps. Keras (like Kerasy and PyTorch) stores the look-ahead point, "
                         "so its Nesterov gradient is taken at the stored w and the step is μ·v_new − η·g; "
                         "Sutskever's form takes the gradient at w + μv. The two produce the same sequence "
                         "of look-ahead points.",
             "pytorch": "The buffer holds gradients without η (b = g on the first step) and η multiplies it at "
                        "the end. With a constant η this is identical to Keras (v = −η·b); with a schedule they "
                        "differ, because PyTorch rescales the whole buffer by the current η. PyTorch adds "
                        "`dampening` and its weight_decay is L2 added to the gradient (so it enters the buffer)."}

    def _validate_extra(self):
        # torch.optim.SGD refuses these; Keras silently ignores nesterov without momentum.
        if self.flavor == "pytorch" and self.hp["nesterov"] and (
                np.any(np.asarray(self.hp["momentum"]) <= 0) or np.any(np.asarray(self.hp["dampening"]) != 0)):
            raise ValueError("SGD (pytorch): Nesterov momentum requires `momentum` > 0 and `dampening` = 0.")

    def _slot_names(self):
        # Keras creates the slot only when momentum != 0.
        return ("momentum",) if np.any(np.asarray(self.hp["momentum"]) != 0) else ()

    def _rule(self, g, w, s, lr, t, glob):
        if "momentum" not in s:
            return w - g * lr, s
        if self.flavor == "pytorch":
            mu = self.hp["momentum"]
            b = g if t == 1 else mu * s["momentum"] + (1 - self.hp["dampening"]) * g
            step = g + mu * b if self.hp["nesterov"] else b
            return w - lr * step, {**s, "momentum": b}
        mu = self.hp["momentum"]
        v = s["momentum"] * mu - g * lr
        if self.hp["nesterov"]:
            w = w + (v * mu - g * lr)
        else:
            w = w + v
        return w, {**s, "momentum": v}
