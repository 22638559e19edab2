"""Thin, idempotent writes used by the live-call adapters (AGI, AMI consumer, ARI app).

Every function here may be called again with the same input (a retried AGI step, an AMI
event replayed after a reconnect) without creating a second row. Caller IDs come from
the network and are sanitised before they reach the database.
"""

from __future__ import annotations

import datetime as dt
import logging
import unicodedata
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from appeal_store.models import Call, CallEvent, utcnow

log = logging.getLogger(__name__)

ANONYMOUS = "anonymous"
MAX_PHONE = 20
_CALL_FIELDS = frozenset(c.key for c in Call.__table__.columns) - {"id", "uniqueid"}
_EVENT_FIELDS = frozenset(
    {"call_id", "queue", "agent", "position", "wait_seconds", "talk_seconds", "data", "at"}
)


def sanitize_phone(raw: object) -> str:
    """Only what a phone number can hold: an optional leading '+' and ASCII digits, <= 20.

    Anything else (SQL, quotes, control characters, letters) is dropped; a value with no
    digit at all becomes "anonymous". Full-width and other Unicode digits are folded.
    """
    if raw is None:
        return ANONYMOUS
    text = unicodedata.normalize("NFKC", str(raw)).strip()
    plus = text.startswith("+")
    digits = "".join(ch for ch in text if "0" <= ch <= "9")
    if not digits:
        return ANONYMOUS
    return ("+" + digits)[:MAX_PHONE] if plus else digits[:MAX_PHONE]


def sanitize_text(raw: object, max_len: int = 100) -> str | None:
    """A printable, single-line, bounded version of a caller-supplied string (caller name)."""
    if raw is None:
        return None
    text = "".join(
        ch if unicodedata.category(ch)[0] not in ("C", "Z") or ch == " " else " "
        for ch in unicodedata.normalize("NFKC", str(raw))
    )
    text = " ".join(text.split())[:max_len]
    return text or None


def _insert(session: Session):
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert
    if dialect == "sqlite":
        return sqlite.insert
    raise NotImplementedError(f"calls are not implemented for {dialect}")


def _clean_call_fields(fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - _CALL_FIELDS
    if unknown:
        raise TypeError(f"unknown call fields: {sorted(unknown)}")
    out = dict(fields)
    for key in ("caller_number", "called_number"):
        if key in out and out[key] is not None:
            out[key] = sanitize_phone(out[key])
    if "caller_name" in out:
        out["caller_name"] = sanitize_text(out["caller_name"])
    return out


def get_call(session: Session, uniqueid: str) -> Call | None:
    """The call with Asterisk's ``uniqueid``, or None."""
    return session.scalars(select(Call).where(Call.uniqueid == uniqueid)).one_or_none()


def upsert_call(session: Session, uniqueid: str, **fields: Any) -> Call:
    """Create the call if it is new, then set ``fields`` on it; returns the row.

    Safe against a concurrent creator of the same call (INSERT ... ON CONFLICT DO NOTHING).
    """
    if not uniqueid:
        raise ValueError("uniqueid is required")
    fields = _clean_call_fields(fields)
    call = get_call(session, uniqueid)
    if call is None:
        session.flush()
        insert = _insert(session)
        stmt = insert(Call.__table__).values(
            uniqueid=uniqueid,
            caller_number=fields.get("caller_number") or ANONYMOUS,
            status=fields.get("status") or "ivr",
            ivr_path=[],
            started_at=fields.get("started_at") or utcnow(),
        ).on_conflict_do_nothing(index_elements=["uniqueid"])
        session.execute(stmt)
        call = get_call(session, uniqueid)
        assert call is not None  # inserted above or by a concurrent writer
    for key, value in fields.items():
        setattr(call, key, value)
    session.flush()
    return call


def record_event(
    session: Session, source_key: str, uniqueid: str, kind: str, **fields: Any
) -> bool:
    """Write one call event exactly once; False if ``source_key`` was already written.

    ``fields`` may hold queue, agent, position, wait_seconds, talk_seconds, data, at and
    call_id; without call_id the event is linked to the call with that uniqueid, if any.
    """
    if not source_key or not kind:
        raise ValueError("source_key and kind are required")
    unknown = set(fields) - _EVENT_FIELDS
    if unknown:
        raise TypeError(f"unknown call event fields: {sorted(unknown)}")
    session.flush()
    values = {k: v for k, v in fields.items() if v is not None}
    if "call_id" not in values:
        values["call_id"] = session.scalar(select(Call.id).where(Call.uniqueid == uniqueid))
    values.setdefault("data", {})
    values.setdefault("at", utcnow())
    if "queue" in values and values["queue"] is not None:
        values["queue"] = str(values["queue"])[:64]
    if "agent" in values and values["agent"] is not None:
        values["agent"] = str(values["agent"])[:100]
    stmt = (
        _insert(session)(CallEvent.__table__)
        .values(source_key=source_key[:200], uniqueid=uniqueid, kind=kind, **values)
        .on_conflict_do_nothing(index_elements=["source_key"])
        .returning(CallEvent.__table__.c.id)
    )
    written = session.execute(stmt).scalar_one_or_none() is not None
    if not written:
        log.debug("call event %s already recorded", source_key)
    return written


def append_ivr_input(
    session: Session,
    uniqueid: str,
    node: str,
    digits: str,
    *,
    step: int | None = None,
    at: dt.datetime | None = None,
) -> bool:
    """Add one IVR choice to the call's ``ivr_path`` and write an 'ivr_input' event.

    ``step`` is the position of this input in the caller's path (0, 1, ...); the same
    (uniqueid, step) is written once, so a retried AGI step does not duplicate it.
    Without ``step`` the input goes at the end. Returns False if it was already there.
    """
    call = upsert_call(session, uniqueid)
    path = list(call.ivr_path or [])
    index = len(path) if step is None else step
    if index < 0:
        raise ValueError("step must be >= 0")
    digits = "".join(ch for ch in str(digits) if ch in "0123456789*#")[:32]
    entry = {"node": str(node)[:64], "digits": digits}
    written = record_event(
        session, f"ivr:{uniqueid}:{index}", uniqueid, "ivr_input",
        call_id=call.id, data={**entry, "step": index}, at=at,
    )
    if written:
        if index >= len(path):
            path.append(entry)
        else:
            path[index] = entry
        call.ivr_path = path  # a new list, so the JSON change is seen
        session.flush()
    return written
