"""A hand-built history of reports and flags for the analytics tests: every timestamp set by hand.

The clinic is in America/Denver (the factories' zone), whose daylight time ends on 2026-11-01 at 02:00:
that clinic day runs from 06:00 UTC on 1 November to 07:00 UTC on 2 November (25 hours).
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta

from service.domain import incidence, outcomes
from service.domain.triage import urgency_of
from service.enums import FlagEventKind, FlagPriority, FlagStatus, Phase, Resolution
from service.extensions import db
from service.models import Flag, FlagEvent, Infusion, Patient, Report, ReportSymptom
from tests import factories


def at(text: str) -> datetime:
    """A UTC instant from 'MM-DD HH:MM' in 2026."""
    return datetime.strptime(f"2026-{text}", "%Y-%m-%d %H:%M").replace(tzinfo=UTC)


def add_report(clinic_id, patient_id, received: str) -> Report:
    report = Report(
        clinic_id=clinic_id,
        patient_id=patient_id,
        client_report_id=uuid.uuid4(),
        body_hash=hashlib.sha256(received.encode()).hexdigest(),
        observed_at=at(received),
        received_at=at(received),
    )
    db.session.add(report)
    return report


def add_flag(
    clinic_id,
    patient_id,
    rule: str,
    version: int,
    priority: FlagPriority,
    *,
    created: str,
    due: str,
    acks: tuple[str, ...] = (),
    resolved: str | None = None,
    resolution: Resolution | None = None,
    joins: tuple[str, ...] = (),
    escalations: tuple[str, ...] = (),
) -> Flag:
    status = FlagStatus.RESOLVED if resolved else (FlagStatus.ACKNOWLEDGED if acks else FlagStatus.OPEN)
    flag = Flag(
        clinic_id=clinic_id,
        patient_id=patient_id,
        rule=rule,
        rule_version=version,
        priority=priority,
        urgency=urgency_of(priority),
        status=status,
        reason="Hand-built for the analytics tests.",
        evidence={},
        due_by=at(due),
        created_at=at(created),
        updated_at=at(resolved or created),
        acknowledged_at=at(acks[-1]) if acks else None,
        # What flags.acknowledge and flags.escalate keep on the flag as they write the events below.
        first_acknowledged_at=at(min(acks)) if acks else None,
        escalation_count=len(escalations),
        resolved_at=at(resolved) if resolved else None,
        resolution=resolution,
        resolution_note="Done." if resolved else None,
    )
    db.session.add(flag)
    db.session.flush()
    events = [(created, FlagEventKind.OPENED)]
    events += [(moment, FlagEventKind.ACKNOWLEDGED) for moment in acks]
    events += [(moment, FlagEventKind.JOINED) for moment in joins]
    events += [(moment, FlagEventKind.ESCALATED) for moment in escalations]
    if resolved:
        events.append((resolved, FlagEventKind.RESOLVED))
    db.session.add_all(FlagEvent(flag_id=flag.id, at=at(moment), kind=kind) for moment, kind in events)
    return flag


def build_rule_history(world):
    """The constructed history of the module docstring of tests/api/test_analytics_rules.py (committed)."""
    clinic_id = world.clinic.id
    patient_id = world.patient.principal.patient_id
    for moment in ("11-01 05:59", "11-01 06:00", "11-01 12:00", "11-01 20:00", "11-02 06:30", "11-02 07:00"):
        add_report(clinic_id, patient_id, moment)
    high, critical = FlagPriority.HIGH, FlagPriority.CRITICAL
    add_flag(
        clinic_id,
        patient_id,
        "severe-symptom",
        1,
        high,
        created="11-01 12:00",
        due="11-01 16:00",
        acks=("11-01 12:30",),
        resolved="11-01 13:00",
        resolution=Resolution.CONTACTED_PATIENT,
    )
    add_flag(
        clinic_id,
        patient_id,
        "severe-symptom",
        1,
        high,
        created="11-01 20:00",
        due="11-02 00:00",
        acks=("11-02 01:00", "11-02 02:00"),
        resolved="11-02 03:00",
        resolution=Resolution.NO_ACTION_NEEDED,
        escalations=("11-02 00:01",),
    )
    add_flag(
        clinic_id,
        patient_id,
        "severe-symptom",
        1,
        high,
        created="11-02 06:30",
        due="11-02 10:30",
        joins=("11-02 06:45",),
    )
    add_flag(
        clinic_id,
        patient_id,
        "severe-symptom",
        1,
        high,
        created="10-31 10:00",
        due="10-31 14:00",
        joins=("11-01 12:00",),
        resolved="11-01 14:00",
        resolution=Resolution.CONTACTED_PATIENT,
    )
    add_flag(
        clinic_id,
        patient_id,
        "suicidal-ideation",
        1,
        critical,
        created="10-20 10:00",
        due="10-20 10:15",
        acks=("10-20 10:05",),
        resolved="10-20 11:00",
        resolution=Resolution.CONTACTED_PATIENT,
    )
    add_flag(
        clinic_id,
        patient_id,
        "suicidal-ideation",
        1,
        critical,
        created="11-01 08:00",
        due="11-01 08:15",
        acks=("11-01 08:10",),
        resolved="11-01 09:00",
        resolution=Resolution.ADVISED_EMERGENCY_CARE,
    )
    add_flag(
        clinic_id,
        patient_id,
        "suicidal-ideation",
        2,
        critical,
        created="11-01 15:00",
        due="11-01 15:15",
        acks=("11-01 15:40",),
        escalations=("11-01 15:16", "11-01 15:31"),
    )
    # Another clinic, the same day and rules: never counted.
    other_clinic, other_patient = world.other_clinic.id, world.other_clinic_patient.principal.patient_id
    for moment in ("11-01 07:00", "11-01 13:00", "11-01 21:00"):
        add_report(other_clinic, other_patient, moment)
    add_flag(
        other_clinic,
        other_patient,
        "severe-symptom",
        1,
        high,
        created="11-01 13:00",
        due="11-01 17:00",
        acks=("11-01 20:00",),
        resolved="11-01 21:00",
        resolution=Resolution.ADJUSTED_TREATMENT,
        joins=("11-01 21:00",),
        escalations=("11-01 17:01",),
    )
    add_flag(other_clinic, other_patient, "suicidal-ideation", 2, critical, created="11-01 07:00", due="11-01 07:15")
    db.session.commit()
    return world


def add_infusion(
    clinic_id, patient_id, ended: str, *, route="iv", mg_per_kg: float | None = None, phase=Phase.INDUCTION
) -> Infusion:
    """An infusion of 45 minutes ending at 'MM-DD HH:MM' UTC (the year may be given as 'YYYY-MM-DD HH:MM')."""
    end = at(ended) if ended.count("-") == 1 else datetime.strptime(ended, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
    infusion = Infusion(
        clinic_id=clinic_id,
        patient_id=patient_id,
        started_at=end - timedelta(minutes=45),
        ended_at=end,
        route=route,
        phase=phase,
        dose_mg_per_kg=mg_per_kg,
    )
    db.session.add(infusion)
    db.session.flush()
    outcomes.refresh_course(db.session, patient_id=patient_id)  # as record_infusion does
    return infusion


def add_symptom_report(infusion: Infusion, observed: str, symptoms: dict[str, int] | None = None, **values) -> Report:
    """A report linked to an infusion, observed (and received) at 'MM-DD HH:MM' UTC, with symptoms and severities."""
    report = add_report(infusion.clinic_id, infusion.patient_id, observed)
    report.infusion_id = infusion.id
    for name, value in values.items():
        setattr(report, name, value)
    db.session.flush()
    db.session.add_all(
        ReportSymptom(report_id=report.id, code=code, severity=severity) for code, severity in (symptoms or {}).items()
    )
    db.session.flush()
    incidence.record_report(
        db.session, report_id=report.id, infusion_id=infusion.id
    )  # what the service does as it stores a report
    return report


def build_incidence_history(world):
    """The infusions and reports of the docstring of tests/api/test_analytics_incidence.py (committed)."""
    clinic, patient = world.clinic.id, world.patient.principal.patient_id
    second = world.other_patient.principal.patient_id
    i1 = add_infusion(clinic, patient, "11-02 17:00", mg_per_kg=0.5)
    add_symptom_report(i1, "11-02 19:00", {"euphoria": 1, "dizziness": 2})
    add_symptom_report(i1, "11-03 17:00", {"dizziness": 0})
    i2 = add_infusion(clinic, patient, "11-05 17:00", mg_per_kg=0.8)
    add_symptom_report(i2, "11-05 17:30", {"nausea": 1})
    add_symptom_report(i2, "11-06 12:00", {"euphoria": 2})
    add_symptom_report(i2, "11-15 17:00", {"low_mood": 2})
    i3 = add_infusion(clinic, second, "11-10 17:00", route="intranasal")
    add_symptom_report(i3, "11-14 17:00", {"low_mood": 3})
    i4 = add_infusion(clinic, second, "12-01 03:00", route="intranasal", mg_per_kg=1.2)
    add_symptom_report(i4, "12-01 05:00", {"euphoria": 3, "hallucinations": 1})
    i5 = add_infusion(clinic, patient, "12-01 08:00", mg_per_kg=0.4)
    add_symptom_report(i5, "12-01 10:00", {"euphoria": 1})
    i6 = add_infusion(clinic, patient, "11-01 05:30", mg_per_kg=0.6)
    add_symptom_report(i6, "11-01 06:00", {"euphoria": 2})
    i7 = add_infusion(clinic, patient, "11-20 17:00", mg_per_kg=1.0)
    add_symptom_report(i7, "11-20 16:50", {"euphoria": 2})
    add_symptom_report(i7, "11-23 17:00")
    other = add_infusion(world.other_clinic.id, world.other_clinic_patient.principal.patient_id, "11-02 17:00")
    add_symptom_report(other, "11-02 18:00", {"euphoria": 2})
    db.session.commit()
    return world


def add_phq9(clinic_id, patient_id, observed: str, total: int) -> Report:
    """A report with only a PHQ-9 (its total as given), observed at 'MM-DD HH:MM' UTC."""
    report = add_report(clinic_id, patient_id, observed)
    report.phq9_total = total
    db.session.flush()
    # What the service does as it stores a PHQ-9: the patient's first one, when it is, on their course.
    outcomes.record_phq9(
        db.session, patient_id=patient_id, clinic_id=clinic_id, observed_at=report.observed_at,
        received_at=report.received_at, total=total,
    )  # fmt: skip
    return report


def build_outcome_history(world):
    """The PHQ-9 course of the docstring of tests/api/test_analytics_outcomes.py (committed)."""
    clinic = world.clinic.id
    a = world.patient.principal.patient_id
    b = world.other_patient.principal.patient_id
    c = factories.make_patient(world.clinic, display_name="Cal North").id
    d = factories.make_patient(world.clinic, display_name="Dee North").id
    db.session.get(Patient, b).phq9_baseline = 12
    add_phq9(clinic, a, "10-20 12:00", 20)
    add_phq9(clinic, a, "10-25 12:00", 18)
    for day in ("10-28", "10-30", "11-02", "11-04", "11-06", "11-09"):
        add_infusion(clinic, a, f"{day} 17:45")
    add_infusion(clinic, a, "11-20 17:45", phase=Phase.MAINTENANCE)
    for moment, total in (("10-29 12:00", 16), ("11-01 12:00", 15), ("11-05 12:00", 12), ("11-10 12:00", 9),
                          ("11-12 12:00", 8), ("11-21 12:00", 4)):  # fmt: skip
        add_phq9(clinic, a, moment, total)
    add_phq9(clinic, b, "11-01 12:00", 25)
    add_infusion(clinic, b, "11-03 17:45")
    add_infusion(clinic, b, "11-05 17:45")
    add_phq9(clinic, b, "11-06 12:00", 7)
    add_phq9(clinic, b, "12-02 12:00", 6)
    add_phq9(clinic, c, "11-08 12:00", 9)
    add_infusion(clinic, c, "11-10 17:45")
    add_infusion(clinic, d, "11-10 17:45")
    far = world.other_clinic_patient.principal.patient_id
    db.session.get(Patient, far).phq9_baseline = 20
    add_infusion(world.other_clinic.id, far, "11-02 17:45")
    add_phq9(world.other_clinic.id, far, "11-05 12:00", 2)
    db.session.commit()
    return world
