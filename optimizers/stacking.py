"""Many runs' updates at once: optimizers stacked by rule, and a lean update step.

``optimizers.train`` trains M models side by side; after every batch each
optimizer updates its own row of the (M, P) parameters. Two things make that
cheap, without changing the numbers:

* ``stack_key`` / ``stack``: optimizers that compute the same rule with the
  same flags, differing only in values the rule uses elementwise
  (``STACKABLE``: learning rate, ε, momentum, weight decay), become ONE
  optimizer whose differing hyperparameters are (G, 1) arrays, one value per
  row (README: "Leading axes are independent runs"). Every row then goes
  through the same operations on the same numbers as with its own optimizer.
  Values that enter powers or branches (β's, ρ, flags) must be equal: they
  are part of the key. Relatives share a key where a zero makes the extra
  term vanish exactly (``_canonical``):
    - GradientDescent is SGD without momentum (Keras has no such class);
    - Keras's SGD without momentum (and so without Nesterov) is its momentum
      rule with μ = 0: v = 0·v − ηg = −ηg and w + v = w − ηg;
    - Keras's AdamW is its Adam with weight decay (Keras: "AdamW is Adam
      with weight_decay");
    - no weight decay is weight decay 0: w − w·0·η = w.
  These agree with the optimizer alone in every number (at most the sign of
  an exact zero could differ: −0 and +0 are equal numbers).
* ``Stepper``: for a plain optimizer (no gradient accumulation, EMA or loss
  scaling) one ``Optimizer.update`` is a few NumPy operations wrapped in
  per-call bookkeeping: input checks, ``np.errstate``, a new frozen State.
  The Stepper holds the state itself and calls the same pieces in the same
  order as ``Optimizer._update_one_array`` (the engine's own short path),
  without the wrapping: about 3 µs less per update, a third of a small
  rule's cost. Other optimizers (and objects that only look like one) go
  through their own ``update``.

The Stepper leaves floating-point warnings to its caller: train() runs under
``np.errstate(all="ignore")``, as update() does internally.
"""

from __future__ import annotations

import numpy as np

from .adam import Adam
from .adamw import AdamW
from .base import Optimizer
from .gradient_descent import GradientDescent
from .registry import CLASSES
from .sgd import SGD

# Hyperparameters that only enter elementwise sums and products in every
# rule (and in Keras's weight decay), so a (G, 1) array of them computes each
# row exactly as a scalar would.
STACKABLE = ("learning_rate", "epsilon", "momentum", "weight_decay")
# The rules whose update is exactly the base class's one-array path (``_rule`` after clipping and decay), so
# the lean stepper and stacking reproduce them. Adafactor, Ftrl, Lamb, Muon and Schedule-Free keep per-variable
# context, decay inside the rule or drop unused slots: they always go through ``opt.update``.
LEAN_RULES = ("GradientDescent", "SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW", "Adamax", "Nadam", "Lion")


def _canonical(opt):
    """(class, config, slots) of the rule ``opt`` computes, in the form its
    relatives share (module docstring); ``slots`` is None where the zero of a
    stackable value decides them (SGD's momentum)."""
    cls, config = type(opt), dict(opt.config)
    config.setdefault("weight_decay", None)
    slots = tuple(opt._slot_names())
    if cls is GradientDescent:
        defaults = {p.name: p.default for p in SGD.HYPERPARAMS[opt.flavor] if p.name != "learning_rate"}
        cls, config = SGD, {**defaults, **config, "momentum": 0.0}
    if cls is SGD and opt.flavor != "pytorch":
        slots = None
        if config["momentum"] == 0:
            config["nesterov"] = False          # Keras ignores Nesterov without momentum
    if cls is AdamW and opt.flavor == "keras":
        cls = Adam
    return cls, config, slots


def stack_key(opt):
    """Optimizers with equal keys can be stacked into one; None: keep it alone.

    Only the engine's own classes, plain (see module docstring), with a
    constant learning rate and scalar hyperparameters."""
    if type(opt) not in CLASSES or type(opt).name not in LEAN_RULES or not opt._plain \
            or type(opt.learning_rate) is not float:
        return None
    cls, config, slots = _canonical(opt)
    fixed = []
    for name, value in sorted(config.items()):
        if value is not None and not isinstance(value, (bool, int, float)):
            return None                         # arrays, schedules: keep it alone
        if name not in STACKABLE:
            fixed.append((name, value))
    return (cls, opt.flavor, slots, tuple(sorted(config)), tuple(fixed))


def stack(opts):
    """One optimizer for the rows of ``opts`` (equal ``stack_key``): each
    hyperparameter is a scalar where all agree, else a (G, 1) array."""
    if len(opts) == 1:
        return opts[0]
    canonical = [_canonical(o) for o in opts]
    cls = canonical[0][0]
    kwargs = {}
    for name in canonical[0][1]:
        values = [config[name] for _, config, _ in canonical]
        if name == "weight_decay":
            if all(v is None for v in values):
                continue
            values = [0.0 if v is None else v for v in values]
        same = all(v == values[0] for v in values)
        kwargs[name] = values[0] if same else np.array(values, dtype=np.float64)[:, None]
    return cls(flavor=opts[0].flavor, **kwargs)


class Stepper:
    """An optimizer and its state: ``step(grads, params) -> new params``.

    ``params`` is an array whose ``batch_ndim`` leading axes are independent
    runs (or, for an optimizer that clips per tensor, a list of arrays). The
    results equal ``opt.update`` bit for bit (tests/test_stacking.py)."""

    def __init__(self, opt, params, batch_ndim=0):
        self.opt = opt
        state = opt.init(params, batch_ndim=batch_ndim) if batch_ndim else opt.init(params)
        self.lean = (isinstance(opt, Optimizer) and opt._plain and type(opt).name in LEAN_RULES
                     and isinstance(params, np.ndarray) and params.dtype == np.float64)
        if not self.lean:
            self.state = state
            return
        self.batch_ndim = batch_ndim
        self.slots = dict(state.slots)
        self.glob = {name: self.slots.pop(name) for name in opt.GLOBAL_SLOTS}
        self.k = 0                          # Keras's raw counter (updates so far)
        # A constant learning rate (not a schedule or a callable) is looked up once.
        lr = opt.learning_rate
        self.lr = lr if isinstance(lr, (float, np.ndarray)) else None
        self.clips = (opt.clipnorm is not None or opt.global_clipnorm is not None
                      or opt.clipvalue is not None)

    def step(self, g, w):
        """One Keras ``apply()``; ``g`` and ``w`` are not modified."""
        if not self.lean:
            w, self.state = self.opt.update(g, self.state, w)
            return w
        # Optimizer._update_one_array, step for step.
        opt, k = self.opt, self.k
        lr = opt.learning_rate_at(k) if self.lr is None else self.lr
        if self.clips:
            (g,) = opt._clip([g], self.batch_ndim)
        if opt.weight_decay is not None:
            if opt._coupled_weight_decay():
                g = g + opt.weight_decay * w
            else:
                w = w - w * opt.weight_decay * opt._weight_decay_factor(lr, k)
        t = float(k + 1)
        if self.glob:
            self.glob = opt._pre_step(self.glob, t)
        w, self.slots = opt._rule(g, w, self.slots, lr, t, self.glob)
        self.k = k + 1
        return w
