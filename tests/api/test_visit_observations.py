"""Observations in the chair: limits, the rules on each one (a flag with the in-clinic context), tenancy, audit."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from service.clock import now_utc
from service.extensions import db
from service.models import AuditEntry, Flag, FlagEvent, Notification, Observation
from tests.api.ae_support import iso


@pytest.fixture()
def infusion(client, world):
    """An IV infusion that started 60 minutes ago and is still running, screened at 122/78."""
    started = now_utc() - timedelta(minutes=60)
    answer = client.post(
        f"/api/v1/patients/{world.patient.principal.patient_id}/infusions",
        json={"started_at": iso(started), "route": "iv", "phase": "induction"},
        headers=world.nurse.headers,
    )
    assert answer.status_code == 201, answer.get_json()
    infusion_id = answer.get_json()["id"]
    screened = client.post(
        f"/api/v1/infusions/{infusion_id}/screening",
        json={
            "systolic": 122,
            "diastolic": 78,
            "heart_rate": 70,
            "weight_kg": 70.0,
            "pregnancy": False,
            "uncontrolled_hypertension": False,
            "active_psychosis": False,
            "substance_use_since_last_visit": False,
            "new_medications": False,
        },
        headers=world.nurse.headers,
    )
    assert screened.status_code == 201
    return {"id": infusion_id, "started": started}


def url(infusion_id) -> str:
    return f"/api/v1/infusions/{infusion_id}/observations"


def reading(at, **values) -> dict:
    body = {"observed_at": iso(at), "systolic": 128, "diastolic": 80, "heart_rate": 78, "spo2": 98}
    body.update({"sedation_moass": 5, "dissociation": 0})
    body.update(values)
    return {k: v for k, v in body.items() if v is not ...}


def test_a_hypertensive_crisis_at_minute_40_raises_a_critical_flag_seen_in_the_clinic(client, world, infusion):
    at = infusion["started"] + timedelta(minutes=40)
    answer = client.post(
        url(infusion["id"]), json=reading(at, systolic=190, diastolic=110), headers=world.nurse.headers
    )
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert body["minute"] == 40 and "hypertensive-crisis" in body["rules"]
    assert "elevated-blood-pressure" not in body["rules"]  # only the higher level fires
    assert any(text.startswith("BP 190/110") for text in body["outside_limits"])
    db.session.rollback()
    flag = db.session.scalar(select(Flag).where(Flag.rule == "hypertensive-crisis"))
    assert str(flag.id) in body["flag_ids"]
    assert flag.priority == "critical" and flag.patient_id == world.patient.principal.patient_id
    assert flag.reason.startswith("In the clinic, minute 40 of the visit: BP 190/110")
    assert flag.evidence["source"] == "in_clinic" and flag.evidence["minute_of_visit"] == 40
    assert flag.evidence["observation_id"] == body["id"]
    # The rise over the screening's 122/78 fires too (+68/+32).
    rise = db.session.scalar(select(Flag).where(Flag.rule == "blood-pressure-rise"))
    assert rise.evidence["pre_systolic"] == 122
    # Critical: the on-call clinicians are paged in the same transaction, as for a phone's report.
    assert db.session.scalar(select(FlagEvent).where(FlagEvent.flag_id == flag.id, FlagEvent.kind == "paged"))
    assert db.session.scalars(select(Notification).where(Notification.kind == "page")).first() is not None


def test_a_second_crisis_reading_joins_the_open_flag(client, world, infusion):
    for minute in (40, 45):
        at = infusion["started"] + timedelta(minutes=minute)
        client.post(url(infusion["id"]), json=reading(at, systolic=186, diastolic=104), headers=world.nurse.headers)
    db.session.rollback()
    flags = db.session.scalars(select(Flag).where(Flag.rule == "hypertensive-crisis")).all()
    assert len(flags) == 1 and flags[0].reason.startswith("In the clinic, minute 45")


def test_ordinary_readings_raise_nothing_and_are_listed_in_time_order(client, world, infusion):
    for minute in (30, 0, 15):
        at = infusion["started"] + timedelta(minutes=minute)
        posted = client.post(url(infusion["id"]), json=reading(at), headers=world.nurse.headers)
        assert posted.status_code == 201 and posted.get_json()["rules"] == []
    listed = client.get(url(infusion["id"]), headers=world.physician.headers)
    assert listed.status_code == 200
    body = listed.get_json()
    assert [o["minute"] for o in body["observations"]] == [0, 15, 30]
    assert body["limits"]["limit_systolic"] == 160 and body["limits"]["limit_spo2"] == 94
    db.session.rollback()
    assert db.session.scalar(select(Flag)) is None


def test_outside_the_clinics_limits_is_said_in_words(client, world, infusion):
    at = infusion["started"] + timedelta(minutes=20)
    body = client.post(
        url(infusion["id"]),
        json=reading(at, spo2=91, sedation_moass=3, dissociation=3, heart_rate=112),
        headers=world.nurse.headers,
    ).get_json()
    assert body["outside_limits"] == [
        "heart rate 112 (limit 50 to under 110)",
        "SpO2 91% (limit 94% or more)",
        "sedation MOASS 3 (limit 4 or more)",
        "dissociation 3/4 (limit 1 or less)",
    ]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("systolic", 301),
        ("systolic", 49),
        ("diastolic", 29),
        ("diastolic", 128),  # not below systolic 128
        ("diastolic", None),  # systolic without diastolic
        ("heart_rate", 251),
        ("spo2", 49),
        ("spo2", 101),
        ("sedation_moass", -1),
        ("sedation_moass", 6),
        ("dissociation", 5),
        ("cadss6", 25),
        ("dissociation", 1.5),
        ("note", "x" * 1001),
        ("observed_at", "at minute 40"),
        ("observed_at", ...),
    ],
)
def test_limits_are_refused_naming_the_field(client, world, infusion, field, value):
    at = infusion["started"] + timedelta(minutes=10)
    answer = client.post(url(infusion["id"]), json=reading(at, **{field: value}), headers=world.nurse.headers)
    assert answer.status_code == 422, answer.get_json()
    assert field in answer.get_json()["errors"]["json"]
    db.session.rollback()
    assert db.session.scalar(select(Observation)) is None


def test_times_and_empty_readings_are_refused(client, world, infusion):
    cases = {
        "before the start": reading(infusion["started"] - timedelta(minutes=30)),
        "in the future": reading(now_utc() + timedelta(minutes=30)),
        "no reading": {"observed_at": iso(infusion["started"] + timedelta(minutes=5))},
    }
    fields = {}
    for name, body in cases.items():
        answer = client.post(url(infusion["id"]), json=body, headers=world.nurse.headers)
        assert answer.status_code == 422, name
        fields[name] = set(answer.get_json()["errors"]["json"])
    assert fields == {"before the start": {"observed_at"}, "in the future": {"observed_at"}, "no reading": {"systolic"}}
    at_limits = reading(
        infusion["started"], systolic=300, diastolic=30, heart_rate=20, spo2=50, sedation_moass=0, cadss6=24
    )
    assert client.post(url(infusion["id"]), json=at_limits, headers=world.nurse.headers).status_code == 201


def test_another_clinics_infusion_is_not_found(client, world, infusion):
    at = infusion["started"] + timedelta(minutes=10)
    assert client.get(url(infusion["id"]), headers=world.other_admin.headers).status_code == 404
    assert client.post(url(infusion["id"]), json=reading(at), headers=world.other_admin.headers).status_code == 404
    assert client.get(url(uuid.uuid4()), headers=world.nurse.headers).status_code == 404
    assert client.post(url(infusion["id"]), json=reading(at), headers=world.patient.headers).status_code == 403


def test_reads_and_writes_are_audited(client, world, infusion):
    at = infusion["started"] + timedelta(minutes=10)
    client.post(url(infusion["id"]), json=reading(at), headers=world.nurse.headers)
    client.get(url(infusion["id"]), headers=world.admin.headers)
    db.session.rollback()
    rows = db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.endpoint == "/api/v1/infusions/<uuid:infusion_id>/observations")
        .order_by(AuditEntry.id)
    ).all()
    assert [(str(r.action), r.actor_id, r.resource_id, r.patient_id) for r in rows] == [
        ("write", world.nurse.principal.id, infusion["id"], world.patient.principal.patient_id),
        ("read", world.admin.principal.id, infusion["id"], world.patient.principal.patient_id),
    ]
