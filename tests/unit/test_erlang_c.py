"""Erlang C against textbook values."""

from __future__ import annotations

import math

import pytest

from appeal_store.stats.erlang import (
    average_speed_of_answer,
    erlang_b,
    erlang_c,
    service_level,
    staff_for,
)
from appeal_store.stats.staffing import hourly_plan


def test_erlang_b_small_exact_case():
    # B(2, 1) = (1/2) / (1 + 1 + 1/2) = 0.2
    assert erlang_b(2, 1.0) == pytest.approx(0.2)
    assert erlang_b(0, 3.0) == 1.0


def test_erlang_c_exact_case():
    # A = 2 erlangs, N = 3: C = (8/6 * 3) / (8/6 * 3 + (1 + 2 + 2) * 1) = 4/9
    assert erlang_c(3, 2.0) == pytest.approx(4 / 9)
    assert erlang_c(1, 0.5) == pytest.approx(0.5)  # M/M/1: C = rho


@pytest.mark.parametrize(("agents", "expected_c", "expected_sl"), [
    (11, 0.6821, 0.3897),
    (12, 0.4494, 0.6402),
    (13, 0.2853, 0.7956),
    (14, 0.1741, 0.8884),
])
def test_textbook_ten_erlangs(agents, expected_c, expected_sl):
    # The classic example: 100 calls in 30 minutes, AHT 180 s -> 10 erlangs, 80/20 target.
    assert erlang_c(agents, 10.0) == pytest.approx(expected_c, abs=1e-3)
    assert service_level(agents, 10.0, 180, 20) == pytest.approx(expected_sl, abs=1e-3)


def test_staff_for_textbook_example():
    plan = staff_for(100, 1800, 180, 0.8, 20)
    assert plan.traffic == pytest.approx(10.0)
    assert plan.agents == 14
    assert plan.asa_seconds == pytest.approx(0.1741 * 180 / 4, abs=0.1)
    assert plan.occupancy == pytest.approx(10 / 14)


def test_staff_for_max_occupancy_adds_operators():
    assert staff_for(100, 1800, 180, 0.8, 20, max_occupancy=0.65).agents == 16


def test_overloaded_and_empty_cases():
    assert erlang_c(10, 10.0) == 1.0 and service_level(9, 10.0, 180, 20) == 0.0
    assert math.isinf(average_speed_of_answer(10, 10.0, 180))
    zero = staff_for(0, 3600, 180, 0.8, 20)
    assert zero.agents == 0 and zero.service_level == 1.0


def test_large_traffic_is_stable():
    plan = staff_for(6000, 3600, 300, 0.8, 20)  # 500 erlangs
    assert 500 < plan.agents < 540
    assert 0.8 <= plan.service_level < 0.9


@pytest.mark.parametrize("kwargs", [
    {"calls": -1}, {"aht_seconds": 0}, {"target": 1.0}, {"period_seconds": 0},
    {"max_occupancy": 1.5},
])
def test_bad_input_is_refused(kwargs):
    args = {"calls": 10, "period_seconds": 3600, "aht_seconds": 180, "target": 0.8,
            "threshold_seconds": 20} | kwargs
    with pytest.raises(ValueError):
        staff_for(**args)


def test_hourly_plan_from_observed_calls():
    import datetime as dt

    from appeal_store.stats.figures import QueueCall

    day = dt.datetime(2025, 3, 3, tzinfo=dt.UTC)
    calls = []
    for d in range(2):  # two days, 200 calls at 10:00 each day with 180 s talk
        for i in range(200):
            calls.append(QueueCall(f"{d}-{i}", "q", day + dt.timedelta(days=d, hours=10),
                                   outcome="answered", wait_seconds=5, talk_seconds=180,
                                   ended=True))
    plans = hourly_plan(calls, days=2, tz=dt.UTC, target=0.8, threshold_seconds=20)
    assert plans[10].calls_per_day == 200 and plans[10].aht_seconds == 180
    assert plans[10].staffing.agents == staff_for(200, 3600, 180, 0.8, 20).agents
    assert plans[9].staffing is None and plans[9].calls_per_day == 0
    with pytest.raises(ValueError):
        hourly_plan(calls, days=0, tz=dt.UTC)
