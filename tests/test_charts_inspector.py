"""Unit tests for charts/inspector.py: arrows, zoom window, figures and tables of one explained step
(no Streamlit). Every number is checked against the engine's own run."""
import json

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest

import landscapes
import optimizers
from charts import inspector as ic
from charts.background import background_image

ROSEN = landscapes.get("rosenbrock")


def explained(name, k, steps=60, land=ROSEN, **kw):
    opt = optimizers.get(name, **kw)
    traj = optimizers.run(opt, land, steps=steps)
    return traj, optimizers.explain_step(traj, k)


def figure_for(name, k, steps=60, land=ROSEN, **kw):
    traj, ex = explained(name, k, steps, land, **kw)
    arrows = ic.step_arrows(traj.optimizer.name, traj.optimizer.flavor, ex, traj.optimizer.hp)
    tips = [ex.w + v for v, _ in ic.drawn_vectors(arrows, land.bounds)]
    window = ic.step_window(land.bounds, [ex.w, ex.w_new] + tips)
    fig = ic.step_figure(background_image(land, n=40, bounds=window), traj.params[:k + 1], ex.w, ex.w_new, arrows,
                         window, land.bounds, minima=land.minima, k=k)
    return traj, ex, arrows, window, fig


def arrow_trace(fig, key):
    (t,) = [t for t in fig["data"] if t.get("meta", {}).get("arrow") == key]
    return t


def arrow_annotation(fig, key):
    (a,) = [a for a in fig["layout"]["annotations"] if a["name"] == key]
    return a


# --------------------------------------------------------------------------- #
# Arrows                                                                        #
# --------------------------------------------------------------------------- #
def test_adam_arrows_are_momentum_gradient_then_the_step():
    _, ex = explained("adam", 5, learning_rate=0.05)
    arrows = ic.step_arrows("Adam", "keras", ex)
    assert [a.key for a in arrows] == ["momentum", "grad", "step"]
    by = {a.key: a for a in arrows}
    assert by["grad"].vector == pytest.approx(-ex.g) and not by["grad"].exact
    assert by["momentum"].vector == pytest.approx(-ex.slots_after["momentum"]) and not by["momentum"].exact
    assert by["step"].vector == pytest.approx(ex.w_new - ex.w) and by["step"].exact


def test_sgd_momentum_arrow_is_the_carried_step_and_adds_up_with_the_gradient_push():
    traj, ex = explained("sgd", 12, learning_rate=0.001, momentum=0.9)
    by = {a.key: a for a in ic.step_arrows("SGD", "keras", ex, traj.optimizer.hp)}
    v_before = traj.slots["momentum"][12]
    assert by["momentum"].exact
    assert by["momentum"].vector == pytest.approx(0.9 * v_before, rel=1e-12)
    # Keras heavy ball: Δw = μ·v_{t−1} − η·g exactly
    assert by["momentum"].vector + 0.001 * by["grad"].vector == pytest.approx(by["step"].vector, rel=1e-9)


def test_plain_gradient_descent_has_no_momentum_arrow():
    _, ex = explained("sgd", 3, learning_rate=0.001)
    assert [a.key for a in ic.step_arrows("SGD", "keras", ex)] == ["grad", "step"]


def test_lion_steps_are_plus_minus_eta_and_its_arrow_is_minus_c():
    _, ex = explained("lion", 7, learning_rate=0.02)
    assert np.abs(ex.step) == pytest.approx([0.02, 0.02], rel=1e-9)
    by = {a.key: a for a in ic.step_arrows("Lion", "keras", ex)}
    c = dict((q[1], q[2]) for q in ex.quantities)["c_t"]
    assert by["momentum"].vector == pytest.approx(-c)
    assert np.sign(by["momentum"].vector) == pytest.approx(np.sign(ex.step))  # the sign of −c is the step


def test_scaled_arrows_share_the_step_length_and_exact_ones_are_untouched():
    _, ex = explained("adam", 0, learning_rate=0.05)
    arrows = ic.step_arrows("Adam", "keras", ex)
    drawn = ic.drawn_vectors(arrows, ROSEN.bounds)
    step_len = np.hypot(*ex.step)
    expected = ic.display_length(step_len, ROSEN.bounds)
    for a, (vec, scale) in zip(arrows, drawn):
        if a.exact:
            assert scale is None and vec is a.vector
        else:
            assert np.hypot(*vec) == pytest.approx(expected)
            assert vec == pytest.approx(a.vector * scale)
            # same direction as the true vector
            assert np.dot(vec, a.vector) == pytest.approx(np.hypot(*vec) * np.hypot(*a.vector))


# --------------------------------------------------------------------------- #
# The window                                                                    #
# --------------------------------------------------------------------------- #
def test_window_holds_every_point_is_square_and_not_too_small():
    pts = np.array([[0.1, 0.2], [0.1001, 0.2002]])
    (x0, x1), (y0, y1) = ic.step_window(ROSEN.bounds, pts)
    assert x1 - x0 == pytest.approx(y1 - y0)
    assert x1 - x0 == pytest.approx(ic.MIN_FRAC * 4.0)  # Rosenbrock's bounds are 4 wide
    assert np.all((pts[:, 0] >= x0) & (pts[:, 0] <= x1) & (pts[:, 1] >= y0) & (pts[:, 1] <= y1))
    big = np.array([[-1.0, 0.0], [1.5, 2.0]])
    (x0, x1), (y0, y1) = ic.step_window(ROSEN.bounds, big)
    assert x0 < -1.0 and x1 > 1.5 and y0 < 0.0 and y1 > 2.0


def test_window_is_capped_for_a_diverging_step_and_keeps_w_inside():
    (x0, x1), (y0, y1) = ic.step_window(ROSEN.bounds, [[4.65, -0.05], [-1e6, 4e4], [np.nan, np.inf]])
    assert x1 - x0 == pytest.approx(ic.MAX_FRAC * 4.0)
    assert x0 <= 4.65 <= x1 and y0 <= -0.05 <= y1


# --------------------------------------------------------------------------- #
# The step figure                                                               #
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("name,k,kw", [("adam", 0, dict(learning_rate=0.05)), ("adam", 30, dict(learning_rate=0.05)),
                                       ("sgd", 40, dict(learning_rate=0.001, momentum=0.9)),
                                       ("adagrad", 20, dict(learning_rate=0.5)), ("lion", 9, dict(learning_rate=0.05))])
def test_step_arrow_ends_at_w_plus_delta_w(name, k, kw):
    traj, ex, arrows, window, fig = figure_for(name, k, **kw)
    go.Figure(fig)  # passes plotly's validator
    w, w_new = traj.params[k], traj.params[k + 1]
    t = arrow_trace(fig, "step")
    assert t["x"] == [w[0], w_new[0]] and t["y"] == [w[1], w_new[1]]  # exact, unscaled
    a = arrow_annotation(fig, "step")
    assert (a["ax"], a["ay"]) == (w[0], w[1]) and (a["x"], a["y"]) == (w_new[0], w_new[1])
    assert a["showarrow"] and a["arrowhead"] > 0 and a["axref"] == "x" and a["ayref"] == "y"
    # every arrow starts at w, and its trace and arrowhead agree
    for key in [a.key for a in arrows]:
        tr, an = arrow_trace(fig, key), arrow_annotation(fig, key)
        assert (tr["x"][0], tr["y"][0]) == (w[0], w[1])
        assert (tr["x"][1], tr["y"][1]) == (an["x"], an["y"])
    img = fig["layout"]["images"][0]
    assert img["source"].startswith("data:image/png;base64,") and img["layer"] == "below"
    (x0, x1), (y0, y1) = window
    assert (img["x"], img["y"], img["sizex"], img["sizey"]) == pytest.approx((x0, y1, x1 - x0, y1 - y0))
    assert fig["layout"]["xaxis"]["range"] == [x0, x1] and fig["layout"]["yaxis"]["scaleanchor"] == "x"
    path = [t for t in fig["data"] if t.get("name", "").startswith("path so far")][0]
    assert len(path["x"]) == k + 1 and path["x"][-1] == w[0]
    assert "NaN" not in pio.to_json(fig, validate=False)


def test_legend_says_how_each_arrow_was_scaled():
    _, ex, arrows, _, fig = figure_for("adam", 30, learning_rate=0.05)
    grad = arrow_trace(fig, "grad")
    scale = grad["meta"]["scale"]
    assert scale > 0 and f"drawn ×{ic._fmt(scale)}" in grad["name"]
    dx = grad["x"][1] - grad["x"][0]
    assert dx == pytest.approx(-ex.g[0] * scale)  # drawn = true vector × the scale in the legend
    assert "exact, length" in arrow_trace(fig, "step")["name"]
    assert arrow_trace(fig, "step")["meta"]["scale"] is None


def test_a_diverging_step_runs_off_the_view_without_an_arrowhead_in_the_margin():
    traj, ex, arrows, window, fig = figure_for("gradient_descent", 2, learning_rate=0.01)
    assert traj.diverged_at == 4 and np.hypot(*ex.step) > 100
    t = arrow_trace(fig, "step")
    assert "runs off the view" in t["name"]
    assert "step" not in [a["name"] for a in fig["layout"]["annotations"]]
    (x0, x1), _ = window
    assert x0 <= ex.w[0] <= x1


def test_minimum_marker_only_when_in_view():
    *_, fig = figure_for("adam", 0, learning_rate=0.05)  # near (-1.2, 1): (1, 1) is far away
    assert "minimum" not in [t.get("name") for t in fig["data"]]
    land = landscapes.get("quadratic")
    *_, fig = figure_for("adam", 0, land=land, learning_rate=0.05)
    whole = ic.step_figure(None, [land.start], land.start, land.start, [], land.bounds, land.bounds,
                           minima=land.minima)
    assert "minimum" in [t.get("name") for t in whole["data"]]
    assert whole["layout"]["images"] == []


# --------------------------------------------------------------------------- #
# Effective step sizes                                                          #
# --------------------------------------------------------------------------- #
def test_effective_step_sizes_match_explain_step_at_every_k():
    traj = optimizers.run(optimizers.get("adam", learning_rate=0.05), ROSEN, steps=40)
    eff = ic.effective_step_sizes(traj.params, traj.grads)
    assert eff.shape == (40, 2)
    for k in (0, 1, 17, 39):
        assert eff[k] == pytest.approx(optimizers.explain_step(traj, k).effective_step_size, rel=1e-12)


def test_gradient_descent_effective_step_is_eta_and_adagrads_only_shrinks():
    traj = optimizers.run(optimizers.get("gradient_descent", learning_rate=0.001), ROSEN, steps=50)
    assert ic.effective_step_sizes(traj.params, traj.grads) == pytest.approx(np.full((50, 2), 0.001), rel=1e-9)
    traj = optimizers.run(optimizers.get("adagrad", learning_rate=0.5), ROSEN, steps=200)
    eff = ic.effective_step_sizes(traj.params, traj.grads)
    assert np.all(np.diff(eff, axis=0) <= 1e-15)  # η/√(a+ε) with a growing
    assert eff[-1, 0] < 0.7 * eff[0, 0]


def test_effective_step_figure_is_log_with_eta_and_the_current_step():
    traj = optimizers.run(optimizers.get("sgd", learning_rate=0.001, momentum=0.9), ROSEN, steps=80)
    eff = ic.effective_step_sizes(traj.params, traj.grads)
    fig = ic.effective_step_figure(eff, traj.learning_rate, 25)
    go.Figure(fig)
    assert fig["layout"]["yaxis"]["type"] == "log"
    xs, ys, eta, mark = fig["data"]
    assert ys["customdata"] == pytest.approx(eff[:, 1].tolist())  # signed values in the hover
    assert all(v is None or v > 0 for v in xs["y"])  # |·|, with gaps where ≤ 0 is impossible on a log axis
    assert xs["y"][25] == pytest.approx(abs(eff[25, 0]))
    assert eta["y"] == pytest.approx([0.001] * 80)
    assert mark["x"] == [25, 25] and mark["y"] == pytest.approx(np.abs(eff[25]).tolist())
    assert fig["layout"]["shapes"][0]["x0"] == 25
    (label,) = fig["layout"]["annotations"]  # η labelled at the right end (log axes take log10 positions)
    assert label["text"] == "η = 0.001" and label["y"] == pytest.approx(-3)
    # a zero gradient component (ratio NaN) is a gap, not a crash
    eff2 = eff.copy()
    eff2[3, 0] = np.nan
    assert ic.effective_step_figure(eff2, traj.learning_rate, 3)["data"][0]["y"][3] is None


# --------------------------------------------------------------------------- #
# Numbers                                                                       #
# --------------------------------------------------------------------------- #
def test_step_rows_are_the_engine_state_before_and_after():
    traj, ex = explained("adam", 11, learning_rate=0.05)
    rows = {r["quantity"]: (r["x"], r["y"]) for r in ic.step_rows("Adam", "keras", ex)}
    assert rows["position w_11"] == pytest.approx(traj.params[11])
    assert rows["gradient g = ∇f(w_11)"] == pytest.approx(traj.grads[11])
    assert rows["momentum m before"] == pytest.approx(traj.slots["momentum"][11])
    assert rows["momentum m after"] == pytest.approx(traj.slots["momentum"][12])
    assert rows["velocity v before"] == pytest.approx(traj.slots["velocity"][11])
    assert rows["velocity v after"] == pytest.approx(traj.slots["velocity"][12])
    assert rows["step Δw = w_12 − w_11"] == pytest.approx(traj.params[12] - traj.params[11])
    assert rows["new position w_12"] == pytest.approx(traj.params[12])
    scal = dict(ic.step_scalars("Adam", "keras", ex))
    assert scal["η (this step)"] == 0.05
    assert scal["1 − β₁ᵗ"] == pytest.approx(1 - 0.9 ** 12)


def test_step_rows_use_the_landscape_axis_names_and_keras_slot_names():
    traj, ex = explained("adagrad", 4, learning_rate=0.5)
    rows = ic.step_rows("Adagrad", "keras", ex, axis_labels=("w", "b"))
    assert set(rows[0]) == {"quantity", "w", "b"}
    labels = [r["quantity"] for r in rows]
    assert "accumulator a before" in labels and "denominator √(a + ε)" in labels  # the form Keras computes
    den = [r for r in rows if r["quantity"] == "denominator √(a + ε)"][0]
    assert [den["w"], den["b"]] == pytest.approx(np.sqrt(traj.slots["accumulator"][5] + 1e-7))
    # Slot labels and meanings are the optimizer's own (its teaching record), per flavour.
    assert optimizers.teaching("SGD").slot_label("momentum", "pytorch") == "momentum b"
    # Schedule-Free's average is Keras's slot "x" and the paper's x: one name, not a "x x before" row
    assert optimizers.teaching("ScheduleFreeAdamW").slot_label("x") == "x"
    assert "velocity" in optimizers.teaching("SGD").slot("momentum", "keras").meaning
    _, tex = explained("adagrad", 4, learning_rate=0.5, flavor="textbook")
    assert "denominator δ + √a" in [r["quantity"] for r in ic.step_rows("Adagrad", "textbook", tex)]


def test_compare_rows_align_flavours_and_leave_missing_quantities_empty():
    a = [{"quantity": q, "x": 1.0, "y": 2.0} for q in ("w", "g", "momentum v before", "Δw")]
    b = [{"quantity": q, "x": 3.0, "y": 4.0} for q in ("w", "g", "momentum b before", "Δw")]
    rows = ic.compare_rows({"Keras 3": a, "PyTorch": b})
    assert [r["quantity"] for r in rows] == ["w", "g", "momentum v before", "momentum b before", "Δw"]
    assert rows[0] == {"quantity": "w", "Keras 3 · x": 1.0, "Keras 3 · y": 2.0, "PyTorch · x": 3.0,
                       "PyTorch · y": 4.0}
    assert rows[2]["PyTorch · x"] is None and rows[3]["Keras 3 · y"] is None
    sc = ic.compare_scalars({"Keras 3": [("η", 0.1), ("α_t", 0.3)], "textbook": [("η", 0.1)]})
    assert sc == [{"quantity": "η", "Keras 3": 0.1, "textbook": 0.1}, {"quantity": "α_t", "Keras 3": 0.3,
                                                                       "textbook": None}]


def test_figure_is_small():
    *_, fig = figure_for("adam", 59, learning_rate=0.05)
    assert len(json.dumps(fig)) < 200_000


def test_a_rule_without_learning_rate_shows_no_eta():
    traj = optimizers.run(optimizers.get("adadelta", flavor="textbook"), ROSEN, steps=20)
    assert not traj.optimizer.has_learning_rate
    ex = optimizers.explain_step(traj, 4)
    labels = [lab for lab, _ in ic.step_scalars("Adadelta", "textbook", ex, has_learning_rate=False)]
    assert "η (this step)" not in labels
    fig = ic.effective_step_figure(ic.effective_step_sizes(traj.params, traj.grads), None, 4)
    assert not any("η" in t.get("name", "") for t in fig["data"])
