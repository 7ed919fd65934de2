"""Fair comparison: learning-rate sensitivity, basin maps, and a fair-mode race.

Thin glue: widgets (seeded once from the URL) → per-optimizer engine runs
cached with st.cache_data (optimizers.lr_sweep / basin_map /
tune_learning_rate / run), so changing one optimizer recomputes only that one
→ figures from charts.compare. The address bar always holds a link that
reproduces the page, and the fair-mode chart prints every setting it used.
"""
from __future__ import annotations

import time

import numpy as np
import streamlit as st
from streamlit.errors import StreamlitAPIException

import optimizers
from charts.background import background_image
from charts.compare import (BasinPanel, SweepSeries, basin_csv, basin_figure, best_index, config_line,
                            endpoint_groups, fair_csv, fair_figure, fair_table, provenance_lines, sweep_csv,
                            sweep_figure)
from charts.race import Prebuilt, RaceRun
from landscapes.expression import parse_expression
from ui import controls
from optimizers import budget
from ui import persist
from ui.budget import show_plan
from ui.slots import reset_slots, slot_editors
from ui.landscape_picker import LANDS, START, get_land, landscape_and_start, start_from_link
from ui.controls import show_notices
from ui.settings import Field, OptChoice, _fmt, encode_fields, encode_optimizers, read_fields, read_optimizers

# app.py sets this too; repeated here because a link opened directly (e.g. /compare?view=basins) on a fresh
# server runs this file without app.py while a `pages/` folder exists (Streamlit's MPA v1 fallback).
st.set_page_config(layout="wide")

# ui.controls labels only the keras and textbook flavours; its radio fails on a None label (pytorch).
for _flavor in optimizers.FLAVORS:
    controls.FLAVOR_LABELS.setdefault(_flavor, {"pytorch": "PyTorch"}.get(_flavor, _flavor))

P = "cmp_"  # session-state prefix of this page
MAX_OPTS = 8
LR_GRID = np.logspace(-5, 1, 241)  # 40 learning rates per decade, 1e-5 … 10
DEFAULT_LAND = "himmelblau" if "himmelblau" in LANDS else LANDS[0]
DEFAULT_EXPR = "(x**2 - 1)**2 + (y**2 - 1)**2"
VIEWS = ("sweep", "basins", "fair")
VIEW_LABELS = {"sweep": ":material/show_chart: Learning-rate sensitivity", "basins": ":material/grid_on: Basin maps",
               "fair": ":material/balance: Fair comparison"}
METRICS = ("final", "steps")
COLOR_MODES = ("minimum", "loss")
# Colours for a white background (the sweep) that also stand out on the landscape (paths get a white halo).
COLORS = ["#E69F00", "#0072B2", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#999933"]

FIELDS = [
    Field("land", "choice", DEFAULT_LAND, choices=tuple(LANDS), label="Landscape"),
    Field("expr", "text", DEFAULT_EXPR, label="Formula"),
    Field("steps", "int", 500, 1, 2000, label="Steps"),
    Field("noise", "float", 0.0, 0.0, 10.0, label="Gradient noise"),
    Field("seed", "int", 0, 0, 2**31 - 1, label="Seed"),
    Field("tol", "float", 1e-3, 1e-12, 1e3, label="Tolerance"),
    Field("view", "choice", "sweep", choices=VIEWS, label="View"),
    Field("grid", "int", 100, 50, 200, label="Basin grid"),
    Field("metric", "choice", "final", choices=METRICS, label="Sweep metric"),
]


canonical = OptChoice.canonical  # default-valued hyperparameters dropped, as the editor returns it


DEFAULT_LINEUP = [canonical(c) for c in (
    OptChoice.make("SGD", learning_rate=0.01, momentum=0.9),
    OptChoice.make("RMSprop", learning_rate=0.01),
    OptChoice.make("Adam", learning_rate=0.05),
    OptChoice.make("Lion", learning_rate=0.01),
)]
ADD_ORDER = [canonical(c) for c in (
    OptChoice.make("Adam", learning_rate=0.05), OptChoice.make("SGD", learning_rate=0.01, momentum=0.9),
    OptChoice.make("RMSprop", learning_rate=0.01), OptChoice.make("Lion", learning_rate=0.01),
    OptChoice.make("Nadam", learning_rate=0.05), OptChoice.make("Adagrad", learning_rate=0.5),
    OptChoice.make("AdamW", learning_rate=0.05), OptChoice.make("Adamax", learning_rate=0.05),
    OptChoice.make("Adadelta", learning_rate=1.0), OptChoice.make("GradientDescent", learning_rate=0.01),
)]


def exact(v: float) -> float:
    """A value rounded to what the chart prints (10 significant digits), so the printed settings are the used ones."""
    return float(f"{float(v):.10g}")


def exact_choice(choice: OptChoice) -> OptChoice:
    return OptChoice(choice.name, choice.flavor,
                     tuple((k, v if isinstance(v, bool) else exact(v)) for k, v in choice.params))


def has_lr(choice: OptChoice) -> bool:
    return "learning_rate" in {p.name for p in optimizers.spec(choice.name, choice.flavor)}


def with_lr(choice: OptChoice, lr: float) -> OptChoice:
    params = dict(choice.params)
    params["learning_rate"] = lr
    return OptChoice(choice.name, choice.flavor, tuple(sorted(params.items())))


def without_lr(choice: OptChoice) -> OptChoice:
    return OptChoice(choice.name, choice.flavor, tuple((k, v) for k, v in choice.params if k != "learning_rate"))


def short_label(choice: OptChoice) -> str:
    """Legend text with the learning rate to 4 significant digits (the chart prints the exact value)."""
    lr = choice.value("learning_rate")
    if lr is None:
        return choice.label()
    return choice.label().replace(f"lr {_fmt(lr)}", f"lr {float(lr):.4g}", 1)


def sweep_label(choice: OptChoice) -> str:
    """Legend text without the learning rate (the sweep varies it): ``SGD (μ 0.9)``."""
    lr = choice.value("learning_rate")
    label = choice.label()
    return label.replace(f"lr {_fmt(lr)}, ", "").replace(f" (lr {_fmt(lr)})", "") if lr is not None else label


# --------------------------------------------------------------------------- #
# Cached computations (one entry per optimizer: editing one recomputes only it) #
# --------------------------------------------------------------------------- #
@st.cache_data(max_entries=64, ttl=6 * 3600, show_spinner=False)
def get_background(name: str, expr: str | None) -> dict:
    return background_image(get_land(name, expr))


@st.cache_data(max_entries=256, ttl=6 * 3600, show_spinner=False)
def sweep_one(land_key: tuple, choice: OptChoice, start: tuple, steps: int, noise: float, seed: int, tol: float):
    """One optimizer's learning-rate sweep (all other hyperparameters from the editor), one vectorized run.

    Called with the choice minus its learning rate (:func:`without_lr`), so moving a learning-rate
    slider does not recompute the sweep."""
    hyper = {k: v for k, v in choice.params if k != "learning_rate"}
    return optimizers.lr_sweep(choice.name, get_land(*land_key), LR_GRID, start=np.asarray(start), steps=steps,
                               noise=noise, seed=seed, tol=tol, flavor=choice.flavor, **hyper)


@st.cache_data(max_entries=256, ttl=6 * 3600, show_spinner=False)
def tune_one(land_key: tuple, choice: OptChoice, start: tuple, steps: int, noise: float, seed: int):
    """(tuned learning rate or None, its final loss, the best final loss of its two grid neighbours).

    The rate is the sweep's best exactly (no rounding): the chart prints it in full, so the printed
    setting is the one used."""
    hyper = {k: v for k, v in choice.params if k != "learning_rate"}
    best, res = optimizers.tune_learning_rate(choice.name, get_land(*land_key), start=np.asarray(start), steps=steps,
                                              noise=noise, seed=seed, learning_rates=LR_GRID, flavor=choice.flavor,
                                              **hyper)
    if best is None:
        return None, None, None
    b = res.best_index
    nb = [j for j in (b - 1, b + 1) if 0 <= j < len(res.final_loss) and res.diverged_at[j] < 0]
    return best, float(res.final_loss[b]), (min(float(res.final_loss[j]) for j in nb) if nb else None)


@st.cache_data(max_entries=256, ttl=6 * 3600, show_spinner=False)
def run_one(land_key: tuple, choice: OptChoice, start: tuple, steps: int, noise: float, seed: int):
    traj = optimizers.run(choice.build(), get_land(*land_key), start=np.asarray(start), steps=steps, noise=noise,
                          seed=seed, record="path")
    return traj.params, traj.loss, traj.diverged_at


@st.cache_data(max_entries=64, ttl=6 * 3600, show_spinner=False)
def basin_one(land_key: tuple, choice: OptChoice, n: int, steps: int, noise: float, seed: int):
    """One optimizer's basin map over an n×n grid of starts, one vectorized run."""
    return optimizers.basin_map(choice.build(), get_land(*land_key), n=n, steps=steps, noise=noise, seed=seed)


@st.cache_data(max_entries=32, ttl=6 * 3600, show_spinner=False)
def basin_fig(land_key: tuple, choices: tuple, labels: tuple, colors: tuple, n: int, steps: int, noise: float,
              seed: int, mode: str, title: str, subtitle: str):
    """The basin figure (from the cached maps): built once per setting, shared by every session."""
    land = get_land(*land_key)
    panels = []
    for choice, label, color in zip(choices, labels, colors):
        r = basin_one(land_key, choice, n, steps, noise, seed)
        panels.append(BasinPanel(label, r.xs, r.ys, r.label, r.final_loss, r.final_params, color))
    groups = endpoint_groups(panels, land)
    fig = basin_figure(panels, groups, land, mode, land.min_value, title, subtitle)
    return fig, list(groups.names), int(len(groups.centres)), groups.n_other


# --------------------------------------------------------------------------- #
# State: seeded once from the URL                                               #
# --------------------------------------------------------------------------- #
def init_from_url() -> list[str]:
    params = {k: st.query_params[k] for k in st.query_params}
    values, notices = read_fields(FIELDS, params)
    for name, v in values.items():
        st.session_state[P + name] = v
    if values["land"] == "custom":
        try:
            parse_expression(values["expr"])
            get_land("custom", values["expr"])
        except ValueError as exc:
            notices.append(f"Ignored `expr={str(params.get('expr'))[:40]}` from the link ({exc}); "
                           f"using the formula `{DEFAULT_EXPR}`.")
            st.session_state[P + "expr"] = DEFAULT_EXPR
    choices, more = read_optimizers(params, DEFAULT_LINEUP, max_n=MAX_OPTS)
    notices += more
    reset_slots(P, choices, len(COLORS))
    if "start" in params:
        notice = start_from_link(P, values["land"], params["start"])
        if notice:
            notices.append(notice)
    return notices


def persistent(name: str, default=None) -> str:
    """Key of a widget shown in one view only: Streamlit forgets a widget's state while it is not drawn,
    so its value is kept under ``P + name`` and the widget (key ``P + name + "_w"``) is re-seeded from it."""
    wkey = P + name + "_w"
    if wkey not in st.session_state:
        st.session_state[wkey] = st.session_state.get(P + name, default)
    return wkey


def progress_loop(items, text):
    """Yield items with a progress bar across them (removed when done)."""
    bar = st.progress(0.0, text=text.format(i=1, n=len(items)))
    for i, item in enumerate(items):
        bar.progress(i / max(len(items), 1), text=text.format(i=i + 1, n=len(items)))
        yield item
    bar.empty()


# --------------------------------------------------------------------------- #
# The page                                                                      #
# --------------------------------------------------------------------------- #
st.title("Fair comparison")
st.caption("Comparisons of optimizers are only fair if every method gets the same start, the same number of steps, "
           "the same noise and its own best learning rate, and if the chart says so. This page does all four: "
           "no hidden clipping, no per-method step counts.")

# Read the URL on the first run of the page in a session, and again whenever the page is opened with a
# different link; reruns see exactly the parameters this page wrote last time.
# Parameters of other pages (e.g. `opt` left by the maths page) are not a link to this one.
OWN = {f.name for f in FIELDS} | {"start"} | {f"o{i}" for i in range(1, 9)}
url_now = {k: st.query_params[k] for k in st.query_params if k in OWN}
if P + "slots" not in st.session_state or (url_now and url_now != st.session_state.get(P + "written")):
    st.session_state[P + "notices"] = init_from_url()
persist.remember(P)  # settings survive a visit to another page
show_notices(st.session_state.get(P + "notices", []))

with st.sidebar:
    st.header("Comparison settings")
    land_name, expr, land, (sx, sy) = landscape_and_start(P, DEFAULT_EXPR, "(x**2 - 1)**2 + (y**2 - 1)**2")
    (bx0, bx1), (by0, by1) = land.bounds
    xlabel, ylabel = getattr(land, "axis_labels", ("x", "y"))
    steps = st.number_input("Steps (the same for every optimizer)", 1, 2000, step=50, key=P + "steps")
    c1, c2 = st.columns(2)
    noise = c1.number_input("Gradient noise σ", 0.0, 10.0, step=0.1, format="%.3g", key=P + "noise",
                            help="Gaussian noise added to every gradient: a stand-in for mini-batch gradients.")
    seed = c2.number_input("Noise seed", 0, 2**31 - 1, step=1, key=P + "seed")
    tol = st.number_input("Tolerance (loss − f*)", min_value=1e-12, max_value=1e3, format="%.1e", key=P + "tol",
                          help="“Steps to tolerance” = the first step whose loss is within this of the minimum value.")
    grid_n = st.slider("Basin grid (n × n starts)", 50, 200, step=10, key=P + "grid",
                       help="Basin maps run every optimizer from every point of an n×n grid (one vectorized run).")

start = (exact(sx), exact(sy))
steps, noise, seed, tol, grid_n = int(steps), exact(noise), int(seed), exact(tol), int(grid_n)
land_key = (land_name, expr)
f_star = land.min_value if land.min_value is not None and np.isfinite(land.min_value) else None

view = st.radio("View", VIEWS, key=P + "view", horizontal=True, format_func=VIEW_LABELS.get,
                label_visibility="collapsed")
main = st.container()

# Optimizer editors (under the chart).
st.subheader("Optimizers")
st.caption("Every hyperparameter here is used as set. The sweep replaces only the learning rate; fair mode uses the "
           "tuned learning rate and everything else from here. Nothing is clipped.")
entries = [(slot, colour, exact_choice(choice)) for slot, colour, choice in slot_editors(
    P, COLORS, MAX_OPTS, ADD_ORDER, "Remove this optimizer", f"Up to {MAX_OPTS} optimizers.")]

# Write the settings back: the address bar is always a shareable link.
# the sweep's metric switch is drawn later (only in that view): its value this run is the widget's, if drawn
metric = st.session_state.get(P + "metric_w", st.session_state.get(P + "metric", "final"))
url = encode_fields(FIELDS, {"land": land_name, "expr": expr or DEFAULT_EXPR, "steps": steps, "noise": noise,
                             "seed": seed, "tol": tol, "view": view, "grid": grid_n, "metric": metric})
if abs(start[0] - land.start[0]) > 1e-9 or abs(start[1] - land.start[1]) > 1e-9:
    url["start"] = START.encode(start)
url.update(encode_optimizers([c for _, _, c in entries]))
st.query_params.from_dict(url)
st.session_state[P + "written"] = url
persist.save(P)
# The work budget (optimizers/budget.py): what this request computes, scaled down if too much.
plan = show_plan(budget.plan_compare(view, land, len(entries), grid_n, steps, len(LR_GRID)), main)
grid_n, steps = plan["grid"], plan["steps"]

land_text = f"custom formula f(x, y) = {expr}" if land_name == "custom" else f"{land.title} ({land_name})"
shared = (f"{land.title if land_name != 'custom' else 'f(x, y) = ' + expr} · start ({_fmt(start[0])}, "
          f"{_fmt(start[1])}) · {steps} steps · noise σ={_fmt(noise)} · seed {seed}")


def numbered(labels):
    """Make equal labels distinct ("#2 SGD (μ 0.9)")."""
    return [f"#{i + 1} {lab}" if labels.count(lab) > 1 else lab for i, lab in enumerate(labels)]


# --------------------------------------------------------------------------- #
# 1. Learning-rate sensitivity                                                  #
# --------------------------------------------------------------------------- #
def sweep_view():
    c1, c2 = st.columns([2, 3])
    metric = c1.radio("Show", METRICS, key=persistent("metric"), horizontal=True,
                      format_func={"final": "final loss", "steps": "steps to tolerance"}.get)
    st.session_state[P + "metric"] = metric
    c2.caption(f"Each optimizer: {len(LR_GRID)} learning rates on a log grid from 1e-5 to 10, run as one vectorized "
               f"computation from the same start for the same {steps} steps. ★ = its best rate "
               + ("(lowest final loss)" if metric == "final" else "(fewest steps to the tolerance)")
               + "; the shaded bars above the plot are the rates where it diverges.")
    usable = [(slot, colour, c) for slot, colour, c in entries if has_lr(c)]
    for _, _, c in entries:
        if not has_lr(c):
            st.info(f"{c.label()} is skipped: textbook Adadelta has no learning rate to sweep "
                    "(its step size comes from the ratio of two running averages).", icon=":material/info:")
    labels = numbered([sweep_label(c) for _, _, c in usable])
    series, results = [], {}
    for (slot, colour, c), label in zip(progress_loop(usable, "Sweeping optimizer {i} of {n}…"), labels):
        try:
            res = sweep_one(land_key, without_lr(c), start, steps, noise, seed, tol)
        except ValueError as exc:
            st.error(f"{label}: {exc}")
            continue
        series.append(SweepSeries(label, colour, res.learning_rates, res.final_loss, res.diverged_at,
                                  res.steps_to_tol, res.best_index, c.name))
        results[label] = {"choice": c, "learning_rates": res.learning_rates, "final_loss": res.final_loss,
                          "diverged_at": res.diverged_at, "steps_to_tol": res.steps_to_tol,
                          "best_index": best_index(series[-1], metric)}
    st.session_state[P + "sweep_results"] = results
    if not series:
        st.warning("No optimizer with a learning rate to sweep. Add one below.")
        return
    title = ("Learning-rate sensitivity: " + ("final loss" if metric == "final" else "steps to tolerance")
             + f" on {land.title if land_name != 'custom' else 'f(x, y) = ' + expr}")
    sub = shared + f" · {len(LR_GRID)} learning rates 1e-5…10 · no clipping"
    fig = sweep_figure(series, metric, f_star, title, sub, tol)
    st.plotly_chart(Prebuilt(fig), key=P + "sweep_chart",
                    config={"displaylogo": False,
                            "toImageButtonOptions": {"format": "png", "filename": "lr-sensitivity", "scale": 2}})
    if metric == "steps" and f_star is None:
        st.caption("This landscape has no known minimum value, so “steps to tolerance” counts steps until the loss "
                   "itself is ≤ the tolerance.")
    rows = []
    for s, m in zip(series, fig["layout"]["meta"]["best"]):
        segs = fig["layout"]["meta"]["diverging"][series.index(s)]["segments"]
        b = s.best_index
        rows.append({
            "optimizer": s.label,
            "best learning rate": None if m["learning_rate"] is None else float(m["learning_rate"]),
            "final loss at the best rate": None if b < 0 else float(s.final_loss[b]),
            "steps to tolerance at the best rate": (None if m["index"] < 0 else int(s.steps_to_tol[m["index"]])),
            "diverges for": ("never" if not segs else
                             f"from {_fmt(float(f'{segs[0][0]:.3g}'))} ({int((s.diverged_at >= 0).sum())} of "
                             f"{len(s.learning_rates)} rates)"),
        })
    st.dataframe(rows, hide_index=True, width="stretch",
                 column_config={"best learning rate": st.column_config.NumberColumn(format="%.4g"),
                                "final loss at the best rate": st.column_config.NumberColumn(format="%.4g")})
    st.download_button("Sweep results (CSV)", icon=":material/download:", data=lambda: sweep_csv(series),
                       file_name="lr_sweep.csv", mime="text/csv", key=P + "dl_sweep", on_click="ignore")


# --------------------------------------------------------------------------- #
# 2. Basin maps                                                                 #
# --------------------------------------------------------------------------- #
def basin_view():
    c1, c2 = st.columns([2, 3])
    mode = c1.radio("Colour each start by", COLOR_MODES, key=persistent("color", "minimum"), horizontal=True,
                    format_func={"minimum": "the minimum it reaches", "loss": "its final loss"}.get)
    st.session_state[P + "color"] = mode
    c2.caption(f"Every optimizer runs from each of {grid_n}×{grid_n} = {grid_n * grid_n:,} start points for "
               f"{steps} steps (one vectorized run each). A start is coloured by the minimum it ends within 5% of "
               "the view's diagonal from; red = diverged.")
    labels = numbered([c.label() for _, _, c in entries])
    t0 = time.perf_counter()
    ok = []
    for (slot, colour, c), label in zip(progress_loop(entries, "Mapping basins: optimizer {i} of {n}…"), labels):
        try:
            basin_one(land_key, c, grid_n, steps, noise, seed)
            ok.append((c, label, colour))
        except ValueError as exc:
            st.error(f"{label}: {exc}")
    if not ok:
        return
    title = f"Basins of attraction on {land.title if land_name != 'custom' else 'f(x, y) = ' + expr}"
    sub = (f"{grid_n}×{grid_n} starts · {steps} steps · noise σ={_fmt(noise)} · seed {seed} · the same grid and "
           "steps for every optimizer · no clipping")
    fig, names, n_groups, n_other = basin_fig(land_key, tuple(c for c, _, _ in ok), tuple(lab for _, lab, _ in ok),
                                     tuple(col for _, _, col in ok), grid_n, steps, noise, seed, mode, title, sub)
    st.session_state[P + "basin_time"] = time.perf_counter() - t0
    st.session_state[P + "basin_results"] = {lab: {"choice": c, "grid": grid_n} for c, lab, _ in ok}
    n_known = len(np.asarray(land.minima).reshape(-1, 2))
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
    st.plotly_chart(Prebuilt(fig), key=P + "basin_chart",
                    config={"displaylogo": False,
                            "toImageButtonOptions": {"format": "png", "filename": "basin-maps", "scale": 2}})

    def csv():
        land_ = get_land(*land_key)
        panels = []
        for c, lab, col in ok:
            r = basin_one(land_key, c, grid_n, steps, noise, seed)
            panels.append(BasinPanel(lab, r.xs, r.ys, r.label, r.final_loss, r.final_params, col))
        return basin_csv(panels, endpoint_groups(panels, land_))

    st.download_button("Basin maps (CSV)", icon=":material/download:", data=csv, file_name="basin_maps.csv",
                       mime="text/csv", key=P + "dl_basin", on_click="ignore")


# --------------------------------------------------------------------------- #
# 3. Fair comparison                                                            #
# --------------------------------------------------------------------------- #
def fair_view():
    st.caption("Fair mode: (a) each optimizer's learning rate is tuned on this landscape from the sweep (lowest final "
               f"loss after the last step over {len(LR_GRID)} rates, 1e-5…10, printed in full); (b) every optimizer starts from the "
               "same point for the same number of steps with the same noise seed; (c) every setting used is printed "
               "on the chart, so a screenshot carries its own provenance.")
    planned, notes, lucky = [], [], []
    for slot, colour, c in progress_loop(entries, "Tuning optimizer {i} of {n}…"):
        try:
            if has_lr(c):
                lr, loss_at, loss_nb = tune_one(land_key, without_lr(c), start, steps, noise, seed)
                if lr is not None and loss_nb is not None and f_star is not None and \
                        loss_nb - f_star > 10 * max(loss_at - f_star, tol):
                    lucky.append(f"{c.name}: the tuned rate {_fmt(float(f'{lr:.4g}'))} reaches a final loss gap of "
                                 f"{loss_at - f_star:.2g}, but its neighbours on the grid only {loss_nb - f_star:.2g}")
                if lr is None:
                    notes.append(f"{c.label()}: every learning rate of the sweep diverged; it runs with the "
                                 "editor's learning rate instead.")
                    planned.append((colour, c, None, "not tuned: every swept rate diverged"))
                else:
                    planned.append((colour, with_lr(c, lr), lr, "tuned"))
            else:
                planned.append((colour, c, None, ""))
        except ValueError as exc:
            st.error(f"{c.label()}: {exc}")
    runs, tuned, configs, used = [], [], [], {}
    labels = numbered([short_label(run_c) for _, run_c, _, _ in planned])
    for (colour, run_c, lr, note), label in zip(progress_loop(planned, "Running optimizer {i} of {n}…"), labels):
        try:
            params, loss, div = run_one(land_key, run_c, start, steps, noise, seed)
        except ValueError as exc:
            st.error(f"{label}: {exc}")
            continue
        runs.append(RaceRun(label, params, loss, div, colour, run_c.name))
        tuned.append(lr)
        text = config_line(run_c.name, run_c.flavor, run_c.kwargs, tuned=note == "tuned")
        if note and note != "tuned":
            text += f"  ({note})"
        configs.append((colour, text))
        used[label] = {"choice": run_c, "tuned_lr": lr}
    for n in notes:
        st.warning(n, icon=":material/warning:")
    if lucky:
        st.info("**Lucky rates?** The tuned rate is the one with the lowest loss at the last step. For an optimizer "
                "that keeps oscillating (Lion's fixed-size steps, RMSprop or Adam with large rates), that can be a "
                "rate whose oscillation happens to land near the minimum at that step: " + "; ".join(lucky)
                + ". Compare with the learning-rate sensitivity view.", icon=":material/casino:")
    if not runs:
        return
    lines = provenance_lines(land_text, start, steps, noise, seed, tol, configs,
                             grid_note=f"Learning rates tuned over {len(LR_GRID)} log-spaced values 1e-5…10.")
    title = f"Fair comparison on {land.title if land_name != 'custom' else 'f(x, y) = ' + expr}"
    fig = fair_figure(land, runs, get_background(*land_key), lines, title, f_star, start)
    st.session_state[P + "fair_results"] = used
    st.session_state[P + "fair_provenance"] = lines
    st.plotly_chart(Prebuilt(fig), key=P + "fair_chart",
                    config={"displaylogo": False,
                            "toImageButtonOptions": {"format": "png", "filename": "fair-comparison", "scale": 2}})
    diverged = [r for r in runs if r.diverged_at is not None]
    if diverged:
        st.warning("**Diverged:** " + "; ".join(f"{r.label} diverged at step {r.diverged_at}" for r in diverged)
                   + ". Paths stop at the last good point (✖).", icon=":material/warning:")
    st.dataframe(fair_table(runs, tuned, f_star, tol), hide_index=True, width="stretch",
                 column_config={"final loss": st.column_config.NumberColumn(format="%.4g"),
                                "tuned learning rate": st.column_config.NumberColumn(
                                    format="%.4g", help="Empty: no learning rate (textbook Adadelta) or every swept "
                                                        "rate diverged. The chart prints the exact value.")})
    st.download_button("Paths and losses (CSV)", icon=":material/download:", data=lambda: fair_csv(runs),
                       file_name="fair_comparison.csv", mime="text/csv", key=P + "dl_fair", on_click="ignore")


with main:
    if view == "sweep":
        sweep_view()
    elif view == "basins":
        basin_view()
    else:
        fair_view()
    st.caption("PNG: use the camera icon in the chart's toolbar (works offline).")

names = list(dict.fromkeys(c.name for _, _, c in entries))
links = st.columns(max(len(names), 1))
for col, name in zip(links, names):
    with col:
        try:
            st.page_link("pages/maths.py", label=f"∑ The maths of {name}", query_params={"opt": name})
        except StreamlitAPIException:  # the maths page is not registered in this build of the app
            st.markdown(f"[∑ The maths of {name}](/maths?opt={name})")
