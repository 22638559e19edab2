"""What every AGI script receives besides its channel: settings and the call log."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from appeal_store import calls
from appeal_store.db import session_scope
from hotline.settings import Settings

log = logging.getLogger(__name__)


class CallLog:
    """Writes a call's record and its IVR inputs; each write is idempotent.

    Runs the synchronous SQLAlchemy code in a worker thread so the event loop that
    serves every live call never waits on the database.
    """

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._factory = session_factory

    async def call_started(self, uniqueid: str, **fields: Any) -> None:
        await asyncio.to_thread(self._upsert, uniqueid, fields)

    @property
    def session_factory(self) -> sessionmaker[Session]:
        return self._factory

    async def ivr_input(
        self, uniqueid: str, node: str, digits: str | None, step: int | None = None
    ) -> None:
        await asyncio.to_thread(self._ivr_input, uniqueid, node, digits, step)

    def _upsert(self, uniqueid: str, fields: dict[str, Any]) -> None:
        with session_scope(self._factory) as session:
            calls.upsert_call(session, uniqueid, **fields)

    def _ivr_input(self, uniqueid: str, node: str, digits: str | None, step: int | None) -> None:
        with session_scope(self._factory) as session:
            calls.append_ivr_input(session, uniqueid, node, digits or "", step=step)


@dataclass
class AgiContext:
    """Dependencies of the AGI scripts, wired once by the composition root."""

    settings: Settings
    call_log: CallLog
    extras: dict[str, Any] = field(default_factory=dict)
