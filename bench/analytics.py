"""Analytics reads on PostgreSQL with 1,000,000 reports, 100,000 flags and 200,000 infusions: under a second each?

How the figures are got:
- A throwaway database is migrated and loaded by bench/load_analytics_data.py (set-based SQL, progress bar):
  three clinics (America/Denver), 8 in 10 of the patients and their history in the measured one.
- The real app (service.create_app) answers in process through Flask's test client, as a signed-in physician
  of the measured clinic: GET /api/v1/analytics/rules (+ .csv), /analytics/incidence (+ .csv, and filtered by
  route and dose band), /analytics/outcomes for the last 365 clinic days and the last 30, and
  GET /api/v1/flag-cases (the first page of the queue by patient). Each is asked once to warm up, then
  --runs times; p50 and p90 of the wall-clock times (ms), every answer checked to be a 200.
- Calibration, in the same run: GET /healthz (the app's own floor per request) and one SELECT count(*) of the
  clinic's reports received in the year (the least any figure over a year of reports can cost here).
- EXPLAIN (ANALYZE) of every SQL statement one request to each endpoint ran (captured as the app sent them):
  the slowest statements, their time and top plan node.
- --without-indexes first drops the indexes the analytics migration adds (ANALYZE), times everything, then
  puts them back (ANALYZE) and times again: before/after figures of the indexes in one run.

Run:  .venv/bin/python -m bench.analytics [--scale 1.0] [--runs 7] [--without-indexes]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import time
from datetime import timedelta

from flask_migrate import upgrade
from sqlalchemy import event, text

from bench.common import DEFAULT_PG, ROOT, fresh_postgres, machine
from bench.load_analytics_data import load
from service import create_app
from service.clock import now_utc
from service.domain import auth
from service.domain.clinicians import create_clinician
from service.domain.clinics import create_clinic
from service.enums import Role
from service.extensions import db

SECRET = "bench-secret-key-" + "a" * 40
# The indexes migration 6d2b9e4a7c13 adds (as it makes them on PostgreSQL), dropped for --without-indexes.
ANALYTICS_INDEXES = {
    "ix_reports_clinic_received": "ON reports (clinic_id, received_at)",
    "ix_reports_infusion_observed": "ON reports (infusion_id, observed_at) WHERE infusion_id IS NOT NULL",
    "ix_reports_clinic_phq9": (
        "ON reports (clinic_id, patient_id, observed_at, received_at) WHERE phq9_total IS NOT NULL"
    ),
    "ix_infusions_clinic_ended": "ON infusions (clinic_id, ended_at)",
    "ix_infusions_clinic_patient_started": "ON infusions (clinic_id, patient_id, started_at)",
    "ix_flags_clinic_created": "ON flags (clinic_id, created_at)",
    "ix_flags_clinic_rule_version": "ON flags (clinic_id, rule, rule_version, created_at)",
    "ix_flag_events_kind_at": "ON flag_events (kind, at)",
}


def prepare(url: str, scale: float) -> tuple[dict, str, dict]:
    """Migrate, make the clinics and a physician, load the data set; (app config, physician token, counts)."""
    config = {"DATABASE_URL": url, "SECRET_KEY": SECRET, "TESTING": False, "LOG_JSON": False}
    app = create_app(config)
    with app.app_context():
        upgrade()
        now = now_utc()
        clinics = []
        for n in range(3):
            clinic, _ = create_clinic(
                db.session,
                name=f"Analytics Bench {n + 1}",
                time_zone="America/Denver",
                admin_email=f"admin{n}@analytics.bench",
                admin_password="analytics bench admin password",
                now=now,
            )
            clinics.append(clinic)
        physician = create_clinician(
            db.session,
            clinic=clinics[0],
            email="physician@analytics.bench",
            name="Bench Physician",
            role=Role.PHYSICIAN,
            password="analytics bench physician password",
            now=now,
        )
        db.session.commit()
        counts = load(url, clinic_ids=[c.id for c in clinics], scale=scale)
        token = auth.sign_in_clinician(
            db.session, clinician=physician, settings=auth.AuthSettings.from_config(app.config), now=now_utc()
        ).access_token
        db.session.commit()
        counts["clinic_reports"] = db.session.scalar(
            text("SELECT count(*) FROM reports WHERE clinic_id = :c"), {"c": clinics[0].id}
        )
        counts["clinic_id"] = str(clinics[0].id)
        db.session.remove()
        db.engine.dispose()
    return config, token, counts


def targets(today) -> dict[str, str]:
    year = f"from={(today - timedelta(days=364)).isoformat()}&to={today.isoformat()}"
    month = f"from={(today - timedelta(days=29)).isoformat()}&to={today.isoformat()}"
    paths = {"healthz": "/healthz"}
    for label, span in (("year", year), ("month", month)):
        paths |= {
            f"rules.{label}": f"/api/v1/analytics/rules?{span}",
            f"rules.csv.{label}": f"/api/v1/analytics/rules.csv?{span}",
            f"incidence.{label}": f"/api/v1/analytics/incidence?{span}",
            f"incidence.csv.{label}": f"/api/v1/analytics/incidence.csv?{span}",
            f"outcomes.{label}": f"/api/v1/analytics/outcomes?{span}",
        }
    paths["incidence.iv_band.year"] = f"/api/v1/analytics/incidence?{year}&route=iv&dose_band=0.5_to_0.75"
    paths["flag-cases"] = "/api/v1/flag-cases?limit=25"
    return paths


def time_all(app, headers: dict, paths: dict[str, str], runs: int, clinic_id: str) -> dict[str, dict]:
    client = app.test_client()
    figures = {}
    for name, path in paths.items():
        client.get(path, headers=headers)  # warm up
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            response = client.get(path, headers=headers)
            response.get_data()
            times.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"{path} answered {response.status_code}: {response.get_data(as_text=True)[:300]}")
        figures[name] = _summary(times)
    with app.app_context():
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            db.session.execute(
                text(
                    "SELECT count(*) FROM reports WHERE clinic_id = :c AND received_at >= now() - interval '365 days'"
                ),
                {"c": clinic_id},
            ).scalar()
            times.append((time.perf_counter() - started) * 1000)
        db.session.remove()
        figures["calibration.count_year_reports"] = _summary(times)
    return figures


def _summary(times: list[float]) -> dict:
    ordered = sorted(times)
    p90 = statistics.quantiles(ordered, n=10, method="inclusive")[-1] if len(ordered) > 1 else ordered[0]
    return {"p50_ms": round(statistics.median(ordered), 1), "p90_ms": round(p90, 1), "runs": len(ordered)}


def explain(app, headers: dict, paths: dict[str, str], top: int = 3) -> dict[str, list[dict]]:
    """Every statement one request to each path ran, under EXPLAIN (ANALYZE): the slowest ``top`` of each."""
    client = app.test_client()
    plans: dict[str, list[dict]] = {}
    with app.app_context():
        engine = db.engine
    for name, path in paths.items():
        if name == "healthz" or ".csv." in name:
            continue
        captured: list[tuple[str, object]] = []

        def capture(conn, cursor, statement, parameters, context, executemany, captured=captured):
            if statement.lstrip().upper().startswith("SELECT"):
                captured.append((statement, parameters))

        event.listen(engine, "before_cursor_execute", capture)
        try:
            client.get(path, headers=headers)
        finally:
            event.remove(engine, "before_cursor_execute", capture)
        rows = []
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            for statement, parameters in captured:
                cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters)
                plan = cursor.fetchone()[0][0]
                node = plan["Plan"]
                rows.append(
                    {
                        "ms": round(plan["Execution Time"], 1),
                        "node": node["Node Type"] + (f" on {node['Relation Name']}" if "Relation Name" in node else ""),
                        "rows": node.get("Actual Rows"),
                        "scans": sorted(_scans(node)),
                        "sql": " ".join(statement.split())[:160],
                    }
                )
            raw.rollback()
        finally:
            raw.close()
        plans[name] = sorted(rows, key=lambda r: -r["ms"])[:top]
    return plans


def _scans(node: dict) -> set[str]:
    """The scans of a plan: 'Seq Scan on reports', 'Index Only Scan using ix_… on …'."""
    found = set()
    if "Scan" in node["Node Type"] and "Relation Name" in node:
        index = f" using {node['Index Name']}" if "Index Name" in node else ""
        found.add(f"{node['Node Type']}{index} on {node['Relation Name']}")
    for child in node.get("Plans", []):
        found |= _scans(child)
    return found


def print_figures(title: str, figures: dict[str, dict]) -> None:
    print(f"\n{title}")
    print(f"{'':34}{'p50 ms':>10}{'p90 ms':>10}")
    for name, row in figures.items():
        print(f"{name:34}{row['p50_ms']:10.1f}{row['p90_ms']:10.1f}")


def print_plans(plans: dict[str, list[dict]]) -> None:
    print("\nEXPLAIN (ANALYZE): the slowest statements of one request to each endpoint")
    for name, rows in plans.items():
        print(f"  {name}")
        for row in rows:
            print(f"    {row['ms']:8.1f} ms  {row['node']} ({row['rows']} rows)  {'; '.join(row['scans'])}")
            print(f"               {row['sql']}")


def set_indexes(url: str, present: bool) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.begin() as c:
        for name, definition in ANALYTICS_INDEXES.items():
            c.execute(text(f"DROP INDEX IF EXISTS {name}"))
            if present:
                c.execute(text(f"CREATE INDEX {name} {definition}"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(text("ANALYZE"))
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0: 1M reports, 100k flags, 200k infusions")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--without-indexes", action="store_true", help="also time with the analytics indexes dropped")
    args = parser.parse_args()
    logging.getLogger("service").setLevel(logging.WARNING)  # no request log line per timed request
    base = os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG)
    results: dict = {"machine": machine(), "scale": args.scale, "runs": args.runs}
    with fresh_postgres(base, prefix="aftercare_analytics") as url:
        started = time.time()
        config, token, counts = prepare(url, args.scale)
        load_seconds = time.time() - started
        print(f"data set ready in {load_seconds:.0f}s: {counts}")
        results["counts"] = counts
        results["load_seconds"] = round(load_seconds)
        app = create_app(config)
        headers = {"Authorization": f"Bearer {token}"}
        with app.app_context():
            from service.models import Clinic

            zone = db.session.get(Clinic, counts["clinic_id"]).time_zone
            db.session.remove()
        from zoneinfo import ZoneInfo

        today = now_utc().astimezone(ZoneInfo(zone)).date()
        paths = targets(today)
        if args.without_indexes:
            set_indexes(url, present=False)
            before = time_all(app, headers, paths, args.runs, counts["clinic_id"])
            print_figures("Without the analytics indexes", before)
            results["without_indexes"] = before
            results["plans_without_indexes"] = explain(app, headers, paths)
            print_plans(results["plans_without_indexes"])
            set_indexes(url, present=True)
        after = time_all(app, headers, paths, args.runs, counts["clinic_id"])
        print_figures("With the analytics indexes" if args.without_indexes else "Figures", after)
        results["figures"] = after
        results["plans"] = explain(app, headers, paths)
        print_plans(results["plans"])
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    print(
        f"\nMachine: {machine()}; PostgreSQL; {counts['reports']:,} reports ({counts['clinic_reports']:,} in the "
        f"measured clinic), {counts['flags']:,} flags, {counts['infusions']:,} infusions; in process (Flask test "
        f"client), {args.runs} runs after one warm-up; ranges: the last 365 and 30 clinic days."
    )
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "analytics.json").write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
