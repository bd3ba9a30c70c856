"""Schema fuzzing: schemathesis drives every documented operation in-process (WSGI).

Signed in as a patient for /me paths and as a clinic admin elsewhere; a fixed seed (derandomized)
and a case budget that fits CI. Checks: no 5xx, responses match the documented schemas and
content types, and every status the app answers is one the document lists.
"""

from __future__ import annotations

from datetime import timedelta

import hypothesis
import pytest
import schemathesis
from hypothesis import strategies as st
from schemathesis import checks
from schemathesis.generation import GenerationMode

from service import create_app
from service.clock import now_utc
from service.domain import infusions, reports
from service.domain.clinics import effective_settings
from service.extensions import db
from service.models import Flag, Patient
from tests import factories

FUZZ_CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]
CASES_PER_OPERATION = 30


def _operation_labels() -> list[str]:
    app = create_app({"TESTING": True, "DATABASE_URL": "sqlite://"})
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    return [result.ok().label for result in schema.get_all_operations()]


LABELS = _operation_labels()


def _real_ids(world) -> dict:
    """Ids of real rows of world.patient, so fuzzing reaches past the 404s too."""
    patient = db.session.get(Patient, world.patient.principal.patient_id)
    now = now_utc()
    infusion = infusions.record_infusion(
        db.session,
        patient=patient,
        actor=None,
        now=now,
        values={
            "started_at": now - timedelta(hours=5),
            "ended_at": now - timedelta(hours=4),
            "route": "iv",
            "phase": "induction",
        },
    )
    from schemas.reports import ReportCreateSchema

    payload = ReportCreateSchema().load(
        {
            "client_report_id": "0b9e1a3c-3d1f-4a55-9c63-2f0a6c7d1e01",
            "observed_at": (now - timedelta(hours=1)).isoformat(),
            "symptoms": [{"code": "nausea", "severity": 3}],
        }
    )
    report = reports.submit_report(
        db.session,
        patient=patient,
        device_id=world.patient.principal.id,
        payload=payload,
        settings=effective_settings(None),
        now=now,
    )
    db.session.commit()
    flag_id = db.session.scalar(db.select(Flag.id).where(Flag.patient_id == patient.id))
    return {
        "patient_id": str(patient.id),
        "infusion_id": str(infusion.id),
        "report_id": str(report.id),
        "flag_id": str(flag_id),
        "clinician_id": str(world.nurse.principal.id),
        "device_id": str(world.patient.principal.id),
    }


@pytest.mark.parametrize("label", LABELS)
def test_operation_conforms_to_its_document(app, world, label):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operation = next(r.ok() for r in schema.get_all_operations() if r.ok().label == label)
    path = operation.path
    ids = _real_ids(world)
    known = {name: ids[name] for name in ids if "{" + name + "}" in operation.path}
    strategies = [operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE)]
    if known:
        strategies.append(operation.as_strategy(GenerationMode.POSITIVE, path_parameters=known))
    headers = {}
    if path.startswith("/api/v1/me"):
        headers = dict(world.patient.headers)
    elif not path.startswith("/api/v1/auth/"):
        headers = dict(world.admin.headers)

    @hypothesis.given(case=st.one_of(strategies))
    @hypothesis.settings(
        max_examples=CASES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    def fuzz(case):
        sent = headers
        if path == "/api/v1/auth/logout":  # each logout ends a session of its own, not the shared world's
            sent = factories.bearer(factories.tokens_for(app, world.nurse.principal))
        try:
            case.call_and_validate(headers=sent, checks=FUZZ_CHECKS)
        finally:
            db.session.rollback()

    fuzz()
