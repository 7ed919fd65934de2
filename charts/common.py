"""Shared chart helpers: the optimizer palette and compact binary arrays for Plotly."""
from __future__ import annotations

import base64

import numpy as np

# Eight colours that stay distinct on the viridis-like background and for most colour-blind viewers
# (Okabe–Ito, with white for contrast on dark regions).
PALETTE = ["#E69F00", "#56B4E9", "#F0E442", "#FF4F4F", "#CC79A7", "#FFFFFF", "#009E73", "#D55E00"]


def color(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def bdata(a, dtype="f4") -> dict:
    """A numpy array as Plotly's typed-array JSON (``{"dtype", "bdata"}``).

    float32 halves the figure size and is plenty for drawing; it also skips
    Plotly's slow per-element validation when used inside dict frames.
    """
    arr = np.ascontiguousarray(np.asarray(a, dtype=np.dtype(dtype).newbyteorder("<")))
    out = {"dtype": dtype, "bdata": base64.b64encode(arr.tobytes()).decode("ascii")}
    if arr.ndim > 1:
        out["shape"] = ",".join(map(str, arr.shape))
    return out


def finite_or_none(a) -> list:
    """A list with NaN/inf replaced by None (Plotly draws gaps there)."""
    a = np.asarray(a, dtype=np.float64)
    return [float(v) if np.isfinite(v) else None for v in a.ravel()]


def numbered(labels: list[str]) -> list[str]:
    """Legend labels made distinct: equal ones get their position, ``#2 SGD (μ 0.9)``."""
    return [f"#{i + 1} {lab}" if labels.count(lab) > 1 else lab for i, lab in enumerate(labels)]
