"""Symptom reports from the phone: validation, idempotency, races, batches, reads, isolation."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from service.clock import now_utc
from service.extensions import db
from service.models import Checkin, Infusion, Report, ReportSymptom
from service.vocabulary import CODES
from tests import factories


def iso(moment: datetime) -> str:
    return moment.isoformat()


def report_body(**overrides) -> dict:
    body = {
        "client_report_id": str(uuid.uuid4()),
        "observed_at": iso(now_utc() - timedelta(minutes=10)),
        "symptoms": [{"code": "nausea", "severity": 2}, {"code": "dizziness", "severity": 1}],
    }
    body.update(overrides)
    return body


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def post(client, caller, body):
    return client.post("/api/v1/me/reports", json=body, headers=caller.headers)


def add_infusion(patient_id, clinic_id, *, ended_ago: timedelta, pre_systolic=None, pre_diastolic=None):
    ended = now_utc() - ended_ago
    infusion = Infusion(
        clinic_id=clinic_id,
        patient_id=patient_id,
        started_at=ended - timedelta(minutes=50),
        ended_at=ended,
        route="iv",
        phase="induction",
        dose_mg=35.0,
        pre_systolic=pre_systolic,
        pre_diastolic=pre_diastolic,
        created_at=now_utc(),
        updated_at=now_utc(),
    )
    db.session.add(infusion)
    db.session.commit()
    return infusion


# --- vocabulary ---------------------------------------------------------------------------------------------


def test_vocabulary_lists_spec_codes_and_scale(client, world):
    for caller in (world.patient, world.nurse):
        response = client.get("/api/v1/symptoms", headers=caller.headers)
        assert response.status_code == 200
    body = response.get_json()
    codes = {s["code"] for s in body["symptoms"]}
    required = {
        "nausea",
        "vomiting",
        "dizziness",
        "headache",
        "drowsiness",
        "dissociation",
        "hallucinations",
        "euphoria",
        "confusion",
        "blurred_vision",
        "vivid_dreams",
        "anxiety",
        "low_mood",
        "suicidal_thoughts",
        "racing_heart",
        "high_blood_pressure",
        "memory_problems",
        "brain_fog",
        "bladder_pain",
        "craving",
        "other",
    }
    assert required <= codes
    entry = next(s for s in body["symptoms"] if s["code"] == "nausea")
    assert set(entry) >= {"code", "label", "category", "ctcae_term", "expected_window_hours"}
    assert entry["ctcae_term"] == "Nausea"
    assert [level["value"] for level in body["severity_scale"]] == [0, 1, 2, 3, 4]
    assert body["severity_scale"][4]["label"] == "Very severe"
    assert client.get("/api/v1/symptoms").status_code == 401


# --- submit -------------------------------------------------------------------------------------------------


def test_report_is_stored_with_triage_shape(client, world):
    body = report_body(
        mood=6,
        note="felt woozy",
        vitals={"systolic": 128, "diastolic": 82, "heart_rate": 77},
        phq9=[1, 1, 0, 2, 1, 0, 0, 1, 0],
        suicidal_thoughts=False,
    )
    response = post(client, world.patient, body)
    assert response.status_code == 201, response.get_json()
    answer = response.get_json()
    assert answer["client_report_id"] == body["client_report_id"]
    assert answer["triage"]["flagged"] is False
    assert answer["triage"]["priority"] is None
    assert answer["triage"]["message"]
    report = db.session.get(Report, uuid.UUID(answer["id"]))
    assert report.phq9_total == 6 and report.mood == 6 and report.systolic == 128
    assert report.patient_id == world.patient.principal.patient_id
    assert count(ReportSymptom) == 2


@pytest.mark.parametrize(
    "only",
    [
        {"vitals": {"heart_rate": 88}},
        {"vitals": {"systolic": 150, "diastolic": 90}},
        {"mood": 3},
        {"suicidal_thoughts": False},
        {"phq9": [0] * 9},
        {"symptoms": []},
        {"note": "just checking in"},
    ],
)
def test_a_report_may_carry_one_thing(client, world, only):
    body = {"client_report_id": str(uuid.uuid4()), "observed_at": iso(now_utc()), **only}
    assert post(client, world.patient, body).status_code == 201


def test_latest_infusion_before_observation_is_linked(client, world):
    pid, cid = world.patient.principal.patient_id, world.clinic.id
    older = add_infusion(pid, cid, ended_ago=timedelta(days=3))
    newer = add_infusion(pid, cid, ended_ago=timedelta(hours=5))
    answer = post(client, world.patient, report_body(observed_at=iso(now_utc() - timedelta(hours=1)))).get_json()
    assert answer["infusion_id"] == str(newer.id)
    between = post(client, world.patient, report_body(observed_at=iso(now_utc() - timedelta(days=1)))).get_json()
    assert between["infusion_id"] == str(older.id)
    before_all = post(client, world.patient, report_body(observed_at=iso(now_utc() - timedelta(days=4))))
    assert before_all.get_json()["infusion_id"] is None


def test_explicit_infusion_must_be_own(client, world):
    theirs = add_infusion(world.other_patient.principal.patient_id, world.clinic.id, ended_ago=timedelta(hours=2))
    response = post(client, world.patient, report_body(infusion_id=str(theirs.id)))
    assert response.status_code == 422
    assert "infusion_id" in response.get_json()["errors"]["json"]
    mine = add_infusion(world.patient.principal.patient_id, world.clinic.id, ended_ago=timedelta(days=10))
    ok = post(client, world.patient, report_body(infusion_id=str(mine.id)))
    assert ok.status_code == 201 and ok.get_json()["infusion_id"] == str(mine.id)


def test_checkin_answer_marks_it_answered(client, world):
    pid = world.patient.principal.patient_id
    infusion = add_infusion(pid, world.clinic.id, ended_ago=timedelta(hours=3))
    checkin = Checkin(
        clinic_id=world.clinic.id,
        patient_id=pid,
        infusion_id=infusion.id,
        kind="2h",
        due_at=now_utc() - timedelta(hours=1),
        status="sent",
        sent_at=now_utc(),
        created_at=now_utc(),
    )
    other = Checkin(
        clinic_id=world.clinic.id,
        patient_id=world.other_patient.principal.patient_id,
        infusion_id=add_infusion(
            world.other_patient.principal.patient_id, world.clinic.id, ended_ago=timedelta(hours=3)
        ).id,
        kind="2h",
        due_at=now_utc(),
        status="sent",
        sent_at=now_utc(),
        created_at=now_utc(),
    )
    db.session.add_all([checkin, other])
    db.session.commit()
    assert post(client, world.patient, report_body(checkin_id=str(other.id))).status_code == 422
    assert post(client, world.patient, report_body(checkin_id=str(checkin.id))).status_code == 201
    db.session.expire_all()
    assert db.session.get(Checkin, checkin.id).status == "answered"
    assert db.session.get(Checkin, other.id).status == "sent"


# --- validation ---------------------------------------------------------------------------------------------


def _field_named(response, *path):
    body = response.get_json()
    assert response.status_code == 422, body
    assert body["code"] == 422
    node = body["errors"]["json"]
    for key in path:
        assert key in node, (path, body)
        node = node[key]
    return node


@pytest.mark.parametrize(
    "overrides, path",
    [
        ({"symptoms": [{"code": "zombie", "severity": 1}]}, ("symptoms", "0", "code")),
        ({"symptoms": [{"code": "nausea", "severity": 5}]}, ("symptoms", "0", "severity")),
        ({"symptoms": [{"code": "nausea", "severity": -1}]}, ("symptoms", "0", "severity")),
        ({"symptoms": [{"code": "nausea", "severity": 1.5}]}, ("symptoms", "0", "severity")),
        ({"symptoms": [{"code": "nausea", "severity": "2"}]}, ("symptoms", "0", "severity")),
        ({"symptoms": [{"code": "nausea", "severity": True}]}, ("symptoms", "0", "severity")),
        ({"symptoms": [{"code": "nausea", "severity": 10**40}]}, ("symptoms", "0", "severity")),
        ({"symptoms": [{"code": "nausea", "severity": 1}, {"code": "nausea", "severity": 2}]}, ("symptoms",)),
        ({"symptoms": [{"code": "other", "severity": 2}]}, ("symptoms", "0", "note")),
        ({"symptoms": [{"code": "other", "severity": 2, "note": "   "}]}, ("symptoms", "0", "note")),
        ({"symptoms": [{"code": "nausea", "severity": 1, "note": "x" * 2001}]}, ("symptoms", "0", "note")),
        ({"symptoms": [{"code": "nausea", "severity": 1, "colour": "green"}]}, ("symptoms", "0", "colour")),
        ({"observed_at": "2026-11-20T10:00:00"}, ("observed_at",)),
        ({"observed_at": "yesterday"}, ("observed_at",)),
        ({"mood": 11}, ("mood",)),
        ({"mood": -1}, ("mood",)),
        ({"phq9": [0] * 8}, ("phq9",)),
        ({"phq9": [0] * 10}, ("phq9",)),
        ({"phq9": [0, 0, 0, 0, 0, 0, 0, 0, 4]}, ("phq9", "8")),
        ({"vitals": {"systolic": 301, "diastolic": 80}}, ("vitals", "systolic")),
        ({"vitals": {"systolic": 49, "diastolic": 40}}, ("vitals", "systolic")),
        ({"vitals": {"systolic": 120, "diastolic": 201}}, ("vitals", "diastolic")),
        ({"vitals": {"systolic": 120, "diastolic": 29}}, ("vitals", "diastolic")),
        ({"vitals": {"systolic": 120, "diastolic": 120}}, ("vitals", "diastolic")),
        ({"vitals": {"systolic": 120}}, ("vitals", "diastolic")),
        ({"vitals": {"heart_rate": 19}}, ("vitals", "heart_rate")),
        ({"vitals": {"heart_rate": 251}}, ("vitals", "heart_rate")),
        ({"vitals": {}}, ("vitals",)),
        ({"note": "y" * 2001}, ("note",)),
        ({"suicidal_thoughts": "yes"}, ("suicidal_thoughts",)),
        ({"client_report_id": "not-a-uuid"}, ("client_report_id",)),
        ({"favourite_colour": "blue"}, ("favourite_colour",)),
        ({"amends": str(uuid.uuid4())}, ("amends",)),
        ({"infusion_id": str(uuid.uuid4())}, ("infusion_id",)),
        ({"checkin_id": str(uuid.uuid4())}, ("checkin_id",)),
    ],
)
def test_invalid_reports_name_the_field_and_store_nothing(client, world, overrides, path):
    response = post(client, world.patient, report_body(**overrides))
    _field_named(response, *path)
    assert count(Report) == 0 and count(ReportSymptom) == 0


def test_unknown_code_message_lists_valid_codes(client, world):
    response = post(client, world.patient, report_body(symptoms=[{"code": "zombie", "severity": 1}]))
    message = " ".join(_field_named(response, "symptoms", "0", "code"))
    assert all(code in message for code in CODES)


@pytest.mark.parametrize(
    "observed_at, ok",
    [
        (lambda now: now + timedelta(minutes=4), True),
        (lambda now: now + timedelta(minutes=6), False),
        (lambda now: now - timedelta(days=29, hours=23), True),
        (lambda now: now - timedelta(days=30, minutes=1), False),
    ],
)
def test_observed_at_window(client, world, observed_at, ok):
    response = post(client, world.patient, report_body(observed_at=iso(observed_at(now_utc()))))
    if ok:
        assert response.status_code == 201
    else:
        _field_named(response, "observed_at")


def test_offset_is_kept_as_the_same_instant(client, world):
    local = (now_utc() - timedelta(hours=1)).astimezone(UTC).replace(microsecond=0)
    body = report_body(observed_at=local.astimezone(__import__("zoneinfo").ZoneInfo("America/Denver")).isoformat())
    answer = post(client, world.patient, body).get_json()
    report = db.session.get(Report, uuid.UUID(answer["id"]))
    assert report.observed_at == local


def test_empty_report_is_refused(client, world):
    body = {"client_report_id": str(uuid.uuid4()), "observed_at": iso(now_utc())}
    _field_named(post(client, world.patient, body), "symptoms")


@pytest.mark.parametrize("raw", ['{"mood": NaN}', '{"mood": Infinity}', "{not json", "[" * 5000 + "]" * 5000])
def test_malformed_json_is_400(client, world, raw):
    response = client.post(
        "/api/v1/me/reports", data=raw, content_type="application/json", headers=world.patient.headers
    )
    assert response.status_code == 400
    assert response.get_json()["code"] == 400


def test_body_over_64k_is_413(client, world):
    body = report_body(note="z" * (70 * 1024))
    response = post(client, world.patient, body)
    assert response.status_code == 413
    assert response.get_json()["code"] == 413
    assert count(Report) == 0


# --- idempotency --------------------------------------------------------------------------------------------


def test_same_body_replays_with_200(client, world):
    body = report_body()
    first = post(client, world.patient, body)
    second = post(client, world.patient, dict(reversed(list(body.items()))))
    assert first.status_code == 201 and second.status_code == 200
    assert first.get_json() == second.get_json()
    assert count(Report) == 1


def test_same_id_different_body_is_409(client, world):
    body = report_body()
    assert post(client, world.patient, body).status_code == 201
    changed = {**body, "symptoms": [{"code": "nausea", "severity": 3}]}
    response = post(client, world.patient, changed)
    assert response.status_code == 409
    assert "client_report_id" in response.get_json()["errors"]["json"]
    assert count(Report) == 1


def test_client_ids_are_per_patient(client, world):
    body = report_body()
    assert post(client, world.patient, body).status_code == 201
    assert post(client, world.other_patient, body).status_code == 201
    assert count(Report) == 2


def test_eight_racing_identical_posts_store_one_row(app, world):
    body = report_body()
    answers = factories.at_once(
        app, lambda c: c.post("/api/v1/me/reports", json=body, headers=world.patient.headers), times=8
    )
    assert sorted(answer.status_code for answer in answers) == [200] * 7 + [201]
    assert len({answer.get_json().get("id") for answer in answers}) == 1
    assert count(Report) == 1 and count(ReportSymptom) == 2


# --- batch --------------------------------------------------------------------------------------------------


def test_batch_handles_each_item_on_its_own(client, world):
    stored = report_body()
    assert post(client, world.patient, stored).status_code == 201
    good = report_body()
    bad = report_body(symptoms=[{"code": "nausea", "severity": 9}])
    conflict = {**stored, "mood": 2}
    not_own = report_body(infusion_id=str(uuid.uuid4()))
    response = client.post(
        "/api/v1/me/reports/batch",
        headers=world.patient.headers,
        json={"reports": [good, bad, stored, conflict, not_own, "not an object", good]},
    )
    assert response.status_code == 200
    results = response.get_json()["results"]
    assert [r["status"] for r in results] == [201, 422, 200, 409, 422, 422, 200]
    assert results[0]["client_report_id"] == good["client_report_id"] and results[0]["id"]
    assert "severity" in results[1]["errors"]["symptoms"]["0"]
    assert results[2]["id"] == results[2]["id"] and "triage" in results[2]
    assert "client_report_id" in results[3]["errors"]
    assert "infusion_id" in results[4]["errors"]
    assert results[6]["id"] == results[0]["id"]
    assert count(Report) == 2


def test_batch_limits(client, world):
    too_many = {"reports": [report_body() for _ in range(101)]}
    response = client.post("/api/v1/me/reports/batch", headers=world.patient.headers, json=too_many)
    assert response.status_code == 422 and "reports" in response.get_json()["errors"]["json"]
    empty = client.post("/api/v1/me/reports/batch", headers=world.patient.headers, json={"reports": []})
    assert empty.status_code == 422
    assert count(Report) == 0


def test_full_batch_of_100_notes_fits(client, world):
    reports = [report_body(note="n" * 1500) for _ in range(100)]
    response = client.post("/api/v1/me/reports/batch", headers=world.patient.headers, json={"reports": reports})
    assert response.status_code == 200
    assert {r["status"] for r in response.get_json()["results"]} == {201}
    assert count(Report) == 100


# --- reads --------------------------------------------------------------------------------------------------


def test_own_reports_newest_first_with_chain(client, world):
    first = post(client, world.patient, report_body(observed_at=iso(now_utc() - timedelta(hours=3)))).get_json()
    fix = report_body(
        observed_at=iso(now_utc() - timedelta(hours=2)),
        amends=first["id"],
        symptoms=[{"code": "nausea", "severity": 1}],
    )
    second = post(client, world.patient, fix).get_json()
    post(client, world.other_patient, report_body())
    response = client.get("/api/v1/me/reports", headers=world.patient.headers)
    assert response.status_code == 200
    items = response.get_json()
    assert [r["id"] for r in items] == [second["id"], first["id"]]
    assert items[0]["amends"] == first["id"]
    assert items[1]["amended_by"] == [second["id"]]
    assert {s["code"] for s in items[1]["symptoms"]} == {"nausea", "dizziness"}
    one = client.get(f"/api/v1/me/reports/{first['id']}", headers=world.patient.headers)
    assert one.status_code == 200 and one.get_json()["amended_by"] == [second["id"]]


def test_amends_must_be_own_report(client, world):
    theirs = post(client, world.other_patient, report_body()).get_json()
    response = post(client, world.patient, report_body(amends=theirs["id"]))
    _field_named(response, "amends")


def test_clinician_reads_with_filters(client, world):
    pid = world.patient.principal.patient_id
    old = post(
        client,
        world.patient,
        report_body(observed_at=iso(now_utc() - timedelta(days=5)), symptoms=[{"code": "headache", "severity": 2}]),
    ).get_json()
    new = post(client, world.patient, report_body()).get_json()
    url = f"/api/v1/patients/{pid}/reports"
    everything = client.get(url, headers=world.nurse.headers)
    assert [r["id"] for r in everything.get_json()] == [new["id"], old["id"]]
    headache = client.get(url, query_string={"symptom": "headache"}, headers=world.nurse.headers).get_json()
    assert [r["id"] for r in headache] == [old["id"]]
    recent = client.get(
        url, query_string={"from": iso(now_utc() - timedelta(days=1))}, headers=world.nurse.headers
    ).get_json()
    assert [r["id"] for r in recent] == [new["id"]]
    bad = client.get(url, query_string={"symptom": "zombie"}, headers=world.nurse.headers)
    assert bad.status_code == 422 and "symptom" in bad.get_json()["errors"]["query"]
    single = client.get(f"/api/v1/reports/{new['id']}", headers=world.physician.headers)
    assert single.status_code == 200 and single.get_json()["patient_id"] == str(pid)


def test_cross_patient_and_cross_clinic_reads_are_404(client, world):
    mine = post(client, world.patient, report_body()).get_json()
    assert client.get(f"/api/v1/me/reports/{mine['id']}", headers=world.other_patient.headers).status_code == 404
    assert client.get(f"/api/v1/reports/{mine['id']}", headers=world.other_admin.headers).status_code == 404
    pid = world.patient.principal.patient_id
    response = client.get(f"/api/v1/patients/{pid}/reports", headers=world.other_admin.headers)
    assert response.status_code == 404
    assert str(pid) not in response.get_data(as_text=True)
    assert client.get(f"/api/v1/reports/{mine['id']}", headers=world.patient.headers).status_code == 403


def test_clinician_cannot_post_reports(client, world):
    assert client.post("/api/v1/me/reports", json=report_body(), headers=world.nurse.headers).status_code == 403
