"""The visit in the clinic: screening before the infusion (and, as it grows, monitoring and discharge).

The screening's blood pressure and heart rate become the infusion's pre-infusion readings, which the
``blood-pressure-rise`` rule compares every later reading with (service.domain.triage reads
``infusions.pre_systolic``/``pre_diastolic``): the baseline is what the clinic measured at rest, not
whatever was typed into the infusion form.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from service.domain.clinics import settings_of
from service.enums import ScreeningDecision
from service.errors import ValidationFailed
from service.models import Clinic, Clinician, Infusion, Report, ReportSymptom, Screening

# The checklist, in the order the form asks it; the first three hold the infusion when ticked.
CONTRAINDICATIONS = ("pregnancy", "uncontrolled_hypertension", "active_psychosis")
CHECKLIST = (*CONTRAINDICATIONS, "substance_use_since_last_visit", "new_medications")
CHECKLIST_LABELS = {
    "pregnancy": "Pregnant or may be pregnant",
    "uncontrolled_hypertension": "Uncontrolled hypertension",
    "active_psychosis": "Active psychosis",
    "substance_use_since_last_visit": "Substance use since the last visit",
    "new_medications": "New medications",
}
READINGS = ("systolic", "diastolic", "heart_rate", "weight_kg", *CHECKLIST, "new_medications_detail", "last_meal_at")
# The patient's own answers from the phone that count as their pre-infusion check-in.
CHECK_IN_WINDOW = timedelta(hours=24)
_SKEW = timedelta(minutes=5)


def hold_line(settings: dict) -> tuple[int, int]:
    """The clinic's blood-pressure hold line (systolic, diastolic); at or above either holds the infusion."""
    visit = settings.get("visit") or {}
    return int(visit.get("hold_systolic", 140)), int(visit.get("hold_diastolic", 90))


def hold_reasons(values: dict, *, line: tuple[int, int]) -> list[str]:
    """Why a screening is on hold, in words (empty: it is not)."""
    reasons = []
    systolic, diastolic = values["systolic"], values["diastolic"]
    if systolic >= line[0] or diastolic >= line[1]:
        reasons.append(f"Blood pressure {systolic}/{diastolic} is at or above the hold line {line[0]}/{line[1]}")
    reasons += [CHECKLIST_LABELS[key] for key in CONTRAINDICATIONS if values.get(key)]
    return reasons


def screening_of(session: Session, *, infusion: Infusion) -> Screening | None:
    """The infusion's screening, if one was recorded."""
    return session.scalar(select(Screening).where(Screening.infusion_id == infusion.id))


def record_screening(
    session: Session, *, infusion: Infusion, actor: Clinician | None, values: dict, now: datetime
) -> Screening:
    """Record (or re-check) the screening before an infusion; its blood pressure becomes the infusion's baseline.

    A screening on hold (blood pressure at or above the clinic's hold line, or a contraindication ticked)
    stays on hold until a decision is recorded with it: proceed (with the reason) or postpone. A re-check
    that clears the hold clears the decision too.
    """
    last_meal = values.get("last_meal_at")
    if last_meal is not None and last_meal > now + _SKEW:
        raise ValidationFailed("The last meal cannot be in the future.", field="last_meal_at")
    if values["diastolic"] >= values["systolic"]:
        raise ValidationFailed("Diastolic must be below systolic.", field="diastolic")
    if values.get("new_medications") and not (values.get("new_medications_detail") or "").strip():
        raise ValidationFailed("Name the new medications.", field="new_medications_detail")
    line = hold_line(settings_of(session.get(Clinic, infusion.clinic_id)))
    held = bool(hold_reasons(values, line=line))
    decision, reason = values.get("decision"), (values.get("decision_reason") or "").strip() or None
    if decision is not None and not held:
        raise ValidationFailed(
            "Nothing is on hold: a decision is recorded only for a screening on hold.", field="decision"
        )
    if decision == ScreeningDecision.PROCEED and reason is None:
        raise ValidationFailed("Give the reason to proceed despite the hold.", field="decision_reason")
    screening = screening_of(session, infusion=infusion)
    if screening is None:
        screening = Screening(
            clinic_id=infusion.clinic_id, patient_id=infusion.patient_id, infusion_id=infusion.id, rechecks=0
        )
        session.add(screening)
    else:
        screening.rechecks += 1
    for key in READINGS:
        setattr(screening, key, values.get(key, False if key in CHECKLIST else None))
    screening.notes = values.get("notes")
    screening.hold = held
    screening.recorded_by_id = actor.id if actor else None
    screening.recorded_at = now
    if not held:
        decision = reason = None
    if decision is not None:
        screening.decision, screening.decision_reason = decision, reason
        screening.decided_by_id, screening.decided_at = (actor.id if actor else None), now
    elif not held or screening.decision is None:
        screening.decision = screening.decision_reason = screening.decided_by_id = screening.decided_at = None
    _set_baseline(session, infusion=infusion, values=values, now=now)
    session.flush()
    return screening


def _set_baseline(session: Session, *, infusion: Infusion, values: dict, now: datetime) -> None:
    """The screening's readings are the infusion's pre-infusion readings (its version moves on: it changed)."""
    session.execute(
        update(Infusion)
        .where(Infusion.id == infusion.id)
        .values(
            pre_systolic=values["systolic"],
            pre_diastolic=values["diastolic"],
            pre_heart_rate=values["heart_rate"],
            updated_at=now,
            version=Infusion.version + 1,
        ),
        execution_options={"synchronize_session": False},
    )
    session.refresh(infusion)


def status_of(screening: Screening | None) -> str:
    """not_screened, clear, hold (needs a decision: re-check), proceed or postpone."""
    if screening is None:
        return "not_screened"
    if not screening.hold:
        return "clear"
    return str(screening.decision) if screening.decision is not None else "hold"


STATUS_WORDS = {
    "not_screened": "not screened",
    "clear": "clear to proceed",
    "hold": "hold: re-check",
    "proceed": "held, proceeding (reason recorded)",
    "postpone": "postponed",
}


@dataclass(frozen=True)
class CheckInAnswer:
    """One of the patient's own reports from the phone in the day before the infusion started."""

    id: uuid.UUID
    observed_at: datetime
    mood: int | None
    suicidal_thoughts: bool | None
    systolic: int | None
    diastolic: int | None
    heart_rate: int | None
    symptoms: list[dict]


def pre_infusion_check_in(session: Session, *, infusion: Infusion) -> list[CheckInAnswer]:
    """The patient's own answers sent from the phone in the 24 h before the infusion started, newest first."""
    rows = list(
        session.scalars(
            select(Report)
            .where(
                Report.patient_id == infusion.patient_id,
                Report.observed_at <= infusion.started_at,
                Report.observed_at > infusion.started_at - CHECK_IN_WINDOW,
            )
            .order_by(Report.observed_at.desc())
            .limit(5)
        )
    )
    symptoms: dict[uuid.UUID, list[dict]] = {r.id: [] for r in rows}
    if rows:
        for s in session.scalars(
            select(ReportSymptom).where(ReportSymptom.report_id.in_(symptoms)).order_by(ReportSymptom.id)
        ):
            symptoms[s.report_id].append({"code": s.code, "severity": s.severity})
    return [
        CheckInAnswer(
            r.id, r.observed_at, r.mood, r.suicidal_thoughts, r.systolic, r.diastolic, r.heart_rate, symptoms[r.id]
        )
        for r in rows
    ]


def screening_view(session: Session, *, infusion: Infusion) -> dict:
    """What the screening endpoint and page show: the record (or nulls), its status, and the patient's check-in."""
    screening = screening_of(session, infusion=infusion)
    line = hold_line(settings_of(session.get(Clinic, infusion.clinic_id)))
    status = status_of(screening)
    view: dict = {key: getattr(screening, key, None) for key in (*READINGS, "notes", "decision", "decision_reason")}
    if screening is None:
        view.update({key: None for key in CHECKLIST})
    view.update(
        infusion_id=infusion.id,
        status=status,
        status_text=STATUS_WORDS[status],
        hold=bool(screening and screening.hold),
        hold_reasons=hold_reasons(view, line=line) if screening is not None else [],
        hold_systolic=line[0],
        hold_diastolic=line[1],
        decided_by_id=screening.decided_by_id if screening else None,
        decided_at=screening.decided_at if screening else None,
        recorded_by_id=screening.recorded_by_id if screening else None,
        recorded_at=screening.recorded_at if screening else None,
        rechecks=screening.rechecks if screening else 0,
        pre_infusion_check_in=pre_infusion_check_in(session, infusion=infusion),
    )
    return view
