"""How many operators of a queue are free, asked of Asterisk over AMI.

ARI does not expose app_queue; AMI's ``Getvar`` evaluates ``QUEUE_MEMBER(<queue>,free)``
(members logged in, not paused, not in a call). The connection is opened on first use and
reopened after a failure; an unreachable AMI counts as "nobody free" (no call back is
dialled that no operator could take).
"""

from __future__ import annotations

import asyncio
import logging
import re

from panoramisk import Manager

from hotline.settings import Settings

log = logging.getLogger(__name__)

QUEUE_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class FreeOperatorsProbe:
    """``await probe("common")`` → number of free members of queue ``common``."""

    def __init__(self, settings: Settings, timeout: float = 5.0) -> None:
        self.settings = settings
        self.timeout = timeout
        self._manager: Manager | None = None

    async def _connect(self) -> Manager:
        if self._manager is None:
            s = self.settings
            manager = Manager(host=s.ami_host, port=s.ami_port, username=s.ami_user,
                              secret=s.ami_secret.get_secret_value(), ping_delay=0,
                              reconnect_timeout=2)
            await asyncio.wait_for(manager.connect(), self.timeout)
            self._manager = manager
        return self._manager

    async def __call__(self, queue: str) -> int:
        if not QUEUE_RE.match(queue):
            raise ValueError(f"bad queue name {queue!r}")
        try:
            manager = await self._connect()
            reply = await asyncio.wait_for(
                manager.send_action({"Action": "Getvar",
                                     "Variable": f"QUEUE_MEMBER({queue},free)"}),
                self.timeout)
        except (OSError, TimeoutError) as exc:
            log.warning("AMI queue probe failed (%s); assuming nobody free", exc)
            self.close()
            return 0
        try:
            return int(getattr(reply, "Value", "0") or 0)
        except ValueError:
            return 0

    def close(self) -> None:
        if self._manager is not None:
            self._manager.close()
            self._manager = None
