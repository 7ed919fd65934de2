"""Widgets and state shared by the pages (the only layer besides pages/ that imports streamlit)."""
