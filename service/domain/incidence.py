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

Read from a roll-up kept with the data, so that a request reads the range's infusions and nothing older or
larger: ``infusions.followed_up`` and one ``infusion_symptoms`` row per infusion and symptom that counts. A report
tied to an infusion adds to both in its own transaction (``record_report``: additive, so racing reports agree);
an infusion whose end changes is worked out again from its reports (``rebuild``). A change of the windows
(vocabulary or WINDOW_OVERRIDES) needs a migration that calls ``rebuild()`` for every infusion.
"""

from __future__ import annotations

import math
import operator
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, Select, and_, bindparam, case, delete, exists, func, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from service.domain.sql import DriverStatement, dialect_of
from service.domain.sqltime import PlusHours
from service.enums import DOSE_BANDS, Route
from service.models import Infusion, InfusionSymptom, Report, ReportSymptom
from service.vocabulary import SYMPTOMS

FOLLOW_UP = timedelta(hours=72)
FOLLOW_UP_HOURS = int(FOLLOW_UP.total_seconds() // 3600)
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
    return WINDOW_OVERRIDES.get(code) or expected or FOLLOW_UP_HOURS


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
    """dose_band() in SQL, as the band's place in DOSE_BANDS (small integers group and sort faster than text)."""
    return case(
        (mg_per_kg.is_(None), DOSE_BANDS.index("unknown")),
        *((test(mg_per_kg, bound), DOSE_BANDS.index(key)) for test, bound, key in _BAND_TESTS),
        else_=DOSE_BANDS.index("over_1.0"),
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
    """The clinic month of an instant in SQL, as its place in ``months`` (a CASE over a dozen instants for a year)."""
    if len(months) == 1:
        return literal(0, Integer)
    return case(*((moment < end, n) for n, (_, end) in enumerate(months[:-1])), else_=len(months) - 1)


def _windows() -> dict[str, int]:
    return {s.code: window_hours(s.code, s.expected_window_hours) for s in SYMPTOMS}


def _within(hours: int):
    """The report was observed from the infusion's end to ``hours`` after it."""
    return and_(Report.observed_at >= Infusion.ended_at, Report.observed_at <= PlusHours(Infusion.ended_at, hours))


def _counted_symptoms(*where) -> Select:
    """(infusion, symptom) pairs that count: a report tied to the infusion with the symptom at severity >= 1,
    observed within the symptom's window after the infusion's end; of the reports and infusions ``where`` picks."""
    by_hours: dict[int, list[str]] = defaultdict(list)
    for code, hours in _windows().items():
        by_hours[hours].append(code)
    return (
        select(Infusion.id, ReportSymptom.code)
        .distinct()
        .select_from(ReportSymptom)
        .join(Report, Report.id == ReportSymptom.report_id)
        .join(Infusion, Infusion.id == Report.infusion_id)
        .where(
            ReportSymptom.severity >= 1,
            Infusion.ended_at.is_not(None),
            or_(
                *(
                    # One parameter per code (not an expanding IN): the statement is compiled once (DriverStatement).
                    and_(ReportSymptom.code.in_([literal(code) for code in codes]), _within(hours))
                    for hours, codes in sorted(by_hours.items())
                )
            ),
            *where,
        )
    )


def _adding_symptoms(insert, pairs: Select):
    return insert(InfusionSymptom).from_select(["infusion_id", "code"], pairs).on_conflict_do_nothing()


def _add_symptoms(session: Session, pairs: Select) -> None:
    insert = pg_insert if dialect_of(session) == "postgresql" else sqlite_insert
    session.execute(_adding_symptoms(insert, pairs), execution_options={"synchronize_session": False})


def _followed_up_by(*where):
    """EXISTS a report tied to the infusion, observed within the follow-up after its end (of those ``where`` picks)."""
    return exists().where(Report.infusion_id == Infusion.id, _within(FOLLOW_UP_HOURS), *where)


# On every report tied to an infusion: built and compiled once, run straight on the driver (as the report's own
# INSERT is), so the roll-up costs the report two small statements and nothing of SQLAlchemy's per-call work.
_REPORT = bindparam("report_id", type_=Report.id.type)
_RECORD_FOLLOW_UP = DriverStatement(
    update(Infusion)
    .where(Infusion.id == bindparam("infusion_id", type_=Infusion.id.type))
    .values(
        followed_up=or_(
            Infusion.followed_up, and_(Infusion.ended_at.is_not(None), _followed_up_by(Report.id == _REPORT))
        ),
        updated_at=Infusion.updated_at,  # the roll-up is no change to the clinic's record (and takes no onupdate)
    )
)
_RECORD_SYMPTOMS = DriverStatement(
    _adding_symptoms(pg_insert, _counted_symptoms(Report.id == _REPORT)),
    elsewhere=_adding_symptoms(sqlite_insert, _counted_symptoms(Report.id == _REPORT)),
)


def record_report(session: Session, *, report_id: uuid.UUID, infusion_id: uuid.UUID) -> None:
    """Add a stored report tied to an infusion to the roll-up: the infusion followed up, its symptoms that count.

    The UPDATE always writes the infusion's row, so it waits for (and then reads) a correction of the infusion
    in progress, whose own rebuild waits for this report in turn: a report and a correction of its infusion's
    end at once never leave a figure worked out with the old end. (Two statements, not one: the second must
    read the infusion as it is once the first holds its row.)"""
    _RECORD_FOLLOW_UP.rows(session, {"infusion_id": infusion_id, "report_id": report_id})
    _RECORD_SYMPTOMS.rows(session, {"report_id": report_id})


def rebuild(session: Session, *, infusion_ids: list[uuid.UUID] | None = None) -> None:
    """Work the roll-up out again from the reports, for these infusions (every infusion with None)."""
    chosen = () if infusion_ids is None else (Infusion.id.in_(infusion_ids),)
    session.execute(
        update(Infusion)
        .where(*chosen)
        .values(followed_up=and_(Infusion.ended_at.is_not(None), _followed_up_by()), updated_at=Infusion.updated_at),
        execution_options={"synchronize_session": False},
    )
    stale = delete(InfusionSymptom)
    if infusion_ids is not None:
        stale = stale.where(InfusionSymptom.infusion_id.in_(infusion_ids))
    session.execute(stale, execution_options={"synchronize_session": False})
    _add_symptoms(session, _counted_symptoms(*chosen))


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

    From the roll-up: the range's followed-up infusions counted per route, dose band and clinic month, and per
    symptom too; the breakdowns add those cells up."""
    zone = ZoneInfo(time_zone)
    codes = [s.code for s in SYMPTOMS]
    ended = Infusion.ended_at
    in_range = [Infusion.clinic_id == clinic_id, Infusion.followed_up.is_(True), ended >= since, ended < until]
    if route is not None:
        in_range.append(Infusion.route == route)
    if band is not None:
        in_range.append(_band_of(Infusion.dose_mg_per_kg) == DOSE_BANDS.index(band))
    # The months between the range's first and last infusion ends, not every month of the range asked for: a
    # range of centuries with a year of data names a year of months (and stays within the driver's parameters).
    first, last = session.execute(select(func.min(ended), func.max(ended)).where(*in_range)).one()
    if first is None:  # nothing followed up in the range: no row has a month
        months = [(since.astimezone(zone).strftime("%Y-%m"), until)]
    else:
        months = _clinic_months(first, last + timedelta(microseconds=1), zone)
    cell = (Infusion.route, _band_of(Infusion.dose_mg_per_kg), _month_of(ended, months))
    followed = select(*cell, func.count()).where(*in_range).group_by(*cell)
    with_symptom = (
        select(*cell, InfusionSymptom.code, func.count())
        .join(InfusionSymptom, InfusionSymptom.infusion_id == Infusion.id)
        .where(*in_range)
        .group_by(*cell, InfusionSymptom.code)
    )
    column_of = {code: 1 + n for n, code in enumerate(codes)}
    cells: dict[tuple, list[int]] = {}
    for cell_route, cell_band, month, count in session.execute(followed):
        cells[(str(cell_route), DOSE_BANDS[cell_band], months[month][0])] = [count] + [0] * len(codes)
    for cell_route, cell_band, month, code, count in session.execute(with_symptom):
        if code in column_of:
            cells[(str(cell_route), DOSE_BANDS[cell_band], months[month][0])][column_of[code]] = count
    windows = _windows()

    # Followed-up infusions, and those with each symptom, per breakdown key (every route and band, even empty).
    totals: dict[str, dict[str, list[int]]] = {
        "all": {"all": [0] * (1 + len(windows))},
        "route": {r.value: [0] * (1 + len(windows)) for r in Route},
        "band": {key: [0] * (1 + len(windows)) for key in DOSE_BANDS},
        "month": {},
    }
    for (cell_route, cell_band, month), figures in cells.items():
        for name, key in (("all", "all"), ("route", cell_route), ("band", cell_band), ("month", month)):
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
