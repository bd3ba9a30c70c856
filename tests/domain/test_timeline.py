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


def _inf(days_ago: float, mg, per_kg):
    from types import SimpleNamespace

    return SimpleNamespace(
        id=uuid.uuid4(),
        started_at=datetime(2026, 12, 1, 15, tzinfo=UTC) - timedelta(days=days_ago),
        dose_mg=mg,
        dose_mg_per_kg=per_kg,
    )


def test_cumulative_dose_runs_oldest_first_and_leaves_out_missing_figures():
    from service.domain.timeline import cumulative_doses

    # Given out of order; by hand, oldest first: 35 mg/0.5; 52.5 mg/0.75; 40 mg/(none); (none)/0.6.
    a, b, c, d = _inf(30, 35.0, 0.5), _inf(20, 52.5, 0.75), _inf(10, 40.0, None), _inf(3, None, 0.6)
    running, summary = cumulative_doses([c, a, d, b])
    assert running[a.id] == {"cumulative_infusions": 1, "cumulative_dose_mg": 35.0, "cumulative_dose_mg_per_kg": 0.5}
    assert running[b.id] == {"cumulative_infusions": 2, "cumulative_dose_mg": 87.5, "cumulative_dose_mg_per_kg": 1.25}
    assert running[c.id] == {"cumulative_infusions": 3, "cumulative_dose_mg": 127.5, "cumulative_dose_mg_per_kg": 1.25}
    assert running[d.id] == {"cumulative_infusions": 4, "cumulative_dose_mg": 127.5, "cumulative_dose_mg_per_kg": 1.85}
    assert summary == {
        "infusions": 4,
        "dose_mg": 127.5,
        "dose_mg_per_kg": 1.85,
        "without_mg": 1,
        "without_mg_per_kg": 1,
        "first_infusion_at": a.started_at,
        "last_infusion_at": d.started_at,
    }


def test_cumulative_dose_with_no_infusions_or_no_mg_per_kg_at_all_is_null_not_zero():
    from service.domain.timeline import cumulative_doses

    assert cumulative_doses([]) == (
        {},
        {
            "infusions": 0,
            "dose_mg": None,
            "dose_mg_per_kg": None,
            "without_mg": 0,
            "without_mg_per_kg": 0,
            "first_infusion_at": None,
            "last_infusion_at": None,
        },
    )
    only_mg = [_inf(2, 0.1, None), _inf(1, 0.2, None)]
    running, summary = cumulative_doses(only_mg)
    assert summary["dose_mg"] == 0.3 and summary["dose_mg_per_kg"] is None and summary["without_mg_per_kg"] == 2
    assert running[only_mg[1].id]["cumulative_dose_mg_per_kg"] is None
