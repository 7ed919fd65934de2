"""Serving beyond one process (issue 15, part 4): deploy/nginx.conf (sticky sessions, websockets, health),
the loopback replica mode of load/ws_load.py, the cache warm-up at start (ui/warm.py), the lock file."""
from __future__ import annotations

import ast
import http.server
import importlib.util
import json
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
needs_nginx = pytest.mark.skipif(not Path(NGINX).exists(), reason="Debian's nginx is not installed")


@pytest.fixture(scope="module")
def ws_load():
    spec = importlib.util.spec_from_file_location("ws_load", ROOT / "load" / "ws_load.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["ws_load"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


# --------------------------------------------------------------------------- #
# The proxy configuration                                                      #
# --------------------------------------------------------------------------- #
def test_the_loopback_config_changes_only_the_marked_lines(ws_load, tmp_path):
    original = (ROOT / "deploy" / "nginx.conf").read_text().splitlines()
    rendered = ws_load.loopback_nginx_conf([9001, 9002, 9003], 8088, tmp_path).splitlines()
    kept = [line for line in original if "# loopback:" not in line]
    assert [line for line in rendered if line in kept] == kept  # every other line, in order
    assert [line.strip() for line in rendered if line.strip().startswith("server 127.0.0.1")] == \
        [f"server 127.0.0.1:{p} max_fails=3 fail_timeout=10s;" for p in (9001, 9002, 9003)]
    assert "listen 127.0.0.1:8088;" in [line.strip() for line in rendered]
    assert not any("app:8501" in line or "listen 8080" in line for line in rendered)
    assert all(str(tmp_path) in line for line in rendered if "temp_path" in line or line.startswith("pid"))


def test_the_proxy_config_has_what_a_class_needs():
    text = (ROOT / "deploy" / "nginx.conf").read_text()
    assert re.search(r"proxy_set_header Upgrade \$http_upgrade;", text)
    assert re.search(r"proxy_set_header Connection \$connection_upgrade;", text)
    # Sticky by a cookie naming the replica that answered; new browsers in turn (round robin shared by the
    # workers), never by a random or hashed route, which splits a class unevenly.
    assert "descentlab_route=$last" in text and "add_header Set-Cookie $route_cookie always;" in text
    assert "zone descent_lab" in text and not re.search(r"^\s*(hash|ip_hash|random)\b", text, re.M)
    # A cookie may name only a replica on the backend network's port 8501, the subnet compose.yaml fixes.
    accept = re.search(r'"~\^\(\?<addr>(.+)\)\$" \$addr;\s+# loopback: accept', text).group(1)
    subnet = re.search(r"subnet: (\d+\.\d+\.\d+)\.0/24", (ROOT / "compose.yaml").read_text()).group(1)
    assert accept == re.escape(subnet) + r"\.\d{1,3}:8501"
    assert re.fullmatch(accept, f"{subnet}.7:8501") and not re.fullmatch(accept, f"{subnet}.7:22")
    assert not re.fullmatch(accept, "169.254.169.254:8501") and not re.fullmatch(accept, "evil.example:8501")
    assert "location = /_stcore/health" in text and "max_fails=" in text
    assert re.search(r"proxy_read_timeout \d{4,}s;", text)  # a lesson-long websocket


@needs_nginx
@pytest.mark.parametrize("which", ["compose", "loopback"])
def test_nginx_accepts_the_config(which, ws_load, tmp_path):
    if which == "loopback":
        conf = ws_load.loopback_nginx_conf([9001, 9002], 8088, tmp_path)
    else:  # as in compose, where Docker's DNS resolves `app` to the replicas
        conf = (ROOT / "deploy" / "nginx.conf").read_text().replace("server app:8501", "server 127.0.0.1:8501")
        conf = re.sub(r"/tmp/nginx-(\w+)", lambda m: str(tmp_path / m.group(1)), conf).replace(
            "pid /tmp/nginx.pid", f"pid {tmp_path / 'nginx.pid'}")
    (tmp_path / "nginx.conf").write_text(conf)
    out = subprocess.run([NGINX, "-t", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path)],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_compose_and_dockerfile_wire_the_same_pieces():
    compose = (ROOT / "compose.yaml").read_text()
    docker = (ROOT / "Dockerfile").read_text()
    assert "./deploy/nginx.conf:/etc/nginx/nginx.conf" in compose and "replicas:" in compose
    assert "/_stcore/health" in compose and "internal: true" in compose and "service_healthy" in compose
    assert re.search(r"^FROM python:3\.11\.\d+-slim-bookworm", docker, re.M)  # pinned, no "latest"
    assert "--require-hashes" in docker and "requirements.lock" in docker
    assert re.search(r"^USER (?!root)\w+", docker, re.M)
    assert "HEALTHCHECK" in docker and "/_stcore/health" in docker and "ui.warm --kick" in docker


def test_the_lock_file_pins_every_runtime_dependency_with_hashes():
    lock = (ROOT / "requirements.lock").read_text()
    pinned = dict(re.findall(r"^([A-Za-z0-9_.\-]+)==([^\s\\]+)", lock, re.M))
    top = dict(re.findall(r"^([A-Za-z0-9_.\-]+)==(\S+)", (ROOT / "requirements.txt").read_text(), re.M))
    norm = lambda n: re.sub(r"[-_.]+", "-", n).lower()  # noqa: E731
    pinned = {norm(k): v for k, v in pinned.items()}
    for name, version in top.items():
        assert pinned.get(norm(name)) == version, name
    # transitive ones too (what the app imports through streamlit, scikit-learn, …)
    for name in ("websockets", "uvicorn", "starlette", "protobuf", "pandas", "scipy", "joblib", "mpmath"):
        assert norm(name) in pinned, name
    blocks = re.split(r"\n(?=[A-Za-z0-9])", lock.split("\n\n", 1)[-1])
    for block in blocks:
        if "==" in block:
            assert "--hash=sha256:" in block, block[:80]
    import importlib.metadata as md
    installed = {norm(d.metadata["Name"]): d.version for d in md.distributions()}
    for name, version in pinned.items():  # what the tests run with is what the lock says
        if name in installed:
            assert installed[name] == version, (name, installed[name], version)


def test_websockets_is_declared_for_the_warm_up_and_the_load_test():
    # ui/warm.py (the app) and load/ws_load.py import it themselves: a top-level requirement, not an accident
    # of Streamlit's own dependencies. requirements-dev.txt includes requirements.txt.
    assert re.search(r"^websockets==", (ROOT / "requirements.txt").read_text(), re.M)
    assert "-r requirements.txt" in (ROOT / "requirements-dev.txt").read_text()


# --------------------------------------------------------------------------- #
# Live: two replicas behind Debian's nginx, and the warm-up                     #
# --------------------------------------------------------------------------- #
def _get(url, cookie=None):
    req = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.read(), r.headers.get_all("Set-Cookie") or []


@needs_nginx
@pytest.mark.slow
def test_two_replicas_behind_nginx_split_a_class_evenly_stay_sticky_and_ignore_forged_cookies(ws_load):
    # Each replica lists a different (harmless) allowed parent origin, so /_stcore/host-config tells them apart.
    servers = [ws_load.Server(env={"STREAMLIT_CLIENT_ALLOWED_ORIGINS": f"https://replica-{i}.invalid"})
               for i in range(2)]
    port_of = {f"https://replica-{i}.invalid": s.port for i, s in enumerate(servers)}
    hits = []  # a bystander on loopback that no cookie may make nginx contact

    class Bystander(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    bystander = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Bystander)
    threading.Thread(target=bystander.serve_forever, daemon=True).start()
    proxy = None
    try:
        proxy = ws_load.Proxy([s.port for s in servers])
        base = f"http://127.0.0.1:{proxy.port}"
        assert _get(base + "/_stcore/health")[0] == b"ok"

        def replica(cookie=None):
            body, cookies = _get(base + "/_stcore/host-config", cookie)
            route = [c.split(";")[0] for c in cookies if c.startswith("descentlab_route=")]
            assert len(route) == 1, cookies
            return json.loads(body)["allowedOrigins"][0], route[0]

        # A class opening the link at once: new browsers go to the replicas in turn, 15 + 15, and each cookie
        # names the replica that answered.
        seen = [replica() for _ in range(30)]
        assert sorted(Counter(name for name, _ in seen).values()) == [15, 15]
        assert all(route == f"descentlab_route=127.0.0.1:{port_of[name]}" for name, route in seen)
        for name, route in {name: route for name, route in seen}.items():  # sticky: always that replica
            assert {replica(route)[0] for _ in range(10)} == {name}
        # A forged cookie sends nginx nowhere but to a replica, and is replaced by a true one.
        for forged in (f"127.0.0.1:{bystander.server_address[1]}", "evil.example:80", "169.254.169.254:80",
                       "127.0.0.1:22", "garbage", f"127.0.0.1:{servers[0].port}/x"):
            name, route = replica(f"descentlab_route={forged}")
            assert route == f"descentlab_route=127.0.0.1:{port_of[name]}", forged
        assert hits == []
        from ui.warm import open_page  # a whole session through the proxy's websocket upgrade
        assert open_page("127.0.0.1", proxy.port, "", "") > 0
        # A replica that is gone: its students land on the other one, with a new cookie.
        servers[1].stop()
        for _ in range(3):
            assert replica(f"descentlab_route=127.0.0.1:{servers[1].port}") == (
                "https://replica-0.invalid", f"descentlab_route=127.0.0.1:{servers[0].port}")
    finally:
        bystander.shutdown()
        if proxy:
            proxy.stop()
        for s in servers:
            s.stop()


@pytest.mark.slow
def test_a_replica_warms_its_caches_at_start(ws_load):
    from ui import warm
    server = ws_load.Server(warm=True)
    try:
        log = Path(server.log.name)
        warm.kick(f"http://127.0.0.1:{server.port}")  # what the Dockerfile does once the server is healthy
        deadline = time.time() + 600
        while "cache warm-up finished" not in log.read_text() and time.time() < deadline:
            time.sleep(1)
        text = log.read_text()
        m = re.search(r"cache warm-up finished in [\d.]+ s: (\d+) views computed, (\d+) failed", text)
        assert m, text[-3000:]
        assert (int(m.group(1)), int(m.group(2))) == (len(warm.targets()), 0), text[-3000:]
        # The moons preset is now a cache hit for a student: no training, only the page itself.
        cpu0 = ws_load.cpu_seconds(server.pid)
        page, query = ws_load.preset_target("moons-article")
        warm.open_page("127.0.0.1", server.port, page, query)
        assert ws_load.cpu_seconds(server.pid) - cpu0 < 1.0  # training alone is ≥ 1.2 CPU-s (bench/)
    finally:
        server.stop()


def test_the_warm_up_is_off_when_asked(monkeypatch):
    from ui import warm
    monkeypatch.setenv("DESCENT_LAB_WARM", "0")
    assert not warm.enabled() and warm.start_once() is False
    monkeypatch.setenv("DESCENT_LAB_WARM", "1")
    assert warm.enabled()
    labels = [t[0] for t in warm.targets()]
    from ui.presets import PRESETS
    assert labels[:len(PRESETS)] == [p.id for p in PRESETS] and len(set(labels)) == len(labels)


# --------------------------------------------------------------------------- #
# Preload: the server imports the libraries before it answers (ui/serve.py)      #
# --------------------------------------------------------------------------- #
PRELOAD_CHECK = r"""
import os, sys
os.environ["DESCENT_LAB_WARM"] = "0"
sys.path.insert(0, ROOT)
import streamlit.web.cli  # what the server has imported anyway
from ui.serve import preload
done = preload()
assert not done["failed"], done["failed"]
from streamlit.testing.v1 import AppTest
before = set(sys.modules)
for page, params in (("moons", {"epochs": "2", "samples": "60"}), ("race", {"steps": "20"}), ("home", {})):
    at = AppTest.from_file(os.path.join(ROOT, "app.py"), default_timeout=120)
    for k, v in params.items():
        at.query_params[k] = v
    at.switch_page(f"app_pages/{page}.py")
    at.run()
    assert not at.exception, at.exception
print("NEW", sorted(set(sys.modules) - before))
"""


def test_preload_leaves_no_library_import_to_the_first_session():
    """After ui.serve.preload(), a first session of the moons, race and home pages imports nothing from the
    engine, the charts or the big libraries (the imports the first class used to wait for)."""
    out = subprocess.run([sys.executable, "-c", f"ROOT = {str(ROOT)!r}\n" + PRELOAD_CHECK], capture_output=True,
                         text=True, timeout=300, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-3000:]
    new = ast.literal_eval(out.stdout.split("NEW", 1)[1].strip())  # the printed list of module names
    heavy = ("sklearn", "scipy", "sympy", "plotly", "pandas", "pyarrow", "PIL", "numpy", "narwhals", "optimizers",
             "landscapes", "charts", "ui")
    assert not [m for m in new if m.split(".")[0] in heavy], new


def test_the_container_starts_the_preloading_server_and_it_imports_every_page_import():
    assert "python -m ui.serve" in (ROOT / "Dockerfile").read_text()
    names = set()
    for path in [ROOT / "app.py", *sorted((ROOT / "app_pages").glob("*.py"))]:
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Import):
                names |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module != "__future__":
                names |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
    code = (ROOT / "ui" / "serve.py").read_text()
    preloaded = {a.name for node in ast.walk(ast.parse(code)) if isinstance(node, ast.Import) for a in node.names}
    first_party = {n for n in names if n.split(".")[0] in ("ui", "charts", "landscapes", "optimizers")
                   and importlib.util.find_spec(n.split(".")[0]) and _is_module(n)}
    missing = {n for n in first_party - preloaded if not any(p.startswith(n + ".") for p in preloaded)}  # a package
    assert first_party and not missing, sorted(missing)  # is imported with its preloaded submodules


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, AttributeError, ValueError):
        return False


def test_the_server_freezes_what_it_imported_before_serving():
    # ui.serve moves the ~200,000 objects of the imports out of the garbage collector's way before Streamlit starts
    # (a full collection walked them: 7 took 1.29 of 8.25 CPU-s while 30 sessions opened the race: load/results.md).
    code = ("import gc, sys; from streamlit.web import cli; import ui.serve as s; "
            "cli.main = lambda **kw: print('frozen', gc.get_freeze_count(), kw['args'][-1]); s.main(['--x', 'y'])")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    frozen, count, last = out.stdout.strip().splitlines()[-1].split()
    assert frozen == "frozen" and int(count) > 100_000 and last == "y"
