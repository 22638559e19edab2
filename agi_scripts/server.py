"""The FastAGI server: one asyncio TCP server, an explicit routes table, safe fallbacks.

A script that fails leaves ``HOTLINE_ACTION`` unset; the dialplan then sends the caller to
the general queue (see dialplan/extensions.conf.j2, context ``agi-failed``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from agi_scripts.context import AgiContext
from agi_scripts.fastagi import (
    AgiChannel,
    AgiEmptyConnection,
    AgiError,
    AgiHangup,
    AgiProtocolError,
    read_environment,
    script_name,
)

log = logging.getLogger(__name__)

AgiScript = Callable[[AgiChannel, AgiContext], Awaitable[None]]


@dataclass
class ServerStats:
    sessions: int = 0
    completed: int = 0
    hangups: int = 0
    failures: int = 0
    protocol_errors: int = 0
    unknown_routes: int = 0


class FastAgiServer:
    """Serve AGI scripts from *routes* on host:port.

    >>> server = FastAgiServer({"ivr": ivr_script}, ctx)   # doctest: +SKIP
    >>> await server.start("127.0.0.1", 4573)              # doctest: +SKIP
    """

    def __init__(self, routes: Mapping[str, AgiScript], context: AgiContext) -> None:
        self.routes = dict(routes)
        self.context = context
        self.stats = ServerStats()
        self._server: asyncio.base_events.Server | None = None

    async def start(self, host: str, port: int) -> None:
        self._server = await asyncio.start_server(
            self.handle, host, port, limit=64 * 1024, reuse_address=True
        )
        log.info("FastAGI listening on %s:%s (%s)", host, port, ", ".join(sorted(self.routes)))

    @property
    def port(self) -> int:
        assert self._server is not None
        return self._server.sockets[0].getsockname()[1]

    async def serve_forever(self) -> None:
        assert self._server is not None
        async with self._server:
            await self._server.serve_forever()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.stats.sessions += 1
        try:
            await self._run(reader, writer)
        finally:
            writer.close()
            try:
                await writer.wait_closed()
            except (ConnectionError, OSError):
                pass

    async def _run(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            env = await read_environment(reader)
        except AgiEmptyConnection:
            log.debug("empty connection from %s (a probe)", writer.get_extra_info("peername"))
            return
        except AgiProtocolError as exc:
            self.stats.protocol_errors += 1
            log.warning("rejected FastAGI session from %s: %s", writer.get_extra_info("peername"), exc)
            return
        channel = AgiChannel(env, reader, writer)
        name = script_name(env)
        script = self.routes.get(name)
        if script is None:
            self.stats.unknown_routes += 1
            log.error("no AGI script %r (channel %s): dialplan fallback", name, channel.uniqueid)
            await _mark_fallback(channel, "unknown-route")
            return
        try:
            await script(channel, self.context)
        except AgiHangup:
            self.stats.hangups += 1
            log.info("caller hung up during %s (%s)", name, channel.uniqueid)
            return
        except Exception:  # a failing script must still leave the caller a way on
            self.stats.failures += 1
            log.exception("AGI script %s failed on %s: dialplan fallback", name, channel.uniqueid)
            await _mark_fallback(channel, "script-error")
            return
        self.stats.completed += 1


async def _mark_fallback(channel: AgiChannel, reason: str) -> None:
    """Clear the action so the dialplan takes its fallback, and say why."""
    try:
        await channel.set_variable("HOTLINE_ACTION", "")
        await channel.set_variable("HOTLINE_FALLBACK", reason)
    except (AgiError, OSError, TimeoutError) as exc:
        log.info("could not mark fallback on %s: %s", channel.uniqueid, exc)
