"""Real browser: the learning-rate page's figures as drawn at a 390-px phone and a 1440×900 laptop, measured on
Plotly's own SVG. Seen on a phone (session 4's walk): four fit panels ~85 px wide with their titles running
together, the surface and loss titles colliding (the loss axis's title on the map), and in the lr 1.1 panel the
"the lines leave the chart" note over the "epoch 1" label; the player's panels the same."""
import pytest
from playwright.sync_api import expect

from tests.helpers import PLAYER_READY, PLAYER_URL, wait_idle

LINK = "learning_rate?lrs=0.01,0.1,0.5,1.1&epochs=40"  # lr 1.1 diverges at epoch 15

# The text and plot boxes of one drawn figure (a Plotly graph div), in page (or frame) pixels: plot areas, every
# annotation (subplot titles, epoch labels, edge marks), axis titles, legend entries.
BOXES = """(gd) => {
    if (!gd || !gd._fullLayout) return null;
    const box = (e, kind) => { const b = e.getBoundingClientRect();
                               return {l: b.left, t: b.top, r: b.right, b: b.bottom, kind: kind,
                                       text: (e.textContent || '').trim()}; };
    const shown = e => e.getBoundingClientRect().width > 0;
    const all = (sel, kind) => [...gd.querySelectorAll(sel)].filter(shown).map(e => box(e, kind));
    // every subplot's axis titles (x, x2, …) and tick labels, not only the first subplot's
    const titles = c => [...gd.querySelectorAll('.infolayer text')].filter(e => new RegExp(`^${c}[0-9]*title$`)
                                                                      .test(e.getAttribute('class') || '')).filter(shown);
    const g = gd.getBoundingClientRect();
    return {fig: {l: g.left, t: g.top, r: g.right, b: g.bottom},
            plots: all('.nsewdrag', 'plot'),
            texts: [...all('.infolayer g.annotation', 'annotation'), ...titles('x').map(e => box(e, 'xtitle')),
                    ...titles('y').map(e => box(e, 'ytitle')), ...all('.g-gtitle .gtitle', 'title'),
                    ...all('.legend .legendtext', 'legend'),
                    ...all('.xaxislayer-above text, .yaxislayer-above text', 'tick')]}; }"""


def _meets(a, b, tol=1.0):
    return a["l"] < b["r"] - tol and b["l"] < a["r"] - tol and a["t"] < b["b"] - tol and b["t"] < a["b"] - tol


def _overlaps(texts):
    """Pairs of texts that cover each other (two tick labels meeting at an axes' corner, "0" and "−2", are
    Plotly's own and not counted; a tick label under a title or a note is)."""
    return [(x["text"], y["text"]) for i, x in enumerate(texts) for y in texts[i + 1:]
            if _meets(x, y) and not x["kind"] == y["kind"] == "tick"]


def _figure(where, selector):
    where.wait_for_function(f"() => {{ const g = document.querySelector('{selector}'); return !!(g && g._fullLayout); }}",
                            timeout=120_000)
    return where.evaluate(f"() => ({BOXES})(document.querySelector('{selector}'))")


def _open(page, server, width, height, extra=""):
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{server}/{LINK}{extra}")
    page.wait_for_function(PLAYER_READY, timeout=120_000)
    wait_idle(page, timeout=180_000)
    expect(page.get_by_test_id("stException")).to_have_count(0)


def _fit_panels(page):
    figs = [_figure(page, f".st-key-lr_fit_chart_{i} .js-plotly-plot") for i in range(4)]
    assert all(figs), figs
    return figs


@pytest.mark.parametrize("width,height", [(390, 844), (1440, 900)])
def test_fit_panels_are_large_and_no_text_covers_another(server, page, artifacts_dir, width, height):
    _open(page, server, width, height)
    figs = _fit_panels(page)
    page.locator(".st-key-lr_fit_chart_3").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts_dir / f"learning_rate_fit_panels_{width}.png"))
    plots = [p for f in figs for p in f["plots"]]
    assert len(plots) == 4
    heights = [p["b"] - p["t"] for p in plots]
    widths = [p["r"] - p["l"] for p in plots]
    if width < 640:  # a phone: the columns stack, every panel the phone's width
        assert min(heights) >= 200 and min(widths) >= 250, (heights, widths)
        assert all(a["b"] < b["t"] for a, b in zip(plots, plots[1:])), plots  # one under the other
    else:  # side by side, the plots in one row
        assert min(widths) >= 150 and min(heights) >= 200, (heights, widths)
        assert max(p["t"] for p in plots) - min(p["t"] for p in plots) <= 1, plots
    texts = [t for f in figs for t in f["texts"]]
    titles = [t for t in texts if t["text"].startswith("learning_rate=")]
    assert len(titles) == 4, [t["text"] for t in texts]
    # no title, note, epoch label or axis title covers another (the lr 1.1 note covered "epoch 1")
    assert not _overlaps(texts)
    labels = [t for t in texts if t["text"] in ("epoch 1", "epoch 2")]
    assert len(labels) == 2, [t["text"] for t in texts]
    # the diverged note is above the plot, and every text inside its figure (nothing cut at an edge)
    (note,) = [t for t in texts if "leave the chart" in t["text"]]
    assert note["b"] <= plots[3]["t"] + 1, (note, plots[3])
    for f in figs:
        fig = f["fig"]
        assert all(fig["l"] - 1 <= t["l"] and t["r"] <= fig["r"] + 1 for t in f["texts"]), f["texts"]


@pytest.mark.parametrize("width,height", [(390, 844), (1440, 900)])
def test_surface_and_loss_titles_never_collide(server, page, artifacts_dir, width, height):
    _open(page, server, width, height)
    surf = _figure(page, ".st-key-lr_surface_chart .js-plotly-plot")
    loss = _figure(page, ".st-key-lr_loss_chart .js-plotly-plot")
    assert surf and loss
    page.locator(".st-key-lr_loss_chart").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts_dir / f"learning_rate_surface_{width}.png"))
    texts = surf["texts"] + loss["texts"]
    assert any(t["text"] == "Paths on the loss surface" for t in texts)
    assert any(t["text"] == "Loss (mean squared error)" for t in texts)
    assert not _overlaps(texts)
    # the loss axis's title is off the map, and each plot is large enough to read
    (ytitle,) = [t for t in loss["texts"] if t["kind"] == "ytitle"]
    assert not [p for p in surf["plots"] if _meets(ytitle, p)]
    for p in surf["plots"] + loss["plots"]:
        assert p["r"] - p["l"] >= 250 and p["b"] - p["t"] >= 250, p


@pytest.mark.parametrize("width,height,present", [(390, 844, ""), (1440, 900, ""), (1440, 900, "&present=1"),
                                                  (1920, 1080, "&present=1")])
def test_player_panels_are_legible(server, page, artifacts_dir, width, height, present):
    """The player ("Play it, epoch by epoch") draws the fit panels in its own frame: on a phone they stack, each
    large enough to read; at every width, and in presentation mode (fonts ×1.4), no title, note, label or axis
    title covers another, and the controls fit the frame."""
    _open(page, server, width, height, present)
    frame = next(f for f in page.frames if PLAYER_URL.search(f.url))
    m = _figure(frame, ".dp-map")
    loss = _figure(frame, ".dp-loss")
    page.locator("iframe[title='ui.player.race_player']").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts_dir / f"learning_rate_player_panels_{width}{'_present' if present else ''}.png"))
    plots = m["plots"]
    assert len(plots) == 4
    if width < 640:
        assert min(p["b"] - p["t"] for p in plots) >= 180 and min(p["r"] - p["l"] for p in plots) >= 250, plots
    assert not _overlaps(m["texts"]), [t["text"] for t in m["texts"]]
    assert not _overlaps(loss["texts"])
    # every control inside the frame, none on another
    ctrl = frame.evaluate("""() => { const W = document.documentElement.clientWidth;
        return [...document.querySelectorAll('.dp-controls > *')].filter(e => e.getBoundingClientRect().width > 0)
          .map(e => { const b = e.getBoundingClientRect();
                      return {l: b.left, t: b.top, r: b.right, b: b.bottom, text: e.textContent.trim(), W: W}; }); }""")
    assert ctrl and all(c["l"] >= -1 and c["r"] <= c["W"] + 1 for c in ctrl), ctrl
    assert not _overlaps(ctrl)
    # the last epoch's loss markers and tick label are whole, inside the loss chart's plot
    (lp,) = loss["plots"]
    ends = frame.evaluate("""() => [...document.querySelectorAll('.dp-loss .scatterlayer .point')]
        .map(e => { const b = e.getBoundingClientRect(); return {l: b.left, r: b.right}; })""")
    assert ends and all(e["r"] <= lp["r"] + 1 for e in ends), (ends, lp)


def test_export_draws_every_figure_at_its_own_width(browser, tmp_path, artifacts_dir):
    """Seen opening the page's "Figures as HTML" at 1440 px: the fit figure was drawn as wide as the whole row
    (its script ran before the surface figure's box existed) and then cut to half of it, so lr 0.5's and lr 1.1's
    panels were missing. Once the page is laid out, every figure takes its own box's width."""
    from charts import regression as rc
    from tests.helpers import lr_runs, open_offline

    runs, land = lr_runs(40)
    path = tmp_path / "learning_rate.html"
    path.write_text(rc.export_html([rc.fit_figure(runs, land.X[:, 0], land.y), rc.surface_figure(runs, land)],
                                   "Descent Lab: learning rate", "settings"), encoding="utf-8")
    page, refused = open_offline(browser, path)
    try:
        page.wait_for_function("() => document.readyState === 'complete' && document.querySelectorAll('.js-plotly-plot')"
                               ".length === 2 && [...document.querySelectorAll('.js-plotly-plot')].every(g => g._fullLayout)",
                               timeout=60_000)
        # the state: the load handler's resize has been applied (or nothing was ever too wide)
        try:
            page.wait_for_function("() => [...document.querySelectorAll('.js-plotly-plot')].every(g => "
                                   "g._fullLayout.width <= g.getBoundingClientRect().width + 2)", timeout=20_000)
        except Exception:
            pass
        widths = page.evaluate("() => [...document.querySelectorAll('.js-plotly-plot')]"
                               ".map(g => [g._fullLayout.width, g.getBoundingClientRect().width])")
        page.screenshot(path=str(artifacts_dir / "learning_rate_export_1440.png"), full_page=True)
        assert all(drawn <= box + 2 for drawn, box in widths), widths
        fit = _figure(page, ".js-plotly-plot")
        assert len(fit["plots"]) == 4
        assert all(p["r"] <= fit["fig"]["r"] + 1 for p in fit["plots"]), fit["plots"]  # every panel inside its box
        assert not refused
    finally:
        page.context.close()
