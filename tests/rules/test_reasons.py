"""Reasons a nurse reads in five seconds: one sentence, the values, local time; JSON evidence; no patient free text."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from service.rules import InfusionFacts, PatientContext, PriorReport, ReportFacts, SymptomObs, evaluate
from tests.rules.test_rules import everything

DENVER = "America/Denver"


def all_findings():
    rep, ctx = everything()
    return evaluate(rep, ctx)


@pytest.mark.parametrize("finding", all_findings(), ids=lambda f: f.rule)
def test_a_reason_is_one_sentence(finding):
    reason = finding.reason
    assert "\n" not in reason and "\r" not in reason
    assert reason.endswith(".") and not reason.endswith("..")
    assert reason[0].isupper()
    assert re.search(r"[.!?]\s", reason) is None  # no second sentence
    assert len(reason) < 300


@pytest.mark.parametrize("finding", all_findings(), ids=lambda f: f.rule)
def test_evidence_is_json(finding):
    assert json.loads(json.dumps(finding.evidence)) == finding.evidence
    assert json.loads(json.dumps(finding.to_dict()))["priority"] == str(finding.priority)


@pytest.mark.parametrize("finding", all_findings(), ids=lambda f: f.rule)
def test_every_reason_says_when_and_how_long_after_which_infusion(finding):
    assert "at 20:00, 30 h after IV infusion" in finding.reason
    assert finding.evidence["local_time"] == "20:00"
    assert finding.evidence["hours_since_infusion"] == 30.0
    assert finding.evidence["infusion_route"] == "iv"
    assert finding.evidence["observed_at"] == "2025-06-03T20:00:00+00:00"


def test_reasons_carry_the_values_that_fired_them():
    reasons = {f.rule: f.reason for f in all_findings()}
    assert "190/95" in reasons["hypertensive-crisis"] and "180/120" in reasons["hypertensive-crisis"]
    assert "130" in reasons["abnormal-heart-rate"] and "120" in reasons["abnormal-heart-rate"]
    assert "+70/+15" in reasons["blood-pressure-rise"] and "120/80" in reasons["blood-pressure-rise"]
    assert "4/4" in reasons["very-severe-symptom"] and "headache" in reasons["very-severe-symptom"]
    assert "PHQ-9 total 21" in reasons["mood-dip"] and "mood 1/10" in reasons["mood-dip"]
    assert "'want to die'" in reasons["suicidal-ideation"]
    assert "up from 1/4" in reasons["worsening"] and "+2" in reasons["worsening"]


def test_no_patient_free_text_but_the_crisis_phrase_leaves_the_engine():
    at = datetime(2025, 6, 2, 18, 0, tzinfo=UTC)
    rep = ReportFacts(
        observed_at=at,
        symptoms=(SymptomObs("other", 3, "my landlord Bob Smith"), SymptomObs("headache", 4, "since 4pm")),
        note="Walked the dog Rex; honestly I want to end it all",
        heart_rate=130,
    )
    out = json.dumps([f.to_dict() for f in evaluate(rep, PatientContext())])
    for private in ("landlord", "Bob", "Smith", "4pm", "dog", "Rex", "honestly", "Walked"):
        assert private not in out
    assert "end it all" in out


def test_other_symptom_reads_naturally():
    rep = ReportFacts(observed_at=datetime(2025, 6, 2, 18, 0, tzinfo=UTC), symptoms=(SymptomObs("other", 3, "x"),))
    assert evaluate(rep, PatientContext())[0].reason == "Severe other symptom (3/4) at 18:00."


# --- time zones and daylight saving time --------------------------------------------------------


def severe_at(observed_at, *, tz=DENVER, ended_at=None):
    infusion = InfusionFacts(ended_at - timedelta(hours=1), ended_at, "iv") if ended_at else None
    rep = ReportFacts(observed_at=observed_at, symptoms=(SymptomObs("nausea", 3),))
    return evaluate(rep, PatientContext(time_zone=tz, infusion=infusion))[0]


@pytest.mark.parametrize(
    ("observed_utc", "local"),
    [
        (datetime(2025, 3, 9, 8, 50, tzinfo=UTC), "01:50"),  # MST, UTC-7, ten minutes before the clocks jump
        (datetime(2025, 3, 9, 9, 10, tzinfo=UTC), "03:10"),  # MDT, UTC-6: 02:xx never happens that night
        (datetime(2025, 3, 9, 21, 10, tzinfo=UTC), "15:10"),
        (datetime(2025, 11, 2, 7, 30, tzinfo=UTC), "01:30"),  # MDT, the first 01:30 of the night
        (datetime(2025, 11, 2, 8, 30, tzinfo=UTC), "01:30"),  # MST, the second 01:30
        (datetime(2025, 11, 2, 9, 30, tzinfo=UTC), "02:30"),
    ],
)
def test_local_time_in_denver_across_dst_changes(observed_utc, local):
    finding = severe_at(observed_utc)
    assert f"at {local}" in finding.reason
    assert finding.evidence["local_time"] == local
    assert finding.evidence["time_zone"] == DENVER
    assert finding.evidence["observed_at"] == observed_utc.isoformat()


def test_hours_since_infusion_are_real_hours_across_spring_forward():
    # The infusion ended 23:10 MST on 8 March; the report came at 03:10 MDT: four hours on the wall clock, three real.
    finding = severe_at(datetime(2025, 3, 9, 9, 10, tzinfo=UTC), ended_at=datetime(2025, 3, 9, 6, 10, tzinfo=UTC))
    assert finding.reason == "Severe nausea (3/4) at 03:10, 3 h after IV infusion."
    assert finding.evidence["hours_since_infusion"] == 3.0


def test_an_observed_at_with_any_offset_is_shown_in_the_patient_zone():
    observed = datetime.fromisoformat("2025-03-09T11:10:00+02:00")  # 09:10 UTC
    assert "at 03:10" in severe_at(observed).reason


def test_worsening_shows_the_earlier_report_in_local_time_across_fall_back():
    at = datetime(2025, 11, 2, 15, 0, tzinfo=UTC)  # 08:00 MST
    before = PriorReport(datetime(2025, 11, 2, 7, 45, tzinfo=UTC), (SymptomObs("headache", 1),))  # 01:45 MDT
    rep = ReportFacts(observed_at=at, symptoms=(SymptomObs("headache", 3),))
    finding = next(
        f for f in evaluate(rep, PatientContext(time_zone=DENVER, recent_reports=(before,))) if f.rule == "worsening"
    )
    assert finding.reason == "Headache up from 1/4 (01:45) to 3/4 at 08:00 — threshold +2."


@pytest.mark.parametrize("tz", ["Not/AZone", "", "../../etc/passwd"])
def test_an_unknown_time_zone_falls_back_to_utc_instead_of_failing(tz):
    finding = severe_at(datetime(2025, 3, 9, 9, 10, tzinfo=UTC), tz=tz)
    assert "at 09:10" in finding.reason
    assert finding.evidence["time_zone"] == "UTC"


@pytest.mark.parametrize("tz", ["Asia/Kolkata", "Australia/Lord_Howe", "Pacific/Chatham"])
def test_odd_offsets(tz):
    from zoneinfo import ZoneInfo

    observed = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)
    assert f"at {observed.astimezone(ZoneInfo(tz)):%H:%M}" in severe_at(observed, tz=tz).reason
