"""The database side of the AMI consumer: write :class:`Effects` once, index recordings.

Synchronous (SQLAlchemy sessions); the consumer runs these in a worker thread.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from agi_scripts.ami_events import CallChange, Effects
from appeal_store.calls import get_call, record_event, upsert_call
from appeal_store.db import session_scope
from appeal_store.models import User

log = logging.getLogger(__name__)

WAV_HEADER = 44  # a MixMonitor file that never heard a bridge holds only its header


def operator_id(session: Session, endpoint: str | None) -> int | None:
    """The user owning SIP ``endpoint``."""
    if not endpoint:
        return None
    return session.scalar(select(User.id).where(User.sip_endpoint == endpoint))


def _apply_change(session: Session, change: CallChange) -> None:
    fields = dict(change.fields)
    if get_call(session, change.uniqueid) is not None:
        for key in change.only_if_new:
            fields.pop(key, None)
    if change.operator_endpoint:
        uid = operator_id(session, change.operator_endpoint)
        if uid is not None:
            fields["operator_id"] = uid
    upsert_call(session, change.uniqueid, **fields)


def write_effects(factory: sessionmaker[Session], fx: Effects) -> bool:
    """Write the rows and call changes of one event in one transaction.

    Returns False (and changes nothing) when the event's rows were already written: a
    replayed event neither doubles a row nor moves a call back to an older state.
    """
    if not fx.rows and not fx.call_changes:
        return False
    with session_scope(factory) as session:
        for change in fx.call_changes:
            _apply_change(session, change)
        written = [
            record_event(session, r.source_key, r.uniqueid, r.kind, queue=r.queue, agent=r.agent,
                         position=r.position, wait_seconds=r.wait_seconds,
                         talk_seconds=r.talk_seconds, data=r.data, at=r.at)
            for r in fx.rows
        ]
        if fx.rows and not any(written):
            session.rollback()
            return False
    return True


def wait_until_stable(path: Path, *, settle: float = 0.5, timeout: float = 10.0,
                      sleep: Callable[[float], None] = time.sleep) -> int | None:
    """The file's size once it stopped growing for ``settle`` s (None if it is missing)."""
    deadline = time.monotonic() + timeout
    last = -1
    while time.monotonic() < deadline:
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            return None
        if size == last:
            return size
        last = size
        sleep(settle)
    return last if last >= 0 else None


def index_recording(
    factory: sessionmaker[Session], recordings_dir: Path, uniqueid: str,
    enqueue: Callable[[int], Any] | None = None,
) -> int | None:
    """Index the recording of call ``uniqueid`` after its caller hung up.

    A Recording row ties the file to the call and its (last) operator; then a
    transcription job is queued. A file holding only its WAV header (the caller never
    reached an operator) is removed. Returns the Recording id, or None.
    """
    path = recordings_dir / f"{uniqueid}.wav"
    size = wait_until_stable(path)
    if size is None:
        return None
    if size <= WAV_HEADER:
        path.unlink(missing_ok=True)
        log.info("removed the empty recording of %s (never bridged)", uniqueid)
        return None
    from recordings.index import register_recording

    with session_scope(factory) as session:
        call = get_call(session, uniqueid)
        recording = register_recording(
            session, path, uniqueid, "call",
            call_id=call.id if call is not None else None,
            operator_id=call.operator_id if call is not None else None,
        )
        recording_id = recording.id
    if enqueue is not None:
        try:
            enqueue(recording_id)
        except Exception:
            log.exception("transcription of recording %s not queued", recording_id)
    return recording_id
