"""Real browser: the Step inspector renders, Step ▶ moves the inspected step, a shared link opens a step."""
import re

from playwright.sync_api import expect

SHOWN = "[data-testid='stHeading']"


def open_inspector(page, app_url, query=""):
    # Visit the home page first: on a fresh server, Streamlit decides between st.navigation and the legacy
    # app_pages/ directory on the first script run, and a first visit straight to /inspector picks the legacy mode.
    page.goto(app_url)
    expect(page.get_by_test_id("stSidebarNav")).to_contain_text("Step inspector", timeout=60_000)
    page.goto(f"{app_url}/inspector{query}")
    expect(page.get_by_test_id("stMetric").first).to_be_visible(timeout=60_000)
    page.wait_for_function("() => { const g = document.querySelector('.js-plotly-plot');"
                           " return !!(g && g._fullLayout && g._fullLayout.images.length); }", timeout=30_000)


def wait_idle(page):
    expect(page.locator("[data-testid='stApp']")).to_have_attribute("data-test-script-state", "notRunning",
                                                                    timeout=30_000)


def step_chart_state(page):
    return page.locator(".js-plotly-plot").first.evaluate(
        "g => ({images: g._fullLayout.images.length, arrows: g._fullLayout.annotations.map(a => a.name),"
        " legend: g._fullData.filter(t => t.showlegend !== false).map(t => t.name)})")


def test_renders_and_step_buttons_move_the_step(page, app_url, artifacts_dir):
    open_inspector(page, app_url)
    expect(page.locator(SHOWN, has_text="Update t = 1: from w_0 to w_1")).to_be_visible()
    assert page.get_by_test_id("stException").count() == 0
    state = step_chart_state(page)
    assert state["images"] == 1 and set(state["arrows"]) == {"grad", "momentum", "step"}
    assert any(name.startswith("Δw: the actual step (exact") for name in state["legend"])

    nxt = page.get_by_role("button", name="Step ▶")
    nxt.click()
    expect(page.locator(SHOWN, has_text="Update t = 2: from w_1 to w_2")).to_be_visible(timeout=30_000)
    wait_idle(page)
    nxt.click()
    expect(page.locator(SHOWN, has_text="Update t = 3: from w_2 to w_3")).to_be_visible(timeout=30_000)
    wait_idle(page)
    expect(page).to_have_url(re.compile(r"[?&]k=2(&|$)"))
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible()
    assert page.get_by_test_id("stException").count() == 0
    page.mouse.move(5, 5)  # no tooltip in the picture
    page.set_viewport_size({"width": 1400, "height": 2300})  # the whole page: chart, numbers, rule, step sizes
    wait_idle(page)
    page.wait_for_timeout(1000)  # let the charts finish drawing
    page.screenshot(path=str(artifacts_dir / "inspector.png"))


def test_shared_link_opens_that_step_with_flavours(page, app_url, artifacts_dir):
    open_inspector(page, app_url, "?o1=Lion;learning_rate=0.05&k=10&cmp=1")
    expect(page.locator(SHOWN, has_text="Update t = 11: from w_10 to w_11")).to_be_visible()
    expect(page.locator(SHOWN, has_text="Lion: the flavours side by side at step k = 10")).to_be_visible()
    expect(page.get_by_text("sign() makes every coordinate move exactly ±η")).to_be_visible()
    assert page.get_by_test_id("stException").count() == 0
    link = page.get_by_role("link", name=re.compile("The maths of Lion"))
    expect(link).to_have_attribute("href", re.compile(r"maths\?opt=Lion"))


def test_new_rules_equations_render_with_katex(page, app_url):
    """The five newer Keras rules: every equation of the inspected step renders (no KaTeX error), with
    the flavours side by side (each flavour's equations too)."""
    for query in ("?o1=Adafactor&k=3&cmp=1", "?o1=Ftrl;learning_rate=0.05&k=3&cmp=1", "?o1=Lamb&k=3&cmp=1",
                  "?o1=Muon;learning_rate=0.05&k=3&cmp=1", "?o1=ScheduleFreeAdamW;warmup_steps=5&k=3&cmp=1"):
        open_inspector(page, app_url, query)
        expect(page.locator(SHOWN, has_text="Update t = 4: from w_3 to w_4")).to_be_visible(timeout=30_000)
        wait_idle(page)
        assert page.get_by_test_id("stException").count() == 0, query
        counts = page.evaluate("() => ({blocks: document.querySelectorAll('.katex-display').length,"
                               " errors: document.querySelectorAll('.katex-error').length})")
        assert counts["errors"] == 0 and counts["blocks"] >= 6, (query, counts)
