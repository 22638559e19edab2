"""The shared wallboard hub on a real Redis: one subscription and one computation per burst
for any number of streams, cleanup when streams leave, failures reported and recovered."""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest
import redis.asyncio as aioredis

from operator_console.live_fanout import Failure, SnapshotHub

pytestmark = pytest.mark.redis

CHANNEL = "hotline:test:fanout"


class Counter:
    """A computation that counts its calls and can be made to fail (database down)."""

    def __init__(self, delay: float = 0.02) -> None:
        self.calls = 0
        self.delay = delay
        self.down = False
        self.clients: list[object] = []

    async def __call__(self, client):
        self.calls += 1
        self.clients.append(client)
        await asyncio.sleep(self.delay)
        if self.down:
            raise ConnectionError("database is down")
        return {"n": self.calls}


async def numsub(url: str) -> int:
    r = aioredis.from_url(url)
    try:
        return dict(await r.pubsub_numsub(CHANNEL)).get(CHANNEL.encode(), 0)
    finally:
        await r.aclose()


async def until(predicate, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not await predicate():
        assert time.monotonic() < deadline, "condition not reached"
        await asyncio.sleep(0.02)


async def drain(sub, timeout: float = 3.0):
    update = await sub.next(timeout)
    assert update is not None, "no update"
    return update


def hub_for(url: str, compute, **kw) -> SnapshotHub:
    return SnapshotHub(compute, lambda: aioredis.from_url(url), CHANNEL, **kw)


async def test_many_streams_share_one_subscription_and_one_computation_per_burst(redis_url):
    compute = Counter()
    hub = hub_for(redis_url, compute)
    async with contextlib.AsyncExitStack() as stack:
        subs = [await stack.enter_async_context(hub.subscribe()) for _ in range(25)]
        first = [await drain(s) for s in subs]
        assert first == [{"n": 1}] * 25 and compute.calls == 1
        async def subscribed():
            return await numsub(redis_url) == 1
        await until(subscribed)  # 25 streams, one Redis subscription

        publisher = aioredis.from_url(redis_url)
        for burst in (2, 3):
            for i in range(10):  # a burst of events
                await publisher.publish(CHANNEL, f'{{"type": "join", "i": {i}}}')
            assert [await drain(s) for s in subs] == [{"n": burst}] * 25
            await asyncio.sleep(0.4)  # nothing more comes of that burst
            assert compute.calls == burst
        await publisher.aclose()
        assert all(await asyncio.gather(*(s.next(0.05) for s in subs))) is False


async def test_a_new_stream_gets_the_fresh_snapshot_without_a_computation(redis_url):
    compute = Counter()
    hub = hub_for(redis_url, compute, interval=2.0)
    async with hub.subscribe() as a:
        await drain(a)
        async with hub.subscribe() as b:
            assert await drain(b, 0.1) == {"n": 1}
        assert compute.calls == 1


async def test_disconnected_streams_are_removed_and_the_last_closes_the_subscription(redis_url):
    compute = Counter()
    hub = hub_for(redis_url, compute)
    async with hub.subscribe() as a:
        async with hub.subscribe() as b:
            await drain(a), await drain(b)
            assert hub.subscribers == 2
        assert hub.subscribers == 1 and hub.running
        publisher = aioredis.from_url(redis_url)
        await until(lambda: _eq(numsub(redis_url), 1))
        await publisher.publish(CHANNEL, "{}")
        assert await drain(a) == {"n": 2}
        await publisher.aclose()
    assert hub.subscribers == 0 and not hub.running
    await until(lambda: _eq(numsub(redis_url), 0))

    async def cancelled_stream():  # a client that goes away mid-wait (task cancelled)
        async with hub.subscribe() as sub:
            await sub.next(30)
            await sub.next(30)

    task = asyncio.create_task(cancelled_stream())
    await until(lambda: _eq(numsub(redis_url), 1))
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert hub.subscribers == 0 and not hub.running
    await until(lambda: _eq(numsub(redis_url), 0))


async def _eq(awaitable, value) -> bool:
    return await awaitable == value


async def test_a_failing_computation_is_reported_and_recovers_without_a_new_event(redis_url):
    compute = Counter()
    compute.down = True
    hub = hub_for(redis_url, compute, retry=0.2)
    async with hub.subscribe() as a, hub.subscribe() as b:
        fa, fb = await drain(a), await drain(b)
        assert isinstance(fa, Failure) and fa == fb and "database is down" in fa.message
        compute.down = False
        ok = await drain(a)
        while isinstance(ok, Failure):  # a retry may still have been running
            ok = await drain(a)
        assert ok["n"] >= 2 and not isinstance(await drain(b), Failure)


async def test_redis_down_still_computes_the_figures_without_live_state():
    compute = Counter()
    hub = SnapshotHub(compute, lambda: aioredis.from_url("redis://127.0.0.1:1/0"), CHANNEL,
                      retry=0.2)
    async with hub.subscribe() as sub:
        assert await drain(sub) == {"n": 1}
        await until(lambda: _true(None in compute.clients))  # "connection lost" snapshot
    assert not hub.running


async def _true(value: bool) -> bool:
    return value
