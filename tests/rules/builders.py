"""Small builders for rule facts: one infusion that ended at END (UTC), reports so many hours later."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from service.rules import (
    Finding,
    InfusionFacts,
    PatientContext,
    PriorReport,
    ReportFacts,
    SymptomObs,
    Thresholds,
    evaluate,
)

END = datetime(2025, 6, 2, 14, 0, tzinfo=UTC)  # the infusion ended at 14:00 UTC
_DEFAULT = object()


def infusion(*, route: str = "iv", ended_at=END, pre_systolic=None, pre_diastolic=None) -> InfusionFacts:
    started = (ended_at or END) - timedelta(minutes=50)
    return InfusionFacts(started, ended_at, route, pre_systolic, pre_diastolic)


def symptoms(**severities: int) -> tuple[SymptomObs, ...]:
    return tuple(SymptomObs(code, severity) for code, severity in severities.items())


def report(hours: float = 3, **fields) -> ReportFacts:
    """A report observed `hours` after END."""
    return ReportFacts(observed_at=END + timedelta(hours=hours), **fields)


def context(*, infusion_facts=_DEFAULT, **fields) -> PatientContext:
    """A patient in UTC linked to the default IV infusion unless told otherwise."""
    return PatientContext(infusion=infusion() if infusion_facts is _DEFAULT else infusion_facts, **fields)


def prior(hours: float, **severities: int) -> PriorReport:
    """An earlier report observed `hours` after END (negative: before it)."""
    return PriorReport(END + timedelta(hours=hours), symptoms(**severities))


def findings(
    rep: ReportFacts, ctx: PatientContext | None = None, thresholds: Thresholds | None = None
) -> list[Finding]:
    return evaluate(rep, ctx if ctx is not None else context(), thresholds or Thresholds())


def fired(rep: ReportFacts, ctx: PatientContext | None = None, thresholds: Thresholds | None = None) -> set[str]:
    return {f.rule for f in findings(rep, ctx, thresholds)}


def find(rule: str, rep: ReportFacts, ctx: PatientContext | None = None, thresholds=None) -> Finding | None:
    return next((f for f in findings(rep, ctx, thresholds) if f.rule == rule), None)
