"""The landscape chooser shared by the race, inspector and comparison pages.

A selectbox of every 2-D landscape, a formula box for ``custom`` with live
validation (the user's text stays in the box; the charts keep the last valid
formula), and the start point as two number inputs kept inside the view.
"""
from __future__ import annotations

import streamlit as st

import landscapes
from landscapes.base import read_only
from landscapes.expression import parse_expression
from ui.settings import Field, _fmt

START = Field("start", "point", None)

LANDS = [n for n in landscapes.available() if n != "moons"]


@st.cache_resource(max_entries=64, show_spinner=False)
def get_land(name: str, expr: str | None):
    """A landscape, cached across sessions (typed formulas compile once).

    ``expr`` None for ``custom`` means its default formula (used where only its title or bounds are wanted).
    Shared by every session, so its arrays are read-only."""
    return read_only(landscapes.get(name, expression=expr) if name == "custom" and expr is not None
                     else landscapes.get(name))


def title_of(name: str) -> str:
    return "Custom formula f(x, y)" if name == "custom" else get_land(name, None).title


def landscape_and_start(prefix: str, default_expr: str, example: str):
    """Draw the chooser (in the current container); return ``(name, expr, landscape, (x, y))``.

    Widget keys: ``prefix + "land"``, ``prefix + "expr"``, and ``prefix + "sx_<name>"`` /
    ``"sy_<name>"`` (one start per landscape, so switching back finds its own start)."""
    P = prefix
    land_name = st.selectbox("Landscape", LANDS, key=P + "land", format_func=title_of)
    expr = None
    if land_name == "custom":
        text = st.text_input("Formula f(x, y)", key=P + "expr", max_chars=500,
                             help=f"Python syntax: {example}. " + landscapes.expression.VOCABULARY)
        try:
            parse_expression(text)
            get_land("custom", text)  # the gradient may still be undefined
            expr = text
            st.session_state[P + "expr_valid"] = text
        except ValueError as exc:
            expr = st.session_state.get(P + "expr_valid", default_expr)
            st.error(f"{exc}\n\nThe charts show the last valid formula: `{expr}`.", icon=":material/edit:")
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
                         key=f"{P}sx_{land_name}")
    sy = cy.number_input(f"start {ylabel}", min_value=float(by0), max_value=float(by1), step=0.1, format="%.4g",
                         key=f"{P}sy_{land_name}")
    return land_name, expr, land, (float(sx), float(sy))


def start_from_link(prefix: str, land_name: str, raw: str) -> str | None:
    """Seed the start inputs from a link's ``start=x,y``; return a notice if it is unusable."""
    try:
        x, y = START.parse(raw)
        (x0, x1), (y0, y1) = get_land(land_name, None).bounds  # a formula's bounds do not depend on it
        if not (x0 <= x <= x1 and y0 <= y <= y1):
            raise ValueError(f"outside the plotted area [{_fmt(x0)}, {_fmt(x1)}] × [{_fmt(y0)}, {_fmt(y1)}]")
    except ValueError as exc:
        return (f"Ignored `start={str(raw)[:40]}` from the link ({exc}); "
                "using the landscape's default start.")
    st.session_state[f"{prefix}sx_{land_name}"] = float(x)
    st.session_state[f"{prefix}sy_{land_name}"] = float(y)
    return None
