"""Symptom reports: idempotent submission, offline batches, reads with their correction chains."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Select, bindparam, exists, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from service.domain import triage
from service.domain.auth import PatientRef
from service.enums import CheckinStatus
from service.errors import Conflict, NotFound, ValidationFailed
from service.models import Checkin, Infusion, Patient, Report, ReportSymptom
from service.rules import Thresholds

MAX_FUTURE = timedelta(minutes=5)
MAX_AGE = timedelta(days=30)


@dataclass(frozen=True)
class Submission:
    """What the phone is told about a stored report; created is False for a replay of the same body."""

    id: uuid.UUID
    client_report_id: uuid.UUID
    clinic_id: uuid.UUID
    received_at: datetime
    infusion_id: uuid.UUID | None
    flagged: bool
    priority: str | None
    crisis: bool
    created: bool

    @classmethod
    def of(cls, report: Report, *, created: bool) -> Submission:
        return cls(
            report.id,
            report.client_report_id,
            report.clinic_id,
            report.received_at,
            report.infusion_id,
            report.flagged,
            report.triage_priority,
            report.crisis,
            created,
        )


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


def find_replay(
    session: Session, *, patient_id: uuid.UUID, client_report_id: uuid.UUID, digest: str
) -> Submission | None:
    """The stored report for this client id, if any; 409 when it says something else."""
    existing = session.scalar(
        select(Report).where(Report.patient_id == patient_id, Report.client_report_id == client_report_id)
    )
    if existing is None:
        return None
    if existing.body_hash != digest:
        raise Conflict(
            "A different report was already sent with this client_report_id; make a new id for a new report, "
            "or send a correction with 'amends'.",
            field="client_report_id",
        )
    return Submission.of(existing, created=False)


# Hot-path statements are built once, on the tables (plain Core, no ORM compile step); each request
# only binds its values.
_REPORTS = Report.__table__
_INFUSIONS = Infusion.__table__
_INSERT_ONCE = {
    name: insert_fn(_REPORTS)
    .on_conflict_do_nothing(index_elements=["patient_id", "client_report_id"])
    .returning(_REPORTS.c.id)
    for name, insert_fn in (("postgresql", pg_insert), ("sqlite", sqlite_insert))
}
_INSERT_SYMPTOMS = insert(ReportSymptom.__table__)
_INFUSION_FACTS = select(
    _INFUSIONS.c.id,
    _INFUSIONS.c.started_at,
    _INFUSIONS.c.ended_at,
    _INFUSIONS.c.route,
    _INFUSIONS.c.pre_systolic,
    _INFUSIONS.c.pre_diastolic,
)
_LATEST_INFUSION = (
    _INFUSION_FACTS.where(
        _INFUSIONS.c.patient_id == bindparam("patient_id"),
        _INFUSIONS.c.ended_at.is_not(None),
        _INFUSIONS.c.ended_at <= bindparam("observed_at"),
    )
    .order_by(_INFUSIONS.c.ended_at.desc())
    .limit(1)
)
_NAMED_INFUSION = _INFUSION_FACTS.where(
    _INFUSIONS.c.id == bindparam("infusion_id"), _INFUSIONS.c.patient_id == bindparam("patient_id")
)


def _insert_once(session: Session, values: dict) -> bool:
    """INSERT the report unless its (patient, client_report_id) exists; True when this call stored it."""
    stmt = _INSERT_ONCE[session.get_bind().dialect.name]
    return session.execute(stmt, values).first() is not None


def submit_report(
    session: Session,
    *,
    patient: Patient | PatientRef,
    device_id: uuid.UUID | None,
    payload: dict,
    settings: dict,
    now: datetime,
) -> Submission:
    """Store a validated report once (a replay of the same body answers as before), linking infusion and check-in.

    The unique key (patient, client_report_id) decides: the INSERT either stores the report or
    finds a copy already there, so racing identical requests store one row and none waits on a
    read-then-write.
    """
    digest = body_hash(payload)
    client_report_id = payload["client_report_id"]
    try:
        _check_times(payload, now=now)
        infusion = _linked_infusion(session, patient_id=patient.id, payload=payload)
        checkin_id = payload.get("checkin_id")
        if checkin_id is not None:
            _own(session, Checkin, row_id=checkin_id, patient_id=patient.id, field="checkin_id", what="check-in")
        amends = payload.get("amends")
        if amends is not None:
            _own(session, Report, row_id=amends, patient_id=patient.id, field="amends", what="report")
    except ValidationFailed:
        # A phone retrying a report stored long ago is answered as before, not refused as stale.
        replay = find_replay(session, patient_id=patient.id, client_report_id=client_report_id, digest=digest)
        if replay is not None:
            return replay
        raise

    findings = triage.assess(
        session,
        patient=patient,
        facts=triage.report_facts(payload),
        infusion=infusion,
        thresholds=Thresholds.from_settings(settings["thresholds"]),
    )
    flagged, priority, crisis = triage.outcome(findings)
    vitals = payload.get("vitals") or {}
    phq9 = payload.get("phq9")
    values = {
        "id": uuid.uuid4(),
        "clinic_id": patient.clinic_id,
        "patient_id": patient.id,
        "device_id": device_id,
        "client_report_id": client_report_id,
        "body_hash": digest,
        "observed_at": payload["observed_at"],
        "received_at": now,
        "infusion_id": infusion.id if infusion else None,
        "checkin_id": checkin_id,
        "amends_id": amends,
        "mood": payload.get("mood"),
        "suicidal_thoughts": payload.get("suicidal_thoughts"),
        "phq9": phq9,
        "phq9_total": sum(phq9) if phq9 else None,
        "systolic": vitals.get("systolic"),
        "diastolic": vitals.get("diastolic"),
        "heart_rate": vitals.get("heart_rate"),
        "note": payload.get("note"),
        "flagged": flagged,
        "triage_priority": priority,
        "crisis": crisis,
    }
    if not _insert_once(session, values):
        replay = find_replay(session, patient_id=patient.id, client_report_id=client_report_id, digest=digest)
        if replay is None:  # the other copy was rolled back between our INSERT and SELECT
            raise Conflict("This report is being stored by another request; send it again.", field="client_report_id")
        return replay
    symptoms = payload.get("symptoms") or []
    if symptoms:
        session.execute(
            _INSERT_SYMPTOMS,
            [
                {
                    "report_id": values["id"],
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
    if findings:
        triage.raise_flags(
            session,
            clinic_id=patient.clinic_id,
            patient_id=patient.id,
            report_id=values["id"],
            findings=findings,
            targets=settings["response_targets_minutes"],
            now=now,
        )
    return Submission(
        values["id"],
        client_report_id,
        patient.clinic_id,
        now,
        values["infusion_id"],
        flagged=flagged,
        priority=priority,
        crisis=crisis,
        created=True,
    )


def _linked_infusion(session: Session, *, patient_id: uuid.UUID, payload: dict):
    """The infusion named in the report (it must be the patient's), else the latest that ended before it."""
    infusion_id = payload.get("infusion_id")
    if infusion_id is not None:
        row = session.execute(_NAMED_INFUSION, {"infusion_id": infusion_id, "patient_id": patient_id}).first()
        if row is None:
            raise ValidationFailed("No infusion with this id belongs to you.", field="infusion_id")
        return row
    return session.execute(_LATEST_INFUSION, {"patient_id": patient_id, "observed_at": payload["observed_at"]}).first()


def triage_of(report: Report | Submission, *, crisis_resources: list[dict]) -> dict:
    """What the phone is told about a stored report."""
    priority = report.priority if isinstance(report, Submission) else report.triage_priority
    outcome = {
        "flagged": report.flagged,
        "priority": priority,
        "message": triage.patient_message(priority, crisis=report.crisis),
    }
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
        # Correlated, so it walks this patient's reports through (report_id, code), never all reports of a code.
        stmt = stmt.where(exists().where(ReportSymptom.report_id == Report.id, ReportSymptom.code == symptom))
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
