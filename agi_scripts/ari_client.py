"""A thin asyncio ARI client: REST over httpx, events over one websocket, reconnects.

Why our own: the ``ari`` package on PyPI is Python 2 only, and ARI is small — a few REST
calls and a JSON event stream. The client is a proxy that refuses use before its websocket
is connected (:class:`AriNotConnected`): while the app is not registered, Asterisk's
``Stasis()`` fails and the dialplan takes its fallback, so a REST call made then would act
on a channel we do not own.

Example::

    client = AriClient.from_settings(settings)
    async def on_event(event): ...
    await client.run(on_event, stop)          # connects, reconnects with backoff
    await client.post(f"/channels/{cid}/answer")
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

import httpx
import websockets
from websockets.exceptions import InvalidHandshake, WebSocketException

from hotline.settings import Settings

log = logging.getLogger(__name__)

Event = dict[str, Any]
EventHandler = Callable[[Event], Awaitable[None]]
BACKOFF_START_S = 0.5
BACKOFF_MAX_S = 10.0


class AriError(RuntimeError):
    """ARI answered with an error status."""

    def __init__(self, method: str, path: str, status: int, body: str) -> None:
        super().__init__(f"ARI {method} {path}: {status} {body[:200]}")
        self.status = status


class AriNotConnected(RuntimeError):
    """The app's event websocket is not connected: Asterisk does not know the app now."""


class AriClient:
    """REST calls and the event stream of one ARI application."""

    def __init__(self, base_url: str, user: str, password: str, app: str,
                 timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.app = app
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        self._auth = {"Authorization": f"Basic {token}"}
        self._http = httpx.AsyncClient(base_url=self.base_url + "/ari", headers=self._auth,
                                       timeout=timeout)
        self.connected = asyncio.Event()
        self._subscribers: list[tuple[Callable[[Event], bool], asyncio.Queue[Event]]] = []
        self.connects = 0

    @classmethod
    def from_settings(cls, settings: Settings) -> AriClient:
        return cls(f"http://{settings.ari_host}:{settings.ari_port}", settings.ari_user,
                   settings.ari_password.get_secret_value(), settings.ari_app)

    # --- REST ---------------------------------------------------------------------------

    async def request(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                      json_body: Any = None, raw: bool = False) -> Any:
        """One REST call; JSON result (None when empty), or bytes with ``raw``."""
        if not self.connected.is_set():
            raise AriNotConnected(f"ARI app {self.app} is not connected ({method} {path})")
        clean = {k: _param(v) for k, v in (params or {}).items() if v is not None}
        response = await self._http.request(method, path, params=clean, json=json_body)
        if response.status_code >= 400:
            raise AriError(method, path, response.status_code, response.text)
        if raw:
            return response.content
        return response.json() if response.content else None

    async def get(self, path: str, **params: Any) -> Any:
        return await self.request("GET", path, params=params)

    async def post(self, path: str, json_body: Any = None, **params: Any) -> Any:
        return await self.request("POST", path, params=params, json_body=json_body)

    async def delete(self, path: str, **params: Any) -> Any:
        return await self.request("DELETE", path, params=params)

    async def close(self) -> None:
        await self._http.aclose()

    # --- events -------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def subscribe(self, match: Callable[[Event], bool]) -> AsyncIterator[asyncio.Queue[Event]]:
        """Receive the events *match* accepts in a queue while the block runs."""
        entry = (match, asyncio.Queue())
        self._subscribers.append(entry)
        try:
            yield entry[1]
        finally:
            self._subscribers.remove(entry)

    def dispatch(self, event: Event) -> None:
        """Hand one event to the subscribers (also used by tests to inject events)."""
        for match, queue in list(self._subscribers):
            try:
                wanted = match(event)
            except (KeyError, TypeError, AttributeError):
                wanted = False
            if wanted:
                queue.put_nowait(event)

    def events_url(self) -> str:
        ws = self.base_url.replace("http://", "ws://", 1).replace("https://", "wss://", 1)
        return f"{ws}/ari/events?{urlencode({'app': self.app, 'subscribeAll': 'false'})}"

    async def run(self, on_event: EventHandler, stop: asyncio.Event) -> None:
        """Keep the app's websocket connected until *stop*; each event → ``on_event``."""
        backoff = BACKOFF_START_S
        while not stop.is_set():
            try:
                async with websockets.connect(self.events_url(), additional_headers=self._auth,
                                              open_timeout=5, ping_interval=20) as ws:
                    self.connected.set()
                    self.connects += 1
                    backoff = BACKOFF_START_S
                    log.info("ARI app %s registered (%s)", self.app, self.base_url)
                    await self._pump(ws, on_event, stop)
            except (OSError, TimeoutError, InvalidHandshake, WebSocketException) as exc:
                log.warning("ARI events unavailable (%s: %s); retry in %.1f s",
                            type(exc).__name__, exc, backoff)
            finally:
                self.connected.clear()
            if stop.is_set():
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), backoff)
            backoff = min(backoff * 2, BACKOFF_MAX_S)

    async def _pump(self, ws, on_event: EventHandler, stop: asyncio.Event) -> None:
        stopper = asyncio.ensure_future(stop.wait())
        try:
            while True:
                receive = asyncio.ensure_future(ws.recv())
                done, _ = await asyncio.wait({receive, stopper}, return_when=asyncio.FIRST_COMPLETED)
                if receive not in done:
                    receive.cancel()
                    return
                try:
                    event = json.loads(receive.result())
                except ValueError:
                    log.warning("ARI sent a frame that is not JSON; ignored")
                    continue
                self.dispatch(event)
                await on_event(event)
        finally:
            stopper.cancel()


def _param(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
