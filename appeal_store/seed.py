"""Load routing's reference data (regions, bodies, topics, rules) into the database.

Idempotent: running it twice leaves the same rows. Rows are matched by their natural key
(code or rule id) and updated in place, so ids that appeals point to never change. A body
or rule that disappeared from the reference is deactivated, not deleted: old appeals and
routing decisions still refer to it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from appeal_store.models import Region, RoutingRule, StateBody, Topic

log = logging.getLogger(__name__)

REGION_FIELDS = ("name_uk", "name_en", "kind")
BODY_FIELDS = ("name_uk", "name_en", "kind", "region_code", "hotline_number", "webhook_url")
TOPIC_FIELDS = ("name_uk", "name_en", "parent_code", "queue")
RULE_FIELDS = ("priority", "topic_prefix", "region_code", "body_code", "body_kind",
               "reason_uk", "reason_en")


class ReferenceLike(Protocol):
    """What :func:`seed_reference` needs: ``routing.reference.Reference`` fits."""

    regions: Iterable[Any]
    bodies: Iterable[Any]
    topics: Iterable[Any]
    rules: Iterable[Any]


@dataclass
class SeedReport:
    """Rows added, changed and deactivated per table."""

    added: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    deactivated: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str, table: str) -> None:
        bucket = getattr(self, kind)
        bucket[table] = bucket.get(table, 0) + 1

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.deactivated)


def _apply(row: Any, source: Any, fields: tuple[str, ...]) -> bool:
    changed = False
    for name in fields:
        value = getattr(source, name)
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def _upsert(session: Session, model: Any, key: str, items: Iterable[Any],
            fields: tuple[str, ...], report: SeedReport) -> set[str]:
    table = model.__tablename__
    existing = {getattr(r, key): r for r in session.scalars(select(model))}
    seen: set[str] = set()
    for item in items:
        ident = str(getattr(item, "id" if key == "id" else "code"))
        seen.add(ident)
        row = existing.get(ident)
        if row is None:
            row = model(**{key: ident})
            _apply(row, item, fields)
            if hasattr(row, "active"):
                row.active = True
            session.add(row)
            report.count("added", table)
            continue
        changed = _apply(row, item, fields)
        if getattr(row, "active", True) is False:
            row.active = True
            changed = True
        if changed:
            report.count("updated", table)
    for ident, row in existing.items():
        if ident not in seen and getattr(row, "active", None) is True:
            row.active = False
            report.count("deactivated", table)
    session.flush()
    return seen


def _parents_first(topics: Iterable[Any]) -> list[Any]:
    """Topics ordered so that every parent is inserted before its children."""
    by_code = {t.code: t for t in topics}

    def depth(code: str, guard: int = 0) -> int:
        parent = by_code[code].parent_code
        if parent is None or parent not in by_code or guard > 50:
            return 0
        return 1 + depth(parent, guard + 1)

    return sorted(by_code.values(), key=lambda t: (depth(t.code), t.code))


def seed_reference(session: Session, reference: ReferenceLike) -> SeedReport:
    """Insert or update every region, body, topic and rule of ``reference``.

    The caller owns the transaction (commit or roll back).
    """
    report = SeedReport()
    _upsert(session, Region, "code", reference.regions, REGION_FIELDS, report)
    _upsert(session, StateBody, "code", reference.bodies, BODY_FIELDS, report)
    # insert topics level by level so the self-reference is always satisfied
    topics = _parents_first(reference.topics)
    _upsert(session, Topic, "code", topics, TOPIC_FIELDS, report)
    _upsert(session, RoutingRule, "id", reference.rules, RULE_FIELDS, report)
    log.info("reference seeded: added %s, updated %s, deactivated %s",
             report.added, report.updated, report.deactivated)
    return report


def seed_from_routing(session: Session) -> SeedReport:
    """Seed the reference data shipped with ``routing`` (its YAML files)."""
    from routing.reference import load_reference

    return seed_reference(session, load_reference())
