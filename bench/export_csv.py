"""How the CSV line listing of adverse events behaves with volume: time, bytes, and traced memory peak.

    python -m bench.export_csv [--pg URL] [--counts 5000 50000] [--no-trace]

Builds a throwaway PostgreSQL database at head, a clinic with an admin and a patient, then for each count
inserts that many events in their own month and streams GET /api/v1/adverse-events/export.csv for that
month through the app (in process), reading the body chunk by chunk as a client would.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
import uuid
from datetime import UTC, date, datetime, timedelta

from flask import current_app
from flask_migrate import upgrade
from sqlalchemy import insert

from bench.common import DEFAULT_PG, fresh_postgres
from service import create_app
from service.clock import now_utc
from service.domain import auth
from service.enums import Role
from service.extensions import db
from service.models import AdverseEvent, Clinic, Clinician, Patient
from service.security.passwords import hash_password


def _setup() -> tuple[uuid.UUID, uuid.UUID, dict]:
    now = now_utc()
    clinic = Clinic(name="Bench", time_zone="UTC", settings={}, created_at=now, updated_at=now)
    db.session.add(clinic)
    db.session.flush()
    admin = Clinician(
        clinic_id=clinic.id,
        email="admin@bench.test",
        name="Bench Admin",
        role=Role.ADMIN,
        password_hash=hash_password("bench password that is long enough"),
        created_at=now,
        updated_at=now,
    )
    patient = Patient(
        clinic_id=clinic.id,
        display_name="Bench Patient",
        date_of_birth=date(1980, 1, 1),
        time_zone="UTC",
        created_at=now,
        updated_at=now,
    )
    db.session.add_all([admin, patient])
    db.session.commit()
    settings = auth.AuthSettings.from_config(current_app.config)
    pair = auth.sign_in_clinician(db.session, clinician=admin, settings=settings, now=now)
    db.session.commit()
    return clinic.id, patient.id, {"Authorization": f"Bearer {pair.access_token}"}


def _insert(clinic_id, patient_id, count: int, start: datetime) -> None:
    step = timedelta(days=28) / count
    batch = []
    for n in range(count):
        onset = start + step * n
        batch.append(
            {
                "id": uuid.uuid4(),
                "clinic_id": clinic_id,
                "patient_id": patient_id,
                "term": "Nausea",
                "grade": 1 + n % 3,
                "serious": False,
                **{
                    f"seriousness_{c}": False
                    for c in (
                        "death",
                        "life_threatening",
                        "hospitalization",
                        "disability",
                        "congenital_anomaly",
                        "medically_important",
                    )
                },
                "causality": "possible",
                "action_taken": "none",
                "outcome": "recovered",
                "onset_at": onset,
                "resolved_at": onset + timedelta(hours=4),
                "aware_at": onset + timedelta(hours=1),
                "narrative": "Bench event. " * 20,
                "infusion_route": "iv",
                "infusion_dose_mg": 40.0,
                "infusion_dose_mg_per_kg": 0.5,
                "infusion_started_at": onset - timedelta(hours=3),
                "infusion_ended_at": onset - timedelta(hours=2),
                "created_at": onset,
                "updated_at": onset,
                "version": 1,
            }
        )
        if len(batch) == 5000:
            db.session.execute(insert(AdverseEvent), batch)
            batch = []
    if batch:
        db.session.execute(insert(AdverseEvent), batch)
    db.session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg", default=DEFAULT_PG)
    parser.add_argument("--counts", type=int, nargs="+", default=[5000, 50000])
    parser.add_argument("--no-trace", action="store_true", help="time without tracemalloc (it slows Python down)")
    args = parser.parse_args()
    with fresh_postgres(args.pg, prefix="aftercare_bench_export") as url:
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench-" + "x" * 40, "LOG_LEVEL": "WARNING"})
        with app.app_context():
            upgrade()
            clinic_id, patient_id, headers = _setup()
            client = app.test_client()
            for index, count in enumerate(args.counts):
                start = datetime(2025, 1 + index, 1, tzinfo=UTC)
                _insert(clinic_id, patient_id, count, start)
                first, last = start.date(), (start + timedelta(days=28)).date()
                query = f"?from={first.isoformat()}&to={last.isoformat()}"
                if not args.no_trace:
                    tracemalloc.start()
                began = time.perf_counter()
                response = client.get(f"/api/v1/adverse-events/export.csv{query}", headers=headers, buffered=False)
                first_chunk = None
                size = chunks = 0
                for chunk in response.response:
                    if first_chunk is None:
                        first_chunk = time.perf_counter() - began
                    size += len(chunk)
                    chunks += 1
                response.close()
                elapsed = time.perf_counter() - began
                peak = 0
                if not args.no_trace:
                    _, peak = tracemalloc.get_traced_memory()
                    tracemalloc.stop()
                print(
                    f"{count:>7} events: {size / 1e6:6.1f} MB in {chunks:>5} chunks, {elapsed:5.2f} s "
                    f"({count / elapsed:,.0f} rows/s), first chunk after {first_chunk * 1000:.0f} ms, "
                    + (f"traced peak {peak / 1e6:.2f} MB" if peak else "(not traced)")
                )
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
