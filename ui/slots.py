"""The list of optimizer "slots" on the pages that edit optimizers (race, comparison, moons, learning rate,
and the inspector's single one).

Each slot has an id (its widget keys are ``<prefix>o<id>_…``) and a colour
index that stays with it when other slots are removed. Ids keep counting
across re-initialisations (a second link), so no stale widget value of an
earlier slot is reused by a new line-up.
"""
from __future__ import annotations

import streamlit as st

from ui.controls import closed_choice, optimizer_editor
from ui.settings import OptChoice


def new_slot(prefix: str, choice: OptChoice, n_colors: int) -> None:
    slots = st.session_state[prefix + "slots"]
    used = {s["color"] for s in slots}
    sid = st.session_state.setdefault(prefix + "next_id", 1)
    st.session_state[prefix + "next_id"] = sid + 1
    st.session_state[f"{prefix}o{sid}_init"] = choice   # the optimizer editor seeds from it
    slots.append({"id": sid, "color": next(i for i in range(n_colors) if i not in used)})


def reset_slots(prefix: str, choices, n_colors: int) -> None:
    """Replace the line-up (from a link or the defaults)."""
    st.session_state[prefix + "slots"] = []
    for c in choices:
        new_slot(prefix, c.canonical(), n_colors)


def remove_slot(prefix: str, sid: int) -> None:
    st.session_state[prefix + "slots"] = [s for s in st.session_state[prefix + "slots"] if s["id"] != sid]


def add_slot(prefix: str, max_n: int, add_order, n_colors: int, distinct: str = "name") -> None:
    """Add the first optimizer of ``add_order`` not shown yet (button callback).

    ``distinct="name"``: the first whose class is not shown (the race: a new kind of optimizer);
    ``"choice"``: the first whose exact settings are not shown (the moons page: the article's other
    settings, such as RMSprop with momentum, even though RMSprop is already there)."""
    slots = st.session_state[prefix + "slots"]
    if len(slots) >= max_n:
        return
    if distinct == "choice":
        used = {st.session_state.get(f"{prefix}o{s['id']}_choice") for s in slots}
        fresh = [c for c in add_order if c not in used]
    else:
        used = {st.session_state.get(f"{prefix}o{s['id']}_name") for s in slots}
        fresh = [c for c in add_order if c.name not in used]
    new_slot(prefix, (fresh or add_order)[0], n_colors)


# Pages whose optimizers train a network (no landscape point): the app options about the point (Muon's
# "treat the point as a 1×2 matrix") are not offered there; a page may also pass ``options=False`` itself.
NETWORK_PAGES = ("moons_", "theory_")


def slot_editor(prefix: str, slot: dict, **editor_options) -> OptChoice:
    """The optimizer editor of one slot (``editor_options`` go to ``ui.controls.optimizer_editor``, e.g.
    ``hide=("learning_rate",)``). Returns the edited choice, also kept as ``<prefix>o<id>_choice``."""
    editor_options.setdefault("options", prefix not in NETWORK_PAGES)
    key = f"{prefix}o{slot['id']}"
    choice = optimizer_editor(key, st.session_state[key + "_init"], **editor_options)
    st.session_state[key + "_choice"] = choice
    return choice


def slot_editors(prefix: str, colors, max_n: int, add_order, remove_help: str, add_help: str,
                 distinct: str = "name", **editor_options) -> list:
    """The optimizer editors, four to a row, each with its colour dot and a remove button, then an
    "Add optimizer" button (``distinct``: see :func:`add_slot`). Returns ``[(slot, colour, choice), ...]``
    in display order."""
    slots = st.session_state[prefix + "slots"]
    out = []
    for row in range(0, len(slots), 4):
        for col, slot in zip(st.columns(4), slots[row:row + 4]):
            with col.container(border=True):
                sid, colour = slot["id"], colors[slot["color"]]
                head, rm = st.columns([4, 1], vertical_alignment="center")
                head.markdown(f'<span style="display:inline-block;width:1.1em;height:1.1em;border-radius:50%;'
                              f'background:{colour};border:2px solid #333;vertical-align:middle"></span> '
                              f'**#{slots.index(slot) + 1}**', unsafe_allow_html=True)
                rm.button("", icon=":material/close:", key=f"{prefix}rm{sid}", on_click=remove_slot,
                          args=(prefix, sid), disabled=len(slots) <= 1, help=remove_help, type="tertiary")
                out.append((slot, colour, slot_editor(prefix, slot, **editor_options)))
    st.button("Add optimizer", icon=":material/add:", key=prefix + "add", on_click=add_slot,
              args=(prefix, max_n, add_order, len(colors), distinct), disabled=len(slots) >= max_n, help=add_help)
    return out


def closed_slots(prefix: str, colors, **editor_options) -> list:
    """The line-up of :func:`slot_editors` without drawing any editor (a page whose editors are closed):
    ``[(slot, colour, choice), ...]``, each choice as its editor returned it last, or, for a slot whose editor
    was never drawn, as it would return it (``ui.controls.closed_choice``). Building eight editors is most of a
    warm script run of the moons page, so it opens without them (load/results.md)."""
    editor_options.setdefault("options", prefix not in NETWORK_PAGES)
    editor_options.pop("show_flavor", None)
    out = []
    for slot in st.session_state[prefix + "slots"]:
        key = f"{prefix}o{slot['id']}"
        choice = st.session_state.get(key + "_choice")
        if choice is None:
            choice = st.session_state[key + "_choice"] = closed_choice(st.session_state[key + "_init"],
                                                                        **editor_options)
        out.append((slot, colors[slot["color"]], choice))
    return out


def only_editor(prefix: str) -> OptChoice:
    """The editor of a page with a single optimizer slot (``PageSpec(max_opts=1)``): no colour, no remove."""
    return slot_editor(prefix, st.session_state[prefix + "slots"][0])
