"""How the console writes times, durations and priorities (Jinja filters)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import g

from service.clock import now_utc
from service.enums import ROUTE_LABELS, Route
from service.rules.wording import elapsed

PRIORITY_LABELS = {"critical": "Critical", "high": "High", "medium": "Medium", "low": "Low"}
# A shape as well as a colour, so priority never rests on colour alone.
PRIORITY_MARKS = {"critical": "▲▲", "high": "▲", "medium": "●", "low": "○"}
STATUS_LABELS = {"open": "Open", "acknowledged": "Acknowledged", "resolved": "Resolved"}
RESOLUTION_LABELS = {
    "contacted_patient": "Contacted the patient",
    "advised_emergency_care": "Advised emergency care",
    "adjusted_treatment": "Adjusted treatment",
    "no_action_needed": "No action needed",
    "duplicate": "Duplicate of another flag",
}
SEVERITY_WORDS = {0: "none", 1: "mild", 2: "moderate", 3: "severe", 4: "very severe"}
# Adverse events: CTCAE grades, ICH E2A seriousness, WHO-UMC causality, what was done, outcome (the API's values).
GRADE_LABELS = {1: "Mild", 2: "Moderate", 3: "Severe", 4: "Life-threatening or disabling", 5: "Death"}
SERIOUSNESS_LABELS = {
    "death": "Death",
    "life_threatening": "Life-threatening",
    "hospitalization": "Hospitalization (initial or prolonged)",
    "disability": "Persistent or significant disability",
    "congenital_anomaly": "Congenital anomaly",
    "medically_important": "Other medically important event",
}
CAUSALITY_LABELS = {
    "certain": "Certain",
    "probable": "Probable / likely",
    "possible": "Possible",
    "unlikely": "Unlikely",
    "conditional": "Conditional / unclassified",
    "unassessable": "Unassessable / unclassifiable",
}
ACTION_LABELS = {
    "none": "No change to the treatment",
    "dose_reduced": "Dose reduced",
    "infusion_interrupted": "Infusion interrupted",
    "treatment_discontinued": "Treatment discontinued",
    "unknown": "Unknown",
}
OUTCOME_LABELS = {
    "recovered": "Recovered / resolved",
    "recovering": "Recovering / resolving",
    "not_recovered": "Not recovered / not resolved",
    "recovered_with_sequelae": "Recovered with sequelae",
    "fatal": "Fatal",
    "unknown": "Unknown",
}


def _zone() -> ZoneInfo:
    clinic = g.get("clinic")
    return ZoneInfo(clinic.time_zone if clinic is not None else "UTC")


def local(moment: datetime | None, zone: str | None = None) -> datetime | None:
    """A moment in the clinic's time zone (or the named one)."""
    if moment is None:
        return None
    return moment.astimezone(ZoneInfo(zone) if zone else _zone())


def when(moment: datetime | None, zone: str | None = None) -> str:
    """ "Tue 8 Mar 14:10" in the clinic's time zone (or the named one); today's times as "today 14:10"."""
    if moment is None:
        return "—"
    mine = local(moment, zone)
    today = now_utc().astimezone(mine.tzinfo).date()
    if mine.date() == today:
        return f"today {mine:%H:%M}"
    if mine.date() == today - timedelta(days=1):
        return f"yesterday {mine:%H:%M}"
    return f"{mine:%a} {mine.day} {mine:%b %H:%M}"


def iso(moment: datetime | None) -> str:
    """Machine-readable time for <time datetime=…>."""
    return moment.isoformat() if moment else ""


def time_left(due_by: datetime, now: datetime | None = None) -> str:
    """ "12 min left" or "overdue by 3 h"."""
    now = now or now_utc()
    if due_by >= now:
        return f"{elapsed(due_by - now)} left"
    return f"overdue by {elapsed(now - due_by)}"


def ago(moment: datetime | None, now: datetime | None = None) -> str:
    """ "40 min ago"."""
    if moment is None:
        return "—"
    return f"{elapsed(max(timedelta(0), (now or now_utc()) - moment))} ago"


def route(value: str | None) -> str:
    """IV / intranasal / IM."""
    if not value:
        return "—"
    return ROUTE_LABELS.get(Route(value), str(value))


def dose(infusion) -> str:
    """ "35 mg (0.5 mg/kg)"."""
    if infusion is None:
        return "—"
    parts = []
    if infusion.dose_mg is not None:
        parts.append(f"{infusion.dose_mg:g} mg")
    if infusion.dose_mg_per_kg is not None:
        parts.append(f"({infusion.dose_mg_per_kg:g} mg/kg)" if parts else f"{infusion.dose_mg_per_kg:g} mg/kg")
    return " ".join(parts) or "dose not recorded"


def evidence(value) -> str:
    """An evidence value as a nurse reads it: timestamps in clinic time, the rest as it is."""
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and "T" in value:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        if moment.tzinfo is not None:
            return when(moment)
    if value is None:
        return "—"
    return str(value)


def change_value(value) -> str:
    """A value in an adverse event's history (JSON: text, numbers, lists, ISO timestamps) as a reader reads it."""
    if value is None or value == []:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(change_value(v) for v in value)
    return evidence(value)


FILTERS = {
    "change_value": change_value,
    "evidence": evidence,
    "when": when,
    "iso": iso,
    "time_left": time_left,
    "ago": ago,
    "route": route,
    "dose": dose,
    "local": local,
    "priority_label": lambda p: PRIORITY_LABELS.get(str(p), str(p)),
    "priority_mark": lambda p: PRIORITY_MARKS.get(str(p), ""),
    "status_label": lambda s: STATUS_LABELS.get(str(s), str(s)),
    "resolution_label": lambda r: RESOLUTION_LABELS.get(str(r), str(r)) if r else "—",
    "severity_word": lambda s: SEVERITY_WORDS.get(s, str(s)),
    "grade_label": lambda g: GRADE_LABELS.get(g, str(g)),
    "seriousness_label": lambda c: SERIOUSNESS_LABELS.get(str(c), str(c)),
    "causality_label": lambda c: CAUSALITY_LABELS.get(str(c), str(c)) if c else "—",
    "action_label": lambda a: ACTION_LABELS.get(str(a), str(a)) if a else "—",
    "outcome_label": lambda o: OUTCOME_LABELS.get(str(o), str(o)) if o else "—",
}
