"""Each rule of the SPEC table at, just below and just above its thresholds (defaults)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from service.rules import RULES, Priority, SymptomObs, rank
from service.rules.engine import REGISTRY
from tests.rules.builders import END, context, find, findings, fired, infusion, prior, report, symptoms

SPEC_RULES = {
    "suicidal-ideation": Priority.CRITICAL,
    "crisis-language": Priority.HIGH,
    "very-severe-symptom": Priority.CRITICAL,
    "hypertensive-crisis": Priority.CRITICAL,
    "severe-symptom": Priority.HIGH,
    "elevated-blood-pressure": Priority.HIGH,
    "blood-pressure-rise": Priority.HIGH,
    "abnormal-heart-rate": Priority.HIGH,
    "persistent-perceptual": Priority.HIGH,
    "mood-dip": Priority.HIGH,
    "persistent-symptom": Priority.MEDIUM,
    "worsening": Priority.MEDIUM,
    "misuse-signal": Priority.MEDIUM,
    "urinary-toxicity": Priority.MEDIUM,
    "unresponsive": Priority.MEDIUM,
}


def test_the_registry_names_every_rule_of_the_spec_with_an_int_version():
    assert set(RULES) == set(SPEC_RULES)
    assert all(isinstance(v, int) and v >= 1 for v in RULES.values())
    assert {rule: REGISTRY[rule].priority for rule in RULES} == SPEC_RULES


def test_a_quiet_report_fires_nothing():
    assert findings(report(3, symptoms=symptoms(nausea=1, headache=2), mood=6, systolic=125, heart_rate=80)) == []


def test_a_report_with_nothing_in_it_fires_nothing():
    assert findings(report(3), context(infusion_facts=None)) == []


# --- suicidal-ideation --------------------------------------------------------------------------


def phq9(item9: int, others: int = 0) -> tuple[int, ...]:
    return (others,) * 8 + (item9,)


@pytest.mark.parametrize(
    ("fields", "fires"),
    [
        ({"suicidal_thoughts": True}, True),
        ({"suicidal_thoughts": False}, False),
        ({"suicidal_thoughts": None}, False),
        ({"symptoms": symptoms(suicidal_thoughts=0)}, False),
        ({"symptoms": symptoms(suicidal_thoughts=1)}, True),
        ({"symptoms": symptoms(suicidal_thoughts=2)}, True),
        ({"phq9": phq9(0, others=3)}, False),
        ({"phq9": phq9(1)}, True),
        ({"phq9": phq9(3)}, True),
        ({"phq9": (0, 0, 0, 0, 0, 0, 0, 3, 0)}, False),  # item 8 is not item 9
        ({"note": "I want to end my life"}, True),
        ({"note": "Slept badly, headache is killing me"}, False),
        ({"symptoms": (SymptomObs("other", 0, "thinking about suicide"),)}, True),
        ({"symptoms": (SymptomObs("other", 2, "stiff neck"),)}, False),
    ],
)
def test_suicidal_ideation(fields, fires):
    assert ("suicidal-ideation" in fired(report(3, **fields))) is fires


def test_suicidal_ideation_is_critical_and_names_every_trigger():
    rep = report(
        3,
        suicidal_thoughts=True,
        symptoms=(SymptomObs("suicidal_thoughts", 2, "I keep wanting to END MY LIFE"),),
        phq9=phq9(2),
        note="rough day",
    )
    f = find("suicidal-ideation", rep)
    assert f.priority is Priority.CRITICAL
    assert f.reason == (
        "Reported suicidal thoughts at 17:00, 3 h after IV infusion (answered yes to the suicidal-thoughts question; "
        "rated them moderate, 2/4; PHQ-9 item 9 scored 2/3; crisis words in note: 'end my life')."
    )
    assert f.evidence["crisis_phrases"] == ["end my life"]
    assert f.evidence["phq9_item9"] == 2


def test_suicidal_ideation_wording_matches_the_brief_example():
    f = find("suicidal-ideation", report(8 + 40 / 60, note="I just want to end my life."), context(infusion_facts=None))
    assert f.reason == "Reported suicidal thoughts at 22:40 (crisis words in note: 'end my life')."


# --- crisis-language ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"note": "I'm not suicidal, just tired"}, {"crisis-language"}),
        ({"note": "i dont want to be here anymore"}, {"crisis-language"}),
        ({"note": "I want to kms"}, {"suicidal-ideation"}),
        ({"note": "walked 5 kms"}, set()),
        ({"note": "this headache is killing me"}, set()),
        ({"note": "I'm not suicidal but I want to die"}, {"suicidal-ideation"}),  # an un-negated strong phrase wins
        ({"note": "I'm not sure I don't want to kill myself"}, {"suicidal-ideation"}),
        ({"note": "can't go on", "suicidal_thoughts": True}, {"suicidal-ideation"}),  # only the critical one
        ({"note": "not suicidal", "phq9": phq9(1)}, {"suicidal-ideation"}),
        ({"symptoms": (SymptomObs("other", 1, "I feel like a burden to everyone"),)}, {"crisis-language"}),
        ({"note": "fine", "symptoms": (SymptomObs("low_mood", 1, "no quiero morir"),)}, {"crisis-language"}),
    ],
)
def test_crisis_language(fields, expected):
    assert fired(report(3, **fields)) & {"suicidal-ideation", "crisis-language"} == expected


def test_crisis_language_is_high_and_says_which_words_fired():
    f = find("crisis-language", report(3, note="I'm not suicidal. I just can't go on and I'm a burden"))
    assert f.priority is Priority.HIGH and f.version == 2
    assert f.reason == (
        "Note mentions suicide, negated: 'not suicidal'; reads like crisis language: 'cant go on', 'im a burden'"
        " (at 17:00, 3 h after IV infusion)."
    )
    assert f.evidence["negated_phrases"] == ["not suicidal"]
    assert f.evidence["concern_phrases"] == ["cant go on", "im a burden"]


def test_crisis_language_wording_with_concern_only():
    f = find("crisis-language", report(8 + 40 / 60, note="Tired of living."), context(infusion_facts=None))
    assert f.reason == "Note reads like crisis language: 'tired of living' (at 22:40)."
    assert "negated_phrases" not in f.evidence


def test_suicidal_ideation_reads_strong_phrases_of_every_note_once():
    rep = report(3, note="I want to die", symptoms=(SymptomObs("other", 1, "want to die. took all my pills"),))
    f = find("suicidal-ideation", rep)
    assert f.version == 2
    assert f.evidence["crisis_phrases"] == ["want to die", "took all my pills"]


# --- very-severe-symptom and severe-symptom -----------------------------------------------------


@pytest.mark.parametrize(
    ("severity", "expected"),
    [
        (1, set()),
        (2, set()),
        (3, {"severe-symptom"}),
        (4, {"very-severe-symptom"}),
    ],
)
def test_severity_rules(severity, expected):
    rules = fired(report(3, symptoms=symptoms(headache=severity)))
    assert rules & {"severe-symptom", "very-severe-symptom"} == expected


def test_one_very_severe_and_another_severe_symptom_fire_both_rules():
    rep = report(3, symptoms=symptoms(headache=4, nausea=3, dizziness=3))
    assert find("very-severe-symptom", rep).evidence["symptoms"] == [{"code": "headache", "severity": 4}]
    severe = find("severe-symptom", rep)
    assert severe.evidence["symptoms"] == [{"code": "nausea", "severity": 3}, {"code": "dizziness", "severity": 3}]
    assert severe.reason == "Severe nausea (3/4) and severe dizziness (3/4) at 17:00, 3 h after IV infusion."


def test_severe_symptom_wording_matches_the_brief_example():
    f = find("severe-symptom", report(19 + 5 / 60, symptoms=symptoms(nausea=3)))
    assert f.reason == "Severe nausea (3/4) at 09:05, 19 h after IV infusion."


def test_a_code_repeated_in_one_report_counts_once_at_its_highest_severity():
    rep = report(3, symptoms=(SymptomObs("nausea", 1), SymptomObs("nausea", 4)))
    assert fired(rep) >= {"very-severe-symptom"}
    assert "severe-symptom" not in fired(rep)


# --- blood pressure -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("systolic", "diastolic", "expected"),
    [
        (179, 80, "elevated-blood-pressure"),
        (180, 80, "hypertensive-crisis"),
        (181, 80, "hypertensive-crisis"),
        (150, 119, "elevated-blood-pressure"),
        (150, 120, "hypertensive-crisis"),
        (150, 121, "hypertensive-crisis"),
        (159, 80, None),
        (160, 80, "elevated-blood-pressure"),
        (161, 80, "elevated-blood-pressure"),
        (130, 99, None),
        (130, 100, "elevated-blood-pressure"),
        (130, 101, "elevated-blood-pressure"),
        (185, None, "hypertensive-crisis"),
        (None, 125, "hypertensive-crisis"),
        (165, None, "elevated-blood-pressure"),
        (None, 99, None),
        (None, None, None),
    ],
)
def test_blood_pressure_levels_only_the_higher_fires(systolic, diastolic, expected):
    rules = fired(report(3, systolic=systolic, diastolic=diastolic), context(infusion_facts=None))
    assert rules == ({expected} if expected else set())


def test_hypertensive_crisis_wording_matches_the_brief_example():
    f = find("hypertensive-crisis", report(3 + 10 / 60, systolic=186, diastolic=95))
    assert f.priority is Priority.CRITICAL
    assert f.reason == "BP 186/95 at 17:10, 3 h after IV infusion — threshold 180/120."
    assert f.evidence["systolic"] == 186
    assert f.evidence["threshold_systolic"] == 180


def rise_context(pre_systolic=120, pre_diastolic=80):
    return context(infusion_facts=infusion(pre_systolic=pre_systolic, pre_diastolic=pre_diastolic))


@pytest.mark.parametrize(
    ("systolic", "diastolic", "fires"),
    [
        (159, 80, False),
        (160, 80, True),
        (161, 80, True),
        (130, 104, False),
        (130, 105, True),
        (130, 106, True),
        (110, 70, False),
        (159, None, False),
        (160, None, True),
        (None, 105, True),
    ],
)
def test_blood_pressure_rise_over_the_pre_infusion_reading(systolic, diastolic, fires):
    assert ("blood-pressure-rise" in fired(report(3, systolic=systolic, diastolic=diastolic), rise_context())) is fires


@pytest.mark.parametrize(
    "ctx",
    [
        context(infusion_facts=None),
        rise_context(None, None),
        rise_context(None, 80),  # a systolic jump without a pre-infusion systolic
    ],
)
def test_blood_pressure_rise_needs_both_readings(ctx):
    assert "blood-pressure-rise" not in fired(report(3, systolic=170, diastolic=90), ctx)


def test_blood_pressure_rise_reason():
    f = find("blood-pressure-rise", report(3, systolic=165, diastolic=82), rise_context())
    assert (
        f.reason == "BP 165/82 at 17:00, 3 h after IV infusion: +45/+2 on the pre-infusion 120/80 — threshold +40/+25."
    )
    assert f.evidence["systolic_rise"] == 45
    assert f.evidence["diastolic_rise"] == 2


# --- heart rate ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("heart_rate", "fires"),
    [(119, False), (120, True), (121, True), (46, False), (45, False), (44, True), (80, False), (None, False)],
)
def test_abnormal_heart_rate(heart_rate, fires):
    assert ("abnormal-heart-rate" in fired(report(3, heart_rate=heart_rate))) is fires


@pytest.mark.parametrize(
    ("heart_rate", "reason"),
    [
        (128, "Heart rate 128 at 17:00, 3 h after IV infusion — threshold 120."),
        (41, "Heart rate 41 at 17:00, 3 h after IV infusion — threshold below 45."),
    ],
)
def test_abnormal_heart_rate_reason(heart_rate, reason):
    assert find("abnormal-heart-rate", report(3, heart_rate=heart_rate)).reason == reason


# --- persistent-perceptual ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "code", "severity", "fires"),
    [
        (23.9, "dissociation", 1, False),
        (24, "dissociation", 1, False),  # "more than 24 h"
        (24 + 1 / 60, "dissociation", 1, True),
        (25, "hallucinations", 1, True),
        (25, "confusion", 2, True),
        (25, "dissociation", 0, False),
        (25, "dizziness", 2, False),
        (200, "hallucinations", 1, True),
    ],
)
def test_persistent_perceptual(hours, code, severity, fires):
    assert ("persistent-perceptual" in fired(report(hours, symptoms=symptoms(**{code: severity})))) is fires


@pytest.mark.parametrize("ctx", [context(infusion_facts=None), context(infusion_facts=infusion(ended_at=None))])
def test_persistent_perceptual_needs_an_ended_infusion(ctx):
    assert "persistent-perceptual" not in fired(report(30, symptoms=symptoms(dissociation=2)), ctx)


def test_persistent_perceptual_reason():
    f = find("persistent-perceptual", report(30, symptoms=symptoms(dissociation=2, hallucinations=1)))
    assert f.priority is Priority.HIGH
    assert f.reason == (
        "Moderate dissociation (2/4) and mild hallucinations (1/4) at 20:00, 30 h after IV infusion — threshold 24 h."
    )


# --- mood-dip -----------------------------------------------------------------------------------


def phq9_total(total: int) -> tuple[int, ...]:
    items = [0] * 9
    for i in range(total):
        items[i % 8] += 1  # never item 9, so suicidal-ideation stays out of it
    return tuple(items)


@pytest.mark.parametrize(
    ("fields", "baselines", "fires"),
    [
        ({"phq9": phq9_total(14)}, {"phq9_baseline": 10}, False),
        ({"phq9": phq9_total(15)}, {"phq9_baseline": 10}, True),
        ({"phq9": phq9_total(16)}, {"phq9_baseline": 10}, True),
        ({"phq9": phq9_total(19)}, {}, False),
        ({"phq9": phq9_total(20)}, {}, True),
        ({"phq9": phq9_total(21)}, {}, True),
        ({"phq9": phq9_total(19)}, {"phq9_baseline": 15}, False),
        ({"mood": 5}, {"mood_baseline": 7}, False),
        ({"mood": 4}, {"mood_baseline": 7}, True),
        ({"mood": 3}, {"mood_baseline": 7}, True),
        ({"mood": 0}, {}, False),  # no baseline to dip from
        ({"mood": 2, "phq9": phq9_total(20)}, {"mood_baseline": 8, "phq9_baseline": 12}, True),
    ],
)
def test_mood_dip(fields, baselines, fires):
    assert ("mood-dip" in fired(report(72, **fields), context(**baselines))) is fires


@pytest.mark.parametrize(
    ("hours", "fires"),
    [
        (-1, False),  # observed before the infusion ended
        (0, True),
        (14 * 24 - 1, True),
        (14 * 24, True),  # "within 14 days" includes day 14
        (14 * 24 + 1 / 60, False),
    ],
)
def test_mood_dip_over_baseline_only_within_14_days_of_the_infusion(hours, fires):
    rep = report(hours, phq9=phq9_total(16), mood=3)  # 10 + 5 over the PHQ-9 baseline, 7 - 4 under the mood one
    assert ("mood-dip" in fired(rep, context(phq9_baseline=10, mood_baseline=7))) is fires


@pytest.mark.parametrize("hours", [-1, 0, 14 * 24 + 1 / 60, 60 * 24, 365 * 24])
def test_a_severe_phq9_raises_mood_dip_at_any_time(hours):
    f = find("mood-dip", report(hours, phq9=phq9_total(20)))
    assert f is not None and f.version == 2
    assert "PHQ-9 total 20 (severe ≥ 20)" in f.reason
    assert "mood-dip" not in fired(report(hours, phq9=phq9_total(19)))


def test_without_an_infusion_only_a_severe_phq9_raises_mood_dip():
    no_infusion = context(infusion_facts=None, mood_baseline=9, phq9_baseline=5)
    assert "mood-dip" not in fired(report(3, phq9=phq9_total(19), mood=0), no_infusion)
    f = find("mood-dip", report(3, phq9=phq9_total(25), mood=0), no_infusion)
    assert f is not None and "mood" not in f.evidence and "PHQ-9 total 25 (severe ≥ 20)" in f.reason


def test_mood_dip_counts_from_the_start_of_an_infusion_without_an_end():
    assert "mood-dip" in fired(report(3, phq9=phq9_total(22)), context(infusion_facts=infusion(ended_at=None)))


def test_mood_dip_reason():
    f = find("mood-dip", report(9 * 24, phq9=phq9_total(22), mood=3), context(phq9_baseline=14, mood_baseline=7))
    assert f.reason == (
        "Mood dip at 14:00, 9 days after IV infusion: PHQ-9 total 22 (baseline 14 + 5; severe ≥ 20) "
        "and mood 3/10 (baseline 7 - 3)."
    )
    assert f.evidence["phq9_total"] == 22


# --- persistent-symptom -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "code", "severity", "fires"),
    [
        (47.9, "nausea", 2, False),  # nausea's window is 24 h
        (48, "nausea", 2, False),  # "beyond" twice the window
        (48 + 1 / 60, "nausea", 2, True),
        (60, "nausea", 1, False),
        (60, "nausea", 3, True),
        (12 + 1 / 60, "dissociation", 2, True),  # window 6 h
        (12, "dissociation", 2, False),
        (144 + 1 / 60, "low_mood", 2, True),  # window 72 h
        (143, "low_mood", 2, False),
        (300, "craving", 2, False),  # window 0: misuse-signal covers it
        (300, "suicidal_thoughts", 2, False),  # window 0: suicidal-ideation covers it
        (300, "not_a_code", 3, False),
    ],
)
def test_persistent_symptom(hours, code, severity, fires):
    assert ("persistent-symptom" in fired(report(hours, symptoms=symptoms(**{code: severity})))) is fires


@pytest.mark.parametrize("ctx", [context(infusion_facts=None), context(infusion_facts=infusion(ended_at=None))])
def test_persistent_symptom_needs_an_ended_infusion(ctx):
    assert "persistent-symptom" not in fired(report(100, symptoms=symptoms(nausea=3)), ctx)


def test_persistent_symptom_reason():
    f = find("persistent-symptom", report(50, symptoms=symptoms(nausea=2, headache=1)))
    assert f.priority is Priority.MEDIUM
    assert f.reason == (
        "Moderate nausea (2/4; usually settles within 24 h) at 16:00, 50 h after IV infusion "
        "— threshold 2x the usual window."
    )
    assert f.evidence["symptoms"] == [{"code": "nausea", "severity": 2, "expected_window_hours": 24}]


# --- worsening ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("previous", "now", "fires"),
    [(1, 2, False), (1, 3, True), (1, 4, True), (0, 2, True), (2, 3, False), (3, 1, False)],
)
def test_worsening_by_two_steps(previous, now, fires):
    ctx = context(recent_reports=(prior(2, headache=previous),))
    assert ("worsening" in fired(report(26, symptoms=symptoms(headache=now)), ctx)) is fires


@pytest.mark.parametrize(
    ("gap", "fires"),
    [
        (timedelta(days=7) - timedelta(minutes=1), True),
        (timedelta(days=7), True),
        (timedelta(days=7, minutes=1), False),
        (timedelta(0), False),  # not strictly before: not "previous"
        (-timedelta(hours=1), False),  # a later report (sent late from an offline phone) is not "previous"
    ],
)
def test_worsening_only_against_a_report_within_7_days_before(gap, fires):
    rep = report(200, symptoms=symptoms(headache=3))
    ctx = context(recent_reports=(prior(200 - gap.total_seconds() / 3600, headache=1),))
    assert ("worsening" in fired(rep, ctx)) is fires


def test_worsening_compares_with_the_most_recent_report_of_that_symptom():
    ctx = context(recent_reports=(prior(10, dizziness=2), prior(8, headache=2), prior(4, headache=0)))
    assert "worsening" not in fired(report(26, symptoms=symptoms(headache=3)), ctx)
    ctx = context(recent_reports=(prior(10, dizziness=2), prior(8, headache=1), prior(4, headache=3)))
    assert "worsening" in fired(report(26, symptoms=symptoms(headache=3)), ctx)


def test_worsening_order_of_recent_reports_does_not_matter():
    reports = (prior(4, headache=0), prior(8, headache=2))  # oldest first, against the convention
    assert "worsening" not in fired(report(26, symptoms=symptoms(headache=3)), context(recent_reports=reports))


def test_worsening_skips_a_symptom_never_reported_before():
    ctx = context(recent_reports=(prior(2, nausea=1),))
    assert "worsening" not in fired(report(26, symptoms=symptoms(headache=3)), ctx)


def test_worsening_reason():
    ctx = context(recent_reports=(prior(-20, headache=1, nausea=0), prior(2, nausea=0)))
    f = find("worsening", report(26, symptoms=symptoms(headache=3, nausea=2)), ctx)
    assert f.reason == (
        "Nausea up from 0/4 (16:00 on 2 Jun) to 2/4 and headache up from 1/4 (18:00 on 1 Jun) to 3/4 "
        "at 16:00, 26 h after IV infusion — threshold +2."
    )
    assert [s["previous_observed_at"] for s in f.evidence["symptoms"]] == [
        (END + timedelta(hours=2)).isoformat(),
        (END - timedelta(hours=20)).isoformat(),
    ]


def test_worsening_on_the_same_local_day_shows_only_the_time():
    ctx = context(recent_reports=(prior(1, headache=0),))
    assert "(15:00)" in find("worsening", report(5, symptoms=symptoms(headache=2)), ctx).reason


# --- misuse-signal and urinary-toxicity ---------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "severity", "rule", "fires"),
    [
        ("craving", 1, "misuse-signal", False),
        ("craving", 2, "misuse-signal", True),
        ("craving", 3, "misuse-signal", True),
        ("bladder_pain", 1, "urinary-toxicity", False),
        ("bladder_pain", 2, "urinary-toxicity", True),
        ("bladder_pain", 3, "urinary-toxicity", True),
        ("nausea", 3, "misuse-signal", False),
        ("nausea", 3, "urinary-toxicity", False),
    ],
)
def test_single_symptom_rules(code, severity, rule, fires):
    assert (rule in fired(report(3, symptoms=symptoms(**{code: severity})))) is fires


@pytest.mark.parametrize(
    ("code", "rule", "reason"),
    [
        ("craving", "misuse-signal", "Moderate craving (2/4) at 17:00, 3 h after IV infusion — threshold 2/4."),
        (
            "bladder_pain",
            "urinary-toxicity",
            "Moderate bladder pain (2/4) at 17:00, 3 h after IV infusion — threshold 2/4.",
        ),
    ],
)
def test_single_symptom_reasons(code, rule, reason):
    f = find(rule, report(3, symptoms=symptoms(**{code: 2})))
    assert f.priority is Priority.MEDIUM
    assert f.reason == reason


# --- the list as a whole ------------------------------------------------------------------------


def everything():
    rep = report(
        30,
        symptoms=symptoms(suicidal_thoughts=1, headache=4, nausea=3, dissociation=2, craving=2, bladder_pain=2),
        mood=1,
        phq9=phq9_total(21),
        systolic=190,
        diastolic=95,
        heart_rate=130,
        note="I feel like I want to die",
    )
    ctx = context(
        infusion_facts=infusion(pre_systolic=120, pre_diastolic=80),
        mood_baseline=6,
        phq9_baseline=9,
        recent_reports=(prior(4, headache=1),),
    )
    return rep, ctx


def test_every_per_report_rule_can_fire_at_once_and_they_come_sorted():
    rep, ctx = everything()
    result = findings(rep, ctx)
    rules = [f.rule for f in result]
    assert set(rules) == set(RULES) - {"elevated-blood-pressure", "unresponsive", "crisis-language"}
    assert len(rules) == len(set(rules))  # at most one per rule
    assert [(-rank(f.priority), f.rule) for f in result] == sorted((-rank(f.priority), f.rule) for f in result)
    assert rules[:4] == ["hypertensive-crisis", "suicidal-ideation", "very-severe-symptom", "abnormal-heart-rate"]
    assert [f.rule for f in result if f.priority is Priority.MEDIUM] == rules[-4:]
    assert rules[-4:] == ["misuse-signal", "persistent-symptom", "urinary-toxicity", "worsening"]


def test_every_finding_records_its_rule_version():
    rep, ctx = everything()
    assert all(f.version == RULES[f.rule] for f in findings(rep, ctx))


def test_the_engine_is_deterministic():
    rep, ctx = everything()
    assert findings(rep, ctx) == findings(rep, ctx)


def test_intranasal_and_intramuscular_route_labels():
    nasal = find(
        "severe-symptom", report(3, symptoms=symptoms(nausea=3)), context(infusion_facts=infusion(route="intranasal"))
    )
    im = find(
        "severe-symptom",
        report(3, symptoms=symptoms(nausea=3)),
        context(infusion_facts=infusion(route="intramuscular")),
    )
    assert "3 h after intranasal infusion" in nasal.reason
    assert "3 h after IM infusion" in im.reason


def test_elapsed_time_wording():
    def when(hours, **kw):
        return find("severe-symptom", report(hours, symptoms=symptoms(nausea=3)), context(**kw)).reason

    assert "40 min after IV infusion" in when(40 / 60)
    assert "71 h after IV infusion" in when(71.9)
    assert "3 days after IV infusion" in when(72)
    assert "before the end of the IV infusion" in when(-0.2)
    assert "after IV infusion start" in when(3, infusion_facts=infusion(ended_at=None))
    assert when(3, infusion_facts=None) == "Severe nausea (3/4) at 17:00."


# --- crisis-language: the classifier as a second signal ----------------------------------------

MODEL_ONLY_NOTE = "so depressed, crying every night, i just want to sleep and not feel anything anymore"


def test_a_note_only_the_classifier_reads_as_crisis_is_high_crisis_language_with_its_score():
    from service.rules import read_text
    from service.rules.crisis_model import crisis_model

    assert not read_text(MODEL_ONLY_NOTE)  # no listed phrase: the classifier alone
    score = crisis_model().score(MODEL_ONLY_NOTE)
    assert crisis_model().fires(score)
    f = find("crisis-language", report(8 + 40 / 60, note=MODEL_ONLY_NOTE), context(infusion_facts=None))
    assert f.priority is Priority.HIGH
    assert f.reason == (
        f"The note reads like crisis language: classifier score {score:.3f}, threshold"
        f" {crisis_model().threshold:.3f}, no listed crisis phrase (at 22:40)."
    )
    assert f.evidence["model_score"] == round(score, 4)
    assert fired(report(3, note=MODEL_ONLY_NOTE)) & {"suicidal-ideation", "crisis-language"} == {"crisis-language"}


def test_the_classifier_never_makes_a_report_critical():
    rep = report(3, note=MODEL_ONLY_NOTE, symptoms=(SymptomObs("other", 1, MODEL_ONLY_NOTE),))
    assert all(f.priority is not Priority.CRITICAL for f in findings(rep, context()))


def test_a_rule_hit_stays_critical_with_the_classifier_firing_too():
    assert fired(report(3, note=MODEL_ONLY_NOTE + ". I want to kill myself")) & {
        "suicidal-ideation",
        "crisis-language",
    } == {"suicidal-ideation"}


def test_a_negation_still_reads_mentions_suicide_negated():
    f = find("crisis-language", report(3, note="I'm not suicidal, just tired"))
    assert f.reason.startswith("Note mentions suicide, negated: 'not suicidal'")


@pytest.mark.parametrize("note", ["walked 5 kms", "this headache is killing me", "dead tired after the session"])
def test_benign_notes_fire_neither_path(note):
    assert fired(report(3, note=note)) & {"suicidal-ideation", "crisis-language"} == set()


# --- misuse-signal v2: the long-term check-in's "ketamine outside the clinic?" -------------------------------


@pytest.mark.parametrize(
    ("outside", "craving", "fires"),
    [(None, 0, False), (False, 1, False), (True, 0, True), (True, 1, True), (False, 2, True), (True, 3, True)],
)
def test_misuse_signal_fires_on_any_use_outside_the_clinic_or_craving_at_threshold(outside, craving, fires):
    rep = report(90 * 24, symptoms=symptoms(craving=craving), ketamine_outside_clinic=outside)
    assert ("misuse-signal" in fired(rep)) is fires


def test_misuse_signal_reasons_name_the_use_outside_the_clinic():
    alone = find("misuse-signal", report(3, symptoms=symptoms(craving=0), ketamine_outside_clinic=True))
    assert alone.priority is Priority.MEDIUM and alone.version == 2
    assert alone.reason == (
        "Ketamine taken outside the clinic, reported at 17:00, 3 h after IV infusion — any use outside the clinic."
    )
    assert alone.evidence["ketamine_outside_clinic"] is True and alone.evidence["symptoms"] == []
    both = find("misuse-signal", report(3, symptoms=symptoms(craving=2), ketamine_outside_clinic=True))
    assert both.reason == (
        "Moderate craving (2/4) at 17:00, 3 h after IV infusion — threshold 2/4; "
        "ketamine also taken outside the clinic."
    )
    assert both.evidence["symptoms"] == [{"code": "craving", "severity": 2}]
    # Craving alone reads as it did in version 1.
    craving_only = find("misuse-signal", report(3, symptoms=symptoms(craving=2)))
    assert "ketamine_outside_clinic" not in craving_only.evidence


@pytest.mark.parametrize(("code", "severity"), [("urinary_frequency", 2), ("urinary_urgency", 2)])
def test_urinary_frequency_and_urgency_at_moderate_three_months_on_are_persistent_symptoms(code, severity):
    """Not urinary-toxicity (SPEC: bladder pain), but beyond twice their 24 h window: persistent-symptom (medium)."""
    rules = fired(report(90 * 24, symptoms=symptoms(**{code: severity})))
    assert rules == {"persistent-symptom"}
    assert fired(report(90 * 24, symptoms=symptoms(**{code: 3}))) == {"persistent-symptom", "severe-symptom"}
    assert fired(report(90 * 24, symptoms=symptoms(**{code: 1}))) == set()
