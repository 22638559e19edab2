"""Working hours and holidays: midnight, DST changes in Kyiv, holidays, bad data."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from routing.calendar import (
    CalendarError,
    Interval,
    build_calendar,
    is_open,
    load_calendar,
    next_opening,
    orthodox_easter,
    public_holidays,
)

UTC = dt.UTC
KYIV = ZoneInfo("Europe/Kyiv")
WEEKDAY_HOURS = {d: ["08:00-20:00"] for d in ("mon", "tue", "wed", "thu", "fri")}


def cal(hours=None, **extra):
    return build_calendar({"hours": hours or WEEKDAY_HOURS, "observe_public_holidays": False,
                           **extra}, years=[2025, 2026])


def utc(*args):
    return dt.datetime(*args, tzinfo=UTC)


def test_open_and_closed_on_a_weekday_in_local_time():
    c = cal()
    # 2025-06-04 is a Wednesday; Kyiv is UTC+3 in summer
    assert not is_open(utc(2025, 6, 4, 4, 59), c)  # 07:59
    assert is_open(utc(2025, 6, 4, 5, 0), c)  # 08:00 sharp
    assert is_open(utc(2025, 6, 4, 16, 59), c)  # 19:59
    assert not is_open(utc(2025, 6, 4, 17, 0), c)  # 20:00: the end is exclusive
    assert not is_open(utc(2025, 6, 7, 10, 0), c)  # Saturday


def test_any_timezone_in_naive_refused():
    c = cal()
    new_york = dt.datetime(2025, 6, 4, 1, 30, tzinfo=ZoneInfo("America/New_York"))  # 08:30 Kyiv
    assert is_open(new_york, c)
    with pytest.raises(CalendarError, match="timezone-aware"):
        is_open(dt.datetime(2025, 6, 4, 10, 0), c)


def test_spring_forward_keeps_wall_clock_hours():
    c = cal()
    # Kyiv moves to summer time on Sunday 2025-03-30. 05:30 UTC is 07:30 on Friday (closed)
    # but 08:30 on Monday (open).
    assert not is_open(utc(2025, 3, 28, 5, 30), c)
    assert is_open(utc(2025, 3, 31, 5, 30), c)
    assert not is_open(utc(2025, 3, 31, 4, 59), c)  # 07:59 summer time


def test_fall_back_keeps_wall_clock_hours():
    c = cal()
    # back to winter time on Sunday 2025-10-26: 06:00 UTC is 09:00 on Friday, 08:00 on Monday
    assert is_open(utc(2025, 10, 24, 5, 0), c)  # 08:00 EEST
    assert not is_open(utc(2025, 10, 27, 5, 0), c)  # 07:00 EET
    assert is_open(utc(2025, 10, 27, 6, 0), c)  # 08:00 EET


def test_repeated_hour_at_fall_back_is_judged_by_wall_clock():
    c = cal(hours={"sun": ["00:00-03:30"]})
    first = utc(2025, 10, 26, 0, 15)  # 03:15 EEST
    second = utc(2025, 10, 26, 1, 15)  # 03:15 EET, an hour later
    assert first.astimezone(KYIV).hour == second.astimezone(KYIV).hour == 3
    assert is_open(first, c) and is_open(second, c)
    assert not is_open(utc(2025, 10, 26, 1, 45), c)  # 03:45 EET


def test_interval_past_midnight_belongs_to_the_day_it_starts():
    c = cal(hours={"fri": ["20:00-02:00"]})  # Friday night shift
    assert is_open(utc(2025, 6, 6, 20, 59), c)  # Fri 23:59
    assert is_open(utc(2025, 6, 6, 21, 0), c)  # Sat 00:00
    assert is_open(utc(2025, 6, 6, 22, 59), c)  # Sat 01:59
    assert not is_open(utc(2025, 6, 6, 23, 0), c)  # Sat 02:00
    assert not is_open(utc(2025, 6, 5, 21, 30), c)  # Fri 00:30: Thursday has no night shift


def test_whole_day_and_up_to_midnight():
    c = cal(hours={"mon": ["00:00-24:00"], "tue": ["18:00-24:00"]})
    assert is_open(utc(2025, 6, 1, 21, 0), c)  # Mon 00:00
    assert is_open(utc(2025, 6, 2, 20, 59), c)  # Mon 23:59
    assert is_open(utc(2025, 6, 3, 20, 59), c)  # Tue 23:59
    assert not is_open(utc(2025, 6, 3, 21, 0), c)  # Wed 00:00


def test_orthodox_easter_known_dates():
    assert orthodox_easter(2024) == dt.date(2024, 5, 5)
    assert orthodox_easter(2025) == dt.date(2025, 4, 20)
    assert orthodox_easter(2026) == dt.date(2026, 4, 12)
    with pytest.raises(CalendarError):
        orthodox_easter(2150)


def test_shipped_public_holidays():
    c = load_calendar(years=[2026])
    names = {d: n for d, n in c.holidays.items()}
    assert names[dt.date(2026, 8, 24)] == "День Незалежності України"
    assert names[dt.date(2026, 12, 25)] == "Різдво Христове"
    assert names[dt.date(2026, 4, 12)] == "Великдень"
    assert names[dt.date(2026, 5, 31)] == "Трійця"  # Easter + 49
    assert dt.date(2026, 1, 7) not in names  # Christmas moved to 25 December in 2023
    # Independence Day 2026 is a Monday: closed; the next day open
    assert not is_open(dt.datetime(2026, 8, 24, 10, 0, tzinfo=KYIV), c)
    assert is_open(dt.datetime(2026, 8, 25, 10, 0, tzinfo=KYIV), c)


def test_holiday_just_after_midnight_and_holiday_hours():
    c = cal(extra_holidays={"2025-12-25": "Різдво"}, holiday_hours=["10:00-14:00"],
            hours={**WEEKDAY_HOURS, "wed": ["08:00-02:00"]})
    # Wed 24 Dec runs until 02:00 on Thursday 25 Dec, a holiday: yesterday's shift still counts
    assert is_open(dt.datetime(2025, 12, 25, 1, 0, tzinfo=KYIV), c)
    assert not is_open(dt.datetime(2025, 12, 25, 9, 0, tzinfo=KYIV), c)
    assert is_open(dt.datetime(2025, 12, 25, 11, 0, tzinfo=KYIV), c)  # holiday hours


def test_holidays_are_settable():
    c = cal()
    day = dt.datetime(2025, 6, 4, 10, 0, tzinfo=KYIV)
    assert is_open(day, c)
    assert not is_open(day, c.with_holidays([dt.date(2025, 6, 4)]))
    assert not is_open(day, c.with_holidays({dt.date(2025, 6, 4): "Жалоба"}))
    worked = build_calendar({"hours": WEEKDAY_HOURS, "working_days": ["2026-08-24"],
                             "public_holidays": {"fixed": {"08-24": "Independence"}}}, [2026])
    assert is_open(dt.datetime(2026, 8, 24, 10, 0, tzinfo=KYIV), worked)


def test_martial_law_switch_turns_public_holidays_off():
    c = build_calendar({"hours": WEEKDAY_HOURS, "observe_public_holidays": False,
                        "public_holidays": {"fixed": {"08-24": "Independence"}}}, [2026])
    assert c.holidays == {}


def test_next_opening():
    c = cal()
    friday_night = dt.datetime(2025, 6, 6, 21, 0, tzinfo=KYIV)
    assert next_opening(friday_night, c) == dt.datetime(2025, 6, 9, 8, 0, tzinfo=KYIV)
    open_now = dt.datetime(2025, 6, 9, 9, 0, tzinfo=KYIV)
    assert next_opening(open_now, c) == open_now
    assert next_opening(friday_night, cal(hours={"mon": []})) is None


@pytest.mark.parametrize("text", ["8-20", "25:00-26:00", "08:00-08:00", "08:70-09:00",
                                  "08:00-24:30"])
def test_bad_intervals_are_refused(text):
    with pytest.raises(CalendarError, match="bad interval"):
        Interval.parse(text)


def test_bad_calendar_data():
    with pytest.raises(CalendarError, match="unknown weekday"):
        build_calendar({"hours": {"monday": ["08:00-20:00"]}}, [2025])
    with pytest.raises(CalendarError, match="unknown timezone"):
        build_calendar({"timezone": "Europe/Atlantis"}, [2025])
    with pytest.raises(CalendarError, match="MM-DD"):
        public_holidays(2025, {"fixed": {"24.08": "x"}})
    with pytest.raises(CalendarError, match="YYYY-MM-DD"):
        build_calendar({"extra_holidays": {"tomorrow": "x"}}, [2025])


def test_load_calendar_missing_file(tmp_path):
    with pytest.raises(CalendarError, match="cannot read"):
        load_calendar(tmp_path / "nope.yaml")
