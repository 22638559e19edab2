"""Decoding every format Asterisk writes, and the clear errors of bad audio."""

from __future__ import annotations

import pytest

from recordings import testing
from recordings.audio import AudioError, decode, format_of, probe_duration


@pytest.fixture(scope="module")
def spoken(tmp_path_factory):
    folder = tmp_path_factory.mktemp("audio")
    return testing.speech(testing.KOREAN_SENTENCES[0], folder / "spoken.wav")


@pytest.mark.parametrize("name", ["a.wav", "a.WAV", "a.wav16", "a.gsm", "a.ulaw", "a.alaw",
                                  "a.sln", "a.sln16"])
def test_every_asterisk_format_decodes_to_16_bit_mono_at_the_asked_rate(spoken, tmp_path, name):
    source = testing.convert(spoken, tmp_path / name)
    reference = decode(spoken, 16000)
    pcm = decode(source, 16000)
    assert pcm.rate == 16000
    assert len(pcm.data) % 2 == 0
    # Lossy codecs and resampling change the samples, not the length (GSM pads a frame).
    assert pcm.duration == pytest.approx(reference.duration, abs=0.05)
    assert probe_duration(source) == pytest.approx(reference.duration, abs=0.05)


def test_format_names_follow_asterisk():
    assert format_of("/r/1.wav") == "wav"
    assert format_of("/r/1.WAV") == "wav49"
    assert format_of("/r/1.sln16") == "sln16"


def test_decoding_at_8k_keeps_the_duration(spoken):
    pcm = decode(spoken, 8000)
    assert pcm.rate == 8000
    assert len(pcm.data) == pytest.approx(pcm.duration * 8000 * 2)
    assert pcm.duration > 1.0


def test_missing_file(tmp_path):
    with pytest.raises(AudioError) as err:
        decode(tmp_path / "nope.wav", 16000)
    assert err.value.reason == "missing"


def test_zero_byte_file_is_empty(tmp_path):
    (tmp_path / "zero.wav").write_bytes(b"")
    with pytest.raises(AudioError) as err:
        decode(tmp_path / "zero.wav", 16000)
    assert err.value.reason == "empty"


def test_header_without_samples_is_empty(spoken, tmp_path):
    header_only = tmp_path / "header.wav"
    header_only.write_bytes(spoken.read_bytes()[:44])
    with pytest.raises(AudioError) as err:
        decode(header_only, 16000)
    assert err.value.reason == "empty"


def test_garbage_is_corrupt_with_sox_reason(tmp_path):
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"this is not a RIFF file at all" * 50)
    with pytest.raises(AudioError) as err:
        decode(junk, 16000)
    assert err.value.reason == "corrupt"
    assert "junk.wav" in err.value.detail


def test_too_long_is_refused_without_decoding_everything(tmp_path):
    long_file = testing.silence(tmp_path / "long.wav", 30)
    with pytest.raises(AudioError) as err:
        decode(long_file, 16000, max_seconds=5)
    assert err.value.reason == "too_long"
    assert decode(long_file, 16000, max_seconds=60).duration == pytest.approx(30, abs=0.01)


def test_unknown_extension_is_unsupported(tmp_path):
    odd = tmp_path / "call.xyz"
    odd.write_bytes(b"\0" * 100)
    with pytest.raises(AudioError) as err:
        decode(odd, 16000)
    assert err.value.reason == "unsupported"


def test_truncated_wav_decodes_what_is_there(spoken, tmp_path):
    """Asterisk killed mid-recording leaves a header promising more data than present."""
    cut = tmp_path / "cut.wav"
    data = spoken.read_bytes()
    cut.write_bytes(data[: 44 + (len(data) - 44) // 2])
    full = decode(spoken, 8000).duration
    assert decode(cut, 8000).duration == pytest.approx(full / 2, abs=0.01)
    assert probe_duration(cut) == pytest.approx(full / 2, abs=0.01)


def test_probe_of_unreadable_file_is_none(tmp_path):
    junk = tmp_path / "junk.WAV"
    junk.write_bytes(b"garbage" * 10)
    assert probe_duration(junk) is None
    assert probe_duration(tmp_path / "missing.wav") is None
