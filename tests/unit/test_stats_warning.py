"""Early warning: Poisson tail, true and false positives."""

from __future__ import annotations

import math
import random

import pytest

from appeal_store.stats.warning import assess, early_warning, poisson_upper_tail


def naive_tail(k: int, rate: float) -> float:
    return 1 - sum(math.exp(-rate) * rate**i / math.factorial(i) for i in range(k))


@pytest.mark.parametrize(("k", "rate"), [(0, 3.0), (1, 3.0), (3, 3.0), (8, 3.0), (20, 4.0),
                                         (15, 10.0), (2, 0.5)])
def test_poisson_tail_matches_the_definition(k, rate):
    assert poisson_upper_tail(k, rate) == pytest.approx(naive_tail(k, rate), rel=1e-9, abs=1e-15)


def test_poisson_tail_far_out_is_tiny_not_negative():
    p = poisson_upper_tail(200, 20.0)
    assert 0 < p < 1e-60


def test_a_real_spike_is_flagged():
    s = assess("UA-46", today=30, baseline=[10, 12, 9, 11, 8, 10, 12])
    assert s.flagged and s.p_value < 1e-6 and s.baseline_mean == pytest.approx(72 / 7)


def test_ordinary_fluctuation_is_not_flagged():
    s = assess("UA-46", today=14, baseline=[10, 12, 9, 11, 8, 10, 12])
    assert not s.flagged and s.p_value > 0.01


def test_few_appeals_against_zero_baseline_are_not_flagged():
    assert not assess("16.01", today=3, baseline=[0] * 14).flagged
    assert assess("16.01", today=8, baseline=[0] * 14).flagged


def test_noisy_baseline_needs_a_bigger_rise():
    # same mean as above but a baseline that swings widely: 22 is within its own spread
    noisy = [2, 25, 1, 20, 3, 18, 3]
    assert not assess("k", today=22, baseline=noisy).flagged
    assert assess("k", today=22, baseline=[10, 11, 10, 10, 9, 12, 10]).flagged


def test_early_warning_orders_flagged_first_and_counts_missing_as_zero():
    baseline = [{"A": 10, "B": 5}, {"A": 11, "B": 4}, {"A": 9}]
    signals = early_warning({"A": 30, "B": 5, "C": 1}, baseline)
    assert signals[0].key == "A" and signals[0].flagged
    b = next(s for s in signals if s.key == "B")
    assert b.baseline_mean == pytest.approx(3.0) and not b.flagged
    with pytest.raises(ValueError):
        early_warning({"A": 1}, [])


def test_false_positive_rate_on_poisson_noise_is_low():
    rng = random.Random(1545)

    def poisson(lam: float) -> int:  # Knuth's method, enough for small rates
        limit, k, p = math.exp(-lam), 0, 1.0
        while True:
            p *= rng.random()
            if p <= limit:
                return k
            k += 1

    flagged = 0
    trials = 2000
    for i in range(trials):
        lam = 5 + (i % 20)
        flagged += assess(i, poisson(lam), [poisson(lam) for _ in range(28)]).flagged
    assert flagged / trials < 0.01


def test_negative_counts_are_refused():
    with pytest.raises(ValueError):
        assess("k", today=-1, baseline=[1])
