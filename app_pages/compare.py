"""Fair comparison: learning-rate sensitivity, basin maps, and a fair-mode race.

Glue: settings (ui.page_state: seeded from a new link, kept by Streamlit across
pages) → per-optimizer engine calls cached in ui.compute (sweep, tune, basin,
run_path), so changing one optimizer recomputes only that one → figures and
tables from charts.compare → exports. The address bar always holds a link that
reproduces the page, and the fair-mode chart prints every setting it used.
"""
from __future__ import annotations

import numpy as np
import streamlit as st

from charts.common import PALETTE, numbered
from charts.compare import (MAX_GROUPS, BasinPanel, SweepSeries, basin_csv, basin_figures, basin_map_columns,
                            best_index, config_line, fair_csv, fair_html, fair_loss_figure, fair_map_figure, fair_table,
                            provenance_lines, provenance_text, sweep_csv, sweep_figure, sweep_table)
from charts.race import Prebuilt, RaceRun
from ui.blocks import column_grid, diverged_warning, maths_links, plot_config, progress_loop
from ui.compute import basin, basin_groups, run_path, steps_to_tol, sweep, tune_choice
from ui.landscape_picker import LANDS, START, get_background, landscape_and_start, run_settings, seed_landscape
from ui.lineups import add_order, lineup
from optimizers import budget
from ui.budget import show_plan
from ui.page_state import PERSIST, PageSpec, open_page, write_link, plotly_chart
from ui.settings import Field, _fmt
from ui.slots import slot_editors
from ui.text import literal

P = "cmp_"  # session-state prefix of this page
MAX_OPTS = 8
LR_GRID = tuple(float(v) for v in np.logspace(-5, 1, 241))  # 40 learning rates per decade, 1e-5 … 10
GRID_TEXT = f"{len(LR_GRID)} learning rates on a log grid from 1e-5 to 10"
BEST_TEXT = "the lowest mean loss over the last 10% of the steps, among the rates that do not diverge"
DEFAULT_LAND = "himmelblau" if "himmelblau" in LANDS else LANDS[0]
DEFAULT_EXPR = "(x**2 - 1)**2 + (y**2 - 1)**2"
VIEWS = ("sweep", "basins", "fair")
VIEW_LABELS = {"sweep": ":material/show_chart: Learning-rate sensitivity", "basins": ":material/grid_on: Basin maps",
               "fair": ":material/balance: Fair comparison"}
METRICS = {"final": "final loss", "steps": "steps to tolerance"}
COLOR_MODES = {"minimum": "the minimum it reaches", "loss": "its final loss"}
COLORS = PALETTE  # the optimizer colours of every page (charts.common: contrast and colour-blind checked)

FIELDS = (
    Field("land", "choice", DEFAULT_LAND, choices=tuple(LANDS), label="Landscape"),
    Field("expr", "text", DEFAULT_EXPR, label="Formula"),
    Field("steps", "int", 500, 1, 2000, label="Steps"),
    Field("noise", "float", 0.0, 0.0, 10.0, label="Gradient noise"),
    Field("seed", "int", 0, 0, 2**31 - 1, label="Seed"),
    Field("tol", "float", 1e-3, 1e-12, 1e3, label="Tolerance"),
    Field("view", "choice", "sweep", choices=VIEWS, label="View"),
    Field("grid", "int", 100, 50, 200, label="Basin grid"),
    Field("metric", "choice", "final", choices=tuple(METRICS), label="Sweep metric"),
    Field("color", "choice", "minimum", choices=tuple(COLOR_MODES), label="Basin colouring"),
)

DEFAULT_LINEUP = lineup(("SGD", {"learning_rate": 0.01, "momentum": 0.9}), ("RMSprop", {"learning_rate": 0.01}),
                        ("Adam", {"learning_rate": 0.05}), ("Lion", {"learning_rate": 0.01}))
SPEC = PageSpec(P, FIELDS, DEFAULT_LINEUP, MAX_OPTS, len(COLORS), extra=("start",))
ADD_ORDER = add_order(sgd_lr=0.01, gd_lr=0.01)


def seed_from_link(params: dict, values: dict) -> list[str]:
    """The link's start and formula (the fields and the line-up are seeded by ui.page_state)."""
    return seed_landscape(P, params, values, DEFAULT_EXPR)


def error(label: str, exc: Exception) -> None:
    st.error(f"{literal(label, None)}: {literal(exc, None)}")


# --------------------------------------------------------------------------- #
# 1. Learning-rate sensitivity                                                  #
# --------------------------------------------------------------------------- #
def sweep_view():
    c1, c2 = st.columns([2, 3])
    metric = c1.radio("Show", tuple(METRICS), key=P + "metric", horizontal=True, format_func=METRICS.get,
                      persist_state=PERSIST)
    c2.caption(f"Each optimizer: {GRID_TEXT}, run as one vectorized computation from the same start for the same "
               f"{steps} steps. ★ = its best rate: "
               + (BEST_TEXT if metric == "final" else "the fewest steps to the tolerance")
               + ". The shaded bars above the plot are the rates where it diverges.")
    for c in (c for _, _, c in entries if not c.has_learning_rate):
        st.info(f"{literal(c.label(), None)} is skipped: textbook Adadelta has no learning rate to sweep "
                "(its step size comes from the ratio of two running averages).", icon=":material/info:")
    usable = [(colour, c) for _, colour, c in entries if c.has_learning_rate]
    labels = numbered([c.label(show_lr=False) for _, c in usable])
    series, shown = [], {}
    for (colour, c), label in zip(progress_loop(usable, "Sweeping optimizer {i} of {n}…"), labels):
        try:  # the sweep replaces the learning rate: moving its slider does not recompute it
            res = sweep(land_key, c.without("learning_rate"), LR_GRID, start, steps, noise, seed, tol)
        except ValueError as exc:
            error(label, exc)
            continue
        series.append(SweepSeries.of(label, colour, res, c.name))
        shown[label] = {"choice": c, "learning_rates": res.learning_rates, "final_loss": res.final_loss,
                        "diverged_at": res.diverged_at, "steps_to_tol": res.steps_to_tol,
                        "best_index": best_index(series[-1], metric)}
    st.session_state[P + "sweep_results"] = shown  # what the chart shows (the tests rerun it one by one)
    if not series:
        st.warning("No optimizer with a learning rate to sweep. Add one below.")
        return
    fig = sweep_figure(series, metric, f_star, f"Learning-rate sensitivity: {METRICS[metric]} on {land_title}",
                       f"{shared} · {len(LR_GRID)} learning rates 1e-5…10 · no clipping", tol)
    plotly_chart(Prebuilt(fig), key=P + "sweep_chart", config=plot_config("lr-sensitivity"))
    if metric == "steps" and f_star is None:
        st.caption("This landscape has no known minimum value, so “steps to tolerance” counts steps until the loss "
                   "itself is ≤ the tolerance.")
    st.dataframe(sweep_table(series, fig), hide_index=True, width="stretch")
    st.download_button("Sweep results (CSV)", icon=":material/download:", data=lambda: sweep_csv(series),
                       file_name="lr_sweep.csv", mime="text/csv", key=P + "dl_sweep", on_click="ignore")


# --------------------------------------------------------------------------- #
# 2. Basin maps                                                                 #
# --------------------------------------------------------------------------- #
def basin_view():
    c1, c2 = st.columns([2, 3])
    mode = c1.radio("Colour each start by", tuple(COLOR_MODES), key=P + "color", horizontal=True,
                    format_func=COLOR_MODES.get, persist_state=PERSIST)
    c2.caption(f"Every optimizer runs from each of {grid_n}×{grid_n} = {grid_n * grid_n:,} start points for "
               f"{steps} steps (one vectorized run each). A start is coloured by the minimum it ends within 5% of "
               "the view's diagonal from; red = diverged.")
    ok = []
    labels = numbered([c.label() for _, _, c in entries])
    for (_, colour, c), label in zip(progress_loop(entries, "Mapping basins: optimizer {i} of {n}…"), labels):
        try:
            ok.append((c, BasinPanel.of(label, basin(land_key, c, grid_n, steps, noise, seed), colour)))
        except ValueError as exc:
            error(label, exc)
    if not ok:
        return
    panels = [p for _, p in ok]
    groups = basin_groups(land_key, tuple(c for c, _ in ok), grid_n, steps, noise, seed, MAX_GROUPS)
    # One figure per map in columns, which stack on a phone (one figure of every map was shrunk there).
    figs = basin_figures(panels, groups, land, mode, land.min_value, f"Basins of attraction on {land_title}",
                         f"{grid_n}×{grid_n} starts · {steps} steps · noise σ={_fmt(noise)} · seed {seed} · the same "
                         "grid and steps for every optimizer · no clipping")
    n_known, n_groups, n_other = len(np.asarray(land.minima).reshape(-1, 2)), len(groups.centres), groups.n_other
    if n_groups + n_other == 0:
        st.info("No run ended at a minimum: this landscape has none in view (a saddle lets runs slide off "
                "and escape), or the runs needed more steps. The final-loss colouring still shows how far each start "
                "got.", icon=":material/info:")
    elif n_groups + n_other == 1:
        st.info("This landscape has a single minimum (as far as these runs find), so every start that converges "
                "ends in the same place and the map has one colour. The final-loss colouring still shows which "
                "starts got close and which are slow. Try Himmelblau, Six-hump camel or Rastrigin for several basins.",
                icon=":material/info:")
    elif n_groups > n_known and mode == "minimum":
        st.caption(f"Besides the {n_known} minim{'um' if n_known == 1 else 'a'} this landscape lists, the runs ended "
                   f"at {n_groups - n_known} other point(s) often enough to get a colour (≥ 0.2% of the starts): "
                   "“M… ≈” are local minima found from the end points (★), “E… ≈” are end points that are not "
                   "minima (○: runs still moving or stuck when the steps ran out)."
                   + (f" {n_other} more local minima share the tan colour." if n_other else ""))
    for i, (col, fig) in enumerate(zip(column_grid(len(figs), basin_map_columns(len(figs))), figs)):
        with col:
            plotly_chart(Prebuilt(fig), key=f"{P}basin_chart_{i}", config=plot_config(f"basin-map-{i + 1}"),
                         present_height=fig["layout"]["height"] + 350)  # projector-sized text, same map
    st.download_button("Basin maps (CSV)", icon=":material/download:", data=lambda: basin_csv(panels, groups),
                       file_name="basin_maps.csv", mime="text/csv", key=P + "dl_basin", on_click="ignore")


# --------------------------------------------------------------------------- #
# 3. Fair comparison                                                            #
# --------------------------------------------------------------------------- #
def fair_view():
    st.caption(f"Fair mode: (a) each optimizer's learning rate is tuned on this landscape from the sweep ({BEST_TEXT}, "
               f"over {GRID_TEXT}; printed in full); (b) every optimizer starts from the same point for the same "
               "number of steps with the same noise seed; (c) the shared settings are printed on both charts and "
               "every setting in full below them (and in the HTML export), so a screenshot carries its own "
               "provenance.")
    plan = []
    for _, colour, c in progress_loop(entries, "Tuning optimizer {i} of {n}…"):
        try:
            plan.append((colour, tune_choice(land_key, c, LR_GRID, start, steps, noise, seed)))
        except ValueError as exc:
            error(c.label(), exc)
    runs, tuned, stt, configs = [], [], [], []
    labels = numbered([t.choice.label(lr_digits=4) for _, t in plan])  # the chart prints the exact rate
    for (colour, t), label in zip(progress_loop(plan, "Running optimizer {i} of {n}…"), labels):
        try:
            params, loss, div = run_path(land_key, t.choice, start, steps, noise, seed)
        except ValueError as exc:
            error(label, exc)
            continue
        runs.append(RaceRun(label, params, loss, div, colour, t.choice.name))
        tuned.append(t.learning_rate)
        stt.append(steps_to_tol(loss, f_star, tol, div))
        configs.append((colour, config_line(t.choice.name, t.choice.flavor, t.choice.config(), t.status == "tuned")
                        + ("  (not tuned: every swept rate diverged)" if t.status == "diverged" else "")))
    for _, t in plan:
        if t.status == "diverged":
            st.warning(f"{literal(t.choice.label(), None)}: every learning rate of the sweep diverged; it runs with "
                       "the editor's learning rate instead.", icon=":material/warning:")
    lucky = [f"{t.choice.name}: the tuned rate {float(f'{t.learning_rate:.4g}'):.10g} reaches a final loss gap of "
             f"{t.loss_at - f_star:.2g}, but its neighbours on the grid only {t.loss_nb - f_star:.2g}"
             for _, t in plan if t.lucky(f_star, tol)]
    if lucky:
        st.info("**Lucky rates?** For an optimizer that keeps oscillating (Lion's fixed-size steps, RMSprop or Adam "
                "with large rates), the final loss depends on where the oscillation happens to be at the last step, "
                "and the tuned rate can be one whose oscillation lands near the minimum: " + "; ".join(lucky)
                + ". Compare with the learning-rate sensitivity view.", icon=":material/casino:")
    if not runs:
        return
    land_text = f"custom formula f(x, y) = {expr}" if land_name == "custom" else f"{land.title} ({land_name})"
    lines = provenance_lines(land_text, start, steps, noise, seed, tol, configs,
                             grid_note=f"Learning rates tuned over {len(LR_GRID)} log-spaced values 1e-5…10.",
                             width=None)  # the block below wraps at the screen's width
    # Two figures in columns (a phone stacks them); each title carries the shared settings, each legend every
    # optimizer's; the full settings are printed below in a block that wraps, and go into the HTML export.
    stamp = (f"start ({_fmt(start[0])}, {_fmt(start[1])}) · {steps} steps · noise σ={_fmt(noise)} · seed {seed} · "
             f"tolerance {_fmt(tol)} · learning rates tuned on this landscape · no clipping")
    title = f"Fair comparison on {land_title}"
    figs = (fair_map_figure(land, runs, get_background(*land_key), lines, title, stamp, start),
            fair_loss_figure(runs, f"Loss: {title[0].lower()}{title[1:]}", stamp, f_star))
    for col, fig, key, name in zip(st.columns(2), figs, ("fair_chart", "fair_loss"),
                                   ("fair-comparison-map", "fair-comparison-loss")):
        with col:
            plotly_chart(Prebuilt(fig), key=P + key, config=plot_config(name),
                         present_height=fig["layout"]["height"] + 300)  # a larger map on a projector
    st.caption("Every setting used (the engine reruns from these lines):")
    st.code(provenance_text(lines), language=None, wrap_lines=True)
    diverged_warning(runs, advice="The learning-rate sensitivity view shows where each one diverges.")
    st.dataframe(fair_table(runs, tuned, stt), hide_index=True, width="stretch",
                 column_config={"final loss": st.column_config.NumberColumn(format="%.4g"),
                                "tuned learning rate": st.column_config.NumberColumn(
                                    format="%.4g", help="Empty: no learning rate (textbook Adadelta) or every swept "
                                                        "rate diverged. The settings above print the exact value.")})
    c1, c2 = st.columns(2)
    c1.download_button("Paths and losses (CSV)", icon=":material/download:", data=lambda: fair_csv(runs),
                       file_name="fair_comparison.csv", mime="text/csv", key=P + "dl_fair", on_click="ignore")
    c2.download_button("Charts and every setting (HTML)", icon=":material/download:",
                       data=lambda: fair_html(list(figs), lines, title), file_name="fair_comparison.html",
                       mime="text/html", key=P + "dl_fair_html", on_click="ignore")


# --------------------------------------------------------------------------- #
# The page                                                                      #
# --------------------------------------------------------------------------- #
st.title("Fair comparison")
st.caption("Comparisons of optimizers are only fair if every method gets the same start, the same number of steps, "
           "the same noise and its own best learning rate, and if the chart says so. This page does all four: "
           "no hidden clipping, no per-method step counts.")

open_page(SPEC, seed=seed_from_link)

with st.sidebar:
    st.header("Comparison settings")
    land_name, expr, land, (sx, sy) = landscape_and_start(P, DEFAULT_EXPR, "(x**2 - 1)**2 + (y**2 - 1)**2")
    steps, noise, seed = run_settings(P, "Steps (the same for every optimizer)")
    tol = st.number_input("Tolerance (loss − f*)", min_value=1e-12, max_value=1e3, format="%.1e", key=P + "tol",
                          persist_state=PERSIST,
                          help="“Steps to tolerance” = the first step whose loss is within this of the minimum value.")
    grid_n = st.slider("Basin grid (n × n starts)", 50, 200, step=10, key=P + "grid", persist_state=PERSIST,
                       help="Basin maps run every optimizer from every point of an n×n grid (one vectorized run).")

# Every setting as the chart prints it (10 significant digits), so the printed settings are the used ones.
start = (float(_fmt(sx)), float(_fmt(sy)))
noise, tol, grid_n = float(_fmt(noise)), float(_fmt(tol)), int(grid_n)
land_key = (land_name, expr)
f_star = land.min_value if land.min_value is not None and np.isfinite(land.min_value) else None
land_title = f"f(x, y) = {expr}" if land_name == "custom" else land.title
shared = (f"{land_title} · start ({_fmt(start[0])}, {_fmt(start[1])}) · {steps} steps · noise σ={_fmt(noise)} · "
          f"seed {seed}")

view = st.radio("View", VIEWS, key=P + "view", horizontal=True, format_func=VIEW_LABELS.get,
                label_visibility="collapsed", persist_state=PERSIST)
main = st.container()

st.subheader("Optimizers")
st.caption("Every hyperparameter here is used as set. The sweep replaces only the learning rate; fair mode uses the "
           "tuned learning rate and everything else from here. Nothing is clipped.")
entries = [(slot, colour, choice.as_linked()) for slot, colour, choice in slot_editors(
    P, COLORS, MAX_OPTS, ADD_ORDER, "Remove this optimizer", f"Up to {MAX_OPTS} optimizers.")]

# The address bar is always a shareable link. The metric and colour switches are drawn in one view only;
# Streamlit keeps their values (persist_state) while they are hidden.
values = {"land": land_name, "expr": expr or DEFAULT_EXPR, "steps": steps, "noise": noise, "seed": seed, "tol": tol,
          "view": view, "grid": grid_n, "metric": st.session_state.get(P + "metric", "final"),
          "color": st.session_state.get(P + "color", "minimum")}
moved = abs(start[0] - land.start[0]) > 1e-9 or abs(start[1] - land.start[1]) > 1e-9
write_link(SPEC, values, {"start": START.encode(start)} if moved else None, [c for _, _, c in entries])
# The work budget (optimizers/budget.py): what this request computes, scaled down if too much.
plan = show_plan(budget.plan_compare(view, land, [c for _, _, c in entries], grid_n, steps, len(LR_GRID)), main)
grid_n, steps = plan["grid"], plan["steps"]

with main:
    {"sweep": sweep_view, "basins": basin_view, "fair": fair_view}[view]()
    st.caption("PNG: use the camera icon in the chart's toolbar (works offline).")
maths_links(c.name for _, _, c in entries)
