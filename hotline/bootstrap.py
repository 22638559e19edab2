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


def queue_specs() -> list[QueueSpec]:
    """The default queues plus one per queue named by the topic classifier and the IVR."""
    names = {q.name for q in DEFAULT_QUEUES}
    specs = list(DEFAULT_QUEUES)
    try:
        from routing.reference import load_reference

        for topic in load_reference().topics:
            if topic.queue and topic.queue not in names:
                names.add(topic.queue)
                specs.append(QueueSpec(topic.queue))
    except (ImportError, ValueError, OSError) as exc:
        log.warning("topic queues not loaded (%s)", exc)
    return specs


def start_asterisk(settings: Settings) -> int:
    """Provision if needed, then render and start the sandbox with operators and queues."""
    from hotline.asterisk_sandbox import process, provision

    provision.provision(settings)
    return process.start(settings, operators=operator_endpoints(settings), queues=queue_specs())


def seed_reference_data(settings: Settings) -> dict[str, int]:
    from appeal_store.db import session_scope
    from appeal_store.seed import seed_reference
    from routing.reference import load_reference

    with session_scope(session_factory(settings)) as session:
        return dict(seed_reference(session, load_reference()) or {})


def build_prompts(settings: Settings, out: Path | None = None):
    from ivr.prompt_build import build_prompts as build

    return build(out_dir=out or settings.effective_prompts_dir)
