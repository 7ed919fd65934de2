"""Cost of one update of Adafactor, Ftrl, Lamb, Muon and ScheduleFreeAdamW, relative to Adam (same run).

Run:  OPENBLAS_NUM_THREADS=1 python bench/bench_zoo.py [--repeats 15] [--out bench/zoo_results.md]

(One BLAS thread: on a small, shared machine OpenBLAS's threads fight each other and make a 128×256 matrix
product 30–70× slower; the results file records the setting.)

Three workloads, each timed for every optimizer in turn (interleaved, best of ``--repeats`` rounds, so that
load from other processes hits every optimizer alike):

- ``point``: one 2-vector (a landscape run; Muon takes its Adam step), 300 updates;
- ``10k runs``: 10,000 stacked 2-vectors (``batch_ndim=1``), 30 updates;
- ``matrix``: one (256, 128) matrix (a dense kernel; Muon's Newton–Schulz step, Adafactor's factored
  moment), 30 updates.

The figure to read is the ratio to Adam: absolute times depend on the machine and its load.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import optimizers  # noqa: E402

NAMES = ["Adam", "Lion", "Adafactor", "Ftrl", "Lamb", "Muon", "ScheduleFreeAdamW"]
WORKLOADS = {"point": ((2,), 0, 300), "10k runs": ((10_000, 2), 1, 30), "matrix": ((256, 128), 0, 30)}


def time_once(name, shape, batch_ndim, steps, rng):
    opt = optimizers.get(name, learning_rate=0.01)
    w = rng.normal(size=shape)
    grads = [rng.normal(size=shape) for _ in range(4)]
    state = opt.init(w, batch_ndim=batch_ndim)
    t0 = time.perf_counter()
    for k in range(steps):
        w, state = opt.update(grads[k % 4], state, w)
    return (time.perf_counter() - t0) / steps


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    best = {(n, w): float("inf") for n in NAMES for w in WORKLOADS}
    for _ in range(args.repeats):
        for wl, (shape, bnd, steps) in WORKLOADS.items():
            for name in NAMES:
                best[name, wl] = min(best[name, wl], time_once(name, shape, bnd, steps, rng))
    lines = ["# Update cost of the five Keras 3 rules added in issue 11, relative to Adam", "",
             f"Command: `OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', '(unset)')} "
             f"python bench/bench_zoo.py --repeats {args.repeats}`  ",
             f"Machine: {platform.machine()}, Python {platform.python_version()}, NumPy {np.__version__}; "
             f"best of {args.repeats} interleaved rounds; load average {os.getloadavg()[0]:.1f} at the end "
             f"on {os.cpu_count()} cores (other processes share the machine: read the ratios, roughly).", "",
             "| optimizer | " + " | ".join(f"{wl}: µs/update (× Adam)" for wl in WORKLOADS) + " |",
             "|---|" + "---:|" * len(WORKLOADS)]
    for name in NAMES:
        cells = [f"{best[name, wl] * 1e6:,.1f} ({best[name, wl] / best['Adam', wl]:.2f}×)" for wl in WORKLOADS]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    text = "\n".join(lines) + "\n"
    if args.out:
        Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
