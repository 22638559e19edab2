"""Driving a session over a fake channel (ivr/driver.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from ivr.actions import CallContext, CollectSpec, Prompt, StartVoiceAppeal, StatusResult, ToQueue
from ivr.driver import collect, run_ivr
from ivr.machine import IvrSession
from ivr.menu import load_menu

MENU = load_menu()


class FakeChannel:
    """Keys come from a script; ``barge`` maps a file to a key pressed while it plays."""

    def __init__(self, keys: list[str | None], barge: Mapping[str, str] | None = None,
                 status: StatusResult | None = None) -> None:
        self.keys = list(keys)
        self.barge = dict(barge or {})
        self.status = status
        self.played: list[str] = []
        self.waits: list[float] = []
        self.variables: dict[str, str] = {}
        self.lookups: list[str] = []

    async def play(self, file: str, escape_keys: str) -> str | None:
        self.played.append(file)
        key = self.barge.pop(file, None)
        return key if key and key in escape_keys else None

    async def wait_digit(self, timeout: float) -> str | None:
        self.waits.append(timeout)
        return self.keys.pop(0) if self.keys else None

    async def set_variables(self, variables: Mapping[str, str]) -> None:
        self.variables.update(variables)

    async def lookup_status(self, number: str) -> StatusResult | None:
        self.lookups.append(number)
        return self.status


async def test_topic_call_ends_in_its_queue_with_variables_set() -> None:
    io = FakeChannel(["1", "1", "3"])
    end = await run_ivr(IvrSession(MENU, CallContext()), io)
    assert end == ToQueue("health", "uk", "health")
    assert io.variables["HOTLINE_ACTION"] == "queue"
    assert io.variables["HOTLINE_QUEUE"] == "health"
    assert io.variables["HOTLINE_IVR_PATH"] == "language:1>main:1>topic:3"
    assert io.played[-1] == "uk/connecting-operator"
    assert io.waits[:3] == [4.0, 5.0, 5.0]


async def test_a_key_during_a_prompt_cuts_it_short() -> None:
    io = FakeChannel(["0"], barge={"uk/welcome": "2"})
    end = await run_ivr(IvrSession(MENU, CallContext()), io)
    assert end == ToQueue("english", "en", None)
    assert io.played[:2] == ["uk/welcome", "en/main-menu"]
    assert io.variables["HOTLINE_LANGUAGE"] == "en"


async def test_status_check_collects_digits_until_hash() -> None:
    found = StatusResult("found", status="registered", due=dt.date(2025, 12, 1))
    io = FakeChannel(["1", "3", "1", "2", "3", "#", "0"], status=found)
    end = await run_ivr(IvrSession(MENU, CallContext()), io)
    assert io.lookups == ["123"]
    assert end == ToQueue("general", "uk", None)
    assert "uk/state-registered" in io.played and "uk/month-12-g" in io.played
    assert io.variables["HOTLINE_APPEAL_NUMBER"] == "123"


async def test_database_down_and_silence_still_reach_an_operator() -> None:
    io = FakeChannel(["1", "3", "4", "2"], status=None)
    end = await run_ivr(IvrSession(MENU, CallContext()), io)
    assert io.lookups == ["42"]
    assert "uk/status-unavailable" in io.played
    assert end == ToQueue("general", "uk", None)
    assert io.variables["HOTLINE_IVR_REASON"] == "retries"


async def test_closed_centre_with_a_silent_caller_takes_a_voice_appeal() -> None:
    io = FakeChannel([])
    end = await run_ivr(IvrSession(MENU, CallContext(is_open=False)), io)
    assert end == StartVoiceAppeal("uk", None)
    assert "uk/after-hours-menu" in io.played


async def test_collect_stops_at_max_digits_and_plays_a_plain_prompt_whole() -> None:
    io = FakeChannel(["1", "2", "3", "4"], barge={"uk/a": "9"})
    spec = CollectSpec(max_digits=3, timeout=7.0, terminator="#", allowed="0123456789")
    assert await collect(io, Prompt(("uk/a", "uk/b"), spec)) == "912"
    assert io.played == ["uk/a"] and io.waits == [5.0, 5.0]
    io = FakeChannel([], barge={"uk/a": "9"})
    assert await collect(io, Prompt(("uk/a", "uk/b"))) is None
    assert io.played == ["uk/a", "uk/b"]
