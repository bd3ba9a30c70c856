"""Quiet hours: when a patient must not be prompted, in their own time zone (pure; DST-aware)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

DEFAULT_START = time(21, 0)
DEFAULT_END = time(8, 0)


@lru_cache(maxsize=1024)
def zone(name: str) -> ZoneInfo:
    """The ZoneInfo of an IANA name (cached: the send job asks for the same few zones all day)."""
    return ZoneInfo(name)


@dataclass(frozen=True)
class QuietHours:
    """A daily window in local wall-clock time; it may wrap past midnight (21:00-08:00). start == end: none."""

    time_zone: str
    start: time = DEFAULT_START
    end: time = DEFAULT_END

    def _inside(self, local: time) -> bool:
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def contains(self, moment: datetime) -> bool:
        """Tell whether an aware moment falls inside the window, on the patient's wall clock."""
        return self._inside(moment.astimezone(zone(self.time_zone)).time())

    def next_allowed(self, moment: datetime) -> datetime:
        """The moment itself when outside quiet hours, else the UTC instant the window ends.

        Works on the wall clock, so the end is 08:00 local on both sides of a DST change; an end
        that falls in a spring-forward gap is read with the offset before the change (so it lands
        just after the gap, never before the moment).
        """
        if moment.tzinfo is None:
            raise ValueError("moment must be timezone-aware")
        tz = zone(self.time_zone)
        local = moment.astimezone(tz)
        if not self._inside(local.time()):
            return moment
        end_day = local.date()
        if self.start > self.end and local.time() >= self.start:
            end_day += timedelta(days=1)
        end = datetime.combine(end_day, self.end, tzinfo=tz).astimezone(UTC)
        return max(end, moment)


def window_of(time_zone: str, start: time | None, end: time | None) -> QuietHours:
    """A patient's quiet hours (their stored window, else the default 21:00-08:00)."""
    return QuietHours(time_zone, start or DEFAULT_START, end or DEFAULT_END)
