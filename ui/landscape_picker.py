"""The landscape chooser shared by the race, inspector and comparison pages.

A selectbox of every 2-D landscape, a formula box for ``custom`` with live
validation (the user's text stays in the box; the charts keep the last valid
formula), the start point as two number inputs kept inside the view, and the
run's steps, gradient noise and seed.
"""
from __future__ import annotations

import functools

import streamlit as st

import landscapes
from charts.background import background_image
from landscapes.base import read_only
from landscapes.expression import parse_expression
from ui.controls import PERSIST
from ui.settings import Field, _fmt
from ui.text import literal, quoted

START = Field("start", "point", None)

LANDS = [n for n in landscapes.available() if n != "moons"]


@st.cache_resource(max_entries=64, show_spinner=False)
def get_land(name: str, expr: str | None):
    """A landscape, cached across sessions (typed formulas compile once).

    ``expr`` None for ``custom`` means its default formula (used where only its title or bounds are wanted).
    Shared by every session, so its arrays are read-only."""
    return read_only(landscapes.get(name, expression=expr) if name == "custom" and expr is not None
                     else landscapes.get(name))


@st.cache_data(max_entries=256, ttl=6 * 3600, show_spinner=False)
def get_background(name: str, expr: str | None, n: int | None = None, window: tuple | None = None) -> dict:
    """The landscape's colour map as a PNG layout image (see charts.background), cached across sessions."""
    kw = {} if n is None else {"n": n}
    if window is not None:
        kw["bounds"] = window
    return background_image(get_land(name, expr), **kw)


@functools.cache  # a landscape's title never changes: no st.cache lookup per option on every run
def title_of(name: str) -> str:
    return "Custom formula f(x, y)" if name == "custom" else get_land(name, None).title


def landscape_and_start(prefix: str, default_expr: str, example: str):
    """Draw the chooser (in the current container); return ``(name, expr, landscape, (x, y))``.

    Widget keys: ``prefix + "land"``, ``prefix + "expr"``, and ``prefix + "sx_<name>"`` /
    ``"sy_<name>"`` (one start per landscape, so switching back finds its own start)."""
    P = prefix
    land_name = st.selectbox("Landscape", LANDS, key=P + "land", format_func=title_of, persist_state=PERSIST)
    expr = None
    if land_name == "custom":
        text = st.text_input("Formula f(x, y)", key=P + "expr", max_chars=500,
                             help=f"Python syntax: {example}. " + landscapes.expression.VOCABULARY,
                             persist_state=PERSIST)
        try:
            parse_expression(text)
            get_land("custom", text)  # the gradient may still be undefined
            expr = text
            st.session_state[P + "expr_valid"] = text
        except ValueError as exc:
            expr = st.session_state.get(P + "expr_valid", default_expr)
            st.error(f"{literal(exc, None)}\n\nThe charts show the last valid formula: {quoted(expr, None)}.",
                     icon=":material/edit:")
    land = get_land(land_name, expr)
    (bx0, bx1), (by0, by1) = land.bounds
    for axis, i in (("sx", 0), ("sy", 1)):
        key = f"{P}{axis}_{land_name}"
        v = st.session_state.get(key, float(land.start[i]))
        lo, hi = land.bounds[i]
        st.session_state[key] = float(min(max(v, lo), hi))
    xlabel, ylabel = getattr(land, "axis_labels", ("x", "y"))
    cx, cy = st.columns(2)
    sx = cx.number_input(f"start {xlabel}", min_value=float(bx0), max_value=float(bx1), step=0.1, format="%.4g",
                         key=f"{P}sx_{land_name}", persist_state=PERSIST)
    sy = cy.number_input(f"start {ylabel}", min_value=float(by0), max_value=float(by1), step=0.1, format="%.4g",
                         key=f"{P}sy_{land_name}", persist_state=PERSIST)
    return land_name, expr, land, (float(sx), float(sy))


NOISE_HELP = "Gaussian noise added to every gradient: a stand-in for mini-batch gradients."


def run_settings(prefix: str, steps_label: str = "Steps", max_steps: int = 2000,
                 noise_help: str = NOISE_HELP) -> tuple[int, float, int]:
    """Steps, gradient noise σ and noise seed (keys ``prefix + "steps"``, ``"noise"``, ``"seed"``)."""
    steps = st.number_input(steps_label, 1, max_steps, step=50, key=prefix + "steps", persist_state=PERSIST)
    c1, c2 = st.columns(2)
    noise = c1.number_input("Gradient noise σ", 0.0, 10.0, step=0.1, format="%.3g", key=prefix + "noise",
                            persist_state=PERSIST, help=noise_help)
    seed = c2.number_input("Noise seed", 0, 2**31 - 1, step=1, key=prefix + "seed", persist_state=PERSIST)
    return int(steps), float(noise), int(seed)


def start_from_link(prefix: str, land_name: str, raw: str) -> str | None:
    """Seed the start inputs from a link's ``start=x,y``; return a notice if it is unusable."""
    try:
        x, y = START.parse(raw)
        (x0, x1), (y0, y1) = get_land(land_name, None).bounds  # a formula's bounds do not depend on it
        if not (x0 <= x <= x1 and y0 <= y <= y1):
            raise ValueError(f"outside the plotted area [{_fmt(x0)}, {_fmt(x1)}] × [{_fmt(y0)}, {_fmt(y1)}]")
    except ValueError as exc:
        return (f"Ignored start = {quoted(raw)} from the link ({literal(exc, None)}); "
                "using the landscape's default start.")
    st.session_state[f"{prefix}sx_{land_name}"] = float(x)
    st.session_state[f"{prefix}sy_{land_name}"] = float(y)
    return None


def seed_landscape(prefix: str, params: dict, values: dict, default_expr: str | None = None) -> list[str]:
    """Seed the chooser from a new link (a ``PageSpec`` seed callback's part for the landscape).

    Starts not in the link are the landscapes' own, and the last valid formula is forgotten. With
    ``default_expr``, a link's custom formula that cannot be read is replaced by it, with a notice.
    Returns the notices."""
    ss = st.session_state
    for key in [k for k in ss if isinstance(k, str) and k.startswith((prefix + "sx_", prefix + "sy_"))]:
        del ss[key]
    ss.pop(prefix + "expr_valid", None)
    notices = []
    if default_expr is not None and values.get("land") == "custom" and "expr" in params:
        try:
            parse_expression(values["expr"])
            get_land("custom", values["expr"])
        except ValueError as exc:
            notices.append(f"Ignored expr = {quoted(params['expr'])} from the link ({literal(exc, None)}); "
                           f"using the formula {quoted(default_expr, None)}.")
            ss[prefix + "expr"] = default_expr
    if "start" in params:
        notice = start_from_link(prefix, values["land"], params["start"])
        if notice:
            notices.append(notice)
    return notices
