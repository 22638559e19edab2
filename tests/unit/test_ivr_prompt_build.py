"""Building prompt files with the real espeak-ng and sox (ivr/prompt_build.py)."""

from __future__ import annotations

import json
import shutil
import subprocess
import wave
from pathlib import Path

import pytest

from ivr.catalogue import CatalogueError
from ivr.prompt_build import MANIFEST_NAME, PromptBuildError, build_prompts

pytestmark = pytest.mark.skipif(
    shutil.which("espeak-ng") is None or shutil.which("sox") is None,
    reason="needs espeak-ng and sox",
)

UK = {"welcome": "Вітаємо на гарячій лінії.", "num-5": "п'ять"}
EN = {"welcome": "Welcome to the hotline.", "num-5": "five"}


def write_catalogue(folder: Path, uk: dict[str, str], en: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for lang, texts in (("uk", uk), ("en", en)):
        body = "".join(f'{name}: "{text}"\n' for name, text in texts.items())
        (folder / f"{lang}.yaml").write_text(body, encoding="utf-8")
    return folder


def wav_format(path: Path) -> tuple[int, int, int, int]:
    with wave.open(str(path), "rb") as w:
        return w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getnframes()


def studio_recording(path: Path, kind: str = "wav") -> bytes:
    """A 'studio' file: half a second of a 440 Hz tone made with sox (``kind``: sox type)."""
    subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-t", kind, str(path),
                    "synth", "0.5", "sine", "440"], check=True)
    return path.read_bytes()


@pytest.fixture()
def cat(tmp_path: Path) -> Path:
    return write_catalogue(tmp_path / "cat", UK, EN)


def test_build_then_cache_then_change_one_text(tmp_path: Path, cat: Path) -> None:
    out = tmp_path / "sounds"
    first = build_prompts(cat, out)
    assert first.ok, str(first)
    assert first.built == ["en/num-5", "en/welcome", "uk/num-5", "uk/welcome"]
    for key in first.built:
        rate, channels, width, frames = wav_format(out / f"{key}.wav")
        assert (rate, channels, width) == (8000, 1, 2)
        assert frames > 8000 * 0.2  # real speech, not an empty file
    manifest = json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))
    assert set(manifest["files"]) == set(first.built)

    stamp = {k: (out / f"{k}.wav").stat().st_mtime_ns for k in first.built}
    second = build_prompts(cat, out)
    assert second.built == [] and sorted(second.unchanged) == first.built
    assert {k: (out / f"{k}.wav").stat().st_mtime_ns for k in first.built} == stamp

    write_catalogue(cat, {**UK, "welcome": "Доброго дня! Це гаряча лінія."}, EN)
    third = build_prompts(cat, out)
    assert third.built == ["uk/welcome"]
    assert sorted(third.unchanged) == ["en/num-5", "en/welcome", "uk/num-5"]
    assert (out / "uk/welcome.wav").stat().st_mtime_ns != stamp["uk/welcome"]
    assert "1 built, 3 unchanged" in str(third)


def test_studio_recording_is_never_overwritten(tmp_path: Path, cat: Path) -> None:
    out = tmp_path / "sounds"
    (out / "uk").mkdir(parents=True)
    fresh = studio_recording(out / "uk" / "welcome.wav")  # dropped in before any build
    report = build_prompts(cat, out)
    assert report.studio == ["uk/welcome"]
    assert "uk/welcome" not in report.built
    assert (out / "uk/welcome.wav").read_bytes() == fresh
    assert "kept studio recordings (not overwritten): uk/welcome" in str(report)

    # a studio file replacing a generated one later is kept too, even when the text changes
    replaced = studio_recording(out / "en" / "welcome.wav")
    write_catalogue(cat, UK, {**EN, "welcome": "Hello, this is the hotline."})
    again = build_prompts(cat, out)
    assert sorted(again.studio) == ["en/welcome", "uk/welcome"]
    assert again.built == []
    assert (out / "en/welcome.wav").read_bytes() == replaced


def test_studio_recording_in_another_format_wins(tmp_path: Path, cat: Path) -> None:
    out = tmp_path / "sounds"
    build_prompts(cat, out)
    studio_recording(out / "uk" / "num-5.ulaw", kind="ul")
    report = build_prompts(cat, out)
    assert report.studio == ["uk/num-5"]
    assert report.replaced_by_studio == ["uk/num-5"]
    assert not (out / "uk/num-5.wav").exists()  # Asterisk now plays the studio file
    assert (out / "uk/num-5.ulaw").exists()
    # the studio file removed: the prompt is generated again
    (out / "uk/num-5.ulaw").unlink()
    assert build_prompts(cat, out).built == ["uk/num-5"]


def test_failure_is_reported_and_others_still_built(tmp_path: Path, cat: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import ivr.prompt_build as pb

    monkeypatch.setitem(pb.VOICES, "en", "zz")  # no such voice: espeak-ng exits with an error
    out = tmp_path / "sounds"
    report = build_prompts(cat, out)
    assert not report.ok
    assert sorted(report.failed) == ["en/num-5", "en/welcome"]
    assert report.built == ["uk/num-5", "uk/welcome"]
    assert "FAILED en/welcome" in str(report)
    assert not (out / "en/welcome.wav").exists()
    monkeypatch.undo()
    assert build_prompts(cat, out).built == ["en/num-5", "en/welcome"]


def test_unreadable_manifest_keeps_every_existing_file(tmp_path: Path, cat: Path) -> None:
    out = tmp_path / "sounds"
    build_prompts(cat, out)
    (out / MANIFEST_NAME).write_text("{not json", encoding="utf-8")
    report = build_prompts(cat, out)
    assert report.built == [] and len(report.studio) == 4


def test_bad_arguments(tmp_path: Path, cat: Path) -> None:
    with pytest.raises(PromptBuildError, match="out_dir is required"):
        build_prompts(cat)
    with pytest.raises(CatalogueError):
        build_prompts(tmp_path / "nothing", tmp_path / "out")
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(PromptBuildError, match="cannot create"):
        build_prompts(cat, blocker / "sounds")
