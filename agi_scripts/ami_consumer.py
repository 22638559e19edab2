"""The AMI consumer: queue and agent events → call events in the database, the live view in
Redis, screen pops, recordings indexed.

One consumer works at a time: it holds a Redis lease (:mod:`agi_scripts.ami_lock`) and steps
down when another holds it. Events are handled in arrival order by one worker; the
database is written first (each event once, by its ``source_key``; operators' state
changes once by :mod:`agi_scripts.ami_agent_states`' rule), then Redis. When
Asterisk comes back (login) or Redis comes back after an outage, the live view is rebuilt
from QueueStatus: Asterisk is the truth. Operators the database believes logged in but
QueueStatus lacks (a restart drops dynamic members without QueueMemberRemoved) get a
``logout`` row, reason ``asterisk-restart``.

Example::

    await run_ami_consumer(settings, session_factory)     # until SIGTERM
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from agi_scripts.ami_agent_states import (
    agent_state_change,
    write_agent_states,
    write_missing_logouts,
)
from agi_scripts.ami_client import AmiClient, AmiError, AmiEvent, Backoff
from agi_scripts.ami_events import Effects, map_event, snapshot_from_status
from agi_scripts.ami_lock import RedisLease
from agi_scripts.ami_screen_pop import build_screen_pop
from agi_scripts.ami_store import index_recording, write_effects
from agi_scripts.live_state import LiveState
from hotline.settings import Settings
from hotline.signals import stop_on_signals

log = logging.getLogger(__name__)

LEASE_KEY = "hotline:ami:consumer"
REPAIR = {"Event": "__repair__"}


class AmiConsumer:
    """Consume one Asterisk's AMI events while holding the lease."""

    def __init__(
        self,
        settings: Settings,
        session_factory: sessionmaker[Session],
        redis: aioredis.Redis,
        *,
        lease_ttl_ms: int = 6000,
        enqueue_transcription: Callable[[int], Any] | None = None,
    ) -> None:
        self.settings = settings
        self.factory = session_factory
        self.live = LiveState(redis)
        self.lease = RedisLease(redis, LEASE_KEY, lease_ttl_ms)
        self.enqueue = enqueue_transcription
        self.events: asyncio.Queue[AmiEvent] = asyncio.Queue()
        self.client: AmiClient | None = None
        self.live_dirty = False
        self.handled = 0
        self._tasks: set[asyncio.Task] = set()

    # --- lifecycle -----------------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        """Work whenever we hold the lease, until ``stop`` is set."""
        while not stop.is_set():
            if not await self._wait_for_lease(stop):
                break
            log.info("AMI consumer holds the lease; connecting to Asterisk")
            lost = asyncio.Event()
            worker = asyncio.create_task(self._work())
            keeper = asyncio.create_task(self._keep_lease(lost))
            self.client = AmiClient.from_settings(
                self.settings, on_event=self.events.put_nowait,
                on_login=lambda: self.events.put_nowait(dict(REPAIR)),
            )
            starter = asyncio.create_task(self.client.start())
            done_waiters = [asyncio.create_task(stop.wait()), asyncio.create_task(lost.wait())]
            await asyncio.wait(done_waiters, return_when=asyncio.FIRST_COMPLETED)
            for t in (*done_waiters, starter, keeper):
                t.cancel()
            self.client.close()
            await self.events.join()  # what already arrived is still ours to write
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
            if stop.is_set():
                with contextlib.suppress(RedisError):
                    await self.lease.release()
            else:
                log.warning("AMI consumer lost its lease to another consumer; standing by")
        for t in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await t

    async def _wait_for_lease(self, stop: asyncio.Event) -> bool:
        while not stop.is_set():
            try:
                if await self.lease.acquire():
                    return True
            except RedisError as exc:
                log.warning("Redis unavailable for the lease (%s); retrying", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.lease.renew_every)
        return False

    async def _keep_lease(self, lost: asyncio.Event) -> None:
        """Renew the lease; a Redis outage is not a loss (the database's unique keys still
        keep events single), but another holder is."""
        redis_down = False
        while True:
            await asyncio.sleep(self.lease.renew_every)
            try:
                held = await self.lease.renew() or await self.lease.acquire()
            except RedisError as exc:
                if not redis_down:
                    log.warning("Redis unavailable (%s); events still go to the database", exc)
                redis_down = True
                continue
            if not held:
                lost.set()
                return
            if redis_down or self.live_dirty:
                log.info("Redis is back; rebuilding the live view from Asterisk")
                redis_down = False
                self.events.put_nowait(dict(REPAIR))

    # --- events --------------------------------------------------------------------------
    async def _work(self) -> None:
        while True:
            event = await self.events.get()
            try:
                await self.handle(event)
            except Exception:
                log.exception("AMI event %s not handled", event.get("Event"))
            finally:
                self.events.task_done()

    async def handle(self, event: AmiEvent) -> None:
        """Handle one event: database first (retried until written), then Redis."""
        if event.get("Event") == REPAIR["Event"]:
            await self.repair()
            return
        states = agent_state_change(event)
        if states:
            await self._retry(write_agent_states, states)
        fx = map_event(event)
        if not fx:
            return
        first_time = await self._write(fx)
        self.handled += 1
        await self._live(fx)
        if fx.screen_pop and first_time:
            await self._screen_pop(fx.screen_pop)
        if fx.recording_of:
            self._spawn(self._index_recording(fx.recording_of))

    async def _write(self, fx: Effects) -> bool:
        if not fx.rows and not fx.call_changes:
            return True
        return await self._retry(write_effects, fx)

    async def _retry(self, write: Callable[..., Any], what: Any) -> Any:
        """``write(factory, what)`` in a thread, retried until the database takes it."""
        backoff = Backoff(0.2, 5.0)
        while True:
            try:
                return await asyncio.to_thread(write, self.factory, what)
            except SQLAlchemyError as exc:
                delay = backoff.next()
                log.warning("database write failed (%s); retrying in %.1f s", exc, delay)
                await asyncio.sleep(delay)

    async def _live(self, fx: Effects) -> None:
        try:
            for change in fx.live:
                await self.live.apply(change)
        except RedisError as exc:
            if not self.live_dirty:
                log.warning("live view not updated (%s); it is rebuilt when Redis is back", exc)
            self.live_dirty = True

    async def repair(self) -> None:
        """Rebuild the live view from QueueStatus (after a login or a Redis outage) and log
        out the operators Asterisk no longer has (a restart drops members silently)."""
        if self.client is None or not self.client.connected:
            return
        try:
            asked_at = dt.datetime.now(dt.UTC)
            status = await self.client.list_events({"Action": "QueueStatus"})
            snapshot = snapshot_from_status(status)
            gone = await self._retry(write_missing_logouts, (snapshot, asked_at))
            if gone:
                log.warning("%d queue members missing from Asterisk: logged out", gone)
            await self.live.replace(snapshot)
            self.live_dirty = False
            log.info("live view rebuilt from QueueStatus (%d entries)", len(status))
        except AmiError as exc:
            log.warning("QueueStatus failed (%s); live view not rebuilt", exc)
        except RedisError as exc:
            self.live_dirty = True
            log.warning("live view not rebuilt (%s)", exc)

    async def _screen_pop(self, pop: dict[str, str]) -> None:
        try:
            payload = await asyncio.to_thread(self._build_pop, pop)
            await self.live.publish_screen_pop(pop["endpoint"], payload)
        except (SQLAlchemyError, RedisError) as exc:
            log.warning("screen pop for %s not sent (%s)", pop.get("endpoint"), exc)

    def _build_pop(self, pop: dict[str, str]) -> dict[str, Any]:
        with self.factory() as session:
            return build_screen_pop(session, uniqueid=pop["uniqueid"], endpoint=pop["endpoint"],
                                    queue=pop.get("queue"), caller=pop.get("caller", ""))

    async def _index_recording(self, uniqueid: str) -> None:
        try:
            await asyncio.to_thread(index_recording, self.factory,
                                    self.settings.effective_recordings_dir, uniqueid, self.enqueue)
        except (SQLAlchemyError, OSError) as exc:
            log.warning("recording of %s not indexed (%s)", uniqueid, exc)

    def _spawn(self, coro) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def transcription_enqueuer(settings: Settings) -> Callable[[int], Any] | None:
    """recordings.jobs.enqueue_transcription on a producer broker, if available."""
    try:
        from recordings.jobs import configure_broker, enqueue_transcription
    except ImportError:
        return None
    broker = configure_broker(settings.redis_url)
    return lambda recording_id: enqueue_transcription(recording_id, broker=broker)


async def run_ami_consumer(settings: Settings, session_factory: sessionmaker[Session],
                           stop: asyncio.Event | None = None) -> None:
    """The `hotline ami` service: consume until SIGINT/SIGTERM (or ``stop``)."""
    if stop is None:
        stop = stop_on_signals()
    redis = aioredis.from_url(settings.redis_url, socket_timeout=2, socket_connect_timeout=2)
    consumer = AmiConsumer(settings, session_factory, redis,
                           enqueue_transcription=transcription_enqueuer(settings))
    try:
        await consumer.run(stop)
    finally:
        await redis.aclose()
