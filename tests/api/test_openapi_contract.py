"""The OpenAPI document tells the truth: its declared statuses, bodies and headers checked against the live service.

Walks /api/v1/openapi.json operation by operation (real ids of one clinic's patient, flag, infusion and adverse
event filled in) and checks that a body that is not JSON answers 415, a required body that is missing answers 400,
If-Match is read (a weak ETag answers 412) exactly where it is declared, the headers declared on an answer are
sent in the form declared, and every status seen is one the operation lists.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta

import pytest

from service.clock import now_utc
from service.extensions import db
from service.models import Patient
from tests.api.ae_support import iso, record

STRONG_ETAG = re.compile(r'"[0-9]+"')
PAGINATION_FIELDS = {"total", "total_pages", "first_page", "last_page", "page", "previous_page", "next_page"}


def _document(client) -> dict:
    return client.get("/api/v1/openapi.json").get_json()


def _operations(document: dict):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method != "parameters":
                yield method.upper(), path, operation


@pytest.fixture()
def live(client, case):
    """The document, and each operation's URL with real ids of case.world's clinic."""
    world = case.world
    event = record(client, world.physician, patient_id=str(case.patient_id))
    ids = {
        "patient_id": case.patient_id,
        "flag_id": case.flag_id,
        "infusion_id": case.infusion_id,
        "report_id": case.report_id,
        "event_id": event["id"],
        "clinician_id": world.nurse.principal.id,
        "device_id": world.patient.principal.id,
        "notification_id": uuid.uuid4(),
    }
    document = _document(client)

    def url(path: str) -> str:
        for name, value in ids.items():
            path = path.replace("{" + name + "}", str(value))
        assert "{" not in path, f"no id for {path}"
        return path

    def caller(path: str) -> dict:
        return dict(world.patient.headers if path.startswith("/api/v1/me") else world.admin.headers)

    return document, url, caller


def _declared(operation: dict, status: int) -> bool:
    return str(status) in operation["responses"]


def _json_body(operation: dict) -> dict | None:
    body = operation.get("requestBody")
    return body if body and "application/json" in body["content"] else None


def test_a_body_that_is_not_json_is_a_415_where_the_document_says_so(client, live):
    document, url, caller = live
    checked = 0
    for method, path, operation in _operations(document):
        if not _json_body(operation):
            continue
        headers = {**caller(path), "Content-Type": "text/plain"}
        response = client.open(url(path), method=method, data='{"note": "hello"}', headers=headers)
        assert response.status_code == 415, (method, path, response.get_json())
        assert _declared(operation, 415), (method, path)
        assert response.get_json()["errors"]["json"], (method, path)
        db.session.rollback()
        checked += 1
    assert checked > 20


def test_a_missing_required_body_is_a_400_and_an_optional_one_may_be_left_out(client, live):
    document, url, caller = live
    required = optional = 0
    for method, path, operation in _operations(document):
        body = _json_body(operation)
        if not body or path == "/api/v1/auth/logout":  # logging out would end the shared session
            continue
        response = client.open(url(path), method=method, headers=caller(path))
        assert _declared(operation, response.status_code), (method, path, response.status_code)
        if body.get("required"):
            assert response.status_code == 400, (method, path, response.get_json())
            assert response.get_json()["errors"] == {"json": ["A JSON body is required."]}
            required += 1
        else:
            assert response.status_code not in (400, 415, 500), (method, path, response.get_json())
            optional += 1
        db.session.rollback()
    assert required > 15 and optional >= 2


def test_every_patch_and_put_body_is_marked_required(live):
    document, _, _ = live
    for method, path, operation in _operations(document):
        if method in ("PATCH", "PUT"):
            assert operation["requestBody"]["required"] is True, (method, path)


def _sample_body(method: str, path: str, case) -> dict:
    """A body the operation accepts for the If-Match check (it is refused before it is read)."""
    if path.endswith("/resolve"):
        return {"resolution": "contacted_patient", "note": "Called the patient."}
    if path.endswith("/assign"):
        return {"clinician_id": str(case.world.nurse.principal.id)}
    if path.endswith("/notes"):
        return {"text": "A note."}
    return {}


def test_if_match_is_declared_exactly_where_it_is_read(client, live, case):
    """A weak ETag never matches: a 412 on each operation that declares If-Match, and no 412 elsewhere."""
    document, url, caller = live
    reading = []
    for method, path, operation in _operations(document):
        if method == "GET" or path == "/api/v1/auth/logout":
            continue
        declared = any(p["in"] == "header" and p["name"] == "If-Match" for p in operation.get("parameters", []))
        headers = {**caller(path), "If-Match": 'W/"1"'}
        kwargs = {"json": _sample_body(method, path, case)} if _json_body(operation) else {}
        response = client.open(url(path), method=method, headers=headers, **kwargs)
        db.session.rollback()
        if declared:
            assert response.status_code == 412, (method, path, response.get_json())
            assert _declared(operation, 412)
            assert response.get_json()["errors"] == {"headers": {"If-Match": [response.get_json()["message"]]}}
            assert "weak" in response.get_json()["message"]
            reading.append(f"{method} {path}")
        else:
            assert response.status_code != 412, (method, path)
    assert sorted(reading) == sorted(
        [
            "PATCH /api/v1/adverse-events/{event_id}",
            "PATCH /api/v1/infusions/{infusion_id}",
            *(
                f"POST /api/v1/flags/{{flag_id}}/{action}"
                for action in ("acknowledge", "resolve", "assign", "escalate")
            ),
        ]
    )


def test_declared_response_headers_are_sent_as_declared(client, live):
    """Each GET without required query arguments: its ETag is a strong one and X-Pagination is JSON text."""
    document, url, caller = live
    seen = set()
    for method, path, operation in _operations(document):
        if method != "GET" or any(p.get("required") and p["in"] == "query" for p in operation.get("parameters", [])):
            continue
        response = client.get(url(path), headers=caller(path))
        assert _declared(operation, response.status_code), (path, response.status_code)
        if response.status_code != 200:
            continue
        declared = operation["responses"]["200"].get("headers", {})
        for name, header in declared.items():
            if name == "X-Next-Cursor":  # absent on the last page, as documented
                continue
            assert name in response.headers, (path, name)
            assert header["schema"]["type"] == "string", (path, name)
            seen.add(name)
        if "ETag" in declared:
            assert STRONG_ETAG.fullmatch(response.headers["ETag"]), (path, response.headers["ETag"])
            assert response.headers["ETag"] == f'"{response.get_json()["version"]}"', path
        if "X-Pagination" in declared:
            metadata = json.loads(response.headers["X-Pagination"])
            assert isinstance(metadata["total"], int), path
            assert metadata.get("page", 1) == 1 and set(metadata) <= PAGINATION_FIELDS, path
        else:
            assert "X-Pagination" not in response.headers, path
        assert "ETag" in declared or "ETag" not in response.headers, path
    assert {"ETag", "X-Pagination"} <= seen


def test_a_discharged_patients_enrollment_code_is_a_declared_422(client, live, case):
    document, _, _ = live
    world = case.world
    patient = db.session.get(Patient, case.patient_id)
    changed = client.patch(f"/api/v1/patients/{patient.id}", json={"status": "discharged"}, headers=world.admin.headers)
    assert changed.status_code == 200, changed.get_json()
    response = client.post(f"/api/v1/patients/{patient.id}/enrollment-codes", headers=world.admin.headers)
    assert response.status_code == 422
    assert "status" in response.get_json()["errors"]["json"]
    assert _declared(document["paths"]["/api/v1/patients/{patient_id}/enrollment-codes"]["post"], 422)


def test_an_infusion_sends_its_etag_and_a_correction_honours_if_match(client, case):
    world = case.world
    url = f"/api/v1/infusions/{case.infusion_id}"
    shown = client.get(url, headers=world.nurse.headers)
    assert shown.status_code == 200 and shown.headers["ETag"] == '"1"' and shown.get_json()["version"] == 1
    later_end = iso(case.infusion_ended_at + timedelta(minutes=5))

    stale = client.patch(url, json={"notes": "stale"}, headers={**world.nurse.headers, "If-Match": '"7"'})
    assert stale.status_code == 412 and "changed" in stale.get_json()["message"]
    weak = client.patch(url, json={"notes": "weak"}, headers={**world.nurse.headers, "If-Match": 'W/"1"'})
    assert weak.status_code == 412 and weak.get_json()["errors"]["headers"]["If-Match"]

    fresh = client.patch(url, json={"ended_at": later_end}, headers={**world.nurse.headers, "If-Match": '"1"'})
    assert fresh.status_code == 200, fresh.get_json()
    assert fresh.headers["ETag"] == '"2"' and fresh.get_json()["version"] == 2
    again = client.patch(url, json={"notes": "lost update"}, headers={**world.nurse.headers, "If-Match": '"1"'})
    assert again.status_code == 412
    db.session.expire_all()
    shown = client.get(url, headers=world.nurse.headers).get_json()
    assert shown["notes"] is None and shown["version"] == 2

    # Without If-Match the correction applies to the current version (as flags and adverse events do).
    unguarded = client.patch(url, json={"notes": "Checked the pump log."}, headers=world.nurse.headers)
    assert unguarded.status_code == 200 and unguarded.headers["ETag"] == '"3"'
    assert now_utc() > case.infusion_ended_at
