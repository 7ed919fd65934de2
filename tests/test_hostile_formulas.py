"""Hostile typed formulas: nothing executes, parsing ends quickly, the user gets a clear message.

Three layers:

1. the engine: ``landscapes.get("custom", expression=text)`` (and ``parse_expression``) on a corpus of
   known attacks and on hypothesis-generated text and formula trees;
2. a runtime audit (``sys.addaudithook``) while formulas are parsed: no process is started, no file is
   opened for writing, and the only code ever compiled for execution is sympy's lambdify output for an
   accepted formula (filename ``<lambdifygenerated-N>``), never anything containing the typed text;
3. the pages (AppTest): the race page's formula box and its ``expr`` URL parameter, plus the inspector
   and fair-comparison pages' ``expr`` parameter: no exception, an ``st.error``/notice with the message,
   the text stays in the box, the chart keeps the last valid formula.

Many attacks would create a canary file if any of them were ever executed; the canary must never exist.
"""
from __future__ import annotations

import contextlib
import functools
import json
import os
import signal
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import landscapes
from landscapes.expression import ExpressionError, parse_expression
from tests.helpers import shown

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
CANARY = Path(tempfile.gettempdir()) / f"descent_lab_canary_{os.getpid()}"
C = str(CANARY)
PARSE_CPU_LIMIT = 1.0     # seconds of CPU for parse_expression on any input
BUILD_CPU_LIMIT = 5.0     # seconds of CPU to build a custom landscape (parse, differentiate, lambdify)
WALL_LIMIT = 30.0         # hard stop (wall clock, generous: the machine is shared)

# --------------------------------------------------------------------------- #
# The corpus                                                                   #
# --------------------------------------------------------------------------- #
ATTACKS = {
    # imports and process execution
    "import via __import__": f"__import__('os').system('touch {C}')",
    "import double quotes": f'__import__("os").system("touch {C}")',
    "import statement": "import os",
    "statement after formula": f"x; __import__('os').system('touch {C}')",
    "newline statement": f"x\n__import__('os').system('touch {C}')",
    "open for writing": f"open('{C}', 'w').write('x')",
    "exec": f"exec(\"open('{C}','w')\")",
    "eval": f"eval(\"__import__('os').system('touch {C}')\")",
    "compile": "compile('1', 'f', 'eval')",
    "breakpoint": "breakpoint()",
    "input": "input()",
    "print": "print(x)",
    "globals": "globals()",
    "builtins": "__builtins__",
    "getattr": "getattr(x, 'real')",
    # dunder and attribute chains
    "class of tuple": "().__class__",
    "subclasses": "().__class__.__base__.__subclasses__()",
    "subclasses via bases": "().__class__.__bases__[0].__subclasses__()",
    "popen via subclasses": (f"[c for c in ().__class__.__base__.__subclasses__() if c.__name__ == 'Popen'][0]"
                             f"(['touch', '{C}'])"),
    "function globals": "sin.__globals__",
    "attribute on call": "sin(x).func",
    "mro": "exp(x).__class__.__mro__",
    "method call": "x.evalf()",
    "subs": "x.subs(x, y)",
    "attribute without underscore": "x.real",
    # lambdas and comprehensions
    "lambda": "lambda x: x",
    "called lambda": f"(lambda: __import__('os').system('touch {C}'))()",
    "lambda without underscores": "(lambda q: q)(x)",
    "list comprehension": "[x for x in range(10)]",
    "generator": "sum(x for x in range(9))",
    "dict": "{x: y}",
    "set": "{x, y}",
    "tuple": "(x, y)",
    "list": "[x, y]",
    "subscript": "x[0]",
    "walrus": "(q := x) + q",
    "starred call": "sin(*[x])",
    "double starred call": "sin(**{'x': 1})",
    "bare star": "*x",
    "keyword argument": "log(x, base=2)",
    "f-string": f"f'{{__import__(\"os\").system(\"touch {C}\")}}'",
    "format string": "'{0.__class__}'.format(x)",
    "percent format": "'%s' % x",
    "bytes": "b'abc'",
    "string": "'x**2'",
    "ternary": "x if x else y",
    "comparison": "x < y",
    "boolean": "x and y",
    "not": "not x",
    "invert": "~x",
    "floor division": "x // y",
    "modulo": "x % y",
    "matmul": "x @ y",
    "xor as power": "x ^ 2",
    "shift": "x << 2",
    "or": "x | y",
    "comment": "x # comment",
    "ellipsis": "...",
    "none": "None",
    "true": "True * x",
    "complex literal": "1j * x",
    "await": "await x",
    "yield": "(yield x)",
    # calls on calls, unknown names, sympy internals
    "call on call": "sin(x)(y)",
    "call on function": "sin(cos)(x)",
    "call on parenthesis": "(x)(y)",
    "number call": "2(x)",
    "implicit product": "2x + 3y",
    "unknown function": "gamma(x)",
    "sympify": "sympify(x)",
    "S": "S(x)",
    "Symbol": "Symbol(x)",
    "Function": "Function(x)(y)",
    "Integral": "Integral(x, x)",
    "Piecewise": "Piecewise((x, x > 0))",
    "imaginary unit": "I*x",
    "infinity": "oo*x",
    "zoo": "zoo + x",
    "nan name": "nan * x",
    "exec name": "exec",
    "function without call": "sin + x",
    "wrong arity": "atan2(x)",
    "too many args": "sin(x, y)",
    # huge numbers and exponents
    "power tower": "9**9**9**9",
    "power tower 10": "10**10**10",
    "huge power": "2**1000000",
    "huge symbolic exponent": "x**(10**100)",
    "huge integer exponent": "(x+y)**100000",
    "huge negative exponent": "x**-1000",
    "nested exp overflow": "exp(exp(exp(exp(1000)))) * x",
    "float overflow": "1e309 * x",
    "huge integer literal": "1" * 400 + " * x",
    "huge product constant": "10**400 * x",
    "power of huge": "(10**200)**2 * x",
    "division by zero": "x / 0",
    "zero over zero": "0/0 + x",
    "log zero": "log(0) * x",
    "sqrt negative": "sqrt(-1) * x",
    "negative fractional power": "(-8)**(1/3) * x",
    "zero to a negative power": "0**-1 * x",
    "undefined gradient": "0**x",
    # size and nesting
    "deep parentheses": "(" * 1000 + "x" + ")" * 1000,
    "deep parentheses within limit chars": "(" * 200 + "x" + ")" * 200,
    "deep functions": "sin(" * 100 + "x" + ")" * 100,
    "deep unary": "-" * 10000 + "x",
    "deep unary short": "-" * 400 + "x",
    "long sum": "+".join(["x"] * 5000),
    "long sum within chars": "+".join(["x"] * 240),
    "long name": "x" * 10000,
    "long number": "1" * 10000,
    "many nodes": "*".join(["(x+1)"] * 90),
    "unbalanced": "((x + y)",
    "unbalanced close": "x + y)",
    "empty": "",
    "blank": "   \t ",
    # unicode look-alikes and control characters
    "fullwidth x": "ｘ**2 + y**2",
    "cyrillic x": "х**2 + y**2",
    "cyrillic y": "x**2 + у**2",
    "greek omicron": "c\u03bfs(x)",
    "superscript": "x² + y²",
    "zero-width space": "x\u200b+y",
    "unicode minus": "x \u2212 y",
    "math italic x": "\U0001d465 + y",
    "nul byte": "x\x00+y",
    "right-to-left override": "\u202ex+y",
    "non-breaking space": "x\u00a0+ y",
    "fullwidth underscore import": "＿＿import＿＿('os')",
    "nfkc dunder": "\uff3f\uff3fclass\uff3f\uff3f",
    "emoji": "x + 🐍",
    "lone surrogate": "x + \udc80",
}

# Well-formed formulas refused when the landscape is built (the gradient is undefined everywhere).
REFUSED_AFTER_PARSING = {"undefined gradient"}

VALID = ["x**2 + 3*sin(y)", "(x**2 - 1)**2 + (y**2 - 1)**2", "0.1*(sqrt(3)/2*x + y/2)**2 + (sqrt(3)/2*y - x/2)**2",
         "1e-7*(x**2 + y**2)", "log(1 + x**2 + y**2)", "atan2(y, x) + abs(x)", "exp(-x**2 - y**2)", "x*y",
         "-x**2 + y**2", "cosh(x) + tanh(y)", "log10(1 + x**2) + y**2", "e**x + pi*y"]


# --------------------------------------------------------------------------- #
# Runtime audit: nothing is executed, spawned or written                       #
# --------------------------------------------------------------------------- #
class Audit:
    """Records dangerous audit events while ``active``; installed once per process."""

    WATCH_PREFIXES = ("os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "subprocess.Popen",
                      "pty.spawn", "ctypes.", "os.remove", "os.rename", "shutil.", "socket.connect", "urllib.Request")

    def __init__(self):
        self.active = False
        self.events: list[tuple] = []
        self.lambdified: list = []
        self.thread = None

    def hook(self, event, args):
        if not self.active or threading.get_ident() != self.thread:
            return
        if event.startswith(self.WATCH_PREFIXES):
            self.events.append((event, repr(args)[:200]))
        elif event == "open":
            path, mode, flags = (list(args) + [None, None])[:3]
            writes = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT))
            if str(path) == C or (writes and not _is_bytecode_cache(path)):
                self.events.append((event, repr(args)[:200]))
        elif event in ("compile", "exec"):
            # Who called compile()/exec()? (builtins have no frame: frame 1 is the Python caller.) Only three
            # callers are expected while a formula is parsed: ast.parse (builds a tree, runs nothing), sympy's
            # lambdify (compiles the code it printed from our checked sympy tree), and the import system.
            caller = sys._getframe(1).f_code.co_filename
            target = args[1] if event == "compile" else getattr(args[0], "co_filename", "?")
            if event == "exec" and str(target).startswith("<lambdifygenerated"):
                self.lambdified.append(args[0])
            if not caller.endswith(ALLOWED_CALLERS) and not _inside_an_import():
                self.events.append((event, caller, str(target), repr(args[0])[:120]))

    @contextlib.contextmanager
    def watching(self):
        self.events, self.lambdified = [], []
        self.thread = threading.get_ident()
        self.active = True
        try:
            yield self
        finally:
            self.active = False


def _is_bytecode_cache(path) -> bool:
    p = str(path)
    return "__pycache__" in p and (p.endswith(".pyc") or ".pyc." in p)


ALLOWED_CALLERS = (os.sep + "ast.py", os.path.join("sympy", "utilities", "lambdify.py"),
                   "<frozen importlib._bootstrap>", "<frozen importlib._bootstrap_external>")


def _inside_an_import() -> bool:
    """True while a module is being imported (module code compiling namedtuples and the like)."""
    f = sys._getframe(2)
    while f is not None:
        if f.f_code.co_filename.startswith("<frozen importlib"):
            return True
        f = f.f_back
    return False


@functools.cache
def audit() -> Audit:
    a = Audit()
    sys.addaudithook(a.hook)  # cannot be removed; inactive outside `watching()`
    return a


@contextlib.contextmanager
def time_limit(seconds: float):
    """Raise TimeoutError if the block runs longer than ``seconds`` (wall clock; main thread only)."""
    def handler(signum, frame):
        raise TimeoutError(f"took more than {seconds} s")
    old = signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def build(text):
    """(landscape or None, error message or None, CPU seconds), under the audit and a time limit."""
    a = audit()
    t0 = time.thread_time()
    with time_limit(WALL_LIMIT), a.watching(), warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            land, err = landscapes.get("custom", expression=text), None
        except ValueError as exc:
            land, err = None, str(exc)
    cpu = time.thread_time() - t0
    assert not a.events, (text[:80], a.events)
    if land is None:
        assert not a.lambdified, "code was generated for a rejected formula"
    return land, err, cpu


def clear_message(msg: str) -> None:
    assert msg and msg.strip() == msg, msg
    assert len(msg) <= 600, msg
    assert len(msg) >= 15 and not msg[0].isspace(), msg
    assert msg.rstrip("`").endswith((".", ")")), msg
    for internal in ("Traceback", 'File "', "sympy.", "SympifyError", "<lambda", "object at 0x"):
        assert internal not in msg, msg


@pytest.fixture(autouse=True)
def no_canary():
    CANARY.unlink(missing_ok=True)
    yield
    assert not CANARY.exists(), "an attack was executed: the canary file exists"


# --------------------------------------------------------------------------- #
# 1. The engine                                                                #
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("name", list(ATTACKS))
def test_attack_is_refused_quickly_with_a_clear_message(name):
    text = ATTACKS[name]
    t0 = time.thread_time()
    with time_limit(WALL_LIMIT):
        if name in REFUSED_AFTER_PARSING:
            parse_expression(text)
        else:
            with pytest.raises(ExpressionError) as info:
                parse_expression(text)
            clear_message(str(info.value))
    assert time.thread_time() - t0 < PARSE_CPU_LIMIT, name
    land, err, cpu = build(text)
    assert land is None and err, name
    assert cpu < BUILD_CPU_LIMIT, (name, cpu)
    clear_message(err)


def test_messages_point_at_the_problem():
    cases = {
        ATTACKS["import via __import__"]: "'_'",
        ATTACKS["lambda without underscores"]: "':'",
        ATTACKS["lambda"]: "':'",
        ATTACKS["list comprehension"]: "[",
        ATTACKS["power tower"]: "too large",
        ATTACKS["huge symbolic exponent"]: "too large",
        ATTACKS["deep parentheses within limit chars"]: "Too many nested parentheses",
        ATTACKS["deep parentheses"]: "too long",
        ATTACKS["long name"]: "too long",
        ATTACKS["cyrillic x"]: "CYRILLIC SMALL LETTER HA",
        ATTACKS["fullwidth x"]: "FULLWIDTH LATIN SMALL LETTER X",
        ATTACKS["xor as power"]: "**",
        ATTACKS["implicit product"]: "2*x",
        ATTACKS["attribute without underscore"]: "'.'",
        ATTACKS["call on call"]: "allowed functions",
    }
    for text, fragment in cases.items():
        with pytest.raises(ExpressionError) as info:
            parse_expression(text)
        assert fragment in str(info.value), (text[:40], str(info.value))


@pytest.mark.parametrize("text", VALID)
def test_valid_formulas_only_ever_compile_lambdify_output(text):
    a = audit()
    with a.watching():
        land = landscapes.get("custom", expression=text)
    assert not a.events, a.events
    assert a.lambdified, "lambdify output should have been executed (the audit hook must see it)"
    for code in a.lambdified:  # generated from the sympy tree, not from the typed text
        assert code.co_filename.startswith("<lambdifygenerated")
        assert "__" not in "".join(code.co_names).replace("__builtins__", "")
    pts = np.array([[0.3, -0.7], [1.0, 2.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.all(np.isfinite(land.value(pts))) and np.all(np.isfinite(land.grad(pts)))


def test_the_audit_would_notice_execution():
    """Negative control: the audit hook and the canary do catch real execution."""
    a = audit()
    with a.watching():
        eval(compile("1 + 1", "<attack>", "eval"))  # noqa: S307 - deliberately executed text
        with open(os.devnull, "w"):
            pass
    kinds = [e[0] for e in a.events]
    assert "compile" in kinds and "exec" in kinds and "open" in kinds


# Hypothesis: any text at all, and random formula trees (valid and invalid pieces).
ALPHABET = st.sampled_from(list("xyepi0123456789.+-*/()_ ,'\"[]{}:;=<>!&|^%@~#\\\n\t")
                           + ["sin", "cos", "exp", "log", "sqrt", "atan2", "abs", "lambda", "import", "__",
                              "**", "e9", "e-9", "ｘ", "у", "\u200b", "\x00", "1e308", "999999999999"])
RAW_TEXT = st.one_of(st.text(max_size=80), st.text(max_size=700),
                     st.lists(ALPHABET, max_size=120).map("".join))

LEAF = st.one_of(st.sampled_from(["x", "y", "pi", "e", "0", "1", "2", "0.5", "1e300", "1e-300", "10", "100",
                                  "9" * 30, "1e308", "1e309", "q", "__class__", "''", "[]", "()"]),
                 st.integers(-10**6, 10**6).map(str), st.floats(allow_nan=False, allow_infinity=False).map(repr))
FUNCS = ["sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "exp", "log", "ln", "log10", "sqrt",
         "abs", "atan2", "arctan2", "gamma", "eval", "__import__", "getattr"]
OPS = ["+", "-", "*", "/", "**", "//", "%", "^", "@", "&", "|", "<", "==", " and ", " if x else "]


def _combine(children):
    return st.one_of(
        st.tuples(children, st.sampled_from(OPS), children).map(lambda t: f"({t[0]}{t[1]}{t[2]})"),
        st.tuples(st.sampled_from(FUNCS), children).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(st.sampled_from(["atan2", "arctan2", "sin"]), children, children).map(
            lambda t: f"{t[0]}({t[1]}, {t[2]})"),
        children.map(lambda c: f"-{c}"),
        children.map(lambda c: f"{c}.__class__"),
        children.map(lambda c: f"(lambda: {c})()"),
        children.map(lambda c: f"[{c} for q in x]"),
    )


FORMULA = st.recursive(LEAF, _combine, max_leaves=60)

# Only allowed constructs: most of these parse, so the differentiate/lambdify/evaluate path is exercised.
GOOD_LEAF = st.one_of(st.sampled_from(["x", "y", "pi", "e", "0", "1", "2", "0.5", "3", "10", "1e-3", "100"]),
                      st.floats(-1e6, 1e6, allow_nan=False).map(lambda v: f"{v:.6g}"))
GOOD_FUNCS = ["sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "exp", "log", "ln", "log10",
              "sqrt", "abs"]
GOOD_FORMULA = st.recursive(GOOD_LEAF, lambda c: st.one_of(
    st.tuples(c, st.sampled_from(["+", "-", "*", "/", "**"]), c).map(lambda t: f"({t[0]}{t[1]}{t[2]})"),
    st.tuples(st.sampled_from(GOOD_FUNCS), c).map(lambda t: f"{t[0]}({t[1]})"),
    st.tuples(c, c).map(lambda t: f"atan2({t[0]}, {t[1]})"),
    c.map(lambda v: f"-{v}")), max_leaves=40)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(RAW_TEXT)
def test_any_text_is_refused_or_parsed_quickly(text):
    t0 = time.thread_time()
    with time_limit(WALL_LIMIT):
        try:
            expr = parse_expression(text)
        except ExpressionError as exc:
            clear_message(str(exc))
            expr = None
    assert time.thread_time() - t0 < PARSE_CPU_LIMIT
    if expr is not None:
        assert expr.free_symbols  # a function of x and/or y


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                                  HealthCheck.function_scoped_fixture])
@given(st.one_of(FORMULA, GOOD_FORMULA))
def test_random_formula_trees_build_or_are_refused_safely(text):
    land, err, cpu = build(text)
    assert cpu < BUILD_CPU_LIMIT, (text, cpu)
    if land is None:
        clear_message(err)
        return
    pts = np.random.default_rng(0).uniform(-3, 3, size=(7, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # overflow or log(-1) must give inf/nan silently, never a warning
        v, g = land.value(pts), land.grad(pts)
    assert v.dtype == np.float64 and g.dtype == np.float64 and g.shape == (7, 2)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(list(ATTACKS.values())), st.sampled_from(VALID), st.sampled_from(["", " + ", "*", " "]))
def test_an_attack_hidden_inside_a_valid_formula_is_refused(attack, valid, glue):
    land, err, _ = build(valid + glue + attack)
    if land is not None:  # e.g. valid + "" + "2x..." may still be refused; a parse means it was harmless
        assert "__" not in (valid + glue + attack) and "import" not in (valid + glue + attack)
    else:
        clear_message(err)


# --------------------------------------------------------------------------- #
# 2. The pages                                                                  #
# --------------------------------------------------------------------------- #
PAGE_ATTACKS = ["import via __import__", "popen via subclasses", "called lambda", "list comprehension", "walrus",
                "f-string", "power tower", "huge symbolic exponent", "deep parentheses within limit chars",
                "long sum within chars", "cyrillic x", "nfkc dunder", "call on call", "bytes", "starred call",
                "undefined gradient", "zero over zero", "empty"]




def open_page(page_file, **params):
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(APP, default_timeout=90)
    for k, v in params.items():
        at.query_params[k] = v
    at.switch_page(page_file)
    at.run()
    return at


def figure(at, key):
    from tests.helpers import chart_spec
    return chart_spec(at, key)


def messages(at):
    return [shown(e.value) for e in at.error] + [shown(w.value) for w in at.warning]


@pytest.fixture(scope="module")
def race_custom():
    at = open_page("app_pages/race.py", land="custom", expr="x**2 + y**2")
    assert not at.exception, at.exception
    return at


def test_typing_attacks_into_the_race_formula_box(race_custom):
    at = race_custom
    box = at.text_input(key="race_expr")
    for name in PAGE_ATTACKS:
        text = ATTACKS[name]
        box = at.text_input(key="race_expr")
        box.input(text)
        t0 = time.perf_counter()
        at.run()
        assert time.perf_counter() - t0 < WALL_LIMIT, name
        assert not at.exception, (name, at.exception)
        assert at.text_input(key="race_expr").value == text, f"{name}: the typed text was lost"
        errs = [shown(e.value) for e in at.error]
        assert len(errs) == 1, (name, errs)
        first = errs[0].split("\n\n")[0]
        clear_message(first)
        assert "last valid formula: “x**2 + y**2”" in errs[0], (name, errs[0])
        # The chart still shows the last valid formula, with its paths, and the link keeps it too.
        spec = figure(at, "race_chart")
        assert spec["data"] and spec["player_runs"]
        assert at.query_params.get("expr", "x**2 + y**2") == "x**2 + y**2"
    # ... and a valid formula is accepted again afterwards.
    at.text_input(key="race_expr").input("x**2 + 2*y**2").run()
    assert not at.exception and not at.error
    assert at.query_params["expr"] == "x**2 + 2*y**2"


@pytest.mark.parametrize("name", ["import via __import__", "popen via subclasses", "f-string", "power tower",
                                  "cyrillic x", "long name"])
def test_attack_in_the_race_link(name):
    text = ATTACKS[name]
    at = open_page("app_pages/race.py", land="custom", expr=text)
    assert not at.exception, at.exception
    msgs = messages(at)
    assert msgs, "no message for a rejected formula"
    if len(text) <= 500:
        # The formula box holds what the link said (nothing lost), with the error under it.
        assert at.text_input(key="race_expr").value == text
        assert any("last valid formula" in shown(e.value) for e in at.error), msgs
    else:
        assert any("expr = " in m and "longer than 500" in m for m in msgs), msgs
    assert figure(at, "race_chart")["player_runs"]


@pytest.mark.parametrize("page_file,key", [("app_pages/inspector.py", "insp_chart"), ("app_pages/compare.py", None)])
@pytest.mark.parametrize("name", ["import via __import__", "power tower"])
def test_attack_in_other_pages_links(page_file, key, name):
    if not (ROOT / page_file).exists() or f'"{page_file}"' not in (ROOT / "app.py").read_text():
        pytest.skip(f"{page_file} is not in the app")
    at = open_page(page_file, land="custom", expr=ATTACKS[name])
    assert not at.exception, at.exception
    assert messages(at), "no message for a rejected formula"
    if key:
        assert figure(at, key)["data"]
