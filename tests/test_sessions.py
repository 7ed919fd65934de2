"""Sessions: no state leaks between users, and a link reproduces its trajectories bit for bit.

- Two AppTest sessions with different settings, interleaved and edited, never see each other's
  widgets, session state, URL or figures.
- Cached results are equal but independent: st.cache_data hands every caller its own copy (mutating
  one session's result cannot change another's), and the objects the pages share through
  st.cache_resource (landscapes) are never modified by a page run.
- The same link, computed twice from scratch (caches cleared), and in a separate process with another
  hash seed, gives identical trajectory traces (figure JSON compared byte for byte).
- In a real server, two concurrent websocket sessions on different links each get their own page.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import copy
import functools
import gc
import hashlib
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import numpy as np
import pytest

import landscapes
from tests.helpers import open_editors, shown

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")


def registered(page_file):
    return (ROOT / page_file).exists() and f'"{page_file}"' in (ROOT / "app.py").read_text()




def open_page(page_file, **params):
    from streamlit.testing.v1 import AppTest
    if not registered(page_file):
        pytest.skip(f"{page_file} is not in the app yet")
    at = AppTest.from_file(APP, default_timeout=120)
    for k, v in params.items():
        at.query_params[k] = v
    at.switch_page(page_file)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def spec(at, key):
    from tests.helpers import chart_spec
    return chart_spec(at, key)


def traces(at, key):
    """The trajectory traces (data and frames) of a figure, as canonical JSON text."""
    s = spec(at, key)
    return json.dumps({"data": s.get("data"), "frames": s.get("frames"), "runs": s.get("player_runs")}, sort_keys=True)


# --------------------------------------------------------------------------- #
# Isolation                                                                    #
# --------------------------------------------------------------------------- #
def test_two_race_sessions_never_see_each_other():
    a = open_page("app_pages/race.py", land="himmelblau", steps="200", o1="Adam;learning_rate=0.05")
    b = open_page("app_pages/race.py", land="saddle", steps="120", noise="0.3", seed="5",
                  o1="SGD;learning_rate=0.01;momentum=0.9", o2="Lion;learning_rate=0.01")
    a_url, b_url = dict(a.query_params), dict(b.query_params)
    a_fig, b_fig = traces(a, "race_chart"), traces(b, "race_chart")
    assert a_url["land"] == "himmelblau" and b_url["land"] == "saddle"

    # Edit session A in several ways; B is rerun in between and after.
    a.number_input(key="race_steps").set_value(400).run()
    b.run()
    a.selectbox(key="race_land").set_value("booth").run()
    open_editors(a)
    a.button(key="race_add").click().run()
    b.run()
    assert not a.exception and not b.exception

    assert dict(b.query_params) == b_url
    assert traces(b, "race_chart") == b_fig
    assert b.selectbox(key="race_land").value == "saddle"
    assert b.number_input(key="race_steps").value == 120
    assert len(b.session_state["race_slots"]) == 2
    # A really changed (so the comparison above means something).
    assert a.query_params["land"] == "booth" and a.query_params["steps"] == "400"
    assert len(a.session_state["race_slots"]) == 2 and traces(a, "race_chart") != a_fig


def test_sessions_on_different_pages_share_no_user_state():
    a = open_page("app_pages/learning_rate.py", lrs="0.05,1.2", epochs="30")
    b = open_page("app_pages/learning_rate.py")
    a.text_input(key="lr_lrs").input("0.2").run()
    b.run()
    assert b.text_input(key="lr_lrs").value == "0.01, 0.1, 0.5"
    assert [r["lr"] for r in b.session_state["lr_runs"]] == [0.01, 0.1, 0.5]
    assert [r["lr"] for r in a.session_state["lr_runs"]] == [0.2]
    assert a.query_params["lrs"] == "0.2" and b.query_params.get("lrs", "0.01,0.1,0.5") == "0.01,0.1,0.5"


def _landscape_fingerprints():
    """Every live Landscape object (the ones st.cache_resource shares between sessions included)."""
    out = {}
    for obj in gc.get_objects():
        if isinstance(obj, landscapes.Landscape):
            attrs = {k: (np.array(v, copy=True) if isinstance(v, np.ndarray) else copy.deepcopy(v))
                     for k, v in vars(obj).items() if not callable(v) and not k.startswith("_")
                     and k not in ("sympy_expr", "sympy_grad")}
            out[id(obj)] = (obj, attrs)
    return out


def _same(a, b):
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


def test_shared_landscapes_are_never_modified_by_a_session():
    # Fill the shared caches, snapshot every landscape, then drive sessions that click, move starts,
    # switch landscapes and inspect steps; the shared objects must be exactly as they were.
    first = open_page("app_pages/race.py", land="rosenbrock")
    open_page("app_pages/race.py", land="custom", expr="x**2 + 2*y**2")
    if registered("app_pages/inspector.py"):
        open_page("app_pages/inspector.py", land="rosenbrock", k="3")
    before = _landscape_fingerprints()
    assert before
    at = open_page("app_pages/race.py", land="rosenbrock", start="0.5,0.5")
    at.session_state["race_player"] = {"pick": [1.5, -0.5], "n": 1}
    at.run()
    first.number_input(key="race_sx_rosenbrock").set_value(-1.0).run()
    open_page("app_pages/race.py", land="custom", expr="x**2 + 2*y**2", start="1,1", steps="50")
    if registered("app_pages/inspector.py"):
        insp = open_page("app_pages/inspector.py", land="rosenbrock", start="0,0", k="2", cmp="1")
        insp.button(key="insp_next").click().run()
    if registered("app_pages/compare.py"):
        open_page("app_pages/compare.py", land="rosenbrock", view="fair", steps="50")
    after = _landscape_fingerprints()
    changed = [type(obj).__name__ for i, (obj, attrs) in before.items()
               if i in after and not _same(attrs, after[i][1])]
    assert not changed, f"a session modified shared landscape objects: {changed}"


def test_cache_data_returns_independent_copies_of_engine_results():
    """st.cache_data semantics the pages rely on: each call returns its own copy of the arrays."""
    from streamlit.testing.v1 import AppTest

    def script():
        import numpy as np
        import streamlit as st

        import landscapes
        import optimizers

        @st.cache_data(max_entries=4)
        def run(lr):
            t = optimizers.run(optimizers.get("Adam", learning_rate=lr), landscapes.get("rosenbrock"), steps=50,
                               record="path")
            return t.params, t.loss

        params, loss = run(0.05)
        st.session_state.setdefault("first_sum", float(params.sum()))
        if st.session_state.get("vandal"):
            params[:] = np.nan  # one session scribbles over its result in place
            loss[:] = -1.0
        st.session_state["sum"] = float(np.nansum(params))
        st.session_state["finite"] = bool(np.all(np.isfinite(params)))

    a = AppTest.from_function(script, default_timeout=60)
    a.session_state["vandal"] = True
    a.run()
    b = AppTest.from_function(script, default_timeout=60).run()
    assert not a.exception and not b.exception
    assert a.session_state["finite"] is False
    assert b.session_state["finite"] is True and b.session_state["sum"] == b.session_state["first_sum"]
    a.run()  # even the vandal gets a clean copy on its next run
    assert a.session_state["first_sum"] == b.session_state["first_sum"]


# --------------------------------------------------------------------------- #
# Reproducibility                                                              #
# --------------------------------------------------------------------------- #
SEEDED_RACE = dict(land="rosenbrock", steps="300", noise="0.5", seed="7", o1="Adam;learning_rate=0.05",
                   o2="SGD;learning_rate=0.001;momentum=0.9", o3="Lion;learning_rate=0.01",
                   sched="CosineDecay", sched_steps="100", clip="clipnorm", clipv="5")


def fresh(page_file, **params):
    import streamlit as st
    st.cache_data.clear()
    st.cache_resource.clear()
    return open_page(page_file, **params)


def test_same_race_link_same_trajectories_bit_for_bit():
    a = fresh("app_pages/race.py", **SEEDED_RACE)
    b = fresh("app_pages/race.py", **SEEDED_RACE)
    assert traces(a, "race_chart") == traces(b, "race_chart")
    assert traces(a, "race_loss") == traces(b, "race_loss")
    # ... and the noise really is seeded: another seed gives other paths.
    c = fresh("app_pages/race.py", **{**SEEDED_RACE, "seed": "8"})
    assert traces(c, "race_chart") != traces(a, "race_chart")


@pytest.mark.parametrize("page_file,params,key", [
    ("app_pages/learning_rate.py", dict(lrs="0.05,0.5", epochs="20", mode="mini", bs="7", seed="3"), "lr_surface_chart"),
    ("app_pages/inspector.py", dict(land="himmelblau", noise="0.2", seed="11", k="7", o1="RMSprop;learning_rate=0.05"),
     "insp_eff"),
    ("app_pages/compare.py", dict(view="fair", steps="100", noise="0.1", seed="2"), "cmp_fair_chart"),
])
def test_same_link_same_result_on_other_pages(page_file, params, key):
    a = fresh(page_file, **params)
    b = fresh(page_file, **params)
    assert traces(a, key) == traces(b, key)


def test_same_moons_link_same_training():
    params = dict(epochs="3", samples="60", o1="Adam;learning_rate=0.01", o2="SGD;learning_rate=0.05", seed="4")
    a = fresh("app_pages/moons.py", **params)
    b = fresh("app_pages/moons.py", **params)
    keys = [c.key for c in a.get("plotly_chart")]
    assert keys
    for key in keys:
        assert traces(a, key) == traces(b, key), key


CHILD = r"""
import functools, hashlib, json, sys
from streamlit.components.v2 import manifest_scanner
manifest_scanner.scan_component_manifests = functools.cache(manifest_scanner.scan_component_manifests)
from streamlit.testing.v1 import AppTest
at = AppTest.from_file(sys.argv[1], default_timeout=120)
for k, v in json.loads(sys.argv[2]).items():
    at.query_params[k] = v
at.switch_page("app_pages/race.py")
at.run()
from tests.helpers import chart_spec
s = chart_spec(at, "race_chart")
print("DIGEST", hashlib.sha256(json.dumps({"data": s.get("data"), "frames": s.get("frames"), "runs": s.get("player_runs")},
                                          sort_keys=True).encode()).hexdigest())
"""


def test_same_link_same_trajectories_in_another_process():
    here = fresh("app_pages/race.py", **SEEDED_RACE)
    digest = hashlib.sha256(traces(here, "race_chart").encode()).hexdigest()
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", CHILD, APP, json.dumps(SEEDED_RACE)], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=300)
    lines = [line for line in out.stdout.splitlines() if line.startswith("DIGEST")]
    assert lines, out.stdout[-2000:] + out.stderr[-2000:]
    assert lines[-1].split()[1] == digest


# --------------------------------------------------------------------------- #
# Concurrent sessions in a real server                                          #
# --------------------------------------------------------------------------- #
def _ws_load():
    spec_ = importlib.util.spec_from_file_location("ws_load", ROOT / "load" / "ws_load.py")
    mod = importlib.util.module_from_spec(spec_)
    sys.modules["ws_load"] = mod  # its dataclasses look their module up while being defined
    spec_.loader.exec_module(mod)
    return mod


def test_concurrent_websocket_sessions_get_their_own_pages(app_url):
    """Sessions A and B on different links, interleaved in one server: each one's page, and the link it
    writes back, are its own (the threads of the script runners share the process)."""
    import websockets

    ws_load = _ws_load()
    host = urlsplit(app_url).netloc
    url = f"ws://{host}/_stcore/stream"
    ws_load.assert_loopback(url)
    links = {"A": "land=himmelblau&steps=150&o1=Adam%3Blearning_rate%3D0.05",
             "B": "land=saddle&steps=90&noise=0.2&seed=3&o1=SGD%3Blearning_rate%3D0.01"}

    async def one(name, rounds=3):
        seen = []
        async with websockets.connect(url, subprotocols=["streamlit"], max_size=2**28) as ws:
            qs = links[name]
            for _ in range(rounds):
                res, qs = await ws_load.script_run(ws, qs, "race", timeout=120)
                assert res.ok, (name, res.error)
                seen.append(dict(parse_qsl(qs)))
                await asyncio.sleep(0)
        return seen

    async def both():
        return await asyncio.gather(one("A"), one("B"), one("A"), one("B"))

    # In its own thread: after the browser tests, Playwright's sync API keeps an event loop running in
    # the main thread, where asyncio.run() refuses to start.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        a1, b1, a2, b2 = pool.submit(lambda: asyncio.run(asyncio.wait_for(both(), timeout=300))).result()
    for seen in (a1, a2):
        assert all(s.get("land") == "himmelblau" and s.get("steps") == "150" for s in seen), seen
    for seen in (b1, b2):
        assert all(s.get("land") == "saddle" and s.get("steps") == "90" and s.get("seed") == "3" for s in seen), seen


# --------------------------------------------------------------------------- #
# A second link opened in the same session (Home → preset → Home → preset)       #
# --------------------------------------------------------------------------- #
def follow(at, page_file, params):
    """What a click on st.page_link(page_file, query_params=params) does: a rerun on that page with that URL."""
    at.query_params.clear()
    at.query_params.update(params)
    at.switch_page(page_file)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


# page, link A, link B, a parameter that differs, marks
SECOND_LINKS = [
    pytest.param("app_pages/race.py", {"land": "himmelblau", "steps": "100"}, {"land": "saddle", "steps": "50"}, "land",
                 id="race"),
    pytest.param("app_pages/learning_rate.py", {"lrs": "0.01,0.1,0.5,1.1"}, {"lrs": "0.2,0.3"}, "lrs", id="learning_rate"),
    pytest.param("app_pages/inspector.py", {"land": "himmelblau", "k": "3"}, {"land": "saddle", "k": "5"}, "land",
                 id="inspector"),  # was a bug (a second link was ignored), fixed
    pytest.param("app_pages/compare.py", {"land": "six_hump_camel", "steps": "100"}, {"land": "booth", "steps": "50"}, "land",
                 id="compare"),  # was a bug (a second link was ignored), fixed
    pytest.param("app_pages/moons.py", {"epochs": "3", "samples": "50"}, {"epochs": "4", "samples": "60"}, "epochs",
                 id="moons"),
    pytest.param("app_pages/maths.py", {"opt": "Adam"}, {"opt": "Lion"}, "opt", id="maths"),
]


@pytest.mark.parametrize("page_file,link_a,link_b,key", SECOND_LINKS)
def test_a_second_link_in_the_same_session_applies_its_own_settings(page_file, link_a, link_b, key):
    from streamlit.testing.v1 import AppTest
    if not registered(page_file):
        pytest.skip(f"{page_file} is not in the app yet")
    at = AppTest.from_file(APP, default_timeout=120).run()
    follow(at, page_file, link_a)
    assert at.query_params.get(key) == link_a[key]  # control: the first link is applied
    follow(at, "app_pages/home.py", {})
    follow(at, page_file, link_b)
    assert at.query_params.get(key) == link_b[key], dict(at.query_params)
    assert not any("Ignored" in shown(w.value) for w in at.warning)


ROUND_TRIPS = [
    pytest.param("app_pages/race.py", {"land": "himmelblau", "steps": "100", "noise": "0.2"}, id="race"),
    pytest.param("app_pages/learning_rate.py", {"lrs": "0.2,0.3", "epochs": "50"}, id="learning_rate"),
    pytest.param("app_pages/inspector.py", {"land": "himmelblau", "k": "3", "steps": "50"}, id="inspector"),
    pytest.param("app_pages/compare.py", {"land": "himmelblau", "steps": "100"}, id="compare"),  # fixed in 8b1bc32
    pytest.param("app_pages/moons.py", {"epochs": "3", "samples": "50"}, id="moons"),
    pytest.param("app_pages/maths.py", {"opt": "Lion"}, id="maths"),  # was a bug: back through the sidebar showed Adam
]


@pytest.mark.parametrize("page_file,link", ROUND_TRIPS)
def test_a_visit_to_another_page_keeps_the_settings(page_file, link):
    from streamlit.testing.v1 import AppTest
    if not registered(page_file):
        pytest.skip(f"{page_file} is not in the app yet")
    at = AppTest.from_file(APP, default_timeout=120).run()
    follow(at, page_file, link)
    before = dict(at.query_params)
    follow(at, "app_pages/home.py", {})
    follow(at, page_file, {})  # the sidebar link: no query string
    assert dict(at.query_params) == before
