"""Muon: momentum orthogonalised by Newton–Schulz (Jordan et al. 2024; Liu et al. 2025).

For a weight *matrix* Muon keeps SGD momentum ``m ← μm + g`` and replaces
the step by (approximately) the nearest semi-orthogonal matrix: with the
SVD ``m = U S Vᵀ`` it steps along ``U Vᵀ``, every singular value set to
about 1. Five iterations of the quintic Newton–Schulz map

    X ← a X + (b A + c A²) X,   A = X Xᵀ,   X₀ = m / (‖m‖_F + 10⁻⁷)

(a, b, c = 3.4445, −4.7750, 2.0315) push the singular values of X₀ (all
≤ 1 after the Frobenius normalisation) towards 1 (into roughly 0.5–1.5,
as Jordan et al. describe) without an SVD.
For a 1 × n row vector the result is simply the normalised momentum.

Keras 3 (``muon_*``, ``ns_steps``, ``nesterov``) follows Liu et al.
("Muon is scalable"): the step is scaled by ``rms_rate·√max(n, m)`` so its
RMS matches AdamW's (0.2 by default), and weight decay w ← w − η·wd·w
comes first. Every variable that is not 2-D (biases, and the 2-vectors of
the landscapes) takes Keras's Adam step instead, with its own
``adam_beta_1/2``, ``epsilon``, η·``adam_lr_ratio`` and decay
``adam_weight_decay`` (still scaled by η, not by η·ratio). Keras also sends
variables whose path contains "embedding" or matches ``exclude_layers`` to
AdamW; the engine's variables have no names, so only the shape decides.
Over the last two axes when runs are stacked in front.

``as_matrix`` is an app option, not an argument of Keras or torch: a 1-D
variable (a landscape's point) is then reshaped to a 1 × n row and takes the
matrix step. For a row, A = X Xᵀ is the 1 × 1 matrix s² (s = ‖X‖), so each
iteration only rescales X: s ← s(a + b s² + c s⁴), the direction stays
m̃/‖m̃‖. With Keras's coefficients and 5 steps, s goes 1 → 0.701 → 1.114 →
0.721 → 1.090 → 0.696 (from s₀ = ‖m̃‖/(‖m̃‖ + 10⁻⁷) ≈ 1), so the step is
η·rms_rate·√n·0.6964·m̃/‖m̃‖ whatever the gradient's size (for ‖m̃‖ ≫ 10⁻⁷).
"""
import numpy as np

from ._layout import RunAxes, mT, placeholder, torch_lerp as _lerp, var_ndim
from .teaching import Slot, Teaching
from .base import HyperParam, Optimizer, bool_param, lr_param

_NS = [
    HyperParam("muon_a", 3.4445, "a: linear coefficient of the Newton–Schulz map", ui_low=1.0, ui_high=5.0,
               symbol="a"),
    HyperParam("muon_b", -4.7750, "b: coefficient of A = X Xᵀ", ui_low=-6.0, ui_high=0.0, symbol="b"),
    HyperParam("muon_c", 2.0315, "c: coefficient of A²", ui_low=0.0, ui_high=3.0, symbol="c"),
]


def _ns_steps(high):
    return HyperParam("ns_steps", 5, "number of Newton–Schulz iterations (an integer)", low=0.0, high=high,
                      ui_low=0.0, ui_high=10.0, symbol="k")


_MOMENTUM = HyperParam("momentum", 0.95, "μ: momentum of the matrix step", low=0.0, high=1.0, ui_low=0.0,
                       ui_high=0.99, symbol=r"\mu")


def _beta(name, default, help, symbol):
    return HyperParam(name, default, help, low=0.0, high=1.0, high_open=True, ui_low=0.0, ui_high=0.9999,
                      symbol=symbol)


def _nonneg(name, default, help, symbol, log=True, ui_low=1e-5, ui_high=1.0):
    return HyperParam(name, default, help, low=0.0, log=log, ui_low=ui_low, ui_high=ui_high, symbol=symbol)


def _adam_params(b2, eps, wd, ratio):
    return [
        _beta("adam_beta_1", 0.9, "β₁ of the Adam step (variables that are not 2-D)", r"\beta_1"),
        _beta("adam_beta_2", b2, "β₂ of the Adam step (variables that are not 2-D)", r"\beta_2"),
        _nonneg("adam_weight_decay", wd, "decoupled weight decay of the Adam-step variables", r"\lambda_A"),
        _nonneg("epsilon", eps, "ε of the Adam step (variables that are not 2-D)", r"\epsilon",
                ui_low=1e-12),
        _nonneg("adam_lr_ratio", ratio, "the Adam step uses η·adam_lr_ratio", r"r_A", ui_low=1e-3,
                ui_high=10.0),
    ]


_WD_KERAS = HyperParam("weight_decay", 0.004, "decoupled decay of the matrices: w ← w − η·wd·w first",
                       low=0.0, log=True, ui_low=1e-5, ui_high=1.0, symbol=r"\lambda")
_WD_TORCH = HyperParam("weight_decay", 0.1, "decoupled decay: w ← w(1 − η·wd) first", low=0.0, log=True,
                       ui_low=1e-5, ui_high=1.0, symbol=r"\lambda")

_A = {p.name: p for p in _adam_params(0.999, 1e-7, 0.004, 1.0)}
_KERAS_PARAMS = [lr_param(0.001), _A["adam_beta_1"], _A["adam_beta_2"], _A["adam_weight_decay"], _A["epsilon"],
                 _WD_KERAS, *_NS, _A["adam_lr_ratio"], _MOMENTUM, _ns_steps(100.0),
                 bool_param("nesterov", True, "Nesterov: orthogonalise g + μm instead of m"),
                 _nonneg("rms_rate", 0.2, "scale the matrix step by rms_rate·√max(n, m) (None: off)", "s",
                         log=False, ui_low=0.0, ui_high=1.0)]

_TEXTBOOK_PARAMS = [lr_param(0.02), _MOMENTUM,
                    bool_param("nesterov", False, "Nesterov: orthogonalise g + μB instead of B"),
                    _ns_steps(100.0), *_NS, *_adam_params(0.95, 1e-10, 0.0, 0.015)]

_TORCH_PARAMS = [lr_param(0.001), _WD_TORCH, _MOMENTUM,
                 bool_param("nesterov", True, "Nesterov: orthogonalise lerp(g, buf, μ) instead of buf"),
                 *_NS, _nonneg("epsilon", 1e-7, "ε: the matrix is divided by max(‖B‖_F, ε)", r"\epsilon",
                               ui_low=1e-12),
                 _ns_steps(99.0),
                 bool_param("match_rms_adamw", False,
                            "adjust_lr_fn='match_rms_adamw': scale by 0.2·√max(n, m) (else √max(1, n/m))")]

_NS_LATEX = (r"O_t &= \mathrm{NS}^{(a,b,c)}_k(\tilde m_t):\ X \leftarrow \frac{\tilde m_t}{\lVert \tilde m_t\rVert_F + 10^{-7}},"
             r"\ \ X \leftarrow aX + (bA + cA^2)X,\ A = XX^\top\ (k\text{ times})")

_KERAS = r"""\begin{aligned}
&\textbf{2-D variables (}n\times m\textbf{):}\\
w_{t-1} &\leftarrow w_{t-1} - \eta\,\lambda\, w_{t-1}\\
m_t &= \mu\, m_{t-1} + g_t,\qquad \tilde m_t = g_t + \mu\, m_t\ \ (\text{Nesterov; else } \tilde m_t = m_t)\\
""" + _NS_LATEX + r"""\\
w_t &= w_{t-1} - \eta\, O_t\cdot s\sqrt{\max(n, m)}\qquad (s = \text{rms\_rate};\ \text{None: factor } 1)\\[4pt]
&\textbf{other variables (Keras's Adam step):}\\
w_{t-1} &\leftarrow w_{t-1} - \eta\,\lambda_A\, w_{t-1},\qquad \eta_A = \eta\, r_A\\
m_t &= m_{t-1} + (1-\beta_1)(g_t - m_{t-1}),\qquad v_t = v_{t-1} + (1-\beta_2)(g_t^2 - v_{t-1})\\
w_t &= w_{t-1} - \eta_A\,\frac{\sqrt{1-\beta_2^{\,t}}}{1-\beta_1^{\,t}}\;\frac{m_t}{\sqrt{v_t} + \epsilon}
\end{aligned}"""

_TEXTBOOK = r"""\begin{aligned}
&\textbf{2-D variables:}\\
B_t &= \mu\, B_{t-1} + G_t,\qquad \tilde B_t = G_t + \mu B_t\ \ (\text{Nesterov; else } \tilde B_t = B_t)\\
O_t &= \mathrm{NewtonSchulz5}(\tilde B_t)\\
W_t &= W_{t-1} - \eta\, O_t\\[4pt]
&\textbf{other variables (auxiliary Adam):}\\
m_t &= \beta_1 m_{t-1} + (1-\beta_1)\, g_t,\qquad v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2\\
w_t &= w_{t-1}(1 - \eta_A\lambda_A) - \eta_A\,\frac{m_t/(1-\beta_1^{\,t})}{\sqrt{v_t/(1-\beta_2^{\,t})} + \epsilon},
\qquad \eta_A = \eta\, r_A
\end{aligned}"""

_TORCH = r"""\begin{aligned}
b_t &= \operatorname{lerp}(b_{t-1}, g_t, 1-\mu) = \mu\, b_{t-1} + (1-\mu)\, g_t\\
\tilde b_t &= \operatorname{lerp}(g_t, b_t, \mu)\ \ (\text{Nesterov; else } \tilde b_t = b_t)\\
O_t &= \mathrm{NS}^{(a,b,c)}_k(\tilde b_t):\ X \leftarrow \frac{\tilde b_t}{\max(\lVert \tilde b_t\rVert_F,\ \epsilon)},\
X \leftarrow aX + (bA + cA^2)X\\
w_t &= w_{t-1}(1 - \eta\lambda) - \eta\,\kappa\, O_t,\qquad
\kappa = \sqrt{\max(1, n/m)}\ \ (\text{or } 0.2\sqrt{\max(n, m)}\text{: match\_rms\_adamw})
\end{aligned}"""

_TEXTBOOK_NOTE = (
    "The original Muon (Jordan et al. 2024; the pseudocode restated as Algorithm 1 of Liu et al. 2025): "
    "B ← μB + G, O = NewtonSchulz5(B), W ← W − ηO, with the same Newton–Schulz map and coefficients, η = 0.02, "
    "μ = 0.95. Keras differs in four places: (1) Nesterov is on by default (the pseudocode has plain momentum; "
    "Jordan's code uses Nesterov); (2) Keras scales the step by rms_rate·√max(n, m) = 0.2·√max(n, m), Liu et al.'s "
    "RMS matching (the pseudocode has no factor; Jordan's code scales by √max(1, n/m), as torch does by default); (3) its default η is 0.001 with weight decay 0.004 (Liu et al.'s "
    "W ← W − η(0.2·O·√max(n, m) + λW)); (4) for variables that are not matrices Keras uses its own Adam step "
    "(ε̂ on the uncorrected √v, β₂ = 0.999, ε = 1e-7, ratio 1); Jordan's MuonWithAuxAdam uses textbook Adam "
    "with β = (0.9, 0.95), ε = 1e-10, η_A = 3e-4 (ratio 0.015 of 0.02) and decays by its own η_A.")
_TORCH_NOTE = (
    "torch.optim.Muon (2-D parameters only): an EMA buffer b ← μb + (1−μ)g (Keras: m ← μm + g, 1/(1−μ) times "
    "larger, which the normalisation undoes except near ε), the matrix divided by max(‖·‖_F, ε) instead of "
    "‖·‖_F + 1e-7, lr = 1e-3, weight_decay = 0.1 applied as w(1 − η·wd), and the step scaled by √max(1, n/m) "
    "(adjust_lr_fn='original', Jordan's) or 0.2·√max(n, m) ('match_rms_adamw', Keras's rms_rate = 0.2). "
    "torch runs the Newton–Schulz iteration in bfloat16; the engine keeps float64.")

_NULLABLE = ("weight_decay", "adam_weight_decay", "rms_rate")

AS_MATRIX = bool_param(
    "as_matrix", False,
    "app option (not an argument of Keras or torch): treat the point (a 1-D variable) as a 1×n matrix and take "
    "the Newton–Schulz step, which for a row is the normalised momentum times a fixed factor (0.6964 with the "
    "default a, b, c and 5 steps); off: the flavour's own rule for variables that are not matrices")


def _matrix_shape(w) -> tuple[int, int]:
    """(n, m) of a matrix variable (its last two axes), or (1, n) of a 1-D variable treated as a row."""
    shape = np.shape(w)
    return tuple(shape[-2:]) if var_ndim(w) >= 2 else (1, shape[-1])


def _orthogonalise(x, shape, *args, **kw):
    """Newton–Schulz of x over its last two axes, or of the 1 × n row a 1-D variable (as_matrix) is reshaped to."""
    if tuple(np.shape(x)[-2:]) == shape:
        return _newton_schulz(x, *args, **kw)
    lead = np.shape(x)[:-1]
    return np.reshape(_newton_schulz(np.reshape(x, lead + shape), *args, **kw), np.shape(x))



def _explain(ex, opt):
    if np.ndim(ex.w) == 2 or (opt.hp.get("as_matrix") and np.ndim(ex.w) == 1):
        _explain_matrix(ex, opt)
    else:
        _explain_adam(ex, opt)


def _explain_matrix(ex, opt):
    g, w, lr = ex.g_rule, ex.w_rule, ex.learning_rate
    mu, nesterov, k = float(opt.hp["momentum"]), bool(opt.hp["nesterov"]), opt._steps
    a, b, c = float(opt.hp["muon_a"]), float(opt.hp["muon_b"]), float(opt.hp["muon_c"])
    n_rows, n_cols = shape = (tuple(np.shape(w)) if np.ndim(w) == 2 else (1, np.shape(w)[-1]))
    m0 = ex.slots_before["momentum"]
    torch = opt.flavor == "pytorch"
    if not torch and opt.weight_decay is not None:
        w = ex.eq("w_{t-1}", r"w_{t-1} - \eta\,\lambda\, w_{t-1}", r"<w> - <lr>\cdot <lam>\,<w>",
                  lambda w, lr, lam: w - w * lam * lr, op=r"\leftarrow", w=w, lr=lr, lam=float(opt.weight_decay))
    if torch:
        m = ex.eq("b_t", r"b_{t-1} + (1-\mu)(g_t - b_{t-1})", r"<b> + <one_minus_mu>\,(<g> - <b>)",
                  lambda b, one_minus_mu, g: _lerp(b, g, one_minus_mu), b=m0, one_minus_mu=1 - mu, g=g,
                  expect=ex.slots_after["momentum"])
        if nesterov:
            tilde = ex.eq(r"\tilde b_t", r"g_t + \mu\,(b_t - g_t)", r"<g> + <mu>\,(<b> - <g>)",
                          lambda g, mu, b: _lerp(g, b, mu), g=g, mu=mu, b=m)
        sym = r"\tilde b_t" if nesterov else "b_t"
    else:
        rule = r"\mu\, m_{t-1} + g_t"
        if opt.flavor == "keras":
            m = ex.eq("m_t", rule, r"<mu>\,<m> + <g>", lambda mu, m, g: m + (g + m * (mu - 1)), mu=mu, m=m0, g=g,
                      expect=ex.slots_after["momentum"])
        else:
            m = ex.eq("B_t", rule.replace("m_", "B_").replace("g_t", "G_t"), r"<mu>\,<m> + <g>",
                      lambda mu, m, g: mu * m + g, mu=mu, m=m0, g=g, expect=ex.slots_after["momentum"])
        if nesterov:
            tilde = ex.eq(r"\tilde m_t", r"g_t + \mu\, m_t", r"<g> + <mu>\,<m>", lambda g, mu, m: g + mu * m,
                          g=g, mu=mu, m=m)
        sym = r"\tilde m_t" if nesterov else ("m_t" if opt.flavor == "keras" else "B_t")
    x = tilde if nesterov else m
    eps = float(opt.hp["epsilon"]) if torch else 1e-7
    norm = ex.eq(rf"\lVert {sym}\rVert_F", rf"\sqrt{{\textstyle\sum {sym}^2}}", r"\sqrt{\textstyle\sum <x>^2}",
                 lambda x: np.sqrt(np.sum(np.square(x))), x=x)
    ex.quantities.append(("Frobenius norm of the momentum", r"\lVert\cdot\rVert_F", float(norm)))
    o = ex.eq("O_t", rf"\mathrm{{NS}}^{{(a,b,c)}}_{{k}}({sym})",
              r"\mathrm{NS}^{(<a>,\,<b>,\,<c>)}_{<k>}(<x>)",
              lambda a, b, c, k, x: np.reshape(_newton_schulz(np.reshape(x, shape), a, b, c, int(k), eps,
                                                               clamp=torch), np.shape(x)),
              a=a, b=b, c=c, k=k, x=x)
    if torch:
        scale = 0.2 * np.sqrt(max(n_rows, n_cols)) if opt.hp["match_rms_adamw"] else np.sqrt(max(1, n_rows / n_cols))
        rule_k = r"0.2\sqrt{\max(n,m)}" if opt.hp["match_rms_adamw"] else r"\sqrt{\max(1, n/m)}"
        ex.eq("w_t", rf"w_{{t-1}}(1 - \eta\lambda) - \eta\,\kappa\,O_t,\ \ \kappa = {rule_k}",
              r"<w>\,(1 - <lr>\cdot<lam>) - <lr>\cdot<kappa>\,<o>",
              lambda w, lr, lam, kappa, o: w * (1 - lr * lam) + (-(lr * kappa)) * o,
              w=w, lr=lr, lam=float(opt.weight_decay), kappa=float(scale), o=o, expect=ex.w_new)
    elif opt.flavor == "keras" and opt.hp["rms_rate"] is not None:
        ex.eq("w_t", r"w_{t-1} - \eta\, O_t\, \sqrt{\max(n, m)}\; s", r"<w> - <lr>\,<o>\,\sqrt{<nm>}\cdot<s>",
              lambda w, lr, o, nm, s: w - lr * o * np.sqrt(nm) * s, w=w, lr=lr, o=o, nm=float(max(n_rows, n_cols)),
              s=float(opt.hp["rms_rate"]), expect=ex.w_new)
    else:
        ex.eq("w_t", r"w_{t-1} - \eta\, O_t", r"<w> - <lr>\,<o>", lambda w, lr, o: w - lr * o,
              w=w, lr=lr, o=o, expect=ex.w_new)


def _explain_adam(ex, opt):
    g, w, lr, t = ex.g_rule, ex.w_rule, ex.learning_rate, ex.t
    b1, b2, eps = float(opt.hp["adam_beta_1"]), float(opt.hp["adam_beta_2"]), float(opt.hp["epsilon"])
    ratio, wd = float(opt.hp["adam_lr_ratio"]), opt.hp["adam_weight_decay"]
    m0, v0 = ex.slots_before["momentum"], ex.slots_before["velocity"]
    lr_a = ex.eq(r"\eta_A", r"\eta\, r_A", r"<lr>\cdot<ratio>", lambda lr, ratio: lr * ratio, lr=lr, ratio=ratio)
    if opt.flavor == "keras":
        if wd is not None:
            w = ex.eq("w_{t-1}", r"w_{t-1} - \eta\,\lambda_A\, w_{t-1}", r"<w> - <lr>\cdot <lam>\,<w>",
                      lambda w, lr, lam: w - w * lam * lr, op=r"\leftarrow", w=w, lr=lr, lam=float(wd))
        m = ex.eq("m_t", r"m_{t-1} + (1-\beta_1)(g_t - m_{t-1})", r"<m> + <one_minus_b1>\,(<g> - <m>)",
                  lambda m, one_minus_b1, g: m + (g - m) * one_minus_b1, m=m0, one_minus_b1=1 - b1, g=g,
                  expect=ex.slots_after["momentum"])
        v = ex.eq("v_t", r"v_{t-1} + (1-\beta_2)(g_t^2 - v_{t-1})", r"<v> + <one_minus_b2>\,(<g>^2 - <v>)",
                  lambda v, one_minus_b2, g: v + (np.square(g) - v) * one_minus_b2, v=v0, one_minus_b2=1 - b2, g=g,
                  expect=ex.slots_after["velocity"])
        alpha = ex.eq(r"\alpha_t", r"\eta_A\,\frac{\sqrt{1-\beta_2^{\,t}}}{1-\beta_1^{\,t}}",
                      r"<lr_a>\,\frac{\sqrt{<bc2>}}{<bc1>}", lambda lr_a, bc2, bc1: lr_a * np.sqrt(bc2) / bc1,
                      lr_a=lr_a, bc2=1 - b2 ** t, bc1=1 - b1 ** t)
        ex.quantities.append(("α_t", r"\alpha_t", float(alpha)))
        ex.eq("w_t", r"w_{t-1} - \alpha_t\,\frac{m_t}{\sqrt{v_t} + \hat\epsilon}",
              r"<w> - <alpha>\,\frac{<m>}{\sqrt{<v>} + <eps>}",
              lambda w, alpha, m, v, eps: w - (m * alpha) / (np.sqrt(v) + eps),
              w=w, alpha=alpha, m=m, v=v, eps=eps, expect=ex.w_new)
        return
    m = ex.eq("m_t", r"\beta_1 m_{t-1} + (1-\beta_1)\, g_t", r"<b1>\,<m> + <one_minus_b1>\,<g>",
              lambda b1, m, one_minus_b1, g: b1 * m + one_minus_b1 * g, b1=b1, m=m0, one_minus_b1=1 - b1, g=g,
              expect=ex.slots_after["momentum"])
    v = ex.eq("v_t", r"\beta_2 v_{t-1} + (1-\beta_2)\, g_t^2", r"<b2>\,<v> + <one_minus_b2>\,<g>^2",
              lambda b2, v, one_minus_b2, g: b2 * v + one_minus_b2 * np.square(g), b2=b2, v=v0,
              one_minus_b2=1 - b2, g=g, expect=ex.slots_after["velocity"])
    d = ex.eq(r"d_t", r"\frac{m_t/(1-\beta_1^{\,t})}{\sqrt{v_t/(1-\beta_2^{\,t})} + \epsilon}",
              r"\frac{<m>/<bc1>}{\sqrt{<v>/<bc2>} + <eps>}",
              lambda m, bc1, v, bc2, eps: (m / bc1) / (np.sqrt(v / bc2) + eps),
              m=m, bc1=1 - b1 ** t, v=v, bc2=1 - b2 ** t, eps=eps)
    ex.eq("w_t", r"w_{t-1}\,(1 - \eta_A\lambda_A) - \eta_A\, d_t", r"<w>\,(1 - <lr_a>\cdot<lam>) - <lr_a>\,<d>",
          lambda w, lr_a, lam, d: w * (1 - lr_a * lam) - lr_a * d, w=w, lr_a=lr_a, lam=float(wd), d=d,
          expect=ex.w_new)


def _momentum_arrow(ex, opt):
    return ("−m: momentum", -np.asarray(ex.slots_after["momentum"], dtype=np.float64), False)


def row_factor(a=3.4445, b=-4.7750, c=2.0315, steps=5, s0=1.0) -> float:
    """The length of Newton–Schulz's output for a 1 × n row whose normalised input has length ``s0``.

    For a row X, A = X Xᵀ is the 1 × 1 matrix ‖X‖², so each iteration multiplies X by a + b‖X‖² + c‖X‖⁴:
    the direction never changes and the length follows s ← s(a + b s² + c s⁴). The engine normalises by
    ‖m̃‖ + 10⁻⁷, so s₀ = ‖m̃‖/(‖m̃‖ + 10⁻⁷), which is 1 to 7 digits once ‖m̃‖ ≥ 1."""
    s = float(s0)
    for _ in range(int(steps)):
        s = s * (a + b * s * s + c * s ** 4)
    return s


def step_scale(flavor: str, hp) -> float:
    """The factor κ the orthogonalised direction of a 1 × 2 row (the point with ``as_matrix``) is scaled by
    before η: rms_rate·√2 (Keras; 1 if None), 1 (textbook), √max(1, 1/2) = 1 or 0.2·√2 (PyTorch)."""
    if flavor == "keras":
        rate = hp.get("rms_rate", 0.2)  # in the optimizer's hp, None means off
        return 1.0 if rate is None else float(rate) * np.sqrt(2.0)
    if flavor == "pytorch" and hp.get("match_rms_adamw"):
        return 0.2 * np.sqrt(2.0)
    return 1.0


def point_note(flavor: str, hp) -> str:
    """One sentence on the two ways Muon moves a landscape's point (shown where Muon is edited)."""
    k = int(hp.get("ns_steps", 5))
    f = row_factor(float(hp.get("muon_a", 3.4445)), float(hp.get("muon_b", -4.7750)), float(hp.get("muon_c", 2.0315)),
                   k)
    own = ("torch's Muon refuses it (matrices only)" if flavor == "pytorch" else
           "Keras's Muon moves it with its Adam step (η·adam_lr_ratio, β₁, β₂, ε: at t = 1 each coordinate moves by "
           "about η·adam_lr_ratio whatever the gradient's size)" if flavor == "keras" else
           "the paper's Muon moves it with its auxiliary Adam step (η·adam_lr_ratio)")
    return (f"The point is a 2-vector, not a matrix, so {own}; treated as a 1×2 matrix it takes the Newton–Schulz "
            f"step, which for a row keeps the direction of the momentum and only rescales it, to length "
            f"{f:.4g} after {k} iteration{'s' if k != 1 else ''} of these coefficients, so the point moves by "
            f"η·{step_scale(flavor, hp) * f:.4g} along the normalised momentum (plus any weight decay) whatever the "
            f"gradient's size.")


def _why_variants(flavor, hp):
    if hp.get("as_matrix"):
        return point_note(flavor, hp)
    if flavor == "pytorch":
        return ("torch's Muon takes matrices only: each step is the momentum buffer orthogonalised by "
                "Newton–Schulz (every singular value pushed towards 1), so the step's size does not depend on "
                "the gradient's size, only its direction pattern does.")
    return None


TEACHING = Teaching(
    summary="For weight matrices: momentum orthogonalised by a Newton–Schulz iteration (every singular value of "
            "the step near 1). Every other variable, a landscape's 2-vector included, takes Keras's Adam step.",
    why="A landscape's point is a 2-vector, not a matrix, so Keras's Muon moves it with its Adam step (η·"
        "adam_lr_ratio, β₁, β₂, ε): at t = 1 each axis moves by ≈ η_A whatever the gradient's size. On a weight "
        "matrix the step is the momentum orthogonalised by Newton–Schulz: every singular value near 1, so all "
        "directions of the matrix move by about the same amount.",
    differences=(
        "Keras follows Liu et al. (2025): the matrix step is scaled by `rms_rate`·√max(n, m) = 0.2·√max(n, m), "
        "and weight decay 0.004 comes first. Jordan et al.'s pseudocode has no scaling (their code: "
        "√max(1, n/m)), no decay, η = 0.02.",
        "Keras's momentum is m ← μm + g, orthogonalised as g + μm (Nesterov, the default); PyTorch keeps an EMA "
        "b ← μb + (1 − μ)g, 1/(1 − μ) times smaller, which the Frobenius normalisation undoes (except near ε).",
        "Every variable that is not 2-D takes Keras's Adam step (ε̂ on the uncorrected √v) with η·"
        "`adam_lr_ratio` and `adam_weight_decay` (scaled by η, not η·ratio); on the 2-D landscapes that is the "
        "point itself. The app option `as_matrix` (not a Keras argument) treats the point as a 1×2 matrix: the "
        "Newton–Schulz step then keeps the momentum's direction and only rescales it (to length 0.6964 with the "
        "default coefficients and 5 steps).",
        "Keras on JAX takes the Frobenius norm in float32; the engine in float64.",
        "PyTorch's `Muon` (lr 1e-3, weight_decay 0.1, √max(1, n/m) or 0.2·√max(n, m)) accepts matrices only and "
        "runs Newton–Schulz in bfloat16. Kerasy has no Muon.",
    ),
    keras_note="step × 0.2·√max(n, m); Adam step for non-matrices",
    other_defaults={"Kerasy": "— (no Muon)",
                    "Paper": "Jordan et al. (code): lr=0.02, momentum=0.95, Nesterov, 5 steps of (3.4445, −4.7750, "
                             "2.0315); Liu et al.: step × 0.2·√max(n, m), decay λ",
                    "PyTorch 2.13": "lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True, ns_steps=5, eps=1e-7, "
                                    "adjust_lr_fn=None (√max(1, n/m)); matrices only"},
    slots={"momentum": Slot("m", "matrices: the momentum that is orthogonalised; other variables: Adam's moving "
                                 "average of the gradient"),
           "velocity": Slot("v", "Adam's moving average of g² (only variables that are not 2-D)")},
    flavor_slots={"textbook": {"momentum": Slot("B", "matrices: the momentum buffer B that is orthogonalised; "
                                                     "other variables: the auxiliary Adam's m")},
                  "pytorch": {"momentum": Slot("b", "the momentum buffer, an EMA of the gradient "
                                                    "(no η, 1 − μ on g)")}},
    explain=_explain,
    why_variants=_why_variants,
    momentum_arrow=_momentum_arrow,
    option_note=point_note,
)

class Muon(RunAxes, Optimizer):
    name = "Muon"
    aliases = ("muon",)
    HYPERPARAMS = {"keras": _KERAS_PARAMS, "textbook": _TEXTBOOK_PARAMS, "pytorch": _TORCH_PARAMS}
    LATEX = {"keras": _KERAS, "textbook": _TEXTBOOK, "pytorch": _TORCH}
    NOTES = {"textbook": _TEXTBOOK_NOTE, "pytorch": _TORCH_NOTE}
    OPTIONS = {"keras": [AS_MATRIX], "textbook": [AS_MATRIX], "pytorch": [AS_MATRIX]}
    TEACHING = TEACHING

    def __init__(self, flavor: str = "keras", **kwargs):
        # Keras accepts None for these three (off); the spec sliders keep a number as default.
        nulls = [k for k in _NULLABLE if k in kwargs and kwargs[k] is None and flavor == "keras"]
        for k in nulls:
            kwargs.pop(k)
        super().__init__(flavor, **kwargs)
        for k in nulls:
            if k == "weight_decay":
                self.weight_decay = None
            else:
                self.hp[k] = None

    def _validate_extra(self):
        k = self.hp["ns_steps"]
        if np.ndim(k) != 0 or k != int(k):
            spec = next(p for p in self.HYPERPARAMS[self.flavor] if p.name == "ns_steps")
            raise ValueError(f"{self.name}: `ns_steps` must be an integer in {spec.range_text()}; received {k!r}.")
        self._steps = self.hp["ns_steps"] = int(k)

    def _slot_names(self):
        return ("momentum", "velocity")

    def _matrix(self, p):
        ndim = var_ndim(p)
        if ndim == 1 and self.hp["as_matrix"]:
            return True  # a 1 × n row
        if self.flavor == "pytorch" and ndim != 2:
            raise ValueError(f"{self.name} (pytorch): torch.optim.Muon only supports 2-D parameters; received a "
                             f"parameter of shape {np.shape(p)[np.ndim(p) - ndim:]} (a landscape's point or a "
                             "network's bias, not a weight matrix). Choose the Keras 3 or textbook flavour: they "
                             "take an Adam step for such parameters (or, on a landscape, the option as_matrix: "
                             "the point as a 1×2 matrix).")
        return ndim == 2

    def _slot_used(self, name, p):
        return name == "momentum" or not self._matrix(p)

    def _init_slot(self, name, p):
        if name == "velocity" and self._matrix(p):
            return placeholder(p)
        return np.zeros_like(p)  # momentum, velocity, and any slot the base class adds

    def _coupled_weight_decay(self):
        return False

    def _weight_decay_factor(self, lr, step):
        return 0.0  # Muon decays matrices and Adam-step variables differently: done in _rule

    def _decay_in_rule(self):
        return True

    # -- the two steps -------------------------------------------------------
    def _rule(self, g, w, s, lr, t, glob):
        if self._matrix(w):
            return self._muon_step(g, w, s, lr)
        return self._adam_step(g, w, s, lr, t)

    def _muon_step(self, g, w, s, lr):
        mu, wd = self.hp["momentum"], self.weight_decay
        a, b, c = self.hp["muon_a"], self.hp["muon_b"], self.hp["muon_c"]
        m = s["momentum"]
        n_rows, n_cols = shape = _matrix_shape(w)
        if self.flavor == "keras":
            if wd is not None:
                w = w - w * wd * lr
            m = m + (g + m * (mu - 1))
            o = _orthogonalise(g + mu * m if self.hp["nesterov"] else m, shape, a, b, c, self._steps, 1e-7)
            step = lr * o
            if self.hp["rms_rate"] is not None:
                step = step * np.sqrt(max(n_rows, n_cols)) * self.hp["rms_rate"]
            return w - step, {**s, "momentum": m}
        if self.flavor == "textbook":
            if wd is not None:
                w = w - w * wd * lr
            m = mu * m + g
            o = _orthogonalise(g + mu * m if self.hp["nesterov"] else m, shape, a, b, c, self._steps, 1e-7)
            return w - lr * o, {**s, "momentum": m}
        # PyTorch
        m = _lerp(m, g, 1 - mu)
        o = _orthogonalise(_lerp(g, m, mu) if self.hp["nesterov"] else m, shape, a, b, c, self._steps,
                           self.hp["epsilon"], clamp=True)
        scale = 0.2 * np.sqrt(max(n_rows, n_cols)) if self.hp["match_rms_adamw"] else np.sqrt(max(1, n_rows / n_cols))
        return w * (1 - lr * wd) + (-(lr * scale)) * o, {**s, "momentum": m}

    def _adam_step(self, g, w, s, lr, t):
        b1, b2, eps = self.hp["adam_beta_1"], self.hp["adam_beta_2"], self.hp["epsilon"]
        wd, ratio = self.hp["adam_weight_decay"], self.hp["adam_lr_ratio"]
        lr_adam = lr * ratio
        m, v = s["momentum"], s["velocity"]
        if self.flavor == "keras":
            if wd is not None:
                w = w - w * wd * lr  # Keras decays by η, not by η·adam_lr_ratio
            alpha = lr_adam * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
            m = m + (g - m) * (1 - b1)
            v = v + (np.square(g) - v) * (1 - b2)
            return w - (m * alpha) / (np.sqrt(v) + eps), {**s, "momentum": m, "velocity": v}
        # textbook: Jordan's auxiliary Adam (textbook Adam, decay by its own η_A)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * np.square(g)
        direction = (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
        return w * (1 - lr_adam * wd) - lr_adam * direction, {**s, "momentum": m, "velocity": v}


def _newton_schulz(x, a, b, c, steps, eps, clamp=False):
    """Approximately U Vᵀ of x = U S Vᵀ, over the last two axes (Keras's and torch's arithmetic)."""
    tall = np.shape(x)[-2] > np.shape(x)[-1]
    if tall:
        x = mT(x)
    norm = np.sqrt(np.sum(np.square(x), axis=(-2, -1), keepdims=True))
    x = x / (np.maximum(norm, eps) if clamp else norm + eps)
    for _ in range(steps):
        gram = x @ mT(x)
        x = a * x + (b * gram + (c * gram) @ gram) @ x
    return mT(x) if tall else x

