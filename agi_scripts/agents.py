"""The agent service: an operator logs in to queues, pauses with a reason, unpauses, logs
out. Each change is applied to Asterisk through AMI (QueueAdd / QueuePause / QueueRemove)
and written as an AgentStateEvent. What an operator's state *is* comes from Asterisk
(QueueStatus), never from our own memory.

Example::

    async with ami_session(settings) as ami:
        service = AgentService(ami, session_factory)
        await service.login(Agent(user_id=7, endpoint="op1001", name="Olena"), ["common"])
        await service.pause(agent, "break")
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from agi_scripts.ami_agent_states import AgentStateChange, write_agent_states
from agi_scripts.ami_client import AmiClient, AmiError
from agi_scripts.ami_events import endpoint_of, member_state
from appeal_store.models import QueueMembership

log = logging.getLogger(__name__)

PAUSE_REASONS = {
    "break": ("Перерва", "Break"),
    "after_call_work": ("Обробка після дзвінка", "After-call work"),
    "training": ("Навчання", "Training"),
    "meeting": ("Нарада", "Meeting"),
}


class AgentError(ValueError):
    """A request the agent service refuses (bad reason, no endpoint, unknown queue)."""


@dataclass(frozen=True)
class Agent:
    """An operator as the agent service needs it."""

    user_id: int | None
    endpoint: str
    name: str = ""

    @property
    def interface(self) -> str:
        return f"PJSIP/{self.endpoint}"


@dataclass(frozen=True)
class AgentStatus:
    """An operator's membership of each queue, as Asterisk reports it."""

    endpoint: str
    queues: dict[str, dict[str, Any]]

    @property
    def logged_in(self) -> bool:
        return bool(self.queues)

    @property
    def paused(self) -> bool:
        return self.logged_in and all(q["paused"] for q in self.queues.values())

    @property
    def state(self) -> str:
        if not self.logged_in:
            return "logged_out"
        return "paused" if self.paused else "ready"

    def as_dict(self) -> dict[str, Any]:
        reasons = {q["reason"] for q in self.queues.values() if q["paused"]}
        return {"endpoint": self.endpoint, "state": self.state, "logged_in": self.logged_in,
                "paused": self.paused, "reason": next(iter(reasons), "") if reasons else "",
                "queues": self.queues}


def memberships(session: Session, user_id: int | None) -> dict[str, int]:
    """The operator's standing queues and penalties (skills) from QueueMembership."""
    if user_id is None:
        return {}
    rows = session.execute(select(QueueMembership.queue, QueueMembership.penalty)
                           .where(QueueMembership.user_id == user_id)).all()
    return {r.queue: r.penalty for r in rows}


class AgentService:
    """Operations on one Asterisk through an AMI connection, recorded in the database."""

    def __init__(self, ami: AmiClient, session_factory: sessionmaker[Session]) -> None:
        self.ami = ami
        self.factory = session_factory

    async def status(self, agent: Agent) -> AgentStatus:
        """What Asterisk says about this operator (QueueStatus filtered to the member)."""
        events = await self.ami.list_events({"Action": "QueueStatus", "Member": agent.interface})
        queues = {
            e["Queue"]: member_state(e) for e in events
            if e.get("Event") == "QueueMember"
            and endpoint_of(e.get("Location") or e.get("StateInterface")) == agent.endpoint
        }
        return AgentStatus(agent.endpoint, queues)

    async def login(self, agent: Agent, queues: dict[str, int] | Iterable[str] | None = None,
                    *, default_queue: str = "common") -> AgentStatus:
        """Add the operator to ``queues`` ({queue: penalty}, or names; default: the
        operator's QueueMembership rows, else ``default_queue``). Already a member: kept."""
        wanted = await asyncio.to_thread(self._wanted_queues, agent, queues, default_queue)
        known = await self.queue_names()
        unknown = sorted(set(wanted) - known)
        if unknown:
            raise AgentError(f"unknown queues: {', '.join(unknown)}")
        for queue, penalty in wanted.items():
            try:
                await self.ami.action({
                    "Action": "QueueAdd", "Queue": queue, "Interface": agent.interface,
                    "StateInterface": agent.interface, "MemberName": agent.name or agent.endpoint,
                    "Penalty": str(penalty), "Paused": "false",
                })
            except AmiError as exc:
                if "already there" not in exc.message.lower():
                    raise
        await self._record(agent, "login", None, list(wanted))
        return await self.status(agent)

    async def logout(self, agent: Agent) -> AgentStatus:
        """Remove the operator from every queue Asterisk has them in."""
        current = await self.status(agent)
        for queue in current.queues:
            try:
                await self.ami.action({"Action": "QueueRemove", "Queue": queue,
                                       "Interface": agent.interface})
            except AmiError as exc:
                if "not there" not in exc.message.lower():
                    raise
        await self._record(agent, "logout", None, list(current.queues))
        return await self.status(agent)

    async def pause(self, agent: Agent, reason: str) -> AgentStatus:
        """Pause in every queue with ``reason`` (one of :data:`PAUSE_REASONS`)."""
        if reason not in PAUSE_REASONS:
            raise AgentError(f"reason must be one of {sorted(PAUSE_REASONS)}")
        return await self._set_paused(agent, True, reason)

    async def unpause(self, agent: Agent) -> AgentStatus:
        return await self._set_paused(agent, False, None)

    async def _set_paused(self, agent: Agent, paused: bool, reason: str | None) -> AgentStatus:
        current = await self.status(agent)
        if not current.logged_in:
            raise AgentError("the operator is not logged in to any queue")
        action = {"Action": "QueuePause", "Interface": agent.interface,
                  "Paused": "true" if paused else "false"}
        if reason:
            action["Reason"] = reason
        await self.ami.action(action)  # no Queue: every queue of the member
        await self._record(agent, "pause" if paused else "unpause", reason, list(current.queues))
        return await self.status(agent)

    async def queue_names(self) -> set[str]:
        events = await self.ami.list_events({"Action": "QueueSummary"})
        return {e["Queue"] for e in events if e.get("Queue")}

    def _wanted_queues(self, agent: Agent, queues: dict[str, int] | Iterable[str] | None,
                       default_queue: str) -> dict[str, int]:
        with self.factory() as session:
            standing = memberships(session, agent.user_id)
        if queues is None:
            return standing or {default_queue: 0}
        if isinstance(queues, dict):
            return {str(q): int(p) for q, p in queues.items()}
        return {q: standing.get(q, 0) for q in queues}

    async def _record(self, agent: Agent, state: str, reason: str | None,
                      queues: list[str]) -> None:
        """One AgentStateEvent per queue, unless the AMI consumer already wrote the same
        change from Asterisk's event (rule: :mod:`agi_scripts.ami_agent_states`)."""
        at = dt.datetime.now(dt.UTC)
        changes = [AgentStateChange(agent.endpoint, queue, state, reason, at, agent.user_id)
                   for queue in queues or [None]]
        added = await asyncio.to_thread(write_agent_states, self.factory, changes)
        log.info("agent %s: %s %s %s (%d new rows)", agent.endpoint, state, reason or "",
                 ",".join(queues), added)
