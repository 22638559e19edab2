"""A body's answer, the control call back to the applicant, and closing the appeal."""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from appeal_store.models.appeals import CONTROL_OUTCOMES, Appeal, ControlCall
from appeal_store.models.users import User

from . import lifecycle
from .errors import AccessDenied, FieldError, ValidationFailed

log = logging.getLogger(__name__)

CONTROL_CALL_DELAY = dt.timedelta(hours=1)
MIN_ANSWER = 10


def answer_appeal(
    session: Session, appeal_id: int, text: str, *, actor: User, now: dt.datetime,
) -> ControlCall:
    """Record the body's answer, move to ``answered`` and schedule the control call; commits.

    Only a user of the body the appeal is routed to may answer it.
    """
    try:
        appeal = lifecycle.load_appeal(session, appeal_id)
        if actor.role != "body" or actor.body_id is None or actor.body_id != appeal.body_id:
            raise AccessDenied("Відповідати може лише орган, якому направлено звернення",
                               "Only the body the appeal is routed to may answer it")
        text = text.strip()
        if len(text) < MIN_ANSWER:
            raise ValidationFailed([FieldError(
                "answer", "required", f"Відповідь має містити щонайменше {MIN_ANSWER} символів",
                f"The answer must hold at least {MIN_ANSWER} characters")])
        lifecycle.move(session, appeal, "answered", actor_id=actor.id, action="answered",
                       now=now, data={"length": len(text)})
        appeal.answer_text = text
        appeal.answered_at = now
        call = ControlCall(appeal_id=appeal.id, scheduled_at=now + CONTROL_CALL_DELAY,
                           operator_id=appeal.created_by_id)
        session.add(call)
        session.flush()
        lifecycle.note(session, appeal, "control_call_scheduled", actor_id=actor.id, now=now,
                       data={"control_call_id": call.id, "operator_id": call.operator_id,
                             "scheduled_at": call.scheduled_at.isoformat()})
        session.commit()
    except Exception:
        session.rollback()
        raise
    log.info("appeal %s answered by body user %s", appeal_id, actor.username)
    return call


def record_control_outcome(
    session: Session, appeal_id: int, outcome: str, *, actor: User, now: dt.datetime,
    note: str = "",
) -> Appeal:
    """Record the control call's outcome and move the appeal to ``checked``; commits."""
    try:
        if outcome not in CONTROL_OUTCOMES:
            raise ValidationFailed([FieldError(
                "outcome", "unknown", "Оберіть результат: задоволений, не задоволений, недоступний",
                "Choose the outcome: satisfied, not satisfied, unreachable")])
        appeal = lifecycle.load_appeal(session, appeal_id)
        lifecycle.move(session, appeal, "checked", actor_id=actor.id, action="control_call",
                       now=now, data={"outcome": outcome, "note": note.strip()})
        call = pending_control_call(session, appeal.id)
        if call is None:
            call = ControlCall(appeal_id=appeal.id, scheduled_at=now)
            session.add(call)
        call.outcome = outcome
        call.at = now
        call.operator_id = actor.id
        appeal.control_outcome = outcome
        session.commit()
    except Exception:
        session.rollback()
        raise
    return appeal


def close_appeal(session: Session, appeal_id: int, *, actor: User, now: dt.datetime) -> Appeal:
    """Close a checked appeal; commits."""
    try:
        appeal = lifecycle.load_appeal(session, appeal_id)
        lifecycle.move(session, appeal, "closed", actor_id=actor.id, action="closed", now=now,
                       data={"outcome": appeal.control_outcome})
        appeal.closed_at = now
        session.commit()
    except Exception:
        session.rollback()
        raise
    return appeal


def pending_control_call(session: Session, appeal_id: int) -> ControlCall | None:
    """The appeal's scheduled control call that has no outcome yet."""
    stmt = select(ControlCall).where(ControlCall.appeal_id == appeal_id,
                                     ControlCall.outcome.is_(None)).order_by(ControlCall.id)
    return session.scalars(stmt).first()


def control_calls_due(session: Session, operator_id: int | None, now: dt.datetime) -> list[ControlCall]:
    """Control calls without outcome scheduled up to ``now`` (for one operator, or all)."""
    stmt = select(ControlCall).where(ControlCall.outcome.is_(None),
                                     ControlCall.scheduled_at <= now)
    if operator_id is not None:
        stmt = stmt.where(ControlCall.operator_id == operator_id)
    return list(session.scalars(stmt.order_by(ControlCall.scheduled_at)))
