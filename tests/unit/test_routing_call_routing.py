"""Call routing: queue choice, language, topic, priority callers, hours and overflow."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import yaml

from routing.calendar import build_calendar
from routing.call_routing import (
    CALL_ROUTING_FILE,
    CALLBACK,
    VOICE_APPEAL,
    CallRoutingError,
    OverflowRule,
    QueueStats,
    build_call_routing,
    choose_queue,
    default_call_routing,
    is_priority_caller,
    load_call_routing,
    normalize_number,
)
from routing.reference import default_reference

KYIV = ZoneInfo("Europe/Kyiv")
OPEN = dt.datetime(2025, 6, 4, 10, 0, tzinfo=KYIV)  # Wednesday 10:00
NIGHT = dt.datetime(2025, 6, 4, 23, 0, tzinfo=KYIV)


@pytest.fixture(scope="module")
def cal():
    hours = {d: ["08:00-20:00"] for d in ("mon", "tue", "wed", "thu", "fri")}
    return build_calendar({"hours": hours, "observe_public_holidays": False}, [2025])


def choose(cal, choice=None, language="uk", topic=None, now=OPEN, priority=False, **kw):
    return choose_queue(choice, language, topic, now, cal, priority, **kw)


def test_ivr_key_and_queue_name_choose_the_queue(cal):
    d = choose(cal, "1")
    assert (d.queue, d.is_open, d.diverted_to, d.action, d.target_queue) == (
        "social", True, None, "queue", "social")
    assert "choice 1 -> social" in d.reason
    assert choose(cal, "utilities").queue == "utilities"


def test_nothing_known_goes_to_the_general_queue(cal):
    assert choose(cal).queue == "general"
    d = choose(cal, "7")
    assert d.queue == "general" and "unknown choice '7'" in d.reason


def test_topic_code_or_ivr_topic_label_picks_the_topic_queue(cal):
    assert choose(cal, "1", topic="20.02").queue == "utilities"  # topic beats the key
    assert choose(cal, topic="18.02").queue == "health"
    assert choose(cal, topic="consultation").queue == "consult"
    d = choose(cal, "3", topic="99.99")
    assert d.queue == "health" and "unknown topic '99.99'" in d.reason


def test_every_topic_queue_is_a_known_call_queue():
    cfg = default_call_routing()
    assert {t.queue for t in default_reference().topics} <= cfg.queues
    for code in cfg.ivr_topic_codes.values():
        assert code is None or default_reference().topic(code)


def test_language_queue_for_english_callers(cal):
    d = choose(cal, "1", language="en", topic="16.01")
    assert d.queue == "english" and "language en" in d.reason
    d = choose(cal, "1", language="de")
    assert d.queue == "social" and "unknown language 'de'" in d.reason
    assert choose(cal, "1", language=None).queue == "social"


def test_priority_caller_goes_first(cal):
    d = choose(cal, "1", language="en", priority=True)
    assert d.queue == "priority" and d.reason.startswith("priority caller")


def test_closed_offers_a_voice_appeal(cal):
    d = choose(cal, "1", now=NIGHT)
    assert (d.queue, d.is_open, d.diverted_to, d.action, d.target_queue) == (
        "social", False, VOICE_APPEAL, VOICE_APPEAL, None)
    assert "closed" in d.reason


def test_just_before_and_after_midnight_utc_vs_local(cal):
    # 20:59 UTC on Wednesday = 23:59 in Kyiv: closed; 05:00 UTC Thursday = 08:00: open
    assert not choose(cal, "1", now=dt.datetime(2025, 6, 4, 20, 59, tzinfo=dt.UTC)).is_open
    assert choose(cal, "1", now=dt.datetime(2025, 6, 5, 5, 0, tzinfo=dt.UTC)).is_open


def test_overflow_by_waiting_count_diverts_to_another_queue(cal):
    stats = {"social": QueueStats(waiting=21)}
    d = choose(cal, "1", queue_stats=stats)
    assert (d.queue, d.diverted_to, d.target_queue) == ("social", "general", "general")
    assert "social overloaded (21 waiting" in d.reason
    # at the threshold itself nobody is diverted ("passes" = above)
    assert choose(cal, "1", queue_stats={"social": QueueStats(waiting=20)}).diverted_to is None


def test_overflow_by_longest_wait_and_chained_diversion(cal):
    stats = {"social": QueueStats(waiting=2, longest_wait_seconds=301),
             "general": QueueStats(waiting=41)}
    d = choose(cal, "1", queue_stats=stats)
    assert (d.diverted_to, d.action) == (CALLBACK, CALLBACK)
    assert "social overloaded" in d.reason and "general overloaded" in d.reason


def test_overflow_rules_from_the_caller_and_to_a_voice_appeal(cal):
    rules = [OverflowRule("health", VOICE_APPEAL, max_waiting=3)]
    d = choose(cal, "3", queue_stats={"health": QueueStats(waiting=4)}, overflow_rules=rules)
    assert d.diverted_to == VOICE_APPEAL
    off = choose(cal, "3", queue_stats={"health": QueueStats(waiting=400)}, overflow_rules=())
    assert off.diverted_to is None


def test_overflow_loop_ends_in_the_last_resort(cal):
    rules = [OverflowRule("social", "general", max_waiting=1),
             OverflowRule("general", "social", max_waiting=1)]
    stats = {"social": QueueStats(waiting=5), "general": QueueStats(waiting=5)}
    d = choose(cal, "1", queue_stats=stats, overflow_rules=rules)
    assert d.diverted_to == CALLBACK and "loop" in d.reason


def test_priority_queue_is_never_diverted(cal):
    stats = {"priority": QueueStats(waiting=100, longest_wait_seconds=5000)}
    d = choose(cal, priority=True, queue_stats=stats)
    assert d.queue == "priority" and d.diverted_to is None


def test_no_overflow_check_when_closed(cal):
    d = choose(cal, "1", now=NIGHT, queue_stats={"social": QueueStats(waiting=99)})
    assert d.diverted_to == VOICE_APPEAL and "overloaded" not in d.reason


@pytest.mark.parametrize("raw", ["+38 (050) 123-45-67", "380501234567", "050 123 45 67"])
def test_priority_numbers_compare_in_normal_form(raw):
    assert normalize_number(raw) == "380501234567"
    assert is_priority_caller(raw, ["0501234567"])
    assert not is_priority_caller(raw, ["0501234568"])


def test_empty_caller_id_is_never_priority():
    assert not is_priority_caller("", ["", "0501234567"])
    assert not is_priority_caller(None, ["0501234567"])


def test_shipped_configuration_loads():
    cfg = load_call_routing()
    assert cfg.general_queue == "general" and cfg.priority_queue == "priority"
    assert cfg.after_hours == VOICE_APPEAL
    assert cfg.ivr_topic_codes["utilities"] == "20"
    assert cfg.priority_numbers == frozenset()  # no personal data in the repository


def test_bad_configuration_is_refused_with_every_problem():
    doc = yaml.safe_load(CALL_ROUTING_FILE.read_text(encoding="utf-8"))
    doc["choices"]["7"] = "sales"
    doc["overflow"].append({"queue": "social", "divert_to": "nowhere"})
    doc["after_hours"] = "hang_up"
    with pytest.raises(CallRoutingError) as err:
        build_call_routing(doc)
    text = str(err.value)
    assert "choices.7: unknown queue 'sales'" in text
    assert "unknown queue 'nowhere'" in text
    assert "give max_waiting or max_wait_seconds" in text
    assert "after_hours: must be one of" in text
    with pytest.raises(CallRoutingError, match="list the call queues"):
        build_call_routing({})


def test_load_call_routing_missing_file(tmp_path):
    with pytest.raises(CallRoutingError, match="cannot read"):
        load_call_routing(tmp_path / "none.yaml")
