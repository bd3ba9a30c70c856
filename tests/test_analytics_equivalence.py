"""The set-based analytics (fast at scale) give exactly the answers of the row-by-row versions they replaced.

A seeded history of a clinic in America/Denver from October to December 2026 (daylight time ends on
1 November): patients with typed and derived PHQ-9 baselines, infusions of every route and dose band
(including the bands' edges and no mg/kg), follow-up reports at the windows' very edges (72 h, 6 h, 14 days,
to the microsecond, and a microsecond past them), flags of rules whose version changed mid-range, with
acknowledgements, escalations, joins and resolutions; another clinic's rows besides. Each figure is
compared, over ranges that cross the DST change, the version change and month ends, with the reference
implementations in tests/analytics_reference.py (the original row-by-row code).
"""

from __future__ import annotations

import hashlib
import random
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from service.domain import analytics, incidence, outcomes
from service.domain.common import range_bounds
from service.domain.triage import urgency_of
from service.enums import DOSE_BANDS, FlagEventKind, FlagPriority, FlagStatus, Phase, Resolution, Route
from service.extensions import db
from service.models import Flag, FlagEvent, Infusion, Report, ReportSymptom
from service.vocabulary import SYMPTOMS
from tests import analytics_reference as reference
from tests import factories

START = datetime(2026, 10, 1, tzinfo=UTC)
DAYS = 92
EDGES = (
    timedelta(0),
    timedelta(hours=6),
    timedelta(hours=6, microseconds=1),
    timedelta(hours=72),
    timedelta(hours=72, microseconds=1),
    timedelta(days=14),
    timedelta(days=14, microseconds=1),
    timedelta(hours=24),
    timedelta(days=5),
)
DOSES = (None, 0.3, 0.5, 0.6, 0.75, 0.9, 1.0, 1.2)
RULES = (("suicidal-ideation", FlagPriority.CRITICAL), ("severe-symptom", FlagPriority.HIGH))
VERSION_CHANGE = datetime(2026, 11, 10, 18, 0, tzinfo=UTC)
RANGES = (
    (date(2026, 10, 1), date(2026, 12, 31)),
    (date(2026, 11, 1), date(2026, 11, 30)),
    (date(2026, 11, 1), date(2026, 11, 1)),
    (date(2026, 11, 10), date(2026, 11, 10)),
    (date(2026, 10, 20), date(2026, 11, 12)),
    (date(2026, 12, 1), date(2026, 12, 31)),
)


def _moment(rng: random.Random) -> datetime:
    """A random instant of the history, with microseconds (kept below 999,000 so edges never carry)."""
    return START + timedelta(seconds=rng.randrange(DAYS * 86400), microseconds=rng.randrange(999_000))


def _report(rng, clinic_id, patient_id, observed, **values) -> Report:
    report = Report(
        clinic_id=clinic_id,
        patient_id=patient_id,
        client_report_id=uuid.uuid4(),
        body_hash=hashlib.sha256(str(uuid.uuid4()).encode()).hexdigest(),
        observed_at=observed,
        received_at=observed + timedelta(seconds=rng.randrange(0, 3)),
        **values,
    )
    db.session.add(report)
    return report


def _history(rng: random.Random, clinic, *, patients: int) -> None:
    codes = [s.code for s in SYMPTOMS]
    for _ in range(patients):
        patient = factories.make_patient(clinic, phq9_baseline=rng.choice((None, None, None, 18)))
        first = _moment(rng)
        if rng.random() < 0.8:  # a PHQ-9 before the first infusion (the derived baseline), not always
            _report(
                rng,
                clinic.id,
                patient.id,
                first - timedelta(days=rng.randrange(1, 9)),
                phq9_total=rng.randrange(10, 27),
            )
        starts = sorted([first] + [_moment(rng) for _ in range(rng.randrange(0, 9))])
        starts = [s for s in starts if s >= first]
        for k, start in enumerate(starts):
            end = start + timedelta(minutes=rng.randrange(30, 60))
            infusion = Infusion(
                clinic_id=clinic.id,
                patient_id=patient.id,
                started_at=start,
                ended_at=end if rng.random() < 0.95 else None,
                route=rng.choice(list(Route)),
                phase=Phase.INDUCTION if k < 6 and rng.random() < 0.9 else Phase.MAINTENANCE,
                dose_mg_per_kg=rng.choice(DOSES),
            )
            db.session.add(infusion)
            db.session.flush()
            if infusion.ended_at is None:
                continue
            for _ in range(rng.randrange(0, 4)):
                offset = rng.choice(EDGES) if rng.random() < 0.7 else timedelta(seconds=rng.randrange(0, 20 * 86400))
                report = _report(rng, clinic.id, patient.id, end + offset, infusion_id=infusion.id)
                db.session.flush()
                for code in rng.sample(codes, rng.randrange(0, 4)):
                    db.session.add(ReportSymptom(report_id=report.id, code=code, severity=rng.randrange(0, 4)))
            if rng.random() < 0.1:  # during the infusion: never counted
                _report(rng, clinic.id, patient.id, end - timedelta(minutes=5), infusion_id=infusion.id)
        for _ in range(rng.randrange(2, 12)):
            _report(rng, clinic.id, patient.id, _moment(rng), phq9_total=rng.randrange(0, 28))
        for _ in range(rng.randrange(0, 6)):
            _report(rng, clinic.id, patient.id, _moment(rng), mood=rng.randrange(0, 11))
        for rule, priority in RULES:
            moments = sorted(_moment(rng) for _ in range(rng.randrange(0, 5)))
            for m, created in enumerate(moments):
                version = 1 if created < VERSION_CHANGE else 2
                active = m == len(moments) - 1 and rng.random() < 0.3  # one active flag per patient and rule at most
                acks = sorted(created + timedelta(minutes=rng.randrange(1, 300)) for _ in range(rng.randrange(0, 3)))
                resolved = None if active else created + timedelta(minutes=rng.randrange(300, 3000))
                flag = Flag(
                    clinic_id=clinic.id,
                    patient_id=patient.id,
                    rule=rule,
                    rule_version=version,
                    priority=priority,
                    urgency=urgency_of(priority),
                    status=FlagStatus.RESOLVED if resolved else FlagStatus.ACKNOWLEDGED if acks else FlagStatus.OPEN,
                    reason="Seeded for the equivalence tests.",
                    evidence={},
                    due_by=created + timedelta(minutes=rng.choice((15, 60, 240))),
                    created_at=created,
                    updated_at=resolved or created,
                    acknowledged_at=acks[0] if acks else None,
                    resolved_at=resolved,
                    resolution=rng.choice(list(Resolution)) if resolved else None,
                    resolution_note="Done." if resolved else None,
                )
                db.session.add(flag)
                db.session.flush()
                events = [(created, FlagEventKind.OPENED)] + [(a, FlagEventKind.ACKNOWLEDGED) for a in acks]
                events += [
                    (created + timedelta(minutes=rng.randrange(1, 2000)), kind)
                    for kind in (FlagEventKind.JOINED, FlagEventKind.ESCALATED, FlagEventKind.NOTE)
                    for _ in range(rng.randrange(0, 3))
                ]
                if resolved:
                    events.append((resolved, FlagEventKind.RESOLVED))
                # What flags.acknowledge and flags.escalate keep on the flag as they write these events.
                flag.first_acknowledged_at = min(
                    (at for at, kind in events if kind == FlagEventKind.ACKNOWLEDGED), default=None
                )
                flag.escalation_count = sum(1 for _, kind in events if kind == FlagEventKind.ESCALATED)
                db.session.add_all(FlagEvent(flag_id=flag.id, at=at, kind=kind) for at, kind in events)
    db.session.commit()


@pytest.fixture()
def history(world):
    rng = random.Random(20261101)
    _history(rng, world.clinic, patients=14)
    _history(rng, world.other_clinic, patients=3)
    incidence.rebuild(db.session)  # the rows were written straight, not through the service: roll them up
    outcomes.rebuild_courses(db.session)
    db.session.commit()
    return world


@pytest.mark.parametrize(("first", "last"), RANGES)
def test_rule_burden_equals_the_row_by_row_figures(history, first, last):
    clinic = history.clinic
    since, until = range_bounds(first, last, time_zone=clinic.time_zone)
    fast = analytics.rule_burden(db.session, clinic_id=clinic.id, since=since, until=until)
    assert fast == reference.rule_burden(db.session, clinic_id=clinic.id, since=since, until=until)
    assert sum(item["flags_opened"] for item in fast) > 0 or (first, last) in RANGES[2:4]


@pytest.mark.parametrize(("first", "last"), RANGES)
def test_incidence_equals_the_row_by_row_figures(history, first, last):
    clinic = history.clinic
    since, until = range_bounds(first, last, time_zone=clinic.time_zone)
    filters = [(None, None), *((route, None) for route in Route), *((None, band) for band in DOSE_BANDS)]
    for route, band in filters:
        args = {"clinic_id": clinic.id, "since": since, "until": until, "time_zone": clinic.time_zone}
        fast = incidence.incidence(db.session, **args, route=route, band=band)
        assert fast == reference.incidence(db.session, **args, route=route, band=band), (route, band)
    everything = incidence.incidence(
        db.session, clinic_id=clinic.id, since=since, until=until, time_zone=clinic.time_zone
    )
    if (first, last) == RANGES[0]:
        assert everything[0]["infusions"] > 10  # the seeded history has work for the comparison to do


@pytest.mark.parametrize(("first", "last"), RANGES)
def test_outcomes_equal_the_row_by_row_figures(history, first, last):
    clinic = history.clinic
    since, until = range_bounds(first, last, time_zone=clinic.time_zone)
    fast = outcomes.outcomes(db.session, clinic_id=clinic.id, since=since, until=until)
    assert fast == reference.outcomes(db.session, clinic_id=clinic.id, since=since, until=until)
    if (first, last) == RANGES[0]:
        assert fast["measured"] > 5 and any(step["patients"] for step in fast["by_infusions"])


def test_plus_hours_is_exact_to_the_microsecond(history):
    """The SQL window edge: a report exactly 72 h after the end is inside, a microsecond later outside."""
    from sqlalchemy import select

    from service.domain.sqltime import PlusHours

    patient = factories.make_patient(history.clinic)
    end = datetime(2026, 11, 1, 7, 59, 59, 999_998, tzinfo=UTC)  # the edge falls across a second and a DST change
    infusion = Infusion(
        clinic_id=history.clinic.id,
        patient_id=patient.id,
        started_at=end - timedelta(minutes=40),
        ended_at=end,
        route=Route.IV,
        phase=Phase.INDUCTION,
    )
    db.session.add(infusion)
    db.session.flush()
    rng = random.Random(1)
    offsets = (timedelta(hours=72), timedelta(hours=72, microseconds=1), timedelta(hours=72, microseconds=2))
    reports = [_report(rng, history.clinic.id, patient.id, end + o, infusion_id=infusion.id) for o in offsets]
    db.session.commit()
    inside = set(
        db.session.scalars(
            select(Report.id)
            .join(Infusion, Infusion.id == Report.infusion_id)
            .where(Report.infusion_id == infusion.id, Report.observed_at <= PlusHours(Infusion.ended_at, 72))
        )
    )
    assert inside == {reports[0].id}


@pytest.mark.parametrize(
    "apart",
    [timedelta(days=7), timedelta(days=7, microseconds=-1), timedelta(days=7, microseconds=1),
     timedelta(days=14, hours=1, microseconds=999_999), timedelta(0)],
)  # fmt: skip
def test_microseconds_between_is_exact_across_a_week_edge(world, apart):
    """Whole weeks since the first infusion, and the minutes rule burden ranks, come from exact microseconds."""
    from sqlalchemy import select

    from service.domain.sqltime import MicrosecondsBetween, minutes_between

    patient = factories.make_patient(world.clinic)
    start = datetime(2026, 10, 25, 8, 59, 59, 999_999, tzinfo=UTC)  # a week later crosses the DST change
    infusion = Infusion(
        clinic_id=world.clinic.id,
        patient_id=patient.id,
        started_at=start,
        ended_at=start + apart if apart else start + timedelta(minutes=1),
        route=Route.IV,
        phase=Phase.INDUCTION,
    )
    db.session.add(infusion)
    db.session.commit()
    expected = (infusion.ended_at - infusion.started_at) // timedelta(microseconds=1)
    micros, minutes = db.session.execute(
        select(
            MicrosecondsBetween(Infusion.started_at, Infusion.ended_at),
            minutes_between(Infusion.started_at, Infusion.ended_at),
        ).where(Infusion.id == infusion.id)
    ).one()
    assert micros == expected
    assert micros // (7 * 86400 * 1_000_000) == expected // (7 * 86400 * 1_000_000)
    assert minutes == pytest.approx(expected / 60_000_000, abs=1e-9)
