"""The weight-space plane: directions, projections, the loss over the grid, and the recorded paths."""
import numpy as np
import pytest

import landscapes
import optimizers
from optimizers import weight_plane as wp


@pytest.fixture(scope="module")
def task():
    return landscapes.get("moons")


@pytest.fixture(scope="module")
def recorded(task):
    opts = [optimizers.get("SGD", learning_rate=0.05, momentum=0.9), optimizers.get("Adam", learning_rate=0.01),
            optimizers.get("RMSprop", learning_rate=0.01)]
    return wp.trajectories(opts, task, epochs=12, batch_size=32, seed=0)


def test_a_path_in_the_plane_is_recovered_exactly(task):
    rng = np.random.default_rng(0)
    origin = rng.standard_normal(task.n_params)
    d1, d2 = rng.standard_normal((2, task.n_params))          # not orthogonal, not normalised
    plane = wp.Plane(origin, d1, d2, "random")
    ab = rng.uniform(-3, 3, (40, 2))
    path = plane.point(ab[:, 0], ab[:, 1])
    np.testing.assert_allclose(plane.project(path), ab, rtol=0, atol=1e-12)
    assert plane.captured(path) == pytest.approx(1.0, abs=1e-12)
    # PCA of paths that lie in a plane finds that plane: the paths are recovered point for point.
    other = plane.point(*rng.uniform(-1, 1, (2, 25)))
    pca = wp.pca_plane(origin, [path, other])
    for p in (path, other):
        c = pca.project(p)
        np.testing.assert_allclose(pca.point(c[:, 0], c[:, 1]), p, rtol=0, atol=1e-11)
        assert pca.captured(p) == pytest.approx(1.0, abs=1e-12)
    assert sum(pca.explained) == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(pca.basis @ pca.basis.T, np.eye(2), atol=1e-12)


def test_projection_of_a_point_off_the_plane_is_orthogonal():
    rng = np.random.default_rng(1)
    plane = wp.Plane(np.zeros(5), rng.standard_normal(5), rng.standard_normal(5), "random")
    x = rng.standard_normal(5)
    c = plane.project(x)
    residual = x - plane.point(c[0], c[1])
    np.testing.assert_allclose(plane.basis @ residual, 0, atol=1e-12)
    inplane = x - residual
    assert plane.captured(x[None]) == pytest.approx(inplane @ inplane / (x @ x), rel=1e-12)


def test_filter_normalised_directions(task):
    origin = task.init_params(3)
    plane = wp.random_plane(task, origin, seed=5)
    for d in (plane.d1, plane.d2):
        for (W0, b0), (Wd, bd) in zip(task.unflatten(origin), task.unflatten(d)):
            np.testing.assert_allclose(np.linalg.norm(Wd, axis=0), np.linalg.norm(W0, axis=0), rtol=1e-12)
            assert np.all(bd == 0)
    assert not np.allclose(plane.d1, plane.d2)
    again = wp.random_plane(task, origin, seed=5)
    np.testing.assert_array_equal(again.d1, plane.d1)


def test_recorded_paths_are_the_training_runs(task, recorded):
    theta0, runs, results = recorded
    np.testing.assert_array_equal(theta0, task.init_params(0))
    for (epochs, path, div), res in zip(runs, results):
        np.testing.assert_array_equal(epochs, np.arange(13))
        np.testing.assert_array_equal(path[0], theta0)
        np.testing.assert_array_equal(path[-1], res.final_params)
        assert div is None
    # The same as training without recording (train() itself, no snapshots).
    plain = optimizers.train([optimizers.get("Adam", learning_rate=0.01)], task, epochs=12, batch_size=32, seed=0)
    np.testing.assert_array_equal(runs[1][1][-1], plain[0].final_params)


@pytest.mark.parametrize("kind", wp.KINDS)
def test_landscape_plane(task, recorded, kind):
    theta0, runs, _ = recorded
    res = wp.landscape_plane(task, theta0, runs, kind=kind, n=60)
    assert res.Z.shape == (60, 60) and np.all(np.isfinite(res.Z))
    # The grid is the loss at the grid's points (vectorized = one by one).
    for i, j in ((0, 0), (17, 42), (59, 59)):
        assert res.Z[i, j] == pytest.approx(float(task.loss(res.plane.point(res.xs[j], res.ys[i]))), rel=1e-12)
    for c, real, sliced, share, (_, path, _) in zip(res.coords, res.real_loss, res.slice_loss, res.captured, runs):
        assert c.shape == (len(path), 2)
        np.testing.assert_allclose(c[0], 0, atol=1e-12)         # every path starts at θ₀, the plane's origin
        assert sliced[0] == pytest.approx(real[0], rel=1e-12)
        np.testing.assert_allclose(real, task.loss(path), rtol=1e-12)
        assert 0 <= share <= 1
        # Every projected point lies inside the grid.
        assert res.xs[0] <= c[:, 0].min() and c[:, 0].max() <= res.xs[-1]
        assert res.ys[0] <= c[:, 1].min() and c[:, 1].max() <= res.ys[-1]
    if kind == "pca":
        assert sum(res.plane.explained) > 0.5      # a few optimizers' 12 epochs are nearly planar
        assert min(res.captured) > 0.3
    else:
        assert max(res.captured) < 0.1             # random directions miss nearly all of the movement


def test_bad_arguments(task, recorded):
    theta0, runs, _ = recorded
    with pytest.raises(ValueError, match="at least 60"):
        wp.landscape_plane(task, theta0, runs, n=20)
    with pytest.raises(ValueError, match="kind must be"):
        wp.landscape_plane(task, theta0, runs, kind="tsne")
    with pytest.raises(ValueError, match="two points"):
        wp.pca_plane(theta0, [theta0[None]])


@pytest.mark.parametrize("rows", [30, 500])        # fewer and more points than weights (both Gram branches)
def test_pca_plane_is_the_svd(rows):
    rng = np.random.default_rng(rows)
    origin = rng.standard_normal(100)
    X = origin + rng.standard_normal((rows, 100)) * np.linspace(3, 0.1, 100)
    plane = wp.pca_plane(origin, [X])
    _, s, Vt = np.linalg.svd(X - origin, full_matrices=False)
    for d, v in zip(plane.basis, Vt[:2]):
        assert abs(d @ v) == pytest.approx(1.0, abs=1e-10)
    np.testing.assert_allclose(plane.explained, s[:2] ** 2 / np.sum(s ** 2), rtol=1e-10)
