"""Idempotent call writes and caller-ID sanitising (SQLite)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from appeal_store.calls import (
    append_ivr_input,
    get_call,
    record_event,
    sanitize_phone,
    sanitize_text,
    upsert_call,
)
from appeal_store.db import session_scope
from appeal_store.models import Call, CallEvent

UTC = dt.UTC


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("+380 (44) 123-45-67", "+380441234567"),
        ("0441234567", "0441234567"),
        ("'; DROP TABLE calls; --", "anonymous"),
        ("1' OR '1'='1", "111"),
        ("<script>alert(1)</script>", "1"),
        ("\x00\x1b[31m380\r\n", "31380"),  # digits only, nothing else
        ("３８０４４", "38044"),  # full-width digits fold to ASCII
        ("Анонім", "anonymous"),
        ("", "anonymous"),
        (None, "anonymous"),
        ("anonymous", "anonymous"),
        ("1" * 40, "1" * 20),
        ("++380", "+380"),
        ("380+44", "38044"),
    ],
)
def test_sanitize_phone(raw, clean):
    assert sanitize_phone(raw) == clean


@given(st.text())
def test_sanitize_phone_never_lets_anything_else_through(raw):
    out = sanitize_phone(raw)
    assert out == "anonymous" or (
        len(out) <= 20 and out.lstrip("+").isascii() and out.lstrip("+").isdigit()
        and out.count("+") <= 1
    )


def test_sanitize_text_strips_control_characters():
    assert sanitize_text("Іван\x00\n\tПетренко\u202e") == "Іван Петренко"
    assert sanitize_text("\x00\x01") is None
    assert len(sanitize_text("x" * 500)) == 100


def test_upsert_call_is_idempotent_and_sanitises(factory):
    with session_scope(factory) as s:
        a = upsert_call(s, "1700000000.1", caller_number="+380-44'; --", caller_name="Бот\x07")
        b = upsert_call(s, "1700000000.1", queue="general", status="queued")
        assert a.id == b.id
    with session_scope(factory) as s:
        call = get_call(s, "1700000000.1")
        assert call.caller_number == "+38044"
        assert call.caller_name == "Бот"
        assert call.queue == "general" and call.status == "queued"
        assert s.scalar(select(func.count()).select_from(Call)) == 1


def test_upsert_call_refuses_unknown_fields(factory):
    with session_scope(factory) as s:
        with pytest.raises(TypeError, match="unknown call fields"):
            upsert_call(s, "1.1", colour="red")
        with pytest.raises(ValueError):
            upsert_call(s, "")


def test_record_event_once_per_source_key(factory):
    with session_scope(factory) as s:
        upsert_call(s, "1.2")
        at = dt.datetime(2026, 3, 1, 9, tzinfo=UTC)
        assert record_event(s, "ami:QueueCallerJoin:1.2:1", "1.2", "enter", queue="general",
                            position=3, at=at) is True
        assert record_event(s, "ami:QueueCallerJoin:1.2:1", "1.2", "enter", queue="general",
                            position=3, at=at) is False
        assert record_event(s, "ami:QueueCallerAbandon:9.9:1", "9.9", "abandon",
                            wait_seconds=40) is True  # unknown call: stored unlinked
    with session_scope(factory) as s:
        events = s.scalars(select(CallEvent).order_by(CallEvent.id)).all()
        assert [e.kind for e in events] == ["enter", "abandon"]
        assert events[0].call_id == get_call(s, "1.2").id and events[0].position == 3
        assert events[0].at == dt.datetime(2026, 3, 1, 9, tzinfo=UTC)
        assert events[1].call_id is None and events[1].wait_seconds == 40


def test_record_event_survives_a_later_transaction(factory):
    with session_scope(factory) as s:
        assert record_event(s, "k1", "1.3", "complete", talk_seconds=60)
    with session_scope(factory) as s:
        assert not record_event(s, "k1", "1.3", "complete", talk_seconds=60)
    with pytest.raises(TypeError), session_scope(factory) as s:
        record_event(s, "k2", "1.3", "complete", bogus=1)


def test_append_ivr_input_builds_the_path_once(factory):
    with session_scope(factory) as s:
        assert append_ivr_input(s, "1.4", "language", "1", step=0)
        assert append_ivr_input(s, "1.4", "main", "3", step=1)
        assert not append_ivr_input(s, "1.4", "main", "3", step=1)  # retried AGI step
        assert append_ivr_input(s, "1.4", "topic", "2#'; drop")
    with session_scope(factory) as s:
        call = get_call(s, "1.4")
        assert call.ivr_path == [
            {"node": "language", "digits": "1"},
            {"node": "main", "digits": "3"},
            {"node": "topic", "digits": "2#"},
        ]
        kinds = s.scalars(select(CallEvent.kind).where(CallEvent.uniqueid == "1.4")).all()
        assert kinds == ["ivr_input"] * 3
