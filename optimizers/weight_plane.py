"""A 2-D slice through a network's weight space, with several optimizers' paths on it.

Li, Xu, Taylor, Studer & Goldstein (2018), "Visualizing the Loss Landscape of Neural Nets", plot
L(θ₀ + a d₁ + b d₂) over a grid of (a, b). Here the plane passes through the common start θ₀ of every
optimizer, and its two directions are either

- ``"pca"`` (default): the top two principal directions of the **union** of all optimizers'
  trajectories, taken about θ₀ (the SVD of the matrix of every recorded θ − θ₀), so that one plane
  serves every path; or
- ``"random"``: two Gaussian directions, **filter-normalised** as Li et al. do: for each layer, each
  unit's incoming weights (a column of the Keras kernel) are rescaled to the norm of that unit's weights
  in θ₀; bias directions are zero (their code's default, ``ignore='biasbn'``).

A path is *projected* onto the plane: its coordinates are the least-squares (a, b) of θ − θ₀ in the
basis (d₁, d₂) (for orthonormal PCA directions simply the dot products). A projected path is not a path
on the slice: the network's loss along the real path and the slice's loss at the projected points are
both returned, and so is the share of each path's displacement from θ₀ that the plane captures,
Σ‖proj(θₑ − θ₀)‖² / Σ‖θₑ − θ₀‖².
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from .training import train

KINDS = ("pca", "random")
MIN_GRID = 60


@dataclass(frozen=True)
class Plane:
    """θ₀ + a d₁ + b d₂. ``explained``: for PCA, the share of the union's squared displacement along
    d₁ and d₂ (None for random directions)."""

    origin: np.ndarray
    d1: np.ndarray
    d2: np.ndarray
    kind: str
    explained: tuple | None = None

    @property
    def basis(self) -> np.ndarray:
        return np.stack([self.d1, self.d2])                 # (2, P)

    def point(self, a, b) -> np.ndarray:
        """θ₀ + a d₁ + b d₂ for arrays a, b (broadcast); shape (..., P)."""
        a = np.asarray(a, dtype=np.float64)[..., None]
        b = np.asarray(b, dtype=np.float64)[..., None]
        return self.origin + a * self.d1 + b * self.d2

    def project(self, theta) -> np.ndarray:
        """Least-squares coordinates (a, b) of θ − θ₀, shape (..., 2)."""
        X = np.asarray(theta, dtype=np.float64) - self.origin
        D = self.basis
        X2 = X.reshape(-1, X.shape[-1])
        c = np.linalg.solve(D @ D.T, (X2 @ D.T).T).T
        return c.reshape(X.shape[:-1] + (2,))

    def captured(self, theta) -> float:
        """Share of the squared displacement from θ₀ of the points ``theta`` (n, P) lying in the plane."""
        X = np.asarray(theta, dtype=np.float64) - self.origin
        c = self.project(np.asarray(theta, dtype=np.float64))
        inplane = c @ self.basis
        total = float(np.sum(X * X))
        return float(np.sum(inplane * inplane)) / total if total > 0 else 1.0


def pca_plane(origin, paths) -> Plane:
    """The plane through ``origin`` spanned by the top two principal directions (about ``origin``) of
    every point of every path (each (n_i, P))."""
    origin = np.asarray(origin, dtype=np.float64)
    D = np.concatenate([np.asarray(p, dtype=np.float64).reshape(-1, origin.shape[-1]) for p in paths]) - origin
    D = D[np.any(D != 0, axis=1)]
    if len(D) < 2:
        raise ValueError("The paths need at least two points away from the start to span a plane.")
    # The top right singular vectors of D, from the eigenvectors of the smaller Gram matrix (about twice as
    # fast as a full SVD here, and exact enough: the directions' error is ~1e-16 · σ₁²/(σ₂² − σ₃²)).
    n, P = D.shape
    if P <= n:
        lam, V = np.linalg.eigh(D.T @ D)
        d = V[:, ::-1][:, :2].T.copy()
    else:
        lam, U = np.linalg.eigh(D @ D.T)
        d = (D.T @ U[:, ::-1][:, :2]).T
        d /= np.linalg.norm(d, axis=1, keepdims=True)
    lam = np.clip(lam[::-1], 0.0, None)
    if lam[1] <= 0:
        raise ValueError("The paths need at least two points away from the start to span a plane.")
    # A fixed sign: the component of largest magnitude is positive.
    for i in range(2):
        if d[i, np.argmax(np.abs(d[i]))] < 0:
            d[i] = -d[i]
    total = float(np.sum(lam))
    explained = tuple(float(x / total) for x in lam[:2])
    return Plane(origin, d[0], d[1], "pca", explained)


def filter_normalized_direction(task, origin, rng) -> np.ndarray:
    """One random direction, filter-normalised per layer against ``origin`` (Li et al. 2018, Sec. 4)."""
    origin = np.asarray(origin, dtype=np.float64)
    d = np.zeros_like(origin)
    for (W0, _b0), (Wd, _bd) in zip(task.unflatten(origin), task.unflatten(d)):
        r = rng.standard_normal(W0.shape)
        norm_r = np.linalg.norm(r, axis=0, keepdims=True)         # one filter = one unit's incoming weights
        norm_w = np.linalg.norm(W0, axis=0, keepdims=True)
        Wd[...] = r / np.where(norm_r > 0, norm_r, 1.0) * norm_w   # writes into d (views)
    return d


def random_plane(task, origin, seed: int = 0) -> Plane:
    rng = np.random.default_rng(seed)
    d1 = filter_normalized_direction(task, origin, rng)
    d2 = filter_normalized_direction(task, origin, rng)
    return Plane(np.asarray(origin, dtype=np.float64), d1, d2, "random", None)


@dataclass
class PlaneResult:
    """The loss over the plane and every path on it.

    ``xs`` (nx,), ``ys`` (ny,), ``Z`` (ny, nx): the full-data training loss at θ₀ + x d₁ + y d₂.
    Per path (lists, one entry per optimizer): ``coords`` (n_i, 2) at the recorded epochs ``epochs``
    (n_i,), ``real_loss`` (n_i,) the network's loss at the real θ, ``slice_loss`` (n_i,) the loss at
    the projected point, ``captured`` the share of displacement in the plane, ``diverged_at``."""

    plane: Plane
    xs: np.ndarray
    ys: np.ndarray
    Z: np.ndarray
    coords: list
    epochs: list
    real_loss: list
    slice_loss: list
    captured: list
    diverged_at: list
    seconds: dict = field(default_factory=dict)


def plane_grid(plane: Plane, coords, n: int = MIN_GRID, margin: float = 0.2):
    """Grid axes covering every projected point (and θ₀) with a ``margin`` on each side."""
    pts = np.concatenate([np.zeros((1, 2))] + [np.asarray(c, dtype=np.float64).reshape(-1, 2) for c in coords])
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    span = np.maximum(hi - lo, 1e-6)
    lo, hi = lo - margin * span, hi + margin * span
    return np.linspace(lo[0], hi[0], n), np.linspace(lo[1], hi[1], n)


def loss_over(task, plane: Plane, xs, ys, chunk: int = 900) -> np.ndarray:
    """Z[i, j] = full-data loss at θ₀ + xs[j] d₁ + ys[i] d₂: every grid point is one stacked network."""
    X, Y = np.meshgrid(np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64))
    a, b = X.ravel(), Y.ravel()
    out = np.empty(a.shape)
    with np.errstate(all="ignore"):
        for i in range(0, len(a), chunk):
            out[i:i + chunk] = task.loss(plane.point(a[i:i + chunk], b[i:i + chunk]))
    return out.reshape(X.shape)


class _Snapshots:
    """The task as ``train`` sees it, without its decision map: ``train`` then keeps only the
    parameters at the requested epochs (computing a decision map every epoch would double the time)."""

    def __init__(self, task):
        self._task = task

    def __getattr__(self, name):
        if name == "boundary":
            raise AttributeError(name)
        return getattr(self._task, name)


def trajectories(optimizers_list, task, epochs: int, batch_size: int = 32, seed: int = 0, start=None,
                 callback=None):
    """Train every optimizer from the same start on the same batches (``optimizers.train``) and return
    (start θ₀, [(epochs_i, path_i (n_i, P), diverged_at_i)], train results)."""
    results = train(list(optimizers_list), _Snapshots(task), epochs, batch_size=batch_size, seed=seed,
                    callback=callback, boundary_epochs=range(int(epochs) + 1), start=start)
    runs = []
    for r in results:
        eps = sorted(r.snapshots)
        runs.append((np.asarray(eps), np.stack([r.snapshots[e] for e in eps]), r.diverged_at))
    theta0 = runs[0][1][0]
    return theta0, runs, results


def landscape_plane(task, theta0, runs, kind: str = "pca", n: int = MIN_GRID, seed: int = 0,
                    margin: float = 0.2) -> PlaneResult:
    """The plane (``kind``), the loss on an n×n grid over it, and every run projected.

    ``runs``: [(epochs (n_i,), path (n_i, P), diverged_at)] all starting at ``theta0``."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}; received {kind!r}.")
    n = int(n)
    if n < MIN_GRID:
        raise ValueError(f"The grid needs at least {MIN_GRID}×{MIN_GRID} points; received {n}.")
    t0 = time.perf_counter()
    paths = [np.asarray(p, dtype=np.float64) for _, p, _ in runs]
    plane = pca_plane(theta0, paths) if kind == "pca" else random_plane(task, theta0, seed)
    coords = [plane.project(p) for p in paths]
    t1 = time.perf_counter()
    xs, ys = plane_grid(plane, coords, n, margin)
    Z = loss_over(task, plane, xs, ys)
    t2 = time.perf_counter()
    with np.errstate(all="ignore"):
        real = [np.asarray(task.loss(p), dtype=np.float64) for p in paths]
        sliced = [np.asarray(task.loss(plane.point(c[:, 0], c[:, 1])), dtype=np.float64) for c in coords]
    captured = [plane.captured(p) for p in paths]
    t3 = time.perf_counter()
    return PlaneResult(plane=plane, xs=xs, ys=ys, Z=Z, coords=coords, epochs=[np.asarray(e) for e, _, _ in runs],
                       real_loss=real, slice_loss=sliced, captured=captured,
                       diverged_at=[d for _, _, d in runs],
                       seconds={"directions": t1 - t0, "grid": t2 - t1, "paths": t3 - t2})
