"""The maths: each optimizer's update rule (Keras 3 and textbook), defaults, hyperparameters, errata.

The formulas come from the engine (``LATEX``, ``NOTES``, ``spec``), so this page shows exactly what
the other pages compute. Other pages link here with ``?opt=Name``.
"""
import streamlit as st

import optimizers
from ui import maths_content as mc
from ui.page_state import PERSIST, PageSpec, open_page, write_link
from ui.settings import Field
from ui.text import literal, quoted

NAMES = optimizers.available()
FLAVOR_TITLES = {"keras": "Keras 3", "textbook": "textbook", "pytorch": "PyTorch"}
SPEC = PageSpec("maths_", (Field("opt", "text", mc.DEFAULT_OPT, label="Optimizer"),))
KEY = SPEC.key("opt")


def resolve(params: dict, values: dict) -> list[str]:
    """The optimizer named by the link's ``opt`` (a Keras class name or alias), or the default with a notice."""
    raw = params.get("opt")
    st.session_state[KEY] = mc.DEFAULT_OPT
    if raw is None or raw == "":
        return []
    try:
        st.session_state[KEY] = optimizers.get_class(str(raw)).name
        return []
    except ValueError:
        return [f"Ignored opt = {quoted(raw)} from the link: there is no optimizer of that name "
                f"(valid: {literal(', '.join(NAMES), None)}). Showing {mc.DEFAULT_OPT}."]


# The page's style comes first, before any formula (a formula drawn before its style widened a phone's page).
# Display maths is large in Streamlit; the longest rules (AdamW, Adam, RMSprop) only fit half a wide page at
# about 0.7 of that size. Anything still too wide scrolls instead of being cut off.
st.html("<style>.st-key-rule_keras .katex-display, .st-key-rule_textbook .katex-display "
        "{font-size: 0.7em; overflow-x: auto; overflow-y: hidden; padding-bottom: 0.2rem;} "
        ".st-key-rule_keras .katex-display > .katex, .st-key-rule_textbook .katex-display > .katex "
        "{text-align: left; padding-left: 0.2rem;} "
        # every other formula and table scrolls inside its own box on a phone instead of widening the page
        "[data-testid=stMain] .katex-display, [data-testid=stMain] [data-testid=stTable] "
        "{max-width: 100%; overflow-x: auto; overflow-y: hidden; position: relative;} "
        "[data-testid=stMain] .katex {position: relative;} "
        "[data-testid=stMain] [data-testid=stMarkdownContainer] {overflow-x: auto; overflow-y: hidden;}</style>")
st.title("∑ The maths")
st.markdown(
    "Each optimizer's update rule **as Keras 3 computes it** and **as its paper writes it**, side by side. "
    "The formulas, notes, defaults and hyperparameters below are read from the same engine that computes "
    "every run in this app, so this page cannot disagree with what you see elsewhere."
)
open_page(SPEC, seed=resolve)

name = st.selectbox("Optimizer", NAMES, key=KEY, help="Other pages open this page at their optimizer.",
                    persist_state=PERSIST)
write_link(SPEC, {"opt": name}, always=("opt",))
cls = optimizers.get_class(name)

st.header(name, anchor="rule")
st.markdown(mc.SUMMARY[name])

# --- the rule, both flavours -------------------------------------------------------------------------------------
left, right = st.columns(2, gap="medium")
with left.container(key="rule_keras"):
    st.subheader("Keras 3")
    st.caption("What `keras.optimizers` computes: the app's default flavour.")
    st.latex(cls.LATEX["keras"])
with right.container(key="rule_textbook"):
    st.subheader("Textbook")
    st.caption("The paper's form: the *textbook* flavour in the app.")
    st.latex(cls.LATEX["textbook"])
st.info(cls.NOTES["textbook"], icon=":material/balance:")
if "pytorch" in cls.LATEX:
    with st.expander("PyTorch (`torch.optim`), the app's third flavour"):
        st.latex(cls.LATEX["pytorch"])
        st.markdown(cls.NOTES.get("pytorch", ""))

st.subheader("What differs")
st.markdown("\n".join(f"- {line}" for line in mc.DIFFERENCES[name]))

# --- defaults ------------------------------------------------------------------------------------
st.subheader("Defaults in four sources")
st.table(mc.defaults_rows(name), hide_index=True)
st.caption("The Keras 3 row is read from the engine's hyperparameter specs; the others are from the "
           "sources themselves (Kerasy's optimizers.py, the papers, PyTorch 2.13).")

# --- hyperparameters -----------------------------------------------------------------------------
st.subheader("Hyperparameters")
flavors = cls.flavors()
tabs = st.tabs([FLAVOR_TITLES.get(f, f) for f in flavors])
for tab, flavor in zip(tabs, flavors):
    with tab:
        st.markdown(mc.hyperparameter_markdown(name, flavor))
st.caption("Every Keras 3 optimizer also takes the common arguments `weight_decay`, `clipnorm`, "
           "`clipvalue`, `global_clipnorm`, `use_ema` and `gradient_accumulation_steps` (see below).")

# --- errata about this optimizer ---------------------------------------------------------------------
mine = mc.errata_for(name)
st.subheader("What the source documents get wrong or leave out")
if mine:
    st.markdown("\n".join(f"- **{mc.erratum_label(e)}: {e.title}.** {e.text}" for e in mine))
else:
    st.markdown("Neither source document has an erratum specific to this optimizer; see the general "
                "errata at the end of the page.")

st.markdown("**See it move:**")
st.page_link("app_pages/race.py", label=f"Race {name}: Keras 3 vs textbook", icon=":material/flag:",
             query_params={"o1": name, "o2": f"{name};flavor=textbook"})

st.divider()

# --- common machinery ------------------------------------------------------------------------------
st.header("The common Keras 3 machinery", anchor="machinery")
st.markdown("Every Keras 3 optimizer inherits one `apply()` step. Its order of operations:")
st.markdown("\n".join(f"{i}. {line}" for i, line in enumerate(mc.ORDER_OF_OPERATIONS, start=1)))
st.markdown("During the update rule the counter still holds the number of completed steps, so the "
            "bias corrections use **t = iterations + 1**.")
for title, latex, text in (("Decoupled weight decay", mc.WEIGHT_DECAY_LATEX, mc.WEIGHT_DECAY_TEXT),
                           ("Clipping", mc.CLIPPING_LATEX, mc.CLIPPING_TEXT),
                           ("Schedules at the raw counter", mc.SCHEDULE_LATEX, mc.SCHEDULE_TEXT)):
    with st.container(border=True):
        formula, words = st.columns([1, 1], gap="medium", vertical_alignment="center")
        with formula:
            st.markdown(f"**{title}**")
            st.latex(latex)
        words.markdown(text)

st.divider()

# --- all errata ------------------------------------------------------------------------------------------
st.header("Errata", anchor="errata")
st.markdown("The two documents this app started from both contain mistakes. Here they are, stated plainly and "
            "checked against Keras 3.15, the Kerasy source and the papers: errors (what is wrong), omissions "
            "(what is left out) and notes (where the document is right) are kept apart.")
for source in (mc.KERASY, mc.ARTICLE):
    st.subheader(f"{mc.SOURCE_TITLES[source]}: {mc.errata_counts(source)}")
    for heading, items in mc.errata_sections(source):
        st.markdown(f"**{heading}**")
        st.markdown(items)
