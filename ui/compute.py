"""Cached engine calls shared by the pages.

Every function here is keyed on plain, hashable settings (landscape key, an
``OptChoice``, start, steps, noise, seed, ...), so a class opening one link
computes it once (``st.cache_data`` is shared by every session), and editing one
optimizer recomputes only that one.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
import streamlit as st

import optimizers
from ui.landscape_picker import get_land
from ui.settings import OptChoice
from ui.text import literal

TTL = 6 * 3600
SCHEDULES = ("none", "ExponentialDecay", "InverseTimeDecay", "PolynomialDecay", "PiecewiseConstantDecay",
             "CosineDecay", "CosineDecayRestarts")
CLIPS = ("none", "clipnorm", "clipvalue", "global_clipnorm")


class Common(NamedTuple):
    """Settings applied to every optimizer of a race (Keras's common optimizer arguments)."""

    sched: str = "none"
    sched_steps: int = 100
    sched_rate: float = 0.1
    wd: float = 0.0
    clip: str = "none"
    clipv: float = 1.0


NO_COMMON = Common()


def make_schedule(kind: str, lr: float, decay_steps: int, rate: float):
    """The schedule ``kind`` starting from the optimizer's own learning rate ``lr`` (``lr`` itself for "none")."""
    S = optimizers.schedules
    if kind == "ExponentialDecay":
        return S.ExponentialDecay(lr, decay_steps, rate)
    if kind == "InverseTimeDecay":
        return S.InverseTimeDecay(lr, decay_steps, rate)
    if kind == "PolynomialDecay":
        return S.PolynomialDecay(lr, decay_steps, end_learning_rate=lr * rate)
    if kind == "PiecewiseConstantDecay":
        return S.PiecewiseConstantDecay([decay_steps, 2 * decay_steps], [lr, 0.1 * lr, 0.01 * lr])
    if kind == "CosineDecay":
        return S.CosineDecay(lr, decay_steps, alpha=rate)
    if kind == "CosineDecayRestarts":
        return S.CosineDecayRestarts(lr, decay_steps, alpha=rate)
    return lr


def build_optimizer(choice: OptChoice, common: Common = NO_COMMON):
    """The engine optimizer for ``choice`` with the race's common settings applied."""
    kw = {}
    lr = choice.value("learning_rate")
    if common.sched != "none" and lr is not None:
        kw["learning_rate"] = make_schedule(common.sched, float(lr), common.sched_steps, common.sched_rate)
    if common.wd > 0:
        kw["weight_decay"] = common.wd
    if common.clip != "none":
        kw[common.clip] = common.clipv
    return choice.build(**kw)


@st.cache_data(max_entries=512, ttl=TTL, show_spinner=False)
def run_path(land_key: tuple, choice: OptChoice, start: tuple, steps: int, noise: float, seed: int,
             common: Common = NO_COMMON):
    """One optimizer's path: (params, loss, diverged_at)."""
    traj = optimizers.run(build_optimizer(choice, common), get_land(*land_key), start=np.asarray(start),
                          steps=steps, noise=noise, seed=seed, record="path")
    return traj.params, traj.loss, traj.diverged_at


@st.cache_data(max_entries=128, ttl=TTL, show_spinner=False)
def run_full(land_key: tuple, choice: OptChoice, start: tuple, steps: int, noise: float, seed: int) -> dict:
    """One run recorded in full (every gradient and state slot), as plain arrays."""
    t = optimizers.run(choice.build(), get_land(*land_key), start=np.asarray(start), steps=steps, noise=noise,
                       seed=seed, record="full")
    return dict(params=t.params, loss=t.loss, grads=t.grads, slots=t.slots, learning_rate=t.learning_rate,
                diverged_at=t.diverged_at)


def point_sequences(name: str, slots: dict, upto: int | None = None) -> list[tuple[str, str, np.ndarray]]:
    """The state slots of optimizer ``name`` that are points of the landscape's plane (Schedule-Free's average
    x and base sequence z; none for most rules), as ``(slot, legend text, points[:upto])`` for the charts:
    the recorded arrays themselves (row j: the slot before update j, so row k+1 is the value after update k)."""
    out = []
    for key, text in optimizers.teaching(name).point_slots.items():
        arr = slots.get(key) if slots is not None else None
        if arr is not None and np.shape(arr)[-1:] == (2,) and np.ndim(arr) == 2:
            out.append((key, text, np.asarray(arr)[:upto]))
    return out


def trajectory(land_key: tuple, choice: OptChoice, start, steps: int, noise: float, seed: int):
    """The full run as an ``optimizers.Trajectory`` (from the cached arrays)."""
    arrays = run_full(land_key, choice, start, steps, noise, seed)
    return optimizers.Trajectory(steps=steps, optimizer=choice.build(), landscape=get_land(*land_key), noise=noise,
                                 seed=seed, record="full", **arrays)


@st.cache_data(max_entries=256, ttl=TTL, show_spinner=False)
def sweep(land_key: tuple, choice: OptChoice, grid: tuple, start: tuple, steps: int, noise: float, seed: int,
          tol: float):
    """One optimizer's learning-rate sweep over ``grid`` (all other hyperparameters from ``choice``)."""
    hyper = {k: v for k, v in choice.params if k != "learning_rate"}
    return optimizers.lr_sweep(choice.name, get_land(*land_key), np.asarray(grid), start=np.asarray(start),
                               steps=steps, noise=noise, seed=seed, tol=tol, flavor=choice.flavor, **hyper)


@st.cache_data(max_entries=256, ttl=TTL, show_spinner=False)
def tune(land_key: tuple, choice: OptChoice, grid: tuple, start: tuple, steps: int, noise: float, seed: int):
    """(tuned learning rate or None, its final loss, the best final loss of its two grid neighbours)."""
    hyper = {k: v for k, v in choice.params if k != "learning_rate"}
    best, res = optimizers.tune_learning_rate(choice.name, get_land(*land_key), start=np.asarray(start),
                                              steps=steps, noise=noise, seed=seed, learning_rates=np.asarray(grid),
                                              flavor=choice.flavor, **hyper)
    if best is None:
        return None, None, None
    b = res.best_index
    nb = [j for j in (b - 1, b + 1) if 0 <= j < len(res.final_loss) and res.diverged_at[j] < 0]
    return best, float(res.final_loss[b]), (min(float(res.final_loss[j]) for j in nb) if nb else None)


@st.cache_data(max_entries=64, ttl=TTL, show_spinner=False)
def basin(land_key: tuple, choice: OptChoice, n: int, steps: int, noise: float, seed: int):
    """One optimizer's basin map over an n×n grid of starts, one vectorized run."""
    return optimizers.basin_map(choice.build(), get_land(*land_key), n=n, steps=steps, noise=noise, seed=seed)


def settings_stamp(common: Common, noise: float, seed: int) -> list[str]:
    """Every race setting that is not a default, in words (stamped on the charts and in the exports)."""
    from ui.settings import _fmt
    out = []
    if common.sched != "none":
        detail = {"PiecewiseConstantDecay": f"×1, ×0.1, ×0.01 at steps {common.sched_steps}, {2 * common.sched_steps}",
                  "ExponentialDecay": f"decay_steps {common.sched_steps}, decay_rate {_fmt(common.sched_rate)}",
                  "InverseTimeDecay": f"decay_steps {common.sched_steps}, decay_rate {_fmt(common.sched_rate)}",
                  "PolynomialDecay": f"decay_steps {common.sched_steps}, end {_fmt(common.sched_rate)}×lr"}.get(
            common.sched, f"decay_steps {common.sched_steps}, alpha {_fmt(common.sched_rate)}")
        out.append(f"schedule {common.sched} ({detail})")
    if common.wd > 0:
        out.append(f"weight decay {_fmt(common.wd)}")
    if common.clip != "none":
        out.append(f"{common.clip} {_fmt(common.clipv)}")
    if noise > 0:
        out.append(f"gradient noise σ {_fmt(noise)}, seed {seed}")
    return out

def steps_to_tol(loss, f_star: float | None, tol: float, diverged_at: int | None) -> int:
    """First step whose loss is within ``tol`` of ``f_star`` (of 0 if unknown); −1 if never (or only after
    diverging)."""
    target = 0.0 if f_star is None else f_star
    return int(optimizers.steps_to_tolerance(loss, target, tol, -1 if diverged_at is None else diverged_at))


# --------------------------------------------------------------------------- #
# Fair comparison                                                              #
# --------------------------------------------------------------------------- #
class Tuned(NamedTuple):
    """One optimizer of a fair comparison: what runs, and how its learning rate was chosen."""

    choice: OptChoice                 # what runs (the tuned learning rate in place of the editor's)
    learning_rate: float | None       # the tuned rate; None: no learning rate, or every swept rate diverged
    status: str                       # "tuned" | "diverged" (every swept rate) | "none" (no learning rate)
    loss_at: float | None = None      # final loss at the tuned rate
    loss_nb: float | None = None      # best final loss of its two grid neighbours (None: both diverged)

    def lucky(self, f_star: float | None, tol: float) -> bool:
        """Does the tuned rate beat its grid neighbours by more than 10× (loss gaps to f*)? A sign of an
        oscillation that happens to land near the minimum at the last step."""
        if self.status != "tuned" or self.loss_nb is None or f_star is None:
            return False
        return self.loss_nb - f_star > 10 * max(self.loss_at - f_star, tol)


def tune_choice(land_key: tuple, choice: OptChoice, grid: tuple, start: tuple, steps: int, noise: float,
                seed: int) -> Tuned:
    """The fair-mode setting of ``choice``: its learning rate tuned over ``grid`` (cached sweep, computed
    without the editor's learning rate, so moving that slider does not recompute it)."""
    if not choice.has_learning_rate:
        return Tuned(choice, None, "none")
    lr, loss_at, loss_nb = tune(land_key, choice.without("learning_rate"), grid, start, steps, noise, seed)
    if lr is None:
        return Tuned(choice, None, "diverged")
    return Tuned(choice.with_value("learning_rate", lr), lr, "tuned", loss_at, loss_nb)


@st.cache_data(max_entries=32, ttl=TTL, show_spinner=False)
def basin_groups(land_key: tuple, choices: tuple, n: int, steps: int, noise: float, seed: int, max_groups: int):
    """The end-point groups shared by these optimizers' basin maps (``optimizers.endpoint_groups`` over the
    cached maps), so the same minimum has the same colour in every map."""
    maps = [basin(land_key, c, n, steps, noise, seed) for c in choices]
    panels = [_Panel(m.label, m.final_params) for m in maps]
    return optimizers.endpoint_groups(panels, get_land(*land_key), max_groups=max_groups)


class _Panel(NamedTuple):
    label_map: np.ndarray
    final_params: np.ndarray


# --------------------------------------------------------------------------- #
# Step inspector                                                               #
# --------------------------------------------------------------------------- #
def last_step(traj) -> int:
    """The last inspectable update k: updates after a divergence are frozen, the diverging one is shown."""
    d = traj.diverged_at
    return (traj.steps if d is None else int(d)) - 1


def in_flavor(choice: OptChoice, flavor: str) -> tuple[OptChoice, list[str]]:
    """The same optimizer with the same hyperparameter values in another flavour (see OptChoice.in_flavor)."""
    return choice.in_flavor(flavor)


class FlavourStep(NamedTuple):
    flavor: str
    choice: OptChoice
    traj: object                 # optimizers.Trajectory of this flavour's own run
    k: int                       # the update explained (k, or its last one if it diverged earlier)
    explanation: object          # optimizers.StepExplanation


def flavour_steps(land_key: tuple, choice: OptChoice, start: tuple, steps: int, noise: float, seed: int,
                  k: int, labels: dict) -> tuple[list[FlavourStep], list[str]]:
    """Update ``k`` of ``choice`` in every flavour of its class, each from its own run from the same start.
    Returns the steps and the problems met (Markdown-safe, flavours named by ``labels``)."""
    out, problems = [], []
    for flavor in optimizers.get_class(choice.name).flavors():
        title = labels.get(flavor, flavor)
        fc, dropped = in_flavor(choice, flavor)
        if dropped:
            problems.append(f"{title} has no {', '.join(dropped)}: left out.")
        own = choice.only_in(flavor)
        if own:
            problems.append(f"{title} also has {', '.join(f'{k} (its default {v} is used)' for k, v in own)}.")
        try:
            traj = trajectory(land_key, fc, start, steps, noise, seed)
        except ValueError as exc:
            problems.append(f"{title}: {literal(exc, None)}")
            continue
        fk = min(k, last_step(traj))
        if fk < 0:
            problems.append(f"{title}: the start is unusable.")
            continue
        if fk != k:
            problems.append(f"{title} diverged at step {traj.diverged_at}; its column shows its last update, "
                            f"k = {fk}.")
        out.append(FlavourStep(flavor, fc, traj, fk, optimizers.explain_step(traj, fk)))
    return out, problems


@st.cache_data(max_entries=512, ttl=TTL, show_spinner=False)
def race_run(land_key: tuple, choice: OptChoice, start: tuple, steps: int, noise: float, seed: int,
             common: Common = NO_COMMON, overlays: bool = True):
    """One race entry, one engine run, one cache lookup: (params, loss, diverged_at, overlay vectors or None).

    With ``overlays`` the run is recorded in full (every gradient and state slot) and the teaching-overlay vectors
    are read from it (optimizers.overlays: the state the step inspector shows); the path and loss of a full record
    are the same numbers as :func:`run_path`'s."""
    from optimizers.overlays import overlay_vectors

    traj = optimizers.run(build_optimizer(choice, common), get_land(*land_key), start=np.asarray(start),
                          steps=steps, noise=noise, seed=seed, record="full" if overlays else "path")
    return traj.params, traj.loss, traj.diverged_at, overlay_vectors(traj) if overlays else None
