"""Fixtures of the API tests: a patient with an infusion, a flagged report and its flag."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from service.clock import now_utc
from service.extensions import db
from service.models import Flag
from tests.api.ae_support import iso


@dataclass
class Case:
    """world.patient with an IV infusion 3 h ago and a report that raised a flag."""

    world: object
    patient_id: uuid.UUID
    infusion_id: uuid.UUID
    infusion_ended_at: datetime
    report_id: uuid.UUID
    flag_id: uuid.UUID


@pytest.fixture()
def case(client, world):
    now = now_utc()
    patient_id = world.patient.principal.patient_id
    infusion = client.post(
        f"/api/v1/patients/{patient_id}/infusions",
        json={
            "started_at": iso(now - timedelta(hours=4)),
            "ended_at": iso(now - timedelta(hours=3, minutes=10)),
            "route": "iv",
            "phase": "induction",
            "dose_mg": 35.0,
            "dose_mg_per_kg": 0.5,
        },
        headers=world.nurse.headers,
    )
    assert infusion.status_code == 201, infusion.get_json()
    report = client.post(
        "/api/v1/me/reports",
        json={
            "client_report_id": str(uuid.uuid4()),
            "observed_at": iso(now - timedelta(hours=1)),
            "symptoms": [{"code": "nausea", "severity": 3}],
        },
        headers=world.patient.headers,
    )
    assert report.status_code == 201 and report.get_json()["triage"]["flagged"], report.get_json()
    db.session.rollback()
    flag_id = db.session.scalar(select(Flag.id).where(Flag.patient_id == patient_id))
    return Case(
        world=world,
        patient_id=patient_id,
        infusion_id=uuid.UUID(infusion.get_json()["id"]),
        infusion_ended_at=now - timedelta(hours=3, minutes=10),
        report_id=uuid.UUID(report.get_json()["id"]),
        flag_id=flag_id,
    )
