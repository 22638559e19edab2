"""Transfers through AMI: an operator's blind or attended transfer to another queue, a
colleague or an outside hotline from the directory; a supervisor hands a waiting caller to
a chosen operator.

The target travels as the channel variable HOTLINE_XFER_TARGET (AMI Setvar) and the
dialplan (``[hotline-transfer]``, ``[hotline-atxfer]`` in extensions_queues.conf) does the
rest, so a transfer never needs Python once it started.

Example::

    async with ami_session(settings) as ami:
        await blind_transfer(ami, "op1001", TransferTarget("queue", "social"))
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from agi_scripts.ami_client import AmiClient, AmiEvent
from appeal_store.calls import sanitize_phone
from appeal_store.models import StateBody

KINDS = {"queue": "1", "operator": "2", "outside": "3"}  # kind -> hotline-atxfer extension
TRANSFER_CONTEXT = "hotline-transfer"
ATXFER_CONTEXT = "hotline-atxfer"
_SAFE = re.compile(r"^[A-Za-z0-9_.@/:+-]{1,120}$")


class TransferError(ValueError):
    """A transfer that cannot be made (no call, bad target, not in the directory)."""


@dataclass(frozen=True)
class TransferTarget:
    """Where a call goes: a queue name, an operator's endpoint, or an outside dial string."""

    kind: str
    value: str

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise TransferError(f"kind must be one of {sorted(KINDS)}")
        if not _SAFE.match(self.value):
            raise TransferError(f"bad transfer target {self.value!r}")


def outside_directory(session: Session) -> dict[str, str]:
    """Outside hotlines an operator may transfer to: number -> body name (active bodies)."""
    rows = session.execute(
        select(StateBody.hotline_number, StateBody.name_uk)
        .where(StateBody.hotline_number.is_not(None), StateBody.active)
    ).all()
    return {sanitize_phone(r.hotline_number): r.name_uk for r in rows if r.hotline_number}


DEFAULT_OUTSIDE_DIAL = "PJSIP/{number}@carrier"


def outside_target(number: str, directory: dict[str, str],
                   dial: str = DEFAULT_OUTSIDE_DIAL) -> TransferTarget:
    """The dial target of an outside hotline ``number``; refused unless it is listed.

    ``dial`` is ``settings.outside_dial``: a Dial() string with ``{number}``, by default
    through the carrier trunk. Only the directory's number is put into it, never what the
    operator typed: there is no free dialling to arbitrary numbers.
    """
    wanted = sanitize_phone(number)
    if wanted not in directory:
        raise TransferError(f"{number!r} is not an outside hotline in the directory")
    if "{number}" not in dial:
        raise TransferError("the outside dial string has no {number}")
    return TransferTarget("outside", dial.replace("{number}", wanted))


async def channels(ami: AmiClient) -> list[AmiEvent]:
    """Every live channel (CoreShowChannels)."""
    return [e for e in await ami.list_events({"Action": "CoreShowChannels"})
            if e.get("Event") == "CoreShowChannel"]


async def operator_call(ami: AmiClient, endpoint: str) -> tuple[str, str]:
    """(operator's channel, the caller's channel) of the operator's bridged call."""
    live = await channels(ami)
    mine = [c for c in live if c.get("Channel", "").startswith(f"PJSIP/{endpoint}-")
            and c.get("BridgeId")]
    if not mine:
        raise TransferError(f"{endpoint} has no call in progress")
    own = mine[0]
    peers = [c for c in live if c.get("BridgeId") == own["BridgeId"]
             and c.get("Channel") != own["Channel"]]
    if not peers:
        raise TransferError(f"{endpoint}'s call has no other party")
    return own["Channel"], peers[0]["Channel"]


async def _setvar(ami: AmiClient, channel: str, name: str, value: str) -> None:
    await ami.action({"Action": "Setvar", "Channel": channel, "Variable": name, "Value": value})


async def blind_transfer(ami: AmiClient, endpoint: str, target: TransferTarget) -> str:
    """Send the operator's caller to ``target``; the operator's leg ends. Returns the
    caller's channel."""
    own, caller = await operator_call(ami, endpoint)
    await _setvar(ami, caller, "HOTLINE_XFER_TARGET", target.value)
    await ami.action({"Action": "BlindTransfer", "Channel": own,
                      "Context": TRANSFER_CONTEXT, "Exten": target.kind})
    return caller


async def attended_transfer(ami: AmiClient, endpoint: str, target: TransferTarget) -> str:
    """The operator consults ``target`` while the caller holds; when the operator hangs
    up, the caller and the target talk. Returns the operator's channel."""
    own, _caller = await operator_call(ami, endpoint)
    # "__" makes the new call leg (a Local channel) inherit the target.
    await _setvar(ami, own, "__HOTLINE_XFER_TARGET", target.value)
    await ami.action({"Action": "Atxfer", "Channel": own, "Context": ATXFER_CONTEXT,
                      "Exten": KINDS[target.kind]})
    return own


async def hand_to_operator(ami: AmiClient, uniqueid: str, endpoint: str) -> str:
    """Take a waiting caller (by unique id) out of its queue and ring ``endpoint``; if that
    operator does not answer, the caller goes back to the front of the queue."""
    TransferTarget("operator", endpoint)  # validates
    waiting = [c for c in await channels(ami) if c.get("Uniqueid") == uniqueid]
    if not waiting:
        raise TransferError(f"no live call {uniqueid}")
    channel = waiting[0]["Channel"]
    if waiting[0].get("Application") != "Queue":
        raise TransferError(f"call {uniqueid} is not waiting in a queue")
    await _setvar(ami, channel, "HOTLINE_XFER_TARGET", endpoint)
    await ami.action({"Action": "Redirect", "Channel": channel, "Context": TRANSFER_CONTEXT,
                      "Exten": "operator", "Priority": "1"})
    return channel
