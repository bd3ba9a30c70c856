"""The visit in the clinic: the screening before an infusion, the observations in the chair, the discharge."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, ForeignKeyConstraint, Index, Text, UniqueConstraint
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


class Observation(UUIDPrimaryKey, Base):
    """One set of readings in the chair, during or after the infusion; each is run through the rules.

    Sedation on the MOASS (5 alert … 0 unresponsive); dissociation as a 0-4 rating and/or the CADSS-6
    total (six items 0-4, 0-24)."""

    __tablename__ = "observations"
    __table_args__ = (
        ForeignKeyConstraint(
            ["infusion_id", "patient_id"], ["infusions.id", "infusions.patient_id"], name="fk_observations_infusion"
        ),
        ForeignKeyConstraint(
            ["patient_id", "clinic_id"], ["patients.id", "patients.clinic_id"], name="fk_observations_patient_clinic"
        ),
        CheckConstraint("systolic IS NULL OR systolic BETWEEN 50 AND 300", name="systolic_range"),
        CheckConstraint(
            "diastolic IS NULL OR (diastolic BETWEEN 30 AND 200 AND diastolic < systolic)", name="diastolic_range"
        ),
        CheckConstraint("heart_rate IS NULL OR heart_rate BETWEEN 20 AND 250", name="heart_rate_range"),
        CheckConstraint("spo2 IS NULL OR spo2 BETWEEN 50 AND 100", name="spo2_range"),
        CheckConstraint("sedation_moass IS NULL OR sedation_moass BETWEEN 0 AND 5", name="moass_range"),
        CheckConstraint("dissociation IS NULL OR dissociation BETWEEN 0 AND 4", name="dissociation_range"),
        CheckConstraint("cadss6 IS NULL OR cadss6 BETWEEN 0 AND 24", name="cadss6_range"),
        Index("ix_observations_infusion_observed", "infusion_id", "observed_at"),
    )

    clinic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clinics.id"))
    patient_id: Mapped[uuid.UUID]
    infusion_id: Mapped[uuid.UUID]
    observed_at: Mapped[datetime]
    systolic: Mapped[int | None]
    diastolic: Mapped[int | None]
    heart_rate: Mapped[int | None]
    spo2: Mapped[int | None]
    sedation_moass: Mapped[int | None]
    dissociation: Mapped[int | None]
    cadss6: Mapped[int | None]
    note: Mapped[str | None] = mapped_column(Text)
    # The rules that fired on it and the flags they opened or joined (ids as text).
    rules: Mapped[list] = mapped_column(JSON, default=list)
    flag_ids: Mapped[list] = mapped_column(JSON, default=list)
    recorded_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("clinicians.id"))
    created_at: Mapped[datetime]

    def __repr__(self) -> str:
        return f"<Observation {self.id} infusion={self.infusion_id}>"


class Discharge(UUIDPrimaryKey, Base):
    """The patient leaving after the infusion: the readiness checks, and (when a reading in the chair was still
    outside the clinic's limits) the clinician's reason to discharge anyway. One per infusion; the check-ins
    after the infusion count from it."""

    __tablename__ = "discharges"
    __table_args__ = (
        UniqueConstraint("infusion_id", name="uq_discharges_infusion"),
        ForeignKeyConstraint(
            ["infusion_id", "patient_id"], ["infusions.id", "infusions.patient_id"], name="fk_discharges_infusion"
        ),
        ForeignKeyConstraint(
            ["patient_id", "clinic_id"], ["patients.id", "patients.clinic_id"], name="fk_discharges_patient_clinic"
        ),
        CheckConstraint("vitals_near_baseline AND alert AND ride_home AND told_not_to_drive", name="ready_to_leave"),
    )

    clinic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clinics.id"))
    patient_id: Mapped[uuid.UUID]
    infusion_id: Mapped[uuid.UUID]
    discharged_at: Mapped[datetime]
    vitals_near_baseline: Mapped[bool]
    alert: Mapped[bool]
    ride_home: Mapped[bool]
    told_not_to_drive: Mapped[bool]
    # What was outside the clinic's limits on the latest reading when discharged, and the clinician's reason.
    outside_limits: Mapped[list] = mapped_column(JSON, default=list)
    override_reason: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("clinicians.id"))
    created_at: Mapped[datetime]

    def __repr__(self) -> str:
        return f"<Discharge {self.id} infusion={self.infusion_id}>"
