"""Descent Lab: watch gradient-based optimizers move, and compare them side by side.

Run with ``streamlit run app.py``. This file only wires the pages together;
each page is thin glue between widgets, the engine (``optimizers``,
``landscapes``) and the figure builders (``charts``).
"""
from pathlib import Path

import streamlit as st

from ui.page_state import open_presentation, present_in_link
from ui.presets import show_story
from ui.warm import start_once as start_warm_up

# The tab icon is a file: a Material icon there makes the browser fetch it from Google's font CDN.
st.set_page_config(page_title="Descent Lab", page_icon=str(Path(__file__).parent / "static" / "favicon.png"),
                   layout="wide", initial_sidebar_state="collapsed" if present_in_link() else "auto")
start_warm_up()  # once per process: compute the presets in the background (ui/warm.py)

PAGES = [
    st.Page("app_pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("app_pages/race.py", title="Optimizer race", icon=":material/flag:", url_path="race"),
    st.Page("app_pages/learning_rate.py", title="Learning rate", icon=":material/trending_down:", url_path="learning_rate"),
    st.Page("app_pages/moons.py", title="Moons network", icon=":material/bedtime:", url_path="moons"),
    st.Page("app_pages/inspector.py", title="Step inspector", icon=":material/biotech:", url_path="inspector"),
    st.Page("app_pages/compare.py", title="Fair comparison", icon=":material/balance:", url_path="compare"),
    st.Page("app_pages/theory.py", title="See the theory", icon=":material/insights:", url_path="theory"),
    st.Page("app_pages/maths.py", title="The maths", icon=":material/functions:", url_path="maths"),
]

page = st.navigation(PAGES)
open_presentation()  # the "Presentation mode" switch and present=1, for every page (ui/page_state.py)
show_story(page.url_path)  # a preset's "look for" line above the page it opened
page.run()
