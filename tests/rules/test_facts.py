"""The fact and finding values."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from service.rules import (
    Finding,
    InfusionFacts,
    PatientContext,
    Priority,
    PriorReport,
    ReportFacts,
    SymptomObs,
    highest,
    rank,
)

AT = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)


def test_priority_ranks_critical_highest():
    assert rank(Priority.CRITICAL) > rank(Priority.HIGH) > rank(Priority.MEDIUM) > rank(Priority.LOW)
    assert rank("high") == Priority.HIGH.rank == 3
    assert sorted(Priority, key=rank, reverse=True) == [Priority.CRITICAL, Priority.HIGH, Priority.MEDIUM, Priority.LOW]


@pytest.mark.parametrize(
    ("priorities", "expected"),
    [
        ([], None),
        ([Priority.LOW], Priority.LOW),
        ([Priority.MEDIUM, Priority.CRITICAL, Priority.HIGH], Priority.CRITICAL),
        (["medium", "high"], Priority.HIGH),
        ((p for p in [Priority.LOW, Priority.MEDIUM]), Priority.MEDIUM),
    ],
)
def test_highest(priorities, expected):
    assert highest(priorities) == expected


def test_unknown_priority_is_an_error():
    with pytest.raises(ValueError):
        rank("urgent")


@pytest.mark.parametrize(
    "make",
    [
        lambda: ReportFacts(observed_at=datetime(2025, 6, 2, 12, 0)),
        lambda: InfusionFacts(datetime(2025, 6, 2, 12, 0), None, "iv"),
        lambda: InfusionFacts(AT, datetime(2025, 6, 2, 12, 0), "iv"),
        lambda: PriorReport(datetime(2025, 6, 2, 12, 0), ()),
    ],
)
def test_naive_datetimes_are_refused(make):
    with pytest.raises(ValueError, match="timezone-aware"):
        make()


def test_lists_become_tuples_so_facts_stay_frozen_and_hashable():
    rep = ReportFacts(observed_at=AT, symptoms=[SymptomObs("nausea", 1)], phq9=[0] * 9)  # type: ignore[arg-type]
    assert rep.symptoms == (SymptomObs("nausea", 1),)
    assert rep.phq9 == (0,) * 9
    assert hash(rep)
    ctx = PatientContext(open_flag_priorities=["high"], recent_reports=[PriorReport(AT, [])])  # type: ignore[arg-type]
    assert ctx.open_flag_priorities == (Priority.HIGH,)
    assert hash(ctx)
    with pytest.raises(AttributeError):
        rep.mood = 3  # type: ignore[misc]


def test_finding_to_dict():
    f = Finding("worsening", 1, Priority.MEDIUM, "Why.", {"a": 1})
    assert f.to_dict() == {
        "rule": "worsening",
        "version": 1,
        "priority": "medium",
        "reason": "Why.",
        "evidence": {"a": 1},
    }
