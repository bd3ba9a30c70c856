"""Patients, their paired phones and their infusions."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from service.enums import Channel, Language, PatientStatus, Phase, Platform, Route, Sex
from service.models._columns import enum_column
from service.models.base import Base, Timestamps, UUIDPrimaryKey


class Patient(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "patients"
    __table_args__ = (
        UniqueConstraint("id", "clinic_id", name="uq_patients_id_clinic"),
        UniqueConstraint("clinic_id", "mrn", name="uq_patients_clinic_mrn"),
        CheckConstraint("phq9_baseline IS NULL OR phq9_baseline BETWEEN 0 AND 27", name="phq9_baseline_range"),
        CheckConstraint("mood_baseline IS NULL OR mood_baseline BETWEEN 0 AND 10", name="mood_baseline_range"),
        Index("ix_patients_clinic_status_name", "clinic_id", "status", "display_name"),
    )

    clinic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clinics.id"))
    display_name: Mapped[str] = mapped_column(String(120))
    date_of_birth: Mapped[date]
    sex: Mapped[Sex | None] = mapped_column(enum_column(Sex, "sex"))
    time_zone: Mapped[str] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(32))
    mrn: Mapped[str | None] = mapped_column(String(64))
    phq9_baseline: Mapped[int | None]
    mood_baseline: Mapped[int | None]
    quiet_hours_start: Mapped[time] = mapped_column(default=time(21, 0))
    quiet_hours_end: Mapped[time] = mapped_column(default=time(8, 0))
    preferred_channel: Mapped[Channel] = mapped_column(enum_column(Channel, "preferred_channel"), default=Channel.PUSH)
    status: Mapped[PatientStatus] = mapped_column(enum_column(PatientStatus, "status"), default=PatientStatus.ACTIVE)
    # The language of everything Aftercare tells the patient (triage answers, advice, notifications).
    language: Mapped[Language] = mapped_column(enum_column(Language, "language"), default=Language.EN)

    def __repr__(self) -> str:
        return f"<Patient {self.id} status={self.status}>"


class Device(UUIDPrimaryKey, Base):
    """A phone paired to a patient with an enrollment code."""

    __tablename__ = "devices"
    __table_args__ = (
        UniqueConstraint("id", "clinic_id", name="uq_devices_id_clinic"),
        ForeignKeyConstraint(
            ["patient_id", "clinic_id"], ["patients.id", "patients.clinic_id"], name="fk_devices_patient_clinic"
        ),
        Index("ix_devices_patient", "patient_id"),
    )

    clinic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clinics.id"))
    patient_id: Mapped[uuid.UUID]
    name: Mapped[str] = mapped_column(String(100))
    platform: Mapped[Platform] = mapped_column(enum_column(Platform, "platform"))
    push_token: Mapped[str | None] = mapped_column(String(4096))
    # The companion app's web-push subscription (the browser's PushSubscription): endpoint and keys.
    webpush_endpoint: Mapped[str | None] = mapped_column(String(2048))
    webpush_p256dh: Mapped[str | None] = mapped_column(String(128))
    webpush_auth: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<Device {self.id} revoked={self.revoked_at is not None}>"


class Infusion(UUIDPrimaryKey, Timestamps, Base):
    """One ketamine administration, as measured in the clinic."""

    __tablename__ = "infusions"
    __table_args__ = (
        UniqueConstraint("id", "patient_id", name="uq_infusions_id_patient"),
        ForeignKeyConstraint(
            ["patient_id", "clinic_id"], ["patients.id", "patients.clinic_id"], name="fk_infusions_patient_clinic"
        ),
        ForeignKeyConstraint(
            ["recorded_by_id", "clinic_id"],
            ["clinicians.id", "clinicians.clinic_id"],
            name="fk_infusions_recorder_clinic",
        ),
        CheckConstraint("ended_at IS NULL OR ended_at > started_at", name="ends_after_start"),
        CheckConstraint("dose_mg IS NULL OR (dose_mg > 0 AND dose_mg <= 1000)", name="dose_mg_range"),
        CheckConstraint(
            "dose_mg_per_kg IS NULL OR (dose_mg_per_kg > 0 AND dose_mg_per_kg <= 10)", name="dose_mg_per_kg_range"
        ),
        CheckConstraint("pre_systolic IS NULL OR pre_systolic BETWEEN 50 AND 300", name="pre_systolic_range"),
        CheckConstraint("pre_diastolic IS NULL OR pre_diastolic BETWEEN 30 AND 200", name="pre_diastolic_range"),
        CheckConstraint("post_systolic IS NULL OR post_systolic BETWEEN 50 AND 300", name="post_systolic_range"),
        CheckConstraint("post_diastolic IS NULL OR post_diastolic BETWEEN 30 AND 200", name="post_diastolic_range"),
        CheckConstraint("pre_heart_rate IS NULL OR pre_heart_rate BETWEEN 20 AND 250", name="pre_hr_range"),
        CheckConstraint("post_heart_rate IS NULL OR post_heart_rate BETWEEN 20 AND 250", name="post_hr_range"),
        Index("ix_infusions_patient_ended", "patient_id", "ended_at"),
        # Analytics: a clinic's infusions ended in a range (incidence), and each patient's in order (outcomes).
        Index("ix_infusions_clinic_ended", "clinic_id", "ended_at"),
        Index("ix_infusions_clinic_patient_started", "clinic_id", "patient_id", "started_at"),
    )

    clinic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clinics.id"))
    patient_id: Mapped[uuid.UUID]
    recorded_by_id: Mapped[uuid.UUID | None]
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    route: Mapped[Route] = mapped_column(enum_column(Route, "route"))
    dose_mg: Mapped[float | None]
    dose_mg_per_kg: Mapped[float | None]
    phase: Mapped[Phase] = mapped_column(enum_column(Phase, "phase"))
    pre_systolic: Mapped[int | None]
    pre_diastolic: Mapped[int | None]
    pre_heart_rate: Mapped[int | None]
    post_systolic: Mapped[int | None]
    post_diastolic: Mapped[int | None]
    post_heart_rate: Mapped[int | None]
    notes: Mapped[str | None] = mapped_column(Text)
    # Raised by each correction; sent as the ETag so two corrections at once cannot both win.
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    # Incidence's roll-up (service/domain/incidence.py): a report tied to it was observed within 72 h of its end.
    followed_up: Mapped[bool] = mapped_column(default=False, server_default=false())

    def __repr__(self) -> str:
        return f"<Infusion {self.id} route={self.route}>"


class InfusionSymptom(Base):
    """Incidence's roll-up: the infusion had a report of the symptom at severity >= 1 within its window after the
    end. Written with the report (and again for the infusion when its end changes): service/domain/incidence.py."""

    __tablename__ = "infusion_symptoms"
    __table_args__ = (PrimaryKeyConstraint("infusion_id", "code", name="pk_infusion_symptoms"),)

    infusion_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("infusions.id"))
    code: Mapped[str] = mapped_column(String(32))

    def __repr__(self) -> str:
        return f"<InfusionSymptom {self.infusion_id} {self.code}>"


class PatientCourse(Base):
    """Outcomes' roll-up, one row per patient: the starts of their first seven infusions (in order; the steps
    2, 4 and 6 end at the next one), their first maintenance infusion's start and their first PHQ-9. Kept with
    each infusion recorded or corrected and each PHQ-9 stored: service/domain/outcomes.py."""

    __tablename__ = "patient_courses"
    __table_args__ = (Index("ix_patient_courses_clinic", "clinic_id"),)

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), primary_key=True)
    clinic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clinics.id"))
    start_1: Mapped[datetime | None]
    start_2: Mapped[datetime | None]
    start_3: Mapped[datetime | None]
    start_4: Mapped[datetime | None]
    start_5: Mapped[datetime | None]
    start_6: Mapped[datetime | None]
    start_7: Mapped[datetime | None]
    maintenance_started_at: Mapped[datetime | None]
    first_phq9_observed_at: Mapped[datetime | None]
    first_phq9_received_at: Mapped[datetime | None]
    first_phq9_total: Mapped[int | None]

    def __repr__(self) -> str:
        return f"<PatientCourse {self.patient_id}>"
