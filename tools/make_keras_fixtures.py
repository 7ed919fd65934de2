"""Generate Keras 3 reference fixtures for the Descent Lab optimizer engine.

This is a *tool*, not part of the app: the app never imports keras.  It runs
real Keras 3 on the JAX backend in float64 and writes
``tests/fixtures/keras3_fixtures.json``, which the engine's tests compare
against.

Command that produced the committed fixture file (from the repo root)::

    python3 -m venv /tmp/kvenv
    /tmp/kvenv/bin/pip install -r tools/requirements-fixtures.txt numpy
    /tmp/kvenv/bin/python tools/make_keras_fixtures.py

(The script itself sets ``KERAS_BACKEND=jax`` and ``JAX_ENABLE_X64=1`` before
importing keras and calls ``keras.config.set_floatx("float64")``.)  An
optional argument gives another output path.

Design
------
* Every case has two variables, named ``w0`` (shape (3,)) and ``w1`` (shape
  (2, 2)), and a fixed, pre-generated sequence of gradients that is fed to
  ``optimizer.apply(grads, variables)`` directly (gradients are NOT computed
  from a loss, so trajectories are not chaotic).
* All inputs come from ``numpy.random.default_rng(SEED)``; each case draws from
  its own generator seeded with ``SEED`` and the case index, so adding a case
  at the end does not change earlier ones.
* A case that is already in the committed file is fed the params0 and
  gradients recorded there (after checking they match the generator's draw to
  1e-15): NumPy's vectorised pow differs in the last bit between CPUs, and
  existing cases must stay bit-identical when new ones are added.
* Many cases use "tiny" gradients (|g| ~ 1e-7 .. 1e-6, with a few O(1)
  entries) and small ``params0`` so that epsilon-placement errors show up.
* ``kwargs`` are passed verbatim to the Keras constructor, except that a
  learning rate given as ``{"schedule": ClassName, "config": {...}}`` is turned
  into ``keras.optimizers.schedules.ClassName(**config)`` first.
* ``slots`` holds the final per-variable optimizer slots keyed by the Keras
  slot-name suffix (Keras names slot variables ``f"{var.name}_{suffix}"``).
  Scalar optimizer state that is not per-variable (Nadam's ``u_product``) and
  the final iteration count go in ``"scalars"`` (Keras's ``iterations``
  property: with ``gradient_accumulation_steps = n`` it counts real updates,
  ⌊calls / n⌋). With accumulation the slots include ``gradient_accumulator``,
  with ``use_ema`` the ``average``.

Fixture format (the engine's tests depend on it)::

    {"meta": {"keras_version", "jax_version", "backend", "floatx", "command",
              "seed", ...},
     "cases": [{"id", "optimizer", "kwargs", "params0": [v0, v1],
                "grads": [[g0, g1] per step], "params": [[p0, p1] per step],
                "slots": {suffix: [s0, s1]}, "scalars": {...},
                "lr": [learning rate used at each step], "grad_kind": str,
                "notes": str}],
     "schedules": [{"id", "class", "config", "steps": [0..40], "values"}]}

Keras quirk worth knowing when comparing: CosineDecay and CosineDecayRestarts
evaluate the cosine in float32 even under float64 (see FLOAT32_COSINE below),
so cases using them need an absolute tolerance of ~1e-7 instead of ~1e-12.
"""

import keras_f64  # noqa: F401  (first: JAX on the CPU, float64; tools/keras_f64.py)

import json
import sys
from pathlib import Path

import numpy as np

import jax
import keras

SEED = 20240611
SHAPES = [(3,), (2, 2)]
VAR_NAMES = ["w0", "w1"]
COMMAND = (
    "python3 -m venv /tmp/kvenv && "
    "/tmp/kvenv/bin/pip install -r tools/requirements-fixtures.txt numpy && "
    "/tmp/kvenv/bin/python tools/make_keras_fixtures.py"
)
REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "tests" / "fixtures" / "keras3_fixtures.json"


# --------------------------------------------------------------------------
# Input generators (all deterministic)
# --------------------------------------------------------------------------
def _sign(rng, shape):
    return np.where(rng.random(shape) < 0.5, -1.0, 1.0)


def make_params(rng, scale):
    return [scale * rng.standard_normal(s) for s in SHAPES]


def make_grads(rng, kind, n_steps):
    """Return grads[step][var] as float64 numpy arrays."""
    out = []
    # A fixed mask of "O(1)" entries for the tiny-gradient kinds: entry 0 of
    # w0 and entry [1, 1] of w1; everything else is ~1e-7 .. 1e-6.
    big_mask = [np.array([True, False, False]), np.array([[False, False], [False, True]])]
    for step in range(n_steps):
        gs = []
        for vi, shape in enumerate(SHAPES):
            if kind == "normal":
                g = rng.standard_normal(shape)
            elif kind == "tiny":
                mag = 10.0 ** rng.uniform(-7.0, -6.0, shape)
                g = _sign(rng, shape) * mag
                big = rng.standard_normal(shape)
                g = np.where(big_mask[vi], big, g)
            elif kind == "tiny_only":
                g = _sign(rng, shape) * 10.0 ** rng.uniform(-7.0, -6.0, shape)
            elif kind == "decaying":
                # Large early, small later: makes AMSGrad's max matter.
                g = rng.standard_normal(shape) * 10.0 ** (-step / 4.0)
            elif kind == "tiny_decaying":
                mag = 10.0 ** rng.uniform(-7.0, -6.0, shape) * 10.0 ** (-step / 6.0)
                g = _sign(rng, shape) * mag
                big = rng.standard_normal(shape) * 10.0 ** (-step / 4.0)
                g = np.where(big_mask[vi], big, g)
            elif kind == "with_zeros":
                # Entry 1 of w0 is always exactly 0; w1[0, 0] is 0 on even steps.
                g = rng.standard_normal(shape)
                if vi == 0:
                    g[1] = 0.0
                elif step % 2 == 0:
                    g[0, 0] = 0.0
            elif kind == "clip":
                # Scale alternates per (step, var) so that per-tensor norms,
                # the global norm and individual entries sometimes exceed the
                # clip thresholds (~1) and sometimes do not (checked by
                # check_clipping_mixed).  w1 gets an
                # all-zero gradient at step 3 (zero-norm tensor).
                scale = [0.3, 3.0, 0.2, 1.5][(step + vi) % 4]
                if step % 3 == 2:  # a whole step of small gradients
                    scale *= 0.2
                g = scale * rng.standard_normal(shape)
                if vi == 1 and step == 3:
                    g = np.zeros(shape)
            else:
                raise ValueError(kind)
            gs.append(np.asarray(g, dtype=np.float64))
        out.append(gs)
    return out


# --------------------------------------------------------------------------
# Case table
# --------------------------------------------------------------------------
def S(cls, **config):
    """Encode a learning-rate schedule for a case's kwargs."""
    return {"schedule": cls, "config": config}


# (id, optimizer, kwargs, grad kind, n_steps, params0 scale, notes)
CASES = [
    # ---------------- SGD ----------------
    ("sgd_plain", "SGD", {"learning_rate": 0.1}, "normal", 12, 1.0, ""),
    ("sgd_defaults", "SGD", {}, "normal", 12, 1.0, "lr 0.01 default"),
    ("sgd_momentum", "SGD", {"learning_rate": 0.05, "momentum": 0.9}, "normal", 15, 1.0, ""),
    ("sgd_nesterov", "SGD", {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True},
     "normal", 15, 1.0, ""),
    ("sgd_nesterov_without_momentum", "SGD",
     {"learning_rate": 0.1, "momentum": 0.0, "nesterov": True}, "normal", 12, 1.0,
     "nesterov is ignored when momentum == 0; no momentum slot"),
    ("sgd_momentum_exponential_decay", "SGD",
     {"learning_rate": S("ExponentialDecay", initial_learning_rate=0.1, decay_steps=5,
                         decay_rate=0.5),
      "momentum": 0.9}, "normal", 16, 1.0, "velocity keeps each step's own lr"),
    ("sgd_nesterov_polynomial_cycle", "SGD",
     {"learning_rate": S("PolynomialDecay", initial_learning_rate=0.1, decay_steps=5,
                         end_learning_rate=0.01, power=2.0, cycle=True),
      "momentum": 0.8, "nesterov": True}, "normal", 16, 1.0, ""),
    ("sgd_cosine_warmup", "SGD",
     {"learning_rate": S("CosineDecay", initial_learning_rate=0.0, decay_steps=10,
                         alpha=0.1, warmup_target=0.2, warmup_steps=4)},
     "normal", 18, 1.0, "first step has lr 0 (warmup from 0)"),
    # ---------------- Adagrad ----------------
    ("adagrad_defaults", "Adagrad", {}, "normal", 12, 1.0, ""),
    ("adagrad_lr", "Adagrad", {"learning_rate": 0.1}, "normal", 12, 1.0, ""),
    ("adagrad_custom_acc_eps_tiny_grads", "Adagrad",
     {"learning_rate": 0.01, "initial_accumulator_value": 0.0, "epsilon": 1e-10},
     "tiny", 15, 1e-3, "a0 = 0: epsilon (inside the root) dominates the tiny entries"),
    ("adagrad_custom_acc_eps", "Adagrad",
     {"learning_rate": 0.5, "initial_accumulator_value": 1.0, "epsilon": 1e-3},
     "normal", 12, 1.0, ""),
    ("adagrad_tiny_grads_defaults_lr", "Adagrad", {"learning_rate": 0.1},
     "tiny", 12, 1e-3, ""),
    ("adagrad_inverse_time_decay", "Adagrad",
     {"learning_rate": S("InverseTimeDecay", initial_learning_rate=0.2, decay_steps=3,
                         decay_rate=0.5)}, "normal", 15, 1.0, ""),
    ("adagrad_inverse_time_decay_staircase", "Adagrad",
     {"learning_rate": S("InverseTimeDecay", initial_learning_rate=0.2, decay_steps=3,
                         decay_rate=0.5, staircase=True),
      "initial_accumulator_value": 0.01}, "normal", 15, 1.0, ""),
    # ---------------- RMSprop ----------------
    ("rmsprop_defaults", "RMSprop", {}, "normal", 12, 1.0, ""),
    ("rmsprop_plain", "RMSprop", {"learning_rate": 0.01}, "normal", 15, 1.0, ""),
    ("rmsprop_plain_tiny_grads", "RMSprop", {"learning_rate": 0.01}, "tiny", 15, 1e-3,
     "epsilon inside the root dominates the tiny entries"),
    ("rmsprop_momentum", "RMSprop", {"learning_rate": 0.01, "momentum": 0.9},
     "normal", 15, 1.0, "lr is inside the momentum buffer"),
    ("rmsprop_momentum_tiny_grads", "RMSprop", {"learning_rate": 0.01, "momentum": 0.9},
     "tiny", 15, 1e-3, ""),
    ("rmsprop_centered", "RMSprop", {"learning_rate": 0.01, "centered": True},
     "normal", 15, 1.0, ""),
    ("rmsprop_centered_tiny_grads", "RMSprop",
     {"learning_rate": 0.01, "centered": True, "epsilon": 1e-12}, "tiny", 15, 1e-3, ""),
    ("rmsprop_centered_momentum", "RMSprop",
     {"learning_rate": 0.01, "rho": 0.8, "momentum": 0.9, "centered": True,
      "epsilon": 1e-6}, "normal", 15, 1.0, ""),
    ("rmsprop_centered_momentum_tiny_grads", "RMSprop",
     {"learning_rate": 0.01, "momentum": 0.5, "centered": True}, "tiny", 15, 1e-3, ""),
    ("rmsprop_polynomial_decay", "RMSprop",
     {"learning_rate": S("PolynomialDecay", initial_learning_rate=0.05, decay_steps=10,
                         end_learning_rate=0.005, power=1.0),
      "momentum": 0.5}, "normal", 15, 1.0, "lr constant after step 10"),
    # ---------------- Adadelta ----------------
    ("adadelta_defaults", "Adadelta", {}, "normal", 15, 1.0, "default lr 0.001"),
    ("adadelta_lr1", "Adadelta", {"learning_rate": 1.0}, "normal", 15, 1.0, ""),
    ("adadelta_lr1_tiny_grads", "Adadelta",
     {"learning_rate": 1.0, "rho": 0.9, "epsilon": 1e-6}, "tiny", 15, 1e-3, ""),
    ("adadelta_lr1_tiny_only_eps_small", "Adadelta",
     {"learning_rate": 1.0, "epsilon": 1e-12}, "tiny_only", 15, 1e-4, ""),
    # ---------------- Adam ----------------
    ("adam_defaults", "Adam", {}, "normal", 15, 1.0, ""),
    ("adam_tiny_grads", "Adam", {"learning_rate": 0.01}, "tiny", 15, 1e-3,
     "Keras epsilon-hat placement (added to sqrt(v) before bias correction)"),
    ("adam_amsgrad", "Adam", {"learning_rate": 0.01, "amsgrad": True}, "decaying", 16, 1.0,
     "decaying gradients make max(v_hat, v) differ from v"),
    ("adam_amsgrad_tiny_grads", "Adam", {"learning_rate": 0.01, "amsgrad": True},
     "tiny_decaying", 16, 1e-3, ""),
    ("adam_large_lr", "Adam", {"learning_rate": 0.5}, "normal", 15, 1.0, ""),
    ("adam_custom_betas_eps", "Adam",
     {"learning_rate": 0.05, "beta_1": 0.5, "beta_2": 0.9, "epsilon": 1e-3},
     "normal", 15, 1.0, ""),
    ("adam_exponential_decay_staircase", "Adam",
     {"learning_rate": S("ExponentialDecay", initial_learning_rate=0.05, decay_steps=4,
                         decay_rate=0.3, staircase=True)}, "normal", 16, 1.0, ""),
    ("adam_piecewise_constant", "Adam",
     {"learning_rate": S("PiecewiseConstantDecay", boundaries=[3, 8],
                         values=[0.1, 0.03, 0.005])}, "tiny", 14, 1e-3,
     "boundaries inclusive on the left interval"),
    ("adam_cosine_warmup_nonzero_start", "Adam",
     {"learning_rate": S("CosineDecay", initial_learning_rate=0.01, decay_steps=8,
                         warmup_target=0.05, warmup_steps=5)}, "normal", 16, 1.0, ""),
    # ---------------- AdamW ----------------
    ("adamw_defaults", "AdamW", {}, "normal", 15, 1.0, "weight_decay 0.004"),
    ("adamw_lr", "AdamW", {"learning_rate": 0.05}, "normal", 15, 1.0, ""),
    ("adamw_wd_cosine", "AdamW",
     {"learning_rate": S("CosineDecay", initial_learning_rate=0.05, decay_steps=12),
      "weight_decay": 0.5}, "normal", 15, 1.0, "decay follows the scheduled lr"),
    ("adamw_wd_amsgrad_tiny_grads", "AdamW",
     {"learning_rate": 0.01, "weight_decay": 0.1, "amsgrad": True},
     "tiny_decaying", 15, 1e-3, ""),
    # ---------------- Adamax ----------------
    ("adamax_defaults", "Adamax", {}, "normal", 15, 1.0, ""),
    ("adamax_lr", "Adamax", {"learning_rate": 0.02}, "decaying", 15, 1.0, ""),
    ("adamax_tiny_grads", "Adamax", {"learning_rate": 0.01}, "tiny", 15, 1e-3,
     "epsilon added to u"),
    ("adamax_custom", "Adamax",
     {"learning_rate": 0.05, "beta_1": 0.8, "beta_2": 0.9, "epsilon": 1e-4},
     "normal", 15, 1.0, ""),
    # ---------------- Nadam ----------------
    ("nadam_defaults", "Nadam", {}, "normal", 20, 1.0, "0.96^t momentum schedule"),
    ("nadam_lr", "Nadam", {"learning_rate": 0.02}, "normal", 20, 1.0, ""),
    ("nadam_tiny_grads", "Nadam", {"learning_rate": 0.01}, "tiny", 20, 1e-3,
     "epsilon outside the root on bias-corrected v"),
    ("nadam_custom_betas", "Nadam",
     {"learning_rate": 0.02, "beta_1": 0.8, "beta_2": 0.95, "epsilon": 1e-5},
     "normal", 18, 1.0, ""),
    ("nadam_cosine_restarts", "Nadam",
     {"learning_rate": S("CosineDecayRestarts", initial_learning_rate=0.05,
                         first_decay_steps=3, t_mul=2.0, m_mul=0.8, alpha=0.1)},
     "normal", 20, 1.0, ""),
    # ---------------- Lion ----------------
    ("lion_defaults", "Lion", {}, "normal", 15, 1.0, ""),
    ("lion_custom", "Lion",
     {"learning_rate": 0.01, "beta_1": 0.5, "beta_2": 0.9}, "with_zeros", 15, 1.0,
     "exact zero gradients: sign(0) = 0 on the first step"),
    ("lion_tiny_grads", "Lion", {"learning_rate": 0.001}, "tiny", 15, 1e-3,
     "sign() makes tiny gradients take full steps"),
    ("lion_cosine_restarts", "Lion",
     {"learning_rate": S("CosineDecayRestarts", initial_learning_rate=0.02,
                         first_decay_steps=4)}, "normal", 18, 1.0, ""),
    # ---------------- weight decay on non-AdamW optimizers ----------------
    ("sgd_plain_weight_decay", "SGD", {"learning_rate": 0.1, "weight_decay": 0.05},
     "normal", 12, 1.0, ""),
    ("sgd_momentum_weight_decay", "SGD",
     {"learning_rate": 0.1, "momentum": 0.9, "weight_decay": 0.05}, "normal", 15, 1.0,
     "decoupled: decay does not enter the velocity"),
    ("sgd_nesterov_weight_decay_schedule", "SGD",
     {"learning_rate": S("ExponentialDecay", initial_learning_rate=0.1, decay_steps=4,
                         decay_rate=0.5),
      "momentum": 0.9, "nesterov": True, "weight_decay": 0.2}, "normal", 15, 1.0, ""),
    ("adam_weight_decay", "Adam", {"learning_rate": 0.01, "weight_decay": 0.1},
     "normal", 15, 1.0, "identical to AdamW(weight_decay=0.1)"),
    ("lion_weight_decay", "Lion", {"learning_rate": 0.01, "weight_decay": 0.5},
     "normal", 15, 1.0, ""),
    ("rmsprop_weight_decay", "RMSprop",
     {"learning_rate": 0.01, "momentum": 0.5, "weight_decay": 0.3}, "normal", 15, 1.0, ""),
    ("adagrad_weight_decay", "Adagrad", {"learning_rate": 0.1, "weight_decay": 0.2},
     "normal", 12, 1.0, ""),
    ("adadelta_weight_decay", "Adadelta", {"learning_rate": 1.0, "weight_decay": 0.05},
     "normal", 12, 1.0, ""),
    ("adamax_weight_decay", "Adamax", {"learning_rate": 0.02, "weight_decay": 0.3},
     "normal", 12, 1.0, ""),
    ("nadam_weight_decay", "Nadam", {"learning_rate": 0.02, "weight_decay": 0.3},
     "normal", 16, 1.0, ""),
    # ---------------- clipping ----------------
    ("sgd_clipnorm", "SGD", {"learning_rate": 0.1, "clipnorm": 1.0}, "clip", 12, 1.0,
     "per-tensor norm clip; w1 gradient is all-zero at step 3"),
    ("sgd_momentum_clipvalue", "SGD",
     {"learning_rate": 0.1, "momentum": 0.9, "clipvalue": 0.5}, "clip", 12, 1.0, ""),
    ("sgd_global_clipnorm", "SGD", {"learning_rate": 0.1, "global_clipnorm": 3.0},
     "clip", 12, 1.0, ""),
    ("adam_clipnorm", "Adam", {"learning_rate": 0.05, "clipnorm": 1.0}, "clip", 14, 1.0,
     ""),
    ("adam_clipvalue", "Adam", {"learning_rate": 0.05, "clipvalue": 0.5}, "clip", 14, 1.0,
     ""),
    ("adam_global_clipnorm", "Adam", {"learning_rate": 0.05, "global_clipnorm": 3.0},
     "clip", 14, 1.0, ""),
    ("rmsprop_centered_clipnorm", "RMSprop",
     {"learning_rate": 0.01, "centered": True, "clipnorm": 1.0}, "clip", 14, 1.0, ""),
    ("adamw_global_clipnorm_schedule", "AdamW",
     {"learning_rate": S("InverseTimeDecay", initial_learning_rate=0.05, decay_steps=2,
                         decay_rate=0.3),
      "weight_decay": 0.1, "global_clipnorm": 1.5}, "clip", 14, 1.0, ""),
    ("lion_clipvalue", "Lion", {"learning_rate": 0.01, "clipvalue": 0.5}, "clip", 12, 1.0,
     "clipvalue only changes Lion through the momentum EMA"),
    ("nadam_clipnorm", "Nadam", {"learning_rate": 0.02, "clipnorm": 1.0}, "clip", 16, 1.0,
     ""),
    ("adagrad_global_clipnorm", "Adagrad", {"learning_rate": 0.1, "global_clipnorm": 3.0},
     "clip", 12, 1.0, ""),
    ("adadelta_clipvalue", "Adadelta", {"learning_rate": 1.0, "clipvalue": 0.5}, "clip",
     12, 1.0, ""),
    ("adamax_clipnorm", "Adamax", {"learning_rate": 0.02, "clipnorm": 1.0}, "clip", 12,
     1.0, ""),
    # ---------------- gradient accumulation (every optimizer) ----------------
    # Step counts that are not a multiple of the accumulation count, so the
    # final state holds a partly filled `gradient_accumulator`.
    ("sgd_accumulation_plain", "SGD",
     {"learning_rate": 0.1, "gradient_accumulation_steps": 2}, "normal", 13, 1.0,
     "also the reference for GradientDescent (SGD without momentum)"),
    ("sgd_accumulation_nesterov", "SGD",
     {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True,
      "gradient_accumulation_steps": 3}, "normal", 20, 1.0, ""),
    ("adagrad_accumulation_default_accumulator", "Adagrad",
     {"learning_rate": 0.1, "gradient_accumulation_steps": 3}, "normal", 20, 1.0,
     "the gradient accumulator starts at 0, the Adagrad accumulator at 0.1"),
    ("adagrad_accumulation_accumulator_1", "Adagrad",
     {"learning_rate": 0.5, "initial_accumulator_value": 1.0,
      "gradient_accumulation_steps": 2}, "normal", 17, 1.0, ""),
    ("adagrad_accumulation_accumulator_0", "Adagrad",
     {"learning_rate": 0.1, "initial_accumulator_value": 0.0,
      "gradient_accumulation_steps": 3}, "normal", 20, 1.0, ""),
    ("rmsprop_accumulation_centered_momentum", "RMSprop",
     {"learning_rate": 0.01, "momentum": 0.9, "centered": True,
      "gradient_accumulation_steps": 2}, "normal", 17, 1.0, ""),
    ("adadelta_accumulation", "Adadelta",
     {"learning_rate": 1.0, "gradient_accumulation_steps": 3}, "normal", 20, 1.0, ""),
    ("adam_accumulation_schedule", "Adam",
     {"learning_rate": S("ExponentialDecay", initial_learning_rate=0.05, decay_steps=4,
                         decay_rate=0.5),
      "amsgrad": True, "gradient_accumulation_steps": 3}, "decaying", 20, 1.0,
     "the schedule sees micro-steps; bias corrections count real updates"),
    ("adamw_accumulation_clipnorm", "AdamW",
     {"learning_rate": 0.05, "weight_decay": 0.1, "clipnorm": 1.0,
      "gradient_accumulation_steps": 2}, "clip", 17, 1.0, ""),
    ("adamax_accumulation", "Adamax",
     {"learning_rate": 0.02, "gradient_accumulation_steps": 4}, "normal", 22, 1.0, ""),
    ("nadam_accumulation", "Nadam",
     {"learning_rate": 0.02, "gradient_accumulation_steps": 3}, "normal", 20, 1.0,
     "u_product advances once per real update"),
    ("lion_accumulation_ema", "Lion",
     {"learning_rate": 0.01, "gradient_accumulation_steps": 2, "use_ema": True,
      "ema_momentum": 0.9}, "normal", 17, 1.0,
     "the EMA of the weights is updated on micro-steps too"),
    # ---------------- CosineDecay: warmup_target without warmup steps ----------------
    ("sgd_cosine_warmup_target_zero_warmup_steps", "SGD",
     {"learning_rate": S("CosineDecay", initial_learning_rate=0.01, decay_steps=10,
                         warmup_target=0.1, warmup_steps=0)},
     "normal", 14, 1.0, "decays from warmup_target, not from initial_learning_rate"),
]


SCHEDULES = [
    ("exponential_decay", "ExponentialDecay",
     {"initial_learning_rate": 0.1, "decay_steps": 5, "decay_rate": 0.5}),
    ("exponential_decay_staircase", "ExponentialDecay",
     {"initial_learning_rate": 0.1, "decay_steps": 7, "decay_rate": 0.9, "staircase": True}),
    ("exponential_decay_growth", "ExponentialDecay",
     {"initial_learning_rate": 0.01, "decay_steps": 10, "decay_rate": 1.5}),
    ("inverse_time_decay", "InverseTimeDecay",
     {"initial_learning_rate": 0.2, "decay_steps": 3, "decay_rate": 0.5}),
    ("inverse_time_decay_staircase", "InverseTimeDecay",
     {"initial_learning_rate": 0.1, "decay_steps": 4, "decay_rate": 2.0, "staircase": True}),
    ("polynomial_decay_linear", "PolynomialDecay",
     {"initial_learning_rate": 0.1, "decay_steps": 10}),
    ("polynomial_decay_power", "PolynomialDecay",
     {"initial_learning_rate": 0.05, "decay_steps": 25, "end_learning_rate": 0.001,
      "power": 0.5}),
    ("polynomial_decay_cycle", "PolynomialDecay",
     {"initial_learning_rate": 0.1, "decay_steps": 6, "end_learning_rate": 0.01,
      "power": 2.0, "cycle": True}),
    ("piecewise_constant", "PiecewiseConstantDecay",
     {"boundaries": [3, 6], "values": [1.0, 0.5, 0.1]}),
    ("piecewise_constant_many", "PiecewiseConstantDecay",
     {"boundaries": [0, 10, 20, 30], "values": [0.3, 0.2, 0.1, 0.05, 0.01]}),
    ("cosine_decay", "CosineDecay",
     {"initial_learning_rate": 0.1, "decay_steps": 20}),
    ("cosine_decay_alpha", "CosineDecay",
     {"initial_learning_rate": 0.1, "decay_steps": 15, "alpha": 0.2}),
    ("cosine_decay_warmup_from_zero", "CosineDecay",
     {"initial_learning_rate": 0.0, "decay_steps": 20, "alpha": 0.1,
      "warmup_target": 0.2, "warmup_steps": 8}),
    ("cosine_decay_warmup_from_nonzero", "CosineDecay",
     {"initial_learning_rate": 0.01, "decay_steps": 10, "warmup_target": 0.05,
      "warmup_steps": 5}),
    ("cosine_decay_restarts_defaults", "CosineDecayRestarts",
     {"initial_learning_rate": 0.1, "first_decay_steps": 4}),
    ("cosine_decay_restarts_custom", "CosineDecayRestarts",
     {"initial_learning_rate": 0.05, "first_decay_steps": 3, "t_mul": 2.0, "m_mul": 0.8,
      "alpha": 0.1}),
    ("cosine_decay_restarts_tmul1", "CosineDecayRestarts",
     {"initial_learning_rate": 0.1, "first_decay_steps": 5, "t_mul": 1.0, "m_mul": 0.5}),
    ("cosine_decay_restarts_tmul3", "CosineDecayRestarts",
     {"initial_learning_rate": 0.1, "first_decay_steps": 2, "t_mul": 3.0, "alpha": 0.05}),
    ("cosine_decay_warmup_target_zero_warmup_steps", "CosineDecay",
     {"initial_learning_rate": 0.01, "decay_steps": 12, "alpha": 0.1,
      "warmup_target": 0.1, "warmup_steps": 0}),
]

SCHEDULE_STEPS = list(range(41))

# Keras 3.15 on the jax (and torch) backend evaluates ops.cos on a float64
# tensor in float32: keras.backend.result_type(float64, float) maps float64 to
# float32 on non-TensorFlow backends.  CosineDecay and CosineDecayRestarts are
# therefore only float32-accurate (~1e-8 absolute) even under float64.
FLOAT32_COSINE = ("CosineDecay", "CosineDecayRestarts")
COSINE_NOTE = (
    "Keras evaluates the cosine in float32: lr differs from the float64 "
    "formula by up to ~1.3e-8 absolute; compare with atol ~1e-7"
)


# --------------------------------------------------------------------------
# Running Keras
# --------------------------------------------------------------------------
def build_schedule(cls, config):
    return getattr(keras.optimizers.schedules, cls)(**config)


def build_optimizer(name, kwargs):
    kw = dict(kwargs)
    lr = kw.get("learning_rate")
    if isinstance(lr, dict):
        kw["learning_rate"] = build_schedule(lr["schedule"], lr["config"])
    return getattr(keras.optimizers, name)(**kw)


def to_list(x):
    return np.asarray(x, dtype=np.float64).tolist()


def check_clipping_mixed(cid, kwargs, grads):
    """Assert that clipping triggers on some steps but not on all of them."""
    hits = []
    for gs in grads:
        if kwargs.get("clipnorm"):
            hits.append([np.linalg.norm(g) > kwargs["clipnorm"] for g in gs])
        elif kwargs.get("global_clipnorm"):
            total = np.sqrt(sum(float(np.sum(g * g)) for g in gs))
            hits.append([total > kwargs["global_clipnorm"]])
        elif kwargs.get("clipvalue"):
            hits.append([bool(np.any(np.abs(g) > kwargs["clipvalue"])) for g in gs])
        else:
            return
    flat = [h for step in hits for h in step]
    assert any(flat) and not all(flat), f"{cid}: clipping triggers {hits}"
    if kwargs.get("clipvalue"):
        per_step = [any(step) for step in hits]
        assert not all(per_step), f"{cid}: clipvalue triggers on every step"


def committed_inputs(path=DEFAULT_OUT):
    """Inputs (params0, grads) of the cases already in the committed fixture file, by id.

    NumPy's vectorised ``10.0 ** array`` (the "tiny" gradient kinds) is not
    correctly rounded, and its last bit depends on the CPU's SIMD path (AVX2 vs
    AVX-512). So that regenerating on another machine keeps every existing case
    bit-identical, a case that is already in the committed file is fed the
    inputs recorded there, after checking that they agree with what this
    generator draws to 1e-15 (so a changed case definition is still caught).
    """
    if not Path(path).exists():
        return {}
    with open(path) as f:
        old = json.load(f)
    return {c["id"]: c for c in old["cases"]}


def _pin(cid, drawn, committed, what):
    """The committed arrays when they match the drawn ones to 1e-15 relative, else the drawn ones."""
    if committed is None:
        return drawn
    ref = committed[what]
    flat_new = np.concatenate([np.ravel(a) for a in (drawn if what == "params0" else
                                                     [x for step in drawn for x in step])])
    flat_old = np.concatenate([np.ravel(np.asarray(a, dtype=np.float64)) for a in (
        ref if what == "params0" else [x for step in ref for x in step])])
    if flat_new.shape != flat_old.shape or not np.allclose(flat_new, flat_old, rtol=1e-15, atol=0):
        print(f"{cid}: {what} changed; the committed values are not reused")
        return drawn
    if what == "params0":
        return [np.asarray(a, dtype=np.float64) for a in ref]
    return [[np.asarray(a, dtype=np.float64) for a in step] for step in ref]


def run_case(index, case, committed=None):
    cid, opt_name, kwargs, kind, n_steps, pscale, notes = case
    rng = np.random.default_rng([SEED, index])
    params0 = _pin(cid, make_params(rng, pscale), committed, "params0")
    grads = _pin(cid, make_grads(rng, kind, n_steps), committed, "grads")
    check_clipping_mixed(cid, kwargs, grads)

    variables = [
        keras.Variable(p, dtype="float64", name=n) for p, n in zip(params0, VAR_NAMES)
    ]
    opt = build_optimizer(opt_name, kwargs)

    params_hist, lrs = [], []
    for step in range(n_steps):
        lrs.append(float(np.asarray(opt._get_current_learning_rate())))
        opt.apply([keras.ops.convert_to_tensor(g, dtype="float64") for g in grads[step]],
                  variables)
        params_hist.append([to_list(v.numpy()) for v in variables])
        for v in variables:
            assert v.dtype == "float64", v.dtype

    slots, scalars = {}, {}
    for ov in opt.variables:
        vname = ov.name
        matched = False
        for vi, var_name in enumerate(VAR_NAMES):
            prefix = var_name + "_"
            if vname.startswith(prefix):
                suffix = vname[len(prefix):]
                slots.setdefault(suffix, [None] * len(VAR_NAMES))[vi] = to_list(ov.numpy())
                assert ov.dtype == "float64", (cid, vname, ov.dtype)
                matched = True
        if matched or vname in ("iteration", "learning_rate"):
            continue
        if getattr(opt, "_u_product", None) is ov:  # Nadam's shared product
            scalars["u_product"] = float(np.asarray(ov.numpy()))
        else:
            raise AssertionError(f"{cid}: unexpected optimizer variable {vname}")
    # With accumulation, Keras's `iterations` property counts real updates (⌊raw / n⌋).
    scalars["iterations"] = int(np.asarray(opt.iterations))
    for suffix, vals in slots.items():
        assert all(v is not None for v in vals), (cid, suffix)

    lr_spec = kwargs.get("learning_rate")
    if isinstance(lr_spec, dict) and lr_spec["schedule"] in FLOAT32_COSINE:
        notes = (notes + "; " if notes else "") + COSINE_NOTE
    return {
        "id": cid,
        "optimizer": opt_name,
        "kwargs": kwargs,
        "grad_kind": kind,
        "notes": notes,
        "params0": [to_list(p) for p in params0],
        "grads": [[to_list(g) for g in gs] for gs in grads],
        "params": params_hist,
        "lr": lrs,
        "slots": slots,
        "scalars": scalars,
    }


def run_schedule(sid, cls, config):
    sched = build_schedule(cls, config)
    values = [float(np.asarray(sched(step))) for step in SCHEDULE_STEPS]
    out = {"id": sid, "class": cls, "config": config, "steps": SCHEDULE_STEPS,
           "values": values}
    if cls in FLOAT32_COSINE:
        out["notes"] = COSINE_NOTE
    return out


def main(argv):
    out = Path(argv[1]) if len(argv) > 1 else DEFAULT_OUT
    ids = [c[0] for c in CASES]
    assert len(ids) == len(set(ids)), "duplicate case id"
    committed = committed_inputs()
    cases = [run_case(i, c, committed.get(c[0])) for i, c in enumerate(CASES)]
    schedules = [run_schedule(*s) for s in SCHEDULES]
    data = {
        "meta": {
            "keras_version": keras.__version__,
            "jax_version": jax.__version__,
            "numpy_version": np.__version__,
            "backend": keras.backend.backend(),
            "floatx": keras.config.floatx(),
            "command": COMMAND,
            "generator": "tools/make_keras_fixtures.py",
            "seed": SEED,
            "var_names": VAR_NAMES,
            "description": (
                "params[k][v] = value of variable v after the (k+1)-th apply(); "
                "grads[k][v] = gradient fed at that call; lr[k] = learning rate "
                "used at that call; slots = final per-variable optimizer slots by "
                "Keras name suffix; scalars = non-per-variable optimizer state."
            ),
            "notes": [
                "The engine is compared with every case in tests/test_keras_fixtures.py; "
                "the rules are described in docs/maths.md.",
                "Inputs of cases already in the committed file are reused from it "
                "(see committed_inputs() in the generator).",
                "CosineDecay / CosineDecayRestarts: " + COSINE_NOTE + ".",
            ],
        },
        "cases": cases,
        "schedules": schedules,
    }
    assert data["meta"]["backend"] == "jax" and data["meta"]["floatx"] == "float64"
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w") as f:
        json.dump(data, f, indent=None, separators=(",", ":"), allow_nan=False)
        f.write("\n")
    print(f"wrote {out}: {len(cases)} cases, {len(schedules)} schedules, "
          f"{out.stat().st_size} bytes")


if __name__ == "__main__":
    main(sys.argv)
