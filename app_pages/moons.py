"""Moons network: the article's experiment, one small MLP per optimizer, trained side by side.

make_moons(300, noise=0.1, random_state=42), Dense 12-13-13 (ReLU) + softmax, sparse categorical
cross-entropy, batch size 32, trained like Keras's fit (ui.moons_run: cached across sessions, with
progress and Stop). URL: o1..o8, epochs, bs, hidden, samples, noise, seed, log.
"""
from __future__ import annotations

import streamlit as st

from charts import moons as mc
from charts.player import player_html
from landscapes.moons import MAX_LAYERS, UNITS_RANGE
from ui.blocks import column_grid, diverged_warning, maths_links, plot_config, stalled_warning
from ui.moons_run import DEFAULT_HIDDEN, TrainKey, cached_outputs, hidden_from_link, hidden_layers, outputs, summary, training
from optimizers import budget
from ui.budget import show_plan
from ui.page_state import PERSIST, PageSpec, open_page, write_link, plotly_chart
from ui.player import race_player
from ui.settings import Field, OptChoice
from ui.slots import closed_slots, slot_editors

P = "moons_"  # session-state prefix of this page
MAX_OPTS = 8
FIELDS = (
    Field("epochs", "int", 100, 1, 2000, label="Epochs"),
    Field("bs", "int", 32, 1, 2000, label="Batch size"),
    Field("hidden", "text", DEFAULT_HIDDEN, label="Hidden layers"),
    Field("samples", "int", 300, 20, 2000, label="Samples"),
    Field("noise", "float", 0.1, 0.0, 1.0, label="Noise"),
    Field("seed", "int", 0, 0, 2**31 - 1, label="Seed"),
    Field("log", "bool", True, label="Log-scale loss"),
)
canonical = OptChoice.canonical  # default-valued hyperparameters dropped, as the editor returns it
# The article's line-up and learning rates (it runs ten; the page shows at most eight, so RMSprop with
# momentum + centered and AdamW(weight_decay=0.01) are left for "Add optimizer").
DEFAULT_LINEUP = tuple(canonical(c) for c in (
    OptChoice.make("SGD", learning_rate=0.01),
    OptChoice.make("SGD", learning_rate=0.01, momentum=0.9),
    OptChoice.make("SGD", learning_rate=0.01, momentum=0.9, nesterov=True),
    OptChoice.make("Adagrad", learning_rate=0.01),
    OptChoice.make("RMSprop", learning_rate=0.01),
    OptChoice.make("Adam", learning_rate=0.01),
    OptChoice.make("Nadam", learning_rate=0.01),
    OptChoice.make("Lion", learning_rate=0.001),
))
# What "Add optimizer" offers next: the first of these not on the page yet (the article's other settings first).
ADD_ORDER = [canonical(c) for c in (
    OptChoice.make("RMSprop", learning_rate=0.01, momentum=0.9, centered=True),
    OptChoice.make("AdamW", learning_rate=0.01, weight_decay=0.01),
    OptChoice.make("Adam", learning_rate=0.01), OptChoice.make("SGD", learning_rate=0.01, momentum=0.9),
    OptChoice.make("Adamax", learning_rate=0.01), OptChoice.make("Adadelta", learning_rate=1.0),
    OptChoice.make("Lion", learning_rate=0.001), OptChoice.make("GradientDescent", learning_rate=0.1),
)]
SPEC = PageSpec(P, FIELDS, DEFAULT_LINEUP, MAX_OPTS, len(mc.COLORS))

st.title("Moons network")
st.markdown(
    "The article's experiment: a small network (two inputs → Dense 12 → 13 → 13, ReLU → softmax) learns to "
    "separate scikit-learn's two moons, once per optimizer. Every network starts from the **same weights** and "
    "sees the **same batches**, exactly like Keras's `fit`, so the differences are the optimizers'.")
open_page(SPEC, seed=lambda params, values: hidden_from_link(P, params, values))

# Controls.
with st.sidebar:
    st.header("Training")
    epochs = st.number_input("Epochs", 1, 2000, step=10, key=P + "epochs", persist_state=PERSIST,
                             help="The article uses 800 for SGD and Adagrad, 100 for the adaptive optimizers.")
    bs = st.number_input("Batch size", 1, 2000, step=1, key=P + "bs", persist_state=PERSIST,
                         help="Keras's default (and the article's): 32.")
    hidden_text = st.text_input("Hidden layers (units, comma-separated)", key=P + "hidden", max_chars=60,
                                persist_state=PERSIST,
                                help=f"1 to {MAX_LAYERS} ReLU layers of {UNITS_RANGE[0]}–{UNITS_RANGE[1]} units. "
                                     "The article: 12,13,13.")
    hidden = hidden_layers(P, hidden_text)
    st.header("Data")
    samples = st.number_input("Samples", 20, 2000, step=10, key=P + "samples", persist_state=PERSIST)
    noise = st.slider("Noise", 0.0, 1.0, step=0.01, key=P + "noise", persist_state=PERSIST)
    seed = st.number_input("Seed (initial weights and batch order)", 0, 2**31 - 1, step=1, key=P + "seed",
                           persist_state=PERSIST, help="The data always use the article's random_state=42.")
    log = st.toggle("Log-scale loss", key=P + "log", persist_state=PERSIST)

# The editors are built only while the box is open (on_change="rerun"); closed, the line-up is read from the state.
with st.expander(f"**Optimizers** (up to {MAX_OPTS}): open to edit, add or remove. Default: the article's line-up.",
                 key=P + "editors", on_change="rerun") as editors_box:
    picked = slot_editors(P, mc.COLORS, MAX_OPTS, ADD_ORDER, "Remove this optimizer",
                          f"Up to {MAX_OPTS} networks train side by side.", distinct="choice") \
        if editors_box.open else closed_slots(P, mc.COLORS)
choices = tuple(choice for _, _, choice in picked)
colors = tuple(colour for _, colour, _ in picked)

# The address bar: a link to exactly this (the article's line-up is left out: short links).
values = {"epochs": int(epochs), "bs": int(bs), "hidden": ",".join(map(str, hidden)), "samples": int(samples),
          "noise": float(noise), "seed": int(seed), "log": bool(log)}
write_link(SPEC, values, choices=None if choices == DEFAULT_LINEUP else list(choices))

# Training (cached), within the work budget (optimizers/budget.py).
epochs = show_plan(budget.plan_training(choices, hidden, int(samples), int(bs), int(epochs),
                                         mc.MAX_SNAPSHOTS))["epochs"]
key = TrainKey(choices, int(epochs), int(bs), hidden, int(samples), round(float(noise), 6), int(seed))
result = training(P, key)

# Charts and exports.
if result is not None:
    runs = result["runs"]
    st.session_state[P + "summary"] = summary(result)
    partial = any(r.stopped_at is not None for r in runs)
    out = outputs(result, colors, bool(log)) if partial else cached_outputs(key, colors, bool(log), result)
    multiples, spec = out["figs"], out["player"]  # one small-multiples figure per network
    diverged_warning(runs, "Try a smaller learning rate.", unit="epoch",
                     stop="Their curves stop at the last good epoch (✖).")
    stalled_warning(runs)
    trained = "stopped early, not cached" if partial else "cached for everyone who opens these settings"
    st.caption(f"{len(runs)} network{'s' if len(runs) != 1 else ''} of {result['n_params']} weights · "
               f"{key.samples} samples, noise {key.noise:g} · batch size {key.bs} ({key.batches} updates per "
               f"epoch) · {key.epochs} epochs · trained in {result['seconds']:.1f} s ({trained}).")

    st.subheader("Decision boundaries and loss, epoch by epoch")
    st.caption("Each panel colours the plane by the network's P(class 1): blue = class 0, orange = class 1, "
               "white = the decision boundary. ▶ Play runs in your browser: the maps and the marker on every loss "
               "curve move together; ◀ 1 and 1 ▶ move one recorded snapshot (keys ← and →), the slider scrubs, "
               f"Speed goes from 0.1× to 10× (1× = {spec['base_rate']:g} snapshots a second).")
    race_player(spec, key=P + "player", present={"map_height": 800, "loss_height": 800})
    with st.expander("Small multiples: loss and accuracy per optimizer (shared scales)", expanded=True):
        # Four a row on a laptop; Streamlit's columns stack on a phone (one figure of four cells a row was
        # squeezed to ~70 px a cell there, titles running together).
        for i, (col, fig) in enumerate(zip(column_grid(len(multiples), min(len(multiples), 4)), multiples)):
            with col:
                plotly_chart(fig, key=f"{P}multiples_chart_{i}", config=plot_config(f"moons-multiples-{i + 1}"))

    def export_settings() -> list[str]:
        """Everything that produced these networks, one line each (the export carries it)."""
        return ([f"make_moons({key.samples}, noise={key.noise:g}, random_state=42); hidden layers "
                 f"{', '.join(map(str, key.hidden))} (ReLU) + softmax; seed {key.seed}",
                 f"batch size {key.bs}, {key.epochs} epochs ({key.batches} updates per epoch)"]
                + [f"#{i + 1} {c.label()} [{c.flavor}]" for i, c in enumerate(choices)])

    st.markdown("#### Export")
    e1, e2, e3 = st.columns(3)
    e1.download_button("Histories as CSV", out["csv"], file_name="moons_histories.csv", mime="text/csv",
                       key=P + "csv", help="optimizer, epoch, loss, accuracy, eval_loss, eval_accuracy, diverged_at")
    # Built only when clicked (about 8 MB with plotly.js): never kept per session.
    e2.download_button("Figures as HTML", data=lambda: player_html(spec, "Descent Lab: moons network",
                                                                    export_settings(), [f.json for f in multiples]),
                       on_click="ignore", file_name="moons.html", mime="text/html", key=P + "html",
                       help="A standalone page that works offline (plotly.js included): the same player "
                            "(maps and loss curves), then the small multiples.")
    e3.caption("PNG: use the camera button in a chart's toolbar (works offline).")

st.markdown("#### The maths of these optimizers")
maths_links((c.name for c in choices), per_row=4)
