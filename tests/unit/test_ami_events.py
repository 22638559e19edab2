"""The pure AMI event mapping, replayed from traces recorded on the real sandbox
(tests/fixtures/ami/, written by the queue e2e tests with HOTLINE_RECORD_AMI)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agi_scripts.ami_events import endpoint_of, map_event, snapshot_from_status, source_key
from agi_scripts.live_state import agent_state, agent_view
from agi_scripts.queue_config import QueueConfigError, build_queue_specs, check_queue_name

TRACES = Path(__file__).resolve().parents[1] / "fixtures" / "ami"


def trace(name: str) -> list[dict[str, str]]:
    return json.loads((TRACES / f"{name}.json").read_text(encoding="utf-8"))


def rows(name: str):
    return [r for e in trace(name) for r in map_event(e).rows]


def test_answered_call_gives_enter_connect_complete_once():
    out = rows("answered_call")
    assert [r.kind for r in out] == ["enter", "connect", "complete"]
    enter, connect, complete = out
    assert enter.queue == "common" and enter.position == 1
    assert connect.agent == "op1001" and connect.wait_seconds is not None
    assert complete.talk_seconds == 5 and complete.data["reason"] == "agent"
    assert len({r.source_key for r in out}) == 3
    assert all(r.uniqueid == enter.uniqueid for r in out)


def test_replaying_a_trace_gives_the_same_keys():
    first = [r.source_key for r in rows("answered_call")]
    assert first == [r.source_key for r in rows("answered_call")]


def test_abandon_carries_position_and_wait():
    out = rows("pause_stops_calls_and_abandon_records_the_wait")
    abandon = [r for r in out if r.kind == "abandon"]
    assert len(abandon) == 1 and abandon[0].position == 1 and abandon[0].wait_seconds >= 3
    assert "connect" not in [r.kind for r in out]


def test_transfers_are_written_for_the_caller():
    out = rows("blind_then_attended_transfer")
    transfers = [r for r in out if r.kind == "transfer"]
    assert [t.data["type"] for t in transfers] == ["blind", "attended"]
    enters = {r.uniqueid for r in out if r.kind == "enter"}
    assert {t.uniqueid for t in transfers} <= enters  # the caller's call, not the operator's leg
    assert transfers[0].data["extension"] == "queue"


def test_overflow_reasons_from_the_dialplan_user_event():
    out = [r for r in rows("overflow_by_length_and_by_wait") if r.kind == "overflow"]
    # the third caller found two waiting; the first two waited 8 s each
    assert sorted(r.data["reason"] for r in out) == ["length", "wait", "wait"]
    assert all(r.queue == "common" and r.data["target"] == "consult" for r in out)


def test_screen_pop_and_recording_follow_ups():
    effects = [map_event(e) for e in trace("answered_call")]
    pops = [fx.screen_pop for fx in effects if fx.screen_pop]
    assert len(pops) == 1 and pops[0]["endpoint"] == "op1001"
    recs = [fx.recording_of for fx in effects if fx.recording_of]
    assert recs == [pops[0]["uniqueid"]]  # only the caller's channel (uniqueid == linkedid)


def test_unrelated_and_broken_events_map_to_nothing():
    assert not map_event({"Event": "Newexten", "Uniqueid": "1.1"})
    assert not map_event({"Event": "QueueCallerJoin"})  # no uniqueid, no queue
    assert not map_event({"Event": "AgentConnect", "Uniqueid": "1.1"})
    assert not map_event({"Event": "UserEvent", "UserEvent": "Other", "Uniqueid": "1.1"})
    fx = map_event({"Event": "QueueCallerAbandon", "Uniqueid": "1.1", "Queue": "q",
                    "HoldTime": "x", "Timestamp": "garbage"})
    assert fx.rows[0].wait_seconds is None and fx.rows[0].at is None


@pytest.mark.parametrize("raw,expected", [
    ("PJSIP/op1001", "op1001"), ("PJSIP/op1001-0000001a", "op1001"),
    ("PJSIP/op-with-dash", "op-with-dash"), ("Local/1@x", None), (None, None), ("", None)])
def test_endpoint_of(raw, expected):
    assert endpoint_of(raw) == expected


def test_source_key_uses_event_name_call_and_timestamp():
    e = {"Event": "AgentConnect", "Timestamp": "1700000000.000001"}
    assert source_key(e, "1.2", "common") == "ami:AgentConnect:1.2:common:1700000000.000001"


def test_snapshot_and_agent_view():
    status = [
        {"Event": "QueueMember", "Queue": "common", "Location": "PJSIP/op1", "Name": "One",
         "Status": "1", "Paused": "1", "PausedReason": "break", "InCall": "0", "Penalty": "2"},
        {"Event": "QueueEntry", "Queue": "common", "Uniqueid": "9.9", "CallerIDNum": "380",
         "Position": "1", "Wait": "12"},
    ]
    snap = snapshot_from_status(status)["queues"]["common"]
    assert snap["members"]["op1"]["paused"] and snap["members"]["op1"]["reason"] == "break"
    assert snap["waiting"]["9.9"]["wait_seconds"] == 12
    assert agent_state(snap["members"], None) == "paused"
    member = dict(snap["members"]["op1"], paused=False)
    assert agent_state({"common": member}, {"call_state": "connected"}) == "talking"
    assert agent_state({"common": member}, None) == "available"
    assert agent_view({}, None, None, None) is None


def test_queue_specs_from_data_and_routing_rules():
    class Rule:
        def __init__(self, queue, divert_to, max_waiting=None, max_wait_seconds=None):
            self.queue, self.divert_to = queue, divert_to
            self.max_waiting, self.max_wait_seconds = max_waiting, max_wait_seconds

        def applies_to(self, q):
            return self.queue in (q, "*")

    doc = {"defaults": {"wrapuptime": 5}, "queues": {"social": {"wrapuptime": 9}}}
    specs = {s.name: s for s in build_queue_specs(
        doc, general_queue="common", routing_queues=["general", "social", "priority"],
        overflow_rules=[Rule("social", "general", 20, 300), Rule("*", "callback", 40)],
        never_divert=["priority"])}
    assert set(specs) == {"common", "social", "priority"}
    assert specs["social"].overflow_to == "common" and specs["social"].max_waiting == 20
    assert specs["social"].wrapuptime == 9 and specs["common"].wrapuptime == 5
    assert specs["common"].overflow_to == "callback"
    assert specs["priority"].overflow_to == ""
    with pytest.raises(QueueConfigError):
        build_queue_specs({"queues": {"x": {"strategy": "nope"}}})
    for bad in ("general", "A", "s", "bad-name"):
        with pytest.raises(QueueConfigError):
            check_queue_name(bad)


def test_star_in_the_queue_is_an_exit_with_the_position():
    # recorded on the sandbox (test_queue_wait): the third caller of the general queue
    # pressed * and asked for a call back
    events = trace("queue_exit_for_callback")
    exits = [r for r in rows("queue_exit_for_callback") if r.kind == "exit"]
    assert len(exits) == 1
    (row,) = exits
    assert row.queue == "common" and row.position == 3
    assert row.data == {"reason": "callback", "key": "*"} and row.at is not None
    enter = next(r for r in rows("queue_exit_for_callback") if r.kind == "enter"
                 and r.uniqueid == row.uniqueid)
    assert enter.position == 3
    # leaving with a key is not an abandon, and a replay maps to the same row
    assert "abandon" not in [r.kind for r in rows("queue_exit_for_callback")
                             if r.uniqueid == row.uniqueid]
    user_event = next(e for e in events if e.get("UserEvent") == "HotlineQueueExit")
    assert map_event(user_event).rows == (row,)


def test_queue_exit_without_a_call_or_position():
    assert not map_event({"Event": "UserEvent", "UserEvent": "HotlineQueueExit"})
    fx = map_event({"Event": "UserEvent", "UserEvent": "HotlineQueueExit", "Uniqueid": "1.5",
                    "Queue": "", "Position": ""})
    assert fx.rows[0].kind == "exit" and fx.rows[0].queue is None
    assert fx.rows[0].position is None and not fx.call_changes
    # an older dialplan repeated Uniqueid in the body: the AMI client joined both with \n
    fx = map_event({"Event": "UserEvent", "UserEvent": "HotlineQueueExit",
                    "Uniqueid": "1.5\n1.5", "Queue": "common", "Position": "2"})
    assert fx.rows[0].uniqueid == "1.5" and fx.rows[0].position == 2


def test_queue_languages_and_reminder_frequency_are_checked():
    specs = {s.name: s for s in build_queue_specs(
        {"defaults": {"periodic_announce_frequency": 20},
         "queues": {"english": {"language": "en", "periodic_announce_frequency": 0}}})}
    assert specs["english"].language == "en" and specs["english"].periodic_announce_frequency == 0
    assert specs["common"].language == "uk" and specs["common"].periodic_announce_frequency == 20
    for bad in ({"language": "de"}, {"periodic_announce_frequency": -1}):
        with pytest.raises(QueueConfigError):
            build_queue_specs({"queues": {"x": bad}})
