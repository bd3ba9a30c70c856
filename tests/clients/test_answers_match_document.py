"""What the live service answers has every field the document declares required, and nothing it does not allow.

The demo clinic (infusions, reports with crises and safety screens, flags in every state, adverse events,
check-ins, notifications) is read through each GET the document lists, with the ids it really has, and
each answer is validated against the operation's documented response schema.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import timedelta

import pytest
import schemathesis
from schemathesis import checks
from sqlalchemy import func, select

from service.clock import now_utc
from service.demo import DEMO_STAFF, seed
from service.enums import Role
from service.extensions import db
from service.models import AdverseEvent, Clinician, Flag, Infusion, Patient, Report
from tests import factories

_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def assert_timestamps_in_utc(value, where: str) -> None:
    """Every timestamp in an answer is UTC with an explicit offset (README: Timestamps)."""
    if isinstance(value, dict):
        for item in value.values():
            assert_timestamps_in_utc(item, where)
    elif isinstance(value, list):
        for item in value:
            assert_timestamps_in_utc(item, where)
    elif isinstance(value, str) and _TIMESTAMP.match(value):
        assert value.endswith("+00:00"), (where, value)


def _required_query(path: str) -> dict[str, str] | None:
    """The query an operation cannot answer without: the analytics read a range of the demo clinic's days."""
    if path.startswith("/api/v1/analytics/"):
        today = factories.clinic_day()
        return {"from": (today - timedelta(days=30)).isoformat(), "to": today.isoformat()}
    return None


def _ids() -> dict[str, list[str]]:
    """Up to 5 real ids of each kind, the richest first (flags and reports of every kind are in the demo)."""

    def some(column, *where) -> list[str]:
        return [str(value) for value in db.session.scalars(select(column).where(*where).limit(5))]

    return {
        "patient_id": some(Patient.id),
        "flag_id": some(Flag.id),
        "report_id": some(Report.id),
        "infusion_id": some(Infusion.id),
        "event_id": some(AdverseEvent.id),
    }


@contextmanager
def _quietly(items, **kwargs):
    yield items


@pytest.fixture()
def demo(app):
    seed(db.session, patient_count=6, random_seed=7, now=now_utc(), progress=_quietly)
    db.session.commit()
    admin = db.session.scalar(select(Clinician).where(Clinician.email == DEMO_STAFF[0][0]))
    assert admin.role == Role.ADMIN
    return admin


def test_every_get_answers_as_its_document_says(app, demo):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    staff = factories.bearer(factories.tokens_for(app, demo))
    ids = _ids()
    assert all(ids.values()), ids
    # the patient with the most reports pairs a phone, so /me reads something
    busiest = db.session.scalar(
        select(Report.patient_id).group_by(Report.patient_id).order_by(func.count().desc()).limit(1)
    )
    phone = factories.bearer(factories.tokens_for(app, factories.make_device(db.session.get(Patient, busiest))))
    checked = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.method.upper() != "GET" or operation.path.endswith(".csv"):
            continue
        names = re.findall(r"{(\w+)}", operation.path)
        if operation.path.startswith("/api/v1/me"):
            if names:
                continue  # a patient's own report by id is read below, through its list
            headers = phone
        else:
            headers = staff
        choices = [
            dict(zip(names, values, strict=True)) for values in zip(*(ids[name] for name in names), strict=False)
        ] or [{}]
        query = _required_query(operation.path)
        for path_parameters in choices:
            case = operation.Case(path_parameters=path_parameters, headers=headers, query=query)
            response = case.call()
            assert response.status_code == 200, (operation.label, path_parameters, response.text[:300])
            case.validate_response(response, checks=[checks.response_schema_conformance])
            if "json" in response.headers.get("Content-Type", ""):
                assert_timestamps_in_utc(response.json(), operation.label)
            checked += 1
    assert checked >= 25
