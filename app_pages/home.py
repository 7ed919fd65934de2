"""Home: what Descent Lab is, a gallery of classroom presets next to a live race, and the pages."""
from urllib.parse import urlsplit

import streamlit as st

import optimizers
from charts.race import Prebuilt
from ui.blocks import plot_config
from ui.page_state import plotly_chart, present_mode
from ui.presets import BY_ID, PAGES, PRESETS, link
from ui.showcase import FEATURED, small_race

COLUMNS = 2  # preset cards per row, next to the live race

PAGE_BLURBS = {
    "race": "Up to eight optimizers on one landscape, animated side by side: Rosenbrock, saddles, "
            "multimodal surfaces or your own formula. Click the map to move the start; add noise, schedules, "
            "weight decay and clipping.",
    "learning_rate": "The Kerasy document's line fit: the same optimizer with up to six learning rates, "
                     "full-batch or mini-batch. Watch slow, good and diverging rates.",
    "moons": "The article's experiment: a small neural network (12-13-13 hidden units) learning the two "
             "moons, one loss curve and decision boundary per optimizer.",
    "inspector": "One update of one optimizer taken apart: the gradient, the optimizer's state and every term "
                 "of its rule at a chosen step, with the flavours compared.",
    "compare": "A fair comparison: learning-rate sensitivity sweeps, basin maps of where each optimizer ends "
               "up from many starts, and a race with every optimizer at a tuned learning rate.",
    "theory": "Three results of optimization theory, live: the momentum phase diagram measured against its exact "
              "boundary, the edge of stability (sharpness meeting 2/η) on the moons network, and the network's own "
              "loss landscape with every optimizer's path projected on one plane.",
    "maths": "Every update rule as Keras 3 computes it and as the paper writes it, side by side, with "
             "defaults, hyperparameters and the errors in the two source documents.",
}


def base_url() -> str:
    """The app's address (for absolute links in slides), or "" when unknown (tests)."""
    try:
        url = st.context.url
    except Exception:  # noqa: BLE001 - st.context is unavailable outside a real session
        return ""
    if not url:
        return ""
    parts = urlsplit(url)
    path = parts.path[: parts.path.rfind("/") + 1] or "/"
    return f"{parts.scheme}://{parts.netloc}{path}"


st.title("Descent Lab")
gallery, live = st.columns([3, 2], gap="large")  # the live race sits at the top, next to the gallery
with gallery:
    st.markdown(
        "Descent Lab lets you **watch gradient-based optimizers move** over loss surfaces and a small neural "
        "network, and compare them side by side. Every update rule is computed **exactly as Keras 3 computes "
        "it**, with the paper's *textbook* form one switch away."
    )
    st.caption(":material/verified: Exactness: every optimizer is computed exactly as Keras 3 computes it, checked "
               "against Keras 3 fixtures (and against PyTorch for the *pytorch* flavour); the maths page shows each "
               "rule.")

    # --- gallery -------------------------------------------------------------------------------------------------
    st.header("Classroom presets")
    st.markdown("Each card opens a page with everything set; the address bar then holds a link for your slides.")
    for start in range(0, len(PRESETS), COLUMNS):
        cols = st.columns(COLUMNS, gap="small")
        for col, preset in zip(cols, PRESETS[start:start + COLUMNS]):
            with col.container(border=True, key=f"preset_{preset.id}", height="stretch"):
                st.markdown(f"#### {preset.title}")
                st.caption(f"Opens: {preset.page_title} · {', '.join(preset.optimizer_names())}")
                st.markdown(f"**Look for:** {preset.description}")
                st.page_link(preset.page_file, label=f"Open in {preset.page_title}", icon=":material/play_circle:",
                             query_params=preset.params)
with live:  # --- a live race ------------------------------------------------------------------------------------
    featured = BY_ID[FEATURED]
    st.markdown(f"**Watch it move: {featured.title}.** Press ▶ Play under the map.")
    plotly_chart(Prebuilt(small_race(FEATURED)), key="home_race",
                 config=plot_config("descent-lab-race", scrollZoom=False, displayModeBar=False))
    st.caption(featured.description)
    st.page_link(featured.page_file, label="Open the full race", icon=":material/open_in_full:",
                 query_params=featured.params)

base = base_url()
suffix = "&present=1" if present_mode() else ""  # links for a lecture open in presentation mode too
with st.expander("All preset links, for slides"):
    st.markdown("\n".join(f"- **{p.title}**: `{base}{link(p)}{suffix}`" for p in PRESETS))

# --- pages (their descriptions are in each link's tooltip) ---------------------------------------------------------
st.header("Pages")
cols = st.columns(4)
for i, (url_path, (page_file, title, icon)) in enumerate(PAGES.items()):
    with cols[i % 4]:
        st.page_link(page_file, label=title, icon=icon, help=PAGE_BLURBS[url_path])

# --- optimizers ----------------------------------------------------------------------------------------------------
st.header("The optimizers")
names = optimizers.available()
st.markdown(f"{len(names)} update rules, each with its Keras 3 and textbook form on the maths page:")
cols = st.columns(5)
for i, name in enumerate(names):
    with cols[i % 5]:
        st.page_link("app_pages/maths.py", label=name, query_params={"opt": name})
