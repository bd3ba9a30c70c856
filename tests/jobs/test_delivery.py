"""The outbox's delivery: retries with exponential backoff and jitter, dead letters, leases, re-queueing."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from service.domain import outbox
from service.enums import Audience, DeliveryChannel, NotificationKind, NotificationStatus
from service.extensions import db
from service.models import Notification
from tests.jobkit import Recorder, failing, job_context, notifications, run

T0 = datetime(2026, 1, 15, 17, 0, tzinfo=UTC)


def enqueue(world, n=1, channel=DeliveryChannel.LOG, **extra):
    rows = [
        outbox.row(
            clinic_id=world.clinic.id,
            kind=NotificationKind.CHECKIN_PROMPT,
            channel=channel,
            audience=Audience.PATIENT,
            patient_id=world.patient.principal.patient_id,
            dedupe_key=f"test:{i}:{channel}",
            subject=outbox.PROMPT_SUBJECT,
            body=outbox.PROMPT_TEXT,
            now=T0,
            **extra,
        )
        for i in range(n)
    ]
    outbox.enqueue(db.session, rows)
    db.session.commit()
    return [r["id"] for r in rows]


def test_retry_policy_backs_off_exponentially_with_bounded_jitter():
    policy = outbox.RetryPolicy(base_seconds=30, factor=2, max_seconds=600, jitter=0.2)
    rng = random.Random(1)
    for attempt, nominal in [(1, 30), (2, 60), (3, 120), (4, 240), (5, 480), (6, 600), (9, 600)]:
        delays = [policy.delay(attempt, rng).total_seconds() for _ in range(50)]
        assert all(nominal * 0.8 <= d <= nominal * 1.2 for d in delays)
        assert len(set(delays)) > 1  # jittered, so failed senders do not come back in lockstep


def test_the_same_dedupe_key_is_enqueued_once(world):
    enqueue(world)
    enqueue(world)
    assert len(notifications()) == 1


def test_a_failing_channel_is_retried_with_backoff_then_dead_lettered(app, world):
    [letter_id] = enqueue(world)
    ctx = job_context(app, log=Recorder("log", fail=failing("SMTP 451 try later")))
    ctx.policy = outbox.RetryPolicy(max_attempts=3, base_seconds=60, jitter=0.1)
    now = T0
    seen = []
    for _ in range(3):
        run(ctx, now, "deliver_notifications")
        [row] = notifications()
        seen.append((row.status, row.attempts))
        if row.status == NotificationStatus.PENDING:
            wait = row.next_attempt_at - now
            assert row.last_error == "SMTP 451 try later"
            run(ctx, now + wait - timedelta(seconds=1), "deliver_notifications")  # not yet
            assert notifications()[0].attempts == row.attempts
            now = row.next_attempt_at
    assert seen == [(NotificationStatus.PENDING, 1), (NotificationStatus.PENDING, 2), (NotificationStatus.DEAD, 3)]
    [dead] = notifications()
    assert dead.last_error == "SMTP 451 try later" and dead.id == letter_id
    assert ctx.channels["log"].calls == 3
    run(ctx, now + timedelta(days=1), "deliver_notifications")
    assert ctx.channels["log"].calls == 3  # dead letters stay put


def test_backoff_grows_between_attempts(app, world):
    enqueue(world)
    ctx = job_context(app, log=Recorder("log", fail=failing()))
    ctx.policy = outbox.RetryPolicy(max_attempts=5, base_seconds=60, jitter=0.0)
    now, waits = T0, []
    for _ in range(4):
        run(ctx, now, "deliver_notifications")
        row = notifications()[0]
        waits.append((row.next_attempt_at - now).total_seconds())
        now = row.next_attempt_at
    assert waits == [60, 120, 240, 480]


def test_permanent_errors_and_missing_channels_dead_letter_at_once(app, world):
    [no_address] = enqueue(world, channel=DeliveryChannel.EMAIL)
    [no_channel] = enqueue(world, channel=DeliveryChannel.PUSH)
    ctx = job_context(app, email=Recorder("email", fail=failing("no address", permanent=True)))
    run(ctx, T0, "deliver_notifications")
    state = {n.id: (n.status, n.attempts, n.last_error) for n in notifications()}
    assert state[no_address] == (NotificationStatus.DEAD, 1, "no address")
    assert state[no_channel] == (NotificationStatus.DEAD, 1, "The push channel is not configured.")


def test_one_broken_message_does_not_stop_the_batch(app, world):
    ids = enqueue(world, n=5)
    broken = ids[2]
    ctx = job_context(app, log=Recorder("log", fail=lambda m: ZeroDivisionError("bug") if m.id == broken else None))
    run(ctx, T0, "deliver_notifications")
    state = {n.id: n.status for n in notifications()}
    assert state.pop(broken) == NotificationStatus.PENDING
    assert set(state.values()) == {NotificationStatus.SENT}


def test_a_lease_left_by_a_crashed_sender_is_taken_back_after_it_expires(app, world):
    ids = enqueue(world, n=2)
    db.session.execute(
        update(Notification)
        .where(Notification.id == ids[0])
        .values(status=NotificationStatus.SENDING, locked_until=T0 + timedelta(minutes=5), attempts=1)
    )
    db.session.commit()
    ctx = job_context(app)
    run(ctx, T0 + timedelta(minutes=1), "deliver_notifications")
    assert [m.id for m in ctx.channels["log"].sent] == [ids[1]]  # the leased one waits: its sender may be alive
    run(ctx, T0 + timedelta(minutes=6), "deliver_notifications")
    assert [m.id for m in ctx.channels["log"].sent] == [ids[1], ids[0]]
    row = {n.id: n for n in notifications()}[ids[0]]
    assert (row.status, row.attempts) == (NotificationStatus.SENT, 2)


def test_two_senders_never_claim_the_same_rows(app, world):
    enqueue(world, n=10)
    first = outbox.claim_due(db.session, now=T0, limit=4)
    db.session.commit()
    second = outbox.claim_due(db.session, now=T0, limit=100)
    db.session.commit()
    assert len(first) == 4 and len(second) == 6
    assert not {r.id for r in first} & {r.id for r in second}
