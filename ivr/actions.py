"""What the IVR asks the live-call adapter to do, and what it is told back.

The adapter executes the actions of one step in order. Only the last action of a step waits
for something: a :class:`Prompt` with ``collect`` (feed ``on_input``), :class:`LookupStatus`
(feed ``on_result``), or an end of the IVR (:class:`ToQueue`, :class:`StartVoiceAppeal`,
:class:`RequestCallback`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

StatusOutcome = Literal["found", "not_found", "unavailable"]


@dataclass(frozen=True)
class CollectSpec:
    """How to collect keys after a prompt.

    ``allowed`` are the keys that mean something here (escape digits: a key press may cut
    the prompt short); ``timeout`` is the seconds to wait after the prompt ends;
    ``terminator`` ("" or "#") ends a number early and is not part of it.
    """

    max_digits: int
    timeout: float
    terminator: str
    allowed: str
    min_digits: int = 1


@dataclass(frozen=True)
class Prompt:
    """Play ``files`` (``<lang>/<name>``, no extension) in order; then collect if asked."""

    files: tuple[str, ...]
    collect: CollectSpec | None = None


@dataclass(frozen=True)
class SetVariables:
    """Set channel variables (``HOTLINE_*``) before the next action."""

    variables: Mapping[str, str]


@dataclass(frozen=True)
class LookupStatus:
    """Look up the appeal ``number``; then call ``on_result("status", StatusResult | None)``."""

    number: str


@dataclass(frozen=True)
class ToQueue:
    """End of the IVR: put the caller in ``queue``."""

    queue: str
    language: str
    topic: str | None


@dataclass(frozen=True)
class StartVoiceAppeal:
    """End of the IVR: hand the call to the voice-appeal recorder (ARI app)."""

    language: str
    topic: str | None


@dataclass(frozen=True)
class RequestCallback:
    """End of the IVR: register a call back to ``number`` (the caller id; may be empty)."""

    language: str
    topic: str | None
    number: str


Action = Prompt | SetVariables | LookupStatus | ToQueue | StartVoiceAppeal | RequestCallback
TERMINAL_TYPES = (ToQueue, StartVoiceAppeal, RequestCallback)


@dataclass(frozen=True)
class StatusResult:
    """The outcome of a status lookup, fed back with ``on_result("status", ...)``.

    ``status`` is one of appeal_store's APPEAL_STATUSES, ``body_kind`` one of BODY_KINDS;
    ``body_prompt`` optionally names a catalogue prompt for the exact body. ``due`` is the
    (possibly extended) deadline. Pass ``None`` instead of a result when the lookup failed.
    """

    outcome: StatusOutcome
    status: str | None = None
    body_kind: str | None = None
    body_prompt: str | None = None
    due: dt.date | None = None
    extended: bool = False

    @classmethod
    def not_found(cls) -> StatusResult:
        return cls("not_found")

    @classmethod
    def unavailable(cls) -> StatusResult:
        return cls("unavailable")


@dataclass(frozen=True)
class CallContext:
    """What the IVR knows about the call at the start.

    ``is_open`` (working hours and holidays, computed in routing/) decides whether nodes with
    ``when_closed`` divert to the after-hours menu.
    """

    is_open: bool = True
    caller_id: str = ""


@dataclass(frozen=True)
class PathStep:
    """One answer in the IVR path: the node and what the caller did there."""

    node: str
    input: str

    def __str__(self) -> str:
        return f"{self.node}:{self.input}"
