"""What a finished transcript becomes: a draft appeal (voice appeals) or a note on a call's appeal.

Called inside the worker's transaction with the Recording row locked, so each recording
gets at most one draft however many workers see it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from appeal_store.models import Appeal, Call, Recording, Region, Topic, Transcript
from appeal_store.services.lifecycle import note

log = logging.getLogger(__name__)

Suggester = Callable[[str], "tuple[str, str] | None"]


def routing_suggesters() -> tuple[Suggester | None, Suggester | None]:
    """``(suggest_topic, suggest_region)`` from ``routing.vocabulary``, or Nones if absent.

    Adapter: the routing area owns the vocabulary; until it lands drafts get no codes.
    """
    try:
        from routing import vocabulary  # type: ignore[import-not-found]
    except ImportError:
        log.warning("routing.vocabulary not available: drafts get no suggested codes")
        return None, None
    return getattr(vocabulary, "suggest_topic", None), getattr(vocabulary, "suggest_region", None)


def _suggest(session: Session, suggester: Suggester | None, text: str, table: type) -> str | None:
    """A suggested code, kept only if the reference table knows it (the FK would refuse)."""
    if suggester is None or not text.strip():
        return None
    found = suggester(text)
    if not found:
        return None
    code = found[0]
    return code if session.get(table, code) is not None else None


def find_draft(session: Session, recording: Recording) -> Appeal | None:
    """The appeal already made from this recording, if any."""
    if recording.appeal_id is not None:
        appeal = session.get(Appeal, recording.appeal_id)
        if appeal is not None:
            return appeal
    stmt = select(Appeal).where(Appeal.recording_id == recording.id).order_by(Appeal.id)
    return session.scalars(stmt).first()


def ensure_voice_draft(
    session: Session,
    recording: Recording,
    transcript: Transcript,
    *,
    now: dt.datetime,
    suggest_topic: Suggester | None = None,
    suggest_region: Suggester | None = None,
) -> Appeal:
    """The draft appeal of a voice recording: created once, filled in if still empty.

    The draft waits in the operators' inbox even when the transcript failed or no model
    is configured: the operator then listens to the recording.
    """
    text = transcript.text if transcript.status == "done" else ""
    topic = _suggest(session, suggest_topic, text, Topic)
    region = _suggest(session, suggest_region, text, Region)
    call = session.get(Call, recording.call_id) if recording.call_id else None
    if topic is None and call is not None and call.topic_code:
        # The topic the caller chose in the IVR menu, if the classifier knows it.
        topic = call.topic_code if session.get(Topic, call.topic_code) else None
    appeal = find_draft(session, recording)
    if appeal is None:
        appeal = Appeal(
            status="draft",
            channel="voice",
            substance=text,
            topic_code=topic,
            region_code=region,
            recording_id=recording.id,
            call_id=recording.call_id,
            received_at=recording.created_at or now,
        )
        session.add(appeal)
        session.flush()
        note(session, appeal, "draft_from_voice", actor_id=None, now=now,
             data={"recording_id": recording.id, "transcript_status": transcript.status})
        log.info("draft appeal %s made from recording %s", appeal.id, recording.id)
    elif appeal.status == "draft" and not appeal.substance and text:
        # A transcript redone later (model installed, audio fixed) fills the empty draft.
        appeal.substance = text
        appeal.topic_code = appeal.topic_code or topic
        appeal.region_code = appeal.region_code or region
        note(session, appeal, "draft_transcribed", actor_id=None, now=now,
             data={"recording_id": recording.id})
    recording.appeal_id = appeal.id
    return appeal


def attach_to_call(
    session: Session, recording: Recording, transcript: Transcript, *, now: dt.datetime
) -> Appeal | None:
    """Link an operator call's transcript to the appeal registered during that call, if any."""
    appeal = session.get(Appeal, recording.appeal_id) if recording.appeal_id else None
    if appeal is None and recording.call_id is not None:
        stmt = select(Appeal).where(Appeal.call_id == recording.call_id).order_by(Appeal.id)
        appeal = session.scalars(stmt).first()
    if appeal is None:
        return None
    # The appeal row itself is not touched: an operator may be editing it (optimistic lock).
    recording.appeal_id = appeal.id
    note(session, appeal, "transcript_attached", actor_id=None, now=now,
         data={"recording_id": recording.id, "transcript_id": transcript.id})
    return appeal
