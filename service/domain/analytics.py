"""Safety intelligence: what each rule costs the clinic's nurses and what it leads to.

Rule burden, per rule and version, over the flags a clinic's rules opened in a range of instants
(the caller turns clinic days into instants with ``range_bounds``):

- ``reports``: the clinic's reports received in the range while that version was in force. Every rule
  evaluates every report; a version is taken to be in force from its first flag on (the oldest
  version seen since the start of time), until the first flag of a later version of the same rule.
- ``flags_opened``: flags of that version opened in the range; ``joined``: reports that joined one of
  that version's open flags in the range (alert fatigue spared); ``fire_rate``: flags opened per 100 reports.
- Of the flags opened in the range: ``resolved``, ``acted_on`` (resolved with anything but
  ``no_action_needed`` or ``duplicate``), ``action_rate`` (acted on per 100 resolved), minutes from
  opening to the first acknowledgement (median, 90th percentile) and to resolution (median),
  ``overdue_at_acknowledge`` (share of acknowledged flags first acknowledged after their ``due_by``),
  ``escalations`` (escalation steps recorded on them) and ``target_minutes_to_acknowledge`` (the clinic's
  response target for the rule's usual priority).

Counts are SQL aggregates (SQLite and PostgreSQL alike); percentiles are computed here from the
per-flag durations, with the inclusive (linear) method of ``statistics.quantiles``.
"""

from __future__ import annotations

import statistics
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from service.domain.clinics import effective_settings
from service.enums import FlagEventKind, Resolution
from service.models import Clinic, Flag, FlagEvent, Report
from service.rules.engine import REGISTRY

NO_ACTION = (Resolution.NO_ACTION_NEEDED, Resolution.DUPLICATE)

RULE_COLUMNS = (
    "rule",
    "version",
    "priority",
    "reports",
    "flags_opened",
    "joined",
    "fire_rate",
    "resolved",
    "acted_on",
    "action_rate",
    "median_minutes_to_acknowledge",
    "p90_minutes_to_acknowledge",
    "target_minutes_to_acknowledge",
    "median_minutes_to_resolve",
    "overdue_at_acknowledge",
    "escalations",
)


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive UTC; PostgreSQL aware instants."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def _minutes(start: datetime, end: datetime) -> float:
    return (_aware(end) - _aware(start)).total_seconds() / 60


def percentile(values: list[float], share: float) -> float | None:
    """The value below which ``share`` of the values fall (linear between ranks); None for no values."""
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[round(share * 100) - 1]


def _rounded(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def _rate(part: int, whole: int) -> float | None:
    return None if not whole else round(100 * part / whole, 2)


@dataclass(frozen=True)
class _FlagRow:
    rule: str
    version: int
    created_at: datetime
    due_by: datetime
    resolved_at: datetime | None
    resolution: Resolution | None
    first_ack: datetime | None
    escalations: int


def _version_windows(session: Session, clinic_id: uuid.UUID) -> dict[str, list[tuple[int, datetime | None]]]:
    """Per rule, its versions in order with the moment each was first seen (None for the oldest: since always)."""
    rows = session.execute(
        select(Flag.rule, Flag.rule_version, func.min(Flag.created_at))
        .where(Flag.clinic_id == clinic_id)
        .group_by(Flag.rule, Flag.rule_version)
    ).all()
    windows: dict[str, list[tuple[int, datetime | None]]] = defaultdict(list)
    for rule, version, first in sorted(rows, key=lambda row: (row[0], row[1])):
        windows[rule].append((version, None if not windows[rule] else _aware(first)))
    return windows


def _reports_between(session: Session, clinic_id: uuid.UUID, since: datetime, until: datetime) -> int:
    if until <= since:
        return 0
    return session.scalar(
        select(func.count())
        .select_from(Report)
        .where(Report.clinic_id == clinic_id, Report.received_at >= since, Report.received_at < until)
    )


def rule_burden(session: Session, *, clinic_id: uuid.UUID, since: datetime, until: datetime) -> list[dict]:
    """One item per rule and version (every registered rule, and any older version with flags in the range)."""
    clinic = session.get(Clinic, clinic_id)
    targets = effective_settings(clinic.settings)["response_targets_minutes"]

    in_range = (Flag.clinic_id == clinic_id, Flag.created_at >= since, Flag.created_at < until)
    # Each flag's first acknowledgement and escalation steps, over the events of the range's flags only.
    events = (
        select(
            FlagEvent.flag_id,
            func.min(case((FlagEvent.kind == FlagEventKind.ACKNOWLEDGED, FlagEvent.at))).label("first_ack"),
            func.sum(case((FlagEvent.kind == FlagEventKind.ESCALATED, 1), else_=0)).label("escalations"),
        )
        .join(Flag, Flag.id == FlagEvent.flag_id)
        .where(*in_range, FlagEvent.kind.in_((FlagEventKind.ACKNOWLEDGED, FlagEventKind.ESCALATED)))
        .group_by(FlagEvent.flag_id)
        .subquery()
    )
    flag_rows = [
        _FlagRow(*row)
        for row in session.connection().execute(  # Core rows: no ORM loading per row
            select(
                Flag.rule,
                Flag.rule_version,
                Flag.created_at,
                Flag.due_by,
                Flag.resolved_at,
                Flag.resolution,
                events.c.first_ack,
                func.coalesce(events.c.escalations, 0),
            )
            .outerjoin(events, events.c.flag_id == Flag.id)
            .where(*in_range)
        )
    ]
    joined = {
        (rule, version): n
        for rule, version, n in session.execute(
            select(Flag.rule, Flag.rule_version, func.count())
            .join(FlagEvent, FlagEvent.flag_id == Flag.id)
            .where(
                Flag.clinic_id == clinic_id,
                FlagEvent.kind == FlagEventKind.JOINED,
                FlagEvent.at >= since,
                FlagEvent.at < until,
            )
            .group_by(Flag.rule, Flag.rule_version)
        )
    }

    by_version: dict[tuple[str, int], list[_FlagRow]] = defaultdict(list)
    for row in flag_rows:
        by_version[(row.rule, row.version)].append(row)
    windows = _version_windows(session, clinic_id)
    keys = set(by_version) | set(joined) | {(rule_id, rule.version) for rule_id, rule in REGISTRY.items()}

    counted: dict[tuple[datetime, datetime], int] = {}  # most versions share a window: count its reports once
    items = []
    for rule_id, version in sorted(keys):
        rows = by_version.get((rule_id, version), [])
        seen = windows.get(rule_id) or [(version, None)]
        starts = dict(seen)
        later = [start for v, start in seen if v > version and start is not None]
        lower = max(since, starts.get(version) or since)
        upper = min([until, *later])
        reports = 0
        if version in starts:
            if (lower, upper) not in counted:
                counted[(lower, upper)] = _reports_between(session, clinic_id, lower, upper)
            reports = counted[(lower, upper)]
        items.append(burden_item(rule_id, version, rows, reports=reports, joined=joined, targets=targets))
    return items


def burden_item(rule_id: str, version: int, rows: list[_FlagRow], *, reports: int, joined: dict, targets: dict) -> dict:
    """One rule version's figures from its flags in the range and the reports evaluated while it was in force."""
    acked = [row for row in rows if row.first_ack is not None]
    resolved = [row for row in rows if row.resolved_at is not None]
    acted = [row for row in resolved if row.resolution not in NO_ACTION]
    to_ack = sorted(_minutes(row.created_at, row.first_ack) for row in acked)
    to_resolve = sorted(_minutes(row.created_at, row.resolved_at) for row in resolved)
    overdue = sum(1 for row in acked if _aware(row.first_ack) > _aware(row.due_by))
    rule = REGISTRY.get(rule_id)
    priority = str(rule.priority) if rule else None
    return {
        "rule": rule_id,
        "version": version,
        "priority": priority,
        "reports": reports,
        "flags_opened": len(rows),
        "joined": joined.get((rule_id, version), 0),
        "fire_rate": _rate(len(rows), reports),
        "resolved": len(resolved),
        "acted_on": len(acted),
        "action_rate": _rate(len(acted), len(resolved)),
        "median_minutes_to_acknowledge": _rounded(statistics.median(to_ack) if to_ack else None),
        "p90_minutes_to_acknowledge": _rounded(percentile(to_ack, 0.9)),
        "target_minutes_to_acknowledge": targets.get(priority) if priority else None,
        "median_minutes_to_resolve": _rounded(statistics.median(to_resolve) if to_resolve else None),
        "overdue_at_acknowledge": round(overdue / len(acked), 4) if acked else None,
        "escalations": sum(row.escalations for row in rows),
    }


def csv_cell(value) -> str:
    """A CSV cell: empty for no value."""
    return "" if value is None else str(value)


def burden_rows(items: list[dict]):
    """The burden items as CSV rows in RULE_COLUMNS order."""
    for item in items:
        yield [csv_cell(item[column]) for column in RULE_COLUMNS]
