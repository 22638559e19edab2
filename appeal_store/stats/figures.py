"""Queue figures as pure functions over call events (the same code feeds wallboard and history).

A call *offered* to a queue is one ``enter`` (or, if the enter event was lost, the first
``connect``/``abandon``) of a unique id into that queue. Its outcome is *answered* (a
``connect``), *abandoned* (an ``abandon``), *unanswered* (it left by timeout or an empty
queue) or still *waiting*.

Service level is the share of resolved calls answered within ``threshold`` seconds
(``wait <= threshold``, as Asterisk's ``servicelevel`` counts); abandons shorter than
``short_abandon`` seconds are left out of both sides, as they were not a fair chance to
answer. Calls still waiting are not yet counted in it. ASA is the mean wait of answered
calls; AHT the mean talk time of calls that ended (``complete`` or ``transfer``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

DEFAULT_THRESHOLD = 20
DEFAULT_SHORT_ABANDON = 6

ENTER, CONNECT, ABANDON, COMPLETE, TRANSFER = "enter", "connect", "abandon", "complete", "transfer"
# Left the queue unanswered without hanging up (queue_log EXITWITHTIMEOUT / EXITEMPTY ...,
# or the dialplan's overflow diversion after a wait timeout).
EXIT_KINDS = frozenset({"exit", "timeout", "exit_timeout", "exit_empty", "exitwithtimeout",
                        "exitempty", "exitwithkey", "overflow"})
QUEUE_KINDS = frozenset({ENTER, CONNECT, ABANDON, COMPLETE, TRANSFER}) | EXIT_KINDS

OUTCOMES = ("answered", "abandoned", "unanswered", "waiting")


class QueueEventLike(Protocol):
    """What the fold reads from an event (a ``CallEvent`` row fits)."""

    uniqueid: str
    kind: str
    queue: str | None
    agent: str | None
    wait_seconds: int | None
    talk_seconds: int | None
    at: dt.datetime


@dataclass(frozen=True)
class QueueEvent:
    """A plain queue event, for tests and adapters that do not hold ORM rows."""

    uniqueid: str
    kind: str
    queue: str | None
    at: dt.datetime
    agent: str | None = None
    wait_seconds: int | None = None
    talk_seconds: int | None = None


@dataclass
class QueueCall:
    """One offer of a call to one queue and what became of it."""

    uniqueid: str
    queue: str
    entered_at: dt.datetime
    outcome: str = "waiting"
    wait_seconds: float | None = None
    talk_seconds: float | None = None
    ended: bool = False
    agent: str | None = None
    topic: str | None = None
    region: str | None = None
    attrs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Figures:
    """The figures of a set of queue calls."""

    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    short_abandoned: int = 0
    unanswered: int = 0
    waiting: int = 0
    answered_within: int = 0
    service_level: float | None = None  # 0..1, None when nothing was resolved
    asa_seconds: float | None = None
    aht_seconds: float | None = None
    abandon_rate: float | None = None  # abandons (not short) over offered (not short)
    handled: int = 0  # calls whose talk ended (the AHT sample)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _wait(call: QueueCall, event: QueueEventLike) -> float:
    if event.wait_seconds is not None:
        return float(event.wait_seconds)
    return max(0.0, (event.at - call.entered_at).total_seconds())


def fold_calls(events: Iterable[QueueEventLike]) -> list[QueueCall]:
    """Queue calls from events in any order; duplicates and stray events are tolerated.

    A second ``enter`` of the same unique id into the same queue after its outcome is a
    new offer (a caller sent back to the queue). A ``complete``/``transfer`` without a
    queue closes the latest connected offer of that unique id.
    """
    ordered = sorted(
        (e for e in events if e.kind in QUEUE_KINDS),
        key=lambda e: (e.at, _KIND_ORDER.get(e.kind, 9)),
    )
    calls: list[QueueCall] = []
    current: dict[str, dict[str, QueueCall]] = {}  # uniqueid -> queue -> its latest offer
    for event in ordered:
        offers = current.setdefault(event.uniqueid, {})
        queue = event.queue or _last_connected_queue(offers)
        if queue is None:
            continue
        call = offers.get(queue)
        if event.kind == ENTER:
            _close_elsewhere(offers, queue, event.at)
            if call is None or call.outcome != "waiting":
                call = QueueCall(event.uniqueid, queue, event.at)
                offers[queue] = call
                calls.append(call)
            continue
        if event.kind in EXIT_KINDS and (call is None or call.outcome != "waiting"):
            continue  # diverted before joining: never offered to this queue
        if event.kind == TRANSFER and event.talk_seconds is None:
            continue  # the talk time comes with the agent's complete event
        if call is None:  # the enter was lost: the first later event opens the offer
            start = event.at - dt.timedelta(seconds=event.wait_seconds or 0)
            call = QueueCall(event.uniqueid, queue, start)
            offers[queue] = call
            calls.append(call)
        _apply(call, event)
    return calls


_KIND_ORDER = {ENTER: 0, CONNECT: 1, ABANDON: 1, COMPLETE: 2, TRANSFER: 2}


def _close_elsewhere(offers: dict[str, QueueCall], queue: str, at: dt.datetime) -> None:
    """A caller who joins another queue has left the one they waited in, unanswered."""
    for q, call in offers.items():
        if q != queue and call.outcome == "waiting":
            call.outcome = "unanswered"
            call.wait_seconds = max(0.0, (at - call.entered_at).total_seconds())


def _last_connected_queue(offers: dict[str, QueueCall]) -> str | None:
    found = [c for c in offers.values() if c.outcome == "answered"]
    return max(found, key=lambda c: c.entered_at).queue if found else None


def _apply(call: QueueCall, event: QueueEventLike) -> None:
    if event.kind == CONNECT and call.outcome in ("waiting", "answered"):
        if call.outcome == "waiting":
            call.outcome = "answered"
            call.wait_seconds = _wait(call, event)
        call.agent = event.agent or call.agent
    elif event.kind == ABANDON and call.outcome == "waiting":
        call.outcome = "abandoned"
        call.wait_seconds = _wait(call, event)
    elif event.kind in EXIT_KINDS and call.outcome == "waiting":
        call.outcome = "unanswered"
        call.wait_seconds = _wait(call, event)
    elif event.kind in (COMPLETE, TRANSFER) and call.outcome == "answered" and not call.ended:
        call.ended = True
        call.talk_seconds = float(event.talk_seconds or 0)
        call.agent = call.agent or event.agent


def figures(
    calls: Iterable[QueueCall],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    short_abandon: float = DEFAULT_SHORT_ABANDON,
) -> Figures:
    """Offered, answered, abandoned, service level, ASA and AHT of ``calls``."""
    if threshold < 0 or short_abandon < 0:
        raise ValueError("threshold and short_abandon must not be negative")
    offered = answered = abandoned = short = unanswered = waiting = within = 0
    waits: list[float] = []
    talks: list[float] = []
    for call in calls:
        offered += 1
        if call.outcome == "answered":
            answered += 1
            wait = call.wait_seconds or 0.0
            waits.append(wait)
            within += wait <= threshold
            if call.ended and call.talk_seconds is not None:
                talks.append(call.talk_seconds)
        elif call.outcome == "abandoned":
            abandoned += 1
            short += (call.wait_seconds or 0.0) < short_abandon
        elif call.outcome == "unanswered":
            unanswered += 1
        else:
            waiting += 1
    resolved = answered + abandoned - short + unanswered
    fair = offered - short
    return Figures(
        offered=offered, answered=answered, abandoned=abandoned, short_abandoned=short,
        unanswered=unanswered, waiting=waiting, answered_within=within,
        service_level=within / resolved if resolved else None,
        asa_seconds=sum(waits) / len(waits) if waits else None,
        aht_seconds=sum(talks) / len(talks) if talks else None,
        abandon_rate=(abandoned - short) / fair if fair else None,
        handled=len(talks),
    )


# ------------------------------------------------------------------------- grouping
GROUPINGS = ("hour", "day", "hour_of_day", "queue", "operator", "topic", "region")


def group_key(by: str, tz: dt.tzinfo) -> Callable[[QueueCall], Hashable]:
    """The key function of a grouping; times are bucketed in the local zone ``tz``."""
    if by == "hour":
        return lambda c: c.entered_at.astimezone(tz).replace(minute=0, second=0, microsecond=0)
    if by == "day":
        return lambda c: c.entered_at.astimezone(tz).date()
    if by == "hour_of_day":
        return lambda c: c.entered_at.astimezone(tz).hour
    if by == "queue":
        return lambda c: c.queue
    if by == "operator":
        return lambda c: c.agent
    if by == "topic":
        return lambda c: c.topic
    if by == "region":
        return lambda c: c.region
    raise ValueError(f"unknown grouping {by!r}; use one of {', '.join(GROUPINGS)}")


def group_figures(
    calls: Iterable[QueueCall],
    by: str,
    tz: dt.tzinfo = dt.UTC,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    short_abandon: float = DEFAULT_SHORT_ABANDON,
) -> list[tuple[Hashable, Figures]]:
    """Figures per group, ordered by key (``None`` — unknown — last)."""
    key = group_key(by, tz)
    groups: dict[Hashable, list[QueueCall]] = {}
    for call in calls:
        groups.setdefault(key(call), []).append(call)
    ordered = sorted(groups, key=lambda k: (k is None, k if k is not None else 0))
    return [(k, figures(groups[k], threshold=threshold, short_abandon=short_abandon))
            for k in ordered]


def fill_hours(
    rows: list[tuple[Hashable, Figures]], start: dt.datetime, end: dt.datetime
) -> list[tuple[Hashable, Figures]]:
    """Hourly rows with empty hours between ``start`` and ``end`` (local, aware) filled in."""
    have = dict(rows)
    out = []
    hour = start.replace(minute=0, second=0, microsecond=0)
    while hour < end:
        out.append((hour, have.get(hour, Figures())))
        # step in UTC so a DST change neither repeats nor skips an hour
        hour = (hour.astimezone(dt.UTC) + dt.timedelta(hours=1)).astimezone(start.tzinfo)
    return out


def longest_wait(since: Iterable[dt.datetime], now: dt.datetime) -> float:
    """Seconds the longest-waiting caller has waited (0 when nobody waits)."""
    return max(((now - s).total_seconds() for s in since), default=0.0)

