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
import operator
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import String, and_, case, func, literal, select
from sqlalchemy.orm import Session

from service.domain.sqltime import PlusHours
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


# The dose bands in mg/kg, lowest first: a dose is in the first band whose test it passes (else over 1.0).
_BAND_TESTS = ((operator.lt, 0.5, "under_0.5"), (operator.lt, 0.75, "0.5_to_0.75"), (operator.le, 1.0, "0.75_to_1.0"))


def dose_band(mg_per_kg: float | None) -> str:
    """The band of a dose in mg/kg: < 0.5, 0.5-0.75, 0.75-1.0 (inclusive), > 1.0; unknown with no weight-based dose."""
    if mg_per_kg is None:
        return "unknown"
    return next((key for test, bound, key in _BAND_TESTS if test(mg_per_kg, bound)), "over_1.0")


def wilson(successes: int, trials: int, z: float = Z_95) -> tuple[float, float] | None:
    """The Wilson score interval of a proportion (None for no trials)."""
    if trials <= 0:
        return None
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def _figures(code: str, infusions: int, with_symptom: int) -> dict:
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


def _band_of(mg_per_kg):
    """dose_band() in SQL."""
    return case(
        (mg_per_kg.is_(None), "unknown"),
        *((test(mg_per_kg, bound), key) for test, bound, key in _BAND_TESTS),
        else_="over_1.0",
    )


def _clinic_months(since: datetime, until: datetime, zone: ZoneInfo) -> list[tuple[str, datetime]]:
    """The clinic months [since, until) touches: each one's key ('YYYY-MM') and the instant it ends."""
    months = []
    local = since.astimezone(zone)
    year, month = local.year, local.month
    while True:
        year, month, key = year + month // 12, month % 12 + 1, f"{year:04d}-{month:02d}"
        end = datetime(year, month, 1, tzinfo=zone).astimezone(UTC)
        months.append((key, end))
        if end >= until:
            return months


def _month_of(moment, months: list[tuple[str, datetime]]):
    """The clinic month of an instant in SQL, from the months' ends (a CASE over a dozen instants for a year)."""
    if len(months) == 1:
        return literal(months[0][0], String)
    return case(*((moment < end, key) for key, end in months[:-1]), else_=months[-1][0])


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
    """One item per symptom of the vocabulary: its rate per followed-up infusion, interval, reference and signal.

    One statement: per infusion, whether it was followed up and had each symptom (from its reports), then the
    followed-up infusions counted per route, dose band and clinic month; the breakdowns add those cells up."""
    zone = ZoneInfo(time_zone)
    windows = {s.code: window_hours(s.code, s.expected_window_hours) for s in SYMPTOMS}
    longest = timedelta(hours=max(windows.values()))
    follow_up_hours = int(FOLLOW_UP.total_seconds() // 3600)
    observed, ended = Report.observed_at, Infusion.ended_at
    columns = [
        func.max(case((observed <= PlusHours(ended, follow_up_hours), 1), else_=0)).label("followed"),
        *(
            func.max(
                case(
                    (
                        and_(
                            ReportSymptom.code == code,
                            ReportSymptom.severity >= 1,
                            observed <= PlusHours(ended, hours),
                        ),
                        1,
                    ),
                    else_=0,
                )
            ).label(f"had_{n}")
            for n, (code, hours) in enumerate(windows.items())
        ),
    ]
    # The months between the range's first and last infusion ends, not every month of the range asked for: a
    # range of centuries with a year of data names a year of months (and stays within the driver's parameters).
    first, last = session.execute(
        select(func.min(ended), func.max(ended)).where(
            Infusion.clinic_id == clinic_id, ended.is_not(None), ended >= since, ended < until
        )
    ).one()
    if first is None:  # nothing ended in the range: no row has a month
        months = [(since.astimezone(zone).strftime("%Y-%m"), until)]
    else:
        months = _clinic_months(first, last + timedelta(microseconds=1), zone)
    per_infusion = (
        select(
            Infusion.route.label("route"),
            _band_of(Infusion.dose_mg_per_kg).label("band"),
            _month_of(ended, months).label("month"),
            *columns,
        )
        .select_from(Infusion)
        .join(Report, Report.infusion_id == Infusion.id)
        .outerjoin(ReportSymptom, ReportSymptom.report_id == Report.id)
        .where(
            Infusion.clinic_id == clinic_id,
            Infusion.ended_at.is_not(None),
            Infusion.ended_at >= since,
            Infusion.ended_at < until,
            Report.clinic_id == clinic_id,
            Report.observed_at >= Infusion.ended_at,
            Report.observed_at <= until + longest,
        )
        .group_by(Infusion.id, Infusion.route, Infusion.dose_mg_per_kg, Infusion.ended_at)
    )
    if route is not None:
        per_infusion = per_infusion.where(Infusion.route == route)
    per_infusion = per_infusion.subquery()
    cells = select(
        per_infusion.c.route,
        per_infusion.c.band,
        per_infusion.c.month,
        func.count(),
        *(func.sum(per_infusion.c[f"had_{n}"]) for n in range(len(windows))),
    ).where(per_infusion.c.followed == 1)
    if band is not None:
        cells = cells.where(per_infusion.c.band == band)
    cells = cells.group_by(per_infusion.c.route, per_infusion.c.band, per_infusion.c.month)

    # Followed-up infusions, and those with each symptom, per breakdown key (every route and band, even empty).
    totals: dict[str, dict[str, list[int]]] = {
        "all": {"all": [0] * (1 + len(windows))},
        "route": {r.value: [0] * (1 + len(windows)) for r in Route},
        "band": {key: [0] * (1 + len(windows)) for key in DOSE_BANDS},
        "month": {},
    }
    for cell_route, cell_band, month, count, *had in session.execute(cells):
        figures = [count, *(int(h or 0) for h in had)]
        for name, key in (("all", "all"), ("route", str(cell_route)), ("band", cell_band), ("month", month)):
            bucket = totals[name].setdefault(key, [0] * (1 + len(windows)))
            for n, value in enumerate(figures):
                bucket[n] += value

    items = []
    for n, symptom in enumerate(SYMPTOMS):
        code = symptom.code
        reference = REFERENCES.get(code)
        overall = totals["all"]["all"]
        item = {
            "symptom": code,
            "window_hours": windows[code],
            **_figures(code, overall[0], overall[1 + n]),
            "reference_rate": reference[0] if reference else None,
            "reference_source": reference[1] if reference else None,
        }
        for name, field in (("route", "by_route"), ("band", "by_dose_band"), ("month", "by_month")):
            item[field] = [
                {"key": key, **_figures(code, counts[0], counts[1 + n])}
                for key, counts in sorted_groups(totals[name], name)
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
