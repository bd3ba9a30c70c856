"""PHI canaries: unique markers planted in every free-text and identifying field must never leak.

The main flows run with markers in the patient's name, email, phone and MRN, the clinician's name,
report and symptom notes, flag notes and an adverse event's narrative. Then: no marker in any log
line, in any body answered to another clinic's admin or another patient, or in any notification
text (what a lock screen or an inbox preview may show).
"""

from __future__ import annotations

import io
import logging
import uuid
from datetime import timedelta

from sqlalchemy import select

from service.clock import now_utc
from service.enums import Role
from service.extensions import db
from service.models import Flag, Notification
from service.observability import json_handler
from tests import factories
from tests.jobkit import Recorder, job_context, run

TAG = uuid.uuid4().hex[:8]
MARKERS = {
    "name": f"Canaryname{TAG}",
    "email": f"canary{TAG}@example.test",
    "phone": f"+1 555 01{TAG[:2]}",
    "mrn": f"MRN-CANARY-{TAG}",
    "clinician": f"Doctor Canary{TAG}",
    "report note": f"canary report {TAG}: I feel there is no reason to live",
    "symptom note": f"canary symptom {TAG} burning",
    "flag note": f"canary flag note {TAG} called the sister",
    "narrative": f"canary narrative {TAG} admitted overnight",
}


def test_markers_never_leak(app, client, world):
    stream = io.StringIO()
    handler = json_handler(stream=stream)
    logging.getLogger().addHandler(handler)
    try:
        _drive_the_main_flows(app, client, world)
        leaked_to_others = _ask_as_other_tenants(client, world)
    finally:
        logging.getLogger().removeHandler(handler)
    log = stream.getvalue()
    assert log.count("\n") > 20, "the flows logged lines to check"
    for what, marker in MARKERS.items():
        assert marker not in log, f"the {what} reached a log line"
    assert TAG not in log, "part of a marked value (or the phone's push token) reached a log line"
    assert not leaked_to_others, leaked_to_others
    db.session.rollback()
    texts = db.session.execute(select(Notification.subject, Notification.body)).all()
    assert texts, "the jobs wrote notifications to check"
    for subject, body in texts:
        for what, marker in MARKERS.items():
            assert marker not in f"{subject} {body}", f"the {what} is in a notification"


def _drive_the_main_flows(app, client, world):
    admin = world.admin.headers
    doctor = factories.make_clinician(world.clinic, Role.PHYSICIAN)
    doctor.name = MARKERS["clinician"]
    doctor.on_call = True
    db.session.commit()
    doctor_headers = factories.bearer(factories.tokens_for(app, doctor))
    created = client.post(
        "/api/v1/patients",
        headers=admin,
        json={
            "display_name": MARKERS["name"],
            "date_of_birth": "1979-02-03",
            "email": MARKERS["email"],
            "phone": MARKERS["phone"],
            "mrn": MARKERS["mrn"],
            "preferred_channel": "push",
        },
    )
    assert created.status_code == 201
    patient_id = created.get_json()["id"]
    now = now_utc()
    infusion = client.post(
        f"/api/v1/patients/{patient_id}/infusions",
        headers=admin,
        json={
            "started_at": (now - timedelta(hours=4)).isoformat(),
            "ended_at": (now - timedelta(hours=3)).isoformat(),
            "route": "iv",
            "phase": "induction",
            "dose_mg": 40,
        },
    )
    assert infusion.status_code == 201
    code = client.post(f"/api/v1/patients/{patient_id}/enrollment-codes", headers=admin).get_json()["code"]
    phone = client.post(
        "/api/v1/auth/enroll",
        json={"code": code, "device_name": "Canary phone", "platform": "android", "push_token": f"tok-{TAG}"},
    )
    phone_headers = factories.bearer(phone.get_json()["access_token"])
    report = client.post(
        "/api/v1/me/reports",
        headers=phone_headers,
        json={
            "client_report_id": str(uuid.uuid4()),
            "observed_at": (now - timedelta(minutes=5)).isoformat(),
            "note": MARKERS["report note"],
            "symptoms": [{"code": "other", "severity": 3, "note": MARKERS["symptom note"]}],
        },
    )
    assert report.status_code == 201 and report.get_json()["triage"]["priority"] == "critical"
    bad = client.post(
        "/api/v1/me/reports",
        headers=phone_headers,
        json={"client_report_id": "nope", "observed_at": "later", "note": MARKERS["report note"]},
    )
    assert bad.status_code == 422
    flag_id = db.session.scalar(
        select(Flag.id).where(Flag.patient_id == uuid.UUID(patient_id), Flag.rule == "suicidal-ideation")
    )
    assert (
        client.post(
            f"/api/v1/flags/{flag_id}/notes", headers=doctor_headers, json={"text": MARKERS["flag note"]}
        ).status_code
        == 201
    )
    event = client.post(
        "/api/v1/adverse-events",
        headers=doctor_headers,
        json={
            "flag_id": str(flag_id),
            "term": "Suicidal ideation",
            "grade": 3,
            "serious": True,
            "seriousness": ["hospitalization"],
            "causality": "possible",
            "action_taken": "treatment_discontinued",
            "outcome": "recovering",
            "onset_at": (now - timedelta(hours=1)).isoformat(),
            "narrative": MARKERS["narrative"],
        },
    )
    assert event.status_code == 201, event.get_json()
    # The job process: check-in prompts, escalation of the unacknowledged critical flag, delivery.
    ctx = job_context(app, push=Recorder("push"), email=Recorder("email"))
    run(ctx, now + timedelta(minutes=20))
    run(ctx, now + timedelta(minutes=40))


def _ask_as_other_tenants(client, world) -> list[str]:
    """Everything another clinic's admin and another patient get back must hold no marker."""
    leaks = []
    db.session.rollback()
    from service.models import Patient, Report

    patient = db.session.scalar(select(Patient).where(Patient.display_name == MARKERS["name"]))
    report = db.session.scalar(select(Report).where(Report.patient_id == patient.id))
    flag = db.session.scalar(select(Flag).where(Flag.patient_id == patient.id))
    probes = [
        ("GET", f"/api/v1/patients/{patient.id}"),
        ("GET", f"/api/v1/patients/{patient.id}/reports"),
        ("GET", f"/api/v1/reports/{report.id}"),
        ("GET", f"/api/v1/flags/{flag.id}"),
        ("GET", "/api/v1/flags"),
        ("GET", "/api/v1/patients"),
        ("GET", "/api/v1/adverse-events"),
        ("GET", "/api/v1/audit"),
        ("GET", f"/api/v1/me/reports/{report.id}"),
        ("PATCH", f"/api/v1/patients/{patient.id}"),
        ("POST", f"/api/v1/flags/{flag.id}/notes"),
        ("GET", f"/api/v1/patients/{patient.id}/timeline"),
    ]
    for caller in (world.other_admin, world.other_patient, world.other_clinic_patient):
        for method, url in probes:
            response = client.open(url, method=method, headers=caller.headers, json={"text": "x"})
            body = response.get_data(as_text=True)
            for what, marker in MARKERS.items():
                if marker in body:
                    leaks.append(f"{method} {url} answered {response.status_code} with the {what}")
    return leaks
