"""FastAGI protocol: a pure parser for the session environment and a typed channel facade.

Result lines are parsed by panoramisk's ``parse_agi_result``; the environment parser and the
connection handling are ours so that malformed or truncated input ends in a clear
:class:`AgiProtocolError` instead of a busy loop (panoramisk's server reads the environment
until a blank line even after the peer closed).

Example::

    async def ivr(agi: AgiChannel) -> None:
        await agi.answer()
        digits = await agi.get_data("beep", timeout_ms=3000, max_digits=1)
        await agi.set_variable("HOTLINE_ACTION", "queue")
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping

from panoramisk.utils import parse_agi_result

MAX_ENV_BYTES = 16 * 1024
MAX_ENV_LINES = 256
MAX_RESULT_LINE = 8 * 1024
ENV_KEY = re.compile(r"^agi_[a-z0-9_]{1,64}$")


class AgiError(Exception):
    """Base of every FastAGI error."""


class AgiProtocolError(AgiError):
    """The peer sent something that is not FastAGI."""


class AgiEmptyConnection(AgiProtocolError):
    """The peer connected and closed without a byte (a port probe, a health check)."""


class AgiHangup(AgiError):
    """The caller hung up (result -1 with hangup, or a HANGUP line)."""


class AgiInvalidCommand(AgiError):
    """510: Asterisk does not know the command."""


class AgiUsageError(AgiError):
    """520: the command's syntax was wrong."""


class AgiAppError(AgiError):
    """result=-1: the application failed (or the channel went away)."""


_ERRORS: Mapping[str, type[AgiError]] = {
    "AGIResultHangup": AgiHangup,
    "AGIInvalidCommand": AgiInvalidCommand,
    "AGIUsageError": AgiUsageError,
    "AGIAppError": AgiAppError,
}


def parse_environment(raw: bytes) -> dict[str, str]:
    """Parse the ``agi_*: value`` block that opens a FastAGI session.

    >>> parse_environment(b"agi_network: yes\\nagi_network_script: ivr\\n\\n")
    {'agi_network': 'yes', 'agi_network_script': 'ivr'}
    """
    if len(raw) > MAX_ENV_BYTES:
        raise AgiProtocolError("AGI environment too large")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    lines = text.replace("\r\n", "\n").split("\n")
    env: dict[str, str] = {}
    for line in lines:
        if not line:
            continue
        key, sep, value = line.partition(": ")
        if not sep:
            key, sep, value = line.partition(":")
        key = key.strip()
        if not sep or not ENV_KEY.match(key):
            raise AgiProtocolError(f"malformed AGI environment line: {line[:80]!r}")
        env[key] = value.strip()
    if len(env) > MAX_ENV_LINES:
        raise AgiProtocolError("too many AGI environment lines")
    if "agi_network_script" not in env and "agi_request" not in env:
        raise AgiProtocolError("AGI environment names no script")
    return env


def script_name(env: Mapping[str, str]) -> str:
    """The route asked for: ``agi_network_script``, else the path of ``agi_request``."""
    name = env.get("agi_network_script")
    if not name:
        request = env.get("agi_request", "")
        name = request.split("://", 1)[-1].split("/", 1)[-1] if "://" in request else request
    return name.split("?", 1)[0].strip("/")


async def read_environment(reader: asyncio.StreamReader, timeout: float = 5.0) -> dict[str, str]:
    """Read the environment block up to its blank line, with a size and time limit."""
    try:
        raw = await asyncio.wait_for(reader.readuntil(b"\n\n"), timeout)
    except asyncio.IncompleteReadError as exc:
        if not exc.partial:
            raise AgiEmptyConnection("connection closed without a byte") from exc
        raise AgiProtocolError("connection closed before the AGI environment ended") from exc
    except asyncio.LimitOverrunError as exc:
        raise AgiProtocolError("AGI environment too large") from exc
    except TimeoutError as exc:
        raise AgiProtocolError("AGI environment not received in time") from exc
    return parse_environment(raw)


def quote(arg: str) -> str:
    """Quote one AGI command argument (no newlines may reach Asterisk)."""
    cleaned = arg.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ").replace("\r", " ")
    return f'"{cleaned}"'


class AgiChannel:
    """A typed facade over one FastAGI session's channel."""

    def __init__(
        self,
        env: Mapping[str, str],
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        command_timeout: float = 120.0,
    ) -> None:
        self.env = dict(env)
        self._reader = reader
        self._writer = writer
        self._timeout = command_timeout
        self.commands_sent = 0

    @property
    def uniqueid(self) -> str:
        return self.env.get("agi_uniqueid", "")

    @property
    def caller_id(self) -> str:
        return self.env.get("agi_callerid", "")

    @property
    def dialed(self) -> str:
        return self.env.get("agi_extension", "")

    async def command(self, line: str) -> tuple[str, str]:
        """Send one command; return (result, data) or raise the matching AgiError."""
        if "\n" in line or "\r" in line:
            raise ValueError("an AGI command is one line")
        self._writer.write(line.encode("utf-8") + b"\n")
        await self._writer.drain()
        self.commands_sent += 1
        # one timer per command (asyncio.timeout), not a task per read (wait_for)
        async with asyncio.timeout(self._timeout):
            return await self._read_result(line)

    async def _read_result(self, line: str) -> tuple[str, str]:
        while True:
            raw = await self._reader.readline()
            if not raw:
                raise AgiHangup("connection closed by Asterisk")
            if len(raw) > MAX_RESULT_LINE:
                raise AgiProtocolError("AGI result line too long")
            text = raw.decode("utf-8", "replace").rstrip("\r\n")
            if text.startswith("520-"):
                # multi-line usage message ends with a line starting "520 End"
                while not text.startswith("520 "):
                    more = await self._reader.readline()
                    if not more:
                        raise AgiHangup("connection closed by Asterisk")
                    text = more.decode("utf-8", "replace").rstrip("\r\n")
                raise AgiUsageError(line)
            try:
                parsed = parse_agi_result(text)
            except (ValueError, TypeError) as exc:
                raise AgiProtocolError(f"unparsable AGI result {text[:80]!r}") from exc
            if parsed.get("status_code") == 100:
                continue
            error = parsed.get("error")
            if error:
                raise _ERRORS.get(error, AgiError)(f"{line}: {parsed.get('msg', '')}".strip())
            if parsed.get("status_code") != 200:
                raise AgiProtocolError(f"unexpected AGI result {text[:80]!r}")
            return parsed.get("result", ("", ""))

    async def answer(self) -> None:
        await self.command("ANSWER")

    async def get_data(self, prompt: str, timeout_ms: int, max_digits: int) -> str | None:
        """Play *prompt* and collect up to *max_digits*; None when nothing was keyed."""
        result, data = await self.command(f"GET DATA {prompt} {int(timeout_ms)} {int(max_digits)}")
        if data == "timeout" and not result:
            return None
        return result or None

    async def stream_file(self, prompt: str, escape_digits: str = "") -> str | None:
        """Play *prompt*; return the digit that interrupted it, if any."""
        result, _ = await self.command(f'STREAM FILE {prompt} "{escape_digits}"')
        code = int(result or "0")
        return chr(code) if code > 0 else None

    async def wait_for_digit(self, timeout_ms: int) -> str | None:
        result, _ = await self.command(f"WAIT FOR DIGIT {int(timeout_ms)}")
        code = int(result or "0")
        return chr(code) if code > 0 else None

    async def set_variable(self, name: str, value: str) -> None:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_()]{0,63}", name):
            raise ValueError(f"bad channel variable name {name!r}")
        await self.command(f"SET VARIABLE {name} {quote(value)}")

    async def get_variable(self, name: str) -> str | None:
        result, data = await self.command(f"GET VARIABLE {name}")
        return data if result == "1" else None

    async def exec(self, application: str, args: str = "") -> str:
        result, _ = await self.command(f"EXEC {application} {quote(args)}")
        return result

    async def verbose(self, message: str, level: int = 1) -> None:
        await self.command(f"VERBOSE {quote(message)} {int(level)}")

    async def hangup(self) -> None:
        await self.command("HANGUP")
