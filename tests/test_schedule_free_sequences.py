"""Schedule-Free AdamW's three sequences on the charts: y (the engine's point, where the gradient is taken),
its average x and its base sequence z, from the recorded state, with the arithmetic the page's sentence states."""
import numpy as np
import pytest

import landscapes
import optimizers
from charts import inspector as ic
from tests.helpers import chart_spec, decode, open_app_page
from ui.compute import NO_COMMON, point_sequences, race_run, run_path

LAND = ("himmelblau", "")  # (name, formula) as the pages key landscapes


def _traj(flavor="keras", steps=40, **kw):
    opt = optimizers.get("ScheduleFreeAdamW", flavor=flavor, learning_rate=0.1, **kw)
    return optimizers.run(opt, landscapes.get("himmelblau"), start=[0.5, 0.5], steps=steps)


def test_point_sequences_are_the_recorded_x_and_z_only_for_schedule_free():
    traj = _traj()
    seqs = point_sequences("ScheduleFreeAdamW", traj.slots, 7)
    assert [key for key, _, _ in seqs] == ["x", "momentum"]
    np.testing.assert_array_equal(seqs[0][2], traj.slots["x"][:7])
    np.testing.assert_array_equal(seqs[1][2], traj.slots["momentum"][:7])
    assert seqs[0][1].startswith("x:") and seqs[1][1].startswith("z:")
    adam = optimizers.run(optimizers.get("Adam"), landscapes.get("himmelblau"), start=[0.5, 0.5], steps=5)
    assert point_sequences("Adam", adam.slots) == []


@pytest.mark.parametrize("flavor", ["keras", "textbook"])
def test_what_the_page_says_about_the_sequences_holds_on_the_engine(flavor):
    traj = _traj(flavor)
    x, z, y = traj.slots["x"], traj.slots["momentum"], traj.params
    b1 = 0.9
    # The gradient is taken at y = (1 − β₁) z + β₁ x: on the segment from z to x, close to x.
    np.testing.assert_allclose(y, (1 - b1) * z + b1 * x, rtol=1e-12, atol=1e-14)
    t = np.arange(1, len(x))[:, None]
    dx, gap = x[1:] - x[:-1], z[1:] - x[:-1]
    if flavor == "keras":  # x moves by c_t (z_t − x_{t−1}) with c_t = 1/t
        np.testing.assert_allclose(dx, gap / t, rtol=1e-9, atol=1e-14)
    else:  # the paper's c_t = γ_t²/Σγ_i²: about 2/t early on, as √(1 − β₂ᵗ) in γ_t still grows
        c = np.linalg.norm(dx, axis=1) / np.linalg.norm(gap, axis=1)
        ct = c[9:] * t[9:, 0]   # t = 10 … 40
        assert np.all((ct > 1.8) & (ct < 2.0)), ct
        assert np.all(np.diff(c) < 0)  # c_t shrinks every step


def test_step_figure_draws_x_and_z_up_to_the_point_after_the_step():
    traj, k = _traj(), 6
    ex = optimizers.explain_step(traj, k)
    seqs = point_sequences("ScheduleFreeAdamW", traj.slots, k + 2)
    fig = ic.step_figure(None, traj.params[:k + 1], ex.w, ex.w_new, ic.step_arrows("ScheduleFreeAdamW", "keras", ex),
                         landscapes.get("himmelblau").bounds, landscapes.get("himmelblau").bounds, k=k, sequences=seqs,
                         path_name="y: the trained point")
    drawn = {tr["meta"]["sequence"]: tr for tr in fig["data"] if "sequence" in (tr.get("meta") or {})}
    assert set(drawn) == {"x", "momentum"}
    for key in drawn:
        pts = np.column_stack([drawn[key]["x"], drawn[key]["y"]])
        np.testing.assert_array_equal(pts, traj.slots[key][:k + 2])
        assert drawn[key]["marker"]["size"][-1] > drawn[key]["marker"]["size"][0]  # x_{k+1}, z_{k+1} stand out
    assert drawn["x"]["line"]["color"] != drawn["momentum"]["line"]["color"]
    assert fig["data"][0]["name"].startswith("y: the trained point")
    # The point after the step is y_{k+1} = (1 − β₁) z_{k+1} + β₁ x_{k+1}.
    np.testing.assert_allclose(ex.w_new, 0.1 * traj.slots["momentum"][k + 1] + 0.9 * traj.slots["x"][k + 1],
                               rtol=1e-12)


def test_race_data_x_and_z_come_from_the_same_run_as_the_path():
    from ui.settings import OptChoice
    choice = OptChoice.make("ScheduleFreeAdamW", learning_rate=0.1)
    params, _, _ = run_path(LAND, choice, (0.5, 0.5), 30, 0.3, 2, NO_COMMON)
    raced, _, _, ov = race_run(LAND, choice, (0.5, 0.5), 30, 0.3, 2, NO_COMMON)  # what the race player draws
    np.testing.assert_array_equal(raced, params)
    assert ov["x_point"].shape == ov["z_point"].shape == (31, 2)
    np.testing.assert_allclose(params, 0.1 * ov["z_point"] + 0.9 * ov["x_point"], rtol=1e-12, atol=1e-14)
    adam = race_run(LAND, OptChoice.make("Adam"), (0.5, 0.5), 30, 0.0, 0, NO_COMMON)[3]
    assert adam["x_point"] is None and "z_point" not in adam


def test_inspector_page_draws_x_and_z_and_says_why():
    at = open_app_page("app_pages/inspector.py", steps="20", k="5", land="himmelblau", start="0.5,0.5",
                       o1="ScheduleFreeAdamW;learning_rate=0.1")
    spec = chart_spec(at, "insp_chart")
    keys = [(tr.get("meta") or {}).get("sequence") for tr in spec["data"]]
    assert "x" in keys and "momentum" in keys
    xs = next(tr for tr in spec["data"] if (tr.get("meta") or {}).get("sequence") == "x")
    assert len(decode(xs["x"], float)) == 7  # x₀ … x₆
    assert any("running average of the z's" in c.value for c in at.caption)
