"""Pure functions from engine results to Plotly figures. No Streamlit here."""
