"""Optimizer line-ups shared by the pages: what "Add optimizer" offers next, and how line-ups are written."""
from __future__ import annotations

from ui.settings import OptChoice


def lineup(*items) -> tuple[OptChoice, ...]:
    """``lineup(("SGD", {"learning_rate": 0.01}), ...)`` as canonical choices (default values dropped, so a
    choice from a link and the same choice from the editor compare and cache equal)."""
    return tuple(OptChoice.make(name, **kw).canonical() for name, kw in items)


def add_order(sgd_lr: float, gd_lr: float) -> tuple[OptChoice, ...]:
    """What "Add optimizer" offers next on a 2-D landscape page: the first of these not on the page yet.
    The rates suit the page's default landscape (``sgd_lr`` for SGD with momentum 0.9, ``gd_lr`` for plain
    gradient descent); the adaptive rules move about η per step whatever the slope."""
    return lineup(("Adam", {"learning_rate": 0.05}), ("SGD", {"learning_rate": sgd_lr, "momentum": 0.9}),
                  ("RMSprop", {"learning_rate": 0.01}), ("Lion", {"learning_rate": 0.01}),
                  ("Nadam", {"learning_rate": 0.05}), ("Adagrad", {"learning_rate": 0.5}),
                  ("AdamW", {"learning_rate": 0.05}), ("Adamax", {"learning_rate": 0.05}),
                  ("Adadelta", {"learning_rate": 1.0}), ("GradientDescent", {"learning_rate": gd_lr}))
