"""The safety-intelligence pages of the console: the figures drawn are the API's, over the days chosen.

The history is tests/api/test_analytics_rules.py's (worked out by hand in its docstring).
"""

from __future__ import annotations

import csv
import io
import re

import pytest

from tests.analytics_data import build_incidence_history, build_outcome_history, build_rule_history

RULES = "/console/analytics/rules"
DAY = "?from=2026-11-01&to=2026-11-01"


@pytest.fixture()
def history(world):
    return build_rule_history(world)


@pytest.fixture()
def infusions(world):
    """The infusions of tests/api/test_analytics_incidence.py (its docstring has the hand count)."""
    return build_incidence_history(world)


def _row(html: str, rule: str, version: int) -> list[str]:
    match = re.search(rf'<tr data-rule="{rule}" data-version="{version}">(.*?)</tr>', html, re.S)
    assert match, f"no row for {rule} v{version}"
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", match[1], re.S)]


def test_rule_burden_page_draws_the_hand_count(console, history):
    page = console["physician"].get(RULES + DAY)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert _row(html, "severe-symptom", 1) == [
        "severe-symptom v1", "4", "3", "2", "75.0", "2", "1", "50.0%", "165.0 / 273.0", "240", "50.0%", "1"
    ]  # fmt: skip
    svg = re.search(r"<svg[^>]*rule-burden-chart.*?</svg>", html, re.S)[0]
    assert "severe-symptom v1: 3 flags opened for 4 reports (75 per 100)" in svg
    assert "severe-symptom v1: 1 of 2 resolved flags acted on (50%)" in svg
    assert "severe-symptom v1: median 2 h 45 min, 90% within 4 h 33 min (target 4 h)" in svg
    # suicidal-ideation v2: acknowledged after 40 min against a 15-minute target, drawn as late.
    assert "suicidal-ideation v2: median 40 min, 90% within 40 min (target 15 min, missed)" in svg
    assert " style=" not in svg and not re.search(r"<script(?![^>]*\bsrc=)", html)  # the CSP allows neither
    assert 'href="/console/analytics/rules.csv?from=2026-11-01&amp;to=2026-11-01"' in html
    assert 'value="2026-11-01"' in html


def test_rule_burden_csv_is_the_api_csv(client, console, history):
    mine = console["admin"].get("/console/analytics/rules.csv" + DAY)
    assert mine.status_code == 200 and mine.mimetype == "text/csv"
    assert mine.headers["Content-Disposition"] == 'attachment; filename="rule-burden_2026-11-01_2026-11-01.csv"'
    theirs = client.get("/api/v1/analytics/rules.csv" + DAY, headers=history.admin.headers)
    assert mine.get_data(as_text=True) == theirs.get_data(as_text=True)
    rows = {(r["rule"], r["version"]): r for r in csv.DictReader(io.StringIO(mine.get_data(as_text=True)))}
    assert rows[("severe-symptom", "1")]["fire_rate"] == "75.0"


def test_another_clinic_sees_only_its_own_figures(console, history):
    html = console["other_admin"].get(RULES + DAY).get_data(as_text=True)
    # The other clinic: three reports, one severe-symptom flag acknowledged after 420 min, acted on.
    assert _row(html, "severe-symptom", 1)[1:4] == ["3", "1", "1"]
    assert _row(html, "severe-symptom", 1)[7] == "100.0%"


def test_a_bad_range_names_the_field_and_shows_no_figures(console, history):
    page = console["admin"].get(RULES + "?from=2026-11-05&to=2026-11-01")
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert "The range ends before it starts." in html and 'aria-invalid="true"' in html
    assert "data-rule=" not in html and "rules.csv" not in html
    garbled = console["admin"].get(RULES + "?from=yesterday&to=2026-11-01")
    assert garbled.status_code == 422 and 'id="from-error"' in garbled.get_data(as_text=True)
    assert console["admin"].get("/console/analytics/rules.csv?from=2026-11-05&to=2026-11-01").status_code == 422


def test_nurses_get_no_safety_link_and_a_refusal(console, history):
    nurse = console["nurse"].get("/console/queue").get_data(as_text=True)
    assert "/console/analytics/rules" not in nurse
    assert 'href="/console/analytics/rules"' in console["physician"].get("/console/queue").get_data(as_text=True)
    refused = console["nurse"].get(RULES + DAY)
    assert refused.status_code == 403 and "for clinic admins and physicians" in refused.get_data(as_text=True)


def test_the_default_range_is_the_last_30_clinic_days(console, world):
    from datetime import timedelta

    from tests.factories import clinic_day

    today = clinic_day()
    html = console["admin"].get(RULES).get_data(as_text=True)
    assert f'value="{today.isoformat()}"' in html
    assert f'value="{(today - timedelta(days=29)).isoformat()}"' in html


INCIDENCE = "/console/analytics/incidence"


def test_incidence_page_draws_the_hand_count_as_a_forest_plot(console, infusions):
    page = console["physician"].get(INCIDENCE + "?from=2026-11-01&to=2026-12-31")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    row = re.search(r'<tr data-symptom="euphoria">(.*?)</tr>', html, re.S)[1]
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
    assert cells == ["Euphoria", "6 h", "5", "3", "60.0%", "23.1% to 88.2%", "30.0%", "No"]
    svg = re.search(r"<svg[^>]*forest-chart.*?</svg>", html, re.S)[0]
    assert "3 of 5 infusions, 60.0% [23.1% to 88.2%]; reference 30.0%" in svg
    assert svg.count('class="forest-reference"') == 7  # the seven reference rates
    assert 'class="forest-mark forest-signal"' not in svg
    assert 'href="/console/analytics/incidence.csv?from=2026-11-01&amp;to=2026-12-31"' in html


def test_incidence_page_shows_a_signal_and_keeps_its_filters(console, infusions):
    html = console["admin"].get(INCIDENCE + "?from=2026-11-01&to=2026-11-30&route=intranasal").get_data(as_text=True)
    svg = re.search(r"<svg[^>]*forest-chart.*?</svg>", html, re.S)[0]
    assert svg.count('class="forest-mark forest-signal"') == 1
    assert "reference 20.0%: above the reference (signal)" in svg
    assert '<option value="intranasal" selected>' in html
    assert "route=intranasal" in re.search(r'id="csv-link"[^>]*|href="[^"]*incidence.csv[^"]*"', html)[0]


def test_incidence_csv_is_the_api_csv(client, console, infusions):
    query = "?from=2026-11-01&to=2026-12-31&dose_band=0.75_to_1.0"
    mine = console["admin"].get("/console/analytics/incidence.csv" + query)
    theirs = client.get("/api/v1/analytics/incidence.csv" + query, headers=infusions.admin.headers)
    assert mine.status_code == 200 and mine.get_data(as_text=True) == theirs.get_data(as_text=True)


def test_incidence_page_names_a_bad_filter(console, infusions):
    page = console["admin"].get(INCIDENCE + "?from=2026-11-01&to=2026-11-30&dose_band=huge")
    assert page.status_code == 422
    assert 'id="dose_band-error"' in page.get_data(as_text=True)


@pytest.fixture()
def course(world):
    """The PHQ-9 course of tests/api/test_analytics_outcomes.py (its docstring has the hand count)."""
    return build_outcome_history(world)


def test_outcomes_page_draws_the_hand_count(console, course):
    page = console["admin"].get("/console/analytics/outcomes?from=2026-11-01&to=2026-11-30")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "2 of 3 patients with a baseline measured" in html
    latest = re.search(r'<tr data-stage="latest">(.*?)</tr>', html, re.S)[1]
    assert "1 (50.0%)" in latest
    six = re.search(r'<tr data-stage="6">(.*?)</tr>', html, re.S)[1]
    assert "After 6 infusions" in six and "1 (100.0%)" in six and "0 (0.0%)" in six
    svg = re.search(r"<svg[^>]*outcomes-chart.*?</svg>", html, re.S)[0]
    assert "Week 0: median PHQ-9 11 of 2 patients" in svg and svg.count('class="week-mark"') == 4
    assert "Maintenance: remission 1 of 1 (100.0%)" in svg
    csv_text = console["physician"].get("/console/analytics/outcomes.csv?from=2026-11-01&to=2026-11-30")
    rows = list(csv.reader(io.StringIO(csv_text.get_data(as_text=True))))
    assert rows[0] == ["stage", "patients", "response", "response_rate", "remission", "remission_rate"]
    assert rows[1] == ["latest", "2", "1", "0.5", "1", "0.5"]
    assert rows[5] == ["maintenance", "1", "1", "1.0", "1", "1.0"]
    assert rows[6] == ["week 0 median PHQ-9", "2", "11.0", "", "", ""]
