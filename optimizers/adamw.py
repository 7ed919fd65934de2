"""AdamW (spec §3.6): Adam plus decoupled weight decay.

In Keras 3 AdamW is just ``Adam`` with ``weight_decay=0.004``: the base
optimizer applies ``w ← w − w·wd·η`` before the Adam step, on every
optimizer. Loshchilov & Hutter scale the decay by the schedule *multiplier*
η_t, not by the base rate α: ``θ ← θ − η_t(α·step + λθ)``. The textbook
flavour does that, so its λ is a per-step decay (default 4e-6 = Keras's
0.004 × 0.001, the same decay at the default learning rate).
"""
import numpy as np

from .adam import TEXTBOOK_LATEX, TORCH_LATEX, Adam, KERAS_LATEX, adam_params
from .base import HyperParam
from . import schedules as _schedules

_WD = "decoupled weight decay"

_KERAS = KERAS_LATEX.replace(r"\begin{aligned}", r"\begin{aligned}" "\n"
                             r"w_{t-1} &\leftarrow w_{t-1} - \eta\,\lambda\, w_{t-1} &&\text{(" + _WD + r", first)}\\")
_TEXTBOOK = TEXTBOOK_LATEX.replace(r"w_t &= w_{t-1} - \eta\,\frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}\\",
                                   r"w_t &= w_{t-1} - \eta_t\,\frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}"
                                   r" - \frac{\eta_t}{\eta_0}\lambda w_{t-1}\\"
                                   r"&\quad(\eta_t / \eta_0\text{: the schedule multiplier})\\")


def _wd(default, help):
    return HyperParam("weight_decay", default, help, low=0.0, log=True, ui_low=1e-7, ui_high=1.0, symbol=r"\lambda")


class AdamW(Adam):
    name = "AdamW"
    aliases = ("adamw",)
    HYPERPARAMS = {
        "keras": [adam_params(0.001, 1e-7)[0], _wd(0.004, "wd: each step first does w ← w − η·wd·w"),
                  *adam_params(0.001, 1e-7)[1:]],
        "textbook": [adam_params(0.001, 1e-8)[0], _wd(4e-6, "λ: each step first does w ← w − η_t·λ·w"),
                     *adam_params(0.001, 1e-8)[1:]],
        "pytorch": [adam_params(0.001, 1e-8)[0], _wd(0.01, "wd: each step first does w ← w·(1 − η·wd)"),
                    *adam_params(0.001, 1e-8)[1:]],
    }
    LATEX = {"keras": _KERAS, "textbook": _TEXTBOOK,
             "pytorch": TORCH_LATEX.replace(r"\begin{aligned}", r"\begin{aligned}" "\n"
                                            r"w_{t-1} &\leftarrow w_{t-1}\,(1 - \eta\,\lambda) &&\text{(decoupled, first)}\\")}
    NOTES = {"textbook": "Keras decays by η·wd per step (the learning rate times wd); the paper by η_t·λ, where "
                         "η_t is only the schedule multiplier. So wd_keras = λ_paper / α for matching schedules. "
                         "Otherwise as Adam (ε̂ vs ε).",
             "pytorch": "torch.optim.AdamW: the same decoupled decay w·(1 − η·wd) but default wd = 0.01 (Keras "
                        "0.004), then Adam with ε = 1e-8 on the bias-corrected √v̂."}

    def _coupled_weight_decay(self):
        return False  # AdamW's decay is decoupled in every flavour

    def _weight_decay_factor(self, lr, step):
        if self.flavor != "textbook":  # Keras and PyTorch: the current learning rate
            return lr
        # The paper's η_t: the schedule's value relative to its start (1 for a constant rate).
        if isinstance(self.learning_rate, _schedules.LearningRateSchedule):
            lr0 = self.learning_rate(0)
            with np.errstate(all="ignore"):
                return np.where(lr0 > 0, lr / lr0, 0.0)
        return 1.0
