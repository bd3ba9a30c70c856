"""Escalation: flags nobody picked up reach the on-call clinicians, then the admins.

- critical, not acknowledged ``critical_ack_minutes`` (15) after it became critical → level 1: on-call;
- critical, not acknowledged ``admin_after_minutes`` (30) after → level 2: also the clinic's admins;
- high, still not acknowledged past its ``due_by`` → level 1: on-call.

Each step goes through flags.escalate (the flag's level, when, and who was told, as an event) and
writes its messages to the outbox in the same transaction. With nobody on call, the admins are told.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.domain import flags, outbox, paging
from service.domain.clinics import effective_settings
from service.enums import FlagPriority, FlagStatus, NotificationKind
from service.models import Clinic, Flag

LEVEL_ON_CALL = 1
LEVEL_ADMINS = 2


def critical_since(flag: Flag, *, settings: dict) -> datetime:
    """When a critical flag's current wait began: it opened, was raised to critical or went back to open on
    new evidence (each sets due_by to that moment + the critical response target)."""
    return max(flag.created_at, flag.due_by - timedelta(minutes=settings["response_targets_minutes"]["critical"]))


def target_level(flag: Flag, *, settings: dict, now: datetime) -> int:
    """The escalation level a flag should be at now (0: none yet)."""
    if flag.status != FlagStatus.OPEN:
        return 0
    if flag.priority == FlagPriority.CRITICAL:
        steps = settings["escalation"]
        since = critical_since(flag, settings=settings)
        if now >= since + timedelta(minutes=steps["admin_after_minutes"]):
            return LEVEL_ADMINS
        if now >= since + timedelta(minutes=steps["critical_ack_minutes"]):
            return LEVEL_ON_CALL
        return 0
    if flag.priority == FlagPriority.HIGH and now >= flag.due_by:
        return LEVEL_ON_CALL
    return 0


def candidates(session: Session) -> list[uuid.UUID]:
    """Open critical and high flags not fully escalated, oldest due first (few: they are the urgent queue)."""
    return list(
        session.scalars(
            select(Flag.id)
            .where(
                Flag.status == FlagStatus.OPEN,
                ((Flag.priority == FlagPriority.CRITICAL) & (Flag.escalation_level < LEVEL_ADMINS))
                | ((Flag.priority == FlagPriority.HIGH) & (Flag.escalation_level < LEVEL_ON_CALL)),
            )
            .order_by(Flag.due_by, Flag.id)
        )
    )


def escalate_flags(session: Session, *, flag_ids: list[uuid.UUID], now: datetime, channels: outbox.Availability) -> int:
    """Take the next escalation steps of these flags (locked, skipping those another process holds)."""
    rows = list(
        session.scalars(
            select(Flag)
            .where(Flag.id.in_(flag_ids), Flag.status == FlagStatus.OPEN)
            .order_by(Flag.due_by, Flag.id)
            .with_for_update(skip_locked=True)
        )
    )
    settings_by_clinic: dict[uuid.UUID, dict] = {}
    steps = 0
    for flag in rows:
        if flag.clinic_id not in settings_by_clinic:
            settings_by_clinic[flag.clinic_id] = effective_settings(
                session.scalar(select(Clinic.settings).where(Clinic.id == flag.clinic_id))
            )
        settings = settings_by_clinic[flag.clinic_id]
        goal = target_level(flag, settings=settings, now=now)
        while flag.escalation_level < goal:
            with session.begin_nested():  # one step fails alone
                _step(
                    session, flag=flag, level=flag.escalation_level + 1, settings=settings, now=now, channels=channels
                )
            steps += 1
    return steps


def escalate_by_hand(
    session: Session,
    *,
    flag: Flag,
    actor_id: uuid.UUID,
    note: str | None,
    expected_version: int | None,
    now: datetime,
    channels: outbox.Availability,
) -> Flag:
    """A clinician asks for help: the flag goes up a level and the on-call clinicians (then admins) are told."""
    settings = effective_settings(session.scalar(select(Clinic.settings).where(Clinic.id == flag.clinic_id)))
    _step(
        session,
        flag=flag,
        level=flag.escalation_level + 1,
        settings=settings,
        now=now,
        channels=channels,
        actor_id=actor_id,
        note=note,
        expected_version=expected_version,
    )
    return flag


def _step(
    session: Session,
    *,
    flag: Flag,
    level: int,
    settings: dict,
    now: datetime,
    channels: outbox.Availability,
    actor_id: uuid.UUID | None = None,
    note: str | None = None,
    expected_version: int | None = None,
) -> None:
    """One escalation step: the flag's level, an event naming who was told, and their messages."""
    on_call, admins = paging.on_call_and_admins(session, flag.clinic_id)
    if level == LEVEL_ON_CALL:
        recipients, who = (on_call, "on-call") if on_call else (admins, "admins (nobody is on call)")
    else:  # the on-call clinicians were told at level 1
        recipients, who = [a for a in admins if a not in set(on_call)], "admins"
    recipients = [r for r in recipients if r != actor_id]  # not the clinician who asked
    waited_since = (
        critical_since(flag, settings=settings) if flag.priority == FlagPriority.CRITICAL else flag.created_at
    )
    minutes = int((now - waited_since).total_seconds() // 60)
    if actor_id is not None:
        note = f"{note.strip()} ({who} told.)" if note and note.strip() else f"Escalated by a clinician: {who} told."
    elif flag.priority == FlagPriority.CRITICAL:
        note = f"Not acknowledged after {minutes} min: {who} told."
    else:
        note = f"Past its response target: {who} told."
    flags.escalate(
        session,
        flag=flag,
        actor_id=actor_id,
        now=now,
        note=note,
        notified=[str(r) for r in recipients],
        expected_version=expected_version,
    )
    subject = f"Aftercare: a {flag.priority} flag needs a clinician"
    if actor_id is not None:
        body = f"A colleague asked for help with a {flag.priority} flag (escalation level {level}). "
    else:
        body = (
            f"A {flag.priority} flag has waited {minutes} min without being acknowledged (escalation level {level}). "
        )
    body += f"Open flag {flag.id} in Aftercare."
    data = {
        "event": "flag.escalated",
        "flag_id": str(flag.id),
        "patient_id": str(flag.patient_id),
        "priority": str(flag.priority),
        "level": level,
        "due_by": flag.due_by.isoformat(),
    }
    # New evidence restarts the chain (level 0 again): each wait since a page escalates under its own keys.
    cycle = f"page:{flag.page_count}:" if flag.page_count > 1 else ""
    rows = outbox.to_staff_and_webhook(
        clinic_id=flag.clinic_id,
        kind=NotificationKind.ESCALATION,
        clinician_ids=recipients,
        webhook=bool((settings.get("webhook") or {}).get("url")),
        dedupe_key=lambda to: f"flag:{flag.id}:{cycle}level:{level}:" + (f"clinician:{to}" if to else "webhook"),
        subject=subject,
        body=body,
        data=data,
        now=now,
        channels=channels,
        patient_id=flag.patient_id,
        flag_id=flag.id,
    )
    outbox.enqueue(session, rows)
