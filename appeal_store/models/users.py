"""People who log in (operators, supervisors, QA, body staff, admins) and queue membership."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Integer, String, true
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigIntPK, TimestampMixin, one_of

ROLES = ("operator", "supervisor", "qa", "body", "admin")


class User(TimestampMixin, Base):
    """A console user; body staff carry ``body_id``; operators may own a SIP endpoint."""

    __tablename__ = "users"
    __table_args__ = (one_of("role", ROLES),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    body_id: Mapped[int | None] = mapped_column(
        ForeignKey("state_bodies.id"), index=True, default=None
    )
    language: Mapped[str] = mapped_column(String(5), default="uk")
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    sip_endpoint: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    sip_secret: Mapped[str | None] = mapped_column(String(128), default=None)


class QueueMembership(Base):
    """An operator's standing membership of a call queue, with its Asterisk penalty."""

    __tablename__ = "queue_memberships"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    queue: Mapped[str] = mapped_column(String(64), primary_key=True)
    penalty: Mapped[int] = mapped_column(Integer, default=0)
