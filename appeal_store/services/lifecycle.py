"""The appeal's status machine and its history (AppealEvent for every transition)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from appeal_store.models.appeals import Appeal, AppealEvent

from .errors import InvalidTransition, NotFound

# draft → registered → routed → delivered → answered → checked → closed.
# A routed or delivered appeal can be routed again (topic change, override); a body may
# answer straight from "routed" when it read the appeal before the outbox marked it.
TRANSITIONS: dict[str, frozenset[str]] = {
    "draft": frozenset({"registered"}),
    "registered": frozenset({"routed"}),
    "routed": frozenset({"routed", "delivered", "answered"}),
    "delivered": frozenset({"routed", "answered"}),
    "answered": frozenset({"checked"}),
    "checked": frozenset({"closed"}),
    "closed": frozenset(),
}


def can_move(current: str, wanted: str) -> bool:
    """True when the status machine allows ``current`` → ``wanted``."""
    return wanted in TRANSITIONS.get(current, frozenset())


def move(
    session: Session,
    appeal: Appeal,
    wanted: str,
    *,
    actor_id: int | None,
    action: str,
    now: dt.datetime,
    data: dict[str, Any] | None = None,
) -> AppealEvent:
    """Change ``appeal.status`` to ``wanted`` and add the event; refuse a forbidden step."""
    current = appeal.status
    if not can_move(current, wanted):
        raise InvalidTransition(current, wanted)
    appeal.status = wanted
    return note(session, appeal, action, actor_id=actor_id, now=now, data=data,
                from_status=current, to_status=wanted)


def note(
    session: Session,
    appeal: Appeal,
    action: str,
    *,
    actor_id: int | None,
    now: dt.datetime,
    data: dict[str, Any] | None = None,
    from_status: str | None = None,
    to_status: str | None = None,
) -> AppealEvent:
    """Add a history event that may or may not change the status."""
    event = AppealEvent(
        appeal_id=appeal.id,
        at=now,
        actor_id=actor_id,
        action=action,
        from_status=from_status,
        to_status=to_status,
        data=dict(data or {}),
    )
    session.add(event)
    return event


def load_appeal(session: Session, appeal_id: int) -> Appeal:
    """The appeal with ``appeal_id`` or :class:`NotFound`."""
    appeal = session.get(Appeal, appeal_id)
    if appeal is None:
        raise NotFound(f"Звернення {appeal_id} не знайдено", f"Appeal {appeal_id} not found")
    return appeal


def history(session: Session, appeal_id: int) -> list[AppealEvent]:
    """The appeal's events, oldest first."""
    stmt = (
        select(AppealEvent)
        .where(AppealEvent.appeal_id == appeal_id)
        .order_by(AppealEvent.at, AppealEvent.id)
    )
    return list(session.scalars(stmt))
