"""Check-ins: prompts to a patient at set times after an infusion."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, ForeignKeyConstraint, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from service.enums import CheckinStatus
from service.models._columns import enum_column
from service.models.base import Base, UUIDPrimaryKey


class Checkin(UUIDPrimaryKey, Base):
    __tablename__ = "checkins"
    __table_args__ = (
        UniqueConstraint("id", "patient_id", name="uq_checkins_id_patient"),
        ForeignKeyConstraint(
            ["patient_id", "clinic_id"], ["patients.id", "patients.clinic_id"], name="fk_checkins_patient_clinic"
        ),
        ForeignKeyConstraint(
            ["infusion_id", "patient_id"], ["infusions.id", "infusions.patient_id"], name="fk_checkins_infusion_patient"
        ),
        Index("ix_checkins_patient_due", "patient_id", "due_at"),
        Index(
            "ix_checkins_scheduled_due",
            "due_at",
            postgresql_where=text("status = 'scheduled'"),
            sqlite_where=text("status = 'scheduled'"),
        ),
    )

    clinic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clinics.id"))
    patient_id: Mapped[uuid.UUID]
    infusion_id: Mapped[uuid.UUID]
    kind: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[datetime]
    asks_phq9: Mapped[bool] = mapped_column(default=False)
    status: Mapped[CheckinStatus] = mapped_column(enum_column(CheckinStatus, "status"), default=CheckinStatus.SCHEDULED)
    sent_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    created_at: Mapped[datetime]

    def __repr__(self) -> str:
        return f"<Checkin {self.id} kind={self.kind} status={self.status}>"
