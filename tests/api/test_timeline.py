"""GET /patients/{id}/timeline: the patient's course as JSON, built by the same function as the console page."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select

from service.clock import now_utc
from service.domain import infusions
from service.extensions import db
from service.models import Checkin, Patient
from tests.api.test_triage import send


def _infusion(world, *, days_ago: float, **values):
    now = now_utc()
    patient = db.session.get(Patient, world.patient.principal.patient_id)
    infusion = infusions.record_infusion(
        db.session,
        patient=patient,
        actor=world.nurse.principal,
        values={
            "started_at": now - timedelta(days=days_ago),
            "ended_at": now - timedelta(days=days_ago) + timedelta(minutes=50),
            "route": "iv",
            "phase": "induction",
            "dose_mg": 35.0,
            "dose_mg_per_kg": 0.5,
            **values,
        },
        now=now,
    )
    db.session.commit()
    return infusion


def test_timeline_lists_infusions_reports_flags_and_checkins_newest_first(client, world):
    infusion = _infusion(world, days_ago=1)
    send(
        client,
        world.patient,
        observed_at=(now_utc() - timedelta(hours=3)).isoformat(),
        symptoms=[{"code": "nausea", "severity": 3}, {"code": "headache", "severity": 1}],
        mood=4,
        vitals={"systolic": 150, "diastolic": 90, "heart_rate": 96},
    )
    # Recording the infusion scheduled its check-ins; keep the 2 h one, missed, and drop the later ones.
    scheduled = db.session.scalars(select(Checkin).where(Checkin.infusion_id == infusion.id)).all()
    for checkin in scheduled:
        if checkin.kind == "2h":
            checkin.status = "missed"
        else:
            db.session.delete(checkin)
    db.session.commit()

    url = f"/api/v1/patients/{world.patient.principal.patient_id}/timeline"
    response = client.get(url, headers=world.nurse.headers)

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    kinds = [e["kind"] for e in body["entries"]]
    assert sorted(kinds) == ["checkin", "flag", "infusion", "report"]
    moments = [e["at"] for e in body["entries"]]
    assert moments == sorted(moments, reverse=True)
    by_kind = {e["kind"]: e for e in body["entries"]}
    assert by_kind["infusion"]["summary"] == "IV infusion, 35 mg (0.5 mg/kg), induction"
    report = by_kind["report"]["report"]
    assert [s["code"] for s in report["symptoms"]] == ["nausea", "headache"]
    assert report["vitals"] == {"systolic": 150, "diastolic": 90, "heart_rate": 96}
    assert report["flagged"] is True and report["priority"] == "high"
    assert "nausea 3/4" in by_kind["report"]["summary"] and "mood 4/10" in by_kind["report"]["summary"]
    assert by_kind["flag"]["flag"]["rule"] == "severe-symptom" and by_kind["flag"]["flag"]["status"] == "open"
    assert by_kind["checkin"]["checkin"]["status"] == "missed"


def test_timeline_window_is_bounded_and_checked(client, world):
    _infusion(world, days_ago=20)
    url = f"/api/v1/patients/{world.patient.principal.patient_id}/timeline"
    since = (now_utc() - timedelta(days=5)).isoformat()
    recent = client.get(url, query_string={"since": since}, headers=world.nurse.headers)
    assert recent.status_code == 200 and recent.get_json()["entries"] == []
    everything = client.get(url, headers=world.nurse.headers)
    assert [e["kind"] for e in everything.get_json()["entries"]] == ["infusion"]

    backwards = client.get(
        url, query_string={"since": now_utc().isoformat(), "until": since}, headers=world.nurse.headers
    )
    assert backwards.status_code == 422
    assert "since" in backwards.get_json()["errors"]["query"]
    too_long = client.get(
        url, query_string={"since": (now_utc() - timedelta(days=400)).isoformat()}, headers=world.nurse.headers
    )
    assert too_long.status_code == 422


def test_timeline_of_an_unknown_or_foreign_patient_is_404(client, world):
    foreign = world.other_clinic_patient.principal.patient_id
    assert client.get(f"/api/v1/patients/{foreign}/timeline", headers=world.nurse.headers).status_code == 404
    assert client.get(f"/api/v1/patients/{uuid.uuid4()}/timeline", headers=world.nurse.headers).status_code == 404
