"""Deployment settings (issue 15, part 3): .streamlit/config.toml, the environment overrides a deployment
uses, read-only shared arrays."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / ".streamlit" / "config.toml"


def test_config_hides_tracebacks_and_bounds_messages():
    cfg = tomllib.loads(CONFIG.read_text())
    assert cfg["client"]["showErrorDetails"] == "none"
    assert 10 <= cfg["server"]["maxMessageSize"] <= 100  # figures are ≤ ~3 MB; Streamlit's default is 200
    assert "serverAddress" not in cfg.get("browser", {}), "a deployment sets it through the environment"
    text = CONFIG.read_text()
    assert "STREAMLIT_SERVER_ALLOWED_HOSTS" in text and "STREAMLIT_BROWSER_SERVER_ADDRESS" in text


def test_the_documented_variables_are_the_ones_streamlit_reads():
    from streamlit import config
    config.get_config_options()
    opts = config._config_options
    assert opts["server.allowedHosts"].env_var == "STREAMLIT_SERVER_ALLOWED_HOSTS"
    assert opts["browser.serverAddress"].env_var == "STREAMLIT_BROWSER_SERVER_ADDRESS"


# --------------------------------------------------------------------------- #
# A live server with the repository's config and a deployment's environment      #
# --------------------------------------------------------------------------- #
FAILING = 'import streamlit as st\nst.title("boom")\nraise RuntimeError("secret detail 4711 from the server")\n'


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def deployed(tmp_path_factory):
    """`streamlit run` of a failing script in a folder with this repository's config, configured the way a
    deployment is: through STREAMLIT_* variables only."""
    folder = tmp_path_factory.mktemp("deployed")
    (folder / ".streamlit").mkdir()
    shutil.copy(CONFIG, folder / ".streamlit" / "config.toml")
    (folder / "app.py").write_text(FAILING)
    port = _free_port()
    env = {**os.environ, "STREAMLIT_SERVER_ALLOWED_HOSTS": "lab.example *.school.example",
           "STREAMLIT_BROWSER_SERVER_ADDRESS": "lab.example", "STREAMLIT_SERVER_PORT": str(port),
           "STREAMLIT_SERVER_ADDRESS": "127.0.0.1"}
    log = open(folder / "server.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py"], cwd=folder, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 60
    while True:
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).read() == b"ok":
                break
        except OSError:
            if time.time() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail("streamlit did not become healthy: " + (folder / "server.log").read_text()[-2000:])
            time.sleep(0.25)
    yield port, folder / "server.log"
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


def _session(port, host):
    """Open a websocket to 127.0.0.1:port sending ``Host: host``; run the script once; return the bytes."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from websockets.sync.client import connect

    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    with connect(f"ws://{host}:{port}/_stcore/stream", sock=sock, subprotocols=["streamlit"],
                 open_timeout=10, max_size=2**26) as ws:
        msg = BackMsg()
        msg.rerun_script.query_string = ""
        ws.send(msg.SerializeToString())
        received, exceptions = [], []
        deadline = time.time() + 60
        while time.time() < deadline:
            raw = ws.recv(timeout=60)
            received.append(raw)
            fwd = ForwardMsg()
            fwd.ParseFromString(raw)
            kind = fwd.WhichOneof("type")
            if kind == "delta" and fwd.delta.WhichOneof("type") == "new_element" \
                    and fwd.delta.new_element.WhichOneof("type") == "exception":
                exceptions.append(fwd.delta.new_element.exception)
            if kind == "script_finished":
                return b"".join(received), exceptions
    raise AssertionError("the script run did not finish")


def test_students_see_no_traceback_and_the_server_logs_it(deployed):
    port, log = deployed
    data, exceptions = _session(port, "lab.example")
    assert exceptions, "the failing script produced no exception element"
    for secret in (b"secret detail 4711", b"RuntimeError", b"raise ", b"Traceback", b"line 3"):
        assert secret not in data, (secret, data[data.find(secret) - 200:data.find(secret) + 100])
    assert all(not e.stack_trace for e in exceptions)
    deadline = time.time() + 10
    while b"secret detail 4711" not in log.read_bytes() and time.time() < deadline:
        time.sleep(0.2)
    text = log.read_text()
    assert "Uncaught app execution" in text and "RuntimeError: secret detail 4711" in text and "Traceback" in text


def test_allowed_hosts_from_the_environment_are_enforced(deployed):
    from websockets.exceptions import InvalidStatus
    port, _ = deployed
    _session(port, "room12.school.example")  # matches *.school.example
    with pytest.raises(InvalidStatus):
        _session(port, "evil.example")


def test_server_address_from_the_environment_is_used(deployed):
    port, log = deployed
    assert f"http://lab.example:{port}" in log.read_text()


# --------------------------------------------------------------------------- #
# Shared arrays are read-only                                                  #
# --------------------------------------------------------------------------- #
def test_read_only_freezes_every_array_of_a_landscape():
    import landscapes
    from landscapes.base import read_only
    land = read_only(landscapes.get("regression"))
    arrays = [v for v in vars(land).values() if isinstance(v, np.ndarray)]
    arrays += [a for v in vars(land).values() if isinstance(v, tuple) for a in v if isinstance(a, np.ndarray)]
    assert len(arrays) >= 5 and not any(a.flags.writeable for a in arrays)
    with pytest.raises(ValueError, match="read-only"):
        land.start[0] = 99.0
    with pytest.raises(ValueError, match="read-only"):
        land.X[0, 0] = 99.0
    # …and it still works as a landscape
    import optimizers
    traj = optimizers.run(optimizers.get("adam", learning_rate=0.1), land, steps=5)
    assert np.all(np.isfinite(traj.loss))


def test_the_pages_share_read_only_landscapes():
    import streamlit as st
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_string(
        "import numpy as np\n"
        "from ui.landscape_picker import get_land\n"
        "land = get_land('himmelblau', None)\n"
        "custom = get_land('custom', 'x**2 + y**2')\n"
        "ok = [a.flags.writeable for l in (land, custom) for a in (l.start, l.minima, l.saddles)]\n"
        "import streamlit as st\n"
        "st.session_state['writeable'] = ok\n"
        "st.session_state['same'] = get_land('himmelblau', None) is land\n", default_timeout=60)
    st.cache_resource.clear()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["writeable"] == [False] * 6 and at.session_state["same"]
