"""Early warning: a region or topic whose appeals rise beyond what chance explains.

Each key (a region code, a topic code) is compared with its own recent baseline: the
counts of the same stretch of the day on each of the previous days. Under a Poisson
model with the baseline mean as its rate, the chance of seeing at least today's count is
the upper tail ``P(X >= today)``; the key is flagged when that is below ``alpha`` and
today's count is at least ``min_count`` (three appeals against a baseline of zero is not
yet social tension). When the baseline varies more than Poisson allows, its own variance
is used through a z-score as well, and both must agree.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

DEFAULT_ALPHA = 0.01
DEFAULT_MIN_COUNT = 5
DEFAULT_Z = 3.0
RATE_FLOOR = 0.5  # a key never seen still has some small chance of an appeal


def poisson_upper_tail(k: int, rate: float) -> float:
    """``P(X >= k)`` for ``X ~ Poisson(rate)``, computed in log space."""
    if rate < 0:
        raise ValueError("rate must not be negative")
    if k <= 0:
        return 1.0
    if rate == 0:
        return 0.0
    # 1 - P(X <= k-1); sum the lower terms when they are the small side, else the upper
    log_term = -rate  # log P(X = 0)
    if k - 1 < rate:  # the lower tail is small: subtract it
        lower = 0.0
        for i in range(k):
            if i:
                log_term += math.log(rate) - math.log(i)
            lower += math.exp(log_term)
        return max(0.0, 1.0 - lower)
    log_term = -rate + k * math.log(rate) - math.lgamma(k + 1)  # log P(X = k)
    total = 0.0
    i = k
    while True:
        term = math.exp(log_term)
        total += term
        if term < total * 1e-16 or i > k + 10_000:
            break
        i += 1
        log_term += math.log(rate) - math.log(i)
    return min(1.0, total)


@dataclass(frozen=True)
class Signal:
    """One key's count today against its baseline, and whether it is flagged."""

    key: Hashable
    today: int
    baseline_mean: float
    baseline_sd: float
    p_value: float
    z_score: float
    flagged: bool

    @property
    def ratio(self) -> float | None:
        return self.today / self.baseline_mean if self.baseline_mean else None


def _mean_sd(values: Sequence[int]) -> tuple[float, float]:
    if not values:
        return 0.0, 0.0
    mean = sum(values) / len(values)
    if len(values) < 2:
        return mean, 0.0
    var = sum((v - mean) ** 2 for v in values) / (len(values) - 1)
    return mean, math.sqrt(var)


def assess(
    key: Hashable,
    today: int,
    baseline: Sequence[int],
    *,
    alpha: float = DEFAULT_ALPHA,
    min_count: int = DEFAULT_MIN_COUNT,
    z_threshold: float = DEFAULT_Z,
) -> Signal:
    """The signal of one key: ``today``'s count against its ``baseline`` daily counts."""
    if today < 0 or any(v < 0 for v in baseline):
        raise ValueError("counts must not be negative")
    mean, sd = _mean_sd(baseline)
    rate = max(mean, RATE_FLOOR)
    p = poisson_upper_tail(today, rate)
    spread = max(sd, math.sqrt(rate))  # never narrower than Poisson
    z = (today - mean) / spread
    flagged = today >= min_count and today > mean and p < alpha and z >= z_threshold
    return Signal(key, today, mean, sd, p, z, flagged)


def early_warning(
    today: Mapping[Hashable, int],
    baseline_days: Sequence[Mapping[Hashable, int]],
    *,
    alpha: float = DEFAULT_ALPHA,
    min_count: int = DEFAULT_MIN_COUNT,
    z_threshold: float = DEFAULT_Z,
) -> list[Signal]:
    """Signals of every key seen today or in the baseline, flagged first, then by p-value.

    ``baseline_days`` holds one mapping of counts per earlier day (a key missing from a
    day counted 0 on it).
    """
    if not baseline_days:
        raise ValueError("a baseline of at least one earlier day is needed")
    keys = set(today) | {k for day in baseline_days for k in day}
    signals = [
        assess(k, today.get(k, 0), [day.get(k, 0) for day in baseline_days],
               alpha=alpha, min_count=min_count, z_threshold=z_threshold)
        for k in keys
    ]
    return sorted(signals, key=lambda s: (not s.flagged, s.p_value, -s.today, str(s.key)))
