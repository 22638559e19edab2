"""Writing and reading the audit log (who saw or changed what, when, from where)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from appeal_store.models import AuditLog, utcnow

log = logging.getLogger(__name__)


def _clean_ip(ip: str | None) -> str | None:
    """A valid IPv4/IPv6 address as text, or None (a forged header is not stored)."""
    if not ip:
        return None
    try:
        return str(ipaddress.ip_address(ip.strip()))
    except ValueError:
        log.warning("audit: ignoring a malformed client address")
        return None


def audit(
    session: Session,
    actor_id: int | None,
    action: str,
    object_type: str,
    object_id: object | None,
    detail: dict[str, Any] | None = None,
    ip: str | None = None,
    *,
    at: dt.datetime | None = None,
) -> AuditLog:
    """Add one audit row in the caller's transaction (it lands with the act it records)."""
    if not action or not object_type:
        raise ValueError("audit needs an action and an object type")
    row = AuditLog(
        at=at or utcnow(),
        actor_id=actor_id,
        action=action[:64],
        object_type=object_type[:64],
        object_id=None if object_id is None else str(object_id)[:64],
        detail=dict(detail or {}),
        ip=_clean_ip(ip),
    )
    session.add(row)
    session.flush()
    return row


def history(
    session: Session,
    *,
    object_type: str | None = None,
    object_id: object | None = None,
    actor_id: int | None = None,
    limit: int = 200,
) -> list[AuditLog]:
    """Audit rows for an object or an actor, newest first."""
    stmt = select(AuditLog)
    if object_type is not None:
        stmt = stmt.where(AuditLog.object_type == object_type)
    if object_id is not None:
        stmt = stmt.where(AuditLog.object_id == str(object_id))
    if actor_id is not None:
        stmt = stmt.where(AuditLog.actor_id == actor_id)
    stmt = stmt.order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(limit)
    return list(session.scalars(stmt))
