"""The work budget with the five newer Keras rules (Adafactor, Ftrl, Lamb, Muon, ScheduleFreeAdamW).

Run:  python bench/bench_budget_zoo.py [--out bench/budget_zoo_results.md] [--repeat 3]

Measures, in one run and with the same method as bench/bench_budget.py (``time.process_time``, best of
``--repeat``), the engine's cost per step of every rule, so the new rules are read as ratios to their peers
(Adam, Nadam, the slowest of the ten older rules) measured under the same machine load:

1. landscape runs on a landscape that costs nothing: per-step overhead (1 start, 300 steps) and per point and
   step (4096 starts, 30 steps), for every flavour of the five rules, Muon's ``as_matrix`` option too, against
   the committed STEP_OVERHEAD and POINT_COST of optimizers/budget.py;
2. moons training (``train()`` plus the page's decision maps, one model per rule) on the article's 12-13-13
   network and on the largest the page allows (128×4): measured CPU against ``budget.training_seconds`` of one
   model with the rule's factor;
3. validation: requests with the newer rules (basins, sweeps, a race, the heaviest compare link as the
   budget grants it) timed against the estimate.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import landscapes  # noqa: E402
import optimizers  # noqa: E402
from charts import moons as mc  # noqa: E402
from optimizers import budget  # noqa: E402
from optimizers.training import train  # noqa: E402
from bench_budget import Free, cpu  # noqa: E402  (same method: process time, best of `repeat`)

ZOO = ("Adafactor", "Ftrl", "Lamb", "Muon", "ScheduleFreeAdamW")




def cases():
    out = [(n, "keras", {}) for n in optimizers.available() if n not in ZOO]
    for n in ZOO:
        for f in optimizers.get_class(n).flavors():
            if (n, f) != ("Muon", "pytorch"):  # torch's Muon takes matrices only: no landscape runs
                out.append((n, f, {}))
        if n == "Muon":
            out += [(n, f, {"as_matrix": True}) for f in optimizers.get_class(n).flavors()]
    return out


def landscape_runs(lines, repeat):
    land = Free(slope=1e-3)
    lines += ["## 1. Landscape runs (landscape cost excluded)", "",
              "| optimizer | flavour | per-step overhead (µs) | per point and step (ns) | overhead / Adam | "
              "per point / Adam |", "|---|---|---|---|---|---|"]
    rows = {}
    for name, flavor, kw in cases():
        opt = optimizers.get(name, flavor=flavor, learning_rate=0.01, **kw)
        a = cpu(lambda: optimizers.run(opt, land, start=np.full((1, 2), 0.5), steps=300, record="final"), repeat) / 300
        t = cpu(lambda: optimizers.run(opt, land, start=np.full((4096, 2), 0.5), steps=30, record="final"),
                repeat) / 30
        rows[(name, flavor, tuple(kw))] = (a, max(t - a, 0.0) / 4096)
    adam = rows[("Adam", "keras", ())]
    old = [v for (n, _, _), v in rows.items() if n not in ZOO]
    new = [v for (n, _, _), v in rows.items() if n in ZOO]
    for (name, flavor, kw), (a, c) in rows.items():
        label = name + (" (as_matrix)" if kw else "")
        lines.append(f"| {label} | {flavor} | {a * 1e6:.0f} | {c * 1e9:.0f} | {a / adam[0]:.2f} | "
                     f"{c / adam[1]:.2f} |")
    wa_old, wc_old = max(v[0] for v in old), max(v[1] for v in old)
    wa_new, wc_new = max(v[0] for v in new), max(v[1] for v in new)
    lines += ["", "Measured over the slowest older rule (same run) against the committed factors "
              "(budget.RULE_FACTORS, MUON_ROW_FACTORS):", "",
              "| rule | overhead: measured ratio | factor | per point: measured ratio | factor |", "|---|---|---|---|---|"]
    for name in ZOO + ("Muon (as_matrix)",):
        row = name.endswith("(as_matrix)")
        vals = [v for (n, _, kw), v in rows.items() if n == name.split(" ")[0] and bool(kw) == row]
        fa, fc, _ = budget.MUON_ROW_FACTORS if row else budget.rule_factors(name)
        ra, rc = max(v[0] for v in vals) / wa_old, max(v[1] for v in vals) / wc_old
        lines.append(f"| {name} | {ra:.2f} | {fa:g} | {rc:.2f} | {fc:g} |")
    lines += ["", f"Slowest of the ten older rules: {wa_old * 1e6:.0f} µs per step, {wc_old * 1e9:.0f} ns per point; "
              f"of the five newer ones (all flavours): {wa_new * 1e6:.0f} µs, {wc_new * 1e9:.0f} ns "
              f"(×{wa_new / wa_old:.2f} and ×{wc_new / wc_old:.2f}). Committed: STEP_OVERHEAD = "
              f"{budget.STEP_OVERHEAD * 1e6:.0f} µs, POINT_COST = {budget.POINT_COST * 1e9:.0f} ns "
              f"(headroom ×{budget.STEP_OVERHEAD / wa_new:.2f} and ×{budget.POINT_COST / wc_new:.2f} over the slowest).",
              ""]


NETS = [((12, 13, 13), 300, 32, 10), ((128, 128, 128, 128), 300, 32, 1)]


def moons_runs(lines, repeat):
    lines += ["## 2. Moons training, one model per rule (train() + the page's decision maps)", "",
              "| rule | hidden | weights | batch | epochs | measured CPU (s) | estimate with the rule's factor (s) | "
              "measured / estimate |",
              "|---|---|---|---|---|---|---|---|"]
    worst = {}
    for hidden, samples, bs, epochs in NETS:
        task = landscapes.get("moons", n_samples=samples, noise=0.1, data_seed=42, hidden=hidden,
                              validation_split=0.0)
        snaps = mc.snapshot_epochs(epochs)
        for name in ("Adam", "Nadam", *ZOO):
            est = budget.training_seconds([name], task.n_params, samples, bs, epochs, len(snaps))  # × its factor
            opt = optimizers.get(name, learning_rate=0.01)

            def go():
                res = train([opt], task, epochs, batch_size=bs, seed=0, boundary_epochs=snaps)[0]
                task.boundary(np.stack([res.snapshots[e] for e in sorted(res.snapshots)]), n=50)
            t = cpu(go, repeat)
            worst[name] = max(worst.get(name, 0.0), t / est)
            lines.append(f"| {name} | {','.join(map(str, hidden))} | {task.n_params:,} | {bs} | {epochs} | {t:.2f} | "
                         f"{est:.2f} | {t / est:.2f} |")
    lines += ["", "Largest measured / estimate per rule: " +
              ", ".join(f"{n} {r:.2f}" for n, r in worst.items()) + ".", ""]


def validation(lines):
    """Requests with the newer rules, timed against the budget's estimate (what the pages ask)."""
    him, ros = landscapes.get("himmelblau"), landscapes.get("rosenbrock")
    row = [_Rule("Muon", {"as_matrix": True})]
    zoo = [_Rule(n, {}) for n in ZOO]
    cases = []
    rules = row * 4
    cases.append(("basins, Himmelblau, 4 × Muon (as_matrix) × 100² starts × 500 steps (compare default size)",
                  lambda: [optimizers.basin_map(optimizers.get("Muon", as_matrix=True, learning_rate=0.01 * (i + 1)),
                                                him, n=100, steps=500) for i in range(4)],
                  budget.run_seconds(him, 500, 100 * 100, rules)))
    cases.append(("sweep, Himmelblau, the five newer rules × 241 rates × 500 steps",
                  lambda: [optimizers.lr_sweep(n, him, np.logspace(-5, 1, 241), steps=500) for n in ZOO],
                  budget.run_seconds(him, 500, 241, zoo)))
    cases.append(("race, Rosenbrock, 8 runs (the five newer rules + Muon as_matrix ×3) × 2000 steps",
                  lambda: [optimizers.run(optimizers.get(r.name, **r.params), ros, steps=2000, record="path")
                           for r in zoo + row * 3], budget.run_seconds(ros, 2000, 1, zoo + row * 3)))
    plan = budget.plan_basins(him, [*zoo, *row * 3], 200, 2000)
    g, st = plan.granted["grid"], plan.granted["steps"]
    cases.append((f"compare heavy link as granted: Himmelblau, 8 rules (the five + Muon as_matrix ×3) × {g}² × "
                  f"{st} steps (asked 200² × 2000)",
                  lambda: [optimizers.basin_map(optimizers.get(r.name, learning_rate=0.01, **r.params), him, n=g,
                                                steps=st) for r in zoo + row * 3], plan.estimate_s))
    lines += ["## 3. Validation: requests with the newer rules, measured vs estimated CPU seconds", "",
              "| request | measured (s) | estimate (s) | measured / estimate |", "|---|---|---|---|"]
    for label, fn, est in cases:
        t = cpu(fn, 1)
        lines.append(f"| {label} | {t:.2f} | {est:.2f} | {t / est:.2f} |")
    lines.append("")


class _Rule:
    """A rule as the pages hand it to the budget (an OptChoice's name and params)."""
    def __init__(self, name, params):
        self.name, self.params = name, dict(params)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(ROOT / "bench" / "budget_zoo_results.md"))
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    lines = ["# Work budget: the five newer Keras rules", "",
             f"Command: `python bench/bench_budget_zoo.py --repeat {args.repeat}` (writes this file). "
             f"Python {platform.python_version()}, NumPy {np.__version__}, {os.cpu_count()} cores, "
             f"load average at start {os.getloadavg()[0]:.2f} (the machine is shared: read the ratios, "
             "measured in the same run).", ""]
    t0 = time.perf_counter()
    landscape_runs(lines, args.repeat)
    moons_runs(lines, args.repeat)
    validation(lines)
    lines.append(f"Wall time {time.perf_counter() - t0:.0f} s; load average at the end {os.getloadavg()[0]:.2f}.")
    lines += ["", "Reading: the ten older rules stay within STEP_OVERHEAD and POINT_COST; the newer ones cost up "
              "to a few times more per step and point (Muon's as_matrix, a batched 1×2 Newton–Schulz per point, "
              "about 10× per point), so the budget weights each optimizer of a request by its rule's factors "
              "(optimizers/budget.py RULE_FACTORS, set from this table with a margin, and re-checked by section 3). "
              "The ratios move by ±30 % from run to run on the shared machine; the factors are meant as upper "
              "bounds of the ratios over several runs, like the constants of bench/budget_results.md."]
    text = "\n".join(lines) + "\n"
    print(text)
    Path(args.out).write_text(text)


if __name__ == "__main__":
    main()
