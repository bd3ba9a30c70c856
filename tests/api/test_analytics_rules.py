"""GET /api/v1/analytics/rules and its CSV: figures worked out by hand on a constructed history.

Clinic day 2026-11-01 in America/Denver is 06:00Z 1 Nov .. 07:00Z 2 Nov (daylight time ends that night).

Reports of the clinic: 05:59Z (the day before), 06:00Z, 12:00Z, 20:00Z, 06:30Z next day (23:30 MST, still
1 November), 07:00Z (2 November): four in the day.

severe-symptom v1 (high, target 240 min):
  A opened 12:00, due 16:00, acknowledged 12:30 (30 min), resolved 13:00 contacted_patient (60 min);
  B opened 20:00, due 00:00, acknowledged 01:00 and again 02:00 (the first counts: 300 min, overdue),
    resolved 03:00 no_action_needed (420 min), escalated once;
  C opened 06:30 next day, open; a report joined it at 06:45;
  D opened 31 October (outside), a report joined it at 12:00 on the day (resolved 14:00: not counted).
  → reports 4, opened 3, joined 2, fire rate 75.0, resolved 2, acted on 1 (50.0), acknowledge median 165.0,
    p90 30 + 0.9·270 = 273.0, resolve median 240.0, overdue 0.5, escalations 1.
suicidal-ideation: v1 flag on 20 October (v1 in force since always); v1 E opened 08:00 (due 08:15, ack 08:10,
  resolved 09:00 advised_emergency_care); v2 F opened 15:00 (first v2: v2 in force from then; due 15:15,
  ack 15:40, escalated twice). v1 sees the reports at 06:00 and 12:00, v2 those at 20:00 and 06:30.
The other clinic has reports and flags of the same rules in the same day: none counts.
"""

from __future__ import annotations

import csv
import io

import pytest

from service.rules.engine import REGISTRY
from tests.analytics_data import build_rule_history

DAY = "?from=2026-11-01&to=2026-11-01"
URL = "/api/v1/analytics/rules"


@pytest.fixture()
def history(world):
    return build_rule_history(world)


def _by_rule(items):
    return {(item["rule"], item["version"]): item for item in items}


def test_figures_match_the_hand_count(client, history):
    answer = client.get(URL + DAY, headers=history.admin.headers)
    assert answer.status_code == 200, answer.get_json()
    items = _by_rule(answer.get_json())
    assert items[("severe-symptom", 1)] == {
        "rule": "severe-symptom",
        "version": 1,
        "priority": "high",
        "reports": 4,
        "flags_opened": 3,
        "joined": 2,
        "fire_rate": 75.0,
        "resolved": 2,
        "acted_on": 1,
        "action_rate": 50.0,
        "median_minutes_to_acknowledge": 165.0,
        "p90_minutes_to_acknowledge": 273.0,
        "target_minutes_to_acknowledge": 240,
        "median_minutes_to_resolve": 240.0,
        "overdue_at_acknowledge": 0.5,
        "escalations": 1,
    }


def test_a_version_change_mid_range_splits_the_reports(client, history):
    items = _by_rule(client.get(URL + DAY, headers=history.physician.headers).get_json())
    v1, v2 = items[("suicidal-ideation", 1)], items[("suicidal-ideation", 2)]
    assert (v1["reports"], v1["flags_opened"], v1["fire_rate"]) == (2, 1, 50.0)
    assert (v1["resolved"], v1["acted_on"], v1["action_rate"]) == (1, 1, 100.0)
    assert (v1["median_minutes_to_acknowledge"], v1["median_minutes_to_resolve"]) == (10.0, 60.0)
    assert (v1["overdue_at_acknowledge"], v1["escalations"], v1["target_minutes_to_acknowledge"]) == (0.0, 0, 15)
    assert (v2["reports"], v2["flags_opened"], v2["fire_rate"]) == (2, 1, 50.0)
    assert (v2["resolved"], v2["acted_on"], v2["action_rate"]) == (0, 0, None)
    assert (v2["median_minutes_to_acknowledge"], v2["p90_minutes_to_acknowledge"]) == (40.0, 40.0)
    assert (v2["median_minutes_to_resolve"], v2["overdue_at_acknowledge"], v2["escalations"]) == (None, 1.0, 2)


def test_every_rule_has_a_row_and_quiet_rules_cost_nothing(client, history):
    items = _by_rule(client.get(URL + DAY, headers=history.admin.headers).get_json())
    assert {(rule.id, rule.version) for rule in REGISTRY.values()} <= set(items)
    quiet = items[("worsening", 1)]
    assert (quiet["reports"], quiet["flags_opened"], quiet["fire_rate"], quiet["action_rate"]) == (4, 0, 0.0, None)
    assert quiet["median_minutes_to_acknowledge"] is None


def test_the_other_clinic_sees_only_its_own(client, history):
    items = _by_rule(client.get(URL + DAY, headers=history.other_admin.headers).get_json())
    severe = items[("severe-symptom", 1)]
    assert (severe["reports"], severe["flags_opened"], severe["joined"], severe["acted_on"]) == (3, 1, 1, 1)
    assert (severe["median_minutes_to_acknowledge"], severe["overdue_at_acknowledge"], severe["escalations"]) == (
        420.0,
        1.0,
        1,
    )
    si = items[("suicidal-ideation", 2)]
    assert (si["reports"], si["flags_opened"]) == (3, 1)  # v2 is the only version this clinic has seen


def test_an_empty_range(client, history):
    items = client.get(URL + "?from=2026-09-01&to=2026-09-30", headers=history.admin.headers).get_json()
    assert items and all(item["reports"] == 0 and item["flags_opened"] == 0 for item in items)
    assert all(item["fire_rate"] is None and item["action_rate"] is None for item in items)


def test_the_csv_carries_the_same_numbers(client, history):
    answer = client.get(URL + ".csv" + DAY, headers=history.admin.headers)
    assert answer.status_code == 200
    assert answer.mimetype == "text/csv"
    assert 'filename="rule-burden_2026-11-01_2026-11-01.csv"' in answer.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    severe = next(row for row in rows if row["rule"] == "severe-symptom" and row["version"] == "1")
    assert (
        severe["reports"] == "4" and severe["fire_rate"] == "75.0" and severe["p90_minutes_to_acknowledge"] == "273.0"
    )
    assert severe["action_rate"] == "50.0" and severe["overdue_at_acknowledge"] == "0.5"
    v2 = next(row for row in rows if row["rule"] == "suicidal-ideation" and row["version"] == "2")
    assert v2["action_rate"] == "" and v2["escalations"] == "2"


@pytest.mark.parametrize("url", [URL, URL + ".csv"])
@pytest.mark.parametrize("caller", ["nurse", "patient"])
def test_nurses_and_patients_are_refused(client, world, url, caller):
    assert client.get(url + DAY, headers=getattr(world, caller).headers).status_code == 403


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?from=2026-13-01&to=2026-11-30", "from"),
        ("?from=2026-11-01&to=30/11/2026", "to"),
        ("?to=2026-11-30", "from"),
        ("?from=2026-11-01", "to"),
        ("?from=2026-11-30&to=2026-11-01", "to"),
    ],
)
@pytest.mark.parametrize("url", [URL, URL + ".csv"])
def test_bad_dates_are_a_422_naming_the_field(client, world, url, query, field):
    answer = client.get(url + query, headers=world.admin.headers)
    assert answer.status_code == 422, answer.get_data(as_text=True)
    assert field in answer.get_json()["errors"]["query"]


def test_documented_in_openapi(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "/api/v1/analytics/rules" in paths and "/api/v1/analytics/rules.csv" in paths
    props = paths["/api/v1/analytics/rules"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert props["type"] == "array"
