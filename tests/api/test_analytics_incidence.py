"""GET /api/v1/analytics/incidence and its CSV: side-effect rates per infusion, worked out by hand.

The clinic is in America/Denver (MDT until 2026-11-01 02:00, then MST = UTC-7). Infusions (end, UTC):

  I1 iv 0.5 mg/kg, 11-02 17:00: reports at +2 h euphoria 1, dizziness 2; at +24 h dizziness 0.
  I2 iv 0.8 mg/kg, 11-05 17:00: +30 min nausea 1; +19 h euphoria 2 (beyond euphoria's 6 h: not counted);
     +10 days low mood 2 (within the 14 days of mood dips: counted).
  I3 intranasal, no mg/kg, 11-10 17:00: one report only at +96 h (low mood 3): never followed up, not counted.
  I4 intranasal 1.2 mg/kg, 12-01 03:00 (20:00 on 30 November in the clinic): +2 h euphoria 3, hallucinations 1.
  I5 iv 0.4 mg/kg, 12-01 08:00 (01:00 on 1 December in the clinic): +2 h euphoria 1.
  I6 iv 0.6 mg/kg, 11-01 05:30 (23:30 on 31 October in the clinic): +30 min euphoria 2. Outside both ranges.
  I7 iv 1.0 mg/kg, 11-20 17:00: a report 10 min before the end (euphoria 2: during the infusion, not counted)
     and one at exactly +72 h with no symptoms: followed up, no symptom.
  The other clinic: one iv infusion on 11-02 with euphoria at +1 h: never counted here.

1 November - 31 December: followed up I1 I2 I4 I5 I7 = 5. Euphoria I1 I4 I5 = 3/5; dizziness I1, nausea I2,
low mood I2, hallucinations I4 = 1/5 each. By route iv 4 (euphoria 2), intranasal 1 (1), intramuscular 0.
By band under_0.5 I5, 0.5_to_0.75 I1 (0.5 itself), 0.75_to_1.0 I2 I7 (1.0 itself), over_1.0 I4, unknown 0.
By clinic month 2026-11: I1 I2 I4 I7 (euphoria 2), 2026-12: I5 (1).
1-30 November: I1 I2 I4 I7 = 4, euphoria 2/4; with route=intranasal only I4: hallucinations 1/1, whose
Wilson interval [0.2065, 1] lies above the 0.20 reference: a signal; euphoria 1/1 ([0.2065, 1]) is not above 0.30.

Wilson 95% (z = 1.959964): 3/5 -> [0.2307, 0.8824]; 1/5 -> [0.0362, 0.6245]; 2/4 -> [0.1500, 0.8500];
2/4 -> 0.15 = (0.5 + 0.96/4 - 1.96 * sqrt(0.0625 + 0.0600)) / 1.9604.
"""

from __future__ import annotations

import csv
import io

import pytest

from service.domain.incidence import dose_band, wilson
from service.vocabulary import CODES
from tests.analytics_data import build_incidence_history

URL = "/api/v1/analytics/incidence"
TWO_MONTHS = "?from=2026-11-01&to=2026-12-31"
NOVEMBER = "?from=2026-11-01&to=2026-11-30"


@pytest.fixture()
def infusions(world):
    return build_incidence_history(world)


def _get(client, world, query, who="admin"):
    answer = client.get(URL + query, headers=getattr(world, who).headers)
    assert answer.status_code == 200, answer.get_json()
    return {item["symptom"]: item for item in answer.get_json()}


def _groups(item, field):
    return {group["key"]: (group["infusions"], group["with_symptom"]) for group in item[field]}


@pytest.mark.parametrize(
    ("successes", "trials", "low", "high"),
    [(0, 10, 0.0, 0.2775), (5, 10, 0.2366, 0.7634), (10, 10, 0.7225, 1.0), (1, 100, 0.0018, 0.0545),
     (2, 4, 0.1500, 0.8500), (1, 1, 0.2065, 1.0)],
)  # fmt: skip
def test_wilson_intervals_match_the_published_values(successes, trials, low, high):
    lower, upper = wilson(successes, trials)
    assert (round(lower, 4), round(upper, 4)) == (low, high)


def test_wilson_with_no_trials_is_none():
    assert wilson(0, 0) is None


@pytest.mark.parametrize(
    ("mg_per_kg", "band"),
    [(None, "unknown"), (0.2, "under_0.5"), (0.4999, "under_0.5"), (0.5, "0.5_to_0.75"), (0.7499, "0.5_to_0.75"),
     (0.75, "0.75_to_1.0"), (1.0, "0.75_to_1.0"), (1.0001, "over_1.0"), (2.5, "over_1.0")],
)  # fmt: skip
def test_dose_bands(mg_per_kg, band):
    assert dose_band(mg_per_kg) == band


def test_figures_match_the_hand_count(client, infusions):
    items = _get(client, infusions, TWO_MONTHS)
    assert list(items) == list(CODES)
    euphoria = items["euphoria"]
    assert {k: v for k, v in euphoria.items() if not k.startswith("by_")} == {
        "symptom": "euphoria",
        "window_hours": 6,
        "infusions": 5,
        "with_symptom": 3,
        "rate": 0.6,
        "ci_low": 0.2307,
        "ci_high": 0.8824,
        "reference_rate": 0.30,
        "reference_source": "Aftercare specification, clinical facts: euphoria ~30% (immediate effects)",
        "signal": False,
    }
    assert _groups(euphoria, "by_route") == {"iv": (4, 2), "intranasal": (1, 1), "intramuscular": (0, 0)}
    assert _groups(euphoria, "by_dose_band") == {
        "under_0.5": (1, 1), "0.5_to_0.75": (1, 1), "0.75_to_1.0": (2, 0), "over_1.0": (1, 1), "unknown": (0, 0)
    }  # fmt: skip
    assert _groups(euphoria, "by_month") == {"2026-11": (4, 2), "2026-12": (1, 1)}
    empty_route = next(g for g in euphoria["by_route"] if g["key"] == "intramuscular")
    assert empty_route == {
        "key": "intramuscular", "infusions": 0, "with_symptom": 0, "rate": None, "ci_low": None, "ci_high": None,
        "signal": False,
    }  # fmt: skip
    for code in ("dizziness", "nausea", "low_mood", "hallucinations"):
        assert (items[code]["with_symptom"], items[code]["rate"]) == (1, 0.2), code
        assert (items[code]["ci_low"], items[code]["ci_high"]) == (0.0362, 0.6245), code
    assert items["low_mood"]["window_hours"] == 336 and items["low_mood"]["reference_rate"] == 0.10
    assert items["dizziness"]["reference_rate"] == 0.10 and items["dizziness"]["signal"] is False
    assert items["vomiting"]["with_symptom"] == 0 and items["vomiting"]["rate"] == 0.0
    assert items["vomiting"]["reference_rate"] is None and items["vomiting"]["reference_source"] is None
    assert items["suicidal_thoughts"]["window_hours"] == 72


def test_clinic_days_decide_which_infusions_count(client, infusions):
    items = _get(client, infusions, NOVEMBER)
    # I4 ended on 1 December in UTC but 30 November in the clinic: counted; I5 and I6 are not.
    assert items["euphoria"]["infusions"] == 4 and items["euphoria"]["with_symptom"] == 2
    assert (items["euphoria"]["ci_low"], items["euphoria"]["ci_high"]) == (0.15, 0.85)
    assert _groups(items["euphoria"], "by_month") == {"2026-11": (4, 2)}


def test_a_rate_above_the_reference_interval_is_a_signal(client, infusions):
    items = _get(client, infusions, NOVEMBER + "&route=intranasal")
    assert items["hallucinations"]["infusions"] == 1 and items["hallucinations"]["rate"] == 1.0
    assert items["hallucinations"]["ci_low"] == 0.2065 and items["hallucinations"]["signal"] is True
    assert items["euphoria"]["ci_low"] == 0.2065 and items["euphoria"]["signal"] is False  # 0.2065 < 0.30
    assert _groups(items["euphoria"], "by_route") == {"iv": (0, 0), "intranasal": (1, 1), "intramuscular": (0, 0)}


def test_dose_band_filter(client, infusions):
    items = _get(client, infusions, TWO_MONTHS + "&dose_band=0.75_to_1.0")
    assert items["euphoria"]["infusions"] == 2 and items["euphoria"]["with_symptom"] == 0
    assert items["nausea"]["with_symptom"] == 1 and items["low_mood"]["with_symptom"] == 1


def test_an_empty_range_answers_every_symptom_with_no_figures(client, infusions):
    items = _get(client, infusions, "?from=2027-01-01&to=2027-01-31")
    assert list(items) == list(CODES)
    for item in items.values():
        assert (item["infusions"], item["with_symptom"], item["rate"], item["ci_low"], item["signal"]) == (
            0, 0, None, None, False
        )  # fmt: skip
        assert item["by_month"] == []


def test_another_clinic_sees_only_its_own_infusions(client, infusions):
    items = _get(client, infusions, TWO_MONTHS, who="other_admin")
    assert items["euphoria"]["infusions"] == 1 and items["euphoria"]["with_symptom"] == 1
    assert items["dizziness"]["with_symptom"] == 0


def test_physicians_read_it_and_nurses_do_not(client, infusions):
    assert _get(client, infusions, TWO_MONTHS, who="physician")["euphoria"]["with_symptom"] == 3
    assert client.get(URL + TWO_MONTHS, headers=infusions.nurse.headers).status_code == 403
    assert client.get(URL + TWO_MONTHS, headers=infusions.patient.headers).status_code == 403


@pytest.mark.parametrize(
    ("query", "field"),
    [("?from=2026-11-01", "to"), ("?from=2026-12-01&to=2026-11-01", "to"), (TWO_MONTHS + "&route=oral", "route"),
     (TWO_MONTHS + "&dose_band=huge", "dose_band"), ("?from=soon&to=2026-11-01", "from")],
)  # fmt: skip
def test_bad_queries_name_the_field(client, infusions, query, field):
    answer = client.get(URL + query, headers=infusions.admin.headers)
    assert answer.status_code == 422
    assert field in answer.get_json()["errors"]["query"]


def test_csv_has_the_same_figures(client, infusions):
    answer = client.get(URL + ".csv" + TWO_MONTHS, headers=infusions.admin.headers)
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert answer.headers["Content-Disposition"] == 'attachment; filename="incidence_2026-11-01_2026-12-31.csv"'
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    overall = {r["symptom"]: r for r in rows if r["breakdown"] == "all"}
    assert overall["euphoria"] == {
        "symptom": "euphoria", "breakdown": "all", "key": "all", "infusions": "5", "with_symptom": "3",
        "rate": "0.6", "ci_low": "0.2307", "ci_high": "0.8824", "reference_rate": "0.3", "signal": "false",
    }  # fmt: skip
    months = [r for r in rows if r["symptom"] == "euphoria" and r["breakdown"] == "month"]
    assert [(r["key"], r["infusions"], r["with_symptom"]) for r in months] == [
        ("2026-11", "4", "2"),
        ("2026-12", "1", "1"),
    ]


def test_a_range_of_centuries_gives_the_same_figures_with_only_the_months_that_have_infusions(client, infusions):
    wide = _get(client, infusions, "?from=1900-01-01&to=2999-12-31")
    assert wide == _get(client, infusions, "?from=2000-01-01&to=2100-12-31")  # both hold every infusion
    assert wide["euphoria"]["infusions"] >= 5 and len(wide["euphoria"]["by_month"]) <= 12
    empty = _get(client, infusions, "?from=2990-01-01&to=2999-12-31")
    assert empty["euphoria"]["infusions"] == 0 and empty["euphoria"]["by_month"] == []
    off = client.get(URL + "?from=2026-01-01&to=9999-12-31", headers=infusions.admin.headers)
    assert off.status_code == 422 and "to" in off.get_json()["errors"]["query"]
