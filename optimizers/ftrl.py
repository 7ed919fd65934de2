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

from .teaching import Slot, Teaching
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



def _explain(ex, opt):
    g, w, lr = ex.g_rule, ex.w_rule, np.float64(ex.learning_rate)  # numpy division: η = 0 gives inf, as in the engine
    l1, l2, beta = (float(opt.hp["l1_regularization_strength"]), float(opt.hp["l2_regularization_strength"]),
                    float(opt.hp["beta"]))
    n0, z0 = ex.slots_before["accumulator"], ex.slots_before["linear"]
    n = ex.eq("n_t", r"n_{t-1} + g_t^2", r"<n> + <g>^2", lambda n, g: n + np.square(g), n=n0, g=g,
              expect=ex.slots_after["accumulator"])
    if opt.flavor == "keras":
        p = -float(opt.hp["learning_rate_power"])
        sigma = ex.eq(r"\sigma_t", r"\frac{n_t^{\,p} - n_{t-1}^{\,p}}{\eta}", r"\frac{<n>^{<p>} - <n0>^{<p>}}{<lr>}",
                      lambda n, p, n0, lr: (np.power(n, p) - np.power(n0, p)) / lr, n=n, p=p, n0=n0, lr=lr)
        shrink = float(opt.hp["l2_shrinkage_regularization_strength"])
        if shrink:
            g = ex.eq(r"\tilde g_t", r"g_t + 2\,\ell_{2s}\, w_{t-1}", r"<g> + 2\cdot<s>\,<w>",
                      lambda g, s, w: g + 2 * s * w, g=g, s=shrink, w=w)
        gs = r"\tilde g_t" if shrink else "g_t"
        z = ex.eq("z_t", rf"z_{{t-1}} + {gs} - \sigma_t\, w_{{t-1}}", r"<z> + <g> - <sigma>\,<w>",
                  lambda z, g, sigma, w: z + (g - sigma * w), z=z0, g=g, sigma=sigma, w=w,
                  expect=ex.slots_after["linear"])
        q = ex.eq("q_t", r"\frac{n_t^{\,p}}{\eta} + 2\Big(\ell_2 + \frac{\beta}{2\eta}\Big)",
                  r"\frac{<n>^{<p>}}{<lr>} + 2\Big(<l2> + \frac{<beta>}{2\cdot<lr>}\Big)",
                  lambda n, p, lr, l2, beta: np.power(n, p) / lr + 2 * (l2 + beta / (2.0 * lr)),
                  n=n, p=p, lr=lr, l2=l2, beta=beta)
        ex.eq("w_t", r"\frac{\operatorname{clip}(z_t, -\ell_1, \ell_1) - z_t}{q_t}",
              r"\frac{\operatorname{clip}(<z>, -<l1>, <l1>) - <z>}{<q>}",
              lambda z, l1, q: (np.clip(z, -l1, l1) - z) / q, z=z, l1=l1, q=q, expect=ex.w_new)
    else:
        sigma = ex.eq(r"\sigma_t", r"\frac{\sqrt{n_t} - \sqrt{n_{t-1}}}{\alpha}", r"\frac{\sqrt{<n>} - \sqrt{<n0>}}{<lr>}",
                      lambda n, n0, lr: (np.sqrt(n) - np.sqrt(n0)) / lr, n=n, n0=n0, lr=lr)
        z = ex.eq("z_t", r"z_{t-1} + g_t - \sigma_t\, w_{t-1}", r"<z> + <g> - <sigma>\,<w>",
                  lambda z, g, sigma, w: z + g - sigma * w, z=z0, g=g, sigma=sigma, w=w,
                  expect=ex.slots_after["linear"])
        ex.eq("w_t", r"\begin{cases}0 & |z_t| \le \lambda_1\\ -\dfrac{z_t - \operatorname{sign}(z_t)\,\lambda_1}"
                     r"{(\beta + \sqrt{n_t})/\alpha + \lambda_2} & \text{otherwise}\end{cases}",
              r"-\frac{<z> - \operatorname{sign}(<z>)\cdot<l1>}{(<beta> + \sqrt{<n>})/<lr> + <l2>}\ "
              r"(0\text{ where } |z_t| \le \lambda_1)",
              lambda z, l1, beta, n, lr, l2: np.where(np.abs(z) <= l1, 0.0,
                                                      -(z - np.sign(z) * l1) / ((beta + np.sqrt(n)) / lr + l2)),
              z=z, l1=l1, beta=beta, n=n, lr=lr, l2=l2, expect=ex.w_new)


TEACHING = Teaching(
    summary="Follow-the-regularised-leader: the weights are recomputed every step from two sums per coordinate "
            "(of gradients, z, and of squared gradients, n); L1 sets small coordinates to exactly 0.",
    why="Ftrl does not move the point by a step: it recomputes it from z, a running sum of gradients, divided by "
        "q, which grows like √n (the sum of g²). Coordinates whose |z| stays within the L1 strength sit at exactly "
        "0, and every coordinate slows down as its n grows, as in Adagrad.",
    differences=(
        "Keras's L2 term is 2·`l2_regularization_strength`: Keras's ℓ₂ is half the paper's λ₂.",
        "n starts at `initial_accumulator_value` = 0.1 (the paper: 0), and Keras's β defaults to 0; the paper "
        "takes α, β, λ₁, λ₂ as inputs without defaults.",
        "`learning_rate_power` (the rate η·n^p; the paper's is always p = −½) and "
        "`l2_shrinkage_regularization_strength` are TensorFlow extensions, not in the paper.",
        "Coordinates with |z| ≤ ℓ₁ are exactly 0: the closed form (clip(z, −ℓ₁, ℓ₁) − z)/q is the paper's "
        "case-wise formula.",
        "Kerasy and `torch.optim` (2.13) have no Ftrl.",
    ),
    keras_note="ℓ₂ is half the paper's λ₂; n₀ = 0.1",
    other_defaults={"Kerasy": "— (no Ftrl)",
                    "Paper": "α, β, λ₁, λ₂ are inputs (no defaults); n₀ = z₀ = 0; rate α/(β + √n)",
                    "PyTorch 2.13": "— (no Ftrl in torch.optim)"},
    slots={"accumulator": Slot("n", "the sum of squared gradients (starts at n₀)"),
           "linear": Slot("z", "the sum of gradients, corrected by σ·w each time the per-coordinate rate changes")},
    explain=_explain,
)

class Ftrl(Optimizer):
    name = "Ftrl"
    aliases = ("ftrl",)
    HYPERPARAMS = {"keras": _KERAS_PARAMS, "textbook": _TEXTBOOK_PARAMS}
    LATEX = {"keras": _KERAS, "textbook": _TEXTBOOK}
    NOTES = {"textbook": _NOTE}
    TEACHING = TEACHING

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
