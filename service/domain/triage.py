"""Triage: run the rules on a new report and turn findings into flags, in the report's transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import JSON, Select, and_, bindparam, case, func, insert, literal, literal_column, or_, select, true
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from service.domain import advice, outbox, paging
from service.domain.clinics import effective_settings
from service.domain.sql import DriverStatement, json_records, json_rows
from service.enums import FlagEventKind, FlagStatus
from service.metrics import FLAGS_OPENED, labelled
from service.models import Clinic, Flag, FlagEvent, FlagReport, Infusion, Report, ReportSymptom
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


def urgency_of(priority: Priority | str) -> int:
    """Queue order of a priority: 1 critical … 4 low."""
    return 5 - Priority(priority).rank


CRITICAL_URGENCY = 1


def report_facts(payload: dict) -> ReportFacts:
    """The rules engine's view of a validated report body."""
    vitals = payload.get("vitals") or {}
    return ReportFacts(
        observed_at=payload["observed_at"],
        symptoms=tuple(SymptomObs(s["code"], s["severity"], s.get("note")) for s in payload.get("symptoms") or ()),
        mood=payload.get("mood"),
        suicidal_thoughts=payload.get("suicidal_thoughts"),
        ketamine_outside_clinic=payload.get("ketamine_outside_clinic"),
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


def assess(
    *, patient, facts: ReportFacts, context: ReportContext, thresholds: Thresholds, phq9_baseline: int | None = None
) -> list[Finding]:
    """Run every per-report rule on a report of this patient (the PHQ-9 baseline: the patient's, or the one given)."""
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
        phq9_baseline=patient.phq9_baseline if patient.phq9_baseline is not None else phq9_baseline,
        mood_baseline=patient.mood_baseline,
        infusion=infusion_facts,
        recent_reports=context.history,
    )
    return evaluate(facts, patient_context, thresholds)


def outcome(findings: list[Finding]) -> tuple[bool, str | None, bool]:
    """(flagged, highest priority, crisis) of a report's findings; crisis: a suicidal-ideation signal."""
    top = highest(f.priority for f in findings)
    crisis = any(f.rule in advice.CRISIS_RULES for f in findings)
    return bool(findings), (str(top) if top else None), crisis


def _joining(excluded) -> dict:
    """What a finding changes on the patient's active flag of its rule when it joins it.

    Critical news (a critical finding joining a flag that was not critical, or one a clinician had
    acknowledged) puts the flag back to open with a fresh critical target, restarts its escalation
    chain and counts a page (written by the caller). A critical finding joining a critical flag still
    open just adds to it: the people paged for it are already on their way, and the chain runs on.
    """
    more_urgent = excluded.urgency < _F.c.urgency
    news = and_(
        excluded.urgency == CRITICAL_URGENCY,
        or_(_F.c.urgency > CRITICAL_URGENCY, _F.c.status == FlagStatus.ACKNOWLEDGED.value),
    )
    return {
        "priority": case((more_urgent, excluded.priority), else_=_F.c.priority),
        "urgency": case((more_urgent, excluded.urgency), else_=_F.c.urgency),
        "status": case((news, literal(FlagStatus.OPEN.value)), else_=_F.c.status),
        "due_by": case((news, excluded.due_by), (excluded.due_by < _F.c.due_by, excluded.due_by), else_=_F.c.due_by),
        "escalation_level": case((news, literal(0)), else_=_F.c.escalation_level),
        "page_count": _F.c.page_count + case((news, literal(1)), else_=literal(0)),
        "last_paged_at": case((news, excluded.updated_at), else_=_F.c.last_paged_at),
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
    "page_count": _F.c.page_count,
    "last_paged_at": _F.c.last_paged_at,
    "data": _FE.c.data,
}
# What the upsert returns of each flag: enough to tell opened, joined, raised or reopened, and whom to page.
_RETURNED = (_F.c.id, _F.c.rule, _F.c.page_count, _F.c.last_paged_at, _F.c.acknowledged_at, _F.c.assignee_id)


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
            "page_count",
            "last_paged_at",
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
            g.page_count,
            g.last_paged_at,
            literal(1),
        ).order_by(g.position),
    )
    upserted = (
        proposed.on_conflict_do_update(
            index_elements=["patient_id", "rule"], index_where=ACTIVE, set_=_joining(proposed.excluded)
        )
        .returning(*_RETURNED)
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
    returned = [u[c.name] for c in _RETURNED if c.name != "rule"]
    return select(*returned, opened).select_from(both).order_by(g.position).add_cte(linked).add_cte(events)


_RAISE_PG = DriverStatement(_raise_in_one_statement())


@dataclass(frozen=True)
class Raised:
    """What a report's findings did to the patient's flags: the flags (in the findings' order) and whether a
    page went out in this transaction."""

    flag_ids: list[uuid.UUID]
    paged: bool


def raise_flags(session: Session, **kwargs) -> list[uuid.UUID]:
    """open_or_join, for callers that need only the flags."""
    return open_or_join(session, **kwargs).flag_ids


def open_or_join(
    session: Session,
    *,
    clinic_id: uuid.UUID,
    patient_id: uuid.UUID,
    report_id: uuid.UUID | None,
    findings: list[Finding],
    targets: dict[str, int],
    now: datetime,
    settings: dict | None = None,
    channels: outbox.Availability | None = None,
) -> Raised:
    """Open a flag per finding, or join the patient's active flag of that rule (one per patient and rule), and
    page for every flag that became critical news (see _joining and service.domain.paging).

    Joining keeps the flag's status (but for critical news), raises its priority when the new finding is
    more urgent, pulls due_by earlier when the new target is sooner, and records the new reason and evidence
    as an event. The database's partial unique index decides between open and join, so racing reports never
    open two flags for one rule; the row lock it takes orders a join against an acknowledgement. One round
    trip on PostgreSQL, three statements per finding elsewhere; pages cost statements only when there are any.
    """
    if len({f.rule for f in findings}) != len(findings):
        raise ValueError("one finding per rule")  # the engine gives one; an upsert cannot touch a flag twice
    proposals = []
    for finding in findings:
        critical = urgency_of(finding.priority) == CRITICAL_URGENCY
        proposals.append(
            {
                "new_id": uuid.uuid4(),
                "rule": finding.rule,
                "rule_version": finding.version,
                "priority": str(finding.priority),
                "urgency": urgency_of(finding.priority),
                "reason": finding.reason,
                "evidence": finding.evidence,
                "due_by": now + timedelta(minutes=targets[str(finding.priority)]),
                "page_count": 1 if critical else 0,
                "last_paged_at": now if critical else None,
                "data": {
                    "rule": finding.rule,
                    "version": finding.version,
                    "priority": str(finding.priority),
                    "evidence": finding.evidence,
                },
            }
        )
    if not proposals:
        return Raised([], paged=False)
    if session.get_bind().dialect.name == "postgresql":
        params = dict(
            findings=json_rows(proposals, _FINDING_COLUMNS),
            clinic_id=clinic_id,
            patient_id=patient_id,
            report_id=report_id,
            now=now,
            last_report_at=now if report_id else None,
        )
        raised = [_Upserted(*row) for row in _RAISE_PG.rows(session, params)]
    else:
        owner = {"clinic_id": clinic_id, "patient_id": patient_id, "report_id": report_id}
        raised = [_raise_one(session, owner=owner, proposal=proposal, now=now) for proposal in proposals]
    pages = []
    for flag, proposal in zip(raised, proposals, strict=True):
        if flag.opened:
            labelled(FLAGS_OPENED, proposal["priority"]).inc()
        if flag.last_paged_at != now:
            continue
        # An acknowledgement on a flag that is open again after this statement: new evidence reopened it
        # (a flag only goes back to open on critical news, and critical news on an open flag pages only when
        # it raised the flag to critical, which an acknowledged-then-reopened flag already is).
        reopened = not flag.opened and flag.acknowledged_at is not None
        if reopened:
            paging.note_reopened(
                session,
                flag_id=flag.id,
                acknowledged_at=flag.acknowledged_at,
                report_id=report_id,
                why="New evidence",
                now=now,
            )
        reason = "opened" if flag.opened else "new_evidence" if reopened else "raised"
        pages.append(paging.Page(flag.id, flag.page_count, reason, None if flag.opened else flag.assignee_id))
    paged = False
    if pages:
        if settings is None:
            settings = effective_settings(session.scalar(select(Clinic.settings).where(Clinic.id == clinic_id)))
        paged = paging.write_pages(
            session,
            clinic_id=clinic_id,
            patient_id=patient_id,
            pages=pages,
            settings=settings,
            channels=channels or outbox.Availability(),
            now=now,
            report_id=report_id,
        )
    return Raised([flag.id for flag in raised], paged=paged)


class _Upserted(NamedTuple):
    id: uuid.UUID
    page_count: int
    last_paged_at: datetime | None
    acknowledged_at: datetime | None
    assignee_id: uuid.UUID | None
    opened: bool


def _raise_one(session: Session, *, owner: dict, proposal: dict, now: datetime) -> _Upserted:
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
        page_count=proposal["page_count"],
        last_paged_at=proposal["last_paged_at"],
        version=1,
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["patient_id", "rule"], index_where=ACTIVE, set_=_joining(stmt.excluded)
    ).returning(*_RETURNED)
    row = session.execute(stmt).one()
    flag_id = row.id
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
    return _Upserted(flag_id, row.page_count, row.last_paged_at, row.acknowledged_at, row.assignee_id, opened)
