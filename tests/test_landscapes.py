"""Landscapes: gradients against finite differences, minima against the literature,
the Kerasy regression against the document's own code, shapes, options and the registry."""

import ast
import importlib
import importlib.util
import time
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import landscapes

ROOT = Path(__file__).resolve().parents[1]
BUILTIN = ["rosenbrock", "saddle", "monkey_saddle", "regression", "beale", "himmelblau", "rastrigin",
           "ackley", "booth", "goldstein_price", "six_hump_camel", "quadratic", "custom"]

# Every 2-D surface we own, including non-default options and a few typed formulas.
VARIANTS = [(name, {}) for name in BUILTIN] + [
    ("rosenbrock", {"a": -1.5, "b": 10}),
    ("rastrigin", {"A": 3}),
    ("quadratic", {"condition": 50, "angle": 30}),
    ("quadratic", {"condition": 1, "angle": -120}),
    ("regression", {"seed": 3, "n_samples": 7, "noise": 1.0}),
    ("custom", {"expression": "(1-x)**2 + 100*(y-x**2)**2"}),
    ("custom", {"expression": "exp(-(x**2+y**2)) * cos(3*x) + atan2(y, x + 4)"}),
    ("custom", {"expression": "sqrt(x**2 + y**2 + 1) + log10(2 + sin(x*y)) + abs(y - 5)"}),
    ("custom", {"expression": "tanh(x) * sinh(y/3) / cosh(x) + x**y", "bounds": ((0.5, 2), (-1, 1)),
                "start": (1, 0)}),
]
IDS = [f"{n}-{'-'.join(f'{k}={v}' for k, v in o.items())}" if o else n for n, o in VARIANTS]


def make(name, options):
    return landscapes.get(name, **options)


def random_points(land, n, seed):
    """Points well inside the view, where all our functions are smooth."""
    rng = np.random.default_rng(seed)
    (x0, x1), (y0, y1) = land.bounds
    shrink = 0.9
    cx, cy, hx, hy = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2 * shrink, (y1 - y0) / 2 * shrink
    return np.column_stack([rng.uniform(cx - hx, cx + hx, n), rng.uniform(cy - hy, cy + hy, n)])


def fd_grad(f, P, h=1e-6):
    """Central finite differences, one point at a time (independent of .grad)."""
    out = np.empty_like(P)
    for i, p in enumerate(P):
        for k in range(2):
            step = h * max(1.0, abs(p[k]))
            e = np.zeros(2)
            e[k] = step
            out[i, k] = (float(f(p + e)) - float(f(p - e))) / (2 * step)
    return out


def fd_hessian(land, p, h=1e-5):
    H = np.empty((2, 2))
    for k in range(2):
        e = np.zeros(2)
        e[k] = h
        H[:, k] = (land.grad(p + e) - land.grad(p - e)) / (2 * h)
    return (H + H.T) / 2


# --- gradients -----------------------------------------------------------------
@pytest.mark.parametrize("name,options", VARIANTS, ids=IDS)
def test_gradient_matches_finite_differences(name, options):
    land = make(name, options)
    P = random_points(land, 12, seed=len(name))
    g = land.grad(P)
    fd = fd_grad(land.value, P)
    # Rounding in f limits finite differences to about 1e-10 * |f|, hence the |f| term.
    tolerance = 1e-5 * np.abs(fd) + 1e-7 * (1 + np.abs(land.value(P)))[:, None]
    assert np.all(np.abs(g - fd) <= tolerance), np.abs(g - fd) / tolerance
    assert g.dtype == np.float64 and g.shape == P.shape


def test_finite_difference_check_can_fail():
    """The check above notices a wrong gradient (here: Booth with one sign flipped)."""
    land = landscapes.get("booth")
    P = random_points(land, 5, seed=0)
    wrong = land.grad(P) * np.array([1, -1])
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(wrong, fd_grad(land.value, P), rtol=1e-5, atol=1e-6)


# --- known minima (literature values, typed in independently) ---------------------
KNOWN = [
    ("rosenbrock", (1, 1), 0.0),
    ("himmelblau", (3, 2), 0.0),
    ("himmelblau", (-2.805118, 3.131312), 0.0),
    ("himmelblau", (-3.779310, -3.283186), 0.0),
    ("himmelblau", (3.584428, -1.848126), 0.0),
    ("beale", (3, 0.5), 0.0),
    ("goldstein_price", (0, -1), 3.0),
    ("six_hump_camel", (0.0898, -0.7126), -1.0316),
    ("six_hump_camel", (-0.0898, 0.7126), -1.0316),
    ("booth", (1, 3), 0.0),
    ("rastrigin", (0, 0), 0.0),
    ("ackley", (0, 0), 0.0),
    ("quadratic", (0, 0), 0.0),
]


@pytest.mark.parametrize("name,point,expected", KNOWN)
def test_known_minimum_values(name, point, expected):
    land = landscapes.get(name)
    assert float(land.value(np.array(point, float))) == pytest.approx(expected, abs=1e-4)
    assert land.min_value == pytest.approx(expected, abs=1e-4)
    # The stored minima include this point (to the literature's 4-6 decimals).
    assert np.min(np.abs(land.minima - point).max(axis=1)) < 1e-4


@pytest.mark.parametrize("name", [n for n in BUILTIN if n != "custom"])
def test_listed_points_are_stationary_and_correctly_classified(name):
    land = landscapes.get(name)
    for p in land.minima:
        g = land.grad(p)
        assert np.abs(g).max() < 1e-7 * (1 + abs(float(land.value(p)))), (p, g)
        assert np.all(np.linalg.eigvalsh(fd_hessian(land, p)) > 0), p
    for p in land.saddles:
        assert np.abs(land.grad(p)).max() < 1e-7 * (1 + abs(float(land.value(p)))), p
        ev = np.linalg.eigvalsh(fd_hessian(land, p))
        if name == "monkey_saddle":
            assert np.allclose(ev, 0, atol=1e-6)  # the degenerate case: flat to second order
        else:
            assert ev[0] < 0 < ev[1], (p, ev)
    if land.min_value is not None:
        # The first listed minimum is a global one, and nothing on a fine grid is lower.
        assert float(land.value(land.minima[0])) == pytest.approx(land.min_value, abs=1e-9)
        assert np.nanmin(land.value_grid(400)[2]) >= land.min_value - 1e-9


def test_all_four_himmelblau_minima_and_both_camel_minima_are_global():
    h = landscapes.get("himmelblau")
    np.testing.assert_allclose(h.value(h.minima), 0, atol=1e-20)
    camel = landscapes.get("six_hump_camel")
    np.testing.assert_allclose(camel.value(camel.minima[:2]), -1.0316284534898774, rtol=1e-14)
    assert np.all(camel.value(camel.minima[2:]) > camel.min_value + 0.5)


def test_ackley_gradient_at_its_tip_is_zero_not_nan():
    land = landscapes.get("ackley")
    np.testing.assert_array_equal(land.grad(np.zeros(2)), [0.0, 0.0])


def test_quadratic_condition_number_and_valley_direction():
    land = landscapes.get("quadratic", condition=40, angle=30)
    H = fd_hessian(land, np.array([0.3, -0.7]))
    ev, vecs = np.linalg.eigh(H)
    np.testing.assert_allclose(ev, [2 / 40, 2], rtol=1e-6)
    valley = vecs[:, 0] * np.sign(vecs[0, 0])
    np.testing.assert_allclose(valley, [np.cos(np.pi / 6), np.sin(np.pi / 6)], atol=1e-6)
    # Gradient descent with lr below 2 / 2 = 1 converges for any condition number.
    p = land.start.copy()
    for _ in range(2000):
        p = p - 0.9 * land.grad(p)
    assert np.abs(p).max() < 1e-6


def test_rosenbrock_options_move_the_minimum():
    land = landscapes.get("rosenbrock", a=-1.5, b=10)
    np.testing.assert_array_equal(land.minima, [[-1.5, 2.25]])
    assert float(land.value(land.minima[0])) == 0.0
    (x0, x1), (y0, y1) = land.bounds
    assert x0 < -1.5 < x1 and y0 < 2.25 < y1
    assert "10" in land.latex and land.options == {"a": -1.5, "b": 10.0}


# --- attributes, shapes and vectorization -----------------------------------------
@pytest.mark.parametrize("name,options", VARIANTS, ids=IDS)
def test_attributes(name, options):
    land = make(name, options)
    assert land.name == name and land.dim == 2
    assert isinstance(land.title, str) and land.title
    assert isinstance(land.latex, str) and land.latex
    assert isinstance(land.teaches, str) and land.teaches.endswith(".")
    (x0, x1), (y0, y1) = land.bounds
    assert x0 < x1 and y0 < y1
    assert land.start.shape == (2,) and land.start.dtype == np.float64
    assert x0 <= land.start[0] <= x1 and y0 <= land.start[1] <= y1
    assert land.minima.ndim == 2 and land.minima.shape[1] == 2
    assert land.saddles.ndim == 2 and land.saddles.shape[1] == 2
    assert land.min_value is None or isinstance(land.min_value, float)
    assert isinstance(land.options, dict) and set(land.options) == set(type(land).OPTIONS)
    assert np.isfinite(land.value(land.start)) and np.all(np.isfinite(land.grad(land.start)))


@pytest.mark.parametrize("name,options", VARIANTS, ids=IDS)
def test_vectorized_equals_point_by_point(name, options):
    land = make(name, options)
    P = random_points(land, 12, seed=1).reshape(3, 4, 2)
    V, G = land.value(P), land.grad(P)
    assert V.shape == (3, 4) and G.shape == (3, 4, 2)
    assert V.dtype == G.dtype == np.float64
    for i in range(3):
        for j in range(4):
            assert V[i, j] == pytest.approx(float(land.value(P[i, j])), rel=1e-12, abs=1e-12)
            np.testing.assert_allclose(G[i, j], land.grad(P[i, j]), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(land.value(P.reshape(-1, 2)), V.ravel(), rtol=1e-12, atol=1e-12)
    # A single point gives a scalar value and a (2,) gradient; lists work too.
    assert np.shape(land.value(list(P[0, 0]))) == () and land.grad(list(P[0, 0])).shape == (2,)


@pytest.mark.parametrize("name,options", VARIANTS, ids=IDS)
def test_value_grid(name, options):
    land = make(name, options)
    X, Y, Z = land.value_grid(n=30)
    assert X.shape == Y.shape == Z.shape == (30, 30)
    (x0, x1), (y0, y1) = land.bounds
    assert X[0, 0] == x0 and X[0, -1] == x1 and Y[0, 0] == y0 and Y[-1, 0] == y1
    assert Z[5, 7] == pytest.approx(float(land.value([X[5, 7], Y[5, 7]])), rel=1e-12, abs=1e-12)
    with pytest.raises(ValueError):
        land.value_grid(n=1)


@pytest.mark.parametrize("name,options", VARIANTS, ids=IDS)
def test_extreme_inputs_give_inf_or_nan_without_warnings(name, options):
    land = make(name, options)
    P = np.array([[1e200, -1e200], [1e300, 1e300], [np.inf, 0], [np.nan, 1.0], [0, 0], [-1e-300, 1e-300]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        V, G = land.value(P), land.grad(P)
    assert V.shape == (6,) and G.shape == (6, 2) and V.dtype == G.dtype == np.float64


def test_bad_points_raise_value_error():
    land = landscapes.get("booth")
    for bad in (np.zeros(3), np.zeros((4, 3)), 1.0):
        with pytest.raises(ValueError, match=r"\(\.\.\., 2\)"):
            land.value(bad)


def test_instances_do_not_share_arrays():
    a, b = landscapes.get("himmelblau"), landscapes.get("himmelblau")
    a.start[0] = 99.0
    a.minima[0, 0] = 99.0
    assert b.start[0] == 0.0 and b.minima[0, 0] == 3.0
    assert landscapes.get("himmelblau").start[0] == 0.0


# --- registry and options ----------------------------------------------------------
def test_available_lists_every_builtin_and_moons_only_if_its_file_exists():
    names = landscapes.available()
    assert set(BUILTIN) <= set(names) and names[-1] == "custom"
    assert ("moons" in names) == (ROOT / "landscapes" / "moons.py").exists()
    assert all(isinstance(n, str) and n == n.lower() for n in names)


def test_unknown_name_lists_valid_names():
    with pytest.raises(ValueError, match="Unknown landscape 'nope'.*rosenbrock.*six_hump_camel"):
        landscapes.get("nope")
    with pytest.raises(ValueError):
        landscapes.get(None)
    assert landscapes.get(" Rosenbrock ").name == "rosenbrock"


@pytest.mark.parametrize("name,options,pattern", [
    ("rosenbrock", {"c": 1}, r"Unknown option 'c'.*a \(number from -2 to 2, default 1\).*b \("),
    ("saddle", {"a": 1}, "takes no options"),
    ("rosenbrock", {"b": 0}, "between 0.1 and 1000"),
    ("rosenbrock", {"a": float("nan")}, "finite"),
    ("rosenbrock", {"a": "1"}, "must be a number"),
    ("rosenbrock", {"a": True}, "must be a number"),
    ("quadratic", {"condition": 0.5}, "between 1 and 1000"),
    ("quadratic", {"angle": 400}, "between -180 and 180"),
    ("rastrigin", {"A": -1}, "between 0 and 50"),
    ("regression", {"n_samples": 2.5}, "whole number"),
    ("regression", {"n_samples": 1}, "between 2 and"),
    ("custom", {"expression": "x +* y"}, "column"),
    ("custom", {"expression": 3}, "must be text"),
    ("custom", {"bounds": ((1, 0), (0, 1))}, "xmin must be smaller"),
    ("custom", {"bounds": (1, 2)}, r"\(\(xmin, xmax\)"),
    ("custom", {"start": (5, 5)}, "outside the bounds"),
    ("custom", {"start": (1, 2, 3)}, "pair"),
])
def test_invalid_options_raise_value_error_with_guidance(name, options, pattern):
    with pytest.raises(ValueError, match=pattern):
        landscapes.get(name, **options)


def test_options_accept_numpy_numbers_and_record_defaults():
    land = landscapes.get("quadratic", condition=np.float64(20), angle=np.int64(45))
    assert land.options == {"condition": 20.0, "angle": 45.0}
    assert landscapes.get("regression").options == {"seed": 0, "n_samples": 100, "noise": 0.1}


def test_register_rejects_bad_names_and_duplicates(monkeypatch):
    monkeypatch.setattr(landscapes, "_FACTORIES", dict(landscapes._FACTORIES))
    with pytest.raises(ValueError, match="already registered"):
        landscapes.register("booth", landscapes.Landscape)
    with pytest.raises(ValueError, match="lower-case"):
        landscapes.register("Bad Name", landscapes.Landscape)
    landscapes.register("booth2", lambda **o: landscapes.get("booth", **o))
    assert "booth2" in landscapes.available() and landscapes.get("booth2").name == "booth"


def test_lazy_module_hook(monkeypatch, tmp_path):
    """A lazy entry appears once its module exists and is imported only by get()."""
    monkeypatch.setattr(landscapes, "_FACTORIES", dict(landscapes._FACTORIES))
    monkeypatch.setattr(landscapes, "_LAZY_MODULES", {"fake": "fake_landscape_mod"})
    assert "fake" not in landscapes.available()
    with pytest.raises(ValueError, match="Unknown landscape 'fake'"):
        landscapes.get("fake")
    (tmp_path / "fake_landscape_mod.py").write_text(
        "import landscapes\nIMPORTED = True\ndef make(**options):\n    return landscapes.get('saddle', **options)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    assert "fake" in landscapes.available() and "fake_landscape_mod" not in sys.modules
    assert landscapes.get("fake").name == "saddle"
    sys.modules.pop("fake_landscape_mod")


def test_moons_is_reachable_through_the_registry_when_present():
    if importlib.util.find_spec("landscapes.moons") is None:
        pytest.skip("landscapes/moons.py not written yet")
    assert landscapes.get("moons").name == "moons"


def test_landscapes_import_only_numpy_sklearn_sympy_and_the_standard_library():
    allowed = {"numpy", "sympy", "sklearn", "landscapes", "__future__"}
    stdlib = set(sys.stdlib_module_names)
    for path in sorted((ROOT / "landscapes").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                mods = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                mods = [node.module.split(".")[0]]
            else:
                continue
            assert all(m in allowed or m in stdlib for m in mods), (path.name, mods)


# --- the Kerasy regression -----------------------------------------------------------
def kerasy_document():
    """The document's cells [2] and [3], verbatim (only the plotting is left out)."""
    rnd = np.random.RandomState(0)
    xmin, xmax = (0, 1)
    num_samples = 100
    num_val_samples = 1000
    X_train = np.c_[
        rnd.uniform(xmin, xmax, size=(num_samples, 1)),
        np.ones(shape=(num_samples, 1))
    ]
    coeff = np.asarray([2, 1]).reshape(-1, 1)
    y_train = X_train.dot(coeff) + rnd.normal(loc=0.0, scale=1/10, size=(num_samples, 1))
    Xs = np.c_[
        np.linspace(xmin, xmax, num_val_samples).reshape(-1, 1),
        np.ones(shape=(num_val_samples, 1))
    ]
    w = rnd.randn(2, 1)  # shape=(2,1)
    return X_train, y_train, w, Xs


def kerasy_gradient_descent(lr, epochs=100):
    """Cell [4]: GradientDescent is w <- w - lr * grad, with the document's own gradient."""
    X_train, y_train, w, _ = kerasy_document()
    w_ = w.copy()
    for _ in range(epochs):
        grad = (1 / 100) * 2 * X_train.T.dot(X_train.dot(w_) - y_train)
        w_ = w_ - lr * grad
    return w_.ravel()


@pytest.fixture(scope="module")
def regression():
    return landscapes.get("regression")


def test_regression_data_is_the_documents(regression):
    X_train, y_train, w, _ = kerasy_document()
    np.testing.assert_array_equal(regression.X, X_train)
    np.testing.assert_array_equal(regression.y, y_train.ravel())
    np.testing.assert_array_equal(regression.start, w.ravel())
    assert regression.n_samples == 100 and regression.axis_labels == ("slope w", "intercept b")
    assert regression.X.dtype == regression.y.dtype == np.float64


def test_regression_minimum_is_least_squares(regression):
    X_train, y_train, _, _ = kerasy_document()
    best = np.linalg.lstsq(X_train, y_train, rcond=None)[0].ravel()
    np.testing.assert_allclose(regression.minima, [best], rtol=1e-12)
    assert regression.min_value == pytest.approx(np.mean((X_train @ best - y_train.ravel()) ** 2), rel=1e-9)
    assert best == pytest.approx([2, 1], abs=0.05)  # the true line, up to the noise


def test_regression_loss_and_gradient_equal_the_formulas(regression):
    X, y = regression.X, regression.y
    P = np.random.default_rng(5).normal(0, 3, size=(4, 3, 2))
    loss, grad = regression.loss_and_grad(P)
    for idx in (None, np.array([3, 17, 17, 42, 99]), np.arange(0, 100, 7)):
        rows = slice(None) if idx is None else idx
        Xi, yi = X[rows], y[rows]
        for p, L, g in zip(P.reshape(-1, 2), regression.loss(P, idx).ravel(), regression.grad(P, idx).reshape(-1, 2)):
            r = Xi @ p - yi
            assert L == pytest.approx(np.mean(r**2), rel=1e-11)
            np.testing.assert_allclose(g, (2 / len(yi)) * Xi.T @ r, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(loss, regression.loss(P))
    np.testing.assert_array_equal(grad, regression.grad(P))
    np.testing.assert_array_equal(regression.value(P), loss)
    mask = np.zeros(100, bool)
    mask[[1, 5]] = True
    np.testing.assert_allclose(regression.grad(P, mask), regression.grad(P, [1, 5]))


@pytest.mark.parametrize("idx", [[], [100], [-1], [[1, 2]], [0.5], np.zeros(5, bool)])
def test_regression_rejects_bad_indices(regression, idx):
    with pytest.raises(ValueError):
        regression.grad(np.zeros(2), np.asarray(idx))


def test_kerasy_learning_rate_experiment(regression):
    """Cell [4]: 100 epochs of full-batch GD from the document's w, lr = 0.01, 0.1, 0.5."""
    best = regression.minima[0]
    ends = {}
    for lr in (0.01, 0.1, 0.5):
        w = regression.start.copy()
        for _ in range(100):
            w = w - lr * regression.grad(w)
        np.testing.assert_allclose(w, kerasy_gradient_descent(lr), rtol=1e-9)  # same path as the document
        ends[lr] = np.abs(w - best).max()
    assert ends[0.5] < 1e-3  # converged to the least-squares line
    assert ends[0.01] > 0.5  # clearly not there yet
    assert ends[0.5] < ends[0.1] < ends[0.01]


def test_regression_predict(regression):
    P = np.array([[2.0, 1.0], [0.0, -1.0]])
    x = np.array([0.0, 0.5, 1.0])
    np.testing.assert_allclose(regression.predict(P, x), [[1, 2, 3], [-1, -1, -1]])
    assert regression.predict(P[0], 0.25) == pytest.approx(1.5)
    assert regression.predict(np.zeros((3, 4, 2)), np.zeros(5)).shape == (3, 4, 5)


def test_regression_options_change_the_data_reproducibly():
    a = landscapes.get("regression", seed=1, n_samples=30, noise=0.5)
    b = landscapes.get("regression", seed=1, n_samples=30, noise=0.5)
    assert a.X.shape == (30, 2) and a.y.shape == (30,)
    np.testing.assert_array_equal(a.y, b.y)
    assert not np.allclose(a.y[:30], landscapes.get("regression", seed=2, n_samples=30).y)


# --- custom formulas -------------------------------------------------------------------
def test_custom_values_and_gradient_match_numpy():
    land = landscapes.get("custom", expression="x**2 + 3*sin(y)")
    P = random_points(land, 20, seed=3)
    x, y = P[:, 0], P[:, 1]
    np.testing.assert_allclose(land.value(P), x**2 + 3 * np.sin(y), rtol=1e-14)
    np.testing.assert_allclose(land.grad(P), np.column_stack([2 * x, 3 * np.cos(y)]), rtol=1e-14)
    assert land.expression == "x ** 2 + 3 * sin(y)"
    assert land.latex == r"f(x, y) = x^{2} + 3 \sin{\left(y \right)}"
    assert land.bounds == ((-3.0, 3.0), (-3.0, 3.0)) and list(land.start) == [2.0, 2.0]
    assert land.minima.shape == (0, 2) and land.min_value is None


def test_custom_default_and_options():
    land = landscapes.get("custom", expression="exp(-(x**2+y**2))", bounds=((-1, 2), (0, 5)), start=(1.5, 4))
    assert land.bounds == ((-1.0, 2.0), (0.0, 5.0)) and list(land.start) == [1.5, 4.0]
    assert float(land.value([0, 0])) == 1.0
    assert landscapes.get("custom").expression == "x ** 2 + 3 * sin(y)"


def test_custom_constant_gradient_components_are_broadcast():
    land = landscapes.get("custom", expression="x**2 + 2*y")
    G = land.grad(np.ones((4, 5, 2)))
    assert G.shape == (4, 5, 2)
    np.testing.assert_array_equal(G[..., 0], 2.0)
    np.testing.assert_array_equal(G[..., 1], 2.0)
    assert land.grad([1.0, 1.0]).shape == (2,)


@pytest.mark.parametrize("text", ["log(x)", "1/x + y", "sqrt(x - y)", "x**y", "exp(50*x*y)",
                                  "(9*x)**100 + y", "(99999999*x)**100 + y", "atan2(y, x)"])
def test_custom_formulas_undefined_somewhere_still_plot(text):
    land = landscapes.get("custom", expression=text)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        X, Y, Z = land.value_grid(n=41)
        G = land.grad(np.stack([X, Y], axis=-1))
    assert Z.shape == (41, 41) and G.shape == (41, 41, 2) and Z.dtype == np.float64
    if text.startswith("(99999999"):
        return  # sympy writes 1e800 * x**100: inf (nan at x = 0) on this grid, and no crash
    assert np.isfinite(Z).mean() > 0.4
    if text == "log(x)":
        assert np.all(np.isnan(Z[:, X[0] < 0])) and np.all(np.isfinite(Z[:, X[0] > 0]))
        assert float(land.value([np.e, 0])) == pytest.approx(1.0)


def test_custom_compiles_quickly():
    t0 = time.perf_counter()
    landscapes.get("custom", expression="(1-x)**2 + 100*(y-x**2)**2 + sin(3*x)*cos(3*y) + log(1 + x**2)")
    assert time.perf_counter() - t0 < 2.0
