"""Operational endpoints outside the versioned API: liveness, readiness, metrics."""

from __future__ import annotations

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Blueprint, Response, current_app, redirect
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from service import MIGRATIONS_DIR
from service.clock import now_utc
from service.domain import flags, job_runs
from service.extensions import db
from service.metrics import gauge, render

blp = Blueprint("health", __name__)


def expected_heads() -> set[str]:
    """The revision(s) the code expects the database to be at."""
    config = Config()
    config.set_main_option("script_location", MIGRATIONS_DIR)
    return set(ScriptDirectory.from_config(config).get_heads())


@blp.get("/healthz")
def healthz():
    """The process is alive."""
    return {"status": "ok"}


@blp.get("/readyz")
def readyz():
    """The database answers and its schema is at the code's migration head."""
    checks = {}
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            current = set(MigrationContext.configure(connection).get_current_heads())
        checks["database"] = "ok"
    except SQLAlchemyError:
        current_app.logger.warning("readiness: database unreachable")
        return {"status": "unavailable", "checks": {"database": "unreachable"}}, 503
    expected = expected_heads()
    checks["migrations"] = "ok" if current == expected else "pending"
    ready = all(v == "ok" for v in checks.values())
    body = {"status": "ok" if ready else "unavailable", "checks": checks}
    return body, 200 if ready else 503


@blp.get("/docs")
def docs():
    """The interactive API docs live under the versioned prefix."""
    return redirect("/api/v1/docs", code=302)


@blp.get("/metrics")
def metrics():
    """Prometheus metrics: counters of the API processes and gauges read from the database."""
    try:
        stats = flags.queue_stats(db.session, now=now_utc())
    except SQLAlchemyError:  # the counters still answer when the database does not
        db.session.rollback()
        return Response(
            render([gauge("aftercare_database_up", "The database answers", 0)]), mimetype=CONTENT_TYPE_LATEST
        )
    jobs = job_runs.status(db.session, clinic_id=None, now=now_utc())
    gauges = [
        gauge("aftercare_database_up", "The database answers", 1),
        gauge(
            "aftercare_job_lag_seconds",
            "Seconds since each job last succeeded (-1: never)",
            {(job["name"],): job["lag_seconds"] if job["lag_seconds"] is not None else -1 for job in jobs["jobs"]},
            labels=("job",),
        ),
        gauge(
            "aftercare_job_last_duration_seconds",
            "How long each job's last run took",
            {(job["name"],): job["last_duration_ms"] / 1000 for job in jobs["jobs"]},
            labels=("job",),
        ),
        gauge("aftercare_checkins_overdue", "Check-ins due 15+ min ago and not sent", jobs["checkins_overdue"]),
        gauge(
            "aftercare_outbox",
            "Messages in the outbox by state",
            {
                ("pending",): jobs["notifications_pending"],
                ("sending",): jobs["notifications_sending"],
                ("dead",): jobs["notifications_dead"],
            },
            labels=("status",),
        ),
        gauge(
            "aftercare_flags_active",
            "Open or acknowledged flags",
            {(priority,): count for priority, count in stats["active_by_priority"].items()},
            labels=("priority",),
        ),
        gauge(
            "aftercare_oldest_open_critical_seconds",
            "Age of the oldest unacknowledged critical flag",
            stats["oldest_open_critical_seconds"],
        ),
    ]
    db.session.rollback()
    return Response(render(gauges), mimetype=CONTENT_TYPE_LATEST)
