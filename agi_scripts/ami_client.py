"""A thin AMI client over panoramisk: actions that raise on failure, events as plain dicts,
reconnection with exponential backoff.

Two ways to use it:

* long-lived (the AMI consumer)::

      client = AmiClient.from_settings(settings, on_event=queue.put_nowait, on_login=repair)
      await client.start()          # returns once logged in; reconnects by itself afterwards

* one request (the console's agent and transfer actions)::

      async with ami_session(settings) as ami:
          await ami.action({"Action": "QueuePause", "Interface": "PJSIP/op1", "Paused": "true"})
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

from panoramisk import Manager

from hotline.settings import Settings

log = logging.getLogger(__name__)

AmiEvent = dict[str, str]


class AmiError(RuntimeError):
    """Asterisk answered an action with an error (``message`` holds its text)."""

    def __init__(self, action: str, message: str) -> None:
        super().__init__(f"AMI {action}: {message}")
        self.action = action
        self.message = message


class AmiUnavailable(AmiError):
    """No logged-in AMI connection (Asterisk down, wrong credentials, timeout)."""


def as_event(message: Any) -> AmiEvent:
    """A panoramisk message as a plain dict of str (multi-valued headers joined by '\\n')."""
    out: AmiEvent = {}
    for key, value in message.items():
        if key == "content":
            continue
        out[str(key)] = "\n".join(map(str, value)) if isinstance(value, list) else str(value)
    return out


class Backoff:
    """Delays 0.5, 1, 2, 4 ... up to ``ceiling`` seconds; :meth:`reset` after success."""

    def __init__(self, first: float = 0.5, ceiling: float = 10.0) -> None:
        self.first = first
        self.ceiling = ceiling
        self.current = first

    def next(self) -> float:
        delay = self.current
        self.current = min(self.current * 2, self.ceiling)
        return delay

    def reset(self) -> None:
        self.current = self.first


class _Manager(Manager):
    """panoramisk's Manager with a growing reconnect delay instead of a fixed one."""

    def __init__(self, backoff: Backoff, on_failed_login: Callable[[], None], **config: Any):
        super().__init__(**config)
        self._backoff = backoff
        self._on_failed_login = on_failed_login
        self.stopped = False

    def connect(self, *args: Any, **kwargs: Any):
        if self.stopped:
            return None
        # The delay set here is the one panoramisk waits if this attempt fails.
        self.reconnect_timeout = self._backoff.next()
        return super().connect(*args, **kwargs)

    def connection_lost(self, exc: object) -> None:
        if not self.stopped:
            super().connection_lost(exc)

    def login(self, future: asyncio.Future) -> bool:
        try:
            ok = super().login(future)
        except Exception as exc:  # noqa: BLE001 (the future carries the connection's error)
            log.warning("AMI login failed: %s", exc)
            ok = False
        if ok:
            self._backoff.reset()
        else:
            self._on_failed_login()
        return ok


class AmiClient:
    """A logged-in AMI connection that comes back by itself after Asterisk restarts."""

    def __init__(
        self,
        host: str,
        port: int,
        username: str,
        secret: str,
        *,
        on_event: Callable[[AmiEvent], None] | None = None,
        on_login: Callable[[], object] | None = None,
        on_disconnect: Callable[[], None] | None = None,
        events: bool = True,
        backoff: Backoff | None = None,
    ) -> None:
        self._on_event = on_event
        self._on_login = on_login
        self._on_disconnect = on_disconnect
        self._logged_in = asyncio.Event()
        self._login_failed = False
        self._manager = _Manager(
            backoff or Backoff(), self._failed_login,
            host=host, port=port, username=username, secret=secret,
            events="on" if events else "off", ping_delay=5, ping_interval=5,
            on_login=self._logged, on_disconnect=self._disconnected,
            log=logging.getLogger("agi_scripts.ami_client.panoramisk"),
        )
        if on_event is not None:
            self._manager.register_event("*", self._dispatch)

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs: Any) -> AmiClient:
        return cls(settings.ami_host, settings.ami_port, settings.ami_user,
                   settings.ami_secret.get_secret_value(), **kwargs)

    # --- connection ----------------------------------------------------------------------
    async def start(self, timeout: float | None = None) -> None:
        """Connect and wait until logged in (forever if ``timeout`` is None)."""
        self._manager.loop = asyncio.get_running_loop()
        self._manager.connect()
        await self.wait_logged_in(timeout)

    async def wait_logged_in(self, timeout: float | None = None) -> None:
        try:
            await asyncio.wait_for(self._logged_in.wait(), timeout)
        except TimeoutError:
            why = "login refused" if self._login_failed else "no answer"
            raise AmiUnavailable("Login", f"{why} within {timeout} s") from None

    @property
    def connected(self) -> bool:
        return self._logged_in.is_set()

    def close(self) -> None:
        """Close and stop reconnecting."""
        self._manager.stopped = True
        self._manager.close()
        self._logged_in.clear()

    def _logged(self, manager: Manager) -> None:
        self._login_failed = False
        self._logged_in.set()
        log.info("AMI logged in to %s:%s", manager.config["host"], manager.config["port"])
        if self._on_login is not None:
            result = self._on_login()
            if asyncio.iscoroutine(result):
                asyncio.ensure_future(result)

    def _failed_login(self) -> None:
        self._login_failed = True

    def _disconnected(self, manager: Manager, exc: object) -> None:
        self._logged_in.clear()
        log.warning("AMI connection lost (%s); reconnecting", exc)
        if self._on_disconnect is not None:
            self._on_disconnect()

    def _dispatch(self, manager: Manager, message: Any) -> None:
        assert self._on_event is not None
        self._on_event(as_event(message))

    # --- actions -------------------------------------------------------------------------
    async def action(self, action: dict[str, Any], *, as_list: bool = False,
                     timeout: float = 10.0) -> Any:
        """Send an action; the response (or list of messages); :class:`AmiError` on error.

        >>> await client.action({"Action": "QueueStatus"}, as_list=True)  # doctest: +SKIP
        """
        name = str(action.get("Action", "?"))
        if not self.connected or self._manager.protocol is None:
            raise AmiUnavailable(name, "not connected")
        future = self._manager.send_action(dict(action), as_list=as_list)
        try:
            result = await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise AmiUnavailable(name, f"no response within {timeout} s") from None
        first = result[0] if isinstance(result, list) else result
        if str(first.get("Response", "")).lower() == "error":
            raise AmiError(name, str(first.get("Message", "error")))
        return [as_event(m) for m in result] if isinstance(result, list) else as_event(result)

    async def command(self, command: str, timeout: float = 10.0) -> str:
        """A CLI command through AMI; its output as text."""
        if not self.connected:
            raise AmiUnavailable("Command", "not connected")
        future = self._manager.send_command(command)
        try:
            result = await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise AmiUnavailable("Command", f"no response within {timeout} s") from None
        first = result[0] if isinstance(result, list) else result
        if str(first.get("Response", "")).lower() == "error":
            raise AmiError("Command", str(first.get("Message", "error")))
        output = first.get("Output", "")
        return "\n".join(output) if isinstance(output, list) else str(output or first.content)

    async def list_events(self, action: dict[str, Any], timeout: float = 10.0) -> list[AmiEvent]:
        """The events of a list action (QueueStatus, CoreShowChannels), without the
        response and the ...Complete marker."""
        messages = await self.action(action, as_list=True, timeout=timeout)
        return [m for m in messages
                if "Event" in m and not m["Event"].endswith("Complete")]


@contextlib.asynccontextmanager
async def ami_session(settings: Settings, timeout: float = 5.0) -> AsyncIterator[AmiClient]:
    """One short AMI connection (no events) for a few actions; closed on exit."""
    client = AmiClient.from_settings(settings, events=False, backoff=Backoff(0.2, 1.0))
    try:
        await client.start(timeout)
        yield client
    finally:
        client.close()
