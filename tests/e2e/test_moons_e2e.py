"""Real browser: the Moons page trains, plays its decision-boundary animation, and keeps the heatmaps."""
from playwright.sync_api import expect

BOUNDARY = ".stPlotlyChart:has(.updatemenu-button) .js-plotly-plot"


def wait_idle(page, timeout=90_000):
    page.wait_for_function(
        "() => { const a = document.querySelector('[data-testid=stApp]');"
        " return a && a.getAttribute('data-test-script-state') === 'notRunning'; }", timeout=timeout)


def close_page_not_found(page):
    dialog = page.get_by_role("dialog").filter(has_text="Page not found")
    if dialog.count():
        dialog.get_by_role("button").first.click()


def open_moons(page, url, query="?epochs=30"):
    page.goto(f"{url}/moons{query}")
    expect(page.get_by_text("Decision boundaries over the epochs")).to_be_visible(timeout=120_000)
    wait_idle(page)
    close_page_not_found(page)
    gd = page.locator(BOUNDARY)
    expect(gd).to_have_count(1, timeout=30_000)
    page.wait_for_function("sel => { const g = document.querySelector(sel);"
                           " return !!(g && g._transitionData && g._transitionData._frames.length > 1); }",
                           arg=BOUNDARY, timeout=30_000)
    return gd


def heatmap_images(gd) -> int:
    """Heatmaps are drawn as <image> elements; count the ones with a picture in them."""
    return gd.evaluate("g => Array.from(g.querySelectorAll('.hm image')).filter(i => "
                       "(i.getAttribute('href') || i.getAttribute('xlink:href') || '').length > 100).length")


def test_renders_and_plays(page, app_url, artifacts_dir):
    gd = open_moons(page, app_url)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    n_frames = gd.evaluate("g => g._transitionData._frames.length")
    assert 10 <= n_frames <= 21
    assert heatmap_images(gd) == 8
    last = gd.evaluate("g => g._fullLayout.sliders[0].active")
    assert last == n_frames - 1
    # Play: runs from epoch 0; the slider moves and the heatmaps are still drawn mid-animation and after
    gd.scroll_into_view_if_needed()
    page.locator(".updatemenu-button", has_text="Play").click()
    page.wait_for_function("([sel, n]) => { const a = document.querySelector(sel)._fullLayout.sliders[0].active;"
                           " return a >= 2 && a <= n - 2; }", arg=[BOUNDARY, n_frames], timeout=20_000)
    assert heatmap_images(gd) == 8
    page.wait_for_function("([sel, n]) => document.querySelector(sel)._fullLayout.sliders[0].active === n - 1",
                           arg=[BOUNDARY, n_frames], timeout=30_000)
    assert heatmap_images(gd) == 8
    page.set_viewport_size({"width": 1400, "height": 3000})
    wait_idle(page)
    page.wait_for_timeout(800)
    page.screenshot(path=str(artifacts_dir / "moons.png"))


def test_bad_link_shows_notices_and_still_trains(page, app_url):
    open_moons(page, app_url, "?epochs=1e9&hidden=a,b&o1=Adam;learning_rate=0.02&o2=Nope")
    expect(page.get_by_test_id("stException")).to_have_count(0)
    alerts = page.get_by_test_id("stAlert")
    expect(alerts.filter(has_text="Ignored epochs = “1e9”")).to_have_count(1)
    expect(alerts.filter(has_text="Ignored hidden = “a,b”")).to_have_count(1)
    expect(alerts.filter(has_text="Ignored optimizer o2 = “Nope”")).to_have_count(1)
    # the good optimizer from the link is the only one trained; the link was rewritten to the settings shown
    assert heatmap_images(page.locator(BOUNDARY)) == 1
    assert "o1=Adam" in page.url and "epochs" not in page.url and "hidden" not in page.url


def test_stop_button_stops_training_and_shows_the_partial_result(page, app_url):
    page.goto(f"{app_url}/moons?epochs=1500&seed=7")   # ~120,000 updates: long enough to press Stop
    stop = page.get_by_role("button", name="Stop training")
    expect(stop).to_be_visible(timeout=120_000)
    bar = page.get_by_test_id("stProgress")
    expect(bar).to_contain_text("epoch", timeout=30_000)
    page.wait_for_timeout(1500)
    stop.click()
    expect(page.get_by_text("Training stopped after epoch")).to_be_visible(timeout=60_000)
    wait_idle(page)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    text = page.get_by_text("Training stopped after epoch").inner_text()
    done = int(text.split("epoch")[1].split()[0])
    assert 1 <= done < 1500
    expect(page.get_by_text("stopped early, not cached")).to_be_visible()
    expect(page.get_by_role("button", name="Train again")).to_be_visible()
    expect(page.locator(".js-plotly-plot")).to_have_count(3)  # the partial curves and boundaries
    expect(page.get_by_role("button", name="Stop training")).to_have_count(0)
    page.wait_for_timeout(2000)
    expect(page.get_by_test_id("stProgress")).to_have_count(0)  # training did not silently restart
    assert "epochs=1500" in page.url  # the settings stay as they were
