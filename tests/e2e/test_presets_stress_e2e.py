"""Real browser stress pass: click through every preset of the home gallery, in one browser session.

For each preset card, as a student would: click "Open in …", wait for the page to finish running, and
check that it rendered (a chart is drawn, no stException, no "Traceback" anywhere on the page, no
"Ignored …" notice about the preset's own parameters), and that the address bar is the preset's link;
then go back to Home through the sidebar (same session, so state carried from one preset to the next
would show up) and open the next one. A screenshot of every opened page is saved in artifacts/.
"""
import re
import time
from urllib.parse import parse_qsl, urlsplit

import pytest
from playwright.sync_api import expect

from ui.presets import PRESETS

# Open bugs found by this pass (each pinned by its own strict-xfail test): preset id -> reason. The pass still
# checks these presets for exceptions and tracebacks, and only tolerates the known wrong settings.
KNOWN_WRONG_SETTINGS: dict[str, str] = {}


def wait_idle(page, timeout=90_000):
    page.wait_for_function(
        "() => { const a = document.querySelector('[data-testid=stApp]');"
        " return a && a.getAttribute('data-test-script-state') === 'notRunning'; }", timeout=timeout)


def page_problems(page):
    problems = []
    if page.get_by_test_id("stException").count():
        problems.append("stException: " + page.get_by_test_id("stException").first.inner_text()[:300])
    body = page.locator("body").inner_text()
    for needle in ("Traceback", "Page not found"):
        if needle in body:
            i = body.index(needle)
            problems.append(f"{needle!r} on the page: {body[max(0, i - 200):i + 200]!r}")
    return problems


def open_home(page, url):
    page.goto(url)
    expect(page.get_by_text("Classroom presets", exact=True)).to_be_visible(timeout=90_000)
    wait_idle(page)


def back_home(page):
    page.get_by_test_id("stSidebarNav").get_by_text("Home", exact=True).click()
    expect(page.get_by_text("Classroom presets", exact=True)).to_be_visible(timeout=60_000)
    wait_idle(page)


def same_value(a, b):
    try:
        return [float(x) for x in a.split(",")] == [float(x) for x in b.split(",")]
    except ValueError:
        return a == b


def test_click_through_every_preset(page, app_url, artifacts_dir):
    t0 = time.monotonic()
    open_home(page, app_url)
    assert not page_problems(page), page_problems(page)
    report = []
    for preset in PRESETS:
        card = page.locator(f".st-key-preset_{preset.id}")
        expect(card).to_be_visible(timeout=30_000)
        link = card.get_by_test_id("stPageLink").get_by_role("link")
        if not link.count():
            report.append(f"{preset.id}: no page link (page not registered)")
            continue
        link.click()
        page.wait_for_url(re.compile(rf"/{re.escape(preset.page_url_path)}(\?|$)"), timeout=60_000)
        expect(page.locator(".js-plotly-plot, iframe[title='ui.player.race_player']").first).to_be_visible(timeout=120_000)
        wait_idle(page, timeout=120_000)
        expect(page.locator(".js-plotly-plot, iframe[title='ui.player.race_player']").first).to_be_visible()
        problems = page_problems(page)
        ignored = page.get_by_text(re.compile(r"Ignored|ignored")).count()
        url = dict(parse_qsl(urlsplit(page.url).query))
        # The address bar is the preset's link (the page may drop values equal to its defaults).
        wrong = {k: (url[k], v) for k, v in preset.params.items()
                 if k in url and not (k[0] == "o" and k[1:].isdigit()) and not same_value(url[k], v)}
        page.screenshot(path=str(artifacts_dir / f"preset_{preset.id}.png"))
        assert not problems, (preset.id, problems)
        assert not ignored, (preset.id, "a notice about the preset's own parameters")
        if preset.id in KNOWN_WRONG_SETTINGS:
            report.append(f"{preset.id}: known bug, settings {wrong or 'correct now'}")
        else:
            assert not wrong, (preset.id, wrong)
            report.append(f"{preset.id}: ok ({time.monotonic() - t0:.0f} s)")
        back_home(page)
    # No time limit here: speed is measured in bench/ and load/, and a busy CI machine must not fail this test.
    print("\n".join(report))


@pytest.mark.parametrize("preset", [p for p in PRESETS if p.page_url_path == "race"][:2], ids=lambda p: p.id)
def test_preset_link_opened_directly_in_a_new_tab(page, app_url, preset):
    """A preset link pasted into a fresh tab (the first request of that session)."""
    from ui.presets import link
    page.goto(f"{app_url}/{link(preset)}")
    expect(page.locator(".js-plotly-plot, iframe[title='ui.player.race_player']").first).to_be_visible(timeout=90_000)
    wait_idle(page)
    assert not page_problems(page), page_problems(page)
    assert not page.get_by_text(re.compile(r"Ignored")).count()


def test_second_learning_rate_preset_in_the_same_session_applies_its_own_settings(page, app_url):
    """Found by the pass above (fixed in app_pages/learning_rate.py during the session): the second preset's
    settings used to be ignored in favour of the first one's."""
    first, second = (next(p for p in PRESETS if p.id == i) for i in ("lr-diverges", "kerasy-lr-demo"))
    open_home(page, app_url)
    for preset in (first, second):
        page.locator(f".st-key-preset_{preset.id}").get_by_test_id("stPageLink").get_by_role("link").click()
        page.wait_for_url(re.compile(rf"/{re.escape(preset.page_url_path)}\?"), timeout=60_000)
        expect(page.locator(".js-plotly-plot, iframe[title='ui.player.race_player']").first).to_be_visible(timeout=120_000)
        wait_idle(page)
        lrs = dict(parse_qsl(urlsplit(page.url).query)).get("lrs", "0.01,0.1,0.5")
        assert same_value(lrs, preset.params["lrs"]), (preset.id, lrs)
        if preset is first:
            back_home(page)
