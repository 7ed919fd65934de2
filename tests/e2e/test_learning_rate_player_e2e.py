"""Real browser: the learning-rate page's player moves every column's fitted line and every loss marker one epoch
at a time, together, in the browser."""
import base64

import numpy as np
from playwright.sync_api import expect

from tests.helpers import PLAYER_READY, PLAYER_URL, wait_idle

STATE = """() => { const m = document.querySelector('.dp-map'), l = document.querySelector('.dp-loss');
    const spec = window.__player.spec, st = window.__descentPlayer;
    return {k: st.k, caption: document.querySelector('.dp-caption').textContent,
            lines: spec.series.map(s => Array.from(m._fullData[s.trace].y)),
            markers: spec.runs.map(r => [l._fullData[r.loss_trace].x[0], l._fullData[r.loss_trace].y[0]])}; }"""


def test_lines_and_loss_markers_step_together(server, page, artifacts_dir):
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{server}/learning_rate?lrs=0.1,0.5,1.1&epochs=40")
    page.wait_for_function(PLAYER_READY, timeout=90_000)
    wait_idle(page)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    frame = next(f for f in page.frames if PLAYER_URL.search(f.url))
    spec = frame.evaluate("() => window.__player.spec")
    rows = [np.frombuffer(base64.b64decode(s["data"]), "<f4").reshape(-1, 2) for s in spec["series"]]
    assert frame.evaluate(STATE)["k"] == 40
    frame.locator("button[data-act=first]").click()
    for k in (1, 2, 3):
        frame.locator("button[data-act=fwd]").click()
        st = frame.evaluate(STATE)
        assert st["k"] == k and f"Epoch {k} of 40" in st["caption"]
        assert st["lines"] == [r[s["index"][k]].tolist() for r, s in zip(rows, spec["series"])]
        assert st["markers"] == [[m["mx"][k], m["my"][k]] for m in spec["runs"]]
    frame.locator("button[data-act=back]").click()
    assert frame.evaluate(STATE)["k"] == 2
    page.locator("iframe[title='ui.player.race_player']").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts_dir / "learning_rate_player_1440x900.png"))
