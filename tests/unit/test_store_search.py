"""Appeal search and repeated-appeal detection on SQLite (LIKE fallback)."""

from __future__ import annotations

import datetime as dt

import pytest

from appeal_store import migrate
from appeal_store.db import make_engine, make_session_factory, session_scope
from appeal_store.models import Appeal, Applicant, Topic
from appeal_store.search import (
    find_repeated,
    name_tsquery,
    name_words,
    phone_variants,
    search_appeals,
)

UTC = dt.UTC


def make_rows(session):
    for code in ("16.01", "02.02", "20.01"):
        session.add(Topic(code=code, name_uk=code, name_en=code, queue="general"))
    people = [
        Applicant(full_name="Петренко Іван Миколайович", phone="+380441234567"),
        Applicant(full_name="Коваленко Олена Петрівна", phone="+380501112233"),
        Applicant(full_name="John O'Brien_100%", phone=None),
    ]
    session.add_all(people)
    session.flush()
    rows = [
        ("1545-2026-000001", "registered", 0, "Немає опалення у квартирі, батареї холодні", "16.01", 1),
        ("1545-2026-000002", "routed", 0, "Ремонт дороги на вулиці Шевченка", "02.02", 2),
        ("1545-2026-000003", "registered", 1, "Пенсія не нарахована за березень", "20.01", 3),
        (None, "draft", 0, "Знову немає опалення", "16.01", 4),
        ("1545-2026-000005", "closed", 2, "Heating broken, 100% cold", "16.01", 5),
    ]
    for number, status, who, substance, topic, day in rows:
        session.add(Appeal(number=number, status=status, applicant_id=people[who].id,
                           substance=substance, topic_code=topic,
                           received_at=dt.datetime(2026, 3, day, 9, tzinfo=UTC)))
    session.flush()
    return people


@pytest.fixture
def factory(sqlite_url):
    migrate.upgrade(sqlite_url)
    engine = make_engine(sqlite_url)
    f = make_session_factory(engine)
    with session_scope(f) as s:
        make_rows(s)
    yield f
    engine.dispose()


def numbers(rows):
    return [a.number for a in rows]


def test_by_number_and_phone_forms(factory):
    with session_scope(factory) as s:
        assert numbers(search_appeals(s, number=" 1545-2026-000002 ")) == ["1545-2026-000002"]
        for typed in ("0441234567", "+38 (044) 123-45-67", "380441234567"):
            got = search_appeals(s, phone=typed)
            assert {a.applicant.full_name for a in got} == {"Петренко Іван Миколайович"}
            assert len(got) == 3  # two registered and one draft
        assert search_appeals(s, phone="anonymous") == []


def test_by_name_is_case_insensitive_for_cyrillic(factory):
    with session_scope(factory) as s:
        got = search_appeals(s, applicant="ПЕТРЕНКО іван")
        assert len(got) == 3
        assert search_appeals(s, applicant="olena") == []
        # LIKE wildcards in the input are literal
        assert len(search_appeals(s, applicant="o'brien_100%")) == 1
        assert [a.applicant.full_name for a in search_appeals(s, applicant="%")] == [
            "John O'Brien_100%"
        ]
        assert search_appeals(s, applicant="_") != search_appeals(s)


def test_by_words_of_the_substance(factory):
    with session_scope(factory) as s:
        assert numbers(search_appeals(s, text="ОПАЛЕННЯ", status="registered")) == [
            "1545-2026-000001"
        ]
        assert len(search_appeals(s, text="опалення")) == 2  # the draft too
        assert numbers(search_appeals(s, text="дороги шевченка")) == ["1545-2026-000002"]
        assert search_appeals(s, text="дороги пенсія") == []


def test_dates_status_paging_and_order(factory):
    with session_scope(factory) as s:
        got = search_appeals(s, date_from=dt.datetime(2026, 3, 2, tzinfo=UTC),
                             date_to=dt.datetime(2026, 3, 5, tzinfo=UTC))
        assert [a.received_at.day for a in got] == [4, 3, 2]
        assert len(search_appeals(s, status=["registered", "routed"])) == 3
        page1 = search_appeals(s, limit=2)
        page2 = search_appeals(s, limit=2, offset=2)
        assert [a.received_at.day for a in page1 + page2] == [5, 4, 3, 2]
        assert len(search_appeals(s, limit=10_000)) == 5


def test_find_repeated(factory):
    with session_scope(factory) as s:
        assert numbers(find_repeated(s, phone="0441234567")) == [
            "1545-2026-000002", "1545-2026-000001",
        ]
        by_phone = find_repeated(s, phone="044 123 45 67", topic_code="16.01")
        assert numbers(by_phone) == ["1545-2026-000001"]  # drafts are not counted
        by_name = find_repeated(s, full_name="  петренко   ІВАН миколайович ",
                                topic_code="16.01")
        assert numbers(by_name) == ["1545-2026-000001"]
        assert find_repeated(s, phone="0999999999", full_name="Нікого Немає") == []
        assert find_repeated(s) == []
        first = by_phone[0]
        assert find_repeated(s, phone="0441234567", topic_code="16.01",
                             exclude_appeal_id=first.id) == []


def test_phone_variants():
    assert {"+380441234567", "0441234567", "380441234567"} <= set(
        phone_variants("044 123 45 67")
    )
    assert "0441234567" in phone_variants("+380441234567")
    assert phone_variants("'; --") == []


def test_name_words_fold_case_and_drop_apostrophes():
    assert name_words("  ДЕМ'ЯНЕНКО   Мар’яна ") == ["демяненко", "маряна"]
    assert name_words("Іваненко-Петренко, О.") == ["іваненко", "петренко", "о"]
    assert name_words("100% _ --") == ["100"]
    assert name_words("%") == []
    # a decomposed й (и + combining breve) is the same letter as a composed one
    assert name_words("Андрі\u0438\u0306") == name_words("Андрій") == ["андрій"]


def test_name_tsquery_makes_every_word_a_prefix():
    assert name_tsquery(["шевч", "олен"]) == "'шевч':* & 'олен':*"
    assert name_tsquery(name_words("o'brien'); drop table x; --")) == (
        "'obrien':* & 'drop':* & 'table':* & 'x':*"
    )
