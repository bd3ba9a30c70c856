"""Quiet hours on the patient's wall clock, across time zones and daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from service.domain.quiet_hours import QuietHours, window_of

DENVER = QuietHours("America/Denver")  # default 21:00-08:00


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        # 20:59 MST is before quiet hours: send now.
        (utc(2026, 1, 15, 3, 59), utc(2026, 1, 15, 3, 59)),
        # 21:00 MST starts them: wait until 08:00 MST the next morning (15:00Z).
        (utc(2026, 1, 15, 4, 0), utc(2026, 1, 15, 15, 0)),
        # 03:00 MST, after midnight: the same morning's 08:00.
        (utc(2026, 1, 15, 10, 0), utc(2026, 1, 15, 15, 0)),
        # 08:00 MST exactly: the window has ended.
        (utc(2026, 1, 15, 15, 0), utc(2026, 1, 15, 15, 0)),
    ],
)
def test_denver_winter(moment, expected):
    assert DENVER.next_allowed(moment) == expected


def test_spring_forward_night_ends_at_eight_daylight_time():
    # 2026-03-08: Denver jumps from 02:00 MST to 03:00 MDT. A prompt due 21:00 MST on the 7th
    # waits until 08:00 MDT on the 8th, which is 14:00Z (not 15:00Z as on a winter morning).
    due = utc(2026, 3, 8, 4, 0)
    assert DENVER.contains(due)
    assert DENVER.next_allowed(due) == utc(2026, 3, 8, 14, 0)
    # The gap itself (02:30 local does not exist) is inside quiet hours too.
    assert DENVER.next_allowed(utc(2026, 3, 8, 9, 30)) == utc(2026, 3, 8, 14, 0)


def test_fall_back_night_ends_at_eight_standard_time():
    # 2026-11-01: Denver falls back from 02:00 MDT to 01:00 MST; 08:00 MST is 15:00Z.
    due = utc(2026, 11, 1, 3, 30)  # 21:30 MDT on Oct 31
    assert DENVER.next_allowed(due) == utc(2026, 11, 1, 15, 0)
    # Both 01:30s (MDT and MST) are inside quiet hours.
    assert DENVER.contains(utc(2026, 11, 1, 7, 30)) and DENVER.contains(utc(2026, 11, 1, 8, 30))


def test_each_patient_in_their_own_zone():
    moment = utc(2026, 6, 1, 2, 0)  # 22:00 in New York, 19:00 in Los Angeles, 07:30 in Kolkata
    assert QuietHours("America/New_York").next_allowed(moment) == utc(2026, 6, 1, 12, 0)
    assert QuietHours("America/Los_Angeles").next_allowed(moment) == moment
    assert QuietHours("Asia/Kolkata").next_allowed(moment) == utc(2026, 6, 1, 2, 30)


def test_lord_howe_half_hour_daylight_saving():
    # Lord Howe Island shifts by 30 minutes; 2026-04-05 02:00 LHDT (+11) → 01:30 LHST (+10:30).
    quiet = QuietHours("Australia/Lord_Howe")
    assert quiet.next_allowed(utc(2026, 4, 4, 12, 0)) == utc(2026, 4, 4, 21, 30)  # 23:00 +11 → 08:00 +10:30


def test_a_per_patient_window_and_a_daytime_window():
    late_sleeper = window_of("America/Denver", time(23, 0), time(10, 0))
    assert late_sleeper.next_allowed(utc(2026, 1, 15, 4, 0)) == utc(2026, 1, 15, 4, 0)  # 21:00: fine for them
    assert late_sleeper.next_allowed(utc(2026, 1, 15, 16, 0)) == utc(2026, 1, 15, 17, 0)  # 09:00 → 10:00
    night_shift = QuietHours("UTC", time(9, 0), time(17, 0))  # sleeps by day
    assert night_shift.next_allowed(utc(2026, 1, 15, 12, 0)) == utc(2026, 1, 15, 17, 0)
    assert night_shift.next_allowed(utc(2026, 1, 15, 20, 0)) == utc(2026, 1, 15, 20, 0)


def test_equal_start_and_end_means_no_quiet_hours():
    assert not QuietHours("UTC", time(8, 0), time(8, 0)).contains(utc(2026, 1, 1, 3, 0))


def test_naive_moments_are_refused():
    with pytest.raises(ValueError, match="aware"):
        DENVER.next_allowed(datetime(2026, 1, 1, 3, 0))
