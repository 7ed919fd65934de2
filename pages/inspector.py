"""Step inspector: why does the path bend? One update of one optimizer, taken apart.

Thin glue: widgets (seeded once from the URL) → one cached run recorded in
full → ``optimizers.explain_step`` replays update k with the engine's own rule
from the recorded state → figures from ``charts.inspector``. The address bar
always holds a link to the same step (URL: land, expr, start, steps, noise,
seed, o1, k, cmp).
"""
from __future__ import annotations

import numpy as np
import streamlit as st
from streamlit.errors import StreamlitAPIException

import optimizers
from charts import inspector as ic
from charts.background import background_image
from charts.race import Prebuilt
from optimizers import budget
from ui import controls
from ui.budget import show_plan
from ui.landscape_picker import LANDS, START, get_land, landscape_and_start, start_from_link
from ui.controls import optimizer_editor, show_notices
from ui.settings import Field, OptChoice, encode_fields, read_fields, read_optimizers

P = "insp_"  # session-state prefix of this page
DEFAULT_LAND = "rosenbrock" if "rosenbrock" in LANDS else LANDS[0]
DEFAULT_EXPR = "x**2 + 3*sin(y)"
MAX_STEPS = 2000
FIELDS = [
    Field("land", "choice", DEFAULT_LAND, choices=tuple(LANDS), label="Landscape"),
    Field("expr", "text", DEFAULT_EXPR, label="Formula"),
    Field("steps", "int", 200, 1, MAX_STEPS, label="Steps"),
    Field("noise", "float", 0.0, 0.0, 10.0, label="Gradient noise"),
    Field("seed", "int", 0, 0, 2**31 - 1, label="Seed"),
    Field("k", "int", 0, 0, None, label="Inspected step"),
    Field("cmp", "bool", False, label="Compare flavours"),
]
DEFAULT_OPT = OptChoice.make("Adam", learning_rate=0.05)
FLAVOR_NAMES = {"keras": "Keras 3", "textbook": "textbook", "pytorch": "PyTorch"}
for _flavor in optimizers.FLAVORS:  # the editor's radio needs a label for every flavour
    controls.FLAVOR_LABELS.setdefault(_flavor, FLAVOR_NAMES.get(_flavor, _flavor))

# Why does this optimizer's path bend the way it does? One or two sentences per family.
WHY = {
    "GradientDescent": "The step is exactly −η·g: long where the slope is steep, short where it is flat, and always "
                       "straight downhill. Δw/(−g) is η on both axes at every step.",
    "SGD": "The velocity v remembers earlier steps: v ← μ·v − η·g, then w ← w + v. Pushes that agree (along a "
           "valley) add up to about η/(1 − μ) per unit of gradient, pushes that alternate (across it) cancel — so "
           "the path picks up speed, curves and overshoots.",
    "SGD0": "With momentum μ = 0 this is plain gradient descent: the step is exactly −η·g and Δw/(−g) is η on both "
            "axes. Raise the momentum to see a velocity appear.",
    "Adagrad": "The accumulator a only grows (it adds g² at every step), so the per-axis step size η/√a only "
               "shrinks: big moves at first, then slower and slower — on a long valley Adagrad can stall before "
               "it reaches the minimum.",
    "RMSprop": "v is a moving average of g², so each axis is divided by its own recent gradient size: when "
               "gradients are steady an axis moves ≈ η·g/|g| ≈ ±η whatever the slope. Unlike Adagrad's sum, the "
               "average forgets, so the step size can grow again on flat ground.",
    "Adadelta": "The step is √(E[Δw²] + ε)/√(E[g²] + ε) · g: the size of recent steps over the size of recent "
                "gradients. Both start near zero, so the first steps are tiny and grow only as steps accumulate.",
    "Adam": "At t = 1, m̂ = g and v̂ = g², so m̂/√v̂ = ±1: each axis moves by ≈ η whatever the gradient's size — "
            "a big, diagonal first step even on a gentle slope. Later, m̂/√v̂ behaves like a signal-to-noise "
            "ratio: steady gradients keep steps near η, gradients that flip sign shrink them.",
    "AdamW": "Adam's rule (at t = 1, m̂/√v̂ = ±1 so each axis moves ≈ η whatever the gradient), plus decoupled "
             "weight decay: the weights are also shrunk by η·λ·w every step, pulling the path towards the origin.",
    "Adamax": "Like Adam, but divided by u = max(β₂·u, |g|), the largest recent |g|: at t = 1, m̂/u = ±1, so each "
              "axis moves ≈ η; afterwards one large gradient keeps that axis's steps small for a long time.",
    "Nadam": "Adam with a Nesterov look-ahead: the step mixes the new gradient with the momentum it is about to "
             "apply (μ_{t+1}), so it turns a step earlier than Adam. Its first steps are also ≈ η per axis.",
    "Lion": "sign() makes every coordinate move exactly ±η, so every step has length η·√2 and is diagonal, "
            "whatever the gradient's size. The momentum only decides the signs.",
}


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
    if choice.name == "SGD" and not choice.value("momentum"):
        return WHY["SGD0"]
    return WHY.get(choice.name, "")


canonical = OptChoice.canonical  # default-valued hyperparameters dropped, as the editor returns it


def in_flavor(choice: OptChoice, flavor: str) -> tuple[OptChoice, list[str]]:
    """The same optimizer and hyperparameters in another flavour (dropping the ones it lacks)."""
    names = {hp.name for hp in optimizers.spec(choice.name, flavor)}
    kept = tuple((k, v) for k, v in choice.params if k in names)
    dropped = [k for k, _ in choice.params if k not in names]
    return OptChoice(choice.name, flavor, kept), dropped


# --------------------------------------------------------------------------- #
# Cached computations                                                           #
# --------------------------------------------------------------------------- #
@st.cache_data(max_entries=256, ttl=6 * 3600, show_spinner=False)
def get_background(name: str, expr: str | None, window: tuple) -> dict:
    return background_image(get_land(name, expr), n=160, bounds=window)


@st.cache_data(max_entries=128, ttl=6 * 3600, show_spinner=False)
def run_full(land_key: tuple, choice_key: tuple, start: tuple, steps: int, noise: float, seed: int) -> dict:
    """One run recorded in full (every gradient and state slot), as plain arrays."""
    opt = OptChoice(*choice_key).build()
    t = optimizers.run(opt, get_land(*land_key), start=np.asarray(start), steps=steps, noise=noise, seed=seed,
                       record="full")
    return dict(params=t.params, loss=t.loss, grads=t.grads, slots=t.slots, learning_rate=t.learning_rate,
                diverged_at=t.diverged_at)


def trajectory(land_key, choice: OptChoice, start, steps, noise, seed) -> optimizers.Trajectory:
    arrays = run_full(land_key, (choice.name, choice.flavor, choice.params), start, steps, noise, seed)
    return optimizers.Trajectory(steps=steps, optimizer=choice.build(), landscape=get_land(*land_key), noise=noise,
                                 seed=seed, record="full", **arrays)


def last_step(traj) -> int:
    """The last inspectable k: updates after a divergence are frozen, the diverging one is shown."""
    d = traj.diverged_at
    return (traj.steps if d is None else int(d)) - 1


# --------------------------------------------------------------------------- #
# State: seeded once from the URL                                               #
# --------------------------------------------------------------------------- #
def init_from_url() -> list[str]:
    params = {k: st.query_params[k] for k in st.query_params}
    values, notices = read_fields(FIELDS, params)
    for name in ("land", "expr", "steps", "noise", "seed", "cmp"):
        st.session_state[P + name] = values[name]
    st.session_state[P + "k"] = values["k"]
    st.session_state[P + "k_from_url"] = "k" in params
    choices, more = read_optimizers(params, [DEFAULT_OPT], max_n=1)
    notices += more
    st.session_state[P + "o1_init"] = canonical(choices[0])
    # A second link replaces the optimizer: drop the editor's old widget values so it seeds from the link.
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(P + "o1_") and k != P + "o1_init"]:
        del st.session_state[key]
    if "start" in params:
        notice = start_from_link(P, values["land"], params["start"])
        if notice:
            notices.append(notice)
    return notices


SAVED = ("land", "expr", "steps", "noise", "seed", "cmp", "zoom", "k")


def restore_widgets() -> None:
    """Streamlit forgets a widget's value when a run does not draw it (a visit to another page):
    put back the values this page last used, so coming back does not reset it (steps would become 1)."""
    for key, value in st.session_state.get(P + "saved", {}).items():
        if key not in st.session_state:
            st.session_state[key] = value


def save_widgets(choice: OptChoice) -> None:
    keys = [P + n for n in SAVED] + [k for k in st.session_state if k.startswith((P + "sx_", P + "sy_"))]
    st.session_state[P + "saved"] = {k: st.session_state[k] for k in keys if k in st.session_state}
    st.session_state[P + "o1_init"] = choice  # the optimizer editor re-seeds from it


def move_k(delta: int) -> None:
    k = int(st.session_state.get(P + "k", 0)) + delta
    st.session_state[P + "k"] = int(min(max(k, 0), st.session_state.get(P + "kmax", 0)))


# --------------------------------------------------------------------------- #
# The page                                                                      #
# --------------------------------------------------------------------------- #
st.title("🔬 Step inspector")
st.caption("Pick an optimizer and a step, and see every number that went into it: the gradient, the optimizer's "
           "memory (its state) before and after, and the arrows that explain why the path bends there.")

# Read the URL on the first run of the page in a session, and again whenever the page is opened with a
# different link; reruns see exactly the parameters this page wrote last time.
# Parameters of other pages (e.g. `opt` left by the maths page) are not a link to this one.
OWN = {f.name for f in FIELDS} | {"start"} | {f"o{i}" for i in range(1, 9)}
url_now = {k: st.query_params[k] for k in st.query_params if k in OWN}
if P + "o1_init" not in st.session_state or (url_now and url_now != st.session_state.get(P + "written")):
    st.session_state[P + "notices"] = init_from_url()
restore_widgets()
notice_box = st.container()
notices = list(st.session_state.get(P + "notices", []))

with st.sidebar:
    st.header("Inspector settings")
    land_name, expr, land, (sx, sy) = landscape_and_start(P, DEFAULT_EXPR, "x**2 + 3*sin(y)")
    (bx0, bx1), (by0, by1) = land.bounds
    xlabel, ylabel = getattr(land, "axis_labels", ("x", "y"))
    steps = st.number_input("Steps", 1, MAX_STEPS, step=50, key=P + "steps")
    c1, c2 = st.columns(2)
    noise = c1.number_input("Gradient noise σ", 0.0, 10.0, step=0.1, format="%.3g", key=P + "noise",
                            help="Gaussian noise added to every gradient (a stand-in for mini-batches). "
                                 "The gradient shown is the noisy one the optimizer used.")
    seed = c2.number_input("Noise seed", 0, 2**31 - 1, step=1, key=P + "seed")
    st.subheader("Optimizer")
    choice = optimizer_editor(P + "o1", st.session_state[P + "o1_init"])
    cmp = st.checkbox("Compare flavours side by side", key=P + "cmp",
                      help="The same optimizer and hyperparameters as Keras 3 computes it, as the paper writes it "
                           "(textbook) and as torch.optim computes it, at the same step.")
    zoom = st.radio("Map", ("step", "all"), key=P + "zoom", horizontal=True,
                    format_func={"step": "around the step", "all": "whole landscape"}.get)

start = (float(sx), float(sy))
land_key = (land_name, expr)
n_runs = len(optimizers.get_class(choice.name).flavors()) + 1 if cmp else 1  # the work budget (optimizers/budget.py)
steps = show_plan(budget.plan_runs(land, n_runs, int(steps), what="these runs"))["steps"]

try:
    traj = trajectory(land_key, choice, start, int(steps), float(noise), int(seed))
except ValueError as exc:
    with notice_box:
        show_notices(notices)
    st.error(f"Could not run {choice.label()}: {exc}")
    st.stop()

kmax = last_step(traj)
st.session_state[P + "kmax"] = max(kmax, 0)
k_now = int(st.session_state.get(P + "k", 0))
if st.session_state.pop(P + "k_from_url", False) and k_now > kmax >= 0:
    notices.append(f"Ignored `k={k_now}` from the link: this run has updates k = 0 … {kmax}; "
                   f"showing the last one, k = {kmax}.")
    st.session_state[P + "notices"] = notices
st.session_state[P + "k"] = int(min(max(k_now, 0), max(kmax, 0)))

with notice_box:
    show_notices(notices)

# Write the settings back: the address bar is always a link to this very step.
values = {"land": land_name, "expr": expr or DEFAULT_EXPR, "steps": int(steps), "noise": float(noise),
          "seed": int(seed), "cmp": bool(cmp)}
url = encode_fields([f for f in FIELDS if f.name != "k"], values)
if abs(start[0] - land.start[0]) > 1e-12 or abs(start[1] - land.start[1]) > 1e-12:
    url["start"] = START.encode(start)
url["o1"] = choice.encode()
url["k"] = str(st.session_state[P + "k"])
st.query_params.from_dict(url)
st.session_state[P + "written"] = url
save_widgets(choice)

if kmax < 0:
    st.error("The start point is unusable for this landscape (the loss or its gradient is not finite there), "
             "so there is no step to inspect. Move the start.")
    st.stop()
if traj.diverged_at is not None:
    st.warning(f"**{choice.label()} diverged at step {traj.diverged_at}**: the update k = {kmax} produced an "
               f"unusable point (non-finite or far outside the landscape), so the run stops there. You can inspect "
               f"steps 0 … {kmax}; the last one shows why it blew up.", icon="💥")

# The step selector: a slider plus one-step buttons.
b_prev, b_slider, b_next = st.columns([1, 8, 1], vertical_alignment="bottom")
b_prev.button("◀ Step", key=P + "prev", on_click=move_k, args=(-1,), disabled=st.session_state[P + "k"] <= 0,
              help="One update back", width="stretch")
b_next.button("Step ▶", key=P + "next", on_click=move_k, args=(1,), disabled=st.session_state[P + "k"] >= kmax,
              help="One update forward", width="stretch")
with b_slider:
    if kmax > 0:
        st.slider("Inspected step k (the update from w_k to w_k+1)", 0, kmax, key=P + "k")
    else:
        st.caption("This run has a single update, k = 0.")
k = int(st.session_state[P + "k"])

try:
    ex = optimizers.explain_step(traj, k)
except ValueError as exc:
    st.error(f"Cannot explain this step: {exc}")
    st.stop()
opt = traj.optimizer
hp = dict(opt.hp)

st.subheader(f"Update t = {ex.t}: from w_{k} to w_{k + 1}")
why = why_text(choice)
if why:
    st.info(why, icon="💡")

left, right = st.columns([1, 1], gap="medium")
with left:
    arrows = ic.step_arrows(choice.name, choice.flavor, ex, hp)
    drawn = ic.drawn_vectors(arrows, land.bounds)
    tips = [ex.w + v for v, _ in drawn]
    if zoom == "step":
        window = ic.step_window(land.bounds, [ex.w, ex.w_new] + tips)
    else:
        window = tuple(tuple(b) for b in land.bounds)
    bg = get_background(land_name, expr, tuple(tuple(round(v, 12) for v in w) for w in window))
    fig = ic.step_figure(bg, traj.params[:k + 1], ex.w, ex.w_new, arrows, window, land.bounds,
                         minima=land.minima, axis_labels=land.axis_labels, k=k)
    st.plotly_chart(Prebuilt(fig), key=P + "chart",
                    config={"displaylogo": False, "scrollZoom": True,
                            "toImageButtonOptions": {"format": "png", "filename": f"step-{k}", "scale": 2}})
    width = window[0][1] - window[0][0]
    step_len = float(np.hypot(*ex.step)) if np.all(np.isfinite(ex.step)) else float("nan")
    msg = (f"The view is {num(width)} wide. Red: the actual step Δw, drawn exactly. White (dotted) and blue "
           "(dashed): directions only, scaled to a common length — the legend gives each scale.")
    if np.isfinite(step_len) and step_len < 0.02 * width:
        msg += f" This step (length {num(step_len)}) is too short to see at this zoom; the numbers are on the right."
    st.caption(msg)

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
    meanings = [f"**{ic.slot_label(choice.name, choice.flavor, s)}** = {ic.slot_meaning(choice.name, choice.flavor, s)}"
                for s in ex.slots_after if np.asarray(ex.slots_after[s]).size == 2]
    if meanings:
        st.caption("State (Keras names): " + "; ".join(meanings) + ".")
    scalars = ic.step_scalars(choice.name, choice.flavor, ex, opt.has_learning_rate)
    st.dataframe([{label: value for label, value in scalars}], hide_index=True, width="stretch",
                 key=P + "scalars",
                 column_config={label: st.column_config.NumberColumn(label, format="%.6g") for label, _ in scalars})
    eff = ex.effective_step_size
    if not opt.has_learning_rate:
        st.caption(f"**Effective step size** Δw/(−g) per axis: how far the step went per unit of downhill slope. "
                   f"This rule has no learning rate η; it used {num(eff[0])} on {xlabel} and {num(eff[1])} on "
                   f"{ylabel}.")
    elif choice.name in ("GradientDescent",) or (choice.name == "SGD" and "momentum" not in ex.slots_after):
        st.caption(f"**Effective step size** Δw/(−g): for plain gradient descent it is η = {num(ex.learning_rate)} "
                   f"on both axes, every step — here ({num(eff[0])}, {num(eff[1])}).")
    else:
        st.caption(f"**Effective step size** Δw/(−g) per axis: how far the step went per unit of downhill slope. "
                   f"Plain gradient descent would use η = {num(ex.learning_rate)} on both axes; "
                   f"{choice.name} used {num(eff[0])} on {xlabel} and {num(eff[1])} on {ylabel}."
                   + (" A negative value means the step went uphill on that axis (momentum carried it)."
                      if np.any(eff < 0) else ""))
    if noise > 0:
        st.caption(f"The gradient includes the seeded noise (σ = {num(noise)}) the optimizer saw.")

st.subheader("The update rule, then this step's numbers")
flav = FLAVOR_NAMES.get(choice.flavor, choice.flavor)
st.caption(f"{choice.name} as {flav} computes it (state before this update: t − 1 = {k}).")
st.latex(opt.latex)
for line in ex.lines:
    st.latex(line)

st.subheader("Effective step size over the whole run")
n = kmax + 1
eff_all = ic.effective_step_sizes(traj.params, traj.grads, n)
st.plotly_chart(Prebuilt(ic.effective_step_figure(eff_all, traj.learning_rate if opt.has_learning_rate else None, k,
                                                         axis_labels=land.axis_labels)),
                key=P + "eff", config={"displaylogo": False})
st.caption("|Δw / (−g)| on each axis at every update (log scale; hover for the signed value; the dotted line is "
           "step k). Plain gradient descent sits on the dashed η line. Adagrad's lines only sink: its accumulator "
           "only grows. Adam (at t = 1) and Lion (always) move about η per axis whatever the slope, so their ratio "
           "is about η/|g|: low where the slope is steep, high where it is flat.")

# Flavours side by side.
if cmp:
    cls = optimizers.get_class(choice.name)
    st.subheader(f"{choice.name}: the flavours side by side at step k = {k}")
    st.caption("The same optimizer and hyperparameters as Keras 3 computes it, as the paper writes it (textbook) and "
               "as torch.optim computes it. Each flavour ran its own path from the same start, so by step k they may "
               "be at different points. “None”: that flavour has no such quantity.")
    tables, scal, explained, problems = {}, {}, {}, []
    for flavor in cls.flavors():
        title = FLAVOR_NAMES.get(flavor, flavor)
        fc, dropped = in_flavor(choice, flavor)
        if dropped:
            problems.append(f"{title} has no {', '.join(dropped)}: left out.")
        try:
            ftraj = trajectory(land_key, fc, start, int(steps), float(noise), int(seed))
        except ValueError as exc:
            problems.append(f"{title}: {exc}")
            continue
        fk = min(k, last_step(ftraj))
        if fk < 0:
            problems.append(f"{title}: the start is unusable.")
            continue
        if fk != k:
            problems.append(f"{title} diverged at step {ftraj.diverged_at}; its column shows its last update, "
                            f"k = {fk}.")
        fex = optimizers.explain_step(ftraj, fk)
        tables[title] = ic.step_rows(fc.name, flavor, fex, axis_labels=land.axis_labels)
        scal[title] = ic.step_scalars(fc.name, flavor, fex, ftraj.optimizer.has_learning_rate)
        explained[title] = (flavor, fc, ftraj.optimizer, fex)
    for msg in problems:
        st.warning(msg)
    if tables:
        fmt = st.column_config.NumberColumn(format="%.6g")
        merged = ic.compare_rows(tables, axis_labels=land.axis_labels)
        st.dataframe(merged, hide_index=True, width="stretch", key=P + "compare",
                     column_config={c: fmt for c in merged[0] if c != "quantity"})
        st.dataframe(ic.compare_scalars(scal), hide_index=True, width="stretch", key=P + "compare_scalars",
                     column_config={t: fmt for t in scal})
        tabs = st.tabs([f"{t}: rule and numbers" for t in explained])
        for tab, (title, (flavor, fc, fopt, fex)) in zip(tabs, explained.items()):
            with tab:
                st.markdown(f"**{title}** — {fc.label()}")
                note = cls.NOTES.get(flavor)
                if note:
                    st.caption(note)
                st.latex(fopt.latex)
                for line in fex.lines:
                    st.latex(line)

try:
    st.page_link("pages/maths.py", label=f"The maths of {choice.name}: every symbol of its update rule",
                 icon=":material/functions:", query_params={"opt": choice.name})
except (StreamlitAPIException, KeyError):  # the maths page is not registered in this build
    st.markdown(f"[∑ The maths of {choice.name}](/maths?opt={choice.name})")
