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

Every figure is an SQL aggregate over the range's flags (SQLite and PostgreSQL alike), reading each flag's
first acknowledgement and escalation count from the flag itself (kept by flags.acknowledge and flags.escalate):
no event is read but the joins. Percentiles are the inclusive (linear) method of ``statistics.quantiles`` (what
PostgreSQL's ``percentile_cont`` gives), worked out in SQL (``sqltime.Percentile``).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import case, func, literal, select, union_all
from sqlalchemy.orm import Session

from service.domain.clinics import effective_settings
from service.domain.sqltime import Percentile, minutes_between
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


def _rounded(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def _rate(part: int, whole: int) -> float | None:
    return None if not whole else round(100 * part / whole, 2)


@dataclass(frozen=True)
class VersionFigures:
    """What one rule version's flags opened in the range add up to (durations in minutes)."""

    flags_opened: int = 0
    resolved: int = 0
    acted_on: int = 0
    acknowledged: int = 0
    overdue: int = 0
    escalations: int = 0
    median_to_acknowledge: float | None = None
    p90_to_acknowledge: float | None = None
    median_to_resolve: float | None = None


def _version_windows(
    session: Session, clinic_id: uuid.UUID, keys: set[tuple[str, int]]
) -> dict[str, list[tuple[int, datetime | None]]]:
    """Per rule of ``keys``, its versions (1 to the newest in ``keys``) that have flags, in order, with the moment
    each was first seen (None for the oldest: since always).

    Each first flag is one probe of ix_flags_clinic_rule_version (as many as there are versions, however long the
    history), all in one statement."""
    newest: dict[str, int] = {}
    for rule, version in keys:
        newest[rule] = max(newest.get(rule, 0), version)
    probes = [
        select(literal(rule), literal(version), func.min(Flag.created_at)).where(
            Flag.clinic_id == clinic_id, Flag.rule == rule, Flag.rule_version == version
        )
        for rule, top in sorted(newest.items())
        for version in range(1, top + 1)
    ]
    windows: dict[str, list[tuple[int, datetime | None]]] = defaultdict(list)
    if not probes:
        return windows
    rows = [row for row in session.execute(union_all(*probes)) if row[2] is not None]
    for rule, version, first in sorted(rows, key=lambda row: (row[0], row[1])):
        windows[rule].append((version, None if not windows[rule] else _aware(first)))
    return windows


def _reports_in(session: Session, clinic_id: uuid.UUID, spans: list[tuple[datetime, datetime]]) -> list[int]:
    """The clinic's reports received in each [since, until): one pass over the reports of all the spans."""
    spans = [(since, until) for since, until in spans if until > since]
    if not spans:
        return []
    received = Report.received_at
    counts = session.execute(
        select(
            *(func.sum(case(((received >= since) & (received < until), 1), else_=0)) for since, until in spans)
        ).where(
            Report.clinic_id == clinic_id,
            received >= min(since for since, _ in spans),
            received < max(until for _, until in spans),
        )
    ).one()
    return [int(n or 0) for n in counts]


def version_figures(
    session: Session, *, clinic_id: uuid.UUID, since: datetime, until: datetime
) -> dict[tuple[str, int], VersionFigures]:
    """The figures of every rule version with flags opened in [since, until): one aggregate over those flags."""
    to_ack = minutes_between(Flag.created_at, Flag.first_acknowledged_at)  # NULL when never acknowledged
    to_resolve = minutes_between(Flag.created_at, Flag.resolved_at)
    rows = session.execute(
        select(
            Flag.rule,
            Flag.rule_version,
            func.count(),
            func.count(Flag.resolved_at),
            func.sum(case((Flag.resolved_at.is_not(None) & Flag.resolution.not_in(NO_ACTION), 1), else_=0)),
            func.count(Flag.first_acknowledged_at),
            func.sum(case((Flag.first_acknowledged_at > Flag.due_by, 1), else_=0)),
            func.sum(Flag.escalation_count),
            Percentile(to_ack, 0.5),
            Percentile(to_ack, 0.9),
            Percentile(to_resolve, 0.5),
        )
        .where(Flag.clinic_id == clinic_id, Flag.created_at >= since, Flag.created_at < until)
        .group_by(Flag.rule, Flag.rule_version)
    )
    # The columns in VersionFigures' order: counts (integers on both databases), then the percentiles.
    return {(rule, version): VersionFigures(*values) for rule, version, *values in rows}


def rule_burden(session: Session, *, clinic_id: uuid.UUID, since: datetime, until: datetime) -> list[dict]:
    """One item per rule and version (every registered rule, and any older version with flags in the range): its
    flags' figures, the reports evaluated while it was in force, the reports that joined its flags in the range
    and the clinic's response target."""
    figures = version_figures(session, clinic_id=clinic_id, since=since, until=until)
    clinic = session.get(Clinic, clinic_id)
    targets = effective_settings(clinic.settings)["response_targets_minutes"]
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
    keys = set(figures) | set(joined) | {(rule_id, rule.version) for rule_id, rule in REGISTRY.items()}
    windows = _version_windows(session, clinic_id, keys)

    in_force: dict[tuple[str, int], tuple[datetime, datetime] | None] = {}  # the range's part while in force
    for rule_id, version in sorted(keys):
        seen = windows.get(rule_id) or [(version, None)]
        starts = dict(seen)
        later = [start for v, start in seen if v > version and start is not None]
        span = (max(since, starts.get(version) or since), min([until, *later]))
        in_force[(rule_id, version)] = span if version in starts and span[1] > span[0] else None
    spans = sorted({span for span in in_force.values() if span is not None})  # most versions share one
    reports = dict(zip(spans, _reports_in(session, clinic_id, spans), strict=True))
    return [
        burden_item(
            rule_id,
            version,
            figures.get((rule_id, version), VersionFigures()),
            reports=reports.get(span, 0) if span else 0,
            joined=joined,
            targets=targets,
        )
        for (rule_id, version), span in sorted(in_force.items())
    ]


def burden_item(rule_id: str, version: int, f: VersionFigures, *, reports: int, joined: dict, targets: dict) -> dict:
    """One rule version's item: its flags' figures, the reports evaluated while it was in force, the joins."""
    rule = REGISTRY.get(rule_id)
    priority = str(rule.priority) if rule else None
    return {
        "rule": rule_id,
        "version": version,
        "priority": priority,
        "reports": reports,
        "flags_opened": f.flags_opened,
        "joined": joined.get((rule_id, version), 0),
        "fire_rate": _rate(f.flags_opened, reports),
        "resolved": f.resolved,
        "acted_on": f.acted_on,
        "action_rate": _rate(f.acted_on, f.resolved),
        "median_minutes_to_acknowledge": _rounded(f.median_to_acknowledge),
        "p90_minutes_to_acknowledge": _rounded(f.p90_to_acknowledge),
        "target_minutes_to_acknowledge": targets.get(priority) if priority else None,
        "median_minutes_to_resolve": _rounded(f.median_to_resolve),
        "overdue_at_acknowledge": round(f.overdue / f.acknowledged, 4) if f.acknowledged else None,
        "escalations": f.escalations,
    }


def csv_cell(value) -> str:
    """A CSV cell: empty for no value."""
    return "" if value is None else str(value)


def burden_rows(items: list[dict]):
    """The burden items as CSV rows in RULE_COLUMNS order."""
    for item in items:
        yield [csv_cell(item[column]) for column in RULE_COLUMNS]
