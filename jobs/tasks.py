"""The jobs: thin loops over domain use cases, one transaction per claimed batch (or per item)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.delivery.base import DeliveryError
from service.domain import checkins, digest, escalation, outbox
from service.domain.clinics import effective_settings
from service.enums import NotificationKind
from service.models import Clinic

logger = logging.getLogger("jobs")


def _lease(ctx, started: float) -> timedelta:
    """The lease for a batch claimed now: ``now`` is when the run began, so a long run adds its elapsed time
    (else its later batches would be written with leases already run out, for another job to take back)."""
    return ctx.lease + timedelta(seconds=ctx.monotonic() - started)


def _prompt(ctx, session: Session, now: datetime, write) -> int:
    """Claim due check-ins batch by batch, write their messages leased to this process, deliver them after
    each commit (no wait for the delivery job, no second claim of the rows just written)."""
    written, started = 0, ctx.monotonic()
    while True:
        lease = _lease(ctx, started)
        result = write(session, now=now, limit=ctx.batch_size, channels=ctx.availability, lease=lease)
        session.commit()
        written += result.sent
        if result.leased:
            _deliver(ctx, session, list(result.leased), now)
        if result.claimed == 0:
            return written


def schedule_long_term(ctx, session: Session, now: datetime) -> int:
    """Make each maintenance patient's quarterly long-term check-in (once per quarter; send_checkins sends it)."""
    made, after = 0, None
    while True:
        patients = checkins.maintenance_patients(session, after=after, limit=ctx.batch_size)
        if not patients:
            session.commit()
            return made
        made += checkins.schedule_long_term(session, patients=patients, now=now)
        session.commit()
        after = patients[-1].id


def send_checkins(ctx, session: Session, now: datetime) -> int:
    """Prompt every check-in due by now, oldest first, batch by batch."""
    return _prompt(ctx, session, now, checkins.send_due)


def send_reminders(ctx, session: Session, now: datetime) -> int:
    """Remind once for every prompt unanswered 2 h on (outside quiet hours)."""
    return _prompt(ctx, session, now, checkins.remind_due)


def mark_missed(ctx, session: Session, now: datetime) -> int:
    """Mark prompts unanswered for 24 h missed, then run the unresponsive rule for each patient touched."""
    missed = 0
    settings: dict = {}
    while True:
        pairs = checkins.miss_overdue(session, now=now, limit=ctx.batch_size)
        if not pairs:
            session.commit()
            return missed
        for clinic_id, patient_id in pairs:
            if clinic_id not in settings:
                settings[clinic_id] = effective_settings(
                    session.scalar(select(Clinic.settings).where(Clinic.id == clinic_id))
                )
            try:
                with session.begin_nested():  # one patient's rule failing leaves the others
                    checkins.check_unresponsive(
                        session, patient_id=patient_id, clinic_id=clinic_id, settings=settings[clinic_id], now=now
                    )
            except Exception:
                logger.exception("unresponsive rule failed for patient %s", patient_id)
        session.commit()
        missed += len(pairs)


def escalate_flags(ctx, session: Session, now: datetime) -> int:
    """Escalate open critical and high flags that waited too long."""
    ids = escalation.candidates(session)
    session.commit()
    steps = 0
    for start in range(0, len(ids), ctx.batch_size):
        steps += escalation.escalate_flags(
            session, flag_ids=ids[start : start + ctx.batch_size], now=now, channels=ctx.availability
        )
        session.commit()
    return steps


def daily_digest(ctx, session: Session, now: datetime) -> int:
    """Write each clinic's digest once it is 07:00 there."""
    written = 0
    for clinic in list(session.scalars(select(Clinic).order_by(Clinic.id))):
        try:
            with session.begin_nested():
                written += digest.send_due(session, clinic=clinic, now=now, channels=ctx.availability)
        except Exception:
            logger.exception("digest failed for clinic %s", clinic.id)
        session.commit()
    return written


def deliver_notifications(ctx, session: Session, now: datetime) -> int:
    """Send due outbox rows through their channels; failures back off, the last one leaves a dead letter."""
    outbox.release_expired_leases(session, now=now, max_attempts=ctx.policy.max_attempts)
    session.commit()
    return _deliver_due(ctx, session, now, kind=None)


def deliver_pages(ctx, session: Session, now: datetime) -> int:
    """Send the pages of critical flags every second, ahead of the rest of the queue (a retry of a page
    waits for its backoff like any message; lost leases are taken back by deliver_notifications)."""
    return _deliver_due(ctx, session, now, kind=NotificationKind.PAGE)


def _deliver_due(ctx, session: Session, now: datetime, *, kind: NotificationKind | None) -> int:
    delivered, after, started = 0, None, ctx.monotonic()
    while True:
        claimed = outbox.claim_due(
            session, now=now, limit=ctx.batch_size, after=after, lease=_lease(ctx, started), kind=kind
        )
        session.commit()  # the lease is visible before anything leaves
        if not claimed:
            return delivered
        after = max(r.next_attempt_at for r in claimed)
        delivered += _deliver(ctx, session, claimed, now)


def _deliver(ctx, session: Session, claimed: list, now: datetime) -> int:
    """Hand claimed (leased, committed) outbox rows to their channels, oldest first, and record what
    happened; returns how many were sent."""
    messages = outbox.messages_for(session, sorted(claimed, key=lambda r: r.next_attempt_at))
    session.commit()
    sent, failed = [], []
    for message in messages:
        channel = ctx.channels.get(message.channel)
        try:
            if channel is None:
                raise DeliveryError(f"The {message.channel} channel is not configured.", permanent=True)
            channel.send(message)
            sent.append(message.id)
        except DeliveryError as exc:
            failed.append(outbox.Failure(message.id, message.attempt, str(exc), exc.permanent))
        except Exception as exc:  # a bug in one adapter must not stop the batch
            logger.exception("channel %s failed on %s", message.channel, message.id)
            failed.append(outbox.Failure(message.id, message.attempt, f"{type(exc).__name__}: {exc}"))
    gone = [d for channel in ctx.channels.values() if hasattr(channel, "drain_gone") for d in channel.drain_gone()]
    outbox.forget_web_push(session, sorted(set(gone)))
    dead = outbox.record_results(session, sent=sent, failed=failed, now=now, policy=ctx.policy, rng=ctx.rng)
    outbox.note_on_flags(session, messages=messages, sent=sent, dead=dead, now=now)
    session.commit()
    if failed:
        logger.warning("delivery: %d failed (%d now dead letters)", len(failed), len(dead))
    return len(sent)


TASKS = {
    "deliver_pages": deliver_pages,
    "schedule_long_term": schedule_long_term,
    "send_checkins": send_checkins,
    "send_reminders": send_reminders,
    "mark_missed": mark_missed,
    "escalate_flags": escalate_flags,
    "daily_digest": daily_digest,
    "deliver_notifications": deliver_notifications,
}
