"""Wallboard fan-out benchmark: N open boards, K live events, snapshot computations per event
and the delay from a Redis publish to each board's update.

    .venv/bin/python benchmarks/bench_wallboard.py                      # 8,000 calls; N 1,10,50
    .venv/bin/python benchmarks/bench_wallboard.py --clients 1,10 --events 5 --calls 2000

A fresh PostgreSQL database is created through the admin URL (``HOTLINE_TEST_PG_ADMIN_URL``,
default the local test server), seeded with a busy day of call events (today, local time)
and dropped afterwards. For each N the console runs under uvicorn in its own process on a
free 127.0.0.1 port, twice: with the shared hub (one computation per event for all boards)
and with a hub per stream (the old per-client path, the baseline). Live events go on a
channel of the benchmark's own (``--redis``), spaced ``--gap`` seconds apart so each one is
a burst of its own. Everything is bounded: K events, a 30 s wait per event, loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
import redis
from sqlalchemy import create_engine, insert, text

ADMIN_URL = os.environ.get("HOTLINE_TEST_PG_ADMIN_URL",
                           "postgresql+psycopg://postgres@127.0.0.1:5432/test")
QUEUES = ("common", "consult", "social", "pension", "health")
TZ = "Europe/Kyiv"


# ------------------------------------------------------------------------- server side
def serve(db_url: str, redis_url: str, prefix: str, port: int, shared: bool) -> None:
    """Run the console (in this process) with a computation counter at /bench/computations."""
    import uvicorn

    from hotline.settings import Settings
    from operator_console.app import create_app
    from operator_console.routers import supervisor, wallboard

    count = {"n": 0}
    real = wallboard.today_figures

    def counting(*args, **kw):
        count["n"] += 1
        return real(*args, **kw)

    wallboard.today_figures = counting
    settings = Settings(environment="test", database_url=db_url, redis_url=redis_url,
                        timezone=TZ)
    app = create_app(settings)
    app.state.wallboard_shared = shared

    def config() -> supervisor.SupervisionConfig:
        return supervisor.SupervisionConfig(
            service_level_seconds=settings.service_level_seconds,
            short_abandon_seconds=settings.short_abandon_seconds,
            live_channel=f"{prefix}:live")

    app.dependency_overrides[supervisor.supervision_config] = config
    app.add_api_route("/bench/computations", lambda: {"n": count["n"]})
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


# ------------------------------------------------------------------------- set-up
def seed(db_url: str, calls: int, rng: random.Random) -> int:
    """A busy day so far: ``calls`` queue calls from local midnight to now; returns events."""
    from appeal_store.models import CallEvent, User
    from operator_console.testing import add_user, prepare_database

    factory = prepare_database(db_url)
    add_user(factory, "sup", "supervisor")
    now = dt.datetime.now(dt.UTC)
    midnight = now.astimezone(ZoneInfo(TZ)).replace(hour=0, minute=0, second=0, microsecond=0)
    span = max(60.0, (now - midnight).total_seconds() - 600)
    rows = []
    for i in range(calls):
        uid, queue = f"b{i}", rng.choice(QUEUES)
        agent = f"PJSIP/op{1000 + rng.randrange(60)}"
        at = midnight + dt.timedelta(seconds=rng.random() * span)
        ev = {"uniqueid": uid, "queue": queue, "agent": None, "position": None,
              "wait_seconds": None, "talk_seconds": None, "data": {}}
        rows.append(ev | {"source_key": f"{uid}:enter", "kind": "enter", "at": at,
                          "position": 1})
        wait = int(rng.expovariate(1 / 25))
        if rng.random() < 0.85:
            talk = 60 + int(rng.expovariate(1 / 180))
            rows.append(ev | {"source_key": f"{uid}:connect", "kind": "connect", "agent": agent,
                              "wait_seconds": wait, "at": at + dt.timedelta(seconds=wait)})
            rows.append(ev | {"source_key": f"{uid}:complete", "kind": "complete",
                              "agent": agent, "talk_seconds": talk,
                              "at": at + dt.timedelta(seconds=wait + talk)})
        else:
            rows.append(ev | {"source_key": f"{uid}:abandon", "kind": "abandon",
                              "wait_seconds": wait, "at": at + dt.timedelta(seconds=wait)})
    with factory() as s:
        s.execute(insert(CallEvent), rows)
        s.execute(User.__table__.update().values(sip_endpoint=None))
        s.commit()
    return len(rows)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(args, db_url: str, prefix: str, shared: bool) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, __file__, "--serve", "--db", db_url,
                             "--redis", args.redis, "--prefix", prefix, "--port", str(port),
                             "--shared", "1" if shared else "0"])
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/bench/computations", timeout=1).status_code == 200:
                return proc, base
        except httpx.TransportError:
            time.sleep(0.1)
    proc.terminate()
    raise RuntimeError("the console did not start")


# ------------------------------------------------------------------------- measurement
async def board(client: httpx.AsyncClient, arrivals: list[float], opened: asyncio.Event,
                ready: list[int]) -> None:
    """One SSE client: record the arrival time of every snapshot."""
    async with client.stream("GET", "/supervisor/wallboard/stream") as response:
        async for line in response.aiter_lines():
            if line == "event: snapshot":
                arrivals.append(time.monotonic())
                if len(arrivals) == 1:
                    ready[0] += 1
                    opened.set()


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def measure(base: str, channel: str, args, n: int, events: int) -> dict:
    from operator_console.testing import logged_in

    with httpx.Client(base_url=base) as c:
        logged_in(c, "sup")
        jar = c.cookies
    r = redis.Redis.from_url(args.redis)
    limits = httpx.Limits(max_connections=n + 5)
    async with httpx.AsyncClient(base_url=base, cookies=jar, timeout=60, limits=limits) as client:
        arrivals: list[list[float]] = [[] for _ in range(n)]
        ready, opened = [0], asyncio.Event()
        tasks = [asyncio.create_task(board(client, arrivals[i], opened, ready))
                 for i in range(n)]
        try:
            await wait_for(lambda: ready[0] == n, 120)
            expected = 1 if args.shared_now else n
            await wait_for(lambda: r.pubsub_numsub(channel)[0][1] == expected, 30)
            await asyncio.sleep(1.0)  # let the joiners' snapshots settle
            before = (await client.get("/bench/computations")).json()["n"]
            delays: list[float] = []
            for k in range(events):
                seen = [len(a) for a in arrivals]
                published = time.monotonic()
                r.publish(channel, f'{{"type": "bench", "k": {k}}}')
                await wait_for(lambda s=seen: all(len(a) > c for a, c in zip(arrivals, s,
                                                                              strict=True)), 30)
                delays += [a[c] - published for a, c in zip(arrivals, seen, strict=True)]
                await asyncio.sleep(args.gap)
            after = (await client.get("/bench/computations")).json()["n"]
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            r.close()
    return {"per_event": (after - before) / events, "p50": statistics.median(delays),
            "p99": percentile(delays, 99)}


async def wait_for(predicate, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("benchmark condition not reached")
        await asyncio.sleep(0.005)


def run(args) -> None:
    name = f"hotline_bench_wb_{uuid.uuid4().hex[:8]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    db_url = f"{ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    prefix = f"hotline-bench-{uuid.uuid4().hex[:8]}"
    try:
        t0 = time.perf_counter()
        n_events = seed(db_url, args.calls, random.Random(args.seed))
        print(f"seeded {args.calls} calls, {n_events} events in "
              f"{time.perf_counter() - t0:.1f} s")
        print(f"{'N':>4} {'mode':>10} {'events':>6} {'comp/event':>10} {'p50 s':>7} "
              f"{'p99 s':>7}")
        results = {}
        for n in args.clients:
            for shared in (False, True):
                events = args.events if shared else min(args.events, args.baseline_events)
                args.shared_now = shared
                proc, base = start_server(args, db_url, prefix, shared)
                try:
                    res = asyncio.run(measure(base, f"{prefix}:live", args, n, events))
                finally:
                    proc.terminate()
                    proc.wait(timeout=15)
                results[(n, shared)] = res
                mode = "shared" if shared else "per-client"
                print(f"{n:>4} {mode:>10} {events:>6} {res['per_event']:>10.2f} "
                      f"{res['p50']:>7.3f} {res['p99']:>7.3f}", flush=True)
        for n in args.clients:
            old, new = results[(n, False)], results[(n, True)]
            print(f"N={n}: computations per event {old['per_event']:.1f} -> "
                  f"{new['per_event']:.1f}; p99 delay {old['p99']:.3f} -> {new['p99']:.3f} s "
                  f"(x{old['p99'] / new['p99']:.1f})")
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--calls", type=int, default=8000)
    p.add_argument("--clients", type=lambda s: [int(x) for x in s.split(",")],
                   default=[1, 10, 50])
    p.add_argument("--events", type=int, default=10, help="live events per run (shared hub)")
    p.add_argument("--baseline-events", type=int, default=4,
                   help="live events per run of the per-client baseline (slow at large N)")
    p.add_argument("--gap", type=float, default=0.5, help="seconds between events")
    p.add_argument("--redis", default="redis://127.0.0.1:6379/14")
    p.add_argument("--seed", type=int, default=1545)
    p.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--db", help=argparse.SUPPRESS)
    p.add_argument("--prefix", help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, help=argparse.SUPPRESS)
    p.add_argument("--shared", default="1", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.serve:
        serve(args.db, args.redis, args.prefix, args.port, args.shared == "1")
    else:
        run(args)


if __name__ == "__main__":
    main()
