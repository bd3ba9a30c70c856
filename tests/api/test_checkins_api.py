"""Check-ins, the outbox and the job status over HTTP; the clinic's escalation and webhook settings."""

from __future__ import annotations

import json
import uuid
from datetime import time, timedelta

from sqlalchemy import update

from jobs.runner import tick
from service.clock import now_utc
from service.domain import outbox
from service.domain.clinics import effective_settings
from service.enums import Audience, DeliveryChannel, NotificationKind, NotificationStatus
from service.extensions import db
from service.models import Checkin, Clinic, Notification, Patient, SettingsChange
from tests.jobkit import job_context

H = timedelta(hours=1)


def record(client, world, ended_ago=timedelta(hours=3)):
    ended = now_utc() - ended_ago
    response = client.post(
        f"/api/v1/patients/{world.patient.principal.patient_id}/infusions",
        json={
            "started_at": (ended - H).isoformat(),
            "ended_at": ended.isoformat(),
            "route": "iv",
            "phase": "induction",
        },
        headers=world.nurse.headers,
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_recording_an_infusion_over_http_schedules_check_ins_the_patient_sees(app, client, world):
    infusion = record(client, world)
    tick(job_context(app), only=("send_checkins",))
    mine = client.get("/api/v1/me/checkins", headers=world.patient.headers)
    assert mine.status_code == 200
    rows = mine.get_json()
    assert [r["kind"] for r in rows] == ["14d", "7d", "72h", "24h", "2h"]  # latest due first
    assert set(rows[0]) == {
        "id",
        "infusion_id",
        "kind",
        "due_at",
        "status",
        "asks_phq9",
        "sent_at",
        "answered_at",
        "questions",
    }
    assert {len(r["questions"]) for r in rows} == {0}  # after an infusion: the usual report, nothing more
    assert {r["infusion_id"] for r in rows} == {infusion["id"]}
    assert [r["asks_phq9"] for r in rows] == [True, True, False, False, False]
    two_h = rows[-1]
    assert two_h["status"] == "sent" or two_h["status"] == "scheduled"  # sent unless it is night in Denver
    waiting = client.get("/api/v1/me/checkins?status=scheduled", headers=world.patient.headers).get_json()
    assert {r["status"] for r in waiting} == {"scheduled"}
    assert client.get("/api/v1/me/checkins", headers=world.other_patient.headers).get_json() == []

    # The answer: a report naming the check-in.
    answer = client.post(
        "/api/v1/me/reports",
        json={
            "client_report_id": str(uuid.uuid4()),
            "observed_at": now_utc().isoformat(),
            "checkin_id": two_h["id"],
            "symptoms": [{"code": "nausea", "severity": 1}],
        },
        headers=world.patient.headers,
    )
    assert answer.status_code == 201
    after = client.get("/api/v1/me/checkins", headers=world.patient.headers).get_json()
    assert after[-1]["status"] == "answered" and after[-1]["answered_at"]


def test_clinicians_see_every_check_in_with_its_history(client, world):
    infusion = record(client, world)
    ended = now_utc() - 2 * H
    moved = client.patch(
        f"/api/v1/infusions/{infusion['id']}", json={"ended_at": ended.isoformat()}, headers=world.nurse.headers
    )
    assert moved.status_code == 200
    paused = client.patch(
        f"/api/v1/patients/{world.patient.principal.patient_id}", json={"status": "paused"}, headers=world.nurse.headers
    )
    assert paused.status_code == 200
    url = f"/api/v1/patients/{world.patient.principal.patient_id}/checkins"
    rows = client.get(url, headers=world.physician.headers).get_json()
    assert len(rows) == 5 and {r["status"] for r in rows} == {"cancelled"}
    assert all(r["cancelled_at"] and r["send_at"] for r in rows)
    day = next(r for r in rows if r["kind"] == "24h")
    assert day["due_at"].startswith((ended + 24 * H).strftime("%Y-%m-%dT%H:%M"))
    assert client.get("/api/v1/me/checkins", headers=world.patient.headers).get_json() == []  # cancelled: hidden
    assert client.get(url, headers=world.other_admin.headers).status_code == 404


def _letter(world, *, status=NotificationStatus.DEAD, channel=DeliveryChannel.EMAIL, patient_id=None, key=None):
    row = outbox.row(
        clinic_id=world.clinic.id,
        kind=NotificationKind.CHECKIN_PROMPT,
        channel=channel,
        audience=Audience.PATIENT,
        patient_id=patient_id or world.patient.principal.patient_id,
        dedupe_key=key or f"test:{uuid.uuid4()}",
        subject=outbox.PROMPT_SUBJECT,
        body=outbox.PROMPT_TEXT,
        now=now_utc(),
    )
    row.update(status=status, attempts=6 if status == NotificationStatus.DEAD else 0, last_error="SMTP 554 refused")
    if status == NotificationStatus.SENT:
        row["sent_at"] = now_utc()
    outbox.enqueue(db.session, [row])
    db.session.commit()
    return str(row["id"])


def test_admins_list_the_outbox_with_filters_and_retry_dead_letters(client, world):
    dead = _letter(world)
    sent = _letter(world, status=NotificationStatus.SENT, channel=DeliveryChannel.LOG)
    theirs = _letter(world, status=NotificationStatus.SENT, patient_id=world.other_patient.principal.patient_id)
    listing = client.get("/api/v1/notifications", headers=world.admin.headers)
    assert listing.status_code == 200
    assert {n["id"] for n in listing.get_json()} == {dead, sent, theirs}
    assert json.loads(listing.headers["X-Pagination"])["total"] == 3

    def ids(query):
        response = client.get(f"/api/v1/notifications?{query}", headers=world.admin.headers)
        assert response.status_code == 200, response.get_json()
        return {n["id"] for n in response.get_json()}

    assert ids("status=dead") == {dead}
    assert ids("channel=log") == {sent}
    assert ids(f"patient_id={world.other_patient.principal.patient_id}") == {theirs}
    assert ids("status=dead&channel=log") == set()
    assert client.get("/api/v1/notifications?status=lost", headers=world.admin.headers).status_code == 422
    [row] = [n for n in listing.get_json() if n["id"] == dead]
    assert (row["attempts"], row["last_error"], row["status"]) == (6, "SMTP 554 refused", "dead")

    retried = client.post(f"/api/v1/notifications/{dead}/retry", headers=world.admin.headers)
    assert retried.status_code == 200
    assert (retried.get_json()["status"], retried.get_json()["attempts"]) == ("pending", 0)
    assert retried.get_json()["last_error"] == "SMTP 554 refused"  # history kept until the next attempt
    again = client.post(f"/api/v1/notifications/{dead}/retry", headers=world.admin.headers)
    assert again.status_code == 409 and again.get_json()["errors"]["json"]["status"]
    assert client.post(f"/api/v1/notifications/{sent}/retry", headers=world.admin.headers).status_code == 409
    assert client.get("/api/v1/notifications", headers=world.other_admin.headers).get_json() == []
    assert client.post(f"/api/v1/notifications/{uuid.uuid4()}/retry", headers=world.admin.headers).status_code == 404


def test_job_status_shows_lag_and_overdue_check_ins(app, client, world):
    status = client.get("/api/v1/jobs/status", headers=world.admin.headers).get_json()
    assert status["healthy"] is False  # never ran: a missing job process is visible
    assert {j["name"] for j in status["jobs"]} >= {"send_checkins", "deliver_notifications", "escalate_flags"}
    assert all(j["stale"] and j["last_success_at"] is None for j in status["jobs"])

    record(client, world, ended_ago=timedelta(hours=5))
    # Make the 2h check-in plainly due and the patient reachable, whatever time of night the suite runs.
    db.session.execute(update(Checkin).where(Checkin.offset_hours == 2).values(send_at=now_utc() - 3 * H))
    db.session.execute(
        update(Patient)
        .where(Patient.id == world.patient.principal.patient_id)
        .values(quiet_hours_start=time(0, 0), quiet_hours_end=time(0, 0))
    )
    db.session.commit()
    stalled = client.get("/api/v1/jobs/status", headers=world.admin.headers).get_json()
    assert stalled["checkins_overdue"] == 1

    tick(job_context(app))
    running = client.get("/api/v1/jobs/status", headers=world.admin.headers).get_json()
    assert running["checkins_overdue"] == 0
    assert running["healthy"] is True
    sender = next(j for j in running["jobs"] if j["name"] == "send_checkins")
    assert sender["last_items"] == 1 and not sender["stale"] and 0 <= sender["lag_seconds"] < 60
    assert running["notifications_pending"] == 0 and running["notifications_dead"] == 0
    assert client.get("/api/v1/jobs/status", headers=world.other_admin.headers).get_json()["checkins_overdue"] == 0


def _settings(**changes) -> dict:
    body = {
        key: value
        for key, value in effective_settings(None).items()
        if key in ("thresholds", "response_targets_minutes", "crisis_resources", "checkin_offsets_hours", "quiet_hours")
    }
    body.update(changes)
    return body


def test_webhook_settings_are_validated_and_the_secret_is_write_only(client, world):
    put = lambda body: client.put("/api/v1/clinic/settings", json=body, headers=world.admin.headers)  # noqa: E731
    bad = put(_settings(webhook={"url": "http://pager.example/hook", "secret": "x" * 20}))
    assert bad.status_code == 422 and "https" in str(bad.get_json()["errors"]["json"]["webhook"]["url"])
    short = put(_settings(webhook={"url": "https://pager.example/hook", "secret": "short"}))
    assert short.status_code == 422 and "secret" in short.get_json()["errors"]["json"]["webhook"]
    missing = put(_settings(webhook={"url": "https://pager.example/hook"}))
    assert missing.status_code == 422 and "secret" in missing.get_json()["errors"]["json"]["webhook"][0]

    secret = "pager-secret-" + "k" * 20
    ok = put(_settings(webhook={"url": "https://pager.example/hook", "secret": secret}))
    assert ok.status_code == 200
    assert ok.get_json()["webhook"] == {"url": "https://pager.example/hook", "secret_set": True}
    shown = client.get("/api/v1/clinic/settings", headers=world.admin.headers)
    assert secret not in shown.get_data(as_text=True)
    assert shown.get_json()["escalation"] == {"critical_ack_minutes": 15, "admin_after_minutes": 30}
    # Sending back what GET showed keeps the stored secret.
    assert put(_settings(webhook=shown.get_json()["webhook"])).status_code == 200
    db.session.rollback()
    assert db.session.get(Clinic, world.clinic.id).settings["webhook"]["secret"] == secret
    history = client.get("/api/v1/clinic/settings/history", headers=world.admin.headers)
    assert secret not in history.get_data(as_text=True)
    assert all(secret not in json.dumps(c.after) for c in db.session.query(SettingsChange))
    # A null URL turns the webhook off and forgets the secret.
    assert put(_settings(webhook={"url": None})).get_json()["webhook"] == {"url": None, "secret_set": False}


def test_escalation_settings_are_validated(client, world):
    put = lambda body: client.put("/api/v1/clinic/settings", json=body, headers=world.admin.headers)  # noqa: E731
    upside_down = put(_settings(escalation={"critical_ack_minutes": 30, "admin_after_minutes": 15}))
    assert upside_down.status_code == 422
    assert "admin_after_minutes" in upside_down.get_json()["errors"]["json"]["escalation"]
    assert put(_settings(escalation={"critical_ack_minutes": 0, "admin_after_minutes": 15})).status_code == 422
    fine = put(_settings(escalation={"critical_ack_minutes": 10, "admin_after_minutes": 20}))
    assert fine.status_code == 200 and fine.get_json()["escalation"]["critical_ack_minutes"] == 10


def test_dead_letter_rows_never_cross_clinics(client, world):
    theirs = outbox.row(
        clinic_id=world.other_clinic.id,
        kind=NotificationKind.DIGEST,
        channel=DeliveryChannel.LOG,
        audience=Audience.CLINIC,
        dedupe_key="digest:other",
        subject="Digest",
        body="Counts.",
        now=now_utc(),
    )
    theirs.update(status=NotificationStatus.DEAD)
    outbox.enqueue(db.session, [theirs])
    db.session.commit()
    response = client.post(f"/api/v1/notifications/{theirs['id']}/retry", headers=world.admin.headers)
    assert response.status_code == 404
    db.session.rollback()
    assert db.session.get(Notification, theirs["id"]).status == NotificationStatus.DEAD
