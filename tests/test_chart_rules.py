"""The rules that keep charts truthful (issue: charts never mislead), tested on the figure builders.

Each rule is checked on the case where it was seen broken, with real engine runs.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import landscapes
import optimizers
from charts.common import PALETTE, edge_marks, loss_axis
from charts.race import RaceRun, loss_figure

RACE_LINEUP = [("SGD", dict(learning_rate=0.002)), ("SGD", dict(learning_rate=0.001, momentum=0.9)),
               ("RMSprop", dict(learning_rate=0.01)), ("Adam", dict(learning_rate=0.1)),
               ("Lion", dict(learning_rate=0.01))]


def _runs(land_name, lineup, steps=300):
    land = landscapes.get(land_name)
    runs = []
    for i, (name, kw) in enumerate(lineup):
        t = optimizers.run(optimizers.get(name, **kw), land, steps=steps, record="path")
        runs.append(RaceRun(f"{name} {kw}", t.params, t.loss, t.diverged_at, PALETTE[i], name))
    return land, runs


def _axis_range(fig):
    rng = fig["layout"]["yaxis"]["range"]
    return (10 ** rng[0], 10 ** rng[1]) if fig["layout"]["yaxis"]["type"] == "log" else tuple(rng)


# --------------------------------------------------------------------------- #
# 1. A diverged run never hides the others                                     #
# --------------------------------------------------------------------------- #
def test_goldstein_price_default_lineup_keeps_every_stable_run_on_the_chart():
    """Seen: two SGD runs diverge at step 2, the log axis spans 1e11…1e22 and the other three vanish."""
    land, runs = _runs("goldstein_price", RACE_LINEUP)
    assert any(r.diverged_at is not None for r in runs), "the case needs a diverging run"
    fig, _ = loss_figure(runs, land.min_value)
    lo, hi = _axis_range(fig)
    for r in runs:
        if r.diverged_at is None:
            d = r.loss[:r.last_good + 1]
            assert lo <= d.min() and d.max() <= hi, (r.label, d.min(), d.max(), lo, hi)
    # the diverged runs are announced at the edge, with their step
    texts = [a["text"] for a in fig["layout"]["annotations"]]
    for r in runs:
        if r.diverged_at is not None:
            assert f"✖ diverged at step {r.diverged_at}" in texts


def test_linear_axis_is_not_flattened_by_a_diverging_negative_loss():
    """Seen on "Escaping a saddle": a loss of −3×10⁶ flattens the others on a linear axis."""
    good = RaceRun("good", np.zeros((11, 2)), np.linspace(1.0, -2.0, 11), None, PALETTE[0])
    bad_loss = np.r_[np.linspace(1.0, -5.0, 6), -3e6, np.nan, np.nan, np.nan, np.nan]
    bad = RaceRun("bad", np.zeros((11, 2)), bad_loss, 7, PALETTE[1])
    fig, log_y = loss_figure([good, bad])
    assert not log_y
    lo, hi = fig["layout"]["yaxis"]["range"]
    assert lo > -10 and hi < 10 and lo <= -2.0 and hi >= 1.0
    ann = fig["layout"]["annotations"][0]
    assert ann["y"] == lo and "diverged at step 7" in ann["text"]  # pinned to the bottom edge


def test_all_diverged_axis_covers_them_all():
    a = np.array([1.0, 10.0, 100.0])
    assert loss_axis([a, a * 2], [True, True], log=True)[1] >= math.log10(200)


def test_edge_marks_inside_range_stay_at_the_point():
    marks = edge_marks([5], [2.0], [0.0, 10.0], False, ["#000000"], ["diverged at step 6"])
    assert marks[0]["y"] == 2.0
