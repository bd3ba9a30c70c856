"""Safety intelligence: side-effect rates per infusion, with Wilson 95% intervals, against the literature.

Over the infusions of a clinic that ended in a range of instants (the caller turns clinic days into
instants with ``range_bounds``; infusions with no recorded end are not counted):

- ``infusions``: those with at least one report (linked to the infusion) observed within 72 h of its end;
- ``with_symptom``: of those, the infusions with a report of the symptom at severity >= 1 observed within the
  symptom's window after the end: its expected window in the vocabulary; 14 days for low mood (the
  reference's "up to two weeks"); the 72 h follow-up for symptoms with no expected window (suicidal
  thoughts, craving: never an expected effect, so any report counts);
- ``rate`` = with_symptom / infusions; ``ci_low``/``ci_high``: the Wilson score interval at 95%;
- ``reference_rate``/``reference_source``: the reported rates the product is built on (null where none);
  ``signal``: true when ``ci_low`` > ``reference_rate``: the clinic sees more than the literature, with 95% certainty.

Each item breaks the same figures down by route, by dose band (mg/kg) and by the clinic month of the end.
"""

from __future__ import annotations

import math
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.domain.analytics import _aware
from service.enums import DOSE_BANDS, Route
from service.models import Infusion, Report, ReportSymptom
from service.vocabulary import SYMPTOMS

FOLLOW_UP = timedelta(hours=72)
Z_95 = 1.959963984540054
SPEC = "Aftercare specification, clinical facts"
# The rates the product is built on (SPEC.md, "Clinical facts"): rate and where it comes from.
REFERENCES: dict[str, tuple[float, str]] = {
    "euphoria": (0.30, f"{SPEC}: euphoria ~30% (immediate effects)"),
    "hallucinations": (0.20, f"{SPEC}: mild hallucinations ~20% (immediate effects)"),
    "racing_heart": (0.25, f"{SPEC}: increased heart rate ~25% (immediate effects)"),
    "high_blood_pressure": (0.15, f"{SPEC}: elevated blood pressure ~15% (immediate effects)"),
    "dissociation": (0.10, f"{SPEC}: dissociation ~10% (immediate effects)"),
    "dizziness": (0.10, f"{SPEC}: dizziness ~10% (immediate effects)"),
    "low_mood": (0.10, f"{SPEC}: mood dips in ~10% of patients for up to two weeks"),
}
WINDOW_OVERRIDES = {"low_mood": 14 * 24}


def window_hours(code: str, expected: int) -> int:
    """Hours after an infusion's end within which a report of the symptom counts."""
    return WINDOW_OVERRIDES.get(code) or expected or int(FOLLOW_UP.total_seconds() // 3600)


def dose_band(mg_per_kg: float | None) -> str:
    """The band of a dose in mg/kg: < 0.5, 0.5-0.75, 0.75-1.0 (inclusive), > 1.0; unknown with no weight-based dose."""
    if mg_per_kg is None:
        return "unknown"
    if mg_per_kg < 0.5:
        return "under_0.5"
    if mg_per_kg < 0.75:
        return "0.5_to_0.75"
    if mg_per_kg <= 1.0:
        return "0.75_to_1.0"
    return "over_1.0"


def wilson(successes: int, trials: int, z: float = Z_95) -> tuple[float, float] | None:
    """The Wilson score interval of a proportion (None for no trials)."""
    if trials <= 0:
        return None
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass
class _Infusion:
    route: str
    band: str
    month: str
    followed_up: bool = False


def _figures(code: str, population: list[uuid.UUID], had: set[uuid.UUID]) -> dict:
    infusions = len(population)
    with_symptom = sum(1 for infusion_id in population if infusion_id in had)
    interval = wilson(with_symptom, infusions)
    reference = REFERENCES.get(code)
    low, high = (round(interval[0], 4), round(interval[1], 4)) if interval else (None, None)
    return {
        "infusions": infusions,
        "with_symptom": with_symptom,
        "rate": round(with_symptom / infusions, 4) if infusions else None,
        "ci_low": low,
        "ci_high": high,
        "signal": bool(reference and low is not None and low > reference[0]),
    }


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


def sorted_groups(groups: dict[str, list], name: str):
    """Routes and bands in their natural order; months in time order."""
    if name == "month":
        return sorted(groups.items())
    return list(groups.items())


INCIDENCE_COLUMNS = (
    "symptom",
    "breakdown",
    "key",
    "infusions",
    "with_symptom",
    "rate",
    "ci_low",
    "ci_high",
    "reference_rate",
    "signal",
)


def incidence_rows(items: list[dict]):
    """The items as CSV rows: the overall figure of each symptom, then its breakdowns."""
    for item in items:
        parts = [("all", "all", item)]
        for breakdown, field in (("route", "by_route"), ("dose_band", "by_dose_band"), ("month", "by_month")):
            parts += [(breakdown, group["key"], group) for group in item[field]]
        for breakdown, key, figures in parts:
            values = {**figures, "symptom": item["symptom"], "breakdown": breakdown, "key": key}
            values["reference_rate"] = item["reference_rate"]
            yield [
                "" if values[c] is None else str(values[c]).lower() if c == "signal" else str(values[c])
                for c in INCIDENCE_COLUMNS
            ]
