"""The course chart: marks for every kind of entry, text escaped, severity shown as a number too."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from service.web.chart import render_course

NOW = datetime(2026, 3, 20, 18, 0, tzinfo=UTC)


def entries() -> list[dict]:
    infusion_at = NOW - timedelta(days=3)
    return [
        {
            "kind": "flag",
            "at": NOW - timedelta(days=1),
            "id": uuid.uuid4(),
            "flag": {"priority": "critical", "status": "open", "reason": "<script>alert(1)</script> & more"},
        },
        {
            "kind": "report",
            "at": NOW - timedelta(days=1),
            "id": uuid.uuid4(),
            "report": {"symptoms": [{"code": "nausea", "severity": 4}], "mood": 2, "phq9_total": 21},
        },
        {
            "kind": "report",
            "at": NOW - timedelta(days=2),
            "id": uuid.uuid4(),
            "report": {"symptoms": [{"code": "blurred_vision", "severity": 1}], "mood": 5, "phq9_total": None},
        },
        {
            "kind": "infusion",
            "at": infusion_at,
            "id": uuid.uuid4(),
            "summary": "IV infusion, 35 mg",
            "infusion": {"route": "iv"},
        },
    ]


def draw(items):
    return render_course(
        items,
        since=NOW - timedelta(days=14),
        until=NOW,
        zone="America/Denver",
        mood_baseline=5,
        phq9_baseline=16,
        flag_url=lambda flag_id: f"/console/flags/{flag_id}",
        title="Course of <Sam>",
        description="Symptoms worse.",
    )


def test_chart_draws_each_kind_and_escapes_text():
    chart = draw(entries())
    svg = str(chart.svg)
    assert chart.marks == 7  # a flag, an infusion, two symptom dots, two mood points, one PHQ-9 mark
    assert svg.count('class="sev-mark"') == 2 and svg.count('class="mood-mark"') == 2
    assert svg.count('class="phq9-mark"') == 1 and svg.count('class="infusion"') == 1
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "&amp; more" in svg
    assert "Course of &lt;Sam&gt;" in svg
    assert ">4</text>" in svg  # severity written in the dot, not only coloured
    assert "blurred vision 1/4 (mild)" in svg
    assert 'href="/console/flags/' in svg


def test_empty_chart_says_there_is_nothing_to_draw():
    chart = draw([])
    assert chart.marks == 0
    assert "No symptoms reported in this period." in str(chart.svg)
    assert "No mood or PHQ-9 answers in this period." in str(chart.svg)


def test_flags_raised_together_do_not_hide_each_other():
    first, second = entries()[0], {**entries()[0], "id": uuid.uuid4()}
    second["flag"] = {**second["flag"], "priority": "high", "reason": "Also"}
    svg = str(draw([first, second]).svg)
    xs = [float(part.split(",")[0]) for part in svg.split('points="')[1:]]
    assert len(xs) == 2 and abs(xs[0] - xs[1]) >= 20
