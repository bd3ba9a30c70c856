"""The runner and the CLI: runs are recorded, failures are visible, SQLite allows one job process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from jobs import tasks
from jobs.lock import AnotherJobProcess, lock_path, single_job_process
from service.domain.job_runs import JOBS
from service.extensions import db
from service.models import Checkin, JobRun, Notification
from tests.jobkit import bulk_due_checkins, job_context, run, stop_job_process

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 1, 15, 17, 0, tzinfo=UTC)


def test_every_run_is_recorded_and_a_failing_job_leaves_the_others_running(app, world, monkeypatch):
    def broken(ctx, session, now):
        raise RuntimeError("database went away")

    monkeypatch.setitem(tasks.TASKS, "escalate_flags", broken)
    done = run(job_context(app), T0)
    assert list(done) == [job.name for job in JOBS]  # all ran, in catalogue order
    runs = {r.name: r for r in db.session.scalars(select(JobRun))}
    assert runs["escalate_flags"].last_error == "RuntimeError: database went away"
    assert runs["escalate_flags"].last_success_at is None and runs["escalate_flags"].failures == 1
    assert runs["send_checkins"].last_success_at >= T0 and runs["send_checkins"].last_error is None
    assert runs["send_checkins"].runs == 1
    monkeypatch.setitem(tasks.TASKS, "escalate_flags", lambda ctx, session, now: 0)
    run(job_context(app), T0 + timedelta(minutes=1))
    db.session.expire_all()
    fixed = db.session.get(JobRun, "escalate_flags")
    assert fixed.last_success_at >= T0 + timedelta(minutes=1) and fixed.runs == 2 and fixed.failures == 1


def test_cli_tick_runs_every_job_at_the_given_moment(app, world):
    bulk_due_checkins(world.clinic.id, 7, due=T0)
    result = app.test_cli_runner().invoke(args=["jobs", "tick", "--now", "2026-01-15T10:00:00-07:00"])
    assert result.exit_code == 0, result.output
    # Seven prompts, and 10:00 in Denver is past digest time for both clinics: 7 + 2 messages go out.
    # The prompts leave with send_checkins itself (written leased to it); the digests through the delivery job.
    assert "send_checkins=7" in result.output and "daily_digest=2" in result.output
    assert "deliver_notifications=2" in result.output
    db.session.rollback()
    assert db.session.scalar(select(func.count()).where(Checkin.status == "sent", Checkin.sent_at == T0)) == 7
    assert db.session.scalar(select(func.count()).where(Notification.status == "sent")) == 9
    naive = app.test_cli_runner().invoke(args=["jobs", "tick", "--now", "2026-01-15T10:00:00"])
    assert naive.exit_code != 0 and "offset" in naive.output


def test_sqlite_allows_one_job_process(app, tmp_path):
    url = f"sqlite:///{tmp_path}/x.sqlite3"
    assert lock_path(url) == f"{tmp_path}/x.sqlite3.jobs.lock"
    assert lock_path("postgresql+psycopg://postgres@127.0.0.1/db") is None
    with single_job_process(url):
        with pytest.raises(AnotherJobProcess, match="only one"), single_job_process(url):
            pass
    with single_job_process(url):  # released when the first one ends
        pass


def _env(url: str, **extra) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": "test-secret-key-" + "x" * 32,
        "PYTHONUNBUFFERED": "1",
        "AFTERCARE_LOG_LEVEL": "INFO",
        **extra,
    }


def _flask(*args) -> list[str]:
    return [sys.executable, "-m", "flask", "--app", "wsgi", *args]


@pytest.mark.slow
def test_jobs_run_starts_the_scheduler_runs_every_job_and_stops_on_sigterm(app, world):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    bulk_due_checkins(world.clinic.id, 3, due=datetime.now(UTC) - timedelta(minutes=1))
    process = subprocess.Popen(
        _flask("jobs", "run"), cwd=ROOT, env=_env(url), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    engine = create_engine(url)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with engine.connect() as connection:
                done = connection.execute(text("SELECT count(*) FROM job_runs WHERE last_success_at IS NOT NULL"))
                done = done.scalar()
                prompts = connection.execute(
                    text("SELECT count(*) FROM notifications WHERE status = 'sent' AND kind = 'checkin_prompt'")
                ).scalar()
                waiting = connection.execute(text("SELECT count(*) FROM notifications WHERE status <> 'sent'")).scalar()
                state = (done, prompts, waiting)
                if state == (len(JOBS), 3, 0):  # delivery runs every 10 s
                    break
            time.sleep(0.2)
        else:
            err = stop_job_process(process)
            pytest.fail(f"jobs run did not run every job and deliver within 60 s {state}:\n{err}")
        if lock_path(url):  # SQLite: a second job process refuses to start
            second = subprocess.run(
                _flask("jobs", "tick"), cwd=ROOT, env=_env(url), capture_output=True, text=True, check=False
            )
            assert second.returncode != 0 and "only one may run" in second.stderr
        err = stop_job_process(process)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
        engine.dispose()
    assert process.returncode == 0, err
    assert "job process started" in err and "job process stopped" in err
    with engine.connect() as connection:  # the three prompts (and the digests when it is past 07:00 in Denver)
        messages = connection.execute(text("SELECT count(*) FROM notifications")).scalar()
    engine.dispose()
    delivered = [line for line in err.splitlines() if '"message": "deliver ' in line or " deliver " in line]
    assert messages >= 3 and len(delivered) == messages  # each through the log channel, once
