"""Voice appeal in the Stasis app: notice, beep, record, listen back, confirm or re-record.

The caller hears the intro (what to say, # to finish), a beep, and is recorded (wav, at
most ``MAX_SECONDS``, stopped by ``MAX_SILENCE_S`` of silence or #). The recording is played
back, then: 1 listen again, 2 save, 3 record again (the catalogue's voice-appeal-confirm).
No key twice → saved: a citizen who spoke is never lost. A hang-up after speaking saves too.

Saving: the stored recording is fetched over ARI into ``<recordings dir>/voice/``, indexed
(recordings.index.register_recording) and queued for transcription
(recordings.jobs.enqueue_transcription). If Redis is down the Recording row stays, without
a job, for the sweeper; if the database is down the file stays on disk and is logged.
"""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from dramatiq.errors import DramatiqError
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from agi_scripts.ari_client import AriError, AriNotConnected
from agi_scripts.stasis_channel import ChannelGone, ChannelSession, Recorded
from appeal_store.calls import upsert_call
from appeal_store.db import session_scope

log = logging.getLogger(__name__)

MAX_SECONDS = 180
MAX_SILENCE_S = 5
MIN_SECONDS = 1.0
MAX_TRIES = 3
CONFIRM_TIMEOUT_S = 6.0


@dataclass
class VoiceAppealDeps:
    """What saving a voice appeal needs; built once by the Stasis app."""

    session_factory: sessionmaker[Session]
    recordings_dir: Path
    redis_url: str
    broker: object | None = None


async def voice_appeal(ch: ChannelSession, deps: VoiceAppealDeps, language: str,
                       uniqueid: str) -> Path | None:
    """Run the voice appeal on *ch*; returns the saved file (None if nothing was said)."""
    kept: Recorded | None = None
    try:
        for attempt in range(1, MAX_TRIES + 1):
            await ch.play(ch.prompt(language, "voice-appeal-intro"), interrupt=False)
            rec = await ch.record(f"voice-{uniqueid}-{attempt}", max_seconds=MAX_SECONDS,
                                  max_silence=MAX_SILENCE_S)
            if rec.cause == "hangup":
                kept = rec
                raise ChannelGone("hung up while recording")
            if rec.duration < MIN_SECONDS:
                await _delete_stored(ch, rec.name)
                await ch.play(ch.prompt(language, "voice-appeal-too-short"))
                continue
            kept = rec
            if await _confirm(ch, language, rec) == "save":
                break
            await _delete_stored(ch, rec.name)
            kept = None
        path = await save(ch, deps, kept, uniqueid) if kept else None
        closing = ["voice-appeal-saved", "goodbye"] if path else ["goodbye"]
        await ch.play(*(ch.prompt(language, name) for name in closing))
        return path
    except ChannelGone:
        return await save(ch, deps, kept, uniqueid) if kept else None


async def _confirm(ch: ChannelSession, language: str, rec: Recorded) -> str:
    """'save' or 'again', after playing the recording back."""
    await ch.play(f"recording:{rec.name}", interrupt=True)
    for _ in range(2):
        await ch.play(ch.prompt(language, "voice-appeal-confirm"), interrupt=True)
        key = await ch.key(CONFIRM_TIMEOUT_S, "123")
        if key == "1":
            await ch.play(f"recording:{rec.name}", interrupt=True)
        elif key == "2":
            return "save"
        elif key == "3":
            return "again"
    return "save"


async def _delete_stored(ch: ChannelSession, name: str) -> None:
    try:
        await ch.ari.delete(f"/recordings/stored/{name}")
    except (AriError, AriNotConnected) as exc:
        log.info("stored recording %s not deleted: %s", name, exc)


async def save(ch: ChannelSession, deps: VoiceAppealDeps, rec: Recorded,
               uniqueid: str) -> Path | None:
    """Fetch, index and queue the recording; never raises for a storage failure."""
    # after a hang-up Asterisk still finishes the file: give it a moment
    data = None
    for _ in range(20):
        try:
            data = await ch.ari.request("GET", f"/recordings/stored/{rec.name}/file", raw=True)
            break
        except AriError as exc:
            if exc.status != 404:
                raise
            await asyncio.sleep(0.25)
        except AriNotConnected:
            log.error("ARI gone before recording %s was fetched: it stays in Asterisk's spool",
                      rec.name)
            return None
    if not data:
        log.error("recording %s not found in Asterisk's spool", rec.name)
        return None
    path = deps.recordings_dir / "voice" / f"{uniqueid}.wav"
    await asyncio.to_thread(_write_atomically, path, data)
    await _delete_stored(ch, rec.name)
    log.info("voice appeal of %s saved to %s (%d bytes)", uniqueid, path, len(data))
    recording_id = await _index(deps, path, uniqueid)
    if recording_id is not None:
        await _enqueue(deps, recording_id)
    return path


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    tmp.write_bytes(data)
    os.replace(tmp, path)


async def _index(deps: VoiceAppealDeps, path: Path, uniqueid: str) -> int | None:
    def work() -> int:
        from recordings.index import register_recording

        with session_scope(deps.session_factory) as session:
            upsert_call(session, uniqueid, status="voicemail")
            return register_recording(session, path, uniqueid, "voice_appeal").id

    try:
        return await asyncio.to_thread(work)
    except (SQLAlchemyError, OSError, ImportError) as exc:
        log.error("voice appeal %s kept at %s but not indexed: %s", uniqueid, path, exc)
        return None


async def _enqueue(deps: VoiceAppealDeps, recording_id: int) -> None:
    def work() -> None:
        from recordings.jobs import configure_broker, enqueue_transcription

        if deps.broker is None:
            deps.broker = configure_broker(deps.redis_url)
        enqueue_transcription(recording_id, broker=deps.broker)  # type: ignore[arg-type]

    try:
        await asyncio.wait_for(asyncio.to_thread(work), 10)
    except (RedisError, DramatiqError, OSError, TimeoutError) as exc:
        log.warning("transcription of recording %s not queued (%s: %s); left for the sweeper",
                    recording_id, type(exc).__name__, exc)
