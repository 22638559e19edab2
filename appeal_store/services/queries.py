"""Read side of the console: who may see an appeal (audited), drafts, due lists, inboxes."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from appeal_store.models.appeals import Appeal, Delivery
from appeal_store.models.users import User

from . import lifecycle
from .adapters import record_audit
from .errors import AccessDenied

STAFF_ROLES = frozenset({"operator", "supervisor", "admin"})
OPEN_STATUSES = ("registered", "routed", "delivered")
BODY_VISIBLE = ("routed", "delivered", "answered", "checked", "closed")


def may_view(user: User, appeal: Appeal) -> bool:
    """Operators, supervisors and admins see every appeal; a body sees only its own."""
    if user.role in STAFF_ROLES:
        return True
    if user.role == "body":
        return (user.body_id is not None and appeal.body_id == user.body_id
                and appeal.status in BODY_VISIBLE)
    return False


def view_appeal(
    session: Session, appeal_id: int, *, user: User, now: dt.datetime, ip: str | None = None,
) -> Appeal:
    """Load an appeal for ``user``, refuse if not allowed, audit the view of applicant data.

    Commits the audit row (every access to personal data is logged, refused ones too).
    """
    try:
        appeal = lifecycle.load_appeal(session, appeal_id)
        allowed = may_view(user, appeal)
        record_audit(session, actor_id=user.id,
                     action="view_applicant" if allowed else "view_applicant_refused",
                     object_type="appeal", object_id=str(appeal.id),
                     detail={"applicant_id": appeal.applicant_id, "role": user.role}, ip=ip)
        session.commit()
    except Exception:
        session.rollback()
        raise
    if not allowed:
        raise AccessDenied("Це звернення вам недоступне", "You may not see this appeal")
    return appeal


def drafts(session: Session, *, limit: int = 200) -> list[Appeal]:
    """Drafts, oldest first (voice-appeal drafts come from transcription)."""
    stmt = select(Appeal).where(Appeal.status == "draft").order_by(Appeal.received_at).limit(limit)
    return list(session.scalars(stmt))


def effective_due(appeal: Appeal) -> dt.datetime | None:
    """The extended due date when there is one, else the legal one."""
    return appeal.extended_due_at or appeal.due_at


def due_list(session: Session, now: dt.datetime, *, body_id: int | None = None,
             limit: int = 500) -> list[Appeal]:
    """Open appeals by deadline: priority categories first, then the earliest due."""
    stmt = select(Appeal).where(Appeal.status.in_(OPEN_STATUSES), Appeal.due_at.is_not(None))
    if body_id is not None:
        stmt = stmt.where(Appeal.body_id == body_id)
    stmt = stmt.order_by(case((Appeal.priority, 0), else_=1), Appeal.due_at).limit(limit)
    return list(session.scalars(stmt))


def is_overdue(appeal: Appeal, now: dt.datetime) -> bool:
    due = effective_due(appeal)
    return due is not None and due < now and appeal.status in OPEN_STATUSES


def body_inbox(session: Session, body_id: int, *, limit: int = 500) -> list[Appeal]:
    """A body's appeals: open ones first (priority, then due), then answered ones."""
    stmt = (
        select(Appeal)
        .where(Appeal.body_id == body_id, Appeal.status.in_(BODY_VISIBLE))
        .order_by(case((Appeal.status.in_(("routed", "delivered")), 0), else_=1),
                  case((Appeal.priority, 0), else_=1), Appeal.due_at)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def body_notices(session: Session, body_id: int, *, limit: int = 50) -> list[Delivery]:
    """Withdrawal notices for a body: appeals taken from it after a re-routing."""
    stmt = (
        select(Delivery)
        .where(Delivery.body_id == body_id, Delivery.kind == "inbox",
               Delivery.idempotency_key.startswith("withdrawn."))
        .order_by(Delivery.created_at.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))
