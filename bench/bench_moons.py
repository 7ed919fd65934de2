"""Benchmark: the article's moons experiment, Descent Lab vs Keras 3 ``fit``, scikit-learn and PyTorch.

    python bench/bench_moons.py [--epochs 800] [--repeats 5] [--quick] [--out FILE]

The project side runs under this Python. Each peer runs in a subprocess with
the Python of its own virtual environment (skipped, with the reason in the
report, when that Python cannot import it):

    KERAS_PYTHON    default /tmp/kvenv/bin/python   Keras 3 ``model.fit`` (backend
                    KERAS_BACKEND, default jax; tools/requirements-fixtures.txt)
    TORCH_PYTHON    default /tmp/tvenv/bin/python   a plain PyTorch loop
                    (tools/requirements-torch.txt)
    SKLEARN_PYTHON  default: this Python            scikit-learn MLPClassifier

All get the same data (sent by file), batch size 32, 800 epochs. The task is
the article's: make_moons(300, noise=0.1, random_state=42), a 12-13-13-2 ReLU
MLP, SGD at learning rate 0.01.

Measured, in one run (the project side twice, before and after the peers,
so a change of the machine's load shows; times are best and median):
  (a) one network, SGD(0.01): train() vs each peer (goal: >= 10x Keras fit,
      faster than every peer);
  (b) the article's eleven optimizers side by side in one train() call, and
      all 13 of the table below, vs Keras fitting ONE model (goal >= 3x);
  (c) the time per step against a floor: the same batch's forward and
      backward as bare matrix products (one per layer forward, bias fused;
      a^T dz and dz W^T backward), without activations, loss or optimizer;
      and where the rest of a step goes;
  (d) with Keras: each optimizer's final loss from both sides, and our
      initial weights and batch order fed to Keras (one train_on_batch per
      batch): the per-epoch losses must agree to float32.
This file must stay importable by the peers' Pythons: top-level imports are
the standard library and numpy only.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BATCH = 32

# (label, engine name, kwargs). The article's learning rates where it gives
# them; Keras defaults otherwise (Adadelta, Adamax). Keras has no
# GradientDescent class: it is SGD without momentum.
OPTIMIZERS = [
    ("GradientDescent", "GradientDescent", {"learning_rate": 0.01}),
    ("SGD", "SGD", {"learning_rate": 0.01}),
    ("SGD momentum", "SGD", {"learning_rate": 0.01, "momentum": 0.9}),
    ("SGD nesterov", "SGD", {"learning_rate": 0.01, "momentum": 0.9, "nesterov": True}),
    ("Adagrad", "Adagrad", {"learning_rate": 0.01}),
    ("RMSprop", "RMSprop", {"learning_rate": 0.01}),
    ("RMSprop centered+momentum", "RMSprop",
     {"learning_rate": 0.01, "momentum": 0.9, "centered": True}),
    ("Adadelta", "Adadelta", {}),
    ("Adam", "Adam", {"learning_rate": 0.01}),
    ("AdamW", "AdamW", {"learning_rate": 0.01, "weight_decay": 0.01}),
    ("Adamax", "Adamax", {}),
    ("Nadam", "Nadam", {"learning_rate": 0.01}),
    ("Lion", "Lion", {"learning_rate": 0.001}),
]
# The eleven with the article's own learning rates (all but Adadelta and Adamax).
ELEVEN = [o for o in OPTIMIZERS if o[0] not in ("Adadelta", "Adamax")]
KERAS_CLASS = {"GradientDescent": "SGD"}
TRAJECTORY_EPOCHS = 5


def _load(spec):
    data = np.load(spec["data"])
    return data["X"], data["y"], data


def _summary(times):
    return {"seconds": min(times), "median": statistics.median(times), "all": times}


# ----------------------------------------------------------------- Keras side
def keras_worker(spec):
    """Runs inside the Keras venv: fit one fresh article model per optimizer."""
    os.environ.setdefault("KERAS_BACKEND", "jax")
    import keras
    from keras import layers

    X, y, data = _load(spec)

    def build_model():                 # the article's build_model((2,))
        inputs = layers.Input(shape=(2,))
        x = layers.Dense(12, activation="relu")(inputs)
        x = layers.Dense(13, activation="relu")(x)
        x = layers.Dense(13, activation="relu")(x)
        outputs = layers.Dense(2, activation="softmax")(x)
        return keras.Model(inputs=inputs, outputs=outputs)

    def fit(cls_name, kwargs, epochs):
        keras.utils.set_random_seed(spec["seed"])
        model = build_model()
        optimizer = getattr(keras.optimizers, cls_name)(**kwargs)
        model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        t0, c0 = time.perf_counter(), time.process_time()
        history = model.fit(X, y, batch_size=BATCH, epochs=epochs, verbose=0)
        return {"seconds": time.perf_counter() - t0, "cpu": time.process_time() - c0,
                "loss": float(history.history["loss"][-1]),
                "accuracy": float(history.history["accuracy"][-1])}

    def same_start_same_batches(cls_name, kwargs):
        """Our initial weights and batch order, one train_on_batch per batch:
        per-epoch losses (batch-size weighted, as fit's loss tracker)."""
        model = build_model()
        model.compile(optimizer=getattr(keras.optimizers, cls_name)(**kwargs),
                      loss="sparse_categorical_crossentropy")
        flat, start = data["theta0"], 0
        weights = []
        for w in model.get_weights():             # Keras order: W1, b1, W2, ...
            weights.append(flat[start:start + w.size].reshape(w.shape))
            start += w.size
        model.set_weights(weights)
        losses = []
        for order in data["orders"]:
            total = 0.0
            for b0 in range(0, len(order), BATCH):
                idx = order[b0:b0 + BATCH]
                total += float(model.train_on_batch(X[idx], y[idx])) * len(idx)
            losses.append(total / len(order))
        return losses

    fit("SGD", {"learning_rate": 0.01}, 1)     # warm-up: backend start-up, not fit
    runs = []
    # The timed model (SGD) first, `repeats` times; then the others once (for
    # their final loss), and the same-start check.
    for label, name, kwargs in sorted(spec["optimizers"], key=lambda o: o[0] != "SGD"):
        tries = [fit(KERAS_CLASS.get(name, name), kwargs, spec["epochs"])
                 for _ in range(spec["repeats"] if label == "SGD" else 1)]
        best = min(tries, key=lambda r: r["seconds"])
        runs.append(dict(label=label, median=statistics.median(r["seconds"] for r in tries),
                         all=[r["seconds"] for r in tries], **best))
    trajectories = {label: same_start_same_batches(KERAS_CLASS.get(name, name), kwargs)
                    for label, name, kwargs in spec["trajectory_optimizers"]}
    return {"version": f"Keras {keras.__version__}, backend `{keras.backend.backend()}`",
            "runs": runs, "trajectories": trajectories,
            "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


# ------------------------------------------------------------ scikit-learn side
def sklearn_worker(spec):
    """scikit-learn's MLPClassifier with the same settings: hidden (12, 13, 13),
    ReLU, plain SGD (no momentum, no L2) at a constant 0.01, batches of 32,
    shuffled every epoch, exactly ``epochs`` epochs (no early stopping).
    For two classes it has ONE logistic output unit (Keras: two softmax units)."""
    import warnings

    import sklearn
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    X, y, _ = _load(spec)
    times = []
    for r in range(spec["repeats"]):
        clf = MLPClassifier(hidden_layer_sizes=(12, 13, 13), activation="relu", solver="sgd",
                            learning_rate="constant", learning_rate_init=0.01, momentum=0.0,
                            nesterovs_momentum=False, alpha=0.0, batch_size=BATCH,
                            max_iter=spec["epochs"], shuffle=True, tol=0.0,
                            n_iter_no_change=spec["epochs"] + 1, random_state=spec["seed"] + r)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)   # max_iter reached: on purpose
            t0 = time.perf_counter()
            clf.fit(X, y)
            times.append(time.perf_counter() - t0)
    return {"version": f"scikit-learn {sklearn.__version__}", **_summary(times),
            "loss": float(clf.loss_), "accuracy": float(clf.score(X, y)), "epochs": int(clf.n_iter_)}


# ------------------------------------------------------------------ torch side
def torch_worker(spec):
    """A plain PyTorch training loop: the article's model (float32, PyTorch's
    default initialisation), CrossEntropyLoss on the logits, optim.SGD(0.01),
    a new random permutation every epoch, batches of 32, and the epoch's
    running loss tracked as fit does (loss.item() per batch). One intra-op
    thread: tensors of a few hundred numbers gain nothing from more, and on
    a shared machine PyTorch's spinning worker threads made the loop ~50x
    slower (TORCH_THREADS overrides)."""
    import torch
    from torch import nn

    torch.set_num_threads(int(os.environ.get("TORCH_THREADS", "1")))

    X_np, y_np, _ = _load(spec)
    X = torch.tensor(X_np, dtype=torch.float32)
    y = torch.tensor(y_np, dtype=torch.long)
    n = len(X)

    def run(seed):
        torch.manual_seed(seed)
        model = nn.Sequential(nn.Linear(2, 12), nn.ReLU(), nn.Linear(12, 13), nn.ReLU(),
                              nn.Linear(13, 13), nn.ReLU(), nn.Linear(13, 2))
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
        loss_fn = nn.CrossEntropyLoss()
        t0 = time.perf_counter()
        for _ in range(spec["epochs"]):
            order = torch.randperm(n)
            total = 0.0
            for b0 in range(0, n, BATCH):
                idx = order[b0:b0 + BATCH]
                optimizer.zero_grad()
                loss = loss_fn(model(X[idx]), y[idx])
                loss.backward()
                optimizer.step()
                total += loss.item() * len(idx)
        seconds = time.perf_counter() - t0
        with torch.no_grad():
            accuracy = float((model(X).argmax(dim=1) == y).float().mean())
        return seconds, total / n, accuracy

    tries = [run(spec["seed"] + r) for r in range(spec["repeats"])]
    threads = torch.get_num_threads()
    return {"version": f"PyTorch {torch.__version__} ({threads} thread{'s' * (threads != 1)})",
            **_summary([t[0] for t in tries]), "loss": tries[-1][1], "accuracy": tries[-1][2]}


WORKERS = {"keras": keras_worker, "sklearn": sklearn_worker, "torch": torch_worker}
PEERS = [  # (worker, env var, default Python, module it needs), in the order they run
    ("keras", "KERAS_PYTHON", "/tmp/kvenv/bin/python", "keras"),
    ("sklearn", "SKLEARN_PYTHON", sys.executable, "sklearn"),
    ("torch", "TORCH_PYTHON", "/tmp/tvenv/bin/python", "torch"),
]


def run_peer(kind, arrays, spec):
    """Run one peer's worker in a subprocess; (result, None) or (None, reason)."""
    _, var, default, module = next(p for p in PEERS if p[0] == kind)
    python = os.environ.get(var, default)
    env = dict(os.environ, KERAS_BACKEND=os.environ.get("KERAS_BACKEND", "jax"))
    try:
        probe = subprocess.run([python, "-c", f"import {module}"], env=env,
                               capture_output=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"{python}: {exc}"
    if probe.returncode != 0:
        return None, f"{python} cannot import {module}"
    with tempfile.TemporaryDirectory() as tmp:
        np.savez(os.path.join(tmp, "moons.npz"), **arrays)
        spec_path = os.path.join(tmp, "spec.json")
        with open(spec_path, "w") as f:
            json.dump(dict(spec, data=os.path.join(tmp, "moons.npz")), f)
        out = subprocess.run([python, os.path.abspath(__file__), "--worker", kind, spec_path],
                             env=env, capture_output=True, text=True)
    if out.returncode != 0:
        return None, f"{kind} worker failed:\n" + out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["python"] = f"{var}={python}"
    return result, None


# --------------------------------------------------------------- project side
def timed(fn, repeats):
    """Wall and CPU seconds (all threads of the process) of ``repeats`` runs, and
    the last result. CPU time is reported beside wall time because a shared
    machine's other jobs inflate wall time more than CPU time."""
    walls, cpus, result = [], [], None
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        result = fn()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return walls, cpus, result


def min_time_us(fn, n=2000):
    """Fastest of n calls, in microseconds: the cost without other jobs' noise."""
    best = float("inf")
    for _ in range(n):
        t0 = time.perf_counter_ns()
        fn()
        best = min(best, time.perf_counter_ns() - t0)
    return best / 1000


def floor_us(task, n_models):
    """The floor: one batch's forward and backward as bare matrix products,
    one call per layer and direction: [h, 1] @ [[W], [b]] forward (the bias
    fused), a^T @ dz for each layer's gradient and dz @ W^T below it. No
    ReLU, softmax, loss, metrics or optimizer."""
    lead = () if n_models == 1 else (n_models,)
    theta = task.init_params(0, n_models=None if n_models == 1 else n_models)
    work = task._pass(lead, BATCH)
    layers = task._layers(theta)
    grads = task._layers(np.empty_like(theta))
    X1 = task._X1[:BATCH]
    inputs = [X1] + work.outputs
    outs = work.relu + [work.logits]      # each product into its layer's output (as train() does)
    dzs = work.dh + [work.dz]
    weights_T = [None] + [Wb[..., :-1, :].mT for Wb in layers[1:]]

    def step():
        for a, Wb, z in zip(inputs, layers, outs):
            np.matmul(a, Wb, out=z)
        for k in range(len(layers) - 1, -1, -1):
            np.matmul(inputs[k].mT, dzs[k], out=grads[k])
            if k:
                np.matmul(dzs[k], weights_T[k], out=dzs[k - 1])
    return min_time_us(step)


def breakdown(task, optimizers, lineups):
    """Fastest-call costs of a step's parts, per line-up: the batch's forward
    and backward (train()'s fast path), each optimizer's update, the
    end-of-epoch evaluation and metrics."""
    from optimizers.stacking import Stepper
    out = {}
    for name, lineup in lineups.items():
        M = len(lineup)
        trainer = task.minibatch_trainer(M, BATCH)
        theta = task.init_params(0, n_models=M)
        views = trainer.layers(theta)
        trainer.start_epoch(np.random.default_rng(0).permutation(task.n_samples))
        grad = trainer.gradient(views, 0) * 1e-3
        updates = []
        with np.errstate(all="ignore"):
            for i, (_, opt_name, kw) in enumerate(lineup):
                stepper = Stepper(optimizers.get(opt_name, **kw), theta[i])
                updates.append(min_time_us(lambda: stepper.step(grad[i], theta[i]), 1000))
        out[name] = {"gradient": min_time_us(lambda: trainer.gradient(views, 0), 1000),
                     "updates": updates,
                     "evaluate": min_time_us(lambda: trainer.evaluate(views), 300),
                     "metrics": min_time_us(trainer.epoch_metrics, 300),
                     "floor": floor_us(task, M)}
    return out


def in_run(task, optimizers, lineup, epochs=100, seed=0):
    """Where a real run's time goes, step by step: train()'s own loop (its
    models, batch source and update, as train() builds them), timed with this
    thread's CPU clock, so time lost while another job holds the core is not
    counted. Microseconds: every step's fastest and median, the median first
    step of an epoch (right after the previous epoch's evaluation), the median
    end of an epoch (metrics and evaluation), and the whole loop per step."""
    from optimizers import training
    opts = [optimizers.get(name, **kw) for _, name, kw in lineup]
    models = training._Models(opts, task, training._start_params(task, None, seed))
    batches = training._batch_source(task, models, BATCH, True)
    rng = np.random.default_rng(seed)
    clock = time.thread_time_ns
    steps, ends = [], []
    start = clock()
    with np.errstate(all="ignore"):
        for epoch in range(1, epochs + 1):
            batches.start_epoch(rng.permutation(batches.n_samples))
            for j in range(batches.n_batches):
                t0 = clock()
                loss, grad = batches.gradient(j, models.theta)
                models.update(grad, loss, epoch)
                steps.append(clock() - t0)
            t0 = clock()
            batches.epoch_logs(models.theta)
            ends.append(clock() - t0)
    whole = (clock() - start) / len(steps) / 1000
    steps = np.array(steps).reshape(epochs, -1) / 1000
    return {"fastest": float(steps.min()), "median": float(np.median(steps)),
            "first": float(np.median(steps[:, 0])), "rest": float(np.median(steps[:, 1:])),
            "end": float(np.median(ends)) / 1000 / batches.n_batches, "whole": whole}


def stacking_bits(task, n_models=11):
    """Measured, not assumed: side by side, train() runs the models' forward
    and backward as ONE stacked computation (each layer's product is one
    np.matmul call over the (M, batch, features) stack, which calls BLAS once
    per model). Do its gradients and evaluations carry the same bits as each
    model alone? And would merging the models into 2-D products keep them:
    the first layer's shared input against all models' weights side by side
    (X1 @ [W1 of model 1, ..., model M]), the hidden layers as one
    block-diagonal product? Counts of differing numbers, and fastest-call
    times of one layer's product done each way."""
    M, n = n_models, task.n_samples
    theta = task.init_params(1, n_models=M)
    theta[M // 2] *= 4.0               # a saturated model too: the loss's clip is active
    stacked, alone = task.minibatch_trainer(M, BATCH), task.minibatch_trainer(1, BATCH)
    order = np.random.default_rng(0).permutation(n)
    stacked.start_epoch(order)
    alone.start_epoch(order)
    views = stacked.layers(theta)
    grad_diff = eval_diff = numbers = 0
    with np.errstate(all="ignore"):
        for j in range(stacked.n_batches):
            g = stacked.gradient(views, j)
            for m in range(M):
                gm = alone.gradient(alone.layers(theta[m:m + 1]), j)
                grad_diff += int(np.sum(g[m] != gm[0]))
                numbers += gm.size
        ev = stacked.evaluate(views)
        ev_alone = [alone.evaluate(alone.layers(theta[m:m + 1])) for m in range(M)]
        eval_diff = sum(int(ev[0][m] != ev_alone[m][0][0]) + int(ev[1][m] != ev_alone[m][1][0]) for m in range(M))
        X1 = task._X1
        W1, W2 = task._layers(theta)[:2]                           # (M, 3, 12), (M, 13, 13)
        z1 = np.matmul(X1, W1)                                     # (M, n, 12)
        W1_side = np.concatenate(list(W1), axis=1)                 # (3, M * 12)
        z1_merged = (X1 @ W1_side).reshape(n, M, -1).transpose(1, 0, 2)
        H = np.concatenate([np.maximum(z1, 0.0), np.ones((M, n, 1))], axis=-1)   # (M, n, 13)
        z2 = np.matmul(H, W2)                                      # (M, n, 13)
        k, u = W2.shape[-2:]
        W2_block = np.zeros((M * k, M * u))
        for m in range(M):
            W2_block[m * k:(m + 1) * k, m * u:(m + 1) * u] = W2[m]
        H_side = H.transpose(1, 0, 2).reshape(n, M * k)
        z2_merged = (H_side @ W2_block).reshape(n, M, u).transpose(1, 0, 2)
        Hb, W2b = H[:, :BATCH].copy(), W2.copy()
        times = {"stacked": min_time_us(lambda: np.matmul(Hb, W2b), 1000),
                 "per model": min_time_us(lambda: [np.matmul(Hb[m], W2b[m]) for m in range(M)], 1000),
                 "block-diagonal": min_time_us(lambda: H_side[:BATCH] @ W2_block, 1000)}
    return {"models": M, "grad_numbers": numbers, "grad_diff": grad_diff, "eval_diff": eval_diff,
            "layer1_merged_diff": int(np.sum(z1 != z1_merged)), "layer1_numbers": z1.size,
            "layer2_block_diff": int(np.sum(z2 != z2_merged)), "layer2_numbers": z2.size, "times": times}


def ours(train, optimizers, task, epochs, seed, repeats):
    """Round of the project side: one network, the eleven, all 13 (as the page
    trains them: with the end-of-epoch evaluation), and one and eleven with
    ``evaluate=False`` (only the metrics Keras fit reports). The line-ups take
    turns, so a slow spell of the shared machine hits them alike."""
    def lineup(opts, evaluate=True):
        return lambda: train([optimizers.get(name, **kw) for _, name, kw in opts], task, epochs, seed=seed,
                             evaluate=evaluate)
    runs = {"one": lineup(OPTIMIZERS[1:2]), "one_lean": lineup(OPTIMIZERS[1:2], False),
            "eleven": lineup(ELEVEN), "eleven_lean": lineup(ELEVEN, False), "all": lineup(OPTIMIZERS)}
    out = {k: ([], []) for k in runs}
    for r in range(repeats):
        for key, fn in runs.items():
            if key == "all" and r >= max(1, repeats - 2):
                continue
            walls, cpus, _ = timed(fn, 1)
            out[key][0].extend(walls)
            out[key][1].extend(cpus)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=800)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true",
                        help="Keras: fit only the SGD model (no final-loss column for the others)")
    parser.add_argument("--out", default=None, help="write the markdown report here")
    args = parser.parse_args()

    sys.path.insert(0, ROOT)
    import tracemalloc

    import optimizers
    from landscapes.moons import make
    from optimizers.training import train

    task = make()
    epochs, steps = args.epochs, args.epochs * -(-task.n_samples // BATCH)
    loads = [os.getloadavg()]

    train(optimizers.get("SGD", learning_rate=0.01), task, 2)           # warm-up
    round_a = ours(train, optimizers, task, epochs, args.seed, args.repeats)
    loads.append(os.getloadavg())

    # Same start, same batches (d): our initial weights and batch order.
    theta0 = task.init_params(args.seed)
    rng = np.random.default_rng(args.seed)          # train()'s batch order
    orders = np.array([rng.permutation(task.n_samples) for _ in range(TRAJECTORY_EPOCHS)])
    arrays = dict(X=task.X, y=task.y, theta0=theta0, orders=orders)
    spec = {"epochs": epochs, "seed": args.seed, "repeats": args.repeats,
            "optimizers": OPTIMIZERS[1:2] if args.quick else OPTIMIZERS,
            "trajectory_optimizers": OPTIMIZERS}
    peers, why_not = {}, {}
    for kind, *_ in PEERS:
        peers[kind], why_not[kind] = run_peer(kind, arrays, spec)
        loads.append(os.getloadavg())

    round_b = ours(train, optimizers, task, epochs, args.seed, args.repeats)
    loads.append(os.getloadavg())
    every = train([optimizers.get(name, **kw) for _, name, kw in OPTIMIZERS], task, epochs, seed=args.seed)
    one = train(optimizers.get("SGD", learning_rate=0.01), task, epochs, seed=args.seed)
    traj = {label: train(optimizers.get(name, **kw), task, TRAJECTORY_EPOCHS, seed=args.seed).history["loss"]
            for label, name, kw in OPTIMIZERS}
    mem_epochs = min(epochs, 100)
    tracemalloc.start()
    train([optimizers.get(name, **kw) for _, name, kw in ELEVEN], task, mem_epochs, seed=args.seed)
    traced_peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    costs = breakdown(task, optimizers, {"one": OPTIMIZERS[1:2], "eleven": ELEVEN})
    costs["bits"] = stacking_bits(task, len(ELEVEN))
    costs["in_run"] = {key: in_run(task, optimizers, lineup, min(epochs, 100), args.seed)
                       for key, lineup in (("one", OPTIMIZERS[1:2]), ("eleven", ELEVEN))}
    loads.append(os.getloadavg())

    walls = {k: round_a[k][0] + round_b[k][0] for k in round_a}
    cpus = {k: round_a[k][1] + round_b[k][1] for k in round_a}
    report = render(args, task, epochs, steps, walls, cpus, peers, why_not, costs, every, one, traj,
                    traced_peak, mem_epochs, rss, loads)
    report = report.rstrip() + ("\n\nLevers measured by hand, outside this script (numbers and reasons): "
                                "`bench/moons_levers.md`.\n")
    print(report)
    if args.out:
        with open(args.out, "w") as f:
            f.write(report)


def render(args, task, epochs, steps, walls, cpus, peers, why_not, costs, every, one, traj,
           traced_peak, mem_epochs, rss, loads):
    best = {k: min(v) for k, v in walls.items()}
    med = {k: statistics.median(v) for k, v in walls.items()}
    keras = peers.get("keras")
    k_runs = {r["label"]: r for r in keras["runs"]} if keras else {}
    k_one = k_runs["SGD"] if keras else None
    one_min = [la[0] for la in loads]
    lines = ["# Moons benchmark: Descent Lab `train()` vs Keras 3 `fit`, scikit-learn and PyTorch", "",
             "Command (from the repository root; the peers run in their own venvs, see the script's docstring):",
             "", "    " + " ".join(["python", "bench/bench_moons.py"] + sys.argv[1:]), "",
             f"Machine: {platform.machine()}, {os.cpu_count()} cores shared with other sessions, Python "
             f"{platform.python_version()}, numpy {np.__version__}. Load average (1 min) at the start, after "
             f"each part and at the end: {', '.join(f'{v:.2f}' for v in one_min)}.",
             f"Task: the article's: make_moons(300, noise=0.1, random_state=42), Dense 12-13-13-2 (ReLU, "
             f"softmax), batch_size={BATCH}, {epochs} epochs ({steps} steps), seed {args.seed}. Times: best "
             f"and median; Descent Lab ran {len(walls['one'])} times per line-up ({len(walls['all'])} for "
             f"all 13), half before the peers and half after; each peer {args.repeats} times.", ""]

    def row(name, who, secs, median, note=""):
        ratio = f"{secs / best['one']:.1f}x" if secs else "n/a"
        return f"| {name} | {who} | {secs:.2f} s | {median:.2f} s | {ratio} | {note} |"

    lines += ["## (a) One network, SGD(0.01)", "",
              "| system | version / Python | best | median | time / Descent Lab's best | notes |",
              "|---|---|---|---|---|---|",
              row("Descent Lab `train()`", "this Python", best["one"], med["one"],
                  f"CPU {min(cpus['one']):.2f} s; float64, Keras arithmetic; with the end-of-epoch "
                  "evaluation on all 300 samples (`eval_loss`, `eval_accuracy`), as the page"),
              row("Descent Lab `train(evaluate=False)`", "this Python", best["one_lean"], med["one_lean"],
                  "only the metrics Keras fit reports (running loss and accuracy)")]
    notes = {"sklearn": "`MLPClassifier(solver='sgd')`, momentum 0, alpha 0; float64; ONE logistic output unit",
             "torch": "plain loop, float32, `loss.item()` per batch, 1 thread (see the script)",
             "keras": "`model.fit(verbose=0)`, fresh model each, incl. its jit compilation (after a warm-up fit)"}
    names = {"sklearn": "scikit-learn `MLPClassifier.fit`", "torch": "PyTorch training loop",
             "keras": "Keras `fit` (SGD model)"}
    for kind, *_ in PEERS:
        res = peers.get(kind)
        if kind == "keras" and res:
            res = dict(res, seconds=k_one["seconds"], median=k_one["median"])
        if res:
            lines.append(row(names[kind], f"{res['version']}; {res['python']}", res["seconds"], res["median"],
                             notes[kind]))
        else:
            lines.append(f"| {names[kind]} | not run: {why_not[kind]} | | | | |")
    if k_one:
        lines += ["", f"**Goal one network >= 10x faster than Keras fit: {k_one['seconds'] / best['one']:.1f}x** "
                  f"(medians: {k_one['median'] / med['one']:.1f}x; like for like, without our extra "
                  f"evaluation pass: {k_one['seconds'] / best['one_lean']:.1f}x)."]
        not_beaten = [names[k] for k in ("sklearn", "torch") if peers.get(k) and peers[k]["seconds"] <= best["one"]]
        lines.append("Faster than every peer: " + ("yes." if not not_beaten else f"NO, not than {', '.join(not_beaten)}."))
    lines += ["", "## (b) Side by side: many optimizers in one `train()` call", "",
              "| line-up | best | median | one Keras fit / this (best; medians) |", "|---|---|---|---|"]
    for key, label in (("eleven", f"the article's eleven ({', '.join(o[0] for o in ELEVEN)})"),
                       ("all", "all 13 optimizers of the table below"),
                       ("eleven_lean", "the eleven, `evaluate=False` (only Keras fit's metrics)")):
        ratio = (f"{k_one['seconds'] / best[key]:.2f}x; {k_one['median'] / med[key]:.2f}x"
                 if k_one else "n/a")
        lines.append(f"| {label} | {best[key]:.2f} s | {med[key]:.2f} s | {ratio} |")
    if k_one:
        lines += ["", f"**Goal eleven side by side >= 3x faster than one Keras fit: "
                  f"{k_one['seconds'] / best['eleven']:.2f}x.**"]

    lines += ["", "## (c) Per step, against a floor", "",
              "Fastest of many calls (so without the other jobs' noise), microseconds:", "",
              "| | one network | eleven side by side |", "|---|---|---|"]
    c1, c11, bits = costs["one"], costs["eleven"], costs["bits"]
    per_step = {"one": best["one"] / steps * 1e6, "eleven": best["eleven"] / steps * 1e6}
    n_b = -(-task.n_samples // BATCH)
    table = [
        ("floor: forward + backward as bare matrix products, one call per layer and direction",
         c1["floor"], c11["floor"]),
        ("train()'s forward + backward of one batch (ReLU, softmax, clipped cross-entropy, "
         "the batch's loss and accuracy kept)", c1["gradient"], c11["gradient"]),
        ("the optimizers' updates (sum over the models)", sum(c1["updates"]), sum(c11["updates"])),
        (f"end-of-epoch evaluation on all {task.n_samples} samples, per step (/{n_b})",
         c1["evaluate"] / n_b, c11["evaluate"] / n_b),
        (f"end-of-epoch Keras metrics from the batches, per step (/{n_b})", c1["metrics"] / n_b,
         c11["metrics"] / n_b),
        ("**train(): whole run / steps (best run)**", per_step["one"], per_step["eleven"]),
        ("train(evaluate=False): whole run / steps", best["one_lean"] / steps * 1e6,
         best["eleven_lean"] / steps * 1e6),
        ("train() per step / floor", per_step["one"] / c1["floor"], per_step["eleven"] / c11["floor"]),
        ("train(): whole run's CPU time / steps (best run; all threads of the process)",
         min(cpus["one"]) / steps * 1e6, min(cpus["eleven"]) / steps * 1e6),
    ]
    r1, r11 = costs["in_run"]["one"], costs["in_run"]["eleven"]
    in_run_epochs = min(epochs, 100)
    table += [
        (f"inside a run ({in_run_epochs} epochs, this thread's CPU clock): a step (forward, backward, "
         "updates, divergence test), fastest", r1["fastest"], r11["fastest"]),
        ("- a step, median", r1["median"], r11["median"]),
        ("- the first step of an epoch (after the evaluation), median", r1["first"], r11["first"]),
        ("- the other steps, median", r1["rest"], r11["rest"]),
        (f"- the end of an epoch (metrics, evaluation), median, per step (/{n_b})", r1["end"], r11["end"]),
        ("- the whole loop / steps", r1["whole"], r11["whole"]),
    ]
    for label, a, b in table:
        unit = "x" if "/ floor" in label else " µs"
        lines.append(f"| {label} | {a:.1f}{unit} | {b:.1f}{unit} |")
    lines += ["", "The parts are fastest calls; a step inside a run is the same work as the parts plus the "
              "batch loop's own Python (handing each optimizer its rows, the divergence test): compare the "
              "in-run fastest step with the sum of the parts above. The in-run medians and the first step "
              "after each evaluation show what a real run adds on this machine (caches shared with other "
              "jobs, the evaluation's larger arrays evicting the step's): the gap between the whole run and "
              "the parts. The whole-run times also include time lost while other jobs hold the core (the "
              "CPU-time row does not).", "",
              f"What bounds a step: the floor is {len(task.shapes) // 2 * 2 + len(task.shapes) // 2 - 1} BLAS "
              "calls per model (a matrix product of a 32 x 13 batch costs about a microsecond, mostly call "
              "overhead); every other operation of a step is an elementwise NumPy call on a few hundred "
              "numbers (about 35 calls for the forward and backward, stacked: the same count for one model "
              "or eleven). Side by side, the eleven optimizers are eight update calls (GradientDescent, "
              "SGD and SGD momentum share one, Adam and AdamW another), each several such calls, written in "
              "the rule files; and after each epoch the evaluation on all samples (`eval_loss`) is one "
              "forward pass over the 300 samples of all models.", "",
              "Side by side, the models' forward and backward are ONE stacked computation: each layer's product "
              "is one `np.matmul` call over the (models, batch, features) stack, every elementwise step one call "
              "over all models. Measured on this machine (bits, not assumed):", "",
              f"- the stacked gradients of {bits['models']} models on every batch of an epoch against each "
              f"model's own pass: {bits['grad_diff']} of {bits['grad_numbers']} numbers differ; the end-of-epoch "
              f"evaluation (loss, accuracy): {bits['eval_diff']} of {2 * bits['models']} differ;",
              f"- merging the models into 2-D products instead: the shared first layer as one product "
              f"X1 @ [W1 of every model] ({bits['layer1_merged_diff']} of {bits['layer1_numbers']} numbers "
              f"differ), the second layer as one block-diagonal product ({bits['layer2_block_diff']} of "
              f"{bits['layer2_numbers']} differ);",
              f"- one layer's product (32 x 13 by 13 x 13, {bits['models']} models), fastest call: stacked "
              f"{bits['times']['stacked']:.1f} µs, a 2-D product per model {bits['times']['per model']:.1f} µs, "
              f"block-diagonal {bits['times']['block-diagonal']:.1f} µs.", "",
              f"Peak memory: tracemalloc peak {traced_peak:.2f} MiB while training the eleven side by side "
              f"({mem_epochs} epochs); max RSS {rss:.0f} MiB for the whole project process"
              + (f"; Keras process max RSS {keras['max_rss_mb']:.0f} MiB." if keras else "."), ""]

    lines += ["## (d) Results", "",
              "Final epoch loss / accuracy per optimizer (different batch orders and initial weights on each "
              "side, so compare magnitudes, not digits; a single run's last-epoch loss is noisy: the "
              "same-start table below is the like-for-like check):", "",
              "| optimizer | Descent Lab loss | accuracy | Keras loss | accuracy |", "|---|---|---|---|---|"]
    for (label, _, _), res in zip(OPTIMIZERS, every):
        h = res.history
        k = k_runs.get(label)
        keras_cells = f"{k['loss']:.4g} | {k['accuracy']:.3f}" if k else "n/a | n/a"
        div = f" (diverged at epoch {res.diverged_at})" if res.diverged_at else ""
        lines.append(f"| {label} | {h['loss'][-1]:.4g}{div} | {h['accuracy'][-1]:.3f} | {keras_cells} |")
    lines += ["", f"One network, SGD: Descent Lab final loss {one.history['loss'][-1]:.4g} (Keras band over "
              "seeds: 0.003-0.012)"]
    for kind in ("sklearn", "torch"):
        if peers.get(kind):
            lines[-1] += f"; {names[kind]} {peers[kind]['loss']:.4g} (accuracy {peers[kind]['accuracy']:.3f})"
    lines[-1] += "."
    lines += ["", f"Same start, same batches: our initial weights and batch order fed to Keras (`set_weights`, "
              f"then one `train_on_batch` per batch), {TRAJECTORY_EPOCHS} epochs. Largest relative difference "
              "of the per-epoch losses (Keras is float32):", ""]
    if keras:
        lines += ["| optimizer | Keras epoch losses | max relative difference |", "|---|---|---|"]
        for label, _, _ in OPTIMIZERS:
            k = np.array(keras["trajectories"][label])
            rel = np.max(np.abs(traj[label] - k) / np.abs(k))
            lines.append(f"| {label} | {', '.join(f'{v:.8g}' for v in k)} | {rel:.1e} |")
    else:
        lines.append(f"(needs Keras: {why_not['keras']})")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--worker":
        with open(sys.argv[3]) as f:
            print(json.dumps(WORKERS[sys.argv[2]](json.load(f))))
    else:
        main()
