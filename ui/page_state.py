"""The one page-state module: URL → widgets → URL, for every page.

A page declares its settings as data (a :class:`PageSpec`: its fields, its
optimizer line-up, any other parameters it owns) and calls two functions:

- :func:`open_page` at the top. It decides whether the address bar holds a
  *new link* for this page, and if so seeds every widget of the page from it
  (bad values fall back to defaults with a notice). It then shows the notices.
- :func:`write_link` once the widgets are drawn: the address bar always holds a
  link that reproduces the page.

Between the two, widgets keep their own values: every widget of a page is
created with ``persist_state=PERSIST`` (Streamlit's own mechanism), so its value
survives a visit to another page and a view in which it is not drawn.

When is a link new? Only the page's *own* parameters count (its fields, its
optimizers ``o1``…``oN`` and its extras), so a parameter another page left
behind (the maths page's ``opt``) is not a link to this one. A link is new on
the first run of the page in a session, and whenever its own parameters differ
from the ones this page last wrote (a preset opened from the home page, a link
followed inside the app). Opening the page from the sidebar (no parameters)
keeps the settings.

Notices are Markdown in which every piece of user text went through
:func:`ui.text.literal`, so a link can never create a link, an image or HTML.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import streamlit as st

from ui.controls import PERSIST  # noqa: F401  (re-exported: pages import it from here)
from ui.settings import Field, OptChoice, encode_fields, read_fields, read_optimizers
from ui.slots import reset_slots

NOTICE_ICON = ":material/link:"


@dataclass(frozen=True)
class PageSpec:
    """What a page keeps in its link.

    ``prefix`` starts every session-state key of the page. ``lineup`` is the default optimizer
    line-up (empty: the page has no optimizers); ``max_opts`` how many ``o1``… a link may carry.
    ``extra`` names further parameters the page reads itself in its ``seed`` callback (``start``)."""

    prefix: str
    fields: tuple[Field, ...]
    lineup: tuple[OptChoice, ...] = ()
    max_opts: int = 0
    n_colors: int = 8
    extra: tuple[str, ...] = ()

    @property
    def own(self) -> frozenset[str]:
        names = {f.name for f in self.fields} | set(self.extra)
        names |= {f"o{i}" for i in range(1, self.max_opts + 1)}
        return frozenset(names)

    def owns(self, param: str) -> bool:
        """Is ``param`` one of this page's? (``o9``… too, so that a link with too many optimizers gets a notice.)"""
        return param in self.own or (self.max_opts > 0 and param[:1] == "o" and param[1:].isdigit())

    def key(self, name: str) -> str:
        return self.prefix + name


def own_params(spec: PageSpec) -> dict[str, str]:
    """This page's parameters in the address bar (other pages' leftovers are ignored)."""
    return {k: st.query_params[k] for k in st.query_params if spec.owns(k)}


def is_new_link(spec: PageSpec) -> bool:
    ss = st.session_state
    if not ss.get(spec.key("_ready")):
        return True
    url = own_params(spec)
    return bool(url) and url != ss.get(spec.key("_written"))


def open_page(spec: PageSpec, seed: Callable[[dict, dict], list[str] | None] | None = None,
              show: bool = True) -> list[str]:
    """Seed the page from a new link (see the module docstring) and show the notices.

    ``seed(params, values)`` handles the page's extra parameters after the fields and optimizers are
    seeded; it returns more notices. Returns the notices of the link in force."""
    ss = st.session_state
    if is_new_link(spec):
        params = own_params(spec)
        values, notices = read_fields(spec.fields, params)
        for name, v in values.items():
            ss[spec.key(name)] = v
        if spec.max_opts:
            choices, more = read_optimizers(params, list(spec.lineup), max_n=spec.max_opts)
            notices += more
            reset_slots(spec.prefix, choices, spec.n_colors)
        if seed is not None:
            notices += seed(params, values) or []
        ss[spec.key("_notices")] = notices
        ss[spec.key("_ready")] = True
        ss[spec.key("_written")] = params
    notices = list(ss.get(spec.key("_notices"), []))
    if show:
        show_notices(notices)
    return notices


def add_notice(spec: PageSpec, notice: str) -> None:
    """A notice found while drawing (e.g. a step beyond the run): kept with the link's notices."""
    notices = st.session_state.setdefault(spec.key("_notices"), [])
    if notice not in notices:
        notices.append(notice)


def write_link(spec: PageSpec, values: dict, extra: dict[str, str] | None = None,
               choices: list[OptChoice] | None = None, always: tuple[str, ...] = ()) -> dict[str, str]:
    """Put the page's settings in the address bar: fields that differ from their defaults (short
    links; ``always`` names fields written even at their default), then ``extra`` parameters, then the
    optimizers as ``o1``…. Returns the parameters written."""
    url = encode_fields(spec.fields, values)
    for f in spec.fields:
        if f.name in always and f.name not in url:
            url[f.name] = f.encode(values.get(f.name, f.default))
    url.update(extra or {})
    for i, c in enumerate(choices or [], start=1):
        url[f"o{i}"] = c.encode()
    if present_mode():
        url[PRESENT] = "1"  # presentation mode stays in the link (a lecture is a list of links)
    current = {k: st.query_params.get_all(k) for k in st.query_params}
    if current != {k: [v] for k, v in url.items()}:  # also rewrites a repeated key (?opt=A&opt=B)
        st.query_params.from_dict(url)
    st.session_state[spec.key("_written")] = {k: v for k, v in url.items() if k != PRESENT}
    return url


def show_notices(notices) -> None:
    """Link problems: one visible, non-blocking message each (already safe Markdown)."""
    for n in notices:
        st.warning(n, icon=NOTICE_ICON)


# --------------------------------------------------------------------------- #
# Presentation mode: one switch and ``present=1``, for every page               #
# --------------------------------------------------------------------------- #
PRESENT = "present"          # the URL parameter
PRESENT_KEY = "present_mode"  # the switch's session-state key
_SEEN = "_present_seen"       # the value of ``present`` this session last read or wrote
_NOTICE = "_present_notice"
PRESENT_FONT_PX = 20          # the root font size in presentation mode: body text 20 px, captions and labels 18 px

# Body text, captions, widget labels, tables and headings for the back of the room (Streamlit sizes text in rem,
# so the root size scales it all; captions and small labels get a floor of 18 px; a metric's value, which is a
# paragraph too, keeps its large size instead of falling to the body text's).
PRESENT_CSS = f"""<style>
html {{ font-size: {PRESENT_FONT_PX}px; }}
[data-testid="stMain"] [data-testid="stMarkdownContainer"] p,
[data-testid="stMain"] [data-testid="stMarkdownContainer"] li {{ font-size: max(1rem, 18px); }}
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p,
[data-testid="stWidgetLabel"] p, [data-testid="stTooltipHoverTarget"] {{ font-size: max(0.9rem, 18px) !important; }}
[data-testid="stMain"] .block-container {{ padding-top: 2.2rem; padding-left: 2rem; padding-right: 2rem; }}
[data-testid="stMain"] h1 {{ font-size: 2.2rem; }}
[data-testid="stMain"] [data-testid="stMetricValue"] [data-testid="stMarkdownContainer"] p {{ font-size: 2.25rem; }}
[data-testid="stMain"] .katex-display > .katex {{ font-size: 1.3em; }}
</style>"""


def present_in_link() -> bool | None:
    """What the address bar says: True (``present=1``), False (``present=0``), None (absent or not 0/1)."""
    raw = st.query_params.get(PRESENT)
    return {"1": True, "0": False}.get(raw.strip() if isinstance(raw, str) else raw)


def present_mode() -> bool:
    """Is presentation mode on in this session?"""
    return bool(st.session_state.get(PRESENT_KEY, False))


def open_presentation() -> bool:
    """Presentation mode for the whole app: called once per run by ``app.py`` before the page.

    A new ``present`` value in the address bar (a link) sets the switch; a link without it keeps the session's
    mode (so a preset opened from the home page stays in presentation mode); a bad value gets a notice and changes
    nothing. The switch sits in the sidebar; while it is on, every page's link carries ``present=1``
    (:func:`write_link`), the page text is projector-sized (:data:`PRESENT_CSS`) and the pages pass every figure
    through ``charts.common.for_projector``. Returns whether the mode is on."""
    ss = st.session_state
    raw = st.query_params.get(PRESENT)
    if raw is not None and raw != ss.get(_SEEN):
        wanted = present_in_link()
        if wanted is None:
            from ui.text import literal
            ss[_NOTICE] = (f"The link's presentation setting present={literal(raw, None)} is not 0 or 1, so it "
                           "was ignored: presentation mode is " + ("on." if present_mode() else "off."))
        else:
            ss[PRESENT_KEY] = wanted
            ss.pop(_NOTICE, None)
    with st.sidebar:
        st.toggle("Presentation mode", key=PRESENT_KEY,
                  help="Projector-sized text and charts, thicker paths, the sidebar out of the way. Kept in the "
                       "link as present=1, so a lecture can be prepared as a list of links.")
    on = present_mode()
    if ss.get(_NOTICE):
        st.warning(ss[_NOTICE], icon=NOTICE_ICON)
    if on:
        st.html(PRESENT_CSS)
        if st.query_params.get(PRESENT) != "1":
            st.query_params[PRESENT] = "1"
    elif PRESENT in st.query_params:
        del st.query_params[PRESENT]
    ss[_SEEN] = "1" if on else None
    return on


def projected(fig, height: int | None = None):
    """A figure for ``st.plotly_chart``: as it is, or, in presentation mode, through ``charts.common.for_projector``
    (a ``go.Figure`` becomes its dict first; the result is wrapped so Streamlit sends it without revalidating)."""
    if not present_mode():
        return fig
    from charts.common import for_projector
    from charts.race import Prebuilt
    from ui.shared_figure import SharedFigure

    if isinstance(fig, SharedFigure):  # serialised once for every session: the projector copy is this session's
        fig = fig.figure()
    elif isinstance(fig, Prebuilt):
        fig = fig.to_dict()
    elif hasattr(fig, "to_plotly_json"):
        fig = fig.to_dict()
    return Prebuilt(for_projector(fig, height=height))


def plotly_chart(fig, *, present_height: int | None = None, **kwargs):
    """``st.plotly_chart`` for every page: the figure goes through :func:`projected` (presentation mode), with
    ``present_height`` as its height there. Returns what ``st.plotly_chart`` returns (selection events)."""
    return st.plotly_chart(projected(fig, present_height), **kwargs)
