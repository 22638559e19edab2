"""FastAGI server benchmark: many concurrent synthetic AGI sessions through the real `ivr`.

Each session is a fake Asterisk over loopback TCP (agi_scripts.ivr_testing.FakeAsterisk):
the environment, then a canned "200 result=..." for every command of a menu walk —
language 1, main menu 1, topic 2 → utilities queue (about a dozen commands) — then close.
The call log is in memory, so the figure is the server's own work (protocol, state
machine, prompt paths, variables), not the database's.

Decision latency, measured inside the server: from the moment AgiChannel.command returns
a parsed result to the moment the script calls it with its next command (the IVR's own
work per step). Round trip, measured by the fake: from writing a result line to reading the
next command (adds loopback TCP and the wait behind the other sessions on the one core).

Baseline, same run: a bare asyncio line server that answers each line with the next
canned command, driven by the same fake over the same number of round trips.

    taskset -c 0 .venv/bin/python benchmarks/bench_agi.py --sessions 5000 --concurrency 100
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agi_scripts.context import AgiContext
from agi_scripts.ivr_testing import FakeAsterisk, MemoryCallLog
from agi_scripts.routes import routes
from agi_scripts.server import FastAgiServer
from hotline.settings import Settings

KEYS = ["1", "1", "2"]
OPEN_CALENDAR = "hours: {" + ", ".join(
    f"{d}: ['00:00-24:00']" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")) + "}\n"


async def drive(port: int, sessions: int, concurrency: int, commands: list[int]
                ) -> tuple[float, list[float]]:
    latencies: list[float] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(sessions):
        queue.put_nowait(i)

    async def worker() -> None:
        while not queue.empty():
            i = queue.get_nowait()
            fake = FakeAsterisk(port, KEYS, uniqueid=f"1700000000.{i}")
            await fake.session()
            latencies.extend(fake.latencies)
            commands.append(len(fake.commands))

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started, latencies


class DecisionTimer:
    """Wraps AgiChannel.command to time the script's work between two commands."""

    def __init__(self) -> None:
        self.samples: list[float] = []

    def install(self) -> None:
        from agi_scripts.fastagi import AgiChannel

        original = AgiChannel.command
        samples = self.samples

        async def timed(channel: AgiChannel, line: str) -> tuple[str, str]:
            last = getattr(channel, "_bench_returned", None)
            if last is not None:
                samples.append(time.perf_counter() - last)
            result = await original(channel, line)
            channel._bench_returned = time.perf_counter()  # type: ignore[attr-defined]
            return result

        AgiChannel.command = timed  # type: ignore[method-assign]


async def bench_server(sessions: int, concurrency: int, calendar: Path) -> dict[str, float]:
    timer = DecisionTimer()
    timer.install()
    settings = Settings(environment="test", asterisk_instance="bench", calendar_file=calendar)
    server = FastAgiServer(routes(), AgiContext(settings=settings, call_log=MemoryCallLog()))  # type: ignore[arg-type]
    await server.start("127.0.0.1", 0)
    await drive(server.port, min(200, sessions), concurrency, [])  # warm up (menu load)
    commands: list[int] = []
    try:
        elapsed, lat = await drive(server.port, sessions, concurrency, commands)
    finally:
        await server.close()
    assert server.stats.failures == 0, server.stats
    decisions = sorted(timer.samples)
    print(f"{'decision (server)':18s} p50 {decisions[len(decisions) // 2] * 1e3:.3f} ms  "
          f"p99 {decisions[int(len(decisions) * 0.99)] * 1e3:.3f} ms  "
          f"max {decisions[-1] * 1e3:.3f} ms  ({len(decisions)} decisions)")
    return summary("FastAGI ivr", sessions, elapsed, lat, statistics.mean(commands))


async def bench_baseline(sessions: int, concurrency: int, script: list[str]) -> dict[str, float]:
    """Echo-like server replaying the IVR's command lines: the floor of asyncio + TCP."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\n\n")
        for line in script:
            writer.write(line.encode() + b"\n")
            await writer.drain()
            if not await reader.readline():
                break
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        elapsed, lat = await drive(port, sessions, concurrency, [])
    finally:
        server.close()
        await server.wait_closed()
    return summary("asyncio baseline", sessions, elapsed, lat, len(script))


def summary(name: str, sessions: int, elapsed: float, lat: list[float],
            commands: float) -> dict[str, float]:
    lat.sort()
    out = {
        "sessions_per_s": sessions / elapsed,
        "p50_ms": lat[len(lat) // 2] * 1000,
        "p99_ms": lat[int(len(lat) * 0.99)] * 1000,
        "commands": commands,
    }
    print(f"{name:18s} {out['sessions_per_s']:8.0f} sessions/s  round trip p50 "
          f"{out['p50_ms']:.3f} ms  p99 {out['p99_ms']:.3f} ms  ({commands:.1f} commands/session, {sessions} sessions)")
    return out


def _serve_in_child(kind: str, calendar: str, script: list[str], conn, core: int) -> None:
    """Child process: one server (FastAGI or the baseline) pinned to *core*."""
    import os
    import signal

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {core})

    async def serve() -> None:
        if kind == "ivr":
            settings = Settings(environment="test", asterisk_instance="bench",
                                calendar_file=Path(calendar))
            server = FastAgiServer(routes(), AgiContext(settings=settings,
                                                        call_log=MemoryCallLog()))  # type: ignore[arg-type]
            await server.start("127.0.0.1", 0)
            port = server.port
        else:
            async def handle(reader, writer) -> None:
                await reader.readuntil(b"\n\n")
                for line in script:
                    writer.write(line.encode() + b"\n")
                    await writer.drain()
                    if not await reader.readline():
                        break
                writer.close()

            base = await asyncio.start_server(handle, "127.0.0.1", 0)
            port = base.sockets[0].getsockname()[1]
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        conn.send(port)
        await stop.wait()

    asyncio.run(serve())


async def bench_split(kind: str, sessions: int, concurrency: int, calendar: Path,
                      script: list[str]) -> dict[str, float]:
    """The server alone on core 0, the fake Asterisk in this process on core 1."""
    import multiprocessing
    import os

    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_serve_in_child, args=(kind, str(calendar), script, child, 0))
    proc.start()
    try:
        port = parent.recv()
        if hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(0, {1})
        await drive(port, min(200, sessions), concurrency, [])  # warm up
        elapsed, lat = await drive(port, sessions, concurrency, [])
    finally:
        proc.terminate()
        proc.join()
    name = "FastAGI ivr (split)" if kind == "ivr" else "baseline (split)"
    return summary(name, sessions, elapsed, lat, len(script))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--split", action="store_true",
                        help="server alone on core 0, fake Asterisk on core 1 (needs 2 cores)")
    args = parser.parse_args()
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        calendar = Path(tmp) / "calendar.yaml"
        calendar.write_text(OPEN_CALENDAR)
        # the command lines one menu walk sends, for the baseline to replay
        probe_settings = Settings(environment="test", asterisk_instance="bench",
                                  calendar_file=calendar)
        server = FastAgiServer(routes(), AgiContext(settings=probe_settings,
                                                    call_log=MemoryCallLog()))  # type: ignore[arg-type]
        await server.start("127.0.0.1", 0)
        fake = FakeAsterisk(server.port, KEYS)
        await fake.session()
        await server.close()
        gc.collect()
        if args.split:
            ivr = await bench_split("ivr", args.sessions, args.concurrency, calendar, fake.commands)
            base = await bench_split("base", args.sessions, args.concurrency, calendar,
                                     fake.commands)
        else:
            ivr = await bench_server(args.sessions, args.concurrency, calendar)
            base = await bench_baseline(args.sessions, args.concurrency, fake.commands)
    print(f"ratio (FastAGI / baseline) sessions/s: {ivr['sessions_per_s'] / base['sessions_per_s']:.2f}; "
          f"p99 latency: {ivr['p99_ms'] / base['p99_ms']:.2f}x")


if __name__ == "__main__":
    asyncio.run(main())
