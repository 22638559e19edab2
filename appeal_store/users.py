"""Console users: creation with an argon2 password hash, verification, password changes."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from appeal_store.models import ROLES, QueueMembership, User

log = logging.getLogger(__name__)

MIN_PASSWORD = 8
_USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
_hasher = PasswordHasher()


class UserError(ValueError):
    """A user that cannot be created as asked (bad name, role, password, duplicate)."""


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    if len(password) < MIN_PASSWORD:
        raise UserError(f"password must have at least {MIN_PASSWORD} characters")
    return _hasher.hash(password)


def create_user(
    session: Session,
    username: str,
    password: str,
    role: str,
    *,
    full_name: str = "",
    body_id: int | None = None,
    language: str = "uk",
    sip_endpoint: str | None = None,
    sip_secret: str | None = None,
    queues: Iterable[str] = (),
) -> User:
    """Add a user (the caller commits). Body staff must name their body."""
    username = username.strip().lower()
    if not _USERNAME_RE.match(username):
        raise UserError("username: 2-64 of a-z, 0-9, '.', '_', '-'")
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}")
    if role == "body" and body_id is None:
        raise UserError("a body user needs body_id")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise UserError(f"user {username!r} already exists")
    if sip_endpoint is not None and session.scalar(
        select(User.id).where(User.sip_endpoint == sip_endpoint)
    ) is not None:
        raise UserError(f"SIP endpoint {sip_endpoint!r} is taken")
    user = User(
        username=username, full_name=full_name, password_hash=hash_password(password),
        role=role, body_id=body_id, language=language, sip_endpoint=sip_endpoint,
        sip_secret=sip_secret,
    )
    session.add(user)
    session.flush()
    for queue in dict.fromkeys(queues):
        session.add(QueueMembership(user_id=user.id, queue=queue, penalty=0))
    session.flush()
    log.info("user %s created with role %s", username, role)
    return user


def verify_password(user: User, password: str) -> bool:
    """True if ``password`` is the user's; refreshes an outdated hash in place."""
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return True


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with this name and password, or None (same answer for both misses)."""
    user = session.scalars(
        select(User).where(User.username == username.strip().lower())
    ).one_or_none()
    if user is None:
        _hasher.hash(password or "x" * MIN_PASSWORD)  # similar time whether or not it exists
        return None
    if not user.active or not verify_password(user, password):
        return None
    return user


def set_password(user: User, password: str) -> None:
    """Replace the user's password (the caller commits)."""
    user.password_hash = hash_password(password)
