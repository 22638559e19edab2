"""One channel inside the Stasis app: play, collect a key, record, hand back to the dialplan.

Every wait is bounded and ends with :class:`ChannelGone` when the caller hangs up. Keys
pressed while a prompt plays are kept (barge-in) for the next :meth:`ChannelSession.key`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from dataclasses import dataclass
from typing import Any, Self

from agi_scripts.ari_client import AriClient, AriError, Event

log = logging.getLogger(__name__)

GONE_EVENTS = ("StasisEnd", "ChannelDestroyed", "ChannelHangupRequest")


class ChannelGone(RuntimeError):
    """The caller hung up (or the channel left the app)."""


@dataclass(frozen=True)
class Recorded:
    """A finished ARI recording."""

    name: str
    duration: float
    cause: str  # RecordingFinished or RecordingFailed


class ChannelSession:
    """The Stasis app's view of one channel and its events."""

    def __init__(self, ari: AriClient, channel: dict[str, Any], sounds_base: str) -> None:
        self.ari = ari
        self.channel = channel
        self.id: str = channel["id"]
        self.sounds_base = sounds_base.rstrip("/")
        self.digits: list[str] = []
        self.gone = False
        self._events: asyncio.Queue[Event] | None = None
        self._sub: contextlib.AbstractAsyncContextManager | None = None

    async def __aenter__(self) -> Self:
        self._sub = self.ari.subscribe(self._mine)
        self._events = await self._sub.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._sub is not None
        await self._sub.__aexit__(*exc)

    def _mine(self, event: Event) -> bool:
        if event.get("channel", {}).get("id") == self.id:
            return True
        target = (event.get("playback") or event.get("recording") or {}).get("target_uri", "")
        return target == f"channel:{self.id}"

    @property
    def caller_number(self) -> str:
        return str(self.channel.get("caller", {}).get("number", ""))

    def prompt(self, language: str, name: str) -> str:
        return f"sound:{self.sounds_base}/{language}/{name}"

    # --- waiting on events ----------------------------------------------------------------

    async def _next(self, timeout: float) -> Event | None:
        assert self._events is not None
        try:
            event = await asyncio.wait_for(self._events.get(), timeout)
        except TimeoutError:
            return None
        kind = event.get("type")
        if kind in GONE_EVENTS:
            self.gone = True
            raise ChannelGone(f"{self.id}: {kind}")
        if kind == "ChannelDtmfReceived":
            self.digits.append(str(event.get("digit", "")))
        return event

    # --- media ----------------------------------------------------------------------------

    async def play(self, *media: str, interrupt: bool = False, timeout: float = 120.0) -> None:
        """Play media in order; with *interrupt*, a key stops the rest."""
        loop = asyncio.get_running_loop()
        for item in media:
            if interrupt and self.digits:
                return
            playback_id = uuid.uuid4().hex
            await self.ari.post(f"/channels/{self.id}/play/{playback_id}", media=item)
            deadline = loop.time() + timeout
            while (left := deadline - loop.time()) > 0:
                event = await self._next(left)
                if event is None:
                    break
                if event.get("type") == "PlaybackFinished" \
                        and event.get("playback", {}).get("id") == playback_id:
                    break
                if interrupt and self.digits:
                    with contextlib.suppress(AriError):
                        await self.ari.delete(f"/playbacks/{playback_id}")
                    return

    async def key(self, timeout: float, allowed: str = "0123456789*#") -> str | None:
        """The next key the caller pressed (also during the last prompt), or None."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            while self.digits:
                digit = self.digits.pop(0)
                if digit in allowed:
                    return digit
            left = deadline - loop.time()
            if left <= 0:
                return None
            await self._next(left)

    async def record(self, name: str, *, max_seconds: int, max_silence: int,
                     beep: bool = True, terminate_on: str = "#") -> Recorded:
        """Record the caller to the stored recording *name* (wav) until #, silence or max."""
        self.digits.clear()
        await self.ari.post(
            f"/channels/{self.id}/record", name=name, format="wav",
            maxDurationSeconds=max_seconds, maxSilenceSeconds=max_silence,
            ifExists="overwrite", beep=beep, terminateOn=terminate_on,
        )
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max_seconds + 15
        try:
            while (left := deadline - loop.time()) > 0:
                event = await self._next(left)
                if event is None:
                    break
                rec = event.get("recording") or {}
                if event.get("type") in ("RecordingFinished", "RecordingFailed") \
                        and rec.get("name") == name:
                    self.digits.clear()  # the terminating '#'
                    return Recorded(name, float(rec.get("duration") or 0), event["type"])
        except ChannelGone:
            # a hang-up ends the recording; what was said is kept
            return Recorded(name, -1.0, "hangup")
        raise TimeoutError(f"recording {name} did not finish")

    async def variable(self, name: str) -> str | None:
        try:
            found = await self.ari.get(f"/channels/{self.id}/variable", variable=name)
        except AriError:
            return None
        return (found or {}).get("value") or None

    async def set_variable(self, name: str, value: str) -> None:
        await self.ari.post(f"/channels/{self.id}/variable", variable=name, value=value)

    async def continue_to(self, context: str, extension: str, priority: int = 1) -> None:
        """Leave the app: the dialplan goes on at context,extension,priority."""
        if not self.gone:
            await self.ari.post(f"/channels/{self.id}/continue", context=context,
                                extension=extension, priority=priority)
