"""Triage: run the rules on a new report and turn findings into flags, in the report's transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import JSON, Select, bindparam, case, func, insert, literal, literal_column, select, true
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from service.domain.sql import DriverStatement, json_records, json_rows
from service.enums import FlagEventKind, FlagStatus
from service.metrics import FLAGS_OPENED, labelled
from service.models import Flag, FlagEvent, FlagReport, Infusion, Report, ReportSymptom
from service.models.flag import ACTIVE
from service.rules import (
    Finding,
    InfusionFacts,
    PatientContext,
    Priority,
    PriorReport,
    ReportFacts,
    SymptomObs,
    Thresholds,
    evaluate,
    highest,
)

PATIENT_MESSAGES = {
    None: "Thank you. Your report was received and your care team can see it.",
    Priority.LOW: "Thank you. A nurse will look at this within the next few days.",
    Priority.MEDIUM: "Thank you. A nurse will review this today.",
    Priority.HIGH: "Thank you. A nurse will review this within a few hours.",
    Priority.CRITICAL: "Your care team has been alerted now and will contact you soon.",
}
CRISIS_MESSAGE = (
    "Your care team has been alerted now. If you might act on these thoughts, call 911 or call or text 988 right away."
)


def urgency_of(priority: Priority | str) -> int:
    """Queue order of a priority: 1 critical … 4 low."""
    return 5 - Priority(priority).rank


def patient_message(priority: str | None, *, crisis: bool) -> str:
    """The calm, plain sentence the phone shows after a report."""
    if crisis:
        return CRISIS_MESSAGE
    return PATIENT_MESSAGES[Priority(priority) if priority else None]


def report_facts(payload: dict) -> ReportFacts:
    """The rules engine's view of a validated report body."""
    vitals = payload.get("vitals") or {}
    return ReportFacts(
        observed_at=payload["observed_at"],
        symptoms=tuple(SymptomObs(s["code"], s["severity"], s.get("note")) for s in payload.get("symptoms") or ()),
        mood=payload.get("mood"),
        suicidal_thoughts=payload.get("suicidal_thoughts"),
        phq9=tuple(payload["phq9"]) if payload.get("phq9") else None,
        systolic=vitals.get("systolic"),
        diastolic=vitals.get("diastolic"),
        heart_rate=vitals.get("heart_rate"),
        note=payload.get("note"),
    )


_R, _S, _I = Report.__table__.c, ReportSymptom.__table__.c, Infusion.__table__
_INFUSION_COLUMNS = (
    _I.c.id,
    _I.c.started_at,
    _I.c.ended_at,
    _I.c.route,
    _I.c.pre_systolic,
    _I.c.pre_diastolic,
)
_LATEST_INFUSION = (
    select(*_INFUSION_COLUMNS)
    .where(
        _I.c.patient_id == bindparam("patient_id"),
        _I.c.ended_at.is_not(None),
        _I.c.ended_at <= bindparam("observed_at"),
    )
    .order_by(_I.c.ended_at.desc())
    .limit(1)
)
_NAMED_INFUSION = select(*_INFUSION_COLUMNS).where(
    _I.c.id == bindparam("infusion_id"), _I.c.patient_id == bindparam("patient_id")
)
_EARLIER = (
    _R.patient_id == bindparam("patient_id"),
    _R.observed_at < bindparam("observed_at"),
    _R.observed_at >= bindparam("since"),
)
_REPORTS_SYMPTOMS = Report.__table__.join(ReportSymptom.__table__, _S.report_id == _R.id)


def _latest_per_code() -> Select:
    """PostgreSQL: for each code of a JSON array parameter, the patient's latest earlier report of it in
    the window — walking the patient's reports newest first and stopping at the first that has it."""
    wanted = (
        func.json_array_elements_text(bindparam("codes", type_=JSON()))
        .table_valued("code")
        .render_derived(name="wanted")
    )
    latest = (
        select(_R.id.label("report_id"), _R.observed_at, _S.code, _S.severity)
        .select_from(_REPORTS_SYMPTOMS)
        .where(*_EARLIER, _S.code == wanted.c.code)
        .order_by(_R.observed_at.desc(), _R.id.desc())
        .limit(literal_column("1"))  # written out, so a prepared statement's generic plan knows it too
        .lateral("latest")
    )
    return select(*latest.c).select_from(wanted.join(latest, true()))


def _latest_per_code_ranked() -> Select:
    """The same rows where there is no LATERAL (SQLite): rank each code's reports, newest first, keep the first."""
    newest_first = func.row_number().over(partition_by=_S.code, order_by=(_R.observed_at.desc(), _R.id.desc()))
    ranked = (
        select(_R.id.label("report_id"), _R.observed_at, _S.code, _S.severity, newest_first.label("rank"))
        .select_from(_REPORTS_SYMPTOMS)
        .where(*_EARLIER, _S.code.in_(bindparam("codes", expanding=True)))
        .subquery("ranked")
    )
    return select(ranked.c.report_id, ranked.c.observed_at, ranked.c.code, ranked.c.severity).where(ranked.c.rank == 1)


def _context_query(infusion: Select, history: Select) -> Select:
    """The infusion row (or NULLs) beside each earlier report symptom (or one row of NULLs): one round trip."""
    anchor = select(literal(1).label("one")).subquery("anchor")
    inf, hist = infusion.subquery("inf"), history.subquery("hist")
    return (
        select(*inf.c, hist.c.report_id, hist.c.observed_at, hist.c.code, hist.c.severity)
        .select_from(anchor.outerjoin(inf, true()).outerjoin(hist, true()))
        .order_by(hist.c.observed_at.desc())
    )


# Every report runs one of these: straight on the driver (see DriverStatement).
_CONTEXT = {
    named: DriverStatement(
        _context_query(infusion, _latest_per_code()), elsewhere=_context_query(infusion, _latest_per_code_ranked())
    )
    for named, infusion in ((False, _LATEST_INFUSION), (True, _NAMED_INFUSION))
}


class LinkedInfusion(NamedTuple):
    id: uuid.UUID
    started_at: datetime
    ended_at: datetime
    route: str
    pre_systolic: int | None
    pre_diastolic: int | None


@dataclass(frozen=True)
class ReportContext:
    """What the rules need from the database about a new report: its infusion and the earlier reports."""

    infusion: LinkedInfusion | None
    history: tuple[PriorReport, ...]


def read_context(
    session: Session,
    *,
    patient_id: uuid.UUID,
    observed_at: datetime,
    infusion_id: uuid.UUID | None,
    codes: list[str],
    window: timedelta,
) -> ReportContext:
    """The infusion a report belongs to (the named one if it is the patient's, else the latest that
    ended before the report) and, for each of these symptoms, the patient's latest earlier report of
    it within the window, newest first, in one statement."""
    rows = _CONTEXT[infusion_id is not None].rows(
        session,
        {
            "patient_id": patient_id,
            "infusion_id": infusion_id,
            "observed_at": observed_at,
            "since": observed_at - window,
            "codes": codes,
        },
    )
    width = len(_INFUSION_COLUMNS)
    infusion = LinkedInfusion(*rows[0][:width]) if rows and rows[0][0] is not None else None
    grouped: dict[uuid.UUID, tuple[datetime, list]] = {}
    for row in rows:
        report_id, observed, code, severity = row[width:]
        if report_id is not None:
            grouped.setdefault(report_id, (observed, []))[1].append(SymptomObs(code, severity))
    history = tuple(PriorReport(observed, tuple(symptoms)) for observed, symptoms in grouped.values())
    return ReportContext(infusion, history)


def rising_codes(facts: ReportFacts, thresholds: Thresholds) -> list[str]:
    """The symptoms of a report severe enough that the worsening rule compares them with history."""
    return [s.code for s in facts.symptoms if s.severity >= thresholds.worsening_rise]


def assess(*, patient, facts: ReportFacts, context: ReportContext, thresholds: Thresholds) -> list[Finding]:
    """Run every per-report rule on a report of this patient."""
    infusion = context.infusion
    infusion_facts = None
    if infusion is not None:
        infusion_facts = InfusionFacts(
            started_at=infusion.started_at,
            ended_at=infusion.ended_at,
            route=str(infusion.route),
            pre_systolic=infusion.pre_systolic,
            pre_diastolic=infusion.pre_diastolic,
        )
    patient_context = PatientContext(
        time_zone=patient.time_zone,
        phq9_baseline=patient.phq9_baseline,
        mood_baseline=patient.mood_baseline,
        infusion=infusion_facts,
        recent_reports=context.history,
    )
    return evaluate(facts, patient_context, thresholds)


def outcome(findings: list[Finding]) -> tuple[bool, str | None, bool]:
    """(flagged, highest priority, crisis) of a report's findings."""
    top = highest(f.priority for f in findings)
    crisis = any(f.rule in ("suicidal-ideation", "crisis-language") for f in findings)
    return bool(findings), (str(top) if top else None), crisis


def _joining(excluded) -> dict:
    """What a finding changes on the patient's active flag of its rule when it joins it."""
    more_urgent = excluded.urgency < _F.c.urgency
    return {
        "priority": case((more_urgent, excluded.priority), else_=_F.c.priority),
        "urgency": case((more_urgent, excluded.urgency), else_=_F.c.urgency),
        "due_by": case((excluded.due_by < _F.c.due_by, excluded.due_by), else_=_F.c.due_by),
        "reason": excluded.reason,
        "evidence": excluded.evidence,
        "rule_version": excluded.rule_version,
        "report_count": _F.c.report_count + 1,
        "updated_at": excluded.updated_at,
        "last_report_at": excluded.last_report_at,
        "version": _F.c.version + 1,
    }


_F, _FR, _FE = Flag.__table__, FlagReport.__table__, FlagEvent.__table__
# The fields of each finding in the statement's JSON parameter, and the columns whose types they take.
_FINDING_COLUMNS = {
    "new_id": _F.c.id,
    "rule": _F.c.rule,
    "rule_version": _F.c.rule_version,
    "priority": _F.c.priority,
    "urgency": _F.c.urgency,
    "reason": _F.c.reason,
    "evidence": _F.c.evidence,
    "due_by": _F.c.due_by,
    "data": _FE.c.data,
}


def _raise_in_one_statement() -> Select:
    """PostgreSQL: every finding of a report opens or joins its flag, links the report and records the
    event, in one statement; rows (flag id, opened) in the findings' order.

    The findings come as one JSON parameter (see json_records). The upsert's conflict target is the
    partial unique index of active flags, as in the row-by-row path; a flag is opened when the id
    it returns is the one we proposed.
    """
    now = bindparam("now", type_=_F.c.created_at.type)
    report_id = bindparam("report_id", type_=_FR.c.report_id.type)
    given = select(json_records("findings", _FINDING_COLUMNS)).cte("given")
    g = given.c
    proposed = pg_insert(_F).from_select(
        [
            "id",
            "clinic_id",
            "patient_id",
            "rule",
            "rule_version",
            "priority",
            "urgency",
            "status",
            "reason",
            "evidence",
            "due_by",
            "report_count",
            "created_at",
            "updated_at",
            "last_report_at",
            "escalation_level",
            "version",
        ],
        select(
            g.new_id,
            bindparam("clinic_id", type_=_F.c.clinic_id.type),
            bindparam("patient_id", type_=_F.c.patient_id.type),
            g.rule,
            g.rule_version,
            g.priority,
            g.urgency,
            literal(FlagStatus.OPEN.value),
            g.reason,
            g.evidence,
            g.due_by,
            literal(1),
            now,
            now,
            bindparam("last_report_at", type_=_F.c.last_report_at.type),
            literal(0),
            literal(1),
        ).order_by(g.position),
    )
    upserted = (
        proposed.on_conflict_do_update(
            index_elements=["patient_id", "rule"], index_where=ACTIVE, set_=_joining(proposed.excluded)
        )
        .returning(_F.c.id, _F.c.rule)
        .cte("upserted")
    )
    u = upserted.c
    both = upserted.join(given, g.rule == u.rule)
    opened = u.id == g.new_id
    linked = (
        insert(_FR)
        .from_select(["flag_id", "report_id", "added_at"], select(u.id, report_id, now).where(report_id.is_not(None)))
        .cte("linked")
    )
    events = (
        insert(_FE)
        .from_select(
            ["flag_id", "at", "kind", "report_id", "text", "data"],
            select(
                u.id,
                now,
                case((opened, literal(FlagEventKind.OPENED.value)), else_=literal(FlagEventKind.JOINED.value)),
                report_id,
                g.reason,
                g.data,
            )
            .select_from(both)
            .order_by(g.position),
        )
        .cte("events")
    )
    return select(u.id, opened).select_from(both).order_by(g.position).add_cte(linked).add_cte(events)


_RAISE_PG = DriverStatement(_raise_in_one_statement())


def raise_flags(
    session: Session,
    *,
    clinic_id: uuid.UUID,
    patient_id: uuid.UUID,
    report_id: uuid.UUID | None,
    findings: list[Finding],
    targets: dict[str, int],
    now: datetime,
) -> list[uuid.UUID]:
    """Open a flag per finding, or join the patient's active flag of that rule (one per patient and rule).

    Joining keeps the flag's status, raises its priority when the new finding is more urgent, pulls
    due_by earlier when the new target is sooner, and records the new reason and evidence as an event.
    The database's partial unique index decides between open and join, so racing reports never
    open two flags for one rule. One round trip on PostgreSQL; three statements per finding elsewhere.
    """
    if len({f.rule for f in findings}) != len(findings):
        raise ValueError("one finding per rule")  # the engine gives one; an upsert cannot touch a flag twice
    proposals = [
        {
            "new_id": uuid.uuid4(),
            "rule": finding.rule,
            "rule_version": finding.version,
            "priority": str(finding.priority),
            "urgency": urgency_of(finding.priority),
            "reason": finding.reason,
            "evidence": finding.evidence,
            "due_by": now + timedelta(minutes=targets[str(finding.priority)]),
            "data": {
                "rule": finding.rule,
                "version": finding.version,
                "priority": str(finding.priority),
                "evidence": finding.evidence,
            },
        }
        for finding in findings
    ]
    if not proposals:
        return []
    if session.get_bind().dialect.name == "postgresql":
        params = dict(
            findings=json_rows(proposals, _FINDING_COLUMNS),
            clinic_id=clinic_id,
            patient_id=patient_id,
            report_id=report_id,
            now=now,
            last_report_at=now if report_id else None,
        )
        raised = _RAISE_PG.rows(session, params)
    else:
        owner = {"clinic_id": clinic_id, "patient_id": patient_id, "report_id": report_id}
        raised = [_raise_one(session, owner=owner, proposal=proposal, now=now) for proposal in proposals]
    for (_flag_id, opened), proposal in zip(raised, proposals, strict=True):
        if opened:
            labelled(FLAGS_OPENED, proposal["priority"]).inc()
    return [flag_id for flag_id, _opened in raised]


def _raise_one(session: Session, *, owner: dict, proposal: dict, now: datetime) -> tuple[uuid.UUID, bool]:
    """Open or join one flag, link the report and record the event (databases without writable CTEs)."""
    report_id = owner["report_id"]
    stmt = sqlite_insert(_F).values(
        id=proposal["new_id"],
        clinic_id=owner["clinic_id"],
        patient_id=owner["patient_id"],
        rule=proposal["rule"],
        rule_version=proposal["rule_version"],
        priority=proposal["priority"],
        urgency=proposal["urgency"],
        status=FlagStatus.OPEN,
        reason=proposal["reason"],
        evidence=proposal["evidence"],
        due_by=proposal["due_by"],
        report_count=1,
        created_at=now,
        updated_at=now,
        last_report_at=now if report_id else None,
        escalation_level=0,
        version=1,
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["patient_id", "rule"], index_where=ACTIVE, set_=_joining(stmt.excluded)
    ).returning(_F.c.id)
    flag_id = session.execute(stmt).scalar_one()
    opened = flag_id == proposal["new_id"]
    if report_id is not None:
        session.execute(insert(_FR).values(flag_id=flag_id, report_id=report_id, added_at=now))
    session.execute(
        insert(_FE).values(
            flag_id=flag_id,
            at=now,
            kind=FlagEventKind.OPENED if opened else FlagEventKind.JOINED,
            report_id=report_id,
            text=proposal["reason"],
            data=proposal["data"],
        )
    )
    return flag_id, opened
