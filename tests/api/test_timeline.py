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


def test_each_infusion_carries_the_cumulative_dose_over_the_whole_history(client, world):
    # By hand: 90 days ago 35 mg/0.5 (outside the 60-day window, still counted), 20 days ago 52.5 mg/0.75,
    # 5 days ago 40 mg with no mg/kg.
    _infusion(world, days_ago=90)
    second = _infusion(world, days_ago=20, dose_mg=52.5, dose_mg_per_kg=0.75)
    third = _infusion(world, days_ago=5, dose_mg=40.0, dose_mg_per_kg=None)
    url = f"/api/v1/patients/{world.patient.principal.patient_id}/timeline"
    body = client.get(url, headers=world.nurse.headers).get_json()

    shown = {e["id"]: e["infusion"] for e in body["entries"] if e["kind"] == "infusion"}
    assert set(shown) == {str(second.id), str(third.id)}  # the window is the default 60 days
    assert shown[str(second.id)]["cumulative_infusions"] == 2
    assert shown[str(second.id)]["cumulative_dose_mg"] == 87.5
    assert shown[str(second.id)]["cumulative_dose_mg_per_kg"] == 1.25
    assert shown[str(third.id)]["cumulative_infusions"] == 3
    assert shown[str(third.id)]["cumulative_dose_mg"] == 127.5
    assert shown[str(third.id)]["cumulative_dose_mg_per_kg"] == 1.25
    totals = body["cumulative"]
    assert totals["infusions"] == 3 and totals["dose_mg"] == 127.5 and totals["dose_mg_per_kg"] == 1.25
    assert totals["without_mg"] == 0 and totals["without_mg_per_kg"] == 1
    assert totals["first_infusion_at"].endswith("+00:00") and totals["last_infusion_at"].endswith("+00:00")

    # A window ending before the latest infusion counts only what came before its end.
    until = (now_utc() - timedelta(days=10)).isoformat()
    earlier = client.get(url, headers=world.nurse.headers, query_string={"until": until}).get_json()
    assert earlier["cumulative"]["infusions"] == 2 and earlier["cumulative"]["dose_mg"] == 87.5


def test_another_patients_or_clinics_infusions_never_count(client, world):
    _infusion(world, days_ago=3)
    foreign = world.other_clinic_patient.principal.patient_id
    assert client.get(f"/api/v1/patients/{foreign}/timeline", headers=world.nurse.headers).status_code == 404
    mine = world.patient.principal.patient_id
    assert client.get(f"/api/v1/patients/{mine}/timeline", headers=world.other_admin.headers).status_code == 404
    body = client.get(f"/api/v1/patients/{foreign}/timeline", headers=world.other_admin.headers).get_json()
    assert body["cumulative"]["infusions"] == 0 and body["cumulative"]["dose_mg"] is None
    neighbour = world.other_patient.principal.patient_id  # same clinic, no infusions of their own
    body = client.get(f"/api/v1/patients/{neighbour}/timeline", headers=world.nurse.headers).get_json()
    assert body["cumulative"]["infusions"] == 0 and body["cumulative"]["without_mg_per_kg"] == 0
