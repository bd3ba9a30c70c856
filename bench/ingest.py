"""Report ingestion throughput and latency versus a bare Flask echo endpoint, on PostgreSQL.

How the figures are got:
- A throwaway PostgreSQL database is migrated and filled with one clinic and N patients, each
  with a paired phone and a bearer token (tokens go to a file wrk's Lua script reads).
- The real app (wsgi:app) and a bare Flask app that parses and echoes JSON (bench/echo_app.py)
  are each served by gunicorn with 4 sync workers on loopback.
- wrk posts fresh ~1 KB reports (new client_report_id each, patients round-robin) to
  POST /api/v1/me/reports and the same bodies to POST /echo, alternating the two targets for
  several cycles. Each cycle measures: saturation (16 connections), one client, and about half
  the saturating rate (8 connections paced with wrk's delay()).
- Figures are medians over cycles; the ratio is ingest req/s ÷ echo req/s from the same run.
- "tied": the same reports naming the patient's infusion (a follow-up: the infusion's incidence roll-up is
  written in the report's transaction too), measured in the same cycles; its ratio to the untied reports.
- CPU per request at saturation: the serving gunicorn's processes (its process group) and every
  PostgreSQL process, user + system time from /proc over the wrk run, divided by the requests.
- Calibration (each cycle, the same three loads): bench/prototype_app.py, the minimal report endpoint
  (Flask + one transaction of Core inserts, nothing else) the target was first measured with. Its
  ratio to the echo, and its latencies, are what this machine allows a report endpoint at all.

Run:  .venv/bin/python -m bench.ingest [--cycles 3] [--seconds 10] [--patients 200]
Needs wrk (apt-get install wrk) and PostgreSQL (BENCH_DATABASE_URL, default the local test server).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

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
)

SECRET = "bench-secret-key-" + "b" * 40
SCRIPT = Path(__file__).with_name("report.lua")


def prepare(url: str, patients: int, token_file: Path) -> None:
    """Migrate the database and make a clinic of patients with phones and an infusion each; write their tokens
    and infusion ids (one line each: read_tokens() takes the tokens back)."""
    from flask_migrate import upgrade

    from service import create_app
    from service.clock import now_utc
    from service.domain import auth
    from service.domain.clinics import create_clinic
    from service.domain.infusions import record_infusion
    from service.domain.patients import create_patient
    from service.extensions import db
    from service.models import Device

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET, "TESTING": False})
    with app.app_context():
        upgrade()
        now = now_utc()
        clinic, admin = create_clinic(
            db.session,
            name="Bench Clinic",
            time_zone="America/Denver",
            admin_email="admin@bench.test",
            admin_password="bench password for admins",
            now=now,
        )
        settings = auth.AuthSettings.from_config(app.config)
        tokens = []
        for n in range(patients):
            patient = create_patient(
                db.session,
                clinic=clinic,
                now=now,
                values={"display_name": f"Bench {n}", "date_of_birth": __import__("datetime").date(1980, 1, 1)},
            )
            infusion = record_infusion(
                db.session,
                patient=patient,
                actor=admin,
                now=now,
                values={
                    "started_at": now - timedelta(hours=3),
                    "ended_at": now - timedelta(hours=2),
                    "route": "iv",
                    "phase": "induction",
                    "dose_mg": 40.0,
                    "pre_systolic": 120,
                    "pre_diastolic": 80,
                },
            )
            device = Device(
                clinic_id=clinic.id,
                patient_id=patient.id,
                name="bench",
                platform="ios",
                created_at=now,
                last_seen_at=now,
            )
            db.session.add(device)
            db.session.flush()
            token = auth.sign_in_device(db.session, device=device, settings=settings, now=now).access_token
            tokens.append(f"{token} {infusion.id}")
        db.session.commit()
        token_file.write_text("\n".join(tokens) + "\n")
        db.engine.dispose()


def read_tokens(token_file: Path) -> list[str]:
    """The bearer tokens of the file prepare() wrote (each line: a token, then its patient's infusion id)."""
    return [line.split()[0] for line in token_file.read_text().splitlines() if line.strip()]


def count_reports(url: str) -> int:
    from service import create_app
    from service.extensions import db
    from service.models import Report

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET, "TESTING": False})
    with app.app_context():
        total = db.session.scalar(select(func.count()).select_from(Report))
        db.engine.dispose()
        return total


def median(results: list[WrkResult], attribute: str) -> float:
    return statistics.median(getattr(r, attribute) for r in results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cycles", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--patients", type=int, default=200)
    args = parser.parse_args()
    base = os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG)

    with fresh_postgres(base) as url, tempfile.TemporaryDirectory() as tmp:
        token_file = Path(tmp) / "tokens.txt"
        started = time.time()
        prepare(url, args.patients, token_file)
        print(f"prepared {args.patients} patients in {time.time() - started:.1f}s")
        env = {"DATABASE_URL": url, "SECRET_KEY": SECRET, "TOKENS": str(token_file)}
        runs: dict[str, dict[str, list[WrkResult]]] = {"echo": {}, "ingest": {}, "tied": {}, "prototype": {}}
        from bench.prototype_app import create_tables

        create_tables(url)
        with (
            gunicorn("wsgi:app", env=env) as app_url,
            gunicorn("bench.echo_app:app", env=env) as echo_url,
            gunicorn("bench.prototype_app:app", env=env) as prototype_url,
        ):
            # "tied": the same reports naming the patient's infusion (follow-ups: the incidence roll-up is written too).
            targets = {
                "echo": (echo_url + "/echo", env),
                "ingest": (app_url + "/api/v1/me/reports", env),
                "tied": (app_url + "/api/v1/me/reports", {**env, "TIED": "1"}),
                "prototype": (prototype_url + "/reports", env),
            }
            for cycle in range(1, args.cycles + 1):
                for name, (target, target_env) in targets.items():
                    modes = measure(target, script=SCRIPT, env=target_env, seconds=args.seconds)
                    for mode, result in modes.items():
                        runs[name].setdefault(mode, []).append(result)
                        print(
                            f"cycle {cycle} {name:6} {mode:10} {result.rps:8.0f} req/s  p50 {result.p50_ms:6.2f} ms"
                            f"  p99 {result.p99_ms:6.2f} ms  non-2xx {result.non2xx}  errors {result.errors}"
                            + cpu_note(result),
                            flush=True,
                        )
        stored = count_reports(url)

    sent = sum(r.requests - r.non2xx for name in ("ingest", "tied") for mode in runs[name].values() for r in mode)
    summary = {}
    print()
    print(
        f"Machine: {machine()}; PostgreSQL; gunicorn 4 sync workers each; wrk; {args.cycles} cycles of "
        f"{args.seconds}s; medians."
    )
    print(f"{'':8}{'mode':12}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'non-2xx':>9}")
    for name in ("echo", "ingest", "tied", "prototype"):
        for mode, results in runs[name].items():
            row = {
                "rps": median(results, "rps"),
                "p50_ms": median(results, "p50_ms"),
                "p99_ms": median(results, "p99_ms"),
                "non2xx": sum(r.non2xx + r.errors for r in results),
            }
            summary[f"{name}.{mode}"] = row
            print(f"{name:8}{mode:12}{row['rps']:9.0f}{row['p50_ms']:9.2f}{row['p99_ms']:9.2f}{row['non2xx']:9d}")
    ratio = summary["ingest.saturated"]["rps"] / summary["echo.saturated"]["rps"]
    calibration = summary["prototype.saturated"]["rps"] / summary["echo.saturated"]["rps"]
    print(cpu_summary(runs))
    print(f"\ningest / echo throughput ratio: {ratio:.3f}  (target >= 0.15, ambitious 0.20)")
    print(
        f"calibration: the minimal prototype / echo on this machine: {calibration:.3f} "
        f"(0.15-0.20 where the target was set); ingest / prototype: {ratio / calibration:.2f}"
    )
    tied = summary["tied.saturated"]["rps"] / summary["ingest.saturated"]["rps"]
    print(f"reports tied to an infusion / untied, throughput at saturation: {tied:.3f}")
    print(f"reports acknowledged by wrk (2xx): {sent}; rows stored: {stored}")
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "ingest.json").write_text(
        json.dumps(
            {
                "ratio": ratio,
                "tied_ratio": tied,
                "calibration": calibration,
                "summary": summary,
                "machine": machine(),
                "acknowledged": sent,
                "stored": stored,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
