"""The outbox: every message Aftercare sends, written in the transaction that caused it."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    PrimaryKeyConstraint,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from service.enums import Audience, DeliveryChannel, NotificationKind, NotificationStatus
from service.models._columns import enum_column
from service.models.base import Base, UUIDPrimaryKey

PAGES_PENDING = text("status = 'pending' AND kind = 'page'")
PENDING = text("status = 'pending'")
SENDING = text("status = 'sending'")
DEAD = text("status = 'dead'")


class Notification(UUIDPrimaryKey, Base):
    """One message to one recipient over one channel, with its delivery state.

    ``dedupe_key`` is unique: whatever re-runs or races happen, a cause (a check-in's prompt, an
    escalation step for a clinician, a day's digest) gives at most one row.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        ForeignKeyConstraint(
            ["patient_id", "clinic_id"], ["patients.id", "patients.clinic_id"], name="fk_notifications_patient_clinic"
        ),
        ForeignKeyConstraint(
            ["clinician_id", "clinic_id"],
            ["clinicians.id", "clinicians.clinic_id"],
            name="fk_notifications_clinician_clinic",
        ),
        ForeignKeyConstraint(
            ["flag_id", "clinic_id"], ["flags.id", "flags.clinic_id"], name="fk_notifications_flag_clinic"
        ),
        ForeignKeyConstraint(
            ["checkin_id", "patient_id"],
            ["checkins.id", "checkins.patient_id"],
            name="fk_notifications_checkin_patient",
        ),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        CheckConstraint(
            "(audience = 'patient' AND patient_id IS NOT NULL AND clinician_id IS NULL) OR "
            "(audience = 'clinician' AND clinician_id IS NOT NULL) OR "
            "(audience = 'clinic' AND clinician_id IS NULL)",
            name="one_recipient",
        ),
        CheckConstraint("status <> 'sent' OR sent_at IS NOT NULL", name="sent_has_sent_at"),
        CheckConstraint("status <> 'sending' OR locked_until IS NOT NULL", name="sending_has_lease"),
        # The delivery job's claim: pending and due, oldest first.
        Index("ix_notifications_pending_due", "next_attempt_at", postgresql_where=PENDING, sqlite_where=PENDING),
        # Pages of critical flags, claimed every second apart from the rest of the queue.
        Index(
            "ix_notifications_pages_due",
            "next_attempt_at",
            postgresql_where=PAGES_PENDING,
            sqlite_where=PAGES_PENDING,
        ),
        # Leases of crashed senders, to take back.
        Index("ix_notifications_sending_lease", "locked_until", postgresql_where=SENDING, sqlite_where=SENDING),
        Index("ix_notifications_clinic_created", "clinic_id", "created_at", "id"),
        # Dead letters, for the admins' list (partial: rows pass through pending/sending/sent without touching it).
        Index("ix_notifications_clinic_dead", "clinic_id", "created_at", postgresql_where=DEAD, sqlite_where=DEAD),
        Index("ix_notifications_patient", "patient_id", "created_at"),
    )

    clinic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clinics.id"))
    kind: Mapped[NotificationKind] = mapped_column(enum_column(NotificationKind, "kind"))
    channel: Mapped[DeliveryChannel] = mapped_column(enum_column(DeliveryChannel, "channel"))
    audience: Mapped[Audience] = mapped_column(enum_column(Audience, "audience"))
    patient_id: Mapped[uuid.UUID | None]
    clinician_id: Mapped[uuid.UUID | None]
    checkin_id: Mapped[uuid.UUID | None]
    flag_id: Mapped[uuid.UUID | None]
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    data: Mapped[dict] = mapped_column(JSON)
    status: Mapped[NotificationStatus] = mapped_column(
        enum_column(NotificationStatus, "status"), default=NotificationStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    locked_until: Mapped[datetime | None]
    last_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime]

    def __repr__(self) -> str:
        return f"<Notification {self.id} kind={self.kind} channel={self.channel} status={self.status}>"


class JobRun(Base):
    """The last run of each scheduled job: a stalled job process shows here, not in a patient's silence."""

    __tablename__ = "job_runs"
    __table_args__ = (PrimaryKeyConstraint("name", name="pk_job_runs"),)

    name: Mapped[str] = mapped_column(String(64))
    last_started_at: Mapped[datetime | None]
    last_finished_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_error_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    last_items: Mapped[int] = mapped_column(default=0)
    last_duration_ms: Mapped[int] = mapped_column(default=0)
    runs: Mapped[int] = mapped_column(default=0)
    failures: Mapped[int] = mapped_column(default=0)

    def __repr__(self) -> str:
        return f"<JobRun {self.name}>"


class Digest(Base):
    """A clinic's daily digest, once per local day (the key makes two job processes send one)."""

    __tablename__ = "digests"
    __table_args__ = (PrimaryKeyConstraint("clinic_id", "local_date", name="pk_digests"),)

    clinic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clinics.id"))
    local_date: Mapped[date]
    created_at: Mapped[datetime]
    counts: Mapped[dict] = mapped_column(JSON)

    def __repr__(self) -> str:
        return f"<Digest {self.clinic_id} {self.local_date}>"
