"""The facts the rules engine reads and the findings it returns: plain frozen values, no I/O.

The caller (a domain use case or a job) builds these from the database; the engine never
reads a clock or a row. Every datetime must be timezone-aware.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Priority(StrEnum):
    """How fast a clinician must look at a flag (critical 15 min, high 4 h, medium 24 h, low 72 h)."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        """Larger is more urgent: critical 4 … low 1."""
        return _RANKS[self]


_RANKS: dict[Priority, int] = {Priority.LOW: 1, Priority.MEDIUM: 2, Priority.HIGH: 3, Priority.CRITICAL: 4}


def rank(priority: Priority | str) -> int:
    """The ordering rank of a priority (critical 4, high 3, medium 2, low 1); accepts its string value."""
    return _RANKS[Priority(priority)]


def highest(priorities: Iterable[Priority | str]) -> Priority | None:
    """The most urgent of some priorities, or None when there are none."""
    best: Priority | None = None
    for value in priorities:
        p = Priority(value)
        if best is None or _RANKS[p] > _RANKS[best]:
            best = p
    return best


def _require_aware(name: str, value: datetime | None) -> None:
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise ValueError(f"{name} must be a timezone-aware datetime")


@dataclass(frozen=True)
class SymptomObs:
    """One symptom on a report: a vocabulary code and a PRO-CTCAE severity 0 to 4."""

    code: str
    severity: int
    note: str | None = None


@dataclass(frozen=True)
class ReportFacts:
    """What the patient sent in one report (validated by the API before it gets here)."""

    observed_at: datetime
    symptoms: tuple[SymptomObs, ...] = ()
    mood: int | None = None
    suicidal_thoughts: bool | None = None
    phq9: tuple[int, ...] | None = None
    ketamine_outside_clinic: bool | None = None  # the long-term check-in's question (a yes: misuse-signal)
    systolic: int | None = None
    diastolic: int | None = None
    heart_rate: int | None = None
    note: str | None = None

    def __post_init__(self) -> None:
        _require_aware("observed_at", self.observed_at)
        object.__setattr__(self, "symptoms", tuple(self.symptoms))
        if self.phq9 is not None:
            object.__setattr__(self, "phq9", tuple(self.phq9))


@dataclass(frozen=True)
class InfusionFacts:
    """The infusion a report is linked to; route is "iv", "intranasal" or "intramuscular"."""

    started_at: datetime
    ended_at: datetime | None
    route: str
    pre_systolic: int | None = None
    pre_diastolic: int | None = None

    def __post_init__(self) -> None:
        _require_aware("started_at", self.started_at)
        _require_aware("ended_at", self.ended_at)


@dataclass(frozen=True)
class PriorReport:
    """One of the patient's earlier reports, as far as the worsening rule needs it."""

    observed_at: datetime
    symptoms: tuple[SymptomObs, ...]

    def __post_init__(self) -> None:
        _require_aware("observed_at", self.observed_at)
        object.__setattr__(self, "symptoms", tuple(self.symptoms))


@dataclass(frozen=True)
class PatientContext:
    """What the engine knows about the patient beyond the report itself.

    infusion: the infusion the report is linked to (by default the latest that ended before
    observed_at). recent_reports: earlier reports, newest first; the engine applies its own
    7-day window and ignores reports not strictly before observed_at. open_flag_priorities:
    priorities of the patient's open flags (informational; per-report rules do not use it).
    """

    time_zone: str = "UTC"
    phq9_baseline: int | None = None
    mood_baseline: int | None = None
    infusion: InfusionFacts | None = None
    recent_reports: tuple[PriorReport, ...] = ()
    open_flag_priorities: tuple[Priority, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "recent_reports", tuple(self.recent_reports))
        object.__setattr__(self, "open_flag_priorities", tuple(Priority(p) for p in self.open_flag_priorities))


@dataclass(frozen=True)
class Finding:
    """One rule that fired: which (id and version), how urgent, why in one sentence, and the values.

    evidence holds JSON values only (ints, floats, strings, ISO timestamps, lists and dicts of them)
    and never free text from the patient other than a matched crisis phrase.
    """

    rule: str
    version: int
    priority: Priority
    reason: str
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy."""
        return {
            "rule": self.rule,
            "version": self.version,
            "priority": str(self.priority),
            "reason": self.reason,
            "evidence": self.evidence,
        }
