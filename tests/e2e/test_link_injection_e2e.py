"""Real browser: a tampered link shows its values as text. No link or image to the attacker's host is
created, and the page requests nothing from any host but the app's own."""
from urllib.parse import quote, urlsplit

import pytest
from playwright.sync_api import expect

from tests.helpers import wait_idle

LINK = "`[Log in again](https://evil.example/login)`"
IMAGE = "`![x](https://evil.example/t.png)`"
HTML = "<img src=https://evil.example/h.png>"

PAGES = {
    "race": ["steps", "noise", "land", "o1", "start", "expr"],
    "learning_rate": ["lrs", "epochs", "o1"],
    "moons": ["epochs", "hidden", "o1"],
    "inspector": ["steps", "k", "o1", "start"],
    "compare": ["steps", "view", "o1", "start"],
    "maths": ["opt"],
    "": ["x"],
}


@pytest.mark.parametrize("path", sorted(PAGES))
def test_tampered_link_creates_no_link_image_or_outside_request(page, app_url, path):
    own = urlsplit(app_url).netloc
    outside = []
    page.on("request", lambda r: outside.append(r.url) if urlsplit(r.url).netloc not in (own, "") and
            not r.url.startswith(("data:", "blob:")) else None)
    payloads = [LINK, IMAGE, HTML]
    query = "&".join(f"{name}={quote(payloads[i % 3])}" for i, name in enumerate(PAGES[path]))
    page.goto(f"{app_url}/{path}?{query}")
    expect(page.get_by_test_id("stMain")).to_be_visible(timeout=60_000)
    wait_idle(page)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    assert page.locator("a[href*='evil']").count() == 0
    assert page.locator("img[src*='evil']").count() == 0
    if path:  # the payload is on the page, as text
        expect(page.get_by_text("evil.example", exact=False).first).to_be_attached()
    assert outside == []
