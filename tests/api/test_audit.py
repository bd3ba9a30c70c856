"""The audit trail: one entry per staff access to patient data, written with what the request did, searchable
by a clinic's admins (and never by another clinic's), and append-only."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError

from service.clock import now_utc
from service.domain.audit import record_access
from service.extensions import db
from service.models import AuditEntry, Flag, Report
from tests.api.ae_support import EVENTS, record
from tests.dbutil import configured_database_url
from tests.factories import clinic_day

AUDIT = "/api/v1/audit"


def entries() -> list[AuditEntry]:
    db.session.rollback()
    rows = list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    db.session.rollback()
    return rows


def last_entry() -> AuditEntry:
    return entries()[-1]


def test_reading_a_patient_appends_who_what_when_and_from_where(client, world):
    patient_id = world.patient.principal.patient_id
    before = now_utc()
    response = client.get(
        f"/api/v1/patients/{patient_id}", headers={**world.nurse.headers, "X-Request-ID": "trace-0042"}
    )
    assert response.status_code == 200
    (entry,) = entries()
    assert entry.clinic_id == world.clinic.id
    assert entry.actor_id == world.nurse.principal.id and entry.actor_role == "nurse"
    assert entry.action == "read" and entry.method == "GET"
    assert entry.resource_type == "patient" and entry.resource_id == str(patient_id)
    assert entry.patient_id == patient_id
    assert entry.ip == "127.0.0.1"
    assert entry.request_id == "trace-0042" == response.headers["X-Request-ID"]
    assert entry.endpoint == "/api/v1/patients/<uuid:patient_id>"
    assert before - timedelta(seconds=1) <= entry.at <= now_utc() + timedelta(seconds=1)


def test_each_kind_of_access_is_audited(client, case):
    world = case.world
    nurse, admin = world.nurse, world.admin
    patient_id = case.patient_id
    flag_url = f"/api/v1/flags/{case.flag_id}"
    event = record(client, nurse, flag_id=str(case.flag_id))
    today = clinic_day().isoformat()
    calls = [
        ("GET", "/api/v1/patients", nurse, None, ("read", "patient", None, None)),
        (
            "PATCH",
            f"/api/v1/patients/{patient_id}",
            nurse,
            {"phone": "+1 303 555 0100"},
            ("write", "patient", str(patient_id), patient_id),
        ),
        ("GET", f"/api/v1/patients/{patient_id}/reports", nurse, None, ("read", "report", None, patient_id)),
        ("GET", f"/api/v1/reports/{case.report_id}", nurse, None, ("read", "report", str(case.report_id), patient_id)),
        ("GET", f"/api/v1/flags?patient_id={patient_id}", nurse, None, ("read", "flag", None, patient_id)),
        ("GET", flag_url, nurse, None, ("read", "flag", str(case.flag_id), patient_id)),
        ("POST", f"{flag_url}/acknowledge", nurse, {}, ("write", "flag", str(case.flag_id), patient_id)),
        ("GET", f"{EVENTS}/{event['id']}", nurse, None, ("read", "adverse_event", event["id"], patient_id)),
        ("PATCH", f"{EVENTS}/{event['id']}", nurse, {"grade": 3}, ("write", "adverse_event", event["id"], patient_id)),
        ("GET", f"{EVENTS}/{event['id']}/history", nurse, None, ("read", "adverse_event", event["id"], patient_id)),
        ("GET", f"{EVENTS}/{event['id']}/fhir", nurse, None, ("export", "adverse_event", event["id"], patient_id)),
        ("GET", f"{EXPORT}?from={today}&to={today}", admin, None, ("export", "adverse_event", None, None)),
        (
            "GET",
            f"/api/v1/infusions/{case.infusion_id}",
            nurse,
            None,
            ("read", "infusion", str(case.infusion_id), patient_id),
        ),
    ]
    for method, url, caller, payload, expected in calls:
        count_before = len(entries())
        response = client.open(url, method=method, headers=caller.headers, json=payload)
        assert response.status_code < 300, (url, response.get_data(as_text=True))
        new = entries()[count_before:]
        assert len(new) == 1, (url, new)
        entry = new[0]
        assert (entry.action, entry.resource_type, entry.resource_id, entry.patient_id) == expected, url
        assert entry.actor_id == caller.principal.id and entry.request_id == response.headers["X-Request-ID"]


EXPORT = f"{EVENTS}/export.csv"


def test_a_created_resource_is_named_in_its_entry(client, case):
    world = case.world
    created = record(client, world.nurse, patient_id=str(case.patient_id))
    entry = last_entry()
    assert (entry.action, entry.resource_type, entry.resource_id) == ("write", "adverse_event", created["id"])
    assert entry.patient_id == case.patient_id

    infusion = client.post(
        f"/api/v1/patients/{case.patient_id}/infusions",
        json={"started_at": (now_utc() - timedelta(days=1)).isoformat(), "route": "iv", "phase": "induction"},
        headers=world.physician.headers,
    ).get_json()
    entry = last_entry()
    assert (entry.resource_type, entry.resource_id, entry.patient_id) == ("infusion", infusion["id"], case.patient_id)

    patient = client.post(
        "/api/v1/patients",
        json={"display_name": "New Person", "date_of_birth": "1990-01-01"},
        headers=world.admin.headers,
    ).get_json()
    entry = last_entry()
    assert (entry.resource_type, entry.resource_id, entry.patient_id) == (
        "patient",
        patient["id"],
        uuid.UUID(patient["id"]),
    )


def test_the_entry_lands_in_the_same_commit_as_the_write(client, case, monkeypatch):
    """A write whose commit fails leaves neither the change nor an audit entry."""
    created = record(client, case.world.nurse, patient_id=str(case.patient_id))
    before = len(entries())
    from service.api import audit_trail

    def broken_write(session, draft):
        raise RuntimeError("the audit store is down")

    monkeypatch.setattr(audit_trail, "_write", broken_write)
    client.application.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        response = client.patch(f"{EVENTS}/{created['id']}", json={"grade": 3}, headers=case.world.nurse.headers)
    finally:
        client.application.config["PROPAGATE_EXCEPTIONS"] = None
        monkeypatch.undo()
    assert response.status_code == 500
    assert len(entries()) == before
    assert client.get(f"{EVENTS}/{created['id']}", headers=case.world.nurse.headers).get_json()["grade"] == 2


def test_refused_and_failed_requests_and_patients_own_reads_leave_no_entry(client, world):
    patient_id = world.patient.principal.patient_id
    assert client.get(f"/api/v1/patients/{uuid.uuid4()}", headers=world.nurse.headers).status_code == 404
    assert client.get(f"/api/v1/patients/{patient_id}", headers=world.other_admin.headers).status_code == 404
    assert client.get(f"/api/v1/patients/{patient_id}", headers=world.patient.headers).status_code == 403
    assert client.get(f"/api/v1/patients/{patient_id}").status_code == 401
    assert (
        client.patch(
            f"/api/v1/patients/{patient_id}", json={"time_zone": "Mars/Olympus"}, headers=world.nurse.headers
        ).status_code
        == 422
    )
    assert client.get("/api/v1/me", headers=world.patient.headers).status_code == 200
    assert client.get("/api/v1/me/reports", headers=world.patient.headers).status_code == 200
    assert entries() == []


def test_admin_searches_by_actor_patient_resource_and_dates_with_paging(client, case):
    world = case.world
    other_patient_id = world.other_patient.principal.patient_id
    client.get(f"/api/v1/patients/{case.patient_id}", headers=world.nurse.headers)
    client.get(f"/api/v1/patients/{case.patient_id}", headers=world.physician.headers)
    client.get(f"/api/v1/patients/{other_patient_id}", headers=world.nurse.headers)
    client.get(f"/api/v1/reports/{case.report_id}", headers=world.physician.headers)

    def search(query: str) -> list[dict]:
        """The entries found, less those of the admin's own searches (reading the trail is audited too)."""
        response = client.get(f"{AUDIT}{query}", headers=world.admin.headers)
        assert response.status_code == 200, response.get_json()
        return [e for e in response.get_json() if e["resource_type"] != "audit"]

    who = search(f"?patient_id={case.patient_id}")
    physician, nurse = str(world.physician.principal.id), str(world.nurse.principal.id)
    assert [(e["actor_id"], e["action"], e["resource_type"]) for e in who] == [
        (physician, "read", "report"),
        (physician, "read", "patient"),
        (nurse, "read", "patient"),
        (nurse, "write", "infusion"),  # the case fixture recorded the infusion (the phone's report is not staff's)
    ]  # newest first
    assert all(e["patient_id"] == str(case.patient_id) for e in who)
    nurse_only = search(f"?actor_id={world.nurse.principal.id}")
    assert {e["actor_id"] for e in nurse_only} == {str(world.nurse.principal.id)}
    assert str(other_patient_id) in {e["patient_id"] for e in nurse_only}
    reports = search(f"?resource_type=report&resource_id={case.report_id}")
    assert len(reports) == 1 and reports[0]["actor_role"] == "physician"
    today = clinic_day()
    assert (
        search(f"?patient_id={case.patient_id}&from={(today - timedelta(days=7)).isoformat()}&to={today.isoformat()}")
        == who
    )
    assert search(f"?patient_id={case.patient_id}&from=2020-01-01&to=2020-01-07") == []
    assert search("?action=write")  # the case's infusion
    paged = client.get(f"{AUDIT}?page=1&page_size=2", headers=world.admin.headers)
    assert len(paged.get_json()) == 2
    assert json.loads(paged.headers["X-Pagination"])["total"] >= 5
    searches = [e for e in paged.get_json() if e["resource_type"] == "audit"]
    assert searches and searches[0]["actor_id"] == str(world.admin.principal.id)
    for entry in search(""):
        assert set(entry) == {
            "id",
            "at",
            "clinic_id",
            "actor_id",
            "actor_role",
            "action",
            "resource_type",
            "resource_id",
            "patient_id",
            "method",
            "endpoint",
            "ip",
            "request_id",
        }


def test_another_clinics_admin_sees_none_of_this_clinics_entries(client, case):
    world = case.world
    record(client, world.nurse, patient_id=str(case.patient_id))
    client.get(f"/api/v1/patients/{case.patient_id}", headers=world.admin.headers)
    client.get("/api/v1/patients", headers=world.other_admin.headers)  # clinic B's own access
    response = client.get(AUDIT, headers=world.other_admin.headers)
    assert response.status_code == 200
    seen = response.get_json()
    assert seen and {e["clinic_id"] for e in seen} == {str(world.other_clinic.id)}
    text_seen = response.get_data(as_text=True)
    for value in (str(case.patient_id), str(world.nurse.principal.id), str(world.clinic.id)):
        assert value not in text_seen
    assert client.get(f"{AUDIT}?patient_id={case.patient_id}", headers=world.other_admin.headers).get_json() == []
    assert (
        client.get(f"{AUDIT}?actor_id={world.nurse.principal.id}", headers=world.other_admin.headers).get_json() == []
    )


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?actor_id=me", "actor_id"),
        ("?from=last-week", "from"),
        ("?action=delete", "action"),
        ("?page_size=0", "page_size"),
    ],
)
def test_bad_audit_search_is_named(client, world, query, field):
    response = client.get(f"{AUDIT}{query}", headers=world.admin.headers)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["query"]


def test_entries_hold_ids_not_health_details(client, case):
    narrative = "Vomited twice in the car park; wife drove her home."
    record(client, case.world.nurse, flag_id=str(case.flag_id), narrative=narrative)
    client.get(f"/api/v1/reports/{case.report_id}", headers=case.world.nurse.headers)
    dump = client.get(AUDIT, headers=case.world.admin.headers).get_data(as_text=True)
    for detail in (narrative, "Nausea", "Pat North", "nausea"):
        assert detail not in dump


def test_the_app_has_no_way_to_change_or_remove_entries(client, world):
    client.get("/api/v1/patients", headers=world.nurse.headers)
    for method in ("PUT", "PATCH", "DELETE"):
        assert client.open(AUDIT, method=method, headers=world.admin.headers).status_code == 405
    assert entries()


@pytest.mark.skipif(not configured_database_url().startswith("postgresql"), reason="the trigger is PostgreSQL's")
def test_postgresql_refuses_update_and_delete_of_entries(app, world):
    entry_id = record_access(
        db.session,
        clinic_id=world.clinic.id,
        actor_id=world.nurse.principal.id,
        actor_role="nurse",
        action="read",
        resource_type="patient",
        now=now_utc(),
    )
    db.session.commit()
    for statement in (
        update(AuditEntry).where(AuditEntry.id == entry_id).values(resource_type="nothing"),
        text("DELETE FROM audit_log"),
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(statement)
        db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 1


def test_record_access_is_there_for_other_callers(app, world):
    """The web console and scripts append entries the same way the API does."""
    report_id = uuid.uuid4()
    entry_id = record_access(
        db.session,
        clinic_id=world.clinic.id,
        actor_id=world.admin.principal.id,
        actor_role="admin",
        action="export",
        resource_type="report",
        resource_id=report_id,
        patient_id=world.patient.principal.patient_id,
        ip="10.0.0.7",
        request_id="console-1",
        now=now_utc(),
    )
    db.session.commit()
    (stored,) = entries()
    assert stored.id == entry_id and stored.resource_id == str(report_id) and stored.action == "export"
    assert db.session.scalar(select(func.count()).select_from(Flag)) == 0  # nothing else was written
    assert db.session.scalar(select(func.count()).select_from(Report)) == 0
