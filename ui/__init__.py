"""Widgets and state shared by the pages (the only layer besides pages/ that imports streamlit).

Importing this package also repairs one Streamlit start-up trap (see
``_leave_pages_folder_mode``), because every page imports it first.
"""


def _leave_pages_folder_mode() -> None:
    """Make a shared link work even as the first request after a server start.

    Streamlit 1.67 decides at start-up that an app with a ``pages/`` folder is
    an old-style (v1) multipage app, and keeps thinking so until ``app.py``
    calls ``st.navigation``. So if the very first visitor opens a shared link
    such as ``/race?…`` (not ``/``), every session runs ``pages/race.py`` on its
    own: no ``app.py``, file names in the sidebar. When that happens we switch
    the flag off, as ``st.navigation`` itself would, and rerun: the rerun goes
    through ``app.py`` and lands on the same page with the same URL.
    """
    try:
        import streamlit as st
        from streamlit.runtime.pages_manager import PagesManager
        from streamlit.runtime.scriptrunner import get_script_run_ctx
    except ImportError:  # pragma: no cover - a Streamlit without these internals
        return
    if PagesManager.uses_pages_directory and get_script_run_ctx() is not None:
        PagesManager.uses_pages_directory = False
        st.rerun()


_leave_pages_folder_mode()
