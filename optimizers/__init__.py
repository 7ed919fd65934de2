"""Descent Lab's optimizer engine: NumPy only, float64, pure functions.

    >>> import numpy as np, optimizers
    >>> opt = optimizers.get("adam", learning_rate=0.1)
    >>> w = np.array([1.0, -2.0]); state = opt.init(w)
    >>> w, state = opt.update(np.array([0.5, 0.5]), state, w)

Every rule is computed as Keras 3 computes it (``flavor="keras"``, the
default), as its paper writes it (``flavor="textbook"``) or as ``torch.optim``
computes it (``flavor="pytorch"``). ``docs/maths.md`` describes the
conventions, the order of operations and the flavour differences;
``teaching(name)`` gives what the app teaches about each optimizer.
"""
from . import schedules
from .base import FLAVORS, HyperParam, Optimizer, State
from .registry import CLASSES, available, full_config, get, get_class, settings_spec, spec
from .runner import Trajectory, run
from .analysis import (BasinResult, SweepResult, basin_map, lr_sweep, stalled_since, steps_to_tolerance,
                       tune_learning_rate)
from .basins import Groups, endpoint_groups, local_minima
from .explain import StepExplanation, explain_step
from .teaching import Teaching, teaching
from .training import TrainResult, train

__all__ = ["get", "available", "spec", "settings_spec", "full_config", "get_class", "schedules", "Optimizer", "State", "HyperParam",
           "FLAVORS", "CLASSES",
           "run", "Trajectory", "lr_sweep", "basin_map", "steps_to_tolerance", "tune_learning_rate",
           "SweepResult", "BasinResult", "Groups", "endpoint_groups", "local_minima", "explain_step", "StepExplanation",
           "train", "TrainResult", "teaching", "Teaching", "stalled_since"]
