"""Real browser: the Moons page trains, and its decision maps and loss curves play together in the race's player
(charts/player_assets/player.js, kind "frames"): one step is one recorded snapshot, the loss markers follow, nothing
is sent to the server while playing, and the exported HTML plays offline with the same player."""
import base64

import pytest

import numpy as np
from playwright.sync_api import expect

from tests.helpers import PLAYER_READY, PLAYER_URL, open_offline

READY = "() => !!(window.__descentPlayer && window.__descentPlayer.ready)"
# The player's state: step, the top-left value of every drawn map, and every loss marker, read in one JS task.
STATE = """() => { const m = document.querySelector('.dp-map'), l = document.querySelector('.dp-loss');
    const spec = window.__player.spec, st = window.__descentPlayer;
    return {k: st.k, playing: st.playing, caption: document.querySelector('.dp-caption').textContent,
            z: spec.series.map(s => m._fullData[s.trace].z[0][0]),
            markers: spec.runs.map(r => [l._fullData[r.loss_trace].x[0], l._fullData[r.loss_trace].y[0]])}; }"""


def wait_idle(page, timeout=90_000):
    page.wait_for_function(
        "() => { const a = document.querySelector('[data-testid=stApp]');"
        " return a && a.getAttribute('data-test-script-state') === 'notRunning'; }", timeout=timeout)


def close_page_not_found(page):
    dialog = page.get_by_role("dialog").filter(has_text="Page not found")
    if dialog.count():
        dialog.get_by_role("button").first.click()


def player_frame(page):
    for f in page.frames:
        if PLAYER_URL.search(f.url):
            return f
    return None


def open_moons(page, url, query="?epochs=30"):
    """The moons page with its player drawn; returns the player's frame."""
    page.goto(f"{url}/moons{query}")
    expect(page.get_by_text("Decision boundaries and loss, epoch by epoch")).to_be_visible(timeout=120_000)
    wait_idle(page)
    close_page_not_found(page)
    page.wait_for_function(PLAYER_READY, timeout=60_000)
    frame = player_frame(page)
    assert frame is not None
    return frame


def heatmap_images(frame) -> int:
    """Heatmaps are drawn as <image> elements; count the ones with a picture in them."""
    return frame.evaluate("() => Array.from(document.querySelectorAll('.dp-map .hm image')).filter(i => "
                          "(i.getAttribute('href') || i.getAttribute('xlink:href') || '').length > 100).length")


def spec_rows(frame):
    """Per map, the first value of each player step's map, decoded from the spec (what the maps must show)."""
    spec = frame.evaluate("() => window.__player.spec")
    out = []
    for s in spec["series"]:
        rows = np.frombuffer(base64.b64decode(s["data"]), "<f4").reshape(-1, *s["shape"])
        out.append([float(rows[i][0, 0]) for i in s["index"]])
    return spec, out


def test_maps_and_loss_markers_step_and_play_together_in_the_browser(server, page, artifacts_dir):
    sent = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(payload)))
    frame = open_moons(page, server)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    spec, rows = spec_rows(frame)
    n = spec["steps"]
    assert spec["values"] == list(range(0, 31, 2)) and n == 15  # 16 snapshots: epochs 0, 2, ..., 30
    assert heatmap_images(frame) == 8
    st = frame.evaluate(STATE)
    assert st["k"] == n and "Epoch 30 of 30" in st["caption"]
    # One step back from the start is nothing; one step forward is one snapshot: maps and markers together.
    frame.locator("button[data-act=first]").click()
    st = frame.evaluate(STATE)
    assert st["k"] == 0 and st["z"] == [r[0] for r in rows]
    assert all(m == [None, None] for m in st["markers"])  # epoch 0: no loss recorded yet
    frame.locator("button[data-act=fwd]").click()
    st = frame.evaluate(STATE)
    assert st["k"] == 1 and "Epoch 2 of 30" in st["caption"]
    assert st["z"] == [r[1] for r in rows]
    assert [m[0] for m in st["markers"]] == [2] * 8
    assert [m[1] for m in st["markers"]] == [r["my"][1] for r in spec["runs"]]
    frame.locator("button[data-act=back]").click()
    assert frame.evaluate(STATE)["k"] == 0
    # Scrub to the middle: both move.
    frame.locator(".dp-scrub").evaluate("(e) => { e.value = 7; e.dispatchEvent(new Event('input', {bubbles: true})); }")
    st = frame.evaluate(STATE)
    assert st["k"] == 7 and st["z"] == [r[7] for r in rows] and [m[0] for m in st["markers"]] == [14] * 8
    # Play from 0 to the end, in the browser only: sampled mid-way, the maps and the markers agree on the step.
    frame.locator("button[data-act=first]").click()
    before = len(sent)
    frame.locator("button[data-act=play]").click()
    frame.wait_for_function("() => window.__descentPlayer.k >= 3", timeout=20_000)
    st = frame.evaluate(STATE)
    k = st["k"]
    assert st["z"] == [r[k] for r in rows] and [m[0] for m in st["markers"]] == [spec["values"][k]] * 8
    frame.wait_for_function(f"() => window.__descentPlayer.k === {n} && !window.__descentPlayer.playing",
                            timeout=30_000)
    assert heatmap_images(frame) == 8
    assert len(sent) == before  # play, step and scrub sent nothing to the server
    page.set_viewport_size({"width": 1440, "height": 900})
    frame.locator("button[data-act=first]").click()
    for _ in range(3):
        frame.locator("button[data-act=fwd]").click()
    page.locator("iframe[title='ui.player.race_player']").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts_dir / "moons_player_1440x900.png"))


def test_moons_export_plays_offline_with_the_same_player(server, page, browser, tmp_path, artifacts_dir):
    frame = open_moons(page, server, "?epochs=10")
    spec, rows = spec_rows(frame)
    with page.expect_download(timeout=60_000) as dl:
        page.locator(".st-key-moons_html button").first.click()
    path = tmp_path / "moons.html"
    dl.value.save_as(path)
    html = path.read_text(encoding="utf-8")
    assert "DescentPlayer.mount" in html and '<script src="' not in html
    assert "batch size 32, 10 epochs" in html  # the settings
    off, requests = open_offline(browser, path)
    off.wait_for_function(READY, timeout=180_000)
    off.evaluate("() => { window.__player = {spec: window.__spec}; }")
    assert off.evaluate("() => window.__descentPlayer.k") == spec["steps"]
    off.locator("button[data-act=first]").click()
    off.locator("button[data-act=fwd]").click()
    st = off.evaluate(STATE)
    assert st["k"] == 1 and st["z"] == [r[1] for r in rows]
    off.locator("button[data-act=play]").click()
    off.wait_for_function(f"() => window.__descentPlayer.k === {spec['steps']} && !window.__descentPlayer.playing",
                          timeout=30_000)
    off.wait_for_function("() => document.querySelectorAll('#fig0 .js-plotly-plot, #fig0.js-plotly-plot').length > 0",
                          timeout=30_000)  # the small multiples below the player
    off.screenshot(path=str(artifacts_dir / "moons_export_offline.png"), full_page=True)
    assert requests == []
    off.context.close()


def test_bad_link_shows_notices_and_still_trains(server, page):
    app_url = server
    frame = open_moons(page, app_url, "?epochs=1e9&hidden=a,b&o1=Adam;learning_rate=0.02&o2=Nope")
    expect(page.get_by_test_id("stException")).to_have_count(0)
    alerts = page.get_by_test_id("stAlert")
    expect(alerts.filter(has_text="Ignored epochs = “1e9”")).to_have_count(1)
    expect(alerts.filter(has_text="Ignored hidden = “a,b”")).to_have_count(1)
    expect(alerts.filter(has_text="Ignored optimizer o2 = “Nope”")).to_have_count(1)
    # the good optimizer from the link is the only one trained; the link was rewritten to the settings shown
    assert heatmap_images(frame) == 1
    assert "o1=Adam" in page.url and "epochs" not in page.url and "hidden" not in page.url


def test_stop_button_stops_training_and_shows_the_partial_result(server, page):
    app_url = server
    page.goto(f"{app_url}/moons?epochs=1500&seed=7")   # ~120,000 updates: long enough to press Stop
    stop = page.get_by_role("button", name="Stop training")
    expect(stop).to_be_visible(timeout=120_000)
    bar = page.get_by_test_id("stProgress")
    expect(bar).to_contain_text("epoch", timeout=30_000)
    page.wait_for_function(  # a few epochs trained (a state, not a fixed time)
        "() => { const b = document.querySelector('[data-testid=stProgress]');"
        " const m = b && b.innerText.match(/epoch (\\d+) of/); return m && +m[1] >= 3; }", timeout=120_000)
    stop.click()
    expect(page.get_by_text("Training stopped after epoch")).to_be_visible(timeout=60_000)
    wait_idle(page)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    text = page.get_by_text("Training stopped after epoch").inner_text()
    done = int(text.split("epoch")[1].split()[0])
    assert 1 <= done < 1500
    expect(page.get_by_text("stopped early, not cached")).to_be_visible()
    expect(page.get_by_role("button", name="Train again")).to_be_visible()
    # the partial small multiples (drawing 8 panels can take more than expect's 5 s on a busy machine)
    expect(page.locator(".js-plotly-plot")).to_have_count(8, timeout=60_000)  # one figure per network
    page.wait_for_function(PLAYER_READY, timeout=60_000)  # the partial maps and loss curves, in the player
    expect(page.get_by_role("button", name="Stop training")).to_have_count(0)
    wait_idle(page)  # every rerun the page asked for has finished: training did not silently restart
    expect(page.get_by_test_id("stProgress")).to_have_count(0)
    assert "epochs=1500" in page.url  # the settings stay as they were


@pytest.mark.parametrize("size,query", [((1440, 900), ""), ((1920, 1080), "&present=1"), ((390, 844), "")],
                         ids=["1440x900", "1920x1080-present", "phone"])
def test_moons_player_screenshots(server, browser, artifacts_dir, size, query):
    ctx = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = ctx.new_page()
    frame = open_moons(page, server, "?epochs=30" + query)
    frame.locator("button[data-act=first]").click()
    for _ in range(3):
        frame.locator("button[data-act=fwd]").click()
    st = frame.evaluate(STATE)
    assert st["k"] == 3 and "Epoch 6 of 30" in st["caption"]
    titles = frame.evaluate("() => [...document.querySelectorAll('.dp-map .annotation-text')].map(a => a.textContent)")
    assert sum("epoch 6: loss" in t for t in titles) == 8  # the panels' status follows the step
    # Every panel keeps the data's aspect: pixels per unit equal on x and y.
    ratio = frame.evaluate("() => { const fl = document.querySelector('.dp-map')._fullLayout;"
                           " return [fl.xaxis._m, -fl.yaxis._m]; }")
    assert abs(ratio[0] / ratio[1] - 1) < 0.02
    page.locator("iframe[title='ui.player.race_player']").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts_dir / f"moons_player_{size[0]}x{size[1]}.png"))
    assert page.get_by_test_id("stException").count() == 0
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
    ctx.close()


# Every map title's drawn box, the smallest font size of any of its lines (tspans: a <sup> line is smaller), and
# the map's own box, in the player's frame.
TITLE_BOXES = """() => { const m = document.querySelector('.dp-map'), mb = m.getBoundingClientRect();
    const titles = [...m.querySelectorAll('.annotation-text')].map(t => { const b = t.getBoundingClientRect();
      const sizes = [t, ...t.querySelectorAll('tspan')].map(e => parseFloat(getComputedStyle(e).fontSize));
      return {text: t.textContent, box: [b.left, b.top, b.right, b.bottom], font: Math.min(...sizes)}; });
    const sub = document.querySelector('.dp-caption .dp-sub');
    const lb = document.querySelector('.dp-loss').getBoundingClientRect(), lt = document.querySelector('.dp-loss .gtitle');
    const ltb = lt.getBoundingClientRect();
    return {map: [mb.left, mb.top, mb.right, mb.bottom], titles: titles, grid: window.__player.state.grid || null,
            loss: [lb.left, lb.right], loss_title: [ltb.left, ltb.right, lt.textContent],
            caption: parseFloat(getComputedStyle(document.querySelector('.dp-caption')).fontSize),
            sub: sub ? parseFloat(getComputedStyle(sub).fontSize) : null,
            controls: parseFloat(getComputedStyle(document.querySelector('.dp-controls button')).fontSize)}; }"""


def _overlap(a, b) -> bool:
    return a[0] < b[2] - 0.5 and b[0] < a[2] - 0.5 and a[1] < b[3] - 0.5 and b[1] < a[3] - 0.5


@pytest.mark.parametrize("size,query,cols,min_font", [((390, 844), "", 2, 11.5), ((1440, 900), "", 3, 11.5),
                                                      ((1440, 900), "&present=1", 3, 20),
                                                      ((1920, 1080), "&present=1", 3, 20)],
                         ids=["phone", "1440x900", "1440x900-present", "1920x1080-present"])
def test_moons_map_titles_never_collide_and_status_lines_are_readable(server, browser, size, query, cols, min_font):
    """Seen at 390 px: three maps a row, "SGD (lr 0.01, μ 0.9, nesterov)" ran into its neighbours' titles and the
    status lines ("epoch 100: loss …") overlapped; in presentation mode those status lines were drawn in a <sup>
    (~13 px at 1920×1080) and "(snapshot k of n)" at 17 px, smaller than the player's 20-px controls; at 1440×900
    in presentation mode the loss chart's title was cut at its right edge."""
    ctx = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = ctx.new_page()
    frame = open_moons(page, server, "?epochs=30" + query)
    frame.locator("button[data-act=first]").click()
    frame.locator("button[data-act=fwd]").click()  # epoch 2: the status lines change with the step
    frame.wait_for_function("() => [...document.querySelectorAll('.dp-map .annotation-text')]"
                            ".filter(a => a.textContent.includes('epoch 2: loss')).length === 8", timeout=30_000)
    got = frame.evaluate(TITLE_BOXES)
    titles = [t for t in got["titles"] if "epoch 2: loss" in t["text"]]
    assert len(titles) == 8
    for i, a in enumerate(titles):
        assert a["box"][0] >= got["map"][0] - 1 and a["box"][2] <= got["map"][2] + 1, a  # inside the map's width
        assert a["font"] >= min_font, a
        for b in titles[i + 1:]:
            assert not _overlap(a["box"], b["box"]), (a, b)
    # The player's status line ("Epoch e of E (snapshot k of n)") is as large as the controls' text.
    assert got["caption"] >= got["controls"] - 0.5 and got["sub"] >= got["controls"] - 0.5
    if query:
        assert got["caption"] >= 20 and got["sub"] >= 20
    assert got["grid"]["cols"] == cols  # two maps a row on a phone, three beside the loss chart
    # the loss chart's title is whole (on a projector at 1440 it was cut: "… running mean per e")
    assert got["loss"][0] - 1 <= got["loss_title"][0] and got["loss_title"][1] <= got["loss"][1] + 1, got["loss_title"]
    ctx.close()
