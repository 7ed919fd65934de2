"""Real-browser tests of the Optimizer race page (Chromium via pytest-playwright).

What AppTest cannot check: the player (charts/player_assets/player.js in a custom component) draws the map
and the loss chart with plotly.js served by the app, Play moves both together with no message to the server,
one step is one optimizer step, the speed sets the step interval, overlays appear and disappear, a real click
on the map moves the start, a shared link reproduces the settings, and the exported HTML plays offline.
"""
import re
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest
from playwright.sync_api import expect

import landscapes
import optimizers
from tests.helpers import PLAYER_READY, PLAYER_URL, open_offline

READY = "() => !!(window.__descentPlayer && window.__descentPlayer.ready)"
FRAME_READY = PLAYER_READY
# Per run: the head's point on the map and the marker's (step, loss) on the loss chart, read in one JS task.
HEADS = """() => { const m = document.querySelector('.dp-map'), l = document.querySelector('.dp-loss');
    const spec = window.__player_spec;
    return {k: window.__descentPlayer.k, runs: spec.runs.map(r => ({
        head: [m._fullData[r.traces.head].x[0], m._fullData[r.traces.head].y[0]],
        path: m._fullData[r.traces.path]._length,
        marker: [l._fullData[r.loss_trace].x[0], l._fullData[r.loss_trace].y[0]]}))}; }"""
SET = "(e, v) => { e.value = v; e.dispatchEvent(new Event('input', {bubbles: true})); }"
TO_PIXELS = """([x, y]) => { const g = document.querySelector('.dp-map'), fl = g._fullLayout,
    r = g.getBoundingClientRect();
    return [r.left + fl._size.l + fl.xaxis.l2p(x), r.top + fl._size.t + fl.yaxis.l2p(y)]; }"""




def player_frame(page):
    for f in page.frames:
        if PLAYER_URL.search(f.url):
            return f
    return None


def open_race(page, url, query=""):
    """The race page with its player drawn; returns the player's frame (spec exposed as window.__player_spec)."""
    page.goto(url + "/race" + query)
    page.wait_for_function(FRAME_READY, timeout=90_000)
    expect(page.locator("[data-testid=stApp]")).to_have_attribute("data-test-script-state", "notRunning",
                                                                  timeout=60_000)
    page.wait_for_function(FRAME_READY, timeout=60_000)
    frame = player_frame(page)
    assert frame is not None
    frame.evaluate("() => { window.__player_spec = window.__player && window.__player.spec; }")
    return frame


def engine_path(name, steps, start=(-1.2, 1.0), **hp):
    return optimizers.run(optimizers.get(name, **hp), landscapes.get("rosenbrock"), start=np.array(start),
                          steps=steps, record="path")


def test_page_renders_map_and_loss_from_the_app_host_only(server, page, artifacts_dir):
    hosts = set()
    page.on("request", lambda r: hosts.add(urlparse(r.url).netloc) if r.url.startswith("http") else None)
    frame = open_race(page, server)
    assert page.get_by_test_id("stException").count() == 0
    assert frame.evaluate("() => [...document.querySelectorAll('.dp-map .imagelayer image')].filter(i => "
                          "(i.getAttribute('href') || '').startsWith('data:image/png')).length") == 1
    heads = frame.evaluate(HEADS)
    assert heads["k"] == 150 and [r["path"] for r in heads["runs"]] == [151] * 5  # opens at step 150 (race.py)
    expect(frame.locator(".dp-map")).to_contain_text("Adam (lr 0.1)")
    assert hosts == {urlparse(server).netloc}  # plotly.js comes from the app, never from a CDN
    page.screenshot(path=str(artifacts_dir / "race.png"))


def test_play_moves_map_and_loss_together_with_nothing_sent_to_the_server(server, page, artifacts_dir):
    sent = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(payload)))
    frame = open_race(page, server)
    frame.locator("button[data-act=first]").click()
    assert frame.evaluate(HEADS)["k"] == 0
    frame.locator("input.dp-speed").evaluate(SET, "-0.6")  # 0.25×: 7.5 steps a second, 40 s for the race
    expect(frame.locator(".dp-speed-out")).to_have_text("0.25×")
    before = len(sent)
    frame.locator("button[data-act=play]").click()
    seen = set()
    ref = engine_path("SGD", 300, learning_rate=0.002)
    for target in (5, 12, 20):
        frame.wait_for_function(f"() => window.__descentPlayer.k >= {target}", timeout=30_000)
        h = frame.evaluate(HEADS)
        k = h["k"]
        seen.add(k)
        for run in h["runs"]:
            assert run["marker"][0] == min(k, 300)  # the loss marker sits at the map's step
            assert run["path"] == k + 1
        assert h["runs"][0]["head"] == list(ref.params[k])  # the head is the engine's point at step k
        assert abs(h["runs"][0]["marker"][1] - ref.loss[k]) <= 1e-12 * abs(ref.loss[k])
    assert frame.evaluate("() => window.__descentPlayer.playing") is True
    # While the paths move, Playwright's click waits for the page to be still; a plain click event does not.
    frame.locator("button[data-act=play]").dispatch_event("click")  # pause
    paused = frame.evaluate(HEADS)["k"]
    assert frame.evaluate("() => window.__descentPlayer.playing") is False, paused
    page.screenshot(path=str(artifacts_dir / "race_paused.png"))
    assert len(seen) == 3 and 20 <= paused < 300
    assert len(sent) == before  # play, steps and pause sent nothing over the websocket
    assert frame.locator(".dp-caption").inner_text() == f"Step {paused} of 300"


def test_one_step_is_one_optimizer_step(server, page):
    frame = open_race(page, server, "?steps=1000")
    ref = engine_path("SGD", 1000, learning_rate=0.002)
    frame.locator("button[data-act=first]").click()
    for k in (1, 2, 3):
        frame.locator("button[data-act=fwd]").click()
        h = frame.evaluate(HEADS)
        assert h["k"] == k and h["runs"][0]["head"] == list(ref.params[k]) and h["runs"][0]["marker"][0] == k
    frame.locator("button[data-act=back]").click()
    assert frame.evaluate(HEADS)["runs"][0]["head"] == list(ref.params[2])
    frame.locator("button[data-act=last]").click()
    h = frame.evaluate(HEADS)
    assert h["k"] == 1000 and h["runs"][0]["path"] == 1001 and h["runs"][0]["head"] == list(ref.params[1000])


def median_interval(frame, n=6):
    frame.evaluate("() => { window.__descentPlayer.changes.length = 0; }")
    frame.locator("button[data-act=play]").click()
    frame.wait_for_function(f"() => window.__descentPlayer.changes.length >= {n}", timeout=180_000)
    frame.locator("button[data-act=play]").dispatch_event("click")  # pause
    ch = frame.evaluate("() => window.__descentPlayer.changes.map(c => c.slice())")
    # ms per optimizer step: a slow machine draws fewer frames and moves several steps per frame.
    return float((ch[-1][0] - ch[0][0]) / max(ch[-1][1] - ch[0][1], 1))


def test_speed_sets_the_interval_between_steps(server, page):
    frame = open_race(page, server)
    frame.locator("button[data-act=first]").click()
    speed = frame.locator("input.dp-speed")
    speed.evaluate(SET, "-1")  # log10 of the speed: 0.1×
    expect(frame.locator(".dp-speed-out")).to_have_text("0.1×")
    assert abs(frame.evaluate("() => window.__descentPlayer.interval") - 1000 / 3) < 1e-6
    slow = median_interval(frame, 5)
    speed.evaluate(SET, "0")
    expect(frame.locator(".dp-speed-out")).to_have_text("1.0×")
    normal = median_interval(frame, 6)
    # 333 ms and 33 ms per step; a loaded machine draws few frames, so each measure is within one frame of it.
    assert 250 < slow < 600 and normal < 80 and slow / normal > 5, (slow, normal)


def test_overlays_appear_and_disappear(server, page, artifacts_dir):
    frame = open_race(page, server)
    frame.locator("button[data-act=first]").click()
    for _ in range(3):
        frame.locator("button[data-act=fwd]").click()
    count = "() => window.__descentPlayer.overlayCounts || {}"
    arrows = """(name) => document.querySelector('.dp-map')._fullData.filter(t => t.name === name)
                .reduce((n, t) => n + (t._length || 0), 0)"""
    assert frame.evaluate(arrows, "−gradient") == 0
    frame.locator("input[data-overlay=grad]").check()
    assert frame.evaluate(count)["grad"] == 5 and frame.evaluate(arrows, "−gradient") == 15  # 5 arrows (3 points)
    frame.locator("input[data-overlay=momentum]").check()
    assert frame.evaluate(count)["momentum"] == 3  # SGD with momentum, Adam and Lion carry momentum
    frame.locator("input[data-overlay=second]").check()
    squares = "() => document.querySelector('.dp-map')._fullLayout.shapes.filter(s => (s.name || '').startsWith('second-')).length"
    assert frame.evaluate(squares) == 4  # RMSprop and Adam: one square per axis
    expect(frame.locator(".dp-scale")).to_contain_text("−gradient × ")
    page.screenshot(path=str(artifacts_dir / "race_overlays.png"))
    frame.locator("select.dp-ov-run").select_option(label="Adam (lr 0.1)")
    assert frame.evaluate(count)["grad"] == 1 and frame.evaluate(squares) == 2
    frame.locator("input[data-overlay=grad]").uncheck()
    frame.locator("input[data-overlay=second]").uncheck()
    assert frame.evaluate(arrows, "−gradient") == 0 and frame.evaluate(squares) == 0


def test_clicking_the_map_moves_the_start(server, page):
    frame = open_race(page, server)
    frame_el = page.locator("iframe[title='ui.player.race_player']")
    frame_el.scroll_into_view_if_needed()
    box = frame_el.bounding_box()
    x, y = frame.evaluate(TO_PIXELS, [0.4, 2.2])  # a pick-grid point (51 × 51 over the bounds)
    page.mouse.move(box["x"] + x, box["y"] + y)
    page.mouse.click(box["x"] + x, box["y"] + y)
    expect(page.locator(".st-key-race_sx_rosenbrock input")).to_have_value("0.4", timeout=30_000)
    expect(page.locator(".st-key-race_sy_rosenbrock input")).to_have_value("2.2", timeout=30_000)
    frame = player_frame(page)
    frame.wait_for_function("""() => { const g = document.querySelector('.dp-map');
        const s = g && g._fullData && g._fullData.find(t => t.name === 'start');
        return !!(s && s.x[0] === 0.4 && s.y[0] === 2.2); }""", timeout=30_000)
    assert parse_qs(urlparse(page.url).query)["start"] == ["0.4,2.2"]


def test_shared_link_reproduces_the_settings(server, page):
    query = ("?land=himmelblau&steps=120&start=1,1&o1=Adam;flavor=textbook;learning_rate=0.05"
             "&o2=SGD;learning_rate=0.01;momentum=0.9&sched=CosineDecay")
    frame = open_race(page, server, query)
    assert page.get_by_test_id("stException").count() == 0
    expect(page.get_by_role("combobox", name="Landscape")).to_have_value("Himmelblau")
    expect(frame.locator(".dp-map")).to_contain_text("Adam (lr 0.05, textbook)")
    expect(frame.locator(".dp-map")).to_contain_text("SGD (lr 0.01, μ 0.9)")
    starts = frame.evaluate("() => window.__player_spec.runs.map(r => "
                            "[DescentPlayer.decode(r.x, Float64Array)[0], DescentPlayer.decode(r.y, Float64Array)[0]])")
    assert starts == [[1, 1], [1, 1]]
    assert frame.evaluate(HEADS)["k"] == 120
    q = parse_qs(urlparse(page.url).query)
    assert q["o1"] == ["Adam;flavor=textbook;learning_rate=0.05"] and q["land"] == ["himmelblau"]
    assert q["sched"] == ["CosineDecay"] and q["start"] == ["1,1"]
    assert page.get_by_test_id("stAlert").filter(has_text="Ignored").count() == 0


def test_exports_download_and_the_html_plays_offline(server, page, browser, tmp_path, artifacts_dir):
    open_race(page, server, "?steps=50")
    with page.expect_download(timeout=60_000) as dl:
        page.locator(".st-key-race_dl_html button").first.click()
    path = tmp_path / "optimizer_race.html"  # the download's own file has no extension (it would open as text)
    dl.value.save_as(path)
    html = path.read_text(encoding="utf-8")
    assert dl.value.suggested_filename == "optimizer_race.html"
    assert len(html) > 3_000_000 and "DescentPlayer.mount" in html  # plotly.js and the player inlined
    assert '<script src="' not in html
    assert "Descent Lab optimizer race" in html and "start (-1.2, 1), 50 steps" in html  # the settings
    # Offline: a context that refuses every request; the file must still play.
    off, requests = open_offline(browser, path)
    off.wait_for_function(READY, timeout=180_000)
    assert off.evaluate("() => window.__descentPlayer.k") == 50
    off.locator("button[data-act=first]").click()
    off.locator("button[data-act=fwd]").click()
    ref = engine_path("SGD", 50, learning_rate=0.002)
    head = off.evaluate("() => { const m = document.querySelector('.dp-map'); const r = window.__spec.runs[0];"
                        " return [m._fullData[r.traces.head].x[0], m._fullData[r.traces.head].y[0]]; }")
    assert head == list(ref.params[1])
    off.locator("button[data-act=play]").click()
    off.wait_for_function("() => window.__descentPlayer.k === 50 && !window.__descentPlayer.playing", timeout=30_000)
    off.screenshot(path=str(artifacts_dir / "race_export_offline.png"))
    assert requests == []
    off.context.close()
    with page.expect_download(timeout=60_000) as dl:
        page.locator(".st-key-race_dl_traj button").first.click()
    text = open(dl.value.path(), encoding="utf-8").read()
    settings = [ln for ln in text.splitlines() if ln.startswith("# ")]
    lines = [ln for ln in text.splitlines() if not ln.startswith("# ")]
    assert settings and settings[0].startswith("# Descent Lab optimizer race")
    assert lines[0] == "step,optimizer,x,y,loss" and len(lines) == 1 + 5 * 51


@pytest.mark.parametrize("size", [(1440, 900), (1920, 1080)], ids=["1440x900", "1920x1080"])
def test_screenshots(server, browser, artifacts_dir, size):
    ctx = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = ctx.new_page()
    frame = open_race(page, server)
    frame.locator("button[data-act=first]").click()
    for _ in range(40):
        frame.locator("button[data-act=fwd]").click()
    frame.locator("input[data-overlay=grad]").check()
    frame.locator("input[data-overlay=momentum]").check()
    frame.locator("input[data-overlay=step]").check()
    assert frame.evaluate(HEADS)["k"] == 40
    page.screenshot(path=str(artifacts_dir / f"race_player_{size[0]}x{size[1]}.png"))
    assert page.get_by_test_id("stException").count() == 0
    ctx.close()


def test_the_link_follows_the_step_shown_without_asking_the_server(server, page):
    """frame= in the address bar is the step on the map once the player rests (step, scrub, pause), written by
    the player itself; the copied link opens at that very step."""
    sent = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(payload)))
    frame = open_race(page, server)
    assert parse_qs(urlparse(page.url).query)["frame"] == ["150"]
    before = len(sent)
    for _ in range(3):
        frame.locator("button[data-act=fwd]").click()
    page.wait_for_function("() => new URLSearchParams(location.search).get('frame') === '153'", timeout=10_000)
    frame.locator(".dp-scrub").evaluate(SET, 37)
    page.wait_for_function("() => new URLSearchParams(location.search).get('frame') === '37'", timeout=10_000)
    frame.locator(".dp-speed").evaluate(SET, -0.5)  # 0.3x: about 10 steps a second, so it is still playing below
    frame.locator("button[data-act=play]").click()
    frame.wait_for_function("() => window.__descentPlayer.k >= 40", timeout=20_000)
    frame.locator("button[data-act=play]").click()  # pause
    k = frame.evaluate("() => window.__descentPlayer.k")
    assert frame.evaluate("() => window.__descentPlayer.playing") is False and 40 <= k < 300
    page.wait_for_function(f"() => new URLSearchParams(location.search).get('frame') === '{k}'", timeout=10_000)
    assert len(sent) == before  # nothing went to the server
    others = {key: v for key, v in parse_qs(urlparse(page.url).query).items() if key != "frame"}
    # The copied link opens at that step, with the same settings.
    other = page.context.new_page()
    other.goto(page.url)
    other.wait_for_function(FRAME_READY, timeout=90_000)
    f2 = player_frame(other)
    f2.wait_for_function(f"() => window.__descentPlayer.k === {k}", timeout=30_000)
    assert {key: v for key, v in parse_qs(urlparse(other.url).query).items() if key != "frame"} == others
    other.close()


def test_schedule_free_shows_z_y_and_x_on_one_line(server, page, artifacts_dir):
    """The Schedule-Free overlay: z (diamond), y (the path's head) and x (ring), from the engine's slots."""
    frame = open_race(page, server, "?o1=ScheduleFreeAdamW;learning_rate=0.05&steps=60&frame=20")
    assert frame.evaluate("() => window.__descentPlayer.k") == 20
    frame.locator("input[data-overlay=x_point]").check()
    pts = frame.evaluate("""() => { const t = document.querySelector('.dp-map')._fullData.find(t => t.name === 'Schedule-Free x');
        return {x: Array.from(t.x), y: Array.from(t.y), sym: Array.from(t.marker.symbol)}; }""")
    traj = optimizers.run(optimizers.get("ScheduleFreeAdamW", learning_rate=0.05), landscapes.get("rosenbrock"),
                          start=np.array([-1.2, 1.0]), steps=60, record="full")
    z, y, x = traj.slots["momentum"][20], traj.params[20], traj.slots["x"][20]
    assert pts["sym"][:3] == ["diamond-open", "circle", "circle-open-dot"]
    got = np.array([pts["x"][:3], pts["y"][:3]]).T
    assert np.allclose(got, [z, y, x], atol=1e-6)  # z and x are sent as float32
    assert frame.evaluate("() => window.__descentPlayer.overlayCounts.x_point") == 1
    expect(frame.locator(".dp-scale")).to_contain_text("the diamond is z")
    page.screenshot(path=str(artifacts_dir / "race_schedule_free_z.png"))
