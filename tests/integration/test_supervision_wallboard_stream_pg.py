"""The wallboard's SSE streams through uvicorn on PostgreSQL and Redis: many open boards
share one Redis subscription and one computation of today's figures per burst of events,
a closed board is dropped, and a database outage is reported and recovered from."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import socket
import threading
import time

import httpx
import pytest
import redis
import uvicorn

from appeal_store.calls import record_event, upsert_call
from hotline.settings import Settings
from operator_console.app import create_app
from operator_console.routers import wallboard
from operator_console.testing import add_user, logged_in, prepare_database

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

CHANNEL = "hotline:live"  # the default live channel of SupervisionConfig


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served(pg_url):
    factory = prepare_database(pg_url)
    add_user(factory, "sup", "supervisor")
    now = dt.datetime.now(dt.UTC)
    with factory() as s:  # two calls earlier today: one answered, one abandoned
        for uid, kind, extra in (("w1", "connect", {"wait_seconds": 12, "agent": "PJSIP/op1"}),
                                 ("w2", "abandon", {"wait_seconds": 30})):
            upsert_call(s, uid, queue="common")
            record_event(s, f"{uid}:enter", uid, "enter", queue="common",
                         at=now - dt.timedelta(seconds=200))
            record_event(s, f"{uid}:{kind}", uid, kind, queue="common",
                         at=now - dt.timedelta(seconds=100), **extra)
        s.commit()
    from tests.conftest import REDIS_TEST_URL
    app = create_app(Settings(environment="test", redis_url=REDIS_TEST_URL),
                     session_factory=factory)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield app, f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def counted(monkeypatch):
    """Counts computations of today's figures (the database work of a snapshot)."""
    calls = {"n": 0, "fail": False}
    real = wallboard.today_figures

    def counting(*args, **kw):
        calls["n"] += 1
        if calls["fail"]:
            raise ConnectionError("database is down")
        return real(*args, **kw)

    monkeypatch.setattr(wallboard, "today_figures", counting)
    return calls


def cookies(base: str) -> httpx.Cookies:
    with httpx.Client(base_url=base) as c:
        logged_in(c, "sup")
        return c.cookies


async def next_event(lines) -> tuple[str, dict]:
    """The next SSE event (name, data) from an aiter_lines iterator."""
    name, data = "message", None
    async for line in lines:
        if line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: "):
            data = json.loads(line[6:])
        elif line == "" and data is not None:
            return name, data
    raise AssertionError("stream ended")


def hub(app):
    hubs = list(getattr(app.state, "wallboard_hubs", {}).values())
    return hubs[0] if hubs else None


def numsub() -> int:
    from tests.conftest import REDIS_TEST_URL
    r = redis.Redis.from_url(REDIS_TEST_URL)
    try:
        return dict(r.pubsub_numsub(CHANNEL)).get(CHANNEL.encode(), 0)
    finally:
        r.close()


async def until(predicate, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        await asyncio.sleep(0.02)


async def test_streams_share_one_computation_per_burst_and_agree_with_the_api(
        served, counted, redis_url):
    app, base = served
    jar = cookies(base)
    n = 20  # more than the pool (5 + 10): an open board must not hold a connection
    async with httpx.AsyncClient(base_url=base, cookies=jar, timeout=10) as client:
        expected = (await client.get("/api/supervisor/wallboard")).json()["total"]
        async with asyncio.timeout(30):
            streams = [await client.send(client.build_request("GET", "/supervisor/wallboard/stream"),
                                         stream=True) for _ in range(n)]
            lines = [s.aiter_lines() for s in streams]
            first = [await next_event(it) for it in lines]
            assert {name for name, _ in first} == {"snapshot"}
            assert all(d["total"] == expected for _, d in first)  # same figures as history
            assert expected["offered"] == 2 and expected["abandoned"] == 1
            await until(lambda: numsub() == 1)  # one Redis subscription for n streams
            counted["n"] = 0
            r = redis.Redis.from_url(redis_url)
            published = time.monotonic()
            for i in range(5):  # a burst
                r.publish(CHANNEL, json.dumps({"type": "join", "i": i}))
            updates = [await next_event(it) for it in lines]
            took = time.monotonic() - published
            assert all(name == "snapshot" for name, _ in updates) and took < 1.0
            await asyncio.sleep(0.4)
            assert counted["n"] == 1  # one computation for n streams and 5 events

            await streams[0].aclose()  # a board is closed
            await until(lambda: hub(app).subscribers == n - 1)
            for s in streams[1:]:
                await s.aclose()
            await until(lambda: not hub(app).running and numsub() == 0)


async def test_database_down_is_reported_to_the_streams_then_recovers(served, counted,
                                                                      redis_url):
    _app, base = served
    jar = cookies(base)
    async with httpx.AsyncClient(base_url=base, cookies=jar, timeout=10) as client:
        async with asyncio.timeout(30):
            req = client.build_request("GET", "/supervisor/wallboard/stream")
            streams = [await client.send(req, stream=True) for _ in range(3)]
            lines = [s.aiter_lines() for s in streams]
            for it in lines:
                assert (await next_event(it))[0] == "snapshot"
            await until(lambda: numsub() == 1)
            counted["fail"] = True
            redis.Redis.from_url(redis_url).publish(CHANNEL, "{}")
            for it in lines:
                name, data = await next_event(it)
                assert name == "failure" and "database is down" in data["error"]
            for s in streams:  # the browser reconnects after `retry: 1000`
                await s.aclose()
            counted["fail"] = False
            again = await client.send(req, stream=True)
            name, data = await next_event(again.aiter_lines())
            assert name == "snapshot" and data["total"]["offered"] == 2
            await again.aclose()
