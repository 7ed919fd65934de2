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
