"""The layout rules, measured where they matter: the figure builders' output drawn by plotly.js in Chromium at a
390-px phone's chart width (360 px), a laptop's and a projector's, and the boxes of the text compared.

Each case was seen broken in the app (issue 13 walk, session 4): the race map's settings stamp ran under its
legend and was cut at the edge ("… · gradient no"); on a phone its legend covered the landscape's name, the basin
maps' legend columns and shares ran into each other, the moons loss chart's legend left the curves ~60 px; in
presentation mode the learning-rate fit chart's and the inspector map's legends sat on the "x" title and the
inspector's map was ~210 px. No server: the figures are drawn from their dicts, plotly.js inlined (offline)."""
import numpy as np
import plotly.io as pio
import pytest
from plotly.offline import get_plotlyjs

import landscapes
import optimizers
from charts.common import PALETTE, for_projector

PHONE, LAPTOP = 360, 590  # px: a chart's width on a 390-px phone; the race map's at 1440×900

BOXES = """() => {
  const gd = document.getElementById('g'), W = gd.getBoundingClientRect().width;
  const box = e => { const b = e.getBoundingClientRect(); return {l: b.left, t: b.top, r: b.right, b: b.bottom,
                                                                   text: (e.textContent || '').slice(0, 300)}; };
  const all = sel => [...gd.querySelectorAll(sel)].filter(e => e.getBoundingClientRect().width > 0).map(box);
  return {W, title: all('.g-gtitle .gtitle'), legend: all('.legend .bg'), legendtitle: all('.legendtitletext'),
          legendtext: all('.legend .legendtext'), xtitle: all('.infolayer [class*=xtitle]'),
          plots: all('.nsewdrag'), panels: all('.annotation')}; }"""


def draw(page, fig, width, height=1000):
    page.set_viewport_size({"width": width + 40, "height": height})
    page.set_content("<html><body style='margin:0'><div id='g' style='width:%dpx'></div><script>%s</script>"
                     "<script>const F = %s; Plotly.newPlot('g', F.data, F.layout, {displaylogo: false})"
                     ".then(() => { window.done = true; });</script></body></html>"
                     % (width, get_plotlyjs(), pio.to_json(fig, validate=False)))
    page.wait_for_function("() => window.done === true")
    return page.evaluate(BOXES)


def meets(a, b, tol=1.0):
    return a["l"] < b["r"] - tol and b["l"] < a["r"] - tol and a["t"] < b["b"] - tol and b["t"] < a["b"] - tol


def inside(a, W, tol=1.0):
    return a["l"] >= -tol and a["r"] <= W + tol


def as_dict(fig):
    return fig.to_plotly_json() if hasattr(fig, "to_plotly_json") else fig


@pytest.fixture(scope="module")
def race():
    from charts.race import RaceRun
    land = landscapes.get("rosenbrock")
    lineup = [("SGD", dict(learning_rate=0.002)), ("SGD", dict(learning_rate=0.001, momentum=0.9)),
              ("RMSprop", dict(learning_rate=0.01)), ("Adam", dict(learning_rate=0.1)), ("Lion", dict(learning_rate=0.01))]
    runs = []
    for i, (name, kw) in enumerate(lineup):
        t = optimizers.run(optimizers.get(name, **kw), land, steps=40, record="path")
        runs.append(RaceRun(f"{name} (lr {kw['learning_rate']})", t.params, t.loss, t.diverged_at, PALETTE[i], name))
    return land, runs


STAMP = ("schedule CosineDecay (decay_steps 100, alpha 0.1) · weight decay 0.01 · clipnorm 0.5 · "
         "gradient noise σ 2, seed 3")


@pytest.mark.parametrize("width", [PHONE, LAPTOP])
def test_race_map_name_stamp_and_legend_never_overlap_and_fit(page, race, width):
    from charts.player import _strip_animation  # the map as the player draws it (no Plotly buttons or slider)
    from charts.race import race_figure
    land, runs = race
    b = draw(page, _strip_animation(race_figure(land, runs, None, max_frames=2, subtitle=STAMP)), width)
    (plot,), (legend,) = b["plots"], b["legend"]
    assert not meets(legend, plot), (legend, plot)
    assert not b["title"]                       # no separate figure title that the legend could cover
    assert b["legendtitle"] and all(inside(t, b["W"]) for t in b["legendtitle"] + b["legendtext"]), b["legendtitle"]
    assert "gradient noise σ 2" in " ".join(t["text"] for t in b["legendtitle"])


@pytest.mark.parametrize("width", [PHONE, 400])
def test_race_loss_title_and_stamp_fit_above_the_plot(page, race, width):
    from charts.race import loss_figure
    land, runs = race
    b = draw(page, loss_figure(runs, land.min_value, subtitle=STAMP)[0], width)
    (plot,) = b["plots"]
    assert b["title"] and all(inside(t, b["W"]) and not meets(t, plot) for t in b["title"]), b["title"]


def test_basin_maps_text_never_overlaps_on_a_phone(page):
    from charts.compare import BasinPanel, basin_figure
    from optimizers import basin_map, endpoint_groups
    land = landscapes.get("himmelblau")
    panels = [BasinPanel.of(f"{n} (lr 0.01, μ 0.9)", basin_map(optimizers.get(n, learning_rate=0.01), land, n=20, steps=60))
              for n in ("SGD", "RMSprop", "Adam", "Lion")]
    fig = basin_figure(panels, endpoint_groups(panels, land), land, title="Basins of attraction on Himmelblau",
                       subtitle="100×100 starts · 500 steps · noise σ=0 · seed 0 · the same grid and steps for every "
                                "optimizer · no clipping")
    b = draw(page, fig, PHONE, 1400)
    heads = [p for p in b["panels"] if "diverged" in p["text"]]
    assert len(heads) == 4
    assert not [(x["text"], y["text"]) for i, x in enumerate(heads) for y in heads[i + 1:] if meets(x, y)]
    texts = b["legendtext"]
    assert not [(x["text"], y["text"]) for i, x in enumerate(texts) for y in texts[i + 1:] if meets(x, y)]
    assert all(inside(t, b["W"]) for t in texts + b["title"] + heads), [t["text"] for t in texts + b["title"] + heads
                                                                         if not inside(t, b["W"])]


def test_moons_loss_curves_keep_the_phone_width(page):
    from charts.moons import MoonsRun, loss_figure
    runs = [MoonsRun(f"SGD (lr 0.01, μ 0.{i}, nesterov)", "SGD",
                     {"loss": np.geomspace(0.7, 0.01 * (i + 1), 40), "accuracy": np.full(40, 0.9)}, 40,
                     np.array([0, 20, 40]), np.zeros((3, 4, 4), np.float32)) for i in range(8)]
    b = draw(page, as_dict(loss_figure(runs)), PHONE)
    (plot,), (legend,) = b["plots"], b["legend"]
    assert plot["r"] - plot["l"] >= 250, plot       # the legend on the right left it ~60 px
    assert not meets(legend, plot) and not any(meets(legend, x) for x in b["xtitle"])


@pytest.fixture(scope="module")
def lr_fit():
    from charts import regression as rc
    from tests.helpers import lr_runs
    runs, land = lr_runs(100)
    return as_dict(rc.fit_figure(runs, land.X[:, 0], land.y))


@pytest.mark.parametrize("width", [1280, 1800])  # the chart's width at 1440×900 and 1920×1080, presentation mode
def test_present_learning_rate_fit_legend_clears_the_x_titles(page, lr_fit, width):
    b = draw(page, for_projector(lr_fit), width)
    (legend,) = b["legend"]
    assert b["xtitle"] and not [x for x in b["xtitle"] if meets(legend, x)], (legend, b["xtitle"])
    assert not [p for p in b["plots"] if meets(legend, p)]


def test_present_inspector_map_is_large_and_its_legend_clears_the_x_title(page):
    from charts import inspector as ic
    land = landscapes.get("rosenbrock")
    traj = optimizers.run(optimizers.get("Adam", learning_rate=0.05), land, steps=20, record="full")
    ex = optimizers.explain_step(traj, 3)
    arrows = ic.step_arrows("Adam", "keras", ex)
    fig = ic.step_figure(None, traj.params[:4], ex.w, ex.w_new, arrows, ic.step_window(land.bounds, [ex.w, ex.w_new]),
                         land.bounds, k=3)
    b = draw(page, for_projector(fig, height=ic.PRESENT_HEIGHT), 640, 1000)  # its column at 1440×900
    (plot,), (legend,) = b["plots"], b["legend"]
    assert plot["r"] - plot["l"] >= 500 and plot["b"] - plot["t"] >= 500, plot   # it was ~210 px
    assert not meets(legend, plot) and not any(meets(legend, x) for x in b["xtitle"]), (legend, b["xtitle"])


def test_sweep_title_legend_and_x_title_fit_a_phone(page):
    """Seen at 390 px: the sweep's title was cut ("… final loss on Goldstei") and its legend sat on
    "learning rate (log scale)"."""
    from charts import compare as cc
    from optimizers import lr_sweep
    land = landscapes.get("goldstein_price")
    series = [cc.SweepSeries.of(n, PALETTE[i], lr_sweep(optimizers.get(n, learning_rate=0.01), land,
                                                        np.logspace(-5, 1, 25), steps=60))
              for i, n in enumerate(("SGD", "RMSprop", "Adam", "Lion"))]
    fig = cc.sweep_figure(series, title="Learning-rate sensitivity: final loss on Goldstein–Price",
                          subtitle="Goldstein–Price · start (-0.5, 1) · 500 steps · noise σ=0 · seed 0 · "
                                   "241 learning rates 1e-5…10 · no clipping")
    b = draw(page, fig, PHONE)
    (legend,) = b["legend"]
    assert b["title"] and all(inside(t, b["W"]) for t in b["title"]), b["title"]
    assert b["xtitle"] and not any(meets(legend, x) for x in b["xtitle"]), (legend, b["xtitle"])
    texts = b["legendtext"]
    assert not [(x["text"], y["text"]) for i, x in enumerate(texts) for y in texts[i + 1:] if meets(x, y)]


def _fair_figures(land, runs):
    from charts import compare as cc
    import dataclasses
    runs = [dataclasses.replace(r, label=f"{r.name} (lr 0.007499, μ 0.9)") for r in runs]  # labels as the page writes
    prov = cc.provenance_lines("Rosenbrock", (-1.2, 1), 40, 0, 0, 1e-3,
                               [(r.color, f"{r.name} [keras] learning_rate=0.01") for r in runs])
    stamp = ("start (−1.2, 1) · 40 steps · noise σ=0 · seed 0 · tolerance 0.001 · learning rates tuned on this "
             "landscape · no clipping")
    title = "Fair comparison on Rosenbrock"
    return (cc.fair_map_figure(land, runs, None, prov, title, stamp, (-1.2, 1)),
            cc.fair_loss_figure(runs, "Loss: " + title, stamp, land.min_value))


@pytest.mark.parametrize("width", [PHONE, LAPTOP])
def test_fair_figures_fill_a_phone_and_keep_title_legend_and_x_title_apart(page, race, width):
    """The fair race was one figure with the map and the loss chart side by side (~150 px each on a phone) and a
    monospace settings block of 125-character lines cut at the phone's edge. Now two figures (st.columns stacks
    them on a phone): each plot keeps most of the width, the title with its wrapped stamp stays inside, the
    legend entries never overlap each other or the x title."""
    land, runs = race
    for fig in _fair_figures(land, runs):
        page.goto("about:blank")  # a fresh window (draw waits for window.done)
        b = draw(page, fig, width)
        assert b["title"] and all(inside(t, b["W"]) for t in b["title"]), b["title"]
        assert not [a for a in b["panels"] if "Landscape" in a["text"]]  # no settings block to cut
        plot = max(b["plots"], key=lambda p: p["r"] - p["l"])
        assert plot["r"] - plot["l"] >= 0.55 * width, plot  # the map is square: its height bounds it
        (legend,) = b["legend"]
        assert not any(meets(legend, x) for x in b["xtitle"]) and not meets(legend, plot), (legend, b["xtitle"])
        assert all(not meets(legend, t) for t in b["title"])
        texts = b["legendtext"]
        assert len(texts) >= 5 and all(inside(t, b["W"]) for t in texts)
        assert not [(x["text"], y["text"]) for i, x in enumerate(texts) for y in texts[i + 1:] if meets(x, y)]


def test_present_fair_figures_keep_legend_clear_of_the_x_titles(page, race):
    """In presentation mode each fair figure (half of a 1920-px screen) keeps its title inside, its legend off
    the enlarged x title; the settings are no longer a monospace block wider than the chart."""
    land, runs = race
    for fig in _fair_figures(land, runs):
        page.goto("about:blank")  # a fresh window (draw waits for window.done)
        b = draw(page, for_projector(fig), 900, 1400)
        (legend,) = b["legend"]
        assert b["xtitle"] and not any(meets(legend, x) for x in b["xtitle"])
        assert all(inside(t, b["W"]) for t in b["title"] + b["legendtext"])
        assert not [a for a in b["panels"] if not inside(a, b["W"])]
