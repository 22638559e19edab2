"""A scripted fake Asterisk that speaks FastAGI to a real server over TCP.

Used by the unit tests and the benchmark (benchmarks/bench_agi.py). It sends the session
environment, answers each command, and plays a caller: ``keys`` are what the caller keys at
each ``Read`` (None: nothing, a timeout).

>>> fake = FakeAsterisk(port, keys=["1", "3"])                      # doctest: +SKIP
>>> await fake.session()                                            # doctest: +SKIP
>>> fake.variables["HOTLINE_ACTION"]                                # doctest: +SKIP
'queue'
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable


class FakeAsterisk:
    """One scripted AGI session per :meth:`session` call."""

    def __init__(self, port: int, keys: Iterable[str | None] = (), *, script: str = "ivr",
                 caller: str = "380441234567", uniqueid: str = "1700000000.1",
                 hangup_after: int | None = None) -> None:
        self.port = port
        self.keys = list(keys)
        self.script = script
        self.caller = caller
        self.uniqueid = uniqueid
        self.hangup_after = hangup_after
        self.commands: list[str] = []
        self.variables: dict[str, str] = {}
        self.played: list[str] = []
        self.latencies: list[float] = []  # result written -> next command read, seconds
        self._pending_keys: str | None = None

    def environment(self) -> bytes:
        env = {
            "agi_network": "yes", "agi_network_script": self.script,
            "agi_request": f"agi://127.0.0.1/{self.script}", "agi_channel": "PJSIP/carrier-1",
            "agi_language": "uk", "agi_type": "PJSIP", "agi_uniqueid": self.uniqueid,
            "agi_callerid": self.caller, "agi_calleridname": "Citizen",
            "agi_context": "from-carrier", "agi_extension": "1545", "agi_priority": "6",
        }
        return "".join(f"{k}: {v}\n" for k, v in env.items()).encode() + b"\n"

    def answer(self, command: str) -> str:
        """The result line Asterisk would send for *command*."""
        verb, _, rest = command.partition(" ")
        sub, _, args = rest.partition(" ")
        verb = f"{verb} {sub}".upper()
        if verb == "EXEC READ":
            self._pending_keys = self.keys.pop(0) if self.keys else None
            self.played.extend(_unquote(args).split(",")[1].split("&"))
            return "200 result=0"
        if verb == "EXEC PLAYBACK":
            self.played.extend(_unquote(args).split("&"))
            return "200 result=0"
        if verb == "SET VARIABLE":
            name, _, value = args.partition(" ")
            self.variables[name] = _unquote(value)
            return "200 result=1"
        if verb == "GET VARIABLE":
            if args == "HOTLINE_KEYS":
                value, self._pending_keys = self._pending_keys, None
            else:
                value = self.variables.get(args)
            return f"200 result=1 ({value})" if value else "200 result=0"
        return "200 result=0"

    async def session(self) -> list[str]:
        """Run one session to its end; returns the commands the server sent."""
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        writer.write(self.environment())
        await writer.drain()
        answered_at: float | None = None
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                if answered_at is not None:
                    self.latencies.append(time.perf_counter() - answered_at)
                command = line.decode().strip()
                self.commands.append(command)
                if self.hangup_after is not None and len(self.commands) > self.hangup_after:
                    writer.write(b"HANGUP\n")
                    await writer.drain()
                    break
                writer.write(self.answer(command).encode() + b"\n")
                await writer.drain()
                answered_at = time.perf_counter()
        finally:
            writer.close()
            try:
                await writer.wait_closed()
            except (ConnectionError, OSError):
                pass
        return self.commands


def _unquote(text: str) -> str:
    """The value of one quoted AGI argument (see agi_scripts.fastagi.quote)."""
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1]
    return text.replace('\\"', '"').replace("\\\\", "\\")


class MemoryCallLog:
    """A CallLog that keeps the call's record in memory (same methods as the real one)."""

    def __init__(self, session_factory=None) -> None:
        self.fields: dict[str, dict] = {}
        self.inputs: list[tuple[str, str, str | None, int | None]] = []
        self._factory = session_factory

    @property
    def session_factory(self):
        return self._factory

    async def call_started(self, uniqueid: str, **fields) -> None:
        self.fields.setdefault(uniqueid, {}).update(fields)

    async def ivr_input(self, uniqueid: str, node: str, digits: str | None,
                        step: int | None = None) -> None:
        self.inputs.append((uniqueid, node, digits, step))
