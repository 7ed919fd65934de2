"""Engine throughput: update steps per second, one trajectory vs 10,000 vectorized trajectories.

Run:  python bench/bench_engine.py [--steps 500] [--runs 10000] [--out bench/engine_results.md]

Each optimizer steps on Himmelblau's function (analytic gradient) with
``opt.update`` directly, so this measures the engine, not the runner's
bookkeeping. Absolute numbers depend on the machine; the ratio column
(trajectory-steps per second, vectorized / single) is the figure to compare.
"""
from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import optimizers  # noqa: E402


def himmelblau_grad(P):
    x, y = P[..., 0], P[..., 1]
    a, b = x * x + y - 11, x + y * y - 7
    return np.stack([4 * x * a + 2 * b, 2 * a + 4 * y * b], axis=-1)


def steps_per_second(name, runs, steps, repeat=3):
    best = float("inf")
    for _ in range(repeat):
        opt = optimizers.get(name, learning_rate=0.01)
        P = np.random.default_rng(0).uniform(-4, 4, size=(runs, 2) if runs > 1 else (2,))
        state = opt.init(P, batch_ndim=1 if runs > 1 else 0)
        t0 = time.perf_counter()
        for _ in range(steps):
            P, state = opt.update(himmelblau_grad(P), state, P)
        best = min(best, time.perf_counter() - t0)
    return steps / best, runs * steps / best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=500)
    ap.add_argument("--runs", type=int, default=10_000)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    lines = [
        "# Engine throughput",
        "",
        f"Command: `python bench/bench_engine.py --steps {args.steps} --runs {args.runs}`  ",
        f"Machine: {platform.machine()}, Python {platform.python_version()}, NumPy {np.__version__}; "
        f"best of 3; {args.steps} steps on Himmelblau.",
        "",
        f"| optimizer | 1 trajectory: steps/s | {args.runs:,} trajectories: steps/s | trajectory-steps/s | "
        "vectorized / single |",
        "|---|---:|---:|---:|---:|",
    ]
    for name in optimizers.available():
        single, _ = steps_per_second(name, 1, args.steps)
        batch_steps, batch_traj = steps_per_second(name, args.runs, args.steps)
        lines.append(f"| {name} | {single:,.0f} | {batch_steps:,.0f} | {batch_traj:,.0f} | "
                     f"{batch_traj / single:,.0f}× |")
        print(lines[-1], flush=True)
    text = "\n".join(lines) + "\n"
    if args.out:
        Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
