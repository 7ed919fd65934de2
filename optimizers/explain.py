"""Why did this step go there? One update of a recorded trajectory, taken apart.

``explain_step(traj, k)`` replays update k+1 (from ``params[k]`` to
``params[k+1]``) with the engine itself, from the state the trajectory
recorded, and returns every intermediate number: the gradient, each slot
before and after, bias-correction factors, the denominator, the effective
per-axis step size (step / −gradient) and the actual step, plus the update
rule as LaTeX lines with those numbers substituted. Because the numbers come
from the same ``update`` that drew the path, the inspector can never
disagree with the chart (a test checks ``w_new == traj.params[k+1]``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .base import State


@dataclass
class StepExplanation:
    k: int                      # the update moves params[k] → params[k+1]
    t: int                      # Keras's 1-based step used in bias corrections
    flavor: str
    w: np.ndarray
    g: np.ndarray
    w_new: np.ndarray
    learning_rate: float
    slots_before: dict
    slots_after: dict
    quantities: list = field(default_factory=list)   # (label, latex symbol, value)
    lines: list = field(default_factory=list)        # LaTeX, numbers substituted

    @property
    def step(self) -> np.ndarray:
        return self.w_new - self.w

    @property
    def effective_step_size(self) -> np.ndarray:
        """Per axis: how far the step went per unit of (negative) gradient: Δw / (−g).

        For plain gradient descent this is η on both axes; adaptive methods make
        it differ per axis, momentum makes it drift from step to step."""
        with np.errstate(all="ignore"):
            return np.where(self.g != 0, -self.step / self.g, np.nan)


def _v(x) -> str:
    """A number or a 2-vector as LaTeX."""
    a = np.asarray(x, dtype=np.float64).ravel()
    parts = [_num(v) for v in a]
    return parts[0] if len(parts) == 1 else r"\begin{pmatrix}" + r" \\ ".join(parts) + r"\end{pmatrix}"


def _num(v: float) -> str:
    if not np.isfinite(v):
        return r"\text{" + str(v) + "}"
    if v == 0:
        return "0"
    if 1e-3 <= abs(v) < 1e4:
        return f"{v:.6g}"
    m, e = f"{v:.4e}".split("e")
    return rf"{m}\times10^{{{int(e)}}}"


def _state_at(traj, k, index):
    slots = {name: arr[(k,) + index] for name, arr in traj.slots.items()}
    return State(step=k, iterations=k, slots=slots, batch_ndim=0)


def explain_step(traj, k: int, index=()) -> StepExplanation:
    """Explain update ``k+1`` of run ``index`` of a trajectory recorded with ``record="full"``."""
    if traj.record != "full":
        raise ValueError("explain_step() needs a trajectory recorded with record='full'.")
    if not 0 <= k < traj.steps:
        raise ValueError(f"explain_step(): step must be in [0, {traj.steps - 1}]; received {k}.")
    opt = traj.optimizer
    if opt.gradient_accumulation_steps or opt.use_ema:
        raise ValueError("The inspector does not explain gradient accumulation or EMA runs.")
    index = index if isinstance(index, tuple) else (index,)
    if any(isinstance(v, np.ndarray) for v in opt.hp.values()) or isinstance(opt.learning_rate, np.ndarray):
        raise ValueError("explain_step() explains runs with scalar hyperparameters.")
    w = traj.params[(k,) + index]
    g = traj.grads[(k,) + index]
    state = _state_at(traj, k, index)
    with np.errstate(all="ignore"):
        w_new, new_state = opt.update(g, state, w)
    lr = float(np.asarray(opt.learning_rate_at(k)))
    ex = StepExplanation(k=k, t=k + 1, flavor=opt.flavor, w=w, g=g, w_new=w_new, learning_rate=lr,
                         slots_before=dict(state.slots), slots_after=dict(new_state.slots))
    with np.errstate(all="ignore"):
        _EXPLAIN.get(opt.name, _generic)(ex, opt)
        _common_lines(ex, opt)
    return ex


def _common_lines(ex, opt):
    pre = []
    if opt.clipnorm is not None or opt.clipvalue is not None or opt.global_clipnorm is not None:
        pre.append(r"\text{(the gradient } g_t \text{ shown is before clipping; clipping applies first)}")
    if opt.name in _OWN_DECAY:
        pass  # these explainers print their weight decay where it acts
    elif opt.weight_decay is not None:
        if opt._coupled_weight_decay():
            pre.append(rf"g_t \leftarrow g_t + \lambda w = {_v(ex.g)} + {_num(opt.weight_decay)}\,{_v(ex.w)}")
        else:
            pre.append(rf"w \leftarrow w - \eta\lambda w \quad(\lambda = {_num(opt.weight_decay)},"
                       rf"\ \text{{decoupled, before the rule}})")
    ex.lines[:0] = pre
    ex.lines.append(rf"\Delta w = {_v(ex.step)},\qquad w_{{t}} = {_v(ex.w_new)}")


def _generic(ex, opt):
    ex.lines.append(rf"w_{{t-1}} = {_v(ex.w)},\quad g_t = {_v(ex.g)},\quad \eta = {_num(ex.learning_rate)}")


def _gd(ex, opt):
    ex.lines.append(rf"w_t = w_{{t-1}} - \eta g_t = {_v(ex.w)} - {_num(ex.learning_rate)}\,{_v(ex.g)}")


def _sgd(ex, opt):
    if "momentum" not in ex.slots_after:
        return _gd(ex, opt)
    mu, lr = opt.hp["momentum"], ex.learning_rate
    v0, v1 = ex.slots_before["momentum"], ex.slots_after["momentum"]
    ex.quantities.append(("velocity before", r"v_{t-1}", v0))
    if opt.flavor == "pytorch":
        ex.lines.append(rf"b_t = \mu b_{{t-1}} + (1-d) g_t = {_num(mu)}\,{_v(v0)} + {_v(ex.g)} = {_v(v1)}"
                        if ex.t > 1 else rf"b_1 = g_1 = {_v(v1)}")
        ex.lines.append(rf"w_t = w_{{t-1}} - \eta\,(\ldots) = {_v(ex.w)} - {_num(lr)}\,(\ldots)")
        return
    ex.lines.append(rf"v_t = \mu v_{{t-1}} - \eta g_t = {_num(mu)}\,{_v(v0)} - {_num(lr)}\,{_v(ex.g)} = {_v(v1)}")
    if opt.hp["nesterov"]:
        ex.lines.append(rf"w_t = w_{{t-1}} + \mu v_t - \eta g_t = {_v(ex.w)} + {_num(mu)}\,{_v(v1)}"
                        rf" - {_num(lr)}\,{_v(ex.g)}")
    else:
        ex.lines.append(rf"w_t = w_{{t-1}} + v_t = {_v(ex.w)} + {_v(v1)}")


def _adagrad(ex, opt):
    a = ex.slots_after["accumulator"]
    eps = opt.hp["epsilon"]
    ex.lines.append(rf"a_t = a_{{t-1}} + g_t^2 = {_v(ex.slots_before['accumulator'])} + {_v(ex.g ** 2)}"
                    rf" = {_v(a)}")
    if opt.flavor == "keras":
        den = np.sqrt(a + eps)
        ex.lines.append(rf"\sqrt{{a_t + \epsilon}} = {_v(den)}")
    else:
        den = np.sqrt(a) + eps
        ex.lines.append(rf"\sqrt{{a_t}} + \epsilon = {_v(den)}")
    ex.quantities.append(("denominator", r"\sqrt{a}", den))
    ex.lines.append(rf"\eta / \text{{denominator}} = {_v(ex.learning_rate / den)}")


def _rmsprop(ex, opt):
    rho, eps = opt.hp["rho"], opt.hp["epsilon"]
    v = ex.slots_after["velocity"]
    ex.lines.append(rf"v_t = \rho v_{{t-1}} + (1-\rho) g_t^2 = {_num(rho)}\,{_v(ex.slots_before['velocity'])}"
                    rf" + {_num(1 - rho)}\,{_v(ex.g ** 2)} = {_v(v)}")
    ms = v
    if "average_gradient" in ex.slots_after:
        ag = ex.slots_after["average_gradient"]
        ex.lines.append(rf"\bar g_t = {_v(ag)},\quad v_t - \bar g_t^2 = {_v(v - ag ** 2)}")
        ms = v - ag ** 2
    den = np.sqrt(ms) + eps if opt.flavor == "pytorch" else np.sqrt(ms + eps)
    ex.quantities.append(("denominator", r"\sqrt{v+\epsilon}", den))
    ex.lines.append(rf"\text{{denominator}} = {_v(den)},\quad \eta g_t/\text{{denominator}} = "
                    rf"{_v(ex.learning_rate * ex.g / den)}")
    if "momentum" in ex.slots_after:
        ex.lines.append(rf"m_t = \mu m_{{t-1}} + \ldots = {_v(ex.slots_after['momentum'])}")


def _adadelta(ex, opt):
    eg, ed0, ed = (ex.slots_after["accumulated_grad"], ex.slots_before["accumulated_delta_var"],
                   ex.slots_after["accumulated_delta_var"])
    eps = opt.hp["epsilon"]
    ex.lines.append(rf"E[g^2]_t = {_v(eg)}")
    ratio = np.sqrt(ed0 + eps) / np.sqrt(eg + eps)
    ex.quantities.append(("RMS ratio", r"\sqrt{E[\Delta^2]+\epsilon}/\sqrt{E[g^2]+\epsilon}", ratio))
    ex.lines.append(rf"\frac{{\sqrt{{E[\Delta^2]_{{t-1}}+\epsilon}}}}{{\sqrt{{E[g^2]_t+\epsilon}}}} = {_v(ratio)},"
                    rf"\quad \Delta_t = {_v(-ratio * ex.g)}")
    ex.lines.append(rf"E[\Delta^2]_t = {_v(ed)},\quad \eta = {_num(ex.learning_rate)}")


def _adam_like(ex, opt):
    b1, b2 = opt.hp["beta_1"], opt.hp["beta_2"]
    t = ex.t
    m, v = ex.slots_after["momentum"], ex.slots_after["velocity"]
    bc1, bc2 = 1 - b1 ** t, 1 - b2 ** t
    ex.quantities += [("1 − β₁ᵗ", r"1-\beta_1^t", bc1), ("1 − β₂ᵗ", r"1-\beta_2^t", bc2)]
    ex.lines.append(rf"m_t = {_v(m)},\quad v_t = {_v(v)}")
    ex.lines.append(rf"1-\beta_1^{{{t}}} = {_num(bc1)},\quad 1-\beta_2^{{{t}}} = {_num(bc2)}")
    vv = ex.slots_after.get("velocity_hat", v)
    eps = opt.hp["epsilon"]
    if opt.flavor == "keras":
        alpha = ex.learning_rate * np.sqrt(bc2) / bc1
        ex.quantities.append(("α_t", r"\alpha_t", alpha))
        ex.lines.append(rf"\alpha_t = \eta\frac{{\sqrt{{1-\beta_2^t}}}}{{1-\beta_1^t}} = {_num(alpha)},\quad"
                        rf" \sqrt{{v_t}} + \hat\epsilon = {_v(np.sqrt(vv) + eps)}")
    elif opt.flavor == "textbook" and "velocity_hat" not in ex.slots_after:
        ex.lines.append(rf"\hat m_t = {_v(m / bc1)},\quad \sqrt{{\hat v_t}} + \epsilon = {_v(np.sqrt(v / bc2) + eps)}")
    else:
        ex.lines.append(rf"\sqrt{{v_t}} = {_v(np.sqrt(vv))},\quad \epsilon = {_num(eps)}")


def _adamax(ex, opt):
    b1 = opt.hp["beta_1"]
    bc1 = 1 - b1 ** ex.t
    m, u = ex.slots_after["momentum"], ex.slots_after["norm"]
    ex.quantities.append(("1 − β₁ᵗ", r"1-\beta_1^t", bc1))
    ex.lines.append(rf"m_t = {_v(m)},\quad u_t = \max(\beta_2 u_{{t-1}}, |g_t|) = {_v(u)},\quad"
                    rf" 1-\beta_1^{{{ex.t}}} = {_num(bc1)}")


def _nadam(ex, opt):
    b1 = opt.hp["beta_1"]
    psi = opt._psi
    mu_t = b1 * (1 - 0.5 * 0.96 ** (psi * ex.t))
    mu_t1 = b1 * (1 - 0.5 * 0.96 ** (psi * (ex.t + 1)))
    P = float(np.asarray(ex.slots_after["u_product"]).ravel()[0])
    ex.quantities += [("μ_t", r"\mu_t", mu_t), ("μ_{t+1}", r"\mu_{t+1}", mu_t1), ("∏μ", r"\Pi_t", P)]
    ex.lines.append(rf"\mu_t = {_num(mu_t)},\quad \mu_{{t+1}} = {_num(mu_t1)},\quad \Pi_t = {_num(P)}")
    ex.lines.append(rf"m_t = {_v(ex.slots_after['momentum'])},\quad v_t = {_v(ex.slots_after['velocity'])}")


def _lion(ex, opt):
    b1 = opt.hp["beta_1"]
    m0 = ex.slots_before["momentum"]
    c = b1 * m0 + (1 - b1) * ex.g
    ex.quantities.append(("interpolation c", "c_t", c))
    ex.lines.append(rf"c_t = \beta_1 m_{{t-1}} + (1-\beta_1) g_t = {_v(c)},\quad \operatorname{{sign}}(c_t) = "
                    rf"{_v(np.sign(c))}")
    ex.lines.append(rf"w_t = w_{{t-1}} - \eta\,\operatorname{{sign}}(c_t) = {_v(ex.w)} - {_num(ex.learning_rate)}"
                    rf"\,{_v(np.sign(c))}")
    ex.lines.append(rf"m_t = \beta_2 m_{{t-1}} + (1-\beta_2) g_t = {_v(ex.slots_after['momentum'])}")


def _decay_before(ex, opt, lam, eta_text=r"\eta", eta=None):
    """The base class's decoupled decay, as a line (nothing when it is off)."""
    if lam is None:
        return
    eta = ex.learning_rate if eta is None else eta
    ex.lines.append(rf"w \leftarrow w - {eta_text}\,\lambda\, w \quad(\lambda = {_num(lam)},\ {eta_text} = {_num(eta)},"
                    rf"\ \text{{decoupled, before the rule}})")


def _rms(x):
    return float(np.sqrt(np.mean(np.square(x))))


def _adafactor(ex, opt):
    t, lr = ex.t, ex.learning_rate
    c_dec, e1, e2, d = (opt.hp["beta_2_decay"], opt.hp["epsilon_1"], opt.hp["epsilon_2"], opt.hp["clip_threshold"])
    w = ex.w
    if opt.flavor != "pytorch":
        _decay_before(ex, opt, opt.weight_decay)
        if opt.weight_decay is not None:
            w = w - w * opt.weight_decay * lr
    rho = min(lr, 1 / np.sqrt(t))
    alpha = max(e2, _rms(w)) * rho
    beta = 1.0 - t ** c_dec
    ex.quantities += [("relative step ρ_t", r"\rho_t", rho), ("RMS(w)", r"\mathrm{RMS}(w)", _rms(w)),
                      ("step size α_t", r"\alpha_t", alpha), ("decay β̂₂ₜ", r"\hat\beta_{2t}", beta)]
    ex.lines.append(rf"\rho_t = \min(\eta, 1/\sqrt{{{t}}}) = {_num(rho)},\quad \alpha_t = \max(\epsilon_2, "
                    rf"\mathrm{{RMS}}(w))\,\rho_t = \max({_num(e2)}, {_num(_rms(w))})\cdot{_num(rho)} = {_num(alpha)}")
    ex.lines.append(rf"\hat\beta_{{2t}} = 1 - {t}^{{{_num(c_dec)}}} = {_num(beta)}")
    v = ex.slots_after["velocity"]
    if "r" in ex.slots_after and np.ndim(ex.slots_after["r"]) > 0:
        ex.lines.append(rf"r_t = {_v(ex.slots_after['r'])},\quad c_t = {_v(ex.slots_after['c'])}")
    ex.lines.append(rf"\hat v_t = {_v(v)}")
    if opt.flavor == "pytorch":
        u = ex.g / np.sqrt(np.maximum(v, e1 * e1))
        ex.lines.append(rf"u_t = g_t / \sqrt{{\max(\hat v_t, \epsilon_1^2)}} = {_v(u)}")
    else:
        u = ex.g / np.sqrt(v)
        ex.lines.append(rf"u_t = g_t / \sqrt{{\hat v_t}} = {_v(u)}")
    clip = max(1.0, _rms(u) / d)
    ex.quantities += [("update u", "u_t", u), ("clip divisor", r"\max(1, \mathrm{RMS}(u)/d)", clip)]
    ex.lines.append(rf"\mathrm{{RMS}}(u_t) = {_num(_rms(u))},\quad \hat u_t = u_t / \max(1, \mathrm{{RMS}}(u_t)/d)"
                    rf" = {_v(u / clip)}")
    if opt.flavor == "pytorch" and opt.weight_decay is not None:
        ex.lines.append(rf"w_t = w_{{t-1}}(1 - \eta\lambda) - \alpha_t \hat u_t \quad(\lambda = {_num(opt.weight_decay)},"
                        rf"\ \alpha_t \text{{ from the undecayed }} w)")
    else:
        ex.lines.append(rf"w_t = w_{{t-1}} - \alpha_t\,\hat u_t")


def _ftrl(ex, opt):
    lr = ex.learning_rate
    _decay_before(ex, opt, opt.weight_decay)
    w = ex.w if opt.weight_decay is None else ex.w - ex.w * opt.weight_decay * lr
    n0, n1 = ex.slots_before["accumulator"], ex.slots_after["accumulator"]
    z1 = ex.slots_after["linear"]
    l1, l2, beta = (opt.hp["l1_regularization_strength"], opt.hp["l2_regularization_strength"], opt.hp["beta"])
    ex.lines.append(rf"n_t = n_{{t-1}} + g_t^2 = {_v(n0)} + {_v(ex.g ** 2)} = {_v(n1)}")
    if opt.flavor == "keras":
        p = -opt.hp["learning_rate_power"]
        sigma = (np.power(n1, p) - np.power(n0, p)) / lr
        q = np.power(n1, p) / lr + 2 * (l2 + beta / (2 * lr))
        shrink = opt.hp["l2_shrinkage_regularization_strength"]
        g_used = ex.g + 2 * shrink * w
        ex.lines.append(rf"\sigma_t = (n_t^{{{_num(p)}}} - n_{{t-1}}^{{{_num(p)}}})/\eta = {_v(sigma)}")
        ex.lines.append(rf"z_t = z_{{t-1}} + \tilde g_t - \sigma_t w_{{t-1}} = {_v(z1)}"
                        + (rf"\quad(\tilde g_t = g_t + 2\ell_{{2s}} w = {_v(g_used)})" if shrink else ""))
        ex.lines.append(rf"q_t = n_t^{{{_num(p)}}}/\eta + 2\ell_2 + \beta/\eta = {_v(q)}")
    else:
        sigma = (np.sqrt(n1) - np.sqrt(n0)) / lr
        q = (beta + np.sqrt(n1)) / lr + l2
        ex.lines.append(rf"\sigma_t = (\sqrt{{n_t}} - \sqrt{{n_{{t-1}}}})/\alpha = {_v(sigma)},\quad "
                        rf"z_t = z_{{t-1}} + g_t - \sigma_t w_{{t-1}} = {_v(z1)}")
        ex.lines.append(rf"q_t = (\beta + \sqrt{{n_t}})/\alpha + \lambda_2 = {_v(q)}")
    ex.quantities += [("σ_t", r"\sigma_t", sigma), ("denominator q_t", "q_t", q)]
    zero = np.abs(z1) <= l1
    ex.lines.append(rf"w_t = (\operatorname{{clip}}(z_t, -\ell_1, \ell_1) - z_t)/q_t = {_v(ex.w_new)}"
                    + (rf"\quad(|z_t| \le \ell_1 = {_num(l1)} \Rightarrow w_t = 0 \text{{ there}})" if zero.any() else ""))


def _lamb(ex, opt):
    b1, b2, eps, t, lr = opt.hp["beta_1"], opt.hp["beta_2"], opt.hp["epsilon"], ex.t, ex.learning_rate
    w = ex.w
    if opt.flavor == "keras":
        _decay_before(ex, opt, opt.weight_decay)
        if opt.weight_decay is not None:
            w = w - w * opt.weight_decay * lr
    m, v = ex.slots_after["momentum"], ex.slots_after["velocity"]
    r = (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
    ex.lines.append(rf"m_t = {_v(m)},\quad v_t = {_v(v)},\quad r_t = \frac{{\hat m_t}}{{\sqrt{{\hat v_t}} + \epsilon}}"
                    rf" = {_v(r)}")
    if opt.flavor == "textbook" and opt.weight_decay is not None:
        r = r + opt.weight_decay * w
        ex.lines.append(rf"u_t = r_t + \lambda w_{{t-1}} = {_v(r)}\quad(\lambda = {_num(opt.weight_decay)})")
    wn, rn = float(np.linalg.norm(w)), float(np.linalg.norm(r))
    ratio = wn / rn if wn > 0 and rn > 0 else 1.0
    ex.quantities += [("‖w‖", r"\lVert w\rVert", wn), ("‖r‖", r"\lVert r\rVert", rn), ("trust ratio", r"\tau_t", ratio)]
    ex.lines.append(rf"\tau_t = \lVert w\rVert / \lVert r\rVert = {_num(wn)} / {_num(rn)} = {_num(ratio)},\quad "
                    rf"\eta\,\tau_t = {_num(lr * ratio)}")


def _muon(ex, opt):
    from .muon import _newton_schulz
    lr, t = ex.learning_rate, ex.t
    m0, m1 = ex.slots_before["momentum"], ex.slots_after["momentum"]
    if np.ndim(ex.w) == 2:
        mu = opt.hp["momentum"]
        _decay_before(ex, opt, opt.weight_decay) if opt.flavor != "pytorch" else None
        if opt.flavor == "pytorch":
            tilde = (1 - mu) * ex.g + mu * m1 if opt.hp["nesterov"] else m1
            ex.lines.append(rf"b_t = \mu b_{{t-1}} + (1-\mu) g_t = {_v(m1)}")
        else:
            tilde = ex.g + mu * m1 if opt.hp["nesterov"] else m1
            ex.lines.append(rf"m_t = \mu m_{{t-1}} + g_t = {_v(m1)}")
        ex.lines.append(rf"\tilde m_t = {_v(tilde)}\quad(\text{{{'Nesterov' if opt.hp['nesterov'] else 'momentum'}}}),"
                        rf"\quad \lVert \tilde m_t\rVert_F = {_num(np.linalg.norm(tilde))}")
        eps = opt.hp["epsilon"] if opt.flavor == "pytorch" else 1e-7
        o = _newton_schulz(tilde, opt.hp["muon_a"], opt.hp["muon_b"], opt.hp["muon_c"], opt._steps, eps,
                           clamp=opt.flavor == "pytorch")
        ex.quantities.append(("orthogonalised O_t", "O_t", o))
        ex.lines.append(rf"O_t = \mathrm{{NS}}_{{{opt._steps}}}(\tilde m_t) = {_v(o)}")
        ex.lines.append(r"w_t = w_{t-1} - \eta\,(\text{scale})\,O_t")
        return
    ratio = opt.hp["adam_lr_ratio"]
    b1, b2, eps = opt.hp["adam_beta_1"], opt.hp["adam_beta_2"], opt.hp["epsilon"]
    ex.lines.append(r"\text{not a matrix: the Adam step (}\eta_A = \eta\cdot\text{adam\_lr\_ratio)}")
    if opt.flavor == "keras":
        _decay_before(ex, opt, opt.hp["adam_weight_decay"])
    v1 = ex.slots_after["velocity"]
    ex.lines.append(rf"m_t = {_v(m1)},\quad v_t = {_v(v1)}")
    if opt.flavor == "keras":
        alpha = lr * ratio * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        ex.quantities.append(("α_t", r"\alpha_t", alpha))
        ex.lines.append(rf"\alpha_t = \eta_A\frac{{\sqrt{{1-\beta_2^t}}}}{{1-\beta_1^t}} = {_num(alpha)},\quad"
                        rf" w_t = w_{{t-1}} - \alpha_t\,\frac{{m_t}}{{\sqrt{{v_t}} + \epsilon}}")
    else:
        direction = (m1 / (1 - b1 ** t)) / (np.sqrt(v1 / (1 - b2 ** t)) + eps)
        ex.quantities += [("η_A", r"\eta_A", lr * ratio), ("Adam direction", r"\hat m_t/(\sqrt{\hat v_t}+\epsilon)",
                                                              direction)]
        ex.lines.append(rf"\frac{{\hat m_t}}{{\sqrt{{\hat v_t}} + \epsilon}} = {_v(direction)},\quad"
                        rf" w_t = w_{{t-1}}(1 - \eta_A\lambda_A) - \eta_A\,(\ldots),\quad \eta_A = {_num(lr * ratio)}")


def _schedule_free(ex, opt):
    b1, t, lr = opt.hp["beta_1"], ex.t, ex.learning_rate
    z0, z1 = ex.slots_before["momentum"], ex.slots_after["momentum"]
    x0, x1 = ex.slots_before["x"], ex.slots_after["x"]
    if opt.flavor == "keras":
        _decay_before(ex, opt, opt.weight_decay)
        gamma = lr * opt._warmup(t)
        c = 1.0 / t
        ex.lines.append(rf"\gamma_t = \eta\min(1, t/T) = {_num(gamma)},\quad v_t = {_v(ex.slots_after['velocity'])}")
        ex.lines.append(rf"z_t = z_{{t-1}} - \frac{{\gamma_t g_t}}{{\sqrt{{\hat v_t}} + \epsilon}} = {_v(z0)} \to {_v(z1)}")
        ex.lines.append(rf"x_{{t-1}} = (y_{{t-1}} - (1-\beta_1) z_{{t-1}})/\beta_1,\quad"
                        rf" x_t = (1 - \tfrac1t)\,x_{{t-1}} + \tfrac1t\,z_t = {_v(x1)}")
    else:
        gamma = opt._gamma(lr, t)
        total = float(np.ravel(ex.slots_after["weight_sum"])[0])
        c = gamma ** 2 / total if total > 0 else 0.0
        ex.lines.append(rf"\gamma_t = \eta\sqrt{{1-\beta_2^t}}\min(1, t/T) = {_num(gamma)},\quad"
                        rf" \textstyle\sum_i \gamma_i^2 = {_num(total)}")
        decay = (rf" - \gamma_t\lambda y_{{t-1}}\ (\lambda = {_num(opt.weight_decay)})" if opt.weight_decay is not None
                 else "")
        ex.lines.append(rf"z_t = z_{{t-1}} - \gamma_t\frac{{g_t}}{{\sqrt{{v_t}} + \epsilon}}{decay} = {_v(z0)} \to {_v(z1)}")
        ex.lines.append(rf"x_t = (1 - c_t)\,x_{{t-1}} + c_t\,z_t = {_v(x0)} \to {_v(x1)}")
    ex.quantities += [("γ_t", r"\gamma_t", gamma), ("averaging weight c_t", "c_t", c), ("z (base sequence)", "z_t", z1),
                      ("x (average)", "x_t", x1)]
    ex.lines.append(rf"c_t = {_num(c)},\quad y_t = (1-\beta_1)\,z_t + \beta_1 x_t = {_v(ex.w_new)}")


_OWN_DECAY = {"Adafactor", "Ftrl", "Lamb", "Muon", "ScheduleFreeAdamW"}

_EXPLAIN = {"GradientDescent": _gd, "SGD": _sgd, "Adagrad": _adagrad, "RMSprop": _rmsprop,
            "Adadelta": _adadelta, "Adam": _adam_like, "AdamW": _adam_like, "Adamax": _adamax,
            "Nadam": _nadam, "Lion": _lion, "Adafactor": _adafactor, "Ftrl": _ftrl, "Lamb": _lamb, "Muon": _muon,
            "ScheduleFreeAdamW": _schedule_free}
