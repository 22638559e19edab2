"""The screen pop an operator sees when a call connects: who calls, in which language,
about what, how the caller went through the IVR, what they asked before, and a new-appeal
form filled with what is known.

:func:`build_screen_pop` reads the database (the Call row the IVR wrote, earlier appeals
of the same number); the AMI consumer publishes the result through ``live_state``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from appeal_store.calls import ANONYMOUS, get_call, sanitize_phone
from appeal_store.models import Appeal, Applicant, Topic
from appeal_store.search import phone_variants

EARLIER_APPEALS = 10


def earlier_appeals(session: Session, phone: str, limit: int = EARLIER_APPEALS) -> list[dict[str, Any]]:
    """The latest appeals whose applicant has this phone number (newest first)."""
    variants = phone_variants(phone) if phone and phone != ANONYMOUS else []
    if not variants:
        return []
    rows = session.execute(
        select(Appeal.id, Appeal.number, Appeal.status, Appeal.topic_code, Appeal.substance,
               Appeal.received_at, Appeal.due_at)
        .join(Applicant, Appeal.applicant_id == Applicant.id)
        .where(Applicant.phone.in_(variants))  # "067…", "380…", "+380…" are one number
        .order_by(Appeal.received_at.desc())
        .limit(limit)
    ).all()
    return [
        {"id": r.id, "number": r.number, "status": r.status, "topic_code": r.topic_code,
         "summary": (r.substance or "")[:200],
         "received_at": r.received_at.isoformat() if r.received_at else None,
         "due_at": r.due_at.isoformat() if r.due_at else None}
        for r in rows
    ]


def topic_name(session: Session, code: str | None) -> dict[str, str] | None:
    if not code:
        return None
    topic = session.get(Topic, code)
    if topic is None:
        return None
    return {"uk": getattr(topic, "name_uk", "") or "", "en": getattr(topic, "name_en", "") or ""}


def build_screen_pop(
    session: Session, *, uniqueid: str, endpoint: str, queue: str | None, caller: str = "",
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """The screen-pop payload for the call ``uniqueid`` now connected to ``endpoint``."""
    call = get_call(session, uniqueid)
    phone = call.caller_number if call is not None else sanitize_phone(caller)
    language = (call.language if call is not None else None) or "uk"
    topic_code = call.topic_code if call is not None else None
    ivr_path = list(call.ivr_path or []) if call is not None else []
    return {
        "type": "screen_pop",
        "uniqueid": uniqueid,
        "endpoint": endpoint,
        "queue": queue or (call.queue if call is not None else None),
        "caller_number": phone,
        "language": language,
        "topic_code": topic_code,
        "topic": topic_name(session, topic_code),
        "ivr_path": ivr_path,
        "earlier_appeals": earlier_appeals(session, phone),
        "form": {
            "channel": "phone",
            "applicant_phone": "" if phone == ANONYMOUS else phone,
            "language": language,
            "topic_code": topic_code or "",
            "call_uniqueid": uniqueid,
            "call_id": call.id if call is not None else None,
        },
        "at": (now or dt.datetime.now(dt.UTC)).isoformat(),
    }
