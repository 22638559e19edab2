"""Operators' state changes from AMI member events, and the rule that writes each change once
whether the console, the AMI consumer or both saw it (traces recorded on the real sandbox,
a SQLite database for the writer)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from agi_scripts.ami_agent_states import (
    AgentStateChange,
    StoredState,
    agent_state_change,
    already_recorded,
    write_agent_states,
)
from appeal_store.db import make_engine, make_session_factory
from appeal_store.migrate import upgrade
from appeal_store.models import AgentStateEvent
from appeal_store.users import create_user

TRACES = Path(__file__).resolve().parents[1] / "fixtures" / "ami"
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def trace(name: str) -> list[dict[str, str]]:
    return json.loads((TRACES / f"{name}.json").read_text(encoding="utf-8"))


def changes(name: str) -> list[AgentStateChange]:
    return [c for e in trace(name) for c in agent_state_change(e)]


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


# ---------------------------------------------------------------- mapping (pure)
def test_console_login_pause_unpause_trace_maps_to_three_changes():
    out = changes("pause_stops_calls_and_abandon_records_the_wait")
    assert [(c.state, c.reason, c.queue) for c in out] == [
        ("login", None, "common"), ("pause", "break", "common"), ("unpause", None, "common")]
    assert {c.agent for c in out} == {"op4bded41"}
    assert out[0].at < out[1].at < out[2].at and out[0].at.tzinfo is not None


def test_removed_member_is_a_logout_per_queue():
    out = changes("blind_then_attended_transfer")
    assert [(c.agent[-1], c.state, c.queue) for c in out] == [
        ("1", "login", "common"), ("2", "login", "consult"), ("2", "logout", "consult")]


def test_cli_pause_trace_and_member_added_paused():
    out = changes("cli_pause_member")
    assert [(c.state, c.reason) for c in out] == [
        ("login", None), ("pause", "lunch"), ("unpause", None), ("login", None),
        ("pause", None), ("logout", None)]


@pytest.mark.parametrize("event", [
    {"Event": "QueueMemberPause", "Queue": "common", "Interface": "Local/done@x",
     "Paused": "1", "Timestamp": "1795800771.66"},  # not an operator's phone
    {"Event": "QueueMemberPause", "Queue": "common", "Interface": "PJSIP/op1", "Paused": "1"},
    {"Event": "QueueMemberPause", "Interface": "PJSIP/op1", "Paused": "1", "Timestamp": "1.0"},
    {"Event": "QueueMemberStatus", "Queue": "common", "Interface": "PJSIP/op1", "Paused": "1",
     "Timestamp": "1795800771.66"},
    {"Event": "QueueMemberPause", "Queue": "common", "Interface": "PJSIP/op1", "Paused": "1",
     "Timestamp": "not a time"},
])
def test_events_without_an_operator_queue_or_time_are_not_changes(event):
    assert agent_state_change(event) == ()


# ---------------------------------------------------------------- the rule (pure)
def change(state: str, seconds: float, reason: str | None = None) -> AgentStateChange:
    return AgentStateChange("op1", "common", state, reason, at(seconds))


def test_a_replayed_event_is_recorded():
    assert already_recorded(change("pause", 0, "break"), [StoredState("pause", "break", at(0))])


def test_the_consoles_row_absorbs_asterisks_event_either_order():
    console_row = [StoredState("pause", "break", at(0.3))]
    assert already_recorded(change("pause", 0, "break"), console_row)  # event after console
    consumer_row = [StoredState("pause", "break", at(0))]
    assert already_recorded(change("pause", 0.3, "break"), consumer_row)  # console after event


def test_a_fast_toggle_keeps_each_transition():
    rows = [StoredState("pause", "break", at(0.1)), StoredState("unpause", None, at(0.6)),
            StoredState("pause", "break", at(1.1))]
    assert already_recorded(change("pause", 0, "break"), rows)
    assert already_recorded(change("unpause", 0.5), rows)
    assert already_recorded(change("pause", 1.0, "break"), rows)
    # an unpause from the CLI nobody recorded yet, between console pauses
    assert not already_recorded(change("unpause", 0.5), rows[:1] + rows[2:])


def test_other_reason_far_rows_and_no_rows_are_new():
    assert not already_recorded(change("pause", 0, "training"),
                                [StoredState("pause", "break", at(0))])
    assert not already_recorded(change("pause", 0, "break"), [StoredState("pause", "break", at(9))])
    assert not already_recorded(change("login", 0), [])


# ---------------------------------------------------------------- the writer (SQLite)
@pytest.fixture
def factory(sqlite_url):
    upgrade(sqlite_url)
    f = make_session_factory(make_engine(sqlite_url))
    with f() as session:
        create_user(session, "olena", "pw-olena-123456", "operator", sip_endpoint="op4bded41")
        session.commit()
    return f


def stored(factory) -> list[tuple]:
    with factory() as session:
        return [(e.state, e.reason, e.queue, e.user_id is not None) for e in session.scalars(
            select(AgentStateEvent).order_by(AgentStateEvent.at, AgentStateEvent.id))]


def test_trace_written_once_even_when_replayed_and_the_user_found(factory):
    out = changes("pause_stops_calls_and_abandon_records_the_wait")
    assert write_agent_states(factory, out) == 3
    assert write_agent_states(factory, out) == 0
    assert stored(factory) == [("login", None, "common", True), ("pause", "break", "common", True),
                               ("unpause", None, "common", True)]


def test_console_then_consumer_and_consumer_then_console_give_one_row(factory):
    event = change("pause", 0, "break")
    console = AgentStateChange("op4bded41", "common", "pause", "break", at(0.4))
    consumer = AgentStateChange("op4bded41", "common", "pause", "break", event.at)
    assert write_agent_states(factory, [console]) == 1
    assert write_agent_states(factory, [consumer]) == 0
    later = [AgentStateChange("op4bded41", "common", "unpause", None, at(60)),
             AgentStateChange("op4bded41", "common", "unpause", None, at(60.2))]
    assert write_agent_states(factory, later[1:]) == 1  # the consumer first this time
    assert write_agent_states(factory, later[:1]) == 0
    assert [s[0] for s in stored(factory)] == ["pause", "unpause"]


# ---------------------------------------------------------------- the other gaps' traces
def test_outside_transfer_trace_gives_a_blind_transfer_row_for_the_citizen():
    from agi_scripts.ami_events import map_event

    out = [r for e in trace("transfer_to_a_bodys_hotline_through_the_carrier")
           for r in map_event(e).rows]
    (enter,) = [r for r in out if r.kind == "enter"]
    (xfer,) = [r for r in out if r.kind == "transfer"]
    assert xfer.uniqueid == enter.uniqueid and xfer.data["extension"] == "outside"
    assert xfer.data["type"] == "blind" and xfer.data["context"] == "hotline-transfer"


def test_longest_wait_overflow_trace_carries_the_longest_wait():
    from agi_scripts.ami_events import map_event

    (row,) = [r for e in trace("overflow_by_the_queues_longest_wait")
              for r in map_event(e).rows if r.kind == "overflow"]
    assert row.data == {"target": "consult", "reason": "longest", "waiting": 1,
                        "longest_wait": 11}


def test_outside_target_only_for_directory_numbers_with_the_configured_dial():
    from agi_scripts.transfers import TransferError, outside_target

    directory = {"0800501234": "Пенсійний фонд"}
    assert outside_target("0800 50 12 34", directory).value == "PJSIP/0800501234@carrier"
    dial = "PJSIP/carrier/sip:{number}@127.0.0.2:5070"
    assert outside_target("0800501234", directory, dial).value == \
        "PJSIP/carrier/sip:0800501234@127.0.0.2:5070"
    # only the directory's digits reach the dial string, never what was typed
    assert outside_target("0800501234;x@evil", directory).value == "PJSIP/0800501234@carrier"
    for number in ("0800501235", "1545", "+380441234567", ""):
        with pytest.raises(TransferError):
            outside_target(number, directory)
    with pytest.raises(TransferError):
        outside_target("0800501234", directory, "PJSIP/carrier")
