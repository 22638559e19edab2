"""The recordings index: one Recording row per audio file Asterisk finished writing."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from appeal_store.models import RECORDING_KINDS, Call, Recording

from .audio import format_of, probe_duration

log = logging.getLogger(__name__)

_HASH_CHUNK = 1 << 20


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def find_recording(
    session: Session, path: str | Path, uniqueid: str | None = None, kind: str | None = None
) -> Recording | None:
    """The Recording of ``path``, else of the same call ``uniqueid`` and ``kind``."""
    found = session.scalar(select(Recording).where(Recording.path == str(path)))
    if found is not None or not uniqueid:
        return found
    stmt = select(Recording).where(Recording.uniqueid == uniqueid)
    if kind:
        stmt = stmt.where(Recording.kind == kind)
    return session.scalars(stmt.order_by(Recording.id)).first()


def register_recording(
    session: Session,
    path: str | Path,
    uniqueid: str | None,
    kind: str,
    call_id: int | None = None,
    operator_id: int | None = None,
) -> Recording:
    """Index a finished recording: size, duration, SHA-256, format; idempotent.

    Registering the same ``path`` (or the same ``uniqueid`` and ``kind``) again returns the
    existing row. ``call_id`` defaults to the Call whose ``uniqueid`` matches. The row is
    flushed, not committed: the caller owns the transaction (then calls
    :func:`recordings.jobs.enqueue_transcription` with ``recording.id``).

    An unreadable file is still indexed (duration None) so nothing is lost; its
    transcription then fails with the reason.

    >>> rec = register_recording(session, "/rec/1700000000.12.wav", "1700000000.12",
    ...                          "voice_appeal")  # doctest: +SKIP
    """
    if kind not in RECORDING_KINDS:
        raise ValueError(f"kind must be one of {RECORDING_KINDS}, not {kind!r}")
    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(f"recording file not found: {file}")
    existing = find_recording(session, file, uniqueid, kind)
    if existing is not None:
        log.info("recording %s already indexed as %s", file, existing.id)
        return existing
    if call_id is None and uniqueid:
        call_id = session.scalar(select(Call.id).where(Call.uniqueid == uniqueid))
    recording = Recording(
        uniqueid=uniqueid,
        call_id=call_id,
        operator_id=operator_id,
        kind=kind,
        path=str(file),
        format=format_of(file)[:10],
        duration_seconds=probe_duration(file),
        size_bytes=file.stat().st_size,
        sha256=file_sha256(file),
    )
    try:
        with session.begin_nested():
            session.add(recording)
    except IntegrityError:
        # Another process indexed the same path between our look-up and our insert.
        found = find_recording(session, file)
        if found is None:
            raise
        return found
    log.info("indexed recording %s (%s, %s s) as %s", file, kind, recording.duration_seconds,
             recording.id)
    return recording
