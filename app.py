"""Descent Lab: watch gradient-based optimizers move, and compare them side by side.

Run with ``streamlit run app.py``. This file only wires the pages together;
each page is thin glue between widgets, the engine (``optimizers``,
``landscapes``) and the figure builders (``charts``).
"""
import streamlit as st

from ui.warm import start_once as start_warm_up

st.set_page_config(page_title="Descent Lab", page_icon="⛰️", layout="wide")
start_warm_up()  # once per process: compute the presets in the background (ui/warm.py)

PAGES = [
    st.Page("pages/home.py", title="Home", icon="🏠", default=True),
    st.Page("pages/race.py", title="Optimizer race", icon="🏁", url_path="race"),
    st.Page("pages/learning_rate.py", title="Learning rate", icon="📉", url_path="learning_rate"),
    st.Page("pages/moons.py", title="Moons network", icon="🌙", url_path="moons"),
    st.Page("pages/inspector.py", title="Step inspector", icon="🔬", url_path="inspector"),
    st.Page("pages/compare.py", title="Fair comparison", icon="⚖️", url_path="compare"),
    st.Page("pages/maths.py", title="The maths", icon=":material/functions:", url_path="maths"),
]

st.navigation(PAGES).run()
