"""Measurement-based care: each patient's PHQ-9 baseline, and how many respond and remit.

The baseline is the patient's first PHQ-9 before their first infusion (a pre-treatment check-in the
clinic sends at enrollment; with no infusion yet, their first PHQ-9 so far); a value the clinic typed by
hand (``patients.phq9_baseline``) overrides it.

Outcomes over clinic days (the caller turns them into instants with ``range_bounds``), for the clinic's
patients with a baseline whose first infusion started before the range ends:

- ``measured``: those with a PHQ-9 observed in the range after their first infusion started; at their latest
  such measurement, ``response``: the total down by at least 50% from baseline; ``remission``: the total below 5;
- ``by_infusions``: the same at the latest PHQ-9 in the range while the patient had received exactly 2, 4 or 6
  infusions (observed after that infusion started and before the next one), and once in maintenance (after their
  first maintenance infusion started);
- ``median_by_week``: per week since the first infusion (week 0 is its first 7 days), the median of each
  measured patient's latest PHQ-9 of that week.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    Float,
    Insert,
    and_,
    bindparam,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from service.domain.sql import DriverStatement
from service.domain.sqltime import MicrosecondsBetween, Percentile
from service.enums import Phase
from service.models import Infusion, Patient, PatientCourse, Report

RESPONSE_DROP = 0.5
REMISSION_BELOW = 5
INFUSION_STEPS = (2, 4, 6)


def derived_phq9_baseline(session: Session, *, patient_id: uuid.UUID) -> int | None:
    """The patient's first PHQ-9 total before their first infusion started (None when there is none)."""
    first_infusion = select(func.min(Infusion.started_at)).where(Infusion.patient_id == patient_id).scalar_subquery()
    return session.scalar(
        select(Report.phq9_total)
        .where(
            Report.patient_id == patient_id,
            Report.phq9_total.is_not(None),
            (first_infusion.is_(None)) | (Report.observed_at < first_infusion),
        )
        .order_by(Report.observed_at, Report.received_at)
        .limit(1)
    )


TYPED = "typed"
PRE_TREATMENT = "pre_treatment_phq9"


def phq9_baseline_with_source(
    session: Session, *, patient_id: uuid.UUID, typed: int | None
) -> tuple[int | None, str | None]:
    """The baseline in use and where it comes from: ``typed`` by hand, else ``pre_treatment_phq9``, else neither."""
    if typed is not None:
        return typed, TYPED
    derived = derived_phq9_baseline(session, patient_id=patient_id)
    return derived, (PRE_TREATMENT if derived is not None else None)


def phq9_baseline_of(session: Session, *, patient_id: uuid.UUID, typed: int | None) -> int | None:
    """The baseline the rules and the chart use: the typed value if any, else the derived one."""
    return phq9_baseline_with_source(session, patient_id=patient_id, typed=typed)[0]


def responded(baseline: int, total: int) -> bool:
    """PHQ-9 down by at least 50% from baseline."""
    return total <= baseline * (1 - RESPONSE_DROP)


def remitted(total: int) -> bool:
    return total < REMISSION_BELOW


def figures(patients: int, response: int, remission: int) -> dict:
    """Response and remission counts and rates among ``patients``."""
    return {
        "patients": patients,
        "response": response,
        "response_rate": round(response / patients, 4) if patients else None,
        "remission": remission,
        "remission_rate": round(remission / patients, 4) if patients else None,
    }


def answer(with_baseline: int, overall: dict, steps: dict[str, dict], weeks: list[tuple[int, int, float]]) -> dict:
    """The outcomes answer: ``overall`` and each of ``steps`` are figures(); weeks (week, patients, median)."""
    return {
        "patients_with_baseline": with_baseline,
        **{("measured" if k == "patients" else k): v for k, v in overall.items()},
        "by_infusions": [{"after": key, **steps[key]} for key in STEP_KEYS],
        "median_by_week": [
            {"week": week, "patients": n, "median_phq9": float(median)} for week, n, median in sorted(weeks)
        ],
    }


STEP_KEYS = (*(str(n) for n in INFUSION_STEPS), "maintenance")
_WEEK_US = 7 * 24 * 3600 * 1_000_000
_C = PatientCourse
# The course's infusion starts, first to seventh: enough for the steps (the last, 6, ends at the seventh).
COURSE_STARTS = (_C.start_1, _C.start_2, _C.start_3, _C.start_4, _C.start_5, _C.start_6, _C.start_7)
assert len(COURSE_STARTS) == max(INFUSION_STEPS) + 1


# --- the roll-up: one course row per patient -------------------------------------------------------------------


def rebuild_courses(session: Session, *, patient_ids: list[uuid.UUID] | None = None) -> None:
    """Work the courses out again from the infusions and PHQ-9s, for these patients (every patient with None).

    Called for the patient whenever one of their infusions is recorded or its start or phase corrected (after
    locking the patient's row, so two at once for one patient take turns), and by the migration that made the
    table."""
    chosen_infusions = () if patient_ids is None else (Infusion.patient_id.in_(patient_ids),)
    chosen_reports = () if patient_ids is None else (Report.patient_id.in_(patient_ids),)
    ranked = (
        select(
            Infusion.patient_id,
            Infusion.started_at,
            Infusion.phase,
            func.row_number().over(partition_by=Infusion.patient_id, order_by=Infusion.started_at).label("n"),
        )
        .where(*chosen_infusions)
        .subquery()
    )
    starts = (
        select(
            ranked.c.patient_id,
            *(func.max(case((ranked.c.n == k, ranked.c.started_at))).label(f"s{k}") for k in range(1, 8)),
            func.min(case((ranked.c.phase == Phase.MAINTENANCE, ranked.c.started_at))).label("maintenance"),
        )
        .group_by(ranked.c.patient_id)
        .subquery()
    )
    phq9s = (
        select(
            Report.patient_id,
            Report.observed_at,
            Report.received_at,
            Report.phq9_total,
            func.row_number()
            .over(partition_by=Report.patient_id, order_by=(Report.observed_at, Report.received_at))
            .label("n"),
        )
        .where(Report.phq9_total.is_not(None), *chosen_reports)
        .subquery()
    )
    first = select(phq9s).where(phq9s.c.n == 1).subquery()
    rows = (
        select(
            Patient.id,
            Patient.clinic_id,
            *(starts.c[f"s{k}"] for k in range(1, 8)),
            starts.c.maintenance,
            first.c.observed_at,
            first.c.received_at,
            first.c.phq9_total,
        )
        .outerjoin(starts, starts.c.patient_id == Patient.id)
        .outerjoin(first, first.c.patient_id == Patient.id)
        .where(*(() if patient_ids is None else (Patient.id.in_(patient_ids),)))
    )
    stale = delete(PatientCourse)
    if patient_ids is not None:
        stale = stale.where(PatientCourse.patient_id.in_(patient_ids))
    session.execute(stale, execution_options={"synchronize_session": False})
    session.execute(
        insert(PatientCourse).from_select(
            [
                "patient_id",
                "clinic_id",
                *(column.key for column in COURSE_STARTS),
                "maintenance_started_at",
                "first_phq9_observed_at",
                "first_phq9_received_at",
                "first_phq9_total",
            ],
            rows,
        ),
        execution_options={"synchronize_session": False},
    )


def refresh_course(session: Session, *, patient_id: uuid.UUID) -> None:
    """The patient's course again, after a change to their infusions: their row locked first (see rebuild)."""
    session.execute(select(Patient.id).where(Patient.id == patient_id).with_for_update())
    rebuild_courses(session, patient_ids=[patient_id])


def _first_phq9(insert_of) -> Insert:
    """Upsert of a stored PHQ-9 as the patient's first, when it is (earlier, or as early and received earlier)."""
    values = {
        "patient_id": bindparam("patient_id", type_=_C.patient_id.type),
        "clinic_id": bindparam("clinic_id", type_=_C.clinic_id.type),
        "first_phq9_observed_at": bindparam("observed_at", type_=_C.first_phq9_observed_at.type),
        "first_phq9_received_at": bindparam("received_at", type_=_C.first_phq9_received_at.type),
        "first_phq9_total": bindparam("total", type_=_C.first_phq9_total.type),
    }
    statement = insert_of(PatientCourse).values(values)
    new = statement.excluded
    earlier = or_(
        _C.first_phq9_observed_at.is_(None),
        new.first_phq9_observed_at < _C.first_phq9_observed_at,
        and_(
            new.first_phq9_observed_at == _C.first_phq9_observed_at,
            new.first_phq9_received_at < _C.first_phq9_received_at,
        ),
    )
    return statement.on_conflict_do_update(
        index_elements=["patient_id"],
        set_={
            "first_phq9_observed_at": new.first_phq9_observed_at,
            "first_phq9_received_at": new.first_phq9_received_at,
            "first_phq9_total": new.first_phq9_total,
        },
        where=earlier,
    )


_RECORD_PHQ9 = DriverStatement(_first_phq9(pg_insert), elsewhere=_first_phq9(sqlite_insert))


def record_phq9(
    session: Session,
    *,
    patient_id: uuid.UUID,
    clinic_id: uuid.UUID,
    observed_at: datetime,
    received_at: datetime,
    total: int,
) -> None:
    """A stored report with a PHQ-9: the patient's first PHQ-9 when it is (one statement, in its transaction)."""
    _RECORD_PHQ9.rows(
        session,
        {
            "patient_id": patient_id,
            "clinic_id": clinic_id,
            "observed_at": observed_at,
            "received_at": received_at,
            "total": total,
        },
    )


# --- the figures ------------------------------------------------------------------------------------------------


def outcomes(session: Session, *, clinic_id: uuid.UUID, since: datetime, until: datetime) -> dict:
    """Response and remission of the clinic's patients with a baseline, overall, by infusions received, by week.

    One statement over the range's PHQ-9s and the patients' courses (nothing of the history before the range):
    beside each PHQ-9 observed in the range once the patient's first infusion had started, how many of the
    course's first seven infusions had started by then and whether maintenance had; of those, the latest overall,
    per number of infusions, once in maintenance and per week since the first infusion, counted against the
    baseline (typed by hand, else the course's first PHQ-9 when it came before the first infusion); per week,
    the median."""
    observed = Report.observed_at
    in_range = (
        select(
            Report.patient_id.label("patient_id"),
            Report.phq9_total.label("total"),
            observed.label("at"),
            Report.received_at.label("received"),
            sum_of(case((start <= observed, 1), else_=0) for start in COURSE_STARTS).label("infusions"),
            case((_C.maintenance_started_at <= observed, 1), else_=0).label("maintenance"),
            (MicrosecondsBetween(_C.start_1, observed) // _WEEK_US).label("week"),
        )
        .join(_C, _C.patient_id == Report.patient_id)
        .where(
            Report.clinic_id == clinic_id,
            Report.phq9_total.is_not(None),
            observed >= since,
            observed < until,
            _C.start_1 <= observed,
        )
        .subquery("in_range")
    )
    r = in_range.c
    latest = (r.at.desc(), r.received.desc())
    measures = select(
        r.patient_id,
        r.total,
        r.infusions,
        r.maintenance,
        r.week,
        func.row_number().over(partition_by=r.patient_id, order_by=latest).label("latest"),
        func.row_number().over(partition_by=(r.patient_id, r.infusions), order_by=latest).label("step"),
        func.row_number().over(partition_by=(r.patient_id, r.maintenance), order_by=latest).label("in_maintenance"),
        func.row_number().over(partition_by=(r.patient_id, r.week), order_by=latest).label("of_week"),
    ).cte("measures")
    m = measures.c
    derived = case((_C.first_phq9_observed_at < _C.start_1, _C.first_phq9_total))
    baseline = func.coalesce(Patient.phq9_baseline, derived)
    baselines = (
        select(_C.patient_id.label("patient_id"), baseline.label("baseline"))
        .join(Patient, Patient.id == _C.patient_id)
        .where(_C.clinic_id == clinic_id, _C.start_1 < until, baseline.is_not(None))
        .cte("baselines")
    )
    b = baselines.c
    responded_ = func.sum(case((m.total <= b.baseline * (1 - RESPONSE_DROP), 1), else_=0))
    remitted_ = func.sum(case((m.total < REMISSION_BELOW, 1), else_=0))
    no_median = cast(null(), Float)

    def counted(category: str, key, *where):
        return (
            select(
                literal(category).label("category"), key.label("key"), func.count(), responded_, remitted_, no_median
            )
            .select_from(measures)
            .join(baselines, b.patient_id == m.patient_id)
            .where(*where)
            .group_by(key)
        )

    week_median = (
        select(literal("week"), m.week, func.count(), literal(0), literal(0), Percentile(m.total, 0.5))
        .select_from(measures)
        .join(baselines, b.patient_id == m.patient_id)
        .where(m.of_week == 1)
        .group_by(m.week)
    )
    with_baseline = select(
        literal("with_baseline"), literal(0), func.count(), literal(0), literal(0), no_median
    ).select_from(baselines)
    query = union_all(
        with_baseline,
        counted("overall", literal(0), m.latest == 1),
        counted("step", m.infusions, m.step == 1, m.infusions.in_(INFUSION_STEPS)),
        counted("maintenance", literal(0), m.in_maintenance == 1, m.maintenance == 1),
        week_median,
    )
    with_baseline_n, overall, steps, weeks = 0, figures(0, 0, 0), {key: figures(0, 0, 0) for key in STEP_KEYS}, []
    for category, key, n, response, remission, median in session.execute(query):
        if category == "with_baseline":
            with_baseline_n = n
        elif category == "overall":
            overall = figures(n, int(response), int(remission))
        elif category == "step":
            steps[str(key)] = figures(n, int(response), int(remission))
        elif category == "maintenance":
            steps["maintenance"] = figures(n, int(response), int(remission))
        else:
            weeks.append((int(key), n, median))
    return answer(with_baseline_n, overall, steps, weeks)


def sum_of(terms):
    """term + term + …, as one SQL expression."""
    terms = list(terms)
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total
