"""charts/regression.py: the Learning-rate page's figures, built from real engine runs (no Streamlit)."""
import csv
import re
import io
import json

import numpy as np
import plotly.io as pio
import pytest

import landscapes
import optimizers
from charts import regression as rc
from optimizers.training import train


@pytest.fixture(scope="module")
def land():
    return landscapes.get("regression")


def full_batch_runs(land, lrs, epochs=100):
    runs = []
    for lr in lrs:
        traj = optimizers.run(optimizers.get("GradientDescent", learning_rate=lr), land, steps=epochs, record="path")
        p = traj.path()
        runs.append(rc.LRRun(lr, p, p, traj.loss[:len(p)], traj.diverged_at, epochs))
    return runs


@pytest.fixture(scope="module")
def runs(land):
    return full_batch_runs(land, [0.01, 0.1, 0.5, 1.1])


def test_full_batch_is_the_documents_loop(land):
    """The page's full-batch run is w <- w - lr (2/n) X^T (X w - y) from the document's w0."""
    (run,) = full_batch_runs(land, [0.1], epochs=7)
    w = np.array(land.start)
    expected = [w]
    for _ in range(7):
        w = w - 0.1 * (2 / len(land.y)) * land.X.T @ (land.X @ w - land.y)
        expected.append(w)
    np.testing.assert_allclose(run.epoch_params, expected, rtol=1e-12)


def test_fit_figure_reproduces_the_document(land, runs):
    fig = rc.fit_figure(runs[:3], land.X[:, 0], land.y)
    # one column per learning rate, titled like the document
    titles = [a.text for a in fig.layout.annotations]
    assert titles == ["learning_rate=0.01", "learning_rate=0.1", "learning_rate=0.5"]
    for col, run in enumerate(runs[:3], start=1):
        axis = "x" if col == 1 else f"x{col}"
        traces = [t for t in fig.data if t.xaxis == axis]
        data = [t for t in traces if t.mode == "markers"]
        fades = [t for t in traces if t.mode == "lines" and t.line.color == rc.LINE_COLOR]
        finals = [t for t in traces if t.mode == "lines" and t.line.color == rc.FINAL_COLOR]
        assert len(data) == 1 and len(data[0].x) == 100
        # the first 10 epochs, alpha = 0.1 * (epoch + 1) in the document's 0-based loop
        assert [round(t.opacity, 6) for t in fades] == [round(0.1 * k, 6) for k in range(1, 11)]
        w, b = run.epoch_params[1]
        np.testing.assert_allclose(np.asarray(fades[0].y), [b, w + b])
        (final,) = finals
        w, b = run.epoch_params[-1]
        np.testing.assert_allclose(np.asarray(final.y), [b, w + b])
    # lr 0.5 ends on the least-squares line, lr 0.01 is still far from it
    best = land.minima[0]
    np.testing.assert_allclose(runs[2].epoch_params[-1], best, atol=0.01)
    assert np.abs(runs[0].epoch_params[-1] - best).max() > 0.5


def test_diverged_run_is_labelled_and_cut(land, runs):
    bad = runs[3]
    assert bad.diverged_at is not None and 2 <= bad.diverged_at <= 100
    assert len(bad.loss) == bad.diverged_at == len(bad.epoch_params)
    assert np.all(np.isfinite(bad.epoch_params)) and np.all(np.isfinite(bad.loss))
    fig = rc.fit_figure(runs, land.X[:, 0], land.y)
    assert rc.is_finite_figure(fig)
    texts = [a.text for a in fig.layout.annotations]
    assert any(f"diverged at epoch {bad.diverged_at}" in t for t in texts)
    # no red final line in the diverged column
    finals = [t for t in fig.data if t.xaxis == "x4" and t.line.color == rc.FINAL_COLOR]
    assert finals == []
    # the diverged column's y range reaches the first overshoots, not the explosion ...
    lo, hi = fig.layout.yaxis4.range
    reach = (rc.DIVERGED_REACH + 1) * np.ptp(land.y)
    assert lo > land.y.min() - reach and hi < land.y.max() + reach
    # ... so the panel shows the run up to divergence: lines of the first epochs inside its view, labelled
    lines = [t for t in fig.data if t.xaxis == "x4" and t.mode == "lines"]
    assert len(lines) == bad.diverged_at - 1  # every good epoch (14 here)
    visible = [t for t in lines if max(t.y) >= lo and min(t.y) <= hi]
    assert len(visible) >= 2, "the diverging panel draws nothing"
    labels = [a.text for a in fig.layout.annotations if a.xref == "x4"]
    assert "epoch 1" in labels and "epoch 2" in labels
    assert any("from epoch" in t and "leave the chart" in t for t in texts)
    surf = rc.surface_figure(runs, land)
    assert rc.is_finite_figure(surf)
    names = [t.name for t in surf.data]
    assert f"lr 1.1 (diverged at epoch {bad.diverged_at})" in names
    spec = json.loads(pio.to_json(surf))
    assert "NaN" not in pio.to_json(surf) and "Infinity" not in pio.to_json(surf)
    assert spec["layout"]["yaxis2"]["type"] == "log"


def test_surface_bounds_contain_paths_and_minimum_but_not_the_explosion(land, runs):
    (x0, x1), (y0, y1) = rc.surface_bounds(runs, land)
    inside = lambda P: np.all((P[:, 0] >= x0) & (P[:, 0] <= x1) & (P[:, 1] >= y0) & (P[:, 1] <= y1))
    for r in runs[:3]:
        assert inside(r.path)
    assert inside(land.minima) and inside(land.start[None])
    assert not inside(runs[3].path)  # the diverging path leaves the picture ...
    assert x1 - x0 < 30 and y1 - y0 < 30  # ... and does not zoom everything else out


def test_surface_figure_has_background_minimum_and_log_loss(land, runs):
    fig = rc.surface_figure(runs[:3], land)
    (img,) = fig.layout.images
    assert img.source.startswith("data:image/png;base64,") and img.layer == "below"
    (x0, x1), (y0, y1) = fig.layout.meta["bounds"]
    assert (img.x, img.y, img.sizex, img.sizey) == pytest.approx((x0, y1, x1 - x0, y1 - y0))
    assert list(fig.layout.xaxis.range) == pytest.approx([x0, x1])
    star = [t for t in fig.data if t.name == "least-squares fit"][0]
    assert (star.x[0], star.y[0]) == pytest.approx(tuple(land.minima[0]))
    loss_traces = {t.name: t for t in fig.data if t.xaxis == "x2" and t.mode == "lines"}
    assert sorted(loss_traces) == ["lr 0.01", "lr 0.1", "lr 0.5"]
    np.testing.assert_allclose(np.asarray(loss_traces["lr 0.5"].y), runs[2].loss)
    # legend in the order of the learning rates; small rates drawn last (on top)
    paths = [t for t in fig.data if t.xaxis == "x" and t.showlegend is not False and t.name.startswith("lr ")]
    assert [t.name for t in sorted(paths, key=lambda t: t.legendrank)] == ["lr 0.01", "lr 0.1", "lr 0.5"]
    assert [t.name for t in paths] == ["lr 0.5", "lr 0.1", "lr 0.01"]
    assert fig.layout.yaxis2.type == "log"
    assert len(pio.to_json(fig)) < 1_000_000


def test_mini_batch_runs_draw_every_update(land):
    opts = [optimizers.get("GradientDescent", learning_rate=lr) for lr in (0.1, 0.5)]
    res = train(opts, land, 20, batch_size=10, seed=3)
    loss0 = float(land.loss(land.start))
    runs = [rc.LRRun(lr, r.params, r.path, np.r_[loss0, r.history["eval_loss"]], r.diverged_at, 20)
            for lr, r in zip((0.1, 0.5), res)]
    assert runs[0].path.shape == (201, 2) and runs[0].epoch_params.shape == (21, 2)
    fig = rc.surface_figure(runs, land)
    updates = [t for t in fig.data if (t.name or "").endswith("(updates)")]
    assert [len(t.x) for t in updates] == [201, 201]
    csv_rows = list(csv.DictReader(io.StringIO(rc.runs_csv(runs))))
    assert len(csv_rows) == 42 and float(csv_rows[0]["loss_mse"]) == pytest.approx(loss0)


def test_runs_csv(runs):
    rows = list(csv.DictReader(io.StringIO(rc.runs_csv(runs))))
    assert tuple(rows[0]) == rc.CSV_COLUMNS
    by_lr = {}
    for r in rows:
        by_lr.setdefault(r["learning_rate"], []).append(r)
    assert [len(v) for v in by_lr.values()] == [101, 101, 101, runs[3].diverged_at]
    last = by_lr["0.5"][-1]
    assert int(last["epoch"]) == 100
    assert float(last["slope_w"]) == runs[2].epoch_params[-1][0]
    assert by_lr["1.1"][0]["diverged_at_epoch"] == str(runs[3].diverged_at)
    assert by_lr["0.5"][0]["diverged_at_epoch"] == ""


def test_export_html_is_standalone(land, runs):
    html = rc.export_html([rc.fit_figure(runs, land.X[:, 0], land.y), rc.surface_figure(runs, land)], "LR <demo>")
    assert html.startswith("<!DOCTYPE html>") and "LR &lt;demo&gt;" in html  # the title shown literally
    assert html.count("Plotly.newPlot") == 2
    assert '<script src="http' not in html and len(html) > 1_000_000  # plotly.js embedded once, offline
    assert '"showSendToCloud": false' in html and '"displaylogo": false' in html  # nothing leaves the machine


def test_loss_axis_is_set_by_the_rates_that_did_not_diverge(land, runs):
    """Seen: lr 1.1's loss (1e8) set the loss axis; the rule (charts.common.loss_axis) applies here too."""
    fig = rc.surface_figure(runs, land)
    lo, hi = (10 ** v for v in fig.layout.yaxis2.range)
    for r in runs[:3]:
        assert lo <= r.loss.min() and r.loss.max() <= hi
    assert hi < 1e3 < runs[3].loss.max()  # the diverged curve leaves through the top edge ...
    (mark,) = [a for a in fig.layout.annotations if "diverged at epoch" in (a.text or "") and a.yref == "y2"]
    assert mark.text == f"✖ diverged at epoch {runs[3].diverged_at}"
    assert mark.y == pytest.approx(fig.layout.yaxis2.range[1]) and mark.yanchor == "top"  # ... pinned at the edge


def test_least_squares_label_sits_on_its_line(land, runs):
    """Seen: the "least-squares loss" label floated a decade away from its dashed line (add_hline on a log axis)."""
    fig = rc.surface_figure(runs[:3], land)
    (line,) = [s for s in fig.layout.shapes if s.yref == "y2"]
    assert line.y0 == line.y1 == pytest.approx(land.min_value)
    (label,) = [a for a in fig.layout.annotations if (a.text or "").startswith("least-squares loss")]
    assert label.yref == "y2" and label.y == pytest.approx(np.log10(land.min_value))  # log axes: log10 units
    assert label.yanchor == "bottom"
    lo, hi = fig.layout.yaxis2.range
    assert lo < label.y < hi


def test_start_marker_shows_in_the_legend(land, runs):
    """Seen: the "start w₀" legend entry had no marker (a white ring on the white legend)."""
    fig = rc.surface_figure(runs[:3], land)
    (start,) = [t for t in fig.data if t.name == "start w₀"]
    assert start.showlegend is not False
    assert start.marker.color not in ("white", "#FFFFFF", "#ffffff")


# --------------------------------------------------------------------------- #
# A phone (390 px) as well as a laptop: figures that stack, titles that never collide (issue 13, session 5)   #
# --------------------------------------------------------------------------- #
def _panel_rows(fig):
    """(title annotation, y domain of its panel) per panel of a fit figure."""
    lay = fig.layout
    heads = [a for a in lay.annotations if (a.text or "").startswith(("learning_rate=", "lr "))]
    doms = [lay[f"yaxis{'' if i == 0 else i + 1}"].domain for i in range(len(heads))]
    return heads, doms


def test_fit_panels_one_figure_per_rate_with_aligned_plots(land, runs):
    """Seen at 390 px: four panels in one figure, ~85 px each, their titles running together. One figure per rate
    (the page puts them in columns, which stack on a phone), same height and top margin (plots aligned)."""
    figs = rc.fit_panels(runs, land.X[:, 0], land.y)
    assert len(figs) == len(runs)
    assert len({(f.layout.height, f.layout.margin.t, f.layout.margin.b) for f in figs}) == 1
    for f, r in zip(figs, runs):
        (head,), _ = _panel_rows(f)
        assert head.text.startswith(f"learning_rate={r.lr:g}")
        assert f.layout.showlegend is False  # the page's caption says what dots and lines are
        plot_h = f.layout.height - f.layout.margin.t - f.layout.margin.b
        assert plot_h >= rc.PANEL_PX
        assert {t.xaxis or "x" for t in f.data} == {"x"}
    # the same numbers as the one-figure version
    one = rc.fit_figure(runs, land.X[:, 0], land.y)
    assert sum(len(f.data) for f in figs) == len(one.data)
    np.testing.assert_array_equal(np.asarray(figs[2].data[-1].y), np.asarray([t for t in one.data if t.xaxis == "x3"][-1].y))


@pytest.mark.parametrize("build", ["one", "stacked", "panels"])
def test_diverged_note_is_the_panels_title_never_over_its_lines(land, runs, build):
    """Seen: in the lr 1.1 panel the "the lines leave the chart" note (inside the plot, at its top) covered the
    "epoch 1" label. The note is the panel title's lines now, above the plot, with the margin (or the gap between
    stacked rows) they need at the title's line height; nothing but the epoch labels is drawn inside the plot."""
    x, y = land.X[:, 0], land.y
    fig = {"one": lambda: rc.fit_figure(runs, x, y), "stacked": lambda: rc.fit_figure(runs, x, y, cols=1),
           "panels": lambda: rc.fit_panels(runs, x, y)[3]}[build]()
    heads, doms = _panel_rows(fig)
    (bad,) = [(h, d) for h, d in zip(heads, doms) if "diverged" in h.text]
    head, dom = bad
    assert f"✖ diverged at epoch {runs[3].diverged_at}" in head.text and "leave the chart" in head.text
    assert head.yref == "paper" and head.yanchor == "bottom" and head.y == pytest.approx(dom[1])
    inside = [a.text for a in fig.layout.annotations if "domain" in (a.xref or "") or (a.xref or "paper") != "paper"]
    assert inside and all(re.fullmatch(r"epoch \d+", t) for t in inside), inside
    lines = head.text.count("<br>") + 1
    assert lines >= 3 and max(len(re.sub("<[^>]+>", "", part)) for part in head.text.split("<br>")) <= 24
    need = lines * 16 * 1.3
    from charts.common import TOOLBAR_PX
    assert fig.layout.margin.t - TOOLBAR_PX >= need
    inner = fig.layout.height - fig.layout.margin.t - fig.layout.margin.b
    ordered = sorted(doms, key=lambda d: -d[1])
    for upper, lower in zip(ordered, ordered[1:]):  # stacked rows: the lower title and the upper x axis fit between
        if upper[0] > lower[1]:
            assert (upper[0] - lower[1]) * inner >= need + rc.BELOW_PX - 1


def test_stacked_fit_figure_puts_every_panel_full_width_one_under_the_other(land, runs):
    fig = rc.fit_figure(runs, land.X[:, 0], land.y, cols=1)
    heads, doms = _panel_rows(fig)
    assert len(heads) == len(runs)
    for i in range(len(runs)):
        ax = "" if i == 0 else str(i + 1)
        assert tuple(fig.layout[f"xaxis{ax}"].domain) == pytest.approx((0, 1))
    inner = fig.layout.height - fig.layout.margin.t - fig.layout.margin.b
    assert all((d[1] - d[0]) * inner >= rc.PANEL_PX - 1 for d in doms)
    assert all(a[0] > b[1] for a, b in zip(doms, doms[1:]))  # top to bottom, never overlapping


def test_fit_player_stacks_its_panels_on_a_phone(land, runs):
    """The player's map (the same panels) has a second layout for a frame narrower than NARROW_PX: the same
    traces and annotations (same order: the player rewrites nothing by index), the panels one under the other."""
    spec = rc.fit_player(runs, land.X[:, 0], land.y, floor=land.min_value)
    narrow = spec["narrow"]
    assert narrow["below"] == rc.NARROW_PX >= 500
    wide = spec["map"]["layout"]
    assert [a["text"] for a in narrow["layout"]["annotations"]] == [a["text"] for a in wide["annotations"]]
    assert sorted(k for k in narrow["layout"] if re.fullmatch(r"[xy]axis\d*", k)) == \
        sorted(k for k in wide if re.fullmatch(r"[xy]axis\d*", k))
    tops = [narrow["layout"][f"yaxis{'' if i == 0 else i + 1}"]["domain"] for i in range(len(runs))]
    assert all(a[0] > b[1] for a, b in zip(tops, tops[1:]))
    assert narrow["layout"]["height"] > 2 * wide["height"]
    # its panels are titled like the loss chart's legend ("lr 0.1"): shorter, so they fit the wide row too
    assert [a["text"].split("<br>")[0] for a in wide["annotations"][:len(runs)]] == [r.label for r in runs]
    json.dumps(spec)  # strict JSON still


def test_player_loss_axis_keeps_the_last_epochs_markers_whole(land, runs):
    """Seen at 390 px: the markers at the last epoch were cut in half at the plot's right edge."""
    spec = rc.fit_player(runs, land.X[:, 0], land.y, floor=land.min_value)
    lo, hi = spec["loss"]["layout"]["xaxis"]["range"]
    last = max(max(m for m in r["mx"] if m is not None) for r in spec["runs"])
    assert lo == 0 and hi >= last * 1.02 and hi <= last * 1.05


def test_surface_parts_are_the_two_halves(land, runs):
    """Seen at 390 px: "Paths on the loss surfaLoss (mean squared error" and the loss axis's title on the map. The
    page draws the two halves as two figures (columns: side by side, stacked on a phone)."""
    both = rc.surface_figure(runs, land)
    m = rc.surface_figure(runs, land, part="map")
    loss = rc.surface_figure(runs, land, part="loss")
    assert [a.text for a in m.layout.annotations] == ["Paths on the loss surface"]
    assert "Loss (mean squared error)" in [a.text for a in loss.layout.annotations]
    assert len(m.layout.images) == 1 and not loss.layout.images
    assert m.layout.meta["bounds"] == both.layout.meta["bounds"]
    assert loss.layout.yaxis.type == "log" and m.layout.yaxis.type != "log"
    assert list(loss.layout.yaxis.range) == list(both.layout.yaxis2.range)
    # every trace is in one of them, with the same numbers
    assert len(m.data) + len(loss.data) == len(both.data)
    curves = {t.name: np.asarray(t.y) for t in loss.data}
    for t in both.data:
        if t.xaxis == "x2":
            np.testing.assert_array_equal(curves[t.name], np.asarray(t.y))
    # alone, the loss chart names its curves itself; its ✖ and least-squares label are on its own axis
    assert sorted(t.name for t in loss.data if t.showlegend) == sorted(
        r.label + (f" (diverged at epoch {r.diverged_at})" if r.diverged_at else "") for r in runs)
    marks = [a for a in loss.layout.annotations if "diverged at epoch" in (a.text or "")]
    assert marks and all(a.yref == "y" for a in marks)
    (label,) = [a for a in loss.layout.annotations if (a.text or "").startswith("least-squares loss")]
    assert label.yref == "y" and label.y == pytest.approx(np.log10(land.min_value))
    with pytest.raises(ValueError):
        rc.surface_figure(runs, land, part="both halves")


@pytest.mark.parametrize("n,per_row", [(3, 3), (4, 2), (6, 3)])
def test_fit_player_map_keeps_panels_wide_enough_for_their_titles(land, n, per_row):
    """Seen at 1440 px with six rates: six panels in ~60 % of the row, lr 1.1's "✖ diverged at epoch 15" cut at
    the figure's edge. Four rates: two rows of two; five or six: two rows of three."""
    lrs = [0.01, 0.05, 0.1, 0.3, 0.5, 1.1]
    rs = full_batch_runs(land, lrs[:n - 1] + [1.1], epochs=40)
    lay = rc.fit_player(rs, land.X[:, 0], land.y)["map"]["layout"]
    doms = [tuple(lay[f"xaxis{'' if i == 0 else i + 1}"]["domain"]) for i in range(n)]
    assert len({d[0] for d in doms}) == per_row
    assert min(d[1] - d[0] for d in doms) >= 0.8 / per_row
