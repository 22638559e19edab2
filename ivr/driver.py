"""Run an :class:`~ivr.machine.IvrSession` over any channel that can play, wait and set.

No network here: the live adapter (agi_scripts/) implements :class:`IvrIO` with its AGI
facade (``stream_file`` / ``wait_for_digit`` / ``set_variable``) and the database lookup,
then calls :func:`run_ivr`. Tests drive it with a fake IO.

>>> end = await run_ivr(IvrSession(menu, ctx), io)     # doctest: +SKIP
>>> isinstance(end, ToQueue)                            # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from .actions import (
    TERMINAL_TYPES,
    Action,
    LookupStatus,
    Prompt,
    RequestCallback,
    SetVariables,
    StartVoiceAppeal,
    StatusResult,
    ToQueue,
)
from .machine import IvrSession

# any key cuts a prompt short: an invalid key then gets its "invalid choice" answer at once
ALL_KEYS = "0123456789*#"
INTER_DIGIT_TIMEOUT_S = 5.0


class IvrIO(Protocol):
    """What the IVR needs from a live channel."""

    async def play(self, file: str, escape_keys: str) -> str | None:
        """Play one file; return the key that interrupted it, or None."""

    async def wait_digit(self, timeout: float) -> str | None:
        """Wait up to ``timeout`` seconds for one key; None when none came."""

    async def set_variables(self, variables: Mapping[str, str]) -> None:
        """Set channel variables."""

    async def lookup_status(self, number: str) -> StatusResult | None:
        """Look up an appeal; None when the lookup failed (database down...)."""


async def collect(io: IvrIO, prompt: Prompt) -> str | None:
    """Play a prompt and gather keys as its CollectSpec says; None when nothing was keyed."""
    spec = prompt.collect
    keys = ""
    for file in prompt.files:
        key = await io.play(file, ALL_KEYS if spec is not None else "")
        if key and spec is not None:
            keys = key
            break
    if spec is None:
        return None
    while len(keys) < spec.max_digits:
        if spec.terminator and keys.endswith(spec.terminator):
            break
        key = await io.wait_digit(INTER_DIGIT_TIMEOUT_S if keys else spec.timeout)
        if not key:
            break
        keys += key
    return keys or None


async def run_ivr(session: IvrSession, io: IvrIO) -> ToQueue | StartVoiceAppeal | RequestCallback:
    """Drive the session to its end and return the hand-off (its variables are already set)."""
    actions: list[Action] = session.start()
    while True:
        for action in actions[:-1]:
            await _side_action(io, action)
        last = actions[-1]
        if isinstance(last, TERMINAL_TYPES):
            return last
        if isinstance(last, LookupStatus):
            actions = session.on_result("status", await io.lookup_status(last.number))
        elif isinstance(last, Prompt) and last.collect is not None:
            actions = session.on_input(await collect(io, last))
        else:
            raise TypeError(f"a step cannot end with {last!r}")


async def _side_action(io: IvrIO, action: Action) -> None:
    if isinstance(action, SetVariables):
        await io.set_variables(action.variables)
    elif isinstance(action, Prompt):
        await collect(io, action)
    else:
        raise TypeError(f"only the last action of a step may be {action!r}")
