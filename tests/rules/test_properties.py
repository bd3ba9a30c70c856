"""Properties over generated reports: more severe never means less urgent, and every finding is well formed."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from service.rules import (
    InfusionFacts,
    PatientContext,
    PriorReport,
    ReportFacts,
    SymptomObs,
    Thresholds,
    evaluate,
    highest,
    rank,
    thresholds_problems,
)
from service.vocabulary import CODES

AT = datetime(2025, 3, 20, 15, 0, tzinfo=UTC)

severities = st.integers(0, 4)
symptom_maps = st.dictionaries(st.sampled_from(CODES), severities, max_size=6)
few_symptoms = st.dictionaries(st.sampled_from(CODES), severities, max_size=3)
notes = st.sampled_from([None, "fine", "slept badly", "I want to die", "headache is killing me"])


def optional(strategy):
    return st.none() | strategy


@st.composite
def infusions(draw):
    ended = AT - timedelta(minutes=draw(st.integers(-120, 20 * 24 * 60)))
    return InfusionFacts(
        started_at=ended - timedelta(minutes=50),
        ended_at=draw(st.sampled_from([ended, ended, None])),
        route=draw(st.sampled_from(["iv", "intranasal", "intramuscular"])),
        pre_systolic=draw(optional(st.integers(90, 170))),
        pre_diastolic=draw(optional(st.integers(50, 110))),
    )


@st.composite
def contexts(draw):
    priors = draw(st.lists(st.tuples(st.integers(-60, 10 * 24 * 60), symptom_maps), max_size=4))
    return PatientContext(
        time_zone=draw(st.sampled_from(["UTC", "America/Denver", "Europe/Paris", "Asia/Kolkata"])),
        phq9_baseline=draw(optional(st.integers(0, 27))),
        mood_baseline=draw(optional(st.integers(0, 10))),
        infusion=draw(infusions()) if draw(st.integers(0, 4)) else None,
        recent_reports=tuple(
            PriorReport(AT - timedelta(minutes=minutes), tuple(SymptomObs(c, s) for c, s in sm.items()))
            for minutes, sm in priors
        ),
    )


@st.composite
def report_fields(draw):
    return {
        "mood": draw(optional(st.integers(0, 10))),
        "suicidal_thoughts": draw(optional(st.booleans())),
        "phq9": draw(optional(st.tuples(*[st.integers(0, 3)] * 9))),
        "systolic": draw(optional(st.integers(50, 300))),
        "diastolic": draw(optional(st.integers(30, 200))),
        "heart_rate": draw(optional(st.integers(20, 250))),
        "note": draw(notes),
    }


def ordered_pair(low, high):
    return st.lists(st.integers(low, high), min_size=2, max_size=2, unique=True).map(sorted)


@st.composite
def thresholds(draw):
    """Any thresholds an admin could save (thresholds_problems accepts them)."""
    elevated_s, crisis_s = draw(ordered_pair(140, 300))
    elevated_d, crisis_d = draw(ordered_pair(90, 200))
    hr_low, hr_high = draw(ordered_pair(60, 100))
    severe, very_severe = draw(ordered_pair(1, 4))
    settings_ = {
        "crisis_systolic": crisis_s,
        "elevated_systolic": elevated_s,
        "crisis_diastolic": crisis_d,
        "elevated_diastolic": elevated_d,
        "hr_low": hr_low,
        "hr_high": hr_high,
        "severe_severity": severe,
        "very_severe_severity": very_severe,
        "rise_systolic": draw(st.integers(5, 150)),
        "rise_diastolic": draw(st.integers(5, 100)),
        "perceptual_after_hours": draw(st.integers(1, 336)),
        "phq9_rise": draw(st.integers(1, 27)),
        "phq9_severe": draw(st.integers(5, 27)),
        "mood_drop": draw(st.integers(1, 10)),
        "mood_window_days": draw(st.integers(1, 90)),
        "persistent_min_severity": draw(st.integers(1, 4)),
        "persistent_window_factor": draw(st.integers(1, 10)),
        "worsening_rise": draw(st.integers(1, 4)),
        "worsening_window_days": draw(st.integers(1, 30)),
        "craving_min_severity": draw(st.integers(1, 4)),
        "bladder_min_severity": draw(st.integers(1, 4)),
        "unresponsive_missed": draw(st.integers(1, 10)),
    }
    assert thresholds_problems(settings_) == {}
    return Thresholds.from_settings(settings_)


def make_report(symptom_map, fields):
    return ReportFacts(observed_at=AT, symptoms=tuple(SymptomObs(c, s) for c, s in symptom_map.items()), **fields)


def outcome(symptom_map, fields, ctx, t):
    found = evaluate(make_report(symptom_map, fields), ctx, t)
    top = highest(f.priority for f in found)
    return {f.rule for f in found}, (rank(top) if top else 0)


@st.composite
def raises(draw):
    """A report's symptoms and one symptom raised (possibly from absent) to a higher severity."""
    before = draw(few_symptoms)
    present = sorted(before)
    code = draw(st.sampled_from(present) if present and draw(st.integers(0, 3)) else st.sampled_from(CODES))
    old = before.get(code, 0)
    if old == 4:
        before = {**before, code: draw(st.integers(0, 3))}
        old = before[code]
    new = draw(st.integers(old + 1, 4))
    return before, code, new


@settings(max_examples=300, deadline=None)
@given(raises(), report_fields(), contexts())
def test_raising_a_severity_never_lowers_the_priority_nor_drops_a_rule_fired_for_another_reason(raise_, fields, ctx):
    check_monotonic(raise_, fields, ctx, Thresholds())


@settings(max_examples=300, deadline=None)
@given(raises(), report_fields(), contexts(), thresholds())
def test_the_same_holds_for_any_thresholds_an_admin_can_save(raise_, fields, ctx, t):
    check_monotonic(raise_, fields, ctx, t)


def check_monotonic(raise_, fields, ctx, t):
    before, code, new = raise_
    after = {**before, code: new}
    without = {**before, code: 0}  # what fired for reasons other than this symptom
    rules_before, top_before = outcome(before, fields, ctx, t)
    rules_after, top_after = outcome(after, fields, ctx, t)
    rules_without, _ = outcome(without, fields, ctx, t)
    assert top_after >= top_before
    assert rules_before & rules_without <= rules_after
    # The only rule a higher severity can drop is severe-symptom, and only because very-severe-symptom took over.
    dropped = rules_before - rules_after
    assert dropped <= {"severe-symptom"}
    if dropped:
        assert "very-severe-symptom" in rules_after


@settings(max_examples=300, deadline=None)
@given(symptom_maps, report_fields(), contexts(), thresholds())
def test_every_finding_is_well_formed(symptom_map, fields, ctx, t):
    found = evaluate(make_report(symptom_map, fields), ctx, t)
    assert len({f.rule for f in found}) == len(found)
    assert [(-rank(f.priority), f.rule) for f in found] == sorted((-rank(f.priority), f.rule) for f in found)
    for f in found:
        assert json.loads(json.dumps(f.to_dict()))["evidence"] == f.evidence
        assert "\n" not in f.reason and f.reason.endswith(".")
        assert re.search(r"[.!?]\s", f.reason) is None
        assert "slept" not in f.reason and "killing me" not in f.reason


SINGLE_CONTEXTS = [
    PatientContext(),
    *(
        PatientContext(
            infusion=InfusionFacts(AT - timedelta(hours=h + 1), AT - timedelta(hours=h), "iv"),
            recent_reports=(PriorReport(AT - timedelta(hours=1), tuple(SymptomObs(c, 1) for c in CODES)),),
        )
        for h in (1, 13, 30, 50, 100, 150, 400)
    ),
]


def test_raising_one_symptom_alone_exhaustively():
    """Every code, every pair of severities, a spread of times after the infusion: the same property, no sampling."""
    t = Thresholds()
    for ctx in SINGLE_CONTEXTS:
        for code in CODES:
            for old in range(4):
                for new in range(old + 1, 5):
                    check_monotonic(({code: old}, code, new), {}, ctx, t)
