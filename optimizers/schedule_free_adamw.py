"""Schedule-Free AdamW (Defazio et al. 2024, "The Road Less Scheduled", Algorithm 1).

No learning-rate schedule: three sequences instead of one.

- ``z`` takes plain AdamW-style steps with a constant rate (no momentum);
- ``x`` is the running *average* of the z's: ``x ← (1 − c) x + c z``;
- ``y = (1 − β₁) z + β₁ x`` interpolates between them, and the gradient is
  evaluated at y. β₁ plays the role of momentum.

The average x is what one evaluates (it converges without a decaying
schedule); y is the point being trained. The engine's parameters are y
(what Keras exposes during training); the slots hold z (Keras's name
``momentum``) and x (``x``, for the charts). All three start at w₀.

Keras 3.15 averages with c = 1/t, recovers x from y and z each step as
x = (y − (1 − β₁) z)/β₁ (so β₁ must be > 0) and puts ε on the
bias-corrected √v̂; its weight decay is the base class's w ← w − η·wd·w on
y before the step. The paper (textbook flavour) weights the average by the
squared step sizes, c = γ_t² / Σ γ_i², with γ_t = η·min(1, t/T_warmup)·√(1 − β₂ᵗ),
puts ε on the uncorrected √v, and decays inside the z step: z ← z − γ_t(g/(√v + ε) + λ y).
torch.optim has no Schedule-Free optimizer (it lives in facebookresearch/schedule_free).
"""
import numpy as np

from ._layout import RunAxes, run_ndim
from .teaching import Slot, Teaching
from .base import HyperParam, Optimizer, eps_param, lr_param


def _params(b1_low_open, eps):
    return [
        lr_param(0.0025),
        HyperParam("beta_1", 0.9, "β₁: y = (1 − β₁) z + β₁ x (the interpolation, like momentum)", low=0.0, high=1.0,
                   low_open=b1_low_open, ui_low=0.01 if b1_low_open else 0.0, ui_high=1.0, symbol=r"\beta_1"),
        HyperParam("beta_2", 0.999, "β₂: decay of the squared-gradient average", low=0.0, high=1.0, high_open=True,
                   ui_low=0.0, ui_high=0.9999, symbol=r"\beta_2"),
        eps_param(eps),
        HyperParam("warmup_steps", 0, "T: the rate grows linearly over the first T steps (0: no warm-up)", low=0.0,
                   ui_low=0.0, ui_high=1000.0, symbol="T"),
    ]


_KERAS = r"""\begin{aligned}
y_{t-1} &\leftarrow y_{t-1} - \eta\,\lambda\, y_{t-1} &&\text{(weight decay, if set: before the rule)}\\
\gamma_t &= \eta\,\min(1,\ t/T) &&(T = 0\text{: no warm-up})\\
v_t &= v_{t-1} + (1-\beta_2)(g_t^2 - v_{t-1})\\
z_t &= z_{t-1} - \frac{\gamma_t\, g_t}{\sqrt{v_t / (1-\beta_2^{\,t})} + \epsilon}\\
x_{t-1} &= \frac{y_{t-1} - (1-\beta_1)\, z_{t-1}}{\beta_1},\qquad
x_t = \Big(1 - \frac1t\Big)\, x_{t-1} + \frac1t\, z_t\\
y_t &= (1-\beta_1)\, z_t + \beta_1\, x_t \qquad (x_0 = z_0 = y_0 = w_0)
\end{aligned}"""

_TEXTBOOK = r"""\begin{aligned}
\gamma_t &= \eta\,\sqrt{1-\beta_2^{\,t}}\,\min(1,\ t/T_{\text{warmup}})\\
v_t &= \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2 &&(g_t = \nabla f(y_{t-1}))\\
z_t &= z_{t-1} - \gamma_t\,\frac{g_t}{\sqrt{v_t} + \epsilon} - \gamma_t\,\lambda\, y_{t-1}\\
c_t &= \frac{\gamma_t^2}{\sum_{i=1}^{t} \gamma_i^2},\qquad x_t = (1 - c_t)\, x_{t-1} + c_t\, z_t\\
y_t &= (1-\beta_1)\, z_t + \beta_1\, x_t \qquad (x_0 = z_0 = y_0 = w_0)
\end{aligned}"""

_NOTE = ("Defazio et al. (2024), Algorithm 1 (as in the authors' adamw_schedulefree_paper.py). Where Keras differs: "
         "(1) averaging weight: Keras c_t = 1/t, the paper c_t = γ_t²/Σγ_i², which gives the early steps (small "
         "γ_t during warm-up and bias correction) less weight; (2) ε: the paper folds √(1−β₂ᵗ) into γ_t and adds ε "
         "to the uncorrected √v_t, Keras adds ε to the bias-corrected √v̂_t (as Adam does in the paper); "
         "(3) weight decay: the paper adds γ_t·λ·y to the z step, Keras decays y itself by η·wd before the step; "
         "(4) Keras stores y and z and recovers x = (y − (1−β₁)z)/β₁, so β₁ = 0 is impossible there. "
         "Defaults agree: η = 0.0025, β = (0.9, 0.999), ε = 1e-8, no warm-up.")



def _explain(ex, opt):
    g, y, lr, t = ex.g_rule, ex.w_rule, ex.learning_rate, float(ex.t)
    b1, b2, eps, T = (float(opt.hp["beta_1"]), float(opt.hp["beta_2"]), float(opt.hp["epsilon"]),
                      float(opt.hp["warmup_steps"]))
    z0, v0, x0 = ex.slots_before["momentum"], ex.slots_before["velocity"], ex.slots_before["x"]
    if opt.flavor == "keras":
        if T > 0:
            gamma = ex.eq(r"\gamma_t", r"\eta\,\min(1,\ t/T)", r"<lr>\cdot\min(1,\ <t>/<T>)",
                          lambda lr, t, T: lr * min(t / T, 1.0), lr=lr, t=t, T=T)
        else:
            gamma = ex.eq(r"\gamma_t", r"\eta\ \ (\text{no warm-up})", r"<lr>", lambda lr: lr * 1.0, lr=lr)
        v = ex.eq("v_t", r"v_{t-1} + (1-\beta_2)(g_t^2 - v_{t-1})", r"<v> + <one_minus_b2>\,(<g>^2 - <v>)",
                  lambda v, one_minus_b2, g: v + (np.square(g) - v) * one_minus_b2, v=v0, one_minus_b2=1 - b2, g=g,
                  expect=ex.slots_after["velocity"])
        z = ex.eq("z_t", r"z_{t-1} - \frac{\gamma_t\, g_t}{\sqrt{v_t/(1-\beta_2^{\,t})} + \epsilon}",
                  r"<z> - \frac{<gamma>\,<g>}{\sqrt{<v>/<bc2>} + <eps>}",
                  lambda z, gamma, g, v, bc2, eps: z - (gamma * g) / (np.sqrt(v / bc2) + eps),
                  z=z0, gamma=gamma, g=g, v=v, bc2=1 - b2 ** t, eps=eps, expect=ex.slots_after["momentum"])
        x_prev = ex.eq("x_{t-1}", r"\frac{y_{t-1} - (1-\beta_1)\, z_{t-1}}{\beta_1}",
                       r"\frac{<y> - <one_minus_b1>\,<z>}{<b1>}", lambda y, one_minus_b1, z, b1: (y - one_minus_b1 * z) / b1,
                       y=y, one_minus_b1=1 - b1, z=z0, b1=b1)
        c = ex.eq("c_t", r"1/t", r"1/<t>", lambda t: 1.0 / t, t=t)
    else:
        gamma = ex.eq(r"\gamma_t", r"\eta\,\sqrt{1-\beta_2^{\,t}}\,\min(1,\ t/T)" if T > 0 else
                      r"\eta\,\sqrt{1-\beta_2^{\,t}}",
                      r"<lr>\,\sqrt{<bc2>}" + (r"\cdot\min(1,\ <t>/<T>)" if T > 0 else ""),
                      (lambda lr, bc2, t, T: lr * min(t / T, 1.0) * np.sqrt(bc2)) if T > 0 else
                      (lambda lr, bc2: lr * 1.0 * np.sqrt(bc2)),
                      lr=lr, bc2=1 - b2 ** t, **({"t": t, "T": T} if T > 0 else {}))
        total = ex.eq(r"\textstyle\sum_{i\le t}\gamma_i^2", r"\textstyle\sum_{i<t}\gamma_i^2 + \gamma_t^2",
                      r"<total> + (<gamma>)^2", lambda total, gamma: total + np.square(gamma),
                      total=ex.slots_before["weight_sum"], gamma=gamma, expect=ex.slots_after["weight_sum"])
        c = ex.eq("c_t", r"\gamma_t^2 / \textstyle\sum_{i\le t}\gamma_i^2", r"(<gamma>)^2 / <total>",
                  lambda gamma, total: np.where(total > 0, np.square(gamma) / np.where(total > 0, total, 1.0), 0.0),
                  gamma=gamma, total=total)
        v = ex.eq("v_t", r"\beta_2 v_{t-1} + (1-\beta_2)\, g_t^2", r"<b2>\,<v> + <one_minus_b2>\,<g>^2",
                  lambda b2, v, one_minus_b2, g: b2 * v + one_minus_b2 * np.square(g), b2=b2, v=v0,
                  one_minus_b2=1 - b2, g=g, expect=ex.slots_after["velocity"])
        if opt.weight_decay is not None:
            z = ex.eq("z_t", r"z_{t-1} - \gamma_t\Big(\frac{g_t}{\sqrt{v_t} + \epsilon} + \lambda\, y_{t-1}\Big)",
                      r"<z> - <gamma>\Big(\frac{<g>}{\sqrt{<v>} + <eps>} + <lam>\,<y>\Big)",
                      lambda z, gamma, g, v, eps, lam, y: z - gamma * (g / (np.sqrt(v) + eps) + lam * y),
                      z=z0, gamma=gamma, g=g, v=v, eps=eps, lam=float(opt.weight_decay), y=y,
                      expect=ex.slots_after["momentum"])
        else:
            z = ex.eq("z_t", r"z_{t-1} - \gamma_t\,\frac{g_t}{\sqrt{v_t} + \epsilon}",
                      r"<z> - <gamma>\,\frac{<g>}{\sqrt{<v>} + <eps>}",
                      lambda z, gamma, g, v, eps: z - gamma * (g / (np.sqrt(v) + eps)),
                      z=z0, gamma=gamma, g=g, v=v, eps=eps, expect=ex.slots_after["momentum"])
        x_prev = x0
    x = ex.eq("x_t", r"(1 - c_t)\, x_{t-1} + c_t\, z_t", r"(1 - <c>)\,<x> + <c>\,<z>",
              lambda c, x, z: (1 - c) * x + c * z, c=c, x=x_prev, z=z, expect=ex.slots_after["x"])
    ex.quantities += [("γ_t (step size of z)", r"\gamma_t", float(gamma)), ("averaging weight c_t", "c_t", float(np.ravel(c)[0]))]
    ex.eq("w_t", r"y_t = (1-\beta_1)\, z_t + \beta_1\, x_t", r"<one_minus_b1>\,<z> + <b1>\,<x>",
          lambda one_minus_b1, z, b1, x: one_minus_b1 * z + b1 * x, one_minus_b1=1 - b1, z=z, b1=b1, x=x,
          expect=ex.w_new)


def _momentum_arrow(ex, opt):
    # The pull of the fast sequence z on the evaluated point: from y towards z (direction only).
    return ("z − y: where the base sequence z is, seen from y", np.asarray(ex.slots_after["momentum"] - ex.w_new,
                                                                      dtype=np.float64), False)


TEACHING = Teaching(
    summary="No learning-rate schedule: AdamW-style steps on a sequence z, a running average x of "
            "it, and the gradient taken at y, between the two.",
    why="The point drawn is y = (1 − β₁)z + β₁x: z takes Adam-like steps of size γ_t, and x is the running "
        "average of all the z's (weight 1/t in Keras). Early on x follows z closely; later each new z moves the "
        "average less and less, which does the job of a decaying learning rate without a schedule. y sits "
        "between the two, so the path is smoother than z's and lags behind it.",
    differences=(
        "The variable Keras trains is y = (1 − β₁) z + β₁ x; the average x is what converges, and Keras only "
        "implies it: x = (y − (1 − β₁) z)/β₁, so β₁ must be > 0.",
        "Keras averages with weight 1/t; the paper with γ_t²/Σγ_i², where γ_t includes the warm-up and "
        "√(1 − β₂ᵗ).",
        "Keras adds ε to the bias-corrected √v̂; the paper folds √(1 − β₂ᵗ) into γ_t and adds ε to √v.",
        "Weight decay: Keras decays y by η·wd before the step; the paper adds γ_t·λ·y to the z step.",
        "Kerasy has no Schedule-Free optimizer, and neither has `torch.optim` (the reference code is "
        "facebookresearch/schedule_free).",
    ),
    keras_note="averaging weight 1/t; ε on the corrected √v̂",
    other_defaults={"Kerasy": "— (no Schedule-Free)",
                    "Paper": "lr=0.0025, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, warmup_steps=0 "
                             "(reference code)",
                    "PyTorch 2.13": "— (not in torch.optim)"},
    slots={"momentum": Slot("z", "the base sequence that takes the AdamW-style steps (Keras calls it momentum)"),
           "velocity": Slot("v", "a moving average of g² (β₂)"),
           "x": Slot("x", "the running average of z, the point that converges (y = (1 − β₁)z + β₁x is trained)"),
           "weight_sum": Slot("Σγ²", "the sum of squared step sizes that weights the average (textbook)")},
    explain=_explain,
    momentum_arrow=_momentum_arrow,
    point_slots={"x": "x: the running average of the z's (the point that converges)",
                 "momentum": "z: the base sequence (constant-rate AdamW-style steps)"},
    path_name="y: the trained point, where the gradient is taken",
    sequences_note=(
        "Three sequences: z takes AdamW-style steps with a constant rate (no decay); x is the running average "
        "of the z's, x_t = (1 − c_t) x_{t−1} + c_t z_t, so it moves by c_t·(z_t − x_{t−1}) and c_t shrinks "
        "(Keras: c_t = 1/t; the paper: γ_t²/Σγ_i², about 2/t over the first thousand "
        "steps, while the bias correction √(1 − β₂ᵗ) in γ_t still grows, and towards 1/t after many thousands): the average takes ever "
        "smaller steps on its own, the decay a schedule would otherwise provide. The gradient is taken at "
        "y = (1 − β₁) z + β₁ x, on the segment from z to x, close to x (β₁ = 0.9 by default)."),
)

class ScheduleFreeAdamW(RunAxes, Optimizer):
    name = "ScheduleFreeAdamW"
    aliases = ("schedulefreeadamw", "schedule_free_adamw")
    HYPERPARAMS = {"keras": _params(True, 1e-8), "textbook": _params(False, 1e-8)}
    LATEX = {"keras": _KERAS, "textbook": _TEXTBOOK}
    NOTES = {"textbook": _NOTE}
    per_variable = False  # elementwise: a flat vector of all the weights gives the same numbers
    TEACHING = TEACHING

    def _slot_names(self):
        return ("momentum", "velocity", "x", "weight_sum") if self.flavor == "textbook" else ("momentum", "velocity", "x")

    def _init_slot(self, name, p):
        if name in ("momentum", "x"):
            return np.array(p, dtype=np.float64, copy=True)  # z₀ = x₀ = y₀ = w₀
        if name == "weight_sum":  # Σ γ_i²: one number per run, shaped to broadcast against the variable
            k = run_ndim()
            return np.zeros(np.shape(p)[:k] + (1,) * (np.ndim(p) - k))
        return np.zeros_like(p)  # velocity, and any slot the base class adds

    def _weight_decay_factor(self, lr, step):
        # The paper's decay acts inside the z step (in _rule); the base class's is then a no-op.
        return 0.0 if self.flavor == "textbook" else lr

    def _decay_in_rule(self):
        return self.flavor == "textbook"

    def _warmup(self, t):
        ws = self.hp["warmup_steps"]
        if np.ndim(ws) == 0:
            return min(t / ws, 1.0) if ws > 0 else 1.0
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(ws > 0, np.minimum(t / ws, 1.0), 1.0)

    def _gamma(self, lr, t):
        """The paper's γ_t (warm-up and bias correction folded in)."""
        return lr * self._warmup(t) * np.sqrt(1 - self.hp["beta_2"] ** t)

    def _rule(self, g, y, s, lr, t, glob):
        b1, b2, eps = self.hp["beta_1"], self.hp["beta_2"], self.hp["epsilon"]
        z_old, v = s["momentum"], s["velocity"]
        if self.flavor == "keras":
            lr = lr * self._warmup(t)
            v = v + (np.square(g) - v) * (1 - b2)
            z = z_old - (lr * g) / (np.sqrt(v / (1 - b2 ** t)) + eps)
            weight = 1.0 / t
            x_old = (y - (1 - b1) * z_old) / b1
            x = (1 - weight) * x_old + weight * z
        else:
            gamma = self._gamma(lr, t)
            total = s["weight_sum"] + np.square(gamma)
            with np.errstate(divide="ignore", invalid="ignore"):
                c = np.where(total > 0, np.square(gamma) / np.where(total > 0, total, 1.0), 0.0)
            v = b2 * v + (1 - b2) * np.square(g)
            step = g / (np.sqrt(v) + eps)
            if self.weight_decay is not None:
                step = step + self.weight_decay * y
            z = z_old - gamma * step
            x = (1 - c) * s["x"] + c * z
            s = {**s, "weight_sum": total}
        y = (1 - b1) * z + b1 * x
        return y, {**s, "momentum": z, "velocity": v, "x": x}
