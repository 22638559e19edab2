"""Live queues and screen pops: the live view as JSON, and a Server-Sent Events stream of
the logged-in operator's screen pops (published by the AMI consumer on
``hotline:screenpop:<endpoint>``).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator

import redis.asyncio as aioredis
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response, StreamingResponse
from redis.exceptions import RedisError

from agi_scripts.ami_events import MEMBER_STATUS
from agi_scripts.live_state import LiveState, screen_pop_channel

from ..deps import Operator
from ..templating import render

log = logging.getLogger(__name__)
router = APIRouter(tags=["live"])
KEEPALIVE_SECONDS = 15.0
MEMBER_STATUSES = tuple(dict.fromkeys(MEMBER_STATUS.values()))


def _redis(request: Request) -> aioredis.Redis:
    return aioredis.from_url(request.app.state.settings.redis_url, socket_connect_timeout=3)


@router.get("/api/live/state")
async def live_state(request: Request, user: Operator) -> dict:
    """Waiting callers per queue, queue members and agents, from Redis."""
    client = _redis(request)
    try:
        return await LiveState(client).snapshot()
    except RedisError as exc:
        raise HTTPException(status_code=503, detail=f"live state unavailable: {exc}") from None
    finally:
        await client.aclose()


async def _events(request: Request, channel: str) -> AsyncIterator[str]:
    client = _redis(request)
    pubsub = client.pubsub()
    try:
        await pubsub.subscribe(channel)
        yield "event: ready\ndata: {}\n\n"
        idle = 0.0
        while not await request.is_disconnected():
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            if message is None:
                idle += 1.0
                if idle >= KEEPALIVE_SECONDS:
                    idle = 0.0
                    yield ": keepalive\n\n"
                continue
            idle = 0.0
            data = message["data"]
            text = data.decode() if isinstance(data, bytes) else str(data)
            yield f"event: screen_pop\ndata: {json.dumps(json.loads(text))}\n\n"
    except RedisError as exc:
        log.warning("screen-pop stream of %s ended: %s", channel, exc)
        yield "event: error\ndata: {\"detail\": \"live channel lost\"}\n\n"
    except asyncio.CancelledError:
        raise
    finally:
        await pubsub.aclose()
        await client.aclose()


@router.get("/api/live/screen-pop")
async def screen_pop_stream(request: Request, user: Operator) -> StreamingResponse:
    """SSE: one ``screen_pop`` event each time a call connects to this operator's phone."""
    if not user.sip_endpoint:
        raise HTTPException(status_code=409, detail="this user has no SIP endpoint")
    return StreamingResponse(_events(request, screen_pop_channel(user.sip_endpoint)),
                             media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


@router.get("/operator/live", include_in_schema=False)
def live_page(request: Request, user: Operator) -> Response:
    """Queues now, and the operator's screen pops as they come."""
    return render(request, "live_queues.html", {"endpoint": user.sip_endpoint,
                                                "member_statuses": MEMBER_STATUSES})
