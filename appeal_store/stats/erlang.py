"""Erlang C staffing: how many operators a given volume and handle time need.

The textbook M/M/N model: calls arrive at random (Poisson), handle times are exponential,
callers wait without hanging up. With traffic ``A = calls x AHT / period`` erlangs and
``N`` operators (``N > A``), the probability that a caller waits is Erlang C, and

    service level = 1 - C(N, A) * exp(-(N - A) * t / AHT)
    ASA           = C(N, A) * AHT / (N - A)

Erlang C is computed from the Erlang B recursion, which stays stable for hundreds of
operators (no factorials). Erlang C ignores abandons, so it errs on the side of more staff.

Example::

    >>> staff_for(calls=100, period_seconds=1800, aht_seconds=180, target=0.8,
    ...           threshold_seconds=20).agents
    14
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MAX_AGENTS = 5000


def erlang_b(agents: int, traffic: float) -> float:
    """Blocking probability of ``agents`` servers offered ``traffic`` erlangs."""
    if agents < 0 or traffic < 0:
        raise ValueError("agents and traffic must not be negative")
    b = 1.0
    for n in range(1, agents + 1):
        b = traffic * b / (n + traffic * b)
    return b


def erlang_c(agents: int, traffic: float) -> float:
    """Probability that a caller has to wait (1.0 when ``agents <= traffic``: queue grows)."""
    if agents <= traffic:
        return 1.0 if traffic > 0 else 0.0
    b = erlang_b(agents, traffic)
    return agents * b / (agents - traffic * (1 - b))


def service_level(agents: int, traffic: float, aht_seconds: float,
                  threshold_seconds: float) -> float:
    """Share of callers answered within ``threshold_seconds``."""
    if aht_seconds <= 0:
        raise ValueError("aht_seconds must be positive")
    if agents <= traffic:
        return 0.0
    c = erlang_c(agents, traffic)
    return 1.0 - c * math.exp(-(agents - traffic) * threshold_seconds / aht_seconds)


def average_speed_of_answer(agents: int, traffic: float, aht_seconds: float) -> float:
    """Mean wait of all callers in seconds (``inf`` when the queue grows without bound)."""
    if agents <= traffic:
        return math.inf
    return erlang_c(agents, traffic) * aht_seconds / (agents - traffic)


@dataclass(frozen=True)
class Staffing:
    """Operators needed for one interval, and what they achieve."""

    calls: float
    aht_seconds: float
    traffic: float  # erlangs
    agents: int
    service_level: float
    asa_seconds: float
    occupancy: float
    wait_probability: float


def staff_for(
    calls: float,
    period_seconds: float,
    aht_seconds: float,
    target: float,
    threshold_seconds: float,
    *,
    max_occupancy: float | None = None,
) -> Staffing:
    """The fewest operators that answer ``target`` of ``calls`` within the threshold.

    ``max_occupancy`` (0..1), when given, adds operators until traffic / agents is at
    most that share, so nobody is planned to talk without a pause.
    """
    if calls < 0 or period_seconds <= 0 or aht_seconds <= 0:
        raise ValueError("calls >= 0, period_seconds > 0 and aht_seconds > 0 are required")
    if not 0 < target < 1:
        raise ValueError("target must be between 0 and 1 (exclusive)")
    if max_occupancy is not None and not 0 < max_occupancy <= 1:
        raise ValueError("max_occupancy must be in (0, 1]")
    traffic = calls * aht_seconds / period_seconds
    if traffic == 0:
        return Staffing(calls, aht_seconds, 0.0, 0, 1.0, 0.0, 0.0, 0.0)
    agents = max(1, math.floor(traffic) + 1)
    while True:
        sl = service_level(agents, traffic, aht_seconds, threshold_seconds)
        occupancy = traffic / agents
        if sl >= target and (max_occupancy is None or occupancy <= max_occupancy):
            break
        agents += 1
        if agents > MAX_AGENTS:
            raise ValueError(f"more than {MAX_AGENTS} operators needed; check the inputs")
    return Staffing(
        calls=calls, aht_seconds=aht_seconds, traffic=traffic, agents=agents,
        service_level=sl, asa_seconds=average_speed_of_answer(agents, traffic, aht_seconds),
        occupancy=traffic / agents, wait_probability=erlang_c(agents, traffic),
    )
