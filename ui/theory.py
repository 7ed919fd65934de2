"""Cached engine calls of the "See the theory" page, with a progress bar for the slow ones.

Each computation is keyed on plain settings and cached with ``st.cache_data`` (shared by every session:
a class opening one link computes it once). A computation that is not cached yet runs in a worker thread
while the page shows its progress (the engine reports it through a callback); a cache hit returns at once
and shows no bar.
"""
from __future__ import annotations

import threading
import time

import numpy as np
import streamlit as st
from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

import landscapes
import optimizers
from landscapes.moons_hessian import MoonsHessian
from optimizers import momentum_phase as mp
from optimizers import sharpness as sh
from optimizers import weight_plane as wp
from ui.settings import OptChoice

TTL = 6 * 3600
# The moons task of the plane view: the article's (and the moons page's default) settings.
MOONS = dict(n_samples=300, noise=0.1, data_seed=42, hidden=(12, 13, 13))
BATCH_SIZE = 32


class _Job:
    def __init__(self):
        self.done = 0.0
        self.result = None
        self.error = None


def with_progress(fn, *args, text: str, **kwargs):
    """``fn(*args, _progress=callback, **kwargs)`` with a progress bar while it runs (none on a cache hit)."""
    job = _Job()

    def progress(k, n):
        job.done = k / max(n, 1)

    def work():
        try:
            job.result = fn(*args, _progress=progress, **kwargs)
        except Exception as exc:  # shown by the page, never a traceback
            job.error = exc

    thread = threading.Thread(target=work, name="theory-compute", daemon=True)
    add_script_run_ctx(thread, get_script_run_ctx())
    t0 = time.perf_counter()
    thread.start()
    thread.join(0.3)
    if thread.is_alive():
        bar = st.progress(0.0, text=text)
        while thread.is_alive():
            thread.join(0.2)
            bar.progress(min(job.done, 1.0), text=f"{text} {100 * min(job.done, 1.0):.0f} % · "
                                                  f"{time.perf_counter() - t0:.1f} s")
        bar.empty()
    if job.error is not None:
        raise job.error
    return job.result


# --------------------------------------------------------------------------- #
# Phase diagram                                                                 #
# --------------------------------------------------------------------------- #
@st.cache_data(max_entries=32, ttl=TTL, show_spinner=False)
def phase_diagram(method: str, kappa: float, steps: int, _progress=None) -> dict:
    """The measured 200×200 diagram and its theory, as plain data (plus the wall time)."""
    land = landscapes.get("quadratic", condition=float(kappa))
    t0 = time.perf_counter()
    d = mp.measure(method, land, steps=int(steps), callback=_progress)
    return {"diagram": d, "boundary": mp.boundary_eta(method, d.betas, d.eigenvalues[1]),
            "seconds": time.perf_counter() - t0}


@st.cache_data(max_entries=256, ttl=TTL, show_spinner=False)
def cell_run(method: str, kappa: float, eta: float, beta: float, steps: int) -> dict:
    """One (η, β) on the quadratic: the distance to the minimum at every step, and the theoretical rate."""
    land = landscapes.get("quadratic", condition=float(kappa))
    opt = optimizers.get("SGD", learning_rate=float(eta), momentum=float(beta), nesterov=method == "nesterov")
    traj = optimizers.run(opt, land, steps=int(steps), record="full")
    w = traj.params
    v = np.asarray(traj.slots.get("momentum", np.zeros_like(w)))
    lam = np.linalg.eigvalsh(land.A)
    return {"dist": np.sqrt(np.sum(w * w, axis=-1)), "state": np.sqrt(np.sum(w * w, axis=-1) + np.sum(v * v, axis=-1)),
            "rho": float(mp.spectral_radius(method, eta, beta, lam)), "diverged_at": traj.diverged_at}


# --------------------------------------------------------------------------- #
# Edge of stability                                                             #
# --------------------------------------------------------------------------- #
def eos_landscape(land: str, noise: float):
    if land == "moons":
        task = landscapes.get("moons", n_samples=300, noise=float(noise), data_seed=42, hidden=(12, 13, 13))
        return task, MoonsHessian(task).hvp
    task = landscapes.get(land)
    return task, None


@st.cache_data(max_entries=32, ttl=TTL, show_spinner=False)
def eos_run(land: str, noise: float, optimizer: str, lrs: tuple, momentum: float, steps: int, every: int,
            batch_size: int, _progress=None) -> dict:
    task, hvp = eos_landscape(land, noise)
    hyper = {"momentum": float(momentum)} if optimizer == "SGD" and momentum > 0 else {}
    res = sh.edge_of_stability(optimizer, task, list(lrs), steps=int(steps), every=int(every),
                               batch_size=None if batch_size <= 0 else int(batch_size), hvp=hvp,
                               callback=_progress, **hyper)
    return {"result": res, "hover": [sh.hovering(res, i) for i in range(len(lrs))]}


# --------------------------------------------------------------------------- #
# The network's plane                                                           #
# --------------------------------------------------------------------------- #
def moons_task():
    return landscapes.get("moons", **MOONS)


@st.cache_data(max_entries=16, ttl=TTL, show_spinner=False)
def plane_paths(choices: tuple, epochs: int, seed: int, _progress=None) -> dict:
    """Train every optimizer of ``choices`` ((name, flavor, params) keys) side by side; every epoch's θ."""
    task = moons_task()
    opts = [OptChoice(*c).build() for c in choices]
    t0 = time.perf_counter()
    theta0, runs, _ = wp.trajectories(opts, task, int(epochs), batch_size=BATCH_SIZE, seed=int(seed),
                                      callback=(lambda e, logs: _progress(e, epochs)) if _progress else None)
    return {"theta0": theta0, "runs": runs, "seconds": time.perf_counter() - t0}


@st.cache_data(max_entries=16, ttl=TTL, show_spinner=False)
def plane(choices: tuple, epochs: int, seed: int, kind: str, n: int, _progress=None) -> dict:
    paths = plane_paths(choices, epochs, seed, _progress=_progress)
    t0 = time.perf_counter()
    res = wp.landscape_plane(moons_task(), paths["theta0"], paths["runs"], kind=kind, n=int(n), seed=int(seed))
    return {"result": res, "train_seconds": paths["seconds"], "plane_seconds": time.perf_counter() - t0}
