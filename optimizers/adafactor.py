"""Adafactor (Shazeer & Stern 2018, Algorithms 4 and 5).

Adam without momentum, with three changes:

- **factored second moment**: for a variable with ≥ 2 axes only a row
  statistic ``r`` and a column statistic ``c`` of g² are kept (over the
  last two axes), and v̂ = r cᵀ / mean(r) is their rank-one reconstruction
  (n + m numbers instead of n·m); 1-D variables keep the full ``v``;
- **increasing decay** β̂₂ₜ = 1 − t^(beta_2_decay) (0 at t = 1: no bias
  correction needed);
- **update clipping and relative steps**: u = g/√v̂ is divided by
  max(1, RMS(u)/d), and the step is α_t = max(ε₂, RMS(w))·ρ_t with
  ρ_t = min(η, 1/√t): proportional to the size of the weights.

Keras 3.15 averages (r = mean over columns) where the paper sums (R = sum
over columns); v̂ is the same. Keras's ``relative_step`` has no effect on
the arithmetic: ρ_t = min(η, 1/√t) is applied whatever its value (and
applying it twice changes nothing), and α_t is always scaled by RMS(w).

``torch.optim.Adafactor`` (pytorch flavour) keeps ε₁ out of g²: it clamps
v̂ at ε₁² and mean(r) at ε₁ (default ε₁ = machine epsilon), computes α_t
from the weights *before* its weight decay w ← w(1 − η·wd), requires d ≥ 1,
and defaults to η = 0.01.
"""
import math

import numpy as np

from ._layout import RunAxes, placeholder, torch_lerp as _lerp, var_axes, var_ndim
from .base import HyperParam, Optimizer, bool_param

_F64_EPS = float(np.finfo(np.float64).eps)


def _params(lr, eps1, relative_step=True, torch=False):
    out = [
        HyperParam("learning_rate", lr, "η: the cap of the relative step ρ_t = min(η, 1/√t)", low=0.0, log=True,
                   ui_low=1e-5, ui_high=1.0, symbol=r"\eta"),
        HyperParam("beta_2_decay", -0.8, "c: the second-moment decay is β̂₂ₜ = 1 − t^c (c < 0)", high=0.0,
                   high_open=True, ui_low=-1.0, ui_high=-0.1, symbol="c"),
        HyperParam("epsilon_1", eps1, "ε₁: regularises g² (keeps √v̂ away from 0)", low=0.0, log=True,
                   ui_low=1e-40, ui_high=1e-3, symbol=r"\epsilon_1"),
        HyperParam("epsilon_2", 1e-3, "ε₂: lower bound of RMS(w) in α_t, so weights at 0 can move", low=0.0,
                   log=True, ui_low=1e-8, ui_high=1.0, symbol=r"\epsilon_2"),
        HyperParam("clip_threshold", 1.0, "d: u is divided by max(1, RMS(u)/d)",
                   low=1.0 if torch else 0.0, low_open=not torch, log=True, ui_low=1.0 if torch else 0.1,
                   ui_high=10.0, symbol="d"),
    ]
    if relative_step:
        out.append(bool_param("relative_step", True, "Keras 3: has no effect (ρ_t = min(η, 1/√t) is always used)"))
    return out


_KERAS = r"""\begin{aligned}
\rho_t &= \min\!\big(\eta,\ 1/\sqrt{t}\big),\qquad \alpha_t = \max\!\big(\epsilon_2,\ \mathrm{RMS}(w_{t-1})\big)\,\rho_t,
\qquad \hat\beta_{2t} = 1 - t^{c}\\
\text{matrices: } r_t &= \hat\beta_{2t} r_{t-1} + (1-\hat\beta_{2t})\,\operatorname{mean}_{\text{cols}}(g_t^2 + \epsilon_1),\quad
c_t = \hat\beta_{2t} c_{t-1} + (1-\hat\beta_{2t})\,\operatorname{mean}_{\text{rows}}(g_t^2 + \epsilon_1)\\
\hat v_t &= \frac{r_t}{\operatorname{mean}(r_t)}\, c_t^{\top}
\qquad\text{vectors: } \hat v_t = \hat\beta_{2t} \hat v_{t-1} + (1-\hat\beta_{2t})(g_t^2 + \epsilon_1)\\
u_t &= \frac{g_t}{\sqrt{\hat v_t}},\qquad \hat u_t = \frac{u_t}{\max\!\big(1,\ \mathrm{RMS}(u_t)/d\big)}\\
w_t &= w_{t-1} - \alpha_t\, \hat u_t
\end{aligned}"""

_TEXTBOOK = r"""\begin{aligned}
\rho_t &= \min\!\big(\eta,\ 1/\sqrt{t}\big),\qquad \alpha_t = \max\!\big(\epsilon_2,\ \mathrm{RMS}(X_{t-1})\big)\,\rho_t,
\qquad \hat\beta_{2t} = 1 - t^{c}\qquad (\text{paper: } \eta = 10^{-2},\ c = -0.8)\\
\text{matrices: } R_t &= \hat\beta_{2t} R_{t-1} + (1-\hat\beta_{2t})\,(G_t^2 + \epsilon_1 1_n 1_m^\top)\, 1_m,\quad
C_t = \hat\beta_{2t} C_{t-1} + (1-\hat\beta_{2t})\, 1_n^\top (G_t^2 + \epsilon_1 1_n 1_m^\top)\\
\hat V_t &= \frac{R_t C_t}{1_n^\top R_t}
\qquad\text{vectors: } \hat V_t = \hat\beta_{2t} \hat V_{t-1} + (1-\hat\beta_{2t})(G_t^2 + \epsilon_1 1_n)\\
U_t &= \frac{G_t}{\sqrt{\hat V_t}},\qquad \hat U_t = \frac{U_t}{\max\!\big(1,\ \mathrm{RMS}(U_t)/d\big)}\\
X_t &= X_{t-1} - \alpha_t\, \hat U_t
\end{aligned}"""

_TORCH = r"""\begin{aligned}
\rho_t &= \min\!\big(\eta,\ 1/\sqrt{t}\big),\qquad \alpha_t = \max\!\big(\epsilon_2,\ \mathrm{RMS}(w_{t-1})\big)\,\rho_t,
\qquad \hat\beta_{2t} = 1 - t^{c}\\
w_{t-1} &\leftarrow w_{t-1}\,(1 - \eta\,\lambda) &&\text{(weight decay, after } \alpha_t\text{)}\\
\text{matrices: } r_t &= \operatorname{lerp}\big(r_{t-1},\ \operatorname{mean}_{\text{cols}} g_t^2,\ 1-\hat\beta_{2t}\big),\quad
c_t = \operatorname{lerp}\big(c_{t-1},\ \operatorname{mean}_{\text{rows}} g_t^2,\ 1-\hat\beta_{2t}\big)\\
\hat v_t &= \frac{r_t\, c_t^{\top}}{\max(\operatorname{mean}(r_t),\ \epsilon_1)}
\qquad\text{vectors: } \hat v_t = \operatorname{lerp}\big(\hat v_{t-1},\ g_t^2,\ 1-\hat\beta_{2t}\big)\\
u_t &= \frac{g_t}{\sqrt{\max(\hat v_t,\ \epsilon_1^2)}},\qquad \hat u_t = \frac{u_t}{\max\!\big(1,\ \mathrm{RMS}(u_t)/d\big)}\\
w_t &= w_{t-1} - \alpha_t\, \hat u_t
\end{aligned}"""

_TEXTBOOK_NOTE = (
    "Shazeer & Stern (2018), Algorithm 4 (factored, matrices) and 5 (vectors), with the proposed "
    "ε₁ = 1e-30, ε₂ = 1e-3, d = 1, ρ_t = min(10⁻², 1/√t), β̂₂ₜ = 1 − t^(−0.8), and no momentum. Where Keras "
    "differs: (1) the cap of ρ_t is Keras's learning_rate, default 0.001 (the paper's 10⁻² is the textbook "
    "default here); (2) Keras keeps row and column *means* r, c where the paper keeps *sums* R, C: the "
    "reconstruction V̂ = R C / (1ᵀR) is the same, the stored factors differ by the factors m and n; "
    "(3) Keras's relative_step has no effect. Over the last two axes for variables with more than 2 axes, as "
    "in Keras and PyTorch.")
_TORCH_NOTE = (
    "torch.optim.Adafactor: lr = 0.01, eps = (None → machine ε, 1e-3), d = 1 (must be ≥ 1), "
    "weight_decay = 0. ε₁ is not added to g²: mean(r) is clamped at ε₁ and v̂ at ε₁². α_t is computed from "
    "the weights before the decoupled decay w ← w(1 − η·wd) (Keras decays first). Its row/column factors are "
    "means, as in Keras.")


class Adafactor(RunAxes, Optimizer):
    name = "Adafactor"
    aliases = ("adafactor",)
    HYPERPARAMS = {"keras": _params(0.001, 1e-30), "textbook": _params(0.01, 1e-30, relative_step=False),
                   "pytorch": _params(0.01, _F64_EPS, relative_step=False, torch=True)}
    LATEX = {"keras": _KERAS, "textbook": _TEXTBOOK, "pytorch": _TORCH}
    NOTES = {"textbook": _TEXTBOOK_NOTE, "pytorch": _TORCH_NOTE}
    SLOT_HELP = {"r": "row factor: average over steps of each row's mean of g² (textbook: row sums R)",
                 "c": "column factor: average over steps of each column's mean of g² (textbook: column sums C)",
                 "velocity": "v̂: the second-moment estimate g is divided by (r cᵀ / mean(r) for matrices)"}

    def _slot_names(self):
        return ("r", "c", "velocity")

    @staticmethod
    def _factored(p):
        return var_ndim(p) >= 2

    def _slot_used(self, name, p):
        return name == "velocity" or self._factored(p)

    def _init_slot(self, name, p):
        if name in ("r", "c"):
            if not self._factored(p):
                return placeholder(p)
            return np.zeros(np.shape(p)[:-1] if name == "r" else np.shape(p)[:-2] + np.shape(p)[-1:])
        return np.zeros_like(p)  # velocity, and any slot the base class adds

    def _coupled_weight_decay(self):
        return False  # torch.optim.Adafactor's decay is decoupled too

    def _weight_decay_factor(self, lr, step):
        # PyTorch decays after computing α_t from the undecayed weights: done in _rule.
        return 0.0 if self.flavor == "pytorch" else lr

    def _rule(self, g, w, s, lr, t, glob):
        decay, eps1, eps2, d = (self.hp["beta_2_decay"], self.hp["epsilon_1"], self.hp["epsilon_2"],
                                self.hp["clip_threshold"])
        axes = var_axes(w)
        factored = self._factored(w)
        new = dict(s)
        inv_sqrt_t = 1.0 / math.sqrt(t)
        rho = np.minimum(lr, inv_sqrt_t)
        alpha = np.maximum(eps2, np.sqrt(np.mean(np.square(w), axis=axes, keepdims=True))) * rho
        if self.flavor == "pytorch":
            w_decayed = w if self.weight_decay is None else w * (1 - lr * self.weight_decay)
            weight = t ** decay  # 1 − β̂₂ₜ, as torch computes it
            g2 = np.square(g)
            if factored:
                r = _lerp(s["r"][..., None], np.mean(g2, axis=-1, keepdims=True), weight)
                c = _lerp(s["c"][..., None, :], np.mean(g2, axis=-2, keepdims=True), weight)
                v = (r * c) / np.maximum(np.mean(r, axis=-2, keepdims=True), eps1)
                new.update(r=r[..., 0], c=c[..., 0, :])
            else:
                v = _lerp(s["velocity"], g2, weight)
            new["velocity"] = v
            u = g / np.sqrt(np.maximum(v, eps1 * eps1))
            u_hat = u / np.maximum(1.0, np.sqrt(np.mean(np.square(u), axis=axes, keepdims=True)) / d)
            return w_decayed - alpha * u_hat, new

        beta = 1.0 - t ** decay
        g2 = np.square(g) + eps1
        if factored:
            # Work with keepdims shapes so run arrays of hyperparameters broadcast like the parameter.
            reduce = np.sum if self.flavor == "textbook" else np.mean
            r = beta * s["r"][..., None] + (1.0 - beta) * reduce(g2, axis=-1, keepdims=True)
            c = beta * s["c"][..., None, :] + (1.0 - beta) * reduce(g2, axis=-2, keepdims=True)
            if self.flavor == "textbook":
                v = (r * c) / np.sum(r, axis=-2, keepdims=True)
            else:
                v = (r / np.mean(r, axis=-2, keepdims=True)) * c
            new.update(r=r[..., 0], c=c[..., 0, :])
        else:
            v = beta * s["velocity"] + (1.0 - beta) * g2
        new["velocity"] = v
        u = g / np.sqrt(v)
        u_hat = u / np.maximum(1.0, np.sqrt(np.mean(np.square(u), axis=axes, keepdims=True)) / d)
        return w - alpha * u_hat, new

