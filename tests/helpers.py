"""Small helpers shared by the chart and page tests."""
import base64
import re

import numpy as np


def optimizer_steps(name, grads, w0, flavor="keras", **kw):
    """Feed ``grads`` one by one to a fresh ``name`` optimizer from ``w0``: (the point after each step, final state)."""
    import optimizers
    opt = optimizers.get(name, flavor=flavor, **kw)
    w = np.asarray(w0, dtype=np.float64)
    s = opt.init(w)
    out = []
    for g in grads:
        w, s = opt.update(np.asarray(g, dtype=np.float64), s, w)
        out.append(w)
    return out, s


def updates_without_mutation(opt, Gs, state, P):
    """Apply ``opt.update`` for each gradient in ``Gs``, asserting after every call that it changed none of its
    inputs (point, gradient, every slot array): ``update`` is pure. Returns the final (point, state)."""
    for G in Gs:
        P_copy, G_copy = P.copy(), G.copy()
        slot_copy = {k: np.array(v, copy=True) for k, v in state.slots.items()}
        P_next, state_next = opt.update(G, state, P)
        np.testing.assert_array_equal(P, P_copy)
        np.testing.assert_array_equal(G, G_copy)
        for k, v in state.slots.items():
            np.testing.assert_array_equal(v, slot_copy[k])
        P, state = P_next, state_next
    return P, state


def decode(v, dtype=None):
    """A trace array from figure JSON as NumPy: Plotly's typed array ``{"dtype", "bdata"[, "shape"]}``
    or a plain list; cast to ``dtype`` when given (``float`` turns JSON nulls into NaN)."""
    if isinstance(v, dict) and "bdata" in v:
        a = np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]).newbyteorder("<"))
        if "shape" in v:
            a = a.reshape([int(s) for s in v["shape"].split(",")])
        return a if dtype is None else a.astype(dtype)
    return np.asarray(v, dtype=dtype)


def shown(markdown: str) -> str:
    """What a reader sees of a Markdown message: backslash escapes (ui.text.literal) removed."""
    import re
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown).replace("\u200b", "")


def wait_idle(page, timeout: int = 60_000) -> None:
    """Browser tests: wait until Streamlit says the script run is over (a state, never a fixed time)."""
    page.wait_for_function(
        "() => { const a = document.querySelector('[data-testid=stApp]');"
        " return a && a.getAttribute('data-test-script-state') === 'notRunning'; }", timeout=timeout)


def open_offline(browser, path):
    """Open an exported HTML file in a fresh 1440x900 browser context that refuses every request other than the
    file itself and data: URLs (the export must work offline). Returns (page, the URLs that were refused)."""
    ctx = browser.new_context(viewport={"width": 1440, "height": 900})
    refused = []
    ctx.route("**/*", lambda route: (refused.append(route.request.url), route.abort())
              if not route.request.url.startswith(("file:", "data:")) else route.continue_())
    page = ctx.new_page()
    page.goto(path.as_uri())
    return page, refused


def open_app_page(page_file: str, timeout: int = 120, **params):
    """A fresh AppTest session of the whole app (through app.py) opened on ``page_file`` with URL ``params``;
    fails on any exception."""
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=timeout)
    for k, v in params.items():
        at.query_params[k] = v
    at.switch_page(page_file)
    at.run()
    assert not at.exception, at.exception
    return at


# The figures drawn by the player (ui/player.py): the race's, and the moons page's maps and loss curves.
PLAYER_FIGURES = {"race_chart": "map", "race_chart3d": "map", "race_loss": "loss",
                  "moons_boundary_chart": "map", "moons_loss_chart": "loss"}


def player_spec(at, component: str = "ui.player.race_player") -> dict | None:
    """The dict the race player component receives (charts.player.player_spec), or None if it is not drawn."""
    import json

    found = [c for c in at.get("component_instance") if c.proto.component_name == component]
    return json.loads(player_spec_json(found[0])) if found else None


def player_spec_json(component) -> str:
    """The JSON text of a player component's spec: sent as a bytes argument (ui.player.encoded)."""
    (data,) = [a.bytes for a in component.proto.special_args if a.key == "spec"]
    return data.decode("utf-8")


def chart_spec(at, key) -> dict:
    """The figure JSON Streamlit sends for the plotly chart with widget ``key``.

    ``race_chart`` and ``race_loss`` (the race's map and loss chart) are drawn by the race player: their
    figures come from its spec, with every run's per-step positions and losses under ``player_runs``."""
    import json

    found = [c for c in at.get("plotly_chart") if c.key == key]
    if not found and key in PLAYER_FIGURES:
        spec = player_spec(at)
        assert spec is not None, "no player drawn"
        return {**spec[PLAYER_FIGURES[key]], "player_runs": spec["runs"], "player_steps": spec["steps"]}
    assert found, [c.key for c in at.get("plotly_chart")]
    return json.loads(found[0].proto.spec)


# The race player (ui/player.py) draws in its own frame: its URL, and "its JS says it is ready", read from the page.
PLAYER_URL = re.compile(r"/component/ui\.player\.race_player/")
PLAYER_READY = """() => { const f = document.querySelector('iframe[title="ui.player.race_player"]');
    const w = f && f.contentWindow; return !!(w && w.__descentPlayer && w.__descentPlayer.ready); }"""


def open_editors(at, key: str = "race_editors"):
    """Open a page's closed optimizer box (``st.expander(key=..., on_change="rerun")``: the editors are built only
    while it is open) and rerun; returns ``at``."""
    at.session_state[key] = True
    at.run()
    assert not at.exception, at.exception
    return at


def lr_runs(steps: int, rates=(0.01, 0.1, 0.5, 1.1)):
    """The learning-rate page's runs (``charts.regression.LRRun``) of plain gradient descent on the Kerasy
    regression, one per rate, ``steps`` epochs (full batch: one step an epoch); returns (runs, landscape)."""
    import landscapes
    import optimizers
    from charts import regression as rc

    land = landscapes.get("regression")
    runs = []
    for lr in rates:
        t = optimizers.run(optimizers.get("GradientDescent", learning_rate=lr), land, steps=steps, record="path")
        p = t.path()
        runs.append(rc.LRRun(lr, p, p, t.loss[:len(p)], t.diverged_at, steps))
    return runs, land
