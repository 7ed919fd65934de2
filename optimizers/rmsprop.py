"""RMSprop, with optional momentum and centring (docs/maths.md, "RMSprop").

Keras 3 puts ε inside the root and the learning rate inside the momentum
buffer: ``m ← μ m + η g / √(v + ε)``, ``w ← w − m``; ``centered`` divides by
√(v − ḡ² + ε) instead. Hinton's lecture 6e, where RMSprop comes from, has
none of ε, momentum or centring: ``v ← 0.9 v + 0.1 g²`` and the gradient is
divided by √v. The textbook flavour computes exactly that (a coordinate that
has only seen zero gradients has 0/0, taken as 0: it does not move).
PyTorch puts ε outside the root and η outside the momentum buffer.
"""
import numpy as np

from .base import HyperParam, Optimizer, bool_param, eps_param, lr_param
from .teaching import Slot, Teaching

_RHO = HyperParam("rho", 0.9, "ρ: decay of the squared-gradient average", low=0.0, high=1.0, high_open=True,
                  ui_low=0.0, ui_high=0.999, symbol=r"\rho")
_PARAMS = [
    lr_param(0.001),
    _RHO,
    HyperParam("momentum", 0.0, "μ: momentum on the scaled step", low=0.0, high=1.0,
               ui_low=0.0, ui_high=0.99, symbol=r"\mu"),
    eps_param(1e-7),
    bool_param("centered", False, "divide by the gradient's variance instead of its second moment"),
]

_KERAS = r"""\begin{aligned}
v_t &= \rho\, v_{t-1} + (1-\rho)\, g_t^2\\
\bar g_t &= \rho\, \bar g_{t-1} + (1-\rho)\, g_t &&\text{(centered only)}\\
d_t &= v_t + \epsilon \quad\text{or}\quad v_t - \bar g_t^{\,2} + \epsilon &&\text{(centered)}\\
\Delta_t &= \frac{\eta\, g_t}{\sqrt{d_t}}\\
m_t &= \mu\, m_{t-1} + \Delta_t,\quad w_t = w_{t-1} - m_t &&\text{(}\mu > 0\text{, else } w_t = w_{t-1} - \Delta_t\text{)}
\end{aligned}"""

# Hinton, Srivastava & Swersky, Neural Networks for Machine Learning, lecture 6e.
_TEXTBOOK = r"""\begin{aligned}
v_t &= \rho\, v_{t-1} + (1-\rho)\, g_t^2 &&(\rho = 0.9\text{ in the lecture})\\
w_t &= w_{t-1} - \eta\,\frac{g_t}{\sqrt{v_t}}
\end{aligned}"""

_TORCH_PARAMS = [lr_param(0.01), HyperParam("rho", 0.99, "ρ (PyTorch `alpha`): decay of the squared-gradient "
                                            "average", low=0.0, high=1.0, high_open=True, ui_low=0.0,
                                            ui_high=0.999, symbol=r"\rho"),
                 _PARAMS[2], eps_param(1e-8, "ε: added outside the root"), _PARAMS[4]]

_TORCH = r"""\begin{aligned}
v_t &= \rho\, v_{t-1} + (1-\rho)\, g_t^2,\qquad \bar g_t = \rho\, \bar g_{t-1} + (1-\rho)\, g_t \ \text{(centered)}\\
d_t &= \sqrt{v_t} + \epsilon \quad\text{or}\quad \sqrt{v_t - \bar g_t^{\,2}} + \epsilon\\
b_t &= \mu\, b_{t-1} + g_t / d_t,\quad w_t = w_{t-1} - \eta\, b_t &&\text{(}\mu > 0\text{, else } w_t = w_{t-1} - \eta\, g_t/d_t\text{)}
\end{aligned}"""

_TEXTBOOK_NOTE = (
    "Hinton's lecture 6e keeps MeanSquare ← 0.9·MeanSquare + 0.1·g² and divides the gradient by √MeanSquare: "
    "no ε, no momentum (the lecture only remarks that combining rmsprop with momentum helps less than usual) "
    "and no centring. Keras adds three things. ε, inside the root, keeps the denominator at least √ε, so a "
    "gradient much smaller than √ε takes a step in proportion to its size instead of one of about η/√(1−ρ); "
    "`momentum` accumulates the scaled steps, η included; `centered` (Graves 2013) divides by √(v − ḡ² + ε), "
    "an estimate of the gradient's standard deviation, instead of its RMS. The textbook flavour computes the "
    "lecture's rule, which is Keras's with ε = 0, no momentum and no centring (a coordinate that has only seen "
    "zero gradients does not move: 0/0 is taken as 0).")


def _lecture_step(lr, g, v):
    """η·g/√v, with 0/0 (a coordinate that has only seen zero gradients) taken as 0."""
    top, den = lr * g, np.sqrt(v)
    out = np.zeros(np.broadcast_shapes(np.shape(top), np.shape(den)))
    return np.divide(top, den, out=out, where=den > 0)


def _explain(ex, opt):
    g, w, lr = ex.g_rule, ex.w_rule, ex.learning_rate
    rho = float(opt.hp["rho"])
    v = ex.eq("v_t", r"\rho\, v_{t-1} + (1-\rho)\, g_t^2", r"<rho>\,<v> + <one_minus_rho>\,<g>^2",
              lambda rho, v, one_minus_rho, g: rho * v + one_minus_rho * np.square(g),
              rho=rho, v=ex.slots_before["velocity"], one_minus_rho=1 - rho, g=g, expect=ex.slots_after["velocity"])
    if opt.flavor == "textbook":
        ex.quantities.append(("denominator √v", r"\sqrt{v_t}", np.sqrt(v)))
        ex.eq("w_t", r"w_{t-1} - \eta\,\frac{g_t}{\sqrt{v_t}}", r"<w> - <lr>\,\frac{<g>}{\sqrt{<v>}}",
              lambda w, lr, g, v: w - _lecture_step(lr, g, v), w=w, lr=lr, g=g, v=v, expect=ex.w_new)
        return
    eps = float(opt.hp["epsilon"])
    centered = "average_gradient" in ex.slots_after
    if centered:
        ag = ex.eq(r"\bar g_t", r"\rho\, \bar g_{t-1} + (1-\rho)\, g_t", r"<rho>\,<ag> + <one_minus_rho>\,<g>",
                   lambda rho, ag, one_minus_rho, g: rho * ag + one_minus_rho * g, rho=rho,
                   ag=ex.slots_before["average_gradient"], one_minus_rho=1 - rho, g=g,
                   expect=ex.slots_after["average_gradient"])
    if opt.flavor == "pytorch":
        if centered:
            label, sym = "denominator √(v − ḡ²) + ε", r"\sqrt{v_t - \bar g_t^{2}} + \epsilon"
            num, args = r"\sqrt{<v> - <ag>^2} + <eps>", dict(v=v, ag=ag, eps=eps)
            den = ex.eq("d_t", sym, num, lambda v, ag, eps: np.sqrt(v - np.square(ag)) + eps, **args)
        else:
            label, sym = "denominator √v + ε", r"\sqrt{v_t} + \epsilon"
            den = ex.eq("d_t", sym, r"\sqrt{<v>} + <eps>", lambda v, eps: np.sqrt(v) + eps, v=v, eps=eps)
        ex.quantities.append((label, sym, den))
        if "momentum" in ex.slots_after:
            mu = float(opt.hp["momentum"])
            b = ex.eq("b_t", r"\mu\, b_{t-1} + g_t / d_t", r"<mu>\,<b> + <g> / <d>",
                      lambda mu, b, g, d: mu * b + g / d, mu=mu, b=ex.slots_before["momentum"], g=g, d=den,
                      expect=ex.slots_after["momentum"])
            ex.eq("w_t", r"w_{t-1} - \eta\, b_t", r"<w> - <lr>\,<b>", lambda w, lr, b: w - lr * b,
                  w=w, lr=lr, b=b, expect=ex.w_new)
        else:
            ex.eq("w_t", r"w_{t-1} - \eta\, g_t / d_t", r"<w> - <lr>\,(<g> / <d>)", lambda w, lr, g, d: w - lr * (g / d),
                  w=w, lr=lr, g=g, d=den, expect=ex.w_new)
        return
    # Keras: ε inside the root, η inside the increment (and so inside the momentum buffer).
    if centered:
        label, sym = "denominator √(v − ḡ² + ε)", r"\sqrt{v_t - \bar g_t^{2} + \epsilon}"
        inc = ex.eq(r"\Delta_t", r"\frac{\eta\, g_t}{\sqrt{v_t - \bar g_t^{2} + \epsilon}}",
                    r"\frac{<lr>\,<g>}{\sqrt{<v> - <ag>^2 + <eps>}}",
                    lambda lr, g, v, ag, eps: (lr * g) / np.sqrt((v - np.square(ag)) + eps),
                    lr=lr, g=g, v=v, ag=ag, eps=eps)
        den = np.sqrt((v - np.square(ag)) + eps)
    else:
        label, sym = "denominator √(v + ε)", r"\sqrt{v_t + \epsilon}"
        inc = ex.eq(r"\Delta_t", r"\frac{\eta\, g_t}{\sqrt{v_t + \epsilon}}", r"\frac{<lr>\,<g>}{\sqrt{<v> + <eps>}}",
                    lambda lr, g, v, eps: (lr * g) / np.sqrt(v + eps), lr=lr, g=g, v=v, eps=eps)
        den = np.sqrt(v + eps)
    ex.quantities.append((label, sym, den))
    if "momentum" in ex.slots_after:
        mu = float(opt.hp["momentum"])
        m = ex.eq("m_t", r"\mu\, m_{t-1} + \Delta_t", r"<mu>\,<m> + <inc>", lambda mu, m, inc: mu * m + inc,
                  mu=mu, m=ex.slots_before["momentum"], inc=inc, expect=ex.slots_after["momentum"])
        ex.eq("w_t", r"w_{t-1} - m_t", r"<w> - <m>", lambda w, m: w - m, w=w, m=m, expect=ex.w_new)
    else:
        ex.eq("w_t", r"w_{t-1} - \Delta_t", r"<w> - <inc>", lambda w, inc: w - inc, w=w, inc=inc, expect=ex.w_new)


def _momentum_arrow(ex, opt):
    if "momentum" not in ex.slots_after:
        return None
    sym = "b" if opt.flavor == "pytorch" else "m"
    return (f"−{sym}: momentum", -np.asarray(ex.slots_after["momentum"]), False)


TEACHING = Teaching(
    summary="Like Adagrad, but the squared gradients are averaged with exponential forgetting, "
            "so the steps do not shrink for good.",
    why="v is a moving average of g², so each axis is divided by its own recent gradient size: when gradients are "
        "steady an axis moves ≈ η·g/|g| ≈ ±η whatever the slope. Unlike Adagrad's sum, the average forgets, so "
        "the step size can grow again on flat ground.",
    differences=(
        "Keras puts ε inside the root and η inside the momentum buffer: m ← μm + ηg/√(v + ε), "
        "w ← w − m (as Graves 2013 and TF1 do).",
        "PyTorch puts ε outside the root and η outside the buffer (b ← μb + g/(√v + ε), w ← w − ηb), "
        "and its defaults differ: lr 0.01, α 0.99, ε 1e-8. With ε = 0 and a constant η the two agree.",
        "Hinton's lecture 6e has only MS ← 0.9·MS + 0.1·g² and the gradient divided by √MS: no ε, no "
        "momentum, no centring. Each Keras addition changes the numbers: ε damps the steps of gradients "
        "smaller than about √ε, momentum sums the scaled steps, and `centered` divides by the gradient's "
        "spread √(v − ḡ² + ε) instead of its RMS. The textbook flavour computes the lecture's rule.",
        "Kerasy adds ε outside the root and has no `momentum`, `centered` or `epsilon` arguments.",
    ),
    keras_note="ε inside the root; η inside the momentum buffer",
    other_defaults={"Kerasy": "learning_rate=0.001, rho=0.9, ε=1e-7 outside the root",
                    "Paper": "ρ=0.9 (Hinton's lecture 6e; no ε, no momentum, no learning-rate default)",
                    "PyTorch 2.13": "lr=0.01, alpha=0.99, eps=1e-8 outside the root, η outside momentum"},
    slots={"velocity": Slot("v", "a moving average of g²"),
           "momentum": Slot("m", "the previous step's increment (η/√v included)"),
           "average_gradient": Slot("ḡ", "a moving average of g")},
    flavor_slots={"pytorch": {"momentum": Slot("b", "a buffer of past g/√v (no η)")}},
    explain=_explain,
    momentum_arrow=_momentum_arrow,
)


class RMSprop(Optimizer):
    name = "RMSprop"
    aliases = ("rmsprop",)
    HYPERPARAMS = {"keras": _PARAMS, "textbook": [lr_param(0.001), _RHO], "pytorch": _TORCH_PARAMS}
    LATEX = {"keras": _KERAS, "textbook": _TEXTBOOK, "pytorch": _TORCH}
    NOTES = {"textbook": _TEXTBOOK_NOTE,
             "pytorch": "ε (1e-8) is outside the root and η multiplies the momentum buffer at the end; defaults "
                        "lr = 0.01 and ρ (alpha) = 0.99. Identical to Keras for ε = 0 and a constant η."}
    TEACHING = TEACHING

    def _slot_names(self):
        names = ["velocity"]
        if np.any(np.asarray(self.hp.get("momentum", 0.0)) > 0):
            names.append("momentum")
        if self.hp.get("centered", False):
            names.append("average_gradient")
        return tuple(names)

    def _rule(self, g, w, s, lr, t, glob):
        rho = self.hp["rho"]
        new = dict(s)
        v = rho * s["velocity"] + (1 - rho) * np.square(g)
        new["velocity"] = v
        if self.flavor == "textbook":  # Hinton's lecture: no ε, no momentum, no centring
            return w - _lecture_step(lr, g, v), new
        eps = self.hp["epsilon"]
        if "average_gradient" in s:
            ag = rho * s["average_gradient"] + (1 - rho) * g
            new["average_gradient"] = ag
            ms = v - np.square(ag)  # the gradient's variance estimate
        else:
            ms = v
        if self.flavor == "pytorch":  # ε outside the root, η outside the momentum buffer
            den = np.sqrt(ms) + eps
            if "momentum" in s:
                b = self.hp["momentum"] * s["momentum"] + g / den
                new["momentum"] = b
                return w - lr * b, new
            return w - lr * (g / den), new
        inc = (lr * g) / np.sqrt(ms + eps)  # Keras: ε inside the root, η inside the increment
        if "momentum" in s:
            m = self.hp["momentum"] * s["momentum"] + inc
            new["momentum"] = m
            return w - m, new
        return w - inc, new
