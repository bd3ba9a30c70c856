"""The course chart: marks for every kind of entry, text escaped, severity shown as a number too."""

from __future__ import annotations

import itertools
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


def _triangles(svg: str) -> list[tuple[float, float]]:
    """(left, right) of each flag triangle drawn."""
    spans = []
    for part in svg.split('<polygon points="')[1:]:
        xs = [float(point.split(",")[0]) for point in part.split('"')[0].split()]
        spans.append((min(xs), max(xs)))
    return spans


def test_flags_raised_just_now_stay_whole_inside_the_drawing():
    """Four flags at the right edge (raised now): side by side, and the right-most one is not cut off."""
    now_flags = [
        {"kind": "flag", "at": NOW, "id": uuid.uuid4(), "flag": {"priority": p, "status": "open", "reason": p}}
        for p in ("critical", "high", "medium", "low")
    ]
    svg = str(draw(now_flags).svg)
    width = float(svg.split('viewBox="0 0 ')[1].split(maxsplit=1)[0])
    spans = _triangles(svg)
    assert len(spans) == 4
    assert all(0 <= left and right <= width - 1 for left, right in spans), (spans, width)
    lefts = sorted(left for left, _ in spans)
    assert all(b - a >= 20 for a, b in itertools.pairwise(lefts))


def test_flag_positions_keep_gaps_and_bounds():
    from service.web.chart import FLAG_GAP, FLAG_HALF, WIDTH, flag_positions

    assert flag_positions([]) == []
    assert flag_positions([300.0, 600.0]) == [300.0, 600.0]  # apart already: left where they are
    crowded = flag_positions([WIDTH - 56.0] * 5)
    assert crowded[-1] + FLAG_HALF <= WIDTH - 1
    assert all(b - a >= FLAG_GAP for a, b in itertools.pairwise(crowded))
    assert flag_positions([0.0])[0] - FLAG_HALF >= 1


def test_the_chart_with_links_is_a_group_not_an_image():
    """An SVG with role="img" hides its children from assistive technology, links included (axe
    nested-interactive): the chart is a labelled group and each flag link has its own name."""
    svg = str(draw(entries()).svg)
    head = svg.split(">", 1)[0]
    assert 'role="img"' not in head and 'role="group"' in head
    assert 'aria-labelledby="chart-title"' in head and 'aria-describedby="chart-desc"' in head
    link = svg.split('<a href="', 1)[1].split(">", 1)[0]
    assert 'aria-label="Critical flag (open)' in link


def test_phq9_is_drawn_against_the_response_and_remission_lines():
    svg = str(draw(entries()).svg)
    # Baseline 16: response at 8 or less; remission below 5. The PHQ-9 scale is 0-27 over the mood panel.
    assert '<g class="phq9-response"><title>Response: PHQ-9 8 or less (half of baseline 16)</title>' in svg
    assert '<g class="phq9-remission"><title>Remission: PHQ-9 below 5</title>' in svg

    def height(css):
        return float(svg.split(f'<g class="{css}">')[1].split('y1="')[1].split('"', maxsplit=1)[0])

    assert height("phq9-remission") > height("phq9-response")  # 5 sits lower than 8 on the chart


def test_without_a_baseline_only_the_remission_line_is_drawn():
    chart = render_course(
        entries(),
        since=NOW - timedelta(days=14),
        until=NOW,
        zone="America/Denver",
        mood_baseline=None,
        phq9_baseline=None,
        flag_url=lambda flag_id: f"/console/flags/{flag_id}",
        title="Course",
        description="",
    )
    assert 'class="phq9-response"' not in str(chart.svg) and 'class="phq9-remission"' in str(chart.svg)


def _dose_entry(days_ago: float, n: int, mg, per_kg, cum_mg, cum_per_kg) -> dict:
    return {
        "kind": "infusion",
        "at": NOW - timedelta(days=days_ago),
        "id": uuid.uuid4(),
        "summary": "IV infusion",
        "infusion": {
            "route": "iv",
            "dose_mg": mg,
            "dose_mg_per_kg": per_kg,
            "cumulative_infusions": n,
            "cumulative_dose_mg": cum_mg,
            "cumulative_dose_mg_per_kg": cum_per_kg,
        },
    }


def _symptom_report(days_ago: float, *symptoms) -> dict:
    return {
        "kind": "report",
        "at": NOW - timedelta(days=days_ago),
        "id": uuid.uuid4(),
        "report": {"symptoms": [{"code": c, "severity": s} for c, s in symptoms], "mood": 5, "phq9_total": None},
    }


def test_exposure_chart_draws_a_point_per_infusion_and_per_rated_long_term_symptom():
    from service.web.chart import render_exposure

    # One infusion before the window (35 mg, 0.5 mg/kg), then two in it: 52.5/0.75 and 40 mg with no mg/kg.
    items = [
        _dose_entry(10, 2, 52.5, 0.75, 87.5, 1.25),
        _dose_entry(4, 3, 40.0, None, 127.5, 1.25),
        _symptom_report(9, ("bladder_pain", 1), ("nausea", 3)),  # nausea is not a long-term symptom
        _symptom_report(5, ("bladder_pain", 2), ("memory_problems", 1)),
        _symptom_report(2, ("craving", 3), ("low_mood", 2), ("bladder_pain", 2)),
    ]
    totals = {"dose_mg": 127.5, "dose_mg_per_kg": 1.25, "without_mg": 0, "without_mg_per_kg": 1, "infusions": 3}
    chart = render_exposure(items, cumulative=totals, since=NOW - timedelta(days=14), until=NOW, zone="UTC")
    svg = str(chart.svg)
    assert svg.count('class="dose-point"') == 2
    assert svg.count('data-code="bladder_pain"') == 3
    assert svg.count('data-code="memory_problems"') == 1
    assert svg.count('data-code="craving"') == 1 and svg.count('data-code="low_mood"') == 1
    assert chart.marks == 8 and 'data-marks="8"' in svg
    assert "nausea" not in svg.lower()
    assert "Cumulative dose (mg)" in svg  # one infusion lacks mg/kg, none lacks mg
    assert "87.5 mg in all" in svg and "127.5 mg in all" in svg
    # The line starts at the 35 mg given before the window: 35 / (127.5 * 1.1) of the 180-px panel above 220.
    start_y = 220 - 35 / (127.5 * 1.1) * 180
    assert f'points="150.0,{start_y:.1f} ' in svg
    assert "style=" not in svg and "<script" not in svg


def test_exposure_chart_in_mg_per_kg_when_every_infusion_has_it_and_flat_with_none_in_the_window():
    from service.web.chart import exposure_unit, render_exposure

    totals = {"dose_mg": None, "dose_mg_per_kg": 1.5, "without_mg": 2, "without_mg_per_kg": 0, "infusions": 2}
    assert exposure_unit(totals) == "mg/kg"
    chart = render_exposure([], cumulative=totals, since=NOW - timedelta(days=14), until=NOW, zone="UTC")
    svg = str(chart.svg)
    assert chart.marks == 0 and "Cumulative dose (mg/kg)" in svg
    flat_y = 220 - 1.5 / (1.5 * 1.1) * 180
    assert f'points="150.0,{flat_y:.1f} 880.0,{flat_y:.1f}"' in svg
