"""Symptom reports: idempotent submission, offline batches, reads with their correction chains."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Select, bindparam, exists, insert, select, true, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from service.domain import advice, incidence, outbox, outcomes, safety_screens, triage
from service.domain.auth import PatientRef
from service.domain.clinics import effective_settings
from service.domain.sql import DriverStatement, json_records, json_rows
from service.enums import CheckinStatus
from service.errors import Conflict, NotFound, ValidationFailed
from service.models import Checkin, Clinic, Patient, Report, ReportSymptom
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
    rules: tuple[str, ...] = ()  # the rules that fired, most urgent first
    paged: bool = False  # a clinician was paged in the report's own transaction

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
            tuple(report.triage_rules or ()),
            report.paged,
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
_REPORTS, _SYMPTOMS = Report.__table__, ReportSymptom.__table__
_REPORT_FIELDS = (
    "id",
    "clinic_id",
    "patient_id",
    "device_id",
    "client_report_id",
    "body_hash",
    "observed_at",
    "received_at",
    "infusion_id",
    "checkin_id",
    "amends_id",
    "mood",
    "suicidal_thoughts",
    "ketamine_outside_clinic",
    "phq9",
    "phq9_total",
    "systolic",
    "diastolic",
    "heart_rate",
    "note",
    "flagged",
    "triage_priority",
    "crisis",
    "triage_rules",
    "paged",
)
_REPORT_FIELD_SET = frozenset(_REPORT_FIELDS)
_SYMPTOM_FIELDS = ("code", "severity", "started_at", "note")
_INSERT_ONCE_SQLITE = (
    sqlite_insert(_REPORTS)
    .on_conflict_do_nothing(index_elements=["patient_id", "client_report_id"])
    .returning(_REPORTS.c.id)
)
_INSERT_SYMPTOMS = insert(_SYMPTOMS)


def _store_in_one_statement() -> Select:
    """PostgreSQL: the report (unless its client id is stored) and its symptoms in one statement.

    The symptoms come as one JSON parameter (see json_records), so the statement is the same for
    any number of symptoms; they are inserted only when the report row was (the CTE returns no id
    for a replay). A data-modifying CTE runs to completion even though the SELECT does not read it.
    """
    stored = (
        pg_insert(_REPORTS)
        .values({name: bindparam(name, type_=_REPORTS.c[name].type) for name in _REPORT_FIELDS})
        .on_conflict_do_nothing(index_elements=["patient_id", "client_report_id"])
        .returning(_REPORTS.c.id)
        .cte("stored")
    )
    given = json_records("symptoms", {n: _SYMPTOMS.c[n] for n in _SYMPTOM_FIELDS})
    symptoms = (
        insert(_SYMPTOMS)
        .from_select(
            ["report_id", *_SYMPTOM_FIELDS],
            # In the order sent: symptom rows are read back by id.
            select(stored.c.id, *(given.c[n] for n in _SYMPTOM_FIELDS))
            .select_from(stored.join(given, true()))
            .order_by(given.c.position),
        )
        .cte("symptoms")
    )
    return select(stored.c.id).add_cte(symptoms)


_STORE_PG = DriverStatement(_store_in_one_statement())  # every report: straight on the driver


def _store(session: Session, values: dict, symptoms: list[dict]) -> bool:
    """INSERT the report and its symptoms unless its (patient, client_report_id) exists; True when this
    call stored it. One round trip on PostgreSQL; two on SQLite."""
    if set(values) != _REPORT_FIELD_SET:  # the PostgreSQL statement binds exactly these
        raise ValueError(f"report values and _REPORT_FIELDS differ: {sorted(set(values) ^ _REPORT_FIELD_SET)}")
    if session.get_bind().dialect.name == "postgresql":
        return bool(_STORE_PG.rows(session, {**values, "symptoms": json_rows(symptoms, _SYMPTOM_FIELDS)}))
    if session.execute(_INSERT_ONCE_SQLITE, values).first() is None:
        return False
    if symptoms:
        session.execute(
            _INSERT_SYMPTOMS, [{"report_id": values["id"], **{n: s.get(n) for n in _SYMPTOM_FIELDS}} for s in symptoms]
        )
    return True


def submit_report(
    session: Session,
    *,
    patient: Patient | PatientRef,
    device_id: uuid.UUID | None,
    payload: dict,
    settings: dict,
    now: datetime,
    channels: outbox.Availability | None = None,
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
        thresholds = Thresholds.from_settings(settings["thresholds"])
        facts = triage.report_facts(payload)
        context = triage.read_context(
            session,
            patient_id=patient.id,
            observed_at=payload["observed_at"],
            infusion_id=payload.get("infusion_id"),
            codes=triage.rising_codes(facts, thresholds),
            window=timedelta(days=thresholds.worsening_window_days),
        )
        if payload.get("infusion_id") is not None and context.infusion is None:
            raise ValidationFailed("No infusion with this id belongs to you.", field="infusion_id")
        infusion = context.infusion
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

    derived = None
    if patient.phq9_baseline is None and facts.phq9 is not None:
        # No typed baseline: the rise over baseline compares with the first PHQ-9 before the first infusion.
        derived = outcomes.derived_phq9_baseline(session, patient_id=patient.id)
    findings = triage.assess(
        patient=patient, facts=facts, context=context, thresholds=thresholds, phq9_baseline=derived
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
        "ketamine_outside_clinic": payload.get("ketamine_outside_clinic"),
        "phq9": phq9,
        "phq9_total": sum(phq9) if phq9 else None,
        "systolic": vitals.get("systolic"),
        "diastolic": vitals.get("diastolic"),
        "heart_rate": vitals.get("heart_rate"),
        "note": payload.get("note"),
        "flagged": flagged,
        "triage_priority": priority,
        "crisis": crisis,
        "triage_rules": [f.rule for f in findings] or None,
        "paged": False,  # set once a page is written (the flags need the report row first)
    }
    if not _store(session, values, payload.get("symptoms") or []):
        replay = find_replay(session, patient_id=patient.id, client_report_id=client_report_id, digest=digest)
        if replay is None:  # the other copy was rolled back between our INSERT and SELECT
            raise Conflict("This report is being stored by another request; send it again.", field="client_report_id")
        return replay
    if infusion is not None:  # the incidence roll-up, in the report's transaction
        incidence.record_report(session, report_id=values["id"], infusion_id=infusion.id)
    if values["phq9_total"] is not None:  # the outcomes roll-up: the patient's first PHQ-9, when it is
        outcomes.record_phq9(
            session,
            patient_id=patient.id,
            clinic_id=patient.clinic_id,
            observed_at=values["observed_at"],
            received_at=now,
            total=values["phq9_total"],
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
    paged = False
    if findings:
        paged = triage.open_or_join(
            session,
            clinic_id=patient.clinic_id,
            patient_id=patient.id,
            report_id=values["id"],
            findings=findings,
            targets=settings["response_targets_minutes"],
            now=now,
            settings=settings,
            channels=channels,
        ).paged
        if paged:  # known only once the flags are written, which needs the report row first
            session.execute(
                update(Report).where(Report.id == values["id"]).values(paged=True),
                execution_options={"synchronize_session": False},
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
        rules=tuple(values["triage_rules"] or ()),
        paged=paged,
    )


@dataclass(frozen=True)
class Telling:
    """What the patient's answer is worded with: their language and the clinic's texts."""

    language: str | None = None
    crisis_resources: tuple[dict, ...] = ()
    advice: dict | None = None  # the clinic's own advice texts, by rule and language

    @classmethod
    def of(cls, settings: dict, *, language: str | None) -> Telling:
        return cls(language, tuple(settings.get("crisis_resources") or ()), settings.get("advice"))


def telling_for(session: Session, *, patient: Patient) -> Telling:
    """How a patient was told things (for staff reading their reports): their language, their clinic's texts."""
    return Telling.of(
        effective_settings(session.scalar(select(Clinic.settings).where(Clinic.id == patient.clinic_id))),
        language=patient.language,
    )


def receipt(session: Session, submission: Submission, *, telling: Telling) -> dict:
    """The 201 (or replay 200) answer to a report: its ids and the triage outcome."""
    screened = True
    if submission.crisis:  # a new report has no screen yet; a replay may have one
        screened = not submission.created and bool(safety_screens.screens_of(session, [submission.id]))
    return {
        "id": submission.id,
        "client_report_id": submission.client_report_id,
        "received_at": submission.received_at,
        "infusion_id": submission.infusion_id,
        "triage": triage_of(submission, telling=telling, screened=screened),
    }


def triage_of(report: Report | Submission, *, telling: Telling, screened: bool = True) -> dict:
    """What the phone is told about a stored report: who knows (true: "alerted now" only when a page was
    written with it), what to do now, and after a suicidal-ideation signal the crisis resources and, while
    it is not answered yet, the safety screen."""
    if isinstance(report, Submission):
        priority, rules, paged = report.priority, report.rules, report.paged
    else:
        priority, rules, paged = report.triage_priority, tuple(report.triage_rules or ()), report.paged
    outcome = {
        "flagged": report.flagged,
        "priority": priority,
        "paged": paged,
        "message": advice.message(priority, paged=paged, language=telling.language),
        "advice": advice.advice(rules, language=telling.language, overrides=telling.advice),
    }
    if report.crisis:
        outcome["crisis_resources"] = advice.crisis_resources(list(telling.crisis_resources), language=telling.language)
        if not screened:
            outcome["safety_screen"] = safety_screens.offer(report.id, language=telling.language)
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


def report_views(session: Session, reports: list[Report], *, telling: Telling) -> list[dict]:
    """Reports as readers see them: symptoms, vitals, triage (as the patient was told it), the safety screen
    and the chain of corrections (two queries a page, a third when a report carries a crisis signal)."""
    ids = [r.id for r in reports]
    screens = safety_screens.screens_of(session, [r.id for r in reports if r.crisis])
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
                "triage": triage_of(report, telling=telling, screened=report.id in screens),
                "safety_screen": safety_screens.view(screens[report.id]) if report.id in screens else None,
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
    "ketamine_outside_clinic",
    "phq9",
    "phq9_total",
    "note",
    "reviewed_at",
)
