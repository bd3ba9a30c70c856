"""The pinned clock of tests/conftest.py (AFTERCARE_TEST_CLOCK) starts where it says and never ahead of the wall."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from tests.conftest import pinned_start

NOW = datetime(2026, 12, 7, 2, 53, 40, tzinfo=UTC)


@pytest.mark.parametrize(
    ("clock", "expected"),
    [
        ("00:30", datetime(2026, 12, 7, 0, 30, tzinfo=UTC)),  # earlier today
        ("06:59", datetime(2026, 12, 6, 6, 59, tzinfo=UTC)),  # later in the day: yesterday's
        ("23:59", datetime(2026, 12, 6, 23, 59, tzinfo=UTC)),
        ("02:53", datetime(2026, 12, 7, 2, 53, tzinfo=UTC)),  # this very minute, seconds dropped
    ],
)
def test_an_hour_of_day_starts_at_its_latest_past_moment(clock, expected):
    start = pinned_start(clock, now=NOW)
    assert start == expected
    assert start <= NOW and NOW - start < timedelta(days=1)


def test_a_full_timestamp_is_taken_as_given_and_needs_an_offset():
    assert pinned_start("2026-12-07T00:30:00-07:00", now=NOW) == datetime(2026, 12, 7, 7, 30, tzinfo=UTC)
    assert pinned_start("2026-12-07T00:30:00-07:00", now=NOW).utcoffset() == timezone(timedelta(hours=-7)).utcoffset(
        None
    )
    with pytest.raises(ValueError, match="offset"):
        pinned_start("2026-12-07T00:30:00", now=NOW)
