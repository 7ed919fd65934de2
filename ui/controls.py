"""Streamlit widgets generated from the engine's hyperparameter specs.

Widget keys include the optimizer's name and flavour, so switching Adam to
Lion shows Lion's defaults instead of carrying Adam's β₂ across. Initial
values are written to ``st.session_state`` before a widget is created (never
passed as ``value=`` as well), which is how a shared link pre-fills them.
"""
from __future__ import annotations

import streamlit as st

import optimizers
from ui.settings import OptChoice, _fmt, slider_grid

FLAVOR_LABELS = {"keras": "Keras 3", "textbook": "textbook", "pytorch": "PyTorch"}
# Every page widget keeps its value across a visit to another page (Streamlit's own mechanism).
PERSIST = "session"


def _seed(key, value):
    if key not in st.session_state:
        st.session_state[key] = value


def optimizer_editor(key: str, choice: OptChoice, *, show_flavor: bool = True, hide=()) -> OptChoice:
    """Controls for one optimizer; returns the (possibly edited) choice.

    ``hide`` names hyperparameters the page sets itself (the learning-rate page's ``learning_rate``):
    they get no control and are left out of the returned choice."""
    names = optimizers.available()
    _seed(f"{key}_name", choice.name)
    name = st.selectbox("Optimizer", names, key=f"{key}_name", persist_state=PERSIST)
    cls = optimizers.get_class(name)
    flavor = choice.flavor if choice.name == name and choice.flavor in cls.flavors() else "keras"
    if show_flavor and len(cls.flavors()) > 1:
        _seed(f"{key}_{name}_flavor", flavor)
        flavor = st.radio("Flavour", cls.flavors(), key=f"{key}_{name}_flavor", horizontal=True,
                          format_func=lambda f: FLAVOR_LABELS.get(f, f), persist_state=PERSIST,
                          help="Keras 3: what keras.optimizers computes. Textbook: the paper's form.")
    same = choice.name == name and choice.flavor == flavor
    params = {}
    for hp in optimizers.spec(name, flavor):
        if hp.name in hide:
            continue
        wkey = f"{key}_{name}_{flavor}_{hp.name}"
        current = choice.value(hp.name) if same else hp.default
        if hp.kind == "bool":
            _seed(wkey, bool(current))
            value = st.checkbox(hp.name, key=wkey, help=hp.help, persist_state=PERSIST)
        else:
            grid = slider_grid(hp, current)
            if wkey in st.session_state and st.session_state[wkey] not in grid:
                grid = sorted(set(grid) | {st.session_state[wkey]})
            _seed(wkey, float(current))
            value = st.select_slider(hp.name, options=grid, key=wkey, format_func=_fmt, help=hp.help,
                                     persist_state=PERSIST)
        if value != hp.default:
            params[hp.name] = value
    return OptChoice(name, flavor, tuple(sorted(params.items())))
