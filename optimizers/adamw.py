"""AdamW: Adam plus decoupled weight decay (docs/maths.md, "AdamW").

In Keras 3 AdamW is just ``Adam`` with ``weight_decay=0.004``: the base
optimizer applies ``w ← w − w·wd·η`` before the Adam step, on every
optimizer, with η the current (scheduled) learning rate.

Loshchilov & Hutter (2019, Alg. 2) write ``θ_t = θ_{t−1} − η_t(α·step + λθ_{t−1})``,
where α is the base rate and η_t a *schedule multiplier*. The textbook flavour
maps a Keras learning rate onto that form as ``α = the schedule's peak``
(:meth:`LearningRateSchedule.peak`; the rate itself when it is constant) and
``η_t = η_k / α``. So the Adam step is α·η_t = η_k, exactly Keras's, and the
decay per step is η_t·λ with η_t ≤ 1: a warmup raises it from its starting
fraction to λ, and cannot switch it off (except at a step where the rate
itself is 0). Its λ is a per-step decay; the default 4e-6 = Keras's 0.004 ×
0.001 gives the same decay at the default learning rate.
"""
import numpy as np

from . import schedules as _schedules
from .adam import (ADAM_SLOTS, KERAS_LATEX, TEXTBOOK_EPS_HELP, TORCH_LATEX, Adam,
                   adam_momentum_arrow, adam_params, explain_adam)
from .base import HyperParam
from .teaching import Teaching

_WD = "decoupled weight decay"

_KERAS = KERAS_LATEX.replace(r"\begin{aligned}", r"\begin{aligned}" "\n"
                             r"w_{t-1} &\leftarrow w_{t-1} - \eta\,\lambda\, w_{t-1} &&\text{(" + _WD + r", first)}\\")

_TEXTBOOK = r"""\begin{aligned}
m_t &= \beta_1 m_{t-1} + (1-\beta_1)\, g_t,\qquad v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2\\
\hat m_t &= \frac{m_t}{1-\beta_1^{\,t}},\qquad \hat v_t = \frac{v_t}{1-\beta_2^{\,t}}\\
\eta_t &= \eta_k / \alpha\qquad(\alpha\text{: the schedule's peak})\\
w_t &= w_{t-1} - \eta_t\Big(\alpha\,\frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon} + \lambda\, w_{t-1}\Big)\\
\text{AMSGrad: } v^{\max}_t &= \max(v^{\max}_{t-1}, v_t),\ \ \frac{m_t}{\sqrt{v^{\max}_t}}\text{ replaces }
\frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}
\end{aligned}"""

_TORCH = TORCH_LATEX.replace(r"\begin{aligned}", r"\begin{aligned}" "\n"
                             r"w_{t-1} &\leftarrow w_{t-1}\,(1 - \eta\,\lambda) &&\text{(decoupled, first)}\\")

_MULTIPLIER = ("η_t = η_k/α, where η_k is the learning rate at step k and α the schedule's peak (the rate itself "
               "when it is constant, the warmup target of a CosineDecay with warmup, the larger end of a "
               "PolynomialDecay, the largest PiecewiseConstantDecay value; a schedule that grows without bound "
               "uses its first value)")


def _wd(default, help):
    return HyperParam("weight_decay", default, help, low=0.0, log=True, ui_low=1e-7, ui_high=1.0, symbol=r"\lambda")


def _explain(ex, opt):
    # The paper's step size is α·η_t, which is the learning rate η_k of the step (see the module docstring).
    explain_adam(ex, opt, rate=r"\alpha\,\eta_t" if opt.flavor == "textbook" else r"\eta")


TEACHING = Teaching(
    summary="Adam plus decoupled weight decay: the weights shrink by a fraction each step, "
            "separately from the gradient step.",
    why="Adam's rule (at t = 1, m̂/√v̂ = ±1 so each axis moves ≈ η whatever the gradient), plus decoupled "
        "weight decay: before each step the weights also shrink by a fraction of themselves (η·λ in Keras and "
        "PyTorch, η_t·λ in the paper), pulling the path towards the origin.",
    differences=(
        "In Keras, AdamW is only Adam with `weight_decay` defaulting to 0.004; the decay itself is the "
        "base-class rule w ← w·(1 − η·wd), applied before the Adam step, on every optimizer.",
        "Keras and PyTorch decay by lr·wd per step, so the decay follows the schedule. The paper writes "
        "θ ← θ − η_t(α·Adam step + λθ) with a base rate α and a schedule multiplier η_t; the textbook flavour "
        "takes " + _MULTIPLIER + ". Then η_t ≤ 1, a warmup cannot switch the decay off, and "
        "wd_keras = λ_paper / α.",
        "PyTorch's default `weight_decay` is 0.01 (Keras 0.004), and it adds ε outside the root as "
        "the paper does.",
        "Otherwise as Adam (ε̂ vs ε).",
    ),
    keras_note="decay = learning rate × wd, before the Adam step",
    other_defaults={"Kerasy": "— (no AdamW)",
                    "Paper": "decay λ × schedule multiplier η_t (not × the base rate α)",
                    "PyTorch 2.13": "lr=1e-3, weight_decay=0.01 (× lr), eps=1e-8"},
    slots=ADAM_SLOTS,
    explain=_explain,
    momentum_arrow=adam_momentum_arrow,
)


class AdamW(Adam):
    name = "AdamW"
    aliases = ("adamw",)
    HYPERPARAMS = {
        "keras": [adam_params(0.001, 1e-7)[0], _wd(0.004, "wd: each step first does w ← w − η·wd·w"),
                  *adam_params(0.001, 1e-7)[1:]],
        "textbook": [adam_params(0.001, 1e-8)[0],
                     _wd(4e-6, "λ: each step first does w ← w − η_t·λ·w (η_t: the schedule multiplier, ≤ 1)"),
                     *adam_params(0.001, 1e-8, TEXTBOOK_EPS_HELP)[1:]],
        "pytorch": [adam_params(0.001, 1e-8)[0], _wd(0.01, "wd: each step first does w ← w·(1 − η·wd)"),
                    *adam_params(0.001, 1e-8)[1:]],
    }
    LATEX = {"keras": _KERAS, "textbook": _TEXTBOOK, "pytorch": _TORCH}
    NOTES = {"textbook": "Keras decays by η·wd per step (the learning rate times wd). Loshchilov & Hutter decay by "
                         "η_t·λ, with " + _MULTIPLIER + ". The Adam step α·η_t is then Keras's η_k, the "
                         "multiplier never exceeds 1, and a warmup cannot switch the decay off. So "
                         "wd_keras = λ_paper / α. Otherwise as Adam (ε̂ vs ε).",
             "pytorch": "torch.optim.AdamW: the same decoupled decay w·(1 − η·wd) but default wd = 0.01 (Keras "
                        "0.004), then Adam with ε = 1e-8 on the bias-corrected √v̂."}
    TEACHING = TEACHING

    def __init__(self, flavor="keras", **kwargs):
        super().__init__(flavor=flavor, **kwargs)
        lr = self.learning_rate
        if (flavor == "textbook" and callable(lr) and not isinstance(lr, _schedules.LearningRateSchedule)
                and not isinstance(lr, np.ndarray)):
            raise ValueError("AdamW (textbook): the schedule multiplier η_t = η_k / α needs a constant learning "
                             "rate or a LearningRateSchedule (whose peak is α); a plain callable has no known peak.")

    def _coupled_weight_decay(self):
        return False  # AdamW's decay is decoupled in every flavour

    def decay_multiplier(self, step):
        """The paper's η_t at raw step ``step`` and the α it is measured against (None for a constant rate)."""
        if isinstance(self.learning_rate, _schedules.LearningRateSchedule):
            peak = float(self.learning_rate.peak())
            if peak <= 0:  # the schedule is 0 throughout: nothing to measure against
                return 1.0, None
            return float(np.asarray(self.learning_rate(step))) / peak, peak
        return 1.0, None

    def _weight_decay_factor(self, lr, step):
        if self.flavor != "textbook":  # Keras and PyTorch: the current learning rate
            return lr
        if isinstance(self.learning_rate, _schedules.LearningRateSchedule):
            peak = self.learning_rate.peak()
            return lr / peak if peak > 0 else 1.0
        return 1.0
