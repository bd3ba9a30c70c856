"""The jobs' catalogue and their last runs: what `GET /jobs/status` shows so a stall is seen, not discovered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from service.enums import CheckinStatus, NotificationStatus
from service.models import Checkin, JobRun, Notification

OVERDUE_AFTER = timedelta(minutes=15)


@dataclass(frozen=True)
class JobSpec:
    name: str
    interval_seconds: int
    summary: str


# The jobs, in the order `jobs tick` runs them. Intervals are APScheduler's for `jobs run`.
JOBS: tuple[JobSpec, ...] = (
    JobSpec("deliver_pages", 1, "Send pages of critical flags (written with the report) within the second"),
    JobSpec("schedule_long_term", 900, "Make maintenance patients' quarterly long-term check-ins (once a quarter)"),
    JobSpec("send_checkins", 30, "Send due check-in prompts (outside quiet hours)"),
    JobSpec("send_reminders", 60, "Remind once, 2 h after a prompt, when unanswered"),
    JobSpec("mark_missed", 300, "Mark check-ins unanswered for 24 h as missed; run the unresponsive rule"),
    JobSpec("escalate_flags", 60, "Escalate critical and high flags nobody acknowledged"),
    JobSpec("daily_digest", 300, "Send each clinic's digest at 07:00 clinic time"),
    JobSpec("deliver_notifications", 10, "Send due outbox messages; retry with backoff; dead-letter"),
)
BY_NAME = {job.name: job for job in JOBS}


def _upsert(session: Session):
    return {"postgresql": pg_insert, "sqlite": sqlite_insert}[session.get_bind().dialect.name]


def record_start(session: Session, *, name: str, now: datetime) -> None:
    """Note that a job started (its own small transaction, committed by the caller)."""
    stmt = _upsert(session)(JobRun).values(name=name, last_started_at=now, last_items=0, last_duration_ms=0)
    session.execute(stmt.on_conflict_do_update(index_elements=["name"], set_={"last_started_at": now}))


def record_end(session: Session, *, name: str, now: datetime, items: int, duration_ms: int, error: str | None) -> None:
    """Note how a job ended: its last success (and items done), or its error."""
    values = {"last_finished_at": now, "last_duration_ms": duration_ms, "runs": JobRun.runs + 1}
    if error is None:
        values.update(last_success_at=now, last_items=items)
    else:
        values.update(last_error_at=now, last_error=error[:1000], failures=JobRun.failures + 1)
    session.execute(update(JobRun).where(JobRun.name == name).values(**values))


def status(session: Session, *, clinic_id, now: datetime) -> dict:
    """Each job's last run and lag, the clinic's check-ins overdue to send, and its outbox at a glance.

    clinic_id None looks across every clinic (the operators' view on /metrics).
    """
    mine = (lambda column: column == clinic_id) if clinic_id is not None else (lambda column: True)
    runs = {run.name: run for run in session.scalars(select(JobRun))}
    jobs = []
    for spec in JOBS:
        run = runs.get(spec.name)
        last_success = run.last_success_at if run else None
        lag = (now - last_success).total_seconds() if last_success else None
        jobs.append(
            {
                "name": spec.name,
                "summary": spec.summary,
                "interval_seconds": spec.interval_seconds,
                "last_started_at": run.last_started_at if run else None,
                "last_success_at": last_success,
                "last_error_at": run.last_error_at if run else None,
                "last_error": run.last_error if run else None,
                "last_items": run.last_items if run else 0,
                "last_duration_ms": run.last_duration_ms if run else 0,
                "lag_seconds": None if lag is None else round(lag, 1),
                "stale": lag is None or lag > 3 * spec.interval_seconds,
            }
        )
    overdue = session.scalar(
        select(func.count()).where(
            mine(Checkin.clinic_id),
            Checkin.status == CheckinStatus.SCHEDULED,
            Checkin.send_at <= now - OVERDUE_AFTER,
        )
    )
    # One count per state, each over its partial index (never the clinic's whole history of sent messages).
    by_status = {
        state: session.scalar(select(func.count()).where(Notification.status == state, mine(Notification.clinic_id)))
        for state in (NotificationStatus.PENDING, NotificationStatus.SENDING, NotificationStatus.DEAD)
    }
    oldest_pending = session.scalar(
        select(func.min(Notification.next_attempt_at)).where(
            mine(Notification.clinic_id), Notification.status == NotificationStatus.PENDING
        )
    )
    return {
        "now": now,
        "jobs": jobs,
        "checkins_overdue": int(overdue or 0),
        "notifications_pending": int(by_status.get(NotificationStatus.PENDING, 0)),
        "notifications_sending": int(by_status.get(NotificationStatus.SENDING, 0)),
        "notifications_dead": int(by_status.get(NotificationStatus.DEAD, 0)),
        "oldest_pending_at": oldest_pending,
        "healthy": not overdue and not any(job["stale"] for job in jobs),
    }
