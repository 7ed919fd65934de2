"""Ftrl: follow-the-regularised-leader, FTRL-Proximal (McMahan et al. 2013, Algorithm 1).

Ftrl does not move the weights by a step: it *recomputes* them each time
from two sums per coordinate, ``n`` (Keras: ``accumulator``), the sum of
squared gradients, and ``z`` (Keras: ``linear``), the sum of gradients
corrected by how much the per-coordinate rate changed:

    σ = (n_new^(−p) − n^(−p)) / η,   z ← z + g − σ w,   n ← n + g²
    w = (clip(z, −ℓ₁, ℓ₁) − z) / (n^(−p)/η + 2ℓ₂ + β/η)

With ``p = learning_rate_power = −½`` the per-coordinate rate is
``η / (β + √n)``. The L1 term makes coordinates with ``|z| ≤ ℓ₁`` exactly 0
(sparse models). Keras (like TensorFlow) adds ``l2_shrinkage``, a
magnitude penalty that enters the gradient used for ``z`` but not ``n``,
and a general ``learning_rate_power``.

The paper's form (textbook flavour) writes the L2 term as λ₂ where Keras
has 2ℓ₂, starts ``n`` at 0 (Keras: 0.1) and has neither
``learning_rate_power`` (always −½) nor shrinkage. torch.optim has no Ftrl.
"""
import numpy as np

from .base import HyperParam, Optimizer


def _lr(default):
    return HyperParam("learning_rate", default, "η (the paper's α): scales every per-coordinate rate η/(β + √n)",
                      low=0.0, low_open=True, log=True, ui_low=1e-4, ui_high=10.0, symbol=r"\eta")


def _nonneg(name, default, help, symbol, ui_high=1.0, log=False):
    return HyperParam(name, default, help, low=0.0, log=log, ui_low=0.0, ui_high=ui_high, symbol=symbol)


_BETA_HELP = "β: added to √n in the per-coordinate rate η/(β + √n)"
_KERAS_PARAMS = [
    _lr(0.001),
    HyperParam("learning_rate_power", -0.5, "p: the rate is η·n^p (−½: η/√n; 0: a fixed rate)", high=0.0,
               ui_low=-1.0, ui_high=0.0, symbol="p"),
    _nonneg("initial_accumulator_value", 0.1, "n₀: starting value of the squared-gradient sum n", "n_0"),
    _nonneg("l1_regularization_strength", 0.0, "ℓ₁: coordinates with |z| ≤ ℓ₁ are set to exactly 0",
            r"\ell_1"),
    _nonneg("l2_regularization_strength", 0.0, "ℓ₂: adds 2ℓ₂ to the denominator (an L2 penalty ℓ₂‖w‖²)",
            r"\ell_2"),
    _nonneg("l2_shrinkage_regularization_strength", 0.0,
            "ℓ₂ shrinkage: adds 2·shrinkage·w to the gradient used for z (not for n)", r"\ell_{2s}"),
    _nonneg("beta", 0.0, _BETA_HELP, r"\beta", ui_high=2.0),
]

_TEXTBOOK_PARAMS = [
    _lr(0.001),
    _nonneg("initial_accumulator_value", 0.0, "n₀: starting value of the squared-gradient sum n (paper: 0)",
            "n_0"),
    _nonneg("l1_regularization_strength", 0.0, "λ₁: coordinates with |z| ≤ λ₁ are set to exactly 0",
            r"\lambda_1"),
    _nonneg("l2_regularization_strength", 0.0, "λ₂: added to the denominator (an L2 penalty ½λ₂‖w‖²)",
            r"\lambda_2"),
    _nonneg("beta", 1.0, _BETA_HELP + " (1 here: with n₀ = 0 it bounds the first step)", r"\beta", ui_high=2.0),
]

_KERAS = r"""\begin{aligned}
\tilde g_t &= g_t + 2\,\ell_{2s}\, w_{t-1} &&\text{(shrinkage)}\\
n_t &= n_{t-1} + g_t^2 \qquad (n_0 = 0.1)\\
z_t &= z_{t-1} + \tilde g_t - \frac{n_t^{-p} - n_{t-1}^{-p}}{\eta}\, w_{t-1} \qquad (z_0 = 0)\\
w_t &= \frac{\operatorname{clip}(z_t, -\ell_1, \ell_1) - z_t}{n_t^{-p}/\eta + 2\ell_2 + \beta/\eta}
\end{aligned}"""

_TEXTBOOK = r"""\begin{aligned}
\sigma_t &= \frac{\sqrt{n_{t-1} + g_t^2} - \sqrt{n_{t-1}}}{\alpha}\\
z_t &= z_{t-1} + g_t - \sigma_t\, w_{t-1},\qquad n_t = n_{t-1} + g_t^2 \qquad (z_0 = n_0 = 0)\\
w_t &= \begin{cases} 0 & |z_t| \le \lambda_1\\[2pt]
-\dfrac{z_t - \operatorname{sgn}(z_t)\,\lambda_1}{(\beta + \sqrt{n_t})/\alpha + \lambda_2} & \text{otherwise}\end{cases}
\end{aligned}"""

_NOTE = ("McMahan et al. (2013), Algorithm 1, per coordinate, with α = learning_rate. Where Keras differs: "
         "(1) its L2 term is 2·l2_regularization_strength, the paper's λ₂ (so Keras l2 = λ₂/2); "
         "(2) n starts at initial_accumulator_value = 0.1, the paper's at 0; (3) Keras generalises √n to "
         "n^(−learning_rate_power) and adds l2_shrinkage_regularization_strength (both TensorFlow "
         "extensions, not in the paper); (4) Algorithm 1 takes α, β, λ₁, λ₂ as inputs without defaults: the "
         "textbook flavour uses β = 1 (with n₀ = 0, β = 0 would make the first step's rate α/|g|), Keras "
         "defaults to β = 0. The paper computes w from z and n before each round, so its first point is w = 0; "
         "here a run starts where it is put, and every later point is the paper's.")


class Ftrl(Optimizer):
    name = "Ftrl"
    aliases = ("ftrl",)
    HYPERPARAMS = {"keras": _KERAS_PARAMS, "textbook": _TEXTBOOK_PARAMS}
    LATEX = {"keras": _KERAS, "textbook": _TEXTBOOK}
    NOTES = {"textbook": _NOTE}
    SLOT_HELP = {"accumulator": "n: sum of squared gradients (starts at n₀)",
                 "linear": "z: sum of gradients, corrected by σ·w each time the per-coordinate rate changes"}

    def _slot_names(self):
        return ("accumulator", "linear")

    def _init_slot(self, name, p):
        if name == "accumulator":
            return np.full_like(p, 1.0) * self.hp["initial_accumulator_value"]
        return np.zeros_like(p)  # linear, and any slot the base class adds

    def _rule(self, g, w, s, lr, t, glob):
        n, z = s["accumulator"], s["linear"]
        l1, l2, beta = (self.hp["l1_regularization_strength"], self.hp["l2_regularization_strength"],
                        self.hp["beta"])
        n_new = n + np.square(g)
        if self.flavor == "keras":
            power = -self.hp["learning_rate_power"]
            l2_total = l2 + beta / (2.0 * lr)
            g_used = g + 2 * self.hp["l2_shrinkage_regularization_strength"] * w
            z = z + (g_used - ((np.power(n_new, power) - np.power(n, power)) / lr) * w)
            quadratic = np.power(n_new, power) / lr + 2 * l2_total
            w = (np.clip(z, -l1, l1) - z) / quadratic
        else:
            sigma = (np.sqrt(n_new) - np.sqrt(n)) / lr
            z = z + g - sigma * w
            w = np.where(np.abs(z) <= l1, 0.0,
                         -(z - np.sign(z) * l1) / ((beta + np.sqrt(n_new)) / lr + l2))
        return w, {**s, "accumulator": n_new, "linear": z}
