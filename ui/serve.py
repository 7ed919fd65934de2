"""Start the app the way a deployment does: ``python -m ui.serve [streamlit run options]``.

It is ``streamlit run app.py`` in a process that has first imported everything the pages import (scikit-learn for
the moons data, SymPy for typed formulas, Plotly and its validators, the engine, ...), like a WSGI server's
``--preload``. Streamlit runs ``app.py`` only when the first session arrives, so without this the first class after
a restart waits for about 3-5 CPU-seconds of imports in that first script run, while every other session of the
class queues behind it on the same interpreter (load/results.md). The server answers its health check only once
this is done, so the proxy (and the load test) send no student to it before.

The list is written out (no dynamic imports in app code); tests/test_serving.py checks that it covers every import
statement of ``app.py`` and ``app_pages/*.py`` and that a first session imports no library after it. Nothing is
computed here (computing the presets is ``ui/warm.py``'s job).
"""
from __future__ import annotations

import gc
import logging
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"
_LOG = logging.getLogger("descent_lab.serve")


def _import_app() -> None:
    """Every module app.py and the pages import, then what their first script run still imported lazily: engine
    parts, the favicon's image plugins, the tables' Arrow conversion, Streamlit's icon names and magic."""
    import numpy  # noqa: F401  (imported for their side effect: loaded once, before the first session)
    import plotly.graph_objects  # noqa: F401
    import sklearn.datasets  # noqa: F401
    import sympy  # noqa: F401
    import charts.common, charts.compare, charts.moons, charts.player, charts.race, charts.regression  # noqa: F401,E401
    import charts.inspector, charts.surface3d, charts.theory  # noqa: F401,E401
    import landscapes, landscapes.moons  # noqa: F401,E401
    import optimizers, optimizers.budget, optimizers.overlays, optimizers.weight_plane  # noqa: F401,E401
    import optimizers.momentum_phase, optimizers.sharpness  # noqa: F401,E401
    import ui.blocks, ui.budget, ui.compute, ui.controls, ui.landscape_picker, ui.lineups  # noqa: F401,E401
    import ui.maths_content, ui.moons_run, ui.page_state, ui.player, ui.presets, ui.regression_run  # noqa: F401,E401
    import ui.settings, ui.showcase, ui.slots, ui.text, ui.theory, ui.theory_content, ui.warm  # noqa: F401,E401
    import PIL.Image, PIL.PngImagePlugin, PIL.BmpImagePlugin, PIL.GifImagePlugin  # noqa: F401,E401
    import PIL.JpegImagePlugin, PIL.PpmImagePlugin  # noqa: F401,E401
    import pyarrow.pandas_compat, pyarrow.vendored.version  # noqa: F401,E401
    import narwhals._interchange.dataframe, packaging.tags, plotly.graph_objs._frame  # noqa: F401,E401
    import streamlit.material_icon_names, streamlit.runtime.scriptrunner.magic_funcs  # noqa: F401,E401
    import streamlit.components.v1.component_arrow, streamlit.components.v2.manifest_scanner  # noqa: F401,E401


def _plotly_validators() -> None:
    """Plotly loads a validator per property the first time a figure sets it: build and serialise one small
    figure of each trace type the charts draw, so the first real figure does not pay for the common ones."""
    import plotly.graph_objects as go
    import plotly.graph_objs as gos
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
    for package in (gos.layout, gos.layout.annotation, gos.layout.title, gos.layout.slider, gos.layout.updatemenu,
                    gos.scatter):
        for name in getattr(package, "__all__", ()):  # the layout's classes (annotations, shapes, fonts, ...)
            getattr(package, name)


def preload() -> dict:
    """Import the app's modules and warm Plotly's validators; returns {"failed": [...], "cpu_s": t}. A failure is
    logged, never raised: the server still starts, and the page that needs the module says why when it runs."""
    t0 = time.process_time()
    failed = []
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    quiet = logging.getLogger("streamlit.runtime.caching.cache_data_api")  # "No runtime found": true, and harmless
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # (a cache is bound to the runtime's storage when it is first called, not here)
    for step in (_import_app, _plotly_validators):
        try:
            step()
        except Exception as exc:
            failed.append(f"{step.__name__}: {type(exc).__name__}: {exc}")
            _LOG.warning("preload: %s failed: %s", step.__name__, exc)
    quiet.setLevel(level)
    return {"failed": failed, "cpu_s": round(time.process_time() - t0, 2)}


def main(argv: list[str]) -> None:
    done = preload()
    print(f"Descent Lab: imported the app's libraries in {done['cpu_s']} CPU-s before serving"
          + (f"; failed: {done['failed']}" if done["failed"] else ""), flush=True)
    # What was just imported lives as long as the server: move it out of the garbage collector's way. A full
    # collection walked those ~210,000 objects with the GIL held: 7 of them took 1.29 of 8.25 CPU-s while 30
    # sessions opened the race, 0.53 of 6.78 after the freeze (load/results.md, session 5).
    gc.freeze()
    from streamlit.web import cli
    cli.main(args=["run", str(APP), *argv], prog_name="streamlit")


if __name__ == "__main__":
    main(sys.argv[1:])
