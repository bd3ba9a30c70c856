"""A patient's course in one list: infusions, reports, flags and check-ins (the console and the API share it)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.domain import checkins, safety_screens
from service.enums import ROUTE_LABELS, CheckinStatus, Route
from service.errors import ValidationFailed
from service.models import Checkin, Flag, Infusion, Patient, Report, ReportSymptom
from service.rules.wording import symptom_name

DEFAULT_WINDOW = timedelta(days=60)
MAX_WINDOW = timedelta(days=366)
KINDS = ("infusion", "report", "flag", "checkin")


def window(*, since: datetime | None, until: datetime | None, now: datetime) -> tuple[datetime, datetime]:
    """The time window asked for, defaulting to the last 60 days; at most a year, never backwards."""
    until = until or now
    since = since or until - DEFAULT_WINDOW
    if since >= until:
        raise ValidationFailed("since must be before until.", field="since", location="query")
    if until - since > MAX_WINDOW:
        raise ValidationFailed("Ask for at most 366 days at a time.", field="since", location="query")
    return since, until


def _dose(infusion: Infusion) -> str:
    parts = []
    if infusion.dose_mg is not None:
        parts.append(f"{infusion.dose_mg:g} mg")
    if infusion.dose_mg_per_kg is not None:
        parts.append(f"{infusion.dose_mg_per_kg:g} mg/kg")
    return " (".join(parts) + (")" if len(parts) == 2 else "")


def infusion_summary(infusion: Infusion) -> str:
    """ "IV infusion, 35 mg (0.5 mg/kg), induction"."""
    dose = _dose(infusion)
    route = ROUTE_LABELS.get(Route(infusion.route), str(infusion.route))
    return ", ".join(part for part in (f"{route} infusion", dose, str(infusion.phase)) if part)


def _report_summary(report: Report, symptoms: list[dict]) -> str:
    parts = []
    if symptoms:
        parts.append(", ".join(f"{symptom_name(s['code'])} {s['severity']}/4" for s in symptoms))
    if report.suicidal_thoughts:
        parts.append("suicidal thoughts: yes")
    if report.mood is not None:
        parts.append(f"mood {report.mood}/10")
    if report.phq9_total is not None:
        parts.append(f"PHQ-9 {report.phq9_total}")
    if report.systolic is not None:
        parts.append(f"BP {report.systolic}/{report.diastolic}")
    if report.heart_rate is not None:
        parts.append(f"HR {report.heart_rate}")
    return " · ".join(parts) or "no symptoms reported"


def cumulative_doses(infusions: list) -> tuple[dict, dict]:
    """Running totals over a patient's infusions (any objects with id, started_at, dose_mg, dose_mg_per_kg),
    oldest first: for each infusion the infusions and dose received up to and including it, and the totals.

    mg and mg/kg are summed over the infusions that recorded them; an infusion without a figure adds nothing
    to that sum and is counted in ``without_mg`` / ``without_mg_per_kg``, so a total is never read as
    complete when it is not. A sum is null until some infusion recorded that figure."""
    running: dict = {}
    count, mg, per_kg, without_mg, without_per_kg = 0, None, None, 0, 0
    ordered = sorted(infusions, key=lambda i: (i.started_at, str(i.id)))
    for infusion in ordered:
        count += 1
        if infusion.dose_mg is None:
            without_mg += 1
        else:
            mg = round((mg or 0.0) + float(infusion.dose_mg), 3)
        if infusion.dose_mg_per_kg is None:
            without_per_kg += 1
        else:
            per_kg = round((per_kg or 0.0) + float(infusion.dose_mg_per_kg), 3)
        running[infusion.id] = {
            "cumulative_infusions": count,
            "cumulative_dose_mg": mg,
            "cumulative_dose_mg_per_kg": per_kg,
        }
    summary = {
        "infusions": count,
        "dose_mg": mg,
        "dose_mg_per_kg": per_kg,
        "without_mg": without_mg,
        "without_mg_per_kg": without_per_kg,
        "first_infusion_at": ordered[0].started_at if ordered else None,
        "last_infusion_at": ordered[-1].started_at if ordered else None,
    }
    return running, summary


def long_term(session: Session, *, patient_id: uuid.UUID, until: datetime) -> tuple[dict, dict]:
    """The patient's cumulative infusions and dose over their whole history up to ``until`` (not only the
    window shown): one query."""
    rows = session.execute(
        select(Infusion.id, Infusion.started_at, Infusion.dose_mg, Infusion.dose_mg_per_kg).where(
            Infusion.patient_id == patient_id, Infusion.started_at < until
        )
    ).all()
    return cumulative_doses(rows)


NO_RUNNING = {"cumulative_infusions": None, "cumulative_dose_mg": None, "cumulative_dose_mg_per_kg": None}


def _infusion_entry(infusion: Infusion, running: dict | None = None) -> dict:
    return {
        "kind": "infusion",
        "at": infusion.started_at,
        "id": infusion.id,
        "summary": infusion_summary(infusion),
        "infusion": {
            "started_at": infusion.started_at,
            "ended_at": infusion.ended_at,
            "route": str(infusion.route),
            "phase": str(infusion.phase),
            "dose_mg": infusion.dose_mg,
            "dose_mg_per_kg": infusion.dose_mg_per_kg,
            **(running or NO_RUNNING),
        },
    }


def _report_entry(report: Report, symptoms: list[dict], screen_risk: str | None = None) -> dict:
    vitals = None
    if report.systolic is not None or report.heart_rate is not None:
        vitals = {"systolic": report.systolic, "diastolic": report.diastolic, "heart_rate": report.heart_rate}
    return {
        "kind": "report",
        "at": report.observed_at,
        "id": report.id,
        "summary": _report_summary(report, symptoms),
        "report": {
            "observed_at": report.observed_at,
            "symptoms": symptoms,
            "mood": report.mood,
            "phq9_total": report.phq9_total,
            "suicidal_thoughts": report.suicidal_thoughts,
            "vitals": vitals,
            "note": report.note,
            "flagged": report.flagged,
            "priority": report.triage_priority,
            "crisis": report.crisis,
            "rules": list(report.triage_rules or ()),
            "safety_screen_risk": screen_risk,
            "amends_id": report.amends_id,
            "reviewed_at": report.reviewed_at,
        },
    }


def _flag_entry(flag: Flag) -> dict:
    return {
        "kind": "flag",
        "at": flag.created_at,
        "id": flag.id,
        "summary": f"{str(flag.priority).capitalize()} flag ({flag.status}): {flag.reason}",
        "flag": {
            "rule": flag.rule,
            "priority": str(flag.priority),
            "status": str(flag.status),
            "reason": flag.reason,
            "due_by": flag.due_by,
            "resolved_at": flag.resolved_at,
            "resolution": str(flag.resolution) if flag.resolution else None,
        },
    }


LONG_TERM_LABEL = "quarterly long-term"


def _kind_label(kind: str) -> str:
    return LONG_TERM_LABEL if kind == checkins.LONG_TERM else kind


def _checkin_entry(checkin: Checkin) -> dict:
    return {
        "kind": "checkin",
        "at": checkin.due_at,
        "id": checkin.id,
        "summary": f"{_kind_label(checkin.kind)} check-in: {checkin.status}",
        "checkin": {
            "kind": checkin.kind,
            "due_at": checkin.due_at,
            "status": str(checkin.status),
            "asks_phq9": checkin.asks_phq9,
            "answered_at": checkin.answered_at,
        },
    }


def patient_timeline(
    session: Session, *, patient: Patient, since: datetime, until: datetime, cumulative: dict | None = None
) -> list[dict]:
    """Everything that happened to a patient in [since, until), newest first (six queries, a seventh for the
    safety screens when a report carries a crisis signal; none per row). Each infusion carries the patient's
    cumulative infusions and dose up to it (``cumulative``: the first half of long_term(), if already read)."""
    pid = patient.id
    if cumulative is None:
        cumulative, _ = long_term(session, patient_id=pid, until=until)
    infusions = session.scalars(
        select(Infusion).where(Infusion.patient_id == pid, Infusion.started_at >= since, Infusion.started_at < until)
    )
    reports = list(
        session.scalars(
            select(Report).where(Report.patient_id == pid, Report.observed_at >= since, Report.observed_at < until)
        )
    )
    symptoms: dict[uuid.UUID, list[dict]] = {r.id: [] for r in reports}
    if reports:
        for row in session.scalars(
            select(ReportSymptom)
            .where(ReportSymptom.report_id.in_(list(symptoms)))
            .order_by(ReportSymptom.severity.desc(), ReportSymptom.code)
        ):
            symptoms[row.report_id].append({"code": row.code, "severity": row.severity, "note": row.note})
    screens = safety_screens.screens_of(session, [r.id for r in reports if r.crisis])
    flags = session.scalars(
        select(Flag).where(Flag.patient_id == pid, Flag.created_at >= since, Flag.created_at < until)
    )
    checkins = session.scalars(
        select(Checkin).where(
            Checkin.patient_id == pid,
            Checkin.due_at >= since,
            Checkin.due_at < until,
            Checkin.status != CheckinStatus.SCHEDULED,
        )
    )
    entries = [
        *(_infusion_entry(i, cumulative.get(i.id)) for i in infusions),
        *(_report_entry(r, symptoms[r.id], str(screens[r.id].risk) if r.id in screens else None) for r in reports),
        *(_flag_entry(f) for f in flags),
        *(_checkin_entry(c) for c in checkins),
    ]
    entries.sort(key=lambda e: (e["at"], KINDS.index(e["kind"]), str(e["id"])), reverse=True)
    return entries


def checkins_of(session: Session, *, patient_id: uuid.UUID, limit: int = 50) -> list[Checkin]:
    """A patient's check-ins around now: the latest by due time first (upcoming ones included)."""
    return list(
        session.scalars(
            select(Checkin)
            .where(Checkin.patient_id == patient_id)
            .order_by(Checkin.due_at.desc(), Checkin.id)
            .limit(limit)
        )
    )


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


CRISIS_VITALS_RULES = frozenset({"hypertensive-crisis"})
URGENT = ("critical", "high")


def crisis_first(entries: list[dict], *, active_flags: list) -> list[str]:
    """What must be said before any trend: the patient's open critical and high flags, most urgent first, and
    a latest report carrying suicidal thoughts, crisis words or crisis-level vitals. [] when there is none."""
    alerts = []
    urgent = [f for f in active_flags if str(f.priority) in URGENT]
    for priority in URGENT:
        mine = [f for f in urgent if str(f.priority) == priority]
        if mine:
            what = "; ".join(f.reason.rstrip(".") for f in mine)
            alerts.append(f"{len(mine)} {priority} flag{'s' if len(mine) != 1 else ''} open: {what}.")
    reports = [e for e in entries if e["kind"] == "report"]
    if reports:
        latest = reports[0]["report"]  # entries are newest first
        said = []
        if latest.get("suicidal_thoughts"):
            said.append("suicidal thoughts")
        elif latest.get("crisis"):
            said.append("crisis language")
        if CRISIS_VITALS_RULES & set(latest.get("rules") or ()):
            vitals = latest.get("vitals") or {}
            said.append(f"crisis-level blood pressure {vitals.get('systolic')}/{vitals.get('diastolic')}")
        if said:
            alerts.append(f"The latest report carries {' and '.join(said)}.")
    return alerts


def course_trend(entries: list[dict], *, now: datetime, days: int = 7, active_flags: list = ()) -> dict:
    """Whether the patient is settling or getting worse: the last `days` of reports against the `days` before.

    The crisis comes first: with a critical or high flag open, or a latest report carrying suicidal
    thoughts, crisis words or crisis-level vitals, the verdict is "needs attention" and ``alerts`` says
    what is open, whatever the averages say. Otherwise it compares the mean of each report's worst symptom
    severity and the mean mood, and the latest PHQ-9 against the first in the timeline. Returns the
    numbers, one sentence each, and a verdict: "needs attention", "settling", "worse", "mixed", "steady"
    or "too little data".
    """
    alerts = crisis_first(entries, active_flags=list(active_flags))
    reports = [e for e in entries if e["kind"] == "report"]
    # Measured back from the latest report, so a patient who has gone quiet still shows a direction.
    anchor = max((e["at"] for e in reports), default=now)
    recent_from, earlier_from = anchor - timedelta(days=days), anchor - timedelta(days=2 * days)
    recent = [e["report"] for e in reports if e["at"] >= recent_from]
    earlier = [e["report"] for e in reports if earlier_from <= e["at"] < recent_from]

    def worst(rows):
        return _mean([max((s["severity"] for s in r["symptoms"]), default=0) for r in rows])

    def mood(rows):
        return _mean([r["mood"] for r in rows if r["mood"] is not None])

    phq9 = [(e["at"], e["report"]["phq9_total"]) for e in reports if e["report"]["phq9_total"] is not None]
    phq9.sort()
    signals: list[int] = []
    sentences: list[str] = []
    sev_now, sev_before = worst(recent), worst(earlier)
    if sev_now is not None and sev_before is not None:
        change = sev_now - sev_before
        word = "milder" if change <= -0.5 else "worse" if change >= 0.5 else "about the same"
        signals.append(-1 if word == "worse" else 1 if word == "milder" else 0)
        sentences.append(f"Symptoms {word}: worst severity averages {sev_now:.1f} vs {sev_before:.1f} the week before.")
    mood_now, mood_before = mood(recent), mood(earlier)
    if mood_now is not None and mood_before is not None:
        change = mood_now - mood_before
        word = "better" if change >= 1 else "lower" if change <= -1 else "about the same"
        signals.append(1 if word == "better" else -1 if word == "lower" else 0)
        sentences.append(f"Mood {word}: {mood_now:.1f}/10 vs {mood_before:.1f}/10 the week before.")
    if len(phq9) >= 2:
        first, last = phq9[0][1], phq9[-1][1]
        change = last - first
        word = "down" if change <= -3 else "up" if change >= 3 else "about the same"
        signals.append(1 if word == "down" else -1 if word == "up" else 0)
        sentences.append(f"PHQ-9 {word}: {last} now vs {first} at the start of this view.")
    if alerts:
        verdict = "needs attention"
    elif not signals:
        verdict = "too little data"
    elif all(s >= 0 for s in signals) and any(s > 0 for s in signals):
        verdict = "settling"
    elif all(s <= 0 for s in signals) and any(s < 0 for s in signals):
        verdict = "worse"
    elif all(s == 0 for s in signals):
        verdict = "steady"
    else:
        verdict = "mixed"
    last_report = reports[0]["at"] if reports else None
    return {
        "verdict": verdict,
        "alerts": alerts,
        "stale": last_report is not None and now - last_report > timedelta(days=3),
        "sentences": sentences,
        "worst_severity": (sev_now, sev_before),
        "mood": (mood_now, mood_before),
        "phq9": phq9,
        "last_report_at": last_report,
    }
