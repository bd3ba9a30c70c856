"""The rules engine: a report's facts in, findings out. Pure: no clock, no database, no Flask.

Each rule is a small function of the facts; RULES names every rule with its version, which a
flag records so a rule's wording or logic can change without rewriting history. Bump a rule's
version whenever what makes it fire changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from service.rules import wording as w
from service.rules.crisis import CrisisReading, read_text
from service.rules.crisis_model import crisis_model
from service.rules.facts import Finding, PatientContext, Priority, ReportFacts, SymptomObs, rank
from service.rules.thresholds import DEFAULTS, Thresholds
from service.vocabulary import BY_CODE, MAX_SEVERITY

PERCEPTUAL_CODES: tuple[str, ...] = ("dissociation", "hallucinations", "confusion")
PHQ9_ITEMS = 9
PHQ9_SUICIDE_ITEM = 8  # item 9, zero-based


@dataclass(frozen=True)
class Rule:
    """A registered rule: its id, version, the priority it normally fires at, and what it checks."""

    id: str
    version: int
    priority: Priority
    summary: str


_REGISTRY: tuple[Rule, ...] = (
    Rule("suicidal-ideation", 2, Priority.CRITICAL, "suicidal thoughts, PHQ-9 item 9 or strong crisis words"),
    Rule(
        "crisis-language",
        2,
        Priority.HIGH,
        "passive or hopeless crisis language, a negated mention of suicide, or a note the classifier reads as crisis",
    ),
    Rule("very-severe-symptom", 1, Priority.CRITICAL, "any symptom at severity 4"),
    Rule("hypertensive-crisis", 1, Priority.CRITICAL, "systolic ≥ 180 or diastolic ≥ 120"),
    Rule("severe-symptom", 1, Priority.HIGH, "any symptom at severity 3"),
    Rule("elevated-blood-pressure", 1, Priority.HIGH, "systolic ≥ 160 or diastolic ≥ 100"),
    Rule("blood-pressure-rise", 1, Priority.HIGH, "systolic +40 or diastolic +25 over the pre-infusion reading"),
    Rule("abnormal-heart-rate", 1, Priority.HIGH, "heart rate ≥ 120 or < 45"),
    Rule("persistent-perceptual", 1, Priority.HIGH, "dissociation, hallucinations or confusion > 24 h after"),
    Rule(
        "mood-dip",
        2,
        Priority.HIGH,
        "PHQ-9 or mood well below baseline within 14 days of an infusion; a severe PHQ-9 at any time",
    ),
    Rule("persistent-symptom", 1, Priority.MEDIUM, "a symptom ≥ 2 beyond twice its expected window"),
    Rule("worsening", 1, Priority.MEDIUM, "a symptom up by ≥ 2 on its previous report within 7 days"),
    Rule("misuse-signal", 2, Priority.MEDIUM, "craving at severity ≥ 2, or ketamine taken outside the clinic"),
    Rule("urinary-toxicity", 1, Priority.MEDIUM, "bladder pain at severity ≥ 2"),
    Rule("unresponsive", 1, Priority.MEDIUM, "two consecutive missed check-ins (high with an open high flag)"),
)
REGISTRY: dict[str, Rule] = {rule.id: rule for rule in _REGISTRY}
RULES: dict[str, int] = {rule.id: rule.version for rule in _REGISTRY}


@dataclass(frozen=True)
class _Facts:
    """The report, its context and what every rule derives from them, computed once."""

    report: ReportFacts
    context: PatientContext
    t: Thresholds
    tz: tzinfo
    symptoms: tuple[SymptomObs, ...]  # one per code (highest severity), vocabulary order
    since_end: timedelta | None  # from the infusion's end (None without an ended infusion)
    since_infusion: timedelta | None  # from its end, or its start when the end is unknown
    when: str  # "at 14:10, 3 h after IV infusion"
    base: dict[str, Any]  # evidence every finding carries
    severities: dict[str, int]  # the same symptoms by code
    crisis: CrisisReading  # the crisis language of the report's note and its symptoms' notes
    crisis_score: float  # the classifier's highest score over those notes (0.0 without a note)

    def severity(self, code: str) -> int:
        return self.severities.get(code, 0)

    def finding(self, rule_id: str, reason: str, evidence: dict[str, Any]) -> Finding:
        rule = REGISTRY[rule_id]
        return Finding(rule.id, rule.version, rule.priority, w.sentence(reason), {**self.base, **evidence})


_ORDER = {code: i for i, code in enumerate(BY_CODE)}  # vocabulary order


def _strongest(symptoms: tuple[SymptomObs, ...]) -> tuple[SymptomObs, ...]:
    """One observation per code, the highest severity, in vocabulary order (unknown codes last)."""
    best: dict[str, SymptomObs] = {}
    for obs in symptoms:
        if obs.code not in best or obs.severity > best[obs.code].severity:
            best[obs.code] = obs
    return tuple(sorted(best.values(), key=lambda o: (_ORDER.get(o.code, len(_ORDER)), o.code)))


def _facts(report: ReportFacts, context: PatientContext, t: Thresholds) -> _Facts:
    tz_name, tz = w.zone(context.time_zone)
    at = report.observed_at
    base: dict[str, Any] = {
        "observed_at": at.astimezone(UTC).isoformat(),
        "local_time": w.clock(at, tz),
        "time_zone": tz_name,
    }
    when = f"at {w.clock(at, tz)}"
    since_end = since_infusion = None
    infusion = context.infusion
    if infusion is not None:
        reference = infusion.ended_at or infusion.started_at
        since_infusion = at - reference
        since_end = at - infusion.ended_at if infusion.ended_at else None
        label = w.route_label(infusion.route)
        base["infusion_route"] = infusion.route
        base["hours_since_infusion"] = w.hours(since_infusion)
        if since_infusion < timedelta(0):
            when += f", before the end of the {label} infusion"
        else:
            when += f", {w.elapsed(since_infusion)} after {label} infusion" + ("" if infusion.ended_at else " start")
    strongest = _strongest(report.symptoms)
    severities = {s.code: s.severity for s in strongest}
    notes = [text for text in (report.note, *(s.note for s in report.symptoms)) if text]
    crisis = sum((read_text(text) for text in notes), CrisisReading())
    model = crisis_model()
    score = max((model.score(text) for text in notes), default=0.0)
    return _Facts(report, context, t, tz, strongest, since_end, since_infusion, when, base, severities, crisis, score)


def _symptom_list(hits: list[SymptomObs]) -> list[dict[str, Any]]:
    return [{"code": s.code, "severity": s.severity} for s in hits]


# --- the rules ---------------------------------------------------------------------------------


def _suicidal_ideation(f: _Facts) -> Finding | None:
    parts: list[str] = []
    evidence: dict[str, Any] = {}
    if f.report.suicidal_thoughts is True:
        parts.append("answered yes to the suicidal-thoughts question")
        evidence["suicidal_thoughts"] = True
    severity = f.severity("suicidal_thoughts")
    if severity >= 1:
        parts.append(f"rated them {w.severity_word(severity)}, {severity}/{MAX_SEVERITY}")
        evidence["symptom_severity"] = severity
    phq9 = f.report.phq9
    if phq9 is not None and len(phq9) > PHQ9_SUICIDE_ITEM and phq9[PHQ9_SUICIDE_ITEM] >= 1:
        parts.append(f"PHQ-9 item 9 scored {phq9[PHQ9_SUICIDE_ITEM]}/3")
        evidence["phq9_item9"] = phq9[PHQ9_SUICIDE_ITEM]
    if f.crisis.phrases:
        parts.append(f"crisis words in note: {_quoted(f.crisis.phrases)}")
        evidence["crisis_phrases"] = list(f.crisis.phrases)
    if not parts:
        return None
    return f.finding("suicidal-ideation", f"Reported suicidal thoughts {f.when} ({'; '.join(parts)})", evidence)


def _crisis_language(f: _Facts) -> Finding | None:
    """Concern phrases, a negated mention of suicide, or a note the classifier reads as crisis language, unless
    suicidal-ideation fires (then only it fires). The classifier never makes a finding critical on its own."""
    reading = f.crisis
    model = crisis_model()
    read_as_crisis = model.fires(f.crisis_score)
    if not (reading.concerns or reading.negated or read_as_crisis) or _suicidal_ideation(f) is not None:
        return None
    parts: list[str] = []
    evidence: dict[str, Any] = {}
    if reading.negated:
        parts.append(f"mentions suicide, negated: {_quoted(reading.negated)}")
        evidence["negated_phrases"] = list(reading.negated)
    if reading.concerns:
        parts.append(f"reads like crisis language: {_quoted(reading.concerns)}")
        evidence["concern_phrases"] = list(reading.concerns)
    reason = f"Note {'; '.join(parts)} ({f.when})"
    if read_as_crisis:
        evidence |= {"model_score": round(f.crisis_score, 4), "model_threshold": model.threshold}
        evidence["model_version"] = model.version
        if not parts:  # the classifier alone (with phrases, they explain the finding; the score is in the evidence)
            reason = (
                f"The note reads like crisis language: classifier score {f.crisis_score:.3f},"
                f" threshold {model.threshold:.3f}, no listed crisis phrase ({f.when})"
            )
    return f.finding("crisis-language", reason, evidence)


def _quoted(phrases: tuple[str, ...]) -> str:
    return ", ".join(f"'{p}'" for p in phrases)


def _severity_rule(f: _Facts, rule_id: str, hits: list[SymptomObs], threshold: int, default: int) -> Finding | None:
    if not hits:
        return None
    reason = w.join([w.symptom_phrase(s.code, s.severity) for s in hits]) + f" {f.when}"
    if threshold != default:  # the severity word explains the default; a clinic's own threshold needs saying
        reason += f" — threshold {threshold}/{MAX_SEVERITY}"
    return f.finding(rule_id, reason, {"symptoms": _symptom_list(hits), "threshold": threshold})


def _very_severe_symptom(f: _Facts) -> Finding | None:
    hits = [s for s in f.symptoms if s.severity >= f.t.very_severe_severity]
    return _severity_rule(f, "very-severe-symptom", hits, f.t.very_severe_severity, Thresholds.very_severe_severity)


def _severe_symptom(f: _Facts) -> Finding | None:
    hits = [s for s in f.symptoms if f.t.severe_severity <= s.severity < f.t.very_severe_severity]
    return _severity_rule(f, "severe-symptom", hits, f.t.severe_severity, Thresholds.severe_severity)


def _bp(systolic: int | None, diastolic: int | None) -> str:
    if systolic is not None and diastolic is not None:
        return f"BP {systolic}/{diastolic}"
    return f"systolic BP {systolic}" if systolic is not None else f"diastolic BP {diastolic}"


def _bp_level(f: _Facts, rule_id: str, systolic_at: int, diastolic_at: int) -> Finding | None:
    sys_, dia = f.report.systolic, f.report.diastolic
    if not ((sys_ is not None and sys_ >= systolic_at) or (dia is not None and dia >= diastolic_at)):
        return None
    reason = f"{_bp(sys_, dia)} {f.when} — threshold {systolic_at}/{diastolic_at}"
    evidence = {
        "systolic": sys_,
        "diastolic": dia,
        "threshold_systolic": systolic_at,
        "threshold_diastolic": diastolic_at,
    }
    return f.finding(rule_id, reason, evidence)


def _hypertensive_crisis(f: _Facts) -> Finding | None:
    return _bp_level(f, "hypertensive-crisis", f.t.crisis_systolic, f.t.crisis_diastolic)


def _elevated_blood_pressure(f: _Facts) -> Finding | None:
    if _hypertensive_crisis(f) is not None:  # only the higher of the two blood-pressure levels fires
        return None
    return _bp_level(f, "elevated-blood-pressure", f.t.elevated_systolic, f.t.elevated_diastolic)


def _blood_pressure_rise(f: _Facts) -> Finding | None:
    infusion, r = f.context.infusion, f.report
    if infusion is None:
        return None
    sys_rise = r.systolic - infusion.pre_systolic if None not in (r.systolic, infusion.pre_systolic) else None
    dia_rise = r.diastolic - infusion.pre_diastolic if None not in (r.diastolic, infusion.pre_diastolic) else None
    if not (
        (sys_rise is not None and sys_rise >= f.t.rise_systolic)
        or (dia_rise is not None and dia_rise >= f.t.rise_diastolic)
    ):
        return None
    if sys_rise is not None and dia_rise is not None:
        change = f"{sys_rise:+d}/{dia_rise:+d} on the pre-infusion {infusion.pre_systolic}/{infusion.pre_diastolic}"
    elif sys_rise is not None:
        change = f"systolic {sys_rise:+d} on the pre-infusion {infusion.pre_systolic}"
    else:
        change = f"diastolic {dia_rise:+d} on the pre-infusion {infusion.pre_diastolic}"
    reason = f"{_bp(r.systolic, r.diastolic)} {f.when}: {change} — threshold +{f.t.rise_systolic}/+{f.t.rise_diastolic}"
    evidence = {
        "systolic": r.systolic,
        "diastolic": r.diastolic,
        "pre_systolic": infusion.pre_systolic,
        "pre_diastolic": infusion.pre_diastolic,
        "systolic_rise": sys_rise,
        "diastolic_rise": dia_rise,
        "threshold_systolic_rise": f.t.rise_systolic,
        "threshold_diastolic_rise": f.t.rise_diastolic,
    }
    return f.finding("blood-pressure-rise", reason, evidence)


def _abnormal_heart_rate(f: _Facts) -> Finding | None:
    hr = f.report.heart_rate
    if hr is None:
        return None
    if hr >= f.t.hr_high:
        threshold = f"{f.t.hr_high}"
    elif hr < f.t.hr_low:
        threshold = f"below {f.t.hr_low}"
    else:
        return None
    evidence = {"heart_rate": hr, "threshold_high": f.t.hr_high, "threshold_low": f.t.hr_low}
    return f.finding("abnormal-heart-rate", f"Heart rate {hr} {f.when} — threshold {threshold}", evidence)


def _persistent_perceptual(f: _Facts) -> Finding | None:
    if f.since_end is None or f.since_end <= timedelta(hours=f.t.perceptual_after_hours):
        return None
    hits = [s for s in f.symptoms if s.code in PERCEPTUAL_CODES and s.severity >= 1]
    if not hits:
        return None
    reason = w.join([w.symptom_phrase(s.code, s.severity) for s in hits])
    reason += f" {f.when} — threshold {f.t.perceptual_after_hours} h"
    evidence = {"symptoms": _symptom_list(hits), "threshold_hours": f.t.perceptual_after_hours}
    return f.finding("persistent-perceptual", reason, evidence)


def _mood_dip(f: _Facts) -> Finding | None:
    # Version 2: a severe PHQ-9 total fires at any time (a patient can be severely depressed weeks after an
    # infusion, or before the first); the rise over baseline and the mood drop still only near an infusion.
    since = f.since_infusion
    near = since is not None and timedelta(0) <= since <= timedelta(days=f.t.mood_window_days)
    r, ctx, t = f.report, f.context, f.t
    parts: list[str] = []
    evidence: dict[str, Any] = {}
    total = sum(r.phq9) if r.phq9 is not None and len(r.phq9) == PHQ9_ITEMS else None
    if total is not None:
        why: list[str] = []
        if near and ctx.phq9_baseline is not None and total >= ctx.phq9_baseline + t.phq9_rise:
            why.append(f"baseline {ctx.phq9_baseline} + {t.phq9_rise}")
        if total >= t.phq9_severe:
            why.append(f"severe ≥ {t.phq9_severe}")
        if why:
            parts.append(f"PHQ-9 total {total} ({'; '.join(why)})")
            evidence |= {"phq9_total": total, "phq9_baseline": ctx.phq9_baseline}
            evidence |= {"threshold_phq9_rise": t.phq9_rise, "threshold_phq9_severe": t.phq9_severe}
    if near and r.mood is not None and ctx.mood_baseline is not None and r.mood <= ctx.mood_baseline - t.mood_drop:
        parts.append(f"mood {r.mood}/10 (baseline {ctx.mood_baseline} - {t.mood_drop})")
        evidence |= {"mood": r.mood, "mood_baseline": ctx.mood_baseline, "threshold_mood_drop": t.mood_drop}
    if not parts:
        return None
    evidence["threshold_window_days"] = t.mood_window_days
    return f.finding("mood-dip", f"Mood dip {f.when}: {' and '.join(parts)}", evidence)


def _persistent_symptom(f: _Facts) -> Finding | None:
    if f.since_end is None:
        return None
    hits: list[tuple[SymptomObs, int]] = []
    for s in f.symptoms:
        window = w.known_window(s.code)
        if not window or s.severity < f.t.persistent_min_severity:  # window 0: suicidal thoughts, craving
            continue
        if f.since_end > timedelta(hours=f.t.persistent_window_factor * window):
            hits.append((s, window))
    if not hits:
        return None
    items = [w.symptom_phrase(s.code, s.severity, f"usually settles within {window} h") for s, window in hits]
    reason = f"{w.join(items)} {f.when} — threshold {f.t.persistent_window_factor}x the usual window"
    evidence = {
        "symptoms": [{"code": s.code, "severity": s.severity, "expected_window_hours": wh} for s, wh in hits],
        "threshold_window_factor": f.t.persistent_window_factor,
        "threshold_severity": f.t.persistent_min_severity,
    }
    return f.finding("persistent-symptom", reason, evidence)


def _worsening(f: _Facts) -> Finding | None:
    at = f.report.observed_at
    earliest = at - timedelta(days=f.t.worsening_window_days)
    prior = sorted(
        (p for p in f.context.recent_reports if earliest <= p.observed_at < at),
        key=lambda p: p.observed_at,
        reverse=True,
    )
    items: list[str] = []
    changes: list[dict[str, Any]] = []
    for s in f.symptoms:
        previous = next((p for p in prior if any(o.code == s.code for o in p.symptoms)), None)
        if previous is None:
            continue
        before = max(o.severity for o in previous.symptoms if o.code == s.code)
        if s.severity - before >= f.t.worsening_rise:
            then = w.clock_and_day(previous.observed_at, f.tz, same_day_as=at)
            items.append(
                f"{w.symptom_name(s.code)} up from {before}/{MAX_SEVERITY} ({then}) to {s.severity}/{MAX_SEVERITY}"
            )
            changes.append(
                {
                    "code": s.code,
                    "severity": s.severity,
                    "previous_severity": before,
                    "previous_observed_at": previous.observed_at.astimezone(UTC).isoformat(),
                }
            )
    if not items:
        return None
    reason = f"{w.join(items)} {f.when} — threshold +{f.t.worsening_rise}"
    evidence = {"symptoms": changes, "threshold_rise": f.t.worsening_rise, "window_days": f.t.worsening_window_days}
    return f.finding("worsening", reason, evidence)


def _single_symptom(f: _Facts, rule_id: str, code: str, threshold: int) -> Finding | None:
    severity = f.severity(code)
    if severity < threshold:
        return None
    reason = f"{w.symptom_phrase(code, severity)} {f.when} — threshold {threshold}/{MAX_SEVERITY}"
    return f.finding(rule_id, reason, {"symptoms": [{"code": code, "severity": severity}], "threshold": threshold})


def _misuse_signal(f: _Facts) -> Finding | None:
    """v2: also a yes to the long-term check-in's "ketamine anywhere but the clinic?" (v1: craving only).

    Burden: the question is asked once a quarter of maintenance patients only, so the new arm adds at most one
    flag per maintenance patient per quarter (and a yes while a misuse-signal flag is open joins it). On the demo
    clinic (python -m bench.rule_burden_demo, 40 patients, seed 7, 2026-12-07) misuse-signal opened 0 flags on
    this commit as on the one before (the demo's long-term answers say no); real figures: GET /analytics/rules
    by version."""
    craving = _single_symptom(f, "misuse-signal", "craving", f.t.craving_min_severity)
    if not f.report.ketamine_outside_clinic:
        return craving
    if craving is None:
        threshold = f.t.craving_min_severity
        reason = f"Ketamine taken outside the clinic, reported {f.when} — any use outside the clinic"
        evidence = {"symptoms": [], "threshold": threshold, "ketamine_outside_clinic": True}
        return f.finding("misuse-signal", reason, evidence)
    reason = f"{craving.reason.rstrip('.')}; ketamine also taken outside the clinic"
    return f.finding("misuse-signal", reason, {**craving.evidence, "ketamine_outside_clinic": True})


def _urinary_toxicity(f: _Facts) -> Finding | None:
    return _single_symptom(f, "urinary-toxicity", "bladder_pain", f.t.bladder_min_severity)


_PER_REPORT: tuple[Callable[[_Facts], Finding | None], ...] = (
    _suicidal_ideation,
    _crisis_language,
    _very_severe_symptom,
    _hypertensive_crisis,
    _severe_symptom,
    _elevated_blood_pressure,
    _blood_pressure_rise,
    _abnormal_heart_rate,
    _persistent_perceptual,
    _mood_dip,
    _persistent_symptom,
    _worsening,
    _misuse_signal,
    _urinary_toxicity,
)


def _order(finding: Finding) -> tuple[int, str]:
    return (-rank(finding.priority), finding.rule)


def evaluate(report: ReportFacts, context: PatientContext, thresholds: Thresholds = DEFAULTS) -> list[Finding]:
    """Run every per-report rule; one finding per rule that fired, critical first, then by rule id."""
    facts = _facts(report, context, thresholds)
    findings = [finding for rule in _PER_REPORT if (finding := rule(facts)) is not None]
    return sorted(findings, key=_order)


def evaluate_unresponsive(
    *,
    consecutive_missed: int,
    context_open_priorities: tuple[Priority, ...],
    last_due_at: datetime,
    time_zone: str,
    thresholds: Thresholds = DEFAULTS,
) -> Finding | None:
    """The time-based unresponsive rule: medium, or high when the patient already has an open high/critical flag.

    context_open_priorities should not include the patient's open unresponsive flag itself.
    """
    if last_due_at.tzinfo is None or last_due_at.utcoffset() is None:
        raise ValueError("last_due_at must be a timezone-aware datetime")
    if consecutive_missed < thresholds.unresponsive_missed:
        return None
    tz_name, tz = w.zone(time_zone)
    open_high = [Priority(p) for p in context_open_priorities if rank(p) >= rank(Priority.HIGH)]
    priority = Priority.HIGH if open_high else Priority.MEDIUM
    reason = (
        f"{consecutive_missed} check-ins missed in a row, the last due at {w.clock_and_day(last_due_at, tz)}"
        f" — threshold {thresholds.unresponsive_missed}"
    )
    if open_high:
        worst = max(open_high, key=rank)
        reason += f"; raised to high because an open {worst} flag is waiting"
    rule = REGISTRY["unresponsive"]
    evidence = {
        "consecutive_missed": consecutive_missed,
        "threshold": thresholds.unresponsive_missed,
        "last_due_at": last_due_at.astimezone(UTC).isoformat(),
        "local_time": w.clock(last_due_at, tz),
        "time_zone": tz_name,
        "open_priorities": sorted({str(Priority(p)) for p in context_open_priorities}, key=lambda p: -rank(p)),
    }
    return Finding(rule.id, rule.version, priority, w.sentence(reason), evidence)
