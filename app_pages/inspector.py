"""Step inspector: why does the path bend? One update of one optimizer, taken apart.

Glue: settings (ui.page_state: seeded from a new link, kept by Streamlit across
pages) → one cached run recorded in full (ui.compute.trajectory) →
``optimizers.explain_step`` replays update k with the engine's own rule from the
recorded state → figures and tables from ``charts.inspector``. The address bar
always holds a link to the same step (land, expr, start, steps, noise, seed, o1,
k, cmp, zoom).
"""
from __future__ import annotations

import numpy as np
import streamlit as st

from charts import inspector as ic
from charts.race import Prebuilt
import optimizers
from optimizers import explain_step
from ui.blocks import maths_links, plot_config
from ui.compute import flavour_steps, last_step, point_sequences, trajectory
from ui.controls import FLAVOR_LABELS
from ui.landscape_picker import LANDS, START, get_background, landscape_and_start, run_settings, seed_landscape
from optimizers import budget
from ui.budget import show_plan
from ui.page_state import PERSIST, PageSpec, add_notice, open_page, show_notices, write_link, plotly_chart
from ui.settings import Field, OptChoice
from ui.slots import only_editor
from ui.text import literal, quoted

P = "insp_"  # session-state prefix of this page
DEFAULT_LAND = "rosenbrock" if "rosenbrock" in LANDS else LANDS[0]
DEFAULT_EXPR = "x**2 + 3*sin(y)"
MAX_STEPS = 2000
ZOOMS = {"step": "around the step", "all": "whole landscape"}
FIELDS = (
    Field("land", "choice", DEFAULT_LAND, choices=tuple(LANDS), label="Landscape"),
    Field("expr", "text", DEFAULT_EXPR, label="Formula"),
    Field("steps", "int", 200, 1, MAX_STEPS, label="Steps"),
    Field("noise", "float", 0.0, 0.0, 10.0, label="Gradient noise"),
    Field("seed", "int", 0, 0, 2**31 - 1, label="Seed"),
    Field("k", "int", 0, 0, None, label="Inspected step"),
    Field("cmp", "bool", False, label="Compare flavours"),
    Field("zoom", "choice", "step", choices=tuple(ZOOMS), label="Map"),
)
DEFAULT_OPT = OptChoice.make("Adam", learning_rate=0.05)
SPEC = PageSpec(P, FIELDS, (DEFAULT_OPT,), max_opts=1, n_colors=1, extra=("start",))



def num(v) -> str:
    """A number for a metric: 4 significant digits, scientific when tiny or huge."""
    v = float(v)
    if not np.isfinite(v):
        return "—"
    if v == 0:
        return "0"
    if 1e-3 <= abs(v) < 1e5:
        return f"{v:.4g}"
    m, e = f"{v:.2e}".split("e")
    return f"{m}e{int(e)}"


def why_text(choice: OptChoice) -> str:
    """Why this optimizer's path bends as it does: the optimizer's own teaching text (engine)."""
    hp = {p.name: choice.value(p.name) for p in optimizers.settings_spec(choice.name, choice.flavor)}
    return optimizers.teaching(choice.name).why_for(choice.flavor, hp)


def seed_from_link(params: dict, values: dict) -> list[str]:
    """The link's start (fields and optimizer are seeded by ui.page_state); remember whether k came from it."""
    st.session_state[P + "k_from_url"] = "k" in params
    return seed_landscape(P, params, values)


def move_k(delta: int) -> None:
    k = int(st.session_state.get(P + "k", 0)) + delta
    st.session_state[P + "k"] = int(min(max(k, 0), st.session_state.get(P + "kmax", 0)))


def effective_step_caption(choice: OptChoice, ex, has_learning_rate: bool, xlabel: str, ylabel: str) -> str:
    eff = ex.effective_step_size
    if not has_learning_rate:
        return (f"**Effective step size** Δw/(−g) per axis: how far the step went per unit of downhill slope. "
                f"This rule has no learning rate η; it used {num(eff[0])} on {xlabel} and {num(eff[1])} on "
                f"{ylabel}.")
    if choice.name == "GradientDescent" or (choice.name == "SGD" and "momentum" not in ex.slots_after):
        return (f"**Effective step size** Δw/(−g): for plain gradient descent it is η = {num(ex.learning_rate)} "
                f"on both axes, every step — here ({num(eff[0])}, {num(eff[1])}).")
    return (f"**Effective step size** Δw/(−g) per axis: how far the step went per unit of downhill slope. "
            f"Plain gradient descent would use η = {num(ex.learning_rate)} on both axes; "
            f"{choice.name} used {num(eff[0])} on {xlabel} and {num(eff[1])} on {ylabel}."
            + (" A negative value means the step went uphill on that axis (momentum carried it)."
               if np.any(eff < 0) else ""))


# --------------------------------------------------------------------------- #
# The page                                                                      #
# --------------------------------------------------------------------------- #
st.title("Step inspector")
st.caption("Pick an optimizer and a step, and see every number that went into it: the gradient, the optimizer's "
           "memory (its state) before and after, and the arrows that explain why the path bends there.")

notices = open_page(SPEC, seed=seed_from_link, show=False)
notice_box = st.container()  # filled once the run is known (a k beyond it adds a notice)

with st.sidebar:
    st.header("Inspector settings")
    land_name, expr, land, (sx, sy) = landscape_and_start(P, DEFAULT_EXPR, "x**2 + 3*sin(y)")
    xlabel, ylabel = getattr(land, "axis_labels", ("x", "y"))
    steps, noise, seed = run_settings(P, max_steps=MAX_STEPS, noise_help=(
        "Gaussian noise added to every gradient (a stand-in for mini-batches). "
        "The gradient shown is the noisy one the optimizer used."))
    st.subheader("Optimizer")
    choice = only_editor(P)
    cmp = st.checkbox("Compare flavours side by side", key=P + "cmp", persist_state=PERSIST,
                      help="The same optimizer and hyperparameters as Keras 3 computes it, as the paper writes it "
                           "(textbook) and as torch.optim computes it, at the same step.")
    zoom = st.radio("Map", tuple(ZOOMS), key=P + "zoom", horizontal=True, format_func=ZOOMS.get,
                    persist_state=PERSIST)

start = (float(sx), float(sy))
land_key = (land_name, expr)
n_runs = len(optimizers.get_class(choice.name).flavors()) + 1 if cmp else 1  # the work budget (optimizers/budget.py)
steps = show_plan(budget.plan_runs(land, [choice] * n_runs, int(steps), what="these runs"))["steps"]

try:
    traj = trajectory(land_key, choice, start, steps, noise, seed)
except ValueError as exc:
    with notice_box:
        show_notices(notices)
    st.error(f"Could not run {literal(choice.label(), None)}: {literal(exc, None)}")
    st.stop()

# The inspected step: within the run (a link's k beyond it gets a notice).
kmax = last_step(traj)
st.session_state[P + "kmax"] = max(kmax, 0)
k_now = int(st.session_state.get(P + "k", 0))
if st.session_state.pop(P + "k_from_url", False) and k_now > kmax >= 0:
    notice = (f"Ignored k = {quoted(k_now)} from the link: this run has updates k = 0 … {kmax}; "
              f"showing the last one, k = {kmax}.")
    add_notice(SPEC, notice)
    notices.append(notice)
st.session_state[P + "k"] = int(min(max(k_now, 0), max(kmax, 0)))
with notice_box:
    show_notices(notices)

# The address bar is always a link to this very step.
values = {"land": land_name, "expr": expr or DEFAULT_EXPR, "steps": steps, "noise": noise, "seed": seed,
          "k": st.session_state[P + "k"], "cmp": bool(cmp), "zoom": zoom}
moved = abs(start[0] - land.start[0]) > 1e-12 or abs(start[1] - land.start[1]) > 1e-12
write_link(SPEC, values, {"start": START.encode(start)} if moved else None, [choice], always=("k",))

if kmax < 0:
    st.error("The start point is unusable for this landscape (the loss or its gradient is not finite there), "
             "so there is no step to inspect. Move the start.")
    st.stop()
if traj.diverged_at is not None:
    st.warning(f"**{literal(choice.label(), None)} diverged at step {traj.diverged_at}**: the update k = {kmax} "
               f"produced an unusable point (non-finite or far outside the landscape), so the run stops there. You "
               f"can inspect steps 0 … {kmax}; the last one shows why it blew up.", icon=":material/error:")

# The step selector: a slider plus one-step buttons.
b_prev, b_slider, b_next = st.columns([1, 8, 1], vertical_alignment="bottom")
b_prev.button("◀ Step", key=P + "prev", on_click=move_k, args=(-1,), disabled=st.session_state[P + "k"] <= 0,
              help="One update back", width="stretch")
b_next.button("Step ▶", key=P + "next", on_click=move_k, args=(1,), disabled=st.session_state[P + "k"] >= kmax,
              help="One update forward", width="stretch")
with b_slider:
    if kmax > 0:
        st.slider("Inspected step k (the update from w_k to w_k+1)", 0, kmax, key=P + "k", persist_state=PERSIST)
    else:
        st.caption("This run has a single update, k = 0.")
k = int(st.session_state[P + "k"])

try:
    ex = explain_step(traj, k)
except ValueError as exc:
    st.error(f"Cannot explain this step: {literal(exc, None)}")
    st.stop()
opt = traj.optimizer

st.subheader(f"Update t = {ex.t}: from w_{k} to w_{k + 1}")
why = why_text(choice)
if why:
    st.info(why, icon=":material/lightbulb:")

left, right = st.columns([1, 1], gap="medium")
with left:
    arrows = ic.step_arrows(choice.name, choice.flavor, ex, dict(opt.hp))
    tips = [ex.w + v for v, _ in ic.drawn_vectors(arrows, land.bounds)]
    seqs = point_sequences(choice.name, traj.slots, k + 2)  # Schedule-Free's x and z (none for most rules)
    window = (ic.step_window(land.bounds, [ex.w, ex.w_new] + tips + ic.sequence_points(seqs)) if zoom == "step"
              else tuple(tuple(b) for b in land.bounds))
    bg = get_background(land_name, expr, 160, tuple(tuple(round(v, 12) for v in w) for w in window))
    fig = ic.step_figure(bg, traj.params[:k + 1], ex.w, ex.w_new, arrows, window, land.bounds,
                         minima=land.minima, axis_labels=land.axis_labels, k=k, sequences=seqs,
                         path_name=optimizers.teaching(choice.name).path_name if seqs else "")
    # Presentation mode: tall enough for a map of about 575 px square with its legend below (measured in Chromium).
    plotly_chart(Prebuilt(fig), present_height=ic.PRESENT_HEIGHT, key=P + "chart",
                 config=plot_config(f"step-{k}", scrollZoom=True))
    width = window[0][1] - window[0][0]
    step_len = float(np.hypot(*ex.step)) if np.all(np.isfinite(ex.step)) else float("nan")
    msg = (f"The view is {num(width)} wide. Red: the actual step Δw, drawn exactly. White (dotted) and blue "
           "(dashed): directions only, scaled to a common length — the legend gives each scale.")
    if np.isfinite(step_len) and step_len < 0.02 * width:
        msg += f" This step (length {num(step_len)}) is too short to see at this zoom; the numbers are on the right."
    st.caption(msg)
    if seqs:
        st.caption(optimizers.teaching(choice.name).sequences_note)

with right:
    f_before, f_after = float(traj.loss[k]), float(land.value(ex.w_new)) if np.all(np.isfinite(ex.w_new)) else None
    m1, m2, m3 = st.columns(3)
    m1.metric(f"loss at w_{k}", num(f_before))
    m2.metric(f"loss at w_{k + 1}", "—" if f_after is None or not np.isfinite(f_after) else num(f_after),
              delta=None if f_after is None or not np.isfinite(f_after) else num(f_after - f_before),
              delta_color="inverse")
    m3.metric("step length ‖Δw‖", num(step_len))
    rows = ic.step_rows(choice.name, choice.flavor, ex, axis_labels=land.axis_labels)
    st.dataframe(rows, hide_index=True, width="stretch", key=P + "numbers",
                 column_config={xlabel: st.column_config.NumberColumn(xlabel, format="%.6g"),
                                ylabel: st.column_config.NumberColumn(ylabel, format="%.6g")})
    meanings = [f"**{ex.slot_labels[s]}** = {ex.slot_meanings[s]}"
                for s in ex.slots_after if np.asarray(ex.slots_after[s]).size == 2]
    if meanings:
        st.caption("State (Keras names): " + "; ".join(meanings) + ".")
    scalars = ic.step_scalars(choice.name, choice.flavor, ex, opt.has_learning_rate)
    st.dataframe([{label: value for label, value in scalars}], hide_index=True, width="stretch",
                 key=P + "scalars",
                 column_config={label: st.column_config.NumberColumn(label, format="%.6g") for label, _ in scalars})
    st.caption(effective_step_caption(choice, ex, opt.has_learning_rate, xlabel, ylabel))
    if noise > 0:
        st.caption(f"The gradient includes the seeded noise (σ = {num(noise)}) the optimizer saw.")

st.subheader("The update rule, then this step's numbers")
st.caption(f"{choice.name} as {FLAVOR_LABELS.get(choice.flavor, choice.flavor)} computes it (state before this "
           f"update: t − 1 = {k}).")
st.latex(opt.latex)
for line in ex.lines:
    st.latex(line)

st.subheader("Effective step size over the whole run")
eff_all = ic.effective_step_sizes(traj.params, traj.grads, kmax + 1)
plotly_chart(Prebuilt(ic.effective_step_figure(eff_all, traj.learning_rate if opt.has_learning_rate else None, k,
                                                  axis_labels=land.axis_labels, diverged_at=traj.diverged_at)),
                key=P + "eff", config=plot_config("effective-step-size"))
st.caption("|Δw / (−g)| on each axis at every update (log scale; hover for the signed value; the dotted line is "
           "step k). Plain gradient descent sits on the dashed η line. Adagrad's lines only sink: its accumulator "
           "only grows. Adam (at t = 1) and Lion (always) move about η per axis whatever the slope, so their ratio "
           "is about η/|g|: low where the slope is steep, high where it is flat.")

if cmp:  # the flavours side by side
    st.subheader(f"{choice.name}: the flavours side by side at step k = {k}")
    st.caption("The same optimizer with the same hyperparameter values (the ones in use above, defaults included, "
               "even where another flavour's own defaults differ) as Keras 3 computes it, as the paper writes it "
               "(textbook) and as torch.optim computes it. Each flavour ran its own path from the same start, so by "
               "step k they may be at different points. “None”: that flavour has no such quantity.")
    flavours, problems = flavour_steps(land_key, choice, start, steps, noise, seed, k, FLAVOR_LABELS)
    for msg in problems:
        st.warning(msg)
    titles = [FLAVOR_LABELS.get(f.flavor, f.flavor) for f in flavours]
    if flavours:
        fmt = st.column_config.NumberColumn(format="%.6g")
        merged = ic.compare_rows({t: ic.step_rows(f.choice.name, f.flavor, f.explanation, axis_labels=land.axis_labels)
                                  for t, f in zip(titles, flavours)}, axis_labels=land.axis_labels)
        st.dataframe(merged, hide_index=True, width="stretch", key=P + "compare",
                     column_config={c: fmt for c in merged[0] if c != "quantity"})
        st.dataframe(ic.compare_scalars({t: ic.step_scalars(f.choice.name, f.flavor, f.explanation,
                                                            f.traj.optimizer.has_learning_rate)
                                         for t, f in zip(titles, flavours)}),
                     hide_index=True, width="stretch", key=P + "compare_scalars",
                     column_config={t: fmt for t in titles})
        for tab, t, f in zip(st.tabs([f"{t}: rule and numbers" for t in titles]), titles, flavours):
            with tab:
                st.markdown(f"**{t}** — {literal(f.choice.label(), None)}")
                note = f.traj.optimizer.NOTES.get(f.flavor)
                if note:
                    st.caption(note)
                st.latex(f.traj.optimizer.latex)
                for line in f.explanation.lines:
                    st.latex(line)

maths_links([choice.name])
