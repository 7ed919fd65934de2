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
    current = {k: st.query_params.get_all(k) for k in st.query_params}
    if current != {k: [v] for k, v in url.items()}:  # also rewrites a repeated key (?opt=A&opt=B)
        st.query_params.from_dict(url)
    st.session_state[spec.key("_written")] = url
    return url


def show_notices(notices) -> None:
    """Link problems: one visible, non-blocking message each (already safe Markdown)."""
    for n in notices:
        st.warning(n, icon=NOTICE_ICON)
