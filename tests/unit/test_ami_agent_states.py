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
    believed_logged_in,
    missing_members,
    write_agent_states,
    write_missing_logouts,
)
from agi_scripts.ami_events import snapshot_from_status
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


# ---------------------------------------------------------------- members Asterisk forgot
def test_members_missing_from_queue_status_are_logged_out_once(factory):
    """After a restart QueueStatus lacks op4bded41 (common: logged in, english: paused);
    op2c71a0e is back in english; op9 had logged out; a Local member is no operator."""
    rows = [("op4bded41", "common", "login", None, 0), ("op4bded41", "english", "login", None, 1),
            ("op4bded41", "english", "pause", "break", 2), ("op2c71a0e", "english", "login", None, 3),
            ("op9", "common", "login", None, 4), ("op9", "common", "logout", None, 5),
            ("op4bded41", "social", "login", None, 6), ("op4bded41", "social", "unpause", None, 7)]
    write_agent_states(factory, [AgentStateChange(a, q, s, r, at(t)) for a, q, s, r, t in rows])
    snapshot = snapshot_from_status(trace("queue_status_after_asterisk_restart"))
    asked = at(600)
    with factory() as session:
        believed = believed_logged_in(session, asked)
    assert believed == {("op4bded41", "common"), ("op4bded41", "english"),
                        ("op4bded41", "social"), ("op2c71a0e", "english")}
    assert write_missing_logouts(factory, (snapshot, asked)) == 3
    with factory() as session:
        logouts = session.scalars(select(AgentStateEvent).where(
            AgentStateEvent.state == "logout", AgentStateEvent.at == asked)).all()
        assert sorted((e.agent, e.queue, e.reason) for e in logouts) == [
            ("op4bded41", "common", "asterisk-restart"), ("op4bded41", "english", "asterisk-restart"),
            ("op4bded41", "social", "asterisk-restart")]
        assert all(e.user_id is not None for e in logouts)  # found by sip_endpoint
    # the same snapshot again (a second login, a Redis repair): nothing new, now or later
    assert write_missing_logouts(factory, (snapshot, asked + dt.timedelta(seconds=1))) == 0
    assert write_missing_logouts(factory, (snapshot, asked + dt.timedelta(minutes=5))) == 0


def test_a_change_newer_than_the_question_is_not_taken_for_missing(factory):
    write_agent_states(factory, [AgentStateChange("op4bded41", "common", "login", None, at(10))])
    snapshot = snapshot_from_status(trace("queue_status_after_asterisk_restart"))
    assert write_missing_logouts(factory, (snapshot, at(9))) == 0
    assert write_missing_logouts(factory, (snapshot, at(11))) == 1


def test_missing_members_is_pure_and_ignores_present_members():
    snapshot = {"queues": {"common": {"members": {"op1": "idle"}, "waiting": {}}}}
    out = missing_members({("op1", "common"), ("op1", "social"), ("op2", "common")}, snapshot, at(0))
    assert [(c.agent, c.queue, c.state, c.reason) for c in out] == [
        ("op1", "social", "logout", "asterisk-restart"), ("op2", "common", "logout", "asterisk-restart")]
    assert missing_members(set(), {}, at(0)) == ()
