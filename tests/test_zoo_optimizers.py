"""Adafactor, Ftrl, Lamb, Muon and ScheduleFreeAdamW without fixtures: steps derived by hand from the
papers (textbook flavours, plain Python floats), API and specs, bad input, purity, vectorized runs
(run axes in front, hyperparameter arrays that broadcast), and the slots the charts read."""
import math

import numpy as np
import pytest

import optimizers
from tests.helpers import optimizer_steps as steps, updates_without_mutation

ZOO = ("Adafactor", "Ftrl", "Lamb", "Muon", "ScheduleFreeAdamW")
ZOO_FLAVOURS = [(n, f) for n in ZOO for f in optimizers.get_class(n).flavors()]




def mat(a, b):
    """Plain-Python matrix product (lists of rows)."""
    return [[sum(a[i][k] * b[k][j] for k in range(len(b))) for j in range(len(b[0]))] for i in range(len(a))]


def tr(a):
    return [list(r) for r in zip(*a)]


def lin(alpha, a, beta=0.0, b=None):
    return [[alpha * a[i][j] + (beta * b[i][j] if b else 0.0) for j in range(len(a[0]))] for i in range(len(a))]


# --------------------------------------------------------------------------- #
# Hand-derived steps from the papers (textbook flavours)                       #
# --------------------------------------------------------------------------- #
def test_adafactor_textbook_factored_two_steps_by_hand():
    """Shazeer & Stern, Algorithm 4: row sums R, column sums C, V̂ = R C / 1ᵀR, update clipping, relative step."""
    X = [[0.5, -1.0], [2.0, 0.25]]
    G = [[[0.3, -0.2], [0.1, 0.4]], [[-0.5, 0.05], [0.2, -0.3]]]
    lr, e1, e2, d = 0.01, 1e-30, 1e-3, 1.0
    R, C = [0.0, 0.0], [0.0, 0.0]
    x = [r[:] for r in X]
    for t, g in enumerate(G, start=1):
        rho = min(lr, 1 / math.sqrt(t))
        alpha = max(e2, math.sqrt(sum(v * v for r in x for v in r) / 4)) * rho
        b = 1 - t ** -0.8
        sq = [[g[i][j] ** 2 + e1 for j in range(2)] for i in range(2)]
        R = [b * R[i] + (1 - b) * (sq[i][0] + sq[i][1]) for i in range(2)]
        C = [b * C[j] + (1 - b) * (sq[0][j] + sq[1][j]) for j in range(2)]
        V = [[R[i] * C[j] / (R[0] + R[1]) for j in range(2)] for i in range(2)]
        U = [[g[i][j] / math.sqrt(V[i][j]) for j in range(2)] for i in range(2)]
        rms_u = math.sqrt(sum(u * u for r in U for u in r) / 4)
        x = [[x[i][j] - alpha * U[i][j] / max(1.0, rms_u / d) for j in range(2)] for i in range(2)]
    outs, s = steps("Adafactor", G, X, flavor="textbook")
    np.testing.assert_allclose(outs[-1], x, rtol=1e-14)
    np.testing.assert_allclose(s["r"], R, rtol=1e-14)
    np.testing.assert_allclose(s["c"], C, rtol=1e-14)


def test_adafactor_textbook_vector_and_clipping_by_hand():
    """Algorithm 5 (a vector): V̂ = β̂ V̂ + (1 − β̂)(g² + ε₁); U is clipped when RMS(U) > d (d = 0.8 here:
    the first step, where |U| = 1, and the spike of the second are clipped)."""
    x, v, d = [0.0, 3.0], [0.0, 0.0], 0.8
    G = [[1.0, -1.0], [50.0, 0.1]]
    for t, g in enumerate(G, start=1):
        rho = min(0.01, 1 / math.sqrt(t))
        alpha = max(1e-3, math.sqrt((x[0] ** 2 + x[1] ** 2) / 2)) * rho
        b = 1 - t ** -0.8
        v = [b * v[i] + (1 - b) * (g[i] ** 2 + 1e-30) for i in range(2)]
        u = [g[i] / math.sqrt(v[i]) for i in range(2)]
        rms = math.sqrt((u[0] ** 2 + u[1] ** 2) / 2)
        assert rms > d  # the clipping is active
        x = [x[i] - alpha * u[i] / max(1.0, rms / d) for i in range(2)]
    outs, s = steps("Adafactor", G, [0.0, 3.0], flavor="textbook", clip_threshold=d)
    np.testing.assert_allclose(outs[-1], x, rtol=1e-14)
    np.testing.assert_allclose(s["velocity"], v, rtol=1e-14)
    assert "r" not in s  # nothing is factored: no row/column slots


def test_ftrl_textbook_three_steps_by_hand_including_an_exact_zero():
    """McMahan et al. (2013), Algorithm 1, one coordinate: σ, z, n and the closed-form w (0 when |z| ≤ λ₁)."""
    alpha, beta, l1, l2 = 0.5, 1.0, 0.3, 0.2
    w, z, n = 0.7, 0.0, 0.0
    ws = []
    for g in (0.2, -0.9, 0.05):
        sigma = (math.sqrt(n + g * g) - math.sqrt(n)) / alpha
        z += g - sigma * w
        n += g * g
        w = 0.0 if abs(z) <= l1 else -(z - math.copysign(l1, z)) / ((beta + math.sqrt(n)) / alpha + l2)
        ws.append(w)
    assert ws[0] == 0.0 and ws[1] != 0.0  # |z| ≤ λ₁ on the first step only
    outs, s = steps("Ftrl", [[0.2], [-0.9], [0.05]], [0.7], flavor="textbook", learning_rate=alpha, beta=beta,
                    l1_regularization_strength=l1, l2_regularization_strength=l2)
    assert outs[0][0] == 0.0
    np.testing.assert_allclose([o[0] for o in outs], ws, rtol=1e-14)
    assert s["linear"][0] == pytest.approx(z, rel=1e-14) and s["accumulator"][0] == pytest.approx(n, rel=1e-14)


def test_ftrl_keras_first_step_by_hand_with_shrinkage_and_power():
    lr, p, a0, l1, l2, sh, beta = 0.4, -0.3, 0.2, 0.01, 0.05, 0.1, 0.5
    w, g = 1.5, -0.6
    n1 = a0 + g * g
    z = (g + 2 * sh * w) - (n1 ** -p - a0 ** -p) / lr * w
    q = n1 ** -p / lr + 2 * (l2 + beta / (2 * lr))
    w1 = (max(-l1, min(l1, z)) - z) / q
    (out,), _ = steps("Ftrl", [[g]], [w], learning_rate=lr, learning_rate_power=p, initial_accumulator_value=a0,
                      l1_regularization_strength=l1, l2_regularization_strength=l2,
                      l2_shrinkage_regularization_strength=sh, beta=beta)
    assert out[0] == pytest.approx(w1, rel=1e-14)


def test_lamb_textbook_weight_decay_inside_the_trust_ratio_by_hand():
    """You et al., Algorithm 2: u = r + λw, w ← w − η ‖w‖/‖u‖ · u (per variable)."""
    lr, b1, b2, eps, lam = 0.1, 0.9, 0.999, 1e-7, 0.05
    w = [1.0, -2.0]
    m, v = [0.0, 0.0], [0.0, 0.0]
    for t, g in enumerate(([0.3, 0.1], [-0.2, 0.4]), start=1):
        m = [b1 * m[i] + (1 - b1) * g[i] for i in range(2)]
        v = [b2 * v[i] + (1 - b2) * g[i] ** 2 for i in range(2)]
        r = [(m[i] / (1 - b1 ** t)) / (math.sqrt(v[i] / (1 - b2 ** t)) + eps) for i in range(2)]
        u = [r[i] + lam * w[i] for i in range(2)]
        ratio = math.hypot(*w) / math.hypot(*u)
        w = [w[i] - lr * ratio * u[i] for i in range(2)]
    outs, _ = steps("Lamb", [[0.3, 0.1], [-0.2, 0.4]], [1.0, -2.0], flavor="textbook", learning_rate=lr,
                    weight_decay=lam)
    np.testing.assert_allclose(outs[-1], w, rtol=1e-14)
    # Keras decays first, outside the ratio: w ← w − η·wd·w, then the same trust-ratio step without λ.
    (k1,), _ = steps("Lamb", [[0.3, 0.1]], [1.0, -2.0], learning_rate=lr, weight_decay=lam)
    wd = [1.0 - 1.0 * lam * lr, -2.0 + 2.0 * lam * lr]
    r = [0.3 / (abs(0.3) + eps), 0.1 / (abs(0.1) + eps)]  # t = 1: m̂ = g, √v̂ = |g|
    ratio = math.hypot(*wd) / math.hypot(*r)
    np.testing.assert_allclose(k1, [wd[i] - ratio * lr * r[i] for i in range(2)], rtol=1e-12)


def test_lamb_trust_ratio_is_one_for_zero_weights_or_zero_update():
    (w1,), _ = steps("Lamb", [[0.3, -0.4]], [0.0, 0.0], learning_rate=0.1)
    np.testing.assert_allclose(w1, -0.1 * np.array([0.3, -0.4]) / (np.abs([0.3, -0.4]) + 1e-7), rtol=1e-14)
    (w1,), _ = steps("Lamb", [[0.0, 0.0]], [1.0, 2.0], learning_rate=0.1)
    np.testing.assert_array_equal(w1, [1.0, 2.0])


def newton_schulz_by_hand(B, steps=5, a=3.4445, b=-4.7750, c=2.0315):
    X = tr(B) if len(B) > len(B[0]) else [r[:] for r in B]
    norm = math.sqrt(sum(v * v for r in X for v in r))
    X = lin(1 / (norm + 1e-7), X)
    for _ in range(steps):
        A = mat(X, tr(X))
        Bm = lin(b, A, c, mat(A, A))
        X = lin(a, X, 1.0, mat(Bm, X))
    return tr(X) if len(B) > len(B[0]) else X


def test_muon_textbook_two_steps_by_hand():
    """Jordan et al. (2024): B ← μB + G, O = NewtonSchulz5(B), W ← W − ηO (plain momentum, no scaling)."""
    W = [[0.5, -1.0], [0.25, 2.0], [1.0, 0.0]]  # 3×2: iterated on its transpose
    G = [[[0.3, -0.2], [0.1, 0.4], [-0.6, 0.2]], [[0.1, 0.5], [-0.3, 0.2], [0.4, 0.1]]]
    mu, lr = 0.95, 0.02
    B = [[0.0, 0.0] for _ in range(3)]
    for g in G:
        B = lin(mu, B, 1.0, g)
        W = lin(1.0, W, -lr, newton_schulz_by_hand(B))
    outs, s = steps("Muon", G, [[0.5, -1.0], [0.25, 2.0], [1.0, 0.0]], flavor="textbook")
    np.testing.assert_allclose(outs[-1], W, rtol=1e-13)
    np.testing.assert_allclose(s["momentum"], B, rtol=1e-14)


def test_muon_orthogonalises_the_momentum():
    """Five Newton–Schulz steps bring every singular value of a random matrix into about [0.6, 1.3]."""
    rng = np.random.default_rng(0)
    g = rng.normal(size=(6, 4)) @ np.diag([10.0, 1.0, 0.3, 0.05])  # badly conditioned
    opt = optimizers.get("Muon", flavor="textbook", learning_rate=1.0, momentum=0.0)
    w = np.zeros((6, 4))
    w1, _ = opt.update(g, opt.init(w), w)
    sv = np.linalg.svd(-w1, compute_uv=False)
    assert np.all((sv > 0.6) & (sv < 1.3)), sv
    u, _, vt = np.linalg.svd(g, full_matrices=False)
    assert np.sum(-w1 * (u @ vt)) / (np.linalg.norm(w1) * np.linalg.norm(u @ vt)) > 0.95  # close to U Vᵀ


def test_muon_on_a_row_matrix_steps_along_the_normalised_momentum():
    """A 1×n matrix has one singular value: Newton–Schulz only rescales it (s ← as + bs³ + cs⁵ from
    s₀ = ‖m‖/(‖m‖ + 10⁻⁷)), so the step is the Nesterov momentum's direction, of length η·0.2·√n·s₅."""
    g1, g2 = np.array([[0.3, -0.4]]), np.array([[-0.1, 0.2]])
    lr, mu = 0.1, 0.95
    outs, _ = steps("Muon", [g1, g2], [[1.0, 1.0]], learning_rate=lr, weight_decay=None)
    m1 = g1
    m2 = mu * m1 + g2
    direction = g2 + mu * m2  # Nesterov
    s = np.linalg.norm(direction) / (np.linalg.norm(direction) + 1e-7)
    for _ in range(5):
        s = 3.4445 * s - 4.7750 * s ** 3 + 2.0315 * s ** 5
    step = outs[1] - outs[0]
    np.testing.assert_allclose(step, -lr * 0.2 * math.sqrt(2) * s * direction / np.linalg.norm(direction),
                               rtol=1e-12)
    # The same point as a 2-vector takes Keras's Adam step instead (a different rule).
    vec, _ = steps("Muon", [g1[0], g2[0]], [1.0, 1.0], learning_rate=lr, weight_decay=None)
    assert not np.allclose(vec[1], outs[1][0], rtol=1e-3)


def test_muon_adam_step_for_vectors_by_hand():
    """Keras: not 2-D → Keras's Adam step with η·adam_lr_ratio, decayed by η·adam_weight_decay."""
    lr, ratio, awd, b1, b2, eps = 0.1, 0.5, 0.2, 0.9, 0.999, 1e-7
    w, g = 2.0, 0.3
    w = w - w * awd * lr
    alpha = lr * ratio * math.sqrt(1 - b2) / (1 - b1)
    w1 = w - ((1 - b1) * g * alpha) / (math.sqrt((1 - b2) * g * g) + eps)
    (out,), s = steps("Muon", [[g]], [2.0], learning_rate=lr, adam_lr_ratio=ratio, adam_weight_decay=awd)
    assert out[0] == pytest.approx(w1, rel=1e-14)
    assert set(s.keys()) == {"momentum", "velocity"}


def test_schedule_free_textbook_two_steps_by_hand():
    """Defazio et al., Algorithm 1: γ_t = η·min(1, t/T)·√(1−β₂ᵗ), c = γ_t²/Σγ², decay λy inside the z step."""
    lr, b1, b2, eps, T, lam = 0.1, 0.9, 0.999, 1e-8, 2, 0.01
    x = z = y = 1.5
    v = total = 0.0
    for t, g in enumerate((0.3, -0.7), start=1):
        gamma = lr * min(1.0, t / T) * math.sqrt(1 - b2 ** t)
        total += gamma ** 2
        c = gamma ** 2 / total
        v = b2 * v + (1 - b2) * g * g
        z = z - gamma * (g / (math.sqrt(v) + eps) + lam * y)
        x = (1 - c) * x + c * z
        y = (1 - b1) * z + b1 * x
    outs, s = steps("ScheduleFreeAdamW", [[0.3], [-0.7]], [1.5], flavor="textbook", learning_rate=lr,
                    warmup_steps=T, weight_decay=lam)
    assert outs[-1][0] == pytest.approx(y, rel=1e-14)
    assert s["x"][0] == pytest.approx(x, rel=1e-14) and s["momentum"][0] == pytest.approx(z, rel=1e-14)
    assert float(s["weight_sum"][0]) == pytest.approx(total, rel=1e-14)


def test_schedule_free_keras_keeps_y_between_z_and_x():
    """Keras: c = 1/t, ε on √v̂; after every step y = (1 − β₁) z + β₁ x, and x is the mean of the z's."""
    rng = np.random.default_rng(3)
    opt = optimizers.get("ScheduleFreeAdamW", learning_rate=0.05)
    w = np.array([1.0, -2.0])
    s = opt.init(w)
    assert np.array_equal(s["x"], w) and np.array_equal(s["momentum"], w)
    zs = [w]
    for _ in range(10):
        w, s = opt.update(rng.normal(size=2), s, w)
        zs.append(s["momentum"])
        np.testing.assert_allclose(w, 0.1 * s["momentum"] + 0.9 * s["x"], rtol=1e-13)
    np.testing.assert_allclose(s["x"], np.mean(zs[1:], axis=0), rtol=1e-12)  # uniform average of z₁…z₁₀


# --------------------------------------------------------------------------- #
# API, specs, flavours, bad input                                              #
# --------------------------------------------------------------------------- #
def test_names_flavours_and_keras_defaults():
    assert [optimizers.get_class(n).flavors() for n in ZOO] == [
        ("keras", "textbook", "pytorch"), ("keras", "textbook"), ("keras", "textbook"),
        ("keras", "textbook", "pytorch"), ("keras", "textbook")]
    keras_defaults = {
        "Adafactor": dict(learning_rate=0.001, beta_2_decay=-0.8, epsilon_1=1e-30, epsilon_2=1e-3,
                          clip_threshold=1.0, relative_step=True),
        "Ftrl": dict(learning_rate=0.001, learning_rate_power=-0.5, initial_accumulator_value=0.1,
                     l1_regularization_strength=0.0, l2_regularization_strength=0.0,
                     l2_shrinkage_regularization_strength=0.0, beta=0.0),
        "Lamb": dict(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7),
        "Muon": dict(learning_rate=0.001, adam_beta_1=0.9, adam_beta_2=0.999, adam_weight_decay=0.004,
                     epsilon=1e-7, weight_decay=0.004, muon_a=3.4445, muon_b=-4.7750, muon_c=2.0315,
                     adam_lr_ratio=1.0, momentum=0.95, ns_steps=5, nesterov=True, rms_rate=0.2),
        "ScheduleFreeAdamW": dict(learning_rate=0.0025, beta_1=0.9, beta_2=0.999, epsilon=1e-8, warmup_steps=0),
    }
    for name, expected in keras_defaults.items():
        spec = {p.name: p for p in optimizers.spec(name)}
        assert list(spec) == list(expected), name  # Keras's argument order
        assert {k: p.default for k, p in spec.items()} == expected, name
        for p in spec.values():
            assert p.help and p.symbol or p.kind == "bool", (name, p.name)
            assert p.kind == "bool" or (p.ui_low is not None and p.ui_high is not None), (name, p.name)
    torch = {p.name: p.default for p in optimizers.spec("Adafactor", "pytorch")}
    assert torch["learning_rate"] == 0.01 and torch["epsilon_1"] == np.finfo(float).eps
    torch = {p.name: p.default for p in optimizers.spec("Muon", "pytorch")}
    assert torch["weight_decay"] == 0.1 and torch["match_rms_adamw"] is False
    assert optimizers.get("Muon").weight_decay == 0.004


@pytest.mark.parametrize("name", ["Ftrl", "Lamb", "ScheduleFreeAdamW"])
def test_no_pytorch_flavour_where_torch_has_none(name):
    with pytest.raises(ValueError, match=r"unknown flavor 'pytorch'\. Valid flavours: keras, textbook"):
        optimizers.get(name, flavor="pytorch")


def test_every_flavour_has_latex_notes_and_slot_meanings():
    for name in ZOO:
        cls = optimizers.get_class(name)
        for flavor in cls.flavors():
            assert cls.LATEX[flavor].strip().startswith(r"\begin{aligned}")
            if flavor != "keras":
                assert len(cls.NOTES[flavor]) > 100
            opt = optimizers.get(name, flavor=flavor)
            w = np.ones((4, 3)) if (name, flavor) == ("Muon", "pytorch") else [np.ones((4, 3)), np.ones(2)]
            for slot in opt.init(w).keys():
                assert len(optimizers.teaching(name).slot(slot, flavor).meaning) > 10, (name, flavor, slot)


@pytest.mark.parametrize("name, kwargs, match", [
    ("Ftrl", {"learning_rate_power": 0.5}, r"learning_rate_power.*\(-∞, 0\]"),
    ("Ftrl", {"initial_accumulator_value": -0.1}, r"initial_accumulator_value.*\[0, ∞\)"),
    ("Ftrl", {"l1_regularization_strength": -1.0}, r"l1_regularization_strength"),
    ("Ftrl", {"learning_rate": 0.0}, r"learning_rate.*\(0, ∞\)"),
    ("Adafactor", {"clip_threshold": 0.0}, r"clip_threshold.*\(0, ∞\)"),
    ("Adafactor", {"beta_2_decay": 0.5}, r"beta_2_decay.*\(-∞, 0\)"),
    ("Adafactor", {"relative_step": "yes"}, r"relative_step.*True or False"),
    ("Lamb", {"beta_1": 1.0}, r"beta_1.*\[0, 1\)"),
    ("Muon", {"ns_steps": 2.5}, r"ns_steps.*integer.*\[0, 100\]"),
    ("Muon", {"ns_steps": 101}, r"ns_steps.*\[0, 100\]"),
    ("Muon", {"momentum": 1.5}, r"momentum.*\[0, 1\]"),
    ("Muon", {"exclude_layers": ["dense"]}, r"unknown argument `exclude_layers`"),
    ("Muon", {"nesterov": 1}, r"nesterov.*True or False"),
    ("ScheduleFreeAdamW", {"beta_1": 0.0}, r"beta_1.*\(0, 1\]"),
    ("ScheduleFreeAdamW", {"warmup_steps": -1}, r"warmup_steps.*\[0, ∞\)"),
    ("ScheduleFreeAdamW", {"beta_2": 1.0}, r"beta_2.*\[0, 1\)"),
])
def test_bad_arguments_name_the_argument_and_its_range(name, kwargs, match):
    with pytest.raises(ValueError, match=match):
        optimizers.get(name, **kwargs)


def test_flavour_specific_ranges_and_nones():
    with pytest.raises(ValueError, match=r"clip_threshold.*\[1, ∞\)"):  # torch requires d ≥ 1
        optimizers.get("Adafactor", flavor="pytorch", clip_threshold=0.5)
    with pytest.raises(ValueError, match=r"ns_steps.*\[0, 99\]"):
        optimizers.get("Muon", flavor="pytorch", ns_steps=100)
    with pytest.raises(ValueError, match="unknown argument `rms_rate`"):
        optimizers.get("Muon", flavor="textbook", rms_rate=0.2)
    with pytest.raises(ValueError, match="unknown argument `learning_rate_power`"):
        optimizers.get("Ftrl", flavor="textbook", learning_rate_power=-0.5)
    # Keras accepts None for Muon's rms_rate, weight_decay and adam_weight_decay (off).
    opt = optimizers.get("Muon", rms_rate=None, weight_decay=None, adam_weight_decay=None)
    assert opt.hp["rms_rate"] is None and opt.weight_decay is None and opt.hp["adam_weight_decay"] is None
    w = [np.ones((2, 3)), np.ones(2)]
    new, _ = opt.update([np.zeros((2, 3)), np.zeros(2)], opt.init(w), w)
    np.testing.assert_array_equal(new[0], w[0])  # zero momentum, no decay: nothing moves
    assert optimizers.get("ScheduleFreeAdamW", flavor="textbook", beta_1=0.0).hp["beta_1"] == 0.0


def test_pytorch_muon_refuses_what_torch_refuses():
    opt = optimizers.get("Muon", flavor="pytorch")
    with pytest.raises(ValueError, match=r"only supports 2-D parameters; received a parameter of shape \(2,\)"):
        opt.init(np.zeros(2))
    with pytest.raises(ValueError, match=r"shape \(2, 4, 3\)"):
        opt.init(np.zeros((5, 2, 4, 3)), batch_ndim=1)
    s = opt.init(np.zeros((5, 1, 2)), batch_ndim=1)  # five runs of a 1×2 matrix are fine
    assert set(s.keys()) == {"momentum"}


def test_base_class_slots_start_at_zero():
    """The base class's gradient accumulator (and EMA average) are not the rules' own slots: whatever a rule
    starts its slots at (Ftrl's 0.1, Schedule-Free's copies of w), the accumulator starts at 0."""
    w = [np.full((4, 3), 2.0), np.full(2, 3.0)]
    for name, flavor in ZOO_FLAVOURS:
        if (name, flavor) == ("Muon", "pytorch"):
            continue
        s = optimizers.get(name, flavor=flavor, gradient_accumulation_steps=2, use_ema=True).init(w)
        for acc in s["gradient_accumulator"]:
            assert np.all(acc == 0), (name, flavor)
        np.testing.assert_array_equal(s["average"][1], w[1])


def test_slots_keras_creates():
    s = optimizers.get("Adafactor").init([np.zeros((4, 3)), np.zeros(2), np.zeros((2, 4, 3))])
    assert [np.shape(a) for a in s["r"]] == [(4,), (), (2, 4)]
    assert [np.shape(a) for a in s["c"]] == [(3,), (), (2, 3)]
    assert [np.shape(a) for a in s["velocity"]] == [(4, 3), (2,), (2, 4, 3)]
    assert set(optimizers.get("Adafactor").init(np.zeros(2)).keys()) == {"velocity"}
    assert set(optimizers.get("Muon").init(np.zeros((3, 3))).keys()) == {"momentum"}
    assert set(optimizers.get("Muon").init(np.zeros(2)).keys()) == {"momentum", "velocity"}
    assert set(optimizers.get("Ftrl").init(np.zeros(2)).keys()) == {"accumulator", "linear"}
    np.testing.assert_array_equal(optimizers.get("Ftrl").init(np.zeros(2))["accumulator"], [0.1, 0.1])
    s = optimizers.get("ScheduleFreeAdamW").init(np.array([1.0, 2.0]))
    assert set(s.keys()) == {"momentum", "velocity", "x"}
    # 5 runs of a (4, 3) matrix: the factors are per run
    s = optimizers.get("Adafactor").init(np.zeros((5, 4, 3)), batch_ndim=1)
    assert np.shape(s["r"]) == (5, 4) and np.shape(s["c"]) == (5, 3)
    assert set(optimizers.get("Adafactor").init(np.zeros((5, 2)), batch_ndim=1).keys()) == {"velocity"}


# --------------------------------------------------------------------------- #
# Purity and vectorization                                                     #
# --------------------------------------------------------------------------- #
def _hp_arrays(name, flavor, n_runs, trailing):
    """Keyword arguments with one value per run (shape (n_runs,) + (1,)*trailing)."""
    shape = (n_runs,) + (1,) * trailing
    lrs = np.linspace(0.005, 0.05, n_runs).reshape(shape)
    kw = {"learning_rate": lrs}
    if name == "Adafactor":
        kw["clip_threshold"] = np.linspace(1.0, 2.0, n_runs).reshape(shape)
    elif name == "Ftrl":
        kw["l1_regularization_strength"] = np.linspace(0.0, 0.2, n_runs).reshape(shape)
    elif name in ("Lamb", "ScheduleFreeAdamW"):
        kw["beta_1"] = np.linspace(0.5, 0.9, n_runs).reshape(shape)
    elif name == "Muon":
        kw["momentum"] = np.linspace(0.5, 0.95, n_runs).reshape(shape)
    return kw


@pytest.mark.parametrize("name,flavor", ZOO_FLAVOURS)
@pytest.mark.parametrize("shape", [(2,), (4, 3)], ids=["vector", "matrix"])
def test_update_is_pure_and_vectorized_equals_single(name, flavor, shape):
    if (name, flavor) == ("Muon", "pytorch") and len(shape) != 2:
        pytest.skip("torch.optim.Muon takes matrices only")
    n_runs = 4
    rng = np.random.default_rng(7)
    P0 = rng.normal(size=(n_runs,) + shape)
    Gs = rng.normal(size=(6, n_runs) + shape) * np.where(rng.random(shape) < 0.5, 1.0, 1e-7)
    kw = _hp_arrays(name, flavor, n_runs, len(shape))
    opt = optimizers.get(name, flavor=flavor, **kw)
    state = opt.init(P0, batch_ndim=1)
    P = P0
    P, state = updates_without_mutation(opt, Gs, state, P)
    assert np.all(np.isfinite(P))
    for i in range(n_runs):
        single = optimizers.get(name, flavor=flavor, **{k: float(np.ravel(v)[i]) for k, v in kw.items()})
        p = P0[i]
        s = single.init(p)
        for G in Gs:
            p, s = single.update(G[i], s, p)
        np.testing.assert_array_equal(p, P[i])  # bit for bit, Muon's stacked matrix products included
        for k in s.keys():
            np.testing.assert_array_equal(np.asarray(s[k]), np.asarray(state[k])[i])


@pytest.mark.parametrize("name,flavor", [c for c in ZOO_FLAVOURS if c != ("Muon", "pytorch")])
def test_list_of_parameters_equals_separate_runs_where_rules_are_per_variable(name, flavor):
    """A (4, 3) kernel and a bias in one list: each follows its own rule (Muon: Newton–Schulz and Adam)."""
    rng = np.random.default_rng(11)
    w = [rng.normal(size=(4, 3)), rng.normal(size=3)]
    grads = [[rng.normal(size=(4, 3)), rng.normal(size=3)] for _ in range(5)]
    opt = optimizers.get(name, flavor=flavor)
    s = opt.init(w)
    p = w
    for g in grads:
        p, s = opt.update(g, s, p)
    for v in range(2):
        q = w[v]
        s1 = opt.init(q)
        for g in grads:
            q, s1 = opt.update(g[v], s1, q)
        np.testing.assert_array_equal(q, p[v])


# --------------------------------------------------------------------------- #
# The inspector's numbers (explain_step) reproduce the step                   #
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("name,flavor", [c for c in ZOO_FLAVOURS if c != ("Muon", "pytorch")])
@pytest.mark.parametrize("wd", [None, 0.05])
def test_inspector_shows_the_weight_decay_where_it_acts(name, flavor, wd):
    """Each rule's decay is one equation with λ = wd, in the place the engine applies it; none when off.
    (That every equation adds up to the engine's numbers is tested for every rule in test_teaching.py.)"""
    import landscapes
    kw = {"learning_rate": 0.05}
    key = "adam_weight_decay" if name == "Muon" else "weight_decay"  # a 2-vector: Muon's Adam step
    kw[key] = wd if wd is not None else (None if flavor == "keras" or name != "Muon" else 0.0)
    opt = optimizers.get(name, flavor=flavor, **kw)
    traj = optimizers.run(opt, landscapes.get("himmelblau"), start=[0.5, 0.5], steps=6)
    ex = optimizers.explain_step(traj, 3)
    with_lam = [e for e in ex.equations if e.values.get("lam") is not None]
    if wd is None:
        assert all(e.values["lam"] == 0.0 for e in with_lam)
        return
    assert len(with_lam) == 1 and with_lam[0].values["lam"] == wd
    decay = with_lam[0]
    inside = {("Lamb", "textbook"): "u_t", ("ScheduleFreeAdamW", "textbook"): "z_t", ("Muon", "textbook"): "w_t",
              ("Adafactor", "pytorch"): "w_t"}  # torch: α_t from the undecayed w, decay in the step
    if (name, flavor) in inside:  # the paper's decay acts inside the rule's own step
        assert decay.lhs == inside[(name, flavor)] and decay.op == "="
    else:  # decoupled, before the rule: w ← w − η·λ·w
        assert decay.lhs == "w_{t-1}" and decay.op == r"\leftarrow"
        np.testing.assert_allclose(decay.result, ex.w - ex.w * wd * ex.learning_rate, rtol=1e-15)


# --------------------------------------------------------------------------- #
# The moons network: Keras's variables, one by one                             #
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("name", ["Muon", "Lamb", "Adafactor"])
def test_train_hands_per_variable_rules_the_networks_tensors(name):
    """Muon orthogonalises each 2-D kernel and takes Adam steps on the biases, Lamb's trust ratio and
    Adafactor's factors are per layer, as in Keras: one full-batch update of train() equals the engine's
    update of the list of Keras variables (and differs from treating all weights as one vector)."""
    import landscapes
    land = landscapes.get("moons", n_samples=60)
    theta0 = land.init_params(0)
    kw = {"learning_rate": 0.05}
    res = optimizers.train(optimizers.get(name, **kw), land, epochs=1, batch_size=land.n_samples, seed=0)
    _, g = land.loss_and_grad(theta0[None], np.arange(land.n_samples))
    tensors = [theta0[s].reshape(shape) for s, shape in zip(land.tensor_slices, land.shapes)]
    grads = [g[0, s].reshape(shape) for s, shape in zip(land.tensor_slices, land.shapes)]
    opt = optimizers.get(name, **kw)
    new, _ = opt.update(grads, opt.init(tensors), tensors)
    expected = np.concatenate([np.ravel(t) for t in new])
    np.testing.assert_allclose(res.final_params, expected, rtol=1e-9, atol=1e-12)
    flat, _ = opt.update(g[0], opt.init(theta0), theta0)  # the whole network as one vector: another rule
    assert not np.allclose(res.final_params, flat, rtol=1e-6)
