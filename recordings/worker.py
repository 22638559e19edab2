"""The transcription job: recording → PCM → Vosk → Transcript (+ draft appeal), idempotently.

Three short steps, so no database transaction is held while Vosk works:
1. lock the Recording, skip if its Transcript is ``done``, else mark it ``pending``;
2. decode and transcribe (minutes, no transaction);
3. lock the Recording again and store the outcome, unless another worker already has.

Bad audio and a missing model are outcomes, stored and acknowledged (never retried);
only a vanished Recording row is a permanent *job* error (dead-lettered), and anything
else (database down, sox missing, …) propagates so the queue retries with backoff.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from appeal_store.db import session_scope
from appeal_store.models import Recording, Transcript, utcnow

from .audio import DEFAULT_MAX_SECONDS, AudioError, decode
from .drafts import Suggester, attach_to_call, ensure_voice_draft
from .transcriber import NoModelError, Transcriber, TranscriptResult

log = logging.getLogger(__name__)


class PermanentJobError(Exception):
    """A job that can never succeed (its recording is gone); not retried, dead-lettered."""


@dataclass(frozen=True)
class JobOutcome:
    """What one run of the job did; ``skipped`` means the transcript was already done."""

    recording_id: int
    status: str
    transcript_id: int | None = None
    appeal_id: int | None = None
    error: str | None = None
    skipped: bool = False


@dataclass
class JobContext:
    """What a worker process needs to run jobs; built once per process."""

    session_factory: sessionmaker[Session]
    transcriber: Transcriber
    max_seconds: float = DEFAULT_MAX_SECONDS
    suggest_topic: Suggester | None = None
    suggest_region: Suggester | None = None


def _locked_recording(session: Session, recording_id: int) -> Recording:
    stmt = select(Recording).where(Recording.id == recording_id).with_for_update()
    recording = session.scalar(stmt)
    if recording is None:
        raise PermanentJobError(f"recording {recording_id} does not exist")
    return recording


def _transcript_of(session: Session, recording_id: int) -> Transcript | None:
    return session.scalar(select(Transcript).where(Transcript.recording_id == recording_id))


def _start(ctx: JobContext, recording_id: int) -> tuple[Path, JobOutcome | None, bool]:
    """Step 1: the file to read, an outcome if already done, whether it was purged."""
    with session_scope(ctx.session_factory) as session:
        recording = _locked_recording(session, recording_id)
        transcript = _transcript_of(session, recording_id)
        if transcript is not None and transcript.status == "done":
            return Path(recording.path), JobOutcome(
                recording_id, "done", transcript.id, recording.appeal_id, skipped=True
            ), False
        if transcript is None:
            try:
                with session.begin_nested():
                    session.add(Transcript(recording_id=recording_id, status="pending"))
            except IntegrityError:
                log.info("transcript of recording %s created concurrently", recording_id)
        else:
            transcript.status, transcript.error = "pending", None
        return Path(recording.path), None, recording.purged_at is not None


def _recognise(ctx: JobContext, path: Path, purged: bool) -> tuple[str, TranscriptResult | None, str | None]:
    """Step 2: (status, result, error) — the slow part, outside any transaction."""
    if purged:
        return "failed", None, "purged: the recording was destroyed under the retention rule"
    if not ctx.transcriber.available:
        return "no_model", None, ctx.transcriber.problem
    try:
        pcm = decode(path, ctx.transcriber.sample_rate, max_seconds=ctx.max_seconds)
        return "done", ctx.transcriber.transcribe(pcm.data, pcm.rate), None
    except AudioError as exc:
        return "failed", None, str(exc)
    except NoModelError as exc:
        return "no_model", None, str(exc)


def transcribe_recording(ctx: JobContext, recording_id: int) -> JobOutcome:
    """Transcribe recording ``recording_id`` and store the outcome; safe to run twice."""
    path, done, purged = _start(ctx, recording_id)
    if done is not None:
        log.info("recording %s already transcribed; nothing to do", recording_id)
        return done
    log.info("transcribing recording %s (%s)", recording_id, path)
    status, result, error = _recognise(ctx, path, purged)
    with session_scope(ctx.session_factory) as session:
        recording = _locked_recording(session, recording_id)
        transcript = _transcript_of(session, recording_id)
        if transcript is None:  # removed meanwhile (recording purged and re-indexed?)
            transcript = Transcript(recording_id=recording_id)
            session.add(transcript)
        elif transcript.status == "done":
            log.info("recording %s was transcribed by another worker meanwhile", recording_id)
            return JobOutcome(recording_id, "done", transcript.id, recording.appeal_id,
                              skipped=True)
        _fill(transcript, ctx.transcriber, status, result, error)
        session.flush()
        now = utcnow()
        appeal = None
        if recording.kind == "voice_appeal":
            appeal = ensure_voice_draft(session, recording, transcript, now=now,
                                        suggest_topic=ctx.suggest_topic,
                                        suggest_region=ctx.suggest_region)
        elif status == "done":
            appeal = attach_to_call(session, recording, transcript, now=now)
        if result is not None and not recording.duration_seconds:
            recording.duration_seconds = round(result.duration, 3)
        outcome = JobOutcome(recording_id, status, transcript.id,
                             appeal.id if appeal is not None else None, error)
    log.info("recording %s: transcript %s (%s)", recording_id, outcome.status,
             outcome.error or f"{len(result.words) if result else 0} words")
    return outcome


def _fill(transcript: Transcript, transcriber: Transcriber, status: str,
          result: TranscriptResult | None, error: str | None) -> None:
    transcript.status = status
    transcript.error = error
    transcript.text = result.text if result else ""
    transcript.words = result.words if result else []
    transcript.language = transcriber.language
    transcript.model = transcriber.model_name


def mark_gave_up(ctx: JobContext, recording_id: int, reason: str) -> bool:
    """The job will not run again (retries exhausted): record why on the transcript.

    A voice appeal still gets its draft so the citizen's appeal reaches an operator, who can
    listen to the recording. Returns False when the recording does not exist.
    """
    with session_scope(ctx.session_factory) as session:
        recording = session.get(Recording, recording_id)
        if recording is None:
            return False
        transcript = _transcript_of(session, recording_id)
        if transcript is None:
            transcript = Transcript(recording_id=recording_id)
            session.add(transcript)
        if transcript.status == "done":
            return True
        transcript.status = "failed"
        transcript.error = f"gave up after retries: {reason}"[:1000]
        session.flush()
        if recording.kind == "voice_appeal":
            ensure_voice_draft(session, recording, transcript, now=utcnow(),
                               suggest_topic=ctx.suggest_topic, suggest_region=ctx.suggest_region)
    log.warning("recording %s: transcription given up (%s)", recording_id, reason)
    return True
