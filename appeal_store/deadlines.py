"""Legal deadlines of an appeal (Law "On citizens' appeals", Art. 20) as pure functions.

- No further study needed: without delay, no later than 15 days from receipt.
- Otherwise: no more than one (calendar) month from receipt.
- If a month is not enough the head of the body may set a longer term, with a reason told
  to the applicant, but the whole term may not exceed 45 days from receipt.

Deadlines keep the time of day of receipt; "days left" counts calendar days in the
hotline's time zone (Kyiv by default).
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

SHORT_TERM = dt.timedelta(days=15)
MAX_TERM = dt.timedelta(days=45)
DEFAULT_TZ = "Europe/Kyiv"


class DeadlineError(ValueError):
    """An extension the law does not allow, or a bad input."""


def _aware(value: dt.datetime, name: str) -> dt.datetime:
    if value.tzinfo is None:
        raise DeadlineError(f"{name} must be timezone-aware")
    return value


def add_month(value: dt.datetime) -> dt.datetime:
    """The same day and time one calendar month later (31 Jan -> 28/29 Feb)."""
    year, month = (value.year + 1, 1) if value.month == 12 else (value.year, value.month + 1)
    day = min(value.day, calendar.monthrange(year, month)[1])
    return value.replace(year=year, month=month, day=day)


def due_date(received_at: dt.datetime, needs_study: bool) -> dt.datetime:
    """When an appeal received at ``received_at`` must be answered."""
    _aware(received_at, "received_at")
    return add_month(received_at) if needs_study else received_at + SHORT_TERM


def latest_allowed(received_at: dt.datetime) -> dt.datetime:
    """The furthest any extension may go: 45 days from receipt."""
    return _aware(received_at, "received_at") + MAX_TERM


def extend(
    received_at: dt.datetime, current_due: dt.datetime, new_due: dt.datetime, reason: str
) -> dt.datetime:
    """Check an extension of the term and return the new deadline.

    Refuses a blank reason, a date not after the current deadline, and anything past
    45 days from receipt.
    """
    for value, name in ((received_at, "received_at"), (current_due, "current_due"),
                        (new_due, "new_due")):
        _aware(value, name)
    if not reason or not reason.strip():
        raise DeadlineError("an extension needs a reason (it is told to the applicant)")
    if new_due <= current_due:
        raise DeadlineError("the new deadline must be later than the current one")
    if new_due > latest_allowed(received_at):
        raise DeadlineError("the whole term may not exceed 45 days from receipt")
    return new_due


def is_overdue(due_at: dt.datetime, now: dt.datetime, answered_at: dt.datetime | None = None) -> bool:
    """True if the deadline passed without an answer (an answer in time is never overdue)."""
    _aware(due_at, "due_at")
    if answered_at is not None:
        return _aware(answered_at, "answered_at") > due_at
    return _aware(now, "now") > due_at


def days_left(due_at: dt.datetime, now: dt.datetime, tz: str = DEFAULT_TZ) -> int:
    """Calendar days from today to the due day in ``tz``; 0 on the due day, negative after."""
    zone = ZoneInfo(tz)
    due_day = _aware(due_at, "due_at").astimezone(zone).date()
    today = _aware(now, "now").astimezone(zone).date()
    return (due_day - today).days


@dataclass(frozen=True)
class PriorityCategory:
    """A category of applicant whose appeals are considered first.

    ``personally``: the law asks the head of the body to consider it in person.
    """

    code: str
    name_uk: str
    name_en: str
    personally: bool = False


# Check the current wording of Art. 20 and the veterans' status law before relying on it.
PRIORITY_CATEGORIES: tuple[PriorityCategory, ...] = (
    PriorityCategory("hero_of_ukraine", "Герой України", "Hero of Ukraine", True),
    PriorityCategory("hero_soviet_union", "Герой Радянського Союзу",
                     "Hero of the Soviet Union", True),
    PriorityCategory("hero_socialist_labour", "Герой Соціалістичної Праці",
                     "Hero of Socialist Labour", True),
    PriorityCategory("war_disabled", "Особа з інвалідністю внаслідок війни",
                     "Person with a disability due to war"),
    PriorityCategory("combat_veteran", "Учасник бойових дій", "Combat veteran"),
    PriorityCategory("war_participant", "Учасник війни", "War participant"),
    PriorityCategory("fallen_defender_family", "Член сім'ї загиблого (померлого) Захисника",
                     "Family member of a fallen defender"),
    PriorityCategory("chornobyl", "Постраждалий внаслідок Чорнобильської катастрофи",
                     "Person affected by the Chornobyl disaster"),
    PriorityCategory("disability_group_1", "Особа з інвалідністю I групи",
                     "Person with a group I disability"),
    PriorityCategory("large_family", "Багатодітна сім'я", "Large family"),
    PriorityCategory("single_parent", "Одинока мати (батько)", "Single parent"),
)
PRIORITY_BY_CODE: dict[str, PriorityCategory] = {c.code: c for c in PRIORITY_CATEGORIES}


def priority_category(code: str | None) -> PriorityCategory | None:
    """The category for ``code``; None for no code; DeadlineError for an unknown one."""
    if code is None or code == "":
        return None
    try:
        return PRIORITY_BY_CODE[code]
    except KeyError:
        raise DeadlineError(f"unknown priority category: {code!r}") from None
