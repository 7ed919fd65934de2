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
from .teaching import Slot, Teaching
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



def _rms(x):
    return np.sqrt(np.mean(np.square(x)))


def _explain(ex, opt):
    g, w, lr, t = ex.g_rule, ex.w_rule, ex.learning_rate, ex.t
    c_dec, e1, e2, d = (float(opt.hp["beta_2_decay"]), float(opt.hp["epsilon_1"]), float(opt.hp["epsilon_2"]),
                        float(opt.hp["clip_threshold"]))
    torch = opt.flavor == "pytorch"
    rho = ex.eq(r"\rho_t", r"\min(\eta,\ 1/\sqrt{t})", r"\min(<lr>,\ 1/\sqrt{<t>})",
                lambda lr, t: np.minimum(lr, 1.0 / np.sqrt(t)), lr=lr, t=float(t))
    rms_w = ex.eq(r"\mathrm{RMS}(w_{t-1})", r"\sqrt{\mathrm{mean}(w_{t-1}^2)}", r"\sqrt{\mathrm{mean}(<w>^2)}",
                  lambda w: _rms(w), w=w)
    alpha = ex.eq(r"\alpha_t", r"\max(\epsilon_2, \mathrm{RMS}(w_{t-1}))\,\rho_t", r"\max(<e2>, <rms>)\cdot<rho>",
                  lambda e2, rms, rho: np.maximum(e2, rms) * rho, e2=e2, rms=rms_w, rho=rho)
    ex.quantities += [("relative step ρ_t", r"\rho_t", float(rho)), ("step size α_t", r"\alpha_t", float(alpha))]
    factored = np.ndim(ex.slots_after.get("r", 0.0)) > 0
    if torch:
        # torch: lerp(old, new, t^c), i.e. (1 − t^c)·old + t^c·new
        wt = ex.eq(r"1-\hat\beta_{2t}", r"t^{\,c}", r"{<t>}^{<c>}", lambda t, c: t ** c, t=float(t), c=c_dec)
        g2_sym = r"(g_t^2)"
    else:
        beta = ex.eq(r"\hat\beta_{2t}", r"1 - t^{\,c}", r"1 - {<t>}^{<c>}", lambda t, c: 1.0 - t ** c, t=float(t), c=c_dec)
        g2_sym = r"(g_t^2 + \epsilon_1)"
    if factored:
        textbook = opt.flavor == "textbook"
        red, red_sym = (np.sum, r"\mathrm{sum}") if textbook else (np.mean, r"\mathrm{mean}")
        sq = np.square(g) + (0.0 if torch else e1)
        rows, cols = red(sq, axis=-1), red(sq, axis=-2)
        for slot, stat, name in (("r", rows, "rows"), ("c", cols, "columns")):
            stat_sym = rf"{red_sym}_{{\text{{{name}}}}}{g2_sym}"
            if torch:
                ex.eq(f"{slot}_t", rf"{slot}_{{t-1}} + (1-\hat\beta_{{2t}})({stat_sym} - {slot}_{{t-1}})",
                      rf"<old> + <wt>\,(<new> - <old>)", lambda old, wt, new: old + wt * (new - old),
                      old=ex.slots_before[slot], wt=wt, new=stat, expect=ex.slots_after[slot])
            else:
                ex.eq(f"{slot}_t", rf"\hat\beta_{{2t}}\,{slot}_{{t-1}} + (1-\hat\beta_{{2t}})\,{stat_sym}",
                      r"<beta>\,<old> + <one_minus_beta>\,<new>",
                      lambda beta, old, one_minus_beta, new: beta * old + one_minus_beta * new,
                      beta=beta, old=ex.slots_before[slot], one_minus_beta=1.0 - beta, new=stat,
                      expect=ex.slots_after[slot])
        r, c = ex.slots_after["r"], ex.slots_after["c"]
        if textbook:
            v = ex.eq(r"\hat v_t", r"r_t\,c_t^\top / \mathrm{sum}(r_t)", r"<r>\,<c>^\top / \mathrm{sum}(<r>)",
                      lambda r, c: (r[..., :, None] * c[..., None, :]) / np.sum(r, axis=-1)[..., None, None],
                      r=r, c=c, expect=ex.slots_after["velocity"])
        elif torch:
            v = ex.eq(r"\hat v_t", r"r_t\,c_t^\top / \max(\mathrm{mean}(r_t), \epsilon_1)",
                      r"<r>\,<c>^\top / \max(\mathrm{mean}(<r>), <e1>)",
                      lambda r, c, e1: (r[..., :, None] * c[..., None, :]) /
                      np.maximum(np.mean(r, axis=-1)[..., None, None], e1),
                      r=r, c=c, e1=e1, expect=ex.slots_after["velocity"])
        else:
            v = ex.eq(r"\hat v_t", r"\frac{r_t}{\mathrm{mean}(r_t)}\,c_t^\top", r"\frac{<r>}{\mathrm{mean}(<r>)}\,<c>^\top",
                      lambda r, c: (r / np.mean(r, axis=-1, keepdims=True))[..., :, None] * c[..., None, :],
                      r=r, c=c, expect=ex.slots_after["velocity"])
    else:
        v0 = ex.slots_before["velocity"]
        if torch:
            v = ex.eq(r"\hat v_t", r"\hat v_{t-1} + (1-\hat\beta_{2t})(g_t^2 - \hat v_{t-1})",
                      r"<v> + <wt>\,(<g>^2 - <v>)",
                      lambda v, wt, g: np.where(wt < 0.5, v + wt * (np.square(g) - v),
                                                np.square(g) - (np.square(g) - v) * (1.0 - wt)),
                      v=v0, wt=wt, g=g, expect=ex.slots_after["velocity"])
        else:
            v = ex.eq(r"\hat v_t", r"\hat\beta_{2t}\,\hat v_{t-1} + (1-\hat\beta_{2t})(g_t^2 + \epsilon_1)",
                      r"<beta>\,<v> + <one_minus_beta>\,(<g>^2 + <e1>)",
                      lambda beta, v, one_minus_beta, g, e1: beta * v + one_minus_beta * (np.square(g) + e1),
                      beta=beta, v=v0, one_minus_beta=1.0 - beta, g=g, e1=e1, expect=ex.slots_after["velocity"])
    if torch:
        u = ex.eq("u_t", r"g_t / \sqrt{\max(\hat v_t,\ \epsilon_1^2)}", r"<g> / \sqrt{\max(<v>,\ (<e1>)^2)}",
                  lambda g, v, e1: g / np.sqrt(np.maximum(v, e1 * e1)), g=g, v=v, e1=e1)
    else:
        u = ex.eq("u_t", r"g_t / \sqrt{\hat v_t}", r"<g> / \sqrt{<v>}", lambda g, v: g / np.sqrt(v), g=g, v=v)
    rms_u = ex.eq(r"\mathrm{RMS}(u_t)", r"\sqrt{\mathrm{mean}(u_t^2)}", r"\sqrt{\mathrm{mean}(<u>^2)}",
                  lambda u: _rms(u), u=u)
    u_hat = ex.eq(r"\hat u_t", r"u_t / \max(1,\ \mathrm{RMS}(u_t)/d)", r"<u> / \max(1,\ <rms>/<d>)",
                  lambda u, rms, d: u / np.maximum(1.0, rms / d), u=u, rms=rms_u, d=d)
    ex.quantities.append(("clip divisor max(1, RMS(u)/d)", r"\max(1, \mathrm{RMS}(u)/d)",
                          float(max(1.0, float(rms_u) / d))))
    if torch and opt.weight_decay is not None:
        ex.eq("w_t", r"w_{t-1}\,(1 - \eta\lambda) - \alpha_t\,\hat u_t\quad(\alpha_t\text{ from the undecayed }w)",
              r"<w>\,(1 - <lr>\cdot<lam>) - <alpha>\,<u_hat>",
              lambda w, lr, lam, alpha, u_hat: w * (1 - lr * lam) - alpha * u_hat,
              w=w, lr=lr, lam=float(opt.weight_decay), alpha=alpha, u_hat=u_hat, expect=ex.w_new)
    else:
        ex.eq("w_t", r"w_{t-1} - \alpha_t\,\hat u_t", r"<w> - <alpha>\,<u_hat>",
              lambda w, alpha, u_hat: w - alpha * u_hat, w=w, alpha=alpha, u_hat=u_hat, expect=ex.w_new)


TEACHING = Teaching(
    summary="Adam without momentum and with a factored second moment (a matrix keeps only row and column "
            "averages of g²); each step is sized relative to the weights, ρ_t·RMS(w), and clipped.",
    why="Each step is α_t·û: α_t = max(ε₂, RMS(w))·min(η, 1/√t) scales with the size of the weights, and û = "
        "g/√v̂ is clipped to RMS ≤ d. At t = 1, v̂ = g² + ε₁, so û is ±1 per axis and the first step is "
        "α₁ on both axes (diagonal); later the increasing decay β̂₂ₜ = 1 − t^c makes v̂ a longer and longer "
        "average. It has no momentum, so the path turns as soon as the gradient does.",
    differences=(
        "Keras keeps row and column *means* r, c of g² + ε₁ where the paper keeps *sums* R, C; the "
        "reconstruction v̂ = r cᵀ/mean(r) = R C/1ᵀR is the same, so are the steps (the stored factors differ by "
        "the factors m and n).",
        "The relative step is ρ_t = min(η, 1/√t): Keras's learning_rate (0.001) is the cap the paper sets to "
        "10⁻². Any η ≥ 1 gives the same run as η = 1.",
        "Keras's `relative_step` has no effect: ρ_t = min(η, 1/√t) is applied whatever its value, and α_t is "
        "always max(ε₂, RMS(w))·ρ_t.",
        "Variables with more than two axes are factored over their last two, in Keras and PyTorch; vectors keep "
        "the full v̂ (Algorithm 5).",
        "Keras on JAX computes the means and RMS values in float32 even for float64 weights (its `ops.mean`); "
        "the engine computes them in float64: differences of about 1e-7 of a step.",
        "PyTorch's `Adafactor` (lr 0.01) clamps v̂ at ε₁² (ε₁ = machine ε) instead of adding ε₁ to g², takes "
        "α_t from the weights before its decay w(1 − η·wd), and needs d ≥ 1. Kerasy has no Adafactor.",
    ),
    keras_note="means where the paper sums; relative_step has no effect",
    other_defaults={"Kerasy": "— (no Adafactor)",
                    "Paper": "ρ_t = min(10⁻², 1/√t), β̂₂ₜ = 1 − t^(−0.8), ε₁=1e-30, ε₂=1e-3, d=1, no momentum",
                    "PyTorch 2.13": "lr=1e-2, beta2_decay=-0.8, eps=(None → machine ε, 1e-3), d=1.0, "
                                    "weight_decay=0.0"},
    slots={"r": Slot("r", "the row factor: a moving average of each row's mean of g² (matrices only)"),
           "c": Slot("c", "the column factor: a moving average of each column's mean of g² (matrices only)"),
           "velocity": Slot("v̂", "the second-moment estimate g is divided by (r cᵀ / mean(r) for matrices)")},
    flavor_slots={"textbook": {
        "r": Slot("R", "the row factor: a moving average of each row's sum of g² (matrices only)"),
        "c": Slot("C", "the column factor: a moving average of each column's sum of g² (matrices only)"),
        "velocity": Slot("v̂", "the second-moment estimate g is divided by (R C / 1ᵀR for matrices)")}},
    explain=_explain,
)

class Adafactor(RunAxes, Optimizer):
    name = "Adafactor"
    aliases = ("adafactor",)
    HYPERPARAMS = {"keras": _params(0.001, 1e-30), "textbook": _params(0.01, 1e-30, relative_step=False),
                   "pytorch": _params(0.01, _F64_EPS, relative_step=False, torch=True)}
    LATEX = {"keras": _KERAS, "textbook": _TEXTBOOK, "pytorch": _TORCH}
    NOTES = {"textbook": _TEXTBOOK_NOTE, "pytorch": _TORCH_NOTE}
    TEACHING = TEACHING

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

    def _decay_in_rule(self):
        return self.flavor == "pytorch"

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

