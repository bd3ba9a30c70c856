"""Bad input: every 422 names the field, nothing partial is stored, and every error has one JSON shape.

Error shape (flask-smorest's, used for domain errors too)::

    {"code": 422, "status": "Unprocessable Entity", "message": "...", "errors": {"json": {"field": ["reason"]}}}
"""

from __future__ import annotations

import json
import math
import uuid
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from service.clock import now_utc
from service.extensions import db
from service.models import AuthFailure, Clinician, Infusion, Patient, Report

PATIENTS = "/api/v1/patients"
CLINICIANS = "/api/v1/clinicians"
LOGIN = "/api/v1/auth/login"


def count(model) -> int:
    db.session.rollback()
    n = db.session.scalar(select(func.count()).select_from(model))
    db.session.rollback()
    return n


def assert_error_shape(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    payload = response.get_json()
    assert payload["code"] == status
    assert isinstance(payload["status"], str) and payload["status"]
    assert isinstance(payload["message"], str) and payload["message"]
    return payload


def assert_422(response, field: str, location: str = "json") -> dict:
    """A 422 in the one shape whose errors name the field (with at least one reason)."""
    payload = assert_error_shape(response, 422)
    assert payload["status"] == "Unprocessable Entity"
    errors = payload["errors"][location]
    assert field in errors, f"{field!r} not named in {errors!r}"
    reasons = errors[field]
    assert reasons, "the field is named without a reason"
    return payload


def years_ago(years: int, *, days: int = 0) -> date:
    today = now_utc().date()
    try:
        day = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        day = today.replace(year=today.year - years, day=28)
    return day + timedelta(days=days)


def future_day(days: int) -> date:
    return now_utc().date() + timedelta(days=days)


def valid_patient(**changes) -> dict:
    body = {"display_name": "Riley Q.", "date_of_birth": "1988-02-03", "time_zone": "America/Denver"}
    body.update(changes)
    return body


def valid_infusion(**changes) -> dict:
    started = now_utc() - timedelta(days=1)
    body = {
        "started_at": started.isoformat(),
        "ended_at": (started + timedelta(minutes=50)).isoformat(),
        "route": "iv",
        "phase": "induction",
    }
    body.update(changes)
    return body


@pytest.fixture()
def patient_id(world):
    return world.patient.principal.patient_id


# --- patients ---------------------------------------------------------------------------------


def test_valid_patient_is_created(client, world):
    """The baseline every 422 case below differs from by one field."""
    before = count(Patient)
    response = client.post(PATIENTS, json=valid_patient(), headers=world.nurse.headers)
    assert response.status_code == 201
    assert count(Patient) == before + 1


def test_patient_turning_18_today_is_accepted(client, world):
    response = client.post(
        PATIENTS, json=valid_patient(date_of_birth=years_ago(18).isoformat()), headers=world.nurse.headers
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("case", "changes", "field"),
    [
        # Dates relative to today are made when the test runs (lambda): made at collection, "one day short"
        # turns 18 when a long run crosses midnight.
        ("under 18 (one day short)", lambda: {"date_of_birth": years_ago(18, days=1).isoformat()}, "date_of_birth"),
        ("under 18 (a child)", lambda: {"date_of_birth": years_ago(9).isoformat()}, "date_of_birth"),
        ("born in the future", lambda: {"date_of_birth": future_day(30).isoformat()}, "date_of_birth"),
        ("date of birth not a date", {"date_of_birth": "yesterday"}, "date_of_birth"),
        ("date of birth as a number", {"date_of_birth": 19880203}, "date_of_birth"),
        ("time zone not IANA", {"time_zone": "Mars/Olympus"}, "time_zone"),
        ("time zone an abbreviation-ish junk", {"time_zone": "Nowhere/Land"}, "time_zone"),
        ("time zone wrong type", {"time_zone": 7}, "time_zone"),
        ("unknown field", {"favourite_colour": "teal"}, "favourite_colour"),
        ("unknown server-side field", {"clinic_id": "6a0f1c1e-0000-4000-8000-000000000000"}, "clinic_id"),
        ("name wrong type", {"display_name": 42}, "display_name"),
        ("name empty", {"display_name": ""}, "display_name"),
        ("name too long", {"display_name": "x" * 121}, "display_name"),
        ("phq9 baseline as a string", {"phq9_baseline": "5"}, "phq9_baseline"),
        ("phq9 baseline as a boolean", {"phq9_baseline": True}, "phq9_baseline"),
        ("phq9 baseline as a float", {"phq9_baseline": 5.5}, "phq9_baseline"),
        ("phq9 baseline out of range", {"phq9_baseline": 28}, "phq9_baseline"),
        ("unknown status", {"status": "archived"}, "status"),
        ("unknown sex", {"sex": "x"}, "sex"),
        ("bad email", {"email": "not-an-email"}, "email"),
        ("quiet hours not HH:MM", {"quiet_hours_start": "9pm"}, "quiet_hours_start"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_bad_patient_is_refused_naming_the_field(client, world, case, changes, field):
    changes = changes() if callable(changes) else changes
    before = count(Patient)
    response = client.post(PATIENTS, json=valid_patient(**changes), headers=world.nurse.headers)
    assert_422(response, field)
    assert count(Patient) == before


@pytest.mark.parametrize(
    ("missing",),
    [("display_name",), ("date_of_birth",)],
)
def test_patient_missing_required_field(client, world, missing):
    body = valid_patient()
    del body[missing]
    before = count(Patient)
    assert_422(client.post(PATIENTS, json=body, headers=world.nurse.headers), missing)
    assert count(Patient) == before


def test_patient_body_not_an_object(client, world):
    before = count(Patient)
    response = client.post(PATIENTS, json=["display_name", "Riley"], headers=world.nurse.headers)
    payload = assert_error_shape(response, 422)
    assert "json" in payload["errors"]
    assert count(Patient) == before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        (lambda: {"date_of_birth": years_ago(10).isoformat()}, "date_of_birth"),
        ({"status": "deceased"}, "status"),
        ({"mood_baseline": 11}, "mood_baseline"),
        ({"nickname": "Pat"}, "nickname"),
    ],
    ids=["bad time zone", "under 18", "unknown status", "mood baseline out of range", "unknown field"],
)
def test_patch_patient_refuses_bad_values_and_changes_nothing(client, world, patient_id, changes, field):
    changes = changes() if callable(changes) else changes
    body = {"phone": "+1 720 555 0111", **changes}  # a valid change rides along: it must not be kept
    response = client.patch(f"{PATIENTS}/{patient_id}", json=body, headers=world.nurse.headers)
    assert_422(response, field)
    db.session.rollback()
    row = db.session.execute(
        select(Patient.time_zone, Patient.phone, Patient.date_of_birth, Patient.status).where(Patient.id == patient_id)
    ).one()
    assert row.time_zone == "America/Denver"
    assert row.phone is None
    assert row.date_of_birth == date(1985, 3, 14)
    assert row.status == "active"


def test_patient_cannot_set_a_bad_time_zone_on_me(client, world, patient_id):
    response = client.patch("/api/v1/me", json={"time_zone": "Mars/Olympus"}, headers=world.patient.headers)
    assert_422(response, "time_zone")
    db.session.rollback()
    assert db.session.scalar(select(Patient.time_zone).where(Patient.id == patient_id)) == "America/Denver"


def test_patient_cannot_set_clinician_only_fields_on_me(client, world, patient_id):
    response = client.patch("/api/v1/me", json={"status": "discharged"}, headers=world.patient.headers)
    assert_422(response, "status")
    db.session.rollback()
    assert db.session.scalar(select(Patient.status).where(Patient.id == patient_id)) == "active"


@pytest.mark.parametrize(
    ("url", "field"),
    [
        (f"{PATIENTS}?status=archived", "status"),
        (f"{CLINICIANS}?role=janitor", "role"),
        (f"{CLINICIANS}?active=perhaps", "active"),
    ],
    ids=["patients bad status", "clinicians bad role", "clinicians bad boolean"],
)
def test_bad_query_parameters_are_named(client, world, url, field):
    assert_422(client.get(url, headers=world.admin.headers), field, location="query")


# --- infusions --------------------------------------------------------------------------------


def test_valid_infusion_is_recorded(client, world, patient_id):
    before = count(Infusion)
    body = valid_infusion(pre_systolic=120, pre_diastolic=80, pre_heart_rate=20, post_heart_rate=250, dose_mg=35.5)
    response = client.post(f"{PATIENTS}/{patient_id}/infusions", json=body, headers=world.nurse.headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert count(Infusion) == before + 1


INFUSION_CASES = [
    ("ended before started", lambda b: {"ended_at": _shift(b, -60)}, "ended_at"),
    ("ended when started", lambda b: {"ended_at": b["started_at"]}, "ended_at"),
    ("unknown route", lambda b: {"route": "oral"}, "route"),
    ("route wrong type", lambda b: {"route": 1}, "route"),
    ("unknown phase", lambda b: {"phase": "rescue"}, "phase"),
    ("started_at without offset", lambda b: {"started_at": "2025-01-10T10:00:00", "ended_at": None}, "started_at"),
    ("started_at not a timestamp", lambda b: {"started_at": "last Tuesday", "ended_at": None}, "started_at"),
    ("started_at in the future", lambda b: {"started_at": _future(days=2), "ended_at": None}, "started_at"),
    ("ended_at in the future", lambda b: {"ended_at": _future(days=2)}, "ended_at"),
    ("dose NaN as a string", lambda b: {"dose_mg": "NaN"}, "dose_mg"),
    ("dose Infinity as a string", lambda b: {"dose_mg": "Infinity"}, "dose_mg"),
    ("dose 1.5e308", lambda b: {"dose_mg": 1.5e308}, "dose_mg"),
    ("dose zero", lambda b: {"dose_mg": 0}, "dose_mg"),
    ("dose negative", lambda b: {"dose_mg": -35}, "dose_mg"),
    ("dose per kg too high", lambda b: {"dose_mg_per_kg": 11}, "dose_mg_per_kg"),
    ("dose as a word", lambda b: {"dose_mg": "thirty"}, "dose_mg"),
    ("diastolic above systolic", lambda b: {"pre_systolic": 110, "pre_diastolic": 120}, "pre_diastolic"),
    ("diastolic equals systolic", lambda b: {"pre_systolic": 110, "pre_diastolic": 110}, "pre_diastolic"),
    ("post diastolic above systolic", lambda b: {"post_systolic": 100, "post_diastolic": 140}, "post_diastolic"),
    ("systolic without diastolic", lambda b: {"pre_systolic": 120}, "pre_diastolic"),
    ("systolic below 50", lambda b: {"pre_systolic": 49, "pre_diastolic": 30}, "pre_systolic"),
    ("systolic above 300", lambda b: {"pre_systolic": 301, "pre_diastolic": 100}, "pre_systolic"),
    ("diastolic below 30", lambda b: {"pre_systolic": 120, "pre_diastolic": 29}, "pre_diastolic"),
    ("heart rate 19", lambda b: {"pre_heart_rate": 19}, "pre_heart_rate"),
    ("heart rate 251", lambda b: {"post_heart_rate": 251}, "post_heart_rate"),
    ("heart rate as a float", lambda b: {"pre_heart_rate": 80.5}, "pre_heart_rate"),
    ("heart rate as a string", lambda b: {"pre_heart_rate": "80"}, "pre_heart_rate"),
    ("heart rate as a boolean", lambda b: {"pre_heart_rate": True}, "pre_heart_rate"),
    ("notes too long", lambda b: {"notes": "x" * 2001}, "notes"),
    ("unknown field", lambda b: {"ketamine_brand": "generic"}, "ketamine_brand"),
    ("server-side field", lambda b: {"patient_id": "6a0f1c1e-0000-4000-8000-000000000000"}, "patient_id"),
]


def _shift(body: dict, minutes: int) -> str:
    return (datetime.fromisoformat(body["started_at"]) + timedelta(minutes=minutes)).isoformat()


def _future(**kwargs) -> str:
    return (now_utc() + timedelta(**kwargs)).isoformat()


@pytest.mark.parametrize(("case", "change", "field"), INFUSION_CASES, ids=[case for case, _, _ in INFUSION_CASES])
def test_bad_infusion_is_refused_naming_the_field(client, world, patient_id, case, change, field):
    body = valid_infusion()
    body.update(change(body))
    before = count(Infusion)
    response = client.post(f"{PATIENTS}/{patient_id}/infusions", json=body, headers=world.nurse.headers)
    assert_422(response, field)
    assert count(Infusion) == before


@pytest.mark.parametrize(
    ("case", "field"),
    [("NaN", "dose_mg"), ("Infinity", "dose_mg"), ("-Infinity", "dose_mg_per_kg"), ("1e999", "dose_mg")],
)
def test_non_finite_numbers_in_raw_json_are_refused(client, world, patient_id, case, field):
    """Bare NaN/Infinity are not JSON (400); a literal that overflows to infinity is out of range (422)."""
    body = json.dumps(valid_infusion())[:-1] + f', "{field}": {case}}}'
    before = count(Infusion)
    response = client.post(
        f"{PATIENTS}/{patient_id}/infusions",
        data=body,
        content_type="application/json",
        headers=world.nurse.headers,
    )
    if case == "1e999":
        assert math.isinf(json.loads(case))
        assert_422(response, field)
    else:
        assert_error_shape(response, 400)
    assert count(Infusion) == before


def test_patch_infusion_refuses_diastolic_above_systolic(client, world, patient_id):
    created = client.post(
        f"{PATIENTS}/{patient_id}/infusions",
        json=valid_infusion(pre_systolic=130, pre_diastolic=85),
        headers=world.nurse.headers,
    )
    assert created.status_code == 201
    infusion_id = uuid.UUID(created.get_json()["id"])
    response = client.patch(
        f"/api/v1/infusions/{infusion_id}", json={"pre_diastolic": 140}, headers=world.nurse.headers
    )
    assert_422(response, "pre_diastolic")
    db.session.rollback()
    assert db.session.scalar(select(Infusion.pre_diastolic).where(Infusion.id == infusion_id)) == 85


def test_patch_infusion_refuses_ended_at_before_started_at(client, world, patient_id):
    created = client.post(f"{PATIENTS}/{patient_id}/infusions", json=valid_infusion(), headers=world.nurse.headers)
    assert created.status_code == 201
    infusion = created.get_json()
    too_early = _shift(infusion, -5)
    response = client.patch(
        f"/api/v1/infusions/{infusion['id']}", json={"ended_at": too_early}, headers=world.nurse.headers
    )
    assert_422(response, "ended_at")
    db.session.rollback()
    stored = db.session.scalar(select(Infusion).where(Infusion.id == uuid.UUID(infusion["id"])))
    assert stored.ended_at > stored.started_at


# --- clinicians -------------------------------------------------------------------------------


def new_clinician(**changes) -> dict:
    body = {
        "email": "new.colleague@clinic.test",
        "name": "New Colleague",
        "role": "physician",
        "password": "violet kettle drums at dawn 7",
    }
    body.update(changes)
    return body


@pytest.mark.parametrize(
    ("case", "changes", "field"),
    [
        ("14-character password", {"password": "abcdefghijklmn"}, "password"),
        ("common password", {"password": "qwertyuiop12345"}, "password"),
        ("trivial repeated password", {"password": "abababababababababab"}, "password"),
        ("password built from the email", {"password": "new.colleague12"}, "password"),
        ("missing password", {"password": None}, "password"),
        ("bad email", {"email": "not-an-address"}, "email"),
        ("unknown role", {"role": "superuser"}, "role"),
        ("empty name", {"name": ""}, "name"),
        ("unknown field", {"clinic_id": "6a0f1c1e-0000-4000-8000-000000000000"}, "clinic_id"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_bad_clinician_is_refused_naming_the_field(client, world, case, changes, field):
    body = new_clinician(**changes)
    body = {k: v for k, v in body.items() if v is not None}
    before = count(Clinician)
    response = client.post(CLINICIANS, json=body, headers=world.admin.headers)
    assert_422(response, field)
    assert count(Clinician) == before


@pytest.mark.parametrize(
    "email_of",
    [lambda w: w.nurse.principal.email, lambda w: w.nurse.principal.email.upper()],
    ids=["same email", "same email in capitals"],
)
def test_duplicate_clinician_email_is_a_conflict(client, world, email_of):
    before = count(Clinician)
    response = client.post(CLINICIANS, json=new_clinician(email=email_of(world)), headers=world.admin.headers)
    payload = assert_error_shape(response, 409)
    assert payload["status"] == "Conflict"
    assert count(Clinician) == before


def test_email_of_another_clinics_staff_is_also_a_conflict(client, world):
    """Sign-in is by email alone, so emails are unique across clinics."""
    before = count(Clinician)
    response = client.post(
        CLINICIANS, json=new_clinician(email=world.other_admin.principal.email), headers=world.admin.headers
    )
    assert_error_shape(response, 409)
    assert count(Clinician) == before


def test_patch_clinician_refuses_a_short_password(client, world):
    nurse = world.nurse.principal
    response = client.patch(f"{CLINICIANS}/{nurse.id}", json={"password": "short one"}, headers=world.admin.headers)
    assert_422(response, "password")
    # The nurse's sessions were not revoked: the refused change left everything as it was.
    assert client.get(PATIENTS, headers=world.nurse.headers).status_code == 200


def test_patch_clinician_with_a_common_password_changes_nothing(client, world):
    nurse = world.nurse.principal
    body = {"role": "physician", "on_call": True, "password": "qwertyuiop12345"}
    response = client.patch(f"{CLINICIANS}/{nurse.id}", json=body, headers=world.admin.headers)
    assert_422(response, "password")
    db.session.rollback()
    row = db.session.execute(select(Clinician.role, Clinician.on_call).where(Clinician.id == nurse.id)).one()
    assert (row.role, row.on_call) == ("nurse", False)


# --- sign-in ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "nurse@clinic.test"}, "password"),
        ({"password": "correct horse battery staple 42"}, "email"),
        ({"email": "nurse@clinic.test", "password": 12345}, "password"),
        ({"email": "nurse@clinic.test", "password": "x", "remember_me": True}, "remember_me"),
    ],
    ids=["missing password", "missing email", "password wrong type", "unknown field"],
)
def test_login_with_bad_body_names_the_field_and_is_not_a_failed_attempt(client, world, body, field):
    before = count(AuthFailure)
    assert_422(client.post(LOGIN, json=body), field)
    assert count(AuthFailure) == before


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/api/v1/auth/refresh", {}, "refresh_token"),
        ("/api/v1/auth/enroll", {"code": "7KQ2-M9XA-4TRE", "device_name": "Phone"}, "platform"),
        ("/api/v1/auth/enroll", {"code": "7KQ2-M9XA-4TRE", "device_name": "Phone", "platform": "palm"}, "platform"),
        ("/api/v1/auth/enroll", {"device_name": "Phone", "platform": "ios"}, "code"),
    ],
    ids=["refresh missing token", "enroll missing platform", "enroll unknown platform", "enroll missing code"],
)
def test_other_sign_in_endpoints_name_the_field(client, url, body, field):
    before = count(AuthFailure)
    assert_422(client.post(url, json=body), field)
    assert count(AuthFailure) == before


# --- text and numbers no database can store: refused, never a 500 ------------------------------


@pytest.mark.parametrize(
    ("method", "where", "body", "field"),
    [
        ("POST", "patients", valid_patient(display_name="Pat\u0000X"), "display_name"),
        ("POST", "patients", valid_patient(mrn="MRN\u00000042"), "mrn"),
        ("PATCH", "patient", {"phone": "+1 303\u0000555"}, "phone"),
        ("POST", "infusions", valid_infusion(notes="calm\u0000"), "notes"),
    ],
    ids=["patient name", "patient mrn", "patch patient phone", "infusion notes"],
)
def test_nul_character_in_text_is_a_422_naming_the_field(client, world, patient_id, method, where, body, field):
    """PostgreSQL cannot store U+0000 in text; it must be refused as bad input on every database."""
    url = {
        "patients": PATIENTS,
        "patient": f"{PATIENTS}/{patient_id}",
        "infusions": f"{PATIENTS}/{patient_id}/infusions",
    }[where]
    before = (count(Patient), count(Infusion))
    response = client.open(url, method=method, json=body, headers=world.nurse.headers)
    assert_422(response, field)
    assert (count(Patient), count(Infusion)) == before


def test_nul_character_in_push_token_is_a_422(client, world):
    response = client.patch("/api/v1/me", json={"push_token": "tok\u0000en"}, headers=world.patient.headers)
    assert_422(response, "push_token")


def test_nul_character_in_login_email_is_refused_not_a_500(client):
    response = client.post(LOGIN, json={"email": "nurse\u0000@clinic.test", "password": "whatever it is here"})
    payload = assert_error_shape(response, response.status_code)
    assert response.status_code in (401, 422)
    if response.status_code == 422:
        assert "email" in payload["errors"]["json"]


def test_lone_surrogate_in_text_is_refused_not_a_500(client, world):
    """A lone surrogate escape is well-formed JSON but not a character: 400 or 422, never a 500."""
    before = count(Patient)
    raw = '{"display_name": "Pat\\ud800X", "date_of_birth": "1988-02-03"}'
    response = client.post(PATIENTS, data=raw, content_type="application/json", headers=world.nurse.headers)
    assert response.status_code in (400, 422), response.get_data(as_text=True)
    payload = assert_error_shape(response, response.status_code)
    if response.status_code == 422:
        assert "display_name" in payload["errors"]["json"]
    assert count(Patient) == before


YEAR_ONE_PLUS_ONE = "0001-01-01T00:00:00+01:00"  # 31 December of year 0 in UTC: Python cannot represent it


def test_timestamp_that_overflows_in_utc_is_a_422_not_a_500(client, world, patient_id):
    before = count(Infusion)
    body = valid_infusion(started_at=YEAR_ONE_PLUS_ONE, ended_at=None)
    response = client.post(f"{PATIENTS}/{patient_id}/infusions", json=body, headers=world.nurse.headers)
    assert_422(response, "started_at")
    assert count(Infusion) == before


def test_patching_a_timestamp_that_overflows_in_utc_is_a_422_not_a_500(client, world, patient_id):
    created = client.post(f"{PATIENTS}/{patient_id}/infusions", json=valid_infusion(), headers=world.nurse.headers)
    assert created.status_code == 201
    infusion_id = created.get_json()["id"]
    response = client.patch(
        f"/api/v1/infusions/{infusion_id}", json={"started_at": YEAR_ONE_PLUS_ONE}, headers=world.nurse.headers
    )
    assert_422(response, "started_at")


def test_symptom_start_that_overflows_in_utc_is_a_422_not_a_500(client, world):
    before = count(Report)
    body = {
        "client_report_id": str(uuid.uuid4()),
        "observed_at": (now_utc() - timedelta(hours=1)).isoformat(),
        "symptoms": [{"code": "nausea", "severity": 1, "started_at": YEAR_ONE_PLUS_ONE}],
    }
    response = client.post("/api/v1/me/reports", json=body, headers=world.patient.headers)
    payload = assert_error_shape(response, 422)
    assert any(key.startswith("symptoms") for key in payload["errors"]["json"]), payload
    assert count(Report) == before


@pytest.mark.parametrize(
    "url",
    [
        f"{PATIENTS}?page=99999999999999999999",
        f"{PATIENTS}?page=9223372036854775807",
        f"{CLINICIANS}?page=99999999999999999999",
        "INFUSIONS?page=99999999999999999999",
        "REPORTS?page=99999999999999999999",
        "/api/v1/me/reports?page=99999999999999999999",
    ],
    ids=[
        "patients page 1e20",
        "patients page 2**63-1",
        "clinicians page 1e20",
        "infusions page 1e20",
        "patient reports page 1e20",
        "my reports page 1e20",
    ],
)
def test_absurd_page_number_is_not_a_500(client, world, patient_id, url):
    """An out-of-range page is either an empty page or a 422 naming ``page``; the offset must not overflow."""
    url = url.replace("INFUSIONS", f"{PATIENTS}/{patient_id}/infusions")
    url = url.replace("REPORTS", f"{PATIENTS}/{patient_id}/reports")
    caller = world.patient if url.startswith("/api/v1/me/") else world.nurse
    response = client.get(url, headers=caller.headers)
    assert response.status_code in (200, 422), response.get_data(as_text=True)
    if response.status_code == 200:
        assert response.get_json() == []
    else:
        assert_422(response, "page", location="query")


def test_blank_patient_name_is_a_422(client, world):
    before = count(Patient)
    response = client.post(PATIENTS, json=valid_patient(display_name="   "), headers=world.nurse.headers)
    assert_422(response, "display_name")
    assert count(Patient) == before


def test_blank_clinician_name_is_a_422(client, world):
    """The name is stored stripped, so "   " would become an empty name despite min_length=1."""
    before = count(Clinician)
    response = client.post(CLINICIANS, json=new_clinician(name="   "), headers=world.admin.headers)
    assert_422(response, "name")
    assert count(Clinician) == before


def test_patch_clinician_to_a_blank_name_is_a_422(client, world):
    nurse = world.nurse.principal
    response = client.patch(f"{CLINICIANS}/{nurse.id}", json={"name": "  "}, headers=world.admin.headers)
    assert_422(response, "name")
    db.session.rollback()
    assert db.session.scalar(select(Clinician.name).where(Clinician.id == nurse.id)).strip()


def test_host_dependent_localtime_is_not_a_patient_time_zone(client, world):
    """The name "localtime" is the server's own zone file, not an IANA name: it differs from host to host."""
    before = count(Patient)
    response = client.post(PATIENTS, json=valid_patient(time_zone="localtime"), headers=world.nurse.headers)
    assert_422(response, "time_zone")
    assert count(Patient) == before


# --- malformed requests and the error shape ----------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    ['{"display_name": "Riley", ', "{'display_name': 'Riley'}", "not json at all", '{"a": 1}}', "\xff\xfe{}"],
    ids=["truncated", "single quotes", "plain text", "trailing brace", "not utf-8"],
)
def test_malformed_json_is_a_400_in_the_error_shape(client, world, raw):
    before = count(Patient)
    data = raw.encode("latin-1") if raw.startswith("\xff") else raw
    response = client.post(PATIENTS, data=data, content_type="application/json", headers=world.nurse.headers)
    assert_error_shape(response, 400)
    assert count(Patient) == before


def test_body_over_64_kib_is_a_413_in_the_error_shape(client, world):
    before = count(Patient)
    body = json.dumps(valid_patient(notes="x" * (64 * 1024)))
    assert len(body.encode()) > 64 * 1024
    response = client.post(PATIENTS, data=body, content_type="application/json", headers=world.nurse.headers)
    payload = assert_error_shape(response, 413)
    assert set(payload) >= {"code", "status", "message"}
    assert count(Patient) == before


def test_body_over_64_kib_is_a_413_before_sign_in(client):
    body = json.dumps({"email": "a@b.test", "password": "x" * (70 * 1024)})
    response = client.post(LOGIN, data=body, content_type="application/json")
    assert_error_shape(response, 413)


def test_body_just_under_the_limit_is_parsed(client, world):
    """The 413 is about size, not about long text: a big-but-allowed body reaches validation."""
    body = json.dumps(valid_patient(filler="y" * (60 * 1024)))
    assert len(body.encode()) < 64 * 1024
    response = client.post(PATIENTS, data=body, content_type="application/json", headers=world.nurse.headers)
    assert_422(response, "filler")


@pytest.mark.parametrize("opener", ["[", '{"a":'], ids=["arrays", "objects"])
def test_json_nested_10000_levels_is_a_400_not_a_500(client, world, opener):
    closer = "]" if opener == "[" else "}"
    raw = opener * 10_000 + "1" + closer * 10_000
    before = count(Patient)
    response = client.post(PATIENTS, data=raw, content_type="application/json", headers=world.nurse.headers)
    assert_error_shape(response, 400)
    assert count(Patient) == before


def test_json_nesting_limit_counts_depth_not_brackets():
    from service.extensions import MAX_JSON_DEPTH, _json_depth_ok

    deepest = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    assert _json_depth_ok(deepest, MAX_JSON_DEPTH)
    assert not _json_depth_ok("[" + deepest + "]", MAX_JSON_DEPTH)
    assert _json_depth_ok("[" + "[1]," * 200 + "[]]", MAX_JSON_DEPTH)  # many brackets side by side, depth 2
    in_text = '{"note": "' + "[{" * 100 + '\\"", "a": [[1]]}'  # brackets in a string (after an escape) are text
    assert json.loads(in_text)["a"] == [[1]] and _json_depth_ok(in_text, 3)
    assert not _json_depth_ok(in_text, 2)


def test_json_nested_10000_levels_is_a_400_on_sign_in_too(client):
    raw = '{"email": ' + "[" * 10_000 + "]" * 10_000 + ', "password": "x"}'
    assert_error_shape(client.post(LOGIN, data=raw, content_type="application/json"), 400)


@pytest.mark.parametrize(
    "url",
    ["/api/v1/no-such-thing", "/api/v1/patients/not-a-uuid", "/nowhere", "/api/v2/patients"],
)
def test_unknown_paths_are_404_in_the_error_shape(client, world, url):
    payload = assert_error_shape(client.get(url, headers=world.nurse.headers), 404)
    assert payload["status"] == "Not Found"


def test_unknown_id_is_404_in_the_error_shape(client, world):
    url = f"{PATIENTS}/6a0f1c1e-0000-4000-8000-000000000000"
    payload = assert_error_shape(client.get(url, headers=world.nurse.headers), 404)
    assert payload["status"] == "Not Found"


@pytest.mark.parametrize(
    ("method", "url", "allowed"),
    [
        ("DELETE", PATIENTS, {"GET", "POST"}),
        ("PUT", "/api/v1/me", {"GET", "PATCH"}),
        ("GET", LOGIN, {"POST"}),
        ("POST", "/healthz", {"GET"}),
    ],
    ids=["DELETE patients", "PUT me", "GET login", "POST healthz"],
)
def test_unknown_methods_are_405_in_the_error_shape(client, world, method, url, allowed):
    response = client.open(url, method=method, headers=world.nurse.headers)
    payload = assert_error_shape(response, 405)
    assert payload["status"] == "Method Not Allowed"
    assert allowed <= {m.strip() for m in response.headers["Allow"].split(",")}


def test_missing_token_is_401_in_the_error_shape(client):
    payload = assert_error_shape(client.get(PATIENTS), 401)
    assert payload["status"] == "Unauthorized"


def test_garbage_token_is_401_in_the_error_shape(client):
    response = client.get(PATIENTS, headers={"Authorization": "Bearer not.a.token"})
    assert_error_shape(response, 401)
