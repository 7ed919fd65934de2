"""Vectorization: many starts as one NumPy computation vs one start at a time.

Run:  python bench/bench_vectorized.py [--out bench/vectorized_results.md]

1. Issue 3: Adam, 10,000 starts × 500 steps on Himmelblau through ``optimizers.run``,
   against a loop of single-start runs (timed on a sample of starts and scaled
   to 10,000, because the full loop takes minutes). Goal: ≥ 100×.
2. Issue 6: basin maps, 4 optimizers × 10,000 starts (100×100) × 500 steps with
   ``optimizers.basin_map``. Goal: ≤ 2 s on this 2-core machine.

Both sides run in the same process, one after the other; the ratio is the
figure to compare, absolute seconds depend on the (shared) machine.
"""
from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import landscapes  # noqa: E402
import optimizers  # noqa: E402

BASIN_OPTIMIZERS = [("SGD", {"learning_rate": 0.01, "momentum": 0.9}), ("RMSprop", {"learning_rate": 0.01}),
                    ("Adam", {"learning_rate": 0.05}), ("Lion", {"learning_rate": 0.01})]


def best_of(fn, repeat=3):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--starts", type=int, default=10_000)
    ap.add_argument("--steps", type=int, default=500)
    ap.add_argument("--sample", type=int, default=200, help="single-start runs actually timed in the loop")
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    land = landscapes.get("himmelblau")
    rng = np.random.default_rng(0)
    starts = rng.uniform(-5, 5, size=(a.starts, 2))
    opt = optimizers.get("adam", learning_rate=0.05)

    t_vec = best_of(lambda: optimizers.run(opt, land, start=starts, steps=a.steps, record="final"))

    def loop():
        for s in starts[: a.sample]:
            optimizers.run(opt, land, start=s, steps=a.steps, record="final")
    t_loop = best_of(loop, repeat=1) * a.starts / a.sample

    n = int(round(np.sqrt(a.starts)))
    t_basins = best_of(lambda: [optimizers.basin_map(name, land, n=n, steps=a.steps, **kw)
                                for name, kw in BASIN_OPTIMIZERS])
    per_opt = {name: best_of(lambda name=name, kw=kw: optimizers.basin_map(name, land, n=n, steps=a.steps, **kw))
               for name, kw in BASIN_OPTIMIZERS}

    lines = [
        "# Vectorized runs",
        "",
        f"Command: `python bench/bench_vectorized.py --starts {a.starts} --steps {a.steps} --sample {a.sample}`  ",
        f"Machine: {platform.machine()}, {__import__('os').cpu_count()} cores, Python {platform.python_version()}, "
        f"NumPy {np.__version__}. Best of 3 unless noted.",
        "",
        "## Adam on Himmelblau, vectorized vs one start at a time (issue 3, goal ≥ 100×)",
        "",
        "| | seconds |",
        "|---|---:|",
        f"| {a.starts:,} starts × {a.steps} steps, one `optimizers.run` | {t_vec:.3f} |",
        f"| loop of single-start runs, {a.sample} timed, scaled to {a.starts:,} | {t_loop:.1f} |",
        f"| **ratio** | **{t_loop / t_vec:,.0f}×** |",
        "",
        f"## Basin maps: 4 optimizers × {n}×{n} starts × {a.steps} steps (issue 6, goal ≤ 2 s)",
        "",
        "| | seconds |",
        "|---|---:|",
        *[f"| {name} ({', '.join(f'{k}={v}' for k, v in kw.items())}) | {per_opt[name]:.3f} |"
          for name, kw in BASIN_OPTIMIZERS],
        f"| **all four** | **{t_basins:.3f}** |",
        f"| same work as a per-start loop (scaled from the Adam loop above) | {4 * t_loop:.1f} |",
        f"| **ratio** | **{4 * t_loop / t_basins:,.0f}×** |",
    ]
    text = "\n".join(lines) + "\n"
    if a.out:
        Path(a.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
