"""Optimizer race: up to eight optimizers on one landscape, animated side by side.

Thin glue: widgets (seeded once from the URL) → per-optimizer runs cached with
st.cache_data, so changing one optimizer recomputes only that one → figures
from charts.race / charts.surface3d. The address bar always holds a link that
reproduces the page.
"""
from __future__ import annotations

import json
import time

import numpy as np
import streamlit as st

from charts.common import PALETTE
from charts.player import player_html, player_spec
from charts.race import (PICK_TRACE, RaceRun, frame_steps, loss_csv, loss_figure, race_figure, race_summary,
                         trajectories_csv)
from charts.surface3d import surface_figure
from optimizers import budget
from ui.blocks import diverged_warning, maths_links, start_problem
from ui.budget import show_plan
from ui.compute import CLIPS, SCHEDULES, Common, race_run, settings_stamp
from ui.landscape_picker import LANDS, START, get_background, landscape_and_start, start_from_link
from ui.lineups import add_order, lineup
from ui.page_state import PERSIST, PageSpec, open_page, write_link
from ui.player import race_player
from ui.presets import frame_index, read_frame
from ui.settings import Field, _fmt
from ui.slots import closed_slots, slot_editors

P = "race_"  # session-state prefix of this page
MAX_OPTS = 8
DEFAULT_LAND = "rosenbrock" if "rosenbrock" in LANDS else LANDS[0]
DEFAULT_EXPR = "x**2 + 3*sin(y)"
VIEWS = ("2d", "3d")

FIELDS = (
    Field("land", "choice", DEFAULT_LAND, choices=tuple(LANDS), label="Landscape"),
    Field("expr", "text", DEFAULT_EXPR, label="Formula"),
    Field("steps", "int", 300, 1, 2000, label="Steps"),
    Field("noise", "float", 0.0, 0.0, 10.0, label="Gradient noise"),
    Field("seed", "int", 0, 0, 2**31 - 1, label="Seed"),
    Field("sched", "choice", "none", choices=SCHEDULES, label="Learning-rate schedule"),
    Field("sched_steps", "int", 100, 1, 100_000, label="Decay steps"),
    Field("sched_rate", "float", 0.1, 0.0, 10.0, label="Decay rate / alpha"),
    Field("wd", "float", 0.0, 0.0, 1e6, label="Weight decay"),
    Field("clip", "choice", "none", choices=CLIPS, label="Gradient clipping"),
    Field("clipv", "float", 1.0, 1e-9, 1e9, label="Clipping threshold"),
    Field("view", "choice", "2d", choices=VIEWS, label="View"),
)

# A line-up that visibly differs on Rosenbrock within 300 steps from (-1.2, 1): plain SGD crawls,
# momentum reaches the valley floor first, Lion follows, Adam and RMSprop are half way along the valley.
DEFAULT_LINEUP = lineup(("SGD", {"learning_rate": 0.002}), ("SGD", {"learning_rate": 0.001, "momentum": 0.9}),
                        ("RMSprop", {"learning_rate": 0.01}), ("Adam", {"learning_rate": 0.1}),
                        ("Lion", {"learning_rate": 0.01}))
# The default race opens at a telling frame: at step 150 momentum is nearly at the minimum, Lion half-way, Adam
# and RMSprop still near the start, plain SGD barely moved (tests/test_presets.py checks it on the engine).
DEFAULT_FRAME_STEP = 150
SPEC = PageSpec(P, FIELDS, DEFAULT_LINEUP, MAX_OPTS, len(PALETTE), extra=("start", "frame"))
ADD_ORDER = add_order(sgd_lr=0.001, gd_lr=0.002)  # what "Add optimizer" offers next


@st.cache_resource(max_entries=32, ttl=6 * 3600, show_spinner=False)
def shared_player_spec(land_key: tuple, run_keys: tuple, start: tuple, stamp: str, title: str, start_step: int | None,
                       autoplay: bool, view: str, _land, _runs, _overlays) -> dict:
    """The player's dict (charts.player.player_spec) built once per setting and shared by every session.

    ``run_keys`` holds everything ``_runs`` and ``_overlays`` are computed from, so they are not hashed.
    Every session gets the same dict: nothing may mutate it (the component and the export only read it)."""
    if view == "3d":
        fig = surface_figure(_land, _runs)
    else:
        fig = race_figure(_land, _runs, get_background(*land_key), start=start, max_frames=2, subtitle=stamp)
    lfig, _ = loss_figure(_runs, _land.min_value, subtitle=stamp)
    return player_spec(fig, lfig, _runs, _overlays, title=title, pick_trace=PICK_TRACE, start_step=start_step,
                       autoplay=autoplay) if view == "2d" else player_spec(
        fig, lfig, _runs, None, title=title, pick_trace=None, start_step=start_step, autoplay=autoplay)


def seed_from_link(params: dict, values: dict) -> list[str]:
    """The link's start and frame (the line-up and fields are seeded by ui.page_state). ``frame=k`` opens the map
    at step k; the page opened without a link opens at :data:`DEFAULT_FRAME_STEP`."""
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith((P + "sx_", P + "sy_"))]:
        del st.session_state[key]  # starts not in the link are the landscapes' own
    for key in ("frame", "frame_asked", "expr_valid", "last_pick", "pending_start"):
        st.session_state.pop(P + key, None)
    notices = []
    if "start" in params:
        notice = start_from_link(P, values["land"], params["start"])
        notices += [notice] if notice else []
    ks = frame_steps(int(values["steps"]))
    if "frame" in params:
        st.session_state[P + "frame"], notice = read_frame(params["frame"], ks)
        notices += [notice] if notice else []
        if notice is None:
            st.session_state[P + "frame_asked"] = int(params["frame"])  # the link keeps the step it asked for
    elif not params:
        st.session_state[P + "frame"] = frame_index(ks, DEFAULT_FRAME_STEP)
    return notices


# --------------------------------------------------------------------------- #
# The page                                                                      #
# --------------------------------------------------------------------------- #
st.title("Optimizer race")
st.caption("Several optimizers start from the same point on the same landscape. Press **▶ Play** to watch them "
           "race, click the map to move the start, and change a learning rate (**Optimizers**, under the chart) to "
           "see how the race changes.")

open_page(SPEC, seed=seed_from_link)

# Apply a start chosen by clicking the chart (before the start inputs are drawn).
pending = st.session_state.pop(P + "pending_start", None)
if pending is not None:
    st.session_state[f"{P}sx_{pending[0]}"], st.session_state[f"{P}sy_{pending[0]}"] = pending[1], pending[2]

with st.sidebar:
    st.header("Race settings")
    land_name, expr, land, (sx, sy) = landscape_and_start(P, DEFAULT_EXPR, "x**2 + 3*sin(y)")
    (bx0, bx1), (by0, by1) = land.bounds
    st.caption("…or click the map to start there.")
    steps = st.number_input("Steps", 1, 2000, step=50, key=P + "steps", persist_state=PERSIST)
    c1, c2 = st.columns(2)
    noise = c1.number_input("Gradient noise σ", 0.0, 10.0, step=0.1, format="%.3g", key=P + "noise",
                            persist_state=PERSIST,
                            help="Gaussian noise added to every gradient: a stand-in for mini-batch gradients. "
                                 "Every optimizer gets the same noise sequence (same seed), so the race stays fair.")
    seed = c2.number_input("Noise seed", 0, 2**31 - 1, step=1, key=P + "seed", persist_state=PERSIST)
    with st.expander("Schedule, weight decay, clipping", expanded=False):
        sched = st.selectbox("Learning-rate schedule", SCHEDULES, key=P + "sched", persist_state=PERSIST,
                             help="Applied to every optimizer, starting from that optimizer's own learning rate. "
                                  "PiecewiseConstantDecay multiplies it by 1, then 0.1, then 0.01.")
        sched_steps = st.number_input("Decay steps", 1, 100_000, step=10, key=P + "sched_steps",
                                      disabled=sched == "none", persist_state=PERSIST)
        sched_rate = st.number_input("Decay rate / alpha", 0.0, 10.0, step=0.05, format="%.3g",
                                     key=P + "sched_rate", disabled=sched in ("none", "PiecewiseConstantDecay"),
                                     persist_state=PERSIST,
                                     help="ExponentialDecay and InverseTimeDecay: decay_rate. PolynomialDecay: the "
                                          "final rate as a fraction of the initial one. Cosine schedules: alpha.")
        wd = st.number_input("Weight decay", 0.0, 1e6, step=0.001, format="%.4g", key=P + "wd",
                             persist_state=PERSIST,
                             help="Decoupled weight decay for every optimizer (0 = off; replaces AdamW's own).")
        clip = st.selectbox("Gradient clipping", CLIPS, key=P + "clip", persist_state=PERSIST)
        clipv = st.number_input("Clipping threshold", 1e-9, 1e9, step=0.1, format="%.4g", key=P + "clipv",
                                disabled=clip == "none", persist_state=PERSIST)
    view = st.radio("View", VIEWS, key=P + "view", horizontal=True, persist_state=PERSIST,
                    format_func={"2d": "2-D map (animated)", "3d": "3-D surface"}.get)

start = (float(sx), float(sy))
problem = start_problem(land, start)
if problem:
    st.warning(problem, icon=":material/warning:")
common = Common(sched, int(sched_steps), float(sched_rate), float(wd), clip, float(clipv))
land_key = (land_name, expr)

# Layout: chart first, controls for the optimizers under it.
chart_row = st.container()
# The editors are built only while their box is open (on_change="rerun"); closed, the line-up is read from the state
# (ui.slots.closed_slots): building them was a third of a warm script run, paid by every student of a class opening
# a link (load/results.md). The legend names the line-up. (The label stays the same: a new label would be a new box,
# closed, after every added optimizer.)
with st.expander(f"**Optimizers** (up to {MAX_OPTS}): open to edit, add or remove",
                 key=P + "editors", on_change="rerun") as editors_box:
    picked = slot_editors(P, PALETTE, MAX_OPTS, ADD_ORDER, "Remove this optimizer from the race",
                          f"Up to {MAX_OPTS} optimizers race at once.") if editors_box.open else closed_slots(P, PALETTE)
choices = [(slot, choice) for slot, _, choice in picked]

# Write the settings back: the address bar is always a shareable link.
values = {"land": land_name, "steps": int(steps), "noise": float(noise), "seed": int(seed), "sched": sched,
          "sched_steps": int(sched_steps), "sched_rate": float(sched_rate), "wd": float(wd), "clip": clip,
          "clipv": float(clipv), "view": view, "expr": expr or DEFAULT_EXPR}  # the formula drawn (last valid one)
moved = abs(start[0] - land.start[0]) > 1e-12 or abs(start[1] - land.start[1]) > 1e-12
link_extra = {"start": START.encode(start)} if moved else {}
if st.session_state.get(P + "frame") is not None and view == "2d":  # the frame shown stays in the link (a step)
    _ks, _asked = frame_steps(int(steps)), st.session_state.get(P + "frame_asked")
    _i = min(int(st.session_state[P + "frame"]), len(_ks) - 1)
    link_extra["frame"] = str(_asked if _asked is not None and frame_index(_ks, _asked) == _i else int(_ks[_i]))
write_link(SPEC, values, link_extra or None, [c for _, c in choices])
steps = show_plan(budget.plan_runs(land, [c for _, c in choices], int(steps), what="this race"), chart_row)["steps"]

# Run every optimizer (cached one by one).
runs, errors, run_keys, overlays = [], [], [], []
progress, t0 = st.empty(), time.perf_counter()
for i, (slot, choice) in enumerate(choices):
    choice_key = (choice.name, choice.flavor, choice.params)
    try:
        # Keyword arguments: Streamlit's cache looks up a positional argument's name with inspect.signature, once
        # per argument and call (~0.1 ms each); keywords skip that (same key: names and order as the signature).
        params, loss, div, vectors = race_run(land_key=land_key, choice=choice, start=start, steps=int(steps),
                                              noise=float(noise), seed=int(seed), common=common,
                                              overlays=view == "2d")
    except ValueError as exc:
        errors.append(f"#{i + 1} {choice.label()}: {exc}")
        continue
    runs.append(RaceRun(choice.label(), params, loss, div, PALETTE[slot["color"]], choice.name))
    overlays.append(vectors)
    run_keys.append((choice_key, slot["color"]))
    if time.perf_counter() - t0 > 0.3 and i + 1 < len(choices):
        progress.progress((i + 1) / len(choices), text=f"Running optimizer {i + 2} of {len(choices)}…")
progress.empty()
run_keys = (tuple(run_keys), common, int(steps), float(noise), int(seed))  # what `runs` is computed from
stamp_lines = settings_stamp(common, float(noise), int(seed))
stamp = " · ".join(stamp_lines)  # every non-default setting, on both charts and in the exports

with chart_row:
    for e in errors:
        st.error(e)
    diverged_warning(runs)
    # The step shown first: the link's frame= (a step; the default race opens at DEFAULT_FRAME_STEP), else the end.
    ks, fi, asked = frame_steps(int(steps)), st.session_state.get(P + "frame"), st.session_state.get(P + "frame_asked")
    first = None
    if fi is not None:
        fi = min(int(fi), len(ks) - 1)
        first = int(asked) if asked is not None and frame_index(ks, asked) == fi else int(ks[fi])
    spec = shared_player_spec(land_key=land_key, run_keys=run_keys, start=start, stamp=stamp, title=land.title,
                              start_step=first, autoplay=bool(st.session_state.get(P + "autoplay", False)),
                              view=view, _land=land, _runs=runs, _overlays=overlays)  # shared by every session: read only
    event = race_player(spec, key=P + ("player" if view == "2d" else "player3d"),
                        present={"map_height": 860, "arrow_width": 3.5, "fit": True})  # projector: the map fills the screen
    pick = (event or {}).get("pick") if isinstance(event, dict) and view == "2d" else None
    token = json.dumps(event, sort_keys=True, default=str) if pick else None
    if token is not None and token != st.session_state.get(P + "last_pick"):
        st.session_state[P + "last_pick"] = token  # one-shot: the same click is not applied twice
        x, y = round(float(pick[0]), 4), round(float(pick[1]), 4)
        if (bx0 <= x <= bx1 and by0 <= y <= by1) and (x, y) != start:
            st.session_state[P + "pending_start"] = (land_name, x, y)
            st.session_state[P + "frame"] = None
            st.rerun()
    st.caption("▶ Play runs in your browser: ◀ 1 and 1 ▶ move one optimizer step (keys ← and →, space plays "
               "and pauses), the slider scrubs, Speed goes from 0.1× to 10× (1× = 30 steps a second). "
               + ("Click the map to start there." if view == "2d" else
                  "Drag to turn the surface; switch to the 2-D map to click a new start or to show the overlays."))
    if spec["loss"]["layout"]["yaxis"].get("type") != "log" and any(r.last_good > 0 or np.isfinite(r.loss[0])
                                                                      for r in runs):
        st.caption("Linear loss axis: some losses are ≤ 0, so a log scale cannot show them.")
    st.markdown(f"**{land.title}** — {land.teaches}")
    if land.latex:
        st.latex(land.latex)


def export_settings() -> list[str]:
    """Everything that produced this race, one line each (the exports carry it)."""
    where = f"f(x, y) = {expr}" if land_name == "custom" else f"{land.title} ({land_name})"
    return ([f"Descent Lab optimizer race: {where}", f"start ({_fmt(start[0])}, {_fmt(start[1])}), {int(steps)} steps"]
            + [f"#{i + 1} {c.label()} [{c.flavor}]" for i, (_, c) in enumerate(choices)]
            + (stamp_lines or ["no schedule, no weight decay, no clipping, no gradient noise"]))


# Summary table.
st.subheader("Results")
c1, c2, _ = st.columns([2, 1, 3])
criterion = c1.radio("Reached when", ("loss", "distance"), key=P + "crit", horizontal=True, persist_state=PERSIST,
                     format_func={"loss": "loss within tol of the minimum value",
                                  "distance": "distance to a minimum < tol"}.get)
tol = c2.number_input("tol", min_value=1e-12, max_value=1e6, value=1e-3, format="%.1e", key=P + "tol",
                      persist_state=PERSIST)
st.dataframe(race_summary(runs, land.minima, land.min_value, float(tol), criterion), hide_index=True, width="stretch")
if land.min_value is None and not len(land.minima):
    st.caption("This landscape has no known minimum, so distances and tolerances cannot be computed.")

# Exports and links.
st.subheader("Export and learn more")
e1, e2, e3 = st.columns(3)
e1.download_button("Trajectories (CSV)", icon=":material/download:", data=lambda: trajectories_csv(runs, export_settings()), file_name="race_trajectories.csv",
                   mime="text/csv", key=P + "dl_traj", on_click="ignore")
e2.download_button("Loss curves (CSV)", icon=":material/download:", data=lambda: loss_csv(runs, export_settings()), file_name="race_losses.csv",
                   mime="text/csv", key=P + "dl_loss", on_click="ignore")
if runs:
    e3.download_button("Animation (offline HTML)", icon=":material/download:", key=P + "dl_html", on_click="ignore", mime="text/html",
                       file_name="optimizer_race.html",
                       data=lambda: player_html(spec, f"Optimizer race on {land.title}", export_settings()),
                       help="A standalone page with the animated map, the loss chart and every setting; works "
                            "without internet.")
st.caption("PNG: use the camera icon in the chart's toolbar (works offline).")
maths_links(r.name for r in runs)
