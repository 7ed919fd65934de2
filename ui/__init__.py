"""Widgets and page state shared by the pages (with ``app_pages/``, the only layer that imports streamlit)."""
