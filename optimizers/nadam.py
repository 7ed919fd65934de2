"""Nadam (spec §3.8): Adam with Nesterov momentum and a momentum schedule.

The momentum coefficient warms up: ``μ_t = β₁(1 − ½·0.96^(ψ t))``. Keras 3
uses ψ = 1 (``0.96^t``), so μ_t reaches 0.75·β₁ at t ≈ 17; Dozat (2016),
PyTorch, legacy tf.keras and Kerasy use ψ = 0.004, so μ_t stays near 0.45
for hundreds of steps. That schedule is the textbook flavour's real
difference. ``u_product`` = ∏ μ_i is one scalar shared by all variables,
advanced once per update *before* any variable (``_pre_step``).
Unlike Keras Adam, ε here is added to the bias-corrected √v̂.
"""
import numpy as np

from .base import HyperParam, Optimizer, eps_param, lr_param


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


class Nadam(Optimizer):
    name = "Nadam"
    aliases = ("nadam",)
    GLOBAL_SLOTS = ("u_product",)
    HYPERPARAMS = {"keras": _params(0.001, 1e-7), "textbook": _params(0.002, 1e-8),
                   "pytorch": [*_params(0.002, 1e-8),
                               HyperParam("momentum_decay", 0.004, "PyTorch only: ψ in μ_t = β₁(1 − ½·0.96^(ψt))",
                                          low=0.0, log=True, ui_low=1e-4, ui_high=1.0, symbol=r"\psi")]}
    LATEX = {"keras": _LATEX % "t", "textbook": _LATEX % "t/250", "pytorch": _LATEX % r"\psi t"}
    NOTES = {"textbook": "Dozat's schedule is 0.96^(t/250); Keras 3 uses 0.96^t, so its momentum reaches "
                         "0.75·β₁ within ~17 steps instead of ~4000. Paper defaults: η = 0.002, ε = 1e-8. "
                         "Both add ε to the bias-corrected √v̂ (Keras's docstring calls it 'epsilon hat', wrongly).",
             "pytorch": "torch.optim.NAdam: Dozat's schedule with momentum_decay ψ = 0.004, lr = 0.002, ε = 1e-8. "
                        "Keras Nadam equals NAdam(momentum_decay=1.0) with the same ε."}

    @property
    def _psi(self):
        if self.flavor == "keras":
            return 1.0
        return 0.004 if self.flavor == "textbook" else self.hp["momentum_decay"]

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
