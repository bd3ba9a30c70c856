"""`flask --app wsgi jobs run` (the scheduler, forever) and `flask --app wsgi jobs tick` (every job once)."""

from __future__ import annotations

import logging
import os
import signal
from datetime import UTC, datetime, timedelta

import click
from flask import current_app
from flask.cli import AppGroup

from jobs.lock import AnotherJobProcess, single_job_process
from jobs.runner import context_for, run_job, tick
from service.domain.job_runs import BY_NAME, JOBS

jobs_cli = AppGroup("jobs", help="The job process: check-ins, reminders, escalation, digests, delivery.")


def quick_logging() -> None:
    """Skip what the job's log format never shows (logging HOWTO, "Optimization"): a line per message stays cheap."""
    logging._srcfile = None  # no stack walk for the caller's file and line
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False


def _logging() -> None:
    level = os.environ.get("AFTERCARE_LOG_LEVEL", "INFO").upper()
    quick_logging()
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def _moment(value: str | None) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise click.BadParameter("give an offset, e.g. 2026-03-08T09:00:00-07:00", param_hint="--now")
    return moment.astimezone(UTC)


@jobs_cli.command("tick")
@click.option("--now", "now_text", help="Run as if it were this moment (ISO 8601 with offset); default: now.")
@click.option("--only", multiple=True, type=click.Choice([job.name for job in JOBS]), help="Run only these jobs.")
def tick_command(now_text, only):
    """Run every job once now, in order, then exit (for ops, cron and tests)."""
    _logging()
    app = current_app._get_current_object()
    try:
        with single_job_process(app.config["SQLALCHEMY_DATABASE_URI"]):
            done = tick(context_for(app), now=_moment(now_text), only=tuple(only) or None)
    except AnotherJobProcess as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(" ".join(f"{name}={count}" for name, count in done.items()))


@jobs_cli.command("run")
def run_command():
    """Start the scheduler: every job on its interval, until stopped (SIGTERM or Ctrl-C)."""
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.blocking import BlockingScheduler

    _logging()
    app = current_app._get_current_object()
    try:
        with single_job_process(app.config["SQLALCHEMY_DATABASE_URI"]):
            ctx = context_for(app)
            # SQLite has one writer at a time and refuses (rather than waits for) a read lock turning
            # into a write lock under another writer: there, jobs take turns on one thread.
            sqlite = app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")
            scheduler = BlockingScheduler(
                executors={"default": ThreadPoolExecutor(1 if sqlite else len(JOBS))},
                job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
                timezone=UTC,
            )
            start = datetime.now(UTC)
            for spec in JOBS:
                scheduler.add_job(
                    run_job,
                    "interval",
                    seconds=spec.interval_seconds,
                    args=[ctx, spec.name],
                    id=spec.name,
                    name=spec.name,
                    # Delivery first runs just after the others, so a start's own messages go out at once.
                    next_run_time=start + timedelta(seconds=2 if spec.name == "deliver_notifications" else 0),
                )

            def stop(*_):
                if scheduler.running:
                    scheduler.shutdown(wait=False)
                else:  # stopped before the scheduler started: never start it
                    raise SystemExit(0)

            try:
                signal.signal(signal.SIGTERM, stop)
                logging.getLogger("jobs").info(
                    "job process started: %s", ", ".join(f"{j.name}/{BY_NAME[j.name].interval_seconds}s" for j in JOBS)
                )
                scheduler.start()
            except (KeyboardInterrupt, SystemExit):
                pass
            logging.getLogger("jobs").info("job process stopped")
    except AnotherJobProcess as exc:
        raise click.ClickException(str(exc)) from None
