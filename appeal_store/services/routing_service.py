"""Routing an appeal to the competent body: propose, confirm or override, re-route.

The proposal comes from :mod:`routing.appeal_rules`; the decision (proposed body, chosen
body, reason, any override with its reason) is stored as a ``RoutingDecision`` and the
outbox rows are written in the same transaction. A complaint is never routed to the body
it complains of (Art. 7): routing leaves that body out, and an override to it is refused.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from appeal_store.models.appeals import Appeal, RoutingDecision
from appeal_store.models.reference import RoutingRule, StateBody, Topic
from appeal_store.models.users import User

from . import lifecycle, outbox
from .errors import Art7Refused, FieldError, NotFound, ServiceError, ValidationFailed
from .proposal import complained_about_code, raw_proposal

log = logging.getLogger(__name__)

ROUTABLE = ("registered", "routed", "delivered")


@dataclass
class BodyRef:
    id: int
    code: str
    name_uk: str
    name_en: str

    @classmethod
    def of(cls, body: StateBody) -> BodyRef:
        return cls(body.id, body.code, body.name_uk, body.name_en)


@dataclass
class ProposalView:
    """The proposed body with its reason, resolved to database rows."""

    body: BodyRef | None
    rule_id: str | None
    reason_uk: str
    reason_en: str
    alternatives: list[BodyRef] = field(default_factory=list)
    #: the body complained about, left out under Art. 7
    excluded: BodyRef | None = None

    def reason(self, lang: str) -> str:
        return self.reason_en if lang == "en" else self.reason_uk

    def as_dict(self) -> dict[str, object]:
        def ref(b: BodyRef | None) -> dict[str, object] | None:
            return None if b is None else {"id": b.id, "code": b.code, "name_uk": b.name_uk,
                                           "name_en": b.name_en}
        return {"body": ref(self.body), "rule_id": self.rule_id, "reason_uk": self.reason_uk,
                "reason_en": self.reason_en, "alternatives": [ref(b) for b in self.alternatives],
                "excluded": ref(self.excluded)}


def _bodies_by_code(session: Session, codes: list[str]) -> dict[str, StateBody]:
    if not codes:
        return {}
    rows = session.scalars(select(StateBody).where(StateBody.code.in_(codes), StateBody.active))
    return {b.code: b for b in rows}


def propose(session: Session, appeal: Appeal) -> ProposalView:
    """The competent body for the appeal's facts, as routing proposes it (no writes)."""
    raw = raw_proposal(session, appeal)
    codes = ([raw.body_code] if raw.body_code else []) + list(raw.alternatives)
    bodies = _bodies_by_code(session, codes)
    body = bodies.get(raw.body_code or "")
    alts = [BodyRef.of(bodies[c]) for c in raw.alternatives if c in bodies and c != raw.body_code]
    excluded = None
    if appeal.type == "complaint" and appeal.complained_about_body_id is not None:
        row = session.get(StateBody, appeal.complained_about_body_id)
        excluded = BodyRef.of(row) if row is not None else None
    return ProposalView(BodyRef.of(body) if body else None, raw.rule_id, raw.reason_uk,
                        raw.reason_en, alts, excluded)


def active_bodies(session: Session) -> list[StateBody]:
    """Bodies an operator may choose when overriding, by name."""
    return list(session.scalars(select(StateBody).where(StateBody.active).order_by(StateBody.name_uk)))


def route_appeal(
    session: Session,
    appeal_id: int,
    *,
    actor: User,
    now: dt.datetime,
    body_id: int | None = None,
    override_reason: str = "",
) -> RoutingDecision:
    """Confirm the proposed body (``body_id`` None or equal) or override it with a reason.

    Stores the decision, moves the appeal to ``routed``, writes its outbox rows and, when
    the appeal leaves another body, tells that body. Commits.
    """
    try:
        decision = _route(session, appeal_id, actor=actor, now=now, body_id=body_id,
                          override_reason=override_reason.strip(), action="routed")
        session.commit()
    except Exception:
        session.rollback()
        raise
    return decision


def change_topic(
    session: Session, appeal_id: int, topic_code: str, *, actor: User, now: dt.datetime,
    reason: str = "",
) -> RoutingDecision | None:
    """Change the topic and route again to the body proposed for it; commits.

    Returns the new decision, or None when the same body stays competent.
    """
    try:
        appeal = lifecycle.load_appeal(session, appeal_id)
        if appeal.status not in ROUTABLE:
            raise lifecycle.InvalidTransition(appeal.status, "routed")
        if session.get(Topic, topic_code) is None:
            raise ValidationFailed([FieldError("topic_code", "unknown", "Невідома тема",
                                               "Unknown topic")])
        old = appeal.topic_code
        appeal.topic_code = topic_code
        lifecycle.note(session, appeal, "topic_changed", actor_id=actor.id, now=now,
                       data={"from": old, "to": topic_code, "reason": reason})
        session.flush()
        proposal = propose(session, appeal)
        decision = None
        if proposal.body is None or proposal.body.id != appeal.body_id:
            decision = _route(session, appeal_id, actor=actor, now=now, body_id=None,
                              override_reason="", action="rerouted")
        session.commit()
    except Exception:
        session.rollback()
        raise
    return decision


def _route(
    session: Session, appeal_id: int, *, actor: User, now: dt.datetime, body_id: int | None,
    override_reason: str, action: str,
) -> RoutingDecision:
    appeal = lifecycle.load_appeal(session, appeal_id)
    if appeal.status not in ROUTABLE:
        raise lifecycle.InvalidTransition(appeal.status, "routed")
    proposal = propose(session, appeal)
    proposed_id = proposal.body.id if proposal.body else None
    chosen_id = body_id if body_id is not None else proposed_id
    if chosen_id is None:
        raise ServiceError("Органу не запропоновано: оберіть орган і зазначте причину",
                           "No body was proposed: choose one and give a reason")
    chosen = session.get(StateBody, chosen_id)
    if chosen is None or not chosen.active:
        raise NotFound("Орган не знайдено або він неактивний", "Body not found or inactive")
    if complained_about_code(session, appeal) == chosen.code:
        log.info("appeal %s: routing to %s refused (Art. 7, complained about)", appeal.id,
                 chosen.code)
        raise Art7Refused(chosen.name_uk, chosen.name_en)
    if appeal.status != "registered" and chosen_id == appeal.body_id:
        raise ServiceError("Звернення вже направлено цьому органу",
                           "The appeal is already routed to this body")
    overridden = chosen_id != proposed_id
    if overridden and not override_reason:
        raise ValidationFailed([FieldError(
            "override_reason", "required",
            "Зазначте причину, чому обрано інший орган, ніж запропонований",
            "Give the reason for choosing a body other than the proposed one")])
    previous_id = appeal.body_id
    decision = RoutingDecision(
        appeal_id=appeal.id, proposed_body_id=proposed_id, chosen_body_id=chosen_id,
        reason=proposal.reason_uk if not overridden else override_reason,
        rule_id=_rule_row_id(session, proposal.rule_id), overridden=overridden,
        override_reason=override_reason or None, actor_id=actor.id, at=now,
    )
    session.add(decision)
    appeal.body_id = chosen_id
    session.flush()
    lifecycle.move(session, appeal, "routed", actor_id=actor.id, action=action, now=now, data={
        "body": chosen.code, "proposed": proposal.body.code if proposal.body else None,
        "rule": proposal.rule_id, "overridden": overridden, "reason": decision.reason})
    outbox.enqueue(session, appeal, chosen, event=outbox.EVENT_ROUTED, decision_id=decision.id,
                   now=now)
    if previous_id is not None and previous_id != chosen_id:
        former = session.get(StateBody, previous_id)
        if former is not None:
            outbox.enqueue(session, appeal, former, event=outbox.EVENT_WITHDRAWN,
                           decision_id=decision.id, now=now)
            lifecycle.note(session, appeal, "former_body_notified", actor_id=actor.id, now=now,
                           data={"body": former.code})
    log.info("appeal %s routed to %s (overridden=%s)", appeal.id, chosen.code, overridden)
    return decision


def _rule_row_id(session: Session, rule_id: str | None) -> str | None:
    """The rule's id when the database holds that rule (fallback proposals have none)."""
    if rule_id and session.get(RoutingRule, rule_id) is not None:
        return rule_id
    return None


def decisions(session: Session, appeal_id: int) -> list[RoutingDecision]:
    """The appeal's routing decisions, oldest first."""
    stmt = select(RoutingDecision).where(RoutingDecision.appeal_id == appeal_id).order_by(
        RoutingDecision.at, RoutingDecision.id)
    return list(session.scalars(stmt))
