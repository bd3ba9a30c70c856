"""How findings read: local clock times, elapsed time, symptom phrases — one sentence a nurse reads in five seconds."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache

from service.vocabulary import BY_CODE, MAX_SEVERITY, SEVERITY_SCALE

ROUTE_LABELS: dict[str, str] = {"iv": "IV", "intranasal": "intranasal", "intramuscular": "IM"}
_SEVERITY_WORDS: dict[int, str] = {value: word.lower() for value, word in SEVERITY_SCALE}
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_SHORT_NAMES = {"other": "other symptom"}


@lru_cache(maxsize=256)
def zone(name: str | None) -> tuple[str, tzinfo]:
    """The zone's name and tzinfo; UTC when the name is empty or unknown (triage must never fail on it)."""
    if name:
        try:
            return name, zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            pass
    return "UTC", UTC


def clock(moment: datetime, tz: tzinfo) -> str:
    """Local wall-clock time as HH:MM."""
    return moment.astimezone(tz).strftime("%H:%M")


def clock_and_day(moment: datetime, tz: tzinfo, *, same_day_as: datetime | None = None) -> str:
    """ "HH:MM on 8 Mar" — just "HH:MM" when it is the same local date as same_day_as."""
    local = moment.astimezone(tz)
    if same_day_as is not None and same_day_as.astimezone(tz).date() == local.date():
        return local.strftime("%H:%M")
    return f"{local:%H:%M} on {local.day} {_MONTHS[local.month - 1]}"


def elapsed(delta: timedelta) -> str:
    """A duration as a nurse says it: "40 min", "26 h", "9 days" (rounded down)."""
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes // 60
    if hours < 72:
        return f"{hours} h"
    return f"{hours // 24} days"


def hours(delta: timedelta) -> float:
    """A duration in hours, one decimal (for evidence)."""
    return round(delta.total_seconds() / 3600, 1)


def route_label(route: str) -> str:
    """IV / intranasal / IM."""
    return ROUTE_LABELS.get(route, route)


def symptom_name(code: str) -> str:
    """A short lower-case name for a symptom code ("blurred vision", "other symptom")."""
    return _SHORT_NAMES.get(code, code.replace("_", " "))


def severity_word(severity: int) -> str:
    """ "mild", "moderate", "severe", "very severe"."""
    return _SEVERITY_WORDS.get(severity, "severity")


def symptom_phrase(code: str, severity: int, extra: str | None = None) -> str:
    """ "severe nausea (3/4)", or "moderate nausea (2/4; usually settles within 24 h)" with an extra."""
    detail = f"{severity}/{MAX_SEVERITY}" + (f"; {extra}" if extra else "")
    return f"{severity_word(severity)} {symptom_name(code)} ({detail})"


def join(items: list[str], *, limit: int = 3) -> str:
    """ "a", "a and b", "a, b and c", "a, b, c and 2 more"."""
    if len(items) > limit:
        items = [*items[:limit], f"{len(items) - limit} more"]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def sentence(text: str) -> str:
    """Capitalise the first letter and end with exactly one period; never a line break."""
    text = " ".join(text.split()).rstrip(".")
    return text[:1].upper() + text[1:] + "."


def known_window(code: str) -> int | None:
    """The vocabulary's expected window in hours, or None for an unknown code."""
    entry = BY_CODE.get(code)
    return entry.expected_window_hours if entry else None
