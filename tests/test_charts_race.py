"""Unit tests of the race figures (no Streamlit): charts.race and charts.surface3d."""
import json
import re

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import plotly.tools
import pytest

import landscapes
import optimizers
from charts.background import background_image
from charts.common import color
from charts.common import PATH_HALO
from charts.race import (MAX_FRAMES, PICK_TRACE, SPEEDS, Prebuilt, RaceRun, frame_steps, loss_csv, loss_figure,
                         path_stride, race_figure, race_summary, trajectories_csv)
from charts.surface3d import surface_figure
from tests.helpers import decode as decode_array

LINEUP = [("SGD", dict(learning_rate=0.002)), ("SGD", dict(learning_rate=0.001, momentum=0.9)),
          ("RMSprop", dict(learning_rate=0.01)), ("Adam", dict(learning_rate=0.1)), ("Lion", dict(learning_rate=0.01)),
          ("Adagrad", dict(learning_rate=1.0)), ("Nadam", dict(learning_rate=0.05)), ("Adamax", dict(learning_rate=0.05))]


def make_runs(land, specs, steps, start=None):
    runs = []
    for i, (name, kw) in enumerate(specs):
        t = optimizers.run(optimizers.get(name, **kw), land, start=start, steps=steps, record="path")
        runs.append(RaceRun(f"{name} {kw}", t.params, t.loss, t.diverged_at, color(i), name))
    return runs


@pytest.fixture(scope="module")
def rosen():
    return landscapes.get("rosenbrock")


@pytest.fixture(scope="module")
def bg(rosen):
    return background_image(rosen)


@pytest.fixture(scope="module")
def diverging(rosen):
    """Adam, and SGD with a learning rate that blows up on Rosenbrock within a few steps."""
    runs = make_runs(rosen, [("Adam", dict(learning_rate=0.05)), ("SGD", dict(learning_rate=0.05))], 200)
    assert runs[0].diverged_at is None and runs[1].diverged_at is not None
    return runs



def decode(b):
    return decode_array(b, float)


def all_bdata(obj):
    if isinstance(obj, dict):
        if "bdata" in obj and "dtype" in obj:
            yield obj
        else:
            for v in obj.values():
                yield from all_bdata(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from all_bdata(v)


# --------------------------------------------------------------------------- #
def test_frame_steps_cap_and_ends():
    for steps in (1, 7, 149, 150, 300, 500, 1999, 2000):
        ks = frame_steps(steps)
        assert ks[0] == 0 and ks[-1] == steps
        assert len(ks) <= MAX_FRAMES
        assert np.all(np.diff(ks) > 0)
    assert list(frame_steps(10)) == list(range(11))  # short races: every step is a frame
    assert list(frame_steps(0)) == [0]


def test_path_stride_keeps_every_step_when_it_fits():
    assert path_stride(300, 5, 101) == 1
    assert path_stride(2000, 8, 144) > 1
    assert path_stride(2000, 1, 144) < path_stride(2000, 8, 144)


def test_trace_types_and_pick_grid(rosen, bg):
    runs = make_runs(rosen, LINEUP[:3], 100)
    fig = race_figure(rosen, runs, bg)
    go.Figure(fig)  # plotly's validator accepts the dict (Streamlit skips it at run time, see Prebuilt)
    assert {t["type"] for t in fig["data"]} == {"scatter"}  # no contour/heatmap: they vanish on Play
    pick = fig["data"][PICK_TRACE]
    assert pick["marker"]["opacity"] == 0 and "click" in pick["hovertemplate"]
    gx, gy = decode(pick["x"]), decode(pick["y"])
    (x0, x1), (y0, y1) = rosen.bounds
    assert len(gx) == 51 * 51 and gx.min() == x0 and gx.max() == x1 and gy.min() == y0 and gy.max() == y1
    names = [t.get("name") for t in fig["data"]]
    assert "minimum" in names and "start" in names
    assert sum(t["mode"] == "lines" and t["line"]["color"] != PATH_HALO for t in fig["data"]) == len(runs)
    # Path traces do not take hover/clicks away from the pick grid.
    assert all(t.get("hoverinfo") == "skip" for t in fig["data"][1:])


def test_background_is_a_png_layout_image(rosen, bg):
    fig = race_figure(rosen, make_runs(rosen, LINEUP[:1], 50), bg)
    img = fig["layout"]["images"][0]
    assert img["source"].startswith("data:image/png;base64,")
    assert img["layer"] == "below" and img["xref"] == "x" and img["yref"] == "y"


def test_frames_carry_only_the_optimizer_traces(rosen, bg):
    runs = make_runs(rosen, LINEUP[:4], 300)
    fig = race_figure(rosen, runs, bg)
    animated = set(fig["frames"][0]["traces"])
    path_idx = {i for i, t in enumerate(fig["data"]) if t.get("legendgroup", "").startswith("run")}
    assert animated == path_idx and PICK_TRACE not in animated
    per_run = 3 if fig["layout"]["meta"]["halos"] else 2
    assert len(animated) == per_run * len(runs)  # (halo +) path + head each, nobody diverged
    for fr in fig["frames"]:
        assert set(fr["traces"]) == animated
        assert len(fr["data"]) == len(fr["traces"])
        for d in fr["data"]:
            assert set(d) <= {"x", "y"}  # data only: no type, no landscape
            assert d["x"]["dtype"] == "f4"
    assert [fr["name"] for fr in fig["frames"]] == [s["args"][0][0] for s in fig["layout"]["sliders"][0]["steps"]]


def test_frame_paths_are_cumulative_and_match_the_runs(rosen, bg):
    runs = make_runs(rosen, LINEUP[:2], 300)
    fig = race_figure(rosen, runs, bg)
    stride = fig["layout"]["meta"]["path_stride"]
    assert stride == 1
    prev = 0
    for fr in fig["frames"]:
        k = int(fr["name"])
        for i, run in enumerate(runs):
            h = 1 if fig["layout"]["meta"]["halos"] else 0
            n = 2 + h
            if h:
                assert fr["data"][n * i] == fr["data"][n * i + 1]  # the halo carries the path's points
            px, py = decode(fr["data"][n * i + h]["x"]), decode(fr["data"][n * i + h]["y"])
            hx, hy = decode(fr["data"][n * i + h + 1]["x"]), decode(fr["data"][n * i + h + 1]["y"])
            assert len(px) == k + 1
            np.testing.assert_allclose(px, run.params[:k + 1, 0].astype(np.float32), rtol=0, atol=0)
            np.testing.assert_allclose(py, run.params[:k + 1, 1].astype(np.float32), rtol=0, atol=0)
            assert (hx[0], hy[0]) == (px[-1], py[-1])  # head = end of the path
        assert k >= prev
        prev = k


@pytest.mark.parametrize("budget", [60_000, 150_000])
def test_strided_frame_paths_decode_to_the_right_points(rosen, bg, diverging, budget):
    """With a tight budget the paths keep every s-th step plus the shown one; the base64 prefixes
    (encoded once per run and sliced per frame) must decode to exactly those points."""
    runs = make_runs(rosen, LINEUP[:2], 300) + [RaceRun("div", diverging[1].params, diverging[1].loss,
                                                        diverging[1].diverged_at, "#000000")]
    fig = race_figure(rosen, runs, bg, budget=budget)
    s = fig["layout"]["meta"]["path_stride"]
    assert s > 1
    for fr in fig["frames"]:
        k, pos = int(fr["name"]), 0
        for run in runs:
            j = min(k, run.last_good)
            idx = list(range(0, j + 1, s)) + ([j] if j % s else [])
            want = run.params[idx].astype(np.float32)
            h = 1 if fig["layout"]["meta"]["halos"] else 0
            got = np.stack([decode(fr["data"][pos + h]["x"]), decode(fr["data"][pos + h]["y"])], axis=-1)
            np.testing.assert_array_equal(got, want)
            head = np.stack([decode(fr["data"][pos + h + 1]["x"]), decode(fr["data"][pos + h + 1]["y"])], axis=-1)
            np.testing.assert_array_equal(head, want[-1:])
            pos += (3 if run.diverged_at is not None else 2) + h


def test_frame_count_capped_and_json_budget(rosen, bg):
    runs = make_runs(rosen, LINEUP, 2000)
    fig = race_figure(rosen, runs, bg)
    assert len(fig["frames"]) <= MAX_FRAMES
    size = len(pio.to_json(fig, validate=False))  # what Streamlit sends (escaped '/' included)
    assert size < 3_000_000, size
    runs500 = [RaceRun(r.label, r.params[:501], r.loss[:501], r.diverged_at, r.color) for r in runs]
    assert len(pio.to_json(race_figure(rosen, runs500, bg), validate=False)) < 3_000_000


def test_no_nan_in_the_figure_json(rosen, bg, diverging):
    custom = landscapes.get("custom", expression="log(x) + y**2")  # undefined for x <= 0
    for land, runs in ((rosen, diverging), (custom, make_runs(custom, [("Adam", dict(learning_rate=0.1))], 100))):
        fig = race_figure(land, runs, background_image(land))
        text = pio.to_json(fig, validate=False)
        assert not re.search(r"\bNaN\b|Infinity", text)
        for b in all_bdata(json.loads(text)):
            assert np.all(np.isfinite(decode(b)))
        lfig, _ = loss_figure(runs, land.min_value)
        assert "NaN" not in pio.to_json(lfig, validate=False)


def test_diverged_run_is_cut_and_labelled(rosen, bg, diverging):
    fig = race_figure(rosen, diverging, bg)
    k = diverging[1].diverged_at
    path = next(t for t in fig["data"] if t.get("mode") == "lines" and t["name"].startswith("SGD")
                and t["line"]["color"] != PATH_HALO)
    assert path["name"].endswith(f"diverged at step {k}")
    assert len(decode(path["x"])) == k  # points 0..k-1: cut before the bad step
    np.testing.assert_array_equal(decode(path["x"])[-1], np.float32(diverging[1].params[k - 1, 0]))
    cross_idx = next(i for i, t in enumerate(fig["data"]) if t.get("name") == f"diverged at step {k}")
    assert fig["data"][cross_idx]["marker"]["symbol"] == "x"
    assert len(decode(fig["data"][cross_idx]["x"])) == 1  # shown at the end of the race
    # This run's last good point is far off the map: the ✖ goes where its path leaves the view.
    cross = np.array([decode(fig["data"][cross_idx]["x"])[0], decode(fig["data"][cross_idx]["y"])[0]])
    (x0, x1), (y0, y1) = rosen.bounds
    a, b = diverging[1].params[k - 2], diverging[1].params[k - 1]
    assert not (x0 <= b[0] <= x1 and y0 <= b[1] <= y1)
    assert x0 - 1e-6 <= cross[0] <= x1 + 1e-6 and y0 - 1e-6 <= cross[1] <= y1 + 1e-6
    assert min(abs(cross[0] - x0), abs(cross[0] - x1), abs(cross[1] - y0), abs(cross[1] - y1)) < 1e-5
    d, e = b - a, cross - a
    assert abs(d[0] * e[1] - d[1] * e[0]) < 1e-4 * np.linalg.norm(d) * np.linalg.norm(e)  # on the segment
    for fr in fig["frames"]:
        pos = fr["traces"].index(cross_idx)
        shown = len(decode(fr["data"][pos]["x"]))
        assert shown == (1 if int(fr["name"]) >= k else 0)  # the ✖ appears when the run diverges
    lfig, _ = loss_figure(diverging)
    assert len(decode(lfig["data"][1]["x"])) == k
    assert lfig["data"][1]["name"].endswith(f"diverged at step {k}")


def test_play_pause_speeds_and_slider(rosen, bg):
    fig = race_figure(rosen, make_runs(rosen, LINEUP[:2], 120), bg)
    buttons = fig["layout"]["updatemenus"][0]["buttons"]
    labels = [b["label"] for b in buttons]
    assert any("Play" in l for l in labels) and any("Pause" in l for l in labels)
    durations = [b["args"][1]["frame"]["duration"] for b in buttons if b["args"][0] is None]
    assert sorted(durations) == sorted(ms for _, ms in SPEEDS) and len(set(durations)) == 3
    for b in buttons:
        assert b["args"][1]["frame"]["redraw"] is False  # redraw=True would flicker and be 3x slower
    pause = next(b for b in buttons if "Pause" in b["label"])
    assert pause["args"][0] == [None] and pause["args"][1]["mode"] == "immediate"
    slider = fig["layout"]["sliders"][0]
    assert len(slider["steps"]) == len(fig["frames"]) and slider["active"] == len(fig["frames"]) - 1


def test_active_frame_sets_slider_and_initial_data(rosen, bg):
    runs = make_runs(rosen, LINEUP[:2], 120)
    fig = race_figure(rosen, runs, bg, active=10)
    assert fig["layout"]["sliders"][0]["active"] == 10
    fr = fig["frames"][10]
    for pos, idx in enumerate(fr["traces"]):
        assert fig["data"][idx]["x"] == fr["data"][pos]["x"]
    assert race_figure(rosen, runs, bg, active=10_000)["layout"]["sliders"][0]["active"] == len(fig["frames"]) - 1


def test_prebuilt_is_sent_without_revalidation(rosen, bg):
    fig = race_figure(rosen, make_runs(rosen, LINEUP[:1], 20), bg)
    # This is the call st.plotly_chart makes; a Prebuilt comes back as the very same dict.
    assert plotly.tools.return_figure_from_figure_or_data(Prebuilt(fig), validate_figure=True) is fig


def test_loss_axis_log_when_positive_linear_otherwise(rosen):
    _, log_y = loss_figure(make_runs(rosen, LINEUP[:2], 50), rosen.min_value)
    assert log_y
    camel = landscapes.get("six_hump_camel")  # minimum value −1.03
    runs = make_runs(camel, [("Adam", dict(learning_rate=0.05))], 200, start=(0.3, -0.5))
    assert runs[0].loss[-1] < 0
    fig, log_y = loss_figure(runs, camel.min_value)
    assert not log_y and fig["layout"]["yaxis"]["type"] == "linear"


def straight_run(label="a", n=11, diverged_at=None):
    """A hand-made run walking from (1, 0) to (0, 0) on f = x² (loss = x²)."""
    x = np.linspace(1, 0, n)
    params = np.stack([x, np.zeros(n)], axis=-1)
    if diverged_at is not None:
        params[diverged_at:] = params[diverged_at - 1]  # frozen, as the runner does
    return RaceRun(label, params, params[:, 0] ** 2, diverged_at, "#000000", "SGD")


def test_summary_by_hand():
    minima = np.array([[0.0, 0.0], [5.0, 5.0]])
    run = straight_run()  # x_k = 1 - k/10, loss = x_k²
    row = race_summary([run], minima, 0.0, tol=0.05, criterion="loss")[0]
    assert row["final loss"] == "0" and row["distance to nearest minimum"] == "0"
    assert row["first step within tol"] == "8"  # x_8 = 0.2, 0.04 <= 0.05 (x_7 = 0.3: 0.09)
    assert row["diverged"] == "—"
    row = race_summary([run], minima, 0.0, tol=0.25, criterion="distance")[0]
    assert row["first step within tol"] == "8"  # 0.2 <= 0.25
    row = race_summary([straight_run(diverged_at=4)], minima, 0.0, tol=1e-3)[0]
    assert row["diverged"] == "diverged at step 4" and row["first step within tol"] == "not reached"
    assert float(row["final loss"]) == pytest.approx(0.7 ** 2)  # the last good point, step 3
    row = race_summary([run], np.empty((0, 2)), None, tol=0.1)[0]
    assert row["distance to nearest minimum"].startswith("unknown") and row["first step within tol"].startswith("n/a")


def test_csv_exports():
    runs = [straight_run("SGD (lr 0.1, μ 0.9)"), straight_run('b "quoted"', diverged_at=4)]
    text = trajectories_csv(runs)
    lines = text.strip().split("\n")
    assert lines[0] == "step,optimizer,x,y,loss"
    assert len(lines) == 1 + 11 + 4  # the diverged run stops at its last good point
    assert lines[1] == '0,"SGD (lr 0.1, μ 0.9)",1,0,1'
    assert '"b ""quoted"""' in lines[-1]
    wide = loss_csv(runs).strip().split("\n")
    assert wide[0] == 'step,"SGD (lr 0.1, μ 0.9)","b ""quoted"""'
    assert len(wide) == 12 and wide[-1] == "10,0,"  # empty after divergence


def test_surface_figure(rosen, diverging):
    fig = surface_figure(rosen, diverging)
    go.Figure(fig)
    types = [t["type"] for t in fig["data"]]
    assert types[0] == "surface" and types.count("scatter3d") >= 2 * len(diverging)
    assert fig["layout"]["meta"]["log_height"] is True  # Rosenbrock spans decades
    text = pio.to_json(fig, validate=False)
    assert "NaN" not in text
    k = diverging[1].diverged_at
    sgd = next(t for t in fig["data"] if t["type"] == "scatter3d" and t["name"].startswith("SGD"))
    assert len(decode(sgd["x"])) == k
    adam = fig["data"][1]
    z = decode(adam["z"])
    assert np.all(np.diff(z[:20]) < 0.5)  # lifted with the surface's log transform (no raw loss spikes)


def test_a_start_where_f_is_undefined_gives_no_nan(bg):
    land = landscapes.get("custom", expression="log(x) + y**2")
    runs = make_runs(land, [("Adam", dict(learning_rate=0.1)), ("SGD", dict(learning_rate=0.1))], 30, start=(-1.0, 1.0))
    assert all(r.diverged_at == 0 for r in runs)
    for fig in (race_figure(land, runs, background_image(land)), loss_figure(runs)[0], surface_figure(land, runs)):
        text = pio.to_json(fig, validate=False)
        assert not re.search(r"\bNaN\b|Infinity", text)
        for b in all_bdata(json.loads(text)):
            assert np.all(np.isfinite(decode(b)))
    row = race_summary(runs, land.minima, land.min_value, 1e-3)[0]
    # Undefined at the start is not a divergence (issue 13 §6): the table says so in words.
    assert row["final loss"] == "undefined" and row["diverged"] == "did not start: f is undefined at the start"
    assert trajectories_csv(runs).splitlines()[1] == '0,"Adam {\'learning_rate\': 0.1}",-1,1,'
