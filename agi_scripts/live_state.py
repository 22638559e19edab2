"""The live view of queues and agents in Redis, and the notifier: the only module that
publishes to Redis.

Keys (``prefix`` defaults to "hotline")::

    {prefix}:live:queues               set of queue names seen
    {prefix}:live:waiting:{queue}      hash uniqueid -> JSON caller (position, joined_at, ...)
    {prefix}:live:members:{queue}      hash endpoint -> JSON member (status, paused, reason)
    {prefix}:live:calls                hash endpoint -> JSON call state (ringing/connected/idle)
    {prefix}:live:agents               hash endpoint -> JSON agent: name, state (available,
                                       ringing, talking, paused, unavailable), paused,
                                       reason, since, queues, call

Channels: ``{prefix}:live`` gets every change as JSON; ``{prefix}:screenpop:{endpoint}``
gets the screen pop of that operator's phone.

Example::

    live = LiveState(redis.asyncio.from_url(url))
    await live.apply(LiveChange("caller_join", "common", "1700.1", {"caller": "380..."}))
    (await live.snapshot())["queues"]["common"]["waiting"]
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from redis.asyncio import Redis

from agi_scripts.ami_events import LiveChange


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def live_channel(prefix: str = "hotline") -> str:
    return f"{prefix}:live"


def screen_pop_channel(endpoint: str, prefix: str = "hotline") -> str:
    """The channel an operator's console subscribes to (by the operator's SIP endpoint)."""
    return f"{prefix}:screenpop:{endpoint}"


class LiveState:
    """Reads and writes the live view; publishes every change."""

    def __init__(self, redis: Redis, prefix: str = "hotline",
                 clock: Callable[[], dt.datetime] = _utcnow) -> None:
        self.redis = redis
        self.prefix = prefix
        self.clock = clock

    def _key(self, *parts: str) -> str:
        return ":".join([self.prefix, "live", *parts])

    async def _publish(self, message: dict[str, Any]) -> None:
        await self.redis.publish(live_channel(self.prefix), json.dumps(message, default=str))

    # --- writes --------------------------------------------------------------------------
    async def apply(self, change: LiveChange) -> None:
        """Apply one change from :func:`agi_scripts.ami_events.map_event` and publish it."""
        q = change.queue or ""
        pipe = self.redis.pipeline(transaction=True)
        if q:
            pipe.sadd(self._key("queues"), q)
        if change.op == "caller_join":
            value = dict(change.value, since=change.value.get("joined_at"))
            pipe.hset(self._key("waiting", q), change.key, json.dumps(value))
        elif change.op == "caller_leave":
            pipe.hdel(self._key("waiting", q), change.key)
        elif change.op == "member":
            pipe.hset(self._key("members", q), change.key, json.dumps(change.value))
        elif change.op == "member_removed":
            pipe.hdel(self._key("members", q), change.key)
        elif change.op == "agent_call":
            value = dict(change.value, queue=q, at=self.clock().isoformat())
            pipe.hset(self._key("calls"), change.key, json.dumps(value))
        else:
            raise ValueError(f"unknown live change {change.op!r}")
        await pipe.execute()
        await self._publish({"type": change.op, "queue": q, "key": change.key,
                             "value": change.value})
        if change.op in ("member", "member_removed", "agent_call"):
            await self._refresh_agent(change.key)

    async def replace(self, snapshot: dict[str, Any]) -> None:
        """Make Redis hold exactly ``snapshot`` (from QueueStatus: Asterisk is the truth)."""
        now = self.clock()
        old_queues = await self.redis.smembers(self._key("queues"))
        pipe = self.redis.pipeline(transaction=True)
        for raw in old_queues:
            name = raw.decode() if isinstance(raw, bytes) else raw
            pipe.delete(self._key("waiting", name), self._key("members", name))
        pipe.delete(self._key("queues"))
        members: set[str] = set()
        in_call: set[str] = set()
        for name, q in snapshot.get("queues", {}).items():
            pipe.sadd(self._key("queues"), name)
            for uid, caller in q.get("waiting", {}).items():
                caller = dict(caller)
                wait = caller.pop("wait_seconds", 0) or 0
                caller["joined_at"] = caller["since"] = (
                    now - dt.timedelta(seconds=wait)).isoformat()
                pipe.hset(self._key("waiting", name), uid, json.dumps(caller))
            for agent, member in q.get("members", {}).items():
                pipe.hset(self._key("members", name), agent, json.dumps(member))
                members.add(agent)
                if member.get("in_call") or member.get("status") in ("in_call", "ringing"):
                    in_call.add(agent)
        # A call state Asterisk contradicts (not in a call) is dropped.
        for agent in {_text(k) for k in await self.redis.hkeys(self._key("calls"))}:
            if agent not in in_call:
                pipe.hdel(self._key("calls"), agent)
        pipe.delete(self._key("agents"))
        await pipe.execute()
        for agent in members:
            await self._refresh_agent(agent, publish=False)
        await self._publish({"type": "snapshot"})

    async def _refresh_agent(self, endpoint: str, publish: bool = True) -> None:
        """Recompute one agent's summary from its queue memberships and call state."""
        names = sorted(_text(n) for n in await self.redis.smembers(self._key("queues")))
        members = {}
        for name in names:
            raw = await self.redis.hget(self._key("members", name), endpoint)
            if raw is not None:
                members[name] = json.loads(raw)
        raw_call = await self.redis.hget(self._key("calls"), endpoint)
        previous = await self.redis.hget(self._key("agents"), endpoint)
        view = agent_view(members, json.loads(raw_call) if raw_call else None,
                          json.loads(previous) if previous else None, self.clock())
        if view is None:
            await self.redis.hdel(self._key("agents"), endpoint)
        else:
            await self.redis.hset(self._key("agents"), endpoint, json.dumps(view))
        if publish:
            await self._publish({"type": "agent", "key": endpoint, "value": view})

    async def publish_screen_pop(self, endpoint: str, payload: dict[str, Any]) -> int:
        """Send a screen pop to one operator; returns how many consoles received it."""
        return int(await self.redis.publish(screen_pop_channel(endpoint, self.prefix),
                                            json.dumps(payload, default=str)))

    # --- reads ---------------------------------------------------------------------------
    async def snapshot(self) -> dict[str, Any]:
        """{"queues": {name: {"waiting": [...by position], "members": {...}}}, "agents": {...}}."""
        names = sorted(_text(n) for n in await self.redis.smembers(self._key("queues")))
        queues: dict[str, Any] = {}
        for name in names:
            waiting = [json.loads(v) for v in
                       (await self.redis.hgetall(self._key("waiting", name))).values()]
            waiting.sort(key=lambda c: (c.get("position") or 0, c.get("joined_at") or ""))
            members = {_text(k): json.loads(v) for k, v in
                       (await self.redis.hgetall(self._key("members", name))).items()}
            queues[name] = {"waiting": waiting, "members": members}
        agents = {_text(k): json.loads(v)
                  for k, v in (await self.redis.hgetall(self._key("agents"))).items()}
        return {"queues": queues, "agents": agents, "at": self.clock().isoformat()}

    async def queue_stats(self) -> dict[str, dict[str, float]]:
        """{queue: {"waiting": n, "longest_wait_seconds": s}} for routing's overflow rules."""
        now = self.clock()
        out: dict[str, dict[str, float]] = {}
        for name, q in (await self.snapshot())["queues"].items():
            waits = [(now - dt.datetime.fromisoformat(c["joined_at"])).total_seconds()
                     for c in q["waiting"] if c.get("joined_at")]
            out[name] = {"waiting": len(q["waiting"]),
                         "longest_wait_seconds": max(waits, default=0.0)}
        return out


def agent_state(members: dict[str, dict[str, Any]], call: dict[str, Any] | None) -> str:
    """One word for an agent: paused, talking, ringing, available or unavailable."""
    if members and all(m.get("paused") for m in members.values()):
        return "paused"
    call_state = (call or {}).get("call_state")
    statuses = {m.get("status") for m in members.values()}
    if call_state == "connected" or "in_call" in statuses or "busy" in statuses:
        return "talking"
    if call_state == "ringing" or "ringing" in statuses:
        return "ringing"
    if statuses & {"unavailable", "invalid"}:
        return "unavailable"
    return "available"


def agent_view(members: dict[str, dict[str, Any]], call: dict[str, Any] | None,
               previous: dict[str, Any] | None, now: dt.datetime) -> dict[str, Any] | None:
    """An agent's summary (None when in no queue); ``since`` moves only when the state does."""
    if not members:
        return None
    state = agent_state(members, call)
    reasons = sorted({m.get("reason") or "" for m in members.values() if m.get("paused")} - {""})
    since = previous.get("since") if previous and previous.get("state") == state else None
    connected = call if call and call.get("call_state") in ("connected", "ringing") else None
    return {
        "name": next((m.get("name") for m in members.values() if m.get("name")), ""),
        "state": state,
        "paused": state == "paused",
        "reason": reasons[0] if reasons else "",
        "since": since or now.isoformat(),
        "queues": sorted(members),
        "penalties": {q: m.get("penalty", 0) for q, m in members.items()},
        "call": {k: connected.get(k) for k in ("uniqueid", "caller", "channel", "since")}
        if connected else None,
    }


def _text(raw: bytes | str) -> str:
    return raw.decode() if isinstance(raw, bytes) else raw
