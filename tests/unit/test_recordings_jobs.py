"""Queue wiring without a running Redis: the broker and actor as configured."""

from __future__ import annotations

import pytest

from recordings import jobs
from recordings.jobs import ACTOR_NAME, QUEUE_NAME, QueueOptions, configure_broker
from recordings.runner import WorkerConfig, build_context
from recordings.worker import PermanentJobError


def test_enqueue_before_configure_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(jobs, "_configured", None)
    with pytest.raises(RuntimeError, match="configure_broker"):
        jobs.enqueue_transcription(1)


def test_configured_broker_carries_the_options_and_the_actor():
    options = QueueOptions(namespace="ns-x", heartbeat_timeout_ms=1234, maintenance_chance=7)
    seen = []
    broker = configure_broker("redis://127.0.0.1:6379/15", options, handler=seen.append)
    try:
        assert (broker.namespace, broker.heartbeat_timeout, broker.maintenance_chance) == (
            "ns-x", 1234, 7)
        actor = broker.get_actor(ACTOR_NAME)
        assert actor.queue_name == QUEUE_NAME
        assert actor.options["throws"] == (PermanentJobError,)
        actor.fn(5)
        assert seen == [5]
        assert jobs._configured is broker
    finally:
        broker.close()


def test_a_producer_broker_cannot_run_jobs():
    broker = configure_broker("redis://127.0.0.1:6379/15")
    try:
        with pytest.raises(RuntimeError, match="producer"):
            broker.get_actor(ACTOR_NAME).fn(1)
    finally:
        broker.close()


def test_worker_context_without_a_model_still_builds(sqlite_url):
    ctx = build_context(WorkerConfig("redis://127.0.0.1:6379/15", sqlite_url, None))
    assert not ctx.transcriber.available
    assert "HOTLINE_VOSK_MODEL_PATH" in ctx.transcriber.problem
