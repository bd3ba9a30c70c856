"""The one source of "now": every caller takes time from here or as an argument."""

from datetime import UTC, datetime


def now_utc() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)
