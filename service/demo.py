"""Demo data: a clinic with staff, patients, phones and infusions that look real."""

from __future__ import annotations

import random
import uuid
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.domain import checkins, outbox, visits
from service.domain.adverse_events import create_adverse_event
from service.domain.auth import issue_enrollment_code
from service.domain.clinicians import create_clinician
from service.domain.clinics import create_clinic, settings_of
from service.domain.flags import acknowledge, resolve
from service.domain.infusions import record_infusion
from service.domain.patients import create_patient
from service.domain.quiet_hours import window_of
from service.domain.reports import submit_report
from service.enums import (
    Channel,
    CheckinStatus,
    FlagStatus,
    Language,
    NotificationKind,
    NotificationStatus,
    Phase,
    Platform,
    Resolution,
    Role,
    Route,
    Sex,
)
from service.models import (
    AdverseEvent,
    Checkin,
    Clinic,
    Clinician,
    Device,
    Flag,
    FlagReport,
    Infusion,
    Notification,
    Patient,
    Report,
    ReportSymptom,
)

DEMO_CLINIC = "Aftercare Demo Clinic"
DEMO_PASSWORD = "demo-password-for-aftercare-only"
ENROLLMENT_CODE_TTL = timedelta(hours=72)
DEMO_STAFF = [
    ("admin@demo.aftercare.test", "Alex Admin", "admin", False),
    ("nurse@demo.aftercare.test", "Noor Nurse", "nurse", True),
    ("nurse2@demo.aftercare.test", "Nico Nurse", "nurse", False),
    ("physician@demo.aftercare.test", "Pat Physician", "physician", True),
]
FIRST_NAMES = [
    "Sam",
    "Jordan",
    "Riley",
    "Casey",
    "Morgan",
    "Avery",
    "Quinn",
    "Rowan",
    "Jamie",
    "Taylor",
    "Drew",
    "Kai",
    "Reese",
    "Emerson",
    "Hayden",
    "Skyler",
    "Parker",
    "Logan",
    "Blair",
    "Dana",
]
ZONES = [
    "America/Denver",
    "America/Denver",
    "America/Denver",
    "America/Los_Angeles",
    "America/Chicago",
    "America/New_York",
]


# The demo clinic's safety contact for E2B(R3) reports (clinic settings "e2b_sender").
DEMO_E2B_SENDER = {
    "identifier": "AFTERCARE-DEMO",
    "department": "Patient Safety",
    "title": "Dr",
    "given_name": "Avery",
    "family_name": "Lindqvist",
    "street": "100 Demo Way",
    "city": "Denver",
    "state": "CO",
    "postcode": "80202",
    "country": "US",
    "phone": "3035550100",
    "fax": "3035550101",
    "email": "safety@demo.aftercare.test",
}


def _infusion_times(rng: random.Random, *, start: date, count: int, spacing_days: list[int], zone: ZoneInfo):
    day = start
    for index in range(count):
        local_start = datetime.combine(
            day, time(rng.choice([9, 10, 11, 13, 14, 15]), rng.choice([0, 15, 30])), tzinfo=zone
        )
        yield index, local_start
        day = day + timedelta(days=spacing_days[min(index, len(spacing_days) - 1)])


# Share of patients with each immediate effect after an infusion (SPEC: euphoria ~30%, mild
# hallucinations ~20%, raised heart rate ~25%, raised BP ~15%, dissociation or dizziness ~10%).
IMMEDIATE_EFFECTS = (
    ("euphoria", 0.30),
    ("hallucinations", 0.20),
    ("racing_heart", 0.25),
    ("dissociation", 0.10),
    ("dizziness", 0.10),
    ("nausea", 0.25),
    ("headache", 0.15),
    ("drowsiness", 0.20),
    ("blurred_vision", 0.08),
)
CHECK_IN_HOURS = (2, 24, 72, 168)


# One patient in ten (index 1, 11, …) has been on maintenance for three months: six induction infusions from
# 125 days ago, then one every four weeks, the first 92 days ago (so their first long-term check-in was due two
# days ago) and the latest 8 days ago.
MAINTAINED_DAYS_AGO = 125
MAINTAINED_SPACING = [2, 3, 2, 4, 3, 19, 28, 28, 28]


def _profile(index: int) -> str:
    """Most patients settle; every tenth has a mood dip; a few give the triage queue real work."""
    if index % 10 == 3:
        return "mood_dip"
    if index % 10 == 6:
        return "concerning"
    if index % 10 == 9:
        return "crisis"
    return "settling"


def _reports_for(rng: random.Random, *, infusions: list, profile: str, patient, now: datetime) -> list[dict]:
    """Reports a patient might send after each infusion: mostly mild effects that fade within a day."""
    payloads = []
    for number, infusion in enumerate(infusions):
        last = number == len(infusions) - 1
        for hours in CHECK_IN_HOURS:
            observed = infusion.ended_at + timedelta(hours=hours, minutes=rng.randint(-20, 60))
            following = infusions[number + 1].started_at if not last else None
            if observed > now or observed < now - timedelta(days=29) or (following and observed >= following):
                continue
            if rng.random() < 0.2:  # not every check-in is answered
                continue
            symptoms = []
            if hours <= 2:
                for code, rate in IMMEDIATE_EFFECTS:
                    if rng.random() < rate:
                        symptoms.append({"code": code, "severity": rng.choice([1, 1, 2, 2, 3])})
            elif hours <= 24:
                for code, rate in (("headache", 0.15), ("drowsiness", 0.15), ("vivid_dreams", 0.2), ("nausea", 0.1)):
                    if rng.random() < rate:
                        symptoms.append({"code": code, "severity": rng.choice([1, 1, 2])})
            payload = {
                "client_report_id": uuid.uuid4(),
                "observed_at": observed,
                "symptoms": symptoms,
                "mood": max(0, min(10, (patient.mood_baseline or 5) + rng.randint(0, 3))),
            }
            if hours <= 2 and rng.random() < 0.5:
                systolic = rng.randint(118, 150)
                payload["vitals"] = {
                    "systolic": systolic,
                    "diastolic": rng.randint(70, 92),
                    "heart_rate": rng.randint(68, 112),
                }
            if hours >= 168:
                base = patient.phq9_baseline or 10
                drop = min(base, 4 + number)  # most improve as induction goes on
                payload["phq9"] = _phq9(rng, max(0, base - drop))
            if profile == "mood_dip" and hours >= 72 and number >= 1:
                payload["mood"] = max(0, (patient.mood_baseline or 5) - 4)
                payload["symptoms"] = [*symptoms, {"code": "low_mood", "severity": 2}]
                if "phq9" in payload:
                    payload["phq9"] = _phq9(rng, min(26, (patient.phq9_baseline or 10) + 6))
            payloads.append(payload)
    # Today's work for the demo user: a blood-pressure scare and a crisis report, both a few hours old.
    if profile == "concerning" and infusions:
        payloads.append(
            {
                "client_report_id": uuid.uuid4(),
                "observed_at": now - timedelta(minutes=50),
                "vitals": {"systolic": 184, "diastolic": 96, "heart_rate": 118},
                "symptoms": [{"code": "nausea", "severity": 3}, {"code": "headache", "severity": 2}],
            }
        )
    if profile == "crisis" and infusions:
        payloads.append(
            {
                "client_report_id": uuid.uuid4(),
                "observed_at": now - timedelta(minutes=9),
                "suicidal_thoughts": True,
                "mood": 1,
                "symptoms": [{"code": "low_mood", "severity": 3}],
            }
        )
    return sorted(payloads, key=lambda p: p["observed_at"])


def _phq9(rng: random.Random, total: int) -> list[int]:
    """Nine item scores (0-3) adding up to about the given total; item 9 stays 0 unless the total is high."""
    items = [0] * 9
    for _ in range(min(total, 24)):
        slot = rng.randrange(8)
        if items[slot] < 3:
            items[slot] += 1
    return items


RESOLUTIONS = (
    (Resolution.CONTACTED_PATIENT, "Called the patient; symptoms settling, advised fluids and rest."),
    (Resolution.NO_ACTION_NEEDED, "Expected short-term effect after the infusion; resolved by the next check-in."),
    (Resolution.ADJUSTED_TREATMENT, "Discussed with the physician; next dose lowered."),
)


def _work_the_queue(session: Session, rng: random.Random, *, clinic: Clinic, now: datetime) -> None:
    """Staff have already handled older flags: most are resolved, a few acknowledged, the newest wait."""
    staff = list(
        session.scalars(select(Clinician).where(Clinician.clinic_id == clinic.id, Clinician.role != Role.ADMIN))
    )
    if not staff:
        return
    waiting = session.scalars(
        select(Flag).where(Flag.clinic_id == clinic.id, Flag.status == FlagStatus.OPEN).order_by(Flag.created_at)
    ).all()
    for flag in waiting:
        age = now - flag.created_at
        if age < timedelta(days=2):
            continue  # the last two days' flags are for the demo user to handle
        actor = rng.choice(staff)
        seen = min(now, flag.created_at + timedelta(minutes=rng.randint(5, 180)))
        acknowledge(session, flag=flag, actor_id=actor.id, assignee_id=None, expected_version=None, now=seen)
        if age > timedelta(days=1) and rng.random() < 0.85:
            resolution, note = rng.choice(RESOLUTIONS)
            resolve(
                session,
                flag=flag,
                actor_id=actor.id,
                resolution=resolution,
                note=note,
                expected_version=None,
                now=min(now, seen + timedelta(minutes=rng.randint(10, 240))),
            )


# Adverse events the demo records from the flags its reports raised: (rule of the flag, the symptom the flag's
# first report must carry, the event). An event is only ever recorded from a flag about its own symptom.
DEMO_EVENTS = (
    (
        "suicidal-ideation",
        None,
        {
            "term": "Suicidal ideation",
            "grade": 3,
            "serious": True,
            "seriousness": ["hospitalization"],
            "causality": "possible",
            "action_taken": "treatment_discontinued",
            "outcome": "recovering",
            "narrative": "Reported thoughts of ending their life after an infusion. Crisis line contacted by the "
            "nurse; admitted voluntarily for observation. Ketamine paused pending review.",
        },
    ),
    (
        "hypertensive-crisis",
        None,
        {
            "term": "Hypertension",
            "grade": 3,
            "serious": False,
            "causality": "probable",
            "action_taken": "dose_reduced",
            "outcome": "recovered",
            "narrative": "Home reading 184/96 with nausea and headache after the infusion. Advised rest and a "
            "repeat reading. Next infusion at a lower dose.",
        },
    ),
    (
        "mood-dip",
        "low_mood",
        {
            "term": "Depression",
            "grade": 2,
            "serious": False,
            "causality": "possible",
            "action_taken": "none",
            "outcome": "recovering",
            "narrative": "Mood and PHQ-9 worse than baseline in the week after infusion. Phone follow-up; "
            "no safety concerns; therapist informed.",
        },
    ),
    (
        "severe-symptom",
        "nausea",
        {
            "term": "Nausea",
            "grade": 2,
            "serious": False,
            "causality": "probable",
            "action_taken": "none",
            "outcome": "recovered",
            "narrative": "Severe nausea after the infusion; ondansetron advised.",
        },
    ),
)
# How long before the report the demo's events began (never before the infusion they follow).
DEMO_ONSET_LEAD = timedelta(minutes=30)


def _first_report(session: Session, flag: Flag) -> Report | None:
    """The report that opened a flag."""
    return session.scalar(
        select(Report)
        .join(FlagReport, FlagReport.report_id == Report.id)
        .where(FlagReport.flag_id == flag.id)
        .order_by(FlagReport.added_at, Report.observed_at)
        .limit(1)
    )


def _flag_about(session: Session, *, clinic: Clinic, rule: str, code: str | None) -> tuple[Flag, Report] | None:
    """The oldest flag of a rule whose first report carries the symptom (any, when none is asked for), with that
    report; only a report made after an infusion, so the event has an infusion to follow."""
    for flag in session.scalars(
        select(Flag).where(Flag.clinic_id == clinic.id, Flag.rule == rule).order_by(Flag.created_at, Flag.id)
    ):
        report = _first_report(session, flag)
        if report is None or report.infusion_id is None:
            continue
        codes = session.scalars(select(ReportSymptom.code).where(ReportSymptom.report_id == report.id))
        if code is None or code in set(codes):
            return flag, report
    return None


def _seed_adverse_events(session: Session, *, clinic: Clinic, now: datetime) -> int:
    """Record the demo's adverse events from its flags, once (one of them serious).

    Each follows the infusion its flag's first report followed: the onset is a little before that report
    (never before the infusion ended), the clinic became aware when the flag was seen.
    """
    if session.scalar(select(func.count()).select_from(AdverseEvent).where(AdverseEvent.clinic_id == clinic.id)):
        return 0
    physician = session.scalar(
        select(Clinician).where(Clinician.clinic_id == clinic.id, Clinician.role == "physician").limit(1)
    )
    made = 0
    for rule, code, values in DEMO_EVENTS:
        found = _flag_about(session, clinic=clinic, rule=rule, code=code)
        if found is None:
            continue
        flag, report = found
        infusion = session.get(Infusion, report.infusion_id)
        onset = max(report.observed_at - DEMO_ONSET_LEAD, infusion.ended_at or infusion.started_at)
        aware = min(now, max(onset, flag.created_at + timedelta(hours=1)))
        extra = {}
        if values["outcome"] == "recovered":  # over five hours after the onset; until then, still recovering
            resolved = onset + timedelta(hours=5)
            extra = {"resolved_at": resolved} if resolved <= now else {"outcome": "recovering"}
        create_adverse_event(
            session,
            clinic_id=clinic.id,
            actor_id=physician.id if physician else None,
            values={
                **values,
                **extra,
                "flag_id": flag.id,
                "report_id": report.id,
                "onset_at": onset,
                "aware_at": aware,
            },
            now=now,
        )
        made += 1
    if not made or not session.scalar(
        select(func.count()).select_from(AdverseEvent).where(AdverseEvent.clinic_id == clinic.id, AdverseEvent.serious)
    ):
        made += _seed_serious_fallback(session, clinic=clinic, actor=physician, now=now)
    session.commit()
    return made


def _seed_serious_fallback(session: Session, *, clinic: Clinic, actor, now: datetime) -> int:
    """A small demo may have no crisis patient: record one serious event straight on a patient's infusion."""
    infusion = session.scalar(
        select(Infusion).where(Infusion.clinic_id == clinic.id).order_by(Infusion.started_at.desc()).limit(1)
    )
    if infusion is None or infusion.ended_at is None:
        return 0
    onset = infusion.ended_at + timedelta(minutes=20)
    create_adverse_event(
        session,
        clinic_id=clinic.id,
        actor_id=actor.id if actor else None,
        values={
            "patient_id": infusion.patient_id,
            "infusion_id": infusion.id,
            "term": "Syncope",
            "grade": 3,
            "serious": True,
            "seriousness": ["medically_important"],
            "causality": "probable",
            "action_taken": "infusion_interrupted",
            "outcome": "recovered",
            "onset_at": onset,
            "resolved_at": onset + timedelta(minutes=15),
            "aware_at": onset + timedelta(minutes=5),
            "narrative": "Fainted in the recovery area twenty minutes after the infusion; brief loss of "
            "consciousness, observed in the emergency department and discharged the same day.",
        },
        now=now,
    )
    return 1


# The visit in the clinic: screening this long before the start, chair readings at these minutes after it,
# and readings in recovery and the discharge this long after the end.
DEMO_SCREENING_LEAD = timedelta(minutes=20)
DEMO_CHAIR_MINUTES = (5, 20)
DEMO_RECOVERY = timedelta(minutes=15)
DEMO_DISCHARGE_AFTER = (30, 50)


def _seed_visit(session: Session, rng: random.Random, *, given: list, nurse, now: datetime) -> None:
    """The patient's latest infusion over by at least an hour gets its visit: the screening before the start
    (its readings are the infusion's pre-infusion ones), readings in the chair and in recovery near the
    baseline, and the discharge a little after the end. Recorded as the nurse entered them at the time,
    except the discharge, entered now: it moves the infusion's check-ins, which count from the present."""
    done = [i for i in given if i.ended_at + timedelta(minutes=60) <= now]
    if not done:
        return
    infusion = done[-1]
    settings = settings_of(session.get(Clinic, infusion.clinic_id))
    screened = infusion.started_at - DEMO_SCREENING_LEAD
    values = {
        "systolic": infusion.pre_systolic,
        "diastolic": infusion.pre_diastolic,
        "heart_rate": infusion.pre_heart_rate,
        "weight_kg": round(float(infusion.dose_mg) / float(infusion.dose_mg_per_kg), 1),
        "last_meal_at": infusion.started_at - timedelta(hours=rng.randint(4, 8)),
        **{key: False for key in visits.CHECKLIST},
    }
    if visits.hold_reasons(values, line=visits.hold_line(settings)):  # a clinic whose hold line is lower
        values.update(decision="proceed", decision_reason="Repeat reading after rest; physician agreed.")
    visits.record_screening(session, infusion=infusion, actor=nurse, values=values, now=screened)
    chair = {infusion.started_at + timedelta(minutes=m) for m in DEMO_CHAIR_MINUTES}
    chair.add(infusion.ended_at - timedelta(minutes=5))
    times = [*sorted(at for at in chair if at < infusion.ended_at), infusion.ended_at + DEMO_RECOVERY]
    for number, at in enumerate(times):
        recovered = number == len(times) - 1
        visits.record_observation(
            session,
            infusion=infusion,
            actor=nurse,
            values={
                "observed_at": at,
                "systolic": infusion.pre_systolic + (rng.randint(0, 6) if recovered else rng.randint(4, 16)),
                "diastolic": infusion.pre_diastolic + rng.randint(0, 6),
                "heart_rate": infusion.pre_heart_rate + rng.randint(0, 10),
                "spo2": rng.randint(96, 99),
                "sedation_moass": 5 if recovered else rng.choice([4, 5]),
                "dissociation": 0 if recovered else rng.choice([0, 1, 1]),
            },
            now=at + timedelta(minutes=1),
        )
    left = infusion.ended_at + timedelta(minutes=rng.randint(*DEMO_DISCHARGE_AFTER))
    outside = visits.still_outside(session, infusion=infusion)  # a clinic whose chair limits are tighter
    visits.record_discharge(
        session,
        infusion=infusion,
        actor=nurse,
        values={
            "discharged_at": left,
            **{key: True for key in visits.READINESS},
            "override_reason": "Within the patient's usual range; physician agreed." if outside else None,
            "note": "Left with a family member driving.",
        },
        now=now,
    )


def demo_clinic_exists(session: Session) -> bool:
    """Tell whether the demo clinic was already seeded."""
    return session.scalar(select(Clinic.id).where(Clinic.name == DEMO_CLINIC)) is not None


def seed(session: Session, *, patient_count: int, random_seed: int, now: datetime, progress) -> dict:
    """Create (or top up) the demo clinic; safe to run twice."""
    rng = random.Random(random_seed)
    clinic = session.scalar(select(Clinic).where(Clinic.name == DEMO_CLINIC))
    if clinic is None:
        admin_email, admin_name, _, _ = DEMO_STAFF[0]
        clinic, _ = create_clinic(
            session,
            name=DEMO_CLINIC,
            time_zone="America/Denver",
            admin_email=admin_email,
            admin_password=DEMO_PASSWORD,
            admin_name=admin_name,
            now=now,
        )
        # The safety contact its E2B(R3) reports name as the sender (fictional, like the rest of the demo).
        clinic.settings = {**(clinic.settings or {}), "e2b_sender": dict(DEMO_E2B_SENDER)}
        staff = [
            create_clinician(
                session,
                clinic=clinic,
                email=email,
                name=name,
                role=role,
                password=DEMO_PASSWORD,
                on_call=on_call,
                now=now,
            )
            for email, name, role, on_call in DEMO_STAFF[1:]
        ]
        session.commit()
    else:
        staff = []
        if not (clinic.settings or {}).get("e2b_sender"):  # a demo clinic seeded before E2B(R3) export existed
            clinic.settings = {**(clinic.settings or {}), "e2b_sender": dict(DEMO_E2B_SENDER)}
            session.commit()
    nurse = staff[0] if staff else None
    visit_nurse = nurse or session.scalar(
        select(Clinician).where(Clinician.clinic_id == clinic.id, Clinician.email == DEMO_STAFF[1][0])
    )

    made = []
    existing = session.scalar(select(func.count()).select_from(Patient).where(Patient.clinic_id == clinic.id))
    with progress(range(existing, existing + patient_count), label="Seeding patients") as bar:
        for index in bar:
            zone_name = rng.choice(ZONES)
            zone = ZoneInfo(zone_name)
            name = f"{FIRST_NAMES[index % len(FIRST_NAMES)]} {chr(65 + rng.randrange(26))}."
            birth = date(now.year - rng.randint(22, 68), rng.randint(1, 12), rng.randint(1, 28))
            patient = create_patient(
                session,
                clinic=clinic,
                now=now,
                values={
                    "display_name": name,
                    "date_of_birth": birth,
                    "time_zone": zone_name,
                    "sex": rng.choice([Sex.FEMALE, Sex.MALE, Sex.FEMALE, None]),
                    "email": f"patient{index + 1}@demo.aftercare.test",
                    "mrn": f"DEMO-{1000 + index}",
                    "phq9_baseline": rng.randint(8, 22),
                    "mood_baseline": rng.randint(3, 7),
                    "preferred_channel": rng.choice([Channel.PUSH, Channel.PUSH, Channel.EMAIL]),
                },
            )
            # Induction: six infusions over ~2.5 weeks, starting 3-4 weeks ago; some move to maintenance.
            first_day = (now - timedelta(days=rng.randint(21, 28))).astimezone(zone).date()
            count, spacing = rng.randint(3, 6), [2, 3, 2, 4, 3, 7]
            maintained = index % 10 == 1  # on maintenance for three months: their first quarterly check-in came
            if maintained:
                first_day = (now - timedelta(days=MAINTAINED_DAYS_AGO)).astimezone(zone).date()
                count, spacing = 10, MAINTAINED_SPACING
            given = []
            for number, local_start in _infusion_times(
                rng, start=first_day, count=count, spacing_days=spacing, zone=zone
            ):
                route = rng.choice([Route.IV, Route.IV, Route.IV, Route.INTRAMUSCULAR, Route.INTRANASAL])
                minutes = {
                    Route.IV: rng.randint(45, 60),
                    Route.INTRANASAL: rng.randint(20, 40),
                    Route.INTRAMUSCULAR: rng.randint(30, 45),
                }[route]
                started = local_start.astimezone(ZoneInfo("UTC"))
                ended = started + timedelta(minutes=minutes)
                if ended > now:
                    break
                weight = rng.randint(55, 105)
                per_kg = round(rng.choice([0.5, 0.5, 0.6, 0.75]), 2)
                pre_sys = rng.randint(108, 138)
                infusion = record_infusion(
                    session,
                    patient=patient,
                    actor=nurse,
                    now=now,
                    values={
                        "started_at": started,
                        "ended_at": ended,
                        "route": route,
                        "dose_mg": round(weight * per_kg, 1),
                        "dose_mg_per_kg": per_kg,
                        "phase": Phase.INDUCTION if number < 6 else Phase.MAINTENANCE,
                        "pre_systolic": pre_sys,
                        "pre_diastolic": rng.randint(68, 88),
                        "pre_heart_rate": rng.randint(60, 88),
                        "post_systolic": pre_sys + rng.randint(0, 30),
                        "post_diastolic": rng.randint(72, 95),
                        "post_heart_rate": rng.randint(65, 105),
                    },
                )
                given.append(infusion)
            _seed_visit(session, rng, given=given, nurse=visit_nurse, now=now)
            device = None
            if index % 3 != 2:  # most patients have paired a phone
                device = Device(
                    clinic_id=clinic.id,
                    patient_id=patient.id,
                    name=f"{name.split(maxsplit=1)[0]}'s phone",
                    platform=rng.choice([Platform.IOS, Platform.ANDROID]),
                    push_token=None,
                    created_at=now,
                    last_seen_at=now,
                )
                session.add(device)
                session.flush()
                profile = _profile(index)
                payloads = _reports_for(rng, infusions=given, profile=profile, patient=patient, now=now)
                if maintained:
                    payloads = sorted(
                        [*payloads, *_long_term_answers(session, rng, patient=patient, now=now)],
                        key=lambda p: p["observed_at"],
                    )
                for payload in payloads:
                    delay = timedelta(
                        minutes=rng.randint(0, 90) if payload["observed_at"] < now - timedelta(hours=3) else 2
                    )
                    received = min(now, payload["observed_at"] + delay)
                    checkin_id = payload.get("checkin_id") or _answerable_checkin(
                        session, patient_id=patient.id, observed_at=payload["observed_at"]
                    )
                    if checkin_id is not None:
                        payload["checkin_id"] = checkin_id
                    submit_report(
                        session,
                        patient=patient,
                        device_id=device.id,
                        payload=payload,
                        settings=settings_of(clinic),
                        now=received,
                    )
            made.append(patient)
            session.commit()

    _work_the_queue(session, rng, clinic=clinic, now=now)
    session.commit()

    _seed_adverse_events(session, clinic=clinic, now=now)
    _pages_of_the_past_were_sent(session, clinic=clinic, before=now + timedelta(seconds=1))
    fresh = _infusion_today(session, patients=made, nurse=nurse, rng=rng, now=now)
    crisis = _crisis_loop_story(session, clinic=clinic, patients=[p for p in made if p is not fresh], now=now)
    code = None
    target = (
        made[-1]
        if made
        else session.scalar(
            select(Patient)
            .where(Patient.clinic_id == clinic.id, Patient.status == "active")
            .order_by(Patient.created_at)
        )
    )
    if target is not None:
        code, _ = issue_enrollment_code(session, patient=target, actor=nurse, ttl=ENROLLMENT_CODE_TTL, now=now)
        session.commit()
    return {
        "clinic_name": clinic.name,
        "patients": session.scalar(select(func.count()).select_from(Patient).where(Patient.clinic_id == clinic.id)),
        "infusions": session.scalar(select(func.count()).select_from(Infusion).where(Infusion.clinic_id == clinic.id)),
        "adverse_events": session.scalar(
            select(func.count()).select_from(AdverseEvent).where(AdverseEvent.clinic_id == clinic.id)
        ),
        "checkins_scheduled": session.scalar(
            select(func.count())
            .select_from(Checkin)
            .where(Checkin.clinic_id == clinic.id, Checkin.status == CheckinStatus.SCHEDULED)
        ),
        "fresh_infusion_patient": fresh.display_name if fresh else None,
        "crisis_patient": crisis.display_name if crisis else None,
        "long_term_patient": session.scalar(
            select(Patient.display_name)
            .join(Checkin, Checkin.patient_id == Patient.id)
            .where(Patient.clinic_id == clinic.id, Checkin.kind == checkins.LONG_TERM)
            .order_by(Checkin.due_at.desc())
            .limit(1)
        ),
        "staff": [(email, role) for email, _, role, _ in DEMO_STAFF],
        "password": DEMO_PASSWORD,
        "enrollment_code": code,
        "enrollment_patient": target.display_name if target else None,
    }


def _long_term_answers(session: Session, rng: random.Random, *, patient, now: datetime) -> list[dict]:
    """The maintenance patient's first quarterly check-in (made as the job process makes it) and their answers a
    little after it was due: urinary frequency and urgency at moderate, three months after their first
    maintenance infusion, so the queue shows a persistent-symptom flag; no use of ketamine outside the clinic."""
    mine = [p for p in checkins.maintenance_patients(session, after=None, limit=10_000) if p.id == patient.id]
    checkins.schedule_long_term(session, patients=mine, now=now)
    checkin = session.scalar(
        select(Checkin).where(Checkin.patient_id == patient.id, Checkin.kind == checkins.LONG_TERM)
    )
    if checkin is None or checkin.due_at + timedelta(hours=3) > now:
        return []
    return [
        {
            "client_report_id": uuid.uuid4(),
            "observed_at": checkin.due_at + timedelta(minutes=rng.randint(20, 150)),
            "checkin_id": checkin.id,
            "symptoms": [
                {"code": "urinary_frequency", "severity": 2},
                {"code": "urinary_urgency", "severity": 2},
                {"code": "bladder_pain", "severity": 1},
                {"code": "memory_problems", "severity": 1},
                {"code": "craving", "severity": 0},
            ],
            "ketamine_outside_clinic": False,
        }
    ]


def _answerable_checkin(session: Session, *, patient_id, observed_at: datetime):
    """The check-in a report made at this moment answers: one already due, within the hour after it, unanswered
    (the long-term check-in is answered by its own report)."""
    return session.scalar(
        select(Checkin.id)
        .where(
            Checkin.patient_id == patient_id,
            Checkin.infusion_id.is_not(None),
            Checkin.status == CheckinStatus.SCHEDULED,
            Checkin.due_at <= observed_at + timedelta(minutes=30),
            Checkin.due_at >= observed_at - timedelta(hours=3),
        )
        .order_by(Checkin.due_at.desc())
        .limit(1)
    )


def _infusion_today(session: Session, *, patients: list, nurse, rng: random.Random, now: datetime):
    """An infusion that ended 2.5 h ago for a patient awake now, so `jobs run` prompts at once."""
    awake = [p for p in patients if not window_of(p.time_zone, p.quiet_hours_start, p.quiet_hours_end).contains(now)]
    patient = (awake or patients or [None])[0]
    if patient is None:
        return None
    ended = now - timedelta(hours=2, minutes=30)
    record_infusion(
        session,
        patient=patient,
        actor=nurse,
        now=now,
        values={
            "started_at": ended - timedelta(minutes=50),
            "ended_at": ended,
            "route": Route.IV,
            "dose_mg": 40.0,
            "dose_mg_per_kg": 0.5,
            "phase": Phase.MAINTENANCE,
            "pre_systolic": rng.randint(110, 130),
            "pre_diastolic": rng.randint(70, 85),
        },
    )
    session.commit()
    return patient


def _pages_of_the_past_were_sent(session: Session, *, clinic: Clinic, before: datetime) -> int:
    """The pages of the demo's weeks of history went out when they were written (the job process was running
    then); only the story's fresh pages wait for `jobs run`."""
    old = list(
        session.scalars(
            select(Notification).where(
                Notification.clinic_id == clinic.id,
                Notification.kind == NotificationKind.PAGE,
                Notification.status == NotificationStatus.PENDING,
                Notification.created_at < before,
            )
        )
    )
    for row in old:
        row.status, row.attempts = NotificationStatus.SENT, 1
        row.sent_at = row.last_attempt_at = row.created_at + timedelta(seconds=1)
    session.flush()
    sent_at = {row.id: row.sent_at for row in old}
    for message in outbox.messages_for(session, outbox.claimed_rows(session, list(sent_at))):
        outbox.note_on_flags(session, messages=[message], sent=[message.id], dead=[], now=sent_at[message.id])
    session.commit()
    return len(old)


def _crisis_loop_story(session: Session, *, clinic: Clinic, patients: list, now: datetime):
    """The crisis loop as it happens: a patient says they have suicidal thoughts 50 minutes ago (the on-call
    nurse and the pager are paged in the same second), the nurse acknowledges it, and 20 minutes ago the
    patient writes that they are going to end it tonight: the flag is open again, marked new since
    acknowledged, and paged again. The patient reads Aftercare in Spanish."""
    if not patients:
        return None
    paired = session.execute(
        select(Patient, Device)
        .join(Device, Device.patient_id == Patient.id)
        .where(Patient.id.in_([p.id for p in patients]), Device.revoked_at.is_(None))
        .order_by(Patient.created_at)
    ).all()
    nurse = session.scalar(select(Clinician).where(Clinician.email == DEMO_STAFF[1][0]))
    # The story is the latest of its patient's history: nobody whose reports arrived after it began (their
    # flags would take the story's reports in before they were opened).
    began = now - timedelta(minutes=50)
    busy = set(
        session.scalars(
            select(Report.patient_id).where(
                Report.patient_id.in_([p.id for p, _ in paired]), Report.received_at >= began
            )
        )
    )
    paired = [(p, d) for p, d in paired if p.id not in busy]
    if not paired or nurse is None:
        return None
    patient, device = paired[len(paired) // 2]
    patient.language = Language.ES
    settings = settings_of(clinic)

    def send(minutes_ago: int, **values) -> None:
        at = now - timedelta(minutes=minutes_ago)
        payload = {"client_report_id": uuid.uuid4(), "observed_at": at, "symptoms": [], **values}
        submit_report(session, patient=patient, device_id=device.id, payload=payload, settings=settings, now=at)
        session.commit()

    send(50, suicidal_thoughts=True, mood=2, symptoms=[{"code": "low_mood", "severity": 3}])
    flag = session.scalar(
        select(Flag).where(Flag.patient_id == patient.id, Flag.rule == "suicidal-ideation", Flag.status == "open")
    )
    if flag is not None:
        acknowledge(
            session,
            flag=flag,
            actor_id=nurse.id,
            assignee_id=None,
            expected_version=None,
            now=now - timedelta(minutes=44),
        )
        session.commit()
    send(20, mood=1, note="No puedo más. Esta noche voy a acabar con todo, I want to end my life.")
    return patient
