"""Appeal search on PostgreSQL: full text, word-prefix names, phone forms, and the plans use
the GIN indexes."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text

from appeal_store import migrate, search
from appeal_store.db import make_engine, make_session_factory, session_scope
from appeal_store.models import Appeal, Applicant
from appeal_store.search import find_repeated, search_appeals, search_statement

pytestmark = pytest.mark.postgres
UTC = dt.UTC


@pytest.fixture(scope="module")
def factory(pg_url):
    migrate.upgrade(pg_url)
    engine = make_engine(pg_url)
    f = make_session_factory(engine)
    with session_scope(f) as s:
        ivan = Applicant(full_name="Петренко Іван Миколайович", phone="+380441234567")
        olena = Applicant(full_name="Коваленко Олена Петрівна", phone="+380501112233")
        maryana = Applicant(full_name="Дем’яненко Мар'яна Іванівна", phone=None)
        s.add_all([ivan, olena, maryana])
        s.flush()
        data = [
            ("1545-2026-000001", "registered", ivan, "Немає опалення у квартирі, батареї холодні"),
            ("1545-2026-000002", "routed", ivan, "Ремонт дороги на вулиці Шевченка"),
            ("1545-2026-000003", "registered", olena, "Пенсія не нарахована за березень"),
            (None, "draft", ivan, "Знову немає опалення"),
            ("1545-2026-000005", "registered", maryana, "Довідка про склад сім'ї"),
        ]
        for day, (number, status, who, substance) in enumerate(data, start=1):
            s.add(Appeal(number=number, status=status, applicant_id=who.id, substance=substance,
                         received_at=dt.datetime(2026, 3, day, 9, tzinfo=UTC)))
    yield f
    engine.dispose()


def numbers(rows):
    return [a.number for a in rows]


def test_full_text_and_names(factory):
    with session_scope(factory) as s:
        assert numbers(search_appeals(s, text="ОПАЛЕННЯ", status="registered")) == [
            "1545-2026-000001"
        ]
        assert len(search_appeals(s, text="опалення")) == 2
        assert numbers(search_appeals(s, text="дороги шевченка")) == ["1545-2026-000002"]
        assert search_appeals(s, text="дороги пенсія") == []
        assert search_appeals(s, text="'; drop table appeals; --") == []
        assert len(search_appeals(s, applicant="ПЕТРЕНКО іван")) == 3
        assert search_appeals(s, applicant="100%") == []
        assert numbers(search_appeals(s, phone="050 111 22 33")) == ["1545-2026-000003"]
        assert numbers(search_appeals(s, number="1545-2026-000002")) == ["1545-2026-000002"]


def test_name_words_are_prefixes_in_any_order(factory):
    with session_scope(factory) as s:
        names = lambda q: sorted({a.applicant.full_name for a in search_appeals(s, applicant=q)})
        assert names("іван петренко") == ["Петренко Іван Миколайович"]
        assert names("Петр Ів Мик") == ["Петренко Іван Миколайович"]
        assert len(search_appeals(s, applicant="петр")) == 4  # Петренко, Петрівна
        # "Іван" begins "Іванівна" too: words are prefixes, not whole words
        assert names("іван") == ["Дем’яненко Мар'яна Іванівна", "Петренко Іван Миколайович"]
        # apostrophes in any spelling, or none
        for typed in ("Дем'яненко", "ДЕМЯНЕНКО", "дем’ян мар'ян", "Марʼяна"):
            assert numbers(search_appeals(s, applicant=typed)) == ["1545-2026-000005"], typed
        # a word's middle is not its beginning; every word must match
        assert search_appeals(s, applicant="тренко") == []
        assert search_appeals(s, applicant="петренко олена") == []
        assert search_appeals(s, applicant="'; drop table applicants; --") == []


def test_input_without_a_letter_or_digit_matches_no_one(factory):
    with session_scope(factory) as s:
        for typed in ("’", "%", "_", " - "):
            assert search_appeals(s, applicant=typed) == [], typed
            assert "false" in str(search_statement(s, applicant=typed)).lower()


def test_very_common_names_filter_during_the_walk(factory, monkeypatch):
    """Past NAME_IDS_CAP matches the name is matched row by row: same answers."""
    with session_scope(factory) as s:
        by_ids = [numbers(search_appeals(s, applicant=q)) for q in ("петр", "іван", "олена")]
    monkeypatch.setattr(search, "NAME_IDS_CAP", 1)
    with session_scope(factory) as s:
        walked = [numbers(search_appeals(s, applicant=q)) for q in ("петр", "іван", "олена")]
        sql = str(search_statement(s, applicant="петр").compile(dialect=s.get_bind().dialect))
    assert walked == by_ids
    assert "@@ to_tsquery" in sql and "ANY" not in sql


def test_find_repeated_on_postgresql(factory):
    with session_scope(factory) as s:
        assert numbers(find_repeated(s, full_name="петренко іван миколайович")) == [
            "1545-2026-000002", "1545-2026-000001",
        ]
        assert numbers(find_repeated(s, phone="0501112233")) == ["1545-2026-000003"]


def _plan(session, stmt) -> str:
    compiled = stmt.compile(dialect=session.get_bind().dialect,
                            compile_kwargs={"literal_binds": True})
    session.execute(text("SET LOCAL enable_seqscan = off"))  # the table is tiny
    rows = session.execute(text(f"EXPLAIN {compiled}")).scalars().all()
    return "\n".join(rows)


def test_plans_use_the_search_indexes(factory):
    with session_scope(factory) as s:
        assert "ix_appeals_substance_fts" in _plan(s, search_statement(s, text="опалення"))
    with session_scope(factory) as s:
        words = search.name_words("Петренко Ів")
        ids = select(Applicant.id).where(search._name_match(words))
        assert "ix_applicants_name_words" in _plan(s, ids)
        # the appeals query gets the matching applicants' ids as one constant array
        assert "ANY ('{" in _plan(s, search_statement(s, applicant="Петренко Ів"))
    with session_scope(factory) as s:
        assert "ix_applicants_phone" in _plan(s, search_statement(s, phone="0441234567"))
    with session_scope(factory) as s:
        from appeal_store.search import find_repeated_statement

        plan = _plan(s, find_repeated_statement(s, full_name="Петренко Іван Миколайович"))
        assert "ix_applicants_full_name_lower" in plan
