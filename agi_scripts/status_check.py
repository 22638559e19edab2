"""Status of an appeal for the IVR: find the number the caller keyed, describe it.

The caller keys digits only; registration numbers look like "1545-2026-000123". A keyed
number matches when it equals the number without its separators ("15452026000123") or,
with at least 10 digits, its year and counter ("2026000123").

The lookup runs in a worker thread with a time limit: a database that is down or hangs
gives ``StatusResult.unavailable()`` and the IVR apologises instead of keeping the caller.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from appeal_store.models import Appeal, StateBody
from ivr.actions import StatusResult

log = logging.getLogger(__name__)

LOOKUP_TIMEOUT_S = 3.0
MAX_KEYED_DIGITS = 20
SUFFIX_MIN_DIGITS = 10  # year (4) + counter (6)


@dataclass(frozen=True)
class AppealFacts:
    """The columns of an appeal the IVR speaks about."""

    number: str
    status: str
    body_id: int | None
    due_at: dt.datetime | None
    extended_due_at: dt.datetime | None


_COLUMNS = (Appeal.number, Appeal.status, Appeal.body_id, Appeal.due_at, Appeal.extended_due_at)


def _bare(number: str) -> str:
    return number.replace("-", "").replace("/", "")


def find_appeal(session: Session, keyed: str) -> AppealFacts | None:
    """The appeal whose number matches the keyed digits (see the module docstring)."""
    if not keyed.isascii() or not keyed.isdigit() or len(keyed) > MAX_KEYED_DIGITS:
        return None
    bare = func.replace(func.replace(Appeal.number, "-", ""), "/", "")
    match = [bare == keyed]
    if len(keyed) >= SUFFIX_MIN_DIGITS:
        match.append(bare.like(f"%{keyed}"))
    stmt = select(*_COLUMNS).where(Appeal.number.is_not(None), or_(*match))
    found = [AppealFacts(*row) for row in session.execute(stmt.order_by(Appeal.id).limit(2))]
    if len(found) > 1:  # an ambiguous suffix: only an exact number will do
        exact = [a for a in found if _bare(a.number) == keyed]
        return exact[0] if exact else None
    return found[0] if found else None


def describe(session: Session, appeal: AppealFacts, tz: str = "Europe/Kyiv") -> StatusResult:
    """What the IVR says about a found appeal: state, body, (extended) deadline."""
    body = None
    if appeal.body_id is not None:
        body = session.execute(select(StateBody.code, StateBody.kind)
                               .where(StateBody.id == appeal.body_id)).first()
    due_at = appeal.extended_due_at or appeal.due_at
    due = due_at.astimezone(ZoneInfo(tz)).date() if due_at is not None else None
    return StatusResult(
        "found",
        status=appeal.status,
        body_kind=body.kind if body is not None else None,
        body_prompt=f"body-{body.code}".lower().replace("_", "-") if body is not None else None,
        due=due,
        extended=appeal.extended_due_at is not None,
    )


def lookup_status_sync(factory: sessionmaker[Session], keyed: str, tz: str) -> StatusResult:
    with factory() as session:
        appeal = find_appeal(session, keyed)
        if appeal is None:
            return StatusResult.not_found()
        return describe(session, appeal, tz)


async def lookup_status(
    factory: sessionmaker[Session], keyed: str, *, tz: str = "Europe/Kyiv",
    timeout: float = LOOKUP_TIMEOUT_S,
) -> StatusResult:
    """Look up *keyed* off the event loop; ``unavailable`` when the database fails or is slow.

    >>> await lookup_status(factory, "15452026000123")      # doctest: +SKIP
    StatusResult(outcome='found', status='registered', ...)
    """
    started = asyncio.get_running_loop().time()
    try:
        result = await asyncio.wait_for(
            asyncio.to_thread(lookup_status_sync, factory, keyed, tz), timeout
        )
    except (SQLAlchemyError, OSError, TimeoutError) as exc:
        log.warning("status lookup failed (%s: %s): apologising", type(exc).__name__, exc)
        return StatusResult.unavailable()
    log.info("status lookup outcome=%s in %.0f ms", result.outcome,
             (asyncio.get_running_loop().time() - started) * 1000)
    return result
