"""Registration numbers of appeals: "<prefix>-<year>-<counter>", e.g. "1545-2026-000123".

The counter lives in ``number_counters`` (one row per prefix and year) and is advanced by
one atomic UPSERT ... RETURNING: on PostgreSQL the row stays locked until the caller's
transaction ends, on SQLite the database write lock does the same. A number is therefore
never issued twice, and a rolled-back registration may leave a gap (as paper registers do).
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from appeal_store.models import NumberCounter

COUNTER_WIDTH = 6
DEFAULT_TZ = "Europe/Kyiv"
_PREFIX_RE = re.compile(r"^[0-9A-Za-z]{1,20}$")


class NumberingError(ValueError):
    """A prefix or number that cannot be used."""


def next_value(session: Session, prefix: str, year: int) -> int:
    """Advance and return the counter of (prefix, year) inside the caller's transaction."""
    if not _PREFIX_RE.match(prefix):
        raise NumberingError(f"bad number prefix: {prefix!r}")
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        insert = postgresql.insert
    elif dialect == "sqlite":
        insert = sqlite.insert
    else:
        raise NumberingError(f"numbering is not implemented for {dialect}")
    table = NumberCounter.__table__
    stmt = (
        insert(table)
        .values(prefix=prefix, year=year, value=1)
        .on_conflict_do_update(
            index_elements=[table.c.prefix, table.c.year],
            set_={"value": table.c.value + 1},
        )
        .returning(table.c.value)
    )
    return int(session.execute(stmt).scalar_one())


def format_number(prefix: str, year: int, value: int) -> str:
    """"1545", 2026, 123 -> "1545-2026-000123"."""
    return f"{prefix}-{year}-{value:0{COUNTER_WIDTH}d}"


def next_number(
    session: Session, prefix: str, at: dt.datetime, tz: str = DEFAULT_TZ
) -> str:
    """The next registration number for an appeal registered at ``at`` (year in ``tz``)."""
    if at.tzinfo is None:
        raise NumberingError("registration time must be timezone-aware")
    year = at.astimezone(ZoneInfo(tz)).year
    return format_number(prefix, year, next_value(session, prefix, year))


def parse_number(number: str) -> tuple[str, int, int]:
    """"1545-2026-000123" -> ("1545", 2026, 123); NumberingError if it is not one."""
    pattern = rf"([0-9A-Za-z]{{1,20}})-(\d{{4}})-(\d{{{COUNTER_WIDTH},}})"
    match = re.fullmatch(pattern, number.strip())
    if not match:
        raise NumberingError(f"not a registration number: {number!r}")
    return match.group(1), int(match.group(2)), int(match.group(3))


def number_from_digits(digits: str, prefix: str) -> str | None:
    """A number typed on a phone keypad, with or without the prefix, or None.

    "2026000123" or "15452026000123" (prefix "1545") -> "1545-2026-000123".
    """
    digits = "".join(ch for ch in digits if ch.isdigit())
    if digits.startswith(prefix) and len(digits) >= len(prefix) + 4 + COUNTER_WIDTH:
        digits = digits[len(prefix):]
    if len(digits) < 4 + COUNTER_WIDTH:
        return None
    return format_number(prefix, int(digits[:4]), int(digits[4:]))
