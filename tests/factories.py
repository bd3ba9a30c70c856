"""Factories: rows made through the domain layer, so tests exercise the same rules as the API."""

from __future__ import annotations

import itertools
import threading
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from service.clock import now_utc
from service.domain import auth
from service.enums import Platform, Role
from service.extensions import db
from service.models import Clinic, Clinician, Device, Patient
from service.security.passwords import hash_password
from tests import logscan

PASSWORD = "correct horse battery staple 42"
_PASSWORD_HASH = None
_counter = itertools.count(1)


CLINIC_ZONE = "America/Denver"  # make_clinic's default


def clinic_day(moment: datetime | None = None, *, zone: str = CLINIC_ZONE) -> date:
    """The clinic's calendar day at a moment (default now): what date ranges of the API and console mean.

    Never ``now_utc().date()``: for the hours when UTC has already turned the page and the clinic has
    not (or the other way round), that is another day."""
    return (moment or now_utc()).astimezone(ZoneInfo(zone)).date()


def password_hash() -> str:
    global _PASSWORD_HASH
    if _PASSWORD_HASH is None:
        _PASSWORD_HASH = hash_password(PASSWORD)
    return _PASSWORD_HASH


def make_clinic(name: str | None = None, time_zone: str = CLINIC_ZONE) -> Clinic:
    """A clinic row (create_clinic's own path, with its password hashing, is tested on its own)."""
    n = next(_counter)
    now = now_utc()
    clinic = Clinic(name=name or f"Clinic {n}", time_zone=time_zone, settings={}, created_at=now, updated_at=now)
    db.session.add(clinic)
    db.session.commit()
    return clinic


def make_clinician(
    clinic: Clinic,
    role: Role | str = Role.NURSE,
    *,
    email: str | None = None,
    on_call: bool = False,
    active: bool = True,
) -> Clinician:
    n = next(_counter)
    now = now_utc()
    clinician = Clinician(
        clinic_id=clinic.id,
        email=email or f"{role}{n}@clinic.test",
        name=f"{str(role).title()} {n}",
        role=Role(role),
        password_hash=password_hash(),
        active=active,
        on_call=on_call,
        created_at=now,
        updated_at=now,
        password_changed_at=now,
    )
    db.session.add(clinician)
    db.session.commit()
    return clinician


def make_patient(clinic: Clinic, **values) -> Patient:
    n = next(_counter)
    now = now_utc()
    fields = {
        "display_name": f"Patient {n}",
        "date_of_birth": date(1985, 3, 14),
        "time_zone": clinic.time_zone,
    }
    fields.update(values)
    patient = Patient(clinic_id=clinic.id, created_at=now, updated_at=now, **fields)
    db.session.add(patient)
    db.session.commit()
    return patient


def make_device(patient: Patient, *, name: str = "Test phone") -> Device:
    now = now_utc()
    device = Device(
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        name=name,
        platform=Platform.IOS,
        created_at=now,
        last_seen_at=now,
    )
    db.session.add(device)
    db.session.commit()
    return device


def tokens_for(app, principal: Clinician | Device, *, now: datetime | None = None) -> auth.TokenPair:
    """Sign a clinician or a phone in without the password round trip (argon2 is slow on purpose)."""
    settings = auth.AuthSettings.from_config(app.config)
    now = now or now_utc()
    if isinstance(principal, Clinician):
        pair = auth.sign_in_clinician(db.session, clinician=principal, settings=settings, now=now)
    else:
        pair = auth.sign_in_device(db.session, device=principal, settings=settings, now=now)
    db.session.commit()
    logscan.register("an access token", pair.access_token)
    logscan.register("a refresh token", pair.refresh_token)
    return pair


def at_once(app, send, times: int) -> list:
    """Run ``send(client)`` from ``times`` threads released together, each with its own test client and
    connection; return the answers (in the order they finished). Any exception in a thread fails the call."""
    answers, errors = [], []
    barrier = threading.Barrier(times)

    def run():
        try:
            with app.test_client() as c:
                barrier.wait(timeout=10)
                answers.append(send(c))
        except Exception as exc:  # raised below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(times)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    if errors:
        raise errors[0]
    assert len(answers) == times, "a racing request did not finish"
    return answers


def bearer(pair: auth.TokenPair | str) -> dict:
    token = pair if isinstance(pair, str) else pair.access_token
    return {"Authorization": f"Bearer {token}"}


def ago(**kwargs) -> datetime:
    return now_utc() - timedelta(**kwargs)


# A clinic's safety contact for E2B(R3) reports (clinic settings "e2b_sender").
E2B_SENDER = {
    "identifier": "AFTERCARE-NORTH-01",
    "department": "Patient Safety",
    "title": "Dr",
    "given_name": "Dana",
    "family_name": "Reyes",
    "street": "12 Harbor Road",
    "city": "Portland",
    "state": "ME",
    "postcode": "04101",
    "country": "US",
    "phone": "2075550100",
    "fax": "2075550101",
    "email": "safety@north.clinic.test",
}


def give_e2b_sender(clinic: Clinic, sender: dict | None = None) -> None:
    """Give a clinic the safety contact its E2B(R3) reports name as the sender."""
    clinic = db.session.get(Clinic, clinic.id)
    clinic.settings = {**(clinic.settings or {}), "e2b_sender": dict(sender or E2B_SENDER)}
    db.session.commit()
