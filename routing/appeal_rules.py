"""Appeal routing: from an appeal's facts to the state body competent to resolve it.

Pure: :func:`propose_body` reads :class:`AppealFacts` and a :class:`Reference` and returns a
:class:`Proposal` the operator confirms. Order of decision:

1. rules matching the topic and region, most specific first (longer topic prefix, then a
   region match, then higher priority, then file order); ``body_kind`` targets resolve to the
   body of that kind in the appeal's region;
2. a local matter puts the regional administration first;
3. an explicit addressee that some matching rule makes competent wins;
4. Art. 7 of the Law "On citizens' appeals": never the body complained about - its
   overseeing body takes its place (then the next rule);
5. fallback: the regional administration of the region, else the Cabinet's Secretariat.

Example::

    proposal = propose_body(AppealFacts(topic_code="16.01", region_code="UA-46"), ref)
    proposal.body_code   # 'PFU'
    proposal.reason_uk   # 'Тема 16.01 (пенсії) → Пенсійний фонд України, правило R-16-01: …'
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from routing.reference import (
    CABINET_SECRETARIAT,
    Reference,
    RoutingRule,
    StateBody,
    UnknownCodeError,
)
from routing.vocabulary import normalize, suggest_body

log = logging.getLogger(__name__)

# How a proposal was reached (Proposal.basis).
BASIS_RULE = "rule"
BASIS_ADDRESSEE = "addressee"
BASIS_LOCAL = "local_matter"
BASIS_ART7 = "art7_oversight"
BASIS_FALLBACK_REGIONAL = "fallback_regional"
BASIS_FALLBACK_CABINET = "fallback_cabinet"


class RoutingError(ValueError):
    """No body can take the appeal (only if the reference data leaves no way out)."""


@dataclass(frozen=True)
class AppealFacts:
    """What routing needs to know about an appeal.

    ``addressee`` and ``complained_about_body`` take a body code or free text
    ("Пенсійний фонд", "податкова", "Львівська ОДА").
    """

    topic_code: str | None = None
    region_code: str | None = None
    addressee: str | None = None
    complained_about_body: str | None = None
    is_local_matter: bool = False


@dataclass(frozen=True)
class Alternative:
    """Another body that could take the appeal, with why (ranked in Proposal.alternatives)."""

    body_code: str
    rule_id: str | None
    basis: str
    reason_uk: str
    reason_en: str


@dataclass(frozen=True)
class Proposal:
    """The proposed competent body, the rule behind it and a human reason (uk and en)."""

    body_code: str
    rule_id: str | None
    reason_uk: str
    reason_en: str
    alternatives: tuple[Alternative, ...] = ()
    basis: str = BASIS_RULE
    #: the body left out under Art. 7 (complained about), if any
    excluded_body_code: str | None = None
    #: the addressee as recognised, competent or not
    addressee_code: str | None = None


def resolve_body(text: str | None, ref: Reference) -> StateBody | None:
    """A body from its code, its exact name (uk/en) or a spoken alias; None if unknown."""
    if text is None or not text.strip():
        return None
    raw = text.strip()
    if raw.upper() in ref.bodies_by_code:
        return ref.body(raw.upper())
    wanted = normalize(raw)
    for body in ref.bodies:
        if wanted in (normalize(body.name_uk), normalize(body.name_en)):
            return body
    code = suggest_body(raw, ref)
    return ref.bodies_by_code.get(code) if code else None


def propose_body(facts: AppealFacts, ref: Reference) -> Proposal:
    """Propose the competent body for an appeal; raises UnknownCodeError on unknown codes."""
    topic_label = _check_facts(facts, ref)
    excluded = None
    if facts.complained_about_body:
        excluded = resolve_body(facts.complained_about_body, ref)
        if excluded is None:
            raise UnknownCodeError(
                f"cannot recognise the body complained about: {facts.complained_about_body!r}"
            )
    ranked = _ranked_rule_options(facts, ref, topic_label)
    competent = {opt.body_code for opt in ranked}
    notes_uk: list[str] = []
    notes_en: list[str] = []
    if facts.is_local_matter:
        ranked = _local_first(ranked, facts, ref)
    ranked += _fallbacks(facts, ref, ranked)
    if not ranked:
        raise RoutingError("no rule, regional administration or Cabinet's Secretariat to route to")

    addressee = resolve_body(facts.addressee, ref) if facts.addressee else None
    ranked = _apply_addressee(ranked, facts.addressee, addressee, competent, excluded,
                              notes_uk, notes_en)
    if excluded is not None:
        ranked = _apply_art7(ranked, excluded, ref)
        if ranked[0].basis != BASIS_ART7:
            notes_uk.append(
                f"орган, рішення якого оскаржується ({excluded.name_uk}), виключено "
                "(ст. 7 Закону «Про звернення громадян»)"
            )
            notes_en.append(
                f"the body complained about ({excluded.name_en}) is excluded "
                "(Art. 7 of the Law on Citizens' Appeals)"
            )
    best, rest = ranked[0], tuple(ranked[1:])
    return Proposal(
        body_code=best.body_code,
        rule_id=best.rule_id,
        reason_uk=_join(best.reason_uk, notes_uk),
        reason_en=_join(best.reason_en, notes_en),
        alternatives=rest,
        basis=best.basis,
        excluded_body_code=excluded.code if excluded else None,
        addressee_code=addressee.code if addressee else None,
    )


# --- steps ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Label:
    uk: str
    en: str


def _check_facts(facts: AppealFacts, ref: Reference) -> _Label:
    if facts.region_code is not None:
        ref.region(facts.region_code)
    if facts.topic_code is None:
        return _Label("Тема не визначена", "Topic not set")
    topic = ref.topic(facts.topic_code)
    return _Label(
        f"Тема {topic.code} ({_lower_first(topic.name_uk)})",
        f"Topic {topic.code} ({_lower_first(topic.name_en)})",
    )


def _rule_sort_key(rule: RoutingRule) -> tuple[int, int, int]:
    return (rule.prefix_depth, 1 if rule.region_code else 0, rule.priority)


def _ranked_rule_options(facts: AppealFacts, ref: Reference, label: _Label) -> list[Alternative]:
    matching = [r for r in ref.rules if r.matches(facts.topic_code, facts.region_code)]
    matching.sort(key=_rule_sort_key, reverse=True)  # stable: file order breaks ties
    options: list[Alternative] = []
    seen: set[str] = set()
    for rule in matching:
        body = _rule_target(rule, facts.region_code, ref)
        if body is None or body.code in seen:
            continue
        seen.add(body.code)
        where_uk = where_en = ""
        if rule.region_code or rule.body_kind:
            region = ref.region(facts.region_code)  # resolved above, so the region is set
            where_uk, where_en = f", {region.name_uk}", f", {region.name_en}"
        options.append(
            Alternative(
                body_code=body.code,
                rule_id=rule.id,
                basis=BASIS_RULE,
                reason_uk=f"{label.uk}{where_uk} → {body.name_uk}, правило {rule.id}: "
                f"{rule.reason_uk}",
                reason_en=f"{label.en}{where_en} → {body.name_en}, rule {rule.id}: "
                f"{rule.reason_en}",
            )
        )
    return options


def _rule_target(rule: RoutingRule, region_code: str | None, ref: Reference) -> StateBody | None:
    if rule.body_code is not None:
        body = ref.bodies_by_code.get(rule.body_code)
        if body is None:  # e.g. a rule kept in the database for a deactivated body
            log.warning("routing rule %s names unknown body %s: skipped", rule.id, rule.body_code)
        return body
    return ref.body_of_kind(rule.body_kind or "", region_code)


def _local_first(ranked: list[Alternative], facts: AppealFacts, ref: Reference) -> list[Alternative]:
    regional = ref.regional_body(facts.region_code)
    if regional is None:
        return ranked
    rest = [opt for opt in ranked if opt.body_code != regional.code]
    mine = [opt for opt in ranked if opt.body_code == regional.code]
    if mine:
        head = replace(
            mine[0],
            reason_uk=mine[0].reason_uk + "; питання місцевого значення",
            reason_en=mine[0].reason_en + "; a local matter",
        )
    else:
        head = Alternative(
            regional.code, None, BASIS_LOCAL,
            f"Питання місцевого значення → {regional.name_uk}",
            f"A local matter → {regional.name_en}",
        )
    return [head, *rest]


def _fallbacks(facts: AppealFacts, ref: Reference, ranked: list[Alternative]) -> list[Alternative]:
    present = {opt.body_code for opt in ranked}
    out: list[Alternative] = []
    regional = ref.regional_body(facts.region_code)
    if regional is not None and regional.code not in present:
        out.append(Alternative(
            regional.code, None, BASIS_FALLBACK_REGIONAL,
            f"За регіоном заявника → {regional.name_uk} (загальний порядок)",
            f"By the applicant's region → {regional.name_en} (general fallback)",
        ))
    cabinet = ref.bodies_by_code.get(CABINET_SECRETARIAT)
    if cabinet is not None and cabinet.code not in present:
        out.append(Alternative(
            cabinet.code, None, BASIS_FALLBACK_CABINET,
            f"Загальний порядок → {cabinet.name_uk}",
            f"General fallback → {cabinet.name_en}",
        ))
    return out


def _addressee_first(ranked: list[Alternative], addressee: StateBody) -> list[Alternative]:
    chosen = next(opt for opt in ranked if opt.body_code == addressee.code)
    head = replace(
        chosen,
        basis=BASIS_ADDRESSEE,
        reason_uk=f"Адресат звернення ({addressee.name_uk}) компетентний. " + chosen.reason_uk,
        reason_en=f"The addressee ({addressee.name_en}) is competent. " + chosen.reason_en,
    )
    return [head, *(opt for opt in ranked if opt is not chosen)]


def _apply_addressee(ranked: list[Alternative], text: str | None, addressee: StateBody | None,
                     competent: set[str], excluded: StateBody | None,
                     notes_uk: list[str], notes_en: list[str]) -> list[Alternative]:
    """A competent addressee goes first; an unknown or incompetent one is noted."""
    if text and addressee is None:
        notes_uk.append(f"адресата «{text}» не розпізнано")
        notes_en.append(f"addressee {text!r} not recognised")
        return ranked
    if addressee is None or (excluded is not None and addressee.code == excluded.code):
        return ranked  # the Art. 7 step explains the exclusion
    if addressee.code in competent:
        return _addressee_first(ranked, addressee)
    notes_uk.append(
        f"адресат ({addressee.name_uk}) не має компетенції з цього питання — звернення "
        "пересилається за належністю (ст. 7 Закону, 5 днів, з повідомленням заявника)"
    )
    notes_en.append(
        f"the addressee ({addressee.name_en}) is not competent here - the appeal is "
        "forwarded (Art. 7 of the Law, within 5 days, the applicant is told)"
    )
    return ranked


def _apply_art7(ranked: list[Alternative], excluded: StateBody, ref: Reference) -> list[Alternative]:
    """Drop the body complained about; if it was first, its overseeing body takes its place."""
    was_first = ranked[0].body_code == excluded.code
    kept = [opt for opt in ranked if opt.body_code != excluded.code]
    if was_first:
        parent = ref.parent_body(excluded.code)
        if parent is not None and parent.code != excluded.code:
            kept = [opt for opt in kept if opt.body_code != parent.code]
            kept.insert(0, Alternative(
                parent.code, None, BASIS_ART7,
                f"{ranked[0].reason_uk}. Проте скаргу на рішення цього органу не можна "
                "направляти йому самому (ст. 7 Закону «Про звернення громадян») → орган, що "
                f"його контролює: {parent.name_uk}",
                f"{ranked[0].reason_en}. But a complaint about this body's decision may not be "
                "sent to the body itself (Art. 7 of the Law on Citizens' Appeals) → the body "
                f"overseeing it: {parent.name_en}",
            ))
    if not kept:  # only possible if the Cabinet's Secretariat itself is complained about
        raise RoutingError(f"no body left to route to once {excluded.code} is excluded (Art. 7)")
    return kept


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2].upper() != text[:2] else text


def _join(reason: str, notes: list[str]) -> str:
    return reason if not notes else reason + ". " + _cap("; ".join(notes))


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]
