"""train() against the straightforward implementation it replaced (tests/reference_training.py).

The fast path (work arrays allocated once, stacked optimizers, lean update
steps, epoch metrics reduced at the end of the epoch) must not change a
single number: histories, parameters, snapshots, decision maps, paths and
divergence epochs are compared bit for bit.
"""

import numpy as np
import pytest

import landscapes
import optimizers
from landscapes.moons import make
from optimizers.training import train
from tests.reference_training import ReferenceMLP, reference_train

# Every optimizer of the article line-up, several sharing a rule (stacked into
# one update), every clipping mode, other flavours, and options that take the
# engine's general update path (EMA, gradient accumulation, a schedule).
LINEUP = [
    ("GradientDescent", {"learning_rate": 0.01}),
    ("SGD", {"learning_rate": 0.01}),
    ("SGD", {"learning_rate": 0.01, "momentum": 0.9}),
    ("SGD", {"learning_rate": 0.01, "momentum": 0.9, "nesterov": True}),
    ("Adagrad", {"learning_rate": 0.01}),
    ("RMSprop", {"learning_rate": 0.01}),
    ("RMSprop", {"learning_rate": 0.01, "momentum": 0.9, "centered": True}),
    ("Adadelta", {}),
    ("Adam", {"learning_rate": 0.01}),
    ("AdamW", {"learning_rate": 0.01, "weight_decay": 0.01}),
    ("Adamax", {}),
    ("Nadam", {"learning_rate": 0.01}),
    ("Lion", {"learning_rate": 0.001}),
    ("Adam", {"learning_rate": 0.05}),                       # stacked with Adam(0.01)
    ("SGD", {"learning_rate": 0.3, "momentum": 0.5}),        # stacked with SGD momentum
    ("Adam", {"learning_rate": 0.002, "epsilon": 1e-4}),
    ("AdamW", {"learning_rate": 0.01, "weight_decay": 0.1}),
    ("Adam", {"learning_rate": 0.01, "clipnorm": 0.1}),      # per-tensor views
    ("Lion", {"learning_rate": 0.001, "global_clipnorm": 0.5}),
    ("Lion", {"learning_rate": 0.003, "global_clipnorm": 0.5}),
    ("RMSprop", {"learning_rate": 0.01, "clipvalue": 0.01}),
    ("SGD", {"learning_rate": 0.01, "momentum": 0.9, "flavor": "pytorch"}),
    ("Nadam", {"learning_rate": 0.02, "flavor": "textbook"}),
    ("Adam", {"learning_rate": 0.01, "use_ema": True, "ema_overwrite_frequency": 3}),
    ("SGD", {"learning_rate": 0.01, "gradient_accumulation_steps": 2}),
    ("Adam", {"learning_rate": optimizers.schedules.ExponentialDecay(0.01, 20, 0.5)}),
    ("Lion", {"learning_rate": 1e7}),                        # diverges in epoch 6
    ("Lion", {"learning_rate": 3e7}),                        # diverges in epoch 2
]


def make_lineup():
    return [optimizers.get(name, **kwargs) for name, kwargs in LINEUP]


def assert_same_runs(new, ref):
    assert len(new) == len(ref)
    for i, (a, b) in enumerate(zip(new, ref)):
        label = f"run {i}: {a.optimizer['name']} {a.optimizer['config']}"
        assert a.history.keys() == b.history.keys(), label
        for key in b.history:
            np.testing.assert_array_equal(a.history[key], b.history[key], err_msg=f"{label} {key}")
        np.testing.assert_array_equal(a.final_params, b.final_params, err_msg=label)
        np.testing.assert_array_equal(a.params, b.params, err_msg=label)
        assert (a.diverged_at, a.steps, a.epochs_run) == (b.diverged_at, b.steps, b.epochs_run), label
        assert sorted(a.snapshots) == sorted(b.snapshots) and sorted(a.boundaries) == sorted(b.boundaries)
        for epoch in b.snapshots:
            np.testing.assert_array_equal(a.snapshots[epoch], b.snapshots[epoch], err_msg=label)
        for epoch in b.boundaries:
            np.testing.assert_array_equal(a.boundaries[epoch], b.boundaries[epoch], err_msg=label)
        if b.path is None:
            assert a.path is None
        else:
            np.testing.assert_array_equal(a.path, b.path, err_msg=label)


@pytest.fixture(scope="module")
def moons():
    return make()


@pytest.mark.parametrize("batch_size", [32, 7, 300])
def test_side_by_side_matches_the_reference_bit_for_bit(moons, batch_size):
    epochs = 8 if batch_size != 7 else 3
    new = train(make_lineup(), moons, epochs, batch_size=batch_size, seed=3, boundary_epochs=[0, 2, epochs])
    ref = reference_train(make_lineup(), moons, epochs, batch_size=batch_size, seed=3,
                          boundary_epochs=[0, 2, epochs])
    assert_same_runs(new, ref)
    if batch_size == 32:     # the two Lions did diverge, at different epochs, in one stacked group
        assert (new[-2].diverged_at, new[-1].diverged_at) == (6, 2)
        assert all(r.diverged_at is None for r in new[:-2])


def test_one_network_matches_the_reference_bit_for_bit(moons):
    new = train(optimizers.get("SGD", learning_rate=0.01), moons, 40, seed=2)
    ref = reference_train(optimizers.get("SGD", learning_rate=0.01), moons, 40, seed=2)
    assert_same_runs([new], [ref])
    assert new.history["loss"][-1] < new.history["loss"][0]


def test_other_network_shapes_and_validation_data():
    task = make(n_samples=101, hidden=(5, 7, 3), validation_split=0.2, noise=0.2)
    lineup = [optimizers.get("adam", learning_rate=0.02), optimizers.get("adam", learning_rate=0.005),
              optimizers.get("sgd", learning_rate=0.1, momentum=0.9)]
    new = train(lineup, task, 6, batch_size=16, seed=1)
    ref = reference_train([optimizers.get(o.name, **o.config) for o in lineup], task, 6, batch_size=16, seed=1)
    assert_same_runs(new, ref)
    assert "val_loss" in new[0].history


@pytest.mark.parametrize("poison", ["nan", "huge"])
def test_a_bad_start_diverges_at_once_like_the_reference(moons, poison):
    start = moons.init_params(0)
    if poison == "nan":
        start[7] = np.nan
    else:
        start *= 1e12
    new = train(["adam", "sgd"], moons, 2, start=start)
    ref = reference_train(["adam", "sgd"], moons, 2, start=start)
    for a, b in zip(new, ref):
        assert a.diverged_at == b.diverged_at == 1 and a.steps == b.steps == 0
        np.testing.assert_array_equal(a.final_params, b.final_params)


def test_generic_landscapes_match_the_reference():
    # The learning-rate page: one optimizer at many rates on the regression
    # (some diverge), the generic per-batch path with stacked updates.
    reg = landscapes.get("regression")
    lrs = [0.01, 0.1, 0.5, 1.0, 1.5, 3.0]

    def lineup():
        return ([optimizers.get("sgd", learning_rate=lr) for lr in lrs]
                + [optimizers.get("adam", learning_rate=lr) for lr in lrs])

    new = train(lineup(), reg, 40, batch_size=10, seed=2)
    ref = reference_train(lineup(), reg, 40, batch_size=10, seed=2)
    assert_same_runs(new, ref)
    assert any(r.diverged_at for r in new) and not all(r.diverged_at for r in new)


def test_the_reference_mlp_is_the_task(moons):
    # The reference keeps its own copy of the old MLP code; check it is
    # still the task's maths on a few batches (and so a fair reference).
    ref = ReferenceMLP(moons)
    theta = moons.init_params(4, n_models=3)
    theta[2] *= 6.0                       # saturated: the loss's clip is active for some samples
    clipped = ref.true_class_prob(ref.forward(theta[2], ref.X1)[0], ref.y)
    assert 0 < np.sum(clipped[0] != clipped[1]) < 300
    for idx in (np.arange(32), np.array([5]), np.arange(300)):
        for a, b in zip(moons.loss_grad_accuracy(theta, idx), ref.loss_grad_accuracy(theta, idx)):
            np.testing.assert_array_equal(a, b)
    for a, b in zip(moons.evaluate(theta), ref.evaluate(theta)):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(moons.boundary(theta, n=23), ref.boundary(theta, n=23)):
        np.testing.assert_array_equal(a, b)


def test_optimizers_sharing_a_rule_update_in_one_call(moons, monkeypatch):
    # Eight learning rates of Adam and two of SGD with momentum: two rule
    # calls per batch (one per stacked group), not ten.
    from optimizers.adam import Adam
    from optimizers.sgd import SGD
    calls = []
    for cls in (Adam, SGD):
        rule = cls._rule

        def counting(self, g, *args, _rule=rule):
            calls.append(g.shape)
            return _rule(self, g, *args)
        monkeypatch.setattr(cls, "_rule", counting)
    lineup = ([optimizers.get("adam", learning_rate=lr) for lr in np.geomspace(1e-3, 1e-1, 8)]
              + [optimizers.get("sgd", learning_rate=lr, momentum=0.9) for lr in (0.01, 0.1)])
    train(lineup, moons, 1)
    assert sorted(calls) == sorted([(8, moons.n_params), (2, moons.n_params)] * 10)


def test_evaluate_false_skips_only_the_full_data_pass(moons):
    lineup = lambda: [optimizers.get("adam", learning_rate=0.01), optimizers.get("sgd")]  # noqa: E731
    full = train(lineup(), moons, 4, seed=1)
    lean = train(lineup(), moons, 4, seed=1, evaluate=False)
    reg = landscapes.get("regression")
    lean_reg = train(lineup(), reg, 3, batch_size=10, evaluate=False)
    assert set(lean_reg[0].history) == {"loss"}
    for a, b in zip(full, lean):
        assert set(a.history) - set(b.history) == {"eval_loss", "eval_accuracy"}
        for key in b.history:
            np.testing.assert_array_equal(a.history[key], b.history[key])
        np.testing.assert_array_equal(a.final_params, b.final_params)


def test_the_article_lineup_is_eight_updates_per_batch(moons, monkeypatch):
    # GradientDescent, SGD and SGD momentum share one update (SGD's momentum
    # rule with μ = 0 for the first two), Adam and AdamW another (Keras's AdamW
    # is Adam with weight decay; 0 for Adam); the other six are alone.
    from optimizers.stacking import Stepper
    rows = []
    step = Stepper.step

    def counting(self, g, w):
        rows.append(1 if np.ndim(w) == 1 else len(w))
        return step(self, g, w)
    monkeypatch.setattr(Stepper, "step", counting)
    names = [(n, kw) for n, kw in LINEUP[:13] if n not in ("Adadelta", "Adamax")]
    assert len(names) == 11
    train([optimizers.get(n, **kw) for n, kw in names], moons, 1)
    assert len(rows) == 8 * 10 and sorted(rows[:8]) == [1, 1, 1, 1, 1, 1, 2, 3]
