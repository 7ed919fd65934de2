"""Engine tests that do not need the Keras fixtures: hand-derived steps from
the papers' formulas (textbook flavour), API behaviour, purity,
vectorization and bad input."""
import math

import numpy as np
import pytest

import optimizers
from tests.helpers import optimizer_steps as steps, updates_without_mutation
from optimizers import schedules

ALL = optimizers.available()




# --------------------------------------------------------------------------- #
# Hand-derived steps (plain Python floats, written from the papers/spec)      #
# --------------------------------------------------------------------------- #
G1, G2 = 0.3, -0.7  # two scalar gradients
W0 = 1.5


def test_adam_textbook_two_steps_by_hand():
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-8
    m1, v1 = (1 - b1) * G1, (1 - b2) * G1 ** 2
    w1 = W0 - lr * (m1 / (1 - b1)) / (math.sqrt(v1 / (1 - b2)) + eps)
    m2, v2 = b1 * m1 + (1 - b1) * G2, b2 * v1 + (1 - b2) * G2 ** 2
    w2 = w1 - lr * (m2 / (1 - b1 ** 2)) / (math.sqrt(v2 / (1 - b2 ** 2)) + eps)
    (a, b), s = steps("adam", [[G1], [G2]], [W0], flavor="textbook", learning_rate=lr)
    assert a[0] == pytest.approx(w1, rel=1e-14) and b[0] == pytest.approx(w2, rel=1e-14)
    assert s["momentum"][0] == pytest.approx(m2) and s["velocity"][0] == pytest.approx(v2)


def test_adam_epsilon_placement_visible_with_tiny_gradients():
    # g ≈ ε: Keras's ε̂ = 1e-7 acts like ε/√(1−β₂) ≈ 3.2e-6 at t = 1, the textbook's 1e-8 does not.
    g, lr = 1e-7, 1.0
    (wk,), _ = steps("adam", [[g]], [0.0], learning_rate=lr)
    (wt,), _ = steps("adam", [[g]], [0.0], flavor="textbook", learning_rate=lr)
    keras_by_hand = -lr * g / (g + 1e-7 / math.sqrt(1 - 0.999))
    text_by_hand = -lr * g / (g + 1e-8)
    assert wk[0] == pytest.approx(keras_by_hand, rel=1e-12)
    assert wt[0] == pytest.approx(text_by_hand, rel=1e-12)
    assert abs(wt[0]) > 25 * abs(wk[0])


def test_amsgrad_textbook_has_no_bias_correction_and_no_epsilon():
    # Reddi et al. (2018), Algorithm 2: w ← w − η·m/√v̂ₘₐₓ, no bias correction, no ε.
    lr, b1, b2 = 0.01, 0.9, 0.999
    m1, v1 = (1 - b1) * G1, (1 - b2) * G1 ** 2
    w1 = W0 - lr * m1 / math.sqrt(v1)
    m2, v2 = b1 * m1 + (1 - b1) * G2, b2 * v1 + (1 - b2) * G2 ** 2
    w2 = w1 - lr * m2 / math.sqrt(max(v1, v2))
    for eps in (1e-8, 0.5):  # ε is not part of the rule
        (a, b), _ = steps("adam", [[G1], [G2]], [W0], flavor="textbook", learning_rate=lr, amsgrad=True, epsilon=eps)
        assert (a[0], b[0]) == pytest.approx((w1, w2), rel=1e-14)
    # A coordinate that has only seen zero gradients does not move (0/0 is taken as 0).
    (a,), _ = steps("adam", [[G1, 0.0]], [W0, 2.0], flavor="textbook", amsgrad=True)
    assert a[1] == 2.0


def test_adam_keras_first_step_by_hand():
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-7
    alpha = lr * math.sqrt(1 - b2) / (1 - b1)
    w1 = W0 - alpha * ((1 - b1) * G1) / (math.sqrt((1 - b2) * G1 ** 2) + eps)
    (a,), _ = steps("adam", [[G1]], [W0], learning_rate=lr)
    assert a[0] == pytest.approx(w1, rel=1e-14)


def test_adagrad_both_flavours_by_hand():
    lr, eps = 0.1, 1e-7
    a1, a2 = 0.1 + G1 ** 2, 0.1 + G1 ** 2 + G2 ** 2
    k1 = W0 - lr * G1 / math.sqrt(a1 + eps)
    k2 = k1 - lr * G2 / math.sqrt(a2 + eps)
    (x, y), _ = steps("adagrad", [[G1], [G2]], [W0], learning_rate=lr)
    assert (x[0], y[0]) == pytest.approx((k1, k2), rel=1e-14)
    t1 = W0 - lr * G1 / (eps + math.sqrt(G1 ** 2))
    t2 = t1 - lr * G2 / (eps + math.sqrt(G1 ** 2 + G2 ** 2))
    (x, y), s = steps("adagrad", [[G1], [G2]], [W0], flavor="textbook", learning_rate=lr)
    assert (x[0], y[0]) == pytest.approx((t1, t2), rel=1e-14)
    assert s["accumulator"][0] == pytest.approx(G1 ** 2 + G2 ** 2)


def test_adadelta_textbook_has_no_learning_rate_and_paper_epsilon():
    rho, eps = 0.95, 1e-6
    eg = (1 - rho) * G1 ** 2
    d1 = -math.sqrt(0 + eps) / math.sqrt(eg + eps) * G1
    ed = (1 - rho) * d1 ** 2
    eg2 = rho * eg + (1 - rho) * G2 ** 2
    d2 = -math.sqrt(ed + eps) / math.sqrt(eg2 + eps) * G2
    (x, y), _ = steps("adadelta", [[G1], [G2]], [W0], flavor="textbook")
    assert (x[0], y[0]) == pytest.approx((W0 + d1, W0 + d1 + d2), rel=1e-14)
    with pytest.raises(ValueError, match="no learning rate"):
        optimizers.get("adadelta", flavor="textbook", learning_rate=0.1)
    # Keras default lr = 0.001 makes the step 1000x smaller than the paper's (with Keras's ε = 1e-7).
    (xk,), _ = steps("adadelta", [[G1]], [W0])
    dk = -math.sqrt(1e-7) / math.sqrt((1 - rho) * G1 ** 2 + 1e-7) * G1
    assert xk[0] == pytest.approx(W0 + 0.001 * dk, rel=1e-14)


def test_adamax_textbook_no_epsilon_and_zero_gradient_coordinate_stays():
    lr, b1, b2 = 0.002, 0.9, 0.999
    m1, u1 = (1 - b1) * G1, abs(G1)
    w1 = W0 - lr / (1 - b1) * m1 / u1
    m2, u2 = b1 * m1 + (1 - b1) * G2, max(b2 * u1, abs(G2))
    w2 = w1 - lr / (1 - b1 ** 2) * m2 / u2
    (x, y), _ = steps("adamax", [[G1, 0.0], [G2, 0.0]], [W0, 2.0], flavor="textbook")
    assert (x[0], y[0]) == pytest.approx((w1, w2), rel=1e-14)
    assert y[1] == 2.0 and np.all(np.isfinite(y))


def test_nadam_textbook_uses_dozat_schedule():
    lr, b1, b2, eps = 0.002, 0.9, 0.999, 1e-8
    mu = lambda t: b1 * (1 - 0.5 * 0.96 ** (t / 250))  # noqa: E731
    prod = mu(1)
    m1, v1 = (1 - b1) * G1, (1 - b2) * G1 ** 2
    mbar = mu(2) * m1 / (1 - prod * mu(2)) + (1 - mu(1)) * G1 / (1 - prod)
    w1 = W0 - lr * mbar / (math.sqrt(v1 / (1 - b2)) + eps)
    (x,), s = steps("nadam", [[G1]], [W0], flavor="textbook")
    assert x[0] == pytest.approx(w1, rel=1e-14)
    assert float(s["u_product"]) == pytest.approx(prod)
    # Keras: 0.96^t, so after 20 steps μ is far further along than Dozat's.
    _, sk = steps("nadam", [[G1]] * 20, [W0])
    _, st = steps("nadam", [[G1]] * 20, [W0], flavor="textbook")
    keras_prod = math.prod(b1 * (1 - 0.5 * 0.96 ** t) for t in range(1, 21))
    assert float(sk["u_product"]) == pytest.approx(keras_prod, rel=1e-13)
    assert float(st["u_product"]) == pytest.approx(math.prod(mu(t) for t in range(1, 21)), rel=1e-13)


def test_lion_moves_every_coordinate_by_exactly_lr():
    (x, y), s = steps("lion", [[0.3, -1e-9, 0.0], [5.0, -2.0, 1e-12]], [0.0, 0.0, 0.0], learning_rate=0.1)
    np.testing.assert_array_equal(x, [-0.1, 0.1, 0.0])
    # step 2 uses the OLD momentum m1 = 0.01*g1 in c = 0.9*m1 + 0.1*g2
    c2 = 0.9 * np.array([0.003, -1e-11, 0.0]) + 0.1 * np.array([5.0, -2.0, 1e-12])
    np.testing.assert_array_equal(y, x - 0.1 * np.sign(c2))
    np.testing.assert_allclose(s["momentum"], 0.99 * 0.01 * np.array([0.3, -1e-9, 0]) + 0.01 * np.array([5, -2, 1e-12]))


def test_sgd_nesterov_uses_new_velocity():
    lr, mu = 0.1, 0.9
    v1 = -lr * G1
    w1 = W0 + mu * v1 - lr * G1
    v2 = mu * v1 - lr * G2
    w2 = w1 + mu * v2 - lr * G2
    (x, y), s = steps("sgd", [[G1], [G2]], [W0], learning_rate=lr, momentum=mu, nesterov=True)
    assert (x[0], y[0]) == pytest.approx((w1, w2), rel=1e-14)
    assert s["momentum"][0] == pytest.approx(v2)
    _, s0 = steps("sgd", [[G1]], [W0])
    assert "momentum" not in s0  # Keras creates the slot only when momentum != 0


def test_rmsprop_centered_momentum_by_hand():
    lr, rho, mu, eps = 0.01, 0.9, 0.5, 1e-7
    v = (1 - rho) * G1 ** 2
    ag = (1 - rho) * G1
    inc = lr * G1 / math.sqrt(v - ag ** 2 + eps)
    m = inc
    w1 = W0 - m
    v = rho * v + (1 - rho) * G2 ** 2
    ag = rho * ag + (1 - rho) * G2
    m = mu * m + lr * G2 / math.sqrt(v - ag ** 2 + eps)
    (x, y), s = steps("rmsprop", [[G1], [G2]], [W0], learning_rate=lr, momentum=mu, centered=True)
    assert (x[0], y[0]) == pytest.approx((w1, w1 - m), rel=1e-13)
    assert set(s.keys()) == {"velocity", "momentum", "average_gradient"}


def test_rmsprop_textbook_is_hintons_lecture_rule():
    # Lecture 6e: MS ← 0.9·MS + 0.1·g², then the gradient divided by √MS. No ε, momentum or centring.
    lr, rho = 0.01, 0.9
    v1 = (1 - rho) * G1 ** 2
    w1 = W0 - lr * G1 / math.sqrt(v1)
    v2 = rho * v1 + (1 - rho) * G2 ** 2
    w2 = w1 - lr * G2 / math.sqrt(v2)
    (x, y), s = steps("rmsprop", [[G1, 0.0], [G2, 0.0]], [W0, 2.0], flavor="textbook", learning_rate=lr)
    assert (x[0], y[0]) == pytest.approx((w1, w2), rel=1e-14)
    assert y[1] == 2.0 and set(s.keys()) == {"velocity"}  # 0/0 is taken as 0
    assert {hp.name for hp in optimizers.spec("rmsprop", "textbook")} == {"learning_rate", "rho"}
    for extra in ("epsilon", "momentum", "centered"):
        with pytest.raises(ValueError, match="unknown argument"):
            optimizers.get("rmsprop", flavor="textbook", **{extra: 0.5 if extra != "centered" else True})
    # ... which is Keras's rule with ε = 0 (and no momentum or centring), and differs from it otherwise.
    (xk, yk), _ = steps("rmsprop", [[G1], [G2]], [W0], learning_rate=lr, epsilon=0.0)
    assert (xk[0], yk[0]) == pytest.approx((w1, w2), rel=1e-14)
    (xk, _), _ = steps("rmsprop", [[1e-4], [1e-4]], [W0], learning_rate=lr)
    (xt, _), _ = steps("rmsprop", [[1e-4], [1e-4]], [W0], flavor="textbook", learning_rate=lr)
    assert abs(W0 - xt[0]) > 2 * abs(W0 - xk[0])  # ε = 1e-7 inside the root damps gradients ≲ √ε


def test_adagrad_steps_grow_with_the_gradient_though_the_factor_only_shrinks():
    # The maths page says only η/√a shrinks: with lr 0.1 a gradient of 10 after one of 0.1 takes a
    # larger step (the audit's −0.030 then −0.0999).
    lr = 0.1
    (x, y), _ = steps("adagrad", [[0.1], [10.0]], [0.0], learning_rate=lr)
    a1, a2 = 0.1 + 0.1 ** 2, 0.1 + 0.1 ** 2 + 10.0 ** 2
    assert x[0] == pytest.approx(-lr * 0.1 / math.sqrt(a1 + 1e-7), rel=1e-14) == pytest.approx(-0.0302, abs=1e-4)
    assert y[0] - x[0] == pytest.approx(-lr * 10.0 / math.sqrt(a2 + 1e-7), rel=1e-12)
    assert round(y[0] - x[0], 4) == -0.0999 and abs(y[0] - x[0]) > abs(x[0])
    assert 1 / math.sqrt(a2 + 1e-7) < 1 / math.sqrt(a1 + 1e-7)  # while the factor η/√a shrank


def test_rmsprop_docstring_example():
    # Keras's own docstring: w = 10, g = 10 (loss w²/2), lr = 0.1 → 9.683772
    (x,), _ = steps("rmsprop", [[10.0]], [10.0], learning_rate=0.1)
    assert x[0] == pytest.approx(9.683772, abs=1e-6)


def _zero_gradient_run(opt, w0=1.0, n=20):
    w = np.array([w0]); s = opt.init(w)
    for _ in range(n):
        w, s = opt.update(np.array([0.0]), s, w)
    return w[0]


def test_adamw_textbook_warmup_cannot_switch_the_decay_off():
    # Measured against the schedule's peak α, the multiplier η_t = η_k/α is ≤ 1: a warmup from 0 only
    # delays the decay (before the fix, w stayed 1.0 after 20 zero-gradient steps) ...
    lam = 0.01
    sched = schedules.CosineDecay(0.0, decay_steps=100, warmup_target=0.1, warmup_steps=10)
    opt = optimizers.get("adamw", flavor="textbook", learning_rate=sched, weight_decay=lam)
    expected = np.prod([1 - lam * float(sched(k)) / 0.1 for k in range(20)])
    assert _zero_gradient_run(opt) == pytest.approx(expected, rel=1e-13) and expected < 0.9
    # ... and a warmup from 0.01 to 0.1 does not multiply the decay by 10: η_t never exceeds 1.
    sched = schedules.CosineDecay(0.01, decay_steps=100, warmup_target=0.1, warmup_steps=10)
    opt = optimizers.get("adamw", flavor="textbook", learning_rate=sched, weight_decay=lam)
    factors = [opt._weight_decay_factor(sched(k), k) for k in range(100)]  # (the cosine reaches 0 at k = 110)
    assert max(factors) == pytest.approx(1.0) and min(factors) > 0
    assert factors[0] == pytest.approx(0.1) and factors[10] == pytest.approx(1.0)
    assert opt.decay_multiplier(10) == (pytest.approx(1.0), 0.1)
    assert _zero_gradient_run(opt, n=11) > (1 - lam) ** 11  # less decay than λ per step during the warmup
    # The Adam step itself is the plain Adam step at the scheduled rate: α·η_t = η_k.
    g = [[0.3], [-0.2], [0.5]]
    a, _ = steps("adamw", g, [W0], flavor="textbook", learning_rate=sched, weight_decay=0.0)
    b, _ = steps("adam", g, [W0], flavor="textbook", learning_rate=sched)
    np.testing.assert_array_equal(a, b)
    # A plain callable has no known peak.
    with pytest.raises(ValueError, match="schedule multiplier"):
        optimizers.get("adamw", flavor="textbook", learning_rate=lambda: 0.1)


def test_adamw_textbook_decay_scales_with_schedule_multiplier_not_lr():
    sched = schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5)
    lam = 0.01
    # step 0: η_0 = 1 (multiplier), lr_0 = 0.1; step 1: multiplier 0.5, lr 0.05
    opt = optimizers.get("adamw", flavor="textbook", learning_rate=sched, weight_decay=lam)
    w = np.array([2.0]); s = opt.init(w)
    w1, s = opt.update(np.array([0.0]), s, w)
    assert w1[0] == pytest.approx(2.0 * (1 - lam))  # zero gradient: only the decay acts
    w2, s = opt.update(np.array([0.0]), s, w1)
    assert w2[0] == pytest.approx(w1[0] * (1 - 0.5 * lam))
    opt = optimizers.get("adamw", learning_rate=sched, weight_decay=lam)
    w = np.array([2.0]); s = opt.init(w)
    w1, s = opt.update(np.array([0.0]), s, w)
    assert w1[0] == pytest.approx(2.0 * (1 - 0.1 * lam))  # Keras: η·wd


# --------------------------------------------------------------------------- #
# Shared Keras behaviour (base class)                                          #
# --------------------------------------------------------------------------- #
def test_weight_decay_is_decoupled_and_before_the_rule():
    # SGD without momentum: decoupled decay equals coupled L2 (docs/maths.md, "Weight decay").
    lr, wd, g = 0.1, 0.5, 0.2
    (x,), _ = steps("sgd", [[g]], [W0], learning_rate=lr, weight_decay=wd)
    assert x[0] == pytest.approx(W0 - W0 * wd * lr - lr * g, rel=1e-14)
    # Adam(weight_decay=λ) is exactly AdamW(weight_decay=λ)
    a, _ = steps("adam", [[G1], [G2]], [W0], weight_decay=0.02, learning_rate=0.1)
    b, _ = steps("adamw", [[G1], [G2]], [W0], weight_decay=0.02, learning_rate=0.1)
    np.testing.assert_array_equal(a, b)


def test_clipping_modes():
    g = np.array([3.0, 4.0])  # norm 5
    (x,), _ = steps("sgd", [g], [0.0, 0.0], learning_rate=1.0, clipnorm=1.0)
    np.testing.assert_allclose(x, -g / 5.0, rtol=1e-15)
    (x,), _ = steps("sgd", [g], [0.0, 0.0], learning_rate=1.0, clipvalue=3.5)
    np.testing.assert_array_equal(x, [-3.0, -3.5])
    opt = optimizers.get("sgd", learning_rate=1.0, global_clipnorm=1.0)
    params = [np.zeros(2), np.zeros(1)]
    new, _ = opt.update([g, np.array([12.0])], opt.init(params), params)  # global norm 13
    np.testing.assert_allclose(np.concatenate(new), -np.array([3.0, 4.0, 12.0]) / 13.0, rtol=1e-15)
    with pytest.raises(ValueError, match="only one"):
        optimizers.get("adam", clipnorm=1.0, clipvalue=1.0)


def test_clipnorm_per_run_when_vectorized():
    opt = optimizers.get("sgd", learning_rate=1.0, clipnorm=1.0)
    P = np.zeros((2, 2))
    G = np.array([[3.0, 4.0], [0.3, 0.4]])
    new, _ = opt.update(G, opt.init(P, batch_ndim=1), P)
    np.testing.assert_allclose(new, [[-0.6, -0.8], [-0.3, -0.4]], rtol=1e-15)


def test_schedule_is_evaluated_at_raw_counter():
    sched = schedules.PiecewiseConstantDecay([1, 2], [1.0, 0.5, 0.25])
    outs, s = steps("sgd", [[1.0]] * 4, [0.0], learning_rate=sched)
    np.testing.assert_allclose(np.diff([0.0] + [o[0] for o in outs]), [-1.0, -1.0, -0.5, -0.25])
    assert s.iterations == 4


def test_gradient_accumulation_uses_mean_and_counts_real_updates():
    outs, s = steps("sgd", [[1.0], [3.0], [5.0], [7.0]], [0.0], learning_rate=1.0, gradient_accumulation_steps=2)
    assert [o[0] for o in outs] == [0.0, -2.0, -2.0, -8.0]
    assert s.step == 4 and s.iterations == 2


def test_ema_first_call_copies_then_averages_and_overwrites():
    opt = optimizers.get("sgd", learning_rate=1.0, use_ema=True, ema_momentum=0.5, ema_overwrite_frequency=2)
    w = np.array([0.0]); s = opt.init(w)
    w, s = opt.update(np.array([1.0]), s, w)   # w = -1, avg = -1 (copy)
    assert s["average"][0] == -1.0 and w[0] == -1.0
    w, s = opt.update(np.array([1.0]), s, w)   # w = -2, avg = -1.5, overwrite (iterations+1 = 2)
    assert s["average"][0] == -1.5 and w[0] == -1.5
    w, s = opt.update(np.array([1.0]), s, w)   # w = -2.5, avg = 0.5·(-1.5) + 0.5·(-2.5) = -2, no overwrite
    assert w[0] == -2.5 and opt.finalize(s, w)[0] == -2.0  # Keras's finalize_variable_values
    assert optimizers.get("sgd").finalize(s, w) is w        # without EMA the weights stay


# --------------------------------------------------------------------------- #
# API, purity, vectorization                                                   #
# --------------------------------------------------------------------------- #
def test_get_by_class_name_and_alias():
    assert type(optimizers.get("Adam")) is type(optimizers.get("adam"))
    assert optimizers.get("gradient_descent").name == "GradientDescent"
    assert optimizers.get("adamw").weight_decay == 0.004
    assert optimizers.get("adam", weight_decay=None).weight_decay is None
    assert set(ALL) == {"GradientDescent", "SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW",
                        "Adamax", "Nadam", "Lion", "Adafactor", "Ftrl", "Lamb", "Muon", "ScheduleFreeAdamW"}
    # Keras's own lookup key is the lower-case class name.
    assert optimizers.get("schedulefreeadamw").name == "ScheduleFreeAdamW"


@pytest.mark.parametrize("name", ALL)
def test_keras_defaults_exposed_in_spec(name):
    expected = {"GradientDescent": 0.01, "SGD": 0.01, "Adagrad": 0.001, "RMSprop": 0.001, "Adadelta": 0.001,
                "Adam": 0.001, "AdamW": 0.001, "Adamax": 0.001, "Nadam": 0.001, "Lion": 0.001,
                "Adafactor": 0.001, "Ftrl": 0.001, "Lamb": 0.001, "Muon": 0.001, "ScheduleFreeAdamW": 0.0025}
    spec = {p.name: p for p in optimizers.spec(name)}
    assert spec["learning_rate"].default == expected[name]
    assert optimizers.get(name).learning_rate == expected[name]
    for p in spec.values():
        assert p.help and (p.kind == "bool" or p.ui_low is not None)


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("flavor", ["keras", "textbook"])
def test_update_is_pure_and_vectorized_equals_single(name, flavor):
    rng = np.random.default_rng(1)
    has_momentum = "momentum" in {hp.name for hp in optimizers.spec(name, flavor)}
    kw = {"momentum": 0.9} if name in ("SGD", "RMSprop") and has_momentum else {}
    opt = optimizers.get(name, flavor=flavor, **kw)
    P = P0 = rng.normal(size=(5, 2))
    Gs = rng.normal(size=(6, 5, 2)) * np.array([1.0, 1e-7])
    state = opt.init(P, batch_ndim=1)
    P, state = updates_without_mutation(opt, Gs, state, P)
    for i in range(5):
        single = optimizers.get(name, flavor=flavor, **kw)
        p = P0[i]
        s = single.init(p)
        for G in Gs:
            p, s = single.update(G[i], s, p)
        np.testing.assert_array_equal(p, P[i])


def test_hyperparameter_arrays_broadcast_over_runs():
    lrs = np.array([[0.01], [0.1], [1.0]])
    opt = optimizers.get("adam", learning_rate=lrs)
    P = np.zeros((3, 2)); s = opt.init(P, batch_ndim=1)
    P1, _ = opt.update(np.ones((3, 2)), s, P)
    for i, lr in enumerate(lrs[:, 0]):
        (x,), _ = steps("adam", [np.ones(2)], np.zeros(2), learning_rate=float(lr))
        np.testing.assert_array_equal(P1[i], x)


def test_list_of_parameters_keeps_structure():
    opt = optimizers.get("adam")
    params = [np.ones((2, 3)), np.zeros(4)]
    s = opt.init(params)
    new, s = opt.update([np.ones((2, 3)), np.ones(4)], s, params)
    assert isinstance(new, list) and new[0].shape == (2, 3) and new[1].shape == (4,)
    assert isinstance(s["momentum"], list) and s["momentum"][1].shape == (4,)


# --------------------------------------------------------------------------- #
# Bad input                                                                    #
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("kwargs, match", [
    ({"learning_rate": -0.1}, r"learning_rate.*\[0, ∞\)"),
    ({"beta_1": 1.0}, r"beta_1.*\[0, 1\)"),
    ({"beta_2": -0.5}, r"beta_2"),
    ({"epsilon": -1e-7}, r"epsilon.*\[0, ∞\)"),
    ({"lr": 0.1}, r"unknown argument `lr`.*learning_rate"),
    ({"foo": 1}, r"unknown argument `foo`"),
    ({"amsgrad": "yes"}, r"amsgrad.*True or False"),
    ({"learning_rate": float("nan")}, r"learning_rate"),
    ({"flavor": "jax"}, r"flavor"),
    ({"gradient_accumulation_steps": 1}, r"gradient_accumulation_steps"),
])
def test_bad_adam_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        optimizers.get("adam", **kwargs)


def test_bad_names_and_ranges():
    with pytest.raises(ValueError, match="Valid optimizers: GradientDescent, SGD"):
        optimizers.get("adamz")
    with pytest.raises(ValueError, match=r"momentum.*\[0, 1\]"):
        optimizers.get("sgd", momentum=1.5)
    with pytest.raises(ValueError, match=r"beta_1.*\(0, 1\]"):
        optimizers.get("lion", beta_1=0.0)
    with pytest.raises(ValueError, match="weight_decay"):
        optimizers.get("adamw", weight_decay=None)
    with pytest.raises(ValueError, match="Unknown learning-rate schedule"):
        optimizers.get("sgd", learning_rate={"schedule": "Nope", "config": {}})


def test_deprecated_decay_warns_and_is_ignored():
    with pytest.warns(UserWarning, match="decay"):
        opt = optimizers.get("sgd", decay=0.1)
    assert "decay" not in opt.config


def test_every_flavour_has_latex_and_notes():
    for cls in optimizers.CLASSES:
        for flavor in cls.flavors():
            assert cls.LATEX[flavor].strip()
        assert cls.NOTES["textbook"]
