"""The ARI client against a local websocket server, and the call-back rows on SQLite."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import pytest
import websockets

from agi_scripts.ari_client import AriClient, AriNotConnected
from agi_scripts.callbacks import (
    CallbackRequest,
    due_callbacks,
    finish_attempt,
    start_attempt,
    store_callback,
)
from appeal_store.db import make_engine, make_session_factory
from appeal_store.models import Base, Callback, CallbackAttempt, utcnow


async def test_rest_is_refused_before_the_websocket_is_connected():
    client = AriClient("http://127.0.0.1:1", "u", "p", "hotline")
    with pytest.raises(AriNotConnected):
        await client.post("/channels/x/answer")
    await client.close()


async def test_events_reach_handler_and_subscribers_and_the_client_reconnects():
    sent = 0

    async def asterisk(ws):
        nonlocal sent
        assert ws.request.path.startswith("/ari/events?app=hotline")
        assert ws.request.headers["Authorization"].startswith("Basic ")
        sent += 1
        await ws.send(json.dumps({"type": "StasisStart", "args": ["voice_appeal"],
                                  "channel": {"id": f"c{sent}"}}))
        await ws.send("not json")
        await ws.close()  # drop the app: the client must come back

    async with websockets.serve(asterisk, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        client = AriClient(f"http://127.0.0.1:{port}", "u", "p", "hotline")
        seen: list[dict] = []
        stop = asyncio.Event()

        async def on_event(event):
            seen.append(event)
            if len(seen) == 2:
                stop.set()

        async with client.subscribe(lambda e: e["channel"]["id"] == "c2") as queue:
            await asyncio.wait_for(client.run(on_event, stop), 10)
            assert (await queue.get())["channel"]["id"] == "c2"
        assert [e["channel"]["id"] for e in seen] == ["c1", "c2"]
        assert client.connects == 2 and not client.connected.is_set()
        await client.close()


async def test_unreachable_asterisk_is_retried_until_stopped():
    client = AriClient("http://127.0.0.1:1", "u", "p", "hotline")
    stop = asyncio.Event()
    asyncio.get_running_loop().call_later(1.0, stop.set)
    await asyncio.wait_for(client.run(lambda e: None, stop), 5)  # type: ignore[arg-type]
    assert client.connects == 0
    await client.close()


@pytest.fixture
def factory(sqlite_url):
    engine = make_engine(sqlite_url)
    Base.metadata.create_all(engine)
    return make_session_factory(engine)


def test_callback_attempts_retry_then_fail(factory):
    cb_id = store_callback(factory, CallbackRequest("380501112233", "social", "social", "uk",
                                                    "1.1"))
    retry = dt.timedelta(seconds=60)
    for n in (1, 2):
        due = due_callbacks(factory, utcnow())
        assert [d.id for d in due] == [cb_id]
        attempt = start_attempt(factory, cb_id, f"chan-{n}")
        assert start_attempt(factory, cb_id, "other") is None  # taken once
        status = finish_attempt(factory, attempt, "busy", answered=False, max_attempts=2,
                                retry_after=retry if n == 1 else dt.timedelta(0))
        if n == 1:
            assert status == "pending"
            assert due_callbacks(factory, utcnow()) == []  # not before the delay
            assert due_callbacks(factory, utcnow() + retry * 2)
            with factory() as s:
                s.get(Callback, cb_id).next_attempt_at = utcnow()
                s.commit()
    assert status == "failed"
    with factory() as s:
        outcomes = [a.outcome for a in s.query(CallbackAttempt).order_by(CallbackAttempt.id)]
    assert outcomes == ["busy", "busy"]


def test_answered_callback_is_done(factory):
    cb_id = store_callback(factory, CallbackRequest("380501112233", None, "common", "en", "2.2"))
    attempt = start_attempt(factory, cb_id, "chan")
    assert finish_attempt(factory, attempt, "answered", answered=True, max_attempts=3,
                          retry_after=dt.timedelta(0)) == "done"
    assert finish_attempt(factory, attempt, "busy", answered=False, max_attempts=3,
                          retry_after=dt.timedelta(0)) == "unchanged"
