"""Browser-less load test for Descent Lab: N concurrent Streamlit sessions over the websocket protocol.

Opt-in (never run by pytest or CI). Loopback only, bounded in sessions and in time.

Each session does what a browser tab does:
open ``ws://127.0.0.1:PORT/_stcore/stream`` (subprotocol "streamlit"), send
``BackMsg(rerun_script=ClientState(query_string=..., page_name=<url_path>))`` and read
``ForwardMsg``s until ``script_finished``. ``page_name`` is how st.navigation pages are
addressed: the server resolves it against each ``st.Page``'s ``url_path`` ("" = the
default page), exactly like a browser opening ``/race?land=...``. Reruns resend the
query string the page last wrote back (``page_info_changed``) with no widget changes,
i.e. a rerun whose computations are all cached (what a button press or a selection does).

Measured per scenario: first-render latency (connect + first script run) and rerun
latency (median, p95, max), failures (timeouts, connection errors, in-page exceptions,
page-not-found), error alerts shown, bytes received, and the server's CPU time per
script run and its memory (RSS, and the peak VmHWM) read from /proc/<pid>.

Examples (from the repository root):

    # start a fresh server for each scenario (recommended: clean CPU/RSS numbers)
    python load/ws_load.py --serve -n 30 -m 2 --preset adagrad-stalls
    python load/ws_load.py --serve -n 10 -m 2                      # the home page
    python load/ws_load.py --serve -n 30 --page race --query "land=rosenbrock&steps=500"
    # or target a server you started yourself (give its PID for the CPU/RSS numbers)
    python load/ws_load.py --url ws://127.0.0.1:8599/_stcore/stream --pid 12345 -n 10
    # two replicas behind Debian's nginx with deploy/nginx.conf (sticky sessions), all on 127.0.0.1
    python load/ws_load.py --serve --replicas 2 -n 60 -m 2 --preset adagrad-stalls
    # replicas that warmed their caches at start (ui/warm.py), then five waves of 30 sessions
    python load/ws_load.py --serve --warm --waves 5 -n 30 --preset moons-article
"""
from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

ROOT = Path(__file__).resolve().parents[1]
MAX_SESSIONS = 100          # hard cap on -n
MAX_RERUNS = 20             # hard cap on -m
MAX_TOTAL_SECONDS = 900     # hard cap on --total-timeout (per wave)
MAX_REPLICAS = 8            # hard cap on --replicas
MAX_WAVES = 10              # hard cap on --waves
MAX_MESSAGE = 64 * 2**20    # server.maxMessageSize is 50 MB (.streamlit/config.toml)
CLK_TCK = os.sysconf("SC_CLK_TCK")
EARLY = ForwardMsg.ScriptFinishedStatus.Value("FINISHED_EARLY_FOR_RERUN")
ERROR_ALERT = 1  # Alert.Format.ERROR


# --------------------------------------------------------------------------- #
# Server side numbers from /proc                                               #
# --------------------------------------------------------------------------- #
def cpu_seconds(pid: int) -> float:
    """utime + stime of the process (all threads), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # fields 14 and 15 of stat(5)


def memory_mb(pid: int) -> dict:
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                out[line.split(":")[0]] = int(line.split()[1]) / 1024
    return {"rss_mb": round(out.get("VmRSS", float("nan")), 1), "peak_rss_mb": round(out.get("VmHWM", float("nan")), 1)}


def assert_loopback(url: str) -> None:
    host = urlsplit(url).hostname or ""
    try:
        ok = ipaddress.ip_address(host).is_loopback
    except ValueError:
        ok = host == "localhost"
    if not ok:
        raise SystemExit(f"Refusing to load-test {host!r}: this script only targets the loopback interface.")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`streamlit run app.py` on a free 127.0.0.1 port; stopped by its own PID.

    The cache warm-up at start (ui/warm.py) is off unless ``warm``: a cold server is the harder case."""

    def __init__(self, options: list[str] = (), warm: bool = False, env: dict | None = None, preload: bool = True):
        self.port = free_port()
        # `python -m ui.serve` is `streamlit run app.py` after importing what the pages import (as the Dockerfile
        # starts it); preload=False is the plain `streamlit run app.py`, whose first session pays the imports.
        start = ["-m", "ui.serve"] if preload else ["-m", "streamlit", "run", str(ROOT / "app.py")]
        cmd = [sys.executable, *start, "--server.headless", "true",
               "--server.port", str(self.port), "--server.address", "127.0.0.1",
               "--browser.gatherUsageStats", "false", "--browser.serverAddress", "localhost",
               "--server.fileWatcherType", "none"]
        for opt in options:  # e.g. "runner.postScriptGC=false" -> --runner.postScriptGC false
            key, _, value = opt.partition("=")
            cmd += [f"--{key}", value]
        self.log = open(Path(tempfile.gettempdir()) / f"descent-lab-load-{self.port}.log", "wb")
        env = {**os.environ, **(env or {}), "DESCENT_LAB_WARM": "1" if warm else "0"}
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        self.pid = self.proc.pid
        self.url = f"ws://127.0.0.1:{self.port}/_stcore/stream"
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if urllib.request.urlopen(f"http://127.0.0.1:{self.port}/_stcore/health", timeout=2).read() == b"ok":
                    return
            except OSError:
                time.sleep(0.25)
        self.stop()
        raise SystemExit("streamlit did not become healthy within 60 s")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)


NGINX_CONF = ROOT / "deploy" / "nginx.conf"


def loopback_nginx_conf(ports: list[int], listen_port: int, folder: Path, text: str | None = None) -> str:
    """deploy/nginx.conf for replicas on 127.0.0.1: only the lines marked ``# loopback:`` change (the
    upstream servers, the addresses a route cookie may name, the listen address, the pid and scratch files);
    every proxy setting stays as in the file compose.yaml uses."""
    text = NGINX_CONF.read_text() if text is None else text
    out = []
    for line in text.splitlines():
        mark = re.search(r"#\s*loopback:\s*(\w+)", line)
        if not mark:
            out.append(line)
            continue
        indent = line[:len(line) - len(line.lstrip())]
        kind = mark.group(1)
        if kind == "servers":
            out += [f"{indent}server 127.0.0.1:{p} max_fails=3 fail_timeout=10s;" for p in ports]
        elif kind == "accept":  # a returning browser's cookie may name only these replicas
            addresses = "|".join(re.escape(f"127.0.0.1:{p}") for p in ports)
            out.append(f'{indent}"~^(?<addr>{addresses})$" $addr;')
        elif kind == "listen":
            out.append(f"{indent}listen 127.0.0.1:{listen_port};")
        elif kind == "pid":
            out.append(f"{indent}pid {folder / 'nginx.pid'};")
        elif kind == "temp":
            directive = line.split()[0]
            out.append(f"{indent}{directive} {folder / directive};")
        else:
            raise ValueError(f"unknown loopback mark {kind!r} in {NGINX_CONF}")
    return "\n".join(out) + "\n"


class Proxy:
    """Debian's nginx with deploy/nginx.conf in front of ``ports``, on 127.0.0.1; stopped by its PID."""

    def __init__(self, ports: list[int]):
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(nginx).exists():
            raise SystemExit("nginx is not installed (Debian: apt-get install nginx)")
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="descent-lab-nginx-"))
        self.folder.chmod(0o755)
        conf = self.folder / "nginx.conf"
        conf.write_text(loopback_nginx_conf(ports, self.port, self.folder))
        check = subprocess.run([nginx, "-t", "-q", "-c", str(conf), "-p", str(self.folder)], capture_output=True,
                               text=True)
        if check.returncode:
            raise SystemExit(f"nginx -t failed: {check.stderr}")
        self.log = open(self.folder / "nginx.log", "wb")
        self.proc = subprocess.Popen([nginx, "-c", str(conf), "-p", str(self.folder), "-g", "daemon off;"],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        self.pid = self.proc.pid
        self.url = f"ws://127.0.0.1:{self.port}/_stcore/stream"
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if urllib.request.urlopen(f"http://127.0.0.1:{self.port}/_stcore/health", timeout=2).read() == b"ok":
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise SystemExit("nginx did not answer /_stcore/health within 30 s")

    def stop(self):
        self.proc.terminate()  # nginx's master stops its workers on SIGTERM
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.log.close()
        shutil.rmtree(self.folder, ignore_errors=True)


# --------------------------------------------------------------------------- #
# One browser-less session                                                      #
# --------------------------------------------------------------------------- #
@dataclass
class RunResult:
    seconds: float
    ok: bool
    messages: int = 0
    bytes: int = 0
    error: str = ""
    error_alerts: int = 0


@dataclass
class SessionResult:
    runs: list = field(default_factory=list)
    connect_seconds: float = float("nan")
    failure: str = ""


async def script_run(ws, query_string: str, page_name: str, timeout: float) -> tuple[RunResult, str]:
    """Request one script run and read until it finishes; returns (result, query string written back)."""
    msg = BackMsg()
    msg.rerun_script.query_string = query_string
    msg.rerun_script.page_name = page_name
    t0 = time.perf_counter()
    await ws.send(msg.SerializeToString())
    res = RunResult(0.0, False)
    qs = query_string
    deadline = t0 + timeout
    while True:
        left = deadline - time.perf_counter()
        if left <= 0:
            res.error = f"timeout after {timeout:.0f} s"
            break
        try:
            raw = await asyncio.wait_for(ws.recv(), timeout=left)
        except asyncio.TimeoutError:
            res.error = f"timeout after {timeout:.0f} s"
            break
        res.messages += 1
        res.bytes += len(raw)
        fwd = ForwardMsg()
        fwd.ParseFromString(raw)
        kind = fwd.WhichOneof("type")
        if kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
            el = fwd.delta.new_element
            which = el.WhichOneof("type")
            if which == "exception":
                res.error = res.error or f"exception in page: {el.exception.type}: {el.exception.message[:200]}"
            elif which == "alert" and el.alert.format == ERROR_ALERT:
                res.error_alerts += 1
        elif kind == "page_info_changed":
            qs = fwd.page_info_changed.query_string
        elif kind == "page_not_found":
            res.error = f"page not found: {page_name!r}"
        elif kind == "session_event" and fwd.session_event.WhichOneof("type") == "script_compilation_exception":
            res.error = "script compilation exception"
        elif kind == "script_finished":
            if fwd.script_finished == EARLY:
                continue
            res.ok = not res.error
            break
    res.seconds = time.perf_counter() - t0
    return res, qs


async def session(url: str, page: str, query: str, reruns: int, timeout: float, start_gate: asyncio.Event
                  ) -> SessionResult:
    out = SessionResult()
    await start_gate.wait()
    t0 = time.perf_counter()
    try:
        async with websockets.connect(url, subprotocols=["streamlit"], max_size=MAX_MESSAGE, open_timeout=timeout,
                                      ping_interval=None, close_timeout=2) as ws:
            out.connect_seconds = time.perf_counter() - t0
            qs = query
            for i in range(1 + reruns):
                res, qs = await script_run(ws, qs, page, timeout)
                if i == 0:
                    res.seconds += out.connect_seconds  # first render: from opening the connection
                out.runs.append(res)
                if not res.ok:
                    break
    except (OSError, websockets.exceptions.WebSocketException, asyncio.TimeoutError) as exc:
        out.failure = f"{type(exc).__name__}: {exc}"
    return out


def pct(values, q):
    if not values:
        return None
    v = sorted(values)
    return v[min(len(v) - 1, max(0, int(round(q / 100 * len(v) + 0.5)) - 1))]  # nearest-rank percentile


def summarize(label, n, reruns, results, wall, cpu, mem, script_runs):
    first = [s.runs[0].seconds for s in results if s.runs and s.runs[0].ok]
    again = [r.seconds for s in results for r in s.runs[1:] if r.ok]
    failures = [s.failure for s in results if s.failure] + [r.error for s in results for r in s.runs if not r.ok]
    stat = lambda xs: {"median": round(statistics.median(xs), 3) if xs else None,  # noqa: E731
                       "p95": round(pct(xs, 95), 3) if xs else None, "max": round(max(xs), 3) if xs else None}
    return {
        "scenario": label, "sessions": n, "reruns_per_session": reruns, "wall_s": round(wall, 2),
        "first_render_s": stat(first), "rerun_s": stat(again),
        "failures": len(failures), "failure_examples": sorted(set(failures))[:5],
        "error_alerts": sum(r.error_alerts for s in results for r in s.runs),
        "mb_received_per_first_render": round(statistics.mean(s.runs[0].bytes for s in results if s.runs) / 2**20, 2)
        if any(s.runs for s in results) else None,
        "script_runs": script_runs,
        "server_cpu_s": round(cpu, 2) if cpu is not None else None,
        "server_cpu_per_run_s": round(cpu / script_runs, 3) if cpu is not None and script_runs else None,
        **({} if mem is None else mem),
        "loadavg_1m": round(os.getloadavg()[0], 2),
    }


async def scenario(url, pids, page, query, n, reruns, timeout, total_timeout, label):
    """``pids``: the server processes (one per replica) whose CPU and memory are summed."""
    gate = asyncio.Event()
    tasks = [asyncio.create_task(session(url, page, query, reruns, timeout, gate)) for _ in range(n)]
    cpu0 = [cpu_seconds(p) for p in pids]
    client0 = time.process_time()  # this script's own CPU: on this machine the class's browsers share its cores
    t0 = time.perf_counter()
    gate.set()  # every session starts at the same moment, like a class following one link
    done, pending = await asyncio.wait(tasks, timeout=total_timeout)
    for t in pending:
        t.cancel()
    wall = time.perf_counter() - t0
    results = [t.result() for t in done]
    results += [SessionResult(failure=f"cancelled: overall timeout {total_timeout:.0f} s") for _ in pending]
    cpu_each = [cpu_seconds(p) - c for p, c in zip(pids, cpu0)]
    mem_each = [memory_mb(p) for p in pids]
    cpu = sum(cpu_each) if pids else None
    mem = ({"rss_mb": round(sum(m["rss_mb"] for m in mem_each), 1),
            "peak_rss_mb": round(sum(m["peak_rss_mb"] for m in mem_each), 1)} if pids else None)
    script_runs = sum(len(s.runs) for s in results)
    out = summarize(label, n, reruns, results, wall, cpu, mem, script_runs)
    out["client_cpu_s"] = round(time.process_time() - client0, 2)
    if len(pids) > 1:  # how the proxy spread the sessions: CPU and memory per replica
        out["per_replica"] = [{"cpu_s": round(c, 2), **m} for c, m in zip(cpu_each, mem_each)]
    return out


def warm_replicas(servers) -> list[dict]:
    """Run ui/warm.py's warm-up against every replica (what each does by itself at start in a deployment),
    one replica after the other; returns what each computed."""
    sys.path.insert(0, str(ROOT))
    from ui import warm
    out = []
    for srv in servers:
        st = warm.warm("127.0.0.1", srv.port)
        out.append({"seconds": st["seconds"], "views": len(st["done"]), "failed": st["failed"]})
    return out


def preset_target(preset_id: str) -> tuple[str, str]:
    sys.path.insert(0, str(ROOT))
    from urllib.parse import quote, urlencode

    from ui.presets import BY_ID
    p = BY_ID[preset_id]
    return p.page_url_path, urlencode(p.params, quote_via=quote, safe=",")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--serve", action="store_true", help="start a fresh `streamlit run app.py` on 127.0.0.1")
    ap.add_argument("--url", help="ws://127.0.0.1:PORT/_stcore/stream of a running server (loopback only)")
    ap.add_argument("--pid", type=int, help="PID of that server, for CPU and memory numbers")
    ap.add_argument("-n", "--sessions", type=int, default=10)
    ap.add_argument("-m", "--reruns", type=int, default=2, help="reruns per session after the first render")
    ap.add_argument("--page", default="", help="url_path of the page ('' = home, 'race', 'learning_rate', ...)")
    ap.add_argument("--query", default="", help="query string, e.g. 'land=rosenbrock&steps=500'")
    ap.add_argument("--preset", help="open a preset of ui/presets.py (sets --page and --query)")
    ap.add_argument("--warmup", type=int, default=0, help="sessions run one by one before the measurement")
    ap.add_argument("--timeout", type=float, default=120, help="seconds allowed per script run")
    ap.add_argument("--total-timeout", type=float, default=600, help="hard limit for the whole scenario")
    ap.add_argument("--st-opt", action="append", default=[], metavar="KEY=VALUE",
                    help="extra `streamlit run` option for --serve, e.g. runner.postScriptGC=false (repeatable)")
    ap.add_argument("--replicas", type=int, default=1,
                    help="with --serve: this many servers behind Debian's nginx (deploy/nginx.conf), on 127.0.0.1")
    ap.add_argument("--warm", action="store_true",
                    help="with --serve: let every replica compute the presets first (ui/warm.py), as at start")
    ap.add_argument("--waves", type=int, default=1,
                    help="repeat the scenario this many times against the same servers (memory over a lesson)")
    ap.add_argument("--pause", type=float, default=5.0, help="seconds between waves")
    ap.add_argument("--no-preload", action="store_true",
                    help="with --serve: plain `streamlit run app.py` (the first session imports the libraries) "
                         "instead of `python -m ui.serve` (imports them before the server answers)")
    ap.add_argument("--label", default="")
    ap.add_argument("--json", help="append the summary as one JSON line to this file")
    args = ap.parse_args(argv)

    if not 1 <= args.sessions <= MAX_SESSIONS:
        ap.error(f"-n must be in 1..{MAX_SESSIONS}")
    if not 0 <= args.reruns <= MAX_RERUNS:
        ap.error(f"-m must be in 0..{MAX_RERUNS}")
    if not 1 <= args.replicas <= MAX_REPLICAS or (args.replicas > 1 and not args.serve):
        ap.error(f"--replicas must be in 1..{MAX_REPLICAS} and needs --serve")
    if not 1 <= args.waves <= MAX_WAVES:
        ap.error(f"--waves must be in 1..{MAX_WAVES}")
    total = min(args.total_timeout, MAX_TOTAL_SECONDS)
    page, query = (preset_target(args.preset) if args.preset else (args.page, args.query))
    label = args.label or f"{args.preset or page or 'home'} n={args.sessions}"

    servers, proxy, warmed = [], None, None
    try:
        if args.serve:
            servers = [Server(args.st_opt, preload=not args.no_preload) for _ in range(args.replicas)]
            pids = [srv.pid for srv in servers]
            if args.replicas > 1:
                proxy = Proxy([srv.port for srv in servers])
                url = proxy.url
            else:
                url = servers[0].url
            if args.warm:
                warmed = warm_replicas(servers)
        elif args.url:
            url, pids = args.url, [args.pid] if args.pid else []
        else:
            ap.error("give --serve or --url")
        assert_loopback(url)

        async def run():
            for _ in range(args.warmup):
                await scenario(url, pids, page, query, 1, 0, args.timeout, total, "warmup")
            waves = []
            for w in range(args.waves):
                waves.append(await asyncio.wait_for(
                    scenario(url, pids, page, query, args.sessions, args.reruns, args.timeout, total,
                             label + (f" wave {w + 1}" if args.waves > 1 else "")), timeout=total + 30))
                if w + 1 < args.waves:
                    await asyncio.sleep(args.pause)
            return waves
        waves = asyncio.run(run())
        summary = waves[-1] if len(waves) == 1 else {
            "scenario": label, "waves": waves, "failures": sum(w["failures"] for w in waves),
            "rss_mb_after_each_wave": [w.get("rss_mb") for w in waves],
            "first_render_p95_each_wave": [w["first_render_s"]["p95"] for w in waves]}
        summary["warmup_sessions"] = args.warmup
        summary["replicas"] = args.replicas
        summary["proxy"] = "nginx deploy/nginx.conf" if proxy else None
        summary["warmed_at_start"] = warmed
        summary["page"], summary["query"] = page, query
        summary["streamlit_options"] = args.st_opt
        summary["preloaded"] = bool(args.serve and not args.no_preload)
    finally:
        if proxy:
            proxy.stop()
        for srv in servers:
            srv.stop()
    print(json.dumps(summary, indent=1))
    if args.json:
        with open(args.json, "a") as f:
            f.write(json.dumps(summary) + "\n")
    return 0 if summary["failures"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
