"""Moons network: the article's experiment, one small MLP per optimizer, trained side by side.

make_moons(300, noise=0.1, random_state=42), Dense 12-13-13 (ReLU) + softmax, sparse categorical
cross-entropy, batch size 32 — trained like Keras's fit by ``optimizers.train``: every network starts
from the same weights and sees the same batches. Training runs in a worker thread so the page can show
a progress bar and a Stop button; finished results are cached across sessions (st.cache_data keyed on
the settings), so a class opening the same link trains once.
URL: o1..o8, epochs, bs, hidden, samples, noise, seed, log.
"""
from __future__ import annotations

import math
import threading

import numpy as np
import streamlit as st
from streamlit.errors import StreamlitAPIException

import landscapes
import optimizers
from charts import moons as mc
from charts.regression import export_html
from landscapes.moons import MAX_LAYERS, UNITS_RANGE
from optimizers.training import train
from optimizers import budget
from ui import controls
from ui.budget import show_plan
from ui.controls import optimizer_editor, show_notices
from ui.settings import Field, OptChoice, encode_fields, encode_optimizers, read_fields, read_optimizers

# The editor's flavour radio needs a label for every engine flavour (a newer flavour without one would
# crash the radio); fall back to the flavour's own name.
for _flavor in optimizers.FLAVORS:
    controls.FLAVOR_LABELS.setdefault(_flavor, {"pytorch": "PyTorch"}.get(_flavor, _flavor))

P = "moons_"  # session-state prefix of this page
MAX_OPTS = 8
MAX_UPDATES = 40_000  # epochs × batches per epoch, per network: keeps a page run under ~half a minute
GRID = 50  # decision-map resolution
DATA_SEED = 42  # the article's make_moons(random_state=42)
DEFAULT_HIDDEN = "12,13,13"
FIELDS = [
    Field("epochs", "int", 100, 1, 2000, label="Epochs"),
    Field("bs", "int", 32, 1, 2000, label="Batch size"),
    Field("hidden", "text", DEFAULT_HIDDEN, label="Hidden layers"),
    Field("samples", "int", 300, 20, 2000, label="Samples"),
    Field("noise", "float", 0.1, 0.0, 1.0, label="Noise"),
    Field("seed", "int", 0, 0, 2**31 - 1, label="Seed"),
    Field("log", "bool", True, label="Log-scale loss"),
]


canonical = OptChoice.canonical  # default-valued hyperparameters dropped, as the editor returns it


# The article's line-up and learning rates (it runs ten; the page shows at most eight, so RMSprop with
# momentum + centered and AdamW(weight_decay=0.01) are left for "Add optimizer").
DEFAULT_LINEUP = [canonical(c) for c in (
    OptChoice.make("SGD", learning_rate=0.01),
    OptChoice.make("SGD", learning_rate=0.01, momentum=0.9),
    OptChoice.make("SGD", learning_rate=0.01, momentum=0.9, nesterov=True),
    OptChoice.make("Adagrad", learning_rate=0.01),
    OptChoice.make("RMSprop", learning_rate=0.01),
    OptChoice.make("Adam", learning_rate=0.01),
    OptChoice.make("Nadam", learning_rate=0.01),
    OptChoice.make("Lion", learning_rate=0.001),
)]
ADD_ORDER = [canonical(c) for c in (
    OptChoice.make("RMSprop", learning_rate=0.01, momentum=0.9, centered=True),
    OptChoice.make("AdamW", learning_rate=0.01, weight_decay=0.01),
    OptChoice.make("Adam", learning_rate=0.01), OptChoice.make("SGD", learning_rate=0.01, momentum=0.9),
    OptChoice.make("Adamax", learning_rate=0.01), OptChoice.make("Adadelta", learning_rate=1.0),
    OptChoice.make("Lion", learning_rate=0.001), OptChoice.make("GradientDescent", learning_rate=0.1),
)]


def parse_hidden(text: str) -> tuple:
    """ "12,13,13" -> (12, 13, 13); ValueError with a reason a student can act on."""
    parts = [p.strip() for p in str(text)[:200].replace(";", ",").split(",")]
    if not parts or parts == [""]:
        raise ValueError("give the sizes of the hidden layers, e.g. 12,13,13")
    sizes = []
    for p in parts:
        if not p.isdigit():
            raise ValueError(f"`{p[:12]}` is not a whole number of units")
        sizes.append(int(p))
    if not 1 <= len(sizes) <= MAX_LAYERS:
        raise ValueError(f"1 to {MAX_LAYERS} hidden layers, got {len(sizes)}")
    lo, hi = UNITS_RANGE
    bad = [s for s in sizes if not lo <= s <= hi]
    if bad:
        raise ValueError(f"each layer needs {lo} to {hi} units, got {bad[0]}")
    return tuple(sizes)


def updates_per_network(epochs: int, samples: int, bs: int) -> int:
    return int(epochs) * math.ceil(int(samples) / int(bs))


# --------------------------------------------------------------------------- #
# Training: cached across sessions, run in a worker thread for progress + Stop  #
# --------------------------------------------------------------------------- #
class Stopped(Exception):
    """Training was stopped early: carries the partial result (never cached)."""

    def __init__(self, result):
        super().__init__("stopped")
        self.result = result


class Job:
    """One training request: the worker thread writes progress here, the page reads it."""

    def __init__(self, key):
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


@st.cache_data(max_entries=16, ttl=6 * 3600, show_spinner=False)
def train_cached(key: tuple, _job: Job | None = None) -> dict:
    """Train every optimizer of ``key`` on the moons task. ``_job`` (not part of the cache key) receives
    progress and may ask to stop; a stopped run raises Stopped, so it is never cached."""
    choice_keys, epochs, bs, hidden, samples, noise, seed = key
    task = get_task(samples, noise, hidden)
    choices = [OptChoice(*c) for c in choice_keys]
    opts = [c.build() for c in choices]
    results = train(opts, task, epochs, batch_size=bs, seed=seed, callback=_job.callback if _job else None,
                    boundary_epochs=mc.snapshot_epochs(epochs))
    out = package(results, choices, task, epochs)
    if results and results[0].stopped_early:
        raise Stopped(out)
    return out


def make_outputs(result: dict, log: bool) -> dict:
    runs = result["runs"]
    figs = (mc.loss_figure(runs, log=log), mc.multiples_figure(runs, log=log),
            mc.boundary_figure(runs, result["X"], result["y"], result["grid"]))
    return {"figs": figs, "csv": mc.histories_csv(runs)}


@st.cache_data(max_entries=16, ttl=6 * 3600, show_spinner=False)
def cached_outputs(key: tuple, log: bool, _result: dict) -> dict:
    """Figures and exports of a finished training (keyed on its settings; never used for a stopped one)."""
    return make_outputs(_result, log)


def stop_training(key):
    job = st.session_state.get(P + "job")
    if job is not None and job.key == key and job.result is None:  # not if it finished in the meantime
        job.stop = True
        st.session_state[P + "stopped_key"] = key


def resume_training():
    st.session_state.pop(P + "stopped_key", None)


def run_training(key: tuple, epochs: int, n_opts: int):
    """Train (or fetch from the cache) with a progress bar and a Stop button. Returns the result,
    or None when stopped (the partial result is then in the job)."""
    job = Job(key)
    st.session_state[P + "job"] = job
    job.thread = threading.Thread(target=job.run, name="moons-train", daemon=True)
    job.thread.start()
    job.thread.join(0.3)  # a cache hit returns at once: no progress bar flashes
    if job.thread.is_alive():
        holder = st.empty()
        box = holder.container()
        bar = box.progress(0.0, text=f"Training {n_opts} networks…")
        box.button("Stop training", key=P + "stop", icon=":material/stop:", on_click=stop_training, args=(key,),
                   help="Stops after the current epoch and shows what was trained so far (not cached).")
        try:
            while job.thread.is_alive():
                job.thread.join(0.25)
                best = min((lg["loss"] for lg in (job.logs or []) if lg), default=None)
                text = f"Training {n_opts} networks: epoch {job.epoch} of {epochs}"
                if best is not None:
                    text += f" · best loss {best:.3g}"
                bar.progress(min(job.epoch / max(epochs, 1), 1.0), text=text)
        finally:
            # Interrupted (Stop, another widget, the tab closed): tell the worker to stop too.
            if job.thread.is_alive():
                job.stop = True
        holder.empty()
    if job.error is not None:
        raise job.error
    return job.result


# --------------------------------------------------------------------------- #
# State: seeded once from the URL                                               #
# --------------------------------------------------------------------------- #
def _new_slot(choice: OptChoice) -> None:
    sid = st.session_state[P + "next_id"]
    st.session_state[P + "next_id"] = sid + 1
    st.session_state[f"{P}o{sid}_init"] = choice
    st.session_state[P + "slots"].append(sid)


def init_from_url(params: dict) -> list[str]:
    """Seed every widget of the page from URL ``params``; return the notices about bad values."""
    values, notices = read_fields(FIELDS, params)
    try:
        values["hidden"] = ",".join(map(str, parse_hidden(values["hidden"])))
    except ValueError as exc:
        notices.append(f"Ignored `hidden={str(params.get('hidden', ''))[:40]}` from the link ({exc}); "
                       f"using the article's {DEFAULT_HIDDEN}.")
        values["hidden"] = DEFAULT_HIDDEN
    for name, v in values.items():
        st.session_state[P + name] = v
    choices, more = read_optimizers(params, DEFAULT_LINEUP, max_n=MAX_OPTS)
    notices += more
    # Slot ids keep counting across re-initialisations, so no stale editor state of an earlier slot is reused.
    st.session_state[P + "slots"] = []
    st.session_state.setdefault(P + "next_id", 1)
    for c in choices:
        _new_slot(canonical(c))
    return notices


def remove_slot(sid: int) -> None:
    st.session_state[P + "slots"] = [s for s in st.session_state[P + "slots"] if s != sid]


def add_slot() -> None:
    if len(st.session_state[P + "slots"]) >= MAX_OPTS:
        return
    used = {st.session_state.get(f"{P}o{s}_init") for s in st.session_state[P + "slots"]}
    fresh = [c for c in ADD_ORDER if c not in used]  # the article's other settings first
    _new_slot((fresh or ADD_ORDER)[0])


# --------------------------------------------------------------------------- #
# The page                                                                      #
# --------------------------------------------------------------------------- #
st.title("Moons network")
st.markdown(
    "The article's experiment: a small network (two inputs → Dense 12 → 13 → 13, ReLU → softmax) learns to "
    "separate scikit-learn's two moons, once per optimizer. Every network starts from the **same weights** and "
    "sees the **same batches**, exactly like Keras's `fit`, so the differences are the optimizers'.")

# Read the URL on the first visit in a session, and again whenever the page is opened with a different
# link (a preset on the home page, a link inside the app). Reruns see exactly the parameters this page wrote
# last time; opening the page from the sidebar (no parameters) keeps the settings.
url_now = {k: st.query_params[k] for k in st.query_params}
if P + "slots" not in st.session_state or (url_now and url_now != st.session_state.get(P + "written")):
    st.session_state[P + "notices"] = init_from_url(url_now)
else:  # back from another page: widget values were dropped, the last settings were not
    for name, value in st.session_state.get(P + "settings", {}).items():
        st.session_state.setdefault(P + name, value)
show_notices(st.session_state.get(P + "notices", []))

with st.sidebar:
    st.header("Training")
    epochs = st.number_input("Epochs", 1, 2000, step=10, key=P + "epochs",
                             help="The article uses 800 for SGD and Adagrad, 100 for the adaptive optimizers.")
    bs = st.number_input("Batch size", 1, 2000, step=1, key=P + "bs", help="Keras's default (and the article's): 32.")
    hidden_text = st.text_input("Hidden layers (units, comma-separated)", key=P + "hidden", max_chars=60,
                                help=f"1 to {MAX_LAYERS} ReLU layers of {UNITS_RANGE[0]}–{UNITS_RANGE[1]} units. "
                                     "The article: 12,13,13.")
    try:
        hidden = parse_hidden(hidden_text)
        st.session_state[P + "hidden_valid"] = hidden
    except ValueError as exc:
        hidden = st.session_state.get(P + "hidden_valid", parse_hidden(DEFAULT_HIDDEN))
        st.error(f"Hidden layers: {exc}. Training uses {','.join(map(str, hidden))}.", icon="✏️")
    st.header("Data")
    samples = st.number_input("Samples", 20, 2000, step=10, key=P + "samples")
    noise = st.slider("Noise", 0.0, 1.0, step=0.01, key=P + "noise")
    seed = st.number_input("Seed (initial weights and batch order)", 0, 2**31 - 1, step=1, key=P + "seed",
                           help="The data always use the article's random_state=42.")
    log = st.toggle("Log-scale loss", key=P + "log")

slots = st.session_state[P + "slots"]
choices = []
editor = st.expander(f"**Optimizers** (up to {MAX_OPTS}): open to edit, add or remove. Default: the article's line-up.")
for row in range(0, len(slots), 4):
    cols = editor.columns(4)
    for col, sid in zip(cols, slots[row:row + 4]):
        with col.container(border=True):
            i = slots.index(sid)
            head, rm = st.columns([4, 1], vertical_alignment="center")
            head.markdown(f'<span style="display:inline-block;width:1em;height:1em;border-radius:50%;'
                          f'background:{mc.color(i)};vertical-align:middle"></span> **#{i + 1}**',
                          unsafe_allow_html=True)
            rm.button("", icon=":material/close:", key=f"{P}rm{sid}", on_click=remove_slot, args=(sid,),
                      disabled=len(slots) <= 1, help="Remove this optimizer", type="tertiary")
            choices.append(optimizer_editor(f"{P}o{sid}", st.session_state[f"{P}o{sid}_init"]))
editor.button("Add optimizer", icon=":material/add:", key=P + "add", on_click=add_slot,
              disabled=len(slots) >= MAX_OPTS, help=f"Up to {MAX_OPTS} networks train side by side.")

settings = {"epochs": int(epochs), "bs": int(bs), "hidden": hidden_text, "samples": int(samples),
            "noise": float(noise), "seed": int(seed), "log": bool(log)}
st.session_state[P + "settings"] = settings
url = encode_fields(FIELDS, {**settings, "hidden": ",".join(map(str, hidden))})
if [canonical(c) for c in choices] != DEFAULT_LINEUP:
    url.update(encode_optimizers(choices))
if dict(st.query_params) != url:
    st.query_params.from_dict(url)
st.session_state[P + "written"] = url

epochs = show_plan(budget.plan_training(len(choices), hidden, int(samples), int(bs), int(epochs),
                                         mc.MAX_SNAPSHOTS))["epochs"]
key = (tuple((c.name, c.flavor, c.params) for c in choices), int(epochs), int(bs), hidden, int(samples),
       round(float(noise), 6), int(seed))
updates = updates_per_network(epochs, samples, bs)
st.session_state[P + "key"] = key
result = None
if updates > MAX_UPDATES:
    st.error(f"That is {updates:,} updates per network ({int(epochs)} epochs × {math.ceil(samples / bs)} batches "
             f"of {int(bs)}); the limit is {MAX_UPDATES:,} so that the page answers within about half a minute. "
             "Lower the epochs or the samples, or raise the batch size.", icon="⏱️")
elif st.session_state.get(P + "stopped_key") == key:
    job = st.session_state.get(P + "job")
    if job is not None and job.thread is not None:
        job.thread.join(10)  # the worker finishes its current epoch
    partial = job.partial if job is not None and job.key == key else None
    done = max((r.epochs_run for r in partial["runs"]), default=0) if partial else 0
    st.warning(f"Training stopped after epoch {done} of {int(epochs)}. What was trained so far is shown below "
               "(not cached).", icon="⏹️")
    st.button("Train again", key=P + "resume", on_click=resume_training, icon=":material/play_arrow:")
    result = partial
else:
    try:
        result = run_training(key, int(epochs), len(choices))
    except ValueError as exc:  # an optimizer setting the engine rejects
        st.error(f"Could not train: {exc}")

if result is not None:
    runs = result["runs"]
    st.session_state[P + "summary"] = [
        {"label": r.label, "name": r.name, "epochs_run": r.epochs_run, "diverged_at": r.diverged_at,
         "loss": float(r.history["loss"][-1]) if r.epochs_run else None,
         "accuracy": float(r.history["accuracy"][-1]) if r.epochs_run else None} for r in runs]
    partial = any(r.stopped_at is not None for r in runs)
    out = make_outputs(result, bool(log)) if partial else cached_outputs(key, bool(log), result)
    loss_fig, multiples_fig, boundary_fig = out["figs"]
    diverged = [r for r in runs if r.diverged_at is not None]
    if diverged:
        st.warning("**Diverged:** " + "; ".join(f"{r.label} diverged at epoch {r.diverged_at}" for r in diverged)
                   + ". Their curves stop at the last good epoch. Try a smaller learning rate.", icon="💥")
    trained = "stopped early, not cached" if partial else "cached for everyone who opens these settings"
    st.caption(f"{len(runs)} network{'s' if len(runs) != 1 else ''} of {result['n_params']} weights · {int(samples)} samples, noise {noise:g} · "
               f"batch size {int(bs)} ({math.ceil(samples / bs)} updates per epoch) · {int(epochs)} epochs · "
               f"trained in {result['seconds']:.1f} s ({trained}).")

    st.subheader("Loss curves")
    st.plotly_chart(loss_fig, key=P + "loss_chart", config={"displaylogo": False})
    with st.expander("Small multiples: loss and accuracy per optimizer", expanded=True):
        st.plotly_chart(multiples_fig, key=P + "multiples_chart", config={"displaylogo": False})

    st.subheader("Decision boundaries over the epochs")
    st.caption("Each panel colours the plane by the network's P(class 1): blue = class 0, orange = class 1, "
               "white = the decision boundary. Press **▶ Play** to watch the boundaries form, or drag the slider.")
    st.plotly_chart(boundary_fig, key=P + "boundary_chart", config={"displaylogo": False})

    st.markdown("#### Export")
    e1, e2, e3 = st.columns(3)
    e1.download_button("Histories as CSV", out["csv"], file_name="moons_histories.csv", mime="text/csv",
                       key=P + "csv", help="optimizer, epoch, loss, accuracy, eval_loss, eval_accuracy, diverged_at")
    # Built only when clicked (about 8 MB with plotly.js): never kept per session.
    e2.download_button("Figures as HTML", data=lambda: export_html(list(out["figs"]), "Descent Lab: moons network"),
                       on_click="ignore", file_name="moons.html", mime="text/html", key=P + "html",
                       help="A standalone page that works offline (plotly.js included), animation included.")
    e3.caption("PNG: use the camera button in a chart's toolbar (works offline).")

st.markdown("#### The maths of these optimizers")
link_cols = st.columns(4)
for i, name in enumerate(dict.fromkeys(c.name for c in choices)):
    with link_cols[i % 4]:
        try:
            st.page_link("pages/maths.py", label=name, icon=":material/functions:",
                         query_params={"opt": name})
        except (StreamlitAPIException, KeyError):  # the maths page is not in this app's navigation
            st.caption(f"The maths of {name}: see the maths page.")
