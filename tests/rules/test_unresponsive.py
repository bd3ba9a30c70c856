"""The time-based unresponsive rule."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from service.rules import RULES, Priority, Thresholds, evaluate_unresponsive

DUE = datetime(2025, 6, 2, 20, 0, tzinfo=UTC)


def check(missed, open_priorities=(), **kw):
    return evaluate_unresponsive(
        consecutive_missed=missed, context_open_priorities=open_priorities, last_due_at=DUE, time_zone="UTC", **kw
    )


@pytest.mark.parametrize(("missed", "fires"), [(0, False), (1, False), (2, True), (3, True)])
def test_two_consecutive_missed_check_ins(missed, fires):
    assert (check(missed) is not None) is fires


@pytest.mark.parametrize(
    ("open_priorities", "priority"),
    [
        ((), Priority.MEDIUM),
        ((Priority.LOW,), Priority.MEDIUM),
        ((Priority.MEDIUM, Priority.LOW), Priority.MEDIUM),
        ((Priority.HIGH,), Priority.HIGH),
        ((Priority.CRITICAL,), Priority.HIGH),
        ((Priority.MEDIUM, Priority.CRITICAL), Priority.HIGH),
        (("high",), Priority.HIGH),
    ],
)
def test_high_when_the_patient_already_has_an_open_high_or_critical_flag(open_priorities, priority):
    assert check(2, open_priorities).priority is priority


def test_threshold_is_configurable():
    assert check(2, thresholds=Thresholds(unresponsive_missed=3)) is None
    assert check(3, thresholds=Thresholds(unresponsive_missed=3)) is not None
    assert check(1, thresholds=Thresholds(unresponsive_missed=1)) is not None


def test_reason_and_evidence():
    f = check(2, (Priority.CRITICAL, Priority.MEDIUM))
    assert f.rule == "unresponsive"
    assert f.version == RULES["unresponsive"]
    assert f.reason == (
        "2 check-ins missed in a row, the last due at 20:00 on 2 Jun — threshold 2; "
        "raised to high because an open critical flag is waiting."
    )
    assert json.loads(json.dumps(f.evidence)) == f.evidence
    assert f.evidence["open_priorities"] == ["critical", "medium"]
    assert f.evidence["last_due_at"] == "2025-06-02T20:00:00+00:00"


def test_reason_in_the_patient_local_time():
    f = evaluate_unresponsive(
        consecutive_missed=2,
        context_open_priorities=(),
        last_due_at=datetime(2025, 3, 9, 9, 10, tzinfo=UTC),
        time_zone="America/Denver",
    )
    assert f.reason == "2 check-ins missed in a row, the last due at 03:10 on 9 Mar — threshold 2."


def test_a_naive_due_time_is_a_programming_error():
    with pytest.raises(ValueError, match="timezone-aware"):
        evaluate_unresponsive(
            consecutive_missed=2, context_open_priorities=(), last_due_at=datetime(2025, 6, 2, 20, 0), time_zone="UTC"
        )
