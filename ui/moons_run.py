"""The moons page's training: cached across sessions, run in a worker thread for progress and Stop.

``optimizers.train`` trains one small MLP per optimizer on the article's task (every network starts
from the same weights and sees the same batches). A finished training is cached (``st.cache_resource``
keyed on a :class:`TrainKey`), so a class opening the same link trains once. While it runs, the page
shows a progress bar and a Stop button; a stopped training shows what was trained so far and is
never cached.

Shared, not copied: a finished training and its figures are built once per setting and every session
gets the *same* objects (``st.cache_resource``; a ``st.cache_data`` entry is unpickled into a fresh copy
for every run of every session: 2 MB and 0.1–0.2 CPU-s per run, and a copy held per open session).
Every NumPy array in a shared result is read-only, the figures are stored as their JSON
(``ui.shared_figure``), and nothing here changes a shared object after it is built.
"""
from __future__ import annotations

import dataclasses
import math
import re
import threading
from typing import NamedTuple

import numpy as np
import streamlit as st

import landscapes
from charts import moons as mc
from landscapes.base import read_only
from landscapes.moons import MAX_LAYERS, UNITS_RANGE
from optimizers.training import train
from ui.shared_figure import SharedFigure
from ui.text import literal, quoted

TTL = 6 * 3600
MAX_UPDATES = 40_000  # epochs × batches per epoch, per network: keeps a page run under ~half a minute
GRID = 50  # decision-map resolution
DATA_SEED = 42  # the article's make_moons(random_state=42)
DEFAULT_HIDDEN = "12,13,13"


class TrainKey(NamedTuple):
    """Everything a training depends on (the cache key)."""

    choices: tuple  # ui.settings.OptChoice, ...
    epochs: int
    bs: int
    hidden: tuple
    samples: int
    noise: float
    seed: int

    @property
    def batches(self) -> int:
        return math.ceil(self.samples / self.bs)

    @property
    def updates(self) -> int:
        """Updates per network: epochs × batches per epoch."""
        return self.epochs * self.batches


def parse_hidden(text: str) -> tuple:
    """ "12,13,13" -> (12, 13, 13); ValueError with a reason a student can act on (plain text: the
    caller shows it with ui.text.literal)."""
    parts = [p.strip() for p in str(text)[:200].replace(";", ",").split(",")]
    if not parts or parts == [""]:
        raise ValueError("give the sizes of the hidden layers, e.g. 12,13,13")
    sizes = []
    lo, hi = UNITS_RANGE
    for p in parts:
        if not p:
            raise ValueError("a layer size is missing (two commas in a row, or one at an end)")
        # ASCII digits only: str.isdigit() let "²" through to int(), whose own message was shown; and "-3" is a
        # whole number, only out of range (it was called "not a whole number of units")
        if not re.fullmatch(r"[+-]?[0-9]+", p):
            raise ValueError(f"“{p[:12]}” is not a whole number of units")
        sizes.append(int(p))
        if not lo <= sizes[-1] <= hi:
            raise ValueError(f"each layer needs {lo} to {hi} units, got {p[:12]}")
    if not 1 <= len(sizes) <= MAX_LAYERS:
        raise ValueError(f"1 to {MAX_LAYERS} hidden layers, got {len(sizes)}")
    return tuple(sizes)


def hidden_from_link(prefix: str, params: dict, values: dict) -> list[str]:
    """``page_state.open_page`` seed: the link's hidden layers, checked and written as "12,13,13" into the
    box (a bad value: the article's, and a notice)."""
    notices = []
    try:
        hidden = ",".join(map(str, parse_hidden(values["hidden"])))
    except ValueError as exc:
        hidden = DEFAULT_HIDDEN
        notices.append(f"Ignored hidden = {quoted(params.get('hidden', ''))} from the link ({literal(exc, None)}); "
                       f"using the article's {DEFAULT_HIDDEN}.")
    st.session_state[prefix + "hidden"] = hidden
    return notices


def hidden_layers(prefix: str, text: str) -> tuple:
    """The layers typed in the box, or (with an error naming the problem) the last valid ones."""
    try:
        hidden = parse_hidden(text)
        st.session_state[prefix + "hidden_valid"] = hidden
    except ValueError as exc:
        hidden = st.session_state.get(prefix + "hidden_valid", parse_hidden(DEFAULT_HIDDEN))
        st.error(f"Hidden layers: {literal(exc, None)}. Training uses {','.join(map(str, hidden))}.", icon=":material/edit:")
    return hidden


# --------------------------------------------------------------------------- #
# Training, cached                                                              #
# --------------------------------------------------------------------------- #
class Stopped(Exception):
    """Training was stopped early: carries the partial result (never cached)."""

    def __init__(self, result):
        super().__init__("stopped")
        self.result = result


class Job:
    """One training request: the worker thread writes progress here, the page reads it."""

    def __init__(self, key: TrainKey):
        self.key = key
        self.epoch = 0
        self.logs = None
        self.stop = False
        self.result = None
        self.partial = None
        self.error = None
        self.thread = None

    def callback(self, epoch, logs):
        self.epoch, self.logs = epoch, logs
        return not self.stop

    def run(self):
        try:
            self.result = train_cached(self.key, self)
        except Stopped as s:
            self.partial = s.result
        except Exception as exc:  # shown on the page, never a traceback
            self.error = exc


def get_task(samples: int, noise: float, hidden: tuple):
    return landscapes.get("moons", n_samples=samples, noise=noise, data_seed=DATA_SEED, hidden=hidden,
                          validation_split=0.0)


def package(results, choices, task, epochs: int) -> dict:
    """The engine's results as chart inputs: one ``charts.moons.MoonsRun`` per optimizer, the data, the grid."""
    runs = []
    for c, res in zip(choices, results):
        eps = sorted(res.snapshots)
        if eps:
            _, _, maps = task.boundary(np.stack([res.snapshots[e] for e in eps]), n=GRID)
        else:
            maps = np.full((1, GRID, GRID), 0.5)
            eps = [0]
        runs.append(mc.MoonsRun(label=c.label(), name=c.name, history=res.history, epochs=epochs,
                                snapshot_epochs=np.asarray(eps), maps=np.asarray(maps, np.float32),
                                diverged_at=res.diverged_at,
                                stopped_at=res.epochs_run if res.stopped_early else None,
                                extra={"seconds": res.seconds, "steps": res.steps}))
    xs, ys, _ = task.boundary(task.init_params(0), n=GRID)
    return {"runs": runs, "grid": (xs, ys), "X": task.X, "y": task.y, "n_params": task.n_params,
            "seconds": results[0].seconds if results else 0.0}


def freeze(result: dict) -> dict:
    """Mark every array of a training result read-only (it is shared by every session); returns it."""
    for run in result["runs"]:
        read_only(run)
    for value in (result["X"], result["y"], *result["grid"]):
        value.flags.writeable = False
    return result


@st.cache_resource(max_entries=16, ttl=TTL, show_spinner=False)
def train_cached(key: TrainKey, _job: Job | None = None) -> dict:
    """Train every optimizer of ``key`` on the moons task. ``_job`` (not part of the cache key) receives
    progress and may ask to stop; a stopped run raises Stopped, so it is never cached.

    Shared by every session (read-only arrays, never modified): one entry is at most ~1.7 MB (8 networks ×
    21 maps of 50 × 50 float32, plus the histories), so 16 entries stay below ~30 MB."""
    task = get_task(key.samples, key.noise, key.hidden)
    results = train([c.build() for c in key.choices], task, key.epochs, batch_size=key.bs, seed=key.seed,
                    callback=_job.callback if _job else None, boundary_epochs=mc.snapshot_epochs(key.epochs))
    out = package(results, key.choices, task, key.epochs)
    if results and results[0].stopped_early:
        raise Stopped(out)
    return freeze(out)


def outputs(result: dict, colors: tuple, log: bool) -> dict:
    """Figures (:class:`ui.shared_figure.SharedFigure`, serialised once) and the CSV export of a training
    (``colors``: one per run). ``result`` is not modified: the runs are recoloured as shallow copies."""
    runs = [dataclasses.replace(r, color=colors[i] if i < len(colors) else r.color) for i, r in enumerate(result["runs"])]
    multiples, player = mc.page_figures(runs, result["X"], result["y"], result["grid"], log=log)
    # The player's spec (decision maps + loss curves, charts.player) is a plain dict: read only, like the rest.
    return {"figs": tuple(SharedFigure(f) for f in multiples), "player": player, "csv": mc.histories_csv(runs)}


@st.cache_resource(max_entries=16, ttl=TTL, show_spinner=False)
def cached_outputs(key: TrainKey, colors: tuple, log: bool, _result: dict) -> dict:
    """:func:`outputs` of a finished training, built once per (settings, colours, scale) and shared by every
    session (never used for a stopped one). An entry is ~2.7 MB of JSON for the preset (FIGURE_BUDGET caps
    the boundary figure), so 16 entries stay below ~50 MB."""
    return outputs(_result, colors, log)


# --------------------------------------------------------------------------- #
# On the page: progress, Stop, Train again                                      #
# --------------------------------------------------------------------------- #
def _stop(prefix: str, key: TrainKey) -> None:
    job = st.session_state.get(prefix + "job")
    if job is not None and job.key == key and job.result is None:  # not if it finished in the meantime
        job.stop = True
        st.session_state[prefix + "stopped_key"] = key


def _resume(prefix: str) -> None:
    st.session_state.pop(prefix + "stopped_key", None)


def _run_with_progress(prefix: str, key: TrainKey):
    """Train (or fetch from the cache) with a progress bar and a Stop button. Returns the result,
    or None when stopped (the partial result is then in the job)."""
    job = Job(key)
    st.session_state[prefix + "job"] = job
    job.thread = threading.Thread(target=job.run, name="moons-train", daemon=True)
    job.thread.start()
    job.thread.join(0.3)  # a cache hit returns at once: no progress bar flashes
    if job.thread.is_alive():
        n = len(key.choices)
        holder = st.empty()
        box = holder.container()
        bar = box.progress(0.0, text=f"Training {n} networks…")
        box.button("Stop training", key=prefix + "stop", icon=":material/stop:", on_click=_stop, args=(prefix, key),
                   help="Stops after the current epoch and shows what was trained so far (not cached).")
        try:
            while job.thread.is_alive():
                job.thread.join(0.25)
                best = min((lg["loss"] for lg in (job.logs or []) if lg), default=None)
                text = f"Training {n} networks: epoch {job.epoch} of {key.epochs}"
                if best is not None:
                    text += f" · best loss {best:.3g}"
                bar.progress(min(job.epoch / max(key.epochs, 1), 1.0), text=text)
        finally:
            # Interrupted (Stop, another widget, the tab closed): tell the worker to stop too.
            if job.thread.is_alive():
                job.stop = True
        holder.empty()
    if job.error is not None:
        raise job.error
    return job.result


def training(prefix: str, key: TrainKey) -> dict | None:
    """The training for ``key`` as the page shows it: refused (too much work) with a message, the partial
    result of a stopped training with "Train again", or trained (cached) with progress and Stop."""
    st.session_state[prefix + "key"] = key
    if key.updates > MAX_UPDATES:
        st.error(f"That is {key.updates:,} updates per network ({key.epochs} epochs × {key.batches} batches "
                 f"of {key.bs}); the limit is {MAX_UPDATES:,} so that the page answers within about half a "
                 "minute. Lower the epochs or the samples, or raise the batch size.", icon=":material/timer:")
        return None
    if st.session_state.get(prefix + "stopped_key") == key:
        job = st.session_state.get(prefix + "job")
        if job is not None and job.thread is not None:
            job.thread.join(10)  # the worker finishes its current epoch
        partial = job.partial if job is not None and job.key == key else None
        done = max((r.epochs_run for r in partial["runs"]), default=0) if partial else 0
        st.warning(f"Training stopped after epoch {done} of {key.epochs}. What was trained so far is shown "
                   "below (not cached).", icon=":material/stop_circle:")
        st.button("Train again", key=prefix + "resume", on_click=_resume, args=(prefix,),
                  icon=":material/play_arrow:")
        return partial
    try:
        return _run_with_progress(prefix, key)
    except ValueError as exc:  # an optimizer setting the engine rejects
        st.error(f"Could not train: {literal(exc, None)}")
        return None


def summary(result: dict) -> list[dict]:
    """One plain row per run (what the page shows, for tests and exports)."""
    return [{"label": r.label, "name": r.name, "epochs_run": r.epochs_run, "diverged_at": r.diverged_at,
             "loss": float(r.history["loss"][-1]) if r.epochs_run else None,
             "accuracy": float(r.history["accuracy"][-1]) if r.epochs_run else None} for r in result["runs"]]
