"""Operators' state changes written once on PostgreSQL: the AMI consumer replaying a trace
recorded on the real sandbox, the console writing the same changes, and both writers racing
on the same change."""

from __future__ import annotations

import datetime as dt
import json
import threading
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from sqlalchemy import select

from agi_scripts.ami_agent_states import AgentStateChange, write_agent_states
from agi_scripts.ami_consumer import AmiConsumer
from appeal_store.db import make_engine, make_session_factory
from appeal_store.migrate import upgrade
from appeal_store.models import AgentStateEvent
from appeal_store.users import create_user
from hotline.settings import Settings

pytestmark = pytest.mark.postgres

TRACES = Path(__file__).resolve().parents[1] / "fixtures" / "ami"
ENDPOINT = "op4bded41"  # the operator of the recorded traces


@pytest.fixture(scope="module")
def factory(pg_url):
    upgrade(pg_url)
    f = make_session_factory(make_engine(pg_url))
    with f() as session:
        create_user(session, "op-states", "pw-op-states-1234", "operator", sip_endpoint=ENDPOINT)
        session.commit()
    return f


def rows(factory, since: dt.datetime | None = None) -> list[tuple]:
    with factory() as session:
        q = select(AgentStateEvent).where(AgentStateEvent.agent == ENDPOINT)
        if since is not None:
            q = q.where(AgentStateEvent.at >= since)
        return [(e.state, e.reason, e.queue, e.user_id is not None)
                for e in session.scalars(q.order_by(AgentStateEvent.at, AgentStateEvent.id))]


@pytest.mark.redis
async def test_consumer_writes_the_trace_once_beside_the_consoles_rows(factory, redis_url):
    events = json.loads((TRACES / "pause_stops_calls_and_abandon_records_the_wait.json")
                        .read_text(encoding="utf-8"))
    members = [e for e in events if e["Event"].startswith("QueueMember")]
    # the console wrote its pause a moment after Asterisk's event (as AgentService does)
    pause = next(e for e in members if e["Event"] == "QueueMemberPause" and e["Paused"] == "1")
    console_at = dt.datetime.fromtimestamp(float(pause["Timestamp"]) + 0.3, dt.UTC)
    write_agent_states(factory, [AgentStateChange(ENDPOINT, "common", "pause", "break",
                                                  console_at)])
    client = aioredis.from_url(redis_url)
    try:
        consumer = AmiConsumer(Settings(environment="test"), factory, client)
        for _ in range(2):  # a replay (a second consumer, a reconnect) changes nothing
            for event in members:
                await consumer.handle(event)
    finally:
        await client.aclose()
    assert rows(factory) == [("login", None, "common", True), ("pause", "break", "common", True),
                             ("unpause", None, "common", True)]


def test_console_and_consumer_racing_on_each_change_write_one_row(factory):
    start = dt.datetime(2027, 5, 4, 10, 0, tzinfo=dt.UTC)  # after the trace
    states = ["pause", "unpause"] * 10
    barrier = threading.Barrier(2)

    def writer(offset: float) -> None:
        for n, state in enumerate(states):
            at = start + dt.timedelta(seconds=30 * n + offset)
            barrier.wait(10)
            write_agent_states(factory, [AgentStateChange(
                ENDPOINT, "common", state, "break" if state == "pause" else None, at)])

    threads = [threading.Thread(target=writer, args=(o,)) for o in (0.0, 0.25)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert [r[0] for r in rows(factory, since=start)] == states
