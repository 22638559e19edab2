"""Queue figures over call events, with hand-computed cases."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from appeal_store.stats.figures import (
    QueueEvent,
    figures,
    fill_hours,
    fold_calls,
    group_figures,
    longest_wait,
)

T0 = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def answered(uid: str, queue: str, start: float, wait: int, talk: int | None,
             agent: str = "PJSIP/op1") -> list[QueueEvent]:
    events = [QueueEvent(uid, "enter", queue, at(start)),
              QueueEvent(uid, "connect", queue, at(start + wait), agent=agent, wait_seconds=wait)]
    if talk is not None:
        events.append(QueueEvent(uid, "complete", queue, at(start + wait + talk), agent=agent,
                                 talk_seconds=talk))
    return events


def abandoned(uid: str, queue: str, start: float, wait: int) -> list[QueueEvent]:
    return [QueueEvent(uid, "enter", queue, at(start)),
            QueueEvent(uid, "abandon", queue, at(start + wait), wait_seconds=wait)]


def test_service_level_counts_exactly_threshold_as_within():
    events = (answered("a", "common", 0, 20, 100) + answered("b", "common", 1, 21, 200)
              + answered("c", "common", 2, 0, 60))
    f = figures(fold_calls(events), threshold=20)
    assert (f.offered, f.answered, f.answered_within) == (3, 3, 2)
    assert f.service_level == pytest.approx(2 / 3)
    assert f.asa_seconds == pytest.approx((20 + 21 + 0) / 3)
    assert f.aht_seconds == pytest.approx((100 + 200 + 60) / 3)


def test_short_abandons_are_left_out_of_service_level_but_counted_as_abandoned():
    # 2 answered in time, 1 answered late, abandon after 5 s (short), after 6 s (not short),
    # after 40 s: SL = 2 / (3 + 3 - 1) = 2/5
    events = (answered("a", "q", 0, 5, 30) + answered("b", "q", 0, 19, 30)
              + answered("c", "q", 0, 45, 30) + abandoned("d", "q", 0, 5)
              + abandoned("e", "q", 0, 6) + abandoned("f", "q", 0, 40))
    f = figures(fold_calls(events), threshold=20, short_abandon=6)
    assert (f.offered, f.answered, f.abandoned, f.short_abandoned) == (6, 3, 3, 1)
    assert f.service_level == pytest.approx(2 / 5)
    assert f.abandon_rate == pytest.approx(2 / 5)
    assert f.asa_seconds == pytest.approx((5 + 19 + 45) / 3)


def test_threshold_is_a_setting():
    events = answered("a", "q", 0, 25, 10) + answered("b", "q", 0, 35, 10)
    assert figures(fold_calls(events), threshold=30).service_level == pytest.approx(0.5)
    assert figures(fold_calls(events), threshold=20).service_level == 0.0


def test_waiting_calls_are_offered_but_not_yet_in_service_level():
    events = answered("a", "q", 0, 10, None) + [QueueEvent("w", "enter", "q", at(5))]
    f = figures(fold_calls(events))
    assert (f.offered, f.answered, f.waiting, f.handled) == (2, 1, 1, 0)
    assert f.service_level == 1.0
    assert f.aht_seconds is None  # the answered call is still talking


def test_timeout_exit_is_unanswered_and_counts_against_service_level():
    events = answered("a", "q", 0, 10, 50) + [
        QueueEvent("x", "enter", "q", at(0)),
        QueueEvent("x", "exit_timeout", "q", at(300), wait_seconds=300)]
    f = figures(fold_calls(events))
    assert (f.unanswered, f.service_level) == (1, 0.5)


def test_no_calls_give_no_ratios():
    f = figures([])
    assert f.offered == 0 and f.service_level is None and f.asa_seconds is None
    assert f.abandon_rate is None


def test_only_short_abandons_give_no_service_level():
    f = figures(fold_calls(abandoned("a", "q", 0, 2)))
    assert f.short_abandoned == 1 and f.service_level is None and f.abandon_rate is None


def test_negative_threshold_is_refused():
    with pytest.raises(ValueError):
        figures([], threshold=-1)


def test_duplicates_out_of_order_and_lost_enter_are_tolerated():
    events = answered("a", "q", 0, 12, 40)
    events = [events[2], events[1], events[0], events[1]]  # shuffled, connect twice
    # a call whose enter was lost: offered from its connect, wait from the event
    events += [QueueEvent("b", "connect", "q", at(30), agent="PJSIP/op2", wait_seconds=8),
               QueueEvent("b", "complete", None, at(90), talk_seconds=60)]
    calls = fold_calls(events)
    assert [(c.uniqueid, c.outcome, c.wait_seconds, c.talk_seconds) for c in calls] == [
        ("a", "answered", 12, 40), ("b", "answered", 8, 60)]
    assert calls[1].entered_at == at(22)


def test_reentry_after_transfer_back_is_a_second_offer_of_the_queue():
    events = answered("a", "q", 0, 3, 20) + [
        QueueEvent("a", "enter", "q", at(100)),
        QueueEvent("a", "abandon", "q", at(130), wait_seconds=30)]
    calls = fold_calls(events)
    assert [c.outcome for c in calls] == ["answered", "abandoned"]


def test_transfer_ends_the_handle_time():
    events = [QueueEvent("a", "enter", "q", at(0)),
              QueueEvent("a", "connect", "q", at(4), agent="PJSIP/op1", wait_seconds=4),
              QueueEvent("a", "transfer", "q", at(64), agent="PJSIP/op1", talk_seconds=60),
              QueueEvent("a", "ivr_input", None, at(1))]  # not a queue event: ignored
    f = figures(fold_calls(events))
    assert f.aht_seconds == 60 and f.handled == 1


def test_wait_without_wait_seconds_comes_from_timestamps():
    events = [QueueEvent("a", "enter", "q", at(0)), QueueEvent("a", "connect", "q", at(15))]
    assert fold_calls(events)[0].wait_seconds == 15


def test_grouping_by_queue_operator_and_local_hour():
    kyiv = ZoneInfo("Europe/Kyiv")  # UTC+2 in March before DST
    events = (answered("a", "common", 0, 5, 10, agent="PJSIP/op1")
              + answered("b", "consult", 3600, 30, 10, agent="PJSIP/op2")
              + abandoned("c", "common", 3700, 50))
    calls = fold_calls(events)
    by_queue = dict(group_figures(calls, "queue"))
    assert by_queue["common"].offered == 2 and by_queue["common"].abandoned == 1
    assert by_queue["consult"].service_level == 0.0
    by_op = group_figures(calls, "operator")
    assert [k for k, _ in by_op] == ["PJSIP/op1", "PJSIP/op2", None]  # unknown last
    by_hour = dict(group_figures(calls, "hour_of_day", kyiv))
    assert set(by_hour) == {11, 12} and by_hour[12].offered == 2
    with pytest.raises(ValueError):
        group_figures(calls, "colour")


def test_fill_hours_covers_empty_hours_across_dst():
    kyiv = ZoneInfo("Europe/Kyiv")
    start = dt.datetime(2025, 3, 30, 0, 0, tzinfo=kyiv)  # clocks go 03:00 -> 04:00
    end = dt.datetime(2025, 3, 30, 6, 0, tzinfo=kyiv)
    hours = [h.hour for h, _ in fill_hours([], start, end)]
    assert hours == [0, 1, 2, 4, 5]


def test_longest_wait():
    assert longest_wait([at(0), at(30)], at(50)) == 50
    assert longest_wait([], at(50)) == 0


def test_transfer_without_talk_time_waits_for_the_complete_event():
    events = [QueueEvent("a", "enter", "q", at(0)),
              QueueEvent("a", "connect", "q", at(4), agent="op1", wait_seconds=4),
              QueueEvent("a", "transfer", None, at(64), agent="op1"),
              QueueEvent("a", "complete", "q", at(64), agent="op1", talk_seconds=60)]
    assert fold_calls(events)[0].talk_seconds == 60


def test_overflow_after_a_wait_timeout_is_unanswered_in_the_first_queue():
    events = [QueueEvent("a", "enter", "q1", at(0)),
              QueueEvent("a", "overflow", "q1", at(120)),
              QueueEvent("a", "enter", "q2", at(121)),
              QueueEvent("a", "connect", "q2", at(130), agent="op1", wait_seconds=9),
              # diverted for length before joining q3: never offered there
              QueueEvent("b", "overflow", "q3", at(5))]
    calls = fold_calls(events)
    assert [(c.queue, c.outcome, c.wait_seconds) for c in calls] == [
        ("q1", "unanswered", 120), ("q2", "answered", 9)]


def test_joining_another_queue_closes_the_wait_in_the_first():
    events = [QueueEvent("a", "enter", "q1", at(0)), QueueEvent("a", "enter", "q2", at(30))]
    calls = fold_calls(events)
    assert [(c.queue, c.outcome) for c in calls] == [("q1", "unanswered"), ("q2", "waiting")]
