"""The FastAGI server against a fake Asterisk speaking the protocol over real TCP."""

from __future__ import annotations

import asyncio

import pytest

from agi_scripts.context import AgiContext
from agi_scripts.fastagi import AgiChannel, AgiUsageError
from agi_scripts.server import FastAgiServer
from hotline.settings import Settings


class FakeAsterisk:
    """Connects like Asterisk's res_agi and answers commands from a script."""

    def __init__(self, port: int, script: str = "ivr") -> None:
        self.port = port
        self.script = script
        self.commands: list[str] = []

    async def session(self, answers: dict[str, str], default: str = "200 result=0",
                      env_extra: bytes = b"") -> list[str]:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        writer.write(
            b"agi_network: yes\nagi_network_script: " + self.script.encode()
            + b"\nagi_uniqueid: 1.1\nagi_callerid: 380441234567\nagi_extension: 1545\n"
            + env_extra + b"\n"
        )
        await writer.drain()
        while True:
            line = await reader.readline()
            if not line:
                break
            cmd = line.decode().strip()
            self.commands.append(cmd)
            verb = " ".join(cmd.split()[:2])
            reply = answers.get(verb, default)
            writer.write(reply.encode() + b"\n")
            await writer.drain()
        writer.close()
        return self.commands


class MemoryCallLog:
    def __init__(self) -> None:
        self.started: list[tuple[str, dict]] = []
        self.inputs: list[tuple[str, str, str | None]] = []

    async def call_started(self, uniqueid, **fields):
        self.started.append((uniqueid, fields))

    async def ivr_input(self, uniqueid, node, digits):
        self.inputs.append((uniqueid, node, digits))


async def _server(routes) -> tuple[FastAgiServer, MemoryCallLog]:
    log = MemoryCallLog()
    server = FastAgiServer(routes, AgiContext(settings=Settings(), call_log=log))  # type: ignore[arg-type]
    await server.start("127.0.0.1", 0)
    return server, log


async def test_minimal_ivr_records_the_digit_and_queues():
    from agi_scripts.ivr_minimal import ivr_minimal

    server, log = await _server({"ivr": ivr_minimal})
    try:
        fake = FakeAsterisk(server.port)
        cmds = await fake.session({"GET DATA": "200 result=7"})
    finally:
        await server.close()
    assert log.inputs == [("1.1", "choice", "7")]
    assert log.started[0][1]["caller_number"] == "380441234567"
    assert 'SET VARIABLE HOTLINE_ACTION "queue"' in cmds
    assert server.stats.completed == 1


async def test_timeout_without_digits_is_none():
    from agi_scripts.ivr_minimal import ivr_minimal

    server, log = await _server({"ivr": ivr_minimal})
    try:
        await FakeAsterisk(server.port).session({"GET DATA": "200 result= (timeout)"})
    finally:
        await server.close()
    assert log.inputs == [("1.1", "choice", None)]


async def test_failing_script_clears_the_action_for_the_dialplan_fallback():
    async def broken(agi: AgiChannel, ctx) -> None:
        await agi.answer()
        raise RuntimeError("database exploded")

    server, _ = await _server({"ivr": broken})
    try:
        cmds = await FakeAsterisk(server.port).session({})
    finally:
        await server.close()
    assert cmds[0] == "ANSWER"
    assert 'SET VARIABLE HOTLINE_ACTION ""' in cmds
    assert 'SET VARIABLE HOTLINE_FALLBACK "script-error"' in cmds
    assert server.stats.failures == 1


async def test_unknown_route_takes_the_fallback():
    server, _ = await _server({})
    try:
        cmds = await FakeAsterisk(server.port, script="nope").session({})
    finally:
        await server.close()
    assert 'SET VARIABLE HOTLINE_FALLBACK "unknown-route"' in cmds
    assert server.stats.unknown_routes == 1


async def test_hangup_ends_the_session_quietly():
    async def script(agi: AgiChannel, ctx) -> None:
        await agi.get_data("beep", 1000, 1)
        raise AssertionError("not reached")

    server, _ = await _server({"ivr": script})
    try:
        await FakeAsterisk(server.port).session({"GET DATA": "HANGUP"})
    finally:
        await server.close()
    assert server.stats.hangups == 1
    assert server.stats.failures == 0


async def test_usage_error_is_raised_as_agi_usage_error():
    seen: list[Exception] = []

    async def script(agi: AgiChannel, ctx) -> None:
        try:
            await agi.command("GET DATA")
        except AgiUsageError as exc:
            seen.append(exc)
        await agi.set_variable("HOTLINE_ACTION", "queue")

    server, _ = await _server({"ivr": script})
    try:
        await FakeAsterisk(server.port).session(
            {"GET DATA": "520-Invalid command syntax.  Proper usage follows:\nUsage: GET DATA\n520 End of proper usage."}
        )
    finally:
        await server.close()
    assert len(seen) == 1


@pytest.mark.parametrize(
    ("garbage", "protocol_errors"),
    [(b"", 0), (b"\x00\x01\x02", 1), (b"GET / HTTP/1.0\r\n\r\n", 1)],
)
async def test_garbage_connections_are_rejected_without_killing_the_server(garbage, protocol_errors):
    from agi_scripts.ivr_minimal import ivr_minimal

    server, log = await _server({"ivr": ivr_minimal})
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(garbage)
        writer.write_eof()
        await asyncio.wait_for(reader.read(), 6)
        writer.close()
        # the server still serves a good session afterwards
        await FakeAsterisk(server.port).session({"GET DATA": "200 result=1"})
    finally:
        await server.close()
    assert server.stats.protocol_errors == protocol_errors  # an empty probe is no error
    assert log.inputs == [("1.1", "choice", "1")]
