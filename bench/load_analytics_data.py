"""Build the analytics benchmark's data set on PostgreSQL: a year and more of a few clinics' history.

At scale 1: 10,000 patients (8 in 10 in the measured clinic, the rest in two others), 200,000 infusions
(6 induction infusions three days apart, then maintenance every 18 days; IV, intranasal or IM, weight-based
doses from 0.3 to 1.07 mg/kg), 1,000,000 reports (two tied to each infusion within 72 h of its end, with
side effects; the rest daily check-ins over 400 days, one in six with PHQ-9 answers, and a PHQ-9 baseline
before each patient's first infusion), 100,000 flags over the same 400 days (two rules with a version
change half way) with their events (opened, joined, acknowledged, escalated, resolved) and resolutions.

Set-based SQL (INSERT … SELECT over generate_series) in chunks, with a progress bar. Used by bench/analytics.py.
"""

from __future__ import annotations

import time
import uuid

from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from bench.load_queue_data import PRIORITY, URGENCY, bar
from service.domain import incidence, outcomes
from service.rules.engine import REGISTRY
from service.vocabulary import SYMPTOMS

DAYS = 400
STAGGER = 130  # patients start treatment over the first STAGGER days of the history
RULES = tuple(rule for rule in PRIORITY if rule in REGISTRY)
# Rules whose version changed half way through the history: the older half of their flags are of version - 1.
CHANGED = tuple(rule for rule in RULES if REGISTRY[rule].version > 1)
RESOLUTIONS = ("no_action_needed", "contacted_patient", "no_action_needed", "adjusted_treatment", "duplicate")


def _array(values) -> str:
    return "ARRAY[" + ",".join(f"'{v}'" for v in values) + "]"


def load(url: str, *, clinic_ids: list[uuid.UUID], scale: float = 1.0, chunk: int = 100_000) -> dict:
    """Fill an already-migrated database whose clinics exist (the first one measured) with the data set."""
    patients = max(30, int(10_000 * scale))
    infusions = int(200_000 * scale)
    reports = int(1_000_000 * scale)
    flags = int(100_000 * scale)
    linked = 2 * infusions
    checkins = max(0, reports - linked - patients)
    engine = create_engine(url)
    clinics = "ARRAY[" + ",".join(f"CAST('{c}' AS uuid)" for c in clinic_ids) + "]"
    # Patient n: clinic 1 for n % 10 < 8, else the others; starts treatment (n % STAGGER) days after the history does.
    clinic_of = f"({clinics})[CASE WHEN n % 10 < 8 THEN 1 ELSE 2 + (n % 10 - 8) % {len(clinic_ids) - 1} END]"
    started = time.time()
    with engine.begin() as c:
        c.execute(text("CREATE TABLE _bench_patients (n integer PRIMARY KEY, id uuid, clinic_id uuid, t0 timestamptz)"))
        c.execute(
            text(f"""
            INSERT INTO _bench_patients
            SELECT n, md5('p' || n)::uuid, {clinic_of},
                   date_trunc('hour', now()) - interval '{DAYS} days' + (n % {STAGGER}) * interval '1 day'
                   + interval '15 hours'
            FROM generate_series(1, CAST(:n AS integer)) n"""),
            {"n": patients},
        )
        c.execute(
            text("""
            INSERT INTO patients (id, clinic_id, display_name, date_of_birth, time_zone, quiet_hours_start,
                                  quiet_hours_end, preferred_channel, status, language, created_at, updated_at)
            SELECT id, clinic_id, 'Patient ' || n, DATE '1970-01-01' + (n % 15000), 'America/Denver', TIME '21:00',
                   TIME '08:00', 'push', 'active', 'en', t0 - interval '10 days', t0 - interval '10 days'
            FROM _bench_patients""")
        )
    bar("patients", patients, patients, started)

    # Infusion g (0-based): patient 1 + g % P, the k-th (k = g / P) of theirs.
    started = time.time()
    start = (
        "p.t0 + CASE WHEN k < 6 THEN k * interval '3 days' "
        "ELSE interval '15 days' + (k - 5) * interval '18 days' END + (g % 7) * interval '17 minutes'"
    )
    for offset in range(0, infusions, chunk):
        size = min(chunk, infusions - offset)
        with engine.begin() as c:
            c.execute(
                text(f"""
                INSERT INTO infusions (id, clinic_id, patient_id, started_at, ended_at, route, dose_mg, dose_mg_per_kg,
                                       phase, pre_systolic, pre_diastolic, pre_heart_rate, created_at, updated_at,
                                       version)
                SELECT md5('i' || g)::uuid, p.clinic_id, p.id, s,
                       s + interval '40 minutes' + (g % 20) * interval '1 minute',
                       CASE WHEN g % 10 < 7 THEN 'iv' WHEN g % 10 < 9 THEN 'intranasal' ELSE 'intramuscular' END,
                       round(((0.3 + (g % 12) * 0.07) * (55 + p.n % 45))::numeric, 1),
                       CASE WHEN g % 50 = 0 THEN NULL ELSE 0.3 + (g % 12) * 0.07 END,
                       CASE WHEN k < 6 THEN 'induction' ELSE 'maintenance' END, 120 + g % 30, 75 + g % 10, 70 + g % 20,
                       s, s, 1
                FROM (SELECT g, g / CAST(:np AS integer) AS k, 1 + g % CAST(:np AS integer) AS pn
                      FROM generate_series(CAST(:lo AS integer), CAST(:hi AS integer)) g) x
                JOIN _bench_patients p ON p.n = x.pn
                CROSS JOIN LATERAL (SELECT {start} AS s) t"""),
                {"lo": offset, "hi": offset + size - 1, "np": patients},
            )
        bar("infusions", offset + size, infusions, started)

    # Two reports per infusion: 2-21 h and 24-63 h after its end, each with one or two side effects.
    codes = [s.code for s in SYMPTOMS]
    started = time.time()
    for offset in range(0, infusions, chunk // 2):
        size = min(chunk // 2, infusions - offset)
        with engine.begin() as c:
            c.execute(
                text("""
                INSERT INTO reports (id, clinic_id, patient_id, client_report_id, body_hash, observed_at, received_at,
                                     infusion_id, mood, flagged, crisis, paged)
                SELECT md5('r' || g || '-' || j)::uuid, i.clinic_id, i.patient_id, md5('c' || g || '-' || j)::uuid,
                       md5(g || '-' || j), o, o + interval '1 minute', i.id, 3 + (g + j) % 7, false, false, false
                FROM generate_series(CAST(:lo AS integer), CAST(:hi AS integer)) g
                CROSS JOIN (VALUES (1), (2)) v(j)
                JOIN infusions i ON i.id = md5('i' || g)::uuid
                CROSS JOIN LATERAL (SELECT i.ended_at + CASE WHEN j = 1 THEN (2 + g % 20) * interval '1 hour'
                                                        ELSE (24 + g % 40) * interval '1 hour' END AS o) t"""),
                {"lo": offset, "hi": offset + size - 1},
            )
            c.execute(
                text(f"""
                INSERT INTO report_symptoms (report_id, code, severity)
                SELECT md5('r' || g || '-' || j)::uuid, ({_array(codes)})[1 + (g * 7 + j * 3 + e * 5) % {len(codes)}],
                       (g + j + e) % 4
                FROM generate_series(CAST(:lo AS integer), CAST(:hi AS integer)) g
                CROSS JOIN (VALUES (1), (2)) v(j)
                CROSS JOIN (VALUES (0), (1)) w(e)
                WHERE e = 0 OR g % 3 = 0"""),
                {"lo": offset, "hi": offset + size - 1},
            )
        bar("follow-ups", offset + size, infusions, started)

    # Each patient's PHQ-9 baseline, a week before their first infusion; then check-ins spread evenly from their
    # first infusion to now, one in six a PHQ-9 falling with time on treatment.
    started = time.time()
    answers = "(SELECT json_agg(t / 9 + CASE WHEN q <= t % 9 THEN 1 ELSE 0 END) FROM generate_series(1, 9) q)"
    with engine.begin() as c:
        c.execute(
            text(f"""
            INSERT INTO reports (id, clinic_id, patient_id, client_report_id, body_hash, observed_at, received_at,
                                 mood, phq9, phq9_total, flagged, crisis, paged)
            SELECT md5('b' || p.n)::uuid, p.clinic_id, p.id, md5('cb' || p.n)::uuid, md5('b' || p.n),
                   p.t0 - interval '7 days', p.t0 - interval '7 days', 3, {answers}, t, false, false, false
            FROM _bench_patients p CROSS JOIN LATERAL (SELECT 14 + p.n % 12 AS t) x""")
        )
    for offset in range(0, checkins, chunk):
        size = min(chunk, checkins - offset)
        with engine.begin() as c:
            # Check-in g: patient 1 + g % P, on day g / P of their treatment (repeating the range), at a spread hour.
            c.execute(
                text(f"""
                INSERT INTO reports (id, clinic_id, patient_id, client_report_id, body_hash, observed_at, received_at,
                                     mood, phq9, phq9_total, flagged, crisis, paged)
                SELECT md5('d' || g)::uuid, p.clinic_id, p.id, md5('cd' || g)::uuid, md5('d' || g), o,
                       o + interval '2 minutes', g % 11, CASE WHEN g % 6 = 0 THEN {answers} END,
                       CASE WHEN g % 6 = 0 THEN t END, false, false, false
                FROM generate_series(CAST(:lo AS integer), CAST(:hi AS integer)) g
                JOIN _bench_patients p ON p.n = 1 + g % CAST(:np AS integer)
                CROSS JOIN LATERAL (SELECT (g / CAST(:np AS integer)) * ({DAYS} - 2 - p.n % {STAGGER}) / :per AS d) y
                CROSS JOIN LATERAL (SELECT p.t0 + d * interval '1 day' + (g % 600) * interval '1 minute' AS o,
                                           greatest(0, 14 + p.n % 12 - d / 14 - g % 5) AS t) x"""),
                {"lo": offset, "hi": offset + size - 1, "np": patients, "per": -(-checkins // patients)},
            )
            c.execute(
                text(f"""
                INSERT INTO report_symptoms (report_id, code, severity)
                SELECT md5('d' || g)::uuid, ({_array(codes)})[1 + g % {len(codes)}], g % 3
                FROM generate_series(CAST(:lo AS integer), CAST(:hi AS integer)) g WHERE g % 4 = 0"""),
                {"lo": offset, "hi": offset + size - 1},
            )
        bar("check-ins", offset + size, checkins, started)

    # Flag g: patient 1 + (g / R) % P, rule g % R (one active flag per patient and rule at most), opened at a
    # spread moment of the history; the last week's are still open (1 in 3 acknowledged), older ones resolved.
    started = time.time()
    rules = _array(RULES)
    versions = "ARRAY[" + ",".join(str(REGISTRY[r].version) for r in RULES) + "]"
    changed = "ARRAY[" + ",".join("true" if r in CHANGED else "false" for r in RULES) + "]"
    priorities = _array(PRIORITY[r] for r in RULES)
    urgencies = "ARRAY[" + ",".join(str(URGENCY[PRIORITY[r]]) for r in RULES) + "]"
    targets = "ARRAY[" + ",".join({"critical": "15", "high": "60", "medium": "240"}[PRIORITY[r]] for r in RULES) + "]"
    n_rules = len(RULES)
    for offset in range(0, flags, chunk // 2):
        size = min(chunk // 2, flags - offset)
        with engine.begin() as c:
            c.execute(
                text(f"""
                INSERT INTO flags (id, clinic_id, patient_id, rule, rule_version, priority, urgency, status, reason,
                                   evidence, due_by, report_count, created_at, updated_at, last_report_at,
                                   acknowledged_at, first_acknowledged_at, resolved_at, resolution,
                                   resolution_note, escalation_level, escalation_count, escalated_at, page_count,
                                   version)
                SELECT md5('f' || g)::uuid, p.clinic_id, p.id, ({rules})[r], v, ({priorities})[r], ({urgencies})[r],
                       CASE WHEN old THEN 'resolved' WHEN g % 3 = 0 THEN 'acknowledged' ELSE 'open' END,
                       'Benchmark flag ' || g, '{{}}'::json, o + ({targets})[r] * interval '1 minute',
                       1 + (g % 10 = 0)::int, o, o, o,
                       CASE WHEN ack THEN o + a * interval '1 minute' END,
                       CASE WHEN ack THEN o + a * interval '1 minute' END,
                       CASE WHEN old THEN o + (a + 30 + g % 600) * interval '1 minute' END,
                       CASE WHEN old THEN ({_array(RESOLUTIONS)})[1 + g % {len(RESOLUTIONS)}] END,
                       CASE WHEN old THEN 'ok' END, (g % 20 = 0)::int, (g % 20 = 0)::int,
                       CASE WHEN g % 20 = 0 THEN o + interval '20 minutes' END, 1, 1
                FROM generate_series(CAST(:lo AS integer), CAST(:hi AS integer)) g
                JOIN _bench_patients p ON p.n = 1 + (g / {n_rules}) % CAST(:np AS integer)
                CROSS JOIN LATERAL (
                    SELECT 1 + g % {n_rules} AS r,
                           now() - interval '{DAYS} days'
                           + (g * 7919 % ({DAYS} * 1440 - 30)) * interval '1 minute' AS o,
                           5 + g % 180 AS a) x
                CROSS JOIN LATERAL (
                    SELECT o < now() - interval '7 days' AS old,
                           (o < now() - interval '7 days' AND g % 10 <> 9) OR g % 3 = 0 AS ack,
                           CASE WHEN ({changed})[r] AND o < now() - interval '{DAYS // 2} days'
                                THEN ({versions})[r] - 1 ELSE ({versions})[r] END AS v) y"""),
                {"lo": offset, "hi": offset + size - 1, "np": patients},
            )
            span = {"lo": offset, "hi": offset + size - 1}
            c.execute(
                text("""
                INSERT INTO flag_events (flag_id, at, kind, text)
                WITH f AS (SELECT f.* FROM flags f
                           JOIN generate_series(CAST(:lo AS integer), CAST(:hi AS integer)) g
                             ON f.id = md5('f' || g)::uuid)
                SELECT id, created_at, 'opened', NULL FROM f
                UNION ALL SELECT id, acknowledged_at, 'acknowledged', NULL FROM f WHERE acknowledged_at IS NOT NULL
                UNION ALL SELECT id, created_at + interval '3 hours', 'joined', NULL FROM f WHERE report_count > 1
                UNION ALL SELECT id, escalated_at, 'escalated', NULL FROM f WHERE escalated_at IS NOT NULL
                UNION ALL SELECT id, resolved_at, 'resolved', resolution_note FROM f WHERE resolved_at IS NOT NULL
                """),
                span,
            )
        bar("flags", offset + size, flags, started)
    with engine.begin() as c:
        # Each flag's report: its patient's check-in nearest before it opened (or their baseline).
        c.execute(
            text("""
            INSERT INTO flag_reports (flag_id, report_id, added_at)
            SELECT f.id, coalesce(
                       (SELECT r.id FROM reports r WHERE r.patient_id = f.patient_id AND r.observed_at <= f.created_at
                        ORDER BY r.observed_at DESC LIMIT 1),
                       (SELECT r.id FROM reports r WHERE r.patient_id = f.patient_id ORDER BY r.observed_at LIMIT 1)),
                   f.created_at
            FROM flags f""")
        )
        c.execute(text("DROP TABLE _bench_patients"))
    # The rows went in straight, not through the service: the roll-ups the service keeps as it stores them are
    # worked out here by the same code the migrations use (and timed: what those migrations cost at this size).
    for name, rebuild in (("incidence roll-up", incidence.rebuild), ("patient courses", outcomes.rebuild_courses)):
        began = time.time()
        with Session(engine) as session, session.begin():
            rebuild(session)
        print(f"{name:18} rebuilt in {time.time() - began:.1f}s", flush=True)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    return {"patients": patients, "infusions": infusions, "reports": linked + patients + checkins, "flags": flags}
