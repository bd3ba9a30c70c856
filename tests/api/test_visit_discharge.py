"""Discharge from the visit: readiness, the limits rule and its override, check-ins from discharge, tenancy, audit."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from service.clock import now_utc
from service.extensions import db
from service.models import AuditEntry, Checkin, Discharge
from tests.api.ae_support import iso


@pytest.fixture()
def visit(client, world):
    """An IV infusion that started 3 h ago and ended 2 h 10 min ago, with one ordinary reading at its end."""
    now = now_utc()
    started, ended = now - timedelta(hours=3), now - timedelta(hours=2, minutes=10)
    answer = client.post(
        f"/api/v1/patients/{world.patient.principal.patient_id}/infusions",
        json={"started_at": iso(started), "ended_at": iso(ended), "route": "iv", "phase": "induction"},
        headers=world.nurse.headers,
    )
    assert answer.status_code == 201, answer.get_json()
    infusion_id = answer.get_json()["id"]
    observe(client, world, infusion_id, ended, systolic=128, diastolic=80)
    return {"id": infusion_id, "started": started, "ended": ended}


def observe(client, world, infusion_id, at, **values):
    body = {"observed_at": iso(at), "heart_rate": 78, "spo2": 98, "sedation_moass": 5, "dissociation": 0, **values}
    answer = client.post(f"/api/v1/infusions/{infusion_id}/observations", json=body, headers=world.nurse.headers)
    assert answer.status_code == 201, answer.get_json()


def ready(**changes) -> dict:
    body = {"vitals_near_baseline": True, "alert": True, "ride_home": True, "told_not_to_drive": True, **changes}
    return {k: v for k, v in body.items() if v is not ...}


def url(infusion_id) -> str:
    return f"/api/v1/infusions/{infusion_id}/discharge"


def test_a_ready_patient_is_discharged_and_the_first_check_in_counts_from_it(client, world, visit):
    before = client.get(url(visit["id"]), headers=world.nurse.headers).get_json()
    assert before["discharged"] is False and before["discharged_at"] is None
    assert before["first_checkin_due_at"] is not None
    left = now_utc() - timedelta(minutes=5)
    answer = client.post(url(visit["id"]), json=ready(discharged_at=iso(left)), headers=world.nurse.headers)
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert body["discharged"] is True and body["outside_limits"] == [] and body["override_reason"] is None
    db.session.rollback()
    due = sorted(
        (c.offset_hours, c.due_at)
        for c in db.session.scalars(select(Checkin).where(Checkin.infusion_id == uuid.UUID(visit["id"])))
    )
    assert due[0][0] == 2 and abs((due[0][1] - (left + timedelta(hours=2))).total_seconds()) < 1
    assert all(abs((at - (left + timedelta(hours=h))).total_seconds()) < 1 for h, at in due)


def test_the_first_check_in_before_discharge_counts_from_the_end(client, world, visit):
    db.session.rollback()
    first = db.session.scalar(
        select(Checkin).where(Checkin.infusion_id == uuid.UUID(visit["id"]), Checkin.offset_hours == 2)
    )
    assert abs((first.due_at - (visit["ended"] + timedelta(hours=2))).total_seconds()) < 1


@pytest.mark.parametrize("field", ["vitals_near_baseline", "alert", "ride_home", "told_not_to_drive"])
def test_each_readiness_item_is_needed(client, world, visit, field):
    for value in (False, ...):
        answer = client.post(url(visit["id"]), json=ready(**{field: value}), headers=world.nurse.headers)
        assert answer.status_code == 422, answer.get_json()
        assert field in answer.get_json()["errors"]["json"]
    db.session.rollback()
    assert db.session.scalar(select(Discharge)) is None


def test_refused_while_the_latest_reading_is_outside_the_limits_unless_a_clinician_says_why(client, world, visit):
    observe(client, world, visit["id"], visit["ended"] + timedelta(minutes=30), systolic=168, diastolic=96)
    refused = client.post(url(visit["id"]), json=ready(), headers=world.nurse.headers)
    assert refused.status_code == 422
    errors = refused.get_json()["errors"]["json"]
    assert list(errors) == ["override_reason"] and "BP 168/96" in errors["override_reason"][0]
    shown = client.get(url(visit["id"]), headers=world.nurse.headers).get_json()
    assert shown["outside_limits_now"] and shown["discharged"] is False
    allowed = client.post(
        url(visit["id"]),
        json=ready(override_reason="Usual for her at home (log reviewed); physician agreed; BP check tonight."),
        headers=world.physician.headers,
    )
    assert allowed.status_code == 201, allowed.get_json()
    body = allowed.get_json()
    assert body["outside_limits"][0].startswith("BP 168/96") and body["override_reason"].startswith("Usual")
    assert body["recorded_by_id"] == str(world.physician.principal.id)


def test_a_new_reading_within_limits_lets_the_discharge_through(client, world, visit):
    observe(client, world, visit["id"], visit["ended"] + timedelta(minutes=20), systolic=168, diastolic=96)
    observe(client, world, visit["id"], visit["ended"] + timedelta(minutes=40), systolic=134, diastolic=84)
    assert client.post(url(visit["id"]), json=ready(), headers=world.nurse.headers).status_code == 201


def test_times_and_twice(client, world, visit):
    early = client.post(
        url(visit["id"]),
        json=ready(discharged_at=iso(visit["ended"] - timedelta(minutes=1))),
        headers=world.nurse.headers,
    )
    assert early.status_code == 422 and "discharged_at" in early.get_json()["errors"]["json"]
    future = client.post(
        url(visit["id"]), json=ready(discharged_at=iso(now_utc() + timedelta(hours=1))), headers=world.nurse.headers
    )
    assert future.status_code == 422 and "discharged_at" in future.get_json()["errors"]["json"]
    bad = client.post(url(visit["id"]), json=ready(alert="yes", note="x" * 1001), headers=world.nurse.headers)
    assert bad.status_code == 422 and {"alert", "note"} <= set(bad.get_json()["errors"]["json"])
    assert client.post(url(visit["id"]), json=ready(), headers=world.nurse.headers).status_code == 201
    assert client.post(url(visit["id"]), json=ready(), headers=world.nurse.headers).status_code == 409


def test_a_running_infusion_cannot_be_discharged(client, world):
    answer = client.post(
        f"/api/v1/patients/{world.patient.principal.patient_id}/infusions",
        json={"started_at": iso(now_utc() - timedelta(minutes=20)), "route": "intranasal", "phase": "induction"},
        headers=world.nurse.headers,
    )
    refused = client.post(url(answer.get_json()["id"]), json=ready(), headers=world.nurse.headers)
    assert refused.status_code == 422 and "discharged_at" in refused.get_json()["errors"]["json"]


def test_another_clinics_infusion_is_not_found(client, world, visit):
    assert client.get(url(visit["id"]), headers=world.other_admin.headers).status_code == 404
    assert client.post(url(visit["id"]), json=ready(), headers=world.other_admin.headers).status_code == 404
    assert client.post(url(uuid.uuid4()), json=ready(), headers=world.nurse.headers).status_code == 404
    assert client.get(url(visit["id"]), headers=world.patient.headers).status_code == 403


def test_reads_and_writes_are_audited(client, world, visit):
    client.post(url(visit["id"]), json=ready(), headers=world.nurse.headers)
    client.get(url(visit["id"]), headers=world.admin.headers)
    db.session.rollback()
    rows = db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.endpoint == "/api/v1/infusions/<uuid:infusion_id>/discharge")
        .order_by(AuditEntry.id)
    ).all()
    assert [(str(r.action), r.actor_id, r.resource_id, r.patient_id) for r in rows] == [
        ("write", world.nurse.principal.id, visit["id"], world.patient.principal.patient_id),
        ("read", world.admin.principal.id, visit["id"], world.patient.principal.patient_id),
    ]
