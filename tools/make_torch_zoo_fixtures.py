"""Generate torch.optim reference fixtures for the engine's Adafactor and Muon (``flavor="pytorch"``).

A *tool*, not part of the app: neither the app nor its tests import torch.
It runs ``torch.optim.Adafactor`` and ``torch.optim.Muon`` (torch 2.13.0,
CPU, float64) and writes ``tests/fixtures/torch_zoo_fixtures.json``, which
``tests/test_keras_zoo_fixtures.py`` compares the engine against. Of the
five optimizers Keras 3.15 added to the lab's ten, torch.optim 2.13 has only
these two (no Ftrl, Lamb or Schedule-Free optimizer).

Command that produced the committed fixture file (from the repo root)::

    python3 -m venv /tmp/tvenv
    /tmp/tvenv/bin/pip install -r tools/requirements-torch.txt
    /tmp/tvenv/bin/python tools/make_torch_zoo_fixtures.py

An optional argument gives another output path.

Design
------
* ``torch.set_default_dtype(torch.float64)`` first; every parameter and
  gradient is float64.
* Fed gradients: each case has its own parameter shapes and a fixed,
  pre-generated sequence of gradients assigned to ``p.grad`` before each
  ``opt.step()``. Closed loops (``"loop": "rosenbrock"``): one parameter of
  shape (2,) or (1, 2) holding (x, y) and the gradient of
  f = (1 − x)² + 100 (y − x²)² at its current value (NumPy float64).
* Inputs come from ``numpy.random.default_rng([SEED, case index])``;
  gradient kinds as in tools/make_keras_zoo_fixtures.py (``normal``,
  ``tiny_only`` |g| in [1e-10, 1e-9], ``subtiny`` |g| in [1e-17, 1e-13] with
  one O(1) entry per parameter, ``growing``).
* **Muon's bfloat16.** ``torch.optim.Muon`` runs its Newton–Schulz iteration
  in bfloat16 (``grad.bfloat16()`` inside ``_zeropower_via_newtonschulz``):
  its steps carry bfloat16 rounding (~3 significant digits), which no
  float64 engine can match to 1e-6. Every Muon case is therefore run twice:
  ``params`` with ``Tensor.bfloat16`` replaced by a float64 copy for the
  duration of the run (``no_bfloat16()`` below; everything else is torch's
  own code, so this is torch's algorithm in float64), and ``params_bf16``
  with real torch. The engine must match the first to rtol 1e-6 and the
  second to bfloat16 accuracy.

Fixture format::

    {"meta": {...},
     "cases": [{"id", "note", "loop", "shapes",
                "torch": {"class", "kwargs"}, "engine": {"name", "flavor", "kwargs"},
                "params0", "grads": [[g per param] per step],
                "params": [[p per param] after each step],
                "params_bf16" (Muon only; with "grads_bf16" for closed loops)}]}
"""
import contextlib
import sys
from pathlib import Path

from fixture_io import write  # tools/fixture_io.py: one case per line

import numpy as np
import torch

torch.set_default_dtype(torch.float64)

SEED = 20260802
ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "fixtures" / "torch_zoo_fixtures.json"
COMMAND = ("python3 -m venv /tmp/tvenv && /tmp/tvenv/bin/pip install -r tools/requirements-torch.txt && "
           "/tmp/tvenv/bin/python tools/make_torch_zoo_fixtures.py")
MAT_VEC = [(4, 3), (2,)]
TALL_WIDE = [(4, 3), (3, 4)]


def rosenbrock_grad(p):
    x, y = np.reshape(p, -1)
    return np.reshape(np.array([-2.0 * (1.0 - x) - 400.0 * x * (y - x * x), 200.0 * (y - x * x)]), np.shape(p))


# (id, torch class, torch kwargs, shapes, grad kind, steps, params0 scale, note)
FED = [
    ("adafactor_default", "Adafactor", {}, MAT_VEC, "normal", 12, 1.0, "lr 1e-2, eps (None → machine ε, 1e-3)"),
    ("adafactor_lr", "Adafactor", {"lr": 0.3}, MAT_VEC, "normal", 15, 1.0, "rho switches to 1/sqrt(t) at t = 12"),
    ("adafactor_d", "Adafactor", {"lr": 0.1, "d": 2.0}, MAT_VEC, "growing", 14, 1.0, "update clipping late"),
    ("adafactor_subtiny_default_eps", "Adafactor", {"lr": 0.1}, MAT_VEC, "subtiny", 12, 1e-4,
     "v is clamped at eps1^2 (eps1 = machine epsilon); RMS(w) < eps2"),
    ("adafactor_custom_eps_decay", "Adafactor", {"lr": 0.05, "eps": [1e-10, 1e-2], "beta2_decay": -0.5}, MAT_VEC,
     "subtiny", 12, 1e-3, ""),
    ("adafactor_weight_decay", "Adafactor", {"lr": 0.2, "weight_decay": 0.1}, MAT_VEC, "normal", 12, 1.0,
     "alpha from the weights before the decay"),
    ("adafactor_3d_and_vector", "Adafactor", {"lr": 0.1}, [(2, 4, 3), (3,)], "normal", 10, 1.0, ""),
    ("adafactor_wide_and_row", "Adafactor", {"lr": 0.1}, [(3, 4), (1, 5)], "normal", 10, 1.0, ""),
    ("muon_default", "Muon", {}, TALL_WIDE, "normal", 12, 1.0, "lr 1e-3, weight_decay 0.1, original lr adjustment"),
    ("muon_lr", "Muon", {"lr": 0.02}, TALL_WIDE, "normal", 12, 1.0, ""),
    ("muon_no_nesterov", "Muon", {"lr": 0.02, "nesterov": False}, TALL_WIDE, "normal", 12, 1.0, ""),
    ("muon_match_rms_adamw", "Muon", {"lr": 0.02, "adjust_lr_fn": "match_rms_adamw"}, TALL_WIDE, "normal", 12,
     1.0, "0.2 sqrt(max(A, B))"),
    ("muon_ns_custom", "Muon", {"lr": 0.02, "ns_coefficients": [2.0, -1.5, 0.5], "ns_steps": 3, "momentum": 0.9},
     TALL_WIDE, "normal", 12, 1.0, ""),
    ("muon_eps_tiny_only", "Muon", {"lr": 0.02, "eps": 1e-5, "weight_decay": 0.0}, TALL_WIDE, "tiny_only", 12,
     1.0, "||buf||_F < eps: the matrix is divided by eps"),
    ("muon_square_and_row", "Muon", {"lr": 0.02, "weight_decay": 0.01}, [(3, 3), (1, 4)], "normal", 10, 1.0,
     "a 1x4 matrix: the step is the normalised buffer"),
]

# (id, torch class, torch kwargs, shape, start, steps, note)
LOOPS = [
    ("adafactor_rosenbrock", "Adafactor", {"lr": 0.5}, (2,), (-1.2, 1.0), 40, ""),
    ("muon_rosenbrock_row_matrix", "Muon", {"lr": 0.01, "weight_decay": 0.0}, (1, 2), (-1.2, 1.0), 40,
     "the point as a 1x2 matrix"),
]


def engine_kwargs(cls, kwargs):
    """The engine's pytorch-flavour kwargs (Keras argument names) for a torch.optim call."""
    out = {}
    for key, value in kwargs.items():
        if key == "lr":
            out["learning_rate"] = value
        elif key == "eps" and cls == "Adafactor":
            if value[0] is not None:
                out["epsilon_1"] = value[0]
            out["epsilon_2"] = value[1]
        elif key == "eps":
            out["epsilon"] = value
        elif key == "beta2_decay":
            out["beta_2_decay"] = value
        elif key == "d":
            out["clip_threshold"] = value
        elif key == "ns_coefficients":
            out["muon_a"], out["muon_b"], out["muon_c"] = value
        elif key == "adjust_lr_fn":
            out["match_rms_adamw"] = value == "match_rms_adamw"
        else:
            out[key] = value
    return out


def _sign(rng, shape):
    return np.where(rng.random(shape) < 0.5, -1.0, 1.0)


def make_grads(rng, kind, shapes, n_steps):
    out = []
    for step in range(n_steps):
        gs = []
        for shape in shapes:
            if kind == "normal":
                g = rng.standard_normal(shape)
            elif kind == "tiny_only":
                g = _sign(rng, shape) * 10.0 ** rng.uniform(-10.0, -9.0, shape)
            elif kind == "subtiny":
                g = _sign(rng, shape) * 10.0 ** rng.uniform(-17.0, -13.0, shape)
                g.flat[0] = rng.standard_normal()
            elif kind == "growing":
                g = rng.standard_normal(shape) * 10.0 ** (step / 4.0)
            else:
                raise ValueError(kind)
            gs.append(np.asarray(g, dtype=np.float64))
        out.append(gs)
    return out


@contextlib.contextmanager
def no_bfloat16():
    """torch with Tensor.bfloat16() returning a float64 copy (the Newton–Schulz iteration in float64)."""
    original = torch.Tensor.bfloat16
    torch.Tensor.bfloat16 = lambda self, *args, **kwargs: self.clone()
    try:
        yield
    finally:
        torch.Tensor.bfloat16 = original


def run_torch(cls, kwargs, params0, grads, loop):
    params = [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in params0]
    tk = {k: (tuple(v) if isinstance(v, list) else v) for k, v in kwargs.items()}
    opt = getattr(torch.optim, cls)(params, **tk)
    out, used = [], []
    n_steps = len(grads) if loop is None else loop
    for k in range(n_steps):
        step = grads[k] if loop is None else [rosenbrock_grad(params[0].detach().numpy())]
        used.append(step)
        for p, g in zip(params, step):
            p.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        out.append([p.detach().numpy().copy() for p in params])
    assert all(p.dtype == torch.float64 for p in params)
    return out, used


def tolist(seq):
    return [[np.asarray(a).tolist() for a in step] for step in seq]


def build():
    cases = []
    specs = [(cid, cls, kw, shapes, kind, n, scale, note, None, None) for cid, cls, kw, shapes, kind, n, scale, note
             in FED]
    specs += [(cid, cls, kw, [shape], None, n, None, note, "rosenbrock", start)
              for cid, cls, kw, shape, start, n, note in LOOPS]
    for index, (cid, cls, kw, shapes, kind, n, scale, note, loop, start) in enumerate(specs):
        rng = np.random.default_rng([SEED, index])
        if loop is None:
            params0 = [scale * rng.standard_normal(s) for s in shapes]
            grads = make_grads(rng, kind, shapes, n)
        else:
            params0, grads = [np.reshape(np.array(start, dtype=np.float64), shapes[0])], None
        with (no_bfloat16() if cls == "Muon" else contextlib.nullcontext()):
            params, used = run_torch(cls, kw, params0, grads, None if loop is None else n)
        case = {"id": cid, "note": note, "loop": loop, "shapes": [list(s) for s in shapes],
                "torch": {"class": cls, "kwargs": kw},
                "engine": {"name": cls, "flavor": "pytorch", "kwargs": engine_kwargs(cls, kw)},
                "params0": [p.tolist() for p in params0], "grads": tolist(used), "params": tolist(params)}
        if cls == "Muon":
            bf16, used_bf16 = run_torch(cls, kw, params0, grads, None if loop is None else n)
            case["params_bf16"] = tolist(bf16)
            if loop:
                case["grads_bf16"] = tolist(used_bf16)
        for step in params:
            assert all(np.all(np.isfinite(p)) for p in step), cid
        cases.append(case)
    ids = [c["id"] for c in cases]
    assert len(ids) == len(set(ids))
    meta = {"torch_version": torch.__version__, "numpy_version": np.__version__,
            "default_dtype": str(torch.get_default_dtype()), "command": COMMAND, "seed": SEED,
            "generator": "tools/make_torch_zoo_fixtures.py",
            "description": ("params[k][v] = parameter v after the (k+1)-th step(); grads[k][v] = its gradient at that "
                            "step; Muon: params = torch with Tensor.bfloat16 returning a float64 copy (Newton–Schulz "
                            "in float64), params_bf16 = real torch (Newton–Schulz in bfloat16).")}
    return {"meta": meta, "cases": cases}


def main(argv):
    write(build, argv, OUT, f"torch {torch.__version__}")


if __name__ == "__main__":
    main(sys.argv)
