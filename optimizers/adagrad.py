"""Adagrad (docs/maths.md, "Adagrad").

Keras 3 starts the accumulator at ``initial_accumulator_value = 0.1`` and
puts ε *inside* the root: ``w ← w − η g / √(a + ε)``. Duchi et al. (2011)
start at 0 and add δ *outside* the root: ``w ← w − η g / (δ + √a)``. The
textbook flavour computes the latter.
"""
import numpy as np

from .base import HyperParam, Optimizer, eps_param, lr_param
from .teaching import Slot, Teaching

_KERAS = r"""\begin{aligned}
a_t &= a_{t-1} + g_t^2 \qquad (a_0 = 0.1)\\
w_t &= w_{t-1} - \frac{\eta\, g_t}{\sqrt{a_t + \epsilon}}
\end{aligned}"""

_TEXTBOOK = r"""\begin{aligned}
a_t &= a_{t-1} + g_t^2 \qquad (a_0 = 0)\\
w_t &= w_{t-1} - \frac{\eta\, g_t}{\epsilon + \sqrt{a_t}} &&\text{(the paper's } \delta\text{)}
\end{aligned}"""


def _acc_param(default):
    return HyperParam("initial_accumulator_value", default, "a₀: starting value of the squared-gradient sum",
                      low=0.0, ui_low=0.0, ui_high=1.0, symbol="a_0")


_TORCH = r"""\begin{aligned}
\eta_t &= \frac{\eta}{1 + (t-1)\,\text{lr\_decay}}\\
a_t &= a_{t-1} + g_t^2 \qquad (a_0 = 0)\\
w_t &= w_{t-1} - \eta_t\,\frac{g_t}{\sqrt{a_t} + \epsilon}
\end{aligned}"""


def _explain(ex, opt):
    g, w, lr, eps = ex.g_rule, ex.w_rule, ex.learning_rate, float(opt.hp["epsilon"])
    a = ex.eq("a_t", r"a_{t-1} + g_t^2", r"<a> + <g>^2", lambda a, g: a + np.square(g),
              a=ex.slots_before["accumulator"], g=g, expect=ex.slots_after["accumulator"])
    if opt.flavor == "keras":
        ex.quantities.append(("denominator √(a + ε)", r"\sqrt{a_t + \epsilon}", np.sqrt(a + eps)))
        ex.eq("w_t", r"w_{t-1} - \frac{\eta\, g_t}{\sqrt{a_t + \epsilon}}",
              r"<w> - \frac{<lr>\,<g>}{\sqrt{<a> + <eps>}}", lambda w, lr, g, a, eps: w - (lr * g) / np.sqrt(a + eps),
              w=w, lr=lr, g=g, a=a, eps=eps, expect=ex.w_new)
    elif opt.flavor == "pytorch":
        decay = float(opt.hp["lr_decay"])
        ex.quantities.append(("denominator √a + ε", r"\sqrt{a_t} + \epsilon", np.sqrt(a) + eps))
        eta_t = ex.eq(r"\eta_t", r"\frac{\eta}{1 + (t-1)\,\text{lr\_decay}}", r"\frac{<lr>}{1 + <tm1>\cdot <decay>}",
                      lambda lr, tm1, decay: lr / (1 + tm1 * decay), lr=lr, tm1=float(ex.t - 1), decay=decay)
        ex.eq("w_t", r"w_{t-1} - \eta_t\,\frac{g_t}{\sqrt{a_t} + \epsilon}",
              r"<w> - <eta_t>\,\frac{<g>}{\sqrt{<a>} + <eps>}",
              lambda w, eta_t, g, a, eps: w - eta_t * (g / (np.sqrt(a) + eps)),
              w=w, eta_t=eta_t, g=g, a=a, eps=eps, expect=ex.w_new)
    else:
        ex.quantities.append(("denominator δ + √a", r"\epsilon + \sqrt{a_t}", eps + np.sqrt(a)))
        ex.eq("w_t", r"w_{t-1} - \frac{\eta\, g_t}{\epsilon + \sqrt{a_t}}",
              r"<w> - \frac{<lr>\,<g>}{<eps> + \sqrt{<a>}}", lambda w, lr, g, a, eps: w - (lr * g) / (eps + np.sqrt(a)),
              w=w, lr=lr, g=g, a=a, eps=eps, expect=ex.w_new)


TEACHING = Teaching(
    summary="Divides each coordinate's step by the root of the sum of all its squared gradients so far. "
            "That factor, η/√a, only ever shrinks; the step itself, η·g/√a, still grows when the gradient does.",
    why="The accumulator a only grows (it adds g² at every step), so the per-axis step size η/√a only shrinks: "
        "big moves at first, then slower and slower — on a long valley Adagrad can stall before it reaches the "
        "minimum. A sudden large gradient still makes a large step: only the factor shrinks.",
    differences=(
        "Keras starts the accumulator at `initial_accumulator_value = 0.1`, not 0.",
        "Keras puts ε inside the root, √(a + ε); the paper, Kerasy and PyTorch add it outside, δ + √a.",
        "Default learning rate: Keras 0.001; Kerasy and PyTorch 0.01 (PyTorch also has `lr_decay`, "
        "ε = 1e-10).",
        "The Keras docstring's advice 'use learning_rate=1.0 to match the paper' is still not exact, "
        "because of a₀ = 0.1 and ε's place.",
    ),
    keras_note="a₀ = 0.1; ε inside the root",
    other_defaults={"Kerasy": "learning_rate=0.01, a₀=0, ε=1e-7 outside the root (settable only through the "
                              "misspelt keyword `eosukib`)",
                    "Paper": "a₀=0, δ outside the root (no default rate)",
                    "PyTorch 2.13": "lr=0.01, a₀=0, eps=1e-10 outside the root, lr_decay=0"},
    slots={"accumulator": Slot("a", "the running sum of g² (from a₀)")},
    explain=_explain,
)


class Adagrad(Optimizer):
    name = "Adagrad"
    aliases = ("adagrad",)
    HYPERPARAMS = {
        "keras": [lr_param(0.001), _acc_param(0.1), eps_param(1e-7)],
        "textbook": [lr_param(0.001), _acc_param(0.0), eps_param(1e-7, "δ: added outside the root")],
        "pytorch": [lr_param(0.01), _acc_param(0.0), eps_param(1e-10, "ε: added outside the root"),
                    HyperParam("lr_decay", 0.0, "PyTorch only: η_t = η / (1 + (t−1)·lr_decay)", low=0.0,
                               log=False, ui_low=0.0, ui_high=1.0)],
    }
    LATEX = {"keras": _KERAS, "textbook": _TEXTBOOK, "pytorch": _TORCH}
    NOTES = {"textbook": "Keras starts the accumulator at 0.1 (not 0) and puts ε inside the square root; "
                         "the paper starts at 0 and adds δ outside. Keras's advice 'use learning_rate=1.0 to "
                         "match the paper' is therefore still not exact.",
             "pytorch": "PyTorch follows the paper (a₀ = 0, ε = 1e-10 outside the root) with lr = 0.01 and an "
                        "optional lr_decay; identical to Keras only with Keras's a₀ = 0 and both ε = 0."}

    TEACHING = TEACHING

    def _slot_names(self):
        return ("accumulator",)

    def _init_slot(self, name, p):
        # Only the rule's own slot comes here; the base class initialises gradient_accumulator (to 0).
        return np.full_like(p, 1.0) * self.hp["initial_accumulator_value"]

    def _rule(self, g, w, s, lr, t, glob):
        a = s["accumulator"] + np.square(g)
        eps = self.hp["epsilon"]
        if self.flavor == "keras":
            w = w - (lr * g) / np.sqrt(a + eps)
        elif self.flavor == "pytorch":
            clr = lr / (1 + (t - 1) * self.hp["lr_decay"])
            w = w - clr * (g / (np.sqrt(a) + eps))
        else:
            w = w - (lr * g) / (eps + np.sqrt(a))
        return w, {**s, "accumulator": a}
