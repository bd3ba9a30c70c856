"""The pure rules engine: a report's facts in, findings out (no Flask, no database, no clock).

Imports nothing from the service but the vocabulary (tests/rules/test_purity.py checks it).
"""

from service.rules.crisis import CrisisReading, crisis_phrases, read_text
from service.rules.engine import REGISTRY, RULES, Rule, evaluate, evaluate_unresponsive
from service.rules.facts import (
    Finding,
    InfusionFacts,
    PatientContext,
    Priority,
    PriorReport,
    ReportFacts,
    SymptomObs,
    highest,
    rank,
)
from service.rules.thresholds import THRESHOLD_KEYS, Thresholds, thresholds_problems

__all__ = [
    "REGISTRY",
    "RULES",
    "THRESHOLD_KEYS",
    "CrisisReading",
    "Finding",
    "InfusionFacts",
    "PatientContext",
    "PriorReport",
    "Priority",
    "ReportFacts",
    "Rule",
    "SymptomObs",
    "Thresholds",
    "crisis_phrases",
    "evaluate",
    "evaluate_unresponsive",
    "highest",
    "rank",
    "read_text",
    "thresholds_problems",
]
