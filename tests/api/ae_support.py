"""Helpers for the adverse event tests: bodies, recording, error checks."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from service.clock import now_utc
from service.extensions import db

EVENTS = "/api/v1/adverse-events"


def count(model) -> int:
    db.session.rollback()
    n = db.session.scalar(select(func.count()).select_from(model))
    db.session.rollback()
    return n


def assert_422(response, field: str, location: str = "json") -> dict:
    assert response.status_code == 422, response.get_data(as_text=True)
    payload = response.get_json()
    assert payload["code"] == 422 and payload["message"]
    assert field in payload["errors"][location], payload
    assert payload["errors"][location][field]
    return payload


def iso(moment: datetime) -> str:
    return moment.isoformat()


def body(**overrides) -> dict:
    now = now_utc()
    values = {
        "term": "Nausea",
        "grade": 2,
        "serious": False,
        "seriousness": [],
        "causality": "probable",
        "action_taken": "none",
        "outcome": "recovering",
        "onset_at": iso(now - timedelta(hours=2)),
        "narrative": "Nausea after the third induction infusion; ondansetron given, settling.",
    }
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not ...}


def serious_body(criteria: list[str], **overrides) -> dict:
    values = {
        "term": "Hypertension",
        "grade": 5 if "death" in criteria else 4,
        "outcome": "fatal" if "death" in criteria else "recovering",
        "serious": True,
        "seriousness": criteria,
    }
    values.update(overrides)
    return body(**values)


def record(client, caller, **values) -> dict:
    response = client.post(EVENTS, json=body(**values), headers=caller.headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()
