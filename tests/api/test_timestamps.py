"""One timestamp form in every answer: UTC with an explicit ``+00:00`` offset, however the value came in.

A phone that sends its local time (``…14:00:00-07:00``) reads back the same instant in UTC, in the create's
echo and in every later read, so a client never has to compare two spellings of one moment.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

from schemas.base import UtcDateTime
from service.clock import now_utc
from tests.clients.test_answers_match_document import assert_timestamps_in_utc

DENVER_WINTER = timezone(timedelta(hours=-7))
KOLKATA = timezone(timedelta(hours=5, minutes=30))


def _at(hours_ago: float, zone) -> datetime:
    moment = (now_utc() - timedelta(hours=hours_ago)).replace(microsecond=0)
    return moment.astimezone(zone)


def test_a_report_sent_in_local_time_echoes_and_reads_in_utc(client, world):
    observed = _at(2, DENVER_WINTER)
    created = client.post(
        "/api/v1/me/reports",
        json={
            "client_report_id": str(uuid.uuid4()),
            "observed_at": observed.isoformat(),
            "symptoms": [{"code": "nausea", "severity": 1}],
        },
        headers=world.patient.headers,
    )
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    expected = observed.astimezone(UTC).isoformat()
    assert expected.endswith("+00:00") and not observed.isoformat().endswith("+00:00")
    assert body["received_at"].endswith("+00:00")
    assert_timestamps_in_utc(body, "POST /me/reports")

    read = client.get(f"/api/v1/me/reports/{body['id']}", headers=world.patient.headers)
    assert read.status_code == 200
    assert read.get_json()["observed_at"] == expected
    assert_timestamps_in_utc(read.get_json(), "GET /me/reports/{id}")


def test_an_infusion_recorded_with_an_offset_answers_in_utc(client, world):
    patient_id = world.patient.principal.patient_id
    started = _at(5, KOLKATA)
    ended = _at(4, DENVER_WINTER)
    created = client.post(
        f"/api/v1/patients/{patient_id}/infusions",
        json={
            "started_at": started.isoformat(),
            "ended_at": ended.isoformat(),
            "route": "iv",
            "phase": "induction",
            "dose_mg": 35.0,
            "dose_mg_per_kg": 0.5,
        },
        headers=world.nurse.headers,
    )
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["started_at"] == started.astimezone(UTC).isoformat()
    assert body["ended_at"] == ended.astimezone(UTC).isoformat()
    assert_timestamps_in_utc(body, "POST /patients/{id}/infusions")
    read = client.get(f"/api/v1/infusions/{body['id']}", headers=world.nurse.headers)
    assert read.status_code == 200
    assert (read.get_json()["started_at"], read.get_json()["ended_at"]) == (body["started_at"], body["ended_at"])


def test_the_field_writes_utc_for_any_zone_and_takes_naive_values_as_utc():
    field = UtcDateTime()
    aware = datetime(2026, 3, 8, 1, 30, tzinfo=DENVER_WINTER)
    assert field.serialize("t", {"t": aware}) == "2026-03-08T08:30:00+00:00"
    assert field.serialize("t", {"t": datetime(2026, 3, 8, 8, 30)}) == "2026-03-08T08:30:00+00:00"
    assert field.serialize("t", {"t": None}) is None


def test_a_timestamp_in_another_form_fails_the_answer_check():
    import pytest

    with pytest.raises(AssertionError):
        assert_timestamps_in_utc({"items": [{"at": "2026-11-01T14:00:00-07:00"}]}, "example")
    assert_timestamps_in_utc({"items": [{"at": "2026-11-01T21:00:00+00:00", "day": "2026-11-01"}]}, "example")


def test_every_timestamp_field_of_every_schema_writes_utc():
    """A schema added later cannot bring back a second timestamp form: every date-time field is UtcDateTime."""
    import importlib
    import pkgutil

    import marshmallow
    from marshmallow import fields

    import schemas

    checked = []
    for module_info in pkgutil.iter_modules(schemas.__path__):
        module = importlib.import_module(f"schemas.{module_info.name}")
        for value in vars(module).values():
            if not isinstance(value, type) or not issubclass(value, marshmallow.Schema):
                continue
            if value.__module__ != module.__name__:
                continue
            for name, field in value().declared_fields.items():
                if isinstance(field, fields.DateTime) and not isinstance(field, fields.NaiveDateTime):
                    assert isinstance(field, UtcDateTime), f"{value.__name__}.{name} is {type(field).__name__}"
                    checked.append(name)
    assert len(checked) >= 40
