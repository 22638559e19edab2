"""The Stasis (ARI) application: voice appeals, call-back requests, originated call backs.

The dialplan hands a channel over with ``Stasis(<app>,voice_appeal)`` or
``Stasis(<app>,callback)``; originated call backs arrive with ``callback-out,<id>``. Any
other args → the general queue. A handler that fails sends the caller to the dialplan's
``stasis-failed`` (general queue): a call is never dropped because Python failed. When this
app is not connected at all, ``Stasis()`` itself fails and the dialplan does the same.

A call back asked for without a usable caller id (anonymous, withheld) stores nothing: the
caller hears ``callback-no-number`` and goes to the general queue in working hours, to a
voice appeal after hours (as the IVR's own after-hours fallback does).

Wiring (the only place objects are built): :func:`run_stasis_app`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from agi_scripts.ari_client import AriClient, AriError, AriNotConnected, Event
from agi_scripts.callbacks import CallbackRequest, caller_phone, request_callback
from agi_scripts.ivr import sounds_base
from agi_scripts.stasis_channel import ChannelGone, ChannelSession
from agi_scripts.stasis_dispatcher import CallbackDispatcher, DispatchPolicy
from agi_scripts.stasis_queues import FreeOperatorsProbe
from agi_scripts.voice_appeal import VoiceAppealDeps, voice_appeal
from hotline.settings import Settings
from hotline.signals import stop_on_signals
from routing.calendar import WorkCalendar, is_open, load_calendar

log = logging.getLogger(__name__)

LANGUAGES = ("uk", "en")


class StasisApp:
    """Routes StasisStart events to the feature handlers, one task per channel."""

    def __init__(self, ari: AriClient, settings: Settings, factory: sessionmaker[Session],
                 dispatcher: CallbackDispatcher) -> None:
        self.ari = ari
        self.settings = settings
        self.factory = factory
        self.dispatcher = dispatcher
        self.voice = VoiceAppealDeps(factory, settings.effective_recordings_dir,
                                     settings.redis_url)
        self.tasks: set[asyncio.Task[None]] = set()
        self._calendar: tuple[int, WorkCalendar] | None = None

    async def on_event(self, event: Event) -> None:
        kind = event.get("type")
        if kind == "StasisStart":
            args = list(event.get("args") or [])
            channel = event["channel"]
            if args[:1] == ["callback-out"]:
                coro = self.dispatcher.on_answered(channel)
            else:
                coro = self.handle(channel, args)
            task = asyncio.get_running_loop().create_task(coro)
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        elif kind == "ChannelDestroyed":
            await self.dispatcher.on_event(event)

    async def handle(self, channel: dict, args: list[str]) -> None:
        async with ChannelSession(self.ari, channel, sounds_base(self.settings)) as ch:
            try:
                await self._serve(ch, args)
            except ChannelGone:
                log.info("caller %s left the app", ch.id)
            except (AriError, AriNotConnected, SQLAlchemyError, OSError, TimeoutError) as exc:
                log.exception("Stasis handler for %s failed (%s): general queue", ch.id, type(exc).__name__)
                try:
                    await ch.continue_to("stasis-failed", "s")
                except (AriError, AriNotConnected, OSError) as again:
                    log.error("channel %s could not be sent to the fallback: %s", ch.id, again)

    async def _serve(self, ch: ChannelSession, args: list[str]) -> None:
        language = await ch.variable("HOTLINE_LANGUAGE") or ch.channel.get("language") or "uk"
        language = language if language in LANGUAGES else "uk"
        uniqueid = ch.id
        what = args[0] if args else ""
        if what == "callback":
            request = CallbackRequest(
                phone=caller_phone(await ch.variable("HOTLINE_CALLER"), ch.caller_number),
                topic=await ch.variable("HOTLINE_TOPIC"),
                queue=self._queue(await ch.variable("HOTLINE_QUEUE")),
                language=language, uniqueid=uniqueid)
            outcome = await request_callback(ch, self.factory, request)
            if outcome == "no_number":
                if self.centre_open():
                    log.info("call back without a caller id on %s: general queue", ch.id)
                    await ch.play(ch.prompt(language, "connecting-operator"))
                    await self._to_general_queue(ch)
                    return
                log.info("call back without a caller id on %s (closed): voice appeal", ch.id)
                what = "voice_appeal"
        if what == "voice_appeal":
            await voice_appeal(ch, self.voice, language, uniqueid)
        elif what != "callback":
            log.warning("StasisStart with unknown args %s on %s: general queue", args, ch.id)
            await self._to_general_queue(ch)
            return
        await ch.continue_to("hotline-route", "done")

    async def _to_general_queue(self, ch: ChannelSession) -> None:
        await ch.set_variable("HOTLINE_QUEUE", self.settings.general_queue)
        await ch.continue_to("hotline-queue", "general")

    def centre_open(self, now: dt.datetime | None = None) -> bool:
        """Working hours (settings.calendar_file, else routing's); unreadable → open."""
        now = now or dt.datetime.now(dt.UTC)
        try:
            if self._calendar is None or self._calendar[0] != now.year:
                self._calendar = (now.year, load_calendar(self.settings.calendar_file))
            return is_open(now, self._calendar[1])
        except (ValueError, OSError) as exc:
            log.error("working-hours calendar unusable (%s): treated as open", exc)
            return True

    def _queue(self, queue: str | None) -> str:
        if not queue or queue == "general":
            return self.settings.general_queue
        return queue


def dispatch_policy(settings: Settings) -> DispatchPolicy:
    return DispatchPolicy(
        dial=settings.callback_dial, caller_id=settings.hotline_number,
        max_attempts=settings.callback_max_attempts,
        retry_after=dt.timedelta(seconds=settings.callback_retry_seconds),
        general_queue=settings.general_queue,
    )


def ensure_sandbox_recording_dir(settings: Settings) -> None:
    """ARI records into <spool>/recording, which a fresh sandbox instance lacks."""
    spool = settings.instance_dir / "spool"
    if not spool.is_dir():
        return  # Asterisk runs elsewhere (its package creates the folder)
    target = spool / "recording"
    if not target.is_dir():
        target.mkdir()
        stat = spool.stat()
        os.chown(target, stat.st_uid, stat.st_gid)


async def run_stasis_app(settings: Settings, session_factory: sessionmaker[Session],
                         stop: asyncio.Event | None = None) -> None:
    """Run the app until SIGINT/SIGTERM (or *stop*): events, handlers, call-back dispatch."""
    if stop is None:
        stop = stop_on_signals()
    ensure_sandbox_recording_dir(settings)
    ari = AriClient.from_settings(settings)
    probe = FreeOperatorsProbe(settings)
    dispatcher = CallbackDispatcher(ari, session_factory, dispatch_policy(settings), probe)
    app = StasisApp(ari, settings, session_factory, dispatcher)
    try:
        await asyncio.gather(ari.run(app.on_event, stop), dispatcher.run(stop))
    finally:
        for task in list(app.tasks):
            task.cancel()
        probe.close()
        await ari.close()
