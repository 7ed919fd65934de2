"""See the theory: momentum's phase diagram, the edge of stability, and the network's own loss landscape.

Thin glue: widgets (seeded from the URL by ui.page_state) → cached engine calls with a progress bar
(ui.theory) → figures (charts.theory) → the maths of each result (ui.theory_content).
"""
from __future__ import annotations

import json

import numpy as np
import streamlit as st

from charts import theory as ct
from charts.common import PALETTE
from charts.race import Prebuilt
from optimizers import momentum_phase as mp
from optimizers import sharpness as sh
from optimizers.weight_plane import KINDS, MIN_GRID
from ui import theory as comp
from ui import theory_content as tc
from ui.blocks import plot_config
from ui.page_state import PERSIST, PageSpec, open_page, write_link, plotly_chart
from ui.settings import Field, OptChoice, _fmt
from ui.slots import slot_editors
from ui.text import literal, quoted

P = "theory_"
VIEWS = ("phase", "eos", "plane")
VIEW_TITLES = {"phase": "Momentum's phase diagram", "eos": "The edge of stability", "plane": "The network's landscape"}
EOS_LANDS = ("moons", "regression", "quadratic")
EOS_LAND_TITLES = {"moons": "Moons network (12-13-13 MLP)", "regression": "Linear regression (MSE)",
                   "quadratic": "Quadratic (κ = 10)"}
RACE_KAPPA = 10.0  # the race page's quadratic has the landscape's default condition number
GD = sh.EOS_PRESETS["gd"]

FIELDS = (
    Field("view", "choice", "phase", choices=VIEWS, label="View"),
    Field("method", "choice", "heavy_ball", choices=mp.METHODS, label="Momentum"),
    Field("kappa", "float", 10.0, 1.5, 1000.0, label="Condition number"),
    Field("psteps", "int", 400, 100, 2000, label="Steps per run"),
    Field("eland", "choice", "moons", choices=EOS_LANDS, label="Landscape"),
    Field("enoise", "float", GD["noise"], 0.0, 1.0, label="Data noise"),
    Field("eopt", "choice", GD["optimizer"], choices=sh.EOS_OPTIMIZERS, label="Optimizer"),
    Field("elr", "float", GD["learning_rate"], 1e-6, 100.0, label="Learning rate"),
    Field("elr2", "float", 0.0, 0.0, 100.0, label="Second learning rate"),
    Field("emom", "float", 0.0, 0.0, 0.99, label="Momentum"),
    Field("esteps", "int", GD["steps"], 10, 5000, label="Steps"),
    Field("every", "int", GD["every"], 1, 500, label="Sharpness every"),
    Field("ebs", "int", 0, 0, 5000, label="Batch size"),
    Field("kind", "choice", "pca", choices=KINDS, label="Directions"),
    Field("epochs", "int", 100, 1, 400, label="Epochs"),
    Field("seed", "int", 0, 0, 2**31 - 1, label="Seed"),
)
CELL = Field("cell", "point", None)

canonical = OptChoice.canonical
# The moons page's default line-up (the article's optimizers and learning rates).
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
ADD_ORDER = [canonical(c) for c in (
    OptChoice.make("AdamW", learning_rate=0.01, weight_decay=0.01), OptChoice.make("Adamax", learning_rate=0.01),
    OptChoice.make("Adam", learning_rate=0.01), OptChoice.make("SGD", learning_rate=0.01, momentum=0.9),
)]
SPEC = PageSpec(P, FIELDS, DEFAULT_LINEUP, 8, len(PALETTE), extra=("cell",))
EOS_KEYS = ("eland", "enoise", "eopt", "elr", "elr2", "emom", "esteps", "every", "ebs")


def seed_from_link(params: dict, values: dict) -> list[str]:
    """The selected phase-diagram cell ``cell=η,β`` (checked against the diagram's ranges)."""
    st.session_state.pop(P + "last_pick", None)
    st.session_state.pop(P + "choices", None)     # the link's line-up replaces the one last drawn
    st.session_state[P + "cell"] = None
    raw = params.get("cell")
    if raw is None:
        return []
    try:
        eta, beta = CELL.parse(raw)
        top = 1.1 * (4.0 / 2.0 if values["method"] == "heavy_ball" else 2.0 / 2.0)
        if not (0 < eta <= top and 0 <= beta <= 0.995):
            raise ValueError(f"η must be in (0, {_fmt(top)}] and β in [0, 0.995]")
    except ValueError as exc:
        return [f"Ignored cell = {quoted(raw)} from the link ({literal(exc, None)}); showing the optimum."]
    st.session_state[P + "cell"] = (float(eta), float(beta))
    return []


def apply_preset(name: str) -> None:
    p = sh.EOS_PRESETS[name]
    st.session_state.update({P + "eland": "moons", P + "enoise": p["noise"], P + "eopt": p["optimizer"],
                             P + "elr": p["learning_rate"], P + "elr2": 0.0, P + "emom": 0.0,
                             P + "esteps": p["steps"], P + "every": p["every"], P + "ebs": 0})


def preset_of(values: dict) -> str | None:
    """The preset these settings are, if any (its claim is then printed as tested)."""
    for name, p in sh.EOS_PRESETS.items():
        if (values["eland"] == "moons" and values["enoise"] == p["noise"] and values["eopt"] == p["optimizer"]
                and values["elr"] == p["learning_rate"] and values["elr2"] == 0 and values["esteps"] == p["steps"]
                and values["every"] == p["every"] and values["ebs"] == 0 and values["emom"] == 0):
            return name
    return None


def show(fig: dict, key: str, name: str, **kw):
    return plotly_chart(Prebuilt(fig), key=key, config=plot_config(name), **kw)


def maths(latex: str, text: str) -> None:
    with st.container(border=True):
        st.markdown("#### The maths")
        st.latex(latex)
        st.markdown(text)


# --------------------------------------------------------------------------- #
# The page                                                                      #
# --------------------------------------------------------------------------- #
st.title("See the theory")
st.caption("Three results from the literature, computed live by the same engine as the rest of the app: which "
           "(learning rate, momentum) pairs converge and why exactly there, why training at a large learning rate "
           "does not blow up, and what the network's own loss landscape looks like.")
open_page(SPEC, seed=seed_from_link)

view = st.segmented_control("View", VIEWS, key=P + "view", format_func=VIEW_TITLES.get, persist_state=PERSIST,
                            required=True, label_visibility="collapsed")
ss = st.session_state
values = {f.name: ss.get(P + f.name, f.default) for f in FIELDS}
values["view"] = view
extra = {}

# ----------------------------------------------------------------------------- phase diagram
if view == "phase":
    with st.sidebar:
        st.header("Phase diagram")
        method = st.radio("Momentum", mp.METHODS, key=P + "method", persist_state=PERSIST, horizontal=True,
                          format_func={"heavy_ball": "heavy ball", "nesterov": "Nesterov"}.get)
        kappa = st.number_input("Condition number κ = L/μ", 1.5, 1000.0, step=1.0, format="%.4g", key=P + "kappa",
                                persist_state=PERSIST,
                                help="The quadratic's Hessian has eigenvalues μ = 2/κ and L = 2.")
        psteps = st.number_input("Steps per run", 100, 2000, step=100, key=P + "psteps", persist_state=PERSIST,
                                 help="More steps sharpen the measured edge (and take longer).")
    values.update(method=method, kappa=float(kappa), psteps=int(psteps))
    out = comp.with_progress(comp.phase_diagram, method, float(kappa), int(psteps),
                             text="Running 40,000 trajectories (a 200 × 200 grid of η and β)…")
    d = out["diagram"]
    eta_opt, beta_opt, rho_opt = d.optimum
    cell = ss.get(P + "cell")
    top = float(d.etas[-1])
    if cell is not None and cell[0] > top:   # a cell beyond this method's grid (e.g. after switching method)
        cell = None
        ss[P + "cell"] = None
    event = show(ct.phase_figure(d, out["boundary"], selected=cell), P + "phase", "momentum-phase-diagram",
                 on_select="rerun", selection_mode=("points",))
    sel = (event or {}).get("selection") or {}
    picks = [p for p in (sel.get("points") or []) if p.get("curve_number") == ct.PICK_TRACE]
    token = json.dumps(sel, sort_keys=True, default=str) if picks else None
    if token is not None and token != ss.get(P + "last_pick"):
        ss[P + "last_pick"] = token
        new = (round(float(picks[0]["x"]), 6), round(float(picks[0]["y"]), 6))
        if new != cell:
            ss[P + "cell"] = new
            st.rerun()
    elif token is None:
        ss[P + "last_pick"] = None
    st.caption(f"Computed in {out['seconds']:.1f} s, then cached for everyone who opens these settings. "
               "Hover a cell for its measured and theoretical rate; **click a cell** to run that pair below.")
    if cell is not None:
        extra["cell"] = CELL.encode(cell)
    eta, beta = cell if cell is not None else (eta_opt, beta_opt)
    i = int(np.argmin(np.abs(d.betas - beta)))
    j = int(np.argmin(np.abs(d.etas - eta)))
    left, right = st.columns(2)
    with left:
        run = comp.cell_run(method, float(kappa), float(eta), float(beta), int(psteps))
        show(ct.cell_figure(run["dist"], run["state"], run["rho"], eta, beta, run["diverged_at"]), P + "cell_fig",
             "phase-cell")
    with right:
        show(ct.rate_slice_figure(d, i), P + "row_fig", "phase-row")
    which = "the optimum" if cell is None else "the selected cell"
    meas = "diverged" if d.diverged[i, j] else f"{d.measured[i, j]:.4f}"
    st.markdown(f"**{which.capitalize()}:** η = {_fmt(round(eta, 6))}, β = {_fmt(round(beta, 6))} · nearest grid cell: "
                f"measured ρ = {meas}, theory ρ = {d.theory[i, j]:.4f} · the theory's optimum is η* = "
                f"{eta_opt:.4g}, β* = {beta_opt:.4g} with ρ* = {rho_opt:.4f}.")
    nest = method == "nesterov"
    race = {"land": "quadratic", "steps": str(int(psteps)),
            "o1": canonical(OptChoice.make("SGD", learning_rate=float(f"{eta:.4g}"), momentum=float(f"{beta:.4g}"),
                                           nesterov=nest)).encode(),
            "o2": canonical(OptChoice.make("SGD", learning_rate=float(f"{eta_opt:.4g}"),
                                           momentum=float(f"{beta_opt:.4g}"), nesterov=nest)).encode(),
            "o3": canonical(OptChoice.make("SGD", learning_rate=float(f"{d.gd_optimum[0]:.4g}"))).encode()}
    b1, b2 = st.columns([2, 3], vertical_alignment="center")
    b1.button("Select the optimum", icon=":material/star:", key=P + "to_opt",
              on_click=lambda: ss.update({P + "cell": None}))
    if abs(float(kappa) - RACE_KAPPA) < 1e-12:
        b2.page_link("app_pages/race.py", label=f"Race this pair against the optimum and gradient descent on the "
                                                 f"race map (η = {eta:.3g}, β = {beta:.3g})", icon=":material/flag:",
                     query_params=race)
    else:
        b2.caption(f"The race page's quadratic has κ = {RACE_KAPPA:g}: set κ = {RACE_KAPPA:g} here to race a pair "
                   "on its map. The curve above is this pair's run on this κ.")
    maths(tc.PHASE_LATEX, tc.PHASE_TEXT)

# ----------------------------------------------------------------------------- edge of stability
elif view == "eos":
    with st.sidebar:
        st.header("Edge of stability")
        st.caption("Presets (their claims are tested in the engine):")
        with st.container(horizontal=True, gap="small"):
            st.button("GD", key=P + "pre_gd", on_click=apply_preset, args=("gd",),
                      help="Full-batch gradient descent, η = 0.1, moons noise 0.2")
            st.button("Adam", key=P + "pre_adam", on_click=apply_preset, args=("adam",),
                      help="Full-batch Adam, η = 0.003, moons noise 0.3")
            st.button("RMSprop", key=P + "pre_rmsprop", on_click=apply_preset, args=("rmsprop",),
                      help="Full-batch RMSprop, η = 0.001, moons noise 0.2")
        eland = st.selectbox("Landscape", EOS_LANDS, key=P + "eland", format_func=EOS_LAND_TITLES.get,
                             persist_state=PERSIST)
        enoise = st.number_input("Moons data noise", 0.0, 1.0, step=0.05, format="%.3g", key=P + "enoise",
                                 persist_state=PERSIST, disabled=eland != "moons",
                                 help="make_moons(noise=…): noisier data cannot be separated, so the loss cannot "
                                      "go to zero (where the sharpness would fall again).")
        eopt = st.selectbox("Optimizer", sh.EOS_OPTIMIZERS, key=P + "eopt", persist_state=PERSIST)
        elr = st.number_input("Learning rate η", 1e-6, 100.0, step=0.01, format="%.4g", key=P + "elr",
                              persist_state=PERSIST)
        elr2 = st.number_input("Second η to compare (0 = none)", 0.0, 100.0, step=0.01, format="%.4g",
                               key=P + "elr2", persist_state=PERSIST)
        emom = st.number_input("Momentum μ", 0.0, 0.99, step=0.1, format="%.3g", key=P + "emom",
                               persist_state=PERSIST, disabled=eopt != "SGD")
        esteps = st.number_input("Steps", 10, 5000, step=100, key=P + "esteps", persist_state=PERSIST)
        every = st.number_input("Measure the sharpness every … steps", 1, 500, step=5, key=P + "every",
                                persist_state=PERSIST)
        ebs = st.number_input("Batch size (0 = full batch)", 0, 5000, step=16, key=P + "ebs", persist_state=PERSIST,
                              disabled=eland == "quadratic")
    values.update(eland=eland, enoise=float(enoise), eopt=eopt, elr=float(elr), elr2=float(elr2),
                  emom=float(emom), esteps=int(esteps), every=int(every), ebs=int(ebs))
    lrs = tuple(x for x in (float(elr), float(elr2)) if x > 0)
    if int(every) > int(esteps):
        st.warning(f"The sharpness is measured every {int(every)} steps but the run has {int(esteps)}: it is "
                   "measured at the last step only.", icon=":material/warning:")
    try:
        out = comp.with_progress(comp.eos_run, eland, float(enoise) if eland == "moons" else 0.0, eopt, lrs,
                                 float(emom) if eopt == "SGD" else 0.0, int(esteps), int(every),
                                 int(ebs) if eland != "quadratic" else 0,
                                 text="Training and tracking the sharpness (power iteration)…")
    except ValueError as exc:
        st.error(f"Could not run: {literal(exc, None)}", icon=":material/error:")
        out = None
    if out is not None:
        r = out["result"]
        claims = []
        for lr, h, t in zip(r.learning_rates, out["hover"], r.threshold):
            if h["first_reached"] is None:
                claims.append(f"η = {_fmt(lr)}: never within ±15 % of the threshold {t:.4g} "
                              f"(median ratio over the second half {h['median_ratio']:.2f}).")
            else:
                claims.append(f"η = {_fmt(lr)}: first within ±15 % of the threshold {t:.4g} at step "
                              f"{h['first_reached']}; second half: {100 * h['share_within']:.0f} % of the "
                              f"measurements within ±15 %, median ratio {h['median_ratio']:.2f}.")
        preset = preset_of(values)
        if preset is not None:
            claims.append(f"Preset claim, checked by the tests: {sh.EOS_PRESETS[preset]['claim']}.")
        div = [f"η = {_fmt(lr)} diverged at step {int(k)}" for lr, k in zip(r.learning_rates, r.diverged_at) if k >= 0]
        if div:
            st.warning("**Diverged:** " + "; ".join(div) + ". The curves stop at the last good step.",
                       icon=":material/warning:")
        show(ct.eos_figure(r, claims), P + "eos", "edge-of-stability")
        st.caption(f"{r.steps} steps, {len(r.sharp_steps)} sharpness measurements ({r.hvps:,} Hessian-vector "
                   f"products), computed in {r.seconds:.1f} s, then cached for everyone who opens these settings.")
    maths(tc.EOS_LATEX, tc.EOS_TEXT)

# ----------------------------------------------------------------------------- the network's plane
else:
    with st.sidebar:
        st.header("The network's landscape")
        kind = st.radio("Directions of the plane", KINDS, key=P + "kind", persist_state=PERSIST,
                        format_func={"pca": "PCA of all paths", "random": "random, filter-normalised"}.get)
        epochs = st.number_input("Epochs", 1, 400, step=10, key=P + "epochs", persist_state=PERSIST,
                                 help="Batch size 32 on the article's 300 moons, as on the moons page.")
        seed = st.number_input("Seed (initial weights, batch order, random directions)", 0, 2**31 - 1, step=1,
                               key=P + "seed", persist_state=PERSIST)
    values.update(kind=kind, epochs=int(epochs), seed=int(seed))
    chart = st.container()
    with st.expander(f"**Optimizers** (up to {SPEC.max_opts}): the moons page's line-up by default", expanded=False):
        slots = slot_editors(P, ct.PATH_COLORS, SPEC.max_opts, ADD_ORDER, "Remove this optimizer",
                             f"Up to {SPEC.max_opts} networks train side by side.")
    choices = [c for _, _, c in slots]
    colors = [col for _, col, _ in slots]
    ss[P + "choices"] = choices
    with chart:
        try:
            out = comp.with_progress(comp.plane, tuple((c.name, c.flavor, c.params) for c in choices), int(epochs),
                                     int(seed), kind, MIN_GRID,
                                     text=f"Training {len(choices)} networks, then the loss on a "
                                          f"{MIN_GRID} × {MIN_GRID} grid…")
        except ValueError as exc:
            st.error(f"Could not train: {literal(exc, None)}", icon=":material/error:")
            out = None
        if out is not None:
            res = out["result"]
            labels = [c.label() for c in choices]
            show(ct.plane_figure(res, labels, colors), P + "plane", "network-landscape-plane")
            st.caption(f"Training {out['train_seconds']:.1f} s, plane and {MIN_GRID}×{MIN_GRID} grid "
                       f"{out['plane_seconds']:.1f} s; cached for everyone who opens these settings. Press "
                       "**▶ Play** to animate the epochs.")
            show(ct.plane_loss_figure(res, labels, colors), P + "plane_loss", "plane-real-vs-slice-loss")
    maths(tc.PLANE_LATEX, tc.PLANE_TEXT)

# ----------------------------------------------------------------------------- the link
choices = ss.get(P + "choices") or [canonical(ss[f"{P}o{s['id']}_init"]) for s in ss.get(P + "slots", [])]
write_link(SPEC, values, extra or None, choices if [canonical(c) for c in choices] != list(DEFAULT_LINEUP) else [],
           always=("view",))
