"""A transcription worker process: model loaded once, one Dramatiq worker, clean stop on SIGTERM.

Run one per core on any machine that sees the recordings folder, the database and Redis
(``hotline-transcription-worker`` via :mod:`recordings.cli`).
"""

from __future__ import annotations

import logging
import signal
import threading
from dataclasses import dataclass, field
from pathlib import Path

import dramatiq
from dramatiq.middleware import CurrentMessage

from appeal_store.db import make_engine, make_session_factory

from .audio import DEFAULT_MAX_SECONDS
from .drafts import routing_suggesters
from .jobs import QueueOptions, configure_broker
from .transcriber import Transcriber
from .worker import (
    JobContext,
    JobOutcome,
    PermanentJobError,
    mark_gave_up,
    transcribe_recording,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerConfig:
    """Everything a worker process needs, passed in from the composition root."""

    redis_url: str
    database_url: str
    model_path: Path | None
    threads: int = 1
    max_seconds: float = DEFAULT_MAX_SECONDS
    queue: QueueOptions = field(default_factory=QueueOptions)


def build_context(config: WorkerConfig) -> JobContext:
    """Engine, session factory, loaded model and the routing suggesters."""
    factory = make_session_factory(make_engine(config.database_url))
    transcriber = Transcriber(config.model_path)
    if transcriber.available:
        transcriber.load()
    else:
        log.warning("transcription worker without a model: %s", transcriber.problem)
    topic, region = routing_suggesters()
    return JobContext(factory, transcriber, config.max_seconds, topic, region)


def is_last_attempt(max_retries: int) -> bool:
    """True when the message being processed will be dead-lettered if it fails now."""
    message = CurrentMessage.get_current_message()
    if message is None:
        return False
    return int(message.options.get("retries", 0)) >= max_retries


def start_worker(config: WorkerConfig) -> dramatiq.Worker:
    """A started Dramatiq worker consuming the transcription queue (caller stops it)."""
    ctx = build_context(config)

    def handle(recording_id: int) -> None:
        try:
            outcome: JobOutcome = transcribe_recording(ctx, recording_id)
        except PermanentJobError:
            raise
        except Exception as exc:
            if is_last_attempt(config.queue.max_retries):
                mark_gave_up(ctx, recording_id, f"{type(exc).__name__}: {exc}")
            raise
        log.info("job done: %s", outcome)

    broker = configure_broker(config.redis_url, config.queue, handler=handle)
    worker = dramatiq.Worker(broker, worker_threads=config.threads, worker_timeout=1000)
    # Take only as many messages as there are threads, so idle machines get the rest.
    worker.queue_prefetch = config.threads
    worker.start()
    log.info("transcription worker started (%s thread(s), model %s)", config.threads,
             ctx.transcriber.model_name)
    return worker


def run_worker(config: WorkerConfig) -> None:
    """Run until SIGTERM/SIGINT, then stop, letting the running job finish (up to 10 min)."""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    worker = start_worker(config)
    try:
        stop.wait()
    finally:
        log.info("stopping transcription worker")
        worker.stop(timeout=600_000)
        worker.broker.close()
