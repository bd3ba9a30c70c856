"""Request ids on every response and JSON-lines logs that carry them (and never SQL parameters)."""

from __future__ import annotations

import io
import json
import logging
import re

import pytest
from sqlalchemy.exc import IntegrityError

from service import create_app
from service.extensions import db
from service.models import Clinician
from service.observability import REQUEST_ID_HEADER, json_handler, scrub

GENERATED = re.compile(r"[0-9a-f]{32}")


@pytest.fixture()
def log_lines():
    """JSON lines the app logs while the test runs, parsed."""
    stream = io.StringIO()
    handler = json_handler(stream=stream)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    finally:
        root.removeHandler(handler)


@pytest.mark.parametrize(
    ("method", "url", "status"),
    [
        ("GET", "/healthz", 200),
        ("GET", "/api/v1/openapi.json", 200),
        ("GET", "/api/v1/patients", 401),
        ("GET", "/api/v1/no-such-thing", 404),
        ("DELETE", "/api/v1/symptoms", 405),
        ("POST", "/api/v1/auth/login", 422),
    ],
)
def test_every_response_carries_a_request_id(client, method, url, status):
    response = client.open(url, method=method, json={} if method == "POST" else None)
    assert response.status_code == status
    assert GENERATED.fullmatch(response.headers[REQUEST_ID_HEADER])


def test_each_request_gets_its_own_id(client):
    ids = {client.get("/healthz").headers[REQUEST_ID_HEADER] for _ in range(5)}
    assert len(ids) == 5


@pytest.mark.parametrize("given", ["abc-123_DEF.9", "a", "x" * 64, "0f8e1c4e-8c1e-4b8e-9d2a-1f2e3d4c5b6a"])
def test_a_well_formed_caller_id_is_kept(client, world, given):
    response = client.get("/api/v1/patients", headers={**world.nurse.headers, REQUEST_ID_HEADER: given})
    assert response.status_code == 200
    assert response.headers[REQUEST_ID_HEADER] == given


@pytest.mark.parametrize("given", ["x" * 65, "has space", "<script>", "semi;colon", "émile", ""])
def test_a_malformed_caller_id_is_replaced(client, given):
    response = client.get("/healthz", headers={REQUEST_ID_HEADER: given})
    assert GENERATED.fullmatch(response.headers[REQUEST_ID_HEADER])


def test_logs_are_json_lines_carrying_the_request_id(client, world, log_lines):
    response = client.get(
        f"/api/v1/patients/{world.patient.principal.patient_id}",
        headers={**world.nurse.headers, REQUEST_ID_HEADER: "trace-7"},
    )
    assert response.status_code == 200
    (line,) = [entry for entry in log_lines() if entry["logger"] == "service.request"]
    assert line["request_id"] == "trace-7"
    assert line["method"] == "GET" and line["status"] == 200
    assert line["route"] == "/api/v1/patients/<uuid:patient_id>"  # the rule, never the concrete path
    assert line["principal"] == "clinician" and line["actor_id"] == str(world.nurse.principal.id)
    assert line["level"] == "INFO" and line["ts"].endswith("+00:00")
    assert str(world.patient.principal.patient_id) not in json.dumps(line)


def test_an_unhandled_error_is_logged_as_one_json_line_with_its_request_id(tmp_path, log_lines):
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3"})
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/explode")
    def explode():
        raise RuntimeError("boom")

    response = app.test_client().get("/explode", headers={REQUEST_ID_HEADER: "boom-1"})
    assert response.status_code == 500 and response.headers[REQUEST_ID_HEADER] == "boom-1"
    errors = [entry for entry in log_lines() if entry["level"] == "ERROR"]
    assert errors and errors[0]["request_id"] == "boom-1"
    assert "RuntimeError: boom" in errors[0]["exception"]
    with app.app_context():
        db.engine.dispose()


def test_database_errors_are_logged_without_the_values_of_the_statement(app, world, log_lines):
    """hide_parameters keeps SQL parameters out of an error's text; the formatter cuts PostgreSQL's DETAIL
    (which quotes the conflicting key), so the logged error never holds the row's data."""
    secret_note = "Patient disclosed relapse to her sister"
    duplicate = Clinician(
        clinic_id=world.clinic.id,
        email=world.nurse.principal.email,  # taken: the INSERT fails
        name=secret_note,
        role="nurse",
        password_hash="x",
        created_at=world.clinic.created_at,
        updated_at=world.clinic.created_at,
    )
    db.session.add(duplicate)
    with pytest.raises(IntegrityError) as caught:
        db.session.flush()
    db.session.rollback()
    assert secret_note not in str(caught.value)
    assert "hidden" in str(caught.value)
    try:
        raise caught.value
    except IntegrityError:
        logging.getLogger("service.test").exception("Could not store a clinician")
    (line,) = [entry for entry in log_lines() if entry["logger"] == "service.test"]
    logged = json.dumps(line)
    assert "IntegrityError" in line["exception"] and "hidden" in line["exception"]
    assert secret_note not in logged
    assert world.nurse.principal.email not in logged


def test_scrub_cuts_the_detail_of_a_postgresql_error():
    text = (
        'duplicate key value violates unique constraint "uq_patients_clinic_mrn"\n'
        "DETAIL:  Key (clinic_id, mrn)=(1, MRN-9) already exists.\n"
        "[SQL: INSERT]"
    )
    cleaned = scrub(text)
    assert "MRN-9" not in cleaned and "uq_patients_clinic_mrn" in cleaned and "[SQL: INSERT]" in cleaned
