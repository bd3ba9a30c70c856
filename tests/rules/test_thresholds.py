"""Thresholds: SPEC defaults, clinic settings, checking an admin's edit, a changed threshold changing the outcome."""

from __future__ import annotations

import pytest

from service.rules import THRESHOLD_KEYS, Priority, SymptomObs, Thresholds, thresholds_problems
from tests.rules.builders import context, find, fired, infusion, prior, report, symptoms


def test_defaults_are_the_spec_table():
    t = Thresholds()
    assert (t.crisis_systolic, t.crisis_diastolic, t.elevated_systolic, t.elevated_diastolic) == (180, 120, 160, 100)
    assert (t.rise_systolic, t.rise_diastolic, t.hr_high, t.hr_low) == (40, 25, 120, 45)
    assert (t.perceptual_after_hours, t.phq9_rise, t.phq9_severe, t.mood_drop, t.mood_window_days) == (24, 5, 20, 3, 14)
    assert (t.persistent_min_severity, t.persistent_window_factor) == (2, 2)
    assert (t.worsening_rise, t.worsening_window_days) == (2, 7)
    assert (t.craving_min_severity, t.bladder_min_severity, t.severe_severity, t.very_severe_severity) == (2, 2, 3, 4)
    assert t.unresponsive_missed == 2


def test_from_settings_takes_defaults_for_missing_keys_and_ignores_unknown_ones():
    assert Thresholds.from_settings(None) == Thresholds()
    assert Thresholds.from_settings({}) == Thresholds()
    t = Thresholds.from_settings({"hr_high": 130, "quiet_hours_start": "21:00", "checkin_offsets": [2, 24]})
    assert t == Thresholds(hr_high=130)


def test_from_settings_keeps_the_default_for_a_value_that_is_not_a_whole_number():
    assert Thresholds.from_settings(
        {"hr_high": "130", "hr_low": 40.5, "mood_drop": True, "phq9_rise": 4}
    ) == Thresholds(phq9_rise=4)


def test_to_settings_round_trips():
    t = Thresholds(crisis_systolic=175, mood_drop=2)
    settings = t.to_settings()
    assert set(settings) == set(THRESHOLD_KEYS)
    assert settings["crisis_systolic"] == 175
    assert Thresholds.from_settings(settings) == t


def test_thresholds_are_frozen():
    with pytest.raises(AttributeError):
        Thresholds().hr_high = 1  # type: ignore[misc]


# --- a changed threshold changes the outcome ----------------------------------------------------


@pytest.mark.parametrize(
    ("rep", "ctx", "thresholds", "rule"),
    [
        (report(3, systolic=175), None, Thresholds(crisis_systolic=170), "hypertensive-crisis"),
        (report(3, diastolic=112), None, Thresholds(crisis_diastolic=110), "hypertensive-crisis"),
        (report(3, systolic=150), None, Thresholds(elevated_systolic=150), "elevated-blood-pressure"),
        (report(3, diastolic=95), None, Thresholds(elevated_diastolic=95), "elevated-blood-pressure"),
        (report(3, heart_rate=110), None, Thresholds(hr_high=110), "abnormal-heart-rate"),
        (report(3, heart_rate=52), None, Thresholds(hr_low=55), "abnormal-heart-rate"),
        (
            report(3, systolic=150),
            context(infusion_facts=infusion(pre_systolic=120)),
            Thresholds(rise_systolic=30),
            "blood-pressure-rise",
        ),
        (
            report(3, diastolic=100),
            context(infusion_facts=infusion(pre_diastolic=80)),
            Thresholds(rise_diastolic=20),
            "blood-pressure-rise",
        ),
        (
            report(13, symptoms=symptoms(dissociation=1)),
            None,
            Thresholds(perceptual_after_hours=12),
            "persistent-perceptual",
        ),
        (report(3, phq9=(2, 2, 2, 2, 2, 2, 2, 2, 0)), None, Thresholds(phq9_severe=16), "mood-dip"),
        (report(3, phq9=(1, 1, 1, 1, 1, 1, 1, 1, 0)), context(phq9_baseline=5), Thresholds(phq9_rise=3), "mood-dip"),
        (report(3, mood=6), context(mood_baseline=8), Thresholds(mood_drop=2), "mood-dip"),
        (report(20 * 24, mood=3), context(mood_baseline=7), Thresholds(mood_window_days=21), "mood-dip"),
        (
            report(30, symptoms=symptoms(nausea=1)),
            None,
            Thresholds(persistent_min_severity=1, persistent_window_factor=1),
            "persistent-symptom",
        ),
        (report(30, symptoms=symptoms(nausea=2)), None, Thresholds(persistent_window_factor=1), "persistent-symptom"),
        (
            report(30, symptoms=symptoms(headache=2)),
            context(recent_reports=(prior(2, headache=1),)),
            Thresholds(worsening_rise=1),
            "worsening",
        ),
        (
            report(300, symptoms=symptoms(headache=3)),
            context(recent_reports=(prior(2, headache=1),)),
            Thresholds(worsening_window_days=14),
            "worsening",
        ),
        (report(3, symptoms=symptoms(craving=1)), None, Thresholds(craving_min_severity=1), "misuse-signal"),
        (report(3, symptoms=symptoms(bladder_pain=1)), None, Thresholds(bladder_min_severity=1), "urinary-toxicity"),
        (report(3, symptoms=symptoms(nausea=2)), None, Thresholds(severe_severity=2), "severe-symptom"),
        (
            report(3, symptoms=symptoms(nausea=3)),
            None,
            Thresholds(very_severe_severity=3, severe_severity=2),
            "very-severe-symptom",
        ),
    ],
)
def test_a_lower_threshold_makes_a_rule_fire(rep, ctx, thresholds, rule):
    assert rule not in fired(rep, ctx)
    assert rule in fired(rep, ctx, thresholds)


@pytest.mark.parametrize(
    ("rep", "thresholds", "rule"),
    [
        (report(3, systolic=185), Thresholds(crisis_systolic=190), "hypertensive-crisis"),
        (report(3, heart_rate=125), Thresholds(hr_high=130), "abnormal-heart-rate"),
        (report(3, heart_rate=44), Thresholds(hr_low=40), "abnormal-heart-rate"),
        (report(50, symptoms=symptoms(nausea=2)), Thresholds(persistent_window_factor=3), "persistent-symptom"),
        (
            report(30, symptoms=symptoms(hallucinations=1)),
            Thresholds(perceptual_after_hours=48),
            "persistent-perceptual",
        ),
        (report(3, symptoms=symptoms(craving=2)), Thresholds(craving_min_severity=3), "misuse-signal"),
        (report(3, symptoms=symptoms(bladder_pain=3)), Thresholds(bladder_min_severity=4), "urinary-toxicity"),
    ],
)
def test_a_higher_threshold_stops_a_rule_firing(rep, thresholds, rule):
    assert rule in fired(rep)
    assert rule not in fired(rep, None, thresholds)


def test_a_raised_crisis_threshold_lets_elevated_blood_pressure_fire_instead():
    rep = report(3, systolic=185)
    assert fired(rep, context(infusion_facts=None), Thresholds(crisis_systolic=190)) == {"elevated-blood-pressure"}


def test_a_reason_quotes_the_clinic_threshold():
    f = find("hypertensive-crisis", report(3, systolic=175, diastolic=90), None, Thresholds(crisis_systolic=170))
    assert f.reason.endswith("— threshold 170/120.")
    f = find("severe-symptom", report(3, symptoms=symptoms(nausea=2)), None, Thresholds(severe_severity=2))
    assert f.reason == "Moderate nausea (2/4) at 17:00, 3 h after IV infusion — threshold 2/4."
    assert f.evidence["threshold"] == 2


def test_suicidal_ideation_has_no_threshold_to_loosen():
    loose = Thresholds(**{key: 4 for key in ("severe_severity", "persistent_min_severity")})
    rep = report(3, symptoms=(SymptomObs("suicidal_thoughts", 1),))
    assert find("suicidal-ideation", rep, None, loose).priority is Priority.CRITICAL


# --- thresholds_problems ------------------------------------------------------------------------


def test_the_defaults_have_no_problems():
    assert thresholds_problems(Thresholds().to_settings()) == {}
    assert thresholds_problems({}) == {}


@pytest.mark.parametrize("value", ["180", 180.0, 18.5, True, None, [180], {"v": 180}])
def test_a_value_that_is_not_a_whole_number(value):
    assert thresholds_problems({"crisis_systolic": value}) == {"crisis_systolic": "must be a whole number"}


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("crisis_systolic", 301, "never fire"),
        ("crisis_systolic", 130, "ordinary readings"),
        ("crisis_diastolic", 201, "never fire"),
        ("elevated_systolic", 301, "never fire"),
        ("elevated_diastolic", 60, "normal readings"),
        ("rise_systolic", 0, "almost any reading"),
        ("rise_diastolic", -5, "almost any reading"),
        ("hr_high", 251, "never fire"),
        ("hr_high", 50, "normal heart rate"),
        ("hr_low", 20, "never fire"),
        ("hr_low", 110, "normal heart rate"),
        ("perceptual_after_hours", 0, "every perceptual effect"),
        ("phq9_rise", 0, "baseline"),
        ("phq9_severe", 28, "never fire"),
        ("phq9_severe", 0, "almost every patient"),
        ("mood_drop", 0, "baseline"),
        ("mood_drop", 11, "never fire"),
        ("mood_window_days", 0, "less than a day"),
        ("persistent_window_factor", 0, "inside their expected window"),
        ("worsening_rise", 0, "nothing got worse"),
        ("worsening_rise", 5, "never fire"),
        ("worsening_window_days", 31, "30 days"),
        ("unresponsive_missed", 0, "without a missed check-in"),
    ],
)
def test_a_value_out_of_its_sane_range(key, value, words):
    problems = thresholds_problems({key: value})
    assert list(problems) == [key]
    assert words in problems[key]
    assert str(value) in problems[key]


@pytest.mark.parametrize(
    "key",
    [
        "persistent_min_severity",
        "craving_min_severity",
        "bladder_min_severity",
        "severe_severity",
        "very_severe_severity",
    ],
)
@pytest.mark.parametrize("value", [0, 5, -1])
def test_severity_thresholds_must_be_1_to_4(key, value):
    problems = thresholds_problems({key: value})
    assert list(problems) == [key]
    assert problems[key].startswith("must be between 1 and 4")


@pytest.mark.parametrize(
    ("settings", "keys", "words"),
    [
        ({"hr_high": 90, "hr_low": 95}, {"hr_high", "hr_low"}, "every heart rate would be abnormal"),
        ({"hr_high": 90, "hr_low": 90}, {"hr_high", "hr_low"}, "every heart rate would be abnormal"),
        ({"hr_low": 100, "hr_high": 90}, {"hr_high", "hr_low"}, "every heart rate would be abnormal"),
        ({"elevated_systolic": 185}, {"elevated_systolic"}, "elevated-blood-pressure would never fire"),
        ({"elevated_systolic": 180}, {"elevated_systolic"}, "elevated-blood-pressure would never fire"),
        ({"crisis_systolic": 150}, {"crisis_systolic"}, "elevated-blood-pressure would never fire"),
        ({"elevated_diastolic": 125}, {"elevated_diastolic"}, "on diastolic"),
        ({"severe_severity": 4}, {"severe_severity"}, "severe-symptom would never fire"),
        ({"severe_severity": 3, "very_severe_severity": 3}, {"severe_severity", "very_severe_severity"}, "never fire"),
    ],
)
def test_a_threshold_that_makes_another_pointless(settings, keys, words):
    problems = thresholds_problems(settings)
    assert set(problems) == keys
    assert all(words in message for message in problems.values())


def test_a_consistent_edit_of_related_thresholds_is_fine():
    assert thresholds_problems({"elevated_systolic": 170, "crisis_systolic": 190, "hr_low": 50, "hr_high": 110}) == {}


def test_a_partial_edit_is_checked_against_the_clinic_current_thresholds():
    current = Thresholds(crisis_systolic=200, hr_high=100)
    assert thresholds_problems({"elevated_systolic": 185}, current=current) == {}
    assert set(thresholds_problems({"hr_low": 100}, current=current)) == {"hr_low"}
    assert set(thresholds_problems({"crisis_systolic": 170}, current=Thresholds(elevated_systolic=175))) == {
        "crisis_systolic"
    }


def test_several_problems_are_reported_together():
    problems = thresholds_problems({"crisis_systolic": "high", "mood_drop": 0, "phq9_severe": 28, "hr_low": 45})
    assert set(problems) == {"crisis_systolic", "mood_drop", "phq9_severe"}


def test_unknown_keys_are_ignored_unless_asked():
    assert thresholds_problems({"crisis_systolik": 170}) == {}
    assert thresholds_problems({"crisis_systolik": 170}, allow_unknown=False) == {
        "crisis_systolik": "is not a known threshold"
    }


def test_not_a_dict():
    assert thresholds_problems(["crisis_systolic"]) != {}  # type: ignore[arg-type]


def test_every_edit_without_problems_makes_usable_thresholds():
    settings = {"crisis_systolic": 300, "hr_low": 21, "phq9_severe": 27, "mood_drop": 10, "severe_severity": 1}
    assert thresholds_problems(settings) == {}
    assert Thresholds.from_settings(settings).crisis_systolic == 300


def test_a_shorter_mood_window_stops_the_baseline_mood_dip_but_not_the_severe_one():
    ctx = context(phq9_baseline=8)
    rise = report(10 * 24, phq9=(2, 2, 2, 2, 2, 2, 1, 0, 0))  # 13: baseline 8 + 5
    severe = report(10 * 24, phq9=(3, 3, 3, 3, 3, 3, 3, 0, 0))  # 21
    assert "mood-dip" in fired(rise, ctx) and "mood-dip" not in fired(rise, ctx, Thresholds(mood_window_days=7))
    assert "mood-dip" in fired(severe, ctx, Thresholds(mood_window_days=7))
