"""Learning rate: the Kerasy document's line-fit demo, made live.

Same data (y = 2x + 1 + noise, RandomState(0)), same start w₀, same update
w ← w − lr·(2/n)Xᵀ(Xw − y), one column per learning rate. Switch to seeded
mini-batches to see the same learning rates with noisy gradients.
URL: lrs, epochs, mode (full|mini), bs, seed, o1.
"""
from __future__ import annotations

import math

import numpy as np
import streamlit as st
from streamlit.errors import StreamlitAPIException

import landscapes
import optimizers
from charts import regression as rc
from landscapes.base import read_only
from optimizers.training import train
from optimizers import budget
from ui import controls
from ui.budget import show_plan
from ui.controls import optimizer_editor, show_notices
from ui.settings import Field, OptChoice, encode_fields, read_fields, read_optimizers

DEFAULT_LRS = (0.01, 0.1, 0.5)
MAX_LRS = 6
LR_LOW, LR_HIGH = 0.0, 100.0  # exclusive, inclusive
FIELDS = [
    Field("epochs", "int", 100, 1, 1000, label="Epochs"),
    Field("mode", "choice", "full", choices=("full", "mini"), label="Gradients"),
    Field("bs", "int", 10, 1, 100, label="Batch size"),
    Field("seed", "int", 0, 0, 2**32 - 1, label="Seed"),
]
DEFAULT_OPT = OptChoice.make("GradientDescent")
MODE_LABELS = {"full": "Full batch (the document: one update per epoch)",
               "mini": "Mini-batches (seeded shuffle, batch size bs)"}
K = "lr_"  # widget-key prefix of this page

# The editor's flavour radio needs a label for every engine flavour (a newer flavour without one
# would crash the radio); fall back to the flavour's own name.
for _flavor in optimizers.FLAVORS:
    controls.FLAVOR_LABELS.setdefault(_flavor, _flavor)


def optimizer_text(choice: OptChoice) -> str:
    """The optimizer without a learning rate (each column has its own): "SGD (momentum 0.9)"."""
    bits = [f"{k} {v:g}" if not isinstance(v, bool) else k for k, v in choice.params
            if k != "learning_rate" and v is not False]
    if choice.flavor != "keras":
        bits.append(choice.flavor)
    return choice.name + (f" ({', '.join(bits)})" if bits else "")


def fmt_lrs(lrs) -> str:
    return ",".join(f"{v:.10g}" for v in lrs)


def parse_lrs(text: str) -> tuple[tuple, list[str]]:
    """Learning rates from "0.01, 0.1, 0.5": (usable values, problems). Never raises."""
    values, problems = [], []
    tokens = [t.strip() for t in str(text)[:500].replace(";", ",").split(",")]
    for tok in tokens:
        if not tok:
            continue
        try:
            v = float(tok)
        except ValueError:
            problems.append(f"`{tok[:20]}` is not a number")
            continue
        if not math.isfinite(v) or not LR_LOW < v <= LR_HIGH:
            problems.append(f"`{tok[:20]}` is outside (0, {LR_HIGH:g}]")
            continue
        if v not in values:
            values.append(v)
    if len(values) > MAX_LRS:
        problems.append(f"at most {MAX_LRS} learning rates; kept the first {MAX_LRS}")
        values = values[:MAX_LRS]
    if not values:
        problems.append("no usable learning rate; using the document's 0.01, 0.1, 0.5")
        values = list(DEFAULT_LRS)
    return tuple(values), problems


# --------------------------------------------------------------------------- #
# Computation (cached across sessions: a class opening the same link runs it once)
# --------------------------------------------------------------------------- #
@st.cache_resource(show_spinner=False)
def regression_land():
    return read_only(landscapes.get("regression"))  # shared by every session


@st.cache_data(max_entries=64, ttl=3600, show_spinner=False)
def compute_runs(lrs: tuple, epochs: int, mode: str, bs: int, seed: int, opt_code: str) -> list:
    land = regression_land()
    choice = OptChoice.decode(opt_code)
    opts = [choice.build(learning_rate=lr) for lr in lrs]
    runs = []
    if mode == "full":
        # One update per epoch on the full data set: exactly the document's loop.
        for lr, opt in zip(lrs, opts):
            traj = optimizers.run(opt, land, steps=epochs, record="path")
            p = traj.path()
            runs.append(rc.LRRun(lr, p, p, traj.loss[:len(p)].copy(), traj.diverged_at, epochs))
    else:
        # All learning rates see the same shuffled batches (train() stacks the models).
        results = train(opts, land, epochs, batch_size=bs, seed=seed)
        loss0 = float(land.loss(land.start))
        for lr, res in zip(lrs, results):
            loss = np.r_[loss0, res.history.get("eval_loss", np.zeros(0))]
            runs.append(rc.LRRun(lr, res.params, res.path, loss, res.diverged_at, epochs))
    return runs


@st.cache_data(max_entries=64, ttl=3600, show_spinner=False)
def build_figures(lrs, epochs, mode, bs, seed, opt_code):
    runs = compute_runs(lrs, epochs, mode, bs, seed, opt_code)
    land = regression_land()
    return rc.fit_figure(runs, land.X[:, 0], land.y), rc.surface_figure(runs, land)


@st.cache_data(max_entries=16, ttl=3600, show_spinner=False)
def export_html(lrs, epochs, mode, bs, seed, opt_code) -> str:
    # Built once per settings (plotly.js is embedded: ~5 MB), not on every rerun.
    return rc.export_html(list(build_figures(lrs, epochs, mode, bs, seed, opt_code)), "Descent Lab: learning rate")


# --------------------------------------------------------------------------- #
# Settings: URL on the first run, widgets afterwards                            #
# --------------------------------------------------------------------------- #
def seed_from_url(params: dict):
    """Seed every widget of the page from URL ``params`` (bad values: default + a notice)."""
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(K + "o1_")]:
        del st.session_state[key]  # the optimizer editor re-seeds itself from the link's o1
    values, notices = read_fields(FIELDS, params)
    lrs = DEFAULT_LRS
    if "lrs" in params:
        lrs, problems = parse_lrs(params["lrs"])
        for p in problems:
            notices.append(f"Link parameter `lrs`: {p}.")
    opts, opt_notices = read_optimizers(params, [DEFAULT_OPT], max_n=1)
    notices += opt_notices
    choice = opts[0]
    if "learning_rate" in choice.kwargs:
        notices.append("The optimizer's own learning rate in `o1` is ignored: the learning rates come from `lrs`.")
        choice = OptChoice(choice.name, choice.flavor, tuple(p for p in choice.params if p[0] != "learning_rate"))
    st.session_state[K + "lrs"] = ", ".join(f"{v:g}" for v in lrs)
    for f in FIELDS:
        st.session_state[K + f.name] = values[f.name]
    st.session_state[K + "choice"] = choice
    st.session_state[K + "notices"] = notices
    st.session_state[K + "ready"] = True


# Read the URL on the first visit in a session, and again whenever the page is opened with a different
# link (a preset on the home page, a link inside the app). Reruns see exactly the parameters this page wrote
# last time; opening the page from the sidebar (no parameters) keeps the settings.
url_now = {k: st.query_params[k] for k in st.query_params}
if not st.session_state.get(K + "ready") or (url_now and url_now != st.session_state.get(K + "written")):
    seed_from_url(url_now)
else:
    # Coming back from another page: widget values were dropped, the last settings were not.
    last = st.session_state.get(K + "settings", {})
    for name, value in last.items():
        st.session_state.setdefault(K + name, value)

st.title("Learning rate")
st.markdown(
    "*“The learning rate hyperparameter controls the rate or speed at which the model learns.”* "
    "This is the Kerasy document's experiment, live: fit a line to 100 noisy points "
    "$y = 2x + 1 + \\varepsilon$ by gradient descent from the same start $w_0$, once per learning rate."
)
show_notices(st.session_state.get(K + "notices", []))

c1, c2, c3 = st.columns([1.1, 1.1, 1])
with c1:
    text = st.text_input("Learning rates (comma-separated, up to 6)", key=K + "lrs",
                         help="Try 1.1 to watch gradient descent diverge.")
    lrs, problems = parse_lrs(text)
    for p in problems:
        st.warning(f"Learning rates: {p}.", icon="⚠️")
    epochs = st.slider("Epochs", 1, 1000, key=K + "epochs")
with c2:
    mode = st.radio("Gradients", ("full", "mini"), key=K + "mode", format_func=MODE_LABELS.get)
    mini = mode == "mini"
    bs = st.slider("Batch size", 1, 100, key=K + "bs", disabled=not mini,
                   help="Samples per update; 100 samples, so 100 = full batch with shuffling.")
    seed = st.number_input("Seed (batch order)", min_value=0, max_value=2**32 - 1, step=1, key=K + "seed",
                           disabled=not mini)
with c3:
    with st.expander("Optimizer (default: plain gradient descent, as in the document)"):
        edited = optimizer_editor(K + "o1", st.session_state.get(K + "choice", DEFAULT_OPT))
        st.caption("Its own `learning_rate` slider is not used here: each column uses one rate from the list.")
    choice = OptChoice(edited.name, edited.flavor, tuple(p for p in edited.params if p[0] != "learning_rate"))
    st.session_state[K + "choice"] = choice

settings = {"lrs": text, "epochs": int(epochs), "mode": mode, "bs": int(bs), "seed": int(seed)}
st.session_state[K + "settings"] = settings

# The address bar is always a shareable link to what is shown.
url = {"lrs": fmt_lrs(lrs)}  # always: a link names the learning rates it shows
url.update(encode_fields(FIELDS, settings))
if choice != DEFAULT_OPT:
    url["o1"] = choice.encode()
if dict(st.query_params) != url:
    st.query_params.from_dict(url)
st.session_state[K + "written"] = url

if "learning_rate" not in {p.name for p in optimizers.spec(choice.name, choice.flavor)}:
    st.info(f"{choice.name} ({choice.flavor}) has no learning rate, so every column shows the same run.")

epochs = show_plan(budget.plan_regression(regression_land(), len(lrs), int(epochs), mode, int(bs)))["epochs"]
args = (lrs, int(epochs), mode, int(bs), int(seed), choice.encode())
with st.spinner("Training…"):
    runs = compute_runs(*args)
    fit_fig, surface_fig = build_figures(*args)
land = regression_land()
st.session_state[K + "runs"] = [
    {"lr": r.lr, "final": [float(v) for v in r.epoch_params[-1]], "loss": float(r.loss[-1]),
     "epochs_run": len(r.loss) - 1, "diverged_at": r.diverged_at} for r in runs]
st.session_state[K + "least_squares"] = [float(v) for v in land.minima[0]]

mode_text = ("full batch: one update per epoch" if not mini else
             f"mini-batches of {bs}: {math.ceil(land.n_samples / bs)} updates per epoch, seed {seed}")
st.subheader("The fitted line, epoch by epoch")
st.caption(f"{optimizer_text(choice)} · {epochs} epochs · {mode_text}. Blue: the line after each of the first 10 "
           "epochs, fading in (α = 0.1·epoch, as in the document); red: after the last epoch.")
st.plotly_chart(fit_fig, key=K + "fit_chart", config={"displaylogo": False})

cols = st.columns(len(runs))
for col, r in zip(cols, runs):
    with col:
        if r.diverged_at is not None:
            st.metric(f"learning_rate={r.lr:g}", f"diverged at epoch {r.diverged_at}",
                      help="The parameters left every sensible range (or became non-finite); "
                           "the run is cut at its last good point.")
        else:
            w, b = r.epoch_params[-1]
            st.metric(f"learning_rate={r.lr:g}", f"loss {r.loss[-1]:.4g}", help=f"final w = {w:.4f}, b = {b:.4f}")
            st.caption(f"y = {w:.3f}·x + {b:.3f}")

st.subheader("The same runs on the loss surface")
best = land.minima[0]
st.caption(f"Each path is one learning rate walking over (slope, intercept); ★ is the least-squares fit "
           f"w = {best[0]:.4f}, b = {best[1]:.4f} (loss {land.min_value:.4g}); ○ is the start w₀. "
           "Right: the full-data loss after each epoch, on a log scale.")
st.plotly_chart(surface_fig, key=K + "surface_chart", config={"displaylogo": False})

st.markdown("#### Export")
e1, e2, e3 = st.columns(3)
with e1:
    st.download_button("Runs as CSV", rc.runs_csv(runs), file_name="learning_rate_runs.csv", mime="text/csv",
                       key=K + "csv", help="learning_rate, epoch, slope_w, intercept_b, loss_mse, diverged_at_epoch")
with e2:
    # Built only when clicked: a 5 MB page per session and rerun would add up in a classroom.
    st.download_button("Figures as HTML", data=lambda: export_html(*args), on_click="ignore",
                       file_name="learning_rate.html", mime="text/html", key=K + "html",
                       help="A standalone page that works offline (plotly.js included).")
with e3:
    st.caption("PNG: use the camera button in a chart's toolbar (works offline).")

try:
    st.page_link("pages/maths.py", label=f"The maths of {choice.name}", icon=":material/functions:",
                 query_params={"opt": choice.name})
except (StreamlitAPIException, KeyError):  # the maths page is not in this app's navigation
    st.caption(f"The maths of {choice.name}: see the maths page.")
