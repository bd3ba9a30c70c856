"""The visit in the clinic: screening before the infusion, observations in the chair, discharge.

The screening's blood pressure and heart rate become the infusion's pre-infusion readings, which the
``blood-pressure-rise`` rule compares every later reading with (service.domain.triage reads
``infusions.pre_systolic``/``pre_diastolic``): the baseline is what the clinic measured at rest, not
whatever was typed into the infusion form.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from service.domain import checkins, triage
from service.domain.clinics import settings_of
from service.enums import CheckinStatus, Route, ScreeningDecision
from service.errors import Conflict, ValidationFailed
from service.models import (
    Checkin,
    Clinic,
    Clinician,
    Discharge,
    Infusion,
    Observation,
    Patient,
    Report,
    ReportSymptom,
    Screening,
)
from service.rules import InfusionFacts, PatientContext, ReportFacts, Thresholds, evaluate

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


# --- observations in the chair -------------------------------------------------------------------------------

OBSERVED = ("systolic", "diastolic", "heart_rate", "spo2", "sedation_moass", "dissociation", "cadss6")
# Observations are taken from the start of the infusion up to this long after it (the REMS minimum is 2 h).
OBSERVATION_SPAN = timedelta(hours=12)
# The clinic's limits for the chair (a visit setting each): outside them a reading is marked, and discharge
# is refused while the latest reading is outside them unless a clinician records why.
LIMIT_DEFAULTS = {
    "limit_systolic": 160,  # at or above
    "limit_diastolic": 100,  # at or above
    "limit_heart_rate_high": 110,  # at or above
    "limit_heart_rate_low": 50,  # below
    "limit_spo2": 94,  # below
    "limit_moass": 4,  # below (5 alert, 4 lethargic)
    "limit_dissociation": 1,  # above (0-4 rating)
}


def limits_of(settings: dict) -> dict[str, int]:
    """The clinic's limits for readings in the chair (defaults where not set)."""
    visit = settings.get("visit") or {}
    return {key: int(visit.get(key, default)) for key, default in LIMIT_DEFAULTS.items()}


def outside_limits(obs, limits: dict[str, int]) -> list[str]:
    """The readings of an observation outside the clinic's limits, in words (empty: all within)."""
    out = []
    if obs.systolic is not None and (
        obs.systolic >= limits["limit_systolic"] or obs.diastolic >= limits["limit_diastolic"]
    ):
        out.append(
            f"BP {obs.systolic}/{obs.diastolic} (limit below {limits['limit_systolic']}/{limits['limit_diastolic']})"
        )
    hr_low, hr_high = limits["limit_heart_rate_low"], limits["limit_heart_rate_high"]
    if obs.heart_rate is not None and not hr_low <= obs.heart_rate < hr_high:
        out.append(f"heart rate {obs.heart_rate} (limit {hr_low} to under {hr_high})")
    if obs.spo2 is not None and obs.spo2 < limits["limit_spo2"]:
        out.append(f"SpO2 {obs.spo2}% (limit {limits['limit_spo2']}% or more)")
    if obs.sedation_moass is not None and obs.sedation_moass < limits["limit_moass"]:
        out.append(f"sedation MOASS {obs.sedation_moass} (limit {limits['limit_moass']} or more)")
    if obs.dissociation is not None and obs.dissociation > limits["limit_dissociation"]:
        out.append(f"dissociation {obs.dissociation}/4 (limit {limits['limit_dissociation']} or less)")
    return out


def minute_of(infusion: Infusion, at: datetime) -> int:
    """Whole minutes from the start of the infusion."""
    return int((at - infusion.started_at).total_seconds() // 60)


def observations_of(session: Session, *, infusion: Infusion) -> list[Observation]:
    """The infusion's observations in time order."""
    return list(
        session.scalars(
            select(Observation)
            .where(Observation.infusion_id == infusion.id)
            .order_by(Observation.observed_at, Observation.created_at)
        )
    )


def record_observation(
    session: Session, *, infusion: Infusion, actor: Clinician | None, values: dict, now: datetime
) -> Observation:
    """Record readings taken in the chair and run them through the rules, as a phone's report would be.

    A finding opens (or joins) the patient's flag of its rule the same way a report's does, paging for a
    critical one; its reason and evidence say it was seen in the clinic, at which minute of the visit."""
    at = values["observed_at"]
    if at < infusion.started_at - _SKEW:
        raise ValidationFailed("An observation in the chair is taken after the infusion started.", field="observed_at")
    if at > now + _SKEW:
        raise ValidationFailed("An observation cannot be in the future.", field="observed_at")
    if at > infusion.started_at + OBSERVATION_SPAN:
        raise ValidationFailed("An observation in the chair is taken within 12 h of the start.", field="observed_at")
    if not any(values.get(key) is not None for key in OBSERVED):
        raise ValidationFailed("Give at least one reading.", field="systolic")
    if (values.get("systolic") is None) != (values.get("diastolic") is None):
        raise ValidationFailed("Give systolic and diastolic together.", field="diastolic")
    if values.get("systolic") is not None and values["diastolic"] >= values["systolic"]:
        raise ValidationFailed("Diastolic must be below systolic.", field="diastolic")
    obs = Observation(
        clinic_id=infusion.clinic_id,
        patient_id=infusion.patient_id,
        infusion_id=infusion.id,
        observed_at=at,
        note=values.get("note"),
        recorded_by_id=actor.id if actor else None,
        created_at=now,
        rules=[],
        flag_ids=[],
        **{key: values.get(key) for key in OBSERVED},
    )
    session.add(obs)
    session.flush()
    settings = settings_of(session.get(Clinic, infusion.clinic_id))
    findings = _assess(session, infusion=infusion, obs=obs, settings=settings)
    if findings:
        raised = triage.open_or_join(
            session,
            clinic_id=infusion.clinic_id,
            patient_id=infusion.patient_id,
            report_id=None,
            findings=findings,
            targets=settings["response_targets_minutes"],
            now=now,
            settings=settings,
        )
        obs.rules = [f.rule for f in findings]
        obs.flag_ids = [str(flag_id) for flag_id in raised.flag_ids]
        session.flush()
    return obs


def _assess(session: Session, *, infusion: Infusion, obs: Observation, settings: dict) -> list:
    """The per-report rules on an observation's vitals, with the in-clinic context in reason and evidence."""
    patient = session.get(Patient, infusion.patient_id)
    facts = ReportFacts(
        observed_at=obs.observed_at, systolic=obs.systolic, diastolic=obs.diastolic, heart_rate=obs.heart_rate
    )
    context = PatientContext(
        time_zone=patient.time_zone,
        infusion=InfusionFacts(
            started_at=infusion.started_at,
            ended_at=infusion.ended_at if infusion.ended_at and infusion.ended_at <= obs.observed_at else None,
            route=str(infusion.route),
            pre_systolic=infusion.pre_systolic,
            pre_diastolic=infusion.pre_diastolic,
        ),
    )
    minute = minute_of(infusion, obs.observed_at)
    in_clinic = {"source": "in_clinic", "observation_id": str(obs.id), "minute_of_visit": minute}
    return [
        replace(
            finding,
            reason=f"In the clinic, minute {minute} of the visit: {finding.reason}",
            evidence={**finding.evidence, **in_clinic},
        )
        for finding in evaluate(facts, context, Thresholds.from_settings(settings["thresholds"]))
    ]


def monitoring_view(session: Session, *, infusion: Infusion) -> dict:
    """The infusion's observations with their minute and what is outside the clinic's limits."""
    limits = limits_of(settings_of(session.get(Clinic, infusion.clinic_id)))
    rows = observations_of(session, infusion=infusion)
    return {
        "infusion_id": infusion.id,
        "limits": limits,
        "observations": [observation_view(obs, infusion=infusion, limits=limits) for obs in rows],
    }


def observation_view(obs: Observation, *, infusion: Infusion, limits: dict[str, int]) -> dict:
    """One observation as the API and the page show it."""
    return {
        "id": obs.id,
        "observed_at": obs.observed_at,
        "minute": minute_of(infusion, obs.observed_at),
        **{key: getattr(obs, key) for key in OBSERVED},
        "note": obs.note,
        "rules": list(obs.rules or []),
        "flag_ids": list(obs.flag_ids or []),
        "outside_limits": outside_limits(obs, limits),
        "recorded_by_id": obs.recorded_by_id,
        "created_at": obs.created_at,
    }


# --- discharge ------------------------------------------------------------------------------------------------

READINESS = ("vitals_near_baseline", "alert", "ride_home", "told_not_to_drive")
READINESS_LABELS = {
    "vitals_near_baseline": "Vitals back near the screening baseline",
    "alert": "Alert (MOASS 5) and oriented",
    "ride_home": "Has a ride home",
    "told_not_to_drive": "Told not to drive until the next day",
}
_NOT_READY = {
    "vitals_near_baseline": "Discharge needs the vitals back near the screening baseline.",
    "alert": "Discharge needs the patient alert.",
    "ride_home": "Discharge needs a ride home (someone to drive the patient).",
    "told_not_to_drive": "Tell the patient not to drive until the next day, then record it.",
}


def discharge_of(session: Session, *, infusion: Infusion) -> Discharge | None:
    """The infusion's discharge, if recorded."""
    return session.scalar(select(Discharge).where(Discharge.infusion_id == infusion.id))


def still_outside(session: Session, *, infusion: Infusion) -> list[str]:
    """What the latest reading in the chair has outside the clinic's limits (empty: within, or no readings)."""
    rows = observations_of(session, infusion=infusion)
    if not rows:
        return []
    return outside_limits(rows[-1], limits_of(settings_of(session.get(Clinic, infusion.clinic_id))))


def record_discharge(
    session: Session, *, infusion: Infusion, actor: Clinician | None, values: dict, now: datetime
) -> Discharge:
    """Discharge the patient from the visit once ready; the check-ins after the infusion count from it.

    Refused while the latest reading in the chair is outside the clinic's limits, unless the clinician
    records why (override_reason)."""
    if discharge_of(session, infusion=infusion) is not None:
        raise Conflict("This visit's discharge is already recorded.", field="discharged_at")
    at = values.get("discharged_at") or now
    if infusion.ended_at is None:
        raise ValidationFailed("Record the end of the infusion before the discharge.", field="discharged_at")
    if at < infusion.ended_at:
        raise ValidationFailed("The discharge is after the infusion ended.", field="discharged_at")
    if at > now + _SKEW:
        raise ValidationFailed("A discharge cannot be in the future.", field="discharged_at")
    for key in READINESS:
        if values.get(key) is not True:
            raise ValidationFailed(_NOT_READY[key], field=key)
    outside = still_outside(session, infusion=infusion)
    reason = (values.get("override_reason") or "").strip() or None
    if outside and reason is None:
        raise ValidationFailed(
            "The latest reading is outside the clinic's limits ("
            + "; ".join(outside)
            + "): record a new reading, or give the reason to discharge anyway.",
            field="override_reason",
        )
    discharge = Discharge(
        clinic_id=infusion.clinic_id,
        patient_id=infusion.patient_id,
        infusion_id=infusion.id,
        discharged_at=at,
        outside_limits=outside,
        override_reason=reason if outside else None,
        note=values.get("note"),
        recorded_by_id=actor.id if actor else None,
        created_at=now,
        **{key: True for key in READINESS},
    )
    session.add(discharge)
    session.flush()
    patient = session.get(Patient, infusion.patient_id)
    offsets = settings_of(session.get(Clinic, infusion.clinic_id))["checkin_offsets_hours"]
    checkins.schedule_for_infusion(session, infusion=infusion, patient=patient, offsets=offsets, now=now)
    return discharge


def discharge_view(session: Session, *, infusion: Infusion) -> dict:
    """The discharge (nulls until recorded), and what would block it now."""
    discharge = discharge_of(session, infusion=infusion)
    view: dict = {
        key: getattr(discharge, key, None)
        for key in ("discharged_at", *READINESS, "override_reason", "note", "recorded_by_id")
    }
    view.update(
        infusion_id=infusion.id,
        discharged=discharge is not None,
        outside_limits=list(discharge.outside_limits or []) if discharge else [],
        outside_limits_now=still_outside(session, infusion=infusion),
        first_checkin_due_at=session.scalar(
            select(func.min(Checkin.due_at)).where(
                Checkin.infusion_id == infusion.id, Checkin.status != CheckinStatus.CANCELLED
            )
        ),
    )
    return view


# --- the REMS-style monitoring record (esketamine, intranasal) --------------------------------------------------

REMS_OBSERVATION = timedelta(hours=2)  # observed at least two hours after the dose
BP_AFTER_DOSE = (30, 50)  # "about 40 minutes after dosing", in minutes from the start


def monitoring_record(session: Session, *, infusion: Infusion) -> dict:
    """The monitoring form a clinic keeps for an esketamine (intranasal) session under the REMS: BP before the
    dose and about 40 minutes after it, sedation and dissociation assessed, at least two hours of observation,
    and discharge readiness; each requirement says whether the visit's records meet it and why."""
    patient = session.get(Patient, infusion.patient_id)
    screening = screening_view(session, infusion=infusion)
    monitoring = monitoring_view(session, infusion=infusion)
    discharge = discharge_view(session, infusion=infusion)
    rows = monitoring["observations"]
    start = infusion.started_at
    with_bp = [o for o in rows if o["systolic"] is not None]
    at_40 = [o for o in with_bp if BP_AFTER_DOSE[0] <= o["minute"] <= BP_AFTER_DOSE[1]]
    sedation = [o for o in rows if o["sedation_moass"] is not None]
    dissociation = [o for o in rows if o["dissociation"] is not None or o["cadss6"] is not None]
    moments = [o["observed_at"] for o in rows] + ([discharge["discharged_at"]] if discharge["discharged"] else [])
    last_seen = max(moments) if moments else None
    observed_for = last_seen - start if last_seen is not None else None
    observed_minutes = int(observed_for.total_seconds() // 60) if observed_for is not None else 0

    def bp(o) -> str:
        return f"{o['systolic']}/{o['diastolic']} at minute {o['minute']}"

    requirements = [
        _requirement(
            "bp_before_dose",
            "Blood pressure before the dose",
            screening["systolic"] is not None,
            f"{screening['systolic']}/{screening['diastolic']} at screening ({screening['status_text']})"
            if screening["systolic"] is not None
            else "No screening recorded.",
        ),
        _requirement(
            "bp_about_40_minutes",
            "Blood pressure about 40 minutes after the dose (30-50 min)",
            bool(at_40),
            "; ".join(bp(o) for o in at_40) or "No blood pressure between minutes 30 and 50.",
        ),
        _requirement(
            "sedation_assessed",
            "Sedation assessed (MOASS)",
            bool(sedation),
            "; ".join(f"MOASS {o['sedation_moass']} at minute {o['minute']}" for o in sedation)
            or "No sedation assessment.",
        ),
        _requirement(
            "dissociation_assessed",
            "Dissociation assessed (0-4 or CADSS-6)",
            bool(dissociation),
            "; ".join(_dissociation(o) for o in dissociation) or "No dissociation assessment.",
        ),
        _requirement(
            "observed_two_hours",
            "Observed for at least two hours after the dose",
            observed_for is not None and observed_for >= REMS_OBSERVATION,
            f"Observed for {observed_minutes} minutes." if observed_for is not None else "No observation recorded.",
        ),
        _requirement(
            "discharge_readiness",
            "Ready to leave: vitals near baseline, alert, ride home, told not to drive until the next day",
            bool(discharge["discharged"]),
            _discharge_detail(discharge),
        ),
    ]
    return {
        "infusion_id": infusion.id,
        "applies": infusion.route == Route.INTRANASAL,
        "complete": all(r["met"] for r in requirements),
        "patient": {
            "id": patient.id,
            "display_name": patient.display_name,
            "date_of_birth": patient.date_of_birth,
            "mrn": patient.mrn,
        },
        "session": {
            "started_at": infusion.started_at,
            "ended_at": infusion.ended_at,
            "route": str(infusion.route),
            "dose_mg": infusion.dose_mg,
            "phase": str(infusion.phase),
        },
        "observed_minutes": observed_minutes,
        "requirements": requirements,
        "screening": screening,
        "observations": rows,
        "discharge": discharge,
        "rules_fired": sorted({rule for o in rows for rule in o["rules"]}),
    }


def _requirement(key: str, label: str, met: bool, detail: str) -> dict:
    return {"key": key, "label": label, "met": bool(met), "detail": detail}


def _dissociation(o: dict) -> str:
    parts = []
    if o["dissociation"] is not None:
        parts.append(f"{o['dissociation']}/4")
    if o["cadss6"] is not None:
        parts.append(f"CADSS-6 {o['cadss6']}")
    return f"{', '.join(parts)} at minute {o['minute']}"


def _discharge_detail(discharge: dict) -> str:
    if not discharge["discharged"]:
        return "No discharge recorded."
    detail = "Discharged with every readiness check."
    if discharge["outside_limits"]:
        detail += (
            f" Outside limits then: {'; '.join(discharge['outside_limits'])}. Reason: {discharge['override_reason']}"
        )
    return detail
