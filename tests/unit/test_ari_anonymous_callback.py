"""A call back asked for without a caller id, through the Stasis app on a mocked ARI (SQLite).

The real :class:`AriClient` and :class:`ChannelSession` run; only Asterisk's REST side is a
``httpx.MockTransport`` that answers channel variables and finishes every playback at once.
"""

from __future__ import annotations

import asyncio
import json
from urllib.parse import parse_qs

import httpx
import pytest
from sqlalchemy import func, select

from agi_scripts import stasis_app
from agi_scripts.ari_client import AriClient
from agi_scripts.callbacks import CallbackRequest, has_number, store_callback
from agi_scripts.stasis_app import StasisApp
from appeal_store.db import make_engine, make_session_factory
from appeal_store.models import Base, Callback
from hotline.settings import Settings

OPEN = "hours: {" + ", ".join(
    f"{d}: ['00:00-24:00']" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
) + "}\nholiday_hours: ['00:00-24:00']\n"
CLOSED = "hours: {}\nholiday_hours: []\n"
SOUNDS = "/sounds"


class FakeAsterisk:
    """ARI's REST side for one channel: variables, playbacks (finished at once), continue."""

    def __init__(self, variables: dict[str, str]) -> None:
        self.variables = variables
        self.calls: list[tuple[str, str, dict[str, str]]] = []
        self.client = AriClient("http://127.0.0.1:1", "u", "p", "hotline")
        self.client._http = httpx.AsyncClient(base_url="http://127.0.0.1:1/ari",
                                              transport=httpx.MockTransport(self.handle))
        self.client.connected.set()

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/ari")
        params = {k: v[0] for k, v in parse_qs(request.url.query.decode()).items()}
        self.calls.append((request.method, path, params))
        parts = path.strip("/").split("/")
        if parts[-1] == "variable" and request.method == "GET":
            value = self.variables.get(params["variable"])
            if value is None:
                return httpx.Response(404, text="no such variable")
            return httpx.Response(200, content=json.dumps({"value": value}))
        if len(parts) == 4 and parts[2] == "play":
            asyncio.get_running_loop().call_soon(self.client.dispatch, {
                "type": "PlaybackFinished",
                "playback": {"id": parts[3], "target_uri": f"channel:{parts[1]}"}})
        return httpx.Response(204)

    def played(self) -> list[str]:
        return [p["media"].removeprefix(f"sound:{SOUNDS}/")
                for m, path, p in self.calls if "/play/" in path]

    def posted(self, suffix: str) -> list[dict[str, str]]:
        return [p for m, path, p in self.calls if m == "POST" and path.endswith(suffix)]


@pytest.fixture
def factory(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'cb.db'}")
    Base.metadata.create_all(engine)
    yield make_session_factory(engine)
    engine.dispose()


def _app(tmp_path, factory, calendar: str, asterisk: FakeAsterisk) -> StasisApp:
    path = tmp_path / "calendar.yaml"
    path.write_text(calendar)
    settings = Settings(environment="test", calendar_file=path, prompts_dir=SOUNDS,
                        recordings_dir=tmp_path / "rec")
    return StasisApp(asterisk.client, settings, factory, dispatcher=None)  # type: ignore[arg-type]


def _callbacks(factory) -> int:
    with factory() as session:
        return session.scalar(select(func.count()).select_from(Callback))


def _channel(number: str = "anonymous") -> dict:
    return {"id": "1700000000.42", "caller": {"number": number}, "language": "uk"}


@pytest.mark.parametrize("caller_var", ["anonymous", "", "Withheld"])
async def test_anonymous_call_back_in_working_hours_goes_to_the_general_queue(
        tmp_path, factory, caller_var):
    variables = {"HOTLINE_LANGUAGE": "en", "HOTLINE_QUEUE": "social"}
    if caller_var:
        variables["HOTLINE_CALLER"] = caller_var
    asterisk = FakeAsterisk(variables)
    app = _app(tmp_path, factory, OPEN, asterisk)
    await app.handle(_channel(), ["callback"])
    assert asterisk.played() == ["en/callback-no-number", "en/connecting-operator"]
    assert {"variable": "HOTLINE_QUEUE", "value": "common"} in asterisk.posted("/variable")
    assert asterisk.posted("/continue") == [
        {"context": "hotline-queue", "extension": "general", "priority": "1"}]
    assert _callbacks(factory) == 0


async def test_anonymous_call_back_after_hours_becomes_a_voice_appeal(
        tmp_path, factory, monkeypatch):
    asterisk = FakeAsterisk({"HOTLINE_LANGUAGE": "uk", "HOTLINE_CALLER": "anonymous"})
    appeals: list[tuple[str, str]] = []

    async def fake_voice_appeal(ch, deps, language, uniqueid):
        appeals.append((language, uniqueid))

    monkeypatch.setattr(stasis_app, "voice_appeal", fake_voice_appeal)
    app = _app(tmp_path, factory, CLOSED, asterisk)
    await app.handle(_channel(), ["callback"])
    assert asterisk.played() == ["uk/callback-no-number"]
    assert appeals == [("uk", "1700000000.42")]
    assert asterisk.posted("/continue") == [
        {"context": "hotline-route", "extension": "done", "priority": "1"}]
    assert _callbacks(factory) == 0


async def test_a_known_number_is_still_stored_after_confirmation(tmp_path, factory):
    asterisk = FakeAsterisk({"HOTLINE_LANGUAGE": "uk", "HOTLINE_CALLER": "anonymous"})
    app = _app(tmp_path, factory, OPEN, asterisk)
    task = asyncio.create_task(app.handle(_channel("+380501234567"), ["callback"]))
    while "uk/callback-confirm" not in asterisk.played():
        await asyncio.sleep(0.01)
    asterisk.client.dispatch({"type": "ChannelDtmfReceived", "digit": "1",
                              "channel": {"id": "1700000000.42"}})
    await asyncio.wait_for(task, 3)  # well before the 6 s confirmation timeout
    assert asterisk.played()[-2:] == ["uk/callback-registered", "uk/goodbye"]
    with factory() as session:
        row = session.scalars(select(Callback)).one()
    assert row.phone == "+380501234567" and row.queue == "common"


def test_the_calendar_unreadable_counts_as_open(tmp_path, factory):
    asterisk = FakeAsterisk({})
    app = _app(tmp_path, factory, "hours: [broken", asterisk)
    assert app.centre_open() is True


@pytest.mark.parametrize("phone", ["", "anonymous", "unknown"])
def test_a_call_back_without_a_number_is_refused_by_the_store(factory, phone):
    assert not has_number(phone)
    with pytest.raises(ValueError, match="without a number"):
        store_callback(factory, CallbackRequest(phone, None, "common", "uk", "u1"))
    assert _callbacks(factory) == 0
