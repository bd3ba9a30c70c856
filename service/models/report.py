"""Symptom reports sent from a patient's phone. Immutable once stored."""

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

from service.enums import SafetyRisk
from service.models._columns import enum_column
from service.models.base import Base, UUIDPrimaryKey


class Report(UUIDPrimaryKey, Base):
    __tablename__ = "reports"
    __table_args__ = (
        # Idempotency lives in the database: one row per phone-made id per patient.
        UniqueConstraint("patient_id", "client_report_id", name="uq_reports_patient_client_report"),
        UniqueConstraint("id", "patient_id", name="uq_reports_id_patient"),
        ForeignKeyConstraint(
            ["patient_id", "clinic_id"], ["patients.id", "patients.clinic_id"], name="fk_reports_patient_clinic"
        ),
        ForeignKeyConstraint(
            ["infusion_id", "patient_id"], ["infusions.id", "infusions.patient_id"], name="fk_reports_infusion_patient"
        ),
        ForeignKeyConstraint(
            ["checkin_id", "patient_id"], ["checkins.id", "checkins.patient_id"], name="fk_reports_checkin_patient"
        ),
        ForeignKeyConstraint(
            ["amends_id", "patient_id"], ["reports.id", "reports.patient_id"], name="fk_reports_amends_patient"
        ),
        CheckConstraint("mood IS NULL OR mood BETWEEN 0 AND 10", name="mood_range"),
        CheckConstraint("phq9_total IS NULL OR phq9_total BETWEEN 0 AND 27", name="phq9_total_range"),
        CheckConstraint("systolic IS NULL OR systolic BETWEEN 50 AND 300", name="systolic_range"),
        CheckConstraint(
            "diastolic IS NULL OR (diastolic BETWEEN 30 AND 200 AND diastolic < systolic)", name="diastolic_range"
        ),
        CheckConstraint("heart_rate IS NULL OR heart_rate BETWEEN 20 AND 250", name="heart_rate_range"),
        Index("ix_reports_patient_observed", "patient_id", "observed_at"),
        # Analytics: a clinic's reports received in a range (rule burden's reports per rule version).
        Index("ix_reports_clinic_received", "clinic_id", "received_at"),
        # Analytics: the follow-up reports of infusions (incidence); only reports tied to an infusion.
        Index(
            "ix_reports_infusion_observed",
            "infusion_id",
            "observed_at",
            postgresql_where=text("infusion_id IS NOT NULL"),
            sqlite_where=text("infusion_id IS NOT NULL"),
        ),
        # Analytics: each patient's PHQ-9s in time order (outcomes); only reports with a PHQ-9.
        Index(
            "ix_reports_clinic_phq9",
            "clinic_id",
            "patient_id",
            "observed_at",
            "received_at",
            postgresql_where=text("phq9_total IS NOT NULL"),
            sqlite_where=text("phq9_total IS NOT NULL"),
        ),
        # Corrections only: most reports amend nothing, and a NULL need not cost every report an index entry.
        Index(
            "ix_reports_amends",
            "amends_id",
            postgresql_where=text("amends_id IS NOT NULL"),
            sqlite_where=text("amends_id IS NOT NULL"),
        ),
    )

    clinic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clinics.id"))
    patient_id: Mapped[uuid.UUID]
    device_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("devices.id"))
    client_report_id: Mapped[uuid.UUID]
    body_hash: Mapped[str] = mapped_column(String(64))
    observed_at: Mapped[datetime]
    received_at: Mapped[datetime]
    infusion_id: Mapped[uuid.UUID | None]
    checkin_id: Mapped[uuid.UUID | None]
    amends_id: Mapped[uuid.UUID | None]
    mood: Mapped[int | None]
    suicidal_thoughts: Mapped[bool | None]
    # The long-term check-in's question: ketamine (or esketamine) taken anywhere but the clinic since the last one.
    ketamine_outside_clinic: Mapped[bool | None]
    phq9: Mapped[list | None] = mapped_column(JSON)
    phq9_total: Mapped[int | None]
    systolic: Mapped[int | None]
    diastolic: Mapped[int | None]
    heart_rate: Mapped[int | None]
    note: Mapped[str | None] = mapped_column(Text)
    # The outcome the phone was told, so a replay answers exactly the same.
    flagged: Mapped[bool] = mapped_column(default=False)
    triage_priority: Mapped[str | None] = mapped_column(String(16))
    crisis: Mapped[bool] = mapped_column(default=False)
    # The rules that fired (their advice is shown with the report) and whether the report paged a clinician.
    triage_rules: Mapped[list | None] = mapped_column(JSON)
    paged: Mapped[bool] = mapped_column(default=False)
    reviewed_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<Report {self.id} flagged={self.flagged}>"


class ReportSymptom(Base):
    __tablename__ = "report_symptoms"
    __table_args__ = (
        UniqueConstraint("report_id", "code", name="uq_report_symptoms_report_code"),
        CheckConstraint("severity BETWEEN 0 AND 4", name="severity_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    report_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("reports.id"))
    code: Mapped[str] = mapped_column(String(32))
    severity: Mapped[int]
    started_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(Text)

    def __repr__(self) -> str:
        return f"<ReportSymptom {self.id} report={self.report_id}>"


class SafetyScreen(UUIDPrimaryKey, Base):
    """A patient's answers to the suicide-risk screener shown after a report touching suicidal ideation (one per
    report), and the risk they show."""

    __tablename__ = "safety_screens"
    __table_args__ = (
        UniqueConstraint("report_id", name="uq_safety_screens_report"),
        ForeignKeyConstraint(
            ["report_id", "patient_id"], ["reports.id", "reports.patient_id"], name="fk_safety_screens_report_patient"
        ),
        Index("ix_safety_screens_patient", "patient_id", "created_at"),
    )

    clinic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clinics.id"))
    patient_id: Mapped[uuid.UUID]
    report_id: Mapped[uuid.UUID]
    flag_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("flags.id"))
    answers: Mapped[dict] = mapped_column(JSON)
    body_hash: Mapped[str] = mapped_column(String(64))
    risk: Mapped[SafetyRisk] = mapped_column(enum_column(SafetyRisk, "risk"))
    paged: Mapped[bool] = mapped_column(default=False)  # high risk paged a clinician again
    created_at: Mapped[datetime]

    def __repr__(self) -> str:
        return f"<SafetyScreen {self.id} risk={self.risk}>"
