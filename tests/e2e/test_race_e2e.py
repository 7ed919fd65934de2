"""Real-browser tests of the Optimizer race page (Chromium via pytest-playwright).

What AppTest cannot check: plotly.js renders the figure, Play animates with the
landscape image still drawn, a real click on the map moves the start, and a
shared link reproduces the settings.
"""
import re
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from charts.race import frame_steps

GD = ".st-key-race_chart .js-plotly-plot"
FRAMES_READY = """([sel, n]) => { const g = document.querySelector(sel);
    return !!(g && g._transitionData && g._transitionData._frames.length === n && g._fullLayout
              && g._fullLayout.sliders && g._fullLayout.sliders.length); }"""
# Null-safe: the chart div is re-mounted for a moment after each rerun.
ACTIVE = f"() => document.querySelector('{GD}')?._fullLayout?.sliders?.[0]?.active"
TO_PIXELS = """([sel, x, y]) => { const g = document.querySelector(sel), fl = g._fullLayout,
    r = g.getBoundingClientRect();
    return [r.left + fl._size.l + fl.xaxis.l2p(x), r.top + fl._size.t + fl.yaxis.l2p(y)]; }"""


@pytest.fixture(scope="module")
def server(app_url, browser):
    """Open the home page once first: until some session has run app.py (which calls st.navigation),
    Streamlit 1.67 serves the app_pages/ folder in its old multipage mode and a deep link like /race runs
    app_pages/race.py without app.py (no wide layout, file-name navigation)."""
    ctx = browser.new_context()
    p = ctx.new_page()
    p.goto(app_url)
    expect(p.get_by_test_id("stSidebarNav")).to_contain_text("Optimizer race", timeout=60_000)
    ctx.close()
    return app_url


def open_race(page, url, query="", frames=None):
    page.goto(url + "/race" + query)
    n = frames if frames is not None else len(frame_steps(300))
    page.wait_for_function(FRAMES_READY, arg=[GD, n], timeout=60_000)
    expect(page.locator("[data-testid=stApp]")).to_have_attribute("data-test-script-state", "notRunning",
                                                                  timeout=30_000)
    return page.locator(GD)


def background_in_dom(page) -> int:
    """<image> elements plotly drew for layout.images, with a PNG data URI."""
    return page.evaluate(f"""() => [...document.querySelectorAll('{GD} .imagelayer image')]
        .filter(i => (i.getAttribute('href') || i.getAttribute('xlink:href') || '')
        .startsWith('data:image/png')).length""")


def test_page_renders_without_exception(server, page, artifacts_dir):
    gd = open_race(page, server)
    assert page.get_by_test_id("stException").count() == 0
    assert background_in_dom(page) == 1
    # Five optimizers, each with its path drawn from the start at (-1.2, 1).
    lengths = gd.evaluate("g => g._fullData.filter(t => t.mode === 'lines' && t.showlegend !== false).map(t => t._length)")
    assert len(lengths) == 5 and all(n == 151 for n in lengths)  # the race opens at step 150 (app_pages/race.py)
    expect(page.locator(".st-key-race_chart")).to_contain_text("Adam (lr 0.1)")
    page.wait_for_timeout(500)
    page.screenshot(path=str(artifacts_dir / "race.png"))


def test_play_animates_and_background_stays(server, page, artifacts_dir):
    open_race(page, server)
    last = len(frame_steps(300)) - 1
    assert page.evaluate(ACTIVE) == list(frame_steps(300)).index(150)  # the race opens at step 150
    page.locator(f"{GD} .updatemenu-button", has_text=re.compile(r"^▶ Slow$")).click()
    page.wait_for_function(f"() => {{ const a = ({ACTIVE})(); return a > 5 && a < {last - 5}; }}", timeout=20_000)
    assert background_in_dom(page) == 1  # mid-animation: the landscape is still drawn
    mid = page.evaluate(f"() => document.querySelector('{GD}')._fullData.filter(t => t.mode === 'lines' && t.showlegend !== false)"
                        ".map(t => t._length)")
    assert all(1 < n < 301 for n in mid)  # paths are growing
    page.screenshot(path=str(artifacts_dir / "race_playing.png"))
    page.locator(f"{GD} .updatemenu-button", has_text="Pause").click()
    paused = page.evaluate(ACTIVE)
    page.wait_for_timeout(800)
    assert page.evaluate(ACTIVE) == paused and paused < last  # Pause holds the frame
    page.locator(f"{GD} .updatemenu-button", has_text=re.compile(r"^▶▶ Fast$")).click()
    page.wait_for_function(f"() => ({ACTIVE})() === {last}", timeout=30_000)  # resumes and finishes
    assert background_in_dom(page) == 1
    assert page.get_by_test_id("stException").count() == 0


def test_clicking_the_map_moves_the_start(server, page):
    gd = open_race(page, server)
    gd.scroll_into_view_if_needed()
    x, y = page.evaluate(TO_PIXELS, [GD, 0.4, 2.2])  # a pick-grid point (51 × 51 over the bounds)
    page.mouse.move(x, y)
    page.mouse.click(x, y)
    expect(page.locator(".st-key-race_sx_rosenbrock input")).to_have_value("0.4", timeout=20_000)
    expect(page.locator(".st-key-race_sy_rosenbrock input")).to_have_value("2.2", timeout=20_000)
    page.wait_for_function(FRAMES_READY, arg=[GD, len(frame_steps(300))], timeout=30_000)
    page.wait_for_function(f"""() => {{ const g = document.querySelector('{GD}');
        const s = g._fullData.find(t => t.name === 'start'); return s && s.x[0] === 0.4 && s.y[0] === 2.2; }}""",
                           timeout=20_000)
    assert parse_qs(urlparse(page.url).query)["start"] == ["0.4,2.2"]


def test_step_buttons(server, page):
    open_race(page, server, "?steps=60", frames=61)
    page.locator(".st-key-race_first button").first.click()
    page.wait_for_function(f"() => ({ACTIVE})() === 0", timeout=20_000)
    page.locator(".st-key-race_next button").first.click()
    page.wait_for_function(f"() => ({ACTIVE})() === 1", timeout=20_000)
    page.wait_for_function(FRAMES_READY, arg=[GD, 61], timeout=20_000)
    lengths = page.evaluate(f"() => document.querySelector('{GD}')._fullData.filter(t => t.mode === 'lines' && t.showlegend !== false)"
                            ".map(t => t._length)")
    assert lengths == [2] * 5  # steps 0 and 1


def test_shared_link_reproduces_the_settings(server, page):
    query = ("?land=himmelblau&steps=120&start=1,1&o1=Adam;flavor=textbook;learning_rate=0.05"
             "&o2=SGD;learning_rate=0.01;momentum=0.9&sched=CosineDecay")
    gd = open_race(page, server, query, frames=len(frame_steps(120)))
    assert page.get_by_test_id("stException").count() == 0
    expect(page.get_by_role("combobox", name="Landscape")).to_have_value("Himmelblau")
    expect(page.locator(".st-key-race_chart")).to_contain_text("Adam (lr 0.05, textbook)")
    expect(page.locator(".st-key-race_chart")).to_contain_text("SGD (lr 0.01, μ 0.9)")
    starts = gd.evaluate("g => g._fullData.filter(t => t.mode === 'lines' && t.showlegend !== false).map(t => [t.x[0], t.y[0]])")
    assert starts == [[1, 1], [1, 1]]
    q = parse_qs(urlparse(page.url).query)
    assert q["o1"] == ["Adam;flavor=textbook;learning_rate=0.05"] and q["land"] == ["himmelblau"]
    assert q["sched"] == ["CosineDecay"] and q["start"] == ["1,1"]
    assert page.get_by_test_id("stAlert").filter(has_text="Ignored").count() == 0


def test_exports_download(server, page):
    open_race(page, server, "?steps=50", frames=51)
    with page.expect_download(timeout=60_000) as dl:
        page.locator(".st-key-race_dl_html button").first.click()
    html = open(dl.value.path(), encoding="utf-8").read()
    assert dl.value.suggested_filename == "optimizer_race.html"
    assert len(html) > 3_000_000 and "Plotly.newPlot" in html and "addFrames" in html  # plotly.js inlined: offline
    assert '<script src="http' not in html
    with page.expect_download(timeout=60_000) as dl:
        page.locator(".st-key-race_dl_traj button").first.click()
    text = open(dl.value.path(), encoding="utf-8").read()
    settings = [ln for ln in text.splitlines() if ln.startswith("# ")]   # the settings that produced the file
    lines = [ln for ln in text.splitlines() if not ln.startswith("# ")]
    assert settings and settings[0].startswith("# Descent Lab optimizer race")
    assert lines[0] == "step,optimizer,x,y,loss" and len(lines) == 1 + 5 * 51
