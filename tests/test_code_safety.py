"""No user text reaches a code executor: an AST scan of the repository's Python code.

Every Python file outside tests/ and tools/ is parsed (never imported) and every call is resolved to a
dotted name through the file's imports (``from sympy import sympify as s`` makes ``s(...)`` a call of
``sympy.sympify``). Calls of code executors and unrestricted parsers (eval, exec, compile, __import__,
sympify, parse_expr, lambdify, pickle/marshal loads, subprocess, os.system, ...) and imports of the
modules that provide them are findings. The only findings allowed in the app are:

- ``sympy.lambdify`` in ``landscapes/custom.py``, exactly twice, inside ``Custom.configure``, on
  ``_float_safe(<sympy tree>)`` where the tree came from ``parse_expression`` (the whitelist parser),
  with ``modules="numpy"``;
- ``importlib.import_module`` in ``landscapes/__init__.py`` on a value of the constant ``_LAZY_MODULES``.

Developer scripts (bench/, load/) may start processes (the load test starts ``streamlit run``); the
test proves they are not imported by the app (the import closure of app.py and app_pages/ is computed),
and lists their uses precisely.
"""
from __future__ import annotations

import ast
import builtins
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXCLUDED_DIRS = {"tests", "tools", ".git", ".venv", "venv", "node_modules", "__pycache__", "artifacts"}
APP_PACKAGES = ("optimizers", "landscapes", "charts", "ui", "app_pages")
DEV_DIRS = ("bench", "load")
BUILTIN_NAMES = set(dir(builtins))

# Fully qualified callables that execute or unpickle code, or parse text into executable objects.
DANGEROUS_CALLS = {
    "builtins.eval", "builtins.exec", "builtins.compile", "builtins.__import__", "builtins.breakpoint",
    "sympy.sympify", "sympy.core.sympify.sympify", "sympy.S", "sympy.core.singleton.S",
    "sympy.parse_expr", "sympy.parsing.sympy_parser.parse_expr", "sympy.parsing.parse_expr",
    "sympy.parsing.sympy_parser.eval_expr", "sympy.parsing.latex.parse_latex", "sympy.parsing.mathematica.parse_mathematica",
    "sympy.lambdify", "sympy.utilities.lambdify.lambdify", "sympy.utilities.lambdify",
    "pickle.loads", "pickle.load", "pickle.Unpickler", "marshal.loads", "marshal.load", "shelve.open",
    "dill.loads", "dill.load", "cloudpickle.loads", "joblib.load", "numpy.load", "pandas.read_pickle",
    "os.system", "os.popen", "os.execv", "os.execve", "os.execl", "os.execlp", "os.execvp", "os.spawnl",
    "os.spawnv", "os.posix_spawn", "os.posix_spawnp", "pty.spawn",
    "importlib.import_module", "importlib.__import__", "runpy.run_path", "runpy.run_module",
    "code.interact", "code.InteractiveInterpreter", "code.InteractiveConsole", "codeop.compile_command",
    "ctypes.CDLL", "ctypes.cdll.LoadLibrary",
    "yaml.load", "yaml.unsafe_load", "jsonpickle.decode",
}
DANGEROUS_PREFIXES = ("subprocess.", "multiprocessing.", "sympy.parsing.", "pickle.", "marshal.", "dill.",
                      "asyncio.create_subprocess")
# A method call with one of these names on an object the scan cannot resolve (``thing.eval(...)``) is a
# finding too: the scan does not know what ``thing`` is.
SUSPICIOUS_METHODS = {"eval", "exec", "sympify", "parse_expr", "lambdify", "compile", "loads", "system", "popen",
                      "import_module", "__import__", "run_path", "unsafe_load"}
# Imports that bring an executor into a file.
DANGEROUS_MODULES = {"pickle", "marshal", "shelve", "dill", "cloudpickle", "subprocess", "multiprocessing", "pty",
                     "runpy", "code", "codeop", "ctypes", "sympy.parsing", "sympy.parsing.sympy_parser", "jsonpickle"}
DANGEROUS_FROM_IMPORTS = {("sympy", "sympify"), ("sympy", "S"), ("sympy", "parse_expr"), ("sympy", "lambdify"),
                          ("sympy.core.sympify", "sympify"), ("os", "system"), ("os", "popen"), ("builtins", "eval"),
                          ("builtins", "exec"), ("builtins", "compile"), ("importlib", "import_module")}

# What the dev scripts (not part of the app) do; each (file, finding) pair with the reason.
DEV_WHITELIST = {
    ("load/ws_load.py", "import subprocess"): "starts `streamlit run app.py` on 127.0.0.1 for the load test",
    ("load/ws_load.py", "call subprocess.Popen"): "the same: a fixed argument list, no user text",
    ("load/ws_load.py", "call subprocess.run"): "`nginx -t` on the loopback proxy config it wrote: fixed arguments",
    ("bench/bench_budget.py", "call sympy.lambdify"): "times lambdify without and with cse=True on one constant "
                                                      "formula (a power tower) checked by parse_expression",
    ("bench/bench_moons.py", "import subprocess"): "runs the Keras reference in a separate Python",
    ("bench/bench_moons.py", "call subprocess.run"): "the same: fixed argument lists",
    ("bench/bench_moons.py", "method .compile"): "keras Model.compile (a Keras method, not the builtin)",
    ("bench/bench_moons.py", "call numpy.load"): "loads its own .npz written by the same script (allow_pickle off)",
    ("bench/bench_vectorized.py", "call builtins.__import__"): "__import__('os').cpu_count() with a constant name",
}


def python_files():
    out = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT)
        if rel.parts[0] in EXCLUDED_DIRS or any(p in EXCLUDED_DIRS or p.startswith(".") for p in rel.parts[:-1]):
            continue
        out.append(rel)
    return out


def module_name(rel: Path) -> str:
    parts = list(rel.with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


class Scanner(ast.NodeVisitor):
    """Resolve names through the imports of one file and collect findings (kind, dotted name, node)."""

    def __init__(self, rel: Path):
        self.rel = rel
        self.aliases: dict[str, str] = {}
        self.findings: list[tuple[str, ast.AST]] = []

    def resolve_relative(self, node: ast.ImportFrom) -> str:
        if not node.level:
            return node.module or ""
        base = module_name(self.rel).split(".")
        if self.rel.name != "__init__.py":
            base = base[:-1]
        base = base[:len(base) - (node.level - 1)] if node.level > 1 else base
        return ".".join(base + ([node.module] if node.module else []))

    def visit_Import(self, node):
        for a in node.names:
            if a.asname:
                self.aliases[a.asname] = a.name
            else:
                top = a.name.split(".")[0]
                self.aliases[top] = top
            if a.name in DANGEROUS_MODULES or a.name.split(".")[0] in DANGEROUS_MODULES:
                self.findings.append((f"import {a.name}", node))

    def visit_ImportFrom(self, node):
        mod = self.resolve_relative(node)
        for a in node.names:
            self.aliases[a.asname or a.name] = f"{mod}.{a.name}"
            if mod in DANGEROUS_MODULES or mod.split(".")[0] in DANGEROUS_MODULES or (mod, a.name) in DANGEROUS_FROM_IMPORTS:
                self.findings.append((f"from {mod} import {a.name}", node))

    def dotted(self, node) -> str | None:
        if isinstance(node, ast.Name):
            if node.id in self.aliases:
                return self.aliases[node.id]
            return f"builtins.{node.id}" if node.id in BUILTIN_NAMES else None
        if isinstance(node, ast.Attribute):
            base = self.dotted(node.value)
            return None if base is None else f"{base}.{node.attr}"
        return None


def scan(rel: Path):
    tree = ast.parse((ROOT / rel).read_text(encoding="utf-8"), filename=str(rel))
    s = Scanner(rel)
    # Imports first (anywhere in the file), so calls resolve through aliases defined later too.
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            s.visit_Import(node)
        elif isinstance(node, ast.ImportFrom):
            s.visit_ImportFrom(node)
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
    for node in calls:
        name = s.dotted(node.func)
        if name is not None:
            if name in DANGEROUS_CALLS or name.startswith(DANGEROUS_PREFIXES):
                s.findings.append((f"call {name}", node))
            elif name == "builtins.getattr" and node.args and s.dotted(node.args[0]) in ("builtins",):
                s.findings.append(("call getattr(builtins, ...)", node))
        elif isinstance(node.func, ast.Attribute) and node.func.attr in SUSPICIOUS_METHODS:
            s.findings.append((f"method .{node.func.attr}", node))
    return tree, s.findings


def enclosing_function(tree, target):
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(n is target for n in ast.walk(fn)):
            return fn
    return None


# --------------------------------------------------------------------------- #
# The app's own whitelist, checked node by node                                #
# --------------------------------------------------------------------------- #
def lambdify_is_on_validated_tree(tree, node) -> str:
    """'' if this lambdify call is the whitelisted one, else why not."""
    fn = enclosing_function(tree, node)
    if fn is None or fn.name != "configure":
        return "lambdify outside Custom.configure"
    parsed = [a for a in ast.walk(fn) if isinstance(a, ast.Assign) and isinstance(a.value, ast.Call)
              and isinstance(a.value.func, ast.Name) and a.value.func.id == "parse_expression"
              and [t.id for t in a.targets if isinstance(t, ast.Name)] == ["expr"]]
    if not parsed or parsed[0].lineno >= node.lineno:
        return "the tree is not the result of parse_expression assigned to `expr` before the call"
    if len(node.args) != 2 or not isinstance(node.args[0], ast.Tuple):
        return "unexpected lambdify arguments"
    if [getattr(e, "id", None) for e in node.args[0].elts] != ["X", "Y"]:
        return "lambdify symbols are not (X, Y)"
    arg = node.args[1]
    if not (isinstance(arg, ast.Call) and isinstance(arg.func, ast.Name) and arg.func.id == "_float_safe"
            and len(arg.args) == 1 and isinstance(arg.args[0], ast.Name) and arg.args[0].id in ("expr", "g")):
        return "lambdify is not called on _float_safe(expr) or _float_safe(g)"
    if arg.args[0].id == "g":  # g must iterate over the symbolic gradient of expr
        comps = [c for c in ast.walk(fn) if isinstance(c, ast.comprehension) and getattr(c.target, "id", None) == "g"]
        if not comps or getattr(comps[0].iter, "id", None) != "gradient":
            return "g is not taken from `gradient`"
        grads = [a for a in ast.walk(fn) if isinstance(a, ast.Assign)
                 and [getattr(t, "id", None) for t in a.targets] == ["gradient"]]
        if not grads or "sympy.diff(expr" not in ast.unparse(grads[0].value):
            return "`gradient` is not sympy.diff of expr"
    kw = {k.arg: k.value for k in node.keywords}
    if not (isinstance(kw.get("modules"), ast.Constant) and kw["modules"].value == "numpy"):
        return 'lambdify without modules="numpy"'
    return ""


def import_module_is_constant(tree, node) -> str:
    consts = [a for a in tree.body if isinstance(a, ast.Assign)
              and [getattr(t, "id", None) for t in a.targets] == ["_LAZY_MODULES"]]
    if not consts or not isinstance(consts[0].value, ast.Dict) or not all(
            isinstance(v, ast.Constant) and isinstance(v.value, str) for v in consts[0].value.values):
        return "_LAZY_MODULES is not a literal dict of module names"
    if len(node.args) != 1 or not (isinstance(node.args[0], ast.Subscript)
                                   and getattr(node.args[0].value, "id", None) == "_LAZY_MODULES"):
        return "import_module is not called on _LAZY_MODULES[...]"
    return ""


APP_WHITELIST = {
    ("landscapes/custom.py", "call sympy.lambdify"): lambdify_is_on_validated_tree,
    ("landscapes/__init__.py", "call importlib.import_module"): import_module_is_constant,
}


# --------------------------------------------------------------------------- #
# Import closure of the app                                                     #
# --------------------------------------------------------------------------- #
def repo_modules():
    return {module_name(rel): rel for rel in python_files()}


def imports_of(rel: Path, known: dict) -> set:
    tree = ast.parse((ROOT / rel).read_text(encoding="utf-8"))
    s = Scanner(rel)
    out = set()
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            mod = s.resolve_relative(node)
            names = [mod] + [f"{mod}.{a.name}" for a in node.names]
        for n in names:
            parts = n.split(".")
            for i in range(len(parts), 0, -1):  # the longest prefix that is a repo module, plus its packages
                cand = ".".join(parts[:i])
                if cand in known:
                    out.add(cand)
    # Lazily imported modules named in string constants (landscapes._LAZY_MODULES, st.Page("app_pages/x.py")).
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            v = node.value
            if v in known:
                out.add(v)
            elif v.endswith(".py") and module_name(Path(v)) in known:
                out.add(module_name(Path(v)))
    return out


def app_closure():
    known = repo_modules()
    todo = ["app"] + [m for m in known if m.startswith("app_pages.")]
    seen = set()
    while todo:
        m = todo.pop()
        if m in seen or m not in known:
            continue
        seen.add(m)
        # importing a.b.c runs a and a.b too
        parts = m.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))]
        todo += sorted(imports_of(known[m], known))
    return seen, known


# --------------------------------------------------------------------------- #
# Tests                                                                        #
# --------------------------------------------------------------------------- #
def all_findings():
    out = {}
    for rel in python_files():
        tree, found = scan(rel)
        if found:
            out[rel.as_posix()] = (tree, found)
    return out


def test_the_scan_covers_the_app():
    files = {p.as_posix() for p in python_files()}
    assert "app.py" in files and "landscapes/expression.py" in files and "landscapes/custom.py" in files
    for pkg in APP_PACKAGES:
        assert any(f.startswith(pkg + "/") for f in files), pkg
    assert not any(f.startswith(("tests/", "tools/")) for f in files)


def test_the_scanner_catches_every_spelling():
    """Negative control: the scanner must flag these (so a pass below means something)."""
    samples = {
        "eval(text)": "call builtins.eval",
        "exec(text)": "call builtins.exec",
        "compile(text, 'f', 'eval')": "call builtins.compile",
        "__import__('os')": "call builtins.__import__",
        "import sympy\nsympy.sympify(text)": "call sympy.sympify",
        "import sympy as sp\nsp.sympify(text)": "call sympy.sympify",
        "from sympy import sympify as s\ns(text)": "call sympy.sympify",
        "from sympy import S\nS(text)": "call sympy.S",
        "from sympy.parsing.sympy_parser import parse_expr\nparse_expr(text)": "call sympy.parsing.sympy_parser.parse_expr",
        "import sympy\nsympy.lambdify((x,), text)": "call sympy.lambdify",
        "import pickle\npickle.loads(data)": "call pickle.loads",
        "import subprocess\nsubprocess.run(cmd)": "call subprocess.run",
        "from subprocess import Popen as P\nP(cmd)": "call subprocess.Popen",
        "import os\nos.system(cmd)": "call os.system",
        "from os import system\nsystem(cmd)": "call os.system",
        "import importlib\nimportlib.import_module(name)": "call importlib.import_module",
        "thing.eval(text)": "method .eval",
        "df.query(x).eval(text)": "method .eval",
        "import builtins\nbuiltins.exec(text)": "call builtins.exec",
    }
    tmp = ROOT / "tests" / "_code_safety_sample.py"
    try:
        for src, expected in samples.items():
            tmp.write_text(src + "\n")
            _, found = scan(tmp.relative_to(ROOT))
            assert expected in [f for f, _ in found], (src, found)
        tmp.write_text("import re, json, ast\nre.compile('a')\njson.loads('1')\nast.parse('x', mode='eval')\n")
        _, found = scan(tmp.relative_to(ROOT))
        assert not found, found
    finally:
        tmp.unlink(missing_ok=True)


def test_no_executor_in_app_code_except_the_whitelisted_lambdify():
    closure, known = app_closure()
    problems = []
    for path, (tree, found) in all_findings().items():
        in_app = module_name(Path(path)) in closure or path.startswith(APP_PACKAGES) or path == "app.py"
        for what, node in found:
            where = f"{path}:{node.lineno}: {what}: {ast.unparse(node)[:100]}"
            check = APP_WHITELIST.get((path, what))
            if check is not None:
                why = check(tree, node)
                if why:
                    problems.append(f"{where} — {why}")
            elif in_app:
                problems.append(f"{where} — not allowed in app code")
            elif (path, what) not in DEV_WHITELIST:
                problems.append(f"{where} — a dev script use that is not listed in DEV_WHITELIST")
    assert not problems, "\n".join(problems)


def test_the_whitelisted_lambdify_is_exactly_the_two_calls_in_custom_configure():
    tree, found = scan(Path("landscapes/custom.py"))
    lambdify = [n for what, n in found if what == "call sympy.lambdify"]
    assert len(lambdify) == 2, [ast.unparse(n) for n in lambdify]
    assert all(lambdify_is_on_validated_tree(tree, n) == "" for n in lambdify)
    # ... and the validating parser itself only parses: ast.parse, never eval/compile/sympify.
    tree, found = scan(Path("landscapes/expression.py"))
    assert found == [], [(w, ast.unparse(n)) for w, n in found]
    src = (ROOT / "landscapes/expression.py").read_text()
    assert "ast.parse(source, mode=\"eval\")" in src  # parse only; mode="eval" is the grammar, nothing runs


def test_dev_scripts_are_not_part_of_the_app():
    closure, known = app_closure()
    assert "app" in closure and "landscapes.custom" in closure and "landscapes.expression" in closure
    dev = sorted(m for m in closure if m.split(".")[0] in DEV_DIRS + ("tests", "tools"))
    assert not dev, f"the app imports developer scripts: {dev}"


def test_pages_validate_formulas_before_building_a_custom_landscape():
    """A page (or the shared ui/ picker) that builds the custom landscape from typed text runs
    parse_expression on that text first (a clear message instead of an exception), and builds it only
    inside a (cached) function."""
    checked = 0
    for page in sorted((ROOT / "app_pages").glob("*.py")) + sorted((ROOT / "ui").glob("*.py")):
        src = page.read_text()
        tree = ast.parse(src)
        builds = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and "landscapes.get" in ast.unparse(n.func)
                  and any(k.arg == "expression" for k in n.keywords)]
        for n in builds:
            assert enclosing_function(tree, n) is not None, f"{page.name}:{n.lineno}: built outside a function"
        if builds:
            checked += 1
            assert "parse_expression(" in src, f"{page.name} builds custom landscapes but never validates the text"
    assert checked >= 1  # the shared landscape picker at least


# Words that name user-controlled values in the pages (URL params, typed text, widget values, labels).
USER_TEXT_WORDS = ("query_params", "session_state", "label", "expr", "text", "value", "params", "name", "raw",
                   "notice", "exc", "choice", "formula")


def module_constants(tree) -> set[str]:
    """Names a module assigns once, at its top level, an app-made string: a literal, or an f-string whose
    fields are only upper-case module constants (e.g. ``PRESENT_CSS = f"...{PRESENT_FONT_PX}px..."``)."""
    def app_made(v) -> bool:
        if isinstance(v, ast.Constant):
            return isinstance(v.value, str)
        if isinstance(v, ast.JoinedStr):
            return all(isinstance(f.value, ast.Name) and f.value.id.isupper()
                       for f in v.values if isinstance(f, ast.FormattedValue))
        return False
    assigned = [n for n in tree.body if isinstance(n, ast.Assign) and len(n.targets) == 1
                and isinstance(n.targets[0], ast.Name)]
    counts = {}
    for n in ast.walk(tree):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
            counts[n.id] = counts.get(n.id, 0) + 1
    return {n.targets[0].id for n in assigned
            if n.targets[0].id.isupper() and counts[n.targets[0].id] == 1 and app_made(n.value)}


def test_module_constants_are_only_app_made_strings():
    tree = ast.parse('A = "x"\nB = f"{A}px"\nC = f"{name}"\nD = "y"\nD = input()\nE = make()\n')
    assert module_constants(tree) == {"A", "B"}


def test_no_user_text_in_raw_html():
    """Markdown with unsafe_allow_html=True and st.html only interpolate app-made values (palette colours,
    slot numbers, module constants made of them), never text that came from a user or a link."""
    problems, seen = [], 0
    for rel in python_files():
        if rel.parts[0] not in APP_PACKAGES and rel.as_posix() != "app.py":
            continue
        tree = ast.parse((ROOT / rel).read_text(encoding="utf-8"))
        constants = module_constants(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            raw_html = any(k.arg == "unsafe_allow_html" and not (isinstance(k.value, ast.Constant)
                                                                 and k.value.value is False) for k in node.keywords)
            raw_html |= isinstance(node.func, ast.Attribute) and node.func.attr == "html"
            if not raw_html or not node.args:
                continue
            seen += 1
            for part in ast.walk(node.args[0]):
                if isinstance(part, ast.FormattedValue):
                    src = ast.unparse(part.value)
                    if any(w in src.lower() for w in USER_TEXT_WORDS):
                        problems.append(f"{rel}:{node.lineno}: raw HTML interpolates {src!r}")
                elif isinstance(part, ast.Name) and part is node.args[0] and part.id in constants:
                    continue  # an app-made module constant (checked by module_constants)
                elif isinstance(part, (ast.Name, ast.Call)) and part is node.args[0]:
                    problems.append(f"{rel}:{node.lineno}: raw HTML built elsewhere: {ast.unparse(part)[:60]!r}")
    assert seen >= 1
    assert not problems, "\n".join(problems)
