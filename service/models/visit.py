"""The visit in the clinic: the screening before an infusion."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, ForeignKeyConstraint, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.enums import ScreeningDecision
from service.models._columns import enum_column
from service.models.base import Base, UUIDPrimaryKey


class Screening(UUIDPrimaryKey, Base):
    """The check before an infusion: vitals at rest, weight, the contraindication checklist, and (when the
    blood pressure is at or above the clinic's hold line or a contraindication is ticked) the decision.

    One per infusion; a re-check replaces the readings. Its blood pressure is the infusion's baseline."""

    __tablename__ = "screenings"
    __table_args__ = (
        UniqueConstraint("infusion_id", name="uq_screenings_infusion"),
        ForeignKeyConstraint(
            ["infusion_id", "patient_id"], ["infusions.id", "infusions.patient_id"], name="fk_screenings_infusion"
        ),
        ForeignKeyConstraint(
            ["patient_id", "clinic_id"], ["patients.id", "patients.clinic_id"], name="fk_screenings_patient_clinic"
        ),
        CheckConstraint("systolic BETWEEN 50 AND 300", name="systolic_range"),
        CheckConstraint("diastolic BETWEEN 30 AND 200 AND diastolic < systolic", name="diastolic_range"),
        CheckConstraint("heart_rate BETWEEN 20 AND 250", name="heart_rate_range"),
        CheckConstraint("weight_kg BETWEEN 20 AND 350", name="weight_range"),
        CheckConstraint("decision IS NULL OR decided_at IS NOT NULL", name="decision_has_time"),
        CheckConstraint("decision <> 'proceed' OR decision_reason IS NOT NULL", name="proceed_has_reason"),
    )

    clinic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clinics.id"))
    patient_id: Mapped[uuid.UUID]
    infusion_id: Mapped[uuid.UUID]
    systolic: Mapped[int]
    diastolic: Mapped[int]
    heart_rate: Mapped[int]
    weight_kg: Mapped[float]
    pregnancy: Mapped[bool]
    uncontrolled_hypertension: Mapped[bool]
    active_psychosis: Mapped[bool]
    substance_use_since_last_visit: Mapped[bool]
    new_medications: Mapped[bool]
    new_medications_detail: Mapped[str | None] = mapped_column(Text)
    last_meal_at: Mapped[datetime | None]
    notes: Mapped[str | None] = mapped_column(Text)
    # Held: the blood pressure reached the clinic's hold line, or a contraindication was ticked.
    hold: Mapped[bool]
    decision: Mapped[ScreeningDecision | None] = mapped_column(enum_column(ScreeningDecision, "decision"))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("clinicians.id"))
    decided_at: Mapped[datetime | None]
    recorded_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("clinicians.id"))
    recorded_at: Mapped[datetime]
    rechecks: Mapped[int] = mapped_column(default=0)

    def __repr__(self) -> str:
        return f"<Screening {self.id} hold={self.hold} decision={self.decision}>"
