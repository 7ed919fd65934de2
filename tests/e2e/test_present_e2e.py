"""Presentation mode in a real browser, as a projector shows it: present=1 at 1440×900 collapses the sidebar
(settings one click away), makes the race map at least 640 px wide and the text at least 18 px; screenshots
of every page at 1440×900 and 1920×1080 go to artifacts/present_*.png (look at them)."""
import re

import pytest
from playwright.sync_api import expect

from tests.helpers import PLAYER_READY, PLAYER_URL, wait_idle

PAGES = ["", "race", "learning_rate", "moons?epochs=40", "inspector", "compare", "theory", "maths"]
VIEWPORTS = {"1440": (1440, 900), "1920": (1920, 1080)}
MAP = ".dp-map"  # the race player's map, inside the player's frame
# Scroll the player's controls to the top of the window, just below Streamlit's header bar (as a teacher would).
SCROLL_TO = """e => { const bar = document.querySelector('[data-testid=stHeader]');
    e.style.scrollMarginTop = (bar ? bar.getBoundingClientRect().height : 0) + 'px'; e.scrollIntoView(); }"""
SMALLEST_TEXT = """() => {
    const main = document.querySelector('[data-testid=stMain]');
    const sizes = [...main.querySelectorAll('[data-testid=stMarkdownContainer] p, [data-testid=stMarkdownContainer] li,'
                                            + ' [data-testid=stCaptionContainer], [data-testid=stWidgetLabel] p')]
        .filter(e => e.offsetParent !== null && e.textContent.trim())
        .map(e => parseFloat(getComputedStyle(e).fontSize));
    return [Math.min(...sizes), sizes.length]; }"""




def open_present(page, url, path, size):
    page.set_viewport_size({"width": size[0], "height": size[1]})
    sep = "&" if "?" in path else "?"
    page.goto(f"{url}/{path}{sep}present=1")
    expect(page.get_by_test_id("stMain")).to_be_visible(timeout=60_000)
    # Presentation mode's style sheet is in force (the root font size), then the run is over.
    page.wait_for_function("() => getComputedStyle(document.documentElement).fontSize === '20px'", timeout=180_000)
    wait_idle(page, timeout=180_000)
    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_race_present_at_1440x900(server, page, artifacts_dir):
    open_present(page, server, "race", VIEWPORTS["1440"])
    # The race map and loss chart are drawn by the player, in its own frame (ui/player.py).
    page.wait_for_function(PLAYER_READY, timeout=90_000)
    player = next(f for f in page.frames if PLAYER_URL.search(f.url))
    # The sidebar is collapsed: the main area starts at the left edge and the sidebar is off screen.
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar).to_have_attribute("data-collapsed", "true")
    assert page.get_by_test_id("stMain").bounding_box()["x"] < 5
    # The map's plot area (the landscape, without axes and margins) is at least 640 px wide.
    plot_w, plot_h = player.evaluate(f"() => {{ const s = document.querySelector('{MAP}')._fullLayout._size;"
                                     " return [s.w, s.h]; }")
    dom_w = player.locator(f"{MAP} .nsewdrag").first.bounding_box()["width"]
    assert plot_w >= 640 and dom_w >= 640, (plot_w, dom_w)
    assert plot_h >= 400, plot_h
    # At 1440×900 a square of ≥ 640 px plus the legend, title and axis margins cannot fit under the controls: the
    # plot keeps its 640+ px width and is less tall (never a square that runs below the window).
    assert plot_h <= plot_w + 2, (plot_w, plot_h)
    map_box = player.locator(MAP).bounding_box()
    loss_box = player.locator(".dp-loss").bounding_box()
    assert loss_box["x"] >= map_box["x"] + map_box["width"] - 1 and loss_box["width"] >= 300  # beside it
    page.locator("iframe[title='ui.player.race_player']").evaluate(SCROLL_TO)  # controls at the top
    # The whole map (title, legend, plot and x ticks) on the first screen (page coordinates, after the scroll).
    frame_box, map_box = (page.locator("iframe[title='ui.player.race_player']").bounding_box(),
                          player.locator(MAP).bounding_box())
    assert map_box["y"] + map_box["height"] <= 900 + 2, (frame_box, map_box)
    ticks = player.evaluate(f"() => [...document.querySelectorAll('{MAP} .xtick text, {MAP} .ytick text')]"
                            ".map(t => parseFloat(getComputedStyle(t).fontSize))")
    assert ticks and min(ticks) >= 18, ticks
    # Projector text: every visible paragraph, caption and label is at least 18 px; tick labels too.
    smallest, n = page.evaluate(SMALLEST_TEXT)
    assert n > 5 and smallest >= 18, (smallest, n)
    assert "present=1" in page.url
    page.screenshot(path=str(artifacts_dir / "present_race_1440_check.png"))
    page.set_viewport_size({"width": 1920, "height": 1080})  # a projector: the map grows with the window
    player.wait_for_function("() => window.__player.state.fit && window.__player.state.fit.avail > 820", timeout=10_000)
    player.wait_for_function(f"() => {{ const s = document.querySelector('{MAP}')._fullLayout._size;"
                             " return s.w >= 640 && Math.abs(s.w - s.h) <= 2; }", timeout=10_000)
    page.locator("iframe[title='ui.player.race_player']").evaluate(SCROLL_TO)
    box, m = page.locator("iframe[title='ui.player.race_player']").bounding_box(), player.locator(MAP).bounding_box()
    assert m["y"] + m["height"] <= 1080 + 2, (box, m)  # the whole map on the projector's screen (page coordinates)
    assert box["y"] >= 0 and page.evaluate(
        "() => { const bar = document.querySelector('[data-testid=stHeader]'); return bar ? bar.getBoundingClientRect().bottom : 0; }") <= box["y"] + 2
    page.screenshot(path=str(artifacts_dir / "present_race_1920_fit.png"))
    # Settings are one click away: open the sidebar, the switch is there and on.
    page.get_by_test_id("stExpandSidebarButton").click()
    expect(sidebar).to_have_attribute("data-collapsed", "false")
    expect(sidebar.get_by_text("Presentation mode")).to_be_visible()
    expect(sidebar.get_by_role("switch", name="Presentation mode")).to_be_checked()


@pytest.mark.parametrize("view", sorted(VIEWPORTS))
@pytest.mark.parametrize("path", PAGES)
def test_screenshot_every_page_in_present_mode(server, page, artifacts_dir, path, view):
    open_present(page, server, path, VIEWPORTS[view])
    smallest, n = page.evaluate(SMALLEST_TEXT)
    assert smallest >= 18, (path, smallest)
    assert "present=1" in page.url
    name = path.split("?")[0] or "home"
    # The screenshot shows the drawn page (it showed grey placeholders where the charts and the player would be).
    page.wait_for_function("() => !document.querySelector('[data-testid=stSkeleton]') && [...document.querySelectorAll("
                           "'.js-plotly-plot')].every(g => !!g._fullLayout)", timeout=120_000)
    if page.locator('iframe[title="ui.player.race_player"]').count():
        page.wait_for_function(PLAYER_READY, timeout=120_000)
    page.screenshot(path=str(artifacts_dir / f"present_{name}_{view}.png"), timeout=120_000)


# The boxes of a drawn figure's plot areas, legend and x-axis titles (Plotly's own SVG), in page pixels.
FIGURE_BOXES = """(key) => {
    const gd = document.querySelector(`.st-key-${key} .js-plotly-plot`);
    if (!gd || !gd._fullLayout) return null;
    const box = e => { const b = e.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; };
    const all = sel => [...gd.querySelectorAll(sel)].filter(e => e.getBoundingClientRect().width > 0).map(box);
    return {plots: all('.nsewdrag'), legend: all('.legend .bg'), xtitle: all('.infolayer [class*=xtitle]')}; }"""


def _meets(a, b, tol=1.0):
    return a[0] < b[2] - tol and b[0] < a[2] - tol and a[1] < b[3] - tol and b[1] < a[3] - tol


@pytest.mark.parametrize("path,key,view,min_plot", [("inspector", "insp_chart", "1440", 500),
                                                    ("inspector", "insp_chart", "1920", 500),
                                                    ("learning_rate", "lr_surface_chart", "1920", 250),
                                                    ("learning_rate", "lr_loss_chart", "1440", 250)])
def test_present_legends_clear_the_x_titles_and_the_inspector_map_is_large(server, page, path, key, view, min_plot):
    """Seen in presentation mode: the inspector's map ≈ 210 px with its legend box over the "x" title (1440×900),
    and the learning-rate fit chart's legend over the "x" titles (1920×1080)."""
    open_present(page, server, path, VIEWPORTS[view])
    page.wait_for_function(f"() => {{ const g = document.querySelector('.st-key-{key} .js-plotly-plot');"
                           " return !!(g && g._fullLayout); }", timeout=120_000)
    b = page.evaluate(FIGURE_BOXES, key)
    assert b and b["plots"] and b["legend"] and b["xtitle"], b
    (legend,) = b["legend"]
    assert not [x for x in b["xtitle"] if _meets(legend, x)], (legend, b["xtitle"])
    assert not [p for p in b["plots"] if _meets(legend, p)], (legend, b["plots"])
    widths = [p[2] - p[0] for p in b["plots"]]
    assert min(widths) >= min_plot, widths
    if path == "inspector":
        assert b["plots"][0][3] - b["plots"][0][1] >= min_plot  # square: tall as well as wide


# Every piece of text in the player's controls row (step caption, "(snapshot k of n)", speed), with its font size.
CONTROL_TEXT = """() => [...document.querySelectorAll('.dp-controls *')]
    .filter(e => [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()))
    .map(e => [e.textContent.trim().slice(0, 40), parseFloat(getComputedStyle(e).fontSize)])"""


@pytest.mark.parametrize("path", ["race", "learning_rate", "moons?epochs=30"])
def test_player_status_line_is_projector_sized(server, page, path):
    """Seen on the moons page at 1920×1080: "(snapshot k of n)" at 17 px beside 20-px controls (0.85 em). The
    status line of every player ("Step k of N", "Epoch e of E (snapshot k of n)") is at least 20 px."""
    open_present(page, server, path, VIEWPORTS["1920"])
    page.wait_for_function(PLAYER_READY, timeout=120_000)
    frame = next(f for f in page.frames if PLAYER_URL.search(f.url))
    texts = frame.evaluate(CONTROL_TEXT)
    caption = [t for t in texts if re.match(r"(Step|Epoch) ", t[0])]
    assert caption, texts
    small = [t for t in texts if t[1] < 20]
    assert not small, small
