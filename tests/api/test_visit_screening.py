"""Screening before an infusion: limits, the hold and its decision, the baseline it sets, tenancy, audit."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from service.clock import now_utc
from service.extensions import db
from service.models import AuditEntry, Clinic, Flag, Infusion
from tests.api.ae_support import iso


def screening(**changes) -> dict:
    body = {
        "systolic": 124,
        "diastolic": 78,
        "heart_rate": 70,
        "weight_kg": 72.5,
        "pregnancy": False,
        "uncontrolled_hypertension": False,
        "active_psychosis": False,
        "substance_use_since_last_visit": False,
        "new_medications": False,
        "last_meal_at": iso(now_utc() - timedelta(hours=5)),
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not ...}


@pytest.fixture()
def infusion_id(client, world):
    started = now_utc() - timedelta(minutes=10)
    answer = client.post(
        f"/api/v1/patients/{world.patient.principal.patient_id}/infusions",
        json={
            "started_at": iso(started),
            "route": "iv",
            "phase": "induction",
            "pre_systolic": 150,
            "pre_diastolic": 95,
        },
        headers=world.nurse.headers,
    )
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["id"]


def url(infusion_id) -> str:
    return f"/api/v1/infusions/{infusion_id}/screening"


def test_before_screening_the_answer_says_not_screened_and_shows_the_patients_check_in(client, world, infusion_id):
    sent = client.post(
        "/api/v1/me/reports",
        json={
            "client_report_id": str(uuid.uuid4()),
            "observed_at": iso(now_utc() - timedelta(hours=2)),
            "symptoms": [{"code": "anxiety", "severity": 1}],
            "mood": 6,
            "vitals": {"systolic": 131, "diastolic": 84, "heart_rate": 77},
        },
        headers=world.patient.headers,
    )
    assert sent.status_code == 201, sent.get_json()
    answer = client.get(url(infusion_id), headers=world.nurse.headers)
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["status"] == "not_screened" and body["systolic"] is None
    assert body["hold_systolic"] == 140 and body["hold_diastolic"] == 90
    [check_in] = body["pre_infusion_check_in"]
    assert check_in["mood"] == 6 and check_in["systolic"] == 131
    assert check_in["symptoms"] == [{"code": "anxiety", "severity": 1}]


def test_a_clear_screening_sets_the_infusions_baseline(client, world, infusion_id):
    answer = client.post(url(infusion_id), json=screening(), headers=world.nurse.headers)
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert body["status"] == "clear" and body["hold"] is False and body["hold_reasons"] == []
    assert body["recorded_by_id"] == str(world.nurse.principal.id)
    db.session.rollback()
    infusion = db.session.get(Infusion, uuid.UUID(infusion_id))
    assert (infusion.pre_systolic, infusion.pre_diastolic, infusion.pre_heart_rate) == (124, 78, 70)
    # The typed pre-infusion reading can no longer override the measured one.
    got = client.get(f"/api/v1/infusions/{infusion_id}", headers=world.nurse.headers)
    patch = client.patch(
        f"/api/v1/infusions/{infusion_id}",
        json={"pre_systolic": 170},
        headers={**world.nurse.headers, "If-Match": got.headers["ETag"]},
    )
    assert patch.status_code == 422
    assert "pre_systolic" in patch.get_json()["errors"]["json"]


def test_blood_pressure_rise_counts_from_the_screening(client, world, infusion_id):
    """The infusion was typed in at 150/95; screened at 124/78, a home reading of 166/90 is a rise of 42."""
    assert client.post(url(infusion_id), json=screening(), headers=world.nurse.headers).status_code == 201
    ended = client.get(f"/api/v1/infusions/{infusion_id}", headers=world.nurse.headers)
    client.patch(
        f"/api/v1/infusions/{infusion_id}",
        json={"ended_at": iso(now_utc() - timedelta(minutes=1))},
        headers={**world.nurse.headers, "If-Match": ended.headers["ETag"]},
    )
    sent = client.post(
        "/api/v1/me/reports",
        json={
            "client_report_id": str(uuid.uuid4()),
            "observed_at": iso(now_utc()),
            "infusion_id": infusion_id,
            "vitals": {"systolic": 166, "diastolic": 90, "heart_rate": 80},
        },
        headers=world.patient.headers,
    )
    assert sent.status_code == 201, sent.get_json()
    db.session.rollback()
    flag = db.session.scalar(select(Flag).where(Flag.rule == "blood-pressure-rise"))
    assert flag is not None
    assert flag.evidence["pre_systolic"] == 124 and flag.evidence["systolic_rise"] == 42


@pytest.mark.parametrize(
    ("systolic", "diastolic", "held"),
    [(139, 89, False), (140, 80, True), (130, 90, True), (139, 90, True), (140, 90, True)],
)
def test_the_hold_line_is_at_or_above_140_90(client, world, infusion_id, systolic, diastolic, held):
    answer = client.post(
        url(infusion_id), json=screening(systolic=systolic, diastolic=diastolic), headers=world.nurse.headers
    )
    assert answer.status_code == 201
    body = answer.get_json()
    assert body["hold"] is held
    assert body["status_text"] == ("hold: re-check" if held else "clear to proceed")


def test_a_hold_needs_a_decision_and_proceeding_needs_a_reason(client, world, infusion_id):
    held = client.post(url(infusion_id), json=screening(systolic=152, diastolic=94), headers=world.nurse.headers)
    assert held.get_json()["status"] == "hold"
    assert "152/94" in held.get_json()["hold_reasons"][0]
    no_reason = client.post(
        url(infusion_id), json=screening(systolic=148, diastolic=92, decision="proceed"), headers=world.nurse.headers
    )
    assert no_reason.status_code == 422
    assert "decision_reason" in no_reason.get_json()["errors"]["json"]
    proceed = client.post(
        url(infusion_id),
        json=screening(systolic=148, diastolic=92, decision="proceed", decision_reason="Re-checked after rest; usual."),
        headers=world.physician.headers,
    )
    body = proceed.get_json()
    assert proceed.status_code == 201 and body["status"] == "proceed"
    assert body["decided_by_id"] == str(world.physician.principal.id) and body["rechecks"] == 1
    # A re-check that clears the hold clears the decision.
    cleared = client.post(url(infusion_id), json=screening(systolic=132, diastolic=84), headers=world.nurse.headers)
    assert cleared.get_json()["status"] == "clear" and cleared.get_json()["decision"] is None


def test_postpone_and_contraindications_hold(client, world, infusion_id):
    body = client.post(url(infusion_id), json=screening(active_psychosis=True), headers=world.nurse.headers).get_json()
    assert body["status"] == "hold" and body["hold_reasons"] == ["Active psychosis"]
    postponed = client.post(
        url(infusion_id), json=screening(active_psychosis=True, decision="postpone"), headers=world.nurse.headers
    )
    assert postponed.get_json()["status"] == "postpone"
    not_held = client.post(url(infusion_id), json=screening(decision="postpone"), headers=world.nurse.headers)
    assert not_held.status_code == 422 and "decision" in not_held.get_json()["errors"]["json"]


def test_the_hold_line_is_a_clinic_setting(client, world, infusion_id):
    clinic = db.session.get(Clinic, world.clinic.id)
    clinic.settings = {**(clinic.settings or {}), "visit": {"hold_systolic": 160, "hold_diastolic": 100}}
    db.session.commit()
    body = client.post(url(infusion_id), json=screening(systolic=150, diastolic=95), headers=world.nurse.headers)
    assert body.get_json()["status"] == "clear" and body.get_json()["hold_systolic"] == 160


def test_admins_set_the_hold_line_and_a_settings_save_without_it_keeps_it(client, world):
    shown = client.get("/api/v1/clinic/settings", headers=world.admin.headers).get_json()
    assert (shown["visit"]["hold_systolic"], shown["visit"]["hold_diastolic"]) == (140, 90)
    body = {
        k: shown[k] for k in ("thresholds", "response_targets_minutes", "crisis_resources", "checkin_offsets_hours")
    }
    body["quiet_hours"] = shown["quiet_hours"]
    too_low = client.put(
        "/api/v1/clinic/settings",
        json={**body, "visit": {"hold_systolic": 99, "hold_diastolic": 90}},
        headers=world.admin.headers,
    )
    assert too_low.status_code == 422 and "hold_systolic" in too_low.get_json()["errors"]["json"]["visit"]
    put = client.put(
        "/api/v1/clinic/settings",
        json={**body, "visit": {"hold_systolic": 150, "hold_diastolic": 95}},
        headers=world.admin.headers,
    )
    assert put.status_code == 200 and put.get_json()["visit"]["hold_systolic"] == 150
    again = client.put("/api/v1/clinic/settings", json=body, headers=world.admin.headers)
    kept = again.get_json()["visit"]
    assert (kept["hold_systolic"], kept["hold_diastolic"], kept["limit_spo2"]) == (150, 95, 94)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("systolic", 49),
        ("systolic", 301),
        ("diastolic", 29),
        ("diastolic", 124),  # not below systolic 124
        ("heart_rate", 19),
        ("heart_rate", 251),
        ("weight_kg", 19.9),
        ("weight_kg", 350.1),
        ("weight_kg", "70"),
        ("pregnancy", "no"),
        ("pregnancy", ...),
        ("new_medications_detail", "x" * 501),
        ("last_meal_at", "yesterday"),
        ("decision", "maybe"),
    ],
)
def test_limits_are_refused_naming_the_field(client, world, infusion_id, field, value):
    answer = client.post(url(infusion_id), json=screening(**{field: value}), headers=world.nurse.headers)
    assert answer.status_code == 422, answer.get_json()
    assert field in answer.get_json()["errors"]["json"]
    db.session.rollback()
    assert db.session.get(Infusion, uuid.UUID(infusion_id)).pre_systolic == 150  # nothing stored


def test_limits_in_the_domain(client, world, infusion_id):
    future = client.post(
        url(infusion_id), json=screening(last_meal_at=iso(now_utc() + timedelta(hours=1))), headers=world.nurse.headers
    )
    assert future.status_code == 422 and "last_meal_at" in future.get_json()["errors"]["json"]
    meds = client.post(url(infusion_id), json=screening(new_medications=True), headers=world.nurse.headers)
    assert meds.status_code == 422 and "new_medications_detail" in meds.get_json()["errors"]["json"]
    at_limits = client.post(
        url(infusion_id),
        json=screening(systolic=300, diastolic=30, heart_rate=250, weight_kg=20),
        headers=world.nurse.headers,
    )
    assert at_limits.status_code == 201


def test_another_clinics_infusion_is_not_found(client, world, infusion_id):
    assert client.get(url(infusion_id), headers=world.other_admin.headers).status_code == 404
    assert client.post(url(infusion_id), json=screening(), headers=world.other_admin.headers).status_code == 404
    assert client.post(url(uuid.uuid4()), json=screening(), headers=world.nurse.headers).status_code == 404
    assert client.get(url(infusion_id), headers=world.patient.headers).status_code == 403


def test_reads_and_writes_are_audited(client, world, infusion_id):
    client.post(url(infusion_id), json=screening(), headers=world.nurse.headers)
    client.get(url(infusion_id), headers=world.physician.headers)
    db.session.rollback()
    rows = list(
        db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.endpoint == "/api/v1/infusions/<uuid:infusion_id>/screening")
            .order_by(AuditEntry.id)
        )
    )
    assert [(str(r.action), r.actor_id, r.resource_id) for r in rows] == [
        ("write", world.nurse.principal.id, infusion_id),
        ("read", world.physician.principal.id, infusion_id),
    ]
    assert all(r.patient_id == world.patient.principal.patient_id for r in rows)
