"""Check-ins: prompts to a patient at set times after an infusion."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, ForeignKeyConstraint, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from service.enums import CheckinStatus
from service.models._columns import enum_column
from service.models.base import Base, UUIDPrimaryKey

SCHEDULED = text("status = 'scheduled'")
AWAITING_REMINDER = text("status = 'sent' AND reminded_at IS NULL")
SENT = text("status = 'sent'")
LONG_TERM = text("infusion_id IS NULL")


def _offset_from_kind(context) -> int:
    """Default offset for a row made outside the scheduler: read from its kind ("2h" → 2, "7d" → 168)."""
    kind = context.get_current_parameters()["kind"]
    number = int("".join(ch for ch in kind if ch.isdigit()) or 1)
    return number * 24 if kind.endswith("d") else number


def _send_at_from_due(context):
    return context.get_current_parameters()["due_at"]


class Checkin(UUIDPrimaryKey, Base):
    """One prompt after an infusion (or, with no infusion, a maintenance patient's quarterly long-term check-in):
    scheduled → sent → answered | missed, or cancelled.

    ``due_at`` is when the clinic wants it (the infusion's end + ``offset_hours``); ``send_at`` is
    when it may go out (due_at moved out of the patient's quiet hours); ``remind_at`` is when the
    one reminder may go out once it was sent. A long-term check-in (kind ``long_term``) has no infusion;
    its ``offset_hours`` is its quarter's nominal distance from the start of maintenance (2160 · n).
    """

    __tablename__ = "checkins"
    __table_args__ = (
        UniqueConstraint("id", "patient_id", name="uq_checkins_id_patient"),
        # One check-in per infusion and offset, whatever races or reschedules happen.
        UniqueConstraint("infusion_id", "offset_hours", name="uq_checkins_infusion_offset"),
        # One long-term check-in per patient and quarter, however many job processes schedule at once.
        Index(
            "uq_checkins_patient_long_term",
            "patient_id",
            "offset_hours",
            unique=True,
            postgresql_where=LONG_TERM,
            sqlite_where=LONG_TERM,
        ),
        ForeignKeyConstraint(
            ["patient_id", "clinic_id"], ["patients.id", "patients.clinic_id"], name="fk_checkins_patient_clinic"
        ),
        ForeignKeyConstraint(
            ["infusion_id", "patient_id"], ["infusions.id", "infusions.patient_id"], name="fk_checkins_infusion_patient"
        ),
        CheckConstraint("offset_hours > 0", name="offset_positive"),
        CheckConstraint("status <> 'sent' OR sent_at IS NOT NULL", name="sent_has_sent_at"),
        Index("ix_checkins_patient_due", "patient_id", "due_at"),
        # The send job's claim: scheduled and ready to go, oldest first.
        Index("ix_checkins_scheduled_send", "send_at", postgresql_where=SCHEDULED, sqlite_where=SCHEDULED),
        # The reminder job's claim and the miss job's claim.
        Index(
            "ix_checkins_awaiting_reminder",
            "remind_at",
            postgresql_where=AWAITING_REMINDER,
            sqlite_where=AWAITING_REMINDER,
        ),
        Index("ix_checkins_sent_at", "sent_at", postgresql_where=SENT, sqlite_where=SENT),
    )

    clinic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clinics.id"))
    patient_id: Mapped[uuid.UUID]
    infusion_id: Mapped[uuid.UUID | None]
    kind: Mapped[str] = mapped_column(String(16))
    offset_hours: Mapped[int] = mapped_column(default=_offset_from_kind)
    due_at: Mapped[datetime]
    send_at: Mapped[datetime] = mapped_column(default=_send_at_from_due)
    asks_phq9: Mapped[bool] = mapped_column(default=False)
    status: Mapped[CheckinStatus] = mapped_column(enum_column(CheckinStatus, "status"), default=CheckinStatus.SCHEDULED)
    sent_at: Mapped[datetime | None]
    remind_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    missed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    created_at: Mapped[datetime]

    def __repr__(self) -> str:
        return f"<Checkin {self.id} kind={self.kind} status={self.status}>"
