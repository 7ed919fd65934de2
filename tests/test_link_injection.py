"""Link values are always literal: no link, image, HTML, icon or formula can be made from a URL value.

Every parameter of every page gets Markdown, HTML and backtick payloads (the ones seen working before the
fix: a value starting with a backtick closed the code span that notices put it in). Every message the page
shows that carries a payload must hold it escaped: after removing backslash escapes pairwise, no
Markdown link or image syntax, no HTML tag and no autolink (``https://``, ``www.``) may remain in it.

The browser suite (tests/e2e/test_link_injection_e2e.py) checks the rendered DOM and that no request leaves
the app's host.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ui.text import literal, quoted

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")

PAYLOADS = {
    "link": "`[Log in again](https://evil.example/login)`",
    "image": "`![x](https://evil.example/t.png)`",
    "html": "<img src=https://evil.example/h.png><a href=https://evil.example>x</a>",
    "auto": "``www.evil.example`` https://evil.example/a mail@evil.example",
    "icon": ":material/warning: :red[evil.example] $\\frac{evil}{example}$",
}

# Each page's own parameters (the ones its notices may quote).
PAGE_PARAMS = {
    "app_pages/race.py": ["land", "expr", "steps", "noise", "seed", "sched", "sched_steps", "sched_rate", "wd",
                          "clip", "clipv", "view", "start", "o1", "o2"],
    "app_pages/learning_rate.py": ["lrs", "epochs", "mode", "bs", "seed", "o1"],
    "app_pages/moons.py": ["epochs", "bs", "hidden", "samples", "noise", "seed", "o1", "o2"],
    "app_pages/inspector.py": ["land", "expr", "steps", "noise", "seed", "k", "cmp", "start", "o1"],
    "app_pages/compare.py": ["land", "expr", "steps", "noise", "seed", "tol", "view", "grid", "metric",
                             "start", "o1"],
    "app_pages/maths.py": ["opt"],
    "app_pages/theory.py": ["view", "method", "kappa", "psteps", "eland", "elr", "eopt"],
}

_ESCAPED = re.compile(r"\\[!-/:-@\[-`{-~]")
_DANGER = re.compile(r"\]\(|!\[|<[a-zA-Z/]|:material/|:red\[|\$", re.IGNORECASE)
# GitHub autolinks are made even from escaped text (seen in Chromium), so they are looked for in the
# unescaped text: a zero-width space must break every one of them.
_AUTOLINK = re.compile(r"https?://|www\.|\w@\w", re.IGNORECASE)


def dangerous(markdown: str) -> list[str]:
    """Markdown constructs left in ``markdown``: syntax once every backslash-escaped character is removed,
    and autolinks in the text as rendered."""
    unescaped = _ESCAPED.sub(lambda m: m.group(0)[1], markdown)
    return _DANGER.findall(_ESCAPED.sub("", markdown)) + _AUTOLINK.findall(unescaped)


def test_literal_escapes_every_construct():
    for payload in PAYLOADS.values():
        assert dangerous(literal(payload, None)) == [], payload
        assert dangerous(quoted(payload, None)) == [], payload
    # and what a reader sees is the text itself
    from tests.helpers import shown
    for payload in PAYLOADS.values():
        assert shown(literal(payload, None)) == payload


def test_the_checker_catches_the_old_backtick_notice():
    """The notice format before the fix: the checker must flag it (so the page test below can fail)."""
    old = f"Ignored `steps={PAYLOADS['link']}` from the link"
    assert dangerous(old)


def _messages(at):
    out = []
    for kind in ("warning", "error", "info", "success", "markdown", "caption"):
        for el in getattr(at, kind):
            out.append((kind, str(el.value)))
    for el in at.exception:
        out.append(("exception", str(el.value)))
    return out


@pytest.mark.parametrize("page", sorted(PAGE_PARAMS))
@pytest.mark.parametrize("payload", sorted(PAYLOADS))
def test_no_page_renders_a_link_value_as_markdown(page, payload):
    at = AppTest.from_file(APP, default_timeout=120)
    for i, name in enumerate(PAGE_PARAMS[page]):
        at.query_params[name] = PAYLOADS[payload] + f" {i}"
    at.switch_page(page)
    at.run()
    assert not at.exception, at.exception
    carrying = [(kind, text) for kind, text in _messages(at) if "evil" in text or "example" in text]
    bad = [(kind, text[:200], dangerous(text)) for kind, text in carrying if dangerous(text)]
    assert not bad, bad
