"""Patients of a clinic: enrol, read, change, pause, discharge."""

from __future__ import annotations

import uuid
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.domain import checkins
from service.domain.clinics import settings_of
from service.domain.common import age_on, check_adult, check_time_zone
from service.domain.sessions import revoke_sessions
from service.enums import PatientStatus
from service.errors import Conflict, NotFound
from service.models import Clinic, Device, Infusion, Patient

# Fields a clinician may set; a patient may set only PATIENT_EDITABLE through /me.
CLINICIAN_EDITABLE = frozenset(
    {
        "display_name",
        "date_of_birth",
        "sex",
        "time_zone",
        "email",
        "phone",
        "mrn",
        "phq9_baseline",
        "mood_baseline",
        "quiet_hours_start",
        "quiet_hours_end",
        "preferred_channel",
        "language",
        "status",
    }
)
PATIENT_EDITABLE = frozenset(
    {"time_zone", "quiet_hours_start", "quiet_hours_end", "preferred_channel", "language", "email", "phone"}
)


def _check(values: dict, *, now: datetime) -> None:
    if "time_zone" in values:
        check_time_zone(values["time_zone"])
    if "date_of_birth" in values:
        check_adult(values["date_of_birth"], now=now)


def _flush_unique(session: Session) -> None:
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict("Another patient of this clinic already has this MRN.", field="mrn") from None


def create_patient(session: Session, *, clinic: Clinic, values: dict, now: datetime) -> Patient:
    """Enrol a new patient in a clinic."""
    values = {k: v for k, v in values.items() if k in CLINICIAN_EDITABLE}
    values.setdefault("time_zone", clinic.time_zone)
    quiet = settings_of(clinic)["quiet_hours"]
    values.setdefault("quiet_hours_start", time.fromisoformat(quiet["start"]))
    values.setdefault("quiet_hours_end", time.fromisoformat(quiet["end"]))
    _check(values, now=now)
    patient = Patient(clinic_id=clinic.id, created_at=now, updated_at=now, **values)
    session.add(patient)
    _flush_unique(session)
    return patient


def get_patient(session: Session, *, clinic_id: uuid.UUID, patient_id: uuid.UUID) -> Patient:
    """Fetch a patient of the caller's clinic; 404 for any other."""
    patient = session.scalar(select(Patient).where(Patient.id == patient_id, Patient.clinic_id == clinic_id))
    if patient is None:
        raise NotFound("No such patient.")
    return patient


def patients_query(*, clinic_id: uuid.UUID, status: PatientStatus | None = None) -> Select:
    """The clinic's patients, by name."""
    stmt = select(Patient).where(Patient.clinic_id == clinic_id)
    if status is not None:
        stmt = stmt.where(Patient.status == status)
    return stmt.order_by(Patient.display_name, Patient.id)


def display_names(session: Session, *, patient_ids) -> dict[uuid.UUID, str]:
    """Patients' display names by id (one query for a page of rows that name patients)."""
    ids = list({i for i in patient_ids if i is not None})
    if not ids:
        return {}
    return dict(session.execute(select(Patient.id, Patient.display_name).where(Patient.id.in_(ids))).all())


def update_patient(
    session: Session, *, patient: Patient, changes: dict, allowed: frozenset[str], now: datetime
) -> Patient:
    """Apply changes to a patient; pausing or discharging cancels future check-ins, discharging unpairs phones."""
    changes = {k: v for k, v in changes.items() if k in allowed}
    _check(changes, now=now)
    for key, value in changes.items():
        setattr(patient, key, value)
    patient.updated_at = now
    _flush_unique(session)
    if changes.get("status") in (PatientStatus.PAUSED, PatientStatus.DISCHARGED):
        checkins.cancel_future(session, patient_id=patient.id, now=now)
    elif {"time_zone", "quiet_hours_start", "quiet_hours_end"} & set(changes):
        checkins.follow_quiet_hours(session, patient=patient)
    if changes.get("status") == PatientStatus.DISCHARGED:
        for device in session.scalars(
            select(Device).where(Device.patient_id == patient.id, Device.revoked_at.is_(None))
        ):
            device.revoked_at = now
            revoke_sessions(session, device_id=device.id, reason="discharged", now=now)
        session.flush()
    return patient


def devices_of(session: Session, *, patient: Patient) -> list[Device]:
    """A patient's paired phones, newest first."""
    return list(
        session.scalars(select(Device).where(Device.patient_id == patient.id).order_by(Device.created_at.desc()))
    )


def latest_infusion(session: Session, *, patient_id: uuid.UUID) -> Infusion | None:
    """The patient's most recent infusion, if any."""
    return session.scalar(
        select(Infusion)
        .where(Infusion.patient_id == patient_id)
        .order_by(Infusion.started_at.desc(), Infusion.id)
        .limit(1)
    )


def patient_summary(session: Session, *, patient: Patient, now: datetime) -> dict:
    """What a clinician needs at a glance: name, age, time zone and local time now, latest infusion."""
    return {
        "id": patient.id,
        "display_name": patient.display_name,
        "age": age_on(patient.date_of_birth, now.date()),
        "time_zone": patient.time_zone,
        "local_time": now.astimezone(ZoneInfo(patient.time_zone)),
        "status": patient.status,
        "latest_infusion": latest_infusion(session, patient_id=patient.id),
    }
