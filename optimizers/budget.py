"""A work budget per request: estimate what a page is about to compute, before computing it.

One link can ask for a lot: a basin map of 200×200 starts × 2000 steps × 8 optimizers on a formula whose
gradient is expensive, or eight 50,000-weight networks trained for 1000 epochs. A running computation
cannot be cancelled once started (and a cached one holds Streamlit's cache lock), so the size is decided
up front:

- the cost of a run on a 2-D landscape is ``steps × (per-step overhead + points × per-point cost)``,
  where the landscape's own per-point (and per-call) cost of value + gradient is **measured** once per
  landscape object on a small probe batch (:func:`landscape_cost`), and the engine's part is a constant
  calibrated on the 2-core machine (``bench/bench_budget.py``, ``bench/budget_results.md``);
- the cost of training the moons MLP is ``updates × models × (overhead + parameters × c)`` plus the
  floating-point work of the forward/backward passes, the per-epoch evaluation and the decision maps,
  all proportional to the number of parameters (calibrated the same way).

Every ``plan_*`` function returns a :class:`Plan`: the request as asked, the request as granted (equal,
or scaled down to fit ``budget`` with a sentence saying so), or a refusal with a reason. Pages show
``plan.message`` and use ``plan.granted``. Nothing here imports Streamlit.
"""
from __future__ import annotations

import math
import threading
import time
import weakref
from dataclasses import dataclass, field

import numpy as np

BUDGET_SECONDS = 20.0  # CPU seconds one request may ask for (2-core machine of bench/budget_results.md)
WELL_INSIDE = 0.25     # presets and page defaults stay below this share of the budget (tests/test_budget.py)

# --- calibrated constants (CPU seconds; bench/bench_budget.py on the shared 2-core machine, rounded up) -----
STEP_OVERHEAD = 80e-6    # one update of one optimizers.run() call, whatever its batch size (slowest optimizer)
POINT_COST = 50e-9       # the optimizer's update and the runner's bookkeeping, per point and step (slowest)
LANDSCAPE_MARGIN = 1.5   # runs wander where a formula is slower than on the probe (overflow, nan): ×1.5
TRAIN_UPDATE = 100e-6    # moons: one optimizer update of one model (Python and NumPy call overhead)
TRAIN_PARAM = 25e-9      # moons: per weight of one model and update (the optimizer's element-wise work)
TRAIN_SAMPLE = 6e-9      # moons: per weight and training sample and epoch (forward, backward, evaluation)
MAP_POINT = 2e-9         # moons: per weight and point of a decision map
# The moons page draws decision maps of this many points per snapshot (60² in train(), 50² on the page).
MAP_POINTS = 60 * 60 + 50 * 50
REGRESSION_UPDATE = 30e-6  # learning-rate page, mini-batches: one update of one model (2 parameters)

# Per-rule factors over the constants above: (per-step overhead, per point and step, per model in training).
# The ten older rules are all within STEP_OVERHEAD and POINT_COST (factor 1). The five newer ones were measured
# against them in the same run (bench/bench_budget_zoo.py, bench/budget_zoo_results.md): their slowest flavour's
# cost over the slowest older rule, rounded up; training: measured / estimate over the older rules' worst.
# Rules are named by their Keras class name; Muon's ``as_matrix`` (a Newton–Schulz step per point) has its own.
RULE_FACTORS = {
    "Adafactor": (2.5, 4.0, 2.0),
    "Ftrl": (1.5, 1.5, 1.0),
    "Lamb": (1.5, 3.0, 2.0),
    "Muon": (1.0, 1.5, 3.0),   # training: a Newton–Schulz iteration on every kernel, every update
    "ScheduleFreeAdamW": (2.0, 2.0, 1.0),
}
MUON_ROW_FACTORS = (4.0, 12.0, 3.0)  # Muon with as_matrix: batched 1×2 Newton–Schulz (all flavours)

PROBE_POINTS = 1024
_PROBE_REPEAT = 3


def _nice_floor(v: float, low: int) -> int:
    """The largest of 1, 2, 3, 5 × 10^k not above ``v`` (at least ``low``): a stable, readable number."""
    if v < low:
        return low
    k = 10 ** int(math.floor(math.log10(v)))
    return max(low, max(m * k for m in (1, 2, 3, 5, 10) if m * k <= v))


def _fmt_s(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


# --------------------------------------------------------------------------- #
# Measuring a landscape                                                         #
# --------------------------------------------------------------------------- #
_costs: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_costs_lock = threading.Lock()


def _probe_points(landscape, n: int) -> np.ndarray:
    (x0, x1), (y0, y1) = landscape.bounds
    rng = np.random.default_rng(0)
    return np.stack([rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)], axis=-1)


def _cpu_of(fn, repeat: int) -> float:
    best = math.inf
    for _ in range(repeat):
        t0 = time.thread_time()
        fn()
        best = min(best, time.thread_time() - t0)
    return best


def landscape_cost(landscape) -> tuple[float, float]:
    """``(per call, per point)`` CPU seconds of one ``value`` + ``grad`` evaluation of ``landscape``.

    Measured once per landscape object (the pages cache landscapes, so once per formula and process) on a
    probe batch of :data:`PROBE_POINTS` points spread over its bounds, best of a few repeats, with the
    thread's own CPU clock (other sessions' work does not count)."""
    try:
        with _costs_lock:
            if landscape in _costs:
                return _costs[landscape]
    except TypeError:  # not weak-referenceable: measure every time
        pass
    big, one = _probe_points(landscape, PROBE_POINTS), _probe_points(landscape, 1)

    def evaluate(P):
        landscape.value(P)
        landscape.grad(P)

    with np.errstate(all="ignore"):
        per_call = _cpu_of(lambda: evaluate(one), 2 * _PROBE_REPEAT)
        batch = _cpu_of(lambda: evaluate(big), _PROBE_REPEAT)
    cost = (per_call, max(batch - per_call, 0.0) / PROBE_POINTS)
    try:
        with _costs_lock:
            _costs[landscape] = cost
    except TypeError:
        pass
    return cost


def rule_factors(rule) -> tuple[float, float, float]:
    """(overhead, per point, training) cost factors of one optimizer: a Keras class name, or anything with
    ``name`` and ``params`` (an ``OptChoice``: Muon's ``as_matrix`` counts); 1 for the ten older rules."""
    name = rule if isinstance(rule, str) else getattr(rule, "name", "")
    if name == "Muon" and dict(getattr(rule, "params", ()) or ()).get("as_matrix"):
        return MUON_ROW_FACTORS
    return RULE_FACTORS.get(name, (1.0, 1.0, 1.0))


def _runs(runs) -> tuple[int, float, float, float]:
    """(count, Σ overhead factors, Σ per-point factors, Σ training factors) of ``runs``: a count (older rules'
    costs) or a sequence of rules (see :func:`rule_factors`)."""
    if isinstance(runs, (int, np.integer)):
        n = max(int(runs), 0)
        return n, float(n), float(n), float(n)
    f = [rule_factors(r) for r in runs]
    return len(f), sum(a for a, _, _ in f), sum(c for _, c, _ in f), sum(t for _, _, t in f)


def run_seconds(landscape, steps: int, points: int = 1, runs=1) -> float:
    """Estimated CPU seconds of ``runs`` calls of ``optimizers.run`` with ``points`` starts each (``runs``: a
    count, or the optimizers themselves, whose rules cost more or less: :data:`RULE_FACTORS`)."""
    per_call, per_point = landscape_cost(landscape)
    n, fa, fc, _ = _runs(runs)
    return steps * (fa * STEP_OVERHEAD + n * LANDSCAPE_MARGIN * per_call
                    + points * (fc * POINT_COST + n * LANDSCAPE_MARGIN * per_point))


# --------------------------------------------------------------------------- #
# Plans                                                                         #
# --------------------------------------------------------------------------- #
@dataclass(frozen=True)
class Plan:
    """What a page may compute: ``granted`` (equal to ``requested`` unless scaled down), or a refusal."""

    kind: str
    requested: dict
    granted: dict
    estimate_s: float          # estimated CPU seconds of the granted request
    requested_s: float         # … and of the request as asked
    budget_s: float = BUDGET_SECONDS
    refused: bool = False
    message: str = ""          # the notice (scaled down) or the reason (refused); "" when within budget
    details: dict = field(default_factory=dict, compare=False)

    @property
    def reduced(self) -> bool:
        return not self.refused and self.granted != self.requested

    def __getitem__(self, name):
        return self.granted[name]


def _ok(kind, request, seconds, budget, **details) -> Plan:
    return Plan(kind, dict(request), dict(request), seconds, seconds, budget, details=details)


def _budget_text(budget: float) -> str:
    return f"the time budget of about {budget:.0f} s of computing per request"


def _refuse(kind, request, seconds, budget, what: str, smallest: str, hint: str) -> Plan:
    return Plan(kind, dict(request), dict(request), seconds, seconds, budget, refused=True,
                message=f"Not computed: {what} would take about {_fmt_s(seconds)} of computing, and even "
                        f"{smallest} is over {_budget_text(budget)}. {hint}")


def _steps_fitting(per_step: float, budget: float, low: int) -> int:
    return _nice_floor(budget / per_step, low) if per_step > 0 else low


MIN_STEPS = 10


def plan_runs(landscape, n_runs: int, steps: int, points: int = 1, budget: float = BUDGET_SECONDS,
              what: str = "these runs") -> Plan:
    """``n_runs`` runs of ``steps`` steps from ``points`` starts each (race, inspector, fair mode)."""
    request = {"steps": int(steps)}
    n_runs = n_runs if not isinstance(n_runs, (int, np.integer)) else max(int(n_runs), 0)
    per_step = run_seconds(landscape, 1, points, n_runs)
    seconds = per_step * steps
    if seconds <= budget:
        return _ok("runs", request, seconds, budget)
    s = min(_steps_fitting(per_step, budget, MIN_STEPS), int(steps))
    if per_step * s > budget:
        return _refuse("runs", request, seconds, budget, what, f"{MIN_STEPS} steps",
                       "Try a simpler formula or fewer optimizers.")
    return Plan("runs", request, {"steps": s}, per_step * s, seconds, budget,
                message=f"Reduced to {s:,} steps (from {int(steps):,}) to stay within {_budget_text(budget)}: "
                        f"{int(steps):,} steps would take about {_fmt_s(seconds)}.")


def plan_basins(landscape, n_opts: int, grid: int, steps: int, budget: float = BUDGET_SECONDS,
                min_grid: int = 50, grid_step: int = 10) -> Plan:
    """Basin maps: ``n_opts`` vectorized runs from ``grid × grid`` starts. Scales the grid down first
    (to ``min_grid``, in steps of ``grid_step`` like the page's slider), then the steps."""
    request = {"grid": int(grid), "steps": int(steps)}
    n_opts = n_opts if not isinstance(n_opts, (int, np.integer)) else max(int(n_opts), 0)

    def cost(g, s):
        return run_seconds(landscape, s, g * g, n_opts)

    seconds = cost(grid, steps)
    if seconds <= budget:
        return _ok("basins", request, seconds, budget)
    g = int(grid)
    while g > min_grid and cost(g, steps) > budget:
        g = max(min_grid, g - grid_step)
    s = int(steps)
    if cost(g, s) > budget:
        s = min(_steps_fitting(cost(g, 1), budget, MIN_STEPS), s)
        if cost(g, s) > budget:
            return _refuse("basins", request, seconds, budget, "these basin maps",
                           f"{min_grid}×{min_grid} starts for {MIN_STEPS} steps", "Try a simpler formula.")
    parts = ([f"{g}×{g} starts"] if g != grid else []) + ([f"{s:,} steps"] if s != steps else [])
    asked = ([f"{int(grid)}×{int(grid)}"] if g != grid else []) + ([f"{int(steps):,} steps"] if s != steps else [])
    return Plan("basins", request, {"grid": g, "steps": s}, cost(g, s), seconds, budget,
                message=f"Reduced to {' and '.join(parts)} (from {' and '.join(asked)}) to stay within "
                        f"{_budget_text(budget)}: the full request would take about {_fmt_s(seconds)}.")


def plan_sweep(landscape, n_opts: int, n_rates: int, steps: int, extra_runs: int = 0,
               budget: float = BUDGET_SECONDS) -> Plan:
    """Learning-rate sweeps (``n_rates`` rates as one vectorized run per optimizer), plus ``extra_runs``
    single runs of the same length (fair mode runs each tuned optimizer once more). Scales the steps."""
    request = {"steps": int(steps)}

    def cost(s):
        return run_seconds(landscape, s, n_rates, n_opts) + run_seconds(landscape, s, 1, extra_runs)


    seconds = cost(steps)
    if seconds <= budget:
        return _ok("sweep", request, seconds, budget)
    s = min(_steps_fitting(cost(1), budget, MIN_STEPS), int(steps))
    if cost(s) > budget:
        return _refuse("sweep", request, seconds, budget, "these learning-rate sweeps", f"{MIN_STEPS} steps",
                       "Try a simpler formula or fewer optimizers.")
    return Plan("sweep", request, {"steps": s}, cost(s), seconds, budget,
                message=f"Reduced to {s:,} steps (from {int(steps):,}) to stay within {_budget_text(budget)}: "
                        f"{int(steps):,} steps would take about {_fmt_s(seconds)}.")


def mlp_parameters(hidden, inputs: int = 2, outputs: int = 2) -> int:
    """Weights and biases of a dense network ``inputs → hidden… → outputs``."""
    sizes = (inputs,) + tuple(int(h) for h in hidden) + (outputs,)
    return sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))


def training_seconds(n_models, n_params: int, samples: int, batch_size: int, epochs: int,
                     snapshots: int) -> float:
    """Estimated CPU seconds of ``train()`` on the moons MLP plus the page's decision maps (``n_models``: a
    count, or the optimizers, each weighted by its rule's training factor: :data:`RULE_FACTORS`)."""
    updates = epochs * math.ceil(samples / batch_size)
    _, _, _, models = _runs(n_models)
    return (models * updates * (TRAIN_UPDATE + TRAIN_PARAM * n_params)
            + models * n_params * (TRAIN_SAMPLE * samples * epochs + MAP_POINT * MAP_POINTS * snapshots))


def plan_training(n_models: int, hidden, samples: int, batch_size: int, epochs: int, max_snapshots: int = 21,
                  budget: float = BUDGET_SECONDS) -> Plan:
    """The moons page: ``n_models`` networks trained side by side (a count, or the optimizers: see
    :func:`training_seconds`). Scales the epochs down."""
    request = {"epochs": int(epochs)}
    count = _runs(n_models)[0]
    P = mlp_parameters(hidden)

    def cost(e):
        return training_seconds(n_models, P, samples, batch_size, e, min(max_snapshots, e + 1))

    seconds = cost(epochs)
    if seconds <= budget:
        return _ok("training", request, seconds, budget, parameters=P)
    e = int(epochs)
    lo, hi = 1, e  # the largest epoch count that fits (cost grows with e)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if cost(mid) <= budget else (lo, mid - 1)
    e = lo if lo < 10 else _nice_floor(lo, 1)
    if cost(e) > budget:
        return _refuse("training", request, seconds, budget,
                       f"training {count} network{'s' if count != 1 else ''} of {P:,} weights for "
                       f"{int(epochs):,} epoch{'s' if epochs != 1 else ''}", "a single epoch",
                       "Use smaller layers, fewer samples or larger batches.")
    return Plan("training", request, {"epochs": e}, cost(e), seconds, budget, details={"parameters": P},
                message=f"Reduced to {e:,} epoch{'s' if e != 1 else ''} (from {int(epochs):,}) to stay within "
                        f"{_budget_text(budget)}: {count} network{'s' if count != 1 else ''} of {P:,} weights "
                        f"for {int(epochs):,} epochs would take about {_fmt_s(seconds)}.")


def plan_regression(landscape, n_rates: int, epochs: int, mode: str, batch_size: int,
                    budget: float = BUDGET_SECONDS, rule=None) -> Plan:
    """The learning-rate page: one full-batch run per rate, or mini-batch training of all rates together
    (``rule``: the optimizer, whose rule may cost more than the older ones: :func:`rule_factors`)."""
    request = {"epochs": int(epochs)}
    runs = n_rates if rule is None else [rule] * int(n_rates)
    factor = 1.0 if rule is None else max(rule_factors(rule))

    def cost(e):
        if mode == "full":
            return run_seconds(landscape, e, 1, runs)
        return factor * n_rates * e * math.ceil(landscape.n_samples / batch_size) * REGRESSION_UPDATE

    seconds = cost(epochs)
    if seconds <= budget:
        return _ok("regression", request, seconds, budget)
    e = min(_steps_fitting(cost(1), budget, 1), int(epochs))
    if cost(e) > budget:
        return _refuse("regression", request, seconds, budget, "these runs", "a single epoch",
                       "Use fewer learning rates or larger batches.")
    return Plan("regression", request, {"epochs": e}, cost(e), seconds, budget,
                message=f"Reduced to {e:,} epochs (from {int(epochs):,}) to stay within {_budget_text(budget)}: "
                        f"{int(epochs):,} epochs would take about {_fmt_s(seconds)}.")


def plan_compare(view: str, landscape, n_opts: int, grid: int, steps: int, n_rates: int,
                 budget: float = BUDGET_SECONDS) -> Plan:
    """The comparison page's three views; ``granted`` always holds ``grid`` and ``steps``."""
    if view == "basins":
        plan = plan_basins(landscape, n_opts, grid, steps, budget=budget)
    else:  # "sweep", or "fair": the same sweeps to tune each rate, then one run per optimizer
        plan = plan_sweep(landscape, n_opts, n_rates, steps, extra_runs=n_opts if view == "fair" else 0,
                          budget=budget)
    return Plan(plan.kind, {"grid": int(grid), **plan.requested}, {"grid": int(grid), **plan.granted},
                plan.estimate_s, plan.requested_s, plan.budget_s, plan.refused, plan.message, plan.details)
