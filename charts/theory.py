"""Figures for "See the theory": the momentum phase diagram, the edge of stability, the network's plane.

Pure functions (plotly, numpy) from the engine's results to Plotly figure dicts. The results are read by
attribute (``optimizers.momentum_phase.PhaseDiagram``, ``optimizers.sharpness.EosResult``,
``optimizers.weight_plane.PlaneResult``); nothing here runs the engine. Every figure prints what it
measures and where it departs from the theory on the figure itself, so a screenshot stays honest.
"""
from __future__ import annotations

import math

import numpy as np

from charts.background import colorize, display_values, png_data_uri
from charts.common import bdata
from charts.race import SPEEDS, frame_steps

# Okabe–Ito without yellow: curves on a white background (as charts.moons).
COLORS = ["#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00", "#CC79A7", "#000000", "#999999"]
PATH_COLORS = ["#E69F00", "#56B4E9", "#F0E442", "#FF4F4F", "#CC79A7", "#FFFFFF", "#009E73", "#D55E00"]  # on viridis
PICK_TRACE = 1          # phase diagram: curve_number of the clickable cell grid
PICK_EVERY = 2          # one clickable point per 2×2 cells (10,000 points on a 200×200 grid)
RATE_SCALE = "Viridis"
DIVERGED_COLOR = "#b9b9b9"
METHOD_TITLES = {"heavy_ball": "Heavy-ball momentum (Keras SGD, momentum = β)",
                 "nesterov": "Nesterov momentum (Keras SGD, nesterov=True)"}
NOTE_FONT = dict(size=12, color="#333")


def color(i: int) -> str:
    return COLORS[i % len(COLORS)]


def _fmt(x: float, digits: int = 3) -> str:
    return f"{x:.{digits}g}"


def wrap(text: str, width: int = 140) -> str:
    """Plotly annotations do not wrap: break ``text`` into lines of at most ``width`` characters (``<br>``);
    existing ``<br>`` are kept."""
    out = []
    for para in text.split("<br>"):
        line = ""
        for word in para.split(" "):
            plain = len(line) + 1 + len(word.replace("<b>", "").replace("</b>", ""))
            if line and plain > width:
                out.append(line)
                line = word
            else:
                line = f"{line} {word}" if line else word
        out.append(line)
    return "<br>".join(out)


# --------------------------------------------------------------------------- #
# 1. Momentum's phase diagram                                                   #
# --------------------------------------------------------------------------- #
def phase_figure(d, boundary: np.ndarray, selected: tuple | None = None, height: int = 640) -> dict:
    """Measured rate heat map over (η, β) with the theory overlaid.

    ``d``: a PhaseDiagram (etas, betas, measured, diverged, theory, optimum, gd_optimum, kappa, steps,
    method); ``boundary``: the theoretical largest convergent η for every β of ``d.betas``;
    ``selected``: an (η, β) to ring. Trace 0 is the heat map, trace :data:`PICK_TRACE` the clickable cells.
    """
    etas, betas = np.asarray(d.etas), np.asarray(d.betas)
    measured = np.asarray(d.measured, dtype=np.float64)
    diverged = np.asarray(d.diverged, dtype=bool)
    theory = np.asarray(d.theory, dtype=np.float64)
    eta_opt, beta_opt, rho_opt = d.optimum
    eta_gd, rho_gd = d.gd_optimum
    lo = math.floor(min(rho_opt, np.nanmin(measured) if np.isfinite(measured).any() else 1.0) * 20) / 20
    data = [dict(type="heatmap", x=bdata(etas, "f8"), y=bdata(betas, "f8"), z=bdata(measured, "f4"),
                 zmin=lo, zmax=1.0, colorscale=RATE_SCALE, hoverinfo="skip", name="measured rate",
                 colorbar=dict(title=dict(text="measured rate ρ", side="right"), x=1.0, len=0.9, thickness=16))]
    # Clickable cells: an invisible scatter grid (heat maps cannot be selected), hover shows both rates.
    ii, jj = np.meshgrid(np.arange(0, len(betas), PICK_EVERY), np.arange(0, len(etas), PICK_EVERY), indexing="ij")
    ii, jj = ii.ravel(), jj.ravel()
    m = measured[ii, jj]
    custom = np.stack([np.where(diverged[ii, jj], np.nan, m), theory[ii, jj]], axis=-1)
    data.append(dict(type="scattergl", mode="markers", x=bdata(etas[jj], "f4"), y=bdata(betas[ii], "f4"),
                     customdata=bdata(custom, "f4"), name="cells", showlegend=False,
                     marker=dict(size=5, opacity=0, color="white"),
                     unselected=dict(marker=dict(opacity=0)), selected=dict(marker=dict(opacity=0)),
                     hovertemplate="η = %{x:.4g}, β = %{y:.3g}<br>measured ρ = %{customdata[0]:.4f}"
                                   "<br>theory ρ = %{customdata[1]:.4f}<br><b>click: race this pair</b>"
                                   "<extra></extra>"))
    # Diverged cells in grey (their own layer, so "diverged" is never a colour of the rate scale).
    data.append(dict(type="heatmap", x=bdata(etas, "f8"), y=bdata(betas, "f8"), z=bdata(diverged, "u1"),
                     zmin=0, zmax=1, colorscale=[[0, "rgba(0,0,0,0)"], [0.5, "rgba(0,0,0,0)"], [0.5, DIVERGED_COLOR],
                                                 [1, DIVERGED_COLOR]], showscale=False, hoverinfo="skip",
                     name="diverged"))
    # Theory: contours of ρ, the exact boundary, the optimum, gradient descent's optimum.
    first = math.ceil((rho_opt + 0.01) / 0.05) * 0.05
    if first <= 0.95:
        data.append(dict(type="contour", x=bdata(etas, "f8"), y=bdata(betas, "f8"),
                         z=bdata(np.minimum(theory, 1.5), "f4"), autocontour=False,
                         contours=dict(coloring="none", showlabels=True, start=first, end=0.95, size=0.05,
                                       labelfont=dict(size=11, color="white")),
                         line=dict(color="white", width=1, dash="dot"), showscale=False, hoverinfo="skip",
                         name="theory: contours of ρ = max|eig| (every 0.05)"))
    inside = np.asarray(boundary) <= etas[-1] * 1.001
    data.append(dict(type="scatter", mode="lines", x=bdata(np.asarray(boundary)[inside], "f8"),
                     y=bdata(betas[inside], "f8"), line=dict(color="#ff2d55", width=3),
                     name="theory: edge of convergence (ρ = 1)", hoverinfo="skip"))
    data.append(dict(type="scatter", mode="markers", x=[eta_opt], y=[beta_opt], name=(
        f"theory: optimum η* = {_fmt(eta_opt)}, β* = {_fmt(beta_opt)}, ρ* = {_fmt(rho_opt, 4)}"),
        marker=dict(symbol="star", size=18, color="#FFD700", line=dict(color="black", width=1.5)),
        hovertemplate=f"optimum<br>η* = {eta_opt:.4g}, β* = {beta_opt:.4g}<br>ρ* = {rho_opt:.4f}<extra></extra>"))
    data.append(dict(type="scatter", mode="markers", x=[eta_gd], y=[0.0], name=(
        f"gradient descent (β = 0): best η = 2/(μ+L) = {_fmt(eta_gd)}, ρ = {_fmt(rho_gd, 4)}"),
        marker=dict(symbol="diamond", size=13, color="white", line=dict(color="black", width=1.5)),
        hovertemplate=f"gradient descent<br>η = 2/(μ+L) = {eta_gd:.4g}<br>ρ = {rho_gd:.4f}<extra></extra>"))
    if selected is not None:
        data.append(dict(type="scatter", mode="markers", x=[float(selected[0])], y=[float(selected[1])],
                         name="selected", showlegend=False, hoverinfo="skip",
                         marker=dict(symbol="circle-open", size=20, color="white", line=dict(width=3))))
    n_div = int(diverged.sum())
    ok = ~diverged & (theory < 1)
    err = float(np.nanmax(np.abs(measured - theory)[ok])) if ok.any() else float("nan")
    note = wrap(f"{len(betas)}×{len(etas)} = {diverged.size:,} runs of the engine's SGD from the same start, {d.steps} "
                f"steps each; rate measured over steps {d.steps // 4}–{d.steps} · grey: diverged ({n_div:,} cells) · "
                f"largest |measured − theory| inside the region: {err:.3f}", 150)
    layout = dict(
        height=height, margin=dict(l=70, r=20, t=110, b=110),
        title=dict(text=f"{METHOD_TITLES.get(d.method, d.method)} on the quadratic, κ = {_fmt(d.kappa)}",
                   x=0.01, y=0.98, yanchor="top", font=dict(size=18)),
        xaxis=dict(title=dict(text="learning rate η"), range=[0, float(etas[-1] + (etas[1] - etas[0]) / 2)],
                   showgrid=False, zeroline=False),
        yaxis=dict(title=dict(text="momentum β"), range=[float(betas[0]) - 0.005, float(betas[-1]) + 0.005],
                   showgrid=False, zeroline=False),
        legend=dict(orientation="h", x=0, y=1.02, xanchor="left", yanchor="bottom", font=dict(size=12),
                    bgcolor="rgba(255,255,255,0)"),
        hovermode="closest", dragmode="pan", plot_bgcolor="#f0f0f0",
        annotations=[dict(text=note, xref="paper", yref="paper", x=0, y=0, yshift=-58, xanchor="left",
                          yanchor="top", showarrow=False, font=NOTE_FONT, align="left")],
        meta=dict(pick_every=PICK_EVERY),
    )
    return dict(data=data, layout=layout)


def rate_slice_figure(d, row: int, height: int = 300) -> dict:
    """One β row of the diagram: measured and theoretical rate against η (the heat map's cross-section)."""
    etas = np.asarray(d.etas)
    meas = np.where(np.asarray(d.diverged)[row], np.nan, np.asarray(d.measured)[row])
    theo = np.asarray(d.theory)[row]
    data = [dict(type="scatter", mode="lines", x=bdata(etas, "f8"), y=bdata(np.minimum(theo, 1.2), "f8"),
                 name="theory max|eig|", line=dict(color="#ff2d55", width=2)),
            dict(type="scatter", mode="markers", x=bdata(etas, "f8"), y=bdata(meas, "f8"), name="measured",
                 marker=dict(size=5, color="#0072B2"))]
    layout = dict(height=height, margin=dict(l=60, r=10, t=50, b=45),
                  title=dict(text=f"The row β = {float(d.betas[row]):.3g}: rate against η", x=0.01, y=0.98,
                             yanchor="top", font=dict(size=15)),
                  xaxis=dict(title=dict(text="learning rate η")), yaxis=dict(title=dict(text="rate ρ"), range=[0, 1.2]),
                  legend=dict(orientation="h", x=1, xanchor="right", y=1.0, yanchor="bottom"), hovermode="x unified",
                  shapes=[dict(type="line", xref="paper", x0=0, x1=1, y0=1, y1=1,
                               line=dict(color="gray", dash="dot", width=1))])
    return dict(data=data, layout=layout)


# --------------------------------------------------------------------------- #
# 2. The edge of stability                                                      #
# --------------------------------------------------------------------------- #
def eos_figure(r, claims: list[str] | None = None, height: int = 520) -> dict:
    """Loss (left) and sharpness against its threshold (right), one colour per learning rate.

    ``r``: an EosResult (learning_rates, loss, sharp_steps, sharpness, threshold, quantity, preconditioned,
    diverged_at, optimizer, batch_size); ``claims``: lines printed under the plots."""
    lrs = np.asarray(r.learning_rates)
    loss = np.asarray(r.loss)
    ks = np.asarray(r.sharp_steps)
    sharp = np.asarray(r.sharpness)
    thr = np.asarray(r.threshold)
    what = "preconditioned sharpness λ_max(P⁻¹H)" if r.preconditioned else "sharpness λ_max(H)"
    thr_name = {"Adam": "(2+2β₁)/((1−β₁)η)", "RMSprop": "2/η"}.get(r.optimizer, "2/η")
    if r.optimizer == "SGD" and r.config.get("momentum", 0):
        thr_name = "(2+2μ)/((1+2μ)η)" if r.config.get("nesterov") else "(2+2μ)/η"
    if r.optimizer == "RMSprop" and r.config.get("momentum", 0):
        thr_name = "(2+2μ)/η"
    data = []
    for i, lr in enumerate(lrs):
        c = color(i)
        end = loss.shape[0] if r.diverged_at[i] < 0 else int(r.diverged_at[i])
        steps = np.arange(end)
        data.append(dict(type="scatter", mode="lines", x=bdata(steps, "i4"), y=bdata(loss[:end, i], "f8"),
                         line=dict(color=c, width=1.5), name=f"η = {_fmt(lr)}", legendgroup=f"r{i}",
                         xaxis="x", yaxis="y", hovertemplate=f"η = {_fmt(lr)}<br>step %{{x}}<br>loss %{{y:.4g}}<extra></extra>"))
        good = np.isfinite(sharp[:, i])
        data.append(dict(type="scatter", mode="lines+markers", x=bdata(ks[good], "i4"), y=bdata(sharp[good, i], "f8"),
                         line=dict(color=c, width=2.5), marker=dict(size=4), name=f"η = {_fmt(lr)}",
                         legendgroup=f"r{i}", showlegend=False, xaxis="x2", yaxis="y2",
                         hovertemplate=f"η = {_fmt(lr)}<br>step %{{x}}<br>{what} = %{{y:.4g}}"
                                       f"<br>threshold {thr_name} = {thr[i]:.4g}<extra></extra>"))
        data.append(dict(type="scatter", mode="lines", x=[0, int(r.steps)], y=[float(thr[i])] * 2,
                         line=dict(color=c, width=2, dash="dash"), name=f"{thr_name} = {_fmt(thr[i])}",
                         legendgroup=f"r{i}", xaxis="x2", yaxis="y2", hoverinfo="skip"))
        if r.diverged_at[i] >= 0:
            data.append(dict(type="scatter", mode="markers+text", x=[end - 1], y=[float(loss[end - 1, i])],
                             text=[f"✖ diverged at step {int(r.diverged_at[i])}"], textposition="top center",
                             marker=dict(symbol="x", size=12, color=c), showlegend=False, xaxis="x", yaxis="y",
                             hoverinfo="skip"))
    top = max(float(np.nanmax(sharp)) if np.isfinite(sharp).any() else 1.0, float(thr.max()))
    batch = "full batch" if r.batch_size is None else f"mini-batches of {r.batch_size}"
    lines = [f"{r.optimizer}, {batch}. Right: {what} of the full-data loss, by power iteration on exact "
             f"Hessian-vector products, every {int(ks[1] - ks[0]) if len(ks) > 1 else 1} steps; dashed: the threshold "
             f"{thr_name} above which a quadratic with that curvature would diverge."]
    lines += list(claims or [])
    note = "<br>".join(wrap(line, 150) for line in lines)
    n_lines = note.count("<br>") + 1
    annotations = [dict(text="Loss (full training data)", xref="paper", yref="paper", x=0.0, y=1.0, xanchor="left",
                        yanchor="bottom", showarrow=False, font=dict(size=15)),
                   dict(text=what[0].upper() + what[1:] + " vs its threshold", xref="paper", yref="paper", x=0.55,
                        y=1.0, xanchor="left", yanchor="bottom", showarrow=False, font=dict(size=15)),
                   dict(text=note, xref="paper", yref="paper", x=0, y=0, yshift=-55, xanchor="left",
                        yanchor="top", showarrow=False, font=NOTE_FONT, align="left")]
    layout = dict(
        height=height + 17 * n_lines, margin=dict(l=60, r=20, t=60, b=75 + 17 * n_lines),
        xaxis=dict(domain=[0, 0.45], title=dict(text="step")),
        yaxis=dict(type="log", title=dict(text="loss"), exponentformat="power"),
        xaxis2=dict(domain=[0.55, 1], title=dict(text="step"), anchor="y2"),
        yaxis2=dict(anchor="x2", title=dict(text="sharpness"), range=[0, 1.15 * top]),
        legend=dict(orientation="h", x=0, y=1.08, xanchor="left", yanchor="bottom", font=dict(size=13)),
        hovermode="closest", annotations=annotations)
    return dict(data=data, layout=layout)


# --------------------------------------------------------------------------- #
# 3. The network's plane                                                        #
# --------------------------------------------------------------------------- #
def _axis_titles(res):
    if res.plane.kind == "pca":
        e1, e2 = res.plane.explained
        return (f"PC 1 of all paths ({100 * e1:.0f}% of their squared displacement)",
                f"PC 2 ({100 * e2:.0f}%)")
    return "random direction 1 (filter-normalised)", "random direction 2 (filter-normalised)"


def plane_figure(res, labels: list[str], colors: list[str] | None = None, height: int = 480,
                 max_frames: int = 101) -> dict:
    """The loss over the plane (a layout image, so the animation can play) with every path projected.

    Frames follow the epochs, with the race's player (Play speeds, Pause, a slider). Legend entries give
    each path's share of displacement captured by the plane."""
    xs, ys, Z = np.asarray(res.xs), np.asarray(res.ys), np.asarray(res.Z)
    shown, use_log = display_values(Z)
    img = png_data_uri(colorize(shown, 18)[::-1])
    x0, x1, y0, y1 = float(xs[0]), float(xs[-1]), float(ys[0]), float(ys[-1])
    image = dict(source=img, xref="x", yref="y", x=x0, y=y1, sizex=x1 - x0, sizey=y1 - y0, sizing="stretch",
                 layer="below", opacity=1.0)
    finite = np.isfinite(shown)
    lo, hi = (np.percentile(shown[finite], [1, 99]) if finite.any() else (0.0, 1.0))
    zmin = float(np.nanmin(Z)) if np.isfinite(Z).any() else 0.0
    ticks = np.linspace(lo, hi, 5)
    ticktext = [_fmt((10 ** t) + zmin - 1e-3 * max(np.nanpercentile(Z, 95) - zmin, 1e-12)) if use_log else _fmt(t)
                for t in ticks]
    data = [dict(type="scatter", mode="markers", x=[x0], y=[y0], hoverinfo="skip", showlegend=False, name="scale",
                 marker=dict(size=0.1, opacity=0, color=[float(lo), float(hi)], cmin=float(lo), cmax=float(hi),
                             colorscale="Viridis", showscale=True,
                             colorbar=dict(title=dict(text="slice loss", side="right"), tickvals=list(ticks),
                                           ticktext=ticktext, len=0.8, thickness=14)))]
    data.append(dict(type="scatter", mode="markers", x=[0.0], y=[0.0], name="start θ₀ (the plane's origin)",
                     marker=dict(symbol="circle", size=15, color="rgba(255,255,255,0.35)",
                                 line=dict(color="black", width=3)), hoverinfo="skip"))
    n_epochs = max(int(np.asarray(e)[-1]) for e in res.epochs)
    ks = frame_steps(n_epochs, max_frames)
    animated = []
    for i, (c, eps, lab) in enumerate(zip(res.coords, res.epochs, labels)):
        col = colors[i] if colors else PATH_COLORS[i % len(PATH_COLORS)]
        legend = f"{lab} · {100 * res.captured[i]:.0f}% in plane"
        if res.diverged_at[i] is not None:
            legend += f" · ✖ diverged in epoch {res.diverged_at[i]}"
        data.append(dict(type="scatter", mode="lines", name=legend, legendgroup=f"p{i}",
                         x=bdata(c[:, 0], "f4"), y=bdata(c[:, 1], "f4"), line=dict(color=col, width=3),
                         hoverinfo="skip"))
        data.append(dict(type="scatter", mode="markers", name=lab, legendgroup=f"p{i}", showlegend=False,
                         x=[float(c[-1, 0])], y=[float(c[-1, 1])],
                         marker=dict(color=col, size=13, line=dict(color="black", width=2)),
                         customdata=[[int(eps[-1]), float(res.real_loss[i][-1]), float(res.slice_loss[i][-1])]],
                         hovertemplate=f"{lab}<br>epoch %{{customdata[0]}}<br>real loss %{{customdata[1]:.4g}}"
                                       "<br>slice loss here %{customdata[2]:.4g}<extra></extra>"))
        animated += [len(data) - 2, len(data) - 1]
    frames = []
    for k in ks:
        fdata = []
        for i, (c, eps) in enumerate(zip(res.coords, res.epochs)):
            j = int(np.searchsorted(np.asarray(eps), k, side="right")) - 1   # last recorded epoch ≤ k
            j = max(j, 0)
            fdata.append(dict(x=bdata(c[:j + 1, 0], "f4"), y=bdata(c[:j + 1, 1], "f4")))
            fdata.append(dict(x=[float(c[j, 0])], y=[float(c[j, 1])],
                              customdata=[[int(eps[j]), float(res.real_loss[i][j]), float(res.slice_loss[i][j])]]))
        frames.append(dict(name=str(int(k)), data=fdata, traces=animated))

    def anim(duration):
        return [None, dict(frame=dict(duration=duration, redraw=False), transition=dict(duration=0),
                           fromcurrent=True, mode="immediate")]

    buttons = [dict(label=label, method="animate", args=anim(ms)) for label, ms in SPEEDS]
    buttons.insert(2, dict(label="❚❚ Pause", method="animate",
                           args=[[None], dict(frame=dict(duration=0, redraw=False), transition=dict(duration=0),
                                              mode="immediate")]))
    steps = [dict(method="animate", label=str(int(k)),
                  args=[[str(int(k))], dict(mode="immediate", frame=dict(duration=0, redraw=False),
                                            transition=dict(duration=0))]) for k in ks]
    t1, t2 = _axis_titles(res)
    kind = ("the top two principal directions of all optimizers' trajectories together"
            if res.plane.kind == "pca" else "two random filter-normalised directions (Li et al. 2018)")
    note = wrap(f"The plane through the common start spanned by {kind}; colours: the training loss at every point "
                f"of a {len(xs)}×{len(ys)} grid.<br>A projected path is <b>not</b> a path on this slice: the network "
                "left the plane (the % in the legend is the share of each path's squared displacement that lies in "
                "it), so the colour under a path is not its loss; the panel below compares the two.", 150)
    top = 64 + 24 * math.ceil((len(labels) + 1) / 3)
    bottom = 150 + 17 * (note.count("<br>") + 1)
    layout = dict(
        height=height + top + bottom, margin=dict(l=70, r=20, t=top, b=bottom),
        title=dict(text="The network's loss on a plane through weight space", x=0.01, y=1, yanchor="top",
                   pad=dict(t=8), font=dict(size=18)),
        # Equal scales: d₁ and d₂ are equally long (unit vectors for PCA), so distances on screen are true.
        xaxis=dict(range=[x0, x1], title=dict(text=t1), showgrid=False, zeroline=False, constrain="domain"),
        yaxis=dict(range=[y0, y1], title=dict(text=t2), showgrid=False, zeroline=False, constrain="domain",
                   **({"scaleanchor": "x", "scaleratio": 1} if res.plane.kind == "pca" else {})),
        images=[image], plot_bgcolor="#f0f0f0", hovermode="closest", dragmode="pan",
        # A dark legend: one path colour is white (they are chosen to show on the viridis map).
        legend=dict(orientation="h", x=0, y=1.01, xanchor="left", yanchor="bottom", font=dict(size=13, color="white"),
                    bgcolor="#3a3a3a"),
        updatemenus=[dict(type="buttons", direction="left", showactive=False, x=0, y=0, yanchor="top",
                          xanchor="left", pad=dict(t=62, r=10), buttons=buttons, font=dict(size=14))],
        sliders=[dict(active=len(ks) - 1, steps=steps, x=0.36, len=0.64, y=0, xanchor="left", yanchor="top",
                      pad=dict(t=52, b=0), currentvalue=dict(prefix="epoch ", font=dict(size=14, color="#222"),
                                                             xanchor="right"),
                      transition=dict(duration=0), ticklen=3, font=dict(size=10, color="rgba(0,0,0,0)"))],
        annotations=[dict(text=note, xref="paper", yref="paper", x=0, y=0, yshift=-118, xanchor="left",
                          yanchor="top", showarrow=False, font=NOTE_FONT, align="left")],
        meta=dict(frame_epochs=[int(k) for k in ks], log_colours=bool(use_log)),
    )
    return dict(data=data, layout=layout, frames=frames)


def plane_loss_figure(res, labels: list[str], colors: list[str] | None = None, height: int = 380) -> dict:
    """The network's loss along the real path (solid) against the slice's loss at the projected point
    (dashed), per optimizer and epoch: where they differ, the picture above is not the path's loss."""
    data = []
    for i, lab in enumerate(labels):
        c = colors[i] if colors else PATH_COLORS[i % len(PATH_COLORS)]
        eps = np.asarray(res.epochs[i])
        data.append(dict(type="scatter", mode="lines", x=bdata(eps, "i4"), y=bdata(res.real_loss[i], "f8"),
                         name=lab, legendgroup=f"p{i}", line=dict(color=c, width=2.5),
                         hovertemplate=f"{lab}<br>epoch %{{x}}<br>real loss %{{y:.4g}}<extra></extra>"))
        data.append(dict(type="scatter", mode="lines", x=bdata(eps, "i4"), y=bdata(res.slice_loss[i], "f8"),
                         name=f"{lab} (slice, projected)", legendgroup=f"p{i}", showlegend=False,
                         line=dict(color=c, width=2, dash="dash"),
                         hovertemplate=f"{lab}<br>epoch %{{x}}<br>slice loss at the projected point %{{y:.4g}}"
                                       "<extra></extra>"))
    allv = np.concatenate([np.asarray(v) for v in list(res.real_loss) + list(res.slice_loss)])
    log_y = bool(np.all(allv[np.isfinite(allv)] > 0))
    # The paths' colours are chosen to stand out on the viridis map (one is white), so this panel uses a
    # dark plot area too: the same colour means the same optimizer in both figures.
    layout = dict(height=height + 24 * math.ceil(len(labels) / 4), margin=dict(l=60, r=10, t=40, b=70 + 24 * math.ceil(len(labels) / 4)),
                  plot_bgcolor="#3a3a3a",
                  title=dict(text="Loss along the real path (solid) vs the slice's loss under the projected path "
                                  "(dashed)", x=0.01, font=dict(size=15)),
                  xaxis=dict(title=dict(text="epoch"), gridcolor="#5a5a5a"),
                  yaxis=dict(title=dict(text="training loss"), type="log" if log_y else "linear",
                             exponentformat="power", gridcolor="#5a5a5a"),
                  legend=dict(orientation="h", x=0, yref="container", y=0, yanchor="bottom",
                              font=dict(size=12, color="white"),
                              bgcolor="#3a3a3a"),
                  hovermode="closest")
    return dict(data=data, layout=layout)


def cell_figure(dist, state, rho: float, eta: float, beta: float, diverged_at=None, height: int = 320) -> dict:
    """One (η, β) run on the quadratic: its distance to the minimum against the step (log scale), with the
    theory's slope ρᵗ drawn through the state's size at a quarter of the run."""
    dist = np.asarray(dist, dtype=np.float64)
    state = np.asarray(state, dtype=np.float64)
    T = len(dist) - 1
    end = T + 1 if diverged_at is None else int(diverged_at)
    k = np.arange(end)
    q = max(T // 4, 1)
    with np.errstate(all="ignore"):
        theory = state[min(q, end - 1)] * rho ** (k - min(q, end - 1))
    good = np.isfinite(dist[:end]) & (dist[:end] > 0)
    data = [dict(type="scatter", mode="lines", x=bdata(k[good], "i4"), y=bdata(dist[:end][good], "f8"),
                 name="‖w_t − w*‖ of the run", line=dict(color="#0072B2", width=2)),
            dict(type="scatter", mode="lines", x=bdata(k, "i4"), y=bdata(theory, "f8"),
                 name=f"theory: slope ρᵗ, ρ = {rho:.4f}", line=dict(color="#ff2d55", width=2, dash="dash"))]
    pos = dist[:end][good]
    lo = float(np.log10(max(pos.min(), 1e-300))) if len(pos) else -1.0
    hi = float(np.log10(pos.max())) if len(pos) else 1.0
    title = f"η = {eta:.4g}, β = {beta:.3g}: distance to the minimum"
    if diverged_at is not None:
        title += f" (diverged at step {int(diverged_at)})"
    layout = dict(height=height, margin=dict(l=60, r=10, t=40, b=45),
                  title=dict(text=title, x=0.01, font=dict(size=15)),
                  xaxis=dict(title=dict(text="step")),
                  yaxis=dict(type="log", title=dict(text="distance"), exponentformat="power",
                             range=[max(lo, hi - 40) - 0.5, hi + 0.5]),
                  legend=dict(orientation="h", x=0, y=-0.25), hovermode="x unified")
    return dict(data=data, layout=layout)
