"""Adverse events: a clinician's formal record of harm after ketamine, with its regulatory clock and its history."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from service.enums import ActionTaken, Causality, Outcome, Route
from service.models._columns import enum_column
from service.models.base import Base, UUIDPrimaryKey

SERIOUS_CRITERIA_COLUMNS = (
    "seriousness_death",
    "seriousness_life_threatening",
    "seriousness_hospitalization",
    "seriousness_disability",
    "seriousness_congenital_anomaly",
    "seriousness_medically_important",
)
_ANY_CRITERION = "(" + " OR ".join(SERIOUS_CRITERIA_COLUMNS) + ")"
# Serious, reporting due, not yet sent to the regulator: the "overdue reporting" view.
UNSUBMITTED_SERIOUS = text("serious AND submitted_at IS NULL")


class AdverseEvent(UUIDPrimaryKey, Base):
    __tablename__ = "adverse_events"
    __table_args__ = (
        UniqueConstraint("id", "clinic_id", name="uq_adverse_events_id_clinic"),
        ForeignKeyConstraint(
            ["patient_id", "clinic_id"], ["patients.id", "patients.clinic_id"], name="fk_adverse_events_patient_clinic"
        ),
        ForeignKeyConstraint(
            ["flag_id", "clinic_id"], ["flags.id", "flags.clinic_id"], name="fk_adverse_events_flag_clinic"
        ),
        ForeignKeyConstraint(
            ["report_id", "patient_id"], ["reports.id", "reports.patient_id"], name="fk_adverse_events_report_patient"
        ),
        ForeignKeyConstraint(
            ["infusion_id", "patient_id"],
            ["infusions.id", "infusions.patient_id"],
            name="fk_adverse_events_infusion_patient",
        ),
        ForeignKeyConstraint(
            ["recorded_by_id", "clinic_id"],
            ["clinicians.id", "clinicians.clinic_id"],
            name="fk_adverse_events_recorder_clinic",
        ),
        CheckConstraint("grade BETWEEN 1 AND 5", name="grade_range"),
        # ICH E2A: serious means at least one criterion, and a criterion means serious.
        CheckConstraint(f"serious = {_ANY_CRITERION}", name="serious_has_criterion"),
        # CTCAE grade 5 is death related to the event; a death criterion is grade 5 with a fatal outcome.
        CheckConstraint("(grade = 5) = seriousness_death", name="grade5_is_death"),
        CheckConstraint("(outcome = 'fatal') = seriousness_death", name="fatal_is_death"),
        CheckConstraint("aware_at >= onset_at", name="aware_after_onset"),
        CheckConstraint("resolved_at IS NULL OR resolved_at >= onset_at", name="resolved_after_onset"),
        CheckConstraint("(regulatory_due_at IS NOT NULL) = serious", name="due_iff_serious"),
        CheckConstraint("(submitted_at IS NULL) = (submission_reference IS NULL)", name="submission_complete"),
        CheckConstraint(
            "infusion_dose_mg IS NULL OR (infusion_dose_mg > 0 AND infusion_dose_mg <= 1000)", name="dose_mg_range"
        ),
        CheckConstraint(
            "infusion_dose_mg_per_kg IS NULL OR (infusion_dose_mg_per_kg > 0 AND infusion_dose_mg_per_kg <= 10)",
            name="dose_mg_per_kg_range",
        ),
        Index("ix_adverse_events_clinic_onset", "clinic_id", "onset_at", "id"),
        Index("ix_adverse_events_patient_onset", "patient_id", "onset_at"),
        Index("ix_adverse_events_flag", "flag_id"),
        Index("ix_adverse_events_report", "report_id"),
        # The regulatory clock: serious events not yet submitted, by due date.
        Index(
            "ix_adverse_events_reporting_due",
            "clinic_id",
            "regulatory_due_at",
            postgresql_where=UNSUBMITTED_SERIOUS,
            sqlite_where=UNSUBMITTED_SERIOUS,
        ),
    )

    clinic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clinics.id"))
    patient_id: Mapped[uuid.UUID]
    flag_id: Mapped[uuid.UUID | None]
    report_id: Mapped[uuid.UUID | None]
    infusion_id: Mapped[uuid.UUID | None]
    # What was given, copied when the event was recorded (a later correction of the infusion does not rewrite it).
    infusion_route: Mapped[Route | None] = mapped_column(enum_column(Route, "infusion_route"))
    infusion_dose_mg: Mapped[float | None]
    infusion_dose_mg_per_kg: Mapped[float | None]
    infusion_started_at: Mapped[datetime | None]
    infusion_ended_at: Mapped[datetime | None]

    term: Mapped[str] = mapped_column(String(120))
    term_other: Mapped[str | None] = mapped_column(String(200))
    grade: Mapped[int]
    serious: Mapped[bool]
    seriousness_death: Mapped[bool] = mapped_column(default=False)
    seriousness_life_threatening: Mapped[bool] = mapped_column(default=False)
    seriousness_hospitalization: Mapped[bool] = mapped_column(default=False)
    seriousness_disability: Mapped[bool] = mapped_column(default=False)
    seriousness_congenital_anomaly: Mapped[bool] = mapped_column(default=False)
    seriousness_medically_important: Mapped[bool] = mapped_column(default=False)
    causality: Mapped[Causality] = mapped_column(enum_column(Causality, "causality"))
    action_taken: Mapped[ActionTaken] = mapped_column(enum_column(ActionTaken, "action_taken"))
    outcome: Mapped[Outcome] = mapped_column(enum_column(Outcome, "outcome"))
    onset_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    aware_at: Mapped[datetime]
    narrative: Mapped[str] = mapped_column(Text)
    # Expectedness: listed on the product label (True), not listed (False), not assessed (None).
    expected: Mapped[bool | None]

    regulatory_due_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    submission_reference: Mapped[str | None] = mapped_column(String(120))

    recorded_by_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # Bumped on every change: the ETag, for If-Match; also the number of the latest history entry.
    version: Mapped[int] = mapped_column(default=1)

    def __repr__(self) -> str:
        return f"<AdverseEvent {self.id} grade={self.grade} serious={self.serious}>"


class AdverseEventVersion(Base):
    """One change to an adverse event: who, when, and each field's old and new value."""

    __tablename__ = "adverse_event_versions"
    __table_args__ = (
        UniqueConstraint("adverse_event_id", "version", name="uq_adverse_event_versions_event_version"),
        ForeignKeyConstraint(
            ["adverse_event_id", "clinic_id"],
            ["adverse_events.id", "adverse_events.clinic_id"],
            name="fk_adverse_event_versions_event_clinic",
        ),
        ForeignKeyConstraint(
            ["actor_id", "clinic_id"],
            ["clinicians.id", "clinicians.clinic_id"],
            name="fk_adverse_event_versions_actor_clinic",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    clinic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clinics.id"))
    adverse_event_id: Mapped[uuid.UUID]
    version: Mapped[int]
    at: Mapped[datetime]
    actor_id: Mapped[uuid.UUID | None]
    action: Mapped[str] = mapped_column(String(16))  # created, updated, submitted
    changes: Mapped[dict] = mapped_column(JSON)  # {field: {"old": ..., "new": ...}}

    def __repr__(self) -> str:
        return f"<AdverseEventVersion {self.adverse_event_id} v{self.version} {self.action}>"
