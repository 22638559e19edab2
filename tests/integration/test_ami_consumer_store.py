"""The AMI consumer's adapters against real Redis and PostgreSQL: the lease, the live view,
exactly-once event writes from a recorded trace."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from sqlalchemy import func, select

from agi_scripts.ami_events import LiveChange, map_event
from agi_scripts.ami_lock import RedisLease
from agi_scripts.ami_store import write_effects
from agi_scripts.live_state import LiveState
from appeal_store.db import make_engine, make_session_factory
from appeal_store.migrate import upgrade
from appeal_store.models import Call, CallEvent

TRACES = Path(__file__).resolve().parents[1] / "fixtures" / "ami"


@pytest.fixture
async def r(redis_url):
    client = aioredis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.mark.redis
async def test_lease_is_held_by_one_and_passes_on_expiry(r):
    a, b = RedisLease(r, "t:lease", 300), RedisLease(r, "t:lease", 300)
    assert await a.acquire() and not await b.acquire()
    assert await a.renew() and not await b.renew()
    assert not await b.release() and await a.holder() == a.token
    await r.delete("t:lease")  # as after a Redis restart: the key is gone
    assert await b.acquire() and not await a.renew()
    assert await b.release() and await a.acquire()


@pytest.mark.redis
async def test_live_view_changes_are_published_and_rebuilt(r):
    live = LiveState(r)
    pubsub = r.pubsub()
    await pubsub.subscribe("hotline:live")
    await pubsub.get_message(timeout=1)
    await live.apply(LiveChange("member", "common", "op1", {"name": "One", "status": "available",
                                                             "paused": False, "reason": ""}))
    await live.apply(LiveChange("caller_join", "common", "1.1", {"caller": "380", "position": 1,
                                                                  "joined_at": "2030-01-01T00:00:00+00:00"}))
    msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1)
    assert json.loads(msg["data"])["type"] == "member"
    snap = await live.snapshot()
    assert snap["queues"]["common"]["waiting"][0]["caller"] == "380"
    assert snap["agents"]["op1"]["state"] == "available"
    await live.apply(LiveChange("agent_call", "common", "op1", {"call_state": "connected",
                                                                 "uniqueid": "1.1"}))
    assert (await live.snapshot())["agents"]["op1"]["state"] == "talking"
    # Asterisk says: nobody waits, op1 paused and idle
    await live.replace({"queues": {"common": {"waiting": {}, "members": {
        "op1": {"name": "One", "status": "available", "paused": True, "reason": "break",
                "in_call": False}}}}})
    snap = await live.snapshot()
    assert snap["queues"]["common"]["waiting"] == []
    assert snap["agents"]["op1"]["state"] == "paused" and snap["agents"]["op1"]["call"] is None
    with pytest.raises(ValueError):
        await live.apply(LiveChange("bogus", "common", "x"))
    await pubsub.aclose()


@pytest.mark.postgres
def test_trace_written_once_even_when_replayed(pg_url):
    upgrade(pg_url)
    factory = make_session_factory(make_engine(pg_url))
    events = json.loads((TRACES / "answered_call.json").read_text())
    written = [write_effects(factory, map_event(e)) for e in events]
    replayed = [write_effects(factory, map_event(e)) for e in events]
    assert sum(written) == 3  # enter, connect, complete
    assert not any(replayed)
    with factory() as session:
        uid = events[3]["Uniqueid"]
        kinds = session.scalars(select(CallEvent.kind).where(CallEvent.uniqueid == uid)
                                .order_by(CallEvent.at)).all()
        assert kinds == ["enter", "connect", "complete"]
        call = session.scalars(select(Call).where(Call.uniqueid == uid)).one()
        assert call.status == "completed" and call.caller_number == "380501234567"
        assert call.answered_at is not None and call.ended_at is not None
        assert session.scalar(select(func.count()).select_from(CallEvent)) == 3
