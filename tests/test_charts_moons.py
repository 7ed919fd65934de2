"""charts/moons.py: the Moons page's figures (no Streamlit), from synthetic runs and one real short training."""
import csv
import io
import json

import numpy as np
import plotly.io as pio
import pytest

import landscapes
import optimizers
from charts import moons as mc
from optimizers.training import train
from tests.helpers import decode

N = 50
XS, YS = np.linspace(-2, 3, N), np.linspace(-1.5, 2, N)




def fake_run(i, epochs=40, diverged_at=None, seed=0):
    rng = np.random.default_rng(seed + i)
    done = epochs if diverged_at is None else diverged_at - 1
    eps = np.array([e for e in mc.snapshot_epochs(epochs) if e <= done])
    maps = rng.uniform(0, 1, (len(eps), N, N)).astype(np.float32)
    maps[:, 0, 0] = eps  # tag each map with its epoch (values > 1 are fine for the test)
    hist = {"loss": np.geomspace(0.7, 0.01 * (i + 1), done), "accuracy": np.linspace(0.5, 1, done),
            "eval_loss": np.geomspace(0.6, 0.01, done), "eval_accuracy": np.linspace(0.6, 1, done)}
    return mc.MoonsRun(f"Opt{i} (lr 0.01)", "Adam", hist, epochs, eps, maps, diverged_at)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(1)
    return rng.normal(size=(300, 2)), rng.integers(0, 2, 300)


def test_snapshot_epochs():
    assert mc.snapshot_epochs(100) == list(range(0, 101, 5))
    assert mc.snapshot_epochs(3) == [0, 1, 2, 3]
    assert mc.snapshot_epochs(2000)[:3] == [0, 100, 200] and len(mc.snapshot_epochs(2000)) == 21
    assert mc.thin(list(range(21)), 5) == [0, 5, 10, 15, 20]


def test_boundary_figure_frames_carry_the_maps(data):
    runs = [fake_run(i) for i in range(3)]
    fig = mc.boundary_figure(runs, *data, (XS, YS))
    heat = fig["layout"]["meta"]["heatmaps"]
    assert [fig["data"][i]["type"] for i in heat] == ["heatmap"] * 3
    others = [t for i, t in enumerate(fig["data"]) if i not in heat]
    assert {t["type"] for t in others} == {"scatter"}  # the data points: static, in no frame
    assert [f["name"] for f in fig["frames"]] == [str(e) for e in mc.snapshot_epochs(40)]
    for f in fig["frames"]:
        assert f["traces"] == heat and [d["type"] for d in f["data"]] == ["heatmap"] * 3
        for d, r in zip(f["data"], runs):
            z = decode(d["z"])
            assert z.dtype == np.float32 and z.shape == (N, N)
            assert z[0, 0] == int(f["name"])  # the map of that very epoch
    # at rest the figure shows the last epoch, and the slider sits there
    assert decode(fig["data"][heat[0]]["z"])[0, 0] == 40
    slider = fig["layout"]["sliders"][0]
    assert slider["active"] == len(slider["steps"]) - 1 and slider["steps"][-1]["label"] == "40"
    play = fig["layout"]["updatemenus"][0]["buttons"][0]
    assert play["args"][1]["frame"]["redraw"] is True  # heatmaps need a redraw to animate


def test_diverged_run_holds_its_last_map_and_is_labelled(data):
    runs = [fake_run(0), fake_run(1, diverged_at=13)]
    fig = mc.boundary_figure(runs, *data, (XS, YS))
    last = fig["frames"][-1]["data"][1]
    assert decode(last["z"])[0, 0] == 12  # snapshot at epoch 12 (every 2nd epoch), the last before 13
    titles = " ".join(a["text"] for a in fig["layout"]["annotations"])
    assert "diverged at epoch 13" in titles
    text = pio.to_json(fig, validate=False)
    assert "NaN" not in text and "Infinity" not in text
    loss = mc.loss_figure(runs)
    names = [t.name for t in loss.data]
    assert "Opt1 (lr 0.01) (diverged at epoch 13)" in names
    assert len(loss.data[names.index("Opt1 (lr 0.01) (diverged at epoch 13)")].x) == 12


def test_eight_optimizers_stay_within_three_megabytes(data):
    runs = [fake_run(i, epochs=2000) for i in range(8)]
    fig = mc.boundary_figure(runs, *data, (XS, YS))
    size = len(pio.to_json(fig, validate=False))  # what Streamlit sends
    assert size <= 3_000_000
    n = len(fig["frames"])
    assert 11 <= n <= 21  # a regular stride keeps at least every other snapshot
    # thinning keeps the first and last epoch and the slider agrees with the frames
    names = [f["name"] for f in fig["frames"]]
    assert names[0] == "0" and names[-1] == "2000"
    assert len(set(np.diff([int(e) for e in names]).tolist())) == 1  # ticks at a regular stride
    assert [s["label"] for s in fig["layout"]["sliders"][0]["steps"]] == names
    # a single optimizer keeps every snapshot
    assert len(mc.boundary_figure(runs[:1], *data, (XS, YS))["frames"]) == 21


def test_loss_figure_log_option():
    runs = [fake_run(i) for i in range(4)]
    log = mc.loss_figure(runs, log=True)
    lin = mc.loss_figure(runs, log=False)
    assert log.layout.yaxis.type == "log" and lin.layout.yaxis.type == "linear"
    assert [t.name for t in log.data] == [r.label for r in runs]
    np.testing.assert_allclose(lin.data[2].y, runs[2].history["loss"])
    assert list(lin.data[0].x) == list(range(1, 41))
    assert len({t.line.color for t in log.data}) == 4


def test_a_run_keeps_its_own_colour():
    """A page that removes an optimizer keeps the others' colours: MoonsRun.color wins over the position."""
    runs = [fake_run(i) for i in range(3)]
    assert [t.line.color for t in mc.loss_figure(runs).data] == mc.COLORS[:3]
    runs[0].color, runs[2].color = "#123456", "#abcdef"
    assert [t.line.color for t in mc.loss_figure(runs).data] == ["#123456", mc.COLORS[1], "#abcdef"]
    multiples = mc.multiples_figure(runs)
    assert [t.line.color for t in multiples.data] == ["#123456"] * 2 + [mc.COLORS[1]] * 2 + ["#abcdef"] * 2


def test_multiples_share_scales():
    runs = [fake_run(i) for i in range(6)]
    fig = mc.multiples_figure(runs, log=True)
    loss = [t for t in fig.data if t.line.dash is None]
    acc = [t for t in fig.data if t.line.dash == "dot"]
    assert len(loss) == len(acc) == 6
    first = loss[0].yaxis
    for t in loss[1:]:
        assert fig.layout["yaxis" + t.yaxis[1:]].matches == first
    lo = min(r.history["loss"].min() for r in runs)
    for t in loss:
        ax = fig.layout["yaxis" + t.yaxis[1:]]
        assert ax.type == "log"
        assert ax.range[0] < np.log10(lo) and ax.range[1] > np.log10(0.7)  # every curve fits, same scale
        assert ax.range[1] < np.log10(0.7) + 0.5
    for t in acc:
        assert tuple(fig.layout["yaxis" + t.yaxis[1:]].range) == (0, 1.05)
    titles = [a.text for a in fig.layout.annotations]
    assert [r.label for r in runs] == [t for t in titles if t]


def test_histories_csv():
    runs = [fake_run(0, epochs=5), fake_run(1, epochs=5, diverged_at=3)]
    rows = list(csv.DictReader(io.StringIO(mc.histories_csv(runs))))
    assert tuple(rows[0]) == mc.CSV_COLUMNS
    assert len(rows) == 5 + 2
    assert rows[0]["optimizer"] == "Opt0 (lr 0.01)" and rows[0]["epoch"] == "1"
    assert float(rows[4]["loss"]) == runs[0].history["loss"][4]
    assert rows[-1]["diverged_at_epoch"] == "3" and rows[0]["diverged_at_epoch"] == ""


def test_real_training_end_to_end():
    """A real (short) training through the page's pipeline: maps are probabilities, frames decode."""
    task = landscapes.get("moons", n_samples=100, noise=0.1, data_seed=42, hidden=(8, 8), validation_split=0.0)
    opts = [optimizers.get("Adam", learning_rate=0.01), optimizers.get("SGD", learning_rate=5e3)]
    res = train(opts, task, 6, batch_size=32, seed=0, boundary_epochs=mc.snapshot_epochs(6))
    runs = []
    for o, r in zip(opts, res):
        eps = sorted(r.snapshots)
        xs, ys, maps = task.boundary(np.stack([r.snapshots[e] for e in eps]), n=N)
        runs.append(mc.MoonsRun(o.name, o.name, r.history, 6, np.array(eps), maps.astype(np.float32), r.diverged_at))
    fig = mc.boundary_figure(runs, task.X, task.y, (xs, ys))
    z = decode(fig["frames"][-1]["data"][0]["z"])
    assert np.all((z >= 0) & (z <= 1)) and z.min() < 0.5 < z.max()  # Adam separates the classes
    assert fig["layout"]["xaxis"]["range"] == pytest.approx([xs[0], xs[-1]])
    json.loads(pio.to_json(fig, validate=False))
    for f in (mc.loss_figure(runs), mc.multiples_figure(runs)):
        assert "NaN" not in pio.to_json(f)
