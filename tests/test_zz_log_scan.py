"""No secrets and no health details in the logs.

``test_a_full_flow_logs_no_secret_and_no_phi`` walks the product end to end (sign-in with a password, a
wrong password, refresh, enrollment with a code, a phone's report with notes, triage, an adverse event with
its narrative, FHIR and CSV exports, the audit trail, sign-out) and greps every log line it produced for
each password, token, code, name and note it used.

``test_no_log_line_of_the_whole_run_holds_a_known_secret`` runs last (file order) and greps every line the
whole test run logged (tests/logscan.py captures them) for every secret and PHI string any test registered.
"""

from __future__ import annotations

import io
import json
import logging
import uuid
from datetime import timedelta

from sqlalchemy import select

from service.clock import now_utc
from service.extensions import db
from service.models import Flag
from service.observability import json_handler
from tests import factories, logscan
from tests.api.ae_support import EVENTS


def test_a_full_flow_logs_no_secret_and_no_phi(client, world):
    stream = io.StringIO()
    handler = json_handler(stream=stream)
    root = logging.getLogger()
    root.addHandler(handler)
    secrets: dict[str, str] = {}

    def keep(what: str, value: str) -> str:
        secrets[value] = what
        logscan.register(what, value)
        return value

    try:
        _walk(client, world, keep)
    finally:
        root.removeHandler(handler)

    lines = [line for line in stream.getvalue().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    routes = {r.get("route") for r in records if r["logger"] == "service.request"}
    assert {"/api/v1/auth/login", "/api/v1/auth/enroll", "/api/v1/me/reports", EVENTS, "/api/v1/audit"} <= routes
    assert all(r["request_id"] for r in records if r["logger"] == "service.request")
    assert len(secrets) >= 15
    leaked = [(what, line[:200]) for line in lines for value, what in secrets.items() if value in line]
    assert not leaked, leaked


def _walk(client, world, keep) -> None:
    nurse = factories.make_clinician(
        world.clinic, "nurse", email=keep("a clinician's email", "noor.secret@clinic.test")
    )
    keep("the password", factories.PASSWORD)
    bad = client.post(
        "/api/v1/auth/login",
        json={"email": nurse.email, "password": keep("a wrong password", "wrong-password-zebra-91")},
    )
    assert bad.status_code == 401
    login = client.post("/api/v1/auth/login", json={"email": nurse.email, "password": factories.PASSWORD})
    assert login.status_code == 200, login.get_json()
    tokens = login.get_json()
    keep("an access token", tokens["access_token"])
    keep("a refresh token", tokens["refresh_token"])
    refreshed = client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}).get_json()
    keep("an access token", refreshed["access_token"])
    keep("a refresh token", refreshed["refresh_token"])
    staff = {"Authorization": f"Bearer {refreshed['access_token']}"}

    patient = client.post(
        "/api/v1/patients",
        json={
            "display_name": keep("a patient's name", "Quinn Secretname"),
            "date_of_birth": "1988-02-03",
            "email": keep("a patient's email", "quinn.secret@example.test"),
            "phone": keep("a patient's phone", "+1 720 555 0199"),
            "mrn": keep("an MRN", "MRN-SECRET-7781"),
        },
        headers=staff,
    ).get_json()
    infusion = client.post(
        f"/api/v1/patients/{patient['id']}/infusions",
        json={
            "started_at": (now_utc() - timedelta(hours=5)).isoformat(),
            "ended_at": (now_utc() - timedelta(hours=4)).isoformat(),
            "route": "iv",
            "phase": "induction",
            "dose_mg": 42.0,
            "notes": keep("infusion notes", "Anxious about her divorce hearing"),
        },
        headers=staff,
    )
    assert infusion.status_code == 201
    code = client.post(f"/api/v1/patients/{patient['id']}/enrollment-codes", headers=staff).get_json()["code"]
    keep("an enrollment code", code)
    enrolled = client.post(
        "/api/v1/auth/enroll",
        json={
            "code": code,
            "device_name": keep("a device name", "Quinn's private iPhone"),
            "platform": "ios",
            "push_token": keep("a push token", "apns-token-0123456789abcdef"),
        },
    )
    assert enrolled.status_code == 200, enrolled.get_json()
    phone = {"Authorization": f"Bearer {keep('a phone access token', enrolled.get_json()['access_token'])}"}
    keep("a phone refresh token", enrolled.get_json()["refresh_token"])

    report = client.post(
        "/api/v1/me/reports",
        json={
            "client_report_id": str(uuid.uuid4()),
            "observed_at": (now_utc() - timedelta(minutes=30)).isoformat(),
            "symptoms": [
                {"code": "hallucinations", "severity": 3},
                {"code": "other", "severity": 2, "note": keep("a symptom note", "Tingling in my left hand")},
            ],
            "note": keep("a report note", "I told my therapist about the voices"),
            "suicidal_thoughts": True,
        },
        headers=phone,
    )
    assert report.status_code == 201, report.get_json()
    db.session.rollback()
    flag_id = db.session.scalars(select(Flag.id).where(Flag.patient_id == uuid.UUID(patient["id"]))).first()
    assert client.get("/api/v1/flags", headers=staff).status_code == 200
    resolved = client.post(
        f"/api/v1/flags/{flag_id}/resolve",
        json={"resolution": "contacted_patient", "note": keep("a flag note", "Called Quinn; safe at her mother's")},
        headers=staff,
    )
    assert resolved.status_code == 200

    onset = now_utc() - timedelta(hours=1)
    event = client.post(
        EVENTS,
        json={
            "flag_id": str(flag_id),
            "term": "Hallucinations",
            "grade": 3,
            "serious": True,
            "seriousness": ["hospitalization"],
            "causality": "probable",
            "action_taken": "dose_reduced",
            "outcome": "recovering",
            "onset_at": onset.isoformat(),
            "narrative": keep("a narrative", "Admitted overnight to St. Elsewhere psychiatric unit"),
        },
        headers=staff,
    )
    assert event.status_code == 201, event.get_json()
    event_id = event.get_json()["id"]
    assert client.patch(f"{EVENTS}/{event_id}", json={"grade": 4}, headers=staff).status_code == 200
    assert client.get(f"{EVENTS}/{event_id}/fhir", headers=staff).status_code == 200
    admin = world.admin.headers
    reference = keep("a regulator's reference", "MW-SECRET-0042")
    sent = client.post(
        f"{EVENTS}/{event_id}/submitted",
        json={"submitted_at": now_utc().isoformat(), "reference": reference},
        headers=admin,
    )
    assert sent.status_code == 200
    # The clinic's days from the onset's to today's (an hour ago may be yesterday there).
    since, today = factories.clinic_day(onset).isoformat(), factories.clinic_day().isoformat()
    export = client.get(f"{EVENTS}/export.csv?from={since}&to={today}", headers=admin)
    assert export.status_code == 200 and "Hallucinations" in export.get_data(as_text=True)
    assert client.get(f"/api/v1/audit?patient_id={patient['id']}", headers=admin).status_code == 200
    assert (
        client.post(
            "/api/v1/auth/logout", json={"refresh_token": refreshed["refresh_token"]}, headers=staff
        ).status_code
        == 204
    )


def test_the_scan_catches_a_leak(world):
    """The check itself works: a line holding a registered value is reported, with what it was."""
    line = json.dumps({"message": "login failed for Pat North", "request_id": "r1"})
    assert ("a patient's name", line) in logscan.leaks([line])
    assert logscan.leaks([json.dumps({"message": "request", "status": 200})]) == []


def test_strings_of_our_own_code_are_not_taken_for_secrets():
    """Hypothesis draws examples from our code's constants ("adverse_events"); tracebacks quote them, nothing leaks."""
    assert logscan.in_our_code("adverse_events") and logscan.in_our_code("Write the narrative: what happened")
    logscan.register_text("an adverse event narrative", "Write the narrative: what happened")
    assert "Write the narrative: what happened" not in logscan.SECRETS
    assert not logscan.in_our_code(factories.PASSWORD)  # the tests' own values stay secrets
    logscan.register_text("an adverse event narrative", "Observed overnight after the infusion.")
    assert logscan.SECRETS["Observed overnight after the infusion."] == "an adverse event narrative"


def test_no_log_line_of_the_whole_run_holds_a_known_secret():
    """Runs last: every line any test made the app log, against every secret and PHI string any test registered."""
    assert logscan.TAPE.lines, "no log line was captured: is the tape attached?"
    kinds = set(logscan.SECRETS.values())
    assert {"an access token", "a refresh token", "a password tried", "a patient's name"} <= kinds, kinds
    print(f"log scan: {len(logscan.TAPE.lines)} lines against {len(logscan.SECRETS)} secrets")
    leaked = logscan.leaks()
    assert not leaked, leaked[:5]
