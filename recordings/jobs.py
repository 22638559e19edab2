"""The transcription queue: Dramatiq on Redis, at-least-once, retries with backoff, dead letters.

A message is acknowledged only after the job finished. Each worker process beats a heartbeat
in Redis; when one dies (kill -9, machine lost), another worker's queue maintenance moves
the dead worker's unacknowledged messages back to the queue after ``heartbeat_timeout_ms``.
Jobs that raise are retried with exponential backoff; a job that raises
:class:`~recordings.worker.PermanentJobError`, or runs out of retries, lands in the
dead-letter queue (``<namespace>:transcription.XQ``), kept for ``dead_message_ttl_ms``.

Producers (the live-call code)::

    broker = configure_broker(settings.redis_url)
    enqueue_transcription(recording.id, broker=broker)

Workers pass ``handler`` (see :mod:`recordings.runner`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.message import Message
from dramatiq.middleware import (
    AgeLimit,
    Callbacks,
    CurrentMessage,
    Pipelines,
    Retries,
    ShutdownNotifications,
    TimeLimit,
)

from .worker import PermanentJobError

log = logging.getLogger(__name__)

QUEUE_NAME = "transcription"
ACTOR_NAME = "transcribe_recording"

_configured: RedisBroker | None = None


@dataclass(frozen=True)
class QueueOptions:
    """Tuning of the queue; the defaults suit production, tests shorten the timings."""

    namespace: str = "hotline"
    heartbeat_timeout_ms: int = 60_000
    maintenance_chance: int = 10_000  # per million Redis commands; 1_000_000 = every command
    max_retries: int = 8
    min_backoff_ms: int = 15_000
    max_backoff_ms: int = 30 * 60_000
    time_limit_ms: int = 3 * 3600_000
    dead_message_ttl_ms: int = 30 * 86_400_000


def _not_a_worker(recording_id: int) -> None:
    raise RuntimeError("this broker was configured without a job handler (producer only)")


def configure_broker(
    redis_url: str,
    options: QueueOptions = QueueOptions(),
    handler: Callable[[int], Any] | None = None,
) -> RedisBroker:
    """A Redis broker for ``redis_url`` with the transcription actor declared on it.

    ``handler(recording_id)`` is the job body in worker processes; producers leave it None.
    The broker also becomes the default of :func:`enqueue_transcription` in this process.
    """
    global _configured
    broker = RedisBroker(
        url=redis_url,
        namespace=options.namespace,
        heartbeat_timeout=options.heartbeat_timeout_ms,
        maintenance_chance=options.maintenance_chance,
        dead_message_ttl=options.dead_message_ttl_ms,
        middleware=[
            AgeLimit(),
            TimeLimit(time_limit=options.time_limit_ms),
            ShutdownNotifications(),
            Callbacks(),
            Pipelines(),
            Retries(
                max_retries=options.max_retries,
                min_backoff=options.min_backoff_ms,
                max_backoff=options.max_backoff_ms,
            ),
            CurrentMessage(),
        ],
    )
    dramatiq.actor(
        handler or _not_a_worker,
        actor_name=ACTOR_NAME,
        queue_name=QUEUE_NAME,
        broker=broker,
        throws=(PermanentJobError,),
    )
    _configured = broker
    return broker


def enqueue_transcription(recording_id: int, *, broker: RedisBroker | None = None) -> str:
    """Queue the transcription of ``recording_id``; returns the message id.

    Enqueue after the Recording row is committed. Enqueueing twice is harmless: the job
    is idempotent.
    """
    target = broker or _configured
    if target is None:
        raise RuntimeError("call configure_broker(redis_url) before enqueue_transcription")
    message = target.get_actor(ACTOR_NAME).send(int(recording_id))
    log.info("queued transcription of recording %s as %s", recording_id, message.message_id)
    return message.message_id


def queue_length(broker: RedisBroker) -> int:
    """How many transcription messages wait (not counting delayed retries)."""
    return int(broker.client.llen(f"{broker.namespace}:{QUEUE_NAME}"))


def dead_letters(broker: RedisBroker) -> list[Message[Any]]:
    """The dead-lettered transcription messages (permanent failures, retries exhausted)."""
    key = f"{broker.namespace}:{QUEUE_NAME}.XQ.msgs"
    return [Message.decode(raw) for raw in broker.client.hvals(key)]
