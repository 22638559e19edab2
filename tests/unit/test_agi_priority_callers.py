"""Priority callers on a live IVR (fake Asterisk over real TCP) and the list file itself."""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Self

import pytest

from agi_scripts.context import AgiContext
from agi_scripts.ivr_testing import FakeAsterisk, MemoryCallLog
from agi_scripts.priority_callers import PriorityCallers, parse_priority_numbers
from agi_scripts.routes import routes
from agi_scripts.server import FastAgiServer
from hotline.settings import Settings

OPEN = "hours: {" + ", ".join(
    f"{d}: ['00:00-24:00']" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
) + "}\nholiday_hours: ['00:00-24:00']\n"
LISTED = "380501234567"
UTILITIES = ["1", "1", "2"]  # Ukrainian, topics, utilities


def priority_file(tmp_path, text: str):
    path = tmp_path / "priority.csv"
    path.write_text(text, encoding="utf-8")
    return path


class Hotline:
    """One FastAGI server (one process's state) taking several calls in turn."""

    def __init__(self, tmp_path, numbers_file) -> None:
        calendar = tmp_path / "calendar.yaml"
        calendar.write_text(OPEN)
        self.settings = Settings(environment="test", asterisk_instance="unit",
                                 calendar_file=calendar, priority_numbers_file=numbers_file)
        self.log = MemoryCallLog()
        self.server = FastAgiServer(routes(), AgiContext(settings=self.settings,  # type: ignore[arg-type]
                                                         call_log=self.log))
        self.calls = 0

    async def __aenter__(self) -> Self:
        await self.server.start("127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc) -> None:
        await self.server.close()

    async def call(self, keys, caller: str = LISTED) -> FakeAsterisk:
        self.calls += 1
        fake = FakeAsterisk(self.server.port, keys, caller=caller, uniqueid=f"1700000000.{self.calls}")
        await fake.session()
        for _ in range(200):  # the server has finished the session (bounded)
            st = self.server.stats
            if st.completed + st.hangups + st.failures >= st.sessions:
                break
            await asyncio.sleep(0.01)
        assert self.server.stats.failures == 0
        return fake


async def test_listed_caller_goes_to_the_priority_queue(tmp_path):
    path = priority_file(tmp_path, f"# heroes and veterans\n{LISTED}\n")
    async with Hotline(tmp_path, path) as hotline:
        fake = await hotline.call(UTILITIES)
        record = hotline.log.fields["1700000000.1"]
    v = fake.variables
    assert v["HOTLINE_ACTION"] == "queue"
    assert v["HOTLINE_QUEUE"] == "priority" and v["HOTLINE_PRIORITY"] == "1"
    # language and topic still travel with the call, for the operator's screen
    assert v["HOTLINE_LANGUAGE"] == "uk" and v["HOTLINE_TOPIC"] == "utilities"
    assert v["HOTLINE_IVR_REASON"] == "choice"
    assert record["queue"] == "priority" and record["language"] == "uk"
    assert record["topic_code"] == "20"


async def test_listed_english_caller_keeps_language(tmp_path):
    path = priority_file(tmp_path, f"{LISTED}\n")
    async with Hotline(tmp_path, path) as hotline:
        fake = await hotline.call(["2", "2"])  # English, consultation
    assert fake.variables["HOTLINE_QUEUE"] == "priority"
    assert fake.variables["HOTLINE_LANGUAGE"] == "en"
    assert fake.variables["HOTLINE_TOPIC"] == "consultation"


async def test_unlisted_caller_goes_to_the_topic_queue(tmp_path):
    path = priority_file(tmp_path, "380671111111\n")
    async with Hotline(tmp_path, path) as hotline:
        fake = await hotline.call(UTILITIES)
        anonymous = await hotline.call(UTILITIES, caller="anonymous")
    assert fake.variables["HOTLINE_QUEUE"] == "utilities"
    assert "HOTLINE_PRIORITY" not in fake.variables
    assert anonymous.variables["HOTLINE_QUEUE"] == "utilities"


async def test_voice_appeal_and_callback_choices_are_unchanged(tmp_path):
    path = priority_file(tmp_path, f"{LISTED}\n")
    async with Hotline(tmp_path, path) as hotline:
        appeal = await hotline.call(["1", "4"])
        callback = await hotline.call(["1", "5"])
    assert appeal.variables["HOTLINE_ACTION"] == "voice_appeal"
    assert callback.variables["HOTLINE_ACTION"] == "callback"
    for fake in (appeal, callback):
        assert "HOTLINE_PRIORITY" not in fake.variables
        assert "HOTLINE_QUEUE" not in fake.variables


@pytest.mark.parametrize("stored", ["0501234567", "380501234567", "+380501234567",
                                    "+38 (050) 123-45-67", '"050-123-45-67",Hero of Ukraine'])
@pytest.mark.parametrize("caller", ["0501234567", "380501234567", "+380501234567"])
async def test_number_matches_in_any_stored_form(tmp_path, stored, caller):
    path = priority_file(tmp_path, f"number,category\n{stored}\n")
    async with Hotline(tmp_path, path) as hotline:
        fake = await hotline.call(UTILITIES, caller=caller)
    assert fake.variables["HOTLINE_QUEUE"] == "priority"


@pytest.mark.parametrize("broken", ["missing", "directory", "not-utf8"])
async def test_broken_file_means_nobody_is_priority_and_is_logged_once(tmp_path, caplog, broken):
    path = tmp_path / "priority.csv"
    if broken == "directory":
        path.mkdir()
    elif broken == "not-utf8":
        path.write_bytes(b"\xff\xfe\x00\xd8" + LISTED.encode("utf-16-le") + b"\xc3")
    caplog.set_level(logging.INFO, logger="agi_scripts")
    async with Hotline(tmp_path, path) as hotline:
        first = await hotline.call(UTILITIES)
        second = await hotline.call(UTILITIES)
    for fake in (first, second):
        assert fake.variables["HOTLINE_ACTION"] == "queue"
        assert fake.variables["HOTLINE_QUEUE"] == "utilities"
    errors = [r for r in caplog.records if "priority numbers file" in r.getMessage()
              and r.levelno == logging.ERROR]
    assert len(errors) == 1


async def test_changed_file_is_re_read(tmp_path, caplog):
    path = priority_file(tmp_path, "380671111111\n")
    async with Hotline(tmp_path, path) as hotline:
        before = await hotline.call(UTILITIES)
        path.write_text(f"380671111111\n{LISTED}\n", encoding="utf-8")
        st = path.stat()
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
        after = await hotline.call(UTILITIES)
        path.unlink()  # taken away: nobody is priority again
        gone = await hotline.call(UTILITIES)
    assert before.variables["HOTLINE_QUEUE"] == "utilities"
    assert after.variables["HOTLINE_QUEUE"] == "priority"
    assert gone.variables["HOTLINE_QUEUE"] == "utilities"


async def test_no_file_configured_changes_nothing(tmp_path):
    async with Hotline(tmp_path, None) as hotline:
        fake = await hotline.call(UTILITIES)
    assert fake.variables["HOTLINE_QUEUE"] == "utilities"


def test_parse_comments_csv_and_bad_lines():
    text = ("\ufeffnumber;category\n"
            "# a comment line\n"
            "0501234567 ; war_disabled  # trailing comment\n"
            "\t\n"
            "+380671234567\tcombat_veteran\n"
            "12\n"                     # too short: a typo
            "38050x1234567\n")         # letters: not a number
    numbers, skipped = parse_priority_numbers(text)
    assert numbers == {"380501234567", "380671234567"}
    assert skipped == [6, 7]


def test_priority_callers_without_a_path():
    callers = PriorityCallers(None)
    assert callers.numbers() == frozenset()
    assert not callers.contains(LISTED)
