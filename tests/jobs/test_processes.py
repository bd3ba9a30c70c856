"""Real job processes: two `jobs tick` at once on PostgreSQL, and a process killed with SIGKILL mid-batch."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.dbutil import configured_database_url
from tests.jobkit import bulk_due_checkins

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 1, 15, 17, 0, tzinfo=UTC)
DELIVERED = re.compile(r"[ \"]deliver ([0-9a-f-]{36}) ")

postgres_only = pytest.mark.skipif(
    not configured_database_url().startswith("postgresql"),
    reason="needs PostgreSQL: several job processes coordinate with row locks (FOR UPDATE SKIP LOCKED); "
    "on SQLite only one job process may run",
)


def tick_process(url: str, *, now: datetime = NOW, batch: int = 20) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": "test-secret-key-" + "x" * 32,
        "JOBS_BATCH_SIZE": str(batch),
        "PYTHONUNBUFFERED": "1",
        "AFTERCARE_LOG_LEVEL": "INFO",
    }
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "tick", "--now", now.isoformat()]
    command += ["--only", "send_checkins", "--only", "deliver_notifications"]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def counts(engine) -> dict:
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT 'checkin_' || status, count(*) FROM checkins GROUP BY status "
                "UNION ALL SELECT 'notification_' || status, count(*) FROM notifications GROUP BY status"
            )
        ).all()
    return {name: number for name, number in rows}


def assert_exactly_once(engine, total: int) -> None:
    with engine.connect() as connection:
        per_checkin = connection.execute(
            text(
                "SELECT c.id, count(n.id) FROM checkins c LEFT JOIN notifications n "
                "ON n.checkin_id = c.id AND n.kind = 'checkin_prompt' GROUP BY c.id"
            )
        ).all()
    assert len(per_checkin) == total
    assert Counter(n for _, n in per_checkin) == {1: total}, "a check-in without a prompt, or with two"
    assert counts(engine) == {"checkin_sent": total, "notification_sent": total}


@postgres_only
def test_two_tick_processes_at_once_send_each_check_in_exactly_once(app, world):
    total = 2000
    bulk_due_checkins(world.clinic.id, total, due=NOW - timedelta(minutes=5))
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    processes = [tick_process(url), tick_process(url)]
    outputs = [p.communicate(timeout=180) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    engine = create_engine(url)
    try:
        assert_exactly_once(engine, total)
    finally:
        engine.dispose()
    per_process = [Counter(DELIVERED.findall(err)) for _, err in outputs]
    delivered = per_process[0] + per_process[1]
    assert len(delivered) == total and set(delivered.values()) == {1}, "a message handed over twice"
    sent_by = [int(re.search(r"send_checkins=(\d+)", out).group(1)) for out, _ in outputs]
    assert sum(sent_by) == total
    print(f"check-ins sent per process: {sent_by}; deliveries: {[sum(c.values()) for c in per_process]}")


def test_a_job_process_killed_mid_batch_loses_nothing_and_repeats_only_what_was_in_flight(app, world):
    """Killed while prompting: every committed batch holds its check-ins' prompts, the batch in flight
    left no trace, and after the restart every check-in is prompted once; only a message leased at the
    moment of the kill may be handed over again, with the same id."""
    total = 2000
    bulk_due_checkins(world.clinic.id, total, due=NOW - timedelta(minutes=5))
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    engine = create_engine(url)
    try:
        victim = tick_process(url, batch=10)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            state = counts(engine)
            if 0 < state.get("checkin_sent", 0) < total:
                victim.send_signal(signal.SIGKILL)
                break
            time.sleep(0.01)
        else:
            pytest.fail(f"the job process never got going: {state}")
        _, first_err = victim.communicate(timeout=30)
        assert victim.returncode == -signal.SIGKILL
        killed = counts(engine)
        # Every committed batch wrote its prompts with it; the batch in flight left no trace at all.
        assert killed.get("checkin_sent", 0) == sum(v for k, v in killed.items() if k.startswith("notification_"))
        assert 0 < killed["checkin_sent"] < total
        assert killed.get("notification_sending", 0) <= 10  # at most the one batch being handed over
        with engine.connect() as connection:
            leased = {
                str(uuid.UUID(str(i)))
                for (i,) in connection.execute(text("SELECT id FROM notifications WHERE status = 'sending'"))
            }

        # Restarted after the lease ran out (5 min): the rest is prompted, the leased ones sent once more.
        survivor = tick_process(url, now=NOW + timedelta(minutes=6), batch=50)
        _, second_err = survivor.communicate(timeout=180)
        assert survivor.returncode == 0, second_err
        assert_exactly_once(engine, total)
    finally:
        engine.dispose()
    delivered = Counter(DELIVERED.findall(first_err)) + Counter(DELIVERED.findall(second_err))
    assert len(delivered) == total  # nothing lost
    assert {i for i, n in delivered.items() if n > 1} <= leased  # a copy only of what was in flight


def test_a_process_killed_while_delivering_leaves_a_lease_that_is_sent_again_with_the_same_id(app, world):
    """Delivery is at least once: only messages leased at the moment of the kill may be handed over again."""
    total = 600
    bulk_due_checkins(world.clinic.id, total, due=NOW - timedelta(minutes=5))
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    engine = create_engine(url)
    try:
        first = tick_process(url, batch=5)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            state = counts(engine)
            if 0 < state.get("notification_sent", 0) < total - 50:
                first.send_signal(signal.SIGKILL)
                break
            time.sleep(0.005)
        else:
            pytest.fail(f"delivery never got going: {state}")
        _, first_err = first.communicate(timeout=30)
        with engine.connect() as connection:
            # SQLite keeps UUIDs as bare hex, PostgreSQL as uuid: compare them as UUIDs.
            leased = {
                str(uuid.UUID(str(i)))
                for (i,) in connection.execute(text("SELECT id FROM notifications WHERE status = 'sending'"))
            }
        assert len(leased) <= 5
        # Restarted after the lease ran out (5 min): everything goes, the leased ones once more.
        second = tick_process(url, now=NOW + timedelta(minutes=6), batch=50)
        _, second_err = second.communicate(timeout=180)
        assert second.returncode == 0, second_err
        assert_exactly_once(engine, total)
    finally:
        engine.dispose()
    delivered = Counter(DELIVERED.findall(first_err)) + Counter(DELIVERED.findall(second_err))
    assert len(delivered) == total  # nothing lost
    twice = {str(uuid.UUID(i)) for i, n in delivered.items() if n > 1}
    assert twice <= leased  # a copy only of what was in flight, carrying the same id for the receiver
