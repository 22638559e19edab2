"""Listening in: a supervisor's own phone rings, and on answer hears an operator's call.

AMI ``Originate`` calls the supervisor's endpoint; when it answers, Asterisk runs
``ChanSpy`` on the operator's channel with the mode's options:

* ``spy``     — ``q``:  listen only, neither party hears the supervisor;
* ``whisper`` — ``qw``: the supervisor talks to the operator only;
* ``barge``   — ``qB``: the supervisor talks to both.

``E`` ends the spy when the operator's call ends. The channel prefix carries the trailing
``-`` of Asterisk's channel names so that ``op100`` never matches ``op1001``.

Example::

    async with ami_session(settings) as ami:
        await listen_in(ami, ListenRequest("sup1", "op1001", "whisper"))
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any, Protocol

log = logging.getLogger(__name__)

MODES: dict[str, str] = {"spy": "q", "whisper": "qw", "barge": "qB"}
_ENDPOINT = re.compile(r"^[A-Za-z0-9_.+-]{1,64}$")
RING_TIMEOUT_MS = 30_000


class ListenError(ValueError):
    """A listen-in request that cannot be placed (bad mode, missing phone, bad endpoint)."""


class AmiLike(Protocol):
    async def action(self, action: dict[str, Any], **kwargs: Any) -> Any: ...


@dataclass(frozen=True)
class ListenRequest:
    """Who listens (the supervisor's SIP endpoint), to whom, and how."""

    supervisor_endpoint: str
    operator_endpoint: str
    mode: str = "spy"

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ListenError(f"unknown mode {self.mode!r}; use one of {', '.join(MODES)}")
        for label, value in (("supervisor", self.supervisor_endpoint),
                             ("operator", self.operator_endpoint)):
            if not value or not _ENDPOINT.match(value):
                raise ListenError(f"the {label}'s SIP endpoint is missing or malformed")
        if self.supervisor_endpoint == self.operator_endpoint:
            raise ListenError("a supervisor cannot listen in on their own phone")


def originate_action(req: ListenRequest, *, action_id: str | None = None) -> dict[str, str]:
    """The AMI Originate action for ``req`` (pure; sent by :func:`listen_in`)."""
    action = {
        "Action": "Originate",
        "Channel": f"PJSIP/{req.supervisor_endpoint}",
        "Application": "ChanSpy",
        "Data": f"PJSIP/{req.operator_endpoint}-,{MODES[req.mode]}E",
        "CallerID": f'"{req.mode} {req.operator_endpoint}" <{req.operator_endpoint}>',
        "Timeout": str(RING_TIMEOUT_MS),
        "Async": "true",
        "Variable": f"HOTLINE_LISTEN_MODE={req.mode}",
    }
    if action_id:
        action["ActionID"] = action_id
    return action


async def listen_in(ami: AmiLike, req: ListenRequest) -> dict[str, Any]:
    """Place the supervisor's listen-in call; the AMI response (raises on an AMI error)."""
    log.info("listen-in %s: %s -> %s", req.mode, req.supervisor_endpoint, req.operator_endpoint)
    return await ami.action(originate_action(req))
