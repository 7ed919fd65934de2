"""Real browser: the "See the theory" page draws its three views, a click on the phase diagram selects
(η, β) and offers the race, the network's plane animates, and a bad link gives a notice.

Screenshots at 1440×900 go to artifacts/theory_*.png."""
import re
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest
from playwright.sync_api import expect

from tests.helpers import wait_idle

PHASE = ".st-key-theory_phase .js-plotly-plot"
EOS = ".st-key-theory_eos .js-plotly-plot"
PLANE = ".st-key-theory_plane .js-plotly-plot"
DRAWN = """(sel) => { const g = document.querySelector(sel);
    return !!(g && g._fullData && g._fullData.length && g._fullLayout); }"""
FRAMES_READY = """([sel, n]) => { const g = document.querySelector(sel);
    return !!(g && g._transitionData && g._transitionData._frames.length === n && g._fullLayout
              && g._fullLayout.sliders && g._fullLayout.sliders.length); }"""
TO_PIXELS = """([sel, x, y]) => { const g = document.querySelector(sel), fl = g._fullLayout,
    r = g.getBoundingClientRect();
    return [r.left + fl._size.l + fl.xaxis.l2p(x), r.top + fl._size.t + fl.yaxis.l2p(y)]; }"""




def open_theory(page, url, query=""):
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(url + "/theory" + query)
    expect(page.get_by_role("heading", name="See the theory")).to_be_visible(timeout=120_000)
    wait_idle(page, timeout=300_000)


def test_phase_diagram_click_selects_a_cell_and_links_the_race(server, page, artifacts_dir):
    open_theory(page, server)
    page.wait_for_function(DRAWN, arg=PHASE, timeout=60_000)
    assert page.get_by_test_id("stException").count() == 0
    heat = page.evaluate(f"() => document.querySelector('{PHASE}')._fullData[0].type")
    assert heat == "heatmap"
    page.screenshot(path=str(artifacts_dir / "theory_phase.png"))
    # Click a clickable cell: η and β of grid cell (100, 100) (the pick grid keeps every second cell).
    eta, beta = (100 + 0.5) * 2.2 / 200, 100 * 0.995 / 199
    gd = page.locator(PHASE)
    gd.scroll_into_view_if_needed()
    x, y = page.evaluate(TO_PIXELS, [PHASE, eta, beta])
    page.mouse.move(x, y)
    page.mouse.click(x, y)
    page.wait_for_function("() => new URLSearchParams(location.search).has('cell')", timeout=60_000)
    wait_idle(page)
    cell = parse_qs(urlparse(page.url).query)["cell"][0]
    got = [float(v) for v in cell.split(",")]
    np.testing.assert_allclose(got, [eta, beta], rtol=1e-5)
    link = page.get_by_role("link", name=re.compile("Race this pair"))
    expect(link).to_be_visible()
    href = link.get_attribute("href")
    assert "land=quadratic" in href and "momentum%3D0.5" in href
    page.screenshot(path=str(artifacts_dir / "theory_phase_selected.png"), full_page=False)
    page.set_viewport_size({"width": 1440, "height": 3000})  # the app scrolls inside its own container
    page.screenshot(path=str(artifacts_dir / "theory_phase_full.png"))
    page.set_viewport_size({"width": 1440, "height": 900})
    # Following the link opens the race with that pair.
    link.click()
    page.wait_for_url(re.compile(r"/race\?"), timeout=60_000)
    wait_idle(page)
    expect(page.get_by_role("heading", name="Optimizer race")).to_be_visible()
    assert "momentum=0.5" in page.url.replace("%3D", "=").replace("%3B", ";")


def test_edge_of_stability_view(server, page, artifacts_dir):
    open_theory(page, server, "?view=eos")
    page.wait_for_function(DRAWN, arg=EOS, timeout=120_000)
    assert page.get_by_test_id("stException").count() == 0
    note = page.evaluate(f"() => document.querySelector('{EOS}')._fullLayout.annotations.map(a => a.text).join(' ')")
    assert "Preset claim" in note
    # The threshold line is drawn at 2/η = 20.
    thr = page.evaluate(f"""() => document.querySelector('{EOS}')._fullData
        .filter(t => t.name && t.name.startsWith('2/η')).map(t => t.y[0])""")
    assert thr == [20]
    page.locator(EOS).scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts_dir / "theory_eos.png"))
    page.set_viewport_size({"width": 1440, "height": 2600})
    page.screenshot(path=str(artifacts_dir / "theory_eos_full.png"))


def test_network_plane_animates(server, page, artifacts_dir):
    open_theory(page, server, "?view=plane&epochs=30")
    page.wait_for_function(FRAMES_READY, arg=[PLANE, 31], timeout=120_000)
    assert page.get_by_test_id("stException").count() == 0
    gd = page.locator(PLANE)
    gd.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts_dir / "theory_plane.png"))
    page.locator(f"{PLANE} .updatemenu-button", has_text=re.compile(r"^▶ Slow$")).click()
    # Playing from the last frame restarts at the first and moves on: wait for the slider to advance.
    page.wait_for_function(f"() => {{ const a = document.querySelector('{PLANE}')?._fullLayout?.sliders?.[0]?.active;"
                           " return a !== undefined && a > 0 && a < 30; }", timeout=30_000)
    page.locator(f"{PLANE} .updatemenu-button", has_text="Pause").click()
    images = page.evaluate(f"""() => [...document.querySelectorAll('{PLANE} .imagelayer image')]
        .filter(i => (i.getAttribute('href') || '').startsWith('data:image/png')).length""")
    assert images == 1                                   # the slice stays drawn while the paths move
    page.set_viewport_size({"width": 1440, "height": 2800})
    page.screenshot(path=str(artifacts_dir / "theory_plane_full.png"))


def test_bad_link_gives_a_notice(server, page):
    open_theory(page, server, "?kappa=banana&cell=%5Bx%5D(https%3A%2F%2Fevil.example)")
    notices = page.get_by_test_id("stAlert").filter(has_text="Ignored")
    expect(notices).to_have_count(2)
    expect(notices.first).to_contain_text("kappa")
    assert page.locator("[data-testid=stAlert] a").count() == 0       # the value is shown, never linked
    assert page.get_by_test_id("stException").count() == 0
