"""optimizers/stacking.py: the lean Stepper equals Optimizer.update, and a stack of optimizers
equals each optimizer on its own row, bit for bit."""

import numpy as np
import pytest

import optimizers
from optimizers.stacking import Stepper, stack, stack_key

RNG = np.random.default_rng(7)
W0 = RNG.normal(size=(3, 40))
W0[:, :4] = 0.0                                      # exact zeros (biases start at 0)
GRADS = RNG.normal(size=(25, 3, 40)) * np.geomspace(1e-6, 10, 25)[:, None, None]
GRADS[5, 1, :7] = 0.0                                # exact zeros (Adamax, Lion's sign)

OPTIONS = [{}, {"weight_decay": 0.01}, {"clipnorm": 0.3}, {"global_clipnorm": 0.5}, {"clipvalue": 0.2}]


def configs():
    for cls in optimizers.CLASSES:
        for flavor in cls.flavors():
            if cls.name == "Muon" and flavor == "pytorch":
                continue                                   # torch's Muon takes matrices only (tested elsewhere)
            for options in OPTIONS:
                kwargs = dict(options)
                if flavor == "textbook" and cls.name == "Adadelta":
                    pass                                   # the paper's rule has no learning rate
                else:
                    kwargs["learning_rate"] = 0.01
                yield pytest.param(cls.name, flavor, kwargs, id=f"{cls.name}-{flavor}-{sorted(options)}")
    yield pytest.param("SGD", "keras", {"momentum": 0.9, "nesterov": True}, id="SGD-nesterov")
    yield pytest.param("SGD", "pytorch", {"momentum": 0.9, "dampening": 0.1}, id="SGD-torch-dampening")
    yield pytest.param("RMSprop", "keras", {"momentum": 0.9, "centered": True}, id="RMSprop-centered")
    yield pytest.param("Adam", "keras", {"amsgrad": True}, id="Adam-amsgrad")
    yield pytest.param("Adam", "keras", {"learning_rate": optimizers.schedules.CosineDecay(0.1, 10)},
                       id="Adam-schedule")
    yield pytest.param("Adam", "keras", {"use_ema": True}, id="Adam-ema (general update path)")


@pytest.mark.parametrize("name,flavor,kwargs", configs())
def test_stepper_equals_update(name, flavor, kwargs):
    opt = optimizers.get(name, flavor=flavor, **kwargs)
    for batch_ndim, w0 in ((0, W0[0]), (1, W0)):
        stepper = Stepper(opt, w0, batch_ndim=batch_ndim)
        state = opt.init(w0, batch_ndim=batch_ndim)
        w_ref = w_new = w0
        with np.errstate(all="ignore"):
            for g in GRADS:
                g = g[0] if batch_ndim == 0 else g
                w_ref, state = opt.update(g, state, w_ref)
                w_new = stepper.step(g, w_new)
                np.testing.assert_array_equal(w_new, w_ref)
        assert not np.array_equal(w_new, w0)


def test_stepper_does_not_modify_its_inputs():
    stepper = Stepper(optimizers.get("adam", weight_decay=0.1, clipnorm=1.0), W0[0])
    w, g = W0[0].copy(), GRADS[3, 0].copy()
    stepper.step(g, w)
    np.testing.assert_array_equal(w, W0[0])
    np.testing.assert_array_equal(g, GRADS[3, 0])


STACKS = [
    [("adam", {"learning_rate": 0.01}), ("adam", {"learning_rate": 0.3, "epsilon": 1e-3}),
     ("adam", {"learning_rate": 1e-4})],
    [("sgd", {"learning_rate": 0.1, "momentum": 0.9}), ("sgd", {"learning_rate": 0.01, "momentum": 0.5}),
     ("sgd", {"learning_rate": 0.2, "momentum": 0.99})],
    [("adamw", {"learning_rate": 0.01, "weight_decay": 0.1}), ("adamw", {"learning_rate": 0.02}),
     ("adamw", {"learning_rate": 0.01, "weight_decay": 0.5})],
    [("nadam", {"learning_rate": 0.01}), ("nadam", {"learning_rate": 0.1}), ("nadam", {"epsilon": 0.1})],
    [("rmsprop", {"momentum": 0.5, "flavor": "pytorch"}), ("rmsprop", {"momentum": 0.9, "flavor": "pytorch"}),
     ("rmsprop", {"learning_rate": 0.1, "momentum": 0.1, "flavor": "pytorch"})],
    [("gradient_descent", {"learning_rate": 0.1}), ("sgd", {"learning_rate": 0.01}),
     ("gradient_descent", {"learning_rate": 0.5})],                   # GradientDescent is SGD(momentum=0)
    [("gradient_descent", {"learning_rate": 0.1}), ("sgd", {"learning_rate": 0.01, "momentum": 0.9}),
     ("sgd", {"learning_rate": 0.02, "nesterov": True})],            # the momentum rule with μ = 0
    [("sgd", {"momentum": 0.9, "nesterov": True}), ("sgd", {"momentum": 0.5, "nesterov": True}),
     ("sgd", {"momentum": 0.99, "nesterov": True, "learning_rate": 0.001})],
    [("sgd", {"flavor": "textbook"}), ("gradient_descent", {"flavor": "textbook"}),
     ("sgd", {"flavor": "textbook", "momentum": 0.9})],
    [("adam", {"learning_rate": 0.01}), ("adamw", {"learning_rate": 0.01, "weight_decay": 0.01}),
     ("adam", {"learning_rate": 0.02, "weight_decay": 0.1})],         # Keras: AdamW is Adam with decay
    [("adagrad", {}), ("adagrad", {"weight_decay": 0.3}), ("adagrad", {"learning_rate": 0.1})],  # no decay = 0
    [("sgd", {"flavor": "pytorch"}), ("gradient_descent", {"learning_rate": 0.1, "flavor": "pytorch"}),
     ("sgd", {"learning_rate": 0.2, "flavor": "pytorch"})],
    [("lion", {"global_clipnorm": 1.0}), ("lion", {"global_clipnorm": 1.0, "learning_rate": 0.1}),
     ("lion", {"global_clipnorm": 1.0, "learning_rate": 3e-4})],
]


@pytest.mark.parametrize("members", STACKS, ids=lambda m: m[0][0])
def test_a_stack_equals_each_optimizer_on_its_own_row(members):
    opts = [optimizers.get(name, **kwargs) for name, kwargs in members]
    assert len({stack_key(o) for o in opts}) == 1 and stack_key(opts[0]) is not None
    stacked = Stepper(stack(opts), W0, batch_ndim=1)
    alone = [(o, o.init(W0[i])) for i, o in enumerate(opts)]
    w, w_alone = W0, list(W0)
    with np.errstate(all="ignore"):
        for g in GRADS:
            w = stacked.step(g, w)
            for i, (opt, state) in enumerate(alone):
                w_alone[i], state = opt.update(g[i], state, w_alone[i])
                alone[i] = (opt, state)
                np.testing.assert_array_equal(w[i], w_alone[i])


@pytest.mark.parametrize("a,b", [
    (("sgd", {"momentum": 0.9}), ("sgd", {"momentum": 0.9, "nesterov": True})),
    (("sgd", {"momentum": 0.9, "flavor": "pytorch"}), ("sgd", {"flavor": "pytorch"})),   # slots differ
    (("rmsprop", {"momentum": 0.9}), ("rmsprop", {})),
    (("adam", {"beta_1": 0.9}), ("adam", {"beta_1": 0.8})),          # β enters powers
    (("adam", {}), ("adam", {"flavor": "textbook"})),
    (("adam", {"flavor": "textbook"}), ("adamw", {"flavor": "textbook"})),   # the paper's decay differs
    (("adam", {"flavor": "pytorch"}), ("adamw", {"flavor": "pytorch"})),     # L2 vs decoupled
    (("adam", {}), ("nadam", {})),
    (("lion", {"clipnorm": 1.0}), ("lion", {"clipnorm": 2.0})),
    (("gradient_descent", {}), ("sgd", {"flavor": "textbook"})),
])
def test_different_rules_or_flags_are_not_stacked(a, b):
    assert stack_key(optimizers.get(a[0], **a[1])) != stack_key(optimizers.get(b[0], **b[1]))


def test_only_plain_engine_optimizers_with_a_constant_rate_stack():
    assert stack_key(optimizers.get("adam", use_ema=True)) is None
    assert stack_key(optimizers.get("adam", gradient_accumulation_steps=2)) is None
    assert stack_key(optimizers.get("adam", learning_rate=optimizers.schedules.CosineDecay(0.1, 10))) is None
    assert stack_key(optimizers.get("adam", learning_rate=np.array([0.1, 0.2]))) is None

    class Mine(optimizers.get_class("adam")):
        pass
    assert stack_key(Mine()) is None
