"""Small checks shared by several use cases."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

from service.errors import ValidationFailed

ADULT_AGE = 18


# Names the tz database ships that are not places: the host's own zone file and legacy aliases.
_NOT_PLACES = {"localtime", "posixrules", "Factory"}


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(
        name
        for name in zoneinfo.available_timezones()
        if name not in _NOT_PLACES and not name.startswith(("posix/", "right/"))
    )


def check_time_zone(name: str, *, field: str = "time_zone") -> str:
    """Return the zone name when it is a real IANA zone; 422 otherwise."""
    if name not in _zones():
        raise ValidationFailed(f"'{name}' is not an IANA time zone (for example 'America/New_York').", field=field)
    return name


def age_on(date_of_birth: date, day: date) -> int:
    """Whole years of age on a given day."""
    years = day.year - date_of_birth.year
    if (day.month, day.day) < (date_of_birth.month, date_of_birth.day):
        years -= 1
    return years


def check_adult(date_of_birth: date, *, now: datetime, field: str = "date_of_birth") -> date:
    """Patients must be adults (18+) and born in the past."""
    today = now.date()
    if date_of_birth > today:
        raise ValidationFailed("Date of birth cannot be in the future.", field=field)
    if age_on(date_of_birth, today) < ADULT_AGE:
        raise ValidationFailed("Patients must be at least 18 years old.", field=field)
    if age_on(date_of_birth, today) > 130:
        raise ValidationFailed("Date of birth is implausibly far in the past.", field=field)
    return date_of_birth


def range_bounds(since, until, *, time_zone: str, field: str = "to") -> tuple[datetime | None, datetime | None]:
    """A [since, until) range of instants from dates (whole days in the zone) or aware timestamps."""

    def start_of(day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=zoneinfo.ZoneInfo(time_zone)).astimezone(UTC)

    lower = start_of(since) if isinstance(since, date) and not isinstance(since, datetime) else since
    upper = until
    if isinstance(until, date) and not isinstance(until, datetime):
        upper = start_of(until + timedelta(days=1))
    if lower is not None and upper is not None and upper <= lower:
        raise ValidationFailed("The range ends before it starts.", field=field, location="query")
    return lower, upper
