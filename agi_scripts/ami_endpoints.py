"""Operators' SIP endpoints at run time: render pjsip.conf from the users table and make the
running Asterisk reload it, so an operator created or changed in the console can register
at once.

Example::

    count = await apply_operator_endpoints(settings, session_factory)
"""

from __future__ import annotations

import asyncio
import logging
import os
import re

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from agi_scripts.ami_client import ami_session
from appeal_store.models import User
from hotline.asterisk_sandbox.render import OperatorEndpoint, render_all
from hotline.settings import Settings

log = logging.getLogger(__name__)
_NOT_IN_CALLERID = re.compile(r'[\x00-\x1f\x7f"<>;\[\]\\]')


def display_name(full_name: str, fallback: str) -> str:
    """A caller-id name safe inside pjsip.conf's ``callerid = "..."`` line: no line breaks,
    quotes, angle brackets, brackets, backslashes or ';' (a comment), at most 64 characters."""
    name = " ".join(_NOT_IN_CALLERID.sub(" ", full_name or "").split())[:64]
    return name or fallback


def load_operator_endpoints(session: Session) -> list[OperatorEndpoint]:
    """Active users with a SIP endpoint, as the renderer wants them."""
    users = session.scalars(
        select(User).where(User.sip_endpoint.is_not(None), User.active).order_by(User.id)
    ).all()
    return [OperatorEndpoint(u.sip_endpoint, u.sip_secret or "", display_name(u.full_name, u.username))
            for u in users]


def write_pjsip_conf(settings: Settings, operators: list[OperatorEndpoint]) -> str:
    """Render pjsip.conf and replace the instance's copy atomically; returns its path."""
    text = render_all(settings, operators=operators)["pjsip.conf"]
    etc = settings.instance_dir / "etc"
    target = etc / "pjsip.conf"
    tmp = etc / ".pjsip.conf.new"
    tmp.write_text(text)
    if target.exists():
        stat = target.stat()
        os.chown(tmp, stat.st_uid, stat.st_gid)
        tmp.chmod(stat.st_mode & 0o777)
    tmp.replace(target)
    return str(target)


async def apply_operator_endpoints(settings: Settings,
                                   session_factory: sessionmaker[Session]) -> int:
    """Write pjsip.conf with every operator and reload res_pjsip; returns how many."""
    def load() -> list[OperatorEndpoint]:
        with session_factory() as session:
            return load_operator_endpoints(session)

    operators = await asyncio.to_thread(load)
    await asyncio.to_thread(write_pjsip_conf, settings, operators)
    async with ami_session(settings) as ami:
        await ami.command("module reload res_pjsip.so")
    log.info("pjsip.conf rendered with %d operators and reloaded", len(operators))
    return len(operators)
