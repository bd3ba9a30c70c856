"""Infusions as recorded by the clinic."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from service.domain import checkins, incidence, outcomes
from service.domain.clinics import settings_of
from service.errors import NotFound, PreconditionFailed, ValidationFailed
from service.models import Clinic, Clinician, Infusion, Patient, Screening

# Clock skew tolerated between the clinic's devices and the server.
_SKEW = timedelta(minutes=5)

EDITABLE = frozenset(
    {
        "started_at",
        "ended_at",
        "route",
        "dose_mg",
        "dose_mg_per_kg",
        "phase",
        "pre_systolic",
        "pre_diastolic",
        "pre_heart_rate",
        "post_systolic",
        "post_diastolic",
        "post_heart_rate",
        "notes",
    }
)


def _check(infusion: Infusion, *, now: datetime) -> None:
    if infusion.started_at > now + _SKEW:
        raise ValidationFailed("An infusion cannot start in the future.", field="started_at")
    if infusion.ended_at is not None:
        if infusion.ended_at <= infusion.started_at:
            raise ValidationFailed("ended_at must be after started_at.", field="ended_at")
        if infusion.ended_at > now + _SKEW:
            raise ValidationFailed("An infusion cannot end in the future.", field="ended_at")
    for when in ("pre", "post"):
        systolic, diastolic = getattr(infusion, f"{when}_systolic"), getattr(infusion, f"{when}_diastolic")
        if (systolic is None) != (diastolic is None):
            raise ValidationFailed("Give systolic and diastolic together.", field=f"{when}_diastolic")
        if systolic is not None and diastolic >= systolic:
            raise ValidationFailed("Diastolic must be below systolic.", field=f"{when}_diastolic")


def record_infusion(
    session: Session, *, patient: Patient, actor: Clinician | None, values: dict, now: datetime
) -> Infusion:
    """Record an infusion given to a patient; its check-ins are scheduled in the same transaction."""
    infusion = Infusion(
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        recorded_by_id=actor.id if actor else None,
        created_at=now,
        updated_at=now,
        **{k: v for k, v in values.items() if k in EDITABLE},
    )
    _check(infusion, now=now)
    session.add(infusion)
    session.flush()
    outcomes.refresh_course(session, patient_id=patient.id)
    _schedule(session, infusion=infusion, patient=patient, now=now)
    return infusion


def _schedule(session: Session, *, infusion: Infusion, patient: Patient, now: datetime) -> None:
    offsets = settings_of(session.get(Clinic, patient.clinic_id))["checkin_offsets_hours"]
    checkins.schedule_for_infusion(session, infusion=infusion, patient=patient, offsets=offsets, now=now)


def update_infusion(
    session: Session, *, infusion: Infusion, changes: dict, now: datetime, expected_version: int | None = None
) -> Infusion:
    """Correct an infusion's record; a new start or end moves its check-ins not yet sent.

    With an expected version (If-Match), only that version is corrected: of two corrections at once one wins.
    """
    screened = {"pre_systolic", "pre_diastolic", "pre_heart_rate"} & set(changes)
    if screened and session.scalar(select(Screening.id).where(Screening.infusion_id == infusion.id)) is not None:
        raise ValidationFailed(
            "The screening's readings are this infusion's baseline: record a re-check in the screening instead.",
            field=sorted(screened)[-1],
        )
    seen = infusion.version if expected_version is None else expected_version
    bumped = session.execute(
        update(Infusion).where(Infusion.id == infusion.id, Infusion.version == seen).values(version=seen + 1),
        execution_options={"synchronize_session": False},
    ).rowcount
    session.refresh(infusion)
    if not bumped:
        raise PreconditionFailed("This infusion changed since you loaded it; reload and try again.")
    for key, value in changes.items():
        if key in EDITABLE:
            setattr(infusion, key, value)
    _check(infusion, now=now)
    infusion.updated_at = now
    session.flush()
    if "ended_at" in changes:  # which reports count for the infusion's incidence depends on its end
        incidence.rebuild(session, infusion_ids=[infusion.id])
    if {"started_at", "phase"} & set(changes):  # the patient's course: the order of starts, maintenance
        outcomes.refresh_course(session, patient_id=infusion.patient_id)
    if {"ended_at", "started_at"} & set(changes):
        _schedule(session, infusion=infusion, patient=session.get(Patient, infusion.patient_id), now=now)
    return infusion


def get_infusion(session: Session, *, clinic_id: uuid.UUID, infusion_id: uuid.UUID) -> Infusion:
    """Fetch an infusion of the caller's clinic; 404 for any other."""
    infusion = session.scalar(select(Infusion).where(Infusion.id == infusion_id, Infusion.clinic_id == clinic_id))
    if infusion is None:
        raise NotFound("No such infusion.")
    return infusion


def infusions_query(*, patient_id: uuid.UUID) -> Select:
    """A patient's infusions, newest first."""
    return select(Infusion).where(Infusion.patient_id == patient_id).order_by(Infusion.started_at.desc(), Infusion.id)
