"""SGD with optional (Nesterov) momentum, as Keras 3 computes it (docs/maths.md, "SGD").

The velocity ``v`` stores the *step*, learning rate included:
``v ← μ v − η g``. Plain momentum adds ``v``; Nesterov adds ``μ v − η g``
with the *new* ``v``: the look-ahead re-parametrisation (Bengio et al.
2012) of Sutskever's "gradient at the look-ahead point" form. The slot
exists only when momentum ≠ 0, as in Keras.
"""
import numpy as np

from .base import HyperParam, Optimizer, bool_param, lr_param
from .teaching import Slot, Teaching

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


def _explain(ex, opt):
    g, w, lr = ex.g_rule, ex.w_rule, ex.learning_rate
    if "momentum" not in ex.slots_after:
        ex.eq("w_t", r"w_{t-1} - \eta\, g_t", r"<w> - <lr>\,<g>", lambda w, lr, g: w - g * lr,
              w=w, lr=lr, g=g, expect=ex.w_new)
        return
    mu = float(opt.hp["momentum"])
    before, after = ex.slots_before["momentum"], ex.slots_after["momentum"]
    ex.quantities.append(("velocity before", r"v_{t-1}" if opt.flavor != "pytorch" else r"b_{t-1}", before))
    if opt.flavor == "pytorch":
        if ex.t == 1:
            b = ex.eq("b_1", "g_1", "<g>", lambda g: g, g=g, expect=after)
        else:
            d = float(opt.hp["dampening"])
            b = ex.eq("b_t", r"\mu\, b_{t-1} + (1-d)\, g_t", r"<mu>\,<b> + <one_minus_d>\,<g>",
                      lambda mu, b, one_minus_d, g: mu * b + one_minus_d * g,
                      mu=mu, b=before, one_minus_d=1 - d, g=g, expect=after)
        if opt.hp["nesterov"]:
            ex.eq("w_t", r"w_{t-1} - \eta\,(g_t + \mu\, b_t)", r"<w> - <lr>\,(<g> + <mu>\,<b>)",
                  lambda w, lr, g, mu, b: w - lr * (g + mu * b), w=w, lr=lr, g=g, mu=mu, b=b, expect=ex.w_new)
        else:
            ex.eq("w_t", r"w_{t-1} - \eta\, b_t", r"<w> - <lr>\,<b>", lambda w, lr, b: w - lr * b,
                  w=w, lr=lr, b=b, expect=ex.w_new)
        return
    v = ex.eq("v_t", r"\mu\, v_{t-1} - \eta\, g_t", r"<mu>\,<v> - <lr>\,<g>",
              lambda mu, v, lr, g: v * mu - g * lr, mu=mu, v=before, lr=lr, g=g, expect=after)
    if opt.hp["nesterov"]:
        ex.eq("w_t", r"w_{t-1} + \mu\, v_t - \eta\, g_t", r"<w> + <mu>\,<v> - <lr>\,<g>",
              lambda w, mu, v, lr, g: w + (v * mu - g * lr), w=w, mu=mu, v=v, lr=lr, g=g, expect=ex.w_new)
    else:
        ex.eq("w_t", r"w_{t-1} + v_t", r"<w> + <v>", lambda w, v: w + v, w=w, v=v, expect=ex.w_new)


def _momentum_arrow(ex, opt):
    if "momentum" not in ex.slots_after:
        return None
    if opt.flavor == "pytorch":
        return ("−b: momentum buffer (sum of past g)", -np.asarray(ex.slots_after["momentum"]), False)
    return ("μ·v: momentum carried in", float(opt.hp["momentum"]) * np.asarray(ex.slots_before["momentum"]), True)


def _why_variants(flavor, hp):
    if not hp.get("momentum"):
        return ("With momentum μ = 0 this is plain gradient descent: the step is exactly −η·g and Δw/(−g) is η on "
                "both axes. Raise the momentum to see a velocity appear.")
    if flavor == "pytorch":
        return ("The buffer b remembers earlier gradients: b ← μ·b + (1 − dampening)·g, then w ← w − η·b. Pushes "
                "that agree (along a valley) add up to about η·(1 − dampening)/(1 − μ) per unit of gradient, pushes that "
                "alternate (across it) cancel — so the path picks up speed, curves and overshoots.")
    return None


TEACHING = Teaching(
    summary="Gradient descent with an optional velocity (momentum) that remembers past steps, "
            "and Nesterov's look-ahead variant.",
    why="The velocity v remembers earlier steps: v ← μ·v − η·g, then w ← w + v. Pushes that agree (along a "
        "valley) add up to about η/(1 − μ) per unit of gradient, pushes that alternate (across it) cancel — so "
        "the path picks up speed, curves and overshoots.",
    why_variants=_why_variants,
    differences=(
        "Keras keeps the learning rate inside the velocity: v ← μv − ηg, w ← w + v. PyTorch's buffer "
        "holds raw gradients (b ← μb + g, w ← w − ηb): identical for a constant η, different under a "
        "schedule, because Keras's velocity keeps each past step's own η.",
        "Nesterov in Keras, Kerasy and PyTorch is the look-ahead re-parametrisation: the gradient is "
        "taken at the stored w and the step is μ·v_new − η·g (with the NEW v). Sutskever's form takes "
        "the gradient at w + μv; both produce the same sequence of look-ahead points.",
        "`momentum` must be a float in [0, 1]; the velocity slot exists only when μ ≠ 0, and "
        "`nesterov` is ignored when μ = 0.",
        "Keras's `weight_decay` is decoupled. It equals PyTorch's L2 `weight_decay` only without "
        "momentum. Keras has no `dampening`; PyTorch's scales the new gradient in the buffer by (1 − dampening).",
    ),
    keras_note="velocity stores η·g; Nesterov uses the new v",
    other_defaults={"Kerasy": "learning_rate=0.01, momentum=0, nesterov=False", "Paper": "—",
                    "PyTorch 2.13": "lr=1e-3, momentum=0, dampening=0, nesterov=False"},
    slots={"momentum": Slot("v", "the velocity: the previous step, η included")},
    flavor_slots={"pytorch": {"momentum": Slot("b", "a buffer of past gradients (no η)")}},
    explain=_explain,
    momentum_arrow=_momentum_arrow,
)


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
    TEACHING = TEACHING

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
