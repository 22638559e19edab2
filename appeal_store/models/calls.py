"""Telephony facts: calls, their queue/IVR events, agent states and call backs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigIntPK, JSONType, UTCDateTime, one_of, utcnow

CALL_STATUSES = ("ivr", "queued", "answered", "abandoned", "completed", "callback", "voicemail", "failed")
CALLBACK_STATUSES = ("pending", "dialing", "done", "failed", "cancelled")


class Call(Base):
    """One inbound or outbound call, keyed by Asterisk's ``uniqueid`` of its first channel."""

    __tablename__ = "calls"
    __table_args__ = (
        one_of("status", CALL_STATUSES),
        Index("ix_calls_started_at", "started_at"),
        Index("ix_calls_caller_number", "caller_number"),
        Index("ix_calls_linkedid", "linkedid"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    uniqueid: Mapped[str] = mapped_column(String(64), unique=True)
    linkedid: Mapped[str | None] = mapped_column(String(64), default=None)
    caller_number: Mapped[str] = mapped_column(String(20), default="anonymous")
    caller_name: Mapped[str | None] = mapped_column(String(100), default=None)
    called_number: Mapped[str | None] = mapped_column(String(20), default=None)
    language: Mapped[str | None] = mapped_column(String(5), default=None)
    topic_code: Mapped[str | None] = mapped_column(String(32), default=None)
    queue: Mapped[str | None] = mapped_column(String(64), default=None)
    ivr_path: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    status: Mapped[str] = mapped_column(String(20), default="ivr")
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    operator_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id"), index=True, default=None
    )


class CallEvent(Base):
    """A queue or IVR event of a call; ``source_key`` makes each AMI event land once."""

    __tablename__ = "call_events"
    __table_args__ = (
        Index("ix_call_events_uniqueid", "uniqueid"),
        Index("ix_call_events_at", "at"),
        Index("ix_call_events_queue_at", "queue", "at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    call_id: Mapped[int | None] = mapped_column(
        ForeignKey("calls.id", ondelete="SET NULL"), index=True, default=None
    )
    uniqueid: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    queue: Mapped[str | None] = mapped_column(String(64), default=None)
    agent: Mapped[str | None] = mapped_column(String(100), default=None)
    position: Mapped[int | None] = mapped_column(Integer, default=None)
    wait_seconds: Mapped[int | None] = mapped_column(Integer, default=None)
    talk_seconds: Mapped[int | None] = mapped_column(Integer, default=None)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    source_key: Mapped[str] = mapped_column(String(200), unique=True)


class AgentStateEvent(Base):
    """An operator's state change in a queue (login, pause, unpause, logout, ringing, …)."""

    __tablename__ = "agent_state_events"
    __table_args__ = (Index("ix_agent_state_events_agent_at", "agent", "at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True, default=None)
    agent: Mapped[str] = mapped_column(String(100))
    queue: Mapped[str | None] = mapped_column(String(64), default=None)
    state: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(String(200), default=None)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Callback(Base):
    """A caller's request to be called back; worked by the ARI app with retries."""

    __tablename__ = "callbacks"
    __table_args__ = (
        one_of("status", CALLBACK_STATUSES),
        Index("ix_callbacks_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    phone: Mapped[str] = mapped_column(String(20))
    topic_code: Mapped[str | None] = mapped_column(String(32), default=None)
    queue: Mapped[str | None] = mapped_column(String(64), default=None)
    language: Mapped[str] = mapped_column(String(5), default="uk")
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=utcnow)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"), index=True, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CallbackAttempt(Base):
    """One dial attempt of a call back and how it ended."""

    __tablename__ = "callback_attempts"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    callback_id: Mapped[int] = mapped_column(
        ForeignKey("callbacks.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    outcome: Mapped[str] = mapped_column(String(32))
    uniqueid: Mapped[str | None] = mapped_column(String(64), default=None)
