"""Adadelta (docs/maths.md, "Adadelta").

Zeiler (2012) has no learning rate: the ratio of two running RMS values
sets the step's units. Keras 3 multiplies the applied step by a learning
rate (default 0.001); the accumulated Δ stays learning-rate-free. The
textbook flavour has no learning rate and the paper's ε = 1e-6.

Because E[Δ²] starts at 0, the first steps scale with √ε, so Keras's
default steps are smaller than the paper's by 1/η *and* by √(ε_paper/ε_Keras):
:func:`first_step_ratio` computes the factor, and the teaching text shows how.
"""
import math

import numpy as np

from .base import HyperParam, Optimizer, eps_param, lr_param
from .teaching import Slot, Teaching, fmt


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

HYPERPARAMS = {
    "keras": [lr_param(0.001), _rho(0.95), eps_param(1e-7)],
    "textbook": [_rho(0.95), eps_param(1e-6)],
    "pytorch": [lr_param(1.0), _rho(0.9), eps_param(1e-6)],
}


def _defaults(flavor):
    return {hp.name: hp.default for hp in HYPERPARAMS[flavor]}


def first_step_ratio(g=None) -> float:
    """How many times smaller Keras's first step is than the paper's, both at their defaults.

    With E[Δ²]₀ = 0 the first step is Δ₁ = −√ε·g / √((1−ρ)g² + ε), times η in Keras, so

        |paper| / |Keras| = (1/η) · √(ε_paper/ε_Keras) · √(((1−ρ)g² + ε_Keras) / ((1−ρ)g² + ε_paper)).

    ``g=None`` gives the limit for gradients with (1−ρ)g² ≫ ε: (1/η)·√(ε_paper/ε_Keras)."""
    k, p = _defaults("keras"), _defaults("textbook")
    ratio = (1 / k["learning_rate"]) * math.sqrt(p["epsilon"] / k["epsilon"])
    if g is None:
        return ratio
    return ratio * math.sqrt(((1 - k["rho"]) * g * g + k["epsilon"]) / ((1 - p["rho"]) * g * g + p["epsilon"]))


EXAMPLE_GRADIENT = 0.01  # a gradient where (1−ρ)g² = 5e-6 is not yet ≫ ε


def _factor_text() -> str:
    k, p = _defaults("keras"), _defaults("textbook")
    rho, g = k["rho"], EXAMPLE_GRADIENT
    return (f"Because E[Δ²] starts at 0, the first step is Δ₁ = −√ε·g/√((1−ρ)g² + ε) ≈ −√(ε/(1−ρ))·sign(g) once "
            f"(1−ρ)g² ≫ ε: early steps scale with √ε. With both defaults (η = {fmt(k['learning_rate'])} and "
            f"ε = {fmt(k['epsilon'])} in Keras, no η and ε = {fmt(p['epsilon'])} in the paper), Keras's first step is "
            f"therefore (1/η)·√(ε_paper/ε_Keras) = {1 / k['learning_rate']:,.0f} × "
            f"{math.sqrt(p['epsilon'] / k['epsilon']):.3f} ≈ {first_step_ratio():,.0f}× smaller than the paper's for "
            f"large gradients, and {first_step_ratio(g):,.0f}× at g = {fmt(g)}, where (1−ρ)g² = "
            f"{fmt((1 - rho) * g * g)} is not yet ≫ ε.")


def _explain(ex, opt):
    g, w, lr = ex.g_rule, ex.w_rule, ex.learning_rate
    rho, eps = float(opt.hp["rho"]), float(opt.hp["epsilon"])
    eg = ex.eq("E[g^2]_t", r"\rho\, E[g^2]_{t-1} + (1-\rho)\, g_t^2", r"<rho>\,<eg> + <one_minus_rho>\,<g>^2",
               lambda rho, eg, one_minus_rho, g: rho * eg + one_minus_rho * np.square(g), rho=rho,
               eg=ex.slots_before["accumulated_grad"], one_minus_rho=1 - rho, g=g,
               expect=ex.slots_after["accumulated_grad"])
    ed0 = ex.slots_before["accumulated_delta_var"]
    ex.quantities.append(("RMS ratio", r"\sqrt{E[\Delta^2]+\epsilon}/\sqrt{E[g^2]+\epsilon}",
                          np.sqrt(ed0 + eps) / np.sqrt(eg + eps)))
    delta = ex.eq(r"\Delta_t", r"-\frac{\sqrt{E[\Delta^2]_{t-1} + \epsilon}}{\sqrt{E[g^2]_t + \epsilon}}\; g_t",
                  r"-\frac{\sqrt{<ed> + <eps>}}{\sqrt{<eg> + <eps>}}\,<g>",
                  lambda ed, eps, eg, g: -((np.sqrt(ed + eps) * g) / np.sqrt(eg + eps)), ed=ed0, eps=eps, eg=eg, g=g)
    ex.eq(r"E[\Delta^2]_t", r"\rho\, E[\Delta^2]_{t-1} + (1-\rho)\, \Delta_t^2",
          r"<rho>\,<ed> + <one_minus_rho>\,<delta>^2",
          lambda rho, ed, one_minus_rho, delta: rho * ed + one_minus_rho * np.square(delta), rho=rho, ed=ed0,
          one_minus_rho=1 - rho, delta=delta, expect=ex.slots_after["accumulated_delta_var"])
    if opt.has_learning_rate:
        ex.eq("w_t", r"w_{t-1} + \eta\, \Delta_t", r"<w> + <lr>\,<delta>", lambda w, lr, delta: w + lr * delta,
              w=w, lr=lr, delta=delta, expect=ex.w_new)
    else:
        ex.eq("w_t", r"w_{t-1} + \Delta_t", r"<w> + <delta>", lambda w, delta: w + delta, w=w, delta=delta,
              expect=ex.w_new)


TEACHING = Teaching(
    summary="Sets the step's size from the ratio of two running RMS values (of past steps and of "
            "gradients), so the paper needs no learning rate.",
    why="The step is √(E[Δ²] + ε)/√(E[g²] + ε) · g: the size of recent steps over the size of recent gradients. "
        "Both start near zero, so the first steps are tiny (they scale with √ε) and grow only as steps accumulate.",
    differences=(
        f"Zeiler's rule has no learning rate (η ≡ 1). Keras multiplies the applied step by η with default "
        f"**{fmt(_defaults('keras')['learning_rate'])}**. " + _factor_text(),
        "ε: 1e-7 in Keras and Kerasy, 1e-6 in the paper and PyTorch; inside both roots everywhere.",
        "In every implementation the Δ accumulated into E[Δ²] is the learning-rate-free step.",
        "Kerasy and PyTorch default to η = 1.0 (PyTorch also to ρ = 0.9).",
    ),
    keras_note=f"η = {fmt(_defaults('keras')['learning_rate'])} and ε = {fmt(_defaults('keras')['epsilon'])}: first steps "
               f"≈ {first_step_ratio():,.0f}× smaller than the paper's",
    other_defaults={"Kerasy": "learning_rate=1.0, rho=0.95, ε=1e-7",
                    "Paper": "no learning rate, ρ=0.95, ε=1e-6",
                    "PyTorch 2.13": "lr=1.0, rho=0.9, eps=1e-6"},
    slots={"accumulated_grad": Slot("E[g²]", "a moving average of g²"),
           "accumulated_delta_var": Slot("E[Δ²]", "a moving average of the squared steps Δ (without η)")},
    explain=_explain,
)


class Adadelta(Optimizer):
    name = "Adadelta"
    aliases = ("adadelta",)
    HYPERPARAMS = HYPERPARAMS
    LATEX = {"keras": _KERAS, "textbook": _TEXTBOOK, "pytorch": _KERAS}
    NOTES = {"textbook": "Zeiler's rule has no learning rate (η ≡ 1) and ε = 1e-6; Keras multiplies the applied "
                         "step by η and uses ε = 1e-7. " + _factor_text() + " The accumulated Δ stays "
                         "learning-rate-free in both.",
             "pytorch": "The same recursion as Keras; only the defaults differ (lr = 1.0, ρ = 0.9, ε = 1e-6)."}
    TEACHING = TEACHING

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
