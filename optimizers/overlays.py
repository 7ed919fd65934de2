"""Teaching overlays for a whole run at once: the vectors the step inspector draws, for every step.

``overlay_vectors(traj)`` takes a single 2-D run recorded with ``record="full"`` and returns, for every
update k+1 (taken from ``params[k]``, k = 0 … steps−1), the same numbers :func:`optimizers.explain.explain_step`
shows for that update:

- ``grad``: −g, the negative gradient the update used (noise included), ``grads[k]``;
- ``step``: the actual step ``params[k+1] − params[k]`` (Lion's is its sign step −η·sign(c));
- ``momentum``: the optimizer's momentum arrow (its Teaching record's ``momentum_arrow``: μ·v for SGD, −m for
  Adam and RMSprop, −c for Lion, z − y for Schedule-Free …), or None when it has none;
- ``second``: the per-axis second moment the update divided by (Adam/RMSprop ``velocity`` v_t, Adagrad
  ``accumulator``), after the update, or None;
- ``x_point``: Schedule-Free's averaged point x after the update (slot ``x``), or None; with it ``z_point``, its
  base sequence z (the slot its Teaching record names z), when the rule keeps one.

Nothing is recomputed with other arithmetic: the vectors are the recorded state read out along the step axis,
and the momentum arrow is the Teaching record's own function applied to the whole step axis at once (it is
elementwise). Lion's interpolation c is computed by the same expression as its explanation.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .teaching import teaching

SECOND_MOMENT_SLOTS = ("velocity", "accumulator")  # Adam, AdamW, Nadam, RMSprop, Schedule-Free; Adagrad


@dataclass
class _StepsEx:
    """The fields of a StepExplanation that the momentum-arrow functions read, with a leading step axis."""

    w: np.ndarray
    g: np.ndarray
    w_new: np.ndarray
    g_rule: np.ndarray
    slots_before: dict
    slots_after: dict
    learning_rate: np.ndarray
    quantities: list = field(default_factory=list)


def _rule_gradients(traj) -> np.ndarray:
    """The gradient each update's rule used (after clipping and PyTorch's L2), one ``_prepare`` per step."""
    opt, out = traj.optimizer, np.empty_like(traj.grads[:-1])
    for k in range(traj.steps):
        (g,), _ = opt._prepare([traj.grads[k]], [traj.params[k]], opt.learning_rate_at(k), k, 0)
        out[k] = g
    return out


def overlay_vectors(traj) -> dict:
    """Per-update overlay vectors of one recorded 2-D run (see the module docstring). Arrays are ``(steps, 2)``."""
    if traj.record != "full":
        raise ValueError("overlay_vectors() needs a trajectory recorded with record='full'.")
    if traj.params.ndim != 2:
        raise ValueError("overlay_vectors() takes a single run (params of shape (steps+1, 2)).")
    opt = traj.optimizer
    n = traj.steps
    P, G = traj.params, traj.grads
    slots = {k: np.asarray(v) for k, v in traj.slots.items() if np.shape(v)[:1] == (n + 1,)}
    out = {"grad": -G[:n], "step": P[1:] - P[:n], "momentum": None, "momentum_label": "",
           "second": None, "second_label": "", "x_point": None, "sign_step": False}
    info = teaching(opt)
    before = {k: v[:n] for k, v in slots.items()}
    after = {k: v[1:] for k, v in slots.items()}
    if info.momentum_arrow is not None and n > 0:
        lr = np.asarray(traj.learning_rate, dtype=np.float64).reshape(n, 1) if traj.learning_rate is not None else None
        ex = _StepsEx(w=P[:n], g=G[:n], w_new=P[1:], g_rule=G[:n], slots_before=before, slots_after=after,
                      learning_rate=lr)
        if type(opt).__name__ == "Lion":
            ex.g_rule = _rule_gradients(traj)
            b1 = float(opt.hp["beta_1"])
            # The expression of Lion's explanation (optimizers/lion.py _explain): c = m·β₁ + g·(1 − β₁).
            ex.quantities.append(("interpolation c", "c_t", before["momentum"] * b1 + ex.g_rule * (1.0 - b1)))
            out["sign_step"] = True
        try:
            arrow = info.momentum_arrow(ex, opt)
        except (KeyError, AttributeError, TypeError, IndexError):
            arrow = None  # an arrow this vectorized read-out cannot form: no momentum overlay for this run
        if arrow is not None:
            vec = np.broadcast_to(np.asarray(arrow[1], dtype=np.float64), (n, 2)).copy()
            out["momentum"], out["momentum_label"] = vec, str(arrow[0])
    for name in SECOND_MOMENT_SLOTS:
        if name in after and after[name].shape == (n, 2):
            out["second"] = after[name].copy()
            out["second_label"] = info.slot_label(name, opt.flavor)
            break
    if "x" in slots and slots["x"].shape == (n + 1, 2):
        out["x_point"] = slots["x"].copy()
        # Schedule-Free keeps its base sequence z in the slot Keras names "momentum" (its Teaching record: Slot "z").
        z = info.slots.get("momentum") if isinstance(getattr(info, "slots", None), dict) else None
        if z is not None and getattr(z, "symbol", None) == "z" and slots.get("momentum", np.empty(0)).shape == (n + 1, 2):
            out["z_point"] = slots["momentum"].copy()
    return out
