"""The learning-rate page's runs: the Kerasy document's line fit, one run per learning rate, cached.

Full batch: one gradient-descent update per epoch on the whole data set, exactly the document's loop
(``optimizers.run``). Mini-batches: every learning rate sees the same seeded batches
(``optimizers.training.train`` stacks the models). Results are cached across sessions, so a class
opening the same link computes it once.
"""
from __future__ import annotations

import math

import numpy as np
import streamlit as st

import landscapes
from landscapes.base import read_only
import optimizers
from charts import regression as rc
from optimizers import training  # training.train looked up at call time (tests count the work it is asked for)
from ui.settings import OptChoice
from ui.text import literal, quoted

TTL = 3600
DEFAULT_LRS = (0.01, 0.1, 0.5)
MAX_LRS = 6
LR_LOW, LR_HIGH = 0.0, 100.0  # exclusive, inclusive
MAX_BAD_SHOWN = 3  # bad values named one by one; the rest are counted


def fmt_lrs(lrs, sep: str = ",") -> str:
    """Learning rates as text, exactly (10 significant digits): the link's ``lrs`` and the box."""
    return sep.join(f"{v:.10g}" for v in lrs)


def parse_lrs(text: str) -> tuple[tuple, list[str]]:
    """Learning rates from "0.01, 0.1, 0.5": (usable values, problems). Never raises.

    Problems are plain sentences quoting the user's text (“…”); show them with ui.text.literal."""
    values, bad, problems = [], [], []
    for tok in (t.strip() for t in str(text)[:500].replace(";", ",").split(",")):
        if not tok:
            continue
        try:
            v = float(tok)
        except ValueError:
            bad.append(f"“{tok[:20]}” is not a number")
            continue
        if not math.isfinite(v) or not LR_LOW < v <= LR_HIGH:
            bad.append(f"“{tok[:20]}” is outside (0, {LR_HIGH:g}]")
            continue
        if v not in values:
            values.append(v)
    # named one by one, unless there are two or more beyond MAX_BAD_SHOWN (a count of one read "1 more values are
    # not usable", in place of the one sentence it stood for)
    shown = bad if len(bad) <= MAX_BAD_SHOWN + 1 else bad[:MAX_BAD_SHOWN]
    problems += shown
    if len(bad) > len(shown):
        problems.append(f"{len(bad) - len(shown)} more values are not usable learning rates")
    if len(values) > MAX_LRS:
        problems.append(f"at most {MAX_LRS} learning rates; kept the first {MAX_LRS}")
        values = values[:MAX_LRS]
    if not values:
        problems.append(f"no usable learning rate; using the document's {fmt_lrs(DEFAULT_LRS, ', ')}")
        values = list(DEFAULT_LRS)
    return tuple(values), problems


def lrs_from_link(prefix: str, params: dict, values: dict) -> list[str]:
    """``page_state.open_page`` seed: the link's learning rates into the box (problems: notices), and a
    notice if the link's optimizer carries a learning rate of its own (the columns' rates are used)."""
    lrs, problems = parse_lrs(values["lrs"])
    usable = not problems or not problems[-1].startswith("no usable")
    raw = quoted(params.get("lrs", values["lrs"]))
    notices = [f"Ignored lrs = {raw} from the link{', in part' if usable else ''}: {literal(p, None)}."
               for p in problems]
    st.session_state[prefix + "lrs"] = fmt_lrs(lrs, ", ")
    try:
        own_lr = "o1" in params and "learning_rate" in OptChoice.decode(params["o1"]).kwargs
    except ValueError:  # already a notice (ui.settings.read_optimizers)
        own_lr = False
    if own_lr:
        notices.append("The optimizer's own learning rate in `o1` is ignored: the learning rates come from `lrs`.")
    return notices


def optimizer_text(choice: OptChoice) -> str:
    """The optimizer without a learning rate (each column has its own): "SGD (momentum 0.9)"."""
    bits = [f"{k} {v:g}" if not isinstance(v, bool) else k for k, v in choice.params
            if k != "learning_rate" and v is not False]
    if choice.flavor != "keras":
        bits.append(choice.flavor)
    return choice.name + (f" ({', '.join(bits)})" if bits else "")


def has_learning_rate(choice: OptChoice) -> bool:
    return "learning_rate" in {p.name for p in optimizers.spec(choice.name, choice.flavor)}


@st.cache_resource(show_spinner=False)
def regression_land():
    return read_only(landscapes.get("regression"))  # shared by every session


@st.cache_data(max_entries=64, ttl=TTL, show_spinner=False)
def compute_runs(lrs: tuple, epochs: int, mode: str, bs: int, seed: int, choice: OptChoice) -> list:
    """One ``charts.regression.LRRun`` per learning rate (``choice``'s other hyperparameters)."""
    land = regression_land()
    opts = [choice.build(learning_rate=lr) for lr in lrs]
    runs = []
    if mode == "full":
        # One update per epoch on the full data set: exactly the document's loop.
        for lr, opt in zip(lrs, opts):
            traj = optimizers.run(opt, land, steps=epochs, record="path")
            p = traj.path()
            runs.append(rc.LRRun(lr, p, p, traj.loss[:len(p)].copy(), traj.diverged_at, epochs))
    else:
        # All learning rates see the same shuffled batches (train() stacks the models).
        results = training.train(opts, land, epochs, batch_size=bs, seed=seed)
        loss0 = float(land.loss(land.start))
        for lr, res in zip(lrs, results):
            loss = np.r_[loss0, res.history.get("eval_loss", np.zeros(0))]
            runs.append(rc.LRRun(lr, res.params, res.path, loss, res.diverged_at, epochs))
    return runs


@st.cache_data(max_entries=64, ttl=TTL, show_spinner=False)
def figures(lrs: tuple, epochs: int, mode: str, bs: int, seed: int, choice: OptChoice) -> tuple:
    """(the fitted lines, the paths on the loss surface) of :func:`compute_runs`, each in one figure (the export)."""
    runs = compute_runs(lrs, epochs, mode, bs, seed, choice)
    land = regression_land()
    return rc.fit_figure(runs, land.X[:, 0], land.y), rc.surface_figure(runs, land)


@st.cache_data(max_entries=64, ttl=TTL, show_spinner=False)
def page_figures(lrs: tuple, epochs: int, mode: str, bs: int, seed: int, choice: OptChoice) -> tuple:
    """What the page draws in columns (they stack on a phone): one fit panel per rate, then the paths on the loss
    surface and the loss curves as two figures."""
    runs = compute_runs(lrs, epochs, mode, bs, seed, choice)
    land = regression_land()
    bounds = rc.surface_bounds(runs, land)
    return (rc.fit_panels(runs, land.X[:, 0], land.y),
            (rc.surface_figure(runs, land, bounds, part="map"), rc.surface_figure(runs, land, bounds, part="loss")))


@st.cache_resource(max_entries=32, ttl=TTL, show_spinner=False)
def player_spec(lrs: tuple, epochs: int, mode: str, bs: int, seed: int, choice: OptChoice) -> dict:
    """The player's dict (charts.regression.fit_player) of :func:`compute_runs`, built once and shared by every
    session: read only."""
    land = regression_land()
    return rc.fit_player(compute_runs(lrs, epochs, mode, bs, seed, choice), land.X[:, 0], land.y,
                         floor=getattr(land, "min_value", None))


@st.cache_data(max_entries=16, ttl=TTL, show_spinner=False)
def export_html(lrs: tuple, epochs: int, mode: str, bs: int, seed: int, choice: OptChoice) -> str:
    """The figures as one offline page with every setting, built once per settings (plotly.js is embedded: ~5 MB)."""
    gradients = "full batch (one update per epoch)" if mode == "full" else f"mini-batches of {bs}, shuffled with seed {seed}"
    settings = "\n".join([
        f"Data: the Kerasy document's noisy line ({len(regression_land().y)} points, y = 2x + 1 + noise); loss: mean squared "
        "error; start: the document's initial weights",
        f"Learning rates: {fmt_lrs(lrs, ', ')}",
        f"Optimizer: {optimizer_text(choice)} [{choice.flavor}]",
        f"{epochs} epochs, gradients on {gradients}"])
    return rc.export_html(list(figures(lrs, epochs, mode, bs, seed, choice)), "Descent Lab: learning rate", settings)


def summary(runs) -> list[dict]:
    """One plain row per learning rate (what the page shows, for tests)."""
    return [{"lr": r.lr, "final": [float(v) for v in r.epoch_params[-1]], "loss": float(r.loss[-1]),
             "epochs_run": len(r.loss) - 1, "diverged_at": r.diverged_at} for r in runs]
