"""Queue and agent AMI events → what to write (pure functions, no I/O).

:func:`map_event` turns one AMI event (a dict of str, as Asterisk sent it) into
:class:`Effects`: call-event rows like Asterisk's queue_log (enter, connect, abandon with
position and wait, complete with talk time, transfer, overflow, exit with * for a call back
with the position), changes to the Call row, changes to the live view, and follow-ups (a
screen pop, a recording to index). The same event always maps to the same ``source_key``,
so a replayed event is written once.

Example::

    fx = map_event({"Event": "QueueCallerAbandon", "Uniqueid": "1700.1", "Queue": "common",
                    "Position": "2", "OriginalPosition": "3", "HoldTime": "41",
                    "Timestamp": "1700000041.000100"})
    fx.rows[0].kind, fx.rows[0].wait_seconds     # ('abandon', 41)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

AmiEvent = Mapping[str, str]

# app_queue's member Status (ast_device_state) → the console's word for it
MEMBER_STATUS = {
    "0": "unknown", "1": "available", "2": "in_call", "3": "busy", "4": "invalid",
    "5": "unavailable", "6": "ringing", "7": "ringing", "8": "on_hold",
}
MEMBER_EVENTS = frozenset({"QueueMemberAdded", "QueueMemberStatus", "QueueMemberPause",
                           "QueueMemberPenalty", "QueueMemberRinginuse", "QueueMember"})


@dataclass(frozen=True)
class EventRow:
    """One CallEvent row (appeal_store.calls.record_event arguments)."""

    source_key: str
    uniqueid: str
    kind: str
    queue: str | None = None
    agent: str | None = None
    position: int | None = None
    wait_seconds: int | None = None
    talk_seconds: int | None = None
    data: dict[str, Any] = field(default_factory=dict)
    at: dt.datetime | None = None


@dataclass(frozen=True)
class CallChange:
    """Fields to set on the Call row of ``uniqueid`` (created if missing)."""

    uniqueid: str
    fields: dict[str, Any]
    operator_endpoint: str | None = None  # resolved to Call.operator_id by the adapter
    only_if_new: frozenset[str] = frozenset()  # set these only when the call is new


@dataclass(frozen=True)
class LiveChange:
    """A change of the live view: op is caller_join, caller_leave, member, member_removed,
    agent_call (ringing/connected/idle for one agent)."""

    op: str
    queue: str | None = None
    key: str = ""
    value: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Effects:
    rows: tuple[EventRow, ...] = ()
    call_changes: tuple[CallChange, ...] = ()
    live: tuple[LiveChange, ...] = ()
    screen_pop: dict[str, str] | None = None  # {endpoint, uniqueid, queue, channel}
    recording_of: str | None = None  # the uniqueid whose recording may now be complete

    def __bool__(self) -> bool:
        return bool(self.rows or self.call_changes or self.live or self.screen_pop
                    or self.recording_of)


NOTHING = Effects()


# --- small parsers ---------------------------------------------------------------------------

def event_time(event: AmiEvent) -> dt.datetime | None:
    """The event's Timestamp header (timestampevents = yes) as an aware UTC datetime."""
    raw = event.get("Timestamp")
    try:
        return dt.datetime.fromtimestamp(float(raw), dt.UTC) if raw else None
    except (TypeError, ValueError, OverflowError):
        return None


def to_int(raw: object) -> int | None:
    try:
        return int(str(raw).strip())
    except (TypeError, ValueError):
        return None


def endpoint_of(interface: str | None) -> str | None:
    """'PJSIP/op1001' (or 'PJSIP/op1001-0000001a') → 'op1001'; None for other technologies."""
    if not interface or not interface.upper().startswith("PJSIP/"):
        return None
    name = interface.split("/", 1)[1]
    if "-" in name and len(name.rsplit("-", 1)[1]) == 8:
        name = name.rsplit("-", 1)[0]
    return name or None


def source_key(event: AmiEvent, uniqueid: str, *parts: str) -> str:
    """A stable identity of one event: its name, the call, extra parts and the timestamp.

    Asterisk stamps each event once (the event queue is shared by every AMI session), so
    two consumers or a replay after a reconnect see the same key.
    """
    stamp = event.get("Timestamp") or event.get("SequenceNumber") or ""
    return ":".join(["ami", event.get("Event", "?"), uniqueid, *parts, stamp])[:200]


def is_true(raw: object) -> bool:
    return str(raw).strip().lower() in ("1", "true", "yes", "on")


# --- mapping -------------------------------------------------------------------------------

def map_event(event: AmiEvent) -> Effects:
    """What one AMI event means for the database and the live view (NOTHING if unrelated)."""
    name = event.get("Event", "")
    handler = _HANDLERS.get(name)
    if handler is None and name in MEMBER_EVENTS:
        handler = _member
    if handler is None:
        return NOTHING
    return handler(event)


def _caller_join(e: AmiEvent) -> Effects:
    uid, queue, at = e.get("Uniqueid", ""), e.get("Queue"), event_time(e)
    if not uid or not queue:
        return NOTHING
    position = to_int(e.get("Position"))
    return Effects(
        rows=(EventRow(source_key(e, uid, queue), uid, "enter", queue=queue, position=position,
                       data={"count": to_int(e.get("Count")),
                             "channel": e.get("Channel")}, at=at),),
        call_changes=(_join_change(e, uid, queue, at),),
        live=(LiveChange("caller_join", queue, uid, {
            "uniqueid": uid, "caller": e.get("CallerIDNum", ""), "position": position,
            "channel": e.get("Channel", ""), "joined_at": at.isoformat() if at else None,
            "language": e.get("Language", "")}),),
    )


def _join_change(e: AmiEvent, uid: str, queue: str, at: dt.datetime | None) -> CallChange:
    new_only = {"caller_number": e.get("CallerIDNum"), "caller_name": e.get("CallerIDName"),
                "linkedid": e.get("Linkedid")}
    if at is not None:
        new_only["started_at"] = at
    return CallChange(uid, {"queue": queue, "status": "queued", **new_only},
                      only_if_new=frozenset(new_only))


def _caller_leave(e: AmiEvent) -> Effects:
    uid, queue = e.get("Uniqueid", ""), e.get("Queue")
    if not uid or not queue:
        return NOTHING
    return Effects(live=(LiveChange("caller_leave", queue, uid),))


def _caller_abandon(e: AmiEvent) -> Effects:
    uid, queue, at = e.get("Uniqueid", ""), e.get("Queue"), event_time(e)
    if not uid or not queue:
        return NOTHING
    fields: dict[str, Any] = {"status": "abandoned"}
    if at is not None:
        fields["ended_at"] = at
    return Effects(
        rows=(EventRow(source_key(e, uid, queue), uid, "abandon", queue=queue,
                       position=to_int(e.get("Position")),
                       wait_seconds=to_int(e.get("HoldTime")),
                       data={"original_position": to_int(e.get("OriginalPosition"))}, at=at),),
        call_changes=(CallChange(uid, fields),),
        live=(LiveChange("caller_leave", queue, uid),),
    )


def _agent_called(e: AmiEvent) -> Effects:
    agent = endpoint_of(e.get("Interface"))
    if not agent:
        return NOTHING
    return Effects(live=(LiveChange("agent_call", e.get("Queue"), agent, {
        "call_state": "ringing", "uniqueid": e.get("Uniqueid", ""),
        "caller": e.get("CallerIDNum", "")}),))


def _agent_connect(e: AmiEvent) -> Effects:
    uid, queue, at = e.get("Uniqueid", ""), e.get("Queue"), event_time(e)
    agent = endpoint_of(e.get("Interface"))
    if not uid or not queue:
        return NOTHING
    fields: dict[str, Any] = {"status": "answered", "queue": queue}
    if at is not None:
        fields["answered_at"] = at
    return Effects(
        rows=(EventRow(source_key(e, uid, queue), uid, "connect", queue=queue, agent=agent,
                       wait_seconds=to_int(e.get("HoldTime")),
                       data={"ring_seconds": to_int(e.get("RingTime")),
                             "agent_channel": e.get("DestChannel"),
                             "agent_uniqueid": e.get("DestUniqueid")}, at=at),),
        call_changes=(CallChange(uid, fields, operator_endpoint=agent),),
        live=(LiveChange("agent_call", queue, agent, {
            "call_state": "connected", "uniqueid": uid, "caller": e.get("CallerIDNum", ""),
            "channel": e.get("DestChannel", ""), "caller_channel": e.get("Channel", ""),
            "since": at.isoformat() if at else None}),) if agent else (),
        screen_pop={"endpoint": agent, "uniqueid": uid, "queue": queue,
                    "channel": e.get("Channel", ""),
                    "caller": e.get("CallerIDNum", "")} if agent else None,
    )


def _agent_complete(e: AmiEvent) -> Effects:
    uid, queue, at = e.get("Uniqueid", ""), e.get("Queue"), event_time(e)
    agent = endpoint_of(e.get("Interface"))
    if not uid or not queue:
        return NOTHING
    reason = e.get("Reason", "")
    changes: tuple[CallChange, ...] = ()
    if reason in ("caller", "agent"):
        fields: dict[str, Any] = {"status": "completed"}
        if at is not None:
            fields["ended_at"] = at
        changes = (CallChange(uid, fields),)
    return Effects(
        rows=(EventRow(source_key(e, uid, queue), uid, "complete", queue=queue, agent=agent,
                       wait_seconds=to_int(e.get("HoldTime")),
                       talk_seconds=to_int(e.get("TalkTime")),
                       data={"reason": reason}, at=at),),
        call_changes=changes,
        live=(LiveChange("agent_call", queue, agent, {"call_state": "idle"}),) if agent else (),
    )


def _agent_no_answer(e: AmiEvent) -> Effects:
    agent = endpoint_of(e.get("Interface"))
    if not agent:
        return NOTHING
    return Effects(live=(LiveChange("agent_call", e.get("Queue"), agent,
                                    {"call_state": "idle"}),))


def _blind_transfer(e: AmiEvent) -> Effects:
    uid = e.get("TransfereeUniqueid", "")
    if not uid:
        return NOTHING
    agent = endpoint_of(e.get("TransfererChannel"))
    return Effects(rows=(EventRow(
        source_key(e, uid), uid, "transfer", agent=agent,
        data={"type": "blind", "result": e.get("Result"), "context": e.get("Context"),
              "extension": e.get("Extension"), "transferer": e.get("TransfererChannel")},
        at=event_time(e)),))


def _attended_transfer(e: AmiEvent) -> Effects:
    uid = e.get("TransfereeUniqueid") or e.get("OrigTransfererUniqueid", "")
    if not uid:
        return NOTHING
    target = e.get("TransferTargetChannel") or e.get("SecondTransfererChannel")
    return Effects(rows=(EventRow(
        source_key(e, uid), uid, "transfer", agent=endpoint_of(e.get("OrigTransfererChannel")),
        data={"type": "attended", "result": e.get("Result"), "dest_type": e.get("DestType"),
              "target": endpoint_of(target) or target,
              "transferer": e.get("OrigTransfererChannel")},
        at=event_time(e)),))


def _user_event(e: AmiEvent) -> Effects:
    uid = e.get("Uniqueid", "")
    if not uid:
        return NOTHING
    if e.get("UserEvent") == "HotlineQueueExit":
        # an older dialplan repeated Uniqueid in the body; the AMI client joins repeats by \n
        return _queue_exit(e, uid.split("\n", 1)[0])
    if e.get("UserEvent") != "HotlineOverflow":
        return NOTHING
    queue = e.get("Queue")
    return Effects(rows=(EventRow(
        source_key(e, uid, queue or ""), uid, "overflow", queue=queue,
        data={"target": e.get("Target"), "reason": e.get("Reason"),
              "waiting": to_int(e.get("Waiting")), "longest_wait": to_int(e.get("Longest"))},
        at=event_time(e)),))


def _queue_exit(e: AmiEvent, uid: str) -> Effects:
    """The caller pressed * in a queue for a call back ([hotline-queue-exit]): the place
    they gave up is kept (app_queue's QUEUEPOSITION)."""
    queue = e.get("Queue") or None
    return Effects(rows=(EventRow(
        source_key(e, uid, queue or ""), uid, "exit", queue=queue,
        position=to_int(e.get("Position")), data={"reason": "callback", "key": "*"},
        at=event_time(e)),))


def _hangup(e: AmiEvent) -> Effects:
    uid = e.get("Uniqueid", "")
    # Only a call's first channel carries its recording (named by the call's unique id).
    if not uid or uid != e.get("Linkedid"):
        return NOTHING
    return Effects(recording_of=uid)


def _member(e: AmiEvent) -> Effects:
    agent = endpoint_of(e.get("Interface") or e.get("Location") or e.get("StateInterface"))
    queue = e.get("Queue")
    if not agent or not queue:
        return NOTHING
    return Effects(live=(LiveChange("member", queue, agent, member_state(e)),))


def _member_removed(e: AmiEvent) -> Effects:
    agent = endpoint_of(e.get("Interface") or e.get("Location"))
    if not agent or not e.get("Queue"):
        return NOTHING
    return Effects(live=(LiveChange("member_removed", e.get("Queue"), agent),))


def member_state(e: AmiEvent) -> dict[str, Any]:
    """A queue member as the live view keeps it (from QueueMember* events)."""
    paused = is_true(e.get("Paused"))
    status = MEMBER_STATUS.get(e.get("Status", "0"), "unknown")
    return {
        "name": e.get("MemberName") or e.get("Name") or "",
        "status": status,
        "paused": paused,
        "reason": (e.get("PausedReason") or e.get("Reason") or "") if paused else "",
        "penalty": to_int(e.get("Penalty")) or 0,
        "calls_taken": to_int(e.get("CallsTaken")) or 0,
        "in_call": is_true(e.get("InCall")),
    }


_HANDLERS = {
    "QueueCallerJoin": _caller_join,
    "QueueCallerLeave": _caller_leave,
    "QueueCallerAbandon": _caller_abandon,
    "AgentCalled": _agent_called,
    "AgentConnect": _agent_connect,
    "AgentComplete": _agent_complete,
    "AgentRingNoAnswer": _agent_no_answer,
    "BlindTransfer": _blind_transfer,
    "AttendedTransfer": _attended_transfer,
    "UserEvent": _user_event,
    "Hangup": _hangup,
    "QueueMemberRemoved": _member_removed,
}


def snapshot_from_status(events: list[AmiEvent]) -> dict[str, Any]:
    """The live view rebuilt from a QueueStatus answer (QueueParams/QueueMember/QueueEntry).

    Returns {"queues": {name: {"waiting": {uniqueid: caller}, "members": {endpoint: state}}}}.
    """
    queues: dict[str, dict[str, dict[str, Any]]] = {}
    for e in events:
        name = e.get("Queue")
        if not name:
            continue
        q = queues.setdefault(name, {"waiting": {}, "members": {}})
        kind = e.get("Event")
        if kind == "QueueMember":
            agent = endpoint_of(e.get("Location") or e.get("StateInterface"))
            if agent:
                q["members"][agent] = member_state(e)
        elif kind == "QueueEntry":
            uid = e.get("Uniqueid", "")
            q["waiting"][uid] = {
                "uniqueid": uid, "caller": e.get("CallerIDNum", ""),
                "position": to_int(e.get("Position")), "channel": e.get("Channel", ""),
                "wait_seconds": to_int(e.get("Wait")) or 0, "language": "",
            }
    return {"queues": queues}
