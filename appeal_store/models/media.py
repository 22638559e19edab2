"""Recordings, their transcripts and QA scores."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigIntPK, JSONType, UTCDateTime, one_of, utcnow

RECORDING_KINDS = ("call", "voice_appeal")
TRANSCRIPT_STATUSES = ("pending", "done", "failed", "no_model")


class Recording(Base):
    """One audio file: an operator call (MixMonitor) or a caller's voice appeal."""

    __tablename__ = "recordings"
    __table_args__ = (
        one_of("kind", RECORDING_KINDS),
        Index("ix_recordings_created_at", "created_at"),
        Index("ix_recordings_uniqueid", "uniqueid"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    uniqueid: Mapped[str | None] = mapped_column(String(64), default=None)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"), index=True, default=None)
    appeal_id: Mapped[int | None] = mapped_column(
        ForeignKey("appeals.id"), index=True, default=None
    )
    operator_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id"), index=True, default=None
    )
    kind: Mapped[str] = mapped_column(String(20), default="call")
    path: Mapped[str] = mapped_column(String(500), unique=True)
    format: Mapped[str] = mapped_column(String(10), default="wav")
    duration_seconds: Mapped[float | None] = mapped_column(Float, default=None)
    size_bytes: Mapped[int | None] = mapped_column(BigInteger, default=None)
    sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    purged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)


class Transcript(Base):
    """The transcript of one recording (one per recording; workers upsert on it)."""

    __tablename__ = "transcripts"
    __table_args__ = (one_of("status", TRANSCRIPT_STATUSES),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    recording_id: Mapped[int] = mapped_column(
        ForeignKey("recordings.id", ondelete="CASCADE"), unique=True
    )
    status: Mapped[str] = mapped_column(String(10), default="pending")
    text: Mapped[str] = mapped_column(Text, default="")
    # [{"word": str, "start": float, "end": float, "conf": float}, ...]
    words: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    language: Mapped[str | None] = mapped_column(String(5), default=None)
    model: Mapped[str | None] = mapped_column(String(200), default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class QAScore(Base):
    """A QA reviewer's scores of one recording."""

    __tablename__ = "qa_scores"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    recording_id: Mapped[int] = mapped_column(
        ForeignKey("recordings.id", ondelete="CASCADE"), index=True
    )
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    scores: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    comment: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
