"""The live wallboard: queues, waiting callers, operators' states and today's figures.

Live state (who waits, what each operator does) is read from Redis, where the AMI
consumer keeps it; today's figures are recomputed from the stored call events with the
same code as the history, so the two always agree. The browser gets a snapshot over
Server-Sent Events each time the consumer publishes on the live channel; one shared hub
per process (``operator_console.live_fanout``) subscribes once and computes each
snapshot once for every open stream.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import time
import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import redis.asyncio as aioredis
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from redis.exceptions import RedisError
from sqlalchemy import select

from appeal_store.models import QueueMembership, User
from appeal_store.stats.figures import figures, group_figures
from appeal_store.stats.queries import load_queue_calls, operator_names

from ..deps import Lang, SessionDep
from ..live_fanout import Failure, SnapshotHub
from ..templating import render
from .supervisor import Config, SupervisionConfig, Supervisor, st_for

log = logging.getLogger(__name__)
router = APIRouter(tags=["wallboard"])

AGENT_STATES = ("available", "talking", "paused", "logged_out")
_STATE_ALIASES = {
    "available": "available", "idle": "available", "not_inuse": "available", "free": "available",
    "talking": "talking", "inuse": "talking", "in_use": "talking", "busy": "talking",
    "ringing": "talking", "ring": "talking", "ringinuse": "talking", "onhold": "talking",
    "paused": "paused", "pause": "paused",
    "logged_out": "logged_out", "unavailable": "logged_out", "offline": "logged_out",
    "invalid": "logged_out", "loggedout": "logged_out",
}
KEEPALIVE_SECONDS = 15.0
COALESCE_SECONDS = 0.05  # a burst of events within this makes one snapshot
SHARED_INTERVAL_SECONDS = 0.25  # at most one snapshot per this, shared by all streams
STREAM_LIFETIME_SECONDS = 300.0  # EventSource reconnects by itself; bounds a stale stream


# ------------------------------------------------------------------------- live state
@dataclass
class LiveView:
    """What Redis says is happening now."""

    waiting: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    agents: list[dict[str, Any]] = field(default_factory=list)
    ok: bool = True


def normalise_state(raw: object, paused: object = False) -> str:
    """One of AGENT_STATES from the consumer's state word (paused wins over idle)."""
    if str(paused).lower() in ("1", "true", "yes"):
        return "paused"
    return _STATE_ALIASES.get(str(raw or "").strip().lower().replace(" ", "_"), "logged_out")


def _since(value: object) -> float | None:
    """A timestamp (epoch seconds or ISO 8601) as epoch seconds."""
    if value in (None, ""):
        return None
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        pass
    try:
        parsed = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)).timestamp()


def _decode(raw: bytes | str) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


async def read_live(client: aioredis.Redis, prefix: str) -> LiveView:
    """Waiting callers per queue and operators' states from the live-state keys.

    Layout: ``{prefix}:waiting:{queue}`` hashes uniqueid -> JSON {caller, since, position};
    ``{prefix}:agents`` hash agent -> JSON {name, state, paused, reason, since, queues}.
    """
    view = LiveView()
    marker = f"{prefix}:waiting:"
    async for key in client.scan_iter(match=marker + "*", count=200):
        name = key.decode() if isinstance(key, bytes) else key
        queue = name[len(marker):]
        entries = []
        for uid, raw in (await client.hgetall(name)).items():
            data = _decode(raw)
            entries.append({"uniqueid": uid.decode() if isinstance(uid, bytes) else uid,
                            "caller": data.get("caller"), "since": _since(data.get("since")),
                            "position": data.get("position")})
        view.waiting[queue] = sorted(entries, key=lambda e: (e["position"] or 0, e["since"] or 0))
    for agent, raw in (await client.hgetall(f"{prefix}:agents")).items():
        data = _decode(raw)
        queues = data.get("queues") or ([data["queue"]] if data.get("queue") else [])
        view.agents.append({
            "agent": agent.decode() if isinstance(agent, bytes) else agent,
            "name": data.get("name"), "state": normalise_state(data.get("state"),
                                                              data.get("paused")),
            "reason": data.get("reason") or "", "since": _since(data.get("since")),
            "queues": [str(q) for q in queues],
        })
    view.agents.sort(key=lambda a: (AGENT_STATES.index(a["state"]), a["name"] or a["agent"]))
    return view


# ------------------------------------------------------------------------- snapshot
def _fig(f) -> dict[str, Any]:
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in f.as_dict().items()}


@dataclass
class Stored:
    """What the wallboard reads from the database: today's figures and the roster."""

    per_queue: dict[str, dict[str, Any]]
    total: dict[str, Any]
    names: dict[str, str]
    roster: dict[str, dict[str, Any]]  # endpoint -> {name, queues}: operators who may log in


def today_figures(factory, tz: ZoneInfo, now: dt.datetime, cfg: SupervisionConfig) -> Stored:
    """Today's figures per queue and in total, from the call events (runs in a thread)."""
    midnight = now.astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)
    kw = {"threshold": cfg.service_level_seconds, "short_abandon": cfg.short_abandon_seconds}
    with factory() as db:
        calls = load_queue_calls(db, midnight, now + dt.timedelta(seconds=1),
                                 with_dimensions=False)
        names = operator_names(db)
        roster: dict[str, dict[str, Any]] = {}
        for endpoint, full_name, username, queue in db.execute(
                select(User.sip_endpoint, User.full_name, User.username, QueueMembership.queue)
                .outerjoin(QueueMembership, QueueMembership.user_id == User.id)
                .where(User.role == "operator", User.active, User.sip_endpoint.is_not(None))):
            entry = roster.setdefault(endpoint, {"name": full_name or username, "queues": []})
            if queue:
                entry["queues"].append(queue)
    per_queue = {str(q): _fig(f) for q, f in group_figures(calls, "queue", tz, **kw)}
    return Stored(per_queue, _fig(figures(calls, **kw)), names, roster)


def _endpoint(agent: str) -> str:
    return agent.split("/", 1)[1] if agent.upper().startswith("PJSIP/") else agent


def compose(stored: Stored, live: LiveView, now: dt.datetime) -> dict[str, Any]:
    """The wallboard snapshot: a row per queue, the agents, the totals (pure).

    Operators of the roster whom Redis does not know are shown as logged out (with
    their standing queues) when the live state is available.
    """
    per_queue, names = stored.per_queue, stored.names
    live_agents = list(live.agents)
    if live.ok:
        present = {_endpoint(a["agent"]) for a in live_agents}
        live_agents += [{"agent": ep, "name": info["name"], "state": "logged_out", "reason": "",
                         "since": None, "queues": sorted(info["queues"])}
                        for ep, info in sorted(stored.roster.items()) if ep not in present]
    live = LiveView(live.waiting, live_agents, live.ok)
    queues = sorted(set(per_queue) | set(live.waiting)
                    | {q for a in live.agents for q in a["queues"]})
    ts = now.timestamp()
    rows = []
    for q in queues:
        waiting = live.waiting.get(q, [])
        members = [a for a in live.agents if q in a["queues"]]
        rows.append({
            "queue": q, "waiting": len(waiting),
            "oldest_since": min((w["since"] for w in waiting if w["since"]), default=None),
            "agents": {s: sum(a["state"] == s for a in members) for s in AGENT_STATES},
            "today": per_queue.get(q) or _fig(figures([])),
        })
    agents = [a | {"name": a["name"] or names.get(a["agent"]) or a["agent"]} for a in live.agents]
    return {"now": ts, "queues": rows, "agents": agents, "total": stored.total,
            "live_ok": live.ok,
            "agent_totals": {s: sum(a["state"] == s for a in live.agents) for s in AGENT_STATES},
            "waiting_total": sum(r["waiting"] for r in rows)}


async def compute_snapshot(app, cfg: SupervisionConfig,
                           client: aioredis.Redis | None) -> dict[str, Any]:
    """A fresh snapshot: today's figures from the database (in a thread), live state."""
    now = app.state.clock()
    tz = ZoneInfo(app.state.settings.timezone)
    stored = await asyncio.to_thread(today_figures, app.state.session_factory, tz, now, cfg)
    live = LiveView(ok=False)
    if client is not None:
        try:
            live = await read_live(client, cfg.live_channel)
        except RedisError as exc:
            log.warning("wallboard: live state unavailable: %s", exc)
    return compose(stored, live, now)


async def snapshot(request: Request, cfg: SupervisionConfig,
                   client: aioredis.Redis | None) -> dict[str, Any]:
    return await compute_snapshot(request.app, cfg, client)


def _redis_for(app) -> aioredis.Redis:
    return aioredis.from_url(app.state.settings.redis_url, socket_timeout=5,
                             socket_connect_timeout=3)


def _redis(request: Request) -> aioredis.Redis:
    return _redis_for(request.app)


def _new_hub(app, cfg: SupervisionConfig) -> SnapshotHub:
    async def compute(client: aioredis.Redis | None) -> str:
        return _event(await compute_snapshot(app, cfg, client))  # serialised once for all

    return SnapshotHub(compute, lambda: _redis_for(app), cfg.live_channel,
                       interval=SHARED_INTERVAL_SECONDS, coalesce=COALESCE_SECONDS)


def wallboard_hub(app, cfg: SupervisionConfig) -> SnapshotHub:
    """The process's shared hub for this event loop (a new one per stream when
    ``app.state.wallboard_shared`` is False: the old per-client path, kept for the
    benchmark's baseline)."""
    if getattr(app.state, "wallboard_shared", True) is False:
        return _new_hub(app, cfg)
    hubs = getattr(app.state, "wallboard_hubs", None)
    if hubs is None:
        hubs = app.state.wallboard_hubs = weakref.WeakKeyDictionary()
    loop = asyncio.get_running_loop()
    if loop not in hubs:
        hubs[loop] = _new_hub(app, cfg)
    return hubs[loop]


# ------------------------------------------------------------------------- routes
@router.get("/supervisor/wallboard", include_in_schema=False)
async def wallboard_page(request: Request, user: Supervisor, cfg: Config, lang: Lang) -> Response:
    """The wallboard page (first snapshot rendered in; live updates over SSE)."""
    client = _redis(request)
    try:
        snap = await snapshot(request, cfg, client)
    finally:
        await client.aclose()
    return render(request, "wallboard.html", {"st": st_for(lang), "snap": snap, "cfg": cfg,
                                              "states": AGENT_STATES})


@router.get("/api/supervisor/wallboard")
async def wallboard_json(request: Request, user: Supervisor, cfg: Config) -> JSONResponse:
    """The current wallboard snapshot as JSON."""
    client = _redis(request)
    try:
        return JSONResponse(await snapshot(request, cfg, client))
    finally:
        await client.aclose()


def _event(snap: dict[str, Any]) -> str:
    return f"event: snapshot\ndata: {json.dumps(snap, ensure_ascii=False)}\n\n"


async def _stream(request: Request, cfg: SupervisionConfig) -> AsyncIterator[str]:
    """The SSE body: the shared hub's snapshots, keep-alives, the end of a failed board."""
    started = last_sent = time.monotonic()
    yield "retry: 1000\n\n"
    async with wallboard_hub(request.app, cfg).subscribe() as sub:
        while time.monotonic() - started < STREAM_LIFETIME_SECONDS:
            if await request.is_disconnected():
                break
            update = await sub.next(timeout=1.0)
            if update is None:
                if time.monotonic() - last_sent > KEEPALIVE_SECONDS:
                    yield ": keepalive\n\n"
                    last_sent = time.monotonic()
                continue
            if isinstance(update, Failure):  # the page shows "connection lost", reconnects
                yield f"event: failure\ndata: {json.dumps({'error': update.message})}\n\n"
                break
            yield update
            last_sent = time.monotonic()


@router.get("/supervisor/wallboard/stream", include_in_schema=False)
async def wallboard_stream(request: Request, user: Supervisor, cfg: Config,
                           db: SessionDep) -> Response:
    """Server-Sent Events: a snapshot now and after every live-state change."""
    db.close()  # the request's session (used to check the user) must not hold a pooled
    # connection for the stream's five minutes: dozens of boards would exhaust the pool
    return StreamingResponse(_stream(request, cfg), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
