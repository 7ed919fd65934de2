"""Nadam: Adam with Nesterov momentum and a momentum schedule (docs/maths.md, "Nadam").

The momentum coefficient warms up: ``μ_t = β₁(1 − ½·0.96^(ψ t))``. Keras 3
uses ψ = 1 (``0.96^t``), so μ_t reaches 0.75·β₁ at t = 17; Dozat (2016),
PyTorch, legacy tf.keras and Kerasy use ψ = 0.004, so μ_t stays near 0.45
for hundreds of steps (:func:`steps_to_reach`). That schedule is the textbook
flavour's real difference. ``u_product`` = ∏ μ_i is one scalar shared by all
variables, advanced once per update *before* any variable (``_pre_step``).
Unlike Keras Adam, ε here is added to the bias-corrected √v̂.
"""
import math

import numpy as np

from .adam import adam_momentum_arrow
from .base import HyperParam, Optimizer, eps_param, lr_param
from .teaching import Slot, Teaching


def _params(lr, eps):
    return [
        lr_param(lr),
        HyperParam("beta_1", 0.9, "β₁: momentum, before the warm-up schedule", low=0.0, high=1.0,
                   high_open=True, ui_low=0.0, ui_high=0.999, symbol=r"\beta_1"),
        HyperParam("beta_2", 0.999, "β₂: decay of the squared-gradient average", low=0.0, high=1.0,
                   high_open=True, ui_low=0.0, ui_high=0.9999, symbol=r"\beta_2"),
        eps_param(eps),
    ]


_LATEX = r"""\begin{aligned}
\mu_t &= \beta_1\big(1 - \tfrac12\, 0.96^{%s}\big),\qquad \Pi_t = \prod_{i\le t} \mu_i\\
m_t &= \beta_1 m_{t-1} + (1-\beta_1)\, g_t,\qquad v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2\\
\bar m_t &= \frac{\mu_{t+1}\, m_t}{1 - \Pi_t\,\mu_{t+1}} + \frac{(1-\mu_t)\, g_t}{1 - \Pi_t},\qquad
\hat v_t = \frac{v_t}{1-\beta_2^{\,t}}\\
w_t &= w_{t-1} - \eta\,\frac{\bar m_t}{\sqrt{\hat v_t} + \epsilon}
\end{aligned}"""


KERAS_PSI, DOZAT_PSI = 1.0, 0.004


def steps_to_reach(fraction: float, psi: float) -> int:
    """The first t with μ_t ≥ fraction·β₁, for μ_t = β₁(1 − ½·0.96^(ψ t)) (any β₁):
    ½·0.96^(ψt) ≤ 1 − fraction, i.e. t ≥ ln(2(1 − fraction)) / (ψ·ln 0.96)."""
    return math.ceil(math.log(2 * (1 - fraction)) / (psi * math.log(0.96)) - 1e-9)


def _schedule_text() -> str:
    k, d = steps_to_reach(0.75, KERAS_PSI), steps_to_reach(0.75, DOZAT_PSI)
    return (rf"Keras's $\mu_t$ reaches $0.75\,\beta_1$ at t = {k}; Dozat's only at t = {d:,}.")


_PAPER_DEFAULTS = ("η = 0.002, β₂ = 0.999, ε = 1e-8 are the values Keras 2, legacy tf.keras and PyTorch give as "
                   "the paper's; they were not checked against Dozat's paper itself (unverified)")


def _explain(ex, opt):
    g, w, lr, t = ex.g_rule, ex.w_rule, ex.learning_rate, ex.t
    b1, b2, eps, psi = float(opt.hp["beta_1"]), float(opt.hp["beta_2"]), float(opt.hp["epsilon"]), opt._psi
    power = {"keras": "t", "textbook": "t/250"}.get(opt.flavor, r"\psi t")
    mu_t = ex.eq(r"\mu_t", rf"\beta_1\big(1 - \tfrac12\, 0.96^{{{power}}}\big)", r"<b1>\,(1 - 0.5\cdot 0.96^{<x>})",
                 lambda b1, x: b1 * (1.0 - 0.5 * 0.96 ** x), b1=b1, x=psi * t)
    mu_t1 = ex.eq(r"\mu_{t+1}", rf"\beta_1\big(1 - \tfrac12\, 0.96^{{{power.replace('t', '(t+1)')}}}\big)",
                  r"<b1>\,(1 - 0.5\cdot 0.96^{<x>})", lambda b1, x: b1 * (1.0 - 0.5 * 0.96 ** x), b1=b1,
                  x=psi * (t + 1))
    prod = ex.eq(r"\Pi_t", r"\Pi_{t-1}\,\mu_t", r"<p>\cdot <mu_t>", lambda p, mu_t: p * mu_t,
                 p=float(np.asarray(ex.slots_before["u_product"]).ravel()[0]), mu_t=float(mu_t),
                 expect=float(np.asarray(ex.slots_after["u_product"]).ravel()[0]))
    ex.quantities += [("μ_t", r"\mu_t", float(mu_t)), ("μ_{t+1}", r"\mu_{t+1}", float(mu_t1)),
                      ("∏μ", r"\Pi_t", float(prod))]
    m = ex.eq("m_t", r"m_{t-1} + (1-\beta_1)(g_t - m_{t-1})", r"<m> + <one_minus_b1>\,(<g> - <m>)",
              lambda m, one_minus_b1, g: m + (g - m) * one_minus_b1, m=ex.slots_before["momentum"],
              one_minus_b1=1 - b1, g=g, expect=ex.slots_after["momentum"])
    v = ex.eq("v_t", r"v_{t-1} + (1-\beta_2)(g_t^2 - v_{t-1})", r"<v> + <one_minus_b2>\,(<g>^2 - <v>)",
              lambda v, one_minus_b2, g: v + (np.square(g) - v) * one_minus_b2, v=ex.slots_before["velocity"],
              one_minus_b2=1 - b2, g=g, expect=ex.slots_after["velocity"])
    m_bar = ex.eq(r"\bar m_t", r"\frac{\mu_{t+1}\, m_t}{1 - \Pi_t\,\mu_{t+1}} + \frac{(1-\mu_t)\, g_t}{1 - \Pi_t}",
                  r"\frac{<mu_t1>\,<m>}{1 - <p>\cdot <mu_t1>} + \frac{(1 - <mu_t>)\,<g>}{1 - <p>}",
                  lambda mu_t1, m, p, mu_t, g: (mu_t1 * m) / (1 - p * mu_t1) + ((1 - mu_t) * g) / (1 - p),
                  mu_t1=float(mu_t1), m=m, p=float(prod), mu_t=float(mu_t), g=g)
    v_hat = ex.eq(r"\hat v_t", r"\frac{v_t}{1-\beta_2^{\,t}}", r"\frac{<v>}{<bc2>}", lambda v, bc2: v / bc2,
                  v=v, bc2=1 - b2 ** t)
    ex.eq("w_t", r"w_{t-1} - \eta\,\frac{\bar m_t}{\sqrt{\hat v_t} + \epsilon}",
          r"<w> - <lr>\,\frac{<m_bar>}{\sqrt{<v_hat>} + <eps>}",
          lambda w, lr, m_bar, v_hat, eps: w - (m_bar * lr) / (np.sqrt(v_hat) + eps),
          w=w, lr=lr, m_bar=m_bar, v_hat=v_hat, eps=eps, expect=ex.w_new)


TEACHING = Teaching(
    summary="Adam with Nesterov momentum and a warm-up schedule for the momentum coefficient.",
    why="Adam with a Nesterov look-ahead: the step mixes the new gradient with the momentum it is about to "
        "apply (μ_{t+1}), so it turns a step earlier than Adam. Its first steps are also ≈ η per axis.",
    differences=(
        r"Momentum schedule: Keras 3 uses $\mu_t = \beta_1(1 - \frac12\,0.96^{t})$; Dozat, PyTorch "
        r"(`momentum_decay=0.004`), legacy tf.keras and Kerasy use $0.96^{0.004\,t} = 0.96^{t/250}$. "
        + _schedule_text(),
        r"Both $\mu_t$ and $\mu_{t+1}$ use β₁ (never β₂); the m-average uses a constant β₁.",
        r"The product $\Pi_t = \prod_{i \le t} \mu_i$ is one scalar shared by all variables, starting at 1 and "
        "advanced once per step before any variable is updated.",
        "ε is added to the bias-corrected √v̂ (the textbook place), unlike Keras Adam; the Keras "
        "docstring's 'epsilon hat' is wrong.",
        "Keras Nadam equals PyTorch `NAdam(momentum_decay=1.0)`. Defaults: Keras lr 0.001, ε 1e-7; PyTorch "
        "lr 0.002, ε 1e-8. The paper's defaults: " + _PAPER_DEFAULTS + ".",
        "Kerasy never updates its product (it stays 1.0).",
    ),
    keras_note="μ-schedule 0.96ᵗ; ε on the corrected √v̂",
    other_defaults={"Kerasy": "learning_rate=0.001, schedule 0.96^(0.004t) (product never updated), ε=1e-7",
                    "Paper": "schedule 0.96^(t/250); η=2e-3, β₂=0.999, ε=1e-8 (as attributed by Keras 2 and "
                             "PyTorch; unverified)",
                    "PyTorch 2.13": "lr=2e-3, betas=(0.9, 0.999), eps=1e-8, momentum_decay=0.004"},
    slots={"momentum": Slot("m", "a moving average of the gradient"),
           "velocity": Slot("v", "a moving average of g²"),
           "u_product": Slot("∏μ", "the product of the momentum schedule μ₁…μ_t")},
    explain=_explain,
    momentum_arrow=adam_momentum_arrow,
)


class Nadam(Optimizer):
    name = "Nadam"
    aliases = ("nadam",)
    GLOBAL_SLOTS = ("u_product",)
    HYPERPARAMS = {"keras": _params(0.001, 1e-7), "textbook": _params(0.002, 1e-8),
                   "pytorch": [*_params(0.002, 1e-8),
                               HyperParam("momentum_decay", 0.004, "PyTorch only: ψ in μ_t = β₁(1 − ½·0.96^(ψt))",
                                          low=0.0, log=True, ui_low=1e-4, ui_high=1.0, symbol=r"\psi")]}
    LATEX = {"keras": _LATEX % "t", "textbook": _LATEX % "t/250", "pytorch": _LATEX % r"\psi t"}
    NOTES = {"textbook": f"Dozat's schedule is 0.96^(t/250); Keras 3 uses 0.96^t, so its momentum reaches "
                         f"0.75·β₁ at t = {steps_to_reach(0.75, KERAS_PSI)} instead of t = "
                         f"{steps_to_reach(0.75, DOZAT_PSI):,}. The textbook flavour's defaults, "
                         + _PAPER_DEFAULTS + ". Both add ε to the bias-corrected √v̂ (Keras's docstring calls it "
                         "'epsilon hat', wrongly).",
             "pytorch": "torch.optim.NAdam: Dozat's schedule with momentum_decay ψ = 0.004, lr = 0.002, ε = 1e-8. "
                        "Keras Nadam equals NAdam(momentum_decay=1.0) with the same ε."}
    TEACHING = TEACHING

    @property
    def _psi(self):
        if self.flavor == "keras":
            return KERAS_PSI
        return DOZAT_PSI if self.flavor == "textbook" else self.hp["momentum_decay"]

    def _mu(self, t):
        return self.hp["beta_1"] * (1.0 - 0.5 * 0.96 ** (self._psi * t))

    def _slot_names(self):
        return ("momentum", "velocity")

    def _init_global(self):
        # One product per run when β₁ is an array of runs, else a single scalar.
        return {"u_product": np.ones(np.shape(self.hp["beta_1"]))}

    def _pre_step(self, glob, t):
        b1 = self.hp["beta_1"]
        return {**glob, "u_product": glob["u_product"] * b1 * (1.0 - 0.5 * 0.96 ** (self._psi * t))}

    def _rule(self, g, w, s, lr, t, glob):
        b1, b2, eps = self.hp["beta_1"], self.hp["beta_2"], self.hp["epsilon"]
        u_t, u_t1 = self._mu(t), self._mu(t + 1)
        u_prod = glob["u_product"]
        u_prod_next = u_prod * u_t1
        m = s["momentum"] + (g - s["momentum"]) * (1 - b1)
        v = s["velocity"] + (np.square(g) - s["velocity"]) * (1 - b2)
        m_hat = (u_t1 * m) / (1 - u_prod_next) + ((1 - u_t) * g) / (1 - u_prod)
        v_hat = v / (1 - b2 ** t)
        return w - (m_hat * lr) / (np.sqrt(v_hat) + eps), {**s, "momentum": m, "velocity": v}
