"""Demo data: a clinic with staff, patients, phones and infusions that look real."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.domain.auth import issue_enrollment_code
from service.domain.clinicians import create_clinician
from service.domain.clinics import create_clinic
from service.domain.infusions import record_infusion
from service.domain.patients import create_patient
from service.enums import Channel, Phase, Platform, Route, Sex
from service.models import Clinic, Device, Infusion, Patient

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


def _infusion_times(rng: random.Random, *, start: date, count: int, spacing_days: list[int], zone: ZoneInfo):
    day = start
    for index in range(count):
        local_start = datetime.combine(
            day, time(rng.choice([9, 10, 11, 13, 14, 15]), rng.choice([0, 15, 30])), tzinfo=zone
        )
        yield index, local_start
        day = day + timedelta(days=spacing_days[min(index, len(spacing_days) - 1)])


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
    nurse = staff[0] if staff else None

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
            count = rng.randint(3, 6)
            for number, local_start in _infusion_times(
                rng, start=first_day, count=count, spacing_days=[2, 3, 2, 4, 3, 7], zone=zone
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
                record_infusion(
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
            if index % 3 != 2:  # most patients have paired a phone
                session.add(
                    Device(
                        clinic_id=clinic.id,
                        patient_id=patient.id,
                        name=f"{name.split(maxsplit=1)[0]}'s phone",
                        platform=rng.choice([Platform.IOS, Platform.ANDROID]),
                        push_token=None,
                        created_at=now,
                        last_seen_at=now,
                    )
                )
            made.append(patient)
            session.commit()

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
        "staff": [(email, role) for email, _, role, _ in DEMO_STAFF],
        "password": DEMO_PASSWORD,
        "enrollment_code": code,
        "enrollment_patient": target.display_name if target else None,
    }
