"""Home: what Descent Lab is."""
import streamlit as st

import optimizers

st.title("Descent Lab")
st.markdown(
    "Descent Lab lets you **watch gradient-based optimizers move** over loss surfaces and a small neural "
    "network, and compare them side by side. Every update rule is computed **exactly as Keras 3 computes "
    "it**, with the paper's *textbook* form one switch away."
)
st.markdown("**Optimizers:** " + ", ".join(optimizers.available()))
