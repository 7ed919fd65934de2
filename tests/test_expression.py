"""The formula parser: good formulas give the right function, attacks and mistakes give a
ValueError quickly, with a message that says what and where."""

import ast
import builtins
import math
import string
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import landscapes
from landscapes.expression import (MAX_LENGTH, X, Y, ExpressionError, normalize_expression,
                                   parse_expression)

ROOT = Path(__file__).resolve().parents[1]


def at(expr, x, y):
    return float(expr.subs({X: x, Y: y}).evalf())


# --- good formulas ---------------------------------------------------------------------
GOOD = [
    ("x**2 + 3*sin(y)", lambda x, y: x**2 + 3 * math.sin(y)),
    ("(1-x)**2 + 100*(y-x**2)**2", lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2),
    ("exp(-(x**2+y**2))", lambda x, y: math.exp(-(x**2 + y**2))),
    ("log(x)", lambda x, y: math.log(x)),
    ("  x*y - 2.5e-1*pi + e ", lambda x, y: x * y - 0.25 * math.pi + math.e),
    ("-x**2", lambda x, y: -(x**2)),  # ** binds tighter than unary minus, as in Python
    ("2**-x + x**-2", lambda x, y: 2**-x + x**-2),
    ("x/y/2", lambda x, y: x / y / 2),
    ("sqrt(abs(x)) + tanh(y) + cosh(x)/sinh(y)", lambda x, y: math.sqrt(abs(x)) + math.tanh(y) + math.cosh(x) / math.sinh(y)),
    ("atan2(y, x) + arctan(x) + asin(y/4) + acos(x/4) + tan(x)", lambda x, y: math.atan2(y, x) + math.atan(x) + math.asin(y / 4) + math.acos(x / 4) + math.tan(x)),
    ("log10(x) + ln(y) + arcsin(0.5)*y", lambda x, y: math.log10(x) + math.log(y) + math.asin(0.5) * y),
    ("x**100 + y", lambda x, y: x**100 + y),
    ("x" + "+x" * 60, lambda x, y: 61 * x),  # long sums are fine: they are not deep nesting
]


@pytest.mark.parametrize("text,reference", GOOD, ids=[t for t, _ in GOOD])
def test_good_formulas_give_the_right_values(text, reference):
    expr = parse_expression(text)
    assert isinstance(expr, sympy.Expr)
    for x, y in [(1.3, 0.7), (0.4, 2.1), (2.9, 1.6)]:
        assert at(expr, x, y) == pytest.approx(reference(x, y), rel=1e-12)


def test_good_formulas_through_the_landscape():
    for text, reference in GOOD:
        land = landscapes.get("custom", expression=text, bounds=((0.1, 3), (0.1, 3)), start=(1, 1))
        P = np.array([[1.3, 0.7], [0.4, 2.1], [2.9, 1.6]])
        expected = [reference(x, y) for x, y in P]
        np.testing.assert_allclose(land.value(P), expected, rtol=1e-12)


def test_normalized_text_parses_to_the_same_expression():
    for text, _ in GOOD:
        assert parse_expression(normalize_expression(text)) == parse_expression(text)
    assert normalize_expression(" x**2+3*sin( y ) ") == "x ** 2 + 3 * sin(y)"


def test_limits_are_inclusive():
    parse_expression("x**100 * x**-100 + y")
    at_limit = "x +" + " " * (MAX_LENGTH - 4) + "y"
    assert len(at_limit) == MAX_LENGTH
    parse_expression(at_limit)
    parse_expression("(" * 29 + "x" + ")" * 29)
    parse_expression("1e300*x")


# --- attacks -------------------------------------------------------------------------
def attacks(canary):
    deep = "(" * 10000 + "x" + ")" * 10000
    return [
        f"__import__('os').system('touch {canary}')",
        f"__import__(\"os\").system(\"touch {canary}\")",
        "().__class__.__bases__[0].__subclasses__()",
        "x.__class__",
        "x.real",
        "sin.__globals__",
        "lambda: 1",
        "(lambda: 1)()",
        "[x for x in y]",
        "(x for x in y)",
        "{x: y}",
        "open('f')",
        "open",
        "exec('1')",
        "eval('1')",
        "compile('1', 'f', 'eval')",
        "globals()",
        "getattr(x, 'real')",
        "getattr(x, y)",
        "vars(x)", "dir(x)", "type(x)", "print(x)", "input(x)", "help(x)", "id(x)", "hash(x)",
        "breakpoint()", "exit()", "quit()", "locals()", "object()", "super()",
        "Symbol(x)", "sympify(x)", "Abs(x)", "Function(x)", "Integral(x)", "factorial(x)",
        "\"a\"",
        "'a' * 10",
        "b'a'",
        "f'{x}'",
        "9**9**9**9",
        "x**10**10",
        "x**(10**10)",
        "10**10**10 * x",
        "2**1000 * x",
        "x**-101",
        "x**1e10",
        "exp(exp(exp(10))) * x",
        "1e400 * x",
        "1" * 400 + "*x",
        "x / 0",
        "x / (1 - 1)",
        "log(0) + x",
        "sqrt(-1) * x",
        "(-8)**(1/3) * x",
        "0**-1 + x",
        deep,
        "x" + "+x" * 50000,
        "-" * 300 + "x",
        "x" + "**x" * 100,
        "sin(" * 40 + "x" + ")" * 40,
        "sin(x)+ｙ",
        "ｘ**2",
        "x²",
        "x\u200b+y",  # zero-width space
        "x;y",
        "x\ny",
        "import os",
        "sin(x=1)",
        "sin(*[x])",
        "sin(x, y)",
        "sin()",
        "sin",
        "z + x",
        "x(y)",
        "2(x)",
        "x if y else 1",
        "x and y",
        "not x",
        "x < y",
        "x == y",
        "x := 1",
        "(x := 1)",
        "x @ y",
        "x // y",
        "x % y",
        "x ^ y",
        "x & y",
        "~x",
        "x, y",
        "1j * x",
        "True * x",
        "None",
        "...",
        "x[0]",
        "yield x",
        "await x",
        "",
        "   ",
        "3",
        "pi * e",
        "x - x",
        "0 * y",
        "sin(pi)*0 + 1",
        "\x00",
        "x\x00",
        "x +",
        "2x",
        ")x(",
    ]


def test_attack_corpus_is_rejected_quickly_and_never_runs(tmp_path):
    canary = tmp_path / "canary"
    for text in attacks(canary):
        t0 = time.perf_counter()
        with pytest.raises(ValueError) as info:
            parse_expression(text)
        elapsed = time.perf_counter() - t0
        assert elapsed < 1.0, (text[:60], elapsed)
        assert isinstance(info.value, ExpressionError) and str(info.value), text[:60]
        with pytest.raises(ValueError):
            landscapes.get("custom", expression=text)
    assert not canary.exists()


def test_the_parser_never_calls_eval_exec_or_sympify(monkeypatch):
    """Even for good formulas, nothing in parse_expression evaluates Python text."""
    real_eval, real_exec, texts = builtins.eval, builtins.exec, []

    def guarded(real):
        def call(source, *args, **kwargs):
            # Importing a module execs its code *object*: allowed. Evaluating *text* is not.
            if isinstance(source, (str, bytes)):
                texts.append(source)
            return real(source, *args, **kwargs)
        return call

    monkeypatch.setattr(builtins, "eval", guarded(real_eval))
    monkeypatch.setattr(builtins, "exec", guarded(real_exec))
    for text, _ in GOOD + [("__import__('os')", None), ("x + z", None)]:
        try:
            parse_expression(text)
        except ValueError:
            pass
    assert texts == []
    # Static check of the source as well: no call to eval, exec, compile, sympify, parse_expr or S().
    source = (ROOT / "landscapes" / "expression.py").read_text()
    calls = [node.func for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Call)]
    builtin_calls = {f.id for f in calls if isinstance(f, ast.Name)}
    sympy_calls = {f.attr for f in calls if isinstance(f, ast.Attribute)} | builtin_calls
    assert not builtin_calls & {"eval", "exec", "compile", "__import__", "getattr"}
    assert not sympy_calls & {"sympify", "parse_expr", "S", "simplify", "lambdify"}


def test_the_whitelist_is_exactly_the_documented_functions_and_names():
    from landscapes import expression
    assert set(expression.FUNCTIONS) == {
        "sin", "cos", "tan", "asin", "acos", "atan", "arcsin", "arccos", "arctan", "atan2", "arctan2",
        "sinh", "cosh", "tanh", "exp", "log", "ln", "log10", "sqrt", "abs"}
    assert set(expression.VARIABLES) == {"x", "y"} and set(expression.CONSTANTS) == {"pi", "e"}
    for name, (arity, builder) in expression.FUNCTIONS.items():
        assert isinstance(builder(*[X + 2] * arity), sympy.Expr), name


# --- messages say what and where ----------------------------------------------------------
@pytest.mark.parametrize("text,pattern,column", [
    ("x + z", r"Unknown name 'z' at column 5\. Use x and y.*pi and e.*sin, cos", 5),
    ("x^2", r"'\^' at column 2.*\*\* for powers", 2),
    ("sin(x)+ｙ", r"ASCII.*FULLWIDTH LATIN SMALL LETTER Y.*column 8", 8),
    ("x + foo(y)", r"Unknown function 'foo' at column 5", 5),
    ("  x.real", r"Attribute access.*column 3", 3),
    ("x + 1/0", r"Division by zero.*column 5", 5),
    ("9**9**9**9", r"exponent.*too large.*-100 and 100", 4),
    ("x - x", r"not a function of x and y", None),
    ("2x", r"column 1.*\* for multiplication", 1),
    ("x +", r"Could not read", None),
    ("sin(x, y)", r"sin\(\) takes 1 argument, got 2", 1),
    ("x" * 501, r"too long: 501 characters, the limit is 500", None),
    ("(" * 31 + "x" + ")" * 31, r"nested parentheses at column 31", 31),
])
def test_error_messages(text, pattern, column):
    with pytest.raises(ExpressionError, match=pattern) as info:
        parse_expression(text)
    if column is not None:
        assert info.value.column == column


# --- property tests ---------------------------------------------------------------------
def assert_only_value_error_and_fast(text):
    t0 = time.perf_counter()
    try:
        parse_expression(text)
    except ValueError:
        pass
    assert time.perf_counter() - t0 < 1.0


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=string.printable, max_size=120))
def test_random_printable_text_only_ever_raises_value_error(text):
    assert_only_value_error_and_fast(text)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=60))
def test_random_unicode_text_only_ever_raises_value_error(text):
    assert_only_value_error_and_fast(text)


# Formula-like token soup reaches far deeper into the parser than random characters do.
TOKENS = ["x", "y", "pi", "e", "0", "1", "2", "10", "0.5", "1e3", "100", "+", "-", "*", "/", "**",
          "(", ")", ",", " ", "sin(", "log(", "sqrt(", "exp(", "abs(", "atan2(", "tan(", "acos("]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), max_size=30))
def test_random_formula_fragments(tokens):
    assert_only_value_error_and_fast("".join(tokens))


@st.composite
def formulas(draw, depth=0):
    """Well-formed formulas (mostly valid), to exercise the builder and the landscape."""
    if depth > 3 or draw(st.booleans()):
        return draw(st.sampled_from(["x", "y", "pi", "e", "0", "1", "2", "3.5", "10", "0.25"]))
    kind = draw(st.sampled_from(["op", "op", "neg", "call"]))
    if kind == "neg":
        return f"-({draw(formulas(depth + 1))})"
    if kind == "call":
        name = draw(st.sampled_from(["sin", "cos", "exp", "log", "sqrt", "abs", "tanh", "atan", "acos"]))
        return f"{name}({draw(formulas(depth + 1))})"
    op = draw(st.sampled_from(["+", "-", "*", "/", "**"]))
    return f"({draw(formulas(depth + 1))}){op}({draw(formulas(depth + 1))})"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(formulas())
def test_random_well_formed_formulas_compile_and_evaluate_quietly(text):
    t0 = time.perf_counter()
    try:
        land = landscapes.get("custom", expression=text)
    except ValueError:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        X_, Y_, Z = land.value_grid(n=9)
        G = land.grad(np.stack([X_, Y_], axis=-1))
    assert Z.shape == (9, 9) and G.shape == (9, 9, 2)
    assert Z.dtype == G.dtype == np.float64
    assert time.perf_counter() - t0 < 2.0
