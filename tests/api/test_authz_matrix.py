"""Who may call what: one table, every API route, every kind of caller.

``MATRIX`` lists each API route (method + URL rule exactly as in ``app.url_map``) with the
status each caller must get. ``test_every_route_is_in_the_matrix`` fails when a route is
added without joining the table, so every new endpoint states its access rule here.

Callers come from the ``world`` fixture:

- ``anonymous``: no Authorization header;
- ``patient``: world.patient's paired phone (the patient whose ids fill the paths);
- ``other_patient``: another patient's phone in the same clinic;
- ``nurse``, ``physician``, ``admin``: staff of world.clinic;
- ``other_admin``: the admin of another clinic.

Ids in paths belong to world.patient / world.clinic, so for ``other_admin`` they are
another tenant's ids: the answer is 404, never 403 and never data; the same holds for
``other_patient`` on a ``/me`` path carrying world.patient's id. Patients' tokens reach only
``/me`` paths, ``/auth/logout`` and the vocabulary; any staff endpoint answers a patient with
403 (the role is refused before any id is looked up, so nothing is revealed either way).

Each cell is its own test with a fresh world and a fresh device/infusion, so cells never
depend on each other (``DELETE .../devices/...`` and ``/auth/logout`` revoke things).
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta

import pytest
from flask import current_app
from sqlalchemy import func, select

from schemas.reports import ReportCreateSchema
from service.clock import now_utc
from service.domain import adverse_events, infusions, outbox, reports, triage
from service.domain.clinics import effective_settings
from service.domain.sessions import revoke_sessions
from service.enums import Audience, DeliveryChannel, NotificationKind, NotificationStatus
from service.extensions import db
from service.models import (
    AdverseEvent,
    AuditEntry,
    Checkin,
    Clinician,
    Device,
    EnrollmentCode,
    Flag,
    Infusion,
    Notification,
    Patient,
    Report,
)
from service.rules import Finding, Priority
from tests import factories

CALLERS = ("anonymous", "patient", "other_patient", "nurse", "physician", "admin", "other_admin")

# The one table. Columns follow CALLERS.
# Auth endpoints that take no bearer (login, refresh, enroll) are called with an empty body:
# every caller gets 422 for the missing fields (a bearer changes nothing there).
# fmt: off
MATRIX: dict[tuple[str, str], tuple[int, ...]] = {
    #                                                                  anon  pat  o.pat nurse phys admin o.admin
    ("POST",   "/api/v1/auth/login"):                                  (422, 422, 422, 422, 422, 422, 422),
    ("POST",   "/api/v1/auth/refresh"):                                (422, 422, 422, 422, 422, 422, 422),
    ("POST",   "/api/v1/auth/enroll"):                                 (422, 422, 422, 422, 422, 422, 422),
    ("POST",   "/api/v1/auth/logout"):                                 (401, 204, 204, 204, 204, 204, 204),
    ("GET",    "/api/v1/me"):                                          (401, 200, 200, 403, 403, 403, 403),
    ("PATCH",  "/api/v1/me"):                                          (401, 200, 200, 403, 403, 403, 403),
    ("GET",    "/api/v1/me/crisis-resources"):                         (401, 200, 200, 403, 403, 403, 403),
    ("GET",    "/api/v1/me/infusions"):                                (401, 200, 200, 403, 403, 403, 403),
    ("GET",    "/api/v1/me/push/vapid-public-key"):                    (401, 200, 200, 403, 403, 403, 403),
    ("PUT",    "/api/v1/me/push-subscription"):                        (401, 200, 200, 403, 403, 403, 403),
    ("DELETE", "/api/v1/me/push-subscription"):                        (401, 204, 204, 403, 403, 403, 403),
    ("GET",    "/api/v1/me/reports"):                                  (401, 200, 200, 403, 403, 403, 403),
    ("POST",   "/api/v1/me/reports"):                                  (401, 201, 201, 403, 403, 403, 403),
    ("POST",   "/api/v1/me/reports/batch"):                            (401, 200, 200, 403, 403, 403, 403),
    ("GET",    "/api/v1/me/reports/<uuid:report_id>"):                 (401, 200, 404, 403, 403, 403, 403),
    # The scene's report carries no suicidal signal: its owner reaches the use case (409: no screen asked).
    ("POST",   "/api/v1/me/reports/<uuid:report_id>/safety-screen"):   (401, 409, 404, 403, 403, 403, 403),
    ("GET",    "/api/v1/symptoms"):                                    (401, 200, 200, 200, 200, 200, 200),
    ("GET",    "/api/v1/patients"):                                    (401, 403, 403, 200, 200, 200, 200),
    ("POST",   "/api/v1/patients"):                                    (401, 403, 403, 201, 201, 201, 201),
    ("GET",    "/api/v1/patients/<uuid:patient_id>"):                  (401, 403, 403, 200, 200, 200, 404),
    ("PATCH",  "/api/v1/patients/<uuid:patient_id>"):                  (401, 403, 403, 200, 200, 200, 404),
    ("POST",   "/api/v1/patients/<uuid:patient_id>/enrollment-codes"): (401, 403, 403, 201, 201, 201, 404),
    ("DELETE", "/api/v1/patients/<uuid:patient_id>/devices/<uuid:device_id>"):
                                                                       (401, 403, 403, 204, 204, 204, 404),
    ("GET",    "/api/v1/patients/<uuid:patient_id>/infusions"):        (401, 403, 403, 200, 200, 200, 404),
    ("POST",   "/api/v1/patients/<uuid:patient_id>/infusions"):        (401, 403, 403, 201, 201, 201, 404),
    ("GET",    "/api/v1/infusions/<uuid:infusion_id>"):                (401, 403, 403, 200, 200, 200, 404),
    ("PATCH",  "/api/v1/infusions/<uuid:infusion_id>"):                (401, 403, 403, 200, 200, 200, 404),
    ("GET",    "/api/v1/infusions/<uuid:infusion_id>/screening"):      (401, 403, 403, 200, 200, 200, 404),
    ("POST",   "/api/v1/infusions/<uuid:infusion_id>/screening"):      (401, 403, 403, 201, 201, 201, 404),
    ("GET",    "/api/v1/infusions/<uuid:infusion_id>/observations"):   (401, 403, 403, 200, 200, 200, 404),
    ("POST",   "/api/v1/infusions/<uuid:infusion_id>/observations"):   (401, 403, 403, 201, 201, 201, 404),
    ("GET",    "/api/v1/infusions/<uuid:infusion_id>/discharge"):      (401, 403, 403, 200, 200, 200, 404),
    ("POST",   "/api/v1/infusions/<uuid:infusion_id>/discharge"):      (401, 403, 403, 201, 201, 201, 404),
    ("GET",    "/api/v1/infusions/<uuid:infusion_id>/monitoring-record"): (401, 403, 403, 200, 200, 200, 404),
    ("GET",    "/api/v1/patients/<uuid:patient_id>/reports"):          (401, 403, 403, 200, 200, 200, 404),
    ("GET",    "/api/v1/patients/<uuid:patient_id>/timeline"):         (401, 403, 403, 200, 200, 200, 404),
    ("GET",    "/api/v1/reports/<uuid:report_id>"):                    (401, 403, 403, 200, 200, 200, 404),
    ("GET",    "/api/v1/clinicians"):                                  (401, 403, 403, 200, 200, 200, 200),
    ("POST",   "/api/v1/clinicians"):                                  (401, 403, 403, 403, 403, 201, 201),
    ("PATCH",  "/api/v1/clinicians/<uuid:clinician_id>"):              (401, 403, 403, 403, 403, 200, 404),
    ("GET",    "/api/v1/flags"):                                       (401, 403, 403, 200, 200, 200, 200),
    ("GET",    "/api/v1/flag-cases"):                                  (401, 403, 403, 200, 200, 200, 200),
    ("GET",    "/api/v1/flags/<uuid:flag_id>"):                        (401, 403, 403, 200, 200, 200, 404),
    ("POST",   "/api/v1/flags/<uuid:flag_id>/acknowledge"):            (401, 403, 403, 200, 200, 200, 404),
    ("POST",   "/api/v1/flags/<uuid:flag_id>/resolve"):                (401, 403, 403, 200, 200, 200, 404),
    ("POST",   "/api/v1/flags/<uuid:flag_id>/notes"):                  (401, 403, 403, 201, 201, 201, 404),
    ("POST",   "/api/v1/flags/<uuid:flag_id>/assign"):                 (401, 403, 403, 200, 200, 200, 404),
    ("POST",   "/api/v1/flags/<uuid:flag_id>/escalate"):               (401, 403, 403, 200, 200, 200, 404),
    ("GET",    "/api/v1/adverse-events"):                              (401, 403, 403, 200, 200, 200, 200),
    # Another clinic's flag named in the body: a 422 on flag_id that reveals nothing (as for /assign).
    ("POST",   "/api/v1/adverse-events"):                              (401, 403, 403, 201, 201, 201, 422),
    ("GET",    "/api/v1/adverse-events/terms"):                        (401, 403, 403, 200, 200, 200, 200),
    ("GET",    "/api/v1/adverse-events/export.csv"):                   (401, 403, 403, 403, 403, 200, 200),
    ("GET",    "/api/v1/adverse-events/<uuid:event_id>"):              (401, 403, 403, 200, 200, 200, 404),
    ("PATCH",  "/api/v1/adverse-events/<uuid:event_id>"):              (401, 403, 403, 200, 200, 200, 404),
    ("GET",    "/api/v1/adverse-events/<uuid:event_id>/history"):      (401, 403, 403, 200, 200, 200, 404),
    ("POST",   "/api/v1/adverse-events/<uuid:event_id>/submitted"):    (401, 403, 403, 403, 200, 200, 404),
    ("GET",    "/api/v1/adverse-events/<uuid:event_id>/fhir"):         (401, 403, 403, 200, 200, 200, 404),
    ("GET",    "/api/v1/adverse-events/<uuid:event_id>/e2b"):          (401, 403, 403, 200, 200, 200, 404),
    ("GET",    "/api/v1/adverse-events/<uuid:event_id>/medwatch"):     (401, 403, 403, 200, 200, 200, 404),
    ("GET",    "/api/v1/audit"):                                       (401, 403, 403, 403, 403, 200, 200),
    ("GET",    "/api/v1/clinic/settings"):                             (401, 403, 403, 403, 403, 200, 200),
    ("PUT",    "/api/v1/clinic/settings"):                             (401, 403, 403, 403, 403, 200, 200),
    ("GET",    "/api/v1/clinic/settings/history"):                     (401, 403, 403, 403, 403, 200, 200),
    ("GET",    "/api/v1/me/checkins"):                                 (401, 200, 200, 403, 403, 403, 403),
    ("GET",    "/api/v1/patients/<uuid:patient_id>/checkins"):         (401, 403, 403, 200, 200, 200, 404),
    ("GET",    "/api/v1/notifications"):                               (401, 403, 403, 403, 403, 200, 200),
    ("POST",   "/api/v1/notifications/<uuid:notification_id>/retry"):  (401, 403, 403, 403, 403, 200, 404),
    ("GET",    "/api/v1/jobs/status"):                                 (401, 403, 403, 403, 403, 200, 200),
    ("GET",    "/api/v1/analytics/rules"):                             (401, 403, 403, 403, 200, 200, 200),
    ("GET",    "/api/v1/analytics/rules.csv"):                         (401, 403, 403, 403, 200, 200, 200),
    ("GET",    "/api/v1/analytics/incidence"):                         (401, 403, 403, 403, 200, 200, 200),
    ("GET",    "/api/v1/analytics/incidence.csv"):                     (401, 403, 403, 403, 200, 200, 200),
    ("GET",    "/api/v1/analytics/outcomes"):                          (401, 403, 403, 403, 200, 200, 200),
}
# fmt: on

# Routes outside the matrix: public, answered without a token. (method, rule) -> (url to call, status).
PUBLIC: dict[tuple[str, str], tuple[str, int]] = {
    ("GET", "/healthz"): ("/healthz", 200),
    ("GET", "/readyz"): ("/readyz", 200),
    ("GET", "/metrics"): ("/metrics", 200),
    ("GET", "/api/v1/openapi.json"): ("/api/v1/openapi.json", 200),
    ("GET", "/api/v1/docs"): ("/api/v1/docs", 200),
    ("GET", "/docs"): ("/docs", 302),
    ("GET", "/api/v1/static/swagger-ui/<path:filename>"): ("/api/v1/static/swagger-ui/swagger-ui.css", 200),
    # Flask's own static route; the app ships no static folder, so any file is a plain 404 (not a 401).
    ("GET", "/static/<path:filename>"): ("/static/anything.css", 404),
    # The patients' companion app: a static shell with no patient data (it reads the API with the phone's token).
    ("GET", "/app/"): ("/app/", 200),
    ("GET", "/app"): ("/app", 302),
    ("GET", "/app/sw.js"): ("/app/sw.js", 200),
    ("GET", "/app/manifest.webmanifest"): ("/app/manifest.webmanifest", 200),
    ("GET", "/app/static/<path:filename>"): ("/app/static/app.js", 200),
}

IGNORED_METHODS = {"HEAD", "OPTIONS"}


def _report() -> dict:
    return {
        "client_report_id": str(uuid.uuid4()),
        "observed_at": (now_utc() - timedelta(hours=1)).isoformat(),
        "symptoms": [{"code": "headache", "severity": 1}],
    }


def _body(method: str, rule: str) -> dict | None:
    """A minimal valid body for the operation (an empty one for the no-bearer auth endpoints)."""
    started = now_utc() - timedelta(days=1)
    bodies = {
        ("POST", "/api/v1/auth/login"): {},
        ("POST", "/api/v1/auth/refresh"): {},
        ("POST", "/api/v1/auth/enroll"): {},
        ("POST", "/api/v1/auth/logout"): {},
        ("PATCH", "/api/v1/me"): {"phone": "+1 303 555 0142"},
        ("PUT", "/api/v1/me/push-subscription"): {
            "endpoint": "https://push.example.test/send/abc123",
            "keys": {"p256dh": "B" + "A" * 86, "auth": "A" * 22},
        },
        ("POST", "/api/v1/me/reports"): _report(),
        ("POST", "/api/v1/me/reports/batch"): {"reports": [_report()]},
        ("POST", "/api/v1/me/reports/<uuid:report_id>/safety-screen"): {
            "wish_dead": False,
            "suicidal_thoughts": False,
            "behavior": False,
        },
        ("POST", "/api/v1/patients"): {"display_name": "Newly Enrolled", "date_of_birth": "1990-06-01"},
        ("PATCH", "/api/v1/patients/<uuid:patient_id>"): {"phone": "+1 303 555 0199"},
        ("POST", "/api/v1/patients/<uuid:patient_id>/infusions"): {
            "started_at": started.isoformat(),
            "route": "iv",
            "phase": "induction",
        },
        ("PATCH", "/api/v1/infusions/<uuid:infusion_id>"): {"notes": "Tolerated well."},
        ("POST", "/api/v1/infusions/<uuid:infusion_id>/observations"): {
            "observed_at": (now_utc() - timedelta(days=2, hours=-1)).isoformat(),  # the scene's infusion + 1 h
            "systolic": 128,
            "diastolic": 80,
        },
        ("POST", "/api/v1/infusions/<uuid:infusion_id>/discharge"): {
            "vitals_near_baseline": True,
            "alert": True,
            "ride_home": True,
            "told_not_to_drive": True,
        },
        ("POST", "/api/v1/infusions/<uuid:infusion_id>/screening"): {
            "systolic": 126,
            "diastolic": 80,
            "heart_rate": 72,
            "weight_kg": 70.0,
            "pregnancy": False,
            "uncontrolled_hypertension": False,
            "active_psychosis": False,
            "substance_use_since_last_visit": False,
            "new_medications": False,
        },
        ("POST", "/api/v1/clinicians"): {
            "email": f"new.{uuid.uuid4().hex[:8]}@clinic.test",
            "name": "New Colleague",
            "role": "nurse",
            "password": "violet kettle drums at dawn 7",
        },
        ("PATCH", "/api/v1/clinicians/<uuid:clinician_id>"): {"on_call": True},
        ("POST", "/api/v1/flags/<uuid:flag_id>/acknowledge"): {},
        ("POST", "/api/v1/flags/<uuid:flag_id>/resolve"): {"resolution": "contacted_patient", "note": "Called."},
        ("POST", "/api/v1/flags/<uuid:flag_id>/notes"): {"text": "Left a voicemail."},
        ("POST", "/api/v1/flags/<uuid:flag_id>/escalate"): {},
        ("PUT", "/api/v1/clinic/settings"): _default_settings(),
        ("POST", "/api/v1/adverse-events"): {  # flag_id is the scene's (filled in by test_access)
            "term": "Nausea",
            "grade": 2,
            "serious": False,
            "causality": "possible",
            "action_taken": "none",
            "outcome": "recovering",
            "onset_at": (now_utc() - timedelta(hours=3)).isoformat(),
            "narrative": "Nausea after the infusion.",
        },
        ("PATCH", "/api/v1/adverse-events/<uuid:event_id>"): {"grade": 3},
        ("POST", "/api/v1/adverse-events/<uuid:event_id>/submitted"): {
            "submitted_at": (now_utc() - timedelta(minutes=1)).isoformat(),
            "reference": "MW-2026-0001",
        },
    }
    return bodies.get((method, rule))


def _query(method: str, rule: str) -> str:
    """The query string an operation needs (export ranges)."""
    today = factories.clinic_day()
    queries = {
        ("GET", "/api/v1/adverse-events/export.csv"): f"?from={(today - timedelta(days=7)).isoformat()}&to={today}",
        ("GET", "/api/v1/analytics/rules"): f"?from={(today - timedelta(days=7)).isoformat()}&to={today}",
        ("GET", "/api/v1/analytics/rules.csv"): f"?from={(today - timedelta(days=7)).isoformat()}&to={today}",
        ("GET", "/api/v1/analytics/incidence"): f"?from={(today - timedelta(days=7)).isoformat()}&to={today}",
        ("GET", "/api/v1/analytics/incidence.csv"): f"?from={(today - timedelta(days=7)).isoformat()}&to={today}",
        ("GET", "/api/v1/analytics/outcomes"): f"?from={(today - timedelta(days=7)).isoformat()}&to={today}",
    }
    return queries.get((method, rule), "")


def _default_settings() -> dict:
    settings = effective_settings(None)
    return {
        key: settings[key]
        for key in (
            "thresholds",
            "response_targets_minutes",
            "crisis_resources",
            "checkin_offsets_hours",
            "quiet_hours",
        )
    }


def _pretty(rule: str) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"<\1>", rule)


# A bearer that is expired, or whose session was revoked (logout, unpaired phone, deactivated
# clinician), counts for nothing: such a caller gets exactly what an anonymous one gets.
DEAD_TOKENS = ("expired_token", "revoked_token")

CELLS = [
    pytest.param(method, rule, caller, statuses[i], id=f"{method} {_pretty(rule)} as {caller}")
    for (method, rule), statuses in MATRIX.items()
    for i, caller in enumerate(CALLERS)
] + [
    pytest.param(method, rule, caller, statuses[0], id=f"{method} {_pretty(rule)} as {caller}")
    for (method, rule), statuses in MATRIX.items()
    for caller in DEAD_TOKENS
]


@dataclass
class Scene:
    """The world plus rows of world.patient that fill the paths."""

    world: object
    ids: dict
    secrets: dict  # what other tenants and other patients must never see
    internal: dict  # clinic-internal details no patient's phone may see, not even the patient's own


@pytest.fixture()
def scene(app, world):
    patient = db.session.get(Patient, world.patient.principal.patient_id)
    patient.mrn = "MRN-NORTH-0042"
    db.session.commit()
    factories.give_e2b_sender(world.clinic)
    now = now_utc()
    infusion = infusions.record_infusion(
        db.session,
        patient=patient,
        actor=world.nurse.principal,
        values={
            "started_at": now - timedelta(days=2),
            "ended_at": now - timedelta(days=2) + timedelta(minutes=50),
            "route": "iv",
            "phase": "induction",
            "notes": "Pre-infusion anxiety, settled.",
        },
        now=now,
    )
    db.session.commit()
    report_body = ReportCreateSchema().load(
        {
            "client_report_id": str(uuid.uuid4()),
            "observed_at": (now - timedelta(hours=20)).isoformat(),
            "symptoms": [{"code": "nausea", "severity": 2}],
            "note": "Felt queasy on the drive home.",
        }
    )
    report = reports.submit_report(
        db.session,
        patient=patient,
        device_id=world.patient.principal.id,
        payload=report_body,
        settings=effective_settings(None),
        now=now,
    )
    flag_id = triage.raise_flags(
        db.session,
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        report_id=report.id,
        findings=[Finding("severe-symptom", 1, Priority.HIGH, "Severe nausea (3/4) at 09:05.", {"code": "nausea"})],
        targets=effective_settings(None)["response_targets_minutes"],
        now=now,
    )[0]
    db.session.commit()
    event = adverse_events.create_adverse_event(
        db.session,
        clinic_id=patient.clinic_id,
        actor_id=world.nurse.principal.id,
        values={
            "flag_id": flag_id,
            "term": "Nausea",
            "grade": 2,
            "serious": False,
            "causality": "probable",
            "action_taken": "none",
            "outcome": "recovering",
            "onset_at": now - timedelta(hours=20),
            "aware_at": now - timedelta(hours=1),
            "narrative": "Queasy on the drive home; settled with rest.",
        },
        now=now,
    )
    checkin = db.session.scalars(select(Checkin).where(Checkin.infusion_id == infusion.id)).first()
    letter = outbox.row(
        clinic_id=patient.clinic_id,
        kind=NotificationKind.CHECKIN_PROMPT,
        channel=DeliveryChannel.EMAIL,
        audience=Audience.PATIENT,
        patient_id=patient.id,
        checkin_id=checkin.id,
        dedupe_key=f"checkin:{checkin.id}:prompt",
        subject=outbox.PROMPT_SUBJECT,
        body=outbox.PROMPT_TEXT,
        now=now,
    )
    outbox.enqueue(
        db.session, [{**letter, "status": NotificationStatus.DEAD, "attempts": 6, "last_error": "SMTP down"}]
    )
    db.session.commit()
    spare_device = factories.make_device(patient, name="Spare phone")
    ids = {
        "patient_id": patient.id,
        "infusion_id": infusion.id,
        "device_id": spare_device.id,
        "clinician_id": world.nurse.principal.id,
        "report_id": report.id,
        "flag_id": flag_id,
        "event_id": event.id,
        "notification_id": letter["id"],
    }
    secrets = {
        "patient name": patient.display_name,
        "patient id": str(patient.id),
        "infusion id": str(infusion.id),
        "device id": str(spare_device.id),
        "phone device id": str(world.patient.principal.id),
        "report id": str(report.id),
        "flag id": str(flag_id),
        "check-in id": str(checkin.id),
        "notification id": str(letter["id"]),
        "report note": report_body["note"],
        "adverse event id": str(event.id),
        "adverse event narrative": event.narrative,
    }
    internal = {"MRN": patient.mrn, "infusion notes": infusion.notes, "recording nurse": str(world.nurse.principal.id)}
    return Scene(world=world, ids=ids, secrets=secrets, internal=internal)


def _url(rule: str, ids: dict) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: str(ids[m.group(1)]), rule)


def _headers(world, caller: str) -> dict:
    if caller == "anonymous":
        return {}
    if caller == "expired_token":
        old = factories.tokens_for(current_app, world.admin.principal, now=now_utc() - timedelta(minutes=16))
        return factories.bearer(old)
    if caller == "revoked_token":
        pair = factories.tokens_for(current_app, world.admin.principal)
        revoke_sessions(db.session, clinician_id=world.admin.principal.id, reason="test", now=now_utc())
        db.session.commit()
        return factories.bearer(pair)
    return getattr(world, caller).headers


def _fingerprint(scene: Scene) -> tuple:
    """What a refused request must leave untouched, read fresh from the database."""
    world, ids = scene.world, scene.ids
    db.session.rollback()
    patient_row = db.session.execute(
        select(Patient.updated_at, Patient.phone, Patient.status).where(Patient.id == ids["patient_id"])
    ).one()
    infusion_row = db.session.execute(
        select(Infusion.updated_at, Infusion.notes).where(Infusion.id == ids["infusion_id"])
    ).one()
    clinic_counts = tuple(
        db.session.scalar(select(func.count()).select_from(model).where(model.clinic_id == world.clinic.id))
        for model in (Patient, Infusion, Clinician, EnrollmentCode, Device, Report)
    )
    revoked = tuple(
        db.session.scalars(select(Device.revoked_at).where(Device.patient_id == ids["patient_id"]).order_by(Device.id))
    )
    flag_row = db.session.execute(select(Flag.status, Flag.version).where(Flag.id == ids["flag_id"])).one()
    event_row = db.session.execute(
        select(AdverseEvent.version, AdverseEvent.submitted_at).where(AdverseEvent.id == ids["event_id"])
    ).one()
    appended = tuple(db.session.scalar(select(func.count()).select_from(model)) for model in (AdverseEvent, AuditEntry))
    nurse_row = db.session.execute(
        select(Clinician.updated_at, Clinician.on_call).where(Clinician.id == ids["clinician_id"])
    ).one()
    letters = tuple(
        db.session.execute(
            select(Notification.id, Notification.status, Notification.attempts).order_by(Notification.id)
        ).all()
    )
    db.session.rollback()
    return (
        tuple(patient_row),
        tuple(infusion_row),
        clinic_counts,
        revoked,
        tuple(nurse_row),
        tuple(flag_row),
        tuple(event_row),
        appended,  # a refused request records no event and leaves no audit entry
        tuple(map(tuple, letters)),
    )


@pytest.mark.parametrize(("method", "rule", "caller", "expected"), CELLS)
def test_access(client, scene, method, rule, caller, expected):
    body = _body(method, rule)
    if rule.endswith("/assign"):
        body = {"clinician_id": str(scene.ids["clinician_id"])}
    if (method, rule) == ("POST", "/api/v1/adverse-events"):
        body = {**body, "flag_id": str(scene.ids["flag_id"])}
    before = _fingerprint(scene)
    kwargs = {"json": body} if body is not None else {}
    url = _url(rule, scene.ids) + _query(method, rule)
    response = client.open(url, method=method, headers=_headers(scene.world, caller), **kwargs)

    assert response.status_code == expected, response.get_data(as_text=True)
    if expected >= 400:
        payload = response.get_json()
        assert payload["code"] == expected
        assert payload["status"]
        assert payload["message"]
        assert _fingerprint(scene) == before, "a refused request changed data"
    if caller in ("other_admin", "other_patient"):
        text = response.get_data(as_text=True)
        for what, value in scene.secrets.items():
            assert value not in text, f"{caller} saw world.patient's {what}"
        if caller == "other_admin":
            assert str(scene.world.clinic.id) not in text
            assert scene.world.nurse.principal.email not in text
    if caller in ("patient", "other_patient"):
        text = response.get_data(as_text=True)
        for what, value in scene.internal.items():
            assert value not in text, f"a patient's phone saw the {what}"


def _is_console(rule: str) -> bool:
    """The web console's pages (and / that leads to it) have their own table: tests/web/test_access.py."""
    return rule == "/" or rule == "/console/" or rule.startswith("/console/")


def _api_routes(app) -> set[tuple[str, str]]:
    return {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - IGNORED_METHODS
        if not _is_console(rule.rule)
    }


def test_every_route_is_in_the_matrix(app):
    routes = _api_routes(app)
    missing = sorted(routes - set(MATRIX) - set(PUBLIC))
    assert not missing, f"routes with no entry in MATRIX (add one row per method): {missing}"


def test_matrix_lists_only_real_routes(app):
    routes = _api_routes(app)
    stale = sorted((set(MATRIX) | set(PUBLIC)) - routes)
    assert not stale, f"MATRIX/PUBLIC rows for routes that do not exist: {stale}"
    assert not set(MATRIX) & set(PUBLIC)
    assert all(len(statuses) == len(CALLERS) for statuses in MATRIX.values())


@pytest.mark.parametrize(("method", "rule"), list(PUBLIC), ids=[f"{m} {_pretty(r)} without a token" for m, r in PUBLIC])
def test_public_routes_answer_without_a_token(client, method, rule):
    url, expected = PUBLIC[(method, rule)]
    with client.open(url, method=method) as response:
        assert response.status_code == expected
        assert "WWW-Authenticate" not in response.headers
        if expected >= 400:
            assert response.get_json()["code"] == expected


def test_openapi_document_is_json(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert json.loads(response.get_data(as_text=True))["openapi"].startswith("3.")


def test_patient_list_shows_only_the_callers_clinic(client, world):
    factories.make_patient(world.other_clinic, display_name="Stella South")

    north = client.get("/api/v1/patients", headers=world.nurse.headers)
    assert north.status_code == 200
    assert {p["display_name"] for p in north.get_json()} == {"Pat North", "Olive North"}
    assert {p["clinic_id"] for p in north.get_json()} == {str(world.clinic.id)}
    assert json.loads(north.headers["X-Pagination"])["total"] == 2

    south = client.get("/api/v1/patients", headers=world.other_admin.headers)
    assert south.status_code == 200
    assert {p["display_name"] for p in south.get_json()} == {"Sol South", "Stella South"}
    assert {p["clinic_id"] for p in south.get_json()} == {str(world.other_clinic.id)}
    assert json.loads(south.headers["X-Pagination"])["total"] == 2

    # Filters and paging do not widen the view either.
    paged = client.get("/api/v1/patients?status=active&page=1&page_size=100", headers=world.physician.headers)
    assert paged.status_code == 200
    assert "Sol South" not in paged.get_data(as_text=True)
    assert "Stella South" not in paged.get_data(as_text=True)


def test_clinician_list_shows_only_the_callers_clinic(client, world):
    north = client.get("/api/v1/clinicians", headers=world.nurse.headers)
    south = client.get("/api/v1/clinicians", headers=world.other_admin.headers)
    assert north.status_code == south.status_code == 200
    north_ids = {c["id"] for c in north.get_json()}
    south_ids = {c["id"] for c in south.get_json()}
    assert str(world.nurse.principal.id) in north_ids
    assert str(world.other_admin.principal.id) in south_ids
    assert not north_ids & south_ids


def test_device_of_another_patient_cannot_be_revoked_through_this_patients_path(client, world):
    """The device id must belong to the patient in the path, not just to the clinic."""
    victim = world.other_patient.principal
    url = f"/api/v1/patients/{world.patient.principal.patient_id}/devices/{victim.id}"
    response = client.delete(url, headers=world.admin.headers)
    assert response.status_code == 404
    assert client.get("/api/v1/me", headers=world.other_patient.headers).status_code == 200


def test_other_clinics_admin_cannot_revoke_this_clinics_device(client, world):
    url = f"/api/v1/patients/{world.patient.principal.patient_id}/devices/{world.patient.principal.id}"
    response = client.delete(url, headers=world.other_admin.headers)
    assert response.status_code == 404
    assert client.get("/api/v1/me", headers=world.patient.headers).status_code == 200


def test_admin_cannot_patch_another_clinics_clinician(client, world):
    far = world.other_admin.principal
    response = client.patch(f"/api/v1/clinicians/{far.id}", json={"on_call": True}, headers=world.admin.headers)
    assert response.status_code == 404
    db.session.rollback()
    assert db.session.scalar(select(Clinician.on_call).where(Clinician.id == far.id)) is False
