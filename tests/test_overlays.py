"""optimizers.overlays: every step's overlay vectors equal what the step inspector (explain_step) shows."""
import numpy as np
import pytest

import landscapes
import optimizers
from optimizers.explain import explain_step
from optimizers.overlays import overlay_vectors

CASES = [("SGD", {"learning_rate": 0.001, "momentum": 0.9}), ("SGD", {"learning_rate": 0.001, "momentum": 0.9, "nesterov": True}),
         ("SGD", {"learning_rate": 0.002}), ("RMSprop", {"learning_rate": 0.01, "momentum": 0.5}),
         ("Adam", {"learning_rate": 0.1}), ("Adam", {"learning_rate": 0.1, "flavor": "textbook"}),
         ("Adagrad", {"learning_rate": 0.5}), ("Lion", {"learning_rate": 0.01}),
         ("Lion", {"learning_rate": 0.01, "clipnorm": 1.0}), ("ScheduleFreeAdamW", {"learning_rate": 0.05}),
         ("Nadam", {"learning_rate": 0.05}), ("SGD", {"learning_rate": 0.001, "momentum": 0.9, "flavor": "pytorch"})]


@pytest.mark.parametrize("name,hp", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_overlays_equal_the_inspectors_numbers_at_every_checked_step(name, hp):
    traj = optimizers.run(optimizers.get(name, **hp), landscapes.get("rosenbrock"), steps=120, noise=0.3, seed=2,
                          record="full")
    ov = overlay_vectors(traj)
    assert ov["grad"].shape == ov["step"].shape == (120, 2)
    for k in (0, 1, 2, 59, 119):
        ex = explain_step(traj, k)
        assert np.array_equal(ov["grad"][k], -ex.g)
        assert np.array_equal(ov["step"][k], ex.step)
        if ex.momentum_arrow is None:
            assert ov["momentum"] is None
        else:
            assert np.array_equal(ov["momentum"][k], np.asarray(ex.momentum_arrow[1])), k
            assert ov["momentum_label"] == ex.momentum_arrow[0]
        for slot in ("velocity", "accumulator"):
            if slot in ex.slots_after and ov["second"] is not None:
                assert np.array_equal(ov["second"][k], ex.slots_after[slot])
                break
    if name == "Lion":
        # The sign step: every coordinate moves by exactly ±η (no weight decay here).
        assert np.allclose(np.abs(ov["step"]), 0.01)
    assert (ov["x_point"] is not None) == (name == "ScheduleFreeAdamW")
    if ov["x_point"] is not None:
        assert np.array_equal(ov["x_point"], traj.slots["x"])


def test_overlays_need_a_full_single_run():
    land = landscapes.get("rosenbrock")
    with pytest.raises(ValueError, match="record='full'"):
        overlay_vectors(optimizers.run("adam", land, steps=3, record="path"))
    with pytest.raises(ValueError, match="single run"):
        overlay_vectors(optimizers.run("adam", land, start=np.zeros((2, 2)), steps=3))
