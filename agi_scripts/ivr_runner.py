"""Execute the IVR state machine's actions on a live AGI channel.

The machine (ivr/machine.py) says what to play, what to collect and where the call ends;
this adapter turns that into AGI commands:

* a collecting prompt → ``EXEC Read(HOTLINE_KEYS,<files joined by &>,max,,1,timeout)`` and
  ``GET VARIABLE HOTLINE_KEYS``; prompts that only speak and come right before it are
  joined to it, so the caller can key through them (barge-in);
* a prompt that only speaks → ``EXEC Playback(<files joined by &>)``;
* variables → ``SET VARIABLE`` (and ``CHANNEL(language)`` with ``HOTLINE_LANGUAGE``);
* a queue hand-off → first the ``route`` hook, which may send the caller to another queue
  (a priority caller: see agi_scripts/priority_callers.py).

Read and Playback skip a missing sound file with a warning, so a prompt not yet built
never breaks a call. Database writes of the call's record run in the background in order
(:class:`CallRecorder`): the caller never waits for the database.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from agi_scripts.context import CallLog
from agi_scripts.fastagi import AgiChannel
from ivr.actions import (
    Action,
    LookupStatus,
    Prompt,
    RequestCallback,
    SetVariables,
    StartVoiceAppeal,
    StatusResult,
    ToQueue,
)
from ivr.machine import IvrSession

log = logging.getLogger(__name__)

KEYS_VARIABLE = "HOTLINE_KEYS"
WRITE_TIMEOUT_S = 5.0
StatusLookup = Callable[[str], Awaitable[StatusResult]]
# A queue hand-off → variables to set on top of the menu's (``HOTLINE_QUEUE`` replaces the
# queue), or None to keep the menu's queue.
QueueRoute = Callable[[ToQueue], Mapping[str, str] | None]


_BACKGROUND: set[asyncio.Task[None]] = set()  # writers that outlive their AGI session
_CLOSE = object()


class CallRecorder:
    """Writes one call's record in the background, in order, with one writer task per call.

    The AGI session never waits for the database: :meth:`close` lets the writer finish the
    writes submitted so far after the session has handed the caller back to the dialplan.
    """

    def __init__(self, call_log: CallLog, uniqueid: str) -> None:
        self.call_log = call_log
        self.uniqueid = uniqueid
        self.failed = 0
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._writer: asyncio.Task[None] | None = None

    def submit(self, write: Callable[[], Awaitable[None]]) -> None:
        if self._writer is None:
            self._writer = asyncio.get_running_loop().create_task(self._run())
            _BACKGROUND.add(self._writer)
            self._writer.add_done_callback(_BACKGROUND.discard)
        self._queue.put_nowait(write)

    async def _run(self) -> None:
        while True:
            write = await self._queue.get()
            try:
                if write is _CLOSE:
                    return
                async with asyncio.timeout(WRITE_TIMEOUT_S):
                    await write()
            except (SQLAlchemyError, OSError, TimeoutError, ValueError) as exc:
                self.failed += 1
                log.warning("call record of %s not written (%s: %s)", self.uniqueid,
                            type(exc).__name__, exc)
            finally:
                self._queue.task_done()

    def close(self) -> None:
        """No more writes: the writer finishes the queued ones, then ends."""
        if self._writer is not None:
            self._queue.put_nowait(_CLOSE)

    async def flush(self, timeout: float = WRITE_TIMEOUT_S) -> None:
        """Wait (bounded) for the writes submitted so far (tests, shutdown)."""
        if self._writer is None:
            return
        try:
            async with asyncio.timeout(timeout):
                await self._queue.join()
        except TimeoutError:
            log.warning("call record of %s still being written after %.0f s", self.uniqueid, timeout)


@dataclass(frozen=True)
class IvrOutcome:
    """How the IVR ended: 'queue', 'voice_appeal' or 'callback', with the variables set."""

    action: str
    queue: str | None
    language: str
    topic: str | None
    variables: dict[str, str]


class IvrRunner:
    """Drive one :class:`IvrSession` on one channel until it hands the call on."""

    def __init__(self, agi: AgiChannel, session: IvrSession, *, sounds_base: str,
                 general_queue: str, lookup: StatusLookup, recorder: CallRecorder,
                 route: QueueRoute | None = None) -> None:
        self.agi = agi
        self.session = session
        self.sounds_base = sounds_base.rstrip("/")
        self.general_queue = general_queue
        self.lookup = lookup
        self.recorder = recorder
        self.route = route
        self.variables: dict[str, str] = {}
        self._step = 0

    def sound(self, file: str) -> str:
        """The path Asterisk plays for ``<lang>/<name>``."""
        return f"{self.sounds_base}/{file}"

    def queue_name(self, menu_queue: str) -> str:
        """The menu's "general" is the Asterisk queue ``settings.general_queue``."""
        return self.general_queue if menu_queue == "general" else menu_queue

    async def run(self) -> IvrOutcome:
        actions = self.session.start()
        while True:
            outcome, actions = await self._execute(actions)
            if outcome is not None:
                return outcome

    async def _execute(self, actions: list[Action]) -> tuple[IvrOutcome | None, list[Action]]:
        """Run one step's actions; return the outcome or the next step's actions."""
        spoken: list[str] = []
        for action in actions:
            if isinstance(action, Prompt) and action.collect is None:
                spoken.extend(action.files)
            elif isinstance(action, Prompt):
                keys = await self.read(spoken + list(action.files), action.collect)
                node = self.session.node_id
                self._record_input(node, keys)
                return None, self.session.on_input(keys)
            elif isinstance(action, SetVariables):
                await self.set_variables(action.variables)
            elif isinstance(action, LookupStatus):
                await self.play(spoken)
                spoken = []
                result = await self.lookup(action.number)
                return None, self.session.on_result("status", result)
            elif isinstance(action, (ToQueue, StartVoiceAppeal, RequestCallback)):
                await self.play(spoken)
                if isinstance(action, ToQueue):
                    action = await self._reroute(action)
                return self._outcome(action), []
            else:  # a new action type the adapter does not know yet
                raise TypeError(f"unknown IVR action {action!r}")
        raise RuntimeError("an IVR step ended without waiting for anything")

    async def read(self, files: list[str], collect) -> str | None:
        """Play *files* (the caller may key through them) and collect keys."""
        prompt = "&".join(self.sound(f) for f in files)
        timeout = f"{collect.timeout:g}"
        await self.agi.exec("Read", f"{KEYS_VARIABLE},{prompt},{collect.max_digits},,1,{timeout}")
        keys = await self.agi.get_variable(KEYS_VARIABLE)
        return keys or None

    async def play(self, files: list[str]) -> None:
        if files:
            await self.agi.exec("Playback", "&".join(self.sound(f) for f in files))

    async def set_variables(self, variables) -> None:
        for name, value in variables.items():
            if name == "HOTLINE_QUEUE":
                value = self.queue_name(value)
            await self.agi.set_variable(name, value)
            self.variables[name] = value
            if name == "HOTLINE_LANGUAGE":
                await self.agi.set_variable("CHANNEL(language)", value)

    async def _reroute(self, end: ToQueue) -> ToQueue:
        """Apply the route hook to a queue hand-off (the menu's queue when it says nothing)."""
        extra = self.route(end) if self.route is not None else None
        if not extra:
            return end
        await self.set_variables(extra)
        queue = extra.get("HOTLINE_QUEUE")
        return replace(end, queue=queue) if queue else end

    def _record_input(self, node: str, keys: str | None) -> None:
        step, self._step = self._step, self._step + 1
        uniqueid = self.recorder.uniqueid
        call_log = self.recorder.call_log
        self.recorder.submit(lambda: call_log.ivr_input(uniqueid, node, keys, step=step))

    def _outcome(self, end: ToQueue | StartVoiceAppeal | RequestCallback) -> IvrOutcome:
        queue = self.queue_name(end.queue) if isinstance(end, ToQueue) else None
        action = self.variables.get("HOTLINE_ACTION") or (
            "queue" if isinstance(end, ToQueue)
            else "voice_appeal" if isinstance(end, StartVoiceAppeal) else "callback")
        return IvrOutcome(action, queue, end.language, end.topic, dict(self.variables))
