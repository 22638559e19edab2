"""Administration of reference data (bodies, routing rules) and users with their SIP phones and
queues; each act is audited."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from appeal_store.models.reference import BODY_KINDS, Region, RoutingRule, StateBody
from appeal_store.models.users import ROLES, QueueMembership, User

from .adapters import record_audit
from .errors import FieldError, NotFound, ValidationFailed

log = logging.getLogger(__name__)


def _err(fld: str, uk: str, en: str) -> FieldError:
    return FieldError(fld, "invalid", uk, en)


class AdminRefused(ValidationFailed):
    """Reference data or a user refused, field by field (worded for the admin, not an appeal)."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(errors)
        self.uk = "Не збережено: " + "; ".join(e.uk for e in errors)
        self.en = "Not saved: " + "; ".join(e.en for e in errors)
        self.args = (self.en,)


def save_body(session: Session, data: dict[str, Any], *, actor: User, body_id: int | None = None) -> StateBody:
    """Create or update a state body; commits."""
    errors: list[FieldError] = []
    code = str(data.get("code", "")).strip().upper()
    if not code or not code.replace("-", "").isalnum():
        errors.append(_err("code", "Код: великі літери, цифри, дефіс", "Code: capitals, digits, '-'"))
    for name in ("name_uk", "name_en"):
        if not str(data.get(name, "")).strip():
            errors.append(_err(name, "Зазначте назву", "Give the name"))
    kind = str(data.get("kind", ""))
    if kind not in BODY_KINDS:
        errors.append(_err("kind", "Невідомий вид органу", "Unknown kind of body"))
    region = str(data.get("region_code") or "").strip() or None
    if region and session.get(Region, region) is None:
        errors.append(_err("region_code", "Невідома область", "Unknown region"))
    webhook = str(data.get("webhook_url") or "").strip() or None
    if webhook and not webhook.startswith(("http://", "https://")):
        errors.append(_err("webhook_url", "Вебхук має бути адресою http(s)", "The webhook must be an http(s) URL"))
    if errors:
        raise AdminRefused(errors)
    try:
        body = StateBody() if body_id is None else session.get(StateBody, body_id)
        if body is None:
            raise NotFound("Орган не знайдено", "Body not found")
        body.code, body.kind, body.region_code, body.webhook_url = code, kind, region, webhook
        body.name_uk = str(data["name_uk"]).strip()
        body.name_en = str(data["name_en"]).strip()
        body.active = bool(data.get("active", True))
        session.add(body)
        session.flush()
        record_audit(session, actor_id=actor.id, action="body_saved", object_type="state_body",
                     object_id=str(body.id), detail={"code": code})
        session.commit()
    except Exception:
        session.rollback()
        raise
    return body


def save_rule(session: Session, data: dict[str, Any], *, actor: User) -> RoutingRule:
    """Create or update (by ``id``) a routing rule: one of body code and body kind; commits."""
    errors: list[FieldError] = []
    rule_id = str(data.get("id") or "").strip()
    if not rule_id or len(rule_id) > 64:
        errors.append(_err("id", "Зазначте ідентифікатор правила (напр. R-16-01)",
                           "Give the rule id (e.g. R-16-01)"))
    body_code = str(data.get("body_code") or "").strip() or None
    body_kind = str(data.get("body_kind") or "").strip() or None
    if (body_code is None) == (body_kind is None):
        errors.append(_err("body_code", "Зазначте або код органу, або вид органу",
                           "Give either a body code or a body kind"))
    if body_code and session.scalars(select(StateBody).where(StateBody.code == body_code)).first() is None:
        errors.append(_err("body_code", "Невідомий орган", "Unknown body"))
    if body_kind and body_kind not in BODY_KINDS:
        errors.append(_err("body_kind", "Невідомий вид органу", "Unknown kind of body"))
    try:
        priority = int(data.get("priority") or 0)
    except ValueError:
        errors.append(_err("priority", "Пріоритет — ціле число", "Priority is a whole number"))
        priority = 0
    if not str(data.get("reason_uk", "")).strip():
        errors.append(_err("reason_uk", "Зазначте підставу", "Give the reason"))
    if errors:
        raise AdminRefused(errors)
    try:
        rule = session.get(RoutingRule, rule_id) or RoutingRule(id=rule_id)
        rule.priority, rule.body_code, rule.body_kind = priority, body_code, body_kind
        rule.topic_prefix = str(data.get("topic_prefix") or "").strip() or None
        rule.region_code = str(data.get("region_code") or "").strip() or None
        rule.reason_uk = str(data["reason_uk"]).strip()
        rule.reason_en = str(data.get("reason_en") or "").strip()
        rule.active = bool(data.get("active", True))
        session.add(rule)
        session.flush()
        record_audit(session, actor_id=actor.id, action="rule_saved", object_type="routing_rule",
                     object_id=str(rule.id), detail={"body_code": body_code, "body_kind": body_kind})
        session.commit()
    except Exception:
        session.rollback()
        raise
    return rule


PHONE_ROLES = ("operator", "supervisor")  # users who get a SIP endpoint (softphone or desk phone)
ENDPOINT_PREFIX = "op"
FIRST_ENDPOINT_NUMBER = 1001
MAX_PENALTY = 99
_ENDPOINT_ATTEMPTS = 3


def new_sip_secret() -> str:
    """A strong random SIP password: 24 characters of [A-Za-z0-9_-] (144 bits), safe in pjsip.conf."""
    return secrets.token_urlsafe(18)


def next_sip_endpoint(session: Session) -> str:
    """The next free endpoint name "op<number>"; numbers are never reused (deactivated users keep theirs)."""
    names = session.scalars(select(User.sip_endpoint).where(User.sip_endpoint.is_not(None)))
    numbers = [int(n[len(ENDPOINT_PREFIX):]) for n in names
               if n.startswith(ENDPOINT_PREFIX) and n[len(ENDPOINT_PREFIX):].isdigit()]
    return f"{ENDPOINT_PREFIX}{max([FIRST_ENDPOINT_NUMBER - 1, *numbers]) + 1}"


def parse_queues(raw: Mapping[str, object], *, known_queues: Collection[str],
                 skills: Mapping[str, int]) -> tuple[dict[str, int], list[FieldError]]:
    """{queue: penalty} from {queue: penalty or skill name}; blank values mean "not a member"."""
    out: dict[str, int] = {}
    errors: list[FieldError] = []
    for queue, value in raw.items():
        text = "" if value is None else str(value).strip()
        if text == "":
            continue
        if queue not in known_queues:
            errors.append(_err("queues", f"Невідома черга: {queue}", f"Unknown queue: {queue}"))
            continue
        penalty = skills.get(text) if not text.isdigit() else int(text)
        if penalty is None or not 0 <= penalty <= MAX_PENALTY:
            errors.append(_err("queues", f"Черга {queue}: рівень — {', '.join(skills)} або число 0–{MAX_PENALTY}",
                               f"Queue {queue}: the level is {', '.join(skills)} or a number 0-{MAX_PENALTY}"))
            continue
        out[queue] = penalty
    return out, errors


def add_user(session: Session, *, username: str, password: str, role: str, actor: User,
             full_name: str = "", body_id: int | None = None,
             queues: Mapping[str, object] | None = None, known_queues: Collection[str] = (),
             skills: Mapping[str, int] | None = None) -> User:
    """Create a user through appeal_store.users; a body user needs its body; commits.

    Operators and supervisors get a SIP endpoint ("op1001", ...) and a random secret (read
    them from the returned user once, to show them to the admin) and their queues with a
    penalty each (``queues``: {queue: penalty or skill name}, checked against ``known_queues``).
    """
    from appeal_store import users

    errors: list[FieldError] = []
    name = username.strip().lower()
    if role not in ROLES:
        errors.append(_err("role", "Невідома роль", "Unknown role"))
    if role == "body" and (body_id is None or session.get(StateBody, body_id) is None):
        errors.append(_err("body_id", "Користувачу органу потрібен орган", "A body user needs a body"))
    if len(password) < 8:
        errors.append(_err("password", "Пароль щонайменше 8 символів", "Password: at least 8 characters"))
    if not name:
        errors.append(_err("username", "Зазначте ім'я користувача", "Give the username"))
    elif session.scalars(select(User).where(User.username == name)).first():
        errors.append(_err("username", "Таке ім'я вже є", "This username is taken"))
    memberships: dict[str, int] = {}
    if queues and any(v is not None and str(v).strip() for v in queues.values()):
        if role not in PHONE_ROLES:
            errors.append(_err("queues", "Черги мають лише оператори й супервізори",
                               "Only operators and supervisors work in queues"))
        else:
            memberships, queue_errors = parse_queues(queues, known_queues=known_queues,
                                                     skills=skills or {})
            errors += queue_errors
    if errors:
        raise AdminRefused(errors)
    phone = role in PHONE_ROLES
    for attempt in range(1, _ENDPOINT_ATTEMPTS + 1):
        try:
            user = users.create_user(
                session, name, password, role, full_name=full_name.strip(),
                body_id=body_id if role == "body" else None,
                sip_endpoint=next_sip_endpoint(session) if phone else None,
                sip_secret=new_sip_secret() if phone else None)
            for queue, penalty in memberships.items():
                session.add(QueueMembership(user_id=user.id, queue=queue, penalty=penalty))
            session.flush()
            record_audit(session, actor_id=actor.id, action="user_created", object_type="user",
                         object_id=str(user.id), detail={"role": role, "sip_endpoint": user.sip_endpoint,
                                                         "queues": memberships})
            session.commit()
            return user
        except IntegrityError:
            # another admin took the same endpoint number (or name) at the same moment
            session.rollback()
            if attempt == _ENDPOINT_ATTEMPTS:
                raise
            log.info("user %s: endpoint taken concurrently, attempt %d", name, attempt)
        except users.UserError as exc:  # the name's form is checked by appeal_store.users
            session.rollback()
            raise AdminRefused([_err("username", "Ім'я: 2–64 символи a-z, 0-9, '.', '_', '-'",
                                         f"Username: {exc}")]) from None
        except Exception:
            session.rollback()
            raise
    raise AssertionError("unreachable")


def _phone_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("Користувача не знайдено", "User not found")
    if user.role not in PHONE_ROLES:
        raise AdminRefused([_err("role", "SIP-телефон мають лише оператори й супервізори",
                                     "Only operators and supervisors have a SIP phone")])
    return user


def reset_sip_secret(session: Session, user_id: int, *, actor: User) -> User:
    """A new random SIP secret (and an endpoint if the user had none); audited; commits.

    The old secret stops working once the endpoints are applied to Asterisk.
    """
    try:
        user = _phone_user(session, user_id)
        assigned = user.sip_endpoint is None
        if assigned:
            user.sip_endpoint = next_sip_endpoint(session)
        user.sip_secret = new_sip_secret()
        session.flush()
        record_audit(session, actor_id=actor.id, action="sip_secret_reset", object_type="user",
                     object_id=str(user.id),
                     detail={"sip_endpoint": user.sip_endpoint, "endpoint_assigned": assigned})
        session.commit()
    except Exception:
        session.rollback()
        raise
    return user


def user_queues(session: Session, user_id: int) -> dict[str, int]:
    """The user's standing queues and penalties."""
    rows = session.execute(select(QueueMembership.queue, QueueMembership.penalty)
                           .where(QueueMembership.user_id == user_id)
                           .order_by(QueueMembership.queue)).all()
    return {r.queue: r.penalty for r in rows}


def set_user_queues(session: Session, user_id: int, queues: Mapping[str, object], *, actor: User,
                    known_queues: Collection[str], skills: Mapping[str, int]) -> dict[str, int]:
    """Replace the user's queue memberships ({queue: penalty or skill}; blank: none); commits.

    Takes effect at the operator's next log-in to the queues.
    """
    memberships, errors = parse_queues(queues, known_queues=known_queues, skills=skills)
    try:
        user = _phone_user(session, user_id)
        if errors:
            raise AdminRefused(errors)
        before = user_queues(session, user.id)
        session.execute(delete(QueueMembership).where(QueueMembership.user_id == user.id))
        for queue, penalty in memberships.items():
            session.add(QueueMembership(user_id=user.id, queue=queue, penalty=penalty))
        record_audit(session, actor_id=actor.id, action="user_queues", object_type="user",
                     object_id=str(user.id), detail={"before": before, "after": memberships})
        session.commit()
    except Exception:
        session.rollback()
        raise
    return memberships


def set_user_active(session: Session, user_id: int, active: bool, *, actor: User) -> User:
    """Enable or disable a user; commits."""
    try:
        user = session.get(User, user_id)
        if user is None:
            raise NotFound("Користувача не знайдено", "User not found")
        user.active = active
        record_audit(session, actor_id=actor.id, action="user_active" if active else "user_disabled",
                     object_type="user", object_id=str(user.id))
        session.commit()
    except Exception:
        session.rollback()
        raise
    return user
