"""Shared pieces of the benchmarks: a fresh PostgreSQL database, gunicorn servers, wrk runs."""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def fresh_postgres(base_url: str, prefix: str = "aftercare_bench"):
    """Create a throwaway database on the server of base_url; drop it afterwards."""
    url = make_url(base_url)
    name = f"{prefix}_{secrets.token_hex(3)}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


_SERVERS: dict[int, int] = {}  # port -> process group of the gunicorn serving it (to read its CPU time)


def cpu_seconds(wanted) -> float | None:
    """CPU time (user + system) so far of the processes ``wanted(pid, process group, name)`` picks, with
    the finished children they reaped; from /proc, or None where there is no /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    try:
        pids = [pid for pid in os.listdir("/proc") if pid.isdigit()]
    except OSError:
        return None
    for pid in pids:
        try:
            name, fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)
            fields = fields.split()
        except OSError:
            continue
        if wanted(int(pid), int(fields[2]), name.split("(", 1)[1]):
            total += sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
    return total / ticks


def postgres_cpu_seconds() -> float | None:
    """CPU time so far of the PostgreSQL server on this machine (finished backends included)."""
    return cpu_seconds(lambda pid, group, name: name in ("postgres", "postmaster"))


@contextmanager
def gunicorn(app_path: str, *, env: dict, workers: int = 4, port: int | None = None, stderr=None):
    """Serve a WSGI app with gunicorn (sync workers) on loopback, in its own process group (the app's
    log lines go to ``stderr``: a file, or this process's own when None)."""
    port = port or free_port()
    command = [
        str(VENV_BIN / "gunicorn"),
        "-w",
        str(workers),
        "-b",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        "--backlog",
        "2048",
        app_path,
    ]
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env}, start_new_session=True, stderr=stderr)
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except urllib.error.HTTPError:
                break  # it answers
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError(f"gunicorn for {app_path} did not start")
        _SERVERS[port] = process.pid
        yield f"http://127.0.0.1:{port}"
    finally:
        _SERVERS.pop(port, None)
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


@dataclass
class WrkResult:
    requests: int
    seconds: float
    non2xx: int
    errors: int
    p50_ms: float
    p99_ms: float
    p95_ms: float = 0.0
    server_cpu_ms: float | None = None  # per request: the gunicorn serving it (master and workers)
    database_cpu_ms: float | None = None  # per request: every PostgreSQL process

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def _wrk_command(url: str, *, script: Path, connections: int, seconds: int, threads: int) -> list[str]:
    threads = max(1, min(threads, connections))
    return [
        "wrk",
        "-t",
        str(threads),
        "-c",
        str(connections),
        "-d",
        f"{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        url,
    ]


def _wrk_env(env: dict | None) -> dict:
    # NONCE seeds the Lua generators differently on every run, so client_report_ids never repeat.
    return {**os.environ, "NONCE": str(secrets.randbelow(2**24)), **(env or {})}


def parse_wrk(output: str) -> WrkResult:
    """Read the RESULT line our Lua scripts print in done()."""
    match = re.search(
        r"RESULT requests=(\d+) duration_us=(\d+) non2xx=(\d+) errors=(\d+) p50_us=(\d+) "
        r"p99_us=(\d+) p95_us=(\d+)",
        output,
    )
    if not match:
        raise RuntimeError(f"wrk printed no RESULT line:\n{output}")
    requests, duration, non2xx, errors, p50, p99, p95 = (int(g) for g in match.groups())
    return WrkResult(requests, duration / 1e6, non2xx, errors, p50 / 1000, p99 / 1000, p95 / 1000)


def server_pid(url: str) -> int:
    """The gunicorn master serving this URL (started by gunicorn() above)."""
    return _SERVERS[urllib.parse.urlsplit(url).port]


def wrk(
    url: str, *, script: Path, connections: int, seconds: int, threads: int = 2, env: dict | None = None
) -> WrkResult:
    """Run wrk with a Lua script whose done() prints a RESULT line; parse it."""
    command = _wrk_command(url, script=script, connections=connections, seconds=seconds, threads=threads)
    group = _SERVERS.get(urllib.parse.urlsplit(url).port)
    served = (lambda pid, pgid, name: pgid == group) if group else None
    before = (cpu_seconds(served), postgres_cpu_seconds()) if served else (None, None)
    output = subprocess.run(
        command, capture_output=True, text=True, env=_wrk_env(env), check=True, timeout=seconds + 60
    ).stdout
    result = parse_wrk(output)
    if served and None not in before and result.requests:
        result.server_cpu_ms = (cpu_seconds(served) - before[0]) * 1000 / result.requests
        result.database_cpu_ms = (postgres_cpu_seconds() - before[1]) * 1000 / result.requests
    return result


SATURATING = 16  # connections that saturate 4 sync workers on this machine


def cpu_note(result: WrkResult) -> str:
    """', CPU per request: server …, PostgreSQL …' when it was measured (saturated runs of our servers)."""
    if result.server_cpu_ms is None:
        return ""
    return f"  CPU/request: server {result.server_cpu_ms:.2f} ms, PostgreSQL {result.database_cpu_ms:.2f} ms"


def cpu_summary(runs: dict[str, dict[str, list[WrkResult]]]) -> str:
    """Median CPU per request at saturation of each target: its server, and PostgreSQL."""
    parts = []
    for name, modes in runs.items():
        measured = [r for r in modes.get("saturated", []) if r.server_cpu_ms is not None]
        if measured:
            server = statistics.median(r.server_cpu_ms for r in measured)
            database = statistics.median(r.database_cpu_ms for r in measured)
            parts.append(f"{name} {server:.2f} + {database:.2f}")
    return "CPU ms per request at saturation (server + PostgreSQL, medians): " + "; ".join(parts)


def measure(url: str, *, script: Path, env: dict, seconds: int) -> dict[str, WrkResult]:
    """Saturation, one client, and about half the saturating rate (8 connections paced with wrk's
    delay() so that 8 / (pause + latency) ≈ rate / 2)."""
    saturated = wrk(url, script=script, connections=SATURATING, seconds=seconds, env=env)
    single = wrk(url, script=script, connections=1, seconds=max(3, seconds // 2), env=env)
    pause_ms = max(0, int(8 * 1000 / max(saturated.rps / 2, 1.0) - single.p50_ms))
    half = wrk(url, script=script, connections=8, seconds=seconds, env={**env, "PAUSE_MS": str(pause_ms)})
    return {"saturated": saturated, "one_client": single, "half_load": half}


def saturate(url: str, *, script: Path, env: dict, seconds: int) -> dict[str, WrkResult]:
    """Saturation only (the calibration endpoints)."""
    return {"saturated": wrk(url, script=script, connections=SATURATING, seconds=seconds, env=env)}


def wrk_together(runs: dict[str, dict], *, seconds: int) -> dict[str, WrkResult]:
    """Start several wrk runs at once (a traffic mix) and parse each when all are done."""
    processes = {
        name: subprocess.Popen(
            _wrk_command(
                spec["url"], script=spec["script"], connections=spec["connections"], seconds=seconds, threads=1
            ),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_wrk_env(spec.get("env")),
        )
        for name, spec in runs.items()
    }
    return {name: parse_wrk(process.communicate(timeout=seconds + 60)[0]) for name, process in processes.items()}


def machine() -> str:
    """One line about the machine the figures came from."""
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}, Python {sys.version.split()[0]}"
