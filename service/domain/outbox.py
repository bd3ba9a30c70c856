"""The outbox: messages written in the transaction that caused them, claimed and sent by the delivery job.

Delivery is at least once: a row is leased (status ``sending``, ``locked_until``) and committed
before the channel is called, then marked sent. A process killed between the two leaves the
lease; when it expires the row is sent again with the same id (``X-Aftercare-Delivery``,
``notification_id``) so a receiver can drop the copy. Nothing is ever lost.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, insert, select, true, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from service.delivery.base import Message
from service.delivery.webpush import WebPushSubscription
from service.domain.sql import among, dialect_of, insert_records
from service.enums import (
    FLAG_MESSAGE_KINDS,
    Audience,
    DeliveryChannel,
    FlagEventKind,
    Language,
    NotificationKind,
    NotificationStatus,
)
from service.errors import Conflict, NotFound
from service.models import Clinic, Clinician, Device, FlagEvent, Notification, Patient

# What a patient's phone or inbox may show, even on a locked screen: never a health detail.
PROMPT_SUBJECT = "Aftercare check-in"
PROMPT_TEXT = "You have a check-in waiting in Aftercare."
REMINDER_TEXT = "Reminder: you have a check-in waiting in Aftercare."
# The same texts in each language a patient can choose (Patient.language).
PATIENT_TEXTS = {
    Language.EN: {"subject": PROMPT_SUBJECT, "prompt": PROMPT_TEXT, "reminder": REMINDER_TEXT},
    Language.ES: {
        "subject": "Control de Aftercare",
        "prompt": "Tiene un control pendiente en Aftercare.",
        "reminder": "Recordatorio: tiene un control pendiente en Aftercare.",
    },
}


def checkin_texts(language, *, reminder: bool) -> tuple[str, str]:
    """The subject and lock-screen text of a check-in prompt or reminder in the patient's language."""
    texts = PATIENT_TEXTS.get(language) or PATIENT_TEXTS[Language.EN]
    return texts["subject"], texts["reminder" if reminder else "prompt"]


DEFAULT_LEASE = timedelta(minutes=5)
ERROR_MAX = 500


@dataclass(frozen=True)
class Availability:
    """Which channels this deployment can use (email: SMTP settings; push: FCM credentials; web push: VAPID)."""

    email: bool = False
    push: bool = False  # FCM, to phones with a push token
    web_push: bool = False  # VAPID, to the companion app's subscribed browsers

    def for_patient(
        self, *, preferred: str, has_email: bool, has_push_token: bool, has_web_push: bool = False
    ) -> DeliveryChannel:
        """The patient's preferred channel when it can reach them, else the next that can, else the log."""
        order = [preferred, DeliveryChannel.PUSH, DeliveryChannel.EMAIL]
        pushable = (self.push and has_push_token) or (self.web_push and has_web_push)
        for channel in order:
            if channel == DeliveryChannel.PUSH and pushable:
                return DeliveryChannel.PUSH
            if channel == DeliveryChannel.EMAIL and self.email and has_email:
                return DeliveryChannel.EMAIL
            if channel == DeliveryChannel.LOG:
                return DeliveryChannel.LOG
        return DeliveryChannel.LOG

    def for_clinician(self) -> DeliveryChannel:
        return DeliveryChannel.EMAIL if self.email else DeliveryChannel.LOG

    @classmethod
    def from_config(cls, config) -> Availability:
        """What the app's config turns on (for messages written outside the job process)."""
        return cls(
            email=bool(config.get("SMTP_HOST")),
            push=bool(config.get("FCM_CREDENTIALS_FILE")),
            web_push=bool(config.get("VAPID_PRIVATE_KEY")),
        )


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter: base · factor^(attempt-1), capped, times a random 1 ± jitter."""

    max_attempts: int = 6
    base_seconds: float = 30.0
    factor: float = 2.0
    max_seconds: float = 3600.0
    jitter: float = 0.2

    def delay(self, attempt: int, rng: random.Random) -> timedelta:
        raw = min(self.max_seconds, self.base_seconds * self.factor ** max(0, attempt - 1))
        return timedelta(seconds=raw * rng.uniform(1 - self.jitter, 1 + self.jitter))


def row(
    *,
    clinic_id: uuid.UUID,
    kind: NotificationKind,
    channel: DeliveryChannel,
    audience: Audience,
    dedupe_key: str,
    subject: str,
    body: str,
    now: datetime,
    data: dict | None = None,
    patient_id: uuid.UUID | None = None,
    clinician_id: uuid.UUID | None = None,
    checkin_id: uuid.UUID | None = None,
    flag_id: uuid.UUID | None = None,
    due: datetime | None = None,
) -> dict:
    """The values of one outbox row, ready for enqueue(); ``due`` (≤ now) keeps catch-up in the causes' order."""
    return {
        "id": uuid.uuid4(),
        "clinic_id": clinic_id,
        "kind": kind,
        "channel": channel,
        "audience": audience,
        "patient_id": patient_id,
        "clinician_id": clinician_id,
        "checkin_id": checkin_id,
        "flag_id": flag_id,
        "dedupe_key": dedupe_key,
        "subject": subject,
        "body": body,
        "data": data or {},
        "status": NotificationStatus.PENDING,
        "attempts": 0,
        "next_attempt_at": min(due, now) if due else now,
        "created_at": now,
    }


def to_staff_and_webhook(
    *,
    clinic_id: uuid.UUID,
    kind: NotificationKind,
    clinician_ids: list[uuid.UUID],
    webhook: bool,
    dedupe_key: Callable[[uuid.UUID | None], str],
    subject: str,
    body: str,
    data: dict,
    now: datetime,
    channels: Availability,
    patient_id: uuid.UUID | None = None,
    flag_id: uuid.UUID | None = None,
) -> list[dict]:
    """One message per clinician (their channel), plus one to the clinic's webhook when it has one.

    ``dedupe_key(clinician_id)`` names each message (``dedupe_key(None)`` the webhook's): a step written
    twice sends once.
    """
    common = {
        "clinic_id": clinic_id,
        "kind": kind,
        "patient_id": patient_id,
        "flag_id": flag_id,
        "subject": subject,
        "body": body,
        "data": data,
        "now": now,
    }
    rows = [
        row(
            **common,
            channel=channels.for_clinician(),
            audience=Audience.CLINICIAN,
            clinician_id=clinician_id,
            dedupe_key=dedupe_key(clinician_id),
        )
        for clinician_id in clinician_ids
    ]
    if webhook:
        rows.append(
            row(
                **common,
                channel=DeliveryChannel.WEBHOOK,
                audience=Audience.CLINIC,
                dedupe_key=dedupe_key(None),
            )
        )
    return rows


def enqueue(session: Session, rows: list[dict]) -> list[uuid.UUID]:
    """Write outbox rows in the caller's transaction; a row whose dedupe_key exists is skipped.

    Returns the ids of the rows written."""
    if not rows:
        return []
    if dialect_of(session) == "postgresql":
        present = {key for r in rows for key in r}
        columns = {name: kind for name, kind in _COLUMN_KINDS.items() if name in present}
        return insert_records(session, table="notifications", columns=columns, rows=rows, conflict="dedupe_key")
    table = Notification.__table__
    stmt = sqlite_insert(table).on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(table.c.id)
    return list(session.connection().execute(stmt, rows).scalars())


def leased_state(*, now: datetime, lease: timedelta = DEFAULT_LEASE) -> dict:
    """An outbox row's state when claimed for delivery (as claim_due leaves it): written so, the writer
    delivers it after its commit; if the writer dies first the lease runs out and the row is sent again."""
    return {
        "status": NotificationStatus.SENDING,
        "attempts": 1,
        "locked_until": now + lease,
        "last_attempt_at": now,
    }


_COLUMN_KINDS = {
    "id": "uuid",
    "clinic_id": "uuid",
    "kind": "text",
    "channel": "text",
    "audience": "text",
    "patient_id": "uuid",
    "clinician_id": "uuid",
    "checkin_id": "uuid",
    "flag_id": "uuid",
    "dedupe_key": "text",
    "subject": "text",
    "body": "text",
    "data": "json",
    "status": "text",
    "attempts": "int",
    "next_attempt_at": "time",
    "locked_until": "time",
    "last_attempt_at": "time",
    "last_error": "text",
    "sent_at": "time",
    "created_at": "time",
}


def release_expired_leases(session: Session, *, now: datetime, max_attempts: int) -> int:
    """Take back rows whose sender died mid-send: due again at once, or dead when out of attempts."""
    expired = (Notification.status == NotificationStatus.SENDING) & (Notification.locked_until < now)
    dead = session.execute(
        update(Notification)
        .where(expired, Notification.attempts >= max_attempts)
        .values(
            status=NotificationStatus.DEAD,
            locked_until=None,
            last_error="The sender stopped before confirming delivery; out of attempts.",
        ),
        execution_options={"synchronize_session": False},
    ).rowcount
    again = session.execute(
        update(Notification)
        .where(expired)
        .values(
            status=NotificationStatus.PENDING,
            locked_until=None,
            next_attempt_at=now,
            last_error="The sender stopped before confirming delivery; sending again.",
        ),
        execution_options={"synchronize_session": False},
    ).rowcount
    return dead + again


# The delivery job's statements run on the table (plain Core rows, no ORM bulk machinery): they move
# thousands of rows a second.
_N = Notification.__table__
_CLAIMED = (
    _N.c.id,
    _N.c.clinic_id,
    _N.c.kind,
    _N.c.channel,
    _N.c.audience,
    _N.c.patient_id,
    _N.c.clinician_id,
    _N.c.subject,
    _N.c.body,
    _N.c.data,
    _N.c.attempts,
    _N.c.next_attempt_at,
    _N.c.flag_id,
)
# The same columns for statements written as SQL text (RETURNING of the check-in jobs' INSERT).
CLAIMED_COLUMNS = ", ".join(column.name for column in _CLAIMED)


def claimed_rows(session: Session, ids: list[uuid.UUID]) -> list:
    """Rows as claim_due returns them, for messages written already leased (see leased_state)."""
    if not ids:
        return []
    return list(session.execute(select(*_CLAIMED).where(among(session, _N.c.id, ids))).all())


def claim_due(
    session: Session,
    *,
    now: datetime,
    limit: int,
    lease: timedelta = DEFAULT_LEASE,
    after: datetime | None = None,
    kind: NotificationKind | None = None,
) -> list:
    """Lease up to ``limit`` due rows, oldest first (SKIP LOCKED: another process takes others); commit next.

    ``after`` (the last claimed row's due time) lets a run walk on through the queue instead of
    stepping again over the index entries of rows it has already sent. ``kind`` claims only that kind
    (pages, every second, through their own partial index).
    """
    # Two statements on purpose: as a sub-select of the UPDATE, PostgreSQL may re-run a LIMITed
    # SKIP LOCKED query once rows change under it and so claim more than the limit.
    ids = list(
        session.scalars(
            select(_N.c.id)
            .where(
                _N.c.status == NotificationStatus.PENDING,
                _N.c.next_attempt_at <= now,
                _N.c.next_attempt_at >= after if after is not None else true(),
                _N.c.kind == kind if kind is not None else true(),
            )
            .order_by(_N.c.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if not ids:
        return []
    stmt = (
        update(_N)
        .where(among(session, _N.c.id, ids), _N.c.status == NotificationStatus.PENDING)
        .values(
            status=NotificationStatus.SENDING,
            locked_until=now + lease,
            attempts=_N.c.attempts + 1,
            last_attempt_at=now,
        )
        .returning(*_CLAIMED)
    )
    return list(session.execute(stmt).all())


def messages_for(session: Session, claimed: list) -> list[Message]:
    """Claimed rows with their recipients' current addresses (three queries for a whole batch)."""
    # Only what each channel needs: addresses for email, phone tokens for push (the log needs none).
    emailed = {r.patient_id for r in claimed if r.audience == Audience.PATIENT and r.channel == DeliveryChannel.EMAIL}
    pushed = {r.patient_id for r in claimed if r.channel == DeliveryChannel.PUSH}
    clinician_ids = {r.clinician_id for r in claimed if r.clinician_id and r.channel == DeliveryChannel.EMAIL}
    clinic_ids = {r.clinic_id for r in claimed if r.channel == DeliveryChannel.WEBHOOK}
    emails: dict = {}
    tokens: dict = {}
    hooks: dict = {}
    if emailed:
        emails.update(
            session.execute(select(Patient.id, Patient.email).where(among(session, Patient.id, list(emailed)))).all()
        )
    subscriptions: dict = {}
    if pushed:
        for patient_id, device_id, token, endpoint, p256dh, auth in session.execute(
            select(
                Device.patient_id,
                Device.id,
                Device.push_token,
                Device.webpush_endpoint,
                Device.webpush_p256dh,
                Device.webpush_auth,
            ).where(
                among(session, Device.patient_id, list(pushed)),
                Device.push_token.is_not(None) | Device.webpush_endpoint.is_not(None),
                Device.revoked_at.is_(None),
            )
        ):
            if token:
                tokens.setdefault(patient_id, []).append(token)
            if endpoint:
                subscriptions.setdefault(patient_id, []).append(WebPushSubscription(device_id, endpoint, p256dh, auth))
    if clinician_ids:
        emails.update(
            session.execute(
                select(Clinician.id, Clinician.email).where(Clinician.id.in_(clinician_ids), Clinician.active.is_(True))
            ).all()
        )
    if clinic_ids:
        from service.domain.clinics import effective_settings

        for clinic_id, settings in session.execute(select(Clinic.id, Clinic.settings).where(Clinic.id.in_(clinic_ids))):
            hooks[clinic_id] = effective_settings(settings).get("webhook") or {}
    messages = []
    for r in claimed:
        recipient = r.patient_id if r.audience == Audience.PATIENT else r.clinician_id
        hook = hooks.get(r.clinic_id, {})
        messages.append(
            Message(
                id=r.id,
                clinic_id=r.clinic_id,
                kind=str(r.kind),
                channel=str(r.channel),
                audience=str(r.audience),
                subject=r.subject,
                body=r.body,
                data=r.data or {},
                attempt=r.attempts,
                patient_id=r.patient_id,
                clinician_id=r.clinician_id,
                email=emails.get(recipient),
                push_tokens=tuple(tokens.get(r.patient_id, ())),
                web_push=tuple(subscriptions.get(r.patient_id, ())),
                webhook_url=hook.get("url"),
                webhook_secret=hook.get("secret"),
                flag_id=r.flag_id if r.kind in FLAG_MESSAGE_KINDS else None,
            )
        )
    return messages


def forget_web_push(session: Session, device_ids: list[uuid.UUID]) -> int:
    """Drop the web-push subscriptions a push service said are gone (404/410); the devices stay paired."""
    if not device_ids:
        return 0
    return session.execute(
        update(Device)
        .where(among(session, Device.id, list(device_ids)))
        .values(webpush_endpoint=None, webpush_p256dh=None, webpush_auth=None),
        execution_options={"synchronize_session": False},
    ).rowcount


@dataclass(frozen=True)
class Failure:
    id: uuid.UUID
    attempts: int
    error: str
    permanent: bool = False


def record_results(
    session: Session,
    *,
    sent: list[uuid.UUID],
    failed: list[Failure],
    now: datetime,
    policy: RetryPolicy,
    rng: random.Random,
) -> list[uuid.UUID]:
    """Mark delivered rows sent (one UPDATE) and failed ones due again with backoff, or dead; returns the dead."""
    if sent:
        session.execute(
            update(_N)
            .where(among(session, _N.c.id, sent), _N.c.status == NotificationStatus.SENDING)
            .values(status=NotificationStatus.SENT, sent_at=now, locked_until=None, last_error=None)
        )
    dead: list[uuid.UUID] = []
    for failure in failed:
        error = failure.error[:ERROR_MAX]
        if failure.permanent or failure.attempts >= policy.max_attempts:
            dead.append(failure.id)
            values = {"status": NotificationStatus.DEAD, "locked_until": None, "last_error": error}
        else:
            values = {
                "status": NotificationStatus.PENDING,
                "locked_until": None,
                "last_error": error,
                "next_attempt_at": now + policy.delay(failure.attempts, rng),
            }
        session.execute(
            update(Notification)
            .where(Notification.id == failure.id, Notification.status == NotificationStatus.SENDING)
            .values(**values),
            execution_options={"synchronize_session": False},
        )
    return dead


_KIND_WORDS = {NotificationKind.PAGE: "Page", NotificationKind.ESCALATION: "Escalation"}


def note_on_flags(
    session: Session, *, messages: list[Message], sent: list[uuid.UUID], dead: list[uuid.UUID], now: datetime
) -> int:
    """Write on each flag's history that its page or escalation message left (or could not, for good)."""
    sent_ids, dead_ids = set(sent), set(dead)
    events = []
    for message in messages:
        if message.flag_id is None or not (message.id in sent_ids or message.id in dead_ids):
            continue
        delivered = message.id in sent_ids
        to = "the clinic's pager" if message.audience == Audience.CLINIC else "a clinician"
        word = _KIND_WORDS.get(NotificationKind(message.kind), "Message")
        events.append(
            {
                "flag_id": message.flag_id,
                "at": now,
                "kind": FlagEventKind.DELIVERED if delivered else FlagEventKind.UNDELIVERED,
                "text": f"{word} {'delivered' if delivered else 'not delivered'}: {message.channel} to {to}.",
                "data": {
                    "notification_id": str(message.id),
                    "notification_kind": message.kind,
                    "channel": message.channel,
                    "clinician_id": str(message.clinician_id) if message.clinician_id else None,
                    "attempt": message.attempt,
                },
            }
        )
    if events:
        session.execute(insert(FlagEvent.__table__), events)
    return len(events)


def notifications_query(
    *,
    clinic_id: uuid.UUID,
    status: NotificationStatus | None = None,
    channel: DeliveryChannel | None = None,
    kind: NotificationKind | None = None,
    patient_id: uuid.UUID | None = None,
) -> Select:
    """The clinic's outbox, newest first, optionally by status, channel, kind and patient."""
    stmt = select(Notification).where(Notification.clinic_id == clinic_id)
    if status is not None:
        stmt = stmt.where(Notification.status == status)
    if channel is not None:
        stmt = stmt.where(Notification.channel == channel)
    if kind is not None:
        stmt = stmt.where(Notification.kind == kind)
    if patient_id is not None:
        stmt = stmt.where(Notification.patient_id == patient_id)
    return stmt.order_by(Notification.created_at.desc(), Notification.id)


def get_notification(session: Session, *, clinic_id: uuid.UUID, notification_id: uuid.UUID) -> Notification:
    """A message of the caller's clinic; 404 for any other."""
    found = session.scalar(
        select(Notification).where(Notification.id == notification_id, Notification.clinic_id == clinic_id)
    )
    if found is None:
        raise NotFound("No such notification.")
    return found


def retry(session: Session, *, notification: Notification, now: datetime) -> Notification:
    """Put a dead letter back in the queue with a fresh set of attempts (its last error stays visible)."""
    changed = session.execute(
        update(Notification)
        .where(Notification.id == notification.id, Notification.status == NotificationStatus.DEAD)
        .values(status=NotificationStatus.PENDING, attempts=0, next_attempt_at=now, locked_until=None),
        execution_options={"synchronize_session": False},
    ).rowcount
    session.refresh(notification)
    if not changed:
        raise Conflict(f"Only a dead letter can be retried; this one is {notification.status}.", field="status")
    return notification
