"""The analytics figures as first written: row by row in Python over every row they touch.

Kept for tests/test_analytics_equivalence.py, which checks that the set-based versions in service/domain
(the ones fast at scale, see bench/analytics.py) give exactly the same answers.
"""

# ruff: noqa
from __future__ import annotations

import statistics
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.domain.analytics import VersionFigures, _aware, burden_item
from service.domain.clinics import effective_settings
from service.domain.incidence import FOLLOW_UP, REFERENCES, _figures as figures, dose_band, sorted_groups, window_hours
from service.domain.outcomes import INFUSION_STEPS, STEP_KEYS, answer, remitted, responded
from service.domain.outcomes import figures as outcome_figures
from service.enums import DOSE_BANDS, FlagEventKind, Phase, Resolution, Route
from service.models import Clinic, Flag, FlagEvent, Infusion, Patient, Report, ReportSymptom
from service.rules.engine import REGISTRY
from service.vocabulary import SYMPTOMS


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


def percentile(values: list[float], share: float) -> float | None:
    """The value below which ``share`` of the values fall (linear between ranks); None for no values."""
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[round(share * 100) - 1]


def _minutes(start: datetime, end: datetime) -> float:
    return (_aware(end) - _aware(start)).total_seconds() / 60


def _figures_of(rows: list[_FlagRow]) -> VersionFigures:
    """A rule version's figures, flag by flag."""
    acked = [row for row in rows if row.first_ack is not None]
    resolved = [row for row in rows if row.resolved_at is not None]
    acted = [row for row in resolved if row.resolution not in (Resolution.NO_ACTION_NEEDED, Resolution.DUPLICATE)]
    to_ack = sorted(_minutes(row.created_at, row.first_ack) for row in acked)
    to_resolve = sorted(_minutes(row.created_at, row.resolved_at) for row in resolved)
    return VersionFigures(
        flags_opened=len(rows),
        resolved=len(resolved),
        acted_on=len(acted),
        acknowledged=len(acked),
        overdue=sum(1 for row in acked if _aware(row.first_ack) > _aware(row.due_by)),
        escalations=sum(row.escalations for row in rows),
        median_to_acknowledge=statistics.median(to_ack) if to_ack else None,
        p90_to_acknowledge=percentile(to_ack, 0.9),
        median_to_resolve=statistics.median(to_resolve) if to_resolve else None,
    )


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


def _reports_between(session, clinic_id, since, until):
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

    first_ack = (
        select(FlagEvent.flag_id, func.min(FlagEvent.at).label("at"))
        .where(FlagEvent.kind == FlagEventKind.ACKNOWLEDGED)
        .group_by(FlagEvent.flag_id)
        .subquery()
    )
    escalated = (
        select(FlagEvent.flag_id, func.count().label("n"))
        .where(FlagEvent.kind == FlagEventKind.ESCALATED)
        .group_by(FlagEvent.flag_id)
        .subquery()
    )
    flag_rows = [
        _FlagRow(*row)
        for row in session.execute(
            select(
                Flag.rule,
                Flag.rule_version,
                Flag.created_at,
                Flag.due_by,
                Flag.resolved_at,
                Flag.resolution,
                first_ack.c.at,
                func.coalesce(escalated.c.n, 0),
            )
            .outerjoin(first_ack, first_ack.c.flag_id == Flag.id)
            .outerjoin(escalated, escalated.c.flag_id == Flag.id)
            .where(Flag.clinic_id == clinic_id, Flag.created_at >= since, Flag.created_at < until)
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

    items = []
    for rule_id, version in sorted(keys):
        rows = by_version.get((rule_id, version), [])
        seen = windows.get(rule_id) or [(version, None)]
        starts = dict(seen)
        later = [start for v, start in seen if v > version and start is not None]
        lower = max(since, starts.get(version) or since)
        upper = min([until, *later])
        reports = _reports_between(session, clinic_id, lower, upper) if version in starts else 0
        items.append(burden_item(rule_id, version, _figures_of(rows), reports=reports, joined=joined, targets=targets))
    return items


@dataclass
class _Infusion:
    route: str
    band: str
    month: str
    followed_up: bool = False


def _figures(code: str, population: list[uuid.UUID], had: set[uuid.UUID]) -> dict:
    return figures(code, len(population), sum(1 for infusion_id in population if infusion_id in had))


def incidence(
    session: Session,
    *,
    clinic_id: uuid.UUID,
    since: datetime,
    until: datetime,
    time_zone: str,
    route: Route | None = None,
    band: str | None = None,
) -> list[dict]:
    """One item per symptom of the vocabulary: its rate per followed-up infusion, interval, reference and signal."""
    zone = ZoneInfo(time_zone)
    query = select(Infusion.id, Infusion.route, Infusion.dose_mg_per_kg, Infusion.ended_at).where(
        Infusion.clinic_id == clinic_id,
        Infusion.ended_at.is_not(None),
        Infusion.ended_at >= since,
        Infusion.ended_at < until,
    )
    if route is not None:
        query = query.where(Infusion.route == route)
    ends: dict[uuid.UUID, datetime] = {}
    infusions: dict[uuid.UUID, _Infusion] = {}
    for infusion_id, infusion_route, mg_per_kg, ended_at in session.execute(query):
        this_band = dose_band(mg_per_kg)
        if band is not None and this_band != band:
            continue
        end = _aware(ended_at)
        ends[infusion_id] = end
        infusions[infusion_id] = _Infusion(str(infusion_route), this_band, end.astimezone(zone).strftime("%Y-%m"))

    longest = timedelta(hours=max(window_hours(s.code, s.expected_window_hours) for s in SYMPTOMS))
    windows = {s.code: timedelta(hours=window_hours(s.code, s.expected_window_hours)) for s in SYMPTOMS}
    had: dict[str, set[uuid.UUID]] = defaultdict(set)
    if infusions:
        rows = session.execute(
            select(Report.infusion_id, Report.observed_at, ReportSymptom.code, ReportSymptom.severity)
            .join(Infusion, Infusion.id == Report.infusion_id)
            .outerjoin(ReportSymptom, ReportSymptom.report_id == Report.id)
            .where(
                Infusion.clinic_id == clinic_id,
                Report.clinic_id == clinic_id,
                Infusion.ended_at.is_not(None),
                Infusion.ended_at >= since,
                Infusion.ended_at < until,
                Report.observed_at >= Infusion.ended_at,
                Report.observed_at <= until + longest,
            )
        )
        for infusion_id, observed_at, code, severity in rows:
            if infusion_id not in infusions:
                continue
            after = _aware(observed_at) - ends[infusion_id]
            if after <= FOLLOW_UP:
                infusions[infusion_id].followed_up = True
            if code in windows and severity >= 1 and after <= windows[code]:
                had[code].add(infusion_id)

    followed = [infusion_id for infusion_id, info in infusions.items() if info.followed_up]
    groups: dict[str, dict[str, list[uuid.UUID]]] = {"route": {}, "band": {}, "month": {}}
    for key in [r.value for r in Route]:
        groups["route"][key] = []
    for key in DOSE_BANDS:
        groups["band"][key] = []
    for infusion_id in followed:
        info = infusions[infusion_id]
        groups["route"].setdefault(info.route, []).append(infusion_id)
        groups["band"][info.band].append(infusion_id)
        groups["month"].setdefault(info.month, []).append(infusion_id)

    items = []
    for symptom in SYMPTOMS:
        code = symptom.code
        reference = REFERENCES.get(code)
        item = {
            "symptom": code,
            "window_hours": window_hours(code, symptom.expected_window_hours),
            **_figures(code, followed, had[code]),
            "reference_rate": reference[0] if reference else None,
            "reference_source": reference[1] if reference else None,
        }
        for name, field in (("route", "by_route"), ("band", "by_dose_band"), ("month", "by_month")):
            item[field] = [
                {"key": key, **_figures(code, members, had[code])} for key, members in sorted_groups(groups[name], name)
            ]
        items.append(item)
    return items


def _figures_of_pairs(pairs: list[tuple[int, int]]) -> dict:
    """Response and remission among (baseline, latest) pairs."""
    return outcome_figures(
        len(pairs),
        sum(1 for baseline, total in pairs if responded(baseline, total)),
        sum(1 for _, total in pairs if remitted(total)),
    )


@dataclass
class Tally:
    """The outcome figures, a patient with a baseline at a time (their PHQ-9s and infusion starts in order)."""

    with_baseline: int = 0
    overall: list[tuple[int, int]] = field(default_factory=list)
    steps: dict[str, list[tuple[int, int]]] = field(default_factory=lambda: {key: [] for key in STEP_KEYS})
    weeks: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))

    def add(self, baseline, measured, *, starts, maintenance, since) -> None:
        self.with_baseline += 1
        first = starts[0]
        after = [(observed, total) for observed, total in measured if observed >= first and observed >= since]
        if not after:
            return
        self.overall.append((baseline, after[-1][1]))
        for n in INFUSION_STEPS:
            if len(starts) < n:
                continue
            upper = starts[n] if len(starts) > n else None
            window = [t for o, t in after if o >= starts[n - 1] and (upper is None or o < upper)]
            if window:
                self.steps[str(n)].append((baseline, window[-1]))
        if maintenance is not None:
            window = [t for o, t in after if o >= maintenance]
            if window:
                self.steps["maintenance"].append((baseline, window[-1]))
        latest_of_week: dict[int, int] = {}
        for observed, total in after:
            latest_of_week[(observed - first) // timedelta(days=7)] = total
        for week, total in latest_of_week.items():
            self.weeks[week].append(total)

    def answer(self) -> dict:
        return answer(
            self.with_baseline,
            _figures_of_pairs(self.overall),
            {key: _figures_of_pairs(pairs) for key, pairs in self.steps.items()},
            [(week, len(totals), statistics.median(totals)) for week, totals in self.weeks.items()],
        )


def outcomes(session: Session, *, clinic_id: uuid.UUID, since: datetime, until: datetime) -> dict:
    """Response and remission of the clinic's patients with a baseline, overall, by infusions received, by week."""
    infusions: dict[uuid.UUID, list[tuple[datetime, Phase]]] = defaultdict(list)
    for patient_id, started_at, phase in session.execute(
        select(Infusion.patient_id, Infusion.started_at, Infusion.phase)
        .where(Infusion.clinic_id == clinic_id, Infusion.started_at < until)
        .order_by(Infusion.patient_id, Infusion.started_at)
    ):
        infusions[patient_id].append((_aware(started_at), phase))
    measures: dict[uuid.UUID, list[tuple[datetime, int]]] = defaultdict(list)
    for patient_id, observed_at, total in session.execute(
        select(Report.patient_id, Report.observed_at, Report.phq9_total)
        .where(Report.clinic_id == clinic_id, Report.phq9_total.is_not(None), Report.observed_at < until)
        .order_by(Report.patient_id, Report.observed_at, Report.received_at)
    ):
        measures[patient_id].append((_aware(observed_at), total))
    typed = dict(session.execute(select(Patient.id, Patient.phq9_baseline).where(Patient.clinic_id == clinic_id)).all())

    tally = Tally()
    for patient_id, hand in typed.items():
        given = infusions.get(patient_id)
        if not given:
            continue
        first = given[0][0]
        measured = measures.get(patient_id, [])
        baseline = hand
        if baseline is None:
            baseline = next((total for observed, total in measured if observed < first), None)
        if baseline is None:
            continue
        maintenance = next((start for start, phase in given if phase == Phase.MAINTENANCE), None)
        tally.add(baseline, measured, starts=[start for start, _ in given], maintenance=maintenance, since=since)
    return tally.answer()
