"""Every page as a class and a student see it: a 1440×900 laptop and a 390-px phone. Screenshots go to
artifacts/ (look at them); the page must render without an exception and without sideways scrolling."""
import pytest
from playwright.sync_api import expect

from tests.helpers import wait_idle

PAGES = ["", "race", "learning_rate", "moons?epochs=40", "inspector", "compare", "maths"]
VIEWPORTS = {"laptop": (1440, 900), "phone": (390, 844)}


@pytest.mark.parametrize("view", sorted(VIEWPORTS))
@pytest.mark.parametrize("path", PAGES)
def test_page_renders_at_viewport(page, app_url, artifacts_dir, path, view):
    w, h = VIEWPORTS[view]
    page.set_viewport_size({"width": w, "height": h})
    page.goto(f"{app_url}/{path}")
    expect(page.get_by_test_id("stMain")).to_be_visible(timeout=60_000)
    wait_idle(page, timeout=180_000)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    name = (path.split("?")[0] or "home")
    page.screenshot(path=str(artifacts_dir / f"view_{name}_{view}.png"))
    overflow_js = ("() => { const m = document.querySelector('[data-testid=stMain]');"
                   " return m.scrollWidth - m.clientWidth; }")
    try:  # formulas are typeset after the script run ends: wait for the layout to settle (a state, not a time)
        page.wait_for_function(f"() => ({overflow_js})() <= 2", timeout=20_000)
    except Exception:  # noqa: BLE001 - reported by the assertion below
        pass
    overflow = page.evaluate(overflow_js)
    assert overflow <= 2, f"{name} scrolls sideways by {overflow}px at {w}px"
