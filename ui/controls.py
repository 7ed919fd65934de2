"""Streamlit widgets generated from the engine's hyperparameter specs.

Widget keys include the optimizer's name and flavour, so switching Adam to
Lion shows Lion's defaults instead of carrying Adam's β₂ across. Switching the
*flavour* of one optimizer changes one thing at a time: every hyperparameter the
two flavours share keeps its value, and a note offers the new flavour's default
where it differs ("textbook ε default is 1e-08: apply"). Initial values are
written to ``st.session_state`` before a widget is created (never passed as
``value=`` as well), which is how a shared link pre-fills them.
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


# Labels of the engine's app options (``Optimizer.OPTIONS``: switches that are not arguments of the real optimizer).
OPTION_LABELS = {"as_matrix": "Treat the point as a 1×2 matrix"}


def optimizer_editor(key: str, choice: OptChoice, *, show_flavor: bool = True, hide=(),
                     options: bool = True) -> OptChoice:
    """Controls for one optimizer; returns the (possibly edited) choice.

    ``hide`` names hyperparameters the page sets itself (the learning-rate page's ``learning_rate``):
    they get no control and are left out of the returned choice. ``options=False`` leaves out the app
    options about a landscape's point (Muon's ``as_matrix``) on pages that train a network."""
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
    before = st.session_state.get(f"{key}_{name}_last")  # (flavour, {hp: value}) drawn last run
    switched = before is not None and before[0] != flavor
    if switched:
        _carry_over(key, name, before, flavor, hide)
        st.session_state[f"{key}_{name}_from"] = before[0]
    params, values = {}, {}
    opts = {hp.name for hp in optimizers.get_class(name).options(flavor)}
    if not options:
        hide = tuple(hide) + tuple(opts)
    for hp in optimizers.settings_spec(name, flavor):
        if hp.name in hide:
            continue
        wkey = f"{key}_{name}_{flavor}_{hp.name}"
        current = choice.value(hp.name) if same else hp.default
        if hp.kind == "bool":
            _seed(wkey, bool(current))
            value = st.checkbox(OPTION_LABELS.get(hp.name, hp.name), key=wkey, help=hp.help, persist_state=PERSIST)
        else:
            grid = slider_grid(hp, current)
            if wkey in st.session_state and st.session_state[wkey] not in grid:
                grid = sorted(set(grid) | {st.session_state[wkey]})
            _seed(wkey, float(current))
            value = st.select_slider(hp.name, options=grid, key=wkey, format_func=_fmt, help=hp.help,
                                     persist_state=PERSIST)
        values[hp.name] = value
        if value != hp.default:
            params[hp.name] = value
    note = optimizers.teaching(name).option_note
    if note is not None and opts - set(hide):
        st.caption(note(flavor, values))
    st.session_state[f"{key}_{name}_last"] = (flavor, values)
    came_from = st.session_state.get(f"{key}_{name}_from")
    if came_from is not None and came_from != flavor:
        _other_defaults(key, name, came_from, flavor, values)
    return OptChoice(name, flavor, tuple(sorted(params.items())))


def closed_choice(choice: OptChoice, *, hide=(), options: bool = True) -> OptChoice:
    """What :func:`optimizer_editor` returns for a slot whose widgets were never drawn: the same values it would
    seed them with (``choice``'s, in ``choice``'s flavour if the class has it, else Keras's), the same types
    (``bool`` switches, ``float`` numbers), default-valued ones dropped, ``hide`` and (``options=False``) the
    app options left out. Lets a page keep its editors closed (not built) and still run and link the same line-up;
    tests/test_lazy_editors.py checks it equals the editor's result."""
    cls = optimizers.get_class(choice.name)
    flavor = choice.flavor if choice.flavor in cls.flavors() else "keras"
    if not options:
        hide = tuple(hide) + tuple(hp.name for hp in cls.options(flavor))
    params = {}
    for hp in optimizers.settings_spec(choice.name, flavor):
        if hp.name in hide:
            continue
        current = choice.value(hp.name) if flavor == choice.flavor else hp.default
        value = bool(current) if hp.kind == "bool" else float(current)
        if value != hp.default:
            params[hp.name] = value
    return OptChoice(choice.name, flavor, tuple(sorted(params.items())))


def _carry_over(key: str, name: str, before, flavor: str, hide) -> None:
    """A flavour switch keeps every shared hyperparameter's value (if the new flavour accepts it)."""
    old_flavor, old_values = before
    for hp in optimizers.settings_spec(name, flavor):
        if hp.name in hide or hp.name not in old_values:
            continue
        try:
            hp.check(old_values[hp.name], name)
        except ValueError:
            continue
        st.session_state[f"{key}_{name}_{flavor}_{hp.name}"] = old_values[hp.name]


def _other_defaults(key: str, name: str, old_flavor: str, flavor: str, values: dict) -> None:
    """Where the flavour just left had another default than this one, offer this flavour's default."""
    if old_flavor == flavor:
        return
    old = {hp.name: hp.default for hp in optimizers.spec(name, old_flavor)}
    for hp in optimizers.spec(name, flavor):
        if hp.name in old and old[hp.name] != hp.default and hp.name in values and values[hp.name] != hp.default:
            label = FLAVOR_LABELS.get(flavor, flavor)
            c1, c2 = st.columns([3, 1], vertical_alignment="center")
            c1.caption(f"Kept {hp.name} = {_fmt(values[hp.name])} from {FLAVOR_LABELS.get(old_flavor, old_flavor)}; "
                       f"the {label} default is {_fmt(hp.default)}.")
            c2.button("Apply", key=f"{key}_{name}_{flavor}_{hp.name}_apply", on_click=_apply,
                      args=(f"{key}_{name}_{flavor}_{hp.name}", hp.default),
                      help=f"Set {hp.name} to the {label} default, {_fmt(hp.default)}")


def _apply(wkey: str, value) -> None:
    st.session_state[wkey] = value
