"""Registration numbers on SQLite: format, per-year counters, keypad input, threads."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest

from appeal_store.db import session_scope
from appeal_store.numbering import (
    NumberingError,
    format_number,
    next_number,
    number_from_digits,
    parse_number,
)

UTC = dt.UTC


def test_sequential_numbers_and_a_new_year(factory):
    with session_scope(factory) as s:
        got = [next_number(s, "1545", dt.datetime(2026, 5, 1, tzinfo=UTC)) for _ in range(3)]
    assert got == ["1545-2026-000001", "1545-2026-000002", "1545-2026-000003"]
    with session_scope(factory) as s:
        # 22:30 UTC on 31 Dec is already the new year in Kyiv
        assert next_number(s, "1545", dt.datetime(2026, 12, 31, 22, 30, tzinfo=UTC)) == (
            "1545-2027-000001"
        )
        assert next_number(s, "1545", dt.datetime(2026, 12, 31, 20, 0, tzinfo=UTC)) == (
            "1545-2026-000004"
        )
        assert next_number(s, "0800", dt.datetime(2026, 5, 1, tzinfo=UTC)) == "0800-2026-000001"


def test_rolled_back_number_is_not_reissued_twice(factory):
    with pytest.raises(RuntimeError), session_scope(factory) as s:
        next_number(s, "1545", dt.datetime(2026, 5, 1, tzinfo=UTC))
        raise RuntimeError("registration failed")
    with session_scope(factory) as s:
        assert next_number(s, "1545", dt.datetime(2026, 5, 1, tzinfo=UTC)) == "1545-2026-000001"


def test_bad_inputs_refused(factory):
    with session_scope(factory) as s:
        with pytest.raises(NumberingError):
            next_number(s, "15 45'; drop", dt.datetime(2026, 5, 1, tzinfo=UTC))
        with pytest.raises(NumberingError):
            next_number(s, "1545", dt.datetime(2026, 5, 1))


def test_threads_on_sqlite_get_distinct_numbers(factory):
    def take(_):
        with session_scope(factory) as s:
            return next_number(s, "1545", dt.datetime(2026, 5, 1, tzinfo=UTC))

    with ThreadPoolExecutor(max_workers=6) as pool:
        numbers = list(pool.map(take, range(60)))
    assert len(set(numbers)) == 60
    assert {parse_number(n)[2] for n in numbers} == set(range(1, 61))


def test_format_parse_and_keypad_digits():
    assert format_number("1545", 2026, 123) == "1545-2026-000123"
    assert parse_number(" 1545-2026-000123 ") == ("1545", 2026, 123)
    assert parse_number("1545-2026-1234567") == ("1545", 2026, 1234567)
    for bad in ("1545-26-000123", "abc", "1545-2026-12", "1545/2026/000123"):
        with pytest.raises(NumberingError):
            parse_number(bad)
    assert number_from_digits("2026000123", "1545") == "1545-2026-000123"
    assert number_from_digits("15452026000123", "1545") == "1545-2026-000123"
    assert number_from_digits("2026 000 123#", "1545") == "1545-2026-000123"
    assert number_from_digits("12345", "1545") is None
