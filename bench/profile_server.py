"""Where the served app spends its CPU under load: py-spy samples a gunicorn worker while wrk posts reports.

How the figures are got: a throwaway PostgreSQL database is prepared as in bench/ingest.py; the app
is served by gunicorn (sync workers, as in production) on loopback, wrk drives POST /me/reports
with the same Lua script, and py-spy samples every worker (``--idle`` off: CPU only). The samples
are summed by the innermost frame of our own code or of each library, so the printout says how
much of the worker's CPU each package and each of our modules used, and which functions of ours
are hottest. The app's request log goes to a file as it would in production.

Run:  .venv/bin/python -m bench.profile_server [--seconds 20] [--connections 4] [--workers 4]
(py-spy comes with requirements-dev.txt; wrk: apt-get install wrk). KEEP_PROFILE=path keeps py-spy's raw
samples (collapsed stacks) for a closer look.
"""

from __future__ import annotations

import argparse
import collections
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import DEFAULT_PG, ROOT, VENV_BIN, fresh_postgres, gunicorn, server_pid, wrk
from bench.ingest import SCRIPT, SECRET, prepare

OURS = ("service", "schemas", "jobs")


def _package(filename: str) -> str:
    """py-spy names files relative to their sys.path entry: our modules by path, a library by its package."""
    if "site-packages/" in filename:
        filename = filename.split("site-packages/", 1)[1]
    top = filename.split("/", 1)[0].removesuffix(".py")
    if top in OURS:
        return filename.removesuffix(".py").replace("/", ".")
    if top in sys.stdlib_module_names or top.startswith("<frozen"):
        return "(stdlib)"
    return top


def _frames(line: str) -> tuple[list[tuple[str, str]], int]:
    """A collapsed py-spy stack: frames (function, file) from the outside in, and its sample count."""
    stack, _, count = line.rpartition(" ")
    frames = []
    for frame in stack.split(";"):
        if frame.startswith("process "):
            continue
        name, _, where = frame.partition(" (")
        filename = where.rsplit(":", 1)[0].rstrip(")")
        frames.append((name, filename))
    return frames, int(count)


def summarise(collapsed: str, *, top: int = 25) -> str:
    own_package: collections.Counter = collections.Counter()  # innermost frame's package (self time)
    ours: collections.Counter = collections.Counter()  # innermost frame of ours (with the libraries it calls)
    total = 0
    for line in collapsed.splitlines():
        if not line.strip():
            continue
        frames, count = _frames(line)
        if not any("gunicorn" in f for _, f in frames):
            continue  # the arbiter, not a worker
        total += count
        own_package[_package(frames[-1][1])] += count
        mine = [(n, f) for n, f in frames if _package(f).split(".")[0] in OURS]
        if mine:
            name, filename = mine[-1]
            ours[f"{_package(filename)}.{name}"] += count
    lines = [f"{total} samples of workers' CPU"]
    lines.append("self time by package or module (the innermost frame):")
    for key, count in own_package.most_common(top):
        lines.append(f"  {count / total:6.1%}  {key}")
    lines.append("by the innermost function of ours on the stack (including the libraries it called):")
    for key, count in ours.most_common(top):
        lines.append(f"  {count / total:6.1%}  {key}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--patients", type=int, default=200)
    parser.add_argument("--rate", type=int, default=200, help="py-spy samples per second")
    args = parser.parse_args()
    py_spy = shutil.which("py-spy", path=str(VENV_BIN)) or shutil.which("py-spy")
    if py_spy is None:
        raise SystemExit("py-spy is not installed: .venv/bin/pip install py-spy")
    base = os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG)
    with fresh_postgres(base) as url, tempfile.TemporaryDirectory() as tmp:
        token_file = Path(tmp) / "tokens.txt"
        prepare(url, args.patients, token_file)
        env = {"DATABASE_URL": url, "SECRET_KEY": SECRET, "TOKENS": str(token_file)}
        with (
            open(Path(tmp) / "app.log", "w") as log,
            gunicorn("wsgi:app", env=env, workers=args.workers, stderr=log) as app_url,
        ):
            target = app_url + "/api/v1/me/reports"
            wrk(target, script=SCRIPT, connections=args.connections, seconds=3, env=env)  # warm up
            master = server_pid(app_url)
            out = Path(tmp) / "profile.txt"
            spy = subprocess.Popen(
                [
                    py_spy,
                    "record",
                    "--pid",
                    str(master),
                    "--subprocesses",
                    "--format",
                    "raw",
                    "--nonblocking",
                    "--gil",
                    "--rate",
                    str(args.rate),
                    "--duration",
                    str(args.seconds + 2),
                    "--output",
                    str(out),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                cwd=ROOT,
            )
            time.sleep(1)
            result = wrk(target, script=SCRIPT, connections=args.connections, seconds=args.seconds, env=env)
            spy.wait(timeout=args.seconds + 60)
        if os.environ.get("KEEP_PROFILE"):
            shutil.copy(out, os.environ["KEEP_PROFILE"])
        print(
            f"{result.rps:.0f} req/s with {args.connections} connections, {args.workers} workers; "
            f"CPU/request: server {result.server_cpu_ms:.2f} ms, PostgreSQL {result.database_cpu_ms:.2f} ms"
        )
        print(summarise(out.read_text()))


if __name__ == "__main__":
    main()
