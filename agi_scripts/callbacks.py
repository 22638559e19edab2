"""Call backs: the caller's request in the Stasis app, and the rows the dispatcher works.

Request: the caller's number (sanitised) is confirmed with 1 (2 cancels; no key → stored,
nothing lost), stored as a :class:`Callback` (phone, topic, queue, language), confirmed to
the caller, then the call ends. A caller without a usable number hears ``callback-no-number``
and nothing is stored (the Stasis app sends them to the general queue or a voice appeal).

Rows: ``pending`` → ``dialing`` (one :class:`CallbackAttempt` per dial) → ``done`` when the
citizen answers, back to ``pending`` with ``next_attempt_at`` after a failed dial, ``failed``
after ``max_attempts``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from agi_scripts.stasis_channel import ChannelSession
from appeal_store.calls import ANONYMOUS, get_call, sanitize_phone
from appeal_store.db import session_scope
from appeal_store.models import Callback, CallbackAttempt, utcnow

log = logging.getLogger(__name__)

CONFIRM_TIMEOUT_S = 6.0


@dataclass(frozen=True)
class CallbackRequest:
    phone: str
    topic: str | None
    queue: str
    language: str
    uniqueid: str


@dataclass(frozen=True)
class DueCallback:
    id: int
    phone: str
    queue: str
    language: str
    topic: str | None
    attempts: int


# --- the caller's request -------------------------------------------------------------------


async def request_callback(ch: ChannelSession, factory: sessionmaker[Session],
                           request: CallbackRequest) -> str:
    """'stored', 'cancelled' or 'no_number'; a storage failure raises (caller → queue)."""
    lang = request.language
    if not has_number(request.phone):
        await ch.play(ch.prompt(lang, "callback-no-number"))
        return "no_number"
    key = None
    for _ in range(2):
        await ch.play(ch.prompt(lang, "callback-confirm"), interrupt=True)
        key = await ch.key(CONFIRM_TIMEOUT_S, "12")
        if key:
            break
    if key == "2":
        await ch.play(ch.prompt(lang, "goodbye"))
        return "cancelled"
    callback_id = await asyncio.to_thread(store_callback, factory, request)
    log.info("call back %s stored for %s (queue %s)", callback_id, request.phone, request.queue)
    await ch.play(ch.prompt(lang, "callback-registered"), ch.prompt(lang, "goodbye"))
    return "stored"


def has_number(phone: str | None) -> bool:
    """Whether *phone* is a number a call back can dial (not empty, not 'anonymous')."""
    return bool(phone) and sanitize_phone(phone) != ANONYMOUS


def caller_phone(*candidates: str | None) -> str:
    """The first candidate that sanitises to a phone number, else 'anonymous'."""
    for raw in candidates:
        phone = sanitize_phone(raw)
        if phone != ANONYMOUS:
            return phone
    return ANONYMOUS


# --- rows -------------------------------------------------------------------------------------


def store_callback(factory: sessionmaker[Session], request: CallbackRequest) -> int:
    """Store one pending call back (one per call: a repeated request returns the same row).

    A request without a number to dial is refused (ValueError): such a row could never be done.
    """
    if not has_number(request.phone):
        raise ValueError(f"call back without a number to dial: {request.phone!r}")
    with session_scope(factory) as session:
        call = get_call(session, request.uniqueid)
        if call is not None:
            existing = session.scalar(select(Callback).where(Callback.call_id == call.id))
            if existing is not None:
                return existing.id
            call.status = "callback"
        row = Callback(phone=request.phone, topic_code=request.topic, queue=request.queue,
                       language=request.language, call_id=call.id if call else None,
                       status="pending", next_attempt_at=utcnow())
        session.add(row)
        session.flush()
        return row.id


def due_callbacks(factory: sessionmaker[Session], now: dt.datetime, limit: int = 20
                  ) -> list[DueCallback]:
    with factory() as session:
        rows = session.scalars(
            select(Callback)
            .where(Callback.status == "pending", Callback.next_attempt_at <= now)
            .order_by(Callback.next_attempt_at, Callback.id).limit(limit)
        )
        return [DueCallback(r.id, r.phone, r.queue or "", r.language, r.topic_code, r.attempts)
                for r in rows]


def start_attempt(factory: sessionmaker[Session], callback_id: int, channel_id: str
                  ) -> int | None:
    """Mark the call back dialing and open an attempt; None if another worker took it."""
    with session_scope(factory) as session:
        claimed = session.execute(
            update(Callback)
            .where(Callback.id == callback_id, Callback.status == "pending")
            .values(status="dialing", attempts=Callback.attempts + 1)
        ).rowcount
        if not claimed:
            return None
        attempt = CallbackAttempt(callback_id=callback_id, outcome="dialing", uniqueid=channel_id)
        session.add(attempt)
        session.flush()
        return attempt.id


def finish_attempt(factory: sessionmaker[Session], attempt_id: int, outcome: str, *,
                   answered: bool, max_attempts: int, retry_after: dt.timedelta) -> str:
    """Close an attempt; returns the call back's new status."""
    with session_scope(factory) as session:
        attempt = session.get(CallbackAttempt, attempt_id)
        if attempt is None or attempt.outcome != "dialing":
            return "unchanged"
        attempt.outcome = outcome[:32]
        callback = session.get(Callback, attempt.callback_id)
        assert callback is not None
        if answered:
            callback.status = "done"
        elif callback.attempts >= max_attempts:
            callback.status = "failed"
        else:
            callback.status = "pending"
            callback.next_attempt_at = utcnow() + retry_after
        return callback.status


def stale_attempts(factory: sessionmaker[Session], older_than: dt.datetime) -> list[int]:
    """Attempts still 'dialing' since before *older_than* (their events were lost)."""
    with factory() as session:
        return list(session.scalars(
            select(CallbackAttempt.id).where(CallbackAttempt.outcome == "dialing",
                                             CallbackAttempt.at < older_than)))
