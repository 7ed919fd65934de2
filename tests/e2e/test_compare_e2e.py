"""Real browser: the Fair comparison page draws its three views; screenshots for a human to look at."""
import re

from playwright.sync_api import expect

CHART_READY = """() => { const g = document.querySelector('.js-plotly-plot');
    return !!(g && g._fullLayout && g._fullData && g._fullData.length > 0); }"""


def wait_idle(page, timeout=90_000):
    page.wait_for_function(
        "() => { const a = document.querySelector('[data-testid=stApp]');"
        " return a && a.getAttribute('data-test-script-state') === 'notRunning'; }", timeout=timeout)


def open_compare(page, url, query="", height=1000):
    page.set_viewport_size({"width": 1400, "height": height})
    page.goto(f"{url}/compare{query}")
    expect(page.get_by_role("heading", name="Fair comparison")).to_be_visible(timeout=90_000)
    wait_idle(page)
    page.wait_for_function(CHART_READY, timeout=60_000)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    return page.locator(".js-plotly-plot").first


def shoot(page, path):
    wait_idle(page)
    page.wait_for_function(CHART_READY, timeout=60_000)
    page.wait_for_timeout(800)
    page.screenshot(path=str(path))


def test_sweep_view(page, app_url, artifacts_dir):
    gd = open_compare(page, app_url, height=1500)
    lines = gd.evaluate("g => g._fullData.filter(t => t.mode === 'lines').map(t => [t.name, t._length])")
    assert [n.split(" · ")[0] for n, _ in lines] == ["SGD (μ 0.9)", "RMSprop", "Adam", "Lion"]
    assert all(n >= 200 for _, n in lines)
    assert gd.evaluate("g => g._fullLayout.xaxis.type + ',' + g._fullLayout.yaxis.type") == "log,log"
    stars = gd.evaluate("g => g._fullData.filter(t => t.marker && t.marker.symbol === 'star').length")
    assert stars == 4
    # SGD's diverging rates are shaded in its lane (shapes are drawn as paths in the shape layer)
    assert gd.evaluate("g => g._fullLayout.shapes.filter(s => s.yref === 'y2').length") >= 1
    assert gd.locator(".shapelayer path").count() >= 1
    expect(gd).to_contain_text("never diverges on this grid")
    expect(page.get_by_test_id("stDataFrame")).to_have_count(1)
    shoot(page, artifacts_dir / "compare_sweep.png")


def test_basin_view(page, app_url, artifacts_dir):
    gd = open_compare(page, app_url, "?view=basins", height=1900)
    page.wait_for_function("() => [...document.querySelectorAll('.js-plotly-plot')].filter(g => g._fullLayout).length"
                           " >= 4", timeout=60_000)
    figs = page.locator("[class*='st-key-cmp_basin_chart_'] .js-plotly-plot")  # one figure per map
    assert figs.count() == 4
    heat = [f.evaluate("g => g._fullData.filter(t => t.type === 'heatmap').map(t => [t.z.length, t.z[0].length])")
            for f in figs.all()]
    assert heat == [[[100, 100]]] * 4
    assert page.locator("[class*='st-key-cmp_basin_chart_'] .hm image").count() == 4  # each map drawn as an image
    for f in figs.all():  # each figure carries its key to the colours
        legend = f.evaluate("g => Array.from(g.querySelectorAll('.legendtext')).map(e => e.textContent)")
        assert "M1 (3, 2) global minimum" in legend and "✖ diverged" in legend
    expect(figs.nth(2)).to_contain_text("Adam (lr 0.05)")
    boxes = [f.bounding_box() for f in figs.all()]  # at 1400 px: two maps a row, as before
    assert abs(boxes[0]["y"] - boxes[1]["y"]) < 2 and boxes[1]["x"] > boxes[0]["x"] + 200 and boxes[2]["y"] > boxes[0]["y"]
    shoot(page, artifacts_dir / "compare_basins.png")


def test_fair_view(page, app_url, artifacts_dir):
    gd = open_compare(page, app_url, "?view=fair", height=1600)
    assert gd.evaluate("g => g._fullLayout.images.length") == 1
    assert gd.locator("image").count() >= 1
    # Every setting printed under the two figures (map, loss chart) in a block that wraps at the screen's width.
    prov = page.get_by_test_id("stCode").first.inner_text()
    assert prov.startswith("Landscape:") and "Himmelblau (himmelblau)" in prov and "no clipping" in prov
    assert prov.count("(tuned)") == 4
    paths = gd.evaluate("g => g._fullData.filter(t => t.mode === 'lines' && t.showlegend !== false)"
                        ".map(t => t._length)")
    assert len(paths) == 4 and all(n > 1 for n in paths)
    loss = page.locator(".js-plotly-plot").nth(1)
    assert loss.evaluate("g => g._fullData.filter(t => t.mode === 'lines').length") == 4
    shoot(page, artifacts_dir / "compare_fair.png")


def test_view_switch_updates_the_link(page, app_url):
    open_compare(page, app_url)  # default settings: the other tests have filled the caches
    page.get_by_test_id("stRadio").first.get_by_text("Basin maps").click()
    page.wait_for_function("() => /view=basins/.test(location.search)", timeout=60_000)
    wait_idle(page)
    page.wait_for_function("() => { const g = document.querySelector('.js-plotly-plot');"
                           " return g && g._fullData && g._fullData.some(t => t.type === 'heatmap'); }",
                           timeout=60_000)
    assert re.search(r"o1=SGD", page.url) and re.search(r"o4=Lion", page.url)
    expect(page.get_by_test_id("stException")).to_have_count(0)
