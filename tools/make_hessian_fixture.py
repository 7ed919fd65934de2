"""Generate exact Hessians of the moons MLP with jax, for ``tests/test_sharpness.py``.

This is a *tool*, not part of the app: neither the app nor its tests import jax. Two steps in one file:

1. In the project's environment (scikit-learn makes the moons data), pick the networks and the points
   θ: a small network (Dense 4-3, 40 samples) and the article's 12-13-13 network (300 samples), each
   after 3 epochs of Adam from Keras's initialisation (so the biases are not exactly zero and no ReLU
   sits exactly at its kink).
2. In the Keras/jax environment (``--jax``), rebuild the same loss in ``jax.numpy`` (ReLU layers,
   softmax, Keras's clipped cross-entropy) and compute, in float64, the full Hessian of the small
   network (``jax.hessian``) and, for the large one, three Hessian-vector products (``jax.jvp`` of
   ``jax.grad``: forward-over-reverse) and its top five eigenvalues (``numpy.linalg.eigvalsh`` of
   ``jax.hessian``).

Command that produced the committed file (from the repository root)::

    /work/venv/bin/python tools/make_hessian_fixture.py --python /tmp/kvenv/bin/python

It writes ``tests/fixtures/moons_hessian.json``.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "fixtures" / "moons_hessian.json"
CASES = {"small": dict(hidden=(4, 3), n_samples=40, noise=0.1),
         "article": dict(hidden=(12, 13, 13), n_samples=300, noise=0.1)}


def make_inputs() -> dict:
    sys.path.insert(0, str(ROOT))
    import numpy as np

    import landscapes
    import optimizers
    out = {}
    for name, opts in CASES.items():
        task = landscapes.get("moons", hidden=opts["hidden"], n_samples=opts["n_samples"], noise=opts["noise"])
        res = optimizers.train(optimizers.get("adam", learning_rate=0.01), task, epochs=3, batch_size=32, seed=0)
        theta = res.final_params
        v = np.random.default_rng(7).standard_normal((3, task.n_params))
        out[name] = {**{k: list(v_) if isinstance(v_, tuple) else v_ for k, v_ in opts.items()},
                     "layer_sizes": list(task.layer_sizes), "X": task.X.tolist(), "y": task.y.tolist(),
                     "theta": theta.tolist(), "v": v.tolist()}
    return out


def jax_part(inputs: dict) -> dict:
    import jax
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import numpy as np

    eps = 1e-7  # keras.config.epsilon()
    out = {}
    for name, case in inputs.items():
        X = jnp.asarray(case["X"], dtype=jnp.float64)
        y = jnp.asarray(case["y"])
        sizes = case["layer_sizes"]

        def loss(theta, X=X, y=y, sizes=sizes):
            a, i = X, 0
            for k, (fi, fo) in enumerate(zip(sizes[:-1], sizes[1:])):
                W = theta[i:i + fi * fo].reshape(fi, fo)
                i += fi * fo
                b = theta[i:i + fo]
                i += fo
                z = a @ W + b
                a = jax.nn.relu(z) if k < len(sizes) - 2 else z
            p = jax.nn.softmax(a, axis=-1)
            q = p / jnp.sum(p, axis=-1, keepdims=True)
            q_true = jnp.where(y == 1, q[:, 1], q[:, 0])
            return -jnp.mean(jnp.log(jnp.clip(q_true, eps, 1 - eps)))

        theta = jnp.asarray(case["theta"], dtype=jnp.float64)
        H = np.asarray(jax.hessian(loss)(theta))
        res = {"loss": float(loss(theta)), "grad": np.asarray(jax.grad(loss)(theta)).tolist(),
               "top_eigenvalues": np.linalg.eigvalsh(H)[::-1][:5].tolist()}
        hv = [np.asarray(jax.jvp(jax.grad(loss), (theta,), (jnp.asarray(v),))[1]).tolist() for v in case["v"]]
        res["hv"] = hv
        if name == "small":
            res["hessian"] = H.tolist()
        out[name] = res
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--python", default="/tmp/kvenv/bin/python", help="a Python with jax")
    ap.add_argument("--jax", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--out", default=str(OUT))
    args = ap.parse_args()
    if args.jax:  # step 2: inputs on stdin, results on stdout
        json.dump(jax_part(json.load(sys.stdin)), sys.stdout)
        return
    inputs = make_inputs()
    proc = subprocess.run([args.python, __file__, "--jax"], input=json.dumps(inputs), capture_output=True,
                          text=True, check=True)
    results = json.loads(proc.stdout)
    version = subprocess.run([args.python, "-c", "import jax; print(jax.__version__)"], capture_output=True,
                             text=True, check=True).stdout.strip()
    fixture = {"generator": "tools/make_hessian_fixture.py", "jax": version,
               "cases": {name: {**inputs[name], **results[name]} for name in inputs}}
    Path(args.out).write_text(json.dumps(fixture))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
