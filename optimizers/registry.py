"""Name → optimizer class, with Keras class names and lower-case aliases."""
from .adadelta import Adadelta
from .adafactor import Adafactor
from .adagrad import Adagrad
from .adam import Adam
from .adamax import Adamax
from .adamw import AdamW
from .ftrl import Ftrl
from .gradient_descent import GradientDescent
from .lamb import Lamb
from .lion import Lion
from .muon import Muon
from .nadam import Nadam
from .rmsprop import RMSprop
from .schedule_free_adamw import ScheduleFreeAdamW
from .sgd import SGD

CLASSES = (GradientDescent, SGD, Adagrad, RMSprop, Adadelta, Adam, AdamW, Adamax, Nadam, Lion,
           Adafactor, Ftrl, Lamb, Muon, ScheduleFreeAdamW)
_BY_NAME = {}
for _cls in CLASSES:
    _BY_NAME[_cls.name] = _cls
    for _alias in _cls.aliases:
        _BY_NAME[_alias] = _cls


def available() -> list[str]:
    """Keras class names of every optimizer, in teaching order."""
    return [cls.name for cls in CLASSES]


def get_class(identifier: str):
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier) or _BY_NAME.get(identifier.lower())
        if cls is not None:
            return cls
    raise ValueError(f"Unknown optimizer {identifier!r}. Valid optimizers: {', '.join(available())} "
                     "(or their lower-case names, e.g. 'adam', 'sgd', 'gradient_descent').")


def get(identifier, **kwargs):
    """``get("Adam", learning_rate=0.01, flavor="textbook")``; an optimizer instance is returned as is."""
    from .base import Optimizer
    if isinstance(identifier, Optimizer):
        if kwargs:
            raise ValueError("get(): keyword arguments cannot be applied to an existing optimizer instance.")
        return identifier
    return get_class(identifier)(**kwargs)


def spec(identifier, flavor: str = "keras"):
    """Hyperparameter specs (``HyperParam``) of one optimizer flavour."""
    cls = get_class(identifier)
    if flavor not in cls.flavors():
        raise ValueError(f"{cls.name}: unknown flavor {flavor!r}. Valid flavours: {', '.join(cls.flavors())}.")
    return cls.spec(flavor)


def settings_spec(identifier, flavor: str = "keras"):
    """What the app lets a user set: the hyperparameters (``spec``) followed by the app options
    (``Optimizer.OPTIONS``, e.g. Muon's ``as_matrix``), which are not arguments of Keras, the paper or torch."""
    return spec(identifier, flavor) + get_class(identifier).options(flavor)


def full_config(identifier, flavor: str = "keras", params: dict | None = None) -> dict:
    """Every hyperparameter the optimizer uses: its spec defaults overridden by ``params``
    (floats, and bools for switches such as ``nesterov``), in the spec's order, then the app options."""
    params = params or {}
    out = {}
    for hp in settings_spec(identifier, flavor):
        v = params.get(hp.name, hp.default)
        out[hp.name] = bool(v) if hp.kind == "bool" else float(v)
    return out
