"""The engine never imports upward: optimizers/ and landscapes/ use no Streamlit or Plotly,
and charts/ uses neither Streamlit nor the engine (charts only draw results)."""
import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {"optimizers": {"streamlit", "plotly", "ui", "charts", "app_pages"},
             "landscapes": {"streamlit", "plotly", "ui", "charts", "app_pages"},
             "charts": {"streamlit", "ui", "app_pages", "optimizers", "landscapes"}}


def imported_modules(path: Path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split(".")[0], node.lineno
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0], node.lineno


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_upward_imports(package):
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"{package}/ has no Python files"
    bad = [f"{f.relative_to(ROOT)}:{line} imports {mod}" for f in files
           for mod, line in imported_modules(f) if mod in FORBIDDEN[package]]
    assert not bad, "\n".join(bad)


def test_importing_the_engine_loads_no_ui_library():
    code = ("import sys, optimizers, landscapes; "
            "bad = [m for m in ('streamlit', 'plotly') if m in sys.modules]; print(bad); sys.exit(bool(bad))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
