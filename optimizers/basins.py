"""Where basin-map runs end: the minima (known and found) shared by several optimizers' maps.

``basin_map`` labels each start with the *known* minimum it reaches. On a
landscape with unlisted minima (a typed formula, Rastrigin's hundred dips) or
with slow optimizers, many runs end elsewhere; :func:`endpoint_groups` finds
where they pile up, and decides from the landscape's gradient whether each
pile is a local minimum or just a point where the runs stopped.

NumPy only. ``panels`` are any objects with ``label_map`` (m, n) and
``final_params`` (m, n, 2) arrays (``charts.compare.BasinPanel`` is one).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MAX_GROUPS = 10  # groups named individually (known minima first); the charts have a colour for each


@dataclass(frozen=True)
class Groups:
    """The end points shared by every panel: known minima first, then found ones.

    Codes per panel (uint8): 0..G−1 a listed group, G "another local minimum" (found, but
    beyond the groups listed), G+1 "ended elsewhere", G+2 "diverged"."""

    centres: np.ndarray        # (G, 2)
    names: list                # legend text, e.g. "M1 (3, 2) global minimum"
    known: list                # bool: a minimum the landscape lists
    codes: list                # per panel (m, n) uint8, see above
    n_other: int = 0           # local minima found beyond the listed ones

    @property
    def other(self) -> int:
        return len(self.centres)

    @property
    def elsewhere(self) -> int:
        return len(self.centres) + 1

    @property
    def diverged(self) -> int:
        return len(self.centres) + 2


def _num(v: float, digits: int = 3) -> str:
    s = f"{float(v):.{digits}g}"
    return "0" if float(v) == 0 else s.replace("-", "−")


def point_text(p, digits: int = 3) -> str:
    """``(x, y)`` to 3 significant digits with a real minus sign; coordinates within 1e-6 of 0 print as 0."""
    x, y = (0.0 if abs(float(v)) < 1e-6 else float(v) for v in p[:2])
    return f"({_num(x, digits)}, {_num(y, digits)})"


def local_minima(land, C, h) -> np.ndarray:
    """Which points of ``C`` (k, 2) are (within ``3h``) local minima, judged from the local quadratic
    model: the Hessian (central differences of the gradient) is positive definite and the Newton
    step −H⁻¹∇f to the stationary point is shorter than ``3h``. A point on a slope or along a
    curved valley (Rosenbrock) fails the step test; a saddle fails the definiteness test."""
    C = np.asarray(C, dtype=np.float64).reshape(-1, 2)
    if not len(C):
        return np.zeros(0, dtype=bool)
    e = 1e-3 * h
    with np.errstate(all="ignore"):
        g = np.asarray(land.grad(C), dtype=np.float64).reshape(-1, 2)
        gxp, gxm = (np.asarray(land.grad(C + d), dtype=np.float64).reshape(-1, 2) for d in ([e, 0], [-e, 0]))
        gyp, gym = (np.asarray(land.grad(C + d), dtype=np.float64).reshape(-1, 2) for d in ([0, e], [0, -e]))
        hxx, hyx = (gxp - gxm).T / (2 * e)
        hxy, hyy = (gyp - gym).T / (2 * e)
        hxy = 0.5 * (hxy + hyx)
        det = hxx * hyy - hxy * hxy
        pd = (hxx > 0) & (det > 0)
        # Newton step H⁻¹ g for a 2×2 symmetric H
        sx = (hyy * g[:, 0] - hxy * g[:, 1]) / det
        sy = (hxx * g[:, 1] - hxy * g[:, 0]) / det
        step = np.hypot(sx, sy)
    return pd & np.isfinite(step) & (step <= 3 * h)


def _known_minima(land, max_groups: int):
    """The landscape's listed minima (at most ``max_groups``) with their legend names."""
    minima = np.asarray(getattr(land, "minima", np.empty((0, 2))), dtype=np.float64).reshape(-1, 2)
    minv = getattr(land, "min_value", None)
    with np.errstate(all="ignore"):
        vals = np.asarray(land.value(minima), dtype=np.float64).reshape(-1) if len(minima) else np.empty(0)
    names = []
    for j, m in enumerate(minima[:max_groups]):
        glob = minv is not None and np.isfinite(vals[j]) and abs(vals[j] - minv) <= 1e-6 * max(1.0, abs(minv))
        names.append(f"M{j + 1} {point_text(m)}" + (" global minimum" if glob else " minimum"))
    return minima, list(minima[:max_groups]), names


def _cluster(pts: np.ndarray, h: float, need: int, max_clusters: int, ref: np.ndarray):
    """Clusters of end points ``pts`` (k, 2): cells of size ``h`` holding at least ``need`` points, merged
    within ``3h``, recentred on their members, most populated first (in tiers of factors of 2, then by the
    distance to ``ref``). Returns (centres (c, 2), cluster index of each point or −1)."""
    point_cl = np.full(len(pts), -1, dtype=np.int64)
    if not len(pts):
        return np.empty((0, 2)), point_cl
    # Everything works on cells, so the cost grows with the number of occupied cells, not of points.
    kx, ky = (np.floor(pts / h).astype(np.int64) + (1 << 30)).T
    keys = (kx << 32) | ky
    ukeys, inv, counts = np.unique(keys, return_inverse=True, return_counts=True)
    inv = inv.reshape(-1)
    cell_c = np.stack([np.bincount(inv, weights=pts[:, 0]), np.bincount(inv, weights=pts[:, 1])], -1) \
        / counts[:, None]
    big = np.nonzero(counts >= need)[0]
    big = big[np.argsort(-counts[big], kind="stable")]
    clusters = []
    for u in big:  # at most total / need cells are this full
        if len(clusters) >= max_clusters:
            break
        c = cell_c[u]
        if clusters and np.min(np.hypot(*(np.asarray(clusters) - c).T)) <= 3 * h:
            continue
        clusters.append(c)
    if not clusters:
        return np.empty((0, 2)), point_cl
    C = np.asarray(clusters)
    # Cells within 3h of a cluster: look only at the 9×9 cells around each cluster centre.
    off = np.arange(-4, 5)
    ccx, ccy = (np.floor(C / h).astype(np.int64) + (1 << 30)).T
    cand = ((ccx[:, None, None] + off[None, :, None]) << 32) | (ccy[:, None, None] + off[None, None, :])
    cand_k = np.repeat(np.arange(len(C)), off.size ** 2)
    cand = cand.reshape(-1)
    pos = np.clip(np.searchsorted(ukeys, cand), 0, len(ukeys) - 1)
    hit = ukeys[pos] == cand
    u_c, k_c = pos[hit], cand_k[hit]
    d = np.hypot(*(cell_c[u_c] - C[k_c]).T)
    near = d <= 3 * h
    u_c, k_c, d = u_c[near], k_c[near], d[near]
    order = np.lexsort((d, u_c))                  # for each cell, its nearest cluster first
    u_c, k_c = u_c[order], k_c[order]
    first = np.r_[True, u_c[1:] != u_c[:-1]]
    cell_cl = np.full(len(ukeys), -1, dtype=np.int64)
    cell_cl[u_c[first]] = k_c[first]
    point_cl = cell_cl[inv]
    members = np.bincount(cell_cl[cell_cl >= 0], weights=counts[cell_cl >= 0], minlength=len(C))
    # recentre each cluster on all its end points
    has = point_cl >= 0
    n_pts = np.bincount(point_cl[has], minlength=len(C))
    C = np.stack([np.bincount(point_cl[has], weights=pts[has, 0], minlength=len(C)),
                  np.bincount(point_cl[has], weights=pts[has, 1], minlength=len(C))], -1) \
        / np.maximum(n_pts, 1)[:, None]
    # Most populated first, in tiers of factors of 2, and within a tier by the distance to ``ref``
    # (Rastrigin then lists the dips around its global minimum).
    dist = np.min(np.hypot(C[:, None, 0] - ref[None, :, 0], C[:, None, 1] - ref[None, :, 1]), axis=1)
    tier = np.floor(np.log2(members.max() / np.maximum(members, 1)))  # 0: within 2× of the largest
    perm = np.lexsort((dist, tier))
    rank = np.empty_like(perm)
    rank[perm] = np.arange(len(perm))
    return C[perm], np.where(point_cl >= 0, rank[np.maximum(point_cl, 0)], -1)


def endpoint_groups(panels, land, max_groups: int = MAX_GROUPS, min_share: float = 0.002,
                    max_clusters: int = 400) -> Groups:
    """Groups of end points for basin maps, shared by every panel (the same minimum has the same
    code in every optimizer's map).

    Known minima (the engine's labels) come first. End points that reached none of them
    are clustered (cells of 1% of the view's diagonal, merged within 3 cells); a cluster
    holding at least ``min_share`` of all starts is named after its centre: "local minimum"
    if the local quadratic model says so (:func:`local_minima`), else "end point". The most
    populated are listed (at most ``max_groups`` groups in all); further local minima (Rastrigin
    has ~100) share the code "another local minimum"; everything else "ended elsewhere"."""
    (x0, x1), (y0, y1) = land.bounds
    h = 0.01 * float(np.hypot(x1 - x0, y1 - y0))
    minima, centres, names = _known_minima(land, max_groups)
    n_known = len(centres)
    known = [True] * n_known
    total = sum(p.label_map.size for p in panels)
    # Only end points inside the view (plus a 5% margin) are clustered: runs that left it (escaping a
    # saddle, still on their way) are "ended elsewhere", not a group of their own.
    mx, my = 0.05 * (x1 - x0), 0.05 * (y1 - y0)
    masks = [(p.label_map == -1) & (p.final_params[..., 0] >= x0 - mx) & (p.final_params[..., 0] <= x1 + mx)
             & (p.final_params[..., 1] >= y0 - my) & (p.final_params[..., 1] <= y1 + my) for p in panels]
    pts = np.concatenate([p.final_params[m].reshape(-1, 2) for p, m in zip(panels, masks)]) if panels \
        else np.empty((0, 2))
    ref = minima if len(minima) else np.array([[(x0 + x1) / 2, (y0 + y1) / 2]])
    C, point_cl = _cluster(pts, h, max(3, int(math.ceil(min_share * total))), max_clusters, ref)
    n_slots = max(max_groups - n_known, 0)
    listed, extra = C[:n_slots], C[n_slots:]
    n_min, n_end = n_known, 0
    for c, is_min in zip(listed, local_minima(land, listed, h)):
        centres.append(c)
        if is_min:
            n_min += 1
            names.append(f"M{n_min} ≈ {point_text(c)} local minimum")
        else:
            n_end += 1
            names.append(f"E{n_end} ≈ {point_text(c)} end point, not a minimum")
        known.append(False)
    extra_min = local_minima(land, extra, h)
    G = len(centres)
    # Codes: known minima from the engine's labels, found clusters through their cells.
    cl_code = np.concatenate([np.arange(n_known, G), np.where(extra_min, G, G + 1),
                              [G + 1]]).astype(np.uint8)      # the last entry: no cluster (index −1)
    pt_code = cl_code[point_cl]
    codes, k0 = [], 0
    for p, m in zip(panels, masks):
        lm = p.label_map
        code = np.full(lm.shape, G + 1, dtype=np.uint8)
        kn = (lm >= 0) & (lm < n_known)
        code[kn] = lm[kn].astype(np.uint8)
        n_rest = int(m.sum())
        code[m] = pt_code[k0:k0 + n_rest]
        k0 += n_rest
        code[lm == -2] = G + 2
        codes.append(code)
    return Groups(np.asarray(centres, dtype=np.float64).reshape(-1, 2), names, known, codes, int(extra_min.sum()))
