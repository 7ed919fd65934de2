"""Each optimizer's teaching text: one home per optimizer, every field present, numbers computed,
and inspector equations whose numbers add up to what the engine computed."""
import inspect
import itertools
import math
import re

import numpy as np
import pytest

import landscapes
import optimizers
from optimizers import schedules
from optimizers.adadelta import EXAMPLE_GRADIENT, first_step_ratio
from optimizers.adam import equivalent_textbook_epsilon
from optimizers.nadam import DOZAT_PSI, KERAS_PSI, steps_to_reach
from optimizers.teaching import BASE_SLOTS, FIELDS, SOURCES, Teaching

NAMES = optimizers.available()
H = landscapes.get("himmelblau")


# --------------------------------------------------------------------------- #
# One home per optimizer                                                        #
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("name", NAMES)
def test_every_registered_optimizer_provides_all_teaching_fields(name):
    cls = optimizers.get_class(name)
    info = optimizers.teaching(name)
    assert isinstance(info, Teaching)
    # Its own record, written in its own module (not inherited: AdamW is not Adam).
    assert cls.__dict__.get("TEACHING") is info
    assert inspect.getmodule(info.explain).__name__ in (cls.__module__, "optimizers.adam")
    for field in FIELDS:
        value = getattr(info, field)
        if field == "slots":  # a rule without state (plain gradient descent) has none; coverage is tested below
            assert isinstance(value, dict), name
        else:
            assert value, f"{name}: empty {field}"
    assert all(isinstance(line, str) and len(line) > 20 for line in info.differences)
    assert len(info.differences) >= 3
    assert set(info.other_defaults) == set(SOURCES)
    assert callable(info.explain)
    for flavor in cls.flavors():
        assert info.why_for(flavor, {hp.name: hp.default for hp in optimizers.spec(name, flavor)})


def _configurations(name):
    """Every slot-changing option of every flavour (momentum, centered, amsgrad, accumulation, EMA)."""
    cls = optimizers.get_class(name)
    for flavor in cls.flavors():
        names = {hp.name for hp in optimizers.spec(name, flavor)}
        options = [{}]
        for key, value in (("momentum", 0.9), ("centered", True), ("amsgrad", True)):
            if key in names:
                options.append({key: value})
        if "momentum" in names and "centered" in names:
            options.append({"momentum": 0.9, "centered": True})
        for extra in ({}, {"gradient_accumulation_steps": 2, "use_ema": True}):
            for option in options:
                yield flavor, {**option, **extra}


@pytest.mark.parametrize("name", NAMES)
def test_every_slot_has_a_symbol_and_a_meaning_in_every_flavour(name):
    info = optimizers.teaching(name)
    seen = set()
    for flavor, kw in _configurations(name):
        # A kernel and a bias, as a network layer has: some rules keep slots for matrices only (Adafactor's
        # row/column factors); torch's Muon takes matrices only.
        params = np.zeros((4, 3)) if (name, flavor) == ("Muon", "pytorch") else [np.zeros((4, 3)), np.zeros(2)]
        state = optimizers.get(name, flavor=flavor, **kw).init(params)
        for slot in state.keys():
            s = info.slot(slot, flavor)
            assert s.symbol and len(s.meaning) > 5, (name, flavor, slot)
            # "momentum v"; a slot whose symbol is its own name is named once ("x", never "x x")
            assert info.slot_label(slot, flavor) == (slot if s.symbol == slot else f"{slot} {s.symbol}")
            seen.add(slot)
    assert {"gradient_accumulator", "average"} <= seen
    assert set(info.slots) | set(BASE_SLOTS) >= seen  # no slot without a record
    assert set(info.slots) <= seen  # and no record for a slot the rule never has


def test_teaching_accepts_names_aliases_classes_and_instances():
    assert optimizers.teaching("adam") is optimizers.teaching("Adam") is optimizers.teaching(optimizers.get_class("Adam"))
    assert optimizers.teaching(optimizers.get("sgd")) is optimizers.teaching("SGD")
    assert optimizers.teaching(optimizers.get_class("AdamW")) is not optimizers.teaching("Adam")
    with pytest.raises(ValueError, match="Unknown optimizer"):
        optimizers.teaching("Bogus")


def test_slot_overrides_per_flavour():
    sgd = optimizers.teaching("SGD")
    assert sgd.slot("momentum", "keras").symbol == "v" and "η included" in sgd.slot("momentum", "keras").meaning
    assert sgd.slot("momentum", "pytorch").symbol == "b" and "no η" in sgd.slot("momentum", "pytorch").meaning
    with pytest.raises(KeyError):
        sgd.slot("velocity")


def test_why_variants():
    sgd = optimizers.teaching("SGD")
    assert sgd.why_for("keras", {"momentum": 0.0}).startswith("With momentum μ = 0")
    assert sgd.why_for("keras", {"momentum": 0.9}) == sgd.why and "v ← μ·v − η·g" in sgd.why
    assert "b ← μ·b + (1 − dampening)·g" in sgd.why_for("pytorch", {"momentum": 0.9, "dampening": 0.0})


# --------------------------------------------------------------------------- #
# Numbers in the text are computed, and agree with the engine                  #
# --------------------------------------------------------------------------- #
def _one_step(name, g, flavor="keras"):
    opt = optimizers.get(name, flavor=flavor)
    w = np.zeros(1)
    return opt.update(np.array([g]), opt.init(w), w)[0][0]


def test_adadelta_factor_is_derived_and_matches_the_engine():
    # Closed form (E[Δ²]₀ = 0): (1/η)·√(ε_P/ε_K)·√(((1−ρ)g² + ε_K)/((1−ρ)g² + ε_P)).
    assert first_step_ratio() == pytest.approx(1000 * math.sqrt(10), rel=1e-15)
    for g in (EXAMPLE_GRADIENT, 0.3, -5.0, 1e3):
        measured = _one_step("adadelta", g, "textbook") / _one_step("adadelta", g, "keras")
        assert measured == pytest.approx(first_step_ratio(g), rel=1e-12)
    assert round(first_step_ratio(EXAMPLE_GRADIENT)) == 2915
    assert _one_step("adadelta", 1e3, "textbook") / _one_step("adadelta", 1e3, "keras") == pytest.approx(
        first_step_ratio(), rel=1e-6)
    # ... and the text shows those numbers and the derivation.
    text = " ".join(optimizers.teaching("Adadelta").differences)
    assert "3,162×" in text and "2,915×" in text and "1,000 × 3.162" in text and "√ε" in text
    assert "3,162×" in optimizers.teaching("Adadelta").keras_note
    assert "1000×" not in optimizers.get_class("Adadelta").NOTES["textbook"]


def test_nadam_schedule_numbers_match_the_engines_mu():
    for flavor, psi in (("keras", KERAS_PSI), ("textbook", DOZAT_PSI)):
        opt = optimizers.get("nadam", flavor=flavor)
        for fraction in (0.75, 0.99):
            first = next(t for t in range(1, 10**6) if opt._mu(t) >= fraction * 0.9)
            assert steps_to_reach(fraction, psi) == first
    assert steps_to_reach(0.75, KERAS_PSI) == 17 and steps_to_reach(0.75, DOZAT_PSI) == 4245
    text = " ".join(optimizers.teaching("Nadam").differences)
    assert "t = 17" in text and "t = 4,245" in text and "unverified" in text


def test_adam_epsilon_hat_equivalence_is_what_the_engine_does():
    # Keras's ε̂ acts as a textbook ε_t = ε̂/√(1−β₂ᵗ): one Keras step equals one textbook step with ε = ε_t.
    for g in (1e-7, 3e-6, 0.2):
        opt_k = optimizers.get("adam", learning_rate=0.1)
        opt_t = optimizers.get("adam", flavor="textbook", learning_rate=0.1, epsilon=equivalent_textbook_epsilon(1))
        w = np.zeros(1)
        a = opt_k.update(np.array([g]), opt_k.init(w), w)[0]
        b = opt_t.update(np.array([g]), opt_t.init(w), w)[0]
        assert a[0] == pytest.approx(b[0], rel=1e-9)
    text = " ".join(optimizers.teaching("Adam").differences)
    for t in (1, 10, 1000):
        shown = re.search(rf"\(?(\S+) at t = {t}\b", text).group(1).strip("(")
        assert float(shown) == pytest.approx(equivalent_textbook_epsilon(t), rel=0.05)


# --------------------------------------------------------------------------- #
# The inspector's equations add up                                              #
# --------------------------------------------------------------------------- #
def _inspector_configs():
    for name in NAMES:
        cls = optimizers.get_class(name)
        for flavor in cls.flavors():
            if (name, flavor) == ("Muon", "pytorch"):
                continue  # torch's Muon takes matrices only: see test_inspector_equations_add_up_on_matrices
            names = {hp.name for hp in optimizers.spec(name, flavor)}
            base = {"learning_rate": 0.01} if "learning_rate" in names else {}
            variants = [{}]
            if "momentum" in names:
                variants.append({"momentum": 0.9})
            if "nesterov" in names:
                variants.append({"momentum": 0.9, "nesterov": True})
            if "dampening" in names:
                variants.append({"momentum": 0.9, "dampening": 0.5})
            if "centered" in names:
                variants += [{"centered": True}, {"centered": True, "momentum": 0.5}]
            if "amsgrad" in names:
                variants.append({"amsgrad": True})
            if "lr_decay" in names:
                variants.append({"lr_decay": 0.1})
            common = [{}, {"weight_decay": 0.1}, {"clipnorm": 0.5}, {"clipvalue": 0.1}, {"global_clipnorm": 0.3}]
            if "learning_rate" in names:
                common.append({"learning_rate": schedules.CosineDecay(0.0, 50, warmup_target=0.05, warmup_steps=5),
                               "weight_decay": 0.05})
            for v, c in itertools.product(variants, common):
                yield name, flavor, {**base, **v, **c}


CONFIGS = list(_inspector_configs())


def _id(cfg):
    name, flavor, kw = cfg
    return f"{name}-{flavor}-" + ",".join(f"{k}={type(v).__name__ if hasattr(v, 'get_config') else v}"
                                         for k, v in sorted(kw.items()))


@pytest.mark.parametrize("cfg", CONFIGS, ids=[_id(c) for c in CONFIGS])
def test_inspector_equations_add_up_to_the_engines_numbers(cfg):
    name, flavor, kw = cfg
    traj = optimizers.run(optimizers.get(name, flavor=flavor, **kw), H, start=[0.5, 0.5], steps=8, record="full")
    _check_equations_add_up(traj, cfg)


def _matrix_trajectory(opt, steps=8):
    """A trajectory of one (4, 3) weight matrix, recorded like optimizers.run(record="full") records one."""
    from types import SimpleNamespace

    rng = np.random.default_rng(3)
    target, scale = rng.normal(size=(4, 3)), rng.uniform(0.2, 3.0, size=(4, 3))
    w = rng.normal(size=(4, 3))
    state = opt.init(w)
    params, grads, slots = [w], [], {k: [v] for k, v in state.slots.items()}
    for _ in range(steps):
        g = scale * (w - target) + np.sin(3 * w)
        w, state = opt.update(g, state, w)
        grads.append(g)
        params.append(w)
        for k, v in state.slots.items():
            slots[k].append(v)
    grads.append(scale * (w - target) + np.sin(3 * w))
    return SimpleNamespace(record="full", steps=steps, optimizer=opt, params=np.array(params), grads=np.array(grads),
                           slots={k: np.array(v) for k, v in slots.items()})


MATRIX_CONFIGS = [
    (name, flavor, {**v, **c})
    for name in ("Muon", "Adafactor")
    for flavor in optimizers.get_class(name).flavors()
    for v in ([{}, {"nesterov": False}] if name == "Muon" else [{}])
    + ([{"rms_rate": None}, {"weight_decay": None}] if (name, flavor) == ("Muon", "keras") else [])
    + ([{"match_rms_adamw": True}] if (name, flavor) == ("Muon", "pytorch") else [])
    for c in ({"learning_rate": 0.05}, {"learning_rate": 0.05, "weight_decay": 0.1}, {"clipnorm": 0.5})
]


@pytest.mark.parametrize("cfg", MATRIX_CONFIGS, ids=[_id(c) for c in MATRIX_CONFIGS])
def test_inspector_equations_add_up_on_matrices(cfg):
    """Muon's Newton–Schulz step and Adafactor's row/column factors act on matrices (a network's kernels)."""
    name, flavor, kw = cfg
    traj = _matrix_trajectory(optimizers.get(name, flavor=flavor, **kw))
    lhs = set()
    for k in (0, 1, 7):
        lhs |= {e.lhs for e in optimizers.explain_step(traj, k).equations}
    assert ("O_t" in lhs) if name == "Muon" else {"r_t", "c_t"} <= lhs
    _check_equations_add_up(traj, cfg)


def _check_equations_add_up(traj, cfg):
    for k in (0, 1, 7):
        ex = optimizers.explain_step(traj, k)
        assert ex.equations
        for e in ex.equations:
            # The numbers shown are exactly those the formula's arithmetic uses ...
            assert e.placeholders() == set(e.values) == e.arguments(), (e.lhs, e.numbers)
            # ... that arithmetic reproduces the engine's own value of the left-hand side ...
            if e.expect is not None:
                np.testing.assert_allclose(e.result, e.expect, rtol=1e-12, atol=0, err_msg=f"{cfg} k={k} {e.lhs}")
            assert e.lhs in e.latex()
        # ... and the last equation for w is the new point the chart drew.
        final = [e for e in ex.equations if e.lhs == "w_t"]
        # (equal_nan: Ftrl divides by η, so a warm-up from η = 0 gives NaN at step 0, in Keras too)
        assert len(final) == 1 and np.array_equal(final[0].expect, ex.w_new, equal_nan=True)
        assert all(isinstance(line, str) for line in ex.lines)


def _explain(name, k=3, **kw):
    traj = optimizers.run(optimizers.get(name, **kw), H, start=[0.5, 0.5], steps=6, record="full")
    return optimizers.explain_step(traj, k)


def _eq(ex, lhs):
    return next(e for e in ex.equations if e.lhs == lhs)


def test_sgd_dampening_is_in_the_formula_and_its_numbers():
    # The audit: the inspector wrote μb + g while the engine computed μb + (1 − d)g.
    ex = _explain("sgd", flavor="pytorch", learning_rate=0.01, momentum=0.9, dampening=0.5)
    b = _eq(ex, "b_t")
    assert "(1-d)" in b.rule and b.values["one_minus_d"] == 0.5
    assert r"0.5\," in b.latex()
    np.testing.assert_allclose(b.result, ex.slots_after["momentum"], rtol=1e-15)


def test_weight_decay_terms_add_up_to_the_new_point():
    # The audit: "w_{t−1} + v_t" was filled in with the pre-decay w, so the terms did not add up.
    ex = _explain("sgd", learning_rate=0.01, momentum=0.9, weight_decay=0.5)
    decay, step = _eq(ex, "w_{t-1}"), _eq(ex, "w_t")
    assert decay.op == r"\leftarrow" and not np.array_equal(decay.result, ex.w)
    np.testing.assert_array_equal(step.values["w"], decay.result)
    np.testing.assert_allclose(step.values["w"] + step.values["v"], ex.w_new, rtol=1e-15)
    assert "before the decay" in ex.lines[-1]


def test_textbook_adamw_shows_its_schedule_multiplier():
    sched = schedules.CosineDecay(0.0, 50, warmup_target=0.05, warmup_steps=5)
    ex = _explain("adamw", flavor="textbook", learning_rate=sched, weight_decay=0.01)
    eta_t = _eq(ex, r"\eta_t")
    assert eta_t.values == {"lr": pytest.approx(float(sched(3))), "peak": 0.05}
    decay = _eq(ex, "w_{t-1}")
    assert r"\eta_t\,\lambda" in decay.rule and decay.values["eta"] == pytest.approx(float(sched(3)) / 0.05)
    assert r"\alpha\,\eta_t" in _eq(ex, "w_t").rule
    keras = _explain("adamw", learning_rate=sched, weight_decay=0.01)
    assert r"\eta\,\lambda" in _eq(keras, "w_{t-1}").rule


@pytest.mark.parametrize("flavor, kw, label", [
    ("keras", {}, "denominator √(v + ε)"),
    ("keras", {"centered": True}, "denominator √(v − ḡ² + ε)"),
    ("pytorch", {}, "denominator √v + ε"),
    ("pytorch", {"centered": True}, "denominator √(v − ḡ²) + ε"),
    ("textbook", {}, "denominator √v"),
])
def test_rmsprop_denominator_label_is_the_form_computed(flavor, kw, label):
    ex = _explain("rmsprop", flavor=flavor, learning_rate=0.01, **kw)
    (den,) = [q for q in ex.quantities if q[0].startswith("denominator")]
    assert den[0] == label


def test_inspector_shows_the_clipped_gradient():
    ex = _explain("adam", learning_rate=0.01, clipnorm=0.5)
    clip = _eq(ex, "g_t")
    assert clip.op == r"\leftarrow" and np.linalg.norm(clip.result) == pytest.approx(0.5)
    np.testing.assert_array_equal(clip.result, ex.g_rule)


# Defaults quoted in the prose of the maths page, checked against the engine's specs (so they cannot drift).
def _default(name, flavor, hp):
    return {p.name: p.default for p in optimizers.spec(name, flavor)}[hp]


QUOTED_DEFAULTS = [
    ("GradientDescent", "default learning rate 0.01", [("keras", "learning_rate", 0.01)]),
    ("GradientDescent", "`lr=1e-3`", [("pytorch", "learning_rate", 1e-3)]),
    ("Adagrad", "`initial_accumulator_value = 0.1`", [("keras", "initial_accumulator_value", 0.1)]),
    ("Adagrad", "Keras 0.001; Kerasy and PyTorch 0.01", [("keras", "learning_rate", 1e-3),
                                                         ("pytorch", "learning_rate", 0.01)]),
    ("Adagrad", "ε = 1e-10", [("pytorch", "epsilon", 1e-10)]),
    ("RMSprop", "lr 0.01, α 0.99, ε 1e-8", [("pytorch", "learning_rate", 0.01), ("pytorch", "rho", 0.99),
                                             ("pytorch", "epsilon", 1e-8)]),
    ("Adadelta", "ε: 1e-7 in Keras and Kerasy, 1e-6 in the paper and PyTorch",
     [("keras", "epsilon", 1e-7), ("textbook", "epsilon", 1e-6), ("pytorch", "epsilon", 1e-6)]),
    ("Adadelta", "PyTorch default to η = 1.0 (PyTorch also to ρ = 0.9)",
     [("pytorch", "learning_rate", 1.0), ("pytorch", "rho", 0.9)]),
    ("Adam", "1e-7 in Keras (and Kerasy), 1e-8 in the paper and PyTorch",
     [("keras", "epsilon", 1e-7), ("textbook", "epsilon", 1e-8), ("pytorch", "epsilon", 1e-8)]),
    ("AdamW", "`weight_decay` defaulting to 0.004", [("keras", "weight_decay", 0.004)]),
    ("AdamW", "default `weight_decay` is 0.01 (Keras 0.004)", [("pytorch", "weight_decay", 0.01)]),
    ("Adamax", "Keras adds ε (1e-7)", [("keras", "epsilon", 1e-7)]),
    ("Adamax", "Keras **0.001**; the paper, Kerasy and PyTorch 0.002",
     [("keras", "learning_rate", 1e-3), ("textbook", "learning_rate", 2e-3), ("pytorch", "learning_rate", 2e-3)]),
    ("Nadam", "Keras lr 0.001, ε 1e-7; PyTorch lr 0.002, ε 1e-8",
     [("keras", "learning_rate", 1e-3), ("keras", "epsilon", 1e-7), ("pytorch", "learning_rate", 2e-3),
      ("pytorch", "epsilon", 1e-8)]),
    ("Nadam", "(`momentum_decay=0.004`)", [("pytorch", "momentum_decay", 0.004)]),
    ("Lion", "(β₁ 0.9, β₂ 0.99)", [("keras", "beta_1", 0.9), ("keras", "beta_2", 0.99)]),
]


@pytest.mark.parametrize("name, phrase, checks", QUOTED_DEFAULTS, ids=[f"{n}:{p}" for n, p, _ in QUOTED_DEFAULTS])
def test_defaults_quoted_in_the_text_are_the_engines(name, phrase, checks):
    assert phrase in " ".join(optimizers.teaching(name).differences)
    for flavor, hp, value in checks:
        assert _default(name, flavor, hp) == value, (name, flavor, hp)
