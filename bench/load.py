"""A realistic traffic mix against gunicorn + PostgreSQL, with the bare-Flask baseline from the same run.

How the figures are got:
- A throwaway PostgreSQL database gets one clinic, N patients with paired phones and a recent
  infusion, a nurse, and a warm-up of reports (so the queue and the patients' histories are not empty).
- The app (wsgi:app) and the bare echo app are served by gunicorn, 4 sync workers each, on loopback.
- Three wrk processes run at once for a fixed time, with connections in proportion to the mix:
  report posts 70% (POST /api/v1/me/reports, fresh ~1 KB bodies), patient reads 20% (GET /me/reports,
  GET /me), clinician queue reads 10% (GET /api/v1/flags). Each prints its own throughput and
  p50/p95/p99. Then the bare echo endpoint is saturated alone for the baseline, and ingestion alone
  (16 connections) for the ratio.

Run:  .venv/bin/python -m bench.load [--seconds 30] [--patients 300] [--connections 20]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from bench.common import DEFAULT_PG, ROOT, fresh_postgres, gunicorn, machine, wrk, wrk_together
from bench.ingest import SCRIPT as REPORT_SCRIPT
from bench.ingest import SECRET, prepare

HERE = Path(__file__).parent


def clinician_token(url: str) -> str:
    from service import create_app
    from service.clock import now_utc
    from service.domain import auth
    from service.domain.clinicians import create_clinician
    from service.extensions import db
    from service.models import Clinic

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET, "TESTING": False})
    with app.app_context():
        clinic = db.session.scalar(db.select(Clinic))
        nurse = create_clinician(
            db.session,
            clinic=clinic,
            email="nurse@load.bench",
            name="Load Nurse",
            role="nurse",
            password="load bench nurse password",
            now=now_utc(),
        )
        token = auth.sign_in_clinician(
            db.session, clinician=nurse, settings=auth.AuthSettings.from_config(app.config), now=now_utc()
        ).access_token
        db.session.commit()
        db.engine.dispose()
        return token


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--patients", type=int, default=300)
    parser.add_argument("--connections", type=int, default=20, help="total connections of the mix")
    args = parser.parse_args()
    base = os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG)
    with fresh_postgres(base, prefix="aftercare_load") as url, tempfile.TemporaryDirectory() as tmp:
        tokens = Path(tmp) / "tokens.txt"
        prepare(url, args.patients, tokens)
        nurse = clinician_token(url)
        env = {"DATABASE_URL": url, "SECRET_KEY": SECRET, "TOKENS": str(tokens)}
        with gunicorn("wsgi:app", env=env) as app_url, gunicorn("bench.echo_app:app", env=env) as echo_url:
            # warm-up: some history and some flags
            wrk(app_url + "/api/v1/me/reports", script=REPORT_SCRIPT, connections=4, seconds=5, env=env)
            c = args.connections
            mix = {
                "POST /me/reports": {
                    "url": app_url + "/api/v1/me/reports",
                    "script": REPORT_SCRIPT,
                    "connections": max(1, round(c * 0.7)),
                    "env": env,
                },
                "GET /me/reports, /me": {
                    "url": app_url,
                    "script": HERE / "patient_read.lua",
                    "connections": max(1, round(c * 0.2)),
                    "env": env,
                },
                "GET /flags (nurse)": {
                    "url": app_url,
                    "script": HERE / "get.lua",
                    "connections": max(1, round(c * 0.1)),
                    "env": {**env, "TOKEN": nurse, "PATH_Q": "/api/v1/flags?limit=25"},
                },
            }
            started = time.time()
            mixed = wrk_together(mix, seconds=args.seconds)
            print(f"mixed run: {time.time() - started:.0f}s")
            echo = wrk(echo_url + "/echo", script=REPORT_SCRIPT, connections=16, seconds=args.seconds // 2, env=env)
            ingest = wrk(
                app_url + "/api/v1/me/reports", script=REPORT_SCRIPT, connections=16, seconds=args.seconds // 2, env=env
            )
    total = sum(r.requests for r in mixed.values())
    print()
    print(
        f"Machine: {machine()}; PostgreSQL; gunicorn 4 sync workers; wrk; mix for {args.seconds}s over "
        f"{args.connections} connections."
    )
    print(f"{'endpoint':24}{'share':>7}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}")
    summary = {}
    for name, r in mixed.items():
        share = r.requests / total if total else 0
        summary[name] = {
            "share": share,
            "rps": r.rps,
            "p50_ms": r.p50_ms,
            "p95_ms": r.p95_ms,
            "p99_ms": r.p99_ms,
            "errors": r.non2xx + r.errors,
        }
        print(f"{name:24}{share:7.0%}{r.rps:8.0f}{r.p50_ms:9.2f}{r.p95_ms:9.2f}{r.p99_ms:9.2f}{r.non2xx + r.errors:8d}")
    print(f"{'all':24}{'':7}{sum(r.rps for r in mixed.values()):8.0f}")
    ratio = ingest.rps / echo.rps if echo.rps else 0
    print(f"\nbaseline echo alone: {echo.rps:.0f} req/s; ingestion alone: {ingest.rps:.0f} req/s; ratio {ratio:.3f}")
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "load.json").write_text(
        json.dumps(
            {"mix": summary, "echo_rps": echo.rps, "ingest_rps": ingest.rps, "ratio": ratio, "machine": machine()},
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
