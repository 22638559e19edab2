"""One live snapshot per console process, shared by every wallboard stream.

A :class:`SnapshotHub` holds a single Redis subscription to the live channel and a single
computation loop. Events are coalesced (``coalesce`` seconds after the first one) and
computations are throttled to one per ``interval``; each result is handed to every
subscribed stream. With N supervisors watching, an event costs one computation, not N.

    hub = SnapshotHub(compute, connect, "hotline:live")
    async with hub.subscribe() as sub:
        update = await sub.next(timeout=1.0)   # a payload, a Failure, or None on timeout

The hub starts with its first subscriber and stops (closing the subscription) with its
last. A failed computation is reported to the subscribers as a :class:`Failure` and
retried after ``retry`` seconds, so the board recovers without a new event.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

# compute(client) -> payload; client is None when the live channel is down
Compute = Callable[[aioredis.Redis | None], Awaitable[Any]]


@dataclass(frozen=True)
class Failure:
    """A computation failed (e.g. the database is down); the text is for the log/browser."""

    message: str


class Subscription:
    """One stream's mailbox: only the newest update is kept (a slow client skips stale ones)."""

    def __init__(self) -> None:
        self._update: Any = None
        self._ready = asyncio.Event()

    def put(self, update: Any) -> None:
        self._update = update
        self._ready.set()

    async def next(self, timeout: float) -> Any:
        """The newest update, or None when nothing came within ``timeout`` seconds."""
        try:
            await asyncio.wait_for(self._ready.wait(), timeout)
        except TimeoutError:
            return None
        self._ready.clear()
        update, self._update = self._update, None
        return update


class SnapshotHub:
    """A shared subscription and computation, fanned out to the subscribed streams."""

    def __init__(self, compute: Compute, connect: Callable[[], aioredis.Redis], channel: str,
                 *, interval: float = 0.25, coalesce: float = 0.05, retry: float = 1.0) -> None:
        self.compute, self.connect, self.channel = compute, connect, channel
        self.interval, self.coalesce, self.retry = interval, coalesce, retry
        self.computations = 0  # how many times compute ran (for tests and the benchmark)
        self._subs: set[Subscription] = set()
        self._tasks: list[asyncio.Task] = []
        self._wake: asyncio.Event | None = None
        self._latest: tuple[float, Any] | None = None  # (monotonic time, payload)
        self._last_start = float("-inf")
        self._live_ok = True

    @property
    def subscribers(self) -> int:
        return len(self._subs)

    @property
    def running(self) -> bool:
        return bool(self._tasks)

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[Subscription]:
        """Join the fan-out; the first update is a snapshot at most ``interval`` old."""
        sub = Subscription()
        self._subs.add(sub)
        if not self._tasks:
            self._start()
        assert self._wake is not None
        fresh = self._latest and time.monotonic() - self._latest[0] < self.interval
        if fresh and not self._wake.is_set():
            sub.put(self._latest[1])
        else:
            self._wake.set()
        try:
            yield sub
        finally:
            self._subs.discard(sub)
            if not self._subs:
                await self._stop()

    def _start(self) -> None:
        self._wake = asyncio.Event()
        self._latest, self._live_ok = None, True
        client = self.connect()
        self._tasks = [asyncio.create_task(self._listen(client), name="wallboard-listen"),
                       asyncio.create_task(self._run(client), name="wallboard-compute")]

    async def _stop(self) -> None:
        tasks, self._tasks = self._tasks, []
        self._latest = None
        for task in tasks:  # cancelled at once: cleanup happens even if we are cancelled too
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _broadcast(self, update: Any) -> None:
        for sub in list(self._subs):
            sub.put(update)

    async def _listen(self, client: aioredis.Redis) -> None:
        """Wake the computation on each message; resubscribe after a Redis failure."""
        assert self._wake is not None
        try:
            while True:
                pubsub = client.pubsub()
                try:
                    await pubsub.subscribe(self.channel)
                    if not self._live_ok:  # back again: show the live state
                        self._live_ok = True
                        self._wake.set()
                    while True:
                        message = await pubsub.get_message(ignore_subscribe_messages=True,
                                                           timeout=1.0)
                        if message is not None:
                            self._wake.set()
                except RedisError as exc:
                    log.warning("wallboard: live channel %s lost: %s", self.channel, exc)
                    if self._live_ok:
                        self._live_ok = False
                        self._wake.set()  # tell the boards "connection lost"
                    await asyncio.sleep(self.retry)
                finally:
                    with contextlib.suppress(RedisError):
                        await pubsub.aclose()
        finally:
            with contextlib.suppress(RedisError):
                await client.aclose()

    async def _run(self, client: aioredis.Redis) -> None:
        """Compute once per wake-up (coalesced, throttled) and hand the result to all."""
        assert self._wake is not None
        while True:
            await self._wake.wait()
            await asyncio.sleep(self.coalesce)  # a burst of events makes one computation
            await asyncio.sleep(max(0.0, self._last_start + self.interval - time.monotonic()))
            self._wake.clear()  # events from now on need another computation
            self._last_start = time.monotonic()
            self.computations += 1
            try:
                payload = await self.compute(client if self._live_ok else None)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # any failure must reach the boards
                log.exception("wallboard: snapshot failed")
                self._broadcast(Failure(f"{type(exc).__name__}: {exc}"))
                await asyncio.sleep(self.retry)
                self._wake.set()  # retry, so the board recovers without a new event
                continue
            self._latest = (time.monotonic(), payload)
            self._broadcast(payload)
