"""User text shown literally inside Markdown (pure Python, no Streamlit).

Streamlit renders messages as Markdown (GitHub flavour, plus ``:material/…:``
icons, ``:red[…]`` colours and ``$…$`` maths). A value from a link or a text
box must never become a link, an image, HTML, an icon or a formula there, so
every such value goes through :func:`literal` before it is placed in a message.

Why backslash-escape every ASCII punctuation character instead of wrapping the
value in a code span: a value that itself contains a backtick closes the span
(``[x](https://…)`` then renders as a live link). An escaped character is
always shown as itself. Escapes do not stop GitHub's autolinks (``https://…``,
``www.…``, ``name@host``: checked in Chromium), so a zero-width space is put
after ``:`` in ``://``, after ``www`` and after ``@``: the text reads the same,
but no link is made.
"""
from __future__ import annotations

import re
import string

_PUNCT = set(string.punctuation)
_ZWSP = "\u200b"
_AUTOLINK = re.compile(r"(:)(//)|(www)(\.)|(@)", re.IGNORECASE)


def literal(text, limit: int | None = 60) -> str:
    """``text`` escaped for Markdown, on one line, shortened to ``limit`` characters (… marks a cut)."""
    s = " ".join(str(text).split())  # newlines would start new Markdown blocks
    if limit is not None and len(s) > limit:
        s = s[:limit - 1] + "…"
    s = _AUTOLINK.sub(lambda m: "".join(g for g in (m.group(1), m.group(3), m.group(5)) if g) + _ZWSP
                      + "".join(g for g in (m.group(2), m.group(4)) if g), s)
    return "".join("\\" + ch if ch in _PUNCT else ch for ch in s)


def quoted(text, limit: int | None = 60) -> str:
    """``text`` shown literally between typographic quotes: “…”."""
    return f"“{literal(text, limit)}”"
