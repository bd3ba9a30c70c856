"""The timeline's window and the course verdict (settling, worse, mixed) the patient page shows."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from service.domain.timeline import course_trend, window
from service.errors import ValidationFailed

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


def report(days_ago: float, *, severities=(), mood=None, phq9=None) -> dict:
    return {
        "kind": "report",
        "at": NOW - timedelta(days=days_ago),
        "id": uuid.uuid4(),
        "report": {
            "symptoms": [{"code": f"s{i}", "severity": s} for i, s in enumerate(severities)],
            "mood": mood,
            "phq9_total": phq9,
        },
    }


def test_window_defaults_to_sixty_days_and_refuses_backwards_or_huge_ones():
    assert window(since=None, until=None, now=NOW) == (NOW - timedelta(days=60), NOW)
    with pytest.raises(ValidationFailed) as backwards:
        window(since=NOW, until=NOW - timedelta(days=1), now=NOW)
    assert backwards.value.field == "since"
    with pytest.raises(ValidationFailed):
        window(since=NOW - timedelta(days=400), until=None, now=NOW)


@pytest.mark.parametrize(
    ("entries", "verdict"),
    [
        ([], "too little data"),
        ([report(10, severities=[3], mood=3, phq9=19), report(2, severities=[1], mood=6, phq9=11)], "settling"),
        ([report(10, severities=[1], mood=6, phq9=8), report(2, severities=[3], mood=3, phq9=15)], "worse"),
        ([report(10, severities=[3], mood=7), report(2, severities=[1], mood=3)], "mixed"),
        ([report(10, severities=[2], mood=5), report(2, severities=[2], mood=5)], "steady"),
    ],
    ids=["nothing", "settling", "worse", "mixed", "steady"],
)
def test_course_verdict(entries, verdict):
    trend = course_trend(sorted(entries, key=lambda e: e["at"], reverse=True), now=NOW)
    assert trend["verdict"] == verdict


def test_trend_is_measured_back_from_the_last_report_and_says_when_it_went_quiet():
    entries = [report(20, severities=[1], mood=7), report(12, severities=[3], mood=2)]
    trend = course_trend(sorted(entries, key=lambda e: e["at"], reverse=True), now=NOW)
    assert trend["verdict"] == "worse"
    assert trend["stale"] is True and trend["last_report_at"] == NOW - timedelta(days=12)
    assert any(sentence.startswith("Symptoms worse") for sentence in trend["sentences"])


class OpenFlag:
    def __init__(self, priority: str, reason: str):
        self.priority, self.reason = priority, reason


def test_open_critical_flags_come_before_any_averages():
    """Two critical flags from the last hour while symptoms averaged milder: never "settling"."""
    entries = [report(10, severities=[3], mood=3, phq9=19), report(2, severities=[1], mood=6, phq9=11)]
    flags = [
        OpenFlag("critical", "Reported suicidal thoughts at 14:05."),
        OpenFlag("critical", "BP 200/130 at 14:20 — threshold 180/120."),
        OpenFlag("medium", "Nausea persisting."),
    ]
    trend = course_trend(sorted(entries, key=lambda e: e["at"], reverse=True), now=NOW, active_flags=flags)
    assert trend["verdict"] == "needs attention"
    assert trend["alerts"] == [
        "2 critical flags open: Reported suicidal thoughts at 14:05; BP 200/130 at 14:20 — threshold 180/120."
    ]
    assert any(s.startswith("Symptoms milder") for s in trend["sentences"])  # the averages still shown, after


def test_a_high_flag_alone_also_needs_attention_but_a_medium_one_does_not():
    entries = [report(10, severities=[3], mood=3), report(2, severities=[1], mood=6)]
    high = course_trend(entries[::-1], now=NOW, active_flags=[OpenFlag("high", "Heart rate 130.")])
    assert high["verdict"] == "needs attention" and high["alerts"] == ["1 high flag open: Heart rate 130."]
    medium = course_trend(entries[::-1], now=NOW, active_flags=[OpenFlag("medium", "Nausea persisting.")])
    assert medium["verdict"] == "settling" and medium["alerts"] == []


@pytest.mark.parametrize(
    ("latest", "said"),
    [
        ({"suicidal_thoughts": True}, "suicidal thoughts"),
        ({"crisis": True}, "crisis language"),
        ({"rules": ["hypertensive-crisis"], "vitals": {"systolic": 200, "diastolic": 130}}, "blood pressure 200/130"),
    ],
)
def test_a_latest_report_in_crisis_needs_attention_even_with_no_flag_open(latest, said):
    earlier = report(10, severities=[3], mood=3)
    last = report(1, severities=[1], mood=6)
    last["report"].update(latest)
    trend = course_trend([last, earlier], now=NOW)
    assert trend["verdict"] == "needs attention" and said in trend["alerts"][0]
