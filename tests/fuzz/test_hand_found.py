"""Inputs found by hand that the schema fuzzer never generates: each answers a 4xx naming what was wrong.

Oversized JSON integers (Python refuses to read integers of 4,301+ digits), versions out of any
column's range in If-Match or the console's version field, and odd values of every header the
service reads. None of them may answer a 5xx or log a traceback.
"""

from __future__ import annotations

import logging
import uuid

import pytest
import schemathesis

from tests.api.ae_support import record
from tests.api.conftest import case  # noqa: F401  (the fixture)
from tests.web.conftest import post, signed_in

HUGE = "1" * 4301  # one digit past Python's integer-string limit
BIG_VERSIONS = ['"2147483648"', '"' + "9" * 40 + '"', '"' + "9" * 5000 + '"', "2147483648", '"9223372036854775808"']


@pytest.fixture()
def tracebacks(caplog):
    """The log records that carry an exception (a 500 logs one)."""
    caplog.set_level(logging.INFO)
    yield lambda: [record for record in caplog.records if record.exc_info]


def raw_json(client, method: str, url: str, text: str, headers: dict | None = None):
    return client.open(url, method=method, data=text, headers={"Content-Type": "application/json", **(headers or {})})


def assert_names(response, status: int, *needles: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    payload = response.get_json()
    text = str(payload)
    for needle in needles:
        assert needle in text, f"{needle!r} not in {text[:500]}"
    return payload


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/api/v1/auth/login", f'{{"email":"a@b.test","password":"x","z":{HUGE}}}'),
        ("/api/v1/auth/login", f'{{"email":"a@b.test","password":{HUGE}}}'),
        ("/api/v1/auth/enroll", f'{{"code":"ABCD-EFGH","device_name":"Phone","z":{HUGE}}}'),
        ("/api/v1/auth/refresh", f'{{"refresh_token":{HUGE}}}'),
        ("/api/v1/auth/login", "[{}]".format(",".join([HUGE] * 3))),
    ],
)
def test_oversized_integers_on_anonymous_endpoints_are_a_400(client, tracebacks, url, body):
    payload = assert_names(raw_json(client, "POST", url, body), 400, "json", "digits")
    assert "4300" in payload["message"] or "4,300" in payload["message"]
    assert not tracebacks()


def test_oversized_mood_on_a_report_is_a_400(client, world, tracebacks):
    body = (
        f'{{"client_report_id":"{uuid.uuid4()}","observed_at":"2026-12-01T10:00:00+00:00","symptoms":[],"mood":{HUGE}}}'
    )
    assert_names(raw_json(client, "POST", "/api/v1/me/reports", body, world.patient.headers), 400, "json", "digits")
    assert not tracebacks()


def test_the_largest_readable_integer_is_a_422_naming_the_field(client, world, tracebacks):
    body = '{{"client_report_id":"{}","observed_at":"2026-12-01T10:00:00+00:00","symptoms":[],"mood":{}}}'.format(
        uuid.uuid4(), "1" * 4300
    )
    response = raw_json(client, "POST", "/api/v1/me/reports", body, world.patient.headers)
    assert_names(response, 422, "mood")
    assert not tracebacks()


def _json_body_operations(app):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    for result in schema.get_all_operations():
        operation = result.ok()
        content = (operation.definition.raw.get("requestBody") or {}).get("content", {})
        if "application/json" in content:
            yield operation


def test_every_json_body_refuses_an_oversized_integer_with_a_4xx(app, client, world, tracebacks):
    """Each operation with a JSON body, every property set to a 4,301-digit integer in turn."""
    seen = 0
    for operation in _json_body_operations(app):
        url = operation.path
        for name in ("patient_id", "flag_id", "event_id", "infusion_id", "report_id", "clinician_id", "device_id"):
            url = url.replace("{" + name + "}", str(uuid.uuid4()))
        headers = world.patient.headers if url.startswith("/api/v1/me") else world.admin.headers
        response = raw_json(client, operation.method.upper(), url, f'{{"any":{HUGE}}}', headers)
        assert response.status_code in (400, 404), (operation.label, response.status_code)
        if response.status_code == 400:
            assert "digits" in response.get_json()["message"], operation.label
        seen += 1
    assert seen > 10
    assert not tracebacks()


@pytest.mark.parametrize("action", ["acknowledge", "resolve", "assign", "escalate"])
@pytest.mark.parametrize("if_match", BIG_VERSIONS)
def test_flag_versions_out_of_range_are_a_412_naming_if_match(client, case, tracebacks, action, if_match):  # noqa: F811
    world = case.world
    body = {
        "acknowledge": {},
        "resolve": {"resolution": "contacted_patient", "note": "Called the patient."},
        "assign": {"clinician_id": str(world.nurse.principal.id)},
        "escalate": {},
    }[action]
    response = client.post(
        f"/api/v1/flags/{case.flag_id}/{action}", json=body, headers={**world.nurse.headers, "If-Match": if_match}
    )
    assert_names(response, 412, "If-Match")
    assert not tracebacks()


@pytest.mark.parametrize("if_match", BIG_VERSIONS)
def test_adverse_event_versions_out_of_range_are_a_412_naming_if_match(client, case, tracebacks, if_match):  # noqa: F811
    world = case.world
    event = record(client, world.physician, patient_id=str(case.patient_id))
    response = client.patch(
        f"/api/v1/adverse-events/{event['id']}",
        json={"outcome": "recovered"},
        headers={**world.physician.headers, "If-Match": if_match},
    )
    assert_names(response, 412, "If-Match")
    assert not tracebacks()


@pytest.mark.parametrize("version", ["2147483648", "9" * 40, "9" * 5000, "²", "\u0661\u0662", "-1", " 1 2 "])
def test_console_version_out_of_range_is_a_4xx_naming_the_version(app, case, tracebacks, version):  # noqa: F811
    console = signed_in(app, case.world.nurse.principal)
    response = post(console, f"/console/flags/{case.flag_id}/acknowledge", {"version": version})
    assert response.status_code in (409, 412, 422), response.status_code
    assert "version" in response.get_data(as_text=True).lower() or "reload" in response.get_data(as_text=True).lower()
    assert not tracebacks()


@pytest.mark.parametrize(
    "if_match",
    ['"\u0661"', '"²"', 'W/"1"', '"1", "2"', '""', '"1', '"0x1"', '" 1"', "\u00e9", '"1" ' * 2000],
)
def test_odd_if_match_headers_are_a_412_naming_if_match(client, case, tracebacks, if_match):  # noqa: F811
    world = case.world
    response = client.post(
        f"/api/v1/flags/{case.flag_id}/acknowledge", json={}, headers={**world.nurse.headers, "If-Match": if_match}
    )
    assert_names(response, 412, "If-Match")
    assert not tracebacks()


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer " + "a" * 20000,
        "Bearer " + HUGE,
        "Bearer \u00e9\u00e9",
        "Bearer a.b.c",
        "Basic Zm9vOmJhcg==",
        "Bearer",
        "é",
    ],
)
def test_odd_authorization_headers_are_a_401(client, tracebacks, authorization):
    response = client.get("/api/v1/patients", headers={"Authorization": authorization.encode().decode("latin-1")})
    assert_names(response, 401)
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert not tracebacks()


@pytest.mark.parametrize("request_id", ["x" * 10000, "\u00e9" * 20, "a\tb", "", "1" * 4301, "../../etc"])
def test_odd_request_ids_are_replaced_not_refused(client, tracebacks, request_id):
    response = client.get("/healthz", headers={"X-Request-Id": request_id.encode().decode("latin-1")})
    assert response.status_code == 200
    answered = response.headers["X-Request-Id"]
    assert answered and len(answered) <= 128
    assert not tracebacks()


def test_if_match_star_asks_only_that_the_flag_exists(client, case):  # noqa: F811
    world = case.world
    response = client.post(
        f"/api/v1/flags/{case.flag_id}/acknowledge", json={}, headers={**world.nurse.headers, "If-Match": "*"}
    )
    assert response.status_code == 200, response.get_json()
