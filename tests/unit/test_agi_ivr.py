"""The `ivr` AGI route against a fake Asterisk over real TCP: every branch of the menu."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from agi_scripts.context import AgiContext
from agi_scripts.ivr_testing import FakeAsterisk, MemoryCallLog
from agi_scripts.routes import routes
from agi_scripts.server import FastAgiServer
from appeal_store.db import make_engine, make_session_factory, session_scope
from appeal_store.models import Appeal, Base, StateBody
from hotline.settings import Settings

OPEN = "hours: {" + ", ".join(
    f"{d}: ['00:00-24:00']" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
) + "}\nholiday_hours: ['00:00-24:00']\n"
CLOSED = "hours: {}\nholiday_hours: []\n"


def calendar(tmp_path, text: str):
    path = tmp_path / "calendar.yaml"
    path.write_text(text)
    return path


@pytest.fixture
def factory(sqlite_url):
    engine = make_engine(sqlite_url)
    Base.metadata.create_all(engine)
    return make_session_factory(engine)


async def run_call(tmp_path, keys, *, open_=True, factory=None, caller="380441234567",
                   hangup_after=None):
    settings = Settings(environment="test", asterisk_instance="unit",
                        calendar_file=calendar(tmp_path, OPEN if open_ else CLOSED))
    log = MemoryCallLog(factory)
    server = FastAgiServer(routes(), AgiContext(settings=settings, call_log=log))  # type: ignore[arg-type]
    await server.start("127.0.0.1", 0)
    fake = FakeAsterisk(server.port, keys, caller=caller, hangup_after=hangup_after)
    try:
        await fake.session()
        await settled(server)
    finally:
        await server.close()
    return fake, log, server


async def settled(server: FastAgiServer) -> None:
    """Wait until the server has finished every session it started (bounded)."""
    for _ in range(200):
        st = server.stats
        if st.completed + st.hangups + st.failures + st.protocol_errors >= st.sessions:
            return
        await asyncio.sleep(0.01)


def names(fake: FakeAsterisk) -> list[str]:
    return [p.rsplit("/", 2)[-2] + "/" + p.rsplit("/", 1)[-1] for p in fake.played]


async def test_ukrainian_topic_goes_to_its_queue(tmp_path):
    fake, log, server = await run_call(tmp_path, ["1", "1", "2"])
    v = fake.variables
    assert v["HOTLINE_ACTION"] == "queue"
    assert v["HOTLINE_QUEUE"] == "utilities"
    assert v["HOTLINE_LANGUAGE"] == "uk"
    assert v["CHANNEL(language)"] == "uk"
    assert v["HOTLINE_TOPIC"] == "utilities"
    assert v["HOTLINE_IVR_PATH"] == "language:1>main:1>topic:2"
    assert v["HOTLINE_CALLER"] == "380441234567"
    assert "uk/connecting-operator" in names(fake)
    assert [(n, d, s) for _, n, d, s in log.inputs] == [
        ("language", "1", 0), ("main", "1", 1), ("topic", "2", 2)]
    record = log.fields["1700000000.1"]
    assert record["caller_number"] == "380441234567"
    assert record["queue"] == "utilities" and record["language"] == "uk"
    assert record["topic_code"]  # the classifier code (or the label)
    assert server.stats.completed == 1


async def test_english_prompts_and_channel_language(tmp_path):
    fake, _, _ = await run_call(tmp_path, ["2", "2"])
    assert fake.variables["HOTLINE_LANGUAGE"] == "en"
    assert fake.variables["CHANNEL(language)"] == "en"
    assert fake.variables["HOTLINE_TOPIC"] == "consultation"
    assert "en/main-menu" in names(fake) and "en/connecting-consultant" in names(fake)
    # every prompt is an absolute path inside the instance's sounds folder
    assert all(p.startswith("/hotline/unit/sounds/") for p in fake.played)


async def test_consultation_and_operator_choices(tmp_path):
    fake, _, _ = await run_call(tmp_path, ["1", "2"])
    assert fake.variables["HOTLINE_QUEUE"] == "consult"
    fake, _, _ = await run_call(tmp_path, ["1", "0"])
    assert fake.variables["HOTLINE_QUEUE"] == "common"  # the menu's "general"


async def test_voice_appeal_and_callback_hand_off(tmp_path):
    fake, log, _ = await run_call(tmp_path, ["1", "4"])
    assert fake.variables["HOTLINE_ACTION"] == "voice_appeal"
    assert log.fields["1700000000.1"]["status"] == "voicemail"
    fake, log, _ = await run_call(tmp_path, ["1", "5"])
    assert fake.variables["HOTLINE_ACTION"] == "callback"
    assert log.fields["1700000000.1"]["status"] == "callback"


async def test_invalid_then_missing_input_ends_in_the_general_queue(tmp_path):
    fake, log, _ = await run_call(tmp_path, ["1", "7", None, "8"])
    v = fake.variables
    assert v["HOTLINE_ACTION"] == "queue" and v["HOTLINE_QUEUE"] == "common"
    assert v["HOTLINE_IVR_REASON"] == "retries"
    played = names(fake)
    assert played.count("uk/invalid-choice") == 2 and played.count("uk/no-input") == 1
    assert [d for _, _, d, _ in log.inputs] == ["1", "7", None, "8"]


async def test_no_key_at_the_language_choice_is_ukrainian(tmp_path):
    fake, _, _ = await run_call(tmp_path, [None, "0"])
    assert fake.variables.get("HOTLINE_LANGUAGE", "uk") == "uk"
    assert fake.variables["HOTLINE_QUEUE"] == "common"


async def test_after_hours_offers_voice_appeal_and_callback(tmp_path):
    fake, _, _ = await run_call(tmp_path, ["1", "2"], open_=False)
    assert "uk/after-hours-menu" in names(fake)
    assert fake.variables["HOTLINE_ACTION"] == "callback"
    fake, _, _ = await run_call(tmp_path, ["2", None, None, None], open_=False)
    assert fake.variables["HOTLINE_ACTION"] == "voice_appeal"  # nothing keyed after hours


async def test_status_of_an_existing_appeal_is_spoken(tmp_path, factory):
    with session_scope(factory) as s:
        body = StateBody(code="minsoc", name_uk="Мінсоцполітики", name_en="MinSoc",
                         kind="ministry")
        s.add(body)
        s.flush()
        s.add(Appeal(number="1545-2026-000123", status="delivered", body_id=body.id,
                     due_at=dt.datetime(2026, 3, 20, 10, tzinfo=dt.UTC)))
    fake, _, _ = await run_call(tmp_path, ["1", "3", "15452026000123#", "0"], factory=factory)
    played = names(fake)
    start = played.index("uk/status-found")
    assert played[start + 1:start + 15] == [f"uk/num-{d}" for d in "15452026000123"]
    assert "uk/state-delivered" in played and "uk/body-kind-ministry" in played
    assert "uk/status-deadline" in played
    assert fake.variables["HOTLINE_APPEAL_NUMBER"] == "15452026000123"
    assert fake.variables["HOTLINE_QUEUE"] == "common"


async def test_status_by_year_and_counter(tmp_path, factory):
    with session_scope(factory) as s:
        s.add(Appeal(number="1545-2026-000777", status="answered"))
    fake, _, _ = await run_call(tmp_path, ["1", "3", "2026000777", "0"], factory=factory)
    assert "uk/state-answered" in names(fake)


async def test_unknown_appeal_number(tmp_path, factory):
    fake, _, _ = await run_call(tmp_path, ["1", "3", "999#", "0"], factory=factory)
    assert "uk/status-not-found" in names(fake)
    assert "uk/status-found" not in names(fake)


async def test_database_down_during_status_check_apologises(tmp_path):
    broken = make_session_factory(make_engine("postgresql+psycopg://x:y@127.0.0.1:1/none"))
    fake, _, server = await run_call(tmp_path, ["1", "3", "123#", "0"], factory=broken)
    assert "uk/status-unavailable" in names(fake)
    assert fake.variables["HOTLINE_QUEUE"] == "common"
    assert server.stats.completed == 1


async def test_database_down_does_not_stop_the_menu(tmp_path):
    class FailingLog(MemoryCallLog):
        async def call_started(self, uniqueid, **fields):
            raise OSError("database down")

        async def ivr_input(self, *args, **kwargs):
            raise OSError("database down")

    settings = Settings(environment="test", calendar_file=calendar(tmp_path, OPEN))
    server = FastAgiServer(routes(), AgiContext(settings=settings, call_log=FailingLog()))  # type: ignore[arg-type]
    await server.start("127.0.0.1", 0)
    fake = FakeAsterisk(server.port, ["1", "1", "1"])
    try:
        await fake.session()
    finally:
        await server.close()
    assert fake.variables["HOTLINE_QUEUE"] == "social"


async def test_hangup_mid_menu_is_quiet(tmp_path):
    _, _, server = await run_call(tmp_path, ["1"], hangup_after=4)
    assert server.stats.hangups == 1 and server.stats.failures == 0


async def test_broken_menu_falls_back_to_the_minimal_ivr(tmp_path, monkeypatch):
    import agi_scripts.ivr as ivr_module
    from ivr.menu_model import MenuError

    def broken():
        raise MenuError(None, "broken on purpose")

    monkeypatch.setattr(ivr_module, "load_menu", broken)
    settings = Settings(environment="test", calendar_file=calendar(tmp_path, OPEN))
    log = MemoryCallLog()
    server = FastAgiServer(routes(), AgiContext(settings=settings, call_log=log))  # type: ignore[arg-type]
    await server.start("127.0.0.1", 0)
    fake = FakeAsterisk(server.port)
    try:
        commands = await fake.session()
    finally:
        await server.close()
    assert any(c.startswith("GET DATA beep") for c in commands)
    assert fake.variables["HOTLINE_ACTION"] == "queue"
