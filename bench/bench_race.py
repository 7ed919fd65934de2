"""Benchmark of the Optimizer race page: rerun time and figure size.

    python bench/bench_race.py            # prints a Markdown report
    python bench/bench_race.py --write    # also writes bench/race_results.md

Budgets (issue 5 §2): with 8 optimizers × 500 steps, changing one optimizer's
learning rate re-renders in ≤ 0.3 s of server time (the other seven runs are
cached), and the figure sent to the browser is ≤ 3 MB.

"Server time" is measured as the wall time of an AppTest rerun (AppTest runs
the page script in-process, without a browser or websocket), which includes
AppTest's own bookkeeping and is therefore an upper bound. Each measured rerun
uses a learning rate that has not been computed yet, so the changed optimizer
really recomputes while the seven others come from st.cache_data.
"""
from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import plotly.io as pio  # noqa: E402
import streamlit as st  # noqa: E402
from streamlit.components.v2 import manifest_scanner  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

import landscapes  # noqa: E402
import optimizers  # noqa: E402
from charts.background import background_image  # noqa: E402
from charts.common import color  # noqa: E402
from charts.race import RaceRun, race_figure  # noqa: E402

EIGHT = ["SGD;learning_rate=0.002", "SGD;learning_rate=0.001;momentum=0.9", "RMSprop;learning_rate=0.01",
         "Adam;learning_rate=0.1", "Lion;learning_rate=0.01", "Nadam;learning_rate=0.05",
         "Adagrad;learning_rate=0.5", "Adamax;learning_rate=0.05"]
# Adam (slot 4) learning rates for the measured reruns: none of them is cached before its rerun
# (0.001, the default, is left out: the link then says just "Adam").
LRS = [0.0001, 0.0002, 0.0003, 0.0005, 0.002, 0.003, 0.005, 0.01, 0.02, 0.03, 0.05, 0.2, 0.3, 0.5]


def open_race(steps: int) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["steps"] = str(steps)
    for i, o in enumerate(EIGHT, start=1):
        at.query_params[f"o{i}"] = o
    at.switch_page("app_pages/race.py")
    at.run()
    assert not at.exception, at.exception
    return at


def spec_size(at) -> int:
    return len(next(c for c in at.get("plotly_chart") if c.key == "race_chart").proto.spec)


CPU = []  # process CPU time of every timed call (the machine may be shared: wall time then waits for others)


def timed(fn) -> float:
    c, t = time.process_time(), time.perf_counter()
    fn()
    CPU.append(time.process_time() - c)
    return time.perf_counter() - t


def timed_both(fn) -> tuple[float, float]:
    wall = timed(fn)
    return wall, CPU[-1]


def bench_page(steps: int, repeats: int) -> dict:
    st.cache_data.clear()
    st.cache_resource.clear()
    t0 = time.perf_counter()
    at = open_race(steps)
    cold = time.perf_counter() - t0
    slider = f"race_o4_Adam_keras_learning_rate"
    changed, changed_cpu = [], []
    for lr in LRS[:repeats]:
        wall, cpu = timed_both(lambda: at.select_slider(key=slider).set_value(lr).run())
        changed.append(wall)
        changed_cpu.append(cpu)
        assert not at.exception and at.query_params["o4"] == f"Adam;learning_rate={lr:g}", at.query_params["o4"]
    unchanged = [timed(at.run) for _ in range(repeats)]
    st.cache_data.clear()
    all_miss = [timed(at.run)]  # every optimizer recomputes (a new preset nobody opened yet)
    return dict(steps=steps, cold=cold, changed=changed, changed_cpu=changed_cpu, unchanged=unchanged,
                all_miss=all_miss,
                spec=spec_size(at))


def bench_figure(steps: int) -> dict:
    land = landscapes.get("rosenbrock")
    runs = []
    t0 = time.perf_counter()
    for i, text in enumerate(EIGHT):
        name, *kv = text.split(";")
        kw = {k: float(v) for k, v in (p.split("=") for p in kv)}
        t = optimizers.run(optimizers.get(name, **kw), land, steps=steps, record="path")
        runs.append(RaceRun(text, t.params, t.loss, t.diverged_at, color(i), name))
    t_runs = time.perf_counter() - t0
    bg = background_image(land)
    t0 = time.perf_counter()
    fig = race_figure(land, runs, bg)
    t_build = time.perf_counter() - t0
    t0 = time.perf_counter()
    text = pio.to_json(fig, validate=False)  # what st.plotly_chart sends
    t_json = time.perf_counter() - t0
    return dict(steps=steps, runs=t_runs, build=t_build, json=t_json, size=len(text), frames=len(fig["frames"]),
                stride=fig["layout"]["meta"]["path_stride"], frames_size=len(json.dumps(fig["frames"])))


def med(xs):
    return statistics.median(xs)


def report(pages, figs, wall) -> str:
    load = os.getloadavg() if hasattr(os, "getloadavg") else ("?", "?", "?")
    lines = [
        "# Optimizer race: benchmark results",
        "",
        f"Command: `python bench/bench_race.py --write` (from the repository root). Measured "
        f"{time.strftime('%Y-%m-%d %H:%M')} on {platform.machine()} with {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}; load average at the end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} "
        "(a shared machine: other people's tests were running, so treat the numbers as upper bounds). "
        f"Total {wall:.0f} s.",
        "",
        "## Rerun time (AppTest, 8 optimizers, Rosenbrock)",
        "",
        "| steps | first load, caches cold | **change one learning rate**: wall (median, min–max, n) | same, CPU time "
        "(median, min) | rerun, nothing changed | rerun, all 8 recompute | figure spec sent |",
        "|---|---|---|---|---|---|---|",
    ]
    for p in pages:
        lines.append(
            f"| {p['steps']} | {p['cold']:.2f} s | **{med(p['changed']):.3f} s** ({min(p['changed']):.3f}–"
            f"{max(p['changed']):.3f}, n={len(p['changed'])}) | {med(p['changed_cpu']):.3f} s "
            f"(min {min(p['changed_cpu']):.3f}) | {med(p['unchanged']):.3f} s | "
            f"{med(p['all_miss']):.3f} s | {p['spec'] / 1e6:.2f} MB |")
    lines += [
        "",
        "Budget: ≤ 0.3 s for a learning-rate change with 8 × 500 steps; ≤ 3 MB per figure. Wall time counts the "
        "waits for other processes on a busy machine; CPU time (this process, AppTest's own work included) is the "
        "work the server does for the rerun. The page caches each "
        "optimizer's run separately (`st.cache_data` keyed on landscape, optimizer choice, common settings, start, "
        "steps, noise and seed), so only the edited optimizer recomputes; the background PNG is cached per landscape; "
        "the figure is a plain dict with float32 binary frames, handed to `st.plotly_chart` without plotly.py's "
        "validation pass (`charts.race.Prebuilt`; the unit tests run the validator instead).",
        "",
        "## Figure (charts.race.race_figure, 8 optimizers, no Streamlit)",
        "",
        "| steps | 8 engine runs | build figure | `pio.to_json` | JSON size | frames | frames JSON | path stride |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for f in figs:
        lines.append(f"| {f['steps']} | {f['runs']:.3f} s | {f['build']:.3f} s | {f['json']:.3f} s | "
                     f"{f['size'] / 1e6:.2f} MB | {f['frames']} | {f['frames_size'] / 1e6:.2f} MB | {f['stride']} |")
    lines += [
        "",
        "Frames are capped at 150 (steps are strided); the animated paths keep every step while the frames fit "
        "their budget (`charts.race.FRAME_BUDGET`), otherwise every n-th step (path stride). `pio.to_json` escapes "
        "every `/` of the base64 text as `\\u002f`, which is why the JSON is larger than the raw frames.",
        "",
    ]
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=9, help="measured reruns per case (max %d)" % len(LRS))
    ap.add_argument("--write", action="store_true", help="write bench/race_results.md")
    args = ap.parse_args()
    # Every fresh AppTest rescans installed packages for components; once is enough here.
    manifest_scanner.scan_component_manifests = functools.cache(manifest_scanner.scan_component_manifests)
    t0 = time.perf_counter()
    pages = [bench_page(s, min(args.repeats, len(LRS))) for s in (500, 2000)]
    figs = [bench_figure(s) for s in (300, 500, 2000)]
    text = report(pages, figs, time.perf_counter() - t0)
    print(text)
    if args.write:
        (ROOT / "bench" / "race_results.md").write_text(text)


if __name__ == "__main__":
    main()
