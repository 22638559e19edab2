"""Administration of reference data (bodies, routing rules) and users; each act is audited."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from appeal_store.models.reference import BODY_KINDS, Region, RoutingRule, StateBody
from appeal_store.models.users import ROLES, User

from .adapters import record_audit
from .errors import FieldError, NotFound, ValidationFailed

log = logging.getLogger(__name__)


def _err(fld: str, uk: str, en: str) -> FieldError:
    return FieldError(fld, "invalid", uk, en)


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
        raise ValidationFailed(errors)
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
        raise ValidationFailed(errors)
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


def add_user(session: Session, *, username: str, password: str, role: str, actor: User,
             full_name: str = "", body_id: int | None = None) -> User:
    """Create a user through appeal_store.users; a body user needs its body; commits."""
    from appeal_store import users

    errors: list[FieldError] = []
    if role not in ROLES:
        errors.append(_err("role", "Невідома роль", "Unknown role"))
    if role == "body" and (body_id is None or session.get(StateBody, body_id) is None):
        errors.append(_err("body_id", "Користувачу органу потрібен орган", "A body user needs a body"))
    if len(password) < 8:
        errors.append(_err("password", "Пароль щонайменше 8 символів", "Password: at least 8 characters"))
    if not username.strip():
        errors.append(_err("username", "Зазначте ім'я користувача", "Give the username"))
    elif session.scalars(select(User).where(User.username == username.strip())).first():
        errors.append(_err("username", "Таке ім'я вже є", "This username is taken"))
    if errors:
        raise ValidationFailed(errors)
    try:
        user = users.create_user(session, username.strip(), password, role, full_name=full_name,
                                 body_id=body_id if role == "body" else None)
        session.flush()
        record_audit(session, actor_id=actor.id, action="user_created", object_type="user",
                     object_id=str(user.id), detail={"role": role})
        session.commit()
    except Exception:
        session.rollback()
        raise
    return user


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
