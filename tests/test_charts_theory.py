"""charts.theory: the figures show exactly the engine's numbers, validate as Plotly figures, and print their caveats."""
from types import SimpleNamespace

import numpy as np
import plotly.graph_objects as go
import pytest

import landscapes
import optimizers
from charts import theory as ct
from optimizers import momentum_phase as mp
from optimizers import sharpness as sh
from optimizers import weight_plane as wp
from tests.helpers import decode


@pytest.fixture(scope="module")
def small_diagram():
    land = landscapes.get("quadratic", condition=10)
    etas, betas = mp.default_grid("heavy_ball", 2.0, 40, 30)
    return mp.measure("heavy_ball", land, etas=etas, betas=betas, steps=200)


def test_phase_figure_shows_the_measurement_and_the_theory(small_diagram):
    d = small_diagram
    boundary = mp.boundary_eta("heavy_ball", d.betas, 2.0)
    fig = ct.phase_figure(d, boundary, selected=(1.0, 0.5))
    go.Figure(fig)                                                       # a valid Plotly figure
    heat = fig["data"][0]
    z = decode(heat["z"], float)
    assert z.shape == (30, 40)
    # Diverged cells are never a colour of the rate scale: NaN there, and a grey layer marks them.
    assert np.all(np.isnan(z[d.diverged])) and np.allclose(z[~d.diverged], d.measured[~d.diverged], rtol=1e-6)
    grey = [t for t in fig["data"] if t.get("name") == "diverged"][0]
    np.testing.assert_array_equal(decode(grey["z"]).astype(bool), d.diverged)
    # The clickable cells sit on grid cells and carry (measured, theory).
    pick = fig["data"][ct.PICK_TRACE]
    x, y, cd = decode(pick["x"], float), decode(pick["y"], float), decode(pick["customdata"], float)
    assert len(x) == 20 * 15
    j = np.searchsorted(d.etas.astype(np.float32), x.astype(np.float32))
    i = np.searchsorted(d.betas.astype(np.float32), y.astype(np.float32))
    np.testing.assert_allclose(cd[:, 1], d.theory[i, j], rtol=1e-6)
    # The exact boundary and the optimum.
    edge = [t for t in fig["data"] if "edge of convergence" in t.get("name", "")][0]
    np.testing.assert_allclose(decode(edge["x"], float), boundary[boundary <= d.etas[-1] * 1.001])
    star = [t for t in fig["data"] if t.get("name", "").startswith("theory: optimum")][0]
    assert star["x"] == [pytest.approx(d.optimum[0])] and star["y"] == [pytest.approx(d.optimum[1])]
    assert [t for t in fig["data"] if t.get("name") == "selected"][0]["x"] == [1.0]
    note = fig["layout"]["annotations"][0]["text"]
    assert "1,200 runs" in note and f"{int(d.diverged.sum()):,} cells" in note


def test_rate_slice_and_cell_figures(small_diagram):
    d = small_diagram
    fig = ct.rate_slice_figure(d, 10)
    go.Figure(fig)
    np.testing.assert_allclose(decode(fig["data"][0]["y"], float), np.minimum(d.theory[10], 1.2))
    rho = 0.8
    dist = 3 * rho ** np.arange(101)
    fig = ct.cell_figure(dist, dist, rho, 1.0, 0.5)
    go.Figure(fig)
    theory = decode(fig["data"][1]["y"], float)
    np.testing.assert_allclose(theory, dist, rtol=1e-9)                # the slope line through a pure ρᵗ run


def test_eos_figure():
    r = sh.EosResult(learning_rates=np.array([0.1, 0.5]), loss=np.array([[1.0, 1.0], [0.5, 2.0], [0.3, 2.0]]),
                     sharp_steps=np.array([0, 2]), sharpness=np.array([[3.0, 3.0], [19.0, np.nan]]),
                     threshold=np.array([20.0, 4.0]), formula="", quantity="", preconditioned=False,
                     diverged_at=np.array([-1, 2]), optimizer="GradientDescent", steps=2, batch_size=None)
    fig = ct.eos_figure(r, ["a claim"])
    go.Figure(fig)
    names = [t.get("name") for t in fig["data"]]
    assert "2/η = 20" in names and "2/η = 4" in names
    thr = [t for t in fig["data"] if t.get("name") == "2/η = 20"][0]
    assert thr["y"] == [20.0, 20.0]
    losses = [t for t in fig["data"] if t.get("yaxis") == "y" and t.get("mode") == "lines"]
    assert len(decode(losses[1]["y"])) == 2                             # cut where it diverged
    assert any("diverged at step 2" in (t.get("text") or [""])[0] for t in fig["data"])
    assert "a claim" in fig["layout"]["annotations"][-1]["text"]
    sharp = [t for t in fig["data"] if t.get("mode") == "lines+markers"]
    np.testing.assert_array_equal(decode(sharp[1]["y"], float), [3.0])   # NaN (after divergence) never drawn


def test_wrap():
    text = " ".join(["word"] * 100)
    for line in ct.wrap(text, 40).split("<br>"):
        assert len(line) <= 40
    assert ct.wrap("a<br>b", 10) == "a<br>b"


@pytest.fixture(scope="module")
def plane_result():
    task = landscapes.get("moons")
    opts = [optimizers.get("Adam", learning_rate=0.01), optimizers.get("SGD", learning_rate=0.05, momentum=0.9)]
    theta0, runs, _ = wp.trajectories(opts, task, epochs=8)
    return wp.landscape_plane(task, theta0, runs, kind="pca", n=60)


def test_plane_figure_animates_the_projected_paths(plane_result):
    res = plane_result
    fig = ct.plane_figure(res, ["Adam", "SGD"])
    go.Figure(fig)
    assert fig["layout"]["images"][0]["source"].startswith("data:image/png;base64,")
    assert len(fig["frames"]) == 9
    paths = [t for t in fig["data"] if t.get("mode") == "lines"]
    for t, c, share in zip(paths, res.coords, res.captured):
        np.testing.assert_allclose(decode(t["x"], float), c[:, 0], rtol=1e-6, atol=1e-6)
        assert f"{100 * share:.0f}% in plane" in t["name"]
    # Frame k holds each path up to epoch k.
    f3 = fig["frames"][3]["data"]
    np.testing.assert_allclose(decode(f3[0]["y"], float), res.coords[0][:4, 1], rtol=1e-6, atol=1e-6)
    assert f3[1]["customdata"][0][0] == 3
    assert "not</b> a path on this slice" in fig["layout"]["annotations"][0]["text"]
    assert fig["layout"]["yaxis"]["scaleanchor"] == "x"                  # true distances on screen
    loss = ct.plane_loss_figure(res, ["Adam", "SGD"])
    go.Figure(loss)
    np.testing.assert_allclose(decode(loss["data"][0]["y"], float), res.real_loss[0])
    np.testing.assert_allclose(decode(loss["data"][1]["y"], float), res.slice_loss[0])


def test_plane_colour_bar_labels_are_losses(plane_result):
    res = plane_result
    fig = ct.plane_figure(res, ["Adam", "SGD"])
    bar = fig["data"][0]["marker"]["colorbar"]
    labels = [float(t) for t in bar["ticktext"]]
    finite = res.Z[np.isfinite(res.Z)]
    lo, hi = np.percentile(finite, [1, 99])
    # The first and last labels are the 1st and 99th percentile of the loss (the colour range).
    assert labels[0] == pytest.approx(lo, rel=2e-3) and labels[-1] == pytest.approx(hi, rel=2e-3)
    assert labels == sorted(labels)


def test_random_plane_titles():
    res = SimpleNamespace(plane=SimpleNamespace(kind="random", explained=None))
    assert "filter-normalised" in ct._axis_titles(res)[0]
