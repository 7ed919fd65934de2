"""Benchmark of "See the theory": is every view fast enough to change a setting during a lecture?

Measures, in one process (so ratios compare like with like on a shared machine):

1. the momentum phase diagram (200 × 200 = 40,000 runs, 400 steps) against a loop of single
   ``optimizers.run`` calls (extrapolated from 200 cells) and against ``optimizers.run`` on the same 40,000
   starts with array hyperparameters (the runner's own vectorized path);
2. each edge-of-stability preset against the same training without the sharpness (measured once at the end),
   and one exact Hessian-vector product against one gradient;
3. the network's plane: recording every epoch of 8 optimizers × 100 epochs against ``train()`` alone,
   then the PCA and the random plane with their 60 × 60 grids;
4. the page through AppTest: a cold run (cache cleared) and a warm rerun of each view.

Command (from the repository root)::

    /work/venv/bin/python bench/bench_theory.py --out bench/theory_results.md
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

import landscapes  # noqa: E402
import optimizers  # noqa: E402
from landscapes.moons_hessian import MoonsHessian  # noqa: E402
from optimizers import momentum_phase as mp  # noqa: E402
from optimizers import sharpness as sh  # noqa: E402
from optimizers import weight_plane as wp  # noqa: E402


def best(fn, repeat=3):
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def phase_section(lines):
    land = landscapes.get("quadratic", condition=10)
    lines.append("## 1. Momentum phase diagram (κ = 10, 200 × 200 cells, 400 steps)\n")
    lines.append("| measurement | time | ratio |\n|---|---|---|")
    t_hb, d = best(lambda: mp.measure("heavy_ball", land))
    t_nv, _ = best(lambda: mp.measure("nesterov", land))
    # Peer 1: the runner's vectorized path on the same 40,000 (η, β) (record="final").
    E, B = np.meshgrid(d.etas, d.betas)
    opt = optimizers.get("SGD", learning_rate=E[..., None], momentum=B[..., None])
    start = np.broadcast_to(land.start, E.shape + (2,))
    t_run, _ = best(lambda: optimizers.run(opt, land, start=start, steps=400, record="final"))
    # Peer 2: one optimizers.run per cell, timed on 200 cells and extrapolated.
    cells = [(float(E.flat[k]), float(B.flat[k])) for k in np.linspace(0, E.size - 1, 200).astype(int)]
    t0 = time.perf_counter()
    for eta, beta in cells:
        optimizers.run(optimizers.get("SGD", learning_rate=eta, momentum=beta), land, steps=400, record="final")
    t_loop = (time.perf_counter() - t0) / len(cells) * E.size
    lines.append(f"| measure(heavy ball), 40,000 runs | {t_hb:.2f} s | 1 |")
    lines.append(f"| measure(Nesterov), 40,000 runs | {t_nv:.2f} s | {t_nv / t_hb:.2f} |")
    lines.append(f"| optimizers.run on the same 40,000 (η, β), record='final' (no rate measured) | {t_run:.2f} s | "
                 f"{t_run / t_hb:.2f} |")
    lines.append(f"| a loop of optimizers.run, one per cell (200 timed, ×200 extrapolated) | {t_loop:.1f} s | "
                 f"{t_loop / t_hb:.0f} |")
    lines.append("")
    return {"phase_hb": t_hb, "phase_nesterov": t_nv}


def eos_section(lines):
    lines.append("## 2. Edge of stability (moons MLP, full batch, 2000 steps, sharpness every 20)\n")
    lines.append("| preset | with sharpness | Hessian-vector products | training only | ratio |\n|---|---|---|---|---|")
    out = {}
    for name, p in sh.EOS_PRESETS.items():
        task = landscapes.get("moons", noise=p["noise"])
        hv = MoonsHessian(task).hvp
        t_with, r = best(lambda: sh.edge_of_stability(p["optimizer"], task, [p["learning_rate"]], steps=p["steps"],
                                                      every=p["every"], hvp=hv))
        t_without, _ = best(lambda: sh.edge_of_stability(p["optimizer"], task, [p["learning_rate"]], steps=p["steps"],
                                                         every=p["steps"], hvp=hv))
        lines.append(f"| {name} ({p['optimizer']}, η = {p['learning_rate']}) | {t_with:.2f} s | {r.hvps} | "
                     f"{t_without:.2f} s | {t_with / t_without:.2f} |")
        out[f"eos_{name}"] = t_with
    task = landscapes.get("moons")
    mh = MoonsHessian(task)
    theta = task.init_params(0)
    v = np.random.default_rng(0).standard_normal(theta.shape)
    n = 300
    t_hvp, _ = best(lambda: [mh.hvp(theta, v) for _ in range(n)], 3)
    t_grad, _ = best(lambda: [task.loss_and_grad(theta) for _ in range(n)], 3)
    lines.append("")
    lines.append(f"One exact Hessian-vector product (forward-over-reverse, 300 samples, 415 weights): "
                 f"{1e3 * t_hvp / n:.2f} ms; one loss and gradient: {1e3 * t_grad / n:.2f} ms "
                 f"(ratio {t_hvp / t_grad:.2f}).\n")
    return out


def plane_section(lines):
    task = landscapes.get("moons")
    lineup = [("SGD", {"learning_rate": 0.01}), ("SGD", {"learning_rate": 0.01, "momentum": 0.9}),
              ("SGD", {"learning_rate": 0.01, "momentum": 0.9, "nesterov": True}),
              ("Adagrad", {"learning_rate": 0.01}), ("RMSprop", {"learning_rate": 0.01}),
              ("Adam", {"learning_rate": 0.01}), ("Nadam", {"learning_rate": 0.01}), ("Lion", {"learning_rate": 0.001})]

    def opts():
        return [optimizers.get(n, **kw) for n, kw in lineup]

    lines.append("## 3. The network's plane (8 optimizers × 100 epochs, batch 32, 60 × 60 grid)\n")
    lines.append("| measurement | time | ratio |\n|---|---|---|")
    t_train, _ = best(lambda: optimizers.train(opts(), task, 100, batch_size=32, seed=0), 2)
    t_rec, (theta0, runs, _) = best(lambda: wp.trajectories(opts(), task, 100), 2)
    lines.append(f"| train() alone (the moons page's training) | {t_train:.2f} s | 1 |")
    lines.append(f"| the same, recording every epoch's weights (weight_plane.trajectories) | {t_rec:.2f} s | "
                 f"{t_rec / t_train:.2f} |")
    out = {"plane_train": t_rec}
    for kind in wp.KINDS:
        t_pl, res = best(lambda: wp.landscape_plane(task, theta0, runs, kind=kind), 2)
        s = res.seconds
        lines.append(f"| plane '{kind}': directions {s['directions']:.2f} s + grid {s['grid']:.2f} s + paths "
                     f"{s['paths']:.2f} s | {t_pl:.2f} s | {t_pl / t_train:.2f} |")
        out[f"plane_{kind}"] = t_pl
    lines.append("")
    return out


def page_section(lines):
    import functools

    import streamlit as st
    from streamlit.components.v2 import manifest_scanner
    from streamlit.testing.v1 import AppTest
    manifest_scanner.scan_component_manifests = functools.cache(manifest_scanner.scan_component_manifests)

    def run(query):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
        for k, v in query.items():
            at.query_params[k] = v
        at.switch_page("app_pages/theory.py")
        t = time.perf_counter()
        at.run()
        el = time.perf_counter() - t
        assert not at.exception, at.exception
        return el, at

    lines.append("## 4. The page (AppTest, one script run; cold = caches cleared)\n")
    lines.append("| view | cold | warm rerun (cached) | widget change → rerun |\n|---|---|---|---|")
    out = {}
    for title, query, change in (
            ("phase diagram (default, κ = 10)", {}, ("number_input", "theory_kappa", 20.0)),
            ("edge of stability (GD preset)", {"view": "eos"}, ("number_input", "theory_elr2", 0.05)),
            ("network plane (8 optimizers, 100 epochs, PCA)", {"view": "plane"}, ("radio", "theory_kind", "random"))):
        st.cache_data.clear()
        st.cache_resource.clear()
        cold, at = run(query)
        warm, _ = run(query)
        kind, key, value = change
        t = time.perf_counter()
        getattr(at, kind)(key=key).set_value(value).run()
        changed = time.perf_counter() - t
        lines.append(f"| {title} | {cold:.2f} s | {warm:.2f} s | {changed:.2f} s ({key} → {value}) |")
        out[title] = (cold, warm, changed)
    lines.append("")
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(ROOT / "bench" / "theory_results.md"))
    ap.add_argument("--skip-page", action="store_true")
    args = ap.parse_args()
    load0 = os.getloadavg()
    lines = ["# See the theory: speed\n",
             "Command (from the repository root):\n",
             "    /work/venv/bin/python bench/bench_theory.py --out bench/theory_results.md\n",
             f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
             f"numpy {np.__version__}. Engine times are the best of 3 runs (the two page runs: one each).\n"]
    results = {}
    results.update(phase_section(lines))
    results.update(eos_section(lines))
    results.update(plane_section(lines))
    if not args.skip_page:
        results["page"] = page_section(lines)
    load1 = os.getloadavg()
    lines.insert(4, f"Load average {load0[0]:.1f} before, {load1[0]:.1f} after (other sessions share the 2 cores, "
                    "so absolute times are inflated; the ratios are measured in the same process).\n")
    Path(args.out).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(json.dumps({k: v for k, v in results.items() if k != "page"}, indent=1))


if __name__ == "__main__":
    main()
