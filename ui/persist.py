"""Keep a page's settings when the user visits another page and comes back.

Streamlit deletes a widget's value from ``st.session_state`` when a run does
not draw that widget, so a page left for the maths page comes back with its
defaults (and a number input at its minimum). ``remember(prefix)`` at the top
of a page puts back the values it last saved; ``save(prefix)`` after the
widgets are drawn takes a plain (non-widget) copy of them.
"""
from __future__ import annotations

import streamlit as st

_STORE = "_persist_"
# Keys of widgets whose value cannot (buttons, downloads) or should not (chart selections) be set back.
_SKIP = ("rm", "add", "dl_", "_chart", "step_", "btn")


def _skip(key: str, prefix: str, skip) -> bool:
    rest = key[len(prefix):]
    return any(rest.startswith(s) or s in rest for s in skip)


def remember(prefix: str) -> None:
    """Restore the values saved by :func:`save` that Streamlit has since forgotten."""
    for key, value in st.session_state.get(_STORE + prefix, {}).items():
        if key not in st.session_state:
            st.session_state[key] = value


def save(prefix: str, skip=_SKIP) -> None:
    """Copy this page's widget values (keys starting with ``prefix``) into plain session state."""
    st.session_state[_STORE + prefix] = {
        k: st.session_state[k] for k in list(st.session_state.keys())
        if isinstance(k, str) and k.startswith(prefix) and not _skip(k, prefix, skip)}
