"""Generate Keras 3 reference fixtures for Adafactor, Ftrl, Lamb, Muon and ScheduleFreeAdamW.

A *tool*, not part of the app: the app and its tests never import keras. It
runs real Keras 3.15.1 on the JAX backend in float64 and writes
``tests/fixtures/keras3_zoo_fixtures.json``, which
``tests/test_keras_zoo_fixtures.py`` compares the engine against.

Command that produced the committed fixture file (from the repo root)::

    python3 -m venv /tmp/kvenv
    /tmp/kvenv/bin/pip install -r tools/requirements-fixtures.txt
    /tmp/kvenv/bin/python tools/make_keras_zoo_fixtures.py

(The script sets ``KERAS_BACKEND=jax`` and ``JAX_ENABLE_X64=1`` before
importing keras and calls ``keras.config.set_floatx("float64")``.) An
optional argument gives another output path.

Design
------
* Two kinds of case.

  - **Fed gradients** (``"loop": null``): each case has its own variable
    shapes (a (4, 3) matrix and a 2-vector by default; also (3, 4), (1, 5),
    (2, 4, 3), (3,)), and a fixed, pre-generated sequence of gradients fed to
    ``optimizer.apply(grads, variables)``; nothing is chaotic.
  - **Rosenbrock closed loop** (``"loop": "rosenbrock"``): one variable of
    shape (2,) or (1, 2) holding (x, y); each step's gradient is the
    gradient of f(x, y) = (1 − x)² + 100 (y − x²)² at the variable's current
    value, computed in NumPy float64 (``rosenbrock_grad`` below; the test
    recomputes it from the engine's own parameters).

* All inputs come from ``numpy.random.default_rng([SEED, case index])``:
  adding a case at the end does not change earlier ones. A case listed in
  ``SAME_INPUTS_AS`` reuses another case's index (identical inputs).
* Gradient kinds: ``normal`` (N(0, 1)); ``tiny`` (|g| in [1e-9, 1e-7], the
  size of the ε's of Lamb, Muon's Adam step and Schedule-Free, with the first
  entry of every variable O(1)); ``tiny_only`` (all |g| in [1e-9, 1e-8]: a
  Muon momentum whose Frobenius norm is comparable to Newton–Schulz's 1e-7);
  ``subtiny`` (|g| in [1e-17, 1e-13], so g² is comparable to Adafactor's
  ε₁ = 1e-30, first entry O(1)); ``growing`` (N(0, 1)·10^(step/4): makes
  Adafactor's update clipping trigger late); ``clip`` (scales alternating
  around 1, for clipnorm/clipvalue/global_clipnorm); ``zero_first`` (normal,
  but the last variable's gradient is all zero at the first step: Lamb's
  trust ratio falls back to 1).
* ``params0`` are N(0, scale²); scale 0 gives all-zero weights (Lamb's
  ‖w‖ = 0 branch), 1e-4 makes Adafactor's ε₂ = 1e-3 bound RMS(w).
* ``kwargs`` are passed verbatim to the Keras constructor, except that a
  learning rate given as ``{"schedule": ClassName, "config": {...}}`` is
  built as ``keras.optimizers.schedules.ClassName(**config)``.
* ``slots`` holds the final per-variable optimizer variables under the
  engine's slot names (``null`` where Keras keeps no real slot for that
  variable: Adafactor's placeholder r/c of 1-D variables, Muon's velocity of
  matrices), read directly from the optimizer's attributes (``_r``, ``_c``,
  ``_v``; ``_accumulators``, ``_linears``; ``_momentums``, ``_velocities``;
  ``momentums``, ``adam_velocities``; ``_accumulated_gradients``).
* ScheduleFreeAdamW: Keras stores y (the variable) and z (``momentum``)
  only; ``x_history`` records x = (y − (1 − β₁) z)/β₁ after every step,
  computed here in NumPy from Keras's y and z.
* **float32 reductions.** Keras 3.15 computes ``ops.mean`` and ``ops.norm`` of
  a float64 tensor in float32 (``keras.src.backend.result_type("float64",
  "float32")`` is ``"float32"``; ``ops.norm`` even returns float32), and casts
  the result back. Adafactor (row/column means, RMS of w and of the update)
  and Muon (the Frobenius norm before Newton–Schulz) use them, so their real
  Keras numbers carry float32 rounding of those reductions: about 1e-7 of a
  step. ``meta.float32_reductions`` records the evidence. For these two
  optimizers every case is run a second time with ``backend.numpy.mean`` and
  ``backend.linalg.norm`` computing in float64 (``float64_reductions()``
  below; everything else is Keras's own code) and stored as ``params_f64`` /
  ``slots_f64``: the engine (float64 throughout) must match those to ~1e-12,
  and the real Keras numbers to rtol 1e-6 or 1e-6 of the step.

Fixture format::

    {"meta": {...},
     "cases": [{"id", "optimizer", "kwargs", "loop", "grad_kind", "notes",
                "shapes", "params0", "grads": [[g per var] per step],
                "params": [[p per var] after each step], "lr": [η per step],
                "slots": {name: [value or null per var]}, "iterations",
                "x_history" (ScheduleFreeAdamW only)}]}
"""
import keras_f64  # noqa: F401  (first: JAX on the CPU, float64; tools/keras_f64.py)

import contextlib
import sys
from pathlib import Path

import numpy as np

import jax
import jax.numpy as jnp
import keras
from keras.src import backend as keras_backend

from fixture_io import write  # tools/fixture_io.py: one case per line

SEED = 20260801
COMMAND = ("python3 -m venv /tmp/kvenv && /tmp/kvenv/bin/pip install -r tools/requirements-fixtures.txt && "
           "/tmp/kvenv/bin/python tools/make_keras_zoo_fixtures.py")
REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "tests" / "fixtures" / "keras3_zoo_fixtures.json"
MAT_VEC = [(4, 3), (2,)]


def S(cls, **config):
    """Encode a learning-rate schedule for a case's kwargs."""
    return {"schedule": cls, "config": config}


def rosenbrock_grad(p):
    """∇f for f(x, y) = (1 − x)² + 100 (y − x²)², for (x, y) stored in an array of shape (2,) or (1, 2)."""
    x, y = np.reshape(p, -1)
    return np.reshape(np.array([-2.0 * (1.0 - x) - 400.0 * x * (y - x * x), 200.0 * (y - x * x)]), np.shape(p))


# --------------------------------------------------------------------------- #
# Cases                                                                         #
# --------------------------------------------------------------------------- #
# Fed gradients: (id, optimizer, kwargs, shapes, grad kind, steps, params0 scale, notes)
FED = [
    # ---------------- Adafactor ----------------
    ("adafactor_defaults", "Adafactor", {}, MAT_VEC, "normal", 12, 1.0,
     "factored (4,3), unfactored (2,); rho = min(0.001, 1/sqrt(t))"),
    ("adafactor_lr", "Adafactor", {"learning_rate": 0.3}, MAT_VEC, "normal", 15, 1.0,
     "rho switches from 0.3 to 1/sqrt(t) at t = 12"),
    ("adafactor_lr_relative_step_false", "Adafactor", {"learning_rate": 0.3, "relative_step": False}, MAT_VEC,
     "normal", 15, 1.0, "same inputs as adafactor_lr: relative_step has no effect in Keras 3.15"),
    ("adafactor_clip_threshold_small", "Adafactor", {"learning_rate": 0.1, "clip_threshold": 0.5}, MAT_VEC,
     "normal", 12, 1.0, "update clipping RMS(u)/d > 1 on most steps"),
    ("adafactor_clip_threshold_large", "Adafactor", {"learning_rate": 0.1, "clip_threshold": 2.0}, MAT_VEC,
     "growing", 14, 1.0, "clipping only once gradients grow faster than v"),
    ("adafactor_subtiny", "Adafactor", {"learning_rate": 0.1}, MAT_VEC, "subtiny", 12, 1e-4,
     "g^2 ~ epsilon_1; RMS(w) < epsilon_2"),
    ("adafactor_custom_eps_decay", "Adafactor",
     {"learning_rate": 0.05, "epsilon_1": 1e-10, "epsilon_2": 1e-2, "beta_2_decay": -0.5}, MAT_VEC,
     "subtiny", 12, 1e-3, ""),
    ("adafactor_3d_and_vector", "Adafactor", {"learning_rate": 0.1}, [(2, 4, 3), (3,)], "normal", 10, 1.0,
     "factored over the last two axes of a 3-D variable"),
    ("adafactor_wide_and_row", "Adafactor", {"learning_rate": 0.1}, [(3, 4), (1, 5)], "normal", 10, 1.0,
     "a 1x5 matrix is factored too"),
    ("adafactor_schedule", "Adafactor",
     {"learning_rate": S("ExponentialDecay", initial_learning_rate=0.5, decay_steps=4, decay_rate=0.5)},
     MAT_VEC, "normal", 14, 1.0, ""),
    ("adafactor_weight_decay", "Adafactor", {"learning_rate": 0.2, "weight_decay": 0.1}, MAT_VEC, "normal",
     12, 1.0, "RMS(w) after the decay"),
    ("adafactor_clipnorm", "Adafactor", {"learning_rate": 0.1, "clipnorm": 1.0}, MAT_VEC, "clip", 12, 1.0, ""),
    ("adafactor_gradient_accumulation", "Adafactor", {"learning_rate": 0.1, "gradient_accumulation_steps": 3},
     MAT_VEC, "normal", 12, 1.0, "t counts real updates"),
    # ---------------- Ftrl ----------------
    ("ftrl_defaults", "Ftrl", {}, MAT_VEC, "normal", 12, 1.0, ""),
    ("ftrl_lr", "Ftrl", {"learning_rate": 0.5}, MAT_VEC, "normal", 12, 1.0, ""),
    ("ftrl_l1", "Ftrl", {"learning_rate": 0.5, "l1_regularization_strength": 0.5}, MAT_VEC, "normal", 12, 1.0,
     "coordinates with |z| <= l1 are exactly 0"),
    ("ftrl_l2", "Ftrl", {"learning_rate": 0.5, "l2_regularization_strength": 0.3}, MAT_VEC, "normal", 12, 1.0,
     ""),
    ("ftrl_l2_shrinkage", "Ftrl", {"learning_rate": 0.5, "l2_shrinkage_regularization_strength": 0.2}, MAT_VEC,
     "normal", 12, 1.0, ""),
    ("ftrl_beta", "Ftrl", {"learning_rate": 0.5, "beta": 1.0}, MAT_VEC, "normal", 12, 1.0, ""),
    ("ftrl_lr_power", "Ftrl", {"learning_rate": 0.5, "learning_rate_power": -0.3}, MAT_VEC, "normal", 12, 1.0,
     ""),
    ("ftrl_lr_power_zero", "Ftrl", {"learning_rate": 0.1, "learning_rate_power": 0.0}, MAT_VEC, "normal", 12,
     1.0, "a fixed per-coordinate rate"),
    ("ftrl_everything", "Ftrl",
     {"learning_rate": 0.2, "learning_rate_power": -0.7, "initial_accumulator_value": 0.5,
      "l1_regularization_strength": 0.05, "l2_regularization_strength": 0.1,
      "l2_shrinkage_regularization_strength": 0.05, "beta": 0.5}, MAT_VEC, "normal", 14, 1.0, ""),
    ("ftrl_tiny_accumulator_zero", "Ftrl", {"learning_rate": 0.1, "initial_accumulator_value": 0.0}, MAT_VEC,
     "tiny", 12, 1e-3, "n starts at 0 with epsilon-sized gradients"),
    ("ftrl_weight_decay", "Ftrl", {"learning_rate": 0.5, "weight_decay": 0.1}, MAT_VEC, "normal", 12, 1.0, ""),
    ("ftrl_clipvalue", "Ftrl", {"learning_rate": 0.5, "clipvalue": 0.5}, MAT_VEC, "clip", 12, 1.0, ""),
    ("ftrl_gradient_accumulation", "Ftrl", {"learning_rate": 0.5, "gradient_accumulation_steps": 2}, MAT_VEC,
     "normal", 12, 1.0, ""),
    ("ftrl_schedule", "Ftrl",
     {"learning_rate": S("PiecewiseConstantDecay", boundaries=[3, 7], values=[0.5, 0.2, 0.05])}, MAT_VEC,
     "normal", 12, 1.0, "beta/(2 lr) and n^(-p)/lr follow the schedule"),
    # ---------------- Lamb ----------------
    ("lamb_defaults", "Lamb", {}, MAT_VEC, "normal", 12, 1.0, ""),
    ("lamb_lr", "Lamb", {"learning_rate": 0.05}, MAT_VEC, "normal", 12, 1.0, ""),
    ("lamb_tiny", "Lamb", {"learning_rate": 0.01}, MAT_VEC, "tiny", 12, 1e-3, "epsilon on the corrected sqrt(v)"),
    ("lamb_tiny_only", "Lamb", {"learning_rate": 0.01}, MAT_VEC, "tiny_only", 12, 1.0, ""),
    ("lamb_custom", "Lamb", {"learning_rate": 0.05, "beta_1": 0.5, "beta_2": 0.9, "epsilon": 1e-3}, MAT_VEC,
     "normal", 12, 1.0, ""),
    ("lamb_zero_weights_zero_gradient", "Lamb", {"learning_rate": 0.05}, MAT_VEC, "zero_first", 10, 0.0,
     "||w|| = 0 at step 1 (and ||r|| = 0 for the vector): trust ratio 1"),
    ("lamb_weight_decay", "Lamb", {"learning_rate": 0.05, "weight_decay": 0.1}, MAT_VEC, "normal", 12, 1.0,
     "decoupled, outside the trust ratio"),
    ("lamb_global_clipnorm", "Lamb", {"learning_rate": 0.05, "global_clipnorm": 3.0}, MAT_VEC, "clip", 12, 1.0,
     ""),
    ("lamb_gradient_accumulation", "Lamb", {"learning_rate": 0.05, "gradient_accumulation_steps": 2}, MAT_VEC,
     "normal", 12, 1.0, ""),
    ("lamb_schedule", "Lamb",
     {"learning_rate": S("InverseTimeDecay", initial_learning_rate=0.1, decay_steps=3, decay_rate=0.5)},
     MAT_VEC, "normal", 12, 1.0, ""),
    # ---------------- Muon ----------------
    ("muon_defaults", "Muon", {}, MAT_VEC, "normal", 12, 1.0,
     "Newton-Schulz on the (4,3) matrix (transposed: rows > cols), AdamW on the vector"),
    ("muon_wide_and_3d", "Muon", {"learning_rate": 0.02}, [(3, 4), (2, 4, 3)], "normal", 10, 1.0,
     "a wide matrix is not transposed; a 3-D variable takes the AdamW step"),
    ("muon_square_and_row", "Muon", {"learning_rate": 0.02}, [(3, 3), (1, 4)], "normal", 10, 1.0,
     "a 1x4 matrix: the step is the normalised momentum"),
    ("muon_no_nesterov", "Muon", {"learning_rate": 0.02, "nesterov": False}, MAT_VEC, "normal", 12, 1.0, ""),
    ("muon_rms_rate_none", "Muon", {"learning_rate": 0.02, "rms_rate": None}, MAT_VEC, "normal", 12, 1.0,
     "no RMS matching"),
    ("muon_rms_rate_custom", "Muon", {"learning_rate": 0.02, "rms_rate": 0.5, "momentum": 0.8}, MAT_VEC,
     "normal", 12, 1.0, ""),
    ("muon_ns_custom", "Muon",
     {"learning_rate": 0.02, "ns_steps": 3, "muon_a": 2.0, "muon_b": -1.5, "muon_c": 0.5, "momentum": 0.9},
     MAT_VEC, "normal", 12, 1.0, ""),
    ("muon_ns_zero_steps", "Muon", {"learning_rate": 0.02, "ns_steps": 0}, MAT_VEC, "normal", 10, 1.0,
     "only the Frobenius normalisation"),
    ("muon_adam_options", "Muon",
     {"learning_rate": 0.02, "adam_lr_ratio": 0.1, "adam_beta_1": 0.8, "adam_beta_2": 0.95, "epsilon": 1e-4,
      "adam_weight_decay": 0.1, "weight_decay": 0.0}, MAT_VEC, "normal", 12, 1.0,
     "Adam decay uses lr, not lr * adam_lr_ratio"),
    ("muon_weight_decay_none", "Muon",
     {"learning_rate": 0.05, "weight_decay": None, "adam_weight_decay": 0.2}, MAT_VEC, "normal", 12, 1.0,
     "matrices not decayed, the vector still is"),
    ("muon_weight_decay_large", "Muon", {"learning_rate": 0.05, "weight_decay": 0.5}, MAT_VEC, "normal", 12, 1.0,
     ""),
    ("muon_tiny", "Muon", {"learning_rate": 0.02}, MAT_VEC, "tiny", 12, 1e-3, ""),
    ("muon_tiny_only", "Muon", {"learning_rate": 0.02, "nesterov": False}, MAT_VEC, "tiny_only", 12, 1e-3,
     "||m||_F ~ 1e-8..1e-7: the 1e-7 in the normalisation matters"),
    ("muon_schedule", "Muon",
     {"learning_rate": S("ExponentialDecay", initial_learning_rate=0.05, decay_steps=3, decay_rate=0.5),
      "weight_decay": 0.2}, MAT_VEC, "normal", 12, 1.0, "the decay follows the scheduled lr"),
    ("muon_clipnorm", "Muon", {"learning_rate": 0.02, "clipnorm": 1.0}, MAT_VEC, "clip", 12, 1.0, ""),
    ("muon_gradient_accumulation", "Muon", {"learning_rate": 0.02, "gradient_accumulation_steps": 2}, MAT_VEC,
     "normal", 12, 1.0, ""),
    # ---------------- ScheduleFreeAdamW ----------------
    ("sfadamw_defaults", "ScheduleFreeAdamW", {}, MAT_VEC, "normal", 12, 1.0, ""),
    ("sfadamw_lr", "ScheduleFreeAdamW", {"learning_rate": 0.05}, MAT_VEC, "normal", 15, 1.0, ""),
    ("sfadamw_warmup", "ScheduleFreeAdamW", {"learning_rate": 0.05, "warmup_steps": 5}, MAT_VEC, "normal", 12,
     1.0, "lr ramps up over 5 steps"),
    ("sfadamw_custom", "ScheduleFreeAdamW",
     {"learning_rate": 0.05, "beta_1": 0.5, "beta_2": 0.9, "epsilon": 1e-4}, MAT_VEC, "normal", 12, 1.0, ""),
    ("sfadamw_beta_1_one", "ScheduleFreeAdamW", {"learning_rate": 0.05, "beta_1": 1.0}, MAT_VEC, "normal", 10,
     1.0, "y = x: pure averaging"),
    ("sfadamw_tiny", "ScheduleFreeAdamW", {"learning_rate": 0.01}, MAT_VEC, "tiny", 12, 1e-3, ""),
    ("sfadamw_weight_decay", "ScheduleFreeAdamW", {"learning_rate": 0.05, "weight_decay": 0.1}, MAT_VEC, "normal",
     12, 1.0, "decays y before the step"),
    ("sfadamw_schedule_warmup", "ScheduleFreeAdamW",
     {"learning_rate": S("PiecewiseConstantDecay", boundaries=[4], values=[0.05, 0.01]), "warmup_steps": 3},
     MAT_VEC, "normal", 10, 1.0, ""),
    ("sfadamw_clipvalue", "ScheduleFreeAdamW", {"learning_rate": 0.05, "clipvalue": 0.5}, MAT_VEC, "clip", 12,
     1.0, ""),
    ("sfadamw_gradient_accumulation", "ScheduleFreeAdamW",
     {"learning_rate": 0.05, "gradient_accumulation_steps": 3}, MAT_VEC, "normal", 12, 1.0, ""),
]

# Cases that reuse another case's inputs (same params0 and gradients), to show an option has no effect.
SAME_INPUTS_AS = {"adafactor_lr_relative_step_false": "adafactor_lr"}

# Rosenbrock closed loops: (id, optimizer, kwargs, variable shape, start (x, y), steps, notes)
LOOPS = [
    ("adafactor_rosenbrock", "Adafactor", {"learning_rate": 0.5}, (2,), (-1.2, 1.0), 40, ""),
    ("adafactor_rosenbrock_row_matrix", "Adafactor", {"learning_rate": 0.5}, (1, 2), (-1.2, 1.0), 40,
     "the point as a 1x2 matrix: factored"),
    ("ftrl_rosenbrock", "Ftrl", {"learning_rate": 0.3, "beta": 1.0}, (2,), (-1.2, 1.0), 40, ""),
    ("lamb_rosenbrock", "Lamb", {"learning_rate": 0.02}, (2,), (-1.2, 1.0), 40, ""),
    ("muon_rosenbrock", "Muon", {"learning_rate": 0.02}, (2,), (-1.2, 1.0), 40, "the AdamW step (a 2-vector)"),
    ("muon_rosenbrock_row_matrix", "Muon", {"learning_rate": 0.01}, (1, 2), (-1.2, 1.0), 40,
     "the point as a 1x2 matrix: Newton-Schulz step"),
    ("sfadamw_rosenbrock", "ScheduleFreeAdamW", {"learning_rate": 0.05, "warmup_steps": 5}, (2,), (-1.2, 1.0), 40,
     ""),
]


# --------------------------------------------------------------------------- #
# Inputs                                                                        #
# --------------------------------------------------------------------------- #
def _sign(rng, shape):
    return np.where(rng.random(shape) < 0.5, -1.0, 1.0)


def _first_big(rng, g, shape):
    big = rng.standard_normal(shape)
    mask = np.zeros(shape, dtype=bool)
    mask.flat[0] = True
    return np.where(mask, big, g)


def make_grads(rng, kind, shapes, n_steps):
    out = []
    for step in range(n_steps):
        gs = []
        for vi, shape in enumerate(shapes):
            if kind == "normal":
                g = rng.standard_normal(shape)
            elif kind == "tiny":
                g = _first_big(rng, _sign(rng, shape) * 10.0 ** rng.uniform(-9.0, -7.0, shape), shape)
            elif kind == "tiny_only":
                g = _sign(rng, shape) * 10.0 ** rng.uniform(-9.0, -8.0, shape)
            elif kind == "subtiny":
                g = _first_big(rng, _sign(rng, shape) * 10.0 ** rng.uniform(-17.0, -13.0, shape), shape)
            elif kind == "growing":
                g = rng.standard_normal(shape) * 10.0 ** (step / 4.0)
            elif kind == "clip":
                scale = [0.3, 3.0, 0.2, 1.5][(step + vi) % 4]
                if step % 3 == 2:
                    scale *= 0.2
                g = scale * rng.standard_normal(shape)
            elif kind == "zero_first":
                g = rng.standard_normal(shape)
                if step == 0 and vi == len(shapes) - 1:
                    g = np.zeros(shape)
            else:
                raise ValueError(kind)
            gs.append(np.asarray(g, dtype=np.float64))
        out.append(gs)
    return out


# --------------------------------------------------------------------------- #
# Running Keras                                                                 #
# --------------------------------------------------------------------------- #
def build_optimizer(name, kwargs):
    kw = dict(kwargs)
    lr = kw.get("learning_rate")
    if isinstance(lr, dict):
        kw["learning_rate"] = getattr(keras.optimizers.schedules, lr["schedule"])(**lr["config"])
    return getattr(keras.optimizers, name)(**kw)


F32_REDUCTIONS = ("Adafactor", "Muon")


@contextlib.contextmanager
def float64_reductions():
    """Keras with ops.mean and ops.norm computed in the input's dtype (float64) instead of float32."""
    mean, norm = keras_backend.numpy.mean, keras_backend.linalg.norm

    def mean64(x, axis=None, keepdims=False):
        return jnp.mean(keras_backend.convert_to_tensor(x), axis=axis, keepdims=keepdims)

    def norm64(x, ord=None, axis=None, keepdims=False):
        return jnp.linalg.norm(keras_backend.convert_to_tensor(x), ord=ord, axis=axis, keepdims=keepdims)

    keras_backend.numpy.mean, keras_backend.linalg.norm = mean64, norm64
    try:
        yield
    finally:
        keras_backend.numpy.mean, keras_backend.linalg.norm = mean, norm


def float32_reduction_evidence():
    x = np.random.default_rng(SEED).standard_normal((4, 3))
    t = keras.ops.convert_to_tensor(x, dtype="float64")
    mean = np.asarray(keras.ops.mean(t, axis=-1))
    with float64_reductions():
        mean64 = np.asarray(keras.ops.mean(t, axis=-1))
    return {"result_type(float64, float32)": keras_backend.result_type("float64", "float32"),
            "ops.norm(float64).dtype": str(keras.ops.norm(t).dtype),
            "ops.mean(float64).dtype": str(keras.ops.mean(t).dtype),
            "max rel. difference of ops.mean from the float64 mean": float(
                np.max(np.abs(mean - np.mean(x, axis=-1)) / np.abs(np.mean(x, axis=-1)))),
            "max rel. difference of patched ops.mean from the float64 mean": float(
                np.max(np.abs(mean64 - np.mean(x, axis=-1)) / np.abs(np.mean(x, axis=-1))))}


def to_list(x):
    return np.asarray(x, dtype=np.float64).tolist()


def read_slots(opt, name, variables):
    """{engine slot name: [value or None per variable]} from the optimizer's own attributes."""
    def per_var(seq, keep=lambda v: True):
        out = []
        for var in variables:
            slot = seq[opt._get_variable_index(var)]
            out.append(to_list(slot.numpy()) if slot is not None and keep(var) else None)
        return out

    if name == "Adafactor":
        slots = {"r": per_var(opt._r, lambda v: len(v.shape) >= 2), "c": per_var(opt._c, lambda v: len(v.shape) >= 2),
                 "velocity": per_var(opt._v)}
    elif name == "Ftrl":
        slots = {"accumulator": per_var(opt._accumulators), "linear": per_var(opt._linears)}
    elif name in ("Lamb", "ScheduleFreeAdamW"):
        slots = {"momentum": per_var(opt._momentums), "velocity": per_var(opt._velocities)}
    elif name == "Muon":
        slots = {"momentum": per_var(opt.momentums), "velocity": per_var(opt.adam_velocities)}
    else:
        raise ValueError(name)
    if opt.gradient_accumulation_steps:
        slots["gradient_accumulator"] = per_var(opt._accumulated_gradients)
    return slots


def schedule_free_x(opt, kwargs, variables):
    b1 = kwargs.get("beta_1", 0.9)
    out = []
    for var in variables:
        y = np.asarray(var.numpy())
        z = np.asarray(opt._momentums[opt._get_variable_index(var)].numpy())
        out.append(to_list((y - (1.0 - b1) * z) / b1))
    return out


def check_clipping_mixed(cid, kwargs, grads):
    """Clipping must trigger on some steps but not on all."""
    hits = []
    for gs in grads:
        if kwargs.get("clipnorm"):
            hits += [np.linalg.norm(g) > kwargs["clipnorm"] for g in gs]
        elif kwargs.get("global_clipnorm"):
            hits.append(np.sqrt(sum(float(np.sum(g * g)) for g in gs)) > kwargs["global_clipnorm"])
        elif kwargs.get("clipvalue"):
            hits += [bool(np.any(np.abs(g) > kwargs["clipvalue"])) for g in gs]
        else:
            return
    assert any(hits) and not all(hits), f"{cid}: clipping triggers {hits}"


def run(index, cid, name, kwargs, shapes, kind, n_steps, scale, notes, loop=None, start=None):
    case = run_keras(index, cid, name, kwargs, shapes, kind, n_steps, scale, notes, loop, start)
    if name in F32_REDUCTIONS:
        with float64_reductions():
            f64 = run_keras(index, cid, name, kwargs, shapes, kind, n_steps, scale, notes, loop, start)
        assert f64["params0"] == case["params0"] and (loop or f64["grads"] == case["grads"])
        case["params_f64"], case["slots_f64"] = f64["params"], f64["slots"]
        if loop:
            case["grads_f64"] = f64["grads"]
    return case


def run_keras(index, cid, name, kwargs, shapes, kind, n_steps, scale, notes, loop, start):
    rng = np.random.default_rng([SEED, index])
    if loop is None:
        params0 = [scale * rng.standard_normal(s) for s in shapes]
        grads = make_grads(rng, kind, shapes, n_steps)
        check_clipping_mixed(cid, kwargs, grads)
    else:
        params0 = [np.reshape(np.array(start, dtype=np.float64), shapes[0])]
        grads = []
    variables = [keras.Variable(p, dtype="float64", name=f"w{i}") for i, p in enumerate(params0)]
    opt = build_optimizer(name, kwargs)
    params_hist, lrs, x_hist = [], [], []
    for step in range(n_steps):
        if loop is not None:
            grads.append([rosenbrock_grad(np.asarray(variables[0].numpy()))])
        lrs.append(float(np.asarray(opt._get_current_learning_rate())))
        opt.apply([keras.ops.convert_to_tensor(g, dtype="float64") for g in grads[step]], variables)
        params_hist.append([to_list(v.numpy()) for v in variables])
        assert all(v.dtype == "float64" for v in variables)
        if name == "ScheduleFreeAdamW":
            x_hist.append(schedule_free_x(opt, kwargs, variables))
    for step in params_hist:
        assert all(np.all(np.isfinite(np.asarray(p))) for p in step), cid
    case = {
        "id": cid, "optimizer": name, "kwargs": kwargs, "loop": loop, "grad_kind": kind if loop is None else None,
        "notes": notes, "shapes": [list(s) for s in shapes],
        "params0": [to_list(p) for p in params0],
        "grads": [[to_list(g) for g in gs] for gs in grads],
        "params": params_hist, "lr": lrs,
        "slots": read_slots(opt, name, variables),
        "iterations": int(np.asarray(opt.iterations)),
    }
    if name == "ScheduleFreeAdamW":
        case["x_history"] = x_hist
    return case


def build():
    cases = []
    index = 0
    first = {case[0]: i for i, case in enumerate(FED)}
    for cid, name, kwargs, shapes, kind, n_steps, scale, notes in FED:
        seed_index = first[SAME_INPUTS_AS[cid]] if cid in SAME_INPUTS_AS else index
        cases.append(run(seed_index, cid, name, kwargs, shapes, kind, n_steps, scale, notes))
        index += 1
    for cid, name, kwargs, shape, start, n_steps, notes in LOOPS:
        cases.append(run(index, cid, name, kwargs, [shape], None, n_steps, None, notes, loop="rosenbrock",
                         start=start))
        index += 1
    ids = [c["id"] for c in cases]
    assert len(ids) == len(set(ids)), "duplicate case id"
    meta = {
        "keras_version": keras.__version__, "jax_version": jax.__version__, "numpy_version": np.__version__,
        "backend": keras.backend.backend(), "floatx": keras.config.floatx(), "command": COMMAND, "seed": SEED,
        "generator": "tools/make_keras_zoo_fixtures.py",
        "float32_reductions": float32_reduction_evidence(),
        "description": ("params[k][v] = variable v after the (k+1)-th apply(); grads[k][v] = the gradient fed at "
                        "that call (for loop='rosenbrock' the gradient at the variable's value before it); "
                        "lr[k] = learning rate used at that call; slots = final optimizer variables by engine "
                        "slot name (null: Keras keeps no real slot for that variable); x_history = "
                        "(y - (1 - beta_1) z) / beta_1 after each step (ScheduleFreeAdamW); params_f64/slots_f64 (and "
                        "grads_f64 for closed loops): the same case with Keras's ops.mean/ops.norm computed in "
                        "float64 (Adafactor, Muon)."),
    }
    assert meta["backend"] == "jax" and meta["floatx"] == "float64"
    return {"meta": meta, "cases": cases}


def main(argv):
    write(build, argv, DEFAULT_OUT, f"keras {keras.__version__}")


if __name__ == "__main__":
    main(sys.argv)
