"""The landscape drawn as a background image.

Plotly's ``go.Contour`` and ``go.Heatmap`` vanish while an animation plays
(plotly.js #4491), so the landscape is rendered here into a small PNG
(quantised into colour bands, which reads like a filled contour plot) and
placed under the axes with ``layout.images``. Only the optimizer paths are
animated. Regions where the function is NaN or infinite are left transparent.
"""
from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image
from plotly.colors import hex_to_rgb, sequential

_VIRIDIS = np.array([hex_to_rgb(c) for c in sequential.Viridis], dtype=np.float64)


def grid(land, n: int = 200, bounds=None):
    """(xs, ys, Z) of the landscape on an n×n grid; Z[i, j] is at (xs[j], ys[i])."""
    (x0, x1), (y0, y1) = bounds if bounds is not None else land.bounds
    xs = np.linspace(x0, x1, n)
    ys = np.linspace(y0, y1, n)
    X, Y = np.meshgrid(xs, ys)
    with np.errstate(all="ignore"):
        Z = np.asarray(land.value(np.stack([X, Y], axis=-1)), dtype=np.float64)
    return xs, ys, Z


def display_values(Z):
    """What the colours show: the loss itself, or log10 of its height above the minimum
    when the values span many decades (Rosenbrock, Goldstein–Price), so that valleys stay visible."""
    finite = np.isfinite(Z)
    if not finite.any():
        return Z, False
    zmin = Z[finite].min()
    lo, hi = np.percentile(Z[finite], [5, 95])
    use_log = (hi - zmin) > 100 * max(lo - zmin, 1e-12)
    if use_log:
        with np.errstate(all="ignore"):
            Z = np.log10(Z - zmin + 1e-3 * max(hi - zmin, 1e-12))
    return Z, use_log


def colorize(Z, bands: int = 18) -> np.ndarray:
    """RGBA uint8 image of Z, quantised into ``bands`` viridis bands (robust 1–99% range)."""
    finite = np.isfinite(Z)
    rgba = np.zeros(Z.shape + (4,), dtype=np.uint8)
    if not finite.any():
        return rgba
    lo, hi = np.percentile(Z[finite], [1, 99])
    if hi <= lo:
        hi = lo + 1.0
    u = np.clip((np.where(finite, Z, lo) - lo) / (hi - lo), 0, 1)
    u = np.floor(u * bands).clip(0, bands - 1) / max(bands - 1, 1)
    pos = u * (len(_VIRIDIS) - 1)
    i = np.floor(pos).astype(int).clip(0, len(_VIRIDIS) - 2)
    f = (pos - i)[..., None]
    rgb = _VIRIDIS[i] * (1 - f) + _VIRIDIS[i + 1] * f
    rgba[..., :3] = rgb.round().astype(np.uint8)
    rgba[..., 3] = np.where(finite, 255, 0)
    return rgba


def png_data_uri(rgba: np.ndarray) -> str:
    buf = io.BytesIO()
    Image.fromarray(rgba, mode="RGBA").save(buf, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def background_image(land, n: int = 200, bands: int = 18, bounds=None) -> dict:
    """A ``layout.images`` entry drawing the landscape under axes ``x``/``y``."""
    (x0, x1), (y0, y1) = bounds if bounds is not None else land.bounds
    _, _, Z = grid(land, n, bounds)
    shown, _ = display_values(Z)
    # Image row 0 is the top of the picture, i.e. y max: flip the grid vertically.
    uri = png_data_uri(colorize(shown, bands)[::-1])
    return dict(source=uri, xref="x", yref="y", x=x0, y=y1, sizex=x1 - x0, sizey=y1 - y0,
                sizing="stretch", layer="below", opacity=1.0)
