"""Adapter to :mod:`routing.appeal_rules`: the routing reference as the database holds it.

Admins edit bodies and rules in the database, so the proposal is computed over a
``routing.reference.Reference`` built from the rows (active bodies, active rules). Where the
database holds no rules yet, the shipped YAML rules are used for the bodies it does hold.

A complaint that names the body complained about passes it on, so routing never proposes
that body (Art. 7 of the Law "On citizens' appeals") and escalates to its overseer instead.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from appeal_store.models.appeals import Appeal
from appeal_store.models.reference import Region, RoutingRule, StateBody, Topic

log = logging.getLogger(__name__)


@dataclass
class RawProposal:
    """The routing engine's answer in plain codes."""

    body_code: str | None
    rule_id: str | None
    reason_uk: str
    reason_en: str
    alternatives: list[str] = field(default_factory=list)
    #: the body left out under Art. 7 (the one complained about), if any
    excluded_body_code: str | None = None


@lru_cache(maxsize=1)
def _shipped():
    from routing.reference import load_reference

    return load_reference()


def reference_from_db(session: Session):
    """A routing Reference of the database's regions, topics, active bodies and rules."""
    from routing import reference as r

    regions = tuple(r.Region(x.code, x.name_uk, x.name_en, x.kind)
                    for x in session.scalars(select(Region)))
    bodies = tuple(r.StateBody(b.code, b.name_uk, b.name_en, b.kind, b.region_code,
                               b.hotline_number, b.webhook_url)
                   for b in session.scalars(select(StateBody).where(StateBody.active)))
    topics = tuple(r.Topic(t.code, t.name_uk, t.name_en, t.parent_code, t.queue or "general")
                   for t in session.scalars(select(Topic)))
    rows = list(session.scalars(select(RoutingRule).where(RoutingRule.active)
                                .order_by(RoutingRule.priority, RoutingRule.id)))
    codes = {b.code for b in bodies}
    if rows:
        rules = tuple(r.RoutingRule(x.id, x.priority, x.topic_prefix or None, x.region_code,
                                    x.body_code, x.body_kind, x.reason_uk, x.reason_en)
                      for x in rows)
    else:
        rules = tuple(x for x in _shipped().rules if x.body_code is None or x.body_code in codes)
    oversight = {k: v for k, v in _shipped().oversight.items() if k in codes and v in codes}
    return r.Reference(regions, bodies, topics, rules, oversight)


def raw_proposal(session: Session, appeal: Appeal) -> RawProposal:
    """Ask routing for the competent body of ``appeal``; no proposal if it cannot tell."""
    from routing.appeal_rules import AppealFacts, RoutingError, propose_body
    from routing.reference import UnknownCodeError

    ref = reference_from_db(session)
    facts = AppealFacts(topic_code=appeal.topic_code, region_code=appeal.region_code,
                        addressee=appeal.addressee,
                        complained_about_body=_complained_about(session, appeal, ref))
    try:
        p = propose_body(facts, ref)
    except (RoutingError, UnknownCodeError) as exc:
        log.info("no routing proposal for appeal %s: %s", appeal.id, exc)
        return RawProposal(None, None, f"Органу не визначено: {exc}", f"No body found: {exc}")
    return RawProposal(p.body_code, p.rule_id, p.reason_uk, p.reason_en,
                       [a.body_code for a in p.alternatives], p.excluded_body_code)


def complained_about_code(session: Session, appeal: Appeal) -> str | None:
    """The code of the body a complaint is about; None for other types or when not named."""
    if appeal.type != "complaint" or appeal.complained_about_body_id is None:
        return None
    body = session.get(StateBody, appeal.complained_about_body_id)
    return body.code if body is not None else None


def _complained_about(session: Session, appeal: Appeal, ref) -> str | None:
    code = complained_about_code(session, appeal)
    if code is not None and code not in ref.bodies_by_code:
        # deactivated since registration: it cannot be chosen anyway (routing takes active
        # bodies only), and an unknown code would leave the appeal with no proposal at all
        log.info("appeal %s complains about inactive body %s: not in the reference",
                 appeal.id, code)
        return None
    return code
