"""Legal deadlines (Art. 20): 15 days, one calendar month, extensions up to 45 days."""

from __future__ import annotations

import datetime as dt

import pytest

from appeal_store import deadlines as d

UTC = dt.UTC


def at(y, m, day, h=10, mi=0):
    return dt.datetime(y, m, day, h, mi, tzinfo=UTC)


def test_fifteen_days_without_study():
    assert d.due_date(at(2026, 3, 1), needs_study=False) == at(2026, 3, 16)


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (at(2026, 1, 15), at(2026, 2, 15)),
        (at(2026, 1, 31), at(2026, 2, 28)),  # calendar month, clamped
        (at(2028, 1, 31), at(2028, 2, 29)),  # leap year
        (at(2026, 12, 20), at(2027, 1, 20)),  # over the year end
        (at(2026, 3, 31), at(2026, 4, 30)),
    ],
)
def test_one_calendar_month_with_study(received, due):
    assert d.due_date(received, needs_study=True) == due


def test_extension_within_45_days_with_reason():
    received = at(2026, 1, 1)
    current = d.due_date(received, True)
    new = d.extend(received, current, at(2026, 2, 15), "потрібен запит до архіву")
    assert new == at(2026, 2, 15)
    assert d.extend(received, current, received + dt.timedelta(days=45), "x") == at(2026, 2, 15)


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_extension_refused_without_reason(reason):
    received = at(2026, 1, 1)
    with pytest.raises(d.DeadlineError, match="reason"):
        d.extend(received, d.due_date(received, True), at(2026, 2, 10), reason)


def test_extension_refused_beyond_45_days():
    received = at(2026, 1, 1)
    with pytest.raises(d.DeadlineError, match="45 days"):
        d.extend(received, d.due_date(received, True),
                 received + dt.timedelta(days=45, seconds=1), "reason")


def test_extension_must_move_the_deadline_later():
    received = at(2026, 1, 1)
    current = d.due_date(received, True)
    with pytest.raises(d.DeadlineError, match="later"):
        d.extend(received, current, current - dt.timedelta(days=1), "reason")


def test_naive_datetimes_refused():
    with pytest.raises(d.DeadlineError, match="timezone-aware"):
        d.due_date(dt.datetime(2026, 1, 1), False)


def test_overdue():
    due = at(2026, 1, 16)
    assert not d.is_overdue(due, at(2026, 1, 16, 9))
    assert d.is_overdue(due, at(2026, 1, 16, 11))
    assert not d.is_overdue(due, at(2026, 2, 1), answered_at=at(2026, 1, 15))
    assert d.is_overdue(due, at(2026, 2, 1), answered_at=at(2026, 1, 20))


def test_days_left_counts_kyiv_calendar_days():
    due = at(2026, 1, 16, 10)
    assert d.days_left(due, at(2026, 1, 1, 10)) == 15
    assert d.days_left(due, at(2026, 1, 16, 1)) == 0
    assert d.days_left(due, at(2026, 1, 18, 10)) == -2
    # 22:30 UTC on 15 Jan is already 16 Jan in Kyiv (UTC+2)
    assert d.days_left(due, at(2026, 1, 15, 22, 30)) == 0
    assert d.days_left(due, at(2026, 1, 15, 22, 30), tz="UTC") == 1


def test_priority_categories_have_both_languages():
    assert len(d.PRIORITY_CATEGORIES) >= 5
    for cat in d.PRIORITY_CATEGORIES:
        assert cat.name_uk and cat.name_en and cat.code
    assert d.priority_category("hero_of_ukraine").personally
    assert d.priority_category("combat_veteran").name_uk == "Учасник бойових дій"
    assert d.priority_category(None) is None
    with pytest.raises(d.DeadlineError):
        d.priority_category("nobody")
