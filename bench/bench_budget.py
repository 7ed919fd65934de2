"""Calibrate and check the work budget (optimizers/budget.py): estimated vs measured CPU seconds.

Run:  python bench/bench_budget.py [--out bench/budget_results.md] [--quick]

1. Engine constants: ``optimizers.run`` on a landscape that costs (almost) nothing, for every optimizer,
   with 1 start (per-step overhead) and 4096 starts (per-point cost). The budget uses the slowest.
2. Typed formulas: value + gradient of a 30-deep power tower on 40,000 points, lambdify without and with
   ``cse=True``.
3. Moons training: ``train()`` plus the page's decision maps for several network sizes; a least-squares fit
   of the three training constants.
4. Validation: real requests (the heaviest links of issue 15 scaled down, page defaults, presets) timed
   against the estimate with the committed constants. The ratio measured / estimated is the figure to read.

CPU seconds are ``time.process_time()`` (all threads: OpenBLAS may use two), so a busy machine slows the
wall clock but not these numbers much.
"""
from __future__ import annotations

import argparse
import math
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import sympy

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import landscapes  # noqa: E402
import optimizers  # noqa: E402
from charts import moons as mc  # noqa: E402
from landscapes.custom import _float_safe  # noqa: E402
from landscapes.expression import X, Y, parse_expression  # noqa: E402
from optimizers import budget  # noqa: E402
from optimizers.training import train  # noqa: E402

TOWER = "**".join(["x"] * 30)
MOONS_LINEUP = [("SGD", {"learning_rate": 0.01}), ("SGD", {"learning_rate": 0.01, "momentum": 0.9}),
                ("Adagrad", {"learning_rate": 0.01}), ("RMSprop", {"learning_rate": 0.01}),
                ("Adam", {"learning_rate": 0.01}), ("AdamW", {"learning_rate": 0.01, "weight_decay": 0.01}),
                ("Nadam", {"learning_rate": 0.01}), ("Lion", {"learning_rate": 0.001})]


class Free:
    """A landscape that costs almost nothing: what is left is the engine's own work.

    ``slope`` is every gradient component (0 by default; the zoo bench uses a small non-zero one, so that
    norm-based rules such as Lamb and Muon do not divide zero by zero)."""
    bounds = ((-1.0, 1.0), (-1.0, 1.0))
    start = np.zeros(2)
    minima = np.zeros((0, 2))
    min_value = None

    def __init__(self, slope: float = 0.0):
        self.slope = slope

    def value(self, P):
        return np.zeros(P.shape[:-1])

    def grad(self, P):
        return np.full(P.shape, self.slope)


def cpu(fn, repeat=1):
    best = math.inf
    for _ in range(repeat):
        t0 = time.process_time()
        fn()
        best = min(best, time.process_time() - t0)
    return best


def engine_constants(lines):
    land = Free()
    lines += ["## 1. Engine constants (landscape cost excluded)", "",
              "| optimizer | per-step overhead (µs) | per point and step (ns) |", "|---|---|---|"]
    worst_a = worst_c = 0.0
    for name in optimizers.available():
        opt = optimizers.get(name)
        a = cpu(lambda: optimizers.run(opt, land, start=np.zeros((1, 2)), steps=300, record="final"), 3) / 300
        t = cpu(lambda: optimizers.run(opt, land, start=np.zeros((4096, 2)), steps=30, record="final"), 3) / 30
        c = max(t - a, 0.0) / 4096
        worst_a, worst_c = max(worst_a, a), max(worst_c, c)
        lines.append(f"| {name} | {a * 1e6:.0f} | {c * 1e9:.0f} |")
    lines += ["", f"Slowest: {worst_a * 1e6:.0f} µs per step, {worst_c * 1e9:.0f} ns per point. Committed: "
              f"STEP_OVERHEAD = {budget.STEP_OVERHEAD * 1e6:.0f} µs, POINT_COST = {budget.POINT_COST * 1e9:.0f} ns.", ""]


def power_tower(lines):
    P = np.random.default_rng(0).uniform(-3, 3, (40000, 2))
    x, y = P[:, 0], P[:, 1]
    e = parse_expression(TOWER)
    g = (sympy.diff(e, X), sympy.diff(e, Y))
    ops = sum(sympy.count_ops(gi) for gi in g)
    lines += ["## 2. A 30-deep power tower x**x**…**x, value + gradient on 40,000 points", "",
              f"count_ops of the gradient: {ops} (limit MAX_GRADIENT_OPS = 2000).", "",
              "| lambdify | value (s) | gradient (s) |", "|---|---|---|"]
    for cse in (False, True):
        f = sympy.lambdify((X, Y), _float_safe(e), modules="numpy", cse=cse)
        df = [sympy.lambdify((X, Y), _float_safe(gi), modules="numpy", cse=cse) for gi in g]
        with np.errstate(all="ignore"):
            tv = cpu(lambda: f(x, y), 3)
            tg = cpu(lambda: [d(x, y) for d in df], 3)
        lines.append(f"| cse={cse} | {tv:.3f} | {tg:.3f} |")
    land = landscapes.get("custom", expression=TOWER)
    per_call, per_point = budget.landscape_cost(land)
    lines += ["", f"The app's landscape (cse=True), as the budget measures it: {per_call * 1e6:.0f} µs per call, "
              f"{per_point * 1e9:.0f} ns per point.", ""]


def moons_request(hidden, samples, bs, epochs, M):
    task = landscapes.get("moons", n_samples=samples, noise=0.1, data_seed=42, hidden=hidden, validation_split=0.0)
    opts = [optimizers.get(n, **kw) for n, kw in MOONS_LINEUP[:M]]

    def go():
        results = train(opts, task, epochs, batch_size=bs, seed=0, boundary_epochs=mc.snapshot_epochs(epochs))
        for res in results:  # what pages/moons.py package() adds: the decision maps of the snapshots
            eps = sorted(res.snapshots)
            task.boundary(np.stack([res.snapshots[e] for e in eps]), n=50)
    return task, go


MOONS_FIT = [((12, 13, 13), 300, 32, 30, 8), ((12, 13, 13), 300, 1, 2, 8), ((12, 13, 13), 2000, 2000, 20, 8),
             ((128, 128, 128, 128), 2000, 50, 1, 8), ((128, 128, 128, 128), 300, 32, 2, 4), ((64, 64), 1000, 32, 3, 8),
             ((128,), 2000, 200, 10, 8), ((4,), 300, 32, 50, 2), ((32, 32, 32), 500, 8, 2, 8), ((128, 128), 500, 4, 1, 8),
             ((8,), 2000, 1, 1, 8), ((128, 128, 128, 128), 300, 300, 5, 8), ((64, 64, 64, 64), 1000, 16, 1, 8),
             ((16,), 300, 10, 20, 1), ((128, 128, 128), 1000, 128, 2, 8)]


def moons_fit(lines, quick):
    rows, feats, ts = [], [], []
    for hidden, samples, bs, epochs, M in (MOONS_FIT[:4] if quick else MOONS_FIT):
        task, go = moons_request(hidden, samples, bs, epochs, M)
        t = cpu(go)
        P = task.n_params
        updates = epochs * math.ceil(samples / bs)
        snaps = len(mc.snapshot_epochs(epochs))
        feats.append([M * updates, M * updates * P, M * P * samples * epochs, M * P * budget.MAP_POINTS * snaps])
        ts.append(t)
        est = budget.training_seconds(M, P, samples, bs, epochs, snaps)
        rows.append(f"| {','.join(map(str, hidden))} | {P:,} | {samples} | {bs} | {epochs} | {M} | {t:.2f} | "
                    f"{est:.2f} | {t / est:.2f} |")
    from scipy.optimize import nnls  # scikit-learn's dependency
    F, t = np.array(feats, float), np.array(ts)
    coef, _ = nnls(F / t[:, None], np.ones_like(t))  # least squares of the relative error, constants >= 0
    lines += ["## 3. Moons training (train() + the page's decision maps)", "",
              "| hidden | weights | samples | batch | epochs | models | measured CPU (s) | estimate (s) | "
              "measured / estimate |", "|---|---|---|---|---|---|---|---|---|", *rows, "",
              f"Fit (non-negative least squares of the relative error): TRAIN_UPDATE = {coef[0] * 1e6:.0f} µs, "
              f"TRAIN_PARAM = {coef[1] * 1e9:.1f} ns, TRAIN_SAMPLE = {coef[2] * 1e9:.2f} ns, MAP_POINT = "
              f"{coef[3] * 1e9:.2f} ns. Committed (rounded up): {budget.TRAIN_UPDATE * 1e6:.0f} µs, "
              f"{budget.TRAIN_PARAM * 1e9:.0f} ns, {budget.TRAIN_SAMPLE * 1e9:.1f} ns, {budget.MAP_POINT * 1e9:.1f} ns.", ""]


def validation(lines, quick):
    tower = landscapes.get("custom", expression=TOWER)
    him = landscapes.get("himmelblau")
    ros = landscapes.get("rosenbrock")
    reg = landscapes.get("regression")
    cases = []

    def basins(land, label, n_opts, grid, steps):
        opts = [optimizers.get(n, **kw) for n, kw in MOONS_LINEUP[:n_opts]]
        cases.append((label, lambda: [optimizers.basin_map(o, land, n=grid, steps=steps) for o in opts],
                      budget.run_seconds(land, steps, grid * grid, n_opts)))

    basins(him, "basins, Himmelblau, 4 optimizers × 100² starts × 500 steps (compare default)", 4, 100, 500)
    basins(tower, "basins, power tower, 2 optimizers × 50² starts × 100 steps", 2, 50, 100)
    cases.append(("race, Rosenbrock, 5 runs × 300 steps (race default)",
                  lambda: [optimizers.run(optimizers.get("adam"), ros, steps=300, record="path") for _ in range(5)],
                  budget.run_seconds(ros, 300, 1, 5)))
    cases.append(("race, power tower, 8 runs × 2000 steps",
                  lambda: [optimizers.run(optimizers.get("adam", learning_rate=0.01), tower, steps=2000,
                                          record="path") for _ in range(8)],
                  budget.run_seconds(tower, 2000, 1, 8)))
    cases.append(("sweep, Himmelblau, 4 optimizers × 241 rates × 500 steps (compare default)",
                  lambda: [optimizers.lr_sweep(n, him, np.logspace(-5, 1, 241), steps=500)
                           for n in ("SGD", "RMSprop", "Adam", "Lion")],
                  budget.run_seconds(him, 500, 241, 4)))

    def mini():
        opts = [optimizers.get("GradientDescent", learning_rate=lr) for lr in (0.001, 0.002, 0.003, 0.004, 0.005, 0.006)]
        train(opts, reg, 200, batch_size=1, seed=0)
    cases.append(("learning rate, mini-batches of 1, 6 rates × 200 epochs", mini,
                  budget.plan_regression(reg, 6, 200, "mini", 1, budget=1e9).estimate_s))
    task, go = moons_request((12, 13, 13), 300, 32, 100, 8)
    cases.append(("moons preset: 8 × 12-13-13, 300 samples, batch 32, 100 epochs", go,
                  budget.training_seconds(8, task.n_params, 300, 32, 100, len(mc.snapshot_epochs(100)))))
    plan = budget.plan_training(8, (128, 128, 128, 128), 2000, 50, 1000)
    task, go = moons_request((128, 128, 128, 128), 2000, 50, plan.granted["epochs"], 8)
    cases.append((f"moons heavy link as granted: 8 × 128×4, 2000 samples, batch 50, {plan.granted['epochs']} "
                  f"epochs (asked 1000)", go, plan.estimate_s))
    plan = budget.plan_basins(tower, 8, 200, 2000)
    opts = [optimizers.get("Adam", learning_rate=0.01 * (i + 1)) for i in range(8)]
    cases.append((f"compare heavy link as granted: power tower, 8 × {plan.granted['grid']}² × "
                  f"{plan.granted['steps']} steps (asked 200² × 2000)",
                  lambda: [optimizers.basin_map(o, tower, n=plan.granted["grid"], steps=plan.granted["steps"])
                           for o in opts], plan.estimate_s))
    if quick:
        cases = cases[:5]
    lines += ["## 4. Validation: measured vs estimated CPU seconds", "",
              "| request | measured (s) | estimate (s) | measured / estimate |", "|---|---|---|---|"]
    for label, fn, est in cases:
        t = cpu(fn)
        lines.append(f"| {label} | {t:.2f} | {est:.2f} | {t / est:.2f} |")
    lines.append("")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(ROOT / "bench" / "budget_results.md"))
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    lines = ["# Work budget: calibration and check", "",
             "Command: `python bench/bench_budget.py` (writes this file). "
             f"Python {platform.python_version()}, NumPy {np.__version__}, {os.cpu_count()} cores, "
             f"load average at start {os.getloadavg()[0]:.2f} (the machine is shared).", ""]
    t0 = time.perf_counter()
    engine_constants(lines)
    power_tower(lines)
    moons_fit(lines, args.quick)
    validation(lines, args.quick)
    lines.append(f"Wall time {time.perf_counter() - t0:.0f} s; load average at the end {os.getloadavg()[0]:.2f}.")
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.quick:
        Path(args.out).write_text(text)


if __name__ == "__main__":
    main()
