"""Wiring used by several commands: the database, the sandbox with its data, prompts."""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from hotline.asterisk_sandbox.render import DEFAULT_QUEUES, OperatorEndpoint, QueueSpec
from hotline.settings import Settings

log = logging.getLogger(__name__)


def session_factory(settings: Settings):
    """A session factory on the configured database."""
    from appeal_store.db import make_engine, make_session_factory

    return make_session_factory(make_engine(settings.effective_database_url))


def operator_endpoints(settings: Settings) -> list[OperatorEndpoint]:
    """SIP endpoints of the operators known to the database (none if it is unreachable)."""
    from appeal_store.models import User

    try:
        factory = session_factory(settings)
        with factory() as session:
            users = session.query(User).filter(User.sip_endpoint.is_not(None), User.active).all()
            return [
                OperatorEndpoint(u.sip_endpoint, u.sip_secret or "", u.full_name or u.username)
                for u in users
            ]
    except SQLAlchemyError as exc:
        log.warning("operators not loaded from the database (%s); none rendered", exc)
        return []


def queue_specs(settings: Settings | None = None) -> list[QueueSpec]:
    """The queues of agi_scripts/data/queues.yaml and routing (names, overflow rules)."""
    general = settings.general_queue if settings is not None else "common"
    try:
        from agi_scripts.queue_config import load_queue_specs

        return load_queue_specs(general_queue=general)
    except (ImportError, ValueError, OSError) as exc:
        log.warning("queue configuration not loaded (%s); default queues only", exc)
        return list(DEFAULT_QUEUES)


def start_asterisk(settings: Settings) -> int:
    """Provision if needed, then render and start the sandbox with operators and queues."""
    from hotline.asterisk_sandbox import process, provision

    provision.provision(settings)
    return process.start(settings, operators=operator_endpoints(settings), queues=queue_specs(settings))


def seed_reference_data(settings: Settings) -> dict[str, int]:
    """Load the shipped reference data; returns rows added per table."""
    from appeal_store.db import session_scope
    from appeal_store.seed import seed_reference
    from routing.reference import load_reference

    with session_scope(session_factory(settings)) as session:
        report = seed_reference(session, load_reference())
    return dict(report.added)


DEV_PASSWORD_PREFIX = "dev-insecure-"
DEV_USERS = (
    # username, role, full name, SIP endpoint
    ("admin", "admin", "Адміністратор", None),
    ("operator", "operator", "Оператор Олена", "op1001"),
    ("supervisor", "supervisor", "Супервізор Сергій", None),
    ("qa", "qa", "Контроль якості", None),
    ("body", "body", "Пенсійний фонд (виконавець)", None),
)


def ensure_dev_users(settings: Settings) -> list[str]:
    """In development only: one user per role, password ``dev-insecure-<username>``.

    Returns the usernames created. Never runs outside development.
    """
    if settings.environment != "development":
        return []
    from sqlalchemy import select

    from appeal_store.db import session_scope
    from appeal_store.models import StateBody, User
    from appeal_store.users import create_user

    created: list[str] = []
    with session_scope(session_factory(settings)) as session:
        body_id = session.scalar(select(StateBody.id).order_by(StateBody.id).limit(1))
        for username, role, full_name, endpoint in DEV_USERS:
            if session.scalar(select(User.id).where(User.username == username)) is not None:
                continue
            if role == "body" and body_id is None:
                continue
            create_user(
                session, username, DEV_PASSWORD_PREFIX + username, role, full_name=full_name,
                body_id=body_id if role == "body" else None, sip_endpoint=endpoint,
                sip_secret=(DEV_PASSWORD_PREFIX + endpoint) if endpoint else None,
                queues=(settings.general_queue,) if role == "operator" else (),
            )
            created.append(username)
    if created:
        log.warning("development users created: %s (passwords dev-insecure-<username>)",
                    ", ".join(created))
    return created


def build_prompts(settings: Settings, out: Path | None = None):
    from ivr.prompt_build import build_prompts as build

    return build(out_dir=out or settings.effective_prompts_dir)
