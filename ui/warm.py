"""Warm the shared caches of a freshly started server: the first class after a restart should not pay.

``start_once()`` (called by app.py on every run; it acts once per process) starts a background thread that
opens every classroom preset and every page's default view **as a real session** of this very server: a
websocket to its own port, exactly what a browser does. So the presets are computed by the same cached
functions, with the same cache keys, as the students' sessions will use (runs, basin maps, trainings,
figures), and nothing here duplicates a page's logic. One session at a time, so a class that arrives
during the warm-up still gets most of the CPU.

A server computes nothing before its first session runs app.py, so a deployment "kicks" it once it is
healthy: ``python -m ui.warm --kick http://127.0.0.1:8501`` opens the home page once (the Dockerfile does
this). Set ``DESCENT_LAB_WARM=0`` to switch the warm-up off (the load test does, to measure cold servers).
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
import urllib.request
from urllib.parse import quote, urlencode

_LOG = logging.getLogger("descent_lab.warm")
_lock = threading.Lock()
_started = False
status = {"state": "idle", "done": [], "failed": [], "seconds": None}  # read by tests and the log

# Page defaults worth computing ahead (url_path, query string): the views a class opens without a preset.
DEFAULT_VIEWS = [("race", ""), ("learning_rate", ""), ("moons", ""), ("compare", ""), ("inspector", "")]


def targets() -> list[tuple[str, str, str]]:
    """(label, url_path, query string) of every preset, then the page defaults."""
    from ui.presets import PRESETS
    out = [(p.id, p.page_url_path, urlencode(p.params, quote_via=quote, safe=",")) for p in PRESETS]
    return out + [(f"{page} (default)", page, qs) for page, qs in DEFAULT_VIEWS]


def enabled() -> bool:
    return os.environ.get("DESCENT_LAB_WARM", "1").strip().lower() not in ("0", "false", "no", "off")


def open_page(host: str, port: int, page: str, query: str, base_path: str = "", host_header: str | None = None,
              timeout: float = 180.0) -> float:
    """One session of ``page?query`` on the server at ``host:port``, to the end of its first script run.
    Returns the seconds it took; raises on a failure (an exception in the page, a timeout, a refusal)."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from websockets.sync.client import connect

    early = ForwardMsg.ScriptFinishedStatus.Value("FINISHED_EARLY_FOR_RERUN")
    t0 = time.perf_counter()
    sock = socket.create_connection((host, port), timeout=timeout)
    path = "/" + "/".join(p for p in (base_path.strip("/"), "_stcore/stream") if p)
    with connect(f"ws://{host_header or host}:{port}{path}", sock=sock, subprotocols=["streamlit"],
                 open_timeout=timeout, max_size=None, close_timeout=2) as ws:
        msg = BackMsg()
        msg.rerun_script.query_string = query
        msg.rerun_script.page_name = page
        ws.send(msg.SerializeToString())
        while True:
            left = timeout - (time.perf_counter() - t0)
            if left <= 0:
                raise TimeoutError(f"{page}?{query[:60]}: no result after {timeout:.0f} s")
            fwd = ForwardMsg()
            fwd.ParseFromString(ws.recv(timeout=left))
            kind = fwd.WhichOneof("type")
            if kind == "delta" and fwd.delta.WhichOneof("type") == "new_element" \
                    and fwd.delta.new_element.WhichOneof("type") == "exception":
                raise RuntimeError(f"{page}: {fwd.delta.new_element.exception.message[:200]}")
            if kind == "script_finished" and fwd.script_finished != early:
                return time.perf_counter() - t0


def warm(host: str, port: int, base_path: str = "", host_header: str | None = None, only=None) -> dict:
    """Open every target one after the other; returns (and keeps in ``status``) what was done."""
    status.update(state="running", done=[], failed=[], seconds=None)
    t0 = time.perf_counter()
    for label, page, query in targets():
        if only is not None and label not in only:
            continue
        try:
            s = open_page(host, port, page, query, base_path, host_header)
            status["done"].append((label, round(s, 2)))
        except Exception as exc:  # never let the warm-up take the server down; say so in the log
            status["failed"].append((label, f"{type(exc).__name__}: {exc}"))
            _LOG.warning("cache warm-up: %s failed: %s", label, exc)
    status.update(state="finished", seconds=round(time.perf_counter() - t0, 1))
    _LOG.warning("cache warm-up finished in %.1f s: %d views computed, %d failed", status["seconds"],
                 len(status["done"]), len(status["failed"]))
    return status


def _own_server() -> tuple[str, int, str, str | None]:
    """(address to connect to, port, base path, Host header) of the server this process runs."""
    from streamlit import config
    address = config.get_option("server.address") or "127.0.0.1"
    if address in ("0.0.0.0", "::", ""):
        address = "127.0.0.1"
    allowed = [h for h in config.get_option("server.allowedHosts") or [] if h.strip()]
    host_header = None
    if allowed and not any(h in ("*", "localhost", "127.0.0.1") for h in allowed):
        first = allowed[0].strip()
        host_header = "warm-up" + first[1:] if first.startswith("*.") else first  # an allowed name
    return address, int(config.get_option("server.port")), config.get_option("server.baseUrlPath") or "", host_header


def start_once() -> bool:
    """Start the background warm-up, once per process (True if this call started it)."""
    global _started
    if not enabled():
        return False
    with _lock:
        if _started:
            return False
        _started = True
    host, port, base, host_header = _own_server()

    def run():
        time.sleep(1.0)  # let the session that started us finish its own first render
        warm(host, port, base, host_header)

    threading.Thread(target=run, name="descent-lab-warm-up", daemon=True).start()
    return True


def kick(url: str, timeout: float = 120.0) -> None:
    """Wait until the server at ``url`` is healthy, then open its home page once (which runs app.py, which
    starts the warm-up inside the server)."""
    from urllib.parse import urlsplit
    parts = urlsplit(url)
    deadline = time.time() + timeout
    while True:
        try:
            if urllib.request.urlopen(f"{url.rstrip('/')}/_stcore/health", timeout=3).read() == b"ok":
                break
        except OSError:
            pass
        if time.time() > deadline:
            raise SystemExit(f"{url} did not become healthy within {timeout:.0f} s")
        time.sleep(0.5)
    open_page(parts.hostname, parts.port or 80, "", "", parts.path)


if __name__ == "__main__":
    import argparse
    ap = argparse.ArgumentParser(description="Start the cache warm-up of a Descent Lab server.")
    ap.add_argument("--kick", metavar="URL", required=True, help="e.g. http://127.0.0.1:8501")
    kick(ap.parse_args().kick)
