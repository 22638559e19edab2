"""Reference data: regions, state bodies, the topic classifier and appeal routing rules."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, true
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigIntPK, TimestampMixin

# Kinds used by routing's reference data; not enforced by a CHECK because the vocabulary
# belongs to routing/data/bodies.yaml and may grow.
BODY_KINDS = (
    "secretariat", "ministry", "service", "agency", "fund", "police", "central_bank",
    "regulator", "ombudsman", "regional", "local", "other",
)


class Region(Base):
    """An oblast or city with special status, keyed by its ISO 3166-2 code ("UA-32")."""

    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(10), primary_key=True)
    name_uk: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30), default="oblast")


class StateBody(TimestampMixin, Base):
    """A body that can be the addressee of an appeal and resolve it."""

    __tablename__ = "state_bodies"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_uk: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(32))
    region_code: Mapped[str | None] = mapped_column(
        ForeignKey("regions.code"), index=True, default=None
    )
    hotline_number: Mapped[str | None] = mapped_column(String(20), default=None)
    webhook_url: Mapped[str | None] = mapped_column(String(500), default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class Topic(Base):
    """A topic of the classifier of citizens' appeals; ``queue`` is the call queue for it."""

    __tablename__ = "topics"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name_uk: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))
    parent_code: Mapped[str | None] = mapped_column(
        ForeignKey("topics.code"), index=True, default=None
    )
    queue: Mapped[str | None] = mapped_column(String(64), default=None)


class RoutingRule(Base):
    """One rule: appeals whose topic starts with ``topic_prefix`` (and region) go to a body.

    The target is either one body (``body_code``) or, by ``body_kind``, the body of that
    kind in the appeal's region. Precedence is decided by ``routing`` (see docs/ROUTING.md).
    """

    __tablename__ = "routing_rules"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # "R-01-01", from routing
    priority: Mapped[int] = mapped_column(Integer, default=0)
    topic_prefix: Mapped[str | None] = mapped_column(String(32), default=None)  # None: any
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), default=None)
    body_code: Mapped[str | None] = mapped_column(String(64), default=None)
    body_kind: Mapped[str | None] = mapped_column(String(32), default=None)
    reason_uk: Mapped[str] = mapped_column(Text, default="")
    reason_en: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
