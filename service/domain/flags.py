"""Flags: the clinicians' queue and a flag's lifecycle (acknowledge, assign, note, escalate, resolve)."""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, case, func, literal, select, tuple_, update
from sqlalchemy.orm import Session

from service.domain.patients import patient_summary
from service.domain.reports import Telling, report_views
from service.domain.triage import urgency_of
from service.enums import ACTIVE_FLAG_STATUSES, FlagAction, FlagEventKind, FlagPriority, FlagStatus, Resolution
from service.errors import Conflict, NotFound, PreconditionFailed, ValidationFailed
from service.models import Clinician, Flag, FlagEvent, FlagReport, Patient, Report

# Core columns of the tables: the queue reads plain rows, no ORM entities (it is the hottest read).
_F, _P, _FR = Flag.__table__.c, Patient.__table__.c, FlagReport.__table__.c
QUEUE_COLUMNS = (
    _F.id,
    _F.patient_id,
    _P.display_name,
    _F.rule,
    _F.priority,
    _F.urgency,
    _F.status,
    _F.reason,
    _F.due_by,
    _F.created_at,
    _F.assignee_id,
    _F.escalation_level,
    _F.acknowledged_at,
    _F.report_count,
    _F.version,  # for the console's forms (If-Match); the API's queue items do not list it
)


@dataclass(frozen=True)
class QueueFilter:
    status: str = "active"  # active (open + acknowledged), open, acknowledged, resolved, all
    priority: FlagPriority | None = None
    patient_id: uuid.UUID | None = None
    assignee_id: uuid.UUID | None = None
    unassigned: bool = False
    overdue: bool | None = None


def encode_cursor(urgency: int, due_by: datetime, flag_id: uuid.UUID) -> str:
    raw = json.dumps([urgency, due_by.isoformat(), str(flag_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _queue_key(urgency, due_by, flag_id) -> tuple[int, datetime, uuid.UUID]:
    """A queue position read back from a cursor (ValueError/TypeError when it is not one)."""
    moment = datetime.fromisoformat(due_by)
    if moment.tzinfo is None or not isinstance(urgency, int):
        raise ValueError
    return urgency, moment, uuid.UUID(flag_id)


def _unpack(cursor: str) -> list:
    padded = cursor + "=" * (-len(cursor) % 4)
    return json.loads(base64.urlsafe_b64decode(padded.encode()))


def decode_cursor(cursor: str) -> tuple[int, datetime, uuid.UUID]:
    try:
        return _queue_key(*_unpack(cursor))
    except (ValueError, TypeError, json.JSONDecodeError, UnicodeDecodeError):
        raise ValidationFailed(
            "Not a cursor this API gave out; start again without one.", field="cursor", location="query"
        ) from None


def queue_query(*, clinic_id: uuid.UUID, filters: QueueFilter, now: datetime) -> Select:
    """The clinic's flags, most urgent first, then soonest due (uses the queue's index)."""
    stmt = select(*QUEUE_COLUMNS).join_from(Flag.__table__, Patient.__table__, _P.id == _F.patient_id)
    stmt = stmt.where(_F.clinic_id == clinic_id)
    if filters.status == "active":
        stmt = stmt.where(_F.status.in_(ACTIVE_FLAG_STATUSES))
    elif filters.status != "all":
        stmt = stmt.where(_F.status == filters.status)
    if filters.priority is not None:
        stmt = stmt.where(_F.priority == filters.priority)
    if filters.patient_id is not None:
        stmt = stmt.where(_F.patient_id == filters.patient_id)
    if filters.assignee_id is not None:
        stmt = stmt.where(_F.assignee_id == filters.assignee_id)
    if filters.unassigned:
        stmt = stmt.where(_F.assignee_id.is_(None))
    if filters.overdue is True:
        stmt = stmt.where(_F.due_by < now, _F.status != FlagStatus.RESOLVED)
    elif filters.overdue is False:
        stmt = stmt.where((_F.due_by >= now) | (_F.status == FlagStatus.RESOLVED))
    return stmt.order_by(_F.urgency, _F.due_by, _F.id)


def queue_page(
    session: Session, *, clinic_id: uuid.UUID, filters: QueueFilter, cursor: str | None, limit: int, now: datetime
) -> tuple[list[dict], str | None]:
    """One page of the queue after the cursor (keyset paging: as fast deep as on page one); no COUNT."""
    stmt = queue_query(clinic_id=clinic_id, filters=filters, now=now)
    if cursor:
        stmt = stmt.where(tuple_(_F.urgency, _F.due_by, _F.id) > tuple_(*decode_cursor(cursor)))
    rows = session.execute(stmt.limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    items = _queue_items(session, rows, now=now)
    next_cursor = encode_cursor(rows[-1].urgency, rows[-1].due_by, rows[-1].id) if more else None
    return items, next_cursor


def _queue_items(session: Session, rows, *, now: datetime) -> list[dict]:
    """Queue rows as items: with the reports behind each flag (in the order they joined it) and its state."""
    report_ids: dict[uuid.UUID, list[uuid.UUID]] = {row.id: [] for row in rows}
    if rows:
        for flag_id, report_id in session.execute(
            select(_FR.flag_id, _FR.report_id).where(_FR.flag_id.in_(list(report_ids))).order_by(_FR.added_at)
        ):
            report_ids[flag_id].append(report_id)
    return [
        {
            **row._asdict(),
            "patient_display_name": row.display_name,
            "report_ids": report_ids[row.id],
            "overdue": row.status != FlagStatus.RESOLVED and row.due_by < now,
            "new_since_acknowledged": new_since_acknowledged(row),
        }
        for row in rows
    ]


# --- the queue as cases: one row per patient, their flags under it ------------------------------------------

CASE_STATUSES = ("active", "open", "acknowledged")
_CASE_CURSOR = "case"


def actions_of(status: FlagStatus | str) -> tuple[FlagAction, ...]:
    """What a clinician can still do to a flag in this state (the transitions below allow exactly these)."""
    if status == FlagStatus.OPEN:
        return (FlagAction.ACKNOWLEDGE, FlagAction.ASSIGN, FlagAction.NOTE, FlagAction.ESCALATE, FlagAction.RESOLVE)
    if status == FlagStatus.ACKNOWLEDGED:
        return (FlagAction.ASSIGN, FlagAction.NOTE, FlagAction.ESCALATE, FlagAction.RESOLVE)
    return (FlagAction.NOTE,)


def encode_case_cursor(urgency: int, due_by: datetime, flag_id: uuid.UUID) -> str:
    """A cursor over cases: the queue key of the last case's most urgent flag (not usable on the flat queue)."""
    raw = json.dumps([_CASE_CURSOR, urgency, due_by.isoformat(), str(flag_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_case_cursor(cursor: str) -> tuple[int, datetime, uuid.UUID]:
    try:
        kind, *key = _unpack(cursor)
        if kind != _CASE_CURSOR:
            raise ValueError
        return _queue_key(*key)
    except (ValueError, TypeError, json.JSONDecodeError, UnicodeDecodeError):
        raise ValidationFailed(
            "Not a cursor this API gave out for cases; start again without one.", field="cursor", location="query"
        ) from None


def case_page(
    session: Session, *, clinic_id: uuid.UUID, filters: QueueFilter, cursor: str | None, limit: int, now: datetime
) -> tuple[list[dict], str | None]:
    """One page of cases: each patient with flags in the queue (as filtered), once, with those flags under it
    in queue order. A case takes the place of its most urgent flag, so cases keep the queue's order (critical
    first, then soonest due); paging is by cases (a patient's flags never split across pages)."""
    if filters.status not in CASE_STATUSES:
        raise ValidationFailed("Cases group flags still in the queue: active, open or acknowledged.", field="status")
    ranked = (
        queue_query(clinic_id=clinic_id, filters=filters, now=now)
        .order_by(None)
        .add_columns(
            func.row_number().over(partition_by=_F.patient_id, order_by=(_F.urgency, _F.due_by, _F.id)).label("rank")
        )
        .subquery()
    )
    leads = select(ranked.c.patient_id, ranked.c.urgency, ranked.c.due_by, ranked.c.id).where(ranked.c.rank == 1)
    if cursor:
        leads = leads.where(
            tuple_(ranked.c.urgency, ranked.c.due_by, ranked.c.id) > tuple_(*decode_case_cursor(cursor))
        )
    heads = session.execute(leads.order_by(ranked.c.urgency, ranked.c.due_by, ranked.c.id).limit(limit + 1)).all()
    more = len(heads) > limit
    heads = heads[:limit]
    if not heads:
        return [], None
    patient_ids = [head.patient_id for head in heads]
    rows = session.execute(
        queue_query(clinic_id=clinic_id, filters=filters, now=now).where(_F.patient_id.in_(patient_ids))
    ).all()
    by_patient: dict[uuid.UUID, list[dict]] = {patient_id: [] for patient_id in patient_ids}
    for item in _queue_items(session, rows, now=now):
        item["actions"] = list(actions_of(item["status"]))
        by_patient[item["patient_id"]].append(item)
    cases = [case_of(by_patient[patient_id]) for patient_id in patient_ids]
    last = heads[-1]
    return cases, encode_case_cursor(last.urgency, last.due_by, last.id) if more else None


def case_of(items: list[dict]) -> dict:
    """A patient's case from their queue items (already in queue order): the first one leads it."""
    lead = items[0]
    reports = list(dict.fromkeys(report_id for item in items for report_id in item["report_ids"]))
    return {
        "patient_id": lead["patient_id"],
        "patient_display_name": lead["patient_display_name"],
        "priority": lead["priority"],
        "due_by": lead["due_by"],
        "lead_flag_id": lead["id"],
        "overdue": any(item["overdue"] for item in items),
        "new_since_acknowledged": any(item["new_since_acknowledged"] for item in items),
        "flag_count": len(items),
        "report_ids": reports,
        "flags": items,
    }


def count_active(
    session: Session, *, now: datetime, clinic_id: uuid.UUID | None = None, all_clinics: bool = False
) -> dict:
    """Active flags by priority (of one clinic, or of every clinic when asked for in so many words): how
    many, how many nobody has acknowledged yet, how many overdue."""
    if (clinic_id is None) != all_clinics:
        raise ValueError("give a clinic_id, or all_clinics=True (not both)")
    counts = {str(p): {"active": 0, "unacknowledged": 0, "overdue": 0} for p in FlagPriority}
    overdue = func.sum(case((Flag.due_by < now, 1), else_=0))
    stmt = select(Flag.priority, Flag.status, func.count(), overdue).where(Flag.status.in_(ACTIVE_FLAG_STATUSES))
    if clinic_id is not None:
        stmt = stmt.where(Flag.clinic_id == clinic_id)
    rows = session.execute(stmt.group_by(Flag.priority, Flag.status))
    for priority, status, count, late in rows:
        entry = counts[str(priority)]
        entry["active"] += count
        entry["overdue"] += int(late or 0)
        if status == FlagStatus.OPEN:
            entry["unacknowledged"] += count
    return counts


def active_by_patient(session: Session, *, clinic_id: uuid.UUID) -> dict[uuid.UUID, dict]:
    """Each patient's active flags: how many, and the most urgent priority among them."""
    rows = session.execute(
        select(Flag.patient_id, func.count(), func.min(Flag.urgency))
        .where(Flag.clinic_id == clinic_id, Flag.status.in_(ACTIVE_FLAG_STATUSES))
        .group_by(Flag.patient_id)
    )
    by_urgency = {urgency_of(p): str(p) for p in FlagPriority}
    return {patient_id: {"count": count, "priority": by_urgency[urgency]} for patient_id, count, urgency in rows}


def active_of_patient(session: Session, *, patient_id: uuid.UUID) -> list[Flag]:
    """A patient's active flags, most urgent first."""
    return list(
        session.scalars(
            select(Flag)
            .where(Flag.patient_id == patient_id, Flag.status.in_(ACTIVE_FLAG_STATUSES))
            .order_by(Flag.urgency, Flag.due_by, Flag.id)
        )
    )


def get_flag(session: Session, *, clinic_id: uuid.UUID, flag_id: uuid.UUID) -> Flag:
    """A flag of the caller's clinic; 404 for any other."""
    flag = session.scalar(select(Flag).where(Flag.id == flag_id, Flag.clinic_id == clinic_id))
    if flag is None:
        raise NotFound("No such flag.")
    return flag


def events_of(session: Session, *, flag_id: uuid.UUID) -> list[FlagEvent]:
    """A flag's history, oldest first."""
    return list(session.scalars(select(FlagEvent).where(FlagEvent.flag_id == flag_id).order_by(FlagEvent.id)))


def report_ids_of(session: Session, *, flag_id: uuid.UUID) -> list[uuid.UUID]:
    """The reports behind a flag, in the order they joined it."""
    return list(
        session.scalars(select(FlagReport.report_id).where(FlagReport.flag_id == flag_id).order_by(FlagReport.added_at))
    )


def new_since_acknowledged(flag) -> bool:
    """Whether new evidence put an acknowledged flag back to open (its acknowledgement is older than that)."""
    return flag.status == FlagStatus.OPEN and flag.acknowledged_at is not None


def flag_view(session: Session, *, flag: Flag, settings: dict, now: datetime) -> dict:
    """A flag as a clinician reads it: its fields, the reports behind it (newest first; those that came after
    the acknowledgement of a flag that is open again are marked new), its history and the patient's summary."""
    added = dict(
        session.execute(select(FlagReport.report_id, FlagReport.added_at).where(FlagReport.flag_id == flag.id)).all()
    )
    ids = sorted(added, key=lambda report_id: added[report_id])
    rows = list(
        session.scalars(select(Report).where(Report.id.in_(ids)).order_by(Report.observed_at.desc(), Report.id))
    )
    patient = session.get(Patient, flag.patient_id)
    new = new_since_acknowledged(flag)
    views = report_views(session, rows, telling=Telling.of(settings, language=patient.language))
    for view in views:
        view["new_since_acknowledged"] = new and added[view["id"]] > flag.acknowledged_at
    body = {column.key: getattr(flag, column.key) for column in flag.__table__.columns}
    body.update(
        overdue=flag.status != FlagStatus.RESOLVED and flag.due_by < now,
        new_since_acknowledged=new,
        report_ids=ids,
        reports=views,
        events=events_of(session, flag_id=flag.id),
        patient=patient_summary(session, patient=patient, now=now),
    )
    return body


def _transition(
    session: Session,
    *,
    flag: Flag,
    allowed: tuple[FlagStatus, ...],
    expected_version: int | None,
    action: str,
    values: dict,
) -> Flag:
    """Change a flag only if it is still in an allowed state (and at the caller's version): one wins a race."""
    stmt = update(Flag).where(Flag.id == flag.id, Flag.status.in_(allowed))
    if expected_version is not None:
        stmt = stmt.where(Flag.version == expected_version)
    changed = session.execute(
        stmt.values(**values, version=Flag.version + 1), execution_options={"synchronize_session": False}
    ).rowcount
    session.refresh(flag)
    if not changed:
        if expected_version is not None and flag.version != expected_version:
            raise PreconditionFailed("This flag changed since you loaded it; reload and try again.")
        raise Conflict(f"A {flag.status} flag cannot be {action}.", field="status")
    return flag


def _event(
    session: Session,
    *,
    flag: Flag,
    kind: FlagEventKind,
    actor_id: uuid.UUID | None,
    now: datetime,
    text: str | None = None,
    data: dict | None = None,
) -> None:
    session.add(FlagEvent(flag_id=flag.id, at=now, kind=kind, actor_id=actor_id, text=text, data=data))
    session.flush()


def _clinician_of(session: Session, *, clinic_id: uuid.UUID, clinician_id: uuid.UUID) -> Clinician:
    clinician = session.scalar(
        select(Clinician).where(
            Clinician.id == clinician_id, Clinician.clinic_id == clinic_id, Clinician.active.is_(True)
        )
    )
    if clinician is None:
        raise ValidationFailed("No active clinician of this clinic has this id.", field="clinician_id")
    return clinician


def _mark_reviewed(session: Session, *, flag: Flag, now: datetime) -> None:
    """The reports behind a flag show the patient that their care team has seen them."""
    session.execute(
        update(Report)
        .where(
            Report.id.in_(select(FlagReport.report_id).where(FlagReport.flag_id == flag.id)),
            Report.reviewed_at.is_(None),
        )
        .values(reviewed_at=now),
        execution_options={"synchronize_session": False},
    )


def acknowledge(
    session: Session,
    *,
    flag: Flag,
    actor_id: uuid.UUID,
    assignee_id: uuid.UUID | None,
    expected_version: int | None,
    now: datetime,
) -> Flag:
    """Take a flag: it is now seen (its reports show reviewed_at) and owned by the assignee or the acknowledger."""
    owner = assignee_id or actor_id
    if assignee_id is not None:
        _clinician_of(session, clinic_id=flag.clinic_id, clinician_id=assignee_id)
    flag = _transition(
        session,
        flag=flag,
        allowed=(FlagStatus.OPEN,),
        expected_version=expected_version,
        action="acknowledged",
        values={
            "status": FlagStatus.ACKNOWLEDGED,
            "acknowledged_at": now,
            "first_acknowledged_at": func.coalesce(
                Flag.first_acknowledged_at, literal(now, Flag.first_acknowledged_at.type)
            ),
            "acknowledged_by_id": actor_id,
            "assignee_id": owner,
            "updated_at": now,
        },
    )
    _mark_reviewed(session, flag=flag, now=now)
    _event(
        session,
        flag=flag,
        kind=FlagEventKind.ACKNOWLEDGED,
        actor_id=actor_id,
        now=now,
        data={"assignee_id": str(owner)},
    )
    return flag


def assign(
    session: Session,
    *,
    flag: Flag,
    actor_id: uuid.UUID,
    clinician_id: uuid.UUID,
    expected_version: int | None,
    now: datetime,
) -> Flag:
    """Give an active flag to a clinician of the clinic."""
    _clinician_of(session, clinic_id=flag.clinic_id, clinician_id=clinician_id)
    flag = _transition(
        session,
        flag=flag,
        allowed=ACTIVE_FLAG_STATUSES,
        expected_version=expected_version,
        action="assigned",
        values={"assignee_id": clinician_id, "updated_at": now},
    )
    _event(
        session,
        flag=flag,
        kind=FlagEventKind.ASSIGNED,
        actor_id=actor_id,
        now=now,
        data={"assignee_id": str(clinician_id)},
    )
    return flag


def add_note(session: Session, *, flag: Flag, actor_id: uuid.UUID, text: str, now: datetime) -> FlagEvent:
    """Add a clinician's note to a flag (any status: notes may follow up a resolved flag)."""
    session.execute(
        update(Flag).where(Flag.id == flag.id).values(updated_at=now, version=Flag.version + 1),
        execution_options={"synchronize_session": False},
    )
    session.refresh(flag)
    _event(session, flag=flag, kind=FlagEventKind.NOTE, actor_id=actor_id, now=now, text=text)
    return flag


def escalate(
    session: Session,
    *,
    flag: Flag,
    actor_id: uuid.UUID | None,
    now: datetime,
    note: str | None = None,
    notified: list[str] | None = None,
    expected_version: int | None = None,
) -> Flag:
    """Raise a flag's escalation level (a clinician asking for help, or the escalation job)."""
    flag = _transition(
        session,
        flag=flag,
        allowed=ACTIVE_FLAG_STATUSES,
        expected_version=expected_version,
        action="escalated",
        values={
            "escalation_level": Flag.escalation_level + 1,
            "escalation_count": Flag.escalation_count + 1,
            "escalated_at": now,
            "updated_at": now,
        },
    )
    _event(
        session,
        flag=flag,
        kind=FlagEventKind.ESCALATED,
        actor_id=actor_id,
        now=now,
        text=note,
        data={"level": flag.escalation_level, "notified": notified or []},
    )
    return flag


def resolve(
    session: Session,
    *,
    flag: Flag,
    actor_id: uuid.UUID,
    resolution: Resolution,
    note: str,
    expected_version: int | None,
    now: datetime,
) -> Flag:
    """Close a flag with what was done and why."""
    if not (note or "").strip():
        raise ValidationFailed("Say in a note what was done.", field="note")
    values = {
        "status": FlagStatus.RESOLVED,
        "resolved_at": now,
        "resolved_by_id": actor_id,
        "resolution": Resolution(resolution),
        "resolution_note": note.strip(),
        "updated_at": now,
    }
    flag = _transition(
        session,
        flag=flag,
        allowed=ACTIVE_FLAG_STATUSES,
        expected_version=expected_version,
        action="resolved",
        values=values,
    )
    if flag.acknowledged_at is None:  # resolving also means somebody looked at it
        _mark_reviewed(session, flag=flag, now=now)
    _event(
        session,
        flag=flag,
        kind=FlagEventKind.RESOLVED,
        actor_id=actor_id,
        now=now,
        text=note.strip(),
        data={"resolution": str(resolution)},
    )
    return flag


def queue_stats(session: Session, *, now: datetime) -> dict:
    """For operators: active flags by priority, and how long the oldest unacknowledged critical has waited."""
    counts = count_active(session, all_clinics=True, now=now)
    oldest = session.scalar(
        select(func.min(Flag.created_at)).where(Flag.status == FlagStatus.OPEN, Flag.priority == FlagPriority.CRITICAL)
    )
    return {
        "active_by_priority": {priority: entry["active"] for priority, entry in counts.items()},
        "oldest_open_critical_seconds": (now - oldest).total_seconds() if oldest else 0.0,
    }
