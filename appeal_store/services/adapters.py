"""Thin adapters over the other packages the operations use (numbering, deadlines, audit).

Kept in one place so a change of another package's signature is fixed here only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session


def assign_number(session: Session, prefix: str, now: dt.datetime) -> str:
    """The next registration number under ``prefix`` (appeal_store.numbering)."""
    from appeal_store import numbering

    return numbering.next_number(session, prefix, now)


def legal_due_date(received_at: dt.datetime, needs_study: bool) -> dt.datetime:
    """The legal due date (Art. 20) from appeal_store.deadlines."""
    from appeal_store import deadlines

    return deadlines.due_date(received_at, needs_study)


def record_audit(
    session: Session,
    *,
    actor_id: int | None,
    action: str,
    object_type: str,
    object_id: str | None,
    detail: dict[str, Any] | None = None,
    ip: str | None = None,
) -> None:
    """Add an audit row through appeal_store.audit (the caller commits)."""
    from appeal_store import audit

    audit.audit(session, actor_id=actor_id, action=action, object_type=object_type,
                object_id=object_id, detail=detail or {}, ip=ip)
