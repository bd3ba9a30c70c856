"""Console test helpers: sign in through the real form, read the CSRF token, make flags and reports."""

from __future__ import annotations

import re
import secrets
import uuid
from datetime import timedelta

import pytest

from schemas.reports import ReportCreateSchema
from service.clock import now_utc
from service.domain import auth, infusions, reports, triage
from service.domain.clinics import effective_settings
from service.extensions import db
from service.models import Flag, Patient
from service.rules import Finding, Priority
from tests import factories

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(client) -> str:
    """The CSRF token of the client's console session (made by opening the sign-in page if needed)."""
    with client.session_transaction("/console/") as session:
        token = session.get("csrf")
    if token:
        return token
    page = client.get("/console/sign-in")
    return CSRF.search(page.get_data(as_text=True)).group(1)


def sign_in(client, clinician, *, password: str = factories.PASSWORD):
    """Sign a clinician in through the console's form; returns the answer (302 to the queue on success)."""
    token = csrf_of(client)
    return client.post("/console/sign-in", data={"email": clinician.email, "password": password, "csrf_token": token})


def post(client, url: str, data: dict | None = None, **kwargs):
    """POST a console form with this session's CSRF token."""
    return client.post(url, data={**(data or {}), "csrf_token": csrf_of(client)}, **kwargs)


def signed_in(app, clinician):
    """A test client with a console session for a clinician, opened without the password round trip.

    The same domain call as the sign-in form after the password check (argon2 is slow on purpose;
    the form itself is tested in test_session.py).
    """
    client = app.test_client()
    auth_session = auth.open_console_session(db.session, clinician=clinician, now=now_utc())
    db.session.commit()
    with client.session_transaction("/console/") as session:
        now = int(now_utc().timestamp())
        session.update({"sid": str(auth_session.id), "since": now, "seen": now, "csrf": secrets.token_urlsafe(32)})
    return client


class Clients(dict):
    """Console clients by caller name, each made (and signed in) on first use."""

    def __init__(self, app, world):
        super().__init__()
        self.app, self.world = app, world

    def __missing__(self, caller):
        if caller == "anonymous":
            client = self.app.test_client()
        else:
            client = signed_in(self.app, getattr(self.world, caller).principal)
        self[caller] = client
        return client


@pytest.fixture()
def console(app, world):
    """Test clients signed in to the console as each kind of staff (console["nurse"], …; "anonymous" too)."""
    return Clients(app, world)


def make_flag(patient: Patient, *, priority: Priority, rule: str, reason: str, due_in: timedelta, report=True):
    """An open flag of a patient (through the triage domain), with its due time set as given."""
    now = now_utc()
    report_id = None
    if report:
        body = ReportCreateSchema().load(
            {
                "client_report_id": str(uuid.uuid4()),
                "observed_at": (now - timedelta(minutes=30)).isoformat(),
                "symptoms": [{"code": "nausea", "severity": 2}, {"code": "headache", "severity": 1}],
                "mood": 4,
                "phq9": [1, 1, 2, 1, 0, 1, 1, 0, 0],
                "vitals": {"systolic": 150, "diastolic": 92, "heart_rate": 101},
                "note": "Felt queasy on the drive home.",
            }
        )
        report_id = reports.submit_report(
            db.session, patient=patient, device_id=None, payload=body, settings=effective_settings(None), now=now
        ).id
    [flag_id] = triage.raise_flags(
        db.session,
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        report_id=report_id,
        findings=[Finding(rule, 1, priority, reason, {"systolic": 150, "threshold": 140})],
        targets=effective_settings(None)["response_targets_minutes"],
        now=now,
    )
    flag = db.session.get(Flag, flag_id)
    flag.due_by = now + due_in
    db.session.commit()
    return flag


def make_infusion(patient: Patient, actor, *, days_ago: float = 1.0):
    now = now_utc()
    infusion = infusions.record_infusion(
        db.session,
        patient=patient,
        actor=actor,
        values={
            "started_at": now - timedelta(days=days_ago),
            "ended_at": now - timedelta(days=days_ago) + timedelta(minutes=50),
            "route": "iv",
            "phase": "induction",
            "dose_mg": 35.0,
            "dose_mg_per_kg": 0.5,
        },
        now=now,
    )
    db.session.commit()
    return infusion


@pytest.fixture()
def patient(world):
    return db.session.get(Patient, world.patient.principal.patient_id)
