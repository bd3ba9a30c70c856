"""Symptom reports: idempotent submission, offline batches, reads with their correction chains."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Select, insert, select, update
from sqlalchemy.orm import Session

from service.enums import CheckinStatus
from service.errors import Conflict, NotFound, ValidationFailed
from service.models import Checkin, Infusion, Patient, Report, ReportSymptom

MAX_FUTURE = timedelta(minutes=5)
MAX_AGE = timedelta(days=30)
RECEIVED_MESSAGE = "Thank you. Your report was received and your care team can see it."


@dataclass(frozen=True)
class Submission:
    """A stored report and whether this call created it (False: a replay of the same body)."""

    report: Report
    created: bool


def body_hash(payload: dict) -> str:
    """A fingerprint of what a report says, independent of key order, symptom order and null fields."""

    def canonical(value):
        if isinstance(value, dict):
            return {k: canonical(v) for k, v in sorted(value.items()) if v is not None}
        if isinstance(value, list):
            items = [canonical(v) for v in value]
            if items and all(isinstance(i, dict) and "code" in i for i in items):
                items.sort(key=lambda i: i["code"])
            return items
        if isinstance(value, datetime):
            return value.astimezone(UTC).isoformat()
        if isinstance(value, uuid.UUID):
            return str(value)
        return value

    text = json.dumps(canonical(payload), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _check_times(payload: dict, *, now: datetime) -> None:
    observed_at = payload["observed_at"]
    if observed_at > now + MAX_FUTURE:
        raise ValidationFailed(
            "observed_at is more than 5 minutes in the future; check the phone's clock.", field="observed_at"
        )
    if observed_at < now - MAX_AGE:
        raise ValidationFailed("observed_at is more than 30 days old.", field="observed_at")
    for index, entry in enumerate(payload.get("symptoms") or []):
        started_at = entry.get("started_at")
        if started_at is not None and started_at > observed_at + MAX_FUTURE:
            raise ValidationFailed(
                "started_at is after the report's observed_at.", field=f"symptoms.{index}.started_at"
            )


def _own(session: Session, model, *, row_id: uuid.UUID, patient_id: uuid.UUID, field: str, what: str):
    row = session.scalar(select(model).where(model.id == row_id, model.patient_id == patient_id))
    if row is None:
        raise ValidationFailed(f"No {what} with this id belongs to you.", field=field)
    return row


def find_replay(session: Session, *, patient_id: uuid.UUID, client_report_id: uuid.UUID, digest: str) -> Report | None:
    """The stored report for this client id, if any; 409 when it says something else."""
    existing = session.scalar(
        select(Report).where(Report.patient_id == patient_id, Report.client_report_id == client_report_id)
    )
    if existing is not None and existing.body_hash != digest:
        raise Conflict(
            "A different report was already sent with this client_report_id; make a new id for a new report, "
            "or send a correction with 'amends'.",
            field="client_report_id",
        )
    return existing


def submit_report(
    session: Session, *, patient: Patient, device_id: uuid.UUID | None, payload: dict, now: datetime
) -> Submission:
    """Store a validated report (or recognise a replay of one), linking infusion and check-in."""
    digest = body_hash(payload)
    existing = find_replay(session, patient_id=patient.id, client_report_id=payload["client_report_id"], digest=digest)
    if existing is not None:
        return Submission(existing, created=False)
    _check_times(payload, now=now)
    observed_at = payload["observed_at"]

    infusion_id = payload.get("infusion_id")
    if infusion_id is not None:
        _own(session, Infusion, row_id=infusion_id, patient_id=patient.id, field="infusion_id", what="infusion")
    else:
        infusion_id = session.scalar(
            select(Infusion.id)
            .where(Infusion.patient_id == patient.id, Infusion.ended_at.is_not(None), Infusion.ended_at <= observed_at)
            .order_by(Infusion.ended_at.desc())
            .limit(1)
        )
    checkin_id = payload.get("checkin_id")
    if checkin_id is not None:
        _own(session, Checkin, row_id=checkin_id, patient_id=patient.id, field="checkin_id", what="check-in")
    amends = payload.get("amends")
    if amends is not None:
        _own(session, Report, row_id=amends, patient_id=patient.id, field="amends", what="report")

    vitals = payload.get("vitals") or {}
    phq9 = payload.get("phq9")
    report = Report(
        id=uuid.uuid4(),
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        device_id=device_id,
        client_report_id=payload["client_report_id"],
        body_hash=digest,
        observed_at=observed_at,
        received_at=now,
        infusion_id=infusion_id,
        checkin_id=checkin_id,
        amends_id=amends,
        mood=payload.get("mood"),
        suicidal_thoughts=payload.get("suicidal_thoughts"),
        phq9=phq9,
        phq9_total=sum(phq9) if phq9 else None,
        systolic=vitals.get("systolic"),
        diastolic=vitals.get("diastolic"),
        heart_rate=vitals.get("heart_rate"),
        note=payload.get("note"),
        flagged=False,
        crisis=False,
    )
    session.add(report)
    session.flush()
    symptoms = payload.get("symptoms") or []
    if symptoms:
        session.execute(
            insert(ReportSymptom),
            [
                {
                    "report_id": report.id,
                    "code": s["code"],
                    "severity": s["severity"],
                    "started_at": s.get("started_at"),
                    "note": s.get("note"),
                }
                for s in symptoms
            ],
        )
    if checkin_id is not None:
        session.execute(
            update(Checkin)
            .where(
                Checkin.id == checkin_id,
                Checkin.status.in_([CheckinStatus.SCHEDULED, CheckinStatus.SENT, CheckinStatus.MISSED]),
            )
            .values(status=CheckinStatus.ANSWERED, answered_at=now),
            execution_options={"synchronize_session": False},
        )
    return Submission(report, created=True)


def triage_of(report: Report, *, crisis_resources: list[dict]) -> dict:
    """What the phone is told about a stored report."""
    outcome = {"flagged": report.flagged, "priority": report.triage_priority, "message": RECEIVED_MESSAGE}
    if report.crisis:
        outcome["crisis_resources"] = crisis_resources
    return outcome


def get_report(
    session: Session, *, report_id: uuid.UUID, clinic_id: uuid.UUID | None = None, patient_id: uuid.UUID | None = None
) -> Report:
    """Fetch one report visible to the caller (their clinic, or their own); 404 otherwise."""
    stmt = select(Report).where(Report.id == report_id)
    if clinic_id is not None:
        stmt = stmt.where(Report.clinic_id == clinic_id)
    if patient_id is not None:
        stmt = stmt.where(Report.patient_id == patient_id)
    report = session.scalar(stmt)
    if report is None:
        raise NotFound("No such report.")
    return report


def reports_query(
    *,
    patient_id: uuid.UUID,
    observed_from: datetime | None = None,
    observed_to: datetime | None = None,
    symptom: str | None = None,
) -> Select:
    """A patient's reports, newest first, optionally by observation window and symptom."""
    stmt = select(Report).where(Report.patient_id == patient_id)
    if observed_from is not None:
        stmt = stmt.where(Report.observed_at >= observed_from)
    if observed_to is not None:
        stmt = stmt.where(Report.observed_at < observed_to)
    if symptom is not None:
        stmt = stmt.where(Report.id.in_(select(ReportSymptom.report_id).where(ReportSymptom.code == symptom)))
    return stmt.order_by(Report.observed_at.desc(), Report.id)


def report_views(session: Session, reports: list[Report], *, crisis_resources: list[dict]) -> list[dict]:
    """Reports as readers see them: symptoms, vitals, triage and the chain of corrections (two queries a page)."""
    ids = [r.id for r in reports]
    symptoms: dict[uuid.UUID, list] = {i: [] for i in ids}
    amended_by: dict[uuid.UUID, list] = {i: [] for i in ids}
    if ids:
        for row in session.scalars(
            select(ReportSymptom).where(ReportSymptom.report_id.in_(ids)).order_by(ReportSymptom.id)
        ):
            symptoms[row.report_id].append(row)
        for later_id, amends_id in session.execute(
            select(Report.id, Report.amends_id).where(Report.amends_id.in_(ids)).order_by(Report.received_at)
        ):
            amended_by[amends_id].append(later_id)
    views = []
    for report in reports:
        has_vitals = report.systolic is not None or report.heart_rate is not None
        views.append(
            {
                **{column: getattr(report, column) for column in _READ_COLUMNS},
                "symptoms": symptoms[report.id],
                "amended_by": amended_by[report.id],
                "vitals": {"systolic": report.systolic, "diastolic": report.diastolic, "heart_rate": report.heart_rate}
                if has_vitals
                else None,
                "triage": triage_of(report, crisis_resources=crisis_resources),
            }
        )
    return views


_READ_COLUMNS = (
    "id",
    "client_report_id",
    "patient_id",
    "observed_at",
    "received_at",
    "infusion_id",
    "checkin_id",
    "amends_id",
    "mood",
    "suicidal_thoughts",
    "phq9",
    "phq9_total",
    "note",
    "reviewed_at",
)
