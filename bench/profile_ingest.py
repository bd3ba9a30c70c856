"""Where one report POST spends its time, in process (no HTTP server, no load generator).

How the figures are got: a throwaway PostgreSQL database is prepared as in bench/ingest.py; the
app's test client posts the same kind of ~1 KB reports wrk sends, one after another. It prints
wall and CPU time per request (min and median of several runs) and, with --profile, the
functions that took the most time under cProfile (CPU time).

Run:  .venv/bin/python -m bench.profile_ingest [--requests 300] [--runs 4] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from bench.common import DEFAULT_PG, fresh_postgres
from bench.ingest import SECRET, prepare, read_tokens

SYMPTOMS = ["nausea", "dizziness", "headache", "drowsiness", "dissociation", "euphoria", "blurred_vision"]


def body(counter: int, observed: str) -> dict:
    return {
        "client_report_id": str(uuid.uuid4()),
        "observed_at": observed,
        "symptoms": [
            {"code": SYMPTOMS[(counter + i) % len(SYMPTOMS)], "severity": (counter + i) % 3, "note": "s" * 120}
            for i in range(1, 4)
        ],
        "mood": counter % 11,
        "vitals": {"systolic": 118 + counter % 20, "diastolic": 76 + counter % 10, "heart_rate": 70 + counter % 25},
        "note": "n" * 400,
    }


def _package(filename: str) -> str:
    """Where a profiled function lives: an installed package, one of our modules, or the standard library."""
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    root = str(Path(__file__).resolve().parent.parent) + "/"
    if filename.startswith(root):
        return filename[len(root) :].removesuffix(".py").replace("/", ".")
    return "(builtins)" if filename == "~" else "(stdlib)"


def print_by_package(stats: pstats.Stats, requests: int) -> None:
    """Own CPU time (tottime) summed by package or module: where the time goes, without call trees."""
    totals: dict[str, float] = {}
    for (filename, _line, _name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():
        key = _package(filename)
        totals[key] = totals.get(key, 0.0) + tottime
    whole = sum(totals.values())
    per_request = whole / requests * 1000
    print(f"own CPU time by package or module (per request, under the profiler; total {per_request:.2f} ms):")
    for key, seconds in sorted(totals.items(), key=lambda kv: -kv[1])[:25]:
        print(f"  {seconds / requests * 1000:6.3f} ms  {seconds / whole:5.1%}  {key}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--patients", type=int, default=50)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    from service import create_app
    from service.clock import now_utc

    base = os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG)
    with fresh_postgres(base) as url, tempfile.TemporaryDirectory() as tmp:
        token_file = Path(tmp) / "tokens.txt"
        prepare(url, args.patients, token_file)
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

        post_many(30)  # warm up: connections, caches
        results = [post_many(args.requests) for _ in range(args.runs)]
        walls, cpus = [r[0] for r in results], [r[1] for r in results]
        print(f"per request over {args.runs} runs of {args.requests}:")
        print(f"  wall ms: min {min(walls):.2f}  median {statistics.median(walls):.2f}")
        print(f"  CPU ms:  min {min(cpus):.2f}  median {statistics.median(cpus):.2f}")
        if args.profile:
            profiler = cProfile.Profile(time.process_time)
            profiler.enable()
            post_many(args.requests)
            profiler.disable()
            stats = pstats.Stats(profiler).sort_stats("cumulative")
            stats.print_stats(45)
            stats.sort_stats("tottime").print_stats(30)
            print_by_package(stats, args.requests)
        from service.extensions import db

        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main()
