"""The call-back dispatcher: dial due call backs when an operator of their queue is free.

Every ``poll_s`` it takes the due ``pending`` call backs, asks Asterisk how many members of
each queue are free (``QUEUE_MEMBER(queue,free)`` over AMI), and originates at most that
many calls to the citizens through ARI (``settings.callback_dial``, e.g.
``PJSIP/{number}@carrier``) into this Stasis app with the args ``callback-out,<id>``.
When the citizen answers (StasisStart) the attempt is ``answered`` and the channel goes to
the queue; a dial that ends before (ChannelDestroyed) is retried after
``callback_retry_seconds``, at most ``callback_max_attempts`` times. Each dial is one
CallbackAttempt row.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from agi_scripts.ari_client import AriClient, AriError, AriNotConnected, Event
from agi_scripts.callbacks import (
    DueCallback,
    due_callbacks,
    finish_attempt,
    stale_attempts,
    start_attempt,
)
from appeal_store.models import utcnow

log = logging.getLogger(__name__)

FreeOperators = Callable[[str], Awaitable[int]]
DIAL_TIMEOUT_S = 30
# Q.850 causes of a dial that did not reach the citizen
CAUSES = {16: "no_answer", 17: "busy", 18: "no_answer", 19: "no_answer", 21: "rejected"}


@dataclass(frozen=True)
class DispatchPolicy:
    dial: str  # "PJSIP/{number}@carrier"
    caller_id: str  # what the citizen sees: the hotline's number
    max_attempts: int
    retry_after: dt.timedelta
    general_queue: str
    poll_s: float = 2.0


@dataclass
class _Dialing:
    callback: DueCallback
    attempt_id: int
    answered: bool = False


class CallbackDispatcher:
    """Originate due call backs; record each attempt."""

    def __init__(self, ari: AriClient, factory: sessionmaker[Session], policy: DispatchPolicy,
                 free_operators: FreeOperators) -> None:
        self.ari = ari
        self.factory = factory
        self.policy = policy
        self.free_operators = free_operators
        self.dialing: dict[str, _Dialing] = {}

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            if self.ari.connected.is_set():
                try:
                    await self.tick()
                except (SQLAlchemyError, OSError, AriError, AriNotConnected, TimeoutError) as exc:
                    log.warning("call-back dispatch skipped this round: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.policy.poll_s)

    async def tick(self) -> int:
        """One round: returns how many calls were originated."""
        await self._expire_stale()
        due = await asyncio.to_thread(due_callbacks, self.factory, utcnow())
        free: dict[str, int] = {}
        started = 0
        for cb in due:
            queue = cb.queue or self.policy.general_queue
            if queue not in free:
                busy = sum(1 for d in self.dialing.values() if (d.callback.queue or
                           self.policy.general_queue) == queue and not d.answered)
                free[queue] = await self.free_operators(queue) - busy
            if free[queue] <= 0:
                continue
            if await self.originate(cb, queue):
                free[queue] -= 1
                started += 1
        return started

    async def originate(self, cb: DueCallback, queue: str) -> bool:
        channel_id = f"callback-{cb.id}-{uuid.uuid4().hex[:8]}"
        attempt_id = await asyncio.to_thread(start_attempt, self.factory, cb.id, channel_id)
        if attempt_id is None:
            return False
        self.dialing[channel_id] = _Dialing(cb, attempt_id)
        try:
            await self.ari.post(
                "/channels",
                {"variables": {"HOTLINE_QUEUE": queue, "HOTLINE_LANGUAGE": cb.language,
                               "HOTLINE_TOPIC": cb.topic or "", "HOTLINE_CALLBACK_ID": str(cb.id),
                               "CHANNEL(language)": cb.language}},
                endpoint=self.policy.dial.format(number=cb.phone), app=self.ari.app,
                appArgs=f"callback-out,{cb.id}", callerId=self.policy.caller_id,
                timeout=DIAL_TIMEOUT_S, channelId=channel_id,
            )
        except (AriError, AriNotConnected) as exc:
            log.warning("call back %s not originated: %s", cb.id, exc)
            self.dialing.pop(channel_id, None)
            await self._finish(attempt_id, "originate_failed", answered=False)
            return False
        log.info("call back %s: dialling %s (attempt %s)", cb.id, cb.phone, cb.attempts + 1)
        return True

    async def on_answered(self, channel: dict) -> None:
        """StasisStart of an originated call: the citizen answered; into the queue."""
        state = self.dialing.get(channel["id"])
        if state is None:
            log.warning("answered call-back channel %s is unknown", channel["id"])
        else:
            state.answered = True
            await self._finish(state.attempt_id, "answered", answered=True)
        await self.ari.post(f"/channels/{channel['id']}/continue", context="hotline-queue",
                            extension="s", priority=1)

    async def on_event(self, event: Event) -> None:
        if event.get("type") != "ChannelDestroyed":
            return
        state = self.dialing.pop(event.get("channel", {}).get("id", ""), None)
        if state is None or state.answered:
            return
        cause = int(event.get("cause") or 0)
        outcome = CAUSES.get(cause, f"failed_{cause}")
        status = await self._finish(state.attempt_id, outcome, answered=False)
        log.info("call back %s: %s (cause %s) -> %s", state.callback.id, outcome, cause, status)

    async def _finish(self, attempt_id: int, outcome: str, *, answered: bool) -> str:
        return await asyncio.to_thread(
            finish_attempt, self.factory, attempt_id, outcome, answered=answered,
            max_attempts=self.policy.max_attempts, retry_after=self.policy.retry_after)

    async def _expire_stale(self) -> None:
        """Attempts whose end we never heard of (app restarted mid-dial) count as failed."""
        cutoff = utcnow() - dt.timedelta(seconds=DIAL_TIMEOUT_S + 90)
        for attempt_id in await asyncio.to_thread(stale_attempts, self.factory, cutoff):
            if any(d.attempt_id == attempt_id for d in self.dialing.values()):
                continue
            await self._finish(attempt_id, "lost", answered=False)
