"""Operators' SIP phones as the console manages them: applying the endpoints to Asterisk in
the background after each change, and what the admin is told about it.

Every change of a user's phone (created, secret reset, deactivated) is committed first; then
:func:`apply_after_change` starts ``agi_scripts.ami_endpoints.apply_operator_endpoints``
(render pjsip.conf, reload res_pjsip) in a task of the app's event loop and waits a short
while for it. A failure (Asterisk down, file not writable) never undoes the change: the admin
sees a warning, and the next apply renders the whole users table, so it catches up.
Changes made while an apply runs are coalesced into one more run after it.

Tests replace the applier: ``app.state.sip_applier = fake`` (an ``async (settings,
session_factory) -> int``).

Example::

    result = await apply_after_change(request.app)   # None: still running in the background
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from hotline.settings import Settings

from .i18n import translate

log = logging.getLogger(__name__)

Applier = Callable[[Settings, sessionmaker[Session]], Awaitable[int]]
APPLY_GRACE_SECONDS = 3.0


async def _default_applier(settings: Settings, factory: sessionmaker[Session]) -> int:
    from agi_scripts.ami_endpoints import apply_operator_endpoints

    return await apply_operator_endpoints(settings, factory)


@dataclass(frozen=True)
class ApplyResult:
    """The outcome of one apply: how many endpoints Asterisk now has, or why it failed."""

    ok: bool
    at: dt.datetime
    operators: int | None = None
    error: str = ""
    exception: BaseException | None = field(default=None, repr=False, compare=False)

    def message(self, lang: str) -> str:
        if self.ok:
            return translate(lang, "sip.applied", n=self.operators)
        return translate(lang, "sip.apply_failed", error=self.error)

    def as_dict(self) -> dict[str, Any]:
        return {"status": "applied" if self.ok else "failed", "operators": self.operators,
                "error": self.error, "at": self.at.isoformat(),
                "uk": self.message("uk"), "en": self.message("en")}


PENDING = {"status": "pending", "operators": None, "error": "",
           "uk": translate("uk", "sip.applying"), "en": translate("en", "sip.applying")}


def _describe(exc: BaseException) -> str:
    return getattr(exc, "message", None) or str(exc) or type(exc).__name__


class EndpointSync:
    """One apply at a time per app; requests during a run make it run once more after."""

    def __init__(self, applier: Applier, settings: Settings,
                 factory: sessionmaker[Session]) -> None:
        self.applier = applier
        self.settings = settings
        self.factory = factory
        self.last: ApplyResult | None = None
        self._task: asyncio.Task[ApplyResult] | None = None
        self._again = False

    def request(self) -> asyncio.Task[ApplyResult]:
        """Start an apply (or ask the running one to go again); its task gives the result."""
        task = self._task
        if (task is not None and not task.done()
                and task.get_loop() is asyncio.get_running_loop()):
            self._again = True
            return task
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self._task

    async def _run(self) -> ApplyResult:
        while True:
            self._again = False
            result = await self._once()
            self.last = result
            if not self._again:
                return result

    async def _once(self) -> ApplyResult:
        try:
            count = await self.applier(self.settings, self.factory)
        except Exception as exc:  # noqa: BLE001 — reported to the admin; the change stays saved
            log.warning("operators' SIP endpoints not applied to Asterisk: %s", _describe(exc))
            return ApplyResult(False, dt.datetime.now(dt.UTC), error=_describe(exc), exception=exc)
        log.info("operators' SIP endpoints applied: %s", count)
        return ApplyResult(True, dt.datetime.now(dt.UTC), operators=count)


def endpoint_sync(app: Any) -> EndpointSync:
    """The app's :class:`EndpointSync` (made on first use; ``app.state.sip_applier`` wins)."""
    applier = getattr(app.state, "sip_applier", None) or _default_applier
    sync = getattr(app.state, "sip_sync", None)
    if sync is None:
        sync = EndpointSync(applier, app.state.settings, app.state.session_factory)
        app.state.sip_sync = sync
    sync.applier = applier
    return sync


async def apply_after_change(app: Any, grace: float | None = None) -> ApplyResult | None:
    """Apply the endpoints after a committed change; the result, or None if it is still
    running after ``grace`` seconds (default ``app.state.sip_apply_grace``, else
    :data:`APPLY_GRACE_SECONDS`); it goes on in the background."""
    if grace is None:
        grace = getattr(app.state, "sip_apply_grace", APPLY_GRACE_SECONDS)
    task = endpoint_sync(app).request()
    try:
        return await asyncio.wait_for(asyncio.shield(task), grace)
    except TimeoutError:
        return None


def apply_notice(result: ApplyResult | None, lang: str) -> dict[str, str]:
    """What the admin page says about an apply: {"kind": notice|warning, "text": ...}."""
    if result is None:
        return {"kind": "notice", "text": translate(lang, "sip.applying")}
    return {"kind": "notice" if result.ok else "warning", "text": result.message(lang)}


def apply_status(result: ApplyResult | None) -> dict[str, Any]:
    """The JSON form of an apply's outcome."""
    return dict(PENDING) if result is None else result.as_dict()


def credentials(settings: Settings, endpoint: str, secret: str) -> dict[str, Any]:
    """What a softphone or desk phone needs to register, as shown to the admin once."""
    return {"server": settings.sip_host, "port": settings.sip_port, "transport": "udp",
            "username": endpoint, "password": secret}
