"""Triage queue reads on PostgreSQL with 1,000,000 reports and 100,000 flags, versus a bare Flask endpoint.

How the figures are got:
- A throwaway database is migrated and loaded by bench/load_queue_data.py (set-based SQL, progress bar).
- The app (wsgi:app) and a bare Flask app answering GET /echo with a small JSON body are served by
  gunicorn with 4 sync workers on loopback.
- wrk GETs, as a signed-in nurse: the first page of the queue (GET /api/v1/flags, 25 items) and a
  page 25,000 rows deep (GET /api/v1/flags?status=all&cursor=<25,000th row>), alternating with the
  bare endpoint over several cycles; per cycle: saturation (16 connections), one client, and about
  half the saturating rate (8 paced connections).
- For scale, the same deep page by OFFSET is timed in SQL (EXPLAIN ANALYZE) next to the keyset query.
- Calibration (each cycle, saturation only): GET /queue of bench/prototype_app.py, one Core SELECT of
  the same pages with no sign-in, no audit, nothing else: what this machine allows such a read at all.

Run:  .venv/bin/python -m bench.queue [--cycles 3] [--seconds 10] [--reports 1000000] [--flags 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path
from urllib.parse import quote

from flask_migrate import upgrade
from sqlalchemy import text

from bench.common import (
    DEFAULT_PG,
    ROOT,
    WrkResult,
    cpu_note,
    cpu_summary,
    fresh_postgres,
    gunicorn,
    machine,
    measure,
    saturate,
)
from bench.load_queue_data import load
from service import create_app
from service.clock import now_utc
from service.domain import auth
from service.domain.clinicians import create_clinician
from service.domain.clinics import create_clinic
from service.domain.flags import encode_cursor
from service.enums import Role
from service.extensions import db

SECRET = "bench-secret-key-" + "q" * 40
SCRIPT = Path(__file__).with_name("get.lua")


def prepare(url: str, reports: int, flags: int) -> tuple[str, str, str, str]:
    """Migrate, load the data set; return (nurse token, cursor of the 25,000th row of all flags, clinic id,
    the same position for the calibration endpoint)."""
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET, "TESTING": False})
    with app.app_context():
        upgrade()
        now = now_utc()
        clinic, _ = create_clinic(
            db.session,
            name="Queue Bench",
            time_zone="America/Denver",
            admin_email="admin@queue.bench",
            admin_password="queue bench admin password",
            now=now,
        )
        nurse = create_clinician(
            db.session,
            clinic=clinic,
            email="nurse@queue.bench",
            name="Bench Nurse",
            role=Role.NURSE,
            password="queue bench nurse password",
            now=now,
        )
        db.session.commit()
        clinic_id = clinic.id
        load(url, clinic_id=clinic_id, reports=reports, flags=flags)
        token = auth.sign_in_clinician(
            db.session, clinician=nurse, settings=auth.AuthSettings.from_config(app.config), now=now_utc()
        ).access_token
        db.session.commit()
        depth = min(25_000, flags - 1)
        row = db.session.execute(
            text(
                "SELECT urgency, due_by, id FROM flags WHERE clinic_id = :c "
                "ORDER BY urgency, due_by, id OFFSET :d LIMIT 1"
            ),
            {"c": clinic_id, "d": depth - 1},
        ).one()
        cursor = encode_cursor(row.urgency, row.due_by, row.id)
        explain = {}
        for name, sql in (
            (
                "keyset",
                "SELECT id FROM flags WHERE clinic_id = :c AND (urgency, due_by, id) > (:u, :d, :i) "
                "ORDER BY urgency, due_by, id LIMIT 26",
            ),
            ("offset", "SELECT id FROM flags WHERE clinic_id = :c ORDER BY urgency, due_by, id OFFSET 25000 LIMIT 26"),
        ):
            plan = db.session.execute(
                text("EXPLAIN (ANALYZE, FORMAT JSON) " + sql),
                {"c": clinic_id, "u": row.urgency, "d": row.due_by, "i": row.id},
            ).scalar()
            explain[name] = plan[0]["Execution Time"]
        print(
            f"deep page in SQL: keyset {explain['keyset']:.3f} ms, OFFSET 25000 {explain['offset']:.3f} ms "
            f"({explain['offset'] / max(explain['keyset'], 1e-6):.0f}x)"
        )
        db.session.remove()
        db.engine.dispose()
        return token, cursor, str(clinic_id), f"{row.urgency},{row.due_by.isoformat()},{row.id}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cycles", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--flags", type=int, default=100_000)
    args = parser.parse_args()
    base = os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG)
    with fresh_postgres(base, prefix="aftercare_queue") as url:
        started = time.time()
        token, cursor, clinic_id, after = prepare(url, args.reports, args.flags)
        print(f"data set ready in {time.time() - started:.0f}s")
        env = {"DATABASE_URL": url, "SECRET_KEY": SECRET, "TOKEN": token}
        targets = {
            "echo": "/echo",
            "first_page": "/api/v1/flags?limit=25",
            "deep_page": f"/api/v1/flags?status=all&limit=25&cursor={cursor}",
            "prototype_first": f"/queue?clinic={clinic_id}",
            "prototype_deep": f"/queue?clinic={clinic_id}&status=all&after={quote(after)}",
        }
        runs: dict[str, dict[str, list[WrkResult]]] = {name: {} for name in targets}
        with (
            gunicorn("wsgi:app", env=env) as app_url,
            gunicorn("bench.echo_app:app", env=env) as echo_url,
            gunicorn("bench.prototype_app:app", env=env) as prototype_url,
        ):
            for cycle in range(1, args.cycles + 1):
                for name, path in targets.items():
                    env_q = {**env, "PATH_Q": path}
                    if name.startswith("prototype"):
                        modes = saturate(prototype_url, script=SCRIPT, env=env_q, seconds=args.seconds)
                    else:
                        modes = measure(
                            echo_url if name == "echo" else app_url, script=SCRIPT, env=env_q, seconds=args.seconds
                        )
                    for mode, result in modes.items():
                        runs[name].setdefault(mode, []).append(result)
                        print(
                            f"cycle {cycle} {name:10} {mode:10} {result.rps:8.0f} req/s  p50 {result.p50_ms:6.2f}"
                            f" ms  p99 {result.p99_ms:6.2f} ms  non-2xx {result.non2xx}" + cpu_note(result),
                            flush=True,
                        )
    print()
    print(
        f"Machine: {machine()}; PostgreSQL; {args.reports:,} reports, {args.flags:,} flags; gunicorn 4 sync "
        f"workers; wrk; {args.cycles} cycles of {args.seconds}s; medians."
    )
    print(f"{'':16}{'mode':12}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'non-2xx':>9}{'ratio':>8}")
    summary = {}
    echo_rps = statistics.median(r.rps for r in runs["echo"]["saturated"])
    for name in targets:
        for mode, results in runs[name].items():
            row = {
                "rps": statistics.median(r.rps for r in results),
                "p50_ms": statistics.median(r.p50_ms for r in results),
                "p99_ms": statistics.median(r.p99_ms for r in results),
                "non2xx": sum(r.non2xx + r.errors for r in results),
            }
            summary[f"{name}.{mode}"] = row
            ratio = f"{row['rps'] / echo_rps:8.3f}" if mode == "saturated" else ""
            print(
                f"{name:16}{mode:12}{row['rps']:9.0f}{row['p50_ms']:9.2f}{row['p99_ms']:9.2f}{row['non2xx']:9d}{ratio}"
            )
    print(cpu_summary(runs))
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "queue.json").write_text(json.dumps({"summary": summary, "machine": machine()}, indent=2))


if __name__ == "__main__":
    main()
