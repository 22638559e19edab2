"""The outbox: deliver routed appeals to a body's inbox and webhook, with retries.

Rows are written in the routing transaction (:func:`enqueue`); :func:`deliver_pending`
sends them later, one transaction per row, so a crash loses nothing and a retry sends the
same ``Idempotency-Key``. Webhook failures back off exponentially up to ``max_attempts``.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from appeal_store.models.appeals import Appeal, Delivery
from appeal_store.models.reference import StateBody

from . import lifecycle

log = logging.getLogger(__name__)

EVENT_ROUTED = "routed"
EVENT_WITHDRAWN = "withdrawn"
BASE_DELAY = dt.timedelta(seconds=30)
MAX_DELAY = dt.timedelta(hours=1)
MAX_ATTEMPTS = 8
HTTP_TIMEOUT = 10.0


def backoff(attempts: int, base: dt.timedelta = BASE_DELAY, cap: dt.timedelta = MAX_DELAY) -> dt.timedelta:
    """Delay before the next try after ``attempts`` failures: base·2^(n-1), capped."""
    return min(cap, base * (2 ** max(0, attempts - 1)))


def idempotency_key(event: str, appeal_id: int, body_id: int, decision_id: int, kind: str) -> str:
    """A key unique to one message; the same for every retry of it."""
    return f"{event}.{appeal_id}.{body_id}.{decision_id}.{kind}"


def event_of(delivery: Delivery) -> str:
    """The event a delivery carries, read back from its key."""
    return delivery.idempotency_key.split(".", 1)[0]


def enqueue(
    session: Session, appeal: Appeal, body: StateBody, *, event: str, decision_id: int,
    now: dt.datetime,
) -> list[Delivery]:
    """Add the inbox delivery and, if the body has a webhook, the webhook delivery."""
    kinds = ["inbox"] + (["webhook"] if body.webhook_url else [])
    rows = [
        Delivery(appeal_id=appeal.id, body_id=body.id, kind=kind, status="pending",
                 idempotency_key=idempotency_key(event, appeal.id, body.id, decision_id, kind),
                 attempts=0, next_attempt_at=now, created_at=now)
        for kind in kinds
    ]
    session.add_all(rows)
    return rows


def payload(appeal: Appeal, body: StateBody, delivery: Delivery) -> dict[str, Any]:
    """The JSON a body's webhook receives; a withdrawal carries no personal data."""
    event = event_of(delivery)
    out: dict[str, Any] = {
        "event": f"appeal.{event}",
        "delivery_id": delivery.id,
        "body": body.code,
        "appeal": {"id": appeal.id, "number": appeal.number},
    }
    if event == EVENT_ROUTED:
        a = appeal.applicant
        out["appeal"].update({
            "type": appeal.type, "channel": appeal.channel, "topic": appeal.topic_code,
            "region": appeal.region_code, "substance": appeal.substance,
            "received_at": appeal.received_at.isoformat(),
            "due_at": appeal.due_at.isoformat() if appeal.due_at else None,
            "priority": appeal.priority, "repeated": appeal.is_repeated,
            "collective": appeal.is_collective,
            "applicant": None if a is None else {
                "full_name": a.full_name, "settlement": a.settlement, "address": a.address,
                "phone": a.phone, "email": a.email, "social_category": a.social_category,
            },
        })
    return out


@dataclass
class OutboxReport:
    """What one pass did."""

    sent: int = 0
    retried: int = 0
    dead: int = 0


def deliver_pending(
    session_factory: sessionmaker[Session],
    http_client: httpx.Client,
    now: dt.datetime,
    *,
    limit: int = 100,
    max_attempts: int = MAX_ATTEMPTS,
    base_delay: dt.timedelta = BASE_DELAY,
) -> OutboxReport:
    """Send every pending delivery that is due at ``now``; one transaction per row."""
    with session_factory() as session:
        ids = list(session.scalars(
            select(Delivery.id)
            .where(Delivery.status == "pending", Delivery.next_attempt_at <= now)
            .order_by(Delivery.next_attempt_at, Delivery.id)
            .limit(limit)
        ))
    report = OutboxReport()
    for delivery_id in ids:
        with session_factory() as session:
            outcome = _deliver_one(session, delivery_id, http_client, now, max_attempts, base_delay)
            session.commit()
        if outcome == "sent":
            report.sent += 1
        elif outcome == "retry":
            report.retried += 1
        elif outcome == "dead":
            report.dead += 1
    return report


def _deliver_one(
    session: Session, delivery_id: int, client: httpx.Client, now: dt.datetime,
    max_attempts: int, base_delay: dt.timedelta,
) -> str | None:
    # Row lock (PostgreSQL) so two workers never send the same row at once.
    delivery = session.scalars(
        select(Delivery).where(Delivery.id == delivery_id, Delivery.status == "pending")
        .with_for_update(skip_locked=True)
    ).first()
    if delivery is None:
        return None
    appeal = session.get(Appeal, delivery.appeal_id)
    body = session.get(StateBody, delivery.body_id)
    if appeal is None or body is None:
        return _fail(delivery, "appeal or body vanished", now, max_attempts, base_delay, final=True)
    if delivery.kind == "webhook":
        error = _post(client, body, delivery, payload(appeal, body, delivery))
        if error is not None:
            permanent = error.startswith("HTTP 4") and not error.startswith(("HTTP 408", "HTTP 429"))
            return _fail(delivery, error, now, max_attempts, base_delay, final=permanent)
    delivery.status = "sent"
    delivery.attempts += 1
    delivery.delivered_at = now
    delivery.last_error = None
    if event_of(delivery) == EVENT_ROUTED and appeal.status == "routed" and appeal.body_id == body.id:
        lifecycle.move(session, appeal, "delivered", actor_id=None, action="delivered", now=now,
                       data={"body": body.code, "kind": delivery.kind})
    log.info("delivery %s (%s) of appeal %s to %s sent", delivery.id, delivery.kind,
             appeal.id, body.code)
    return "sent"


def _post(client: httpx.Client, body: StateBody, delivery: Delivery, data: dict[str, Any]) -> str | None:
    """POST to the webhook; None on success (2xx, or 409 = already received), else the error."""
    try:
        response = client.post(
            body.webhook_url or "", json=data, timeout=HTTP_TIMEOUT,
            headers={"Idempotency-Key": delivery.idempotency_key},
        )
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"
    if response.is_success or response.status_code == 409:
        return None
    return f"HTTP {response.status_code}"


def _fail(
    delivery: Delivery, error: str, now: dt.datetime, max_attempts: int,
    base_delay: dt.timedelta, *, final: bool = False,
) -> str:
    delivery.attempts += 1
    delivery.last_error = error[:1000]
    if final or delivery.attempts >= max_attempts:
        delivery.status = "dead"
        delivery.next_attempt_at = None
        log.warning("delivery %s dead after %s attempts: %s", delivery.id, delivery.attempts, error)
        return "dead"
    delivery.next_attempt_at = now + backoff(delivery.attempts, base_delay)
    log.info("delivery %s failed (%s), retry at %s", delivery.id, error, delivery.next_attempt_at)
    return "retry"
