"""Indexing finished recordings (SQLite)."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import func, select

from appeal_store.db import session_scope
from appeal_store.models import Call, Recording
from recordings import testing
from recordings.index import find_recording, register_recording


@pytest.fixture
def wav(tmp_path):
    return testing.speech(testing.KOREAN_SENTENCES[2], tmp_path / "1700000000.12.wav")


def test_register_computes_size_duration_and_hash(factory, wav):
    with session_scope(factory) as session:
        rec = register_recording(session, wav, "1700000000.12", "voice_appeal")
        assert rec.id is not None
    with session_scope(factory) as session:
        stored = session.get(Recording, rec.id)
        assert stored.path == str(wav)
        assert stored.kind == "voice_appeal"
        assert stored.format == "wav"
        assert stored.size_bytes == wav.stat().st_size
        assert stored.sha256 == hashlib.sha256(wav.read_bytes()).hexdigest()
        assert stored.duration_seconds == pytest.approx((wav.stat().st_size - 44) / 16000,
                                                        abs=0.01)
        assert stored.call_id is None


def test_register_is_idempotent_by_path_and_by_uniqueid(factory, wav, tmp_path):
    with session_scope(factory) as session:
        first = register_recording(session, wav, "1700000000.12", "call")
    with session_scope(factory) as session:
        again = register_recording(session, wav, "1700000000.12", "call")
        copy = tmp_path / "moved.wav"
        copy.write_bytes(wav.read_bytes())
        same_call = register_recording(session, copy, "1700000000.12", "call")
        assert again.id == first.id == same_call.id
        other_kind = register_recording(session, copy, "1700000000.12", "voice_appeal")
        assert other_kind.id != first.id
    with session_scope(factory) as session:
        assert session.scalar(select(func.count()).select_from(Recording)) == 2
        assert find_recording(session, wav).id == first.id


def test_register_links_the_call_by_uniqueid(factory, wav):
    with session_scope(factory) as session:
        call = Call(uniqueid="1700000000.12", caller_number="+380441234567")
        session.add(call)
        session.flush()
        rec = register_recording(session, wav, "1700000000.12", "call", operator_id=None)
        assert rec.call_id == call.id


def test_unreadable_audio_is_still_indexed(factory, tmp_path):
    junk = tmp_path / "broken.WAV"
    junk.write_bytes(b"not audio" * 100)
    with session_scope(factory) as session:
        rec = register_recording(session, junk, "x.1", "call")
        assert rec.duration_seconds is None
        assert rec.format == "wav49"
        assert rec.size_bytes == 900


def test_bad_kind_and_missing_file_are_refused(factory, wav, tmp_path):
    with session_scope(factory) as session:
        with pytest.raises(ValueError, match="kind"):
            register_recording(session, wav, "x", "voicemail")
        with pytest.raises(FileNotFoundError):
            register_recording(session, tmp_path / "gone.wav", "x", "call")
        assert session.scalar(select(func.count()).select_from(Recording)) == 0
