"""Each fast path of report ingestion, with and without it, side by side in one run.

A fast path that reaches past a dependency's public API stays only if it buys at least 10% of ingest
throughput here; each has a switch that sends the work back through the public API. Today one is left:
- ``driver``: ``service.domain.sql.DriverStatement.direct`` (the session check, the triage read and the
  report write run straight on psycopg; off: SQLAlchemy's ``Connection.execute``).
(Two more were measured with this script on 2026-12-07 and removed, bench/README.md gives the figures:
a fast load and dump of the report and receipt beside marshmallow's, and a Flask ``ensure_sync`` that
remembered plain functions.)

How the figures are got: one throwaway PostgreSQL database prepared as in bench/ingest.py, one app, the
app's test client posting the same ~1 KB reports as bench/profile_ingest.py, one after another. Each
round runs every variant (all fast paths on, all off, and with several, each one off alone) for
``--requests`` POSTs, in an order rotated every round, so the machine's drift falls on all alike.
Printed per variant: median over rounds of wall and CPU ms per request, and throughput relative to
"all on" (wall time, one client: requests per second of the in-process app and its database).

With ``--served``: each variant served by gunicorn (4 sync workers, bench/fast_paths_app.py) and
saturated by wrk (16 connections, bench/report.lua) for ``--seconds`` per round, order rotated per round;
req/s, and CPU per request of the server and of PostgreSQL, as bench/ingest.py measures them.

Run:  .venv/bin/python -m bench.fast_paths [--requests 300] [--rounds 6]
      .venv/bin/python -m bench.fast_paths --served [--rounds 4] [--seconds 6]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from pathlib import Path

from bench.common import DEFAULT_PG, cpu_note, fresh_postgres, machine
from bench.ingest import SECRET, prepare, read_tokens
from bench.profile_ingest import body

SWITCHES = ("driver",)
VARIANTS = {
    "all on": set(SWITCHES),
    "all off (public APIs only)": set(),
    **({f"{name} off": set(SWITCHES) - {name} for name in SWITCHES} if len(SWITCHES) > 1 else {}),
}


def set_switches(on: set[str]) -> None:
    from service.domain.sql import DriverStatement

    unknown = on - set(SWITCHES)
    if unknown:
        raise ValueError(f"no such fast path: {sorted(unknown)}")
    DriverStatement.direct = "driver" in on


@contextmanager
def switched(on: set[str]):
    set_switches(on)
    try:
        yield
    finally:
        set_switches(set(SWITCHES))


def served(url: str, token_file: Path, rounds: int, seconds: int) -> None:
    """Each variant served by its own gunicorn (bench/fast_paths_app.py), all started at once; each round
    saturates each in turn (16 connections, bench/report.lua), order rotated per round."""
    from bench.common import SATURATING, gunicorn, wrk

    env = {"DATABASE_URL": url, "SECRET_KEY": SECRET, "TOKENS": str(token_file)}
    script = Path(__file__).with_name("report.lua")
    names = list(VARIANTS)
    results: dict[str, list] = {name: [] for name in names}
    with ExitStack() as stack:
        targets = {
            name: stack.enter_context(
                gunicorn("bench.fast_paths_app:app", env={**env, "BENCH_FAST_PATHS": ",".join(sorted(on))})
            )
            + "/api/v1/me/reports"
            for name, on in VARIANTS.items()
        }
        for target in targets.values():  # warm up each server
            wrk(target, script=script, connections=SATURATING, seconds=2, env=env)
        for round_ in range(rounds):
            shift = round_ % len(names)
            for name in names[shift:] + names[:shift]:
                result = wrk(targets[name], script=script, connections=SATURATING, seconds=seconds, env=env)
                assert result.non2xx == 0 and result.errors == 0, (name, result)
                results[name].append(result)
                print(f"round {round_ + 1} {name:28} {result.rps:7.0f} req/s" + cpu_note(result), flush=True)
    base = [r.rps for r in results["all on"]]
    print(f"\nMachine: {machine()}; PostgreSQL; gunicorn 4 sync workers per variant; wrk, {SATURATING} connections;")
    print(f"{rounds} rounds of {seconds}s, order rotated each round; medians over rounds.")
    print(f"{'variant':30} {'req/s':>7} {'all on/x':>9} {'server CPU':>10} {'PG CPU':>7}   per round")
    for name in names:
        rps = [r.rps for r in results[name]]
        cpu = statistics.median(r.server_cpu_ms for r in results[name])
        pg = statistics.median(r.database_cpu_ms for r in results[name])
        pairs = " ".join(f"{b / r:.3f}" for b, r in zip(base, rps, strict=True))
        ratio = statistics.median(base) / statistics.median(rps)
        print(f"{name:30} {statistics.median(rps):7.0f} {ratio:9.3f} {cpu:10.2f} {pg:7.2f}   {pairs}")
    print("all on/x = req/s of all on / req/s of the variant: a fast path buys that - 1; it stays only at >= 1.10.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--patients", type=int, default=50)
    parser.add_argument("--served", action="store_true", help="gunicorn and wrk instead of in process")
    parser.add_argument("--seconds", type=int, default=6, help="per variant and round, with --served")
    args = parser.parse_args()
    from service import create_app
    from service.clock import now_utc
    from service.extensions import db

    base = os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG)
    with fresh_postgres(base) as url, tempfile.TemporaryDirectory() as tmp:
        token_file = Path(tmp) / "tokens.txt"
        prepare(url, args.patients, token_file)
        if args.served:
            served(url, token_file, args.rounds, args.seconds)
            return
        tokens = read_tokens(token_file)
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET, "TESTING": False})
        client = app.test_client()
        observed = (now_utc() - timedelta(minutes=10)).isoformat()
        counter = 0

        def post_many(n: int) -> tuple[float, float]:
            nonlocal counter
            wall, cpu = time.perf_counter(), time.process_time()
            for _ in range(n):
                counter += 1
                answer = client.post(
                    "/api/v1/me/reports",
                    json=body(counter, observed),
                    headers={"Authorization": f"Bearer {tokens[counter % len(tokens)]}"},
                )
                assert answer.status_code == 201, answer.get_json()
            return (time.perf_counter() - wall) / n * 1000, (time.process_time() - cpu) / n * 1000

        names = list(VARIANTS)
        for name in names:  # warm up each path: connections, compiled statements, built loaders
            with switched(VARIANTS[name]):
                post_many(30)
        walls: dict[str, list[float]] = {name: [] for name in names}
        cpus: dict[str, list[float]] = {name: [] for name in names}
        for round_ in range(args.rounds):
            shift = round_ % len(names)
            for name in names[shift:] + names[:shift]:
                with switched(VARIANTS[name]):
                    wall, cpu = post_many(args.requests)
                walls[name].append(wall)
                cpus[name].append(cpu)
        with app.app_context():
            db.engine.dispose()

    base_wall = statistics.median(walls["all on"])
    print(f"Machine: {machine()}; PostgreSQL; in process, one client; {args.rounds} rounds of {args.requests}")
    print("POSTs per variant, order rotated each round; medians over rounds.")
    print(f"{'variant':30} {'wall ms':>8} {'CPU ms':>8} {'req/s':>7} {'all on/x':>9} {'CPU x/on':>8}   per round")
    for name in names:
        wall, cpu = statistics.median(walls[name]), statistics.median(cpus[name])
        pairs = " ".join(f"{w / a:.3f}" for a, w in zip(walls["all on"], walls[name], strict=True))
        cpu_ratio = cpu / statistics.median(cpus["all on"])
        print(f"{name:30} {wall:8.2f} {cpu:8.2f} {1000 / wall:7.1f} {wall / base_wall:9.3f} {cpu_ratio:8.3f}   {pairs}")
    print("all on/x = req/s of all on / req/s of the variant (a fast path buys that - 1 when it alone is off);")
    print("CPU x/on = CPU per request of the variant / of all on. A fast path stays only at >= 1.10.")


if __name__ == "__main__":
    main()
