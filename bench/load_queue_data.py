"""Build the triage queue benchmark's data set on PostgreSQL: 1,000,000 reports and 100,000 flags.

Set-based SQL (INSERT … SELECT over generate_series) in chunks, with a progress bar; a few
minutes on the 2-core machine. Used by bench/queue.py; can also be run on its own:

    .venv/bin/python -m bench.load_queue_data --url postgresql+psycopg://postgres@127.0.0.1:5432/DB
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid

from sqlalchemy import create_engine, text

RULES = (
    "suicidal-ideation",
    "very-severe-symptom",
    "hypertensive-crisis",
    "severe-symptom",
    "elevated-blood-pressure",
    "blood-pressure-rise",
    "abnormal-heart-rate",
    "persistent-perceptual",
    "mood-dip",
    "persistent-symptom",
    "worsening",
    "misuse-signal",
    "urinary-toxicity",
    "unresponsive",
)
PRIORITY = {
    "suicidal-ideation": "critical",
    "very-severe-symptom": "critical",
    "hypertensive-crisis": "critical",
    "severe-symptom": "high",
    "elevated-blood-pressure": "high",
    "blood-pressure-rise": "high",
    "abnormal-heart-rate": "high",
    "persistent-perceptual": "high",
    "mood-dip": "high",
    "persistent-symptom": "medium",
    "worsening": "medium",
    "misuse-signal": "medium",
    "urinary-toxicity": "medium",
    "unresponsive": "medium",
}
URGENCY = {"critical": 1, "high": 2, "medium": 3, "low": 4}


def bar(label: str, done: int, total: int, started: float) -> None:
    width = 30
    filled = int(width * done / total)
    rate = done / max(time.time() - started, 1e-9)
    sys.stdout.write(f"\r{label:10} [{'#' * filled}{'.' * (width - filled)}] {done:>9,}/{total:,} ({rate:,.0f}/s)")
    sys.stdout.flush()
    if done >= total:
        sys.stdout.write("\n")


def load(
    url: str,
    *,
    clinic_id: uuid.UUID,
    reports: int = 1_000_000,
    flags: int = 100_000,
    patients: int = 10_000,
    chunk: int = 100_000,
) -> None:
    """Fill an already-migrated database (with the clinic row present) with the benchmark data set."""
    engine = create_engine(url)
    started = time.time()
    with engine.begin() as c:
        c.execute(
            text("""
            INSERT INTO patients (id, clinic_id, display_name, date_of_birth, time_zone, quiet_hours_start,
                                  quiet_hours_end, preferred_channel, status, created_at, updated_at)
            SELECT gen_random_uuid(), :clinic, 'Patient ' || g, DATE '1980-01-01' + (g % 9000),
                   'America/Denver', TIME '21:00', TIME '08:00', 'push', 'active', now(), now()
            FROM generate_series(1, CAST(:n AS integer)) g"""),
            {"clinic": clinic_id, "n": patients},
        )
        c.execute(
            text(
                "CREATE TABLE _bench_patients AS SELECT id, row_number() OVER (ORDER BY id) AS n "
                "FROM patients WHERE clinic_id = :clinic"
            ),
            {"clinic": clinic_id},
        )
        c.execute(text("CREATE UNIQUE INDEX ON _bench_patients (n)"))
    bar("patients", patients, patients, started)

    started = time.time()
    for offset in range(0, reports, chunk):
        size = min(chunk, reports - offset)
        with engine.begin() as c:
            c.execute(
                text("""
                INSERT INTO reports (id, clinic_id, patient_id, client_report_id, body_hash, observed_at,
                                     received_at, mood, note, flagged, crisis)
                SELECT md5('r' || g)::uuid, :clinic, p.id, gen_random_uuid(), md5(g::text),
                       now() - (g % 43200) * interval '1 minute', now() - (g % 43200) * interval '1 minute',
                       g % 11, NULL, false, false
                FROM generate_series(CAST(:lo AS integer), CAST(:hi AS integer)) g
                JOIN _bench_patients p ON p.n = 1 + (g % :np)"""),
                {"clinic": clinic_id, "lo": offset + 1, "hi": offset + size, "np": patients},
            )
            c.execute(
                text("""
                INSERT INTO report_symptoms (report_id, code, severity)
                SELECT md5('r' || g)::uuid,
                       (ARRAY['nausea', 'dizziness', 'headache', 'drowsiness', 'euphoria'])[1 + g % 5], g % 3
                FROM generate_series(CAST(:lo AS integer), CAST(:hi AS integer)) g"""),
                {"lo": offset + 1, "hi": offset + size},
            )
        bar("reports", offset + size, reports, started)

    started = time.time()
    rules = ",".join(f"'{r}'" for r in RULES)
    priorities = ",".join(f"'{PRIORITY[r]}'" for r in RULES)
    urgencies = ",".join(str(URGENCY[PRIORITY[r]]) for r in RULES)
    per_patient = len(RULES)
    for offset in range(0, flags, chunk // 2):
        size = min(chunk // 2, flags - offset)
        with engine.begin() as c:
            # Flag g belongs to patient 1 + g / 14 with rule g % 14: at most one active flag per patient
            # and rule; one in five is active, the rest resolved (the history a year of triage leaves).
            c.execute(
                text(f"""
                INSERT INTO flags (id, clinic_id, patient_id, rule, rule_version, priority, urgency, status, reason,
                                   evidence, due_by, report_count, created_at, updated_at, escalation_level,
                                   version, resolution, resolved_at, resolution_note)
                SELECT gen_random_uuid(), :clinic, p.id, (ARRAY[{rules}])[1 + g % {per_patient}], 1,
                       (ARRAY[{priorities}])[1 + g % {per_patient}],
                       (ARRAY[{urgencies}])[1 + g % {per_patient}],
                       CASE WHEN (g / {per_patient}) % 5 = 0 THEN 'open' ELSE 'resolved' END,
                       'Benchmark flag ' || g, '{{}}'::json, now() + ((g % 2880) - 1440) * interval '1 minute', 1,
                       now() - (g % 43200) * interval '1 minute', now(), 0, 1,
                       CASE WHEN (g / {per_patient}) % 5 = 0 THEN NULL ELSE 'no_action_needed' END,
                       CASE WHEN (g / {per_patient}) % 5 = 0 THEN NULL ELSE now() END,
                       CASE WHEN (g / {per_patient}) % 5 = 0 THEN NULL ELSE 'ok' END
                FROM generate_series(CAST(:lo AS integer), CAST(:hi AS integer)) g
                JOIN _bench_patients p ON p.n = 1 + ((g / {per_patient}) % :np)"""),
                {"clinic": clinic_id, "lo": offset, "hi": offset + size - 1, "np": patients},
            )
        bar("flags", offset + size, flags, started)
    with engine.begin() as c:
        c.execute(
            text("""
            INSERT INTO flag_reports (flag_id, report_id, added_at)
            SELECT f.id, (SELECT r.id FROM reports r WHERE r.patient_id = f.patient_id LIMIT 1), f.created_at
            FROM flags f WHERE f.clinic_id = :clinic"""),
            {"clinic": clinic_id},
        )
        c.execute(text("DROP TABLE _bench_patients"))
        c.execute(text("ANALYZE"))
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--clinic", required=True, type=uuid.UUID)
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--flags", type=int, default=100_000)
    args = parser.parse_args()
    load(args.url, clinic_id=args.clinic, reports=args.reports, flags=args.flags)


if __name__ == "__main__":
    main()
