"""Learning rate: the Kerasy document's line-fit demo, made live.

Same data (y = 2x + 1 + noise, RandomState(0)), same start w₀, same update
w ← w − lr·(2/n)Xᵀ(Xw − y), one column per learning rate (ui.regression_run).
Switch to seeded mini-batches to see the same learning rates with noisy gradients.
URL: lrs, epochs, mode (full|mini), bs, seed, o1.
"""
from __future__ import annotations

import math

import streamlit as st

from charts import regression as rc
from ui.blocks import column_grid, maths_links, plot_config
from optimizers import budget
from ui.budget import show_plan
from ui.page_state import PERSIST, PageSpec, open_page, write_link, plotly_chart
from ui.player import race_player
from ui.regression_run import (DEFAULT_LRS, MAX_LRS, compute_runs, export_html, fmt_lrs, has_learning_rate,
                               lrs_from_link, optimizer_text, page_figures, parse_lrs, player_spec, regression_land,
                               summary)
from ui.settings import Field, OptChoice
from ui.slots import slot_editor
from ui.text import literal

P = "lr_"  # session-state prefix of this page

FIELDS = (
    Field("lrs", "text", fmt_lrs(DEFAULT_LRS), label="Learning rates"),
    Field("epochs", "int", 100, 1, 1000, label="Epochs"),
    Field("mode", "choice", "full", choices=("full", "mini"), label="Gradients"),
    Field("bs", "int", 10, 1, 100, label="Batch size"),
    Field("seed", "int", 0, 0, 2**32 - 1, label="Seed"),
)
DEFAULT_OPT = OptChoice.make("GradientDescent")
SPEC = PageSpec(P, FIELDS, (DEFAULT_OPT,), max_opts=1, n_colors=1)
MODE_LABELS = {"full": "Full batch (the document: one update per epoch)",
               "mini": "Mini-batches (seeded shuffle, the batch size below)"}

st.title("Learning rate")
st.markdown(
    "*“The learning rate hyperparameter controls the rate or speed at which the model learns.”* "
    "This is the Kerasy document's experiment, live: fit a line to 100 noisy points "
    "$y = 2x + 1 + \\varepsilon$ by gradient descent from the same start $w_0$, once per learning rate."
)
open_page(SPEC, seed=lambda params, values: lrs_from_link(P, params, values))

# Controls.
c1, c2, c3 = st.columns([1.1, 1.1, 1])
with c1:
    text = st.text_input(f"Learning rates (comma-separated, up to {MAX_LRS})", key=P + "lrs", persist_state=PERSIST,
                         help="Try 1.1 to watch gradient descent diverge.")
    lrs, problems = parse_lrs(text)
    for p in problems:
        st.warning(f"Learning rates: {literal(p, None)}.", icon=":material/warning:")
    epochs = st.slider("Epochs", 1, 1000, key=P + "epochs", persist_state=PERSIST)
with c2:
    mode = st.radio("Gradients", ("full", "mini"), key=P + "mode", format_func=MODE_LABELS.get, persist_state=PERSIST)
    mini = mode == "mini"
    if mini:
        bs = st.slider("Batch size", 1, 100, key=P + "bs", persist_state=PERSIST,
                       help="Samples per update; 100 samples, so 100 = full batch with shuffling.")
        seed = st.number_input("Seed (batch order)", min_value=0, max_value=2**32 - 1, step=1, key=P + "seed",
                               persist_state=PERSIST)
    else:  # no effect on a full batch: not shown (a control that does nothing is not shown); Streamlit keeps
        # their values (persist_state) for the link and for a switch back to mini-batches
        bs, seed = st.session_state[P + "bs"], st.session_state[P + "seed"]
with c3:
    with st.expander("Optimizer (default: plain gradient descent, as in the document)"):
        # No learning-rate control: each column uses one rate from the list.
        choice = slot_editor(P, st.session_state[P + "slots"][0], hide=("learning_rate",))
        st.caption("Its learning rate is each column's own, from the list.")

# The address bar is always a shareable link to what is shown (it always names the learning rates).
values = {"lrs": fmt_lrs(lrs), "epochs": int(epochs), "mode": mode, "bs": int(bs), "seed": int(seed)}
write_link(SPEC, values, choices=None if choice == DEFAULT_OPT else [choice], always=("lrs",))

# The runs (cached), within the work budget (optimizers/budget.py).
epochs = show_plan(budget.plan_regression(regression_land(), len(lrs), int(epochs), mode, int(bs), rule=choice))["epochs"]
if not has_learning_rate(choice):
    st.info(f"{choice.name} ({choice.flavor}) has no learning rate, so every column shows the same run.")
args = (lrs, int(epochs), mode, int(bs), int(seed), choice)
with st.spinner("Training…"):
    try:
        runs = compute_runs(*args)
        fit_figs, surface_figs = page_figures(*args)
    except ValueError as exc:  # an optimizer the engine cannot apply here (PyTorch's Muon takes matrices only)
        st.error(f"Could not train: {literal(exc, None)}")
        st.stop()
land = regression_land()
st.session_state[P + "runs"] = summary(runs)
st.session_state[P + "least_squares"] = [float(v) for v in land.minima[0]]

# Charts.
mode_text = ("full batch: one update per epoch" if not mini else
             f"mini-batches of {bs}: {math.ceil(land.n_samples / bs)} updates per epoch, seed {seed}")
st.subheader("The fitted line, epoch by epoch")
st.caption(f"{optimizer_text(choice)} · {epochs} epochs · {mode_text}. Dots: the 100 data points; blue: the line "
           "after each of the first 10 epochs, fading in (α = 0.1·epoch, as in the document); red: after the last "
           "epoch. A diverging rate's panel labels its first lines by epoch.")

# One panel per rate, each in its own column with its result under it (they stack on a phone). A result is
# wrapping text (a metric's one-line label and value were cut to "diverged at e…"). Five or six rates: two rows of
# three (six columns left ~100-px plots on a laptop).
for i, (col, r, fig) in enumerate(zip(column_grid(len(runs), len(runs) if len(runs) <= 4 else 3), runs, fit_figs)):
    with col:
        plotly_chart(fig, key=f"{P}fit_chart_{i}", config=plot_config(f"learning-rate-fit-{r.lr:g}"),
                     present_height=round(1.4 * fig.layout.height))  # margins and fonts grow ×1.4 there
        if r.diverged_at is not None:
            st.markdown(f":red[**✖ diverged at epoch {r.diverged_at}**]",
                        help="The parameters left every sensible range (or became non-finite); "
                             "the run is cut at its last good point.")
        else:
            w, b = r.epoch_params[-1]
            st.markdown(f"loss **{r.loss[-1]:.4g}**", help=f"final w = {w:.4f}, b = {b:.4f}")
            st.caption(f"y = {w:.3f}·x + {b:.3f}")

st.subheader("Play it, epoch by epoch")
st.caption("Each column's black line is the fit after the epoch shown, and a marker sits on every rate's loss curve "
           "at that epoch. ▶ Play runs in your browser; ◀ 1 and 1 ▶ move one epoch (keys ← and →), the slider "
           "scrubs, Speed goes from 0.1× to 10× (1× = 10 epochs a second).")
spec = player_spec(*args)  # cached, shared: read only (projected in presentation mode)
# On a projector fonts and margins grow ×1.4: so does the map's height, or a lower row's panel titles would run
# into the x axis above them (the rows are a share of the height).
tall = round(1.4 * spec["map"]["layout"]["height"])
race_player(spec, key=P + "player", present={"map_height": tall, "loss_height": tall})

st.subheader("The same runs on the loss surface")
best = land.minima[0]
st.caption(f"Each path is one learning rate walking over (slope, intercept); ★ is the least-squares fit "
           f"w = {best[0]:.4f}, b = {best[1]:.4f} (loss {land.min_value:.4g}); ○ is the start w₀. "
           "Beside it (below it on a phone): the full-data loss after each epoch, on a log scale.")
for col, fig, key, name in zip(st.columns(2), surface_figs, ("surface_chart", "loss_chart"),
                               ("learning-rate-surface", "learning-rate-loss")):
    with col:
        plotly_chart(fig, key=P + key, config=plot_config(name))

# Exports.
st.markdown("#### Export")
e1, e2, e3 = st.columns(3)
e1.download_button("Runs as CSV", rc.runs_csv(runs), file_name="learning_rate_runs.csv", mime="text/csv",
                   key=P + "csv", help="learning_rate, epoch, slope_w, intercept_b, loss_mse, diverged_at_epoch")
# Built only when clicked: a 5 MB page per session and rerun would add up in a classroom.
e2.download_button("Figures as HTML", data=lambda: export_html(*args), on_click="ignore",
                   file_name="learning_rate.html", mime="text/html", key=P + "html",
                   help="A standalone page that works offline (plotly.js included).")
e3.caption("PNG: use the camera button in a chart's toolbar (works offline).")
maths_links([choice.name])
