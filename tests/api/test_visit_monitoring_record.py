"""The REMS-style monitoring record of an esketamine (intranasal) session: every field it claims, met or not."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from service.clock import now_utc
from service.extensions import db
from service.models import AuditEntry
from tests.api.ae_support import iso

SCREENING = {
    "systolic": 126,
    "diastolic": 80,
    "heart_rate": 72,
    "weight_kg": 68.0,
    "pregnancy": False,
    "uncontrolled_hypertension": False,
    "active_psychosis": False,
    "substance_use_since_last_visit": False,
    "new_medications": False,
}
KEYS = [
    "bp_before_dose",
    "bp_about_40_minutes",
    "sedation_assessed",
    "dissociation_assessed",
    "observed_two_hours",
    "discharge_readiness",
]


def session_of(client, world, *, minutes_ago: int = 150, route: str = "intranasal") -> dict:
    start = (now_utc() - timedelta(minutes=minutes_ago)).replace(microsecond=0)
    answer = client.post(
        f"/api/v1/patients/{world.patient.principal.patient_id}/infusions",
        json={
            "started_at": iso(start),
            "ended_at": iso(start + timedelta(minutes=10)),
            "route": route,
            "phase": "induction",
            "dose_mg": 56.0,
        },
        headers=world.nurse.headers,
    )
    assert answer.status_code == 201, answer.get_json()
    return {"id": answer.get_json()["id"], "start": start}


def observe(client, world, visit, minute, **values):
    body = {"observed_at": iso(visit["start"] + timedelta(minutes=minute)), **values}
    answer = client.post(f"/api/v1/infusions/{visit['id']}/observations", json=body, headers=world.nurse.headers)
    assert answer.status_code == 201, answer.get_json()


def discharge(client, world, visit, minute):
    answer = client.post(
        f"/api/v1/infusions/{visit['id']}/discharge",
        json={
            "discharged_at": iso(visit["start"] + timedelta(minutes=minute)),
            "vitals_near_baseline": True,
            "alert": True,
            "ride_home": True,
            "told_not_to_drive": True,
        },
        headers=world.nurse.headers,
    )
    assert answer.status_code == 201, answer.get_json()


def record(client, world, visit) -> dict:
    answer = client.get(f"/api/v1/infusions/{visit['id']}/monitoring-record", headers=world.physician.headers)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def test_a_complete_esketamine_session(client, world):
    visit = session_of(client, world)
    assert client.post(f"/api/v1/infusions/{visit['id']}/screening", json=SCREENING, headers=world.nurse.headers)
    observe(client, world, visit, 0, systolic=126, diastolic=80, sedation_moass=5, dissociation=0)
    observe(client, world, visit, 40, systolic=148, diastolic=90, sedation_moass=4, dissociation=2, cadss6=9)
    observe(client, world, visit, 90, systolic=134, diastolic=84, sedation_moass=5, dissociation=1)
    observe(client, world, visit, 125, systolic=128, diastolic=80, sedation_moass=5, dissociation=0)
    discharge(client, world, visit, 130)
    body = record(client, world, visit)
    assert body["applies"] is True and body["complete"] is True
    assert [r["key"] for r in body["requirements"]] == KEYS
    assert all(r["met"] for r in body["requirements"])
    details = {r["key"]: r["detail"] for r in body["requirements"]}
    assert details["bp_before_dose"].startswith("126/80 at screening")
    assert details["bp_about_40_minutes"] == "148/90 at minute 40"
    assert "MOASS 4 at minute 40" in details["sedation_assessed"]
    assert "2/4, CADSS-6 9 at minute 40" in details["dissociation_assessed"]
    assert details["observed_two_hours"] == "Observed for 130 minutes."
    assert body["observed_minutes"] == 130
    assert body["patient"]["display_name"] and body["patient"]["date_of_birth"]
    assert body["session"] == {
        "started_at": body["session"]["started_at"],
        "ended_at": body["session"]["ended_at"],
        "route": "intranasal",
        "dose_mg": 56.0,
        "phase": "induction",
    }
    assert [o["minute"] for o in body["observations"]] == [0, 40, 90, 125]
    assert body["screening"]["systolic"] == 126 and body["discharge"]["discharged"] is True
    assert body["rules_fired"] == []


def test_what_is_missing_is_said(client, world):
    visit = session_of(client, world, minutes_ago=100)
    observe(client, world, visit, 20, systolic=150, diastolic=92)
    discharge(client, world, visit, 95)
    body = record(client, world, visit)
    assert body["complete"] is False
    unmet = {r["key"]: r["detail"] for r in body["requirements"] if not r["met"]}
    assert unmet == {
        "bp_before_dose": "No screening recorded.",
        "bp_about_40_minutes": "No blood pressure between minutes 30 and 50.",
        "sedation_assessed": "No sedation assessment.",
        "dissociation_assessed": "No dissociation assessment.",
        "observed_two_hours": "Observed for 95 minutes.",
    }


def test_an_iv_session_is_not_a_rems_session(client, world):
    body = record(client, world, session_of(client, world, route="iv"))
    assert body["applies"] is False and body["complete"] is False and body["observed_minutes"] == 0


def test_another_clinics_session_is_not_found_and_reads_are_audited(client, world):
    visit = session_of(client, world)
    path = f"/api/v1/infusions/{visit['id']}/monitoring-record"
    assert client.get(path, headers=world.other_admin.headers).status_code == 404
    assert (
        client.get(f"/api/v1/infusions/{uuid.uuid4()}/monitoring-record", headers=world.nurse.headers).status_code
        == 404
    )
    assert client.get(path, headers=world.patient.headers).status_code == 403
    record(client, world, visit)
    db.session.rollback()
    rows = db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.endpoint == "/api/v1/infusions/<uuid:infusion_id>/monitoring-record")
        .order_by(AuditEntry.id)
    ).all()
    assert [(str(r.action), r.actor_id, r.patient_id) for r in rows] == [
        ("read", world.physician.principal.id, world.patient.principal.patient_id)
    ]


@pytest.mark.parametrize("minute", [29, 51])
def test_the_40_minute_window_is_30_to_50(client, world, minute):
    visit = session_of(client, world)
    observe(client, world, visit, minute, systolic=130, diastolic=82)
    met = {r["key"]: r["met"] for r in record(client, world, visit)["requirements"]}
    assert met["bp_about_40_minutes"] is False
