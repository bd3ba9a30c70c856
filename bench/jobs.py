"""Check-in throughput of the job process on PostgreSQL: 100,000 due check-ins → sent prompts.

How the figures are got:
- A throwaway PostgreSQL database is migrated and filled with one clinic, 20,000 patients (no
  quiet hours, log channel) and 100,000 scheduled check-ins already due.
- N worker processes (1, then 2 on a fresh copy) each build the app and the job context, say
  READY, and wait for a start file; the clock starts when it appears and stops when the last
  worker exits.
- Each worker runs what `jobs tick` runs for this: send_checkins (claim a batch with FOR UPDATE
  SKIP LOCKED, mark it sent, write its outbox rows already leased to this process, commit, hand
  them to the log channel writing to a file, mark them sent; repeat), then deliver_notifications
  (which finds nothing left when nothing failed).
- End to end = check-ins marked sent + prompts written + prompts delivered.
  Afterwards every check-in must be sent with exactly one prompt, and every prompt delivered once.
- CPU per 1,000 check-ins: the job processes' own (time.process_time) and PostgreSQL's (every
  postgres process's utime + stime from /proc, reaped backends included, over the timed part).

Run:  .venv/bin/python -m bench.jobs [--checkins 100000] [--batch 1000] [--processes 1,2] [--calibrate]
(--calibrate first times the issue's two reference operations on this machine: bare set-based
claims, and ORM updates one row at a time, to read the figures against the issue's.)
Needs PostgreSQL (BENCH_DATABASE_URL, default the local test server).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

from bench.common import DEFAULT_PG, ROOT, fresh_postgres, machine, postgres_cpu_seconds

SECRET = "bench-secret-key-" + "j" * 40
NOW = datetime(2026, 1, 15, 17, 0, tzinfo=UTC)


def prepare(url: str, checkins: int, per_patient: int = 5) -> None:
    """Migrate and fill: one clinic, patients without quiet hours, ``checkins`` scheduled and due."""
    from flask_migrate import upgrade
    from sqlalchemy import insert

    from service import create_app
    from service.extensions import db
    from service.models import Checkin, Clinic, Infusion, Patient

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET, "TESTING": False})
    with app.app_context():
        upgrade()
        clinic_id = uuid.uuid4()
        db.session.execute(
            insert(Clinic).values(
                id=clinic_id,
                name="Bench Clinic",
                time_zone="America/Denver",
                settings={},
                created_at=NOW,
                updated_at=NOW,
            )
        )
        patients, infusions, rows = [], [], []
        for n in range(0, checkins, per_patient):
            patient_id, infusion_id = uuid.uuid4(), uuid.uuid4()
            patients.append(
                {
                    "id": patient_id,
                    "clinic_id": clinic_id,
                    "display_name": f"Bench {n}",
                    "date_of_birth": date(1980, 1, 1),
                    "time_zone": "America/Denver",
                    "quiet_hours_start": dtime(0, 0),
                    "quiet_hours_end": dtime(0, 0),
                    "preferred_channel": "log",
                    "status": "active",
                    "created_at": NOW,
                    "updated_at": NOW,
                }
            )
            ended = NOW - timedelta(days=1)
            infusions.append(
                {
                    "id": infusion_id,
                    "clinic_id": clinic_id,
                    "patient_id": patient_id,
                    "started_at": ended - timedelta(hours=1),
                    "ended_at": ended,
                    "route": "iv",
                    "phase": "induction",
                    "created_at": NOW,
                    "updated_at": NOW,
                }
            )
            for k in range(min(per_patient, checkins - n)):
                due = NOW - timedelta(seconds=(n + k) % 3600)
                rows.append(
                    {
                        "id": uuid.uuid4(),
                        "clinic_id": clinic_id,
                        "patient_id": patient_id,
                        "infusion_id": infusion_id,
                        "kind": f"{k + 1}h",
                        "offset_hours": k + 1,
                        "due_at": due,
                        "send_at": due,
                        "asks_phq9": False,
                        "status": "scheduled",
                        "created_at": NOW,
                    }
                )
        for table, values in ((Patient, patients), (Infusion, infusions), (Checkin, rows)):
            for start in range(0, len(values), 10_000):
                db.session.execute(insert(table), values[start : start + 10_000])
        db.session.commit()
        db.session.execute(__import__("sqlalchemy").text("ANALYZE"))
        db.session.commit()
        db.engine.dispose()


def worker(url: str, go: str, batch: int, log_file: str) -> None:
    """One job process: get ready, wait for the start file, send then deliver, report as JSON."""
    from jobs.cli import quick_logging
    from jobs.runner import context_for, run_job
    from service import create_app

    quick_logging()  # as `flask jobs run` and `jobs tick` do
    handler = logging.FileHandler(log_file)
    handler.setFormatter(logging.Formatter("%(message)s"))
    delivery = logging.getLogger("service.delivery")
    delivery.setLevel(logging.INFO)
    delivery.addHandler(handler)
    delivery.propagate = False
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET, "TESTING": False, "JOBS_BATCH_SIZE": batch})
    ctx = context_for(app)
    with app.app_context():  # warm the pool and the mappers before the clock starts
        from service.extensions import db

        db.session.execute(__import__("sqlalchemy").text("SELECT 1"))
        db.session.remove()
    print("READY", flush=True)
    while not os.path.exists(go):
        time.sleep(0.001)
    started, cpu = time.perf_counter(), time.process_time()
    sent = run_job(ctx, "send_checkins", now=NOW)
    middle = time.perf_counter()
    delivered = run_job(ctx, "deliver_notifications", now=NOW)
    ended = time.perf_counter()
    report = {"sent": sent, "delivered": delivered, "send_s": middle - started, "deliver_s": ended - middle}
    print(json.dumps({**report, "cpu_s": time.process_time() - cpu}), flush=True)


def measure(base_url: str, *, checkins: int, processes: int, batch: int) -> dict:
    with fresh_postgres(base_url, prefix="aftercare_bench_jobs") as url, tempfile.TemporaryDirectory() as tmp:
        prepare(url, checkins)
        go = str(Path(tmp) / "go")
        workers = [
            subprocess.Popen(
                [sys.executable, "-m", "bench.jobs", "--worker", url, go, str(batch), str(Path(tmp) / f"log{i}")],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                text=True,
            )
            for i in range(processes)
        ]
        for process in workers:
            assert process.stdout.readline().strip() == "READY"
        database_cpu = postgres_cpu_seconds()
        started = time.perf_counter()
        Path(go).touch()
        reports = [json.loads(process.stdout.readline()) for process in workers]
        for process in workers:
            process.wait(timeout=600)
        seconds = time.perf_counter() - started
        if database_cpu is not None:
            database_cpu = postgres_cpu_seconds() - database_cpu
        lines = []
        for i in range(processes):
            lines += Path(tmp, f"log{i}").read_text().splitlines()
        check = verify(url)
    ids = [line.split()[1] for line in lines if line.startswith("deliver ")]
    return {
        "processes": processes,
        "seconds": seconds,
        "rows_per_s": checkins / seconds,
        "reports": reports,
        "database_cpu_s": database_cpu,
        "delivered_lines": len(ids),
        "distinct_delivered": len(set(ids)),
        **check,
    }


def verify(url: str) -> dict:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as connection:
        row = connection.execute(
            text(
                "SELECT (SELECT count(*) FROM checkins WHERE status = 'sent'),"
                " (SELECT count(*) FROM notifications WHERE status = 'sent'),"
                " (SELECT count(*) FROM (SELECT checkin_id FROM notifications GROUP BY checkin_id"
                "  HAVING count(*) > 1) twice)"
            )
        ).one()
    engine.dispose()
    return {"checkins_sent": row[0], "prompts_sent": row[1], "checkins_prompted_twice": row[2]}


def calibrate(base_url: str, *, checkins: int, batch: int) -> dict:
    """This machine against the issue's reference figures: bare set-based claims, and ORM updates row by row."""
    from sqlalchemy import any_, bindparam, select, update
    from sqlalchemy.dialects.postgresql import ARRAY

    from service import create_app
    from service.extensions import db
    from service.models import Checkin

    with fresh_postgres(base_url, prefix="aftercare_bench_cal") as url:
        prepare(url, checkins)
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET, "TESTING": False})
        with app.app_context():
            session = db.session
            started = time.perf_counter()
            claimed = 0
            while True:
                ids = list(
                    session.scalars(
                        select(Checkin.id)
                        .where(Checkin.status == "scheduled", Checkin.send_at <= NOW)
                        .order_by(Checkin.send_at)
                        .limit(batch)
                        .with_for_update(skip_locked=True)
                    )
                )
                if not ids:
                    break
                session.execute(
                    update(Checkin)
                    .where(Checkin.id == any_(bindparam("ids", ids, type_=ARRAY(Checkin.id.type))))
                    .values(status="sent", sent_at=NOW),
                    execution_options={"synchronize_session": False},
                )
                session.commit()
                claimed += len(ids)
            set_based = claimed / (time.perf_counter() - started)
            session.execute(update(Checkin).values(status="scheduled", sent_at=None))
            session.commit()
            rows = list(session.scalars(select(Checkin).order_by(Checkin.send_at).limit(min(10_000, checkins))))
            started = time.perf_counter()
            for start in range(0, len(rows), batch):
                for checkin in rows[start : start + batch]:
                    checkin.status = "sent"
                    checkin.sent_at = NOW
                    session.flush()
                session.commit()
            row_at_a_time = len(rows) / (time.perf_counter() - started)
            session.remove()
            db.engine.dispose()
    return {"set_based_claims": set_based, "orm_row_updates": row_at_a_time}


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        _, _, url, go, batch, log_file = sys.argv
        worker(url, go, int(batch), log_file)
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkins", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--processes", default="1,2")
    parser.add_argument("--calibrate", action="store_true", help="also measure the issue's reference operations")
    args = parser.parse_args()
    base = os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG)
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.1f}")
    if args.calibrate:
        reference = calibrate(base, checkins=args.checkins, batch=args.batch)
        print(
            f"reference operations here: set-based claims {reference['set_based_claims']:,.0f} rows/s "
            f"(issue: 150,000), row-at-a-time ORM updates {reference['orm_row_updates']:,.0f} rows/s (issue: 11,000)"
        )
    print(f"{args.checkins:,} due check-ins, batches of {args.batch}, PostgreSQL at {base.split('@')[-1]}")
    results = {}
    for n in (int(p) for p in args.processes.split(",")):
        result = measure(base, checkins=args.checkins, processes=n, batch=args.batch)
        results[n] = result
        ok = (
            result["checkins_sent"] == result["prompts_sent"] == result["distinct_delivered"] == args.checkins
            and result["delivered_lines"] == args.checkins
            and result["checkins_prompted_twice"] == 0
        )
        phases = "; ".join(
            f"sent {r['sent']:,} in {r['send_s']:.2f} s, delivered {r['delivered']:,} in {r['deliver_s']:.2f} s"
            for r in result["reports"]
        )
        print(
            f"{n} process{'es' if n > 1 else ''}: {result['seconds']:.2f} s, {result['rows_per_s']:,.0f} check-ins/s "
            f"end to end ({phases}); exactly once: {'yes' if ok else 'NO'}"
        )
        per_thousand = 1000 / args.checkins
        job_cpu = sum(r["cpu_s"] for r in result["reports"]) * per_thousand
        database = result["database_cpu_s"]
        print(
            f"  CPU per 1,000 check-ins: job process{'es' if n > 1 else ''} {job_cpu * 1000:.0f} ms"
            + (f", PostgreSQL {database * per_thousand * 1000:.0f} ms" if database is not None else "")
        )


if __name__ == "__main__":
    main()
