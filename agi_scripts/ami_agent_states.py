"""Operators' state changes (log in, log out, pause, unpause) as AgentStateEvent rows,
written once whoever made the change: the console, Asterisk's CLI, a phone's feature code.

Two writers see the same change: the console's :class:`agi_scripts.agents.AgentService`
(right after its AMI action) and the AMI consumer (QueueMemberAdded / QueueMemberPause /
QueueMemberRemoved). The rule that keeps one row per change:

    A change of (agent, queue) is already recorded when a row of that agent and queue
    within ±DEDUP_WINDOW of the change's time has the same state (for a pause, the same
    reason) and no row of another state lies between that row and the change. Then
    nothing is written.

So a replayed event (its row at exactly the event's time) and the console's own change
(its row a moment after Asterisk's event, or before the consumer got the event) are
skipped, while a real toggle (pause, unpause, pause within seconds) is kept: each event
pairs with its own transition. The console writes change N before it makes change N+1,
so nothing of its own lies between its row and Asterisk's event. Both writers check and insert while holding the
user's row lock (``SELECT … FOR UPDATE`` on PostgreSQL), so they never both insert.

Example::

    change = agent_state_change({"Event": "QueueMemberPause", "Queue": "common",
                                 "Interface": "PJSIP/op1001", "Paused": "1",
                                 "PausedReason": "break", "Timestamp": "1700000000.5"})
    with session_scope(factory) as session:
        record_agent_state(session, change[0])      # True: written; False: already there
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from agi_scripts.ami_events import AmiEvent, endpoint_of, event_time, is_true
from appeal_store.db import session_scope
from appeal_store.models import AgentStateEvent, User

DEDUP_WINDOW = dt.timedelta(seconds=5)


@dataclass(frozen=True)
class AgentStateChange:
    """One operator's state change in one queue (``queue`` None: every queue)."""

    agent: str
    queue: str | None
    state: str  # login, logout, pause, unpause
    reason: str | None
    at: dt.datetime
    user_id: int | None = None


def agent_state_change(event: AmiEvent) -> tuple[AgentStateChange, ...]:
    """The state changes an AMI member event stands for (pure; () if none).

    QueueMemberAdded → login (and pause when added paused), QueueMemberRemoved → logout,
    QueueMemberPause → pause with PausedReason, or unpause. Only PJSIP members (operators'
    phones) count; an event without a timestamp is not recorded (no stable identity).
    """
    name = event.get("Event")
    agent = endpoint_of(event.get("Interface") or event.get("Location")
                        or event.get("StateInterface"))
    queue, at = event.get("Queue") or None, event_time(event)
    if not agent or not queue or at is None:
        return ()
    paused = is_true(event.get("Paused"))
    reason = (event.get("PausedReason") or "").strip() or None
    if name == "QueueMemberAdded":
        out = [AgentStateChange(agent, queue, "login", None, at)]
        if paused:
            out.append(AgentStateChange(agent, queue, "pause", reason, at))
        return tuple(out)
    if name == "QueueMemberRemoved":
        return (AgentStateChange(agent, queue, "logout", None, at),)
    if name == "QueueMemberPause":
        return (AgentStateChange(agent, queue, "pause" if paused else "unpause",
                                 reason if paused else None, at),)
    return ()


@dataclass(frozen=True)
class StoredState:
    state: str
    reason: str | None
    at: dt.datetime


def _key(state: str, reason: str | None) -> tuple[str, str | None]:
    return state, (reason or None) if state == "pause" else None


def already_recorded(change: AgentStateChange, nearby: Iterable[StoredState],
                     window: dt.timedelta = DEDUP_WINDOW) -> bool:
    """The rule (pure): a stored row within ``window`` records the same change, with no
    other change of the agent in that queue between it and ``change``."""
    close = [r for r in nearby if abs(r.at - change.at) <= window]
    mine = _key(change.state, change.reason)
    for row in close:
        if _key(row.state, row.reason) != mine:
            continue
        lo, hi = sorted((row.at, change.at))
        if not any(lo < o.at < hi and _key(o.state, o.reason) != mine for o in close):
            return True
    return False


def _lock_user(session: Session, change: AgentStateChange) -> int | None:
    """Lock the operator's user row (serialises the two writers); returns its id."""
    if change.user_id is not None:
        where = User.id == change.user_id
    else:
        where = User.sip_endpoint == change.agent
    return session.scalar(select(User.id).where(where).with_for_update())


def record_agent_state(session: Session, change: AgentStateChange,
                       window: dt.timedelta = DEDUP_WINDOW) -> bool:
    """Add ``change`` as an AgentStateEvent unless it is already recorded (see the rule).

    The caller commits. Returns True when a row was added.
    """
    user_id = _lock_user(session, change)
    queue_match = (AgentStateEvent.queue.is_(None) if change.queue is None
                   else AgentStateEvent.queue == change.queue)
    rows = session.execute(
        select(AgentStateEvent.state, AgentStateEvent.reason, AgentStateEvent.at)
        .where(AgentStateEvent.agent == change.agent, queue_match,
               AgentStateEvent.at >= change.at - window,
               AgentStateEvent.at <= change.at + window)
    ).all()
    if already_recorded(change, [StoredState(r.state, r.reason, r.at) for r in rows], window):
        return False
    session.add(AgentStateEvent(user_id=change.user_id or user_id, agent=change.agent,
                                queue=change.queue, state=change.state, reason=change.reason,
                                at=change.at))
    session.flush()
    return True


def write_agent_states(factory: sessionmaker[Session],
                       changes: Sequence[AgentStateChange]) -> int:
    """Record ``changes`` in one transaction; returns how many rows were added."""
    if not changes:
        return 0
    with session_scope(factory) as session:
        return sum(record_agent_state(session, c) for c in changes)


# --- members Asterisk forgot (a restart drops dynamic members without an event) -------------

LOGGED_IN_STATES = ("login", "pause", "unpause")
MISSING_REASON = "asterisk-restart"


def believed_logged_in(session: Session, before: dt.datetime) -> set[tuple[str, str]]:
    """(agent, queue) pairs whose latest row (older than ``before``) is login/pause/unpause.

    Rows newer than ``before`` are left out: a change made while Asterisk was being asked
    may be missing from its answer without being lost.
    """
    ranked = (
        select(AgentStateEvent.agent, AgentStateEvent.queue, AgentStateEvent.state,
               func.row_number().over(
                   partition_by=(AgentStateEvent.agent, AgentStateEvent.queue),
                   order_by=(AgentStateEvent.at.desc(), AgentStateEvent.id.desc()),
               ).label("rank"))
        .where(AgentStateEvent.queue.is_not(None), AgentStateEvent.at < before)
        .subquery()
    )
    rows = session.execute(
        select(ranked.c.agent, ranked.c.queue)
        .where(ranked.c.rank == 1, ranked.c.state.in_(LOGGED_IN_STATES))
    ).all()
    return {(r.agent, r.queue) for r in rows}


def missing_members(believed: Iterable[tuple[str, str]], snapshot: dict[str, Any],
                    at: dt.datetime, reason: str = MISSING_REASON
                    ) -> tuple[AgentStateChange, ...]:
    """Logouts (pure) for the members the database believes in but Asterisk's snapshot
    (:func:`agi_scripts.ami_events.snapshot_from_status`) does not hold."""
    present = {(agent, name) for name, q in (snapshot.get("queues") or {}).items()
               for agent in (q.get("members") or {})}
    return tuple(AgentStateChange(agent, queue, "logout", reason, at)
                 for agent, queue in sorted(set(believed) - present))


def write_missing_logouts(factory: sessionmaker[Session],
                          snapshot_at: tuple[dict[str, Any], dt.datetime]) -> int:
    """Write a ``logout`` for each member missing from a QueueStatus snapshot taken at
    ``at`` (one transaction, the one-row rule); returns how many rows were added."""
    snapshot, at = snapshot_at
    with session_scope(factory) as session:
        changes = missing_members(believed_logged_in(session, at), snapshot, at)
        return sum(record_agent_state(session, c) for c in changes)
