"""An hourly staffing plan from observed queue calls (volume and handle time per hour)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from .erlang import Staffing, staff_for
from .figures import QueueCall

DEFAULT_TARGET = 0.8


@dataclass(frozen=True)
class HourPlan:
    """Operators needed in one hour of the day, from the average day of the sample."""

    hour: int
    calls_per_day: float  # mean calls offered in this hour over the sampled days
    aht_seconds: float | None  # observed in this hour, or the sample's overall AHT
    staffing: Staffing | None  # None when there is no volume or no handle time known


def _aht(calls: list[QueueCall]) -> float | None:
    talks = [c.talk_seconds for c in calls if c.ended and c.talk_seconds]
    return sum(talks) / len(talks) if talks else None


def hourly_plan(
    calls: Iterable[QueueCall],
    days: int,
    tz: dt.tzinfo,
    *,
    target: float = DEFAULT_TARGET,
    threshold_seconds: float = 20,
    max_occupancy: float | None = None,
    default_aht_seconds: float | None = None,
) -> list[HourPlan]:
    """Erlang C operators for each hour 0..23 from ``days`` days of observed calls.

    Volume is the mean number of calls offered in that hour per day; AHT is the hour's
    own mean talk time, else the sample's, else ``default_aht_seconds``.
    """
    if days <= 0:
        raise ValueError("days must be positive")
    by_hour: dict[int, list[QueueCall]] = {h: [] for h in range(24)}
    every: list[QueueCall] = []
    for call in calls:
        by_hour[call.entered_at.astimezone(tz).hour].append(call)
        every.append(call)
    overall = _aht(every) or default_aht_seconds
    plans = []
    for hour in range(24):
        volume = len(by_hour[hour]) / days
        aht = _aht(by_hour[hour]) or overall
        staffing = None
        if volume > 0 and aht:
            staffing = staff_for(volume, 3600, aht, target, threshold_seconds,
                                 max_occupancy=max_occupancy)
        plans.append(HourPlan(hour, volume, aht, staffing))
    return plans
