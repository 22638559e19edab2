"""The ``ivr`` AGI script: the menu of ivr/menu.yaml on a live call.

Language, main menu, topic → queue, consultation, status check, voice appeal and call
back hand-offs, working hours. The channel leaves with ``HOTLINE_ACTION`` (queue,
voice_appeal, callback), ``HOTLINE_QUEUE``, ``HOTLINE_LANGUAGE``, ``HOTLINE_TOPIC``,
``HOTLINE_IVR_PATH`` and ``CHANNEL(language)`` set; the same facts go to the call's record.

A caller on the priority list (``settings.priority_numbers_file``) whom the menu sends to a
queue goes to the queue routing's :func:`~routing.call_routing.choose_queue` picks for a
priority caller, with ``HOTLINE_PRIORITY=1``; voice appeal and call back are unchanged.

When the menu cannot be loaded, the foundation script :func:`ivr_minimal` serves the call
(one key, then the general queue).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from agi_scripts.context import AgiContext
from agi_scripts.fastagi import AgiChannel
from agi_scripts.ivr_minimal import ivr_minimal
from agi_scripts.ivr_runner import CallRecorder, IvrOutcome, IvrRunner
from agi_scripts.priority_callers import PriorityCallers
from agi_scripts.status_check import lookup_status
from appeal_store.calls import ANONYMOUS, sanitize_phone
from hotline.settings import Settings
from ivr.actions import CallContext, ToQueue
from ivr.machine import IvrSession
from ivr.menu import load_menu
from ivr.menu_model import Menu

log = logging.getLogger(__name__)

_MENU = "ivr.menu"
_CALENDAR = "ivr.calendar"
_PRIORITY = "ivr.priority_callers"


def sounds_base(settings: Settings) -> str:
    """The prompts folder as Asterisk sees it (inside the chroot unless configured)."""
    if settings.prompts_dir is not None:
        return str(settings.prompts_dir)
    return f"{settings.instance_dir_in_chroot}/sounds"


def menu_of(ctx: AgiContext) -> Menu:
    """The validated menu, loaded once per server process (MenuError if it is broken)."""
    menu = ctx.extras.get(_MENU)
    if menu is None:
        menu = ctx.extras[_MENU] = load_menu()
    return menu


def centre_open(ctx: AgiContext, now: dt.datetime | None = None) -> bool:
    """Working hours and holidays (settings.calendar_file, else routing's calendar)."""
    from routing.calendar import is_open, load_calendar

    now = now or dt.datetime.now(dt.UTC)
    cached = ctx.extras.get(_CALENDAR)
    if cached is None or cached[0] != now.year:
        cached = ctx.extras[_CALENDAR] = (now.year, load_calendar(ctx.settings.calendar_file))
    return is_open(now, cached[1])


def priority_callers_of(ctx: AgiContext) -> PriorityCallers:
    """The priority list of this server process (re-read by itself when its file changes)."""
    callers = ctx.extras.get(_PRIORITY)
    if callers is None:
        callers = ctx.extras[_PRIORITY] = PriorityCallers(ctx.settings.priority_numbers_file)
        callers.numbers()  # read now, so a broken file is logged at the first call
    return callers


def priority_route(ctx: AgiContext, end: ToQueue) -> dict[str, str] | None:
    """Where routing sends a priority caller the menu hands to ``end.queue`` (None: keep it)."""
    try:
        from routing.call_routing import choose_queue

        now = dt.datetime.now(dt.UTC)
        centre_open(ctx, now)  # the calendar of this year, cached
        decision = choose_queue(None, end.language, end.topic, now, ctx.extras[_CALENDAR][1],
                                priority_caller=True, overflow_rules=())
    except (ImportError, ValueError, OSError) as exc:  # CallRoutingError, CalendarError
        log.error("call routing unusable (%s): priority caller stays in %s", exc, end.queue)
        return None
    # The menu already chose a queue, so the hours are settled: take routing's queue only.
    log.info("priority caller: %s (menu queue %s)", decision.reason, end.queue)
    return {"HOTLINE_QUEUE": decision.queue, "HOTLINE_PRIORITY": "1"}


def topic_code(topic: str | None) -> str | None:
    """The classifier code the console opens for an IVR topic label (the label if unknown)."""
    if topic is None:
        return None
    try:
        from routing.call_routing import default_call_routing

        code = default_call_routing().ivr_topic_codes.get(topic)
    except (ImportError, ValueError, OSError) as exc:
        log.debug("no classifier code for IVR topic %s (%s)", topic, exc)
        code = None
    return code or topic


async def ivr(agi: AgiChannel, ctx: AgiContext) -> None:
    """Run the menu on the channel; fall back to the foundation script without a menu."""
    try:
        menu = menu_of(ctx)
        is_open = centre_open(ctx)
    except (ValueError, OSError) as exc:  # MenuError, CatalogueError, CalendarError
        log.error("IVR menu or calendar unusable (%s): minimal IVR for %s", exc, agi.uniqueid)
        await ivr_minimal(agi, ctx)
        return
    caller = sanitize_phone(agi.caller_id)
    recorder = CallRecorder(ctx.call_log, agi.uniqueid)
    recorder.submit(lambda: ctx.call_log.call_started(
        agi.uniqueid, caller_number=caller, called_number=sanitize_phone(agi.dialed)))
    priority = priority_callers_of(ctx).contains(caller)
    session = IvrSession(menu, CallContext(
        is_open=is_open, caller_id="" if caller == ANONYMOUS else caller))
    runner = IvrRunner(
        agi, session, sounds_base=sounds_base(ctx.settings),
        general_queue=ctx.settings.general_queue,
        lookup=lambda number: lookup_status(
            ctx.call_log.session_factory, number, tz=ctx.settings.timezone),
        recorder=recorder,
        route=(lambda end: priority_route(ctx, end)) if priority else None,
    )
    await agi.set_variable("HOTLINE_CALLER", caller)
    try:
        outcome = await runner.run()
        recorder.submit(lambda: ctx.call_log.call_started(agi.uniqueid, **call_fields(outcome)))
    finally:
        recorder.close()  # the writes finish in the background; the caller moves on now
    log.info("ivr %s: %s queue=%s lang=%s topic=%s path=%s", agi.uniqueid, outcome.action,
             outcome.queue, outcome.language, outcome.topic, session.path_string())


def call_fields(outcome: IvrOutcome) -> dict[str, Any]:
    """What the call's record keeps of the IVR."""
    fields: dict[str, Any] = {"language": outcome.language, "topic_code": topic_code(outcome.topic)}
    if outcome.queue is not None:
        fields["queue"] = outcome.queue
    elif outcome.action == "callback":
        fields["status"] = "callback"
    elif outcome.action == "voice_appeal":
        fields["status"] = "voicemail"
    return fields
