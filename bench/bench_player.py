"""The race player (charts/player.py) against Plotly's own animation frames (charts/race.py race_figure).

Measures, for the default race line-up on Rosenbrock (5 optimizers) at 300 and 1,000 steps:
- payload: bytes of JSON the browser receives for the map + loss chart
  (a) race_figure with Plotly frames, as st.plotly_chart sends it (plotly.io.to_json), at the default 150-frame
      cap and with one frame per step (what one-step stepping needs), plus the loss figure;
  (b) the player spec (charts.player.player_spec: every step once, typed arrays; overlays included);
- first render: an offline HTML page for each (plotly.js inlined in both, so both parse the same 4.8 MB),
  opened in Chromium; time from navigation start to "both charts drawn". Median of 3 loads each, in turns.

    python bench/bench_player.py            # writes bench/player_results.md
    python bench/bench_player.py --pages    # writes bench/player_pages_results.md (moons and learning rate)

``--pages``: the moons page's decision maps (the article's 8 networks, 100 epochs, 21 snapshots) as (a) the old
Plotly animation (charts.moons.boundary_figure + the loss figure, plotly.io.to_json as st.plotly_chart sends it)
and (b) the player spec (charts.moons.boundary_player, maps and loss curves); the learning-rate page's player
(3 rates, 100 epochs, every epoch); and the first render of each moons export, timed as above.
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import plotly.io as pio  # noqa: E402

import landscapes  # noqa: E402
import optimizers  # noqa: E402
from charts.background import background_image  # noqa: E402
from charts.common import PALETTE  # noqa: E402
from charts.player import player_html, player_spec, spec_bytes  # noqa: E402
from charts.race import RaceRun, loss_figure, race_figure  # noqa: E402
from optimizers.overlays import overlay_vectors  # noqa: E402

LINEUP = [("SGD", {"learning_rate": 0.002}), ("SGD", {"learning_rate": 0.001, "momentum": 0.9}),
          ("RMSprop", {"learning_rate": 0.01}), ("Adam", {"learning_rate": 0.1}), ("Lion", {"learning_rate": 0.01})]


def race(steps):
    land = landscapes.get("rosenbrock")
    runs, ovs = [], []
    for i, (name, hp) in enumerate(LINEUP):
        t = optimizers.run(optimizers.get(name, **hp), land, steps=steps, record="full")
        runs.append(RaceRun(f"{name} {hp}", t.params, t.loss, t.diverged_at, PALETTE[i], name))
        ovs.append(overlay_vectors(t))
    return land, runs, ovs


def frames_html(map_fig, loss_fig) -> str:
    """Approach (a): the animated Plotly map and the loss chart as one offline page (plotly.js inlined), the way
    the race exported before the player (the old charts.race.export_html, removed when the player replaced it)."""
    config = {"displaylogo": False}
    first = pio.to_html(map_fig, include_plotlyjs=True, full_html=False, auto_play=False, config=config)
    second = pio.to_html(loss_fig, include_plotlyjs=False, full_html=False, config=config)
    return f"<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>{first}{second}</body></html>"


def load_ms(browser, path, ready_js, n=3):
    out = []
    for _ in range(n):
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        t0 = time.perf_counter()
        page.goto(path.as_uri())
        page.wait_for_function(ready_js, timeout=300_000)
        out.append((time.perf_counter() - t0) * 1e3)
        page.close()
    return out


def main():
    from playwright.sync_api import sync_playwright

    rows, timing = [], []
    tmp = Path(tempfile.mkdtemp())
    for steps in (300, 1000):
        land, runs, ovs = race(steps)
        bg = background_image(land)
        lfig, _ = loss_figure(runs, land.min_value)
        loss_bytes = len(pio.to_json(lfig, validate=False))
        capped = race_figure(land, runs, bg)
        every = race_figure(land, runs, bg, max_frames=steps + 1, budget=10**12)  # one frame per step, full paths
        a_capped = len(pio.to_json(capped, validate=False)) + loss_bytes
        a_every = len(pio.to_json(every, validate=False)) + loss_bytes
        spec = player_spec(race_figure(land, runs, bg, max_frames=2), lfig, runs, ovs)
        rows.append((steps, len(capped["frames"]), a_capped, len(every["frames"]), a_every, spec_bytes(spec)))
        old = tmp / f"frames_{steps}.html"
        old.write_text(frames_html(capped, lfig), encoding="utf-8")
        new = tmp / f"player_{steps}.html"
        new.write_text(player_html(spec, "player", ["bench"]), encoding="utf-8")
        timing.append((steps, old, new))
    results = []
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        for steps, old, new in timing:
            a, c = [], []
            for _ in range(3):  # in turns, so both see the same machine load
                a += load_ms(b, old, "() => { const g = document.querySelectorAll('.js-plotly-plot');"
                                     " return g.length === 2 && !!g[0]._fullLayout && !!g[1]._fullLayout; }", 1)
                c += load_ms(b, new, "() => !!(window.__descentPlayer && window.__descentPlayer.ready)", 1)
            results.append((steps, statistics.median(a), statistics.median(c)))
        b.close()
    lines = ["# Race player vs Plotly frames", "",
             "Command: `python bench/bench_player.py` (default race line-up, Rosenbrock, 5 optimizers).", "",
             "## Payload (bytes of JSON for the map and the loss chart)", "",
             "| steps | (a) frames (cap) | (a) bytes | (a) one frame per step | (a) bytes | (b) player spec bytes |",
             "|---|---|---|---|---|---|"]
    lines += [f"| {s} | {f1} | {b1:,} | {f2} | {b2:,} | {b3:,} |" for s, f1, b1, f2, b2, b3 in rows]
    lines += ["", "## First render (offline HTML, plotly.js inlined in both; median of 3 loads, in turns)", "",
              "| steps | (a) Plotly frames, ms | (b) player, ms | (b)/(a) |", "|---|---|---|---|"]
    lines += [f"| {s} | {a:.0f} | {c:.0f} | {c / a:.2f} |" for s, a, c in results]
    lines += ["", f"Load average while measuring: {open('/proc/loadavg').read().split()[0]} (2 cores shared).", ""]
    (ROOT / "bench" / "player_results.md").write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


def pages():
    from playwright.sync_api import sync_playwright

    from charts import moons as mc
    from charts import regression as rc
    from ui import moons_run as mr
    from ui.regression_run import compute_runs, regression_land
    from ui.settings import OptChoice

    lineup = tuple(OptChoice.canonical(OptChoice.make(n, **hp)) for n, hp in (
        ("SGD", {"learning_rate": 0.01}), ("SGD", {"learning_rate": 0.01, "momentum": 0.9}),
        ("SGD", {"learning_rate": 0.01, "momentum": 0.9, "nesterov": True}), ("Adagrad", {"learning_rate": 0.01}),
        ("RMSprop", {"learning_rate": 0.01}), ("Adam", {"learning_rate": 0.01}), ("Nadam", {"learning_rate": 0.01}),
        ("Lion", {"learning_rate": 0.001})))
    rows, timing = [], []
    tmp = Path(tempfile.mkdtemp())
    for epochs in (100, 800):
        key = mr.TrainKey(lineup, epochs, 32, (12, 13, 13), 300, 0.1, 0)
        res = mr.train_cached(key)
        runs = res["runs"]
        old = mc.boundary_figure(runs, res["X"], res["y"], res["grid"])
        loss = mc.loss_figure(runs)
        a = len(pio.to_json(old, validate=False)) + len(pio.to_json(loss, validate=False))
        spec = mc.boundary_player(runs, res["X"], res["y"], res["grid"])
        rows.append((f"moons, 8 networks, {epochs} epochs", len(old["frames"]), a, spec["steps"] + 1, spec_bytes(spec)))
        if epochs == 100:
            o, n = tmp / "moons_frames.html", tmp / "moons_player.html"
            o.write_text(rc.export_html([loss, old], "frames"), encoding="utf-8")
            n.write_text(player_html(spec, "player", ["bench"]), encoding="utf-8")
            timing.append((o, n))
    land = regression_land()
    lr_runs = compute_runs((0.01, 0.1, 0.5), 100, "full", 10, 0, OptChoice.make("GradientDescent"))
    lr = rc.fit_player(lr_runs, land.X[:, 0], land.y, floor=land.min_value)
    rows.append(("learning rate, 3 rates, 100 epochs", "—", "—", lr["steps"] + 1, spec_bytes(lr)))
    results = []
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        for o, n in timing:
            x, y = [], []
            for _ in range(3):
                x += load_ms(b, o, "() => { const g = document.querySelectorAll('.js-plotly-plot');"
                                   " return g.length === 2 && !!g[0]._fullLayout && !!g[1]._fullLayout; }", 1)
                y += load_ms(b, n, "() => !!(window.__descentPlayer && window.__descentPlayer.ready)", 1)
            results.append((statistics.median(x), statistics.median(y)))
        b.close()
    lines = ["# The player on the moons and learning-rate pages", "",
             "Command: `python bench/bench_player.py --pages` (the article's line-up: 8 networks, 12-13-13, batch 32).", "",
             "## Payload (bytes of JSON for the maps/lines and the loss chart; budget 3 MB)", "",
             "| what | (a) Plotly frames | (a) bytes | (b) player steps | (b) player spec bytes |", "|---|---|---|---|---|"]
    lines += [f"| {w} | {f} | {a if isinstance(a, str) else f'{a:,}'} | {n} | {b:,} |" for w, f, a, n, b in rows]
    lines += ["", "(a) is thinned to FIGURE_BUDGET by dropping snapshots; (b) keeps every recorded snapshot.",
              "", "## First render of the moons export (offline HTML, plotly.js inlined; median of 3, in turns)", "",
              "| (a) Plotly animation + loss chart, ms | (b) player, ms | (b)/(a) |", "|---|---|---|"]
    lines += [f"| {a:.0f} | {c:.0f} | {c / a:.2f} |" for a, c in results]
    lines += ["", f"Load average while measuring: {open('/proc/loadavg').read().split()[0]} (2 cores shared).", ""]
    (ROOT / "bench" / "player_pages_results.md").write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    pages() if "--pages" in sys.argv[1:] else main()
