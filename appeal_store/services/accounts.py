"""Logging in: check the password through appeal_store.users and audit the attempt."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from appeal_store.models.users import User

from .adapters import record_audit

log = logging.getLogger(__name__)


def log_in(session: Session, username: str, password: str, *, ip: str | None = None) -> User | None:
    """The active user with these credentials, or None; the attempt is audited; commits."""
    from appeal_store import users

    try:
        user = users.authenticate(session, username, password)
        record_audit(session, actor_id=user.id if user else None,
                     action="login" if user else "login_failed", object_type="user",
                     object_id=str(user.id) if user else None,
                     detail={} if user else {"username": username[:64]}, ip=ip)
        session.commit()  # also keeps a refreshed password hash
    except Exception:
        session.rollback()
        raise
    return user
