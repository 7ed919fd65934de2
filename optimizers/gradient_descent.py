"""Plain gradient descent, Kerasy's ``GradientDescent``: ``w ← w − η g``.

Keras 3 has no class of this name; it is ``SGD(momentum=0.0)``, and the
Kerasy document's learning-rate demo uses it. Keras's common arguments
(weight decay, clipping, schedules) still apply.
"""
from .base import Optimizer, lr_param
from .teaching import Teaching

_RULE = r"w_{t} = w_{t-1} - \eta\, g_t"


def _explain(ex, opt):
    ex.eq("w_t", r"w_{t-1} - \eta\, g_t", r"<w> - <lr>\,<g>", lambda w, lr, g: w - g * lr,
          w=ex.w_rule, lr=ex.learning_rate, g=ex.g_rule, expect=ex.w_new)


WHY = ("The step is exactly −η·g: long where the slope is steep, short where it is flat, and always straight "
       "downhill. Δw/(−g) is η on both axes at every step.")

TEACHING = Teaching(
    summary="The oldest rule: step against the gradient, scaled by the learning rate.",
    why=WHY,
    differences=(
        "Keras 3 has no class of this name: it is `SGD(momentum=0.0)`, default learning rate 0.01. "
        "Kerasy's `GradientDescent(learning_rate=0.01)` is the same rule.",
        "The rule is the same in every source. Only Keras's common arguments (weight decay, "
        "clipping, schedules; see below) can change it.",
        "PyTorch's `SGD` defaults to `lr=1e-3`.",
    ),
    keras_note="keras.optimizers.SGD(momentum=0.0)",
    other_defaults={"Kerasy": "GradientDescent: learning_rate=0.01", "Paper": "—", "PyTorch 2.13": "SGD: lr=1e-3"},
    slots={},
    explain=_explain,
)


class GradientDescent(Optimizer):
    name = "GradientDescent"
    aliases = ("gradient_descent", "gradientdescent", "gd")
    HYPERPARAMS = {"keras": [lr_param(0.01)], "textbook": [lr_param(0.01)], "pytorch": [lr_param(0.001)]}
    LATEX = {"keras": _RULE, "textbook": _RULE, "pytorch": _RULE}
    NOTES = {"textbook": "The same rule as Keras: the oldest method has a single form.",
             "pytorch": "torch.optim.SGD(lr=1e-3) without momentum: the same rule; its weight_decay is L2 "
                        "added to the gradient, which for plain gradient descent equals Keras's decoupled decay."}
    TEACHING = TEACHING

    def _slot_names(self):
        return ()

    def _rule(self, g, w, s, lr, t, glob):
        return w - g * lr, s
