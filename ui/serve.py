"""Start the app the way a deployment does: ``python -m ui.serve [streamlit run options]``.

It is ``streamlit run app.py`` in a process that has first imported everything the pages import (scikit-learn for
the moons data, SymPy for typed formulas, Plotly and its validators, the engine, ...), like a WSGI server's
``--preload``. Streamlit runs ``app.py`` only when the first session arrives, so without this the first class after
a restart waits for about 3-5 CPU-seconds of imports in that first script run, while every other session of the
class queues behind it on the same interpreter (load/results.md). The server answers its health check only once
this is done, so the proxy (and the load test) send no student to it before.

The module list is read from the import statements of ``app.py`` and ``app_pages/*.py`` (top level, as written), so
it follows the pages; nothing is computed here (computing the presets is ``ui/warm.py``'s job).
"""
from __future__ import annotations

import ast
import importlib
import logging
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"
_LOG = logging.getLogger("descent_lab.serve")


def page_modules() -> list[str]:
    """Every module ``app.py`` and the pages import at their top level (first-party and third-party), in order."""
    seen: dict[str, None] = {}
    for path in [APP, *sorted((ROOT / "app_pages").glob("*.py"))]:
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                if name != "__future__":
                    seen.setdefault(name, None)
    return list(seen)


def _plotly_validators() -> None:
    """Plotly loads a validator per property the first time a figure sets it: build and serialise one small
    figure of each trace type the charts draw, so the first real figure does not pay for the common ones."""
    import plotly.graph_objects as go
    import plotly.io as pio

    fig = go.Figure([go.Scatter(x=[0, 1], y=[0, 1], mode="lines+markers", name="a"),
                     go.Heatmap(z=[[0, 1], [1, 0]], showscale=False), go.Contour(z=[[0, 1], [1, 0]]),
                     go.Surface(z=[[0, 1], [1, 0]])])
    fig.update_layout(title="t", xaxis={"title": "x"}, yaxis={"title": "y", "type": "log"}, showlegend=True,
                      legend={"orientation": "h"}, margin={"t": 10}, height=300,
                      sliders=[{"steps": [{"label": "0", "method": "animate", "args": [["0"]]}]}],
                      updatemenus=[{"type": "buttons", "buttons": [{"label": "Play", "method": "animate",
                                                                     "args": [None]}]}])
    pio.to_json(fig, validate=True)


def preload() -> dict:
    """Import the pages' modules and warm Plotly's validators; returns {"modules": n, "failed": [...], "cpu_s": t}.
    A module that fails to import is logged and skipped: the page that needs it will say why when it runs."""
    t0 = time.process_time()
    failed = []
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    modules = page_modules()
    quiet = logging.getLogger("streamlit.runtime.caching.cache_data_api")  # "No runtime found": true, and harmless
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # (a cache is bound to the runtime's storage when it is first called, not here)
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception as exc:  # never stop the server from starting
            failed.append(f"{name}: {type(exc).__name__}: {exc}")
            _LOG.warning("preload: importing %s failed: %s", name, exc)
    quiet.setLevel(level)
    try:
        _plotly_validators()
    except Exception as exc:
        failed.append(f"plotly validators: {type(exc).__name__}: {exc}")
    return {"modules": len(modules), "failed": failed, "cpu_s": round(time.process_time() - t0, 2)}


def main(argv: list[str]) -> None:
    done = preload()
    print(f"Descent Lab: imported {done['modules']} modules in {done['cpu_s']} CPU-s before serving"
          + (f"; failed: {done['failed']}" if done["failed"] else ""), flush=True)
    from streamlit.web import cli
    cli.main(args=["run", str(APP), *argv], prog_name="streamlit")


if __name__ == "__main__":
    main(sys.argv[1:])
