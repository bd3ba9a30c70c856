"""Per-clinic rule thresholds: the SPEC defaults, reading them from settings, and checking an admin's edit."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from service.vocabulary import MAX_SEVERITY


@dataclass(frozen=True)
class Thresholds:
    """Every number a rule compares against. Defaults are the SPEC table's."""

    # Blood pressure (mmHg) and heart rate (beats/min). "≥" comparisons except hr_low ("<").
    crisis_systolic: int = 180
    crisis_diastolic: int = 120
    elevated_systolic: int = 160
    elevated_diastolic: int = 100
    rise_systolic: int = 40
    rise_diastolic: int = 25
    hr_high: int = 120
    hr_low: int = 45
    # Perceptual effects (dissociation, hallucinations, confusion) flagged when seen more than this after the infusion.
    perceptual_after_hours: int = 24
    # Mood: PHQ-9 total up by phq9_rise over baseline, or at least phq9_severe; mood down by mood_drop from baseline.
    phq9_rise: int = 5
    phq9_severe: int = 20
    mood_drop: int = 3
    mood_window_days: int = 14
    # A symptom at persistent_min_severity or worse seen beyond persistent_window_factor times its expected window.
    persistent_min_severity: int = 2
    persistent_window_factor: int = 2
    # A symptom's severity up by worsening_rise on the previous report of it within worsening_window_days.
    worsening_rise: int = 2
    worsening_window_days: int = 7
    craving_min_severity: int = 2
    bladder_min_severity: int = 2
    severe_severity: int = 3
    very_severe_severity: int = 4
    unresponsive_missed: int = 2

    @classmethod
    def from_settings(cls, settings: dict[str, Any] | None) -> Thresholds:
        """Thresholds from a clinic's settings: missing keys take defaults, unknown keys are ignored.

        A value that is not a whole number (possible only if it bypassed thresholds_problems) also
        falls back to its default, so a bad setting can never stop a report from being triaged.
        """
        if not settings:
            return cls()
        values = {name: settings[name] for name in THRESHOLD_KEYS if name in settings and _is_int(settings[name])}
        return cls(**values)

    def to_settings(self) -> dict[str, int]:
        """All thresholds as a plain dict (the inverse of from_settings)."""
        return asdict(self)


THRESHOLD_KEYS: tuple[str, ...] = tuple(f.name for f in fields(Thresholds))
DEFAULTS = Thresholds()

_SEVERITY = (1, MAX_SEVERITY)
_SEVERITY_LOW = "would fire for symptoms rated none (0)"
_SEVERITY_HIGH = "would never fire (severity stops at 4, very severe)"
_ORDINARY_CRISIS = "would call ordinary readings a crisis"

# key -> (lowest sane, highest sane, why below, why above). Vitals outside the API's plausible
# ranges (systolic 50-300, diastolic 30-200, heart rate 20-250) are rejected before the engine
# sees them, so a threshold beyond them would never fire.
_RANGES: dict[str, tuple[int, int, str, str]] = {
    "crisis_systolic": (140, 300, _ORDINARY_CRISIS, "would never fire (systolic above 300 is rejected)"),
    "crisis_diastolic": (90, 200, _ORDINARY_CRISIS, "would never fire (diastolic above 200 is rejected)"),
    "elevated_systolic": (120, 300, "would flag normal readings", "would never fire (systolic above 300 is rejected)"),
    "elevated_diastolic": (70, 200, "would flag normal readings", "would never fire (diastolic above 200 is rejected)"),
    "rise_systolic": (5, 150, "would fire on almost any reading", "would never fire in practice"),
    "rise_diastolic": (5, 100, "would fire on almost any reading", "would never fire in practice"),
    "hr_high": (60, 250, "would flag a normal heart rate", "would never fire (heart rate above 250 is rejected)"),
    "hr_low": (21, 100, "would never fire (heart rate below 20 is rejected)", "would flag a normal heart rate"),
    "perceptual_after_hours": (1, 336, "would flag every perceptual effect after the infusion", "is more than 14 days"),
    "phq9_rise": (1, 27, "would fire at the patient's own baseline", "would never fire (PHQ-9 totals run 0 to 27)"),
    "phq9_severe": (5, 27, "would fire for almost every patient", "would never fire (PHQ-9 totals run 0 to 27)"),
    "mood_drop": (1, 10, "would fire at the patient's own baseline", "would never fire (mood runs 0 to 10)"),
    "mood_window_days": (1, 90, "is less than a day", "is more than 90 days"),
    "persistent_min_severity": (*_SEVERITY, _SEVERITY_LOW, _SEVERITY_HIGH),
    "persistent_window_factor": (1, 10, "would flag symptoms inside their expected window", "is more than 10 windows"),
    "worsening_rise": (1, MAX_SEVERITY, "would fire when nothing got worse", "would never fire (severity runs 0 to 4)"),
    "worsening_window_days": (1, 30, "is less than a day", "is more than 30 days (older reports are rejected)"),
    "craving_min_severity": (*_SEVERITY, _SEVERITY_LOW, _SEVERITY_HIGH),
    "bladder_min_severity": (*_SEVERITY, _SEVERITY_LOW, _SEVERITY_HIGH),
    "severe_severity": (*_SEVERITY, _SEVERITY_LOW, _SEVERITY_HIGH),
    "very_severe_severity": (*_SEVERITY, _SEVERITY_LOW, _SEVERITY_HIGH),
    "unresponsive_missed": (1, 10, "would fire without a missed check-in", "is more than 10 check-ins"),
}
assert set(_RANGES) == set(THRESHOLD_KEYS)

# (lower key, higher key, why): the lower must stay strictly below the higher.
_ORDER: tuple[tuple[str, str, str], ...] = (
    ("elevated_systolic", "crisis_systolic", "elevated-blood-pressure would never fire on systolic"),
    ("elevated_diastolic", "crisis_diastolic", "elevated-blood-pressure would never fire on diastolic"),
    ("hr_low", "hr_high", "every heart rate would be abnormal"),
    ("severe_severity", "very_severe_severity", "severe-symptom would never fire"),
)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def thresholds_problems(
    settings: dict[str, Any], *, current: Thresholds | None = None, allow_unknown: bool = True
) -> dict[str, str]:
    """Why each threshold in an admin's edit is wrong, per key; an empty dict when all are fine.

    For the cross-field checks (a low bound must stay below its high bound) keys not given keep
    their value in `current` (the clinic's thresholds before the edit; default: the SPEC's).
    Unknown keys are ignored unless allow_unknown is False.
    """
    problems: dict[str, str] = {}
    if not isinstance(settings, dict):
        return {"_schema": "must be an object of threshold names to whole numbers"}
    if not allow_unknown:
        for key in settings:
            if key not in _RANGES:
                problems[str(key)] = "is not a known threshold"
    for key, (low, high, why_low, why_high) in _RANGES.items():
        if key not in settings:
            continue
        value = settings[key]
        if not _is_int(value):
            problems[key] = "must be a whole number"
        elif value < low:
            problems[key] = f"must be between {low} and {high}; {value} {why_low}"
        elif value > high:
            problems[key] = f"must be between {low} and {high}; {value} {why_high}"
    base = current or DEFAULTS
    merged = {key: settings.get(key, getattr(base, key)) for key in THRESHOLD_KEYS}
    for lower, upper, why in _ORDER:
        if lower in problems or upper in problems or not (_is_int(merged[lower]) and _is_int(merged[upper])):
            continue
        if merged[lower] >= merged[upper]:
            message = f"{lower} ({merged[lower]}) must be below {upper} ({merged[upper]}), otherwise {why}"
            for key in (lower, upper):
                if key in settings:
                    problems[key] = message
    return problems
