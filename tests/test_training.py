"""train(): Keras-fit-style mini-batch training, one or many optimizers at once."""

import warnings

import numpy as np
import pytest

import optimizers
from landscapes.moons import make
from optimizers.training import TrainResult, train


@pytest.fixture(scope="module")
def moons():
    return make()


class LineFit:
    """A tiny least-squares landscape with params (a, b): y ~ a x + b.

    Stands in for the app's regression landscape (same duck type: params of
    shape (..., 2), ``start``, ``n_samples``, ``loss_and_grad(theta, idx)``)."""

    def __init__(self, n=50, seed=0):
        rng = np.random.default_rng(seed)
        self.x = rng.uniform(-2, 2, n)
        self.t = 1.5 * self.x - 0.5 + rng.normal(0, 0.3, n)
        self.n_samples = n
        self.start = np.array([-2.0, 2.0])
        self.batch_sizes = []

    def loss_and_grad(self, theta, idx):
        self.batch_sizes.append(len(idx))
        x, t = self.x[idx], self.t[idx]
        r = theta[..., :1] * x + theta[..., 1:] - t           # residuals (..., B)
        grad = np.stack([(r * x).mean(-1), r.mean(-1)], axis=-1)
        return 0.5 * (r ** 2).mean(-1), grad

    def optimum(self):
        A = np.column_stack([self.x, np.ones_like(self.x)])
        return np.linalg.lstsq(A, self.t, rcond=None)[0]


class Spy:
    """Wraps an engine optimizer and records what it is handed."""

    def __init__(self, opt):
        self.opt, self.seen = opt, []
        self.name, self.flavor, self.config, self.clipnorm = opt.name, opt.flavor, opt.config, opt.clipnorm

    def init(self, params):
        return self.opt.init(params)

    def update(self, grads, state, params):
        self.seen.append(params)
        return self.opt.update(grads, state, params)


def test_adam_matches_the_keras_band(moons):
    # Keras 3.15.1 over seeds: Adam(0.01), 100 epochs -> loss <= 3e-4, accuracy 1.
    for seed in (0, 1, 2):
        res = train(optimizers.get("adam", learning_rate=0.01), moons, 100, seed=seed)
        assert isinstance(res, TrainResult)
        assert res.history["loss"].shape == (100,)
        assert res.history["loss"][-1] <= 3e-4
        assert res.history["accuracy"][-1] == 1.0
        assert res.history["eval_accuracy"][-1] == 1.0


def test_sgd_800_epochs_matches_the_keras_band(moons):
    # Keras 3.15.1 over seeds: SGD(0.01), 800 epochs -> loss in [0.003, 0.012].
    res = train(optimizers.get("sgd", learning_rate=0.01), moons, 800, seed=1)
    assert 0.003 <= res.history["loss"][-1] <= 0.012
    assert res.history["accuracy"][-1] == 1.0
    assert res.steps == 800 * 10
    # Only the final params are kept for a network (not one per epoch).
    assert res.params.shape == (moons.n_params,) and res.path is None


# Keras 3.15.1 (jax backend), given OUR initial weights (init_params(0)) and
# OUR batch order (seed 0) through set_weights + one train_on_batch per batch:
# per-epoch losses of the first 5 epochs (bench/bench_moons.py, part (c)).
KERAS_SAME_START = [  # (optimizer, learning_rate, other arguments), epoch losses
    ("SGD", 0.01, {}, [0.63198088, 0.60379189, 0.58005657, 0.55845709, 0.5389475]),
    ("SGD", 0.01, {"momentum": 0.9},
     [0.61025423, 0.48888708, 0.38817824, 0.32153631, 0.28990469]),
    ("SGD", 0.01, {"momentum": 0.9, "nesterov": True},
     [0.60333487, 0.47883382, 0.38073445, 0.31781945, 0.28765022]),
    ("Adagrad", 0.01, {}, [0.61065522, 0.54915846, 0.50404167, 0.46747613, 0.4363557]),
    ("RMSprop", 0.01, {}, [0.38120431, 0.2615085, 0.21986182, 0.19455438, 0.17579566]),
    ("RMSprop", 0.01, {"momentum": 0.9, "centered": True},
     [0.70926961, 0.86269747, 0.32430729, 0.30631902, 0.19078691]),
    ("Adadelta", 0.001, {}, [0.64446258, 0.64436179, 0.64426167, 0.64416081, 0.64405984]),
    ("Adam", 0.01, {}, [0.45528918, 0.28702601, 0.25635781, 0.21135956, 0.19024494]),
    ("AdamW", 0.01, {"weight_decay": 0.01},
     [0.45549677, 0.28719443, 0.25622345, 0.21124279, 0.18970948]),
    ("Adamax", 0.001, {}, [0.62179166, 0.58360102, 0.55176702, 0.52344147, 0.49957415]),
    ("Nadam", 0.01, {}, [0.47644911, 0.29693064, 0.24453575, 0.21223248, 0.17817053]),
    ("Lion", 0.001, {}, [0.61701555, 0.5591449, 0.50422384, 0.45501589, 0.41284977]),
]


def test_same_start_same_batches_as_keras(moons):
    # Everything at once: data, init, batch order, loss, backprop, optimizer
    # rules and the epoch-loss bookkeeping. Keras is float32: rtol 1e-5.
    opts = [optimizers.get(name, learning_rate=lr, **kw) for name, lr, kw, _ in KERAS_SAME_START]
    results = train(opts, moons, 5, seed=0)
    for (name, lr, kw, expected), res in zip(KERAS_SAME_START, results):
        np.testing.assert_allclose(res.history["loss"], expected, rtol=1e-5,
                                   err_msg=f"{name} {kw}")


def test_side_by_side_equals_each_alone(moons):
    def make_opts():
        return [optimizers.get("sgd", learning_rate=0.05, momentum=0.9),
                optimizers.get("adam", learning_rate=0.01),
                optimizers.get("rmsprop", learning_rate=0.01, clipnorm=0.1),
                optimizers.get("lion", learning_rate=0.001, global_clipnorm=0.5),
                optimizers.get("adagrad", learning_rate=0.05, flavor="textbook")]

    together = train(make_opts(), moons, 15, seed=4, boundary_epochs=[0, 15])
    assert isinstance(together, list) and len(together) == 5
    for opt, res in zip(make_opts(), together):
        alone = train(opt, moons, 15, seed=4)
        np.testing.assert_allclose(res.final_params, alone.final_params, rtol=0, atol=1e-12)
        for key in alone.history:
            np.testing.assert_allclose(res.history[key], alone.history[key], rtol=0, atol=1e-12)
        # (Bitwise equal in practice; 1e-12 leaves room for another BLAS.)
        # Same start for everyone, and a different end for everyone.
        np.testing.assert_array_equal(res.snapshots[0], together[0].snapshots[0])
    assert len({r.final_params.tobytes() for r in together}) == 5
    assert together[2].optimizer["name"] == "RMSprop"
    assert together[2].optimizer["config"]["clipnorm"] == 0.1


def test_clipnorm_gets_per_tensor_views(moons):
    plain = Spy(optimizers.get("adam", learning_rate=0.01))
    clipped = Spy(optimizers.get("adam", learning_rate=0.01, clipnorm=0.01))
    res_plain, res_clip = train([plain, clipped], moons, 1)
    assert isinstance(plain.seen[0], np.ndarray) and plain.seen[0].shape == (moons.n_params,)
    assert [t.shape for t in clipped.seen[0]] == moons.shapes
    # Per-variable clipping by a tiny norm really changes the trajectory.
    assert not np.allclose(res_plain.final_params, res_clip.final_params)


def test_batches_and_epoch_loss_are_keras_like():
    land = LineFit(n=10)
    res = train(optimizers.get("sgd", learning_rate=0.0), land, epochs=3, batch_size=4)
    # Full batches then a smaller last one; eval calls use all 10 samples.
    assert [b for b in land.batch_sizes if b != 10] == [4, 4, 2] * 3
    assert res.steps == 9 and res.epochs_run == 3
    # With lr = 0 every epoch's loss must equal the full-data loss exactly when
    # batch losses are weighted by batch size (an unweighted mean would not).
    full = land.loss_and_grad(land.start, np.arange(10))[0]
    np.testing.assert_allclose(res.history["loss"], full, rtol=1e-14)
    np.testing.assert_allclose(res.history["eval_loss"], full, rtol=1e-14)
    assert "accuracy" not in res.history


def test_every_epoch_is_a_permutation_and_seeded(moons):
    class Recorder(LineFit):
        def __init__(self):
            super().__init__(n=23)
            self.indices = []

        def loss_and_grad(self, theta, idx):
            self.indices.append(np.array(idx))
            return super().loss_and_grad(theta, idx)

    runs = []
    for _ in range(2):
        land = Recorder()
        train(optimizers.get("sgd"), land, epochs=2, batch_size=5, seed=9)
        batches = [i for i in land.indices if len(i) != 23]
        epoch1 = np.concatenate(batches[:5])
        assert sorted(epoch1) == list(range(23))
        runs.append(np.concatenate(batches))
    np.testing.assert_array_equal(runs[0], runs[1])


def test_callback_stops_training(moons):
    seen = []

    def callback(epoch, logs):
        seen.append((epoch, sorted(logs)))
        return epoch < 3

    res = train(optimizers.get("adam", learning_rate=0.01), moons, 50, callback=callback)
    assert [e for e, _ in seen] == [1, 2, 3]
    assert seen[0][1] == ["accuracy", "eval_accuracy", "eval_loss", "loss"]
    assert res.epochs_run == 3 and res.stopped_early and len(res.history["loss"]) == 3
    assert not res.snapshots  # no snapshots asked, none stored


def test_a_stopped_training_snapshots_its_last_epoch(moons):
    # Stopped after epoch 7 with snapshots every 5 epochs: the maps are of epochs 0, 5 and 7 (what was trained),
    # and epoch 7's params are the final ones; a stop on a snapshot epoch stores nothing twice.
    opt = lambda: optimizers.get("adam", learning_rate=0.01)  # noqa: E731
    res = train(opt(), moons, 50, boundary_epochs=range(0, 51, 5), callback=lambda e, logs: e < 7)
    assert sorted(res.snapshots) == sorted(res.boundaries) == [0, 5, 7]
    np.testing.assert_array_equal(res.snapshots[7], res.final_params)
    full = train(opt(), moons, 7, boundary_epochs=[0, 5, 7])
    np.testing.assert_array_equal(res.boundaries[7], full.boundaries[7])
    res = train(opt(), moons, 50, boundary_epochs=range(0, 51, 5), callback=lambda e, logs: e < 10)
    assert sorted(res.snapshots) == [0, 5, 10]

    lists = []
    train([optimizers.get("sgd"), optimizers.get("adam")], moons, 2,
          callback=lambda epoch, logs: lists.append(logs))
    assert len(lists) == 2 and len(lists[0]) == 2 and "loss" in lists[0][1]


def test_regression_reaches_least_squares_optimum():
    land = LineFit(n=50)
    res = train(optimizers.get("sgd", learning_rate=0.5), land, epochs=100, batch_size=50)
    np.testing.assert_allclose(res.final_params, land.optimum(), atol=1e-6)
    # 2-D landscapes keep the params after every epoch and every step.
    assert res.params.shape == (101, 2) and res.path.shape == (101, 2)
    np.testing.assert_array_equal(res.params[0], land.start)
    # Mini-batches of 8: 7 steps per epoch; Adam ends near the optimum too.
    res = train(optimizers.get("adam", learning_rate=0.02), land, epochs=100, batch_size=8)
    assert res.path.shape == (100 * 7 + 1, 2) and res.params.shape == (101, 2)
    np.testing.assert_allclose(res.final_params, land.optimum(), atol=0.03)


def test_the_app_regression_landscape_reaches_its_least_squares_fit():
    landscapes = pytest.importorskip("landscapes")
    try:
        land = landscapes.get("regression")
    except (AttributeError, ValueError):
        pytest.skip("no regression landscape registered yet")
    best = land.minima[0]
    # Full batches: plain gradient descent, converges to the lstsq solution.
    res = train(optimizers.get("sgd", learning_rate=0.5), land, epochs=500,
                batch_size=land.n_samples)
    np.testing.assert_allclose(res.final_params, best, atol=1e-6)
    np.testing.assert_array_equal(res.path[0], land.start)
    # Mini-batches of 32 (4 per epoch, the last of 4 samples): noisy but close.
    res = train(optimizers.get("sgd", learning_rate=0.1), land, epochs=300)
    assert res.path.shape == (300 * 4 + 1, 2) and res.params.shape == (301, 2)
    np.testing.assert_allclose(res.final_params, best, atol=0.05)
    assert res.history["eval_loss"][-1] < 1.5 * land.min_value + 1e-3


def test_divergence_is_caught_cleanly():
    land = LineFit(n=50)
    good = optimizers.get("sgd", learning_rate=0.1)
    bad = optimizers.get("sgd", learning_rate=50.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")              # no numpy overflow warnings
        res_good, res_bad = train([good, bad], land, epochs=200, batch_size=10)
    assert res_bad.diverged_at is not None and res_good.diverged_at is None
    assert np.all(np.isfinite(res_bad.path)) and np.all(np.isfinite(res_bad.final_params))
    assert len(res_bad.history["loss"]) == res_bad.epochs_run == res_bad.diverged_at - 1
    assert res_bad.params.shape == (res_bad.epochs_run + 1, 2)
    assert res_good.epochs_run == 200
    np.testing.assert_allclose(res_good.final_params, land.optimum(), atol=0.1)


def test_boundaries_and_validation(moons):
    task = make(validation_split=0.2)
    res = train(optimizers.get("adam", learning_rate=0.01), task, 4, boundary_epochs=[0, 2, 4, 99])
    assert sorted(res.boundaries) == sorted(res.snapshots) == [0, 2, 4]
    xs, ys = res.boundary_xy
    assert res.boundaries[2].shape == (len(ys), len(xs))
    np.testing.assert_array_equal(res.boundaries[0], task.boundary(task.init_params(0))[2])
    np.testing.assert_array_equal(res.snapshots[4], res.final_params)
    assert set(res.history) == {"loss", "accuracy", "eval_loss", "eval_accuracy",
                                "val_loss", "val_accuracy"}
    assert res.steps == 4 * 8                      # 240 training samples / 32


def test_optimizer_names_and_bad_arguments(moons):
    res = train("adam", moons, 1)
    assert res.optimizer["name"] == "Adam" and res.optimizer["flavor"] == "keras"
    with pytest.raises(ValueError):
        train("adam", moons, -1)
    with pytest.raises(ValueError):
        train("adam", moons, 1, batch_size=0)
    with pytest.raises(ValueError):
        train([], moons, 1)


def test_full_batch_training_reports_divergence_like_the_runner():
    """The learning-rate page shows full batch via run() and mini-batches via train(): with the whole data
    as one batch both must call the same learning rate diverged at the same epoch."""
    import landscapes
    reg = landscapes.get("regression")
    for lr in (0.5, 1.1, 1.5):
        t = optimizers.run(optimizers.get("gradient_descent", learning_rate=lr), reg, steps=100)
        r = optimizers.train(optimizers.get("gradient_descent", learning_rate=lr), reg, 100,
                             batch_size=reg.n_samples, seed=0)
        assert r.diverged_at == t.diverged_at, (lr, r.diverged_at, t.diverged_at)
    assert t.diverged_at is not None  # lr 1.5 does diverge
