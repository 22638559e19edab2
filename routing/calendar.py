"""Working hours and the holiday calendar of the contact centre (pure, timezone-aware).

Hours are local wall-clock intervals per weekday in the calendar's timezone (Europe/Kyiv),
so a daylight-saving change moves nothing: 08:00 stays 08:00. Holidays are data
(``routing/data/calendar.yaml``): fixed dates, days counted from Orthodox Easter, one-off
extra days off and working days.

Example::

    cal = load_calendar()
    is_open(datetime(2025, 3, 31, 6, 30, tzinfo=UTC), cal)   # 09:30 in Kyiv, Monday: True
    is_open(datetime(2025, 8, 25, 7, 0, tzinfo=UTC), cal)    # 10:00, Monday: True
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

CALENDAR_FILE = Path(__file__).resolve().parent / "data" / "calendar.yaml"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_MINUTES = 24 * 60
_INTERVAL = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


class CalendarError(ValueError):
    """Bad calendar data or a naive datetime."""


@dataclass(frozen=True)
class Interval:
    """Open from ``start`` to ``end`` minutes after local midnight; ``end`` < ``start``
    means the interval runs past midnight into the next day."""

    start: int
    end: int

    @property
    def crosses_midnight(self) -> bool:
        return self.end < self.start

    @classmethod
    def parse(cls, text: str) -> Interval:
        m = _INTERVAL.match(str(text))
        if not m:
            raise CalendarError(f"bad interval {text!r}: expected 'HH:MM-HH:MM'")
        h1, m1, h2, m2 = (int(g) for g in m.groups())
        if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2):
            raise CalendarError(f"bad interval {text!r}: not a time of day")
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if start == end:
            raise CalendarError(f"bad interval {text!r}: empty (a whole day is 00:00-24:00)")
        return cls(start, end)


@dataclass(frozen=True)
class WorkCalendar:
    """When the centre takes calls: weekly hours, holidays and hours on holidays."""

    timezone: str = "Europe/Kyiv"
    #: weekday (0 = Monday) -> open intervals
    hours: Mapping[int, tuple[Interval, ...]] = field(default_factory=dict)
    holidays: Mapping[dt.date, str] = field(default_factory=dict)
    holiday_hours: tuple[Interval, ...] = ()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def with_holidays(self, holidays: Mapping[dt.date, str] | Iterable[dt.date]) -> WorkCalendar:
        """A copy with another set of holidays (a mapping date -> name, or plain dates)."""
        if not isinstance(holidays, Mapping):
            holidays = {day: "holiday" for day in holidays}
        return replace(self, holidays=dict(holidays))

    def intervals_on(self, day: dt.date) -> tuple[Interval, ...]:
        """The intervals that start on ``day`` (holiday hours on a holiday)."""
        if day in self.holidays:
            return self.holiday_hours
        return self.hours.get(day.weekday(), ())


def _local(now: dt.datetime, calendar: WorkCalendar) -> dt.datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise CalendarError("a timezone-aware datetime is required (got a naive one)")
    return now.astimezone(calendar.zone)


def is_open(now: dt.datetime, calendar: WorkCalendar) -> bool:
    """Whether the centre takes calls at ``now`` (any timezone; naive is refused)."""
    local = _local(now, calendar)
    minute = local.hour * 60 + local.minute
    today, yesterday = local.date(), local.date() - dt.timedelta(days=1)
    for iv in calendar.intervals_on(today):
        if iv.crosses_midnight:
            if minute >= iv.start:
                return True
        elif iv.start <= minute < iv.end:
            return True
    # an interval started yesterday may run past midnight into today
    return any(iv.crosses_midnight and minute < iv.end for iv in calendar.intervals_on(yesterday))


def next_opening(now: dt.datetime, calendar: WorkCalendar, days: int = 14) -> dt.datetime | None:
    """When the centre next opens after ``now`` (``now`` itself if open), in local time."""
    local = _local(now, calendar)
    if is_open(now, calendar):
        return local
    for offset in range(days + 1):
        day = local.date() + dt.timedelta(days=offset)
        for iv in sorted(calendar.intervals_on(day), key=lambda i: i.start):
            start = dt.datetime.combine(day, dt.time(iv.start // 60, iv.start % 60),
                                        tzinfo=calendar.zone)
            # a start inside a DST gap (none in Kyiv at business hours) is normalised by UTC
            start = start.astimezone(dt.UTC).astimezone(calendar.zone)
            if start > local:
                return start
    return None


# --- holidays ------------------------------------------------------------------------------


def orthodox_easter(year: int) -> dt.date:
    """Orthodox Easter (Julian computus) as a Gregorian date; valid for 1900-2099."""
    if not 1900 <= year <= 2099:
        raise CalendarError(f"orthodox_easter: year {year} outside 1900-2099")
    a, b, c = year % 4, year % 7, year % 19
    d = (19 * c + 15) % 30
    e = (2 * a + 4 * b - d + 34) % 7
    month, day = divmod(d + e + 114, 31)
    return dt.date(year, month, day + 1) + dt.timedelta(days=13)


def public_holidays(year: int, rules: Mapping[str, Any]) -> dict[dt.date, str]:
    """Public holidays of ``year`` from the ``public_holidays`` data (fixed + Easter-based)."""
    out: dict[dt.date, str] = {}
    for md, name in (rules.get("fixed") or {}).items():
        try:
            month, day = (int(p) for p in str(md).split("-"))
            out[dt.date(year, month, day)] = str(name)
        except ValueError as exc:
            raise CalendarError(f"bad fixed holiday {md!r}: expected 'MM-DD'") from exc
    easter = orthodox_easter(year)
    for offset, name in (rules.get("easter_offsets") or {}).items():
        if isinstance(offset, bool) or not isinstance(offset, int):
            raise CalendarError(f"bad easter offset {offset!r}: expected a number of days")
        out[easter + dt.timedelta(days=offset)] = str(name)
    return out


def build_calendar(doc: Mapping[str, Any], years: Iterable[int]) -> WorkCalendar:
    """A calendar from plain data (as in calendar.yaml) with holidays for ``years``."""
    tz = str(doc.get("timezone") or "Europe/Kyiv")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise CalendarError(f"unknown timezone {tz!r}") from exc
    raw_hours = doc.get("hours") or {}
    unknown = set(raw_hours) - set(WEEKDAYS)
    if unknown:
        raise CalendarError(f"unknown weekday(s) {sorted(unknown)}; use {', '.join(WEEKDAYS)}")
    hours = {
        WEEKDAYS.index(name): tuple(Interval.parse(t) for t in raw_hours.get(name) or [])
        for name in WEEKDAYS
    }
    holidays: dict[dt.date, str] = {}
    if doc.get("observe_public_holidays", True):
        for year in years:
            holidays.update(public_holidays(year, doc.get("public_holidays") or {}))
    for day, name in (doc.get("extra_holidays") or {}).items():
        holidays[_date(day)] = str(name)
    for day in doc.get("working_days") or []:
        holidays.pop(_date(day), None)
    holiday_hours = tuple(Interval.parse(t) for t in doc.get("holiday_hours") or [])
    return WorkCalendar(tz, hours, holidays, holiday_hours)


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise CalendarError(f"bad date {value!r}: expected YYYY-MM-DD") from exc


def load_calendar(path: Path | str | None = None,
                  years: Iterable[int] | None = None) -> WorkCalendar:
    """Read calendar.yaml (default: shipped) with holidays for ``years``
    (default: last, this and next year)."""
    file = Path(path) if path is not None else CALENDAR_FILE
    try:
        doc = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise CalendarError(f"{file.name}: cannot read: {exc}") from exc
    if years is None:
        this = dt.date.today().year
        years = range(this - 1, this + 2)
    return build_calendar(doc, years)
