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

import statistics
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.domain.analytics import _aware
from service.enums import Phase
from service.models import Infusion, Patient, Report

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


def _counts(pairs: list[tuple[int, int]]) -> dict:
    """Response and remission among (baseline, latest) pairs."""
    n = len(pairs)
    response = sum(1 for baseline, total in pairs if responded(baseline, total))
    remission = sum(1 for _, total in pairs if remitted(total))
    return {
        "patients": n,
        "response": response,
        "response_rate": round(response / n, 4) if n else None,
        "remission": remission,
        "remission_rate": round(remission / n, 4) if n else None,
    }


@dataclass
class Tally:
    """The outcome figures, a patient with a baseline at a time (their PHQ-9s and infusion starts in order)."""

    with_baseline: int = 0
    overall: list[tuple[int, int]] = field(default_factory=list)
    steps: dict[str, list[tuple[int, int]]] = field(
        default_factory=lambda: {str(n): [] for n in INFUSION_STEPS} | {"maintenance": []}
    )
    weeks: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))

    def add(
        self,
        baseline: int,
        measured: list[tuple[datetime, int]],
        *,
        starts: list[datetime],
        maintenance: datetime | None,
        since: datetime,
    ) -> None:
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
        return {
            "patients_with_baseline": self.with_baseline,
            **{("measured" if k == "patients" else k): v for k, v in _counts(self.overall).items()},
            "by_infusions": [{"after": key, **_counts(pairs)} for key, pairs in self.steps.items()],
            "median_by_week": [
                {"week": week, "patients": len(totals), "median_phq9": float(statistics.median(totals))}
                for week, totals in sorted(self.weeks.items())
            ],
        }


def outcomes(session: Session, *, clinic_id: uuid.UUID, since: datetime, until: datetime) -> dict:
    """Response and remission of the clinic's patients with a baseline, overall, by infusions received, by week.

    Only what the figures use leaves the database: each patient's first infusions (as many as the steps need, one
    more for the end of the last step) and first maintenance infusion, their first PHQ-9 (the baseline when it is
    before the first infusion) and their PHQ-9s in the range."""
    steps_needed = max(INFUSION_STEPS) + 1
    ranked_infusions = (
        select(
            Infusion.patient_id,
            Infusion.started_at,
            Infusion.phase,
            func.row_number().over(partition_by=Infusion.patient_id, order_by=Infusion.started_at).label("n"),
            func.row_number()
            .over(partition_by=(Infusion.patient_id, Infusion.phase), order_by=Infusion.started_at)
            .label("in_phase"),
        )
        .where(Infusion.clinic_id == clinic_id, Infusion.started_at < until)
        .subquery()
    )
    starts_of: dict[uuid.UUID, list[datetime]] = defaultdict(list)
    maintenance_of: dict[uuid.UUID, datetime] = {}
    for patient_id, started_at, phase, n, in_phase in session.connection().execute(
        select(ranked_infusions)
        .where(
            (ranked_infusions.c.n <= steps_needed)
            | ((ranked_infusions.c.phase == Phase.MAINTENANCE) & (ranked_infusions.c.in_phase == 1))
        )
        .order_by(ranked_infusions.c.patient_id, ranked_infusions.c.n)
    ):
        if n <= steps_needed:
            starts_of[patient_id].append(_aware(started_at))
        if phase == Phase.MAINTENANCE and in_phase == 1:
            maintenance_of[patient_id] = _aware(started_at)
    ranked_measures = (
        select(
            Report.patient_id,
            Report.observed_at,
            Report.received_at,
            Report.phq9_total,
            func.row_number()
            .over(partition_by=Report.patient_id, order_by=(Report.observed_at, Report.received_at))
            .label("n"),
        )
        .where(Report.clinic_id == clinic_id, Report.phq9_total.is_not(None), Report.observed_at < until)
        .subquery()
    )
    measures: dict[uuid.UUID, list[tuple[datetime, int]]] = defaultdict(list)
    for patient_id, observed_at, total in session.connection().execute(
        select(ranked_measures.c.patient_id, ranked_measures.c.observed_at, ranked_measures.c.phq9_total)
        .where((ranked_measures.c.n == 1) | (ranked_measures.c.observed_at >= since))
        .order_by(ranked_measures.c.patient_id, ranked_measures.c.n)
    ):
        measures[patient_id].append((_aware(observed_at), total))
    typed = dict(session.execute(select(Patient.id, Patient.phq9_baseline).where(Patient.clinic_id == clinic_id)).all())

    tally = Tally()
    for patient_id, hand in typed.items():
        starts = starts_of.get(patient_id)
        if not starts:
            continue
        measured = measures.get(patient_id, [])
        baseline = hand
        if baseline is None and measured and measured[0][0] < starts[0]:
            baseline = measured[0][1]  # their first PHQ-9, before their first infusion
        if baseline is not None:
            tally.add(baseline, measured, starts=starts, maintenance=maintenance_of.get(patient_id), since=since)
    return tally.answer()
