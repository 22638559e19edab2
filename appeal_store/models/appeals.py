"""Appeals and their applicants, history, routing decisions, deliveries and control calls."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import (
    DDL,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    event,
    false,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, BigIntPK, JSONType, UTCDateTime, one_of, utcnow

if TYPE_CHECKING:
    from .reference import StateBody

APPEAL_STATUSES = ("draft", "registered", "routed", "delivered", "answered", "checked", "closed")
APPEAL_TYPES = ("proposal", "application", "complaint")
CHANNELS = ("phone", "voice", "web")
CONTROL_OUTCOMES = ("satisfied", "not_satisfied", "unreachable")
DELIVERY_KINDS = ("inbox", "webhook")
DELIVERY_STATUSES = ("pending", "sent", "failed", "dead")
SEXES = ("male", "female", "unknown")

# PostgreSQL-only search indexes. They are created by the initial migration with raw SQL
# (and by metadata.create_all on PostgreSQL through ddl_if); autogenerate ignores them.
PG_ONLY_INDEXES = (
    "ix_applicants_full_name_trgm",
    "ix_applicants_full_name_lower",
    "ix_applicants_name_words",
    "ix_appeals_substance_fts",
)
# The words of a name for word-prefix search, apostrophes dropped (revision 0004); it must
# stay identical to appeal_store.search.NAME_WORDS_SQL or the planner will not use the index.
NAME_WORDS_EXPR = (
    "to_tsvector('simple'::regconfig, translate(full_name, '''\u2019\u02bc`\u2018', ''))"
)


class Applicant(Base):
    """The author of an appeal (Art. 5: name, place of residence; plus contact and coding)."""

    __tablename__ = "applicants"
    __table_args__ = (
        one_of("sex", SEXES, nullable=True),
        Index("ix_applicants_phone", "phone"),
        Index(
            "ix_applicants_full_name_trgm",
            "full_name",
            postgresql_using="gin",
            postgresql_ops={"full_name": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
        # exact, case-blind name lookups (repeated appeals); revision 0002
        Index("ix_applicants_full_name_lower", func.lower(text("full_name"))).ddl_if(
            dialect="postgresql"
        ),
        Index("ix_applicants_name_words", text(NAME_WORDS_EXPR),
              postgresql_using="gin").ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    full_name: Mapped[str] = mapped_column(String(300))
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), default=None)
    settlement: Mapped[str | None] = mapped_column(String(200), default=None)
    address: Mapped[str | None] = mapped_column(String(500), default=None)
    phone: Mapped[str | None] = mapped_column(String(20), default=None)
    email: Mapped[str | None] = mapped_column(String(254), default=None)
    social_category: Mapped[str | None] = mapped_column(String(64), default=None)
    sex: Mapped[str | None] = mapped_column(String(10), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Appeal(Base):
    """A citizen's appeal and its registration-control card (Instruction No. 348).

    ``version`` is an optimistic lock: a concurrent edit of a stale row raises
    ``StaleDataError`` instead of silently overwriting.
    """

    __tablename__ = "appeals"
    __table_args__ = (
        one_of("status", APPEAL_STATUSES),
        one_of("type", APPEAL_TYPES),
        one_of("channel", CHANNELS),
        one_of("control_outcome", CONTROL_OUTCOMES, nullable=True),
        Index("ix_appeals_received_at", "received_at"),
        Index("ix_appeals_status_due_at", "status", "due_at"),
        Index("ix_appeals_body_id_status", "body_id", "status"),
        Index("ix_appeals_applicant_id", "applicant_id"),
        Index("ix_appeals_topic_code_received_at", "topic_code", "received_at"),
        Index("ix_appeals_region_code_received_at", "region_code", "received_at"),
        Index(
            "ix_appeals_substance_fts",
            func.to_tsvector(text("'simple'"), text("substance")),
            postgresql_using="gin",
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    number: Mapped[str | None] = mapped_column(String(40), unique=True, default=None)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    type: Mapped[str] = mapped_column(String(20), default="application")
    channel: Mapped[str] = mapped_column(String(10), default="phone")
    topic_code: Mapped[str | None] = mapped_column(ForeignKey("topics.code"), default=None)
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), default=None)
    substance: Mapped[str] = mapped_column(Text, default="")
    addressee: Mapped[str | None] = mapped_column(String(300), default=None)
    body_id: Mapped[int | None] = mapped_column(ForeignKey("state_bodies.id"), default=None)
    # Art. 7: a complaint is never sent to the body whose decision it complains of (0003)
    complained_about_body_id: Mapped[int | None] = mapped_column(
        ForeignKey("state_bodies.id"), default=None
    )
    is_repeated: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    repeated_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("appeals.id"), index=True, default=None
    )
    is_collective: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    priority_category: Mapped[str | None] = mapped_column(String(40), default=None)
    priority: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    applicant_id: Mapped[int | None] = mapped_column(ForeignKey("applicants.id"), default=None)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"), index=True, default=None)
    recording_id: Mapped[int | None] = mapped_column(
        ForeignKey("recordings.id", use_alter=True), index=True, default=None
    )
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    registered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    needs_study: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    extended_due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    extension_reason: Mapped[str | None] = mapped_column(Text, default=None)
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    answer_text: Mapped[str | None] = mapped_column(Text, default=None)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    control_outcome: Mapped[str | None] = mapped_column(String(20), default=None)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    applicant: Mapped[Applicant | None] = relationship()
    complained_about_body: Mapped[StateBody | None] = relationship(
        foreign_keys=[complained_about_body_id]
    )

    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}


class AppealEvent(Base):
    """One step of an appeal's history: who did what, and the status it moved between."""

    __tablename__ = "appeal_events"
    __table_args__ = (Index("ix_appeal_events_appeal_id_at", "appeal_id", "at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeals.id", ondelete="CASCADE"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    action: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(20), default=None)
    to_status: Mapped[str | None] = mapped_column(String(20), default=None)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class RoutingDecision(Base):
    """The body routing proposed, the body chosen, and why (with any operator override)."""

    __tablename__ = "routing_decisions"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    appeal_id: Mapped[int] = mapped_column(
        ForeignKey("appeals.id", ondelete="CASCADE"), index=True
    )
    proposed_body_id: Mapped[int | None] = mapped_column(
        ForeignKey("state_bodies.id"), default=None
    )
    chosen_body_id: Mapped[int | None] = mapped_column(ForeignKey("state_bodies.id"), default=None)
    reason: Mapped[str] = mapped_column(Text, default="")
    rule_id: Mapped[str | None] = mapped_column(ForeignKey("routing_rules.id"), default=None)
    overridden: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    override_reason: Mapped[str | None] = mapped_column(Text, default=None)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Delivery(Base):
    """An outbox row: deliver an appeal to a body's inbox or webhook, with retries."""

    __tablename__ = "deliveries"
    __table_args__ = (
        one_of("kind", DELIVERY_KINDS),
        one_of("status", DELIVERY_STATUSES),
        Index("ix_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeals.id"), index=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("state_bodies.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10), default="inbox")
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ControlCall(Base):
    """A call back to the applicant to check the answer (control of consideration)."""

    __tablename__ = "control_calls"
    __table_args__ = (
        one_of("outcome", CONTROL_OUTCOMES, nullable=True),
        Index("ix_control_calls_scheduled_at", "scheduled_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    appeal_id: Mapped[int] = mapped_column(
        ForeignKey("appeals.id", ondelete="CASCADE"), index=True
    )
    scheduled_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    outcome: Mapped[str | None] = mapped_column(String(20), default=None)
    at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)


# metadata.create_all on PostgreSQL needs pg_trgm before the trigram index.
event.listen(
    Base.metadata,
    "before_create",
    DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"),
)
