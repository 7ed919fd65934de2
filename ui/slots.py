"""The list of optimizer "slots" on the race and comparison pages.

Each slot has an id (its widget keys are ``<prefix>o<id>_…``) and a colour
index that stays with it when other slots are removed. Ids keep counting
across re-initialisations (a second link), so no stale widget value of an
earlier slot is reused by a new line-up.
"""
from __future__ import annotations

import streamlit as st

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


def add_slot(prefix: str, max_n: int, add_order, n_colors: int) -> None:
    """Add the first optimizer of ``add_order`` not shown yet (button callback)."""
    if len(st.session_state[prefix + "slots"]) >= max_n:
        return
    used = {st.session_state.get(f"{prefix}o{s['id']}_name") for s in st.session_state[prefix + "slots"]}
    fresh = [c for c in add_order if c.name not in used]
    new_slot(prefix, (fresh or add_order)[0], n_colors)
