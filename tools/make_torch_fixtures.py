"""Generate real-PyTorch reference fixtures for the engine's ``flavor="pytorch"``.

This is a *tool*, not part of the app: neither the app nor its tests import
torch. It runs ``torch.optim`` (torch 2.13.0, CPU, float64) and writes
``tests/fixtures/torch_fixtures.json``, which ``tests/test_torch_fixtures.py``
compares the NumPy engine against.

Command that produced the committed fixture file (from the repo root)::

    python3 -m venv /tmp/tvenv
    /tmp/tvenv/bin/pip install -r tools/requirements-torch.txt
    /tmp/tvenv/bin/python tools/make_torch_fixtures.py

An optional argument gives another output path.

Design
------
* ``torch.set_default_dtype(torch.float64)`` comes first, so parameters,
  gradients and torch's scalar state (``step``, NAdam's ``mu_product``) are
  all float64.
* Every case has two parameters, shapes (3,) and (2, 2), and a fixed,
  pre-generated sequence of ``N_STEPS`` gradients that is assigned to
  ``p.grad`` before each ``opt.step()``. Gradients are NOT computed from a
  loss, so nothing is chaotic.
* All inputs come from ``numpy.random.default_rng([SEED, case_index])``:
  adding a case at the end does not change earlier ones.
* The gradient entries follow a fixed pattern of coordinate kinds, so that
  ε-placement errors are visible (large gradients hide them):
  ``tiny`` coordinates always get |g| in [1e-8, 1e-7] (the size of ε), with
  a fixed sign per coordinate (so their moments stay ε-sized and their
  steps do not average out),
  ``big`` ones get O(1) gradients, and ``mixed`` ones get either, at random
  per step. Gradients are never exactly zero (ε = 0 cases stay finite).
* ``params0`` entries are ±[0.5, 2]: away from 0, so relative errors of the
  parameters are meaningful.
* A case says how torch is called (``torch.class``/``torch.kwargs``; ``betas``
  is stored as a list) and how the engine is called
  (``engine.name``/``flavor``/``kwargs``, Keras argument names). With
  ``flavor="pytorch"`` the engine kwargs are derived from the torch kwargs by
  ``engine_kwargs`` below; with ``flavor="keras"`` they are a Keras
  configuration that docs/maths.md ("PyTorch flavour") says is identical.

Fixture format::

    {"meta": {"torch_version", "numpy_version", "command", "seed", "n_steps", ...},
     "cases": [{"id", "note",
                "torch": {"class", "kwargs"},
                "engine": {"name", "flavor", "kwargs"},
                "params0": [p0, p1],
                "grads": [[g0, g1] per step],
                "params": [[p0, p1] after each step]}]}
"""
import sys
from pathlib import Path

from fixture_io import write  # tools/fixture_io.py: one case per line

import numpy as np
import torch

torch.set_default_dtype(torch.float64)

SEED = 20260613
N_STEPS = 15
ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "fixtures" / "torch_fixtures.json"
COMMAND = ("python3 -m venv /tmp/tvenv && /tmp/tvenv/bin/pip install -r tools/requirements-torch.txt && "
           "/tmp/tvenv/bin/python tools/make_torch_fixtures.py")

# Coordinate kinds of the two parameters (shapes (3,) and (2, 2)).
PATTERN = [np.array(["tiny", "mixed", "big"]),
           np.array([["big", "tiny"], ["mixed", "tiny"]])]

# torch.optim class → engine class name (GradientDescent is SGD without momentum).
ENGINE_NAME = {"SGD": "SGD", "Adagrad": "Adagrad", "RMSprop": "RMSprop", "Adadelta": "Adadelta",
               "Adam": "Adam", "AdamW": "AdamW", "Adamax": "Adamax", "NAdam": "Nadam"}

# torch argument → engine (Keras) argument; betas is split into beta_1, beta_2.
RENAME = {"lr": "learning_rate", "eps": "epsilon", "alpha": "rho"}


def engine_kwargs(torch_kwargs):
    """The engine's pytorch-flavour kwargs for a torch.optim call (the mapping under test)."""
    out = {}
    for key, value in torch_kwargs.items():
        if key == "betas":
            out["beta_1"], out["beta_2"] = value
        else:
            out[RENAME.get(key, key)] = value
    return out


def _tiny(rng, shape, sign):
    return sign * 10.0 ** rng.uniform(-8.0, -7.0, size=shape)


def _big(rng, shape):
    # O(1), bounded away from 0.
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.2, 2.0, size=shape)


def make_inputs(index):
    rng = np.random.default_rng([SEED, index])
    params0 = [rng.choice([-1.0, 1.0], size=k.shape) * rng.uniform(0.5, 2.0, size=k.shape) for k in PATTERN]
    # A tiny coordinate keeps one sign, so its moments are ε-sized too (random signs would average out).
    signs = [rng.choice([-1.0, 1.0], size=k.shape) for k in PATTERN]
    grads = []
    for _ in range(N_STEPS):
        step = []
        for kinds, sign in zip(PATTERN, signs):
            tiny, big = _tiny(rng, kinds.shape, sign), _big(rng, kinds.shape)
            coin = rng.random(kinds.shape) < 0.5
            use_big = (kinds == "big") | ((kinds == "mixed") & coin)
            step.append(np.where(use_big, big, tiny))
        grads.append(step)
    return params0, grads


def run_torch(cls_name, kwargs, params0, grads):
    params = [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in params0]
    torch_kwargs = {k: (tuple(v) if k == "betas" else v) for k, v in kwargs.items()}
    opt = getattr(torch.optim, cls_name)(params, **torch_kwargs)
    out = []
    for step in grads:
        for p, g in zip(params, step):
            p.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        out.append([p.detach().numpy().copy() for p in params])
    for p in params:
        assert p.dtype == torch.float64
    return out


# (id, torch class, torch kwargs, note). The engine runs flavor="pytorch" with engine_kwargs(torch kwargs);
# GradientDescent cases are torch SGD without momentum, run as the engine's GradientDescent.
PYTORCH_CASES = [
    ("gd_default", "SGD", {}, "GradientDescent(pytorch) defaults = torch SGD() (lr 1e-3)", "GradientDescent"),
    ("gd_lr_weight_decay", "SGD", {"lr": 0.1, "weight_decay": 0.05}, "L2 weight decay", "GradientDescent"),
    ("sgd_default", "SGD", {}, "defaults: lr 1e-3, no momentum", None),
    ("sgd_momentum", "SGD", {"lr": 0.05, "momentum": 0.9}, "buffer b1 = g1", None),
    ("sgd_nesterov", "SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}, "", None),
    ("sgd_dampening", "SGD", {"lr": 0.05, "momentum": 0.8, "dampening": 0.3},
     "first buffer is g (undamped), then μb + (1−d)g", None),
    ("sgd_weight_decay", "SGD", {"lr": 0.1, "weight_decay": 0.01}, "L2, no momentum", None),
    ("sgd_momentum_weight_decay", "SGD", {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.02},
     "L2 enters the momentum buffer", None),
    ("sgd_nesterov_weight_decay", "SGD", {"lr": 0.05, "momentum": 0.7, "nesterov": True, "weight_decay": 0.05},
     "", None),
    ("adagrad_default", "Adagrad", {}, "defaults: lr 0.01, a0 0, eps 1e-10 outside the root", None),
    ("adagrad_lr_decay", "Adagrad", {"lr": 0.1, "lr_decay": 0.05}, "η_t = η / (1 + (t−1)·lr_decay)", None),
    ("adagrad_initial_accumulator", "Adagrad", {"lr": 0.1, "initial_accumulator_value": 0.2, "eps": 1e-7}, "",
     None),
    ("adagrad_weight_decay", "Adagrad", {"lr": 0.05, "weight_decay": 0.01, "lr_decay": 0.01}, "L2", None),
    ("rmsprop_default", "RMSprop", {}, "defaults: lr 0.01, alpha 0.99, eps 1e-8 outside the root", None),
    ("rmsprop_momentum", "RMSprop", {"lr": 0.01, "momentum": 0.9}, "η outside the momentum buffer", None),
    ("rmsprop_centered", "RMSprop", {"lr": 0.01, "centered": True}, "", None),
    ("rmsprop_centered_momentum", "RMSprop",
     {"lr": 0.005, "alpha": 0.9, "eps": 1e-7, "momentum": 0.5, "centered": True}, "", None),
    ("rmsprop_weight_decay", "RMSprop", {"lr": 0.01, "alpha": 0.95, "weight_decay": 0.02}, "L2", None),
    ("adadelta_default", "Adadelta", {}, "defaults: lr 1.0, rho 0.9, eps 1e-6", None),
    ("adadelta_custom", "Adadelta", {"lr": 0.5, "rho": 0.95, "eps": 1e-7, "weight_decay": 0.01}, "L2", None),
    ("adam_default", "Adam", {}, "defaults: lr 1e-3, eps 1e-8 on the bias-corrected √v̂", None),
    ("adam_amsgrad", "Adam", {"lr": 0.01, "amsgrad": True}, "", None),
    ("adam_weight_decay", "Adam", {"lr": 0.01, "weight_decay": 0.05}, "L2 (coupled), not decoupled", None),
    ("adam_custom", "Adam", {"lr": 0.02, "betas": [0.8, 0.99], "eps": 1e-7}, "", None),
    ("adamw_default", "AdamW", {}, "defaults: weight_decay 0.01, decoupled w·(1 − lr·wd)", None),
    ("adamw_custom", "AdamW", {"lr": 0.01, "betas": [0.85, 0.995], "eps": 1e-7, "weight_decay": 0.1}, "", None),
    ("adamw_amsgrad", "AdamW", {"lr": 0.01, "weight_decay": 0.05, "amsgrad": True}, "", None),
    ("adamax_default", "Adamax", {}, "defaults: lr 2e-3, eps 1e-8 inside the max", None),
    ("adamax_custom", "Adamax", {"lr": 0.01, "betas": [0.8, 0.99], "eps": 1e-7, "weight_decay": 0.01}, "L2",
     None),
    ("nadam_default", "NAdam", {}, "defaults: lr 2e-3, eps 1e-8, momentum_decay ψ = 0.004", None),
    ("nadam_momentum_decay_1", "NAdam", {"momentum_decay": 1.0}, "ψ = 1: Keras's 0.96^t schedule", None),
    ("nadam_custom", "NAdam", {"lr": 0.01, "betas": [0.85, 0.99], "eps": 1e-7, "momentum_decay": 0.02,
                               "weight_decay": 0.01}, "L2", None),
]

# (id, torch class, torch kwargs, engine name, Keras-flavour kwargs, note): settings that are identical
# in Keras 3 and torch.optim (docs/maths.md, "PyTorch flavour").
KERAS_CASES = [
    ("keras_sgd_momentum", "SGD", {"lr": 0.05, "momentum": 0.9}, "SGD", {"learning_rate": 0.05, "momentum": 0.9},
     "constant lr: v = −η·b"),
    ("keras_sgd_nesterov", "SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}, "SGD",
     {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True}, ""),
    ("keras_sgd_weight_decay", "SGD", {"lr": 0.1, "weight_decay": 0.05}, "SGD",
     {"learning_rate": 0.1, "weight_decay": 0.05}, "decoupled = L2 without momentum"),
    ("keras_adagrad_eps0", "Adagrad", {"lr": 0.1, "eps": 0.0}, "Adagrad",
     {"learning_rate": 0.1, "initial_accumulator_value": 0.0, "epsilon": 0.0}, ""),
    ("keras_rmsprop_centered_momentum_eps0", "RMSprop",
     {"lr": 0.005, "alpha": 0.9, "eps": 0.0, "momentum": 0.5, "centered": True}, "RMSprop",
     {"learning_rate": 0.005, "rho": 0.9, "epsilon": 0.0, "momentum": 0.5, "centered": True}, ""),
    ("keras_adadelta", "Adadelta", {"lr": 1.0, "rho": 0.9, "eps": 1e-6}, "Adadelta",
     {"learning_rate": 1.0, "rho": 0.9, "epsilon": 1e-6}, "same hyper-parameters"),
    ("keras_adam_eps0", "Adam", {"lr": 0.01, "eps": 0.0}, "Adam", {"learning_rate": 0.01, "epsilon": 0.0}, ""),
    ("keras_amsgrad_eps0", "Adam", {"lr": 0.01, "eps": 0.0, "amsgrad": True}, "Adam",
     {"learning_rate": 0.01, "epsilon": 0.0, "amsgrad": True}, ""),
    ("keras_adamw_eps0", "AdamW", {"lr": 0.01, "eps": 0.0, "weight_decay": 0.05}, "AdamW",
     {"learning_rate": 0.01, "epsilon": 0.0, "weight_decay": 0.05}, ""),
    ("keras_adamax_eps0", "Adamax", {"lr": 0.002, "eps": 0.0}, "Adamax", {"learning_rate": 0.002, "epsilon": 0.0},
     ""),
    ("keras_nadam", "NAdam", {"lr": 0.001, "eps": 1e-7, "momentum_decay": 1.0}, "Nadam", {},
     "Keras Nadam defaults = NAdam(lr=1e-3, eps=1e-7, momentum_decay=1.0)"),
    ("keras_nadam_custom", "NAdam", {"lr": 0.01, "betas": [0.85, 0.99], "eps": 1e-8, "momentum_decay": 1.0},
     "Nadam", {"learning_rate": 0.01, "beta_1": 0.85, "beta_2": 0.99, "epsilon": 1e-8}, ""),
]


def build():
    cases = []
    index = 0
    specs = [(cid, cls, tk, name or ENGINE_NAME[cls], "pytorch", engine_kwargs(tk), note)
             for cid, cls, tk, note, name in PYTORCH_CASES]
    specs += [(cid, cls, tk, name, "keras", ek, note) for cid, cls, tk, name, ek, note in KERAS_CASES]
    for cid, cls, tk, name, flavor, ek, note in specs:
        params0, grads = make_inputs(index)
        index += 1
        params = run_torch(cls, tk, params0, grads)
        for step in params:
            assert all(np.all(np.isfinite(p)) for p in step), cid
        cases.append({
            "id": cid, "note": note,
            "torch": {"class": cls, "kwargs": tk},
            "engine": {"name": name, "flavor": flavor, "kwargs": ek},
            "params0": [p.tolist() for p in params0],
            "grads": [[g.tolist() for g in step] for step in grads],
            "params": [[p.tolist() for p in step] for step in params],
        })
    ids = [c["id"] for c in cases]
    assert len(ids) == len(set(ids))
    meta = {"torch_version": torch.__version__, "numpy_version": np.__version__,
            "default_dtype": str(torch.get_default_dtype()), "command": COMMAND, "seed": SEED,
            "n_steps": N_STEPS, "shapes": [list(k.shape) for k in PATTERN],
            "gradient_pattern": [k.tolist() for k in PATTERN],
            "generator": "tools/make_torch_fixtures.py"}
    return {"meta": meta, "cases": cases}


def main(argv):
    write(build, argv, OUT, f"torch {torch.__version__}")


if __name__ == "__main__":
    main(sys.argv)
