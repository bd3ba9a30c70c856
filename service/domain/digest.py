"""The daily digest: at 07:00 clinic time, open flags by priority and the overdue ones, to admins and on-call."""

from __future__ import annotations

import uuid
from datetime import datetime, time

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from service.domain import outbox
from service.domain.clinics import effective_settings
from service.domain.quiet_hours import zone
from service.enums import ACTIVE_FLAG_STATUSES, FlagPriority, NotificationKind, Role
from service.models import Clinic, Clinician, Digest, Flag

DIGEST_AT = time(7, 0)


def counts(session: Session, *, clinic_id: uuid.UUID, now: datetime) -> dict:
    """Active flags by priority, and how many are past their due time."""
    by_priority = dict(
        session.execute(
            select(Flag.priority, func.count())
            .where(Flag.clinic_id == clinic_id, Flag.status.in_(ACTIVE_FLAG_STATUSES))
            .group_by(Flag.priority)
        ).all()
    )
    overdue = session.scalar(
        select(func.count()).where(
            Flag.clinic_id == clinic_id, Flag.status.in_(ACTIVE_FLAG_STATUSES), Flag.due_by < now
        )
    )
    return {"open": {str(p): int(by_priority.get(p, 0)) for p in FlagPriority}, "overdue": int(overdue or 0)}


def text_of(clinic_name: str, local_day: str, figures: dict) -> str:
    """The digest's words: counts only, no patient and no health detail."""
    open_ = figures["open"]
    parts = ", ".join(f"{open_[p]} {p}" for p in ("critical", "high", "medium", "low"))
    return (
        f"{clinic_name}, {local_day}: open flags {parts}; {figures['overdue']} past their response target. "
        "Open the queue in Aftercare to work through them."
    )


def send_due(session: Session, *, clinic: Clinic, now: datetime, channels: outbox.Availability) -> bool:
    """Write today's digest for a clinic once it is 07:00 there (once per local day, whatever the retries)."""
    local = now.astimezone(zone(clinic.time_zone))
    if local.time() < DIGEST_AT:
        return False
    figures = counts(session, clinic_id=clinic.id, now=now)
    insert_fn = {"postgresql": pg_insert, "sqlite": sqlite_insert}[session.get_bind().dialect.name]
    created = session.execute(
        insert_fn(Digest)
        .values(clinic_id=clinic.id, local_date=local.date(), created_at=now, counts=figures)
        .on_conflict_do_nothing(index_elements=["clinic_id", "local_date"])
        .returning(Digest.clinic_id)
    ).first()
    if created is None:
        return False
    recipients = list(
        session.scalars(
            select(Clinician.id)
            .where(
                Clinician.clinic_id == clinic.id,
                Clinician.active.is_(True),
                (Clinician.role == Role.ADMIN) | Clinician.on_call.is_(True),
            )
            .order_by(Clinician.created_at, Clinician.id)
        )
    )
    day = local.date().isoformat()
    subject = f"Aftercare daily digest, {day}"
    body = text_of(clinic.name, day, figures)
    data = {"event": "digest", "local_date": day, **figures}
    rows = outbox.to_staff_and_webhook(
        clinic_id=clinic.id,
        kind=NotificationKind.DIGEST,
        clinician_ids=recipients,
        webhook=bool((effective_settings(clinic.settings).get("webhook") or {}).get("url")),
        dedupe_key=lambda to: f"digest:{clinic.id}:{day}:{to or 'webhook'}",
        subject=subject,
        body=body,
        data=data,
        now=now,
        channels=channels,
    )
    outbox.enqueue(session, rows)
    return True
