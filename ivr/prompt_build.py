"""Speak the prompt catalogue with espeak-ng into telephone-quality files for Asterisk.

Output: ``<out_dir>/<lang>/<name>.wav``, 8 kHz mono 16-bit PCM. A manifest
(``<out_dir>/.hotline-prompts.json``) stores, per file, the hash of what it was built from
and of the file produced, so

* a file is rebuilt only when its text (or the voice settings) changes;
* a file that the builder did not produce — a studio recording dropped in with the same
  name, as ``.wav`` or any other format Asterisk plays — is never overwritten.

>>> report = build_prompts(out_dir=Path("sounds"))    # doctest: +SKIP
>>> print(report)                                     # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from .catalogue import DEFAULT_DIR, load_catalogue, prompt_file

log = logging.getLogger(__name__)

MANIFEST_NAME = ".hotline-prompts.json"
BUILDER_VERSION = 1
SAMPLE_RATE = 8000
VOICES: Mapping[str, str] = {"uk": "uk", "en": "en"}
SPEED_WPM = 150
# other sound formats Asterisk can play: a studio file in one of them wins over our .wav
STUDIO_EXTENSIONS = ("wav16", "WAV", "sln", "sln16", "ulaw", "ul", "pcm", "alaw", "al", "gsm",
                     "g722", "g729", "ogg", "opus")
_TOOL_TIMEOUT_S = 60
# trim espeak's leading/trailing silence (fragments are chained: "двадцять" + "одна" + ...),
# keep a short gap after each file, and level every prompt to -3 dBFS
_EFFECTS = ("silence", "1", "0.01", "-50d", "reverse", "silence", "1", "0.01", "-50d", "reverse",
            "pad", "0", "0.08", "norm", "-3")


class PromptBuildError(RuntimeError):
    """espeak-ng or sox is missing, or the output folder cannot be used."""


@dataclass
class BuildReport:
    """What a build did, by file (``<lang>/<name>``)."""

    out_dir: Path
    built: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    studio: list[str] = field(default_factory=list)
    replaced_by_studio: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failed

    def __str__(self) -> str:
        summary = (f"prompts in {self.out_dir}: {len(self.built)} built, "
                   f"{len(self.unchanged)} unchanged, {len(self.studio)} studio recordings kept, "
                   f"{len(self.failed)} failed")
        lines = [summary]
        if self.studio:
            lines.append("kept studio recordings (not overwritten): " + ", ".join(self.studio))
        if self.replaced_by_studio:
            lines.append("generated files removed in favour of a studio recording in another "
                         "format: " + ", ".join(self.replaced_by_studio))
        if self.stale:
            lines.append("generated files no longer in the catalogue (left in place): "
                         + ", ".join(self.stale))
        lines += [f"FAILED {key}: {error}" for key, error in sorted(self.failed.items())]
        return "\n".join(lines)


def _sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_sha256(path: Path) -> str:
    return _sha256_bytes(path.read_bytes())


def source_hash(text: str, language: str) -> str:
    """Hash of everything a generated file depends on: text, voice, speed, format."""
    recipe = f"v{BUILDER_VERSION}|{VOICES.get(language, language)}|{SPEED_WPM}|{SAMPLE_RATE}|"
    return _sha256_bytes((recipe + text).encode("utf-8"))


def _read_manifest(path: Path) -> dict[str, dict[str, str]]:
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        # without the manifest nothing is known to be ours: every existing file is kept
        log.warning("prompt manifest %s unreadable (%s): treating existing files as studio",
                    path, exc)
        return {}
    files = data.get("files") if isinstance(data, dict) else None
    return {k: v for k, v in (files or {}).items() if isinstance(v, dict)}


def _write_manifest(path: Path, files: Mapping[str, Mapping[str, str]]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    payload = {"version": BUILDER_VERSION, "files": dict(sorted(files.items()))}
    tmp.write_text(json.dumps(payload, indent=1, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def _check_tools() -> None:
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            raise PromptBuildError(f"{tool} is not installed (Debian package {tool})")


def synthesise(text: str, language: str, target: Path) -> None:
    """Speak ``text`` into ``target`` (8 kHz mono 16-bit WAV), replacing it atomically."""
    voice = VOICES.get(language, language)
    with tempfile.TemporaryDirectory(prefix="hotline-tts-") as tmp:
        raw = Path(tmp) / "raw.wav"
        # text on stdin: nothing in it can be read as an option
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(SPEED_WPM), "-w", str(raw)],
                       input=text.encode("utf-8"), check=True, capture_output=True,
                       timeout=_TOOL_TIMEOUT_S)
        part = target.with_name(f".{target.stem}.part.wav")
        subprocess.run(["sox", str(raw), "-r", str(SAMPLE_RATE), "-c", "1", "-b", "16",
                        "-e", "signed-integer", str(part), *_EFFECTS],
                       check=True, capture_output=True, timeout=_TOOL_TIMEOUT_S)
        os.replace(part, target)


def _studio_sibling(wav: Path) -> Path | None:
    for ext in STUDIO_EXTENSIONS:
        candidate = wav.with_suffix(f".{ext}")
        if candidate.is_file():
            return candidate
    return None


def _plan(key: str, wav: Path, text_hash: str, entry: Mapping[str, str] | None,
          report: BuildReport) -> bool:
    """Decide for one file; True when it must be (re)built."""
    ours = (entry is not None and wav.is_file()
            and entry.get("file_sha256") == _file_sha256(wav))
    sibling = _studio_sibling(wav)
    if sibling is not None:
        report.studio.append(key)
        if ours:
            wav.unlink()  # else Asterisk might prefer our .wav over the studio file
            report.replaced_by_studio.append(key)
        return False
    if wav.is_file() and not ours:
        report.studio.append(key)
        return False
    if ours and entry is not None and entry.get("text_sha256") == text_hash:
        report.unchanged.append(key)
        return False
    return True


def build_prompts(
    catalogue_dir: Path | str = DEFAULT_DIR,
    out_dir: Path | str | None = None,
    languages: Iterable[str] = ("uk", "en"),
    jobs: int = 2,
) -> BuildReport:
    """Build every prompt of every language; see the module docstring for the rules."""
    if out_dir is None:
        raise PromptBuildError("out_dir is required (the folder Asterisk plays prompts from)")
    languages = tuple(languages)
    catalogue = load_catalogue(catalogue_dir, languages)
    out = Path(out_dir)
    report = BuildReport(out)
    _check_tools()
    try:
        for lang in languages:
            (out / lang).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PromptBuildError(f"cannot create {out}: {exc}") from exc
    manifest_path = out / MANIFEST_NAME
    manifest = _read_manifest(manifest_path)
    todo: list[tuple[str, str, str, Path, str]] = []
    wanted = set()
    for lang in languages:
        for name, text in catalogue.texts[lang].items():
            key = prompt_file(lang, name)
            wanted.add(key)
            wav = out / f"{key}.wav"
            text_hash = source_hash(text, lang)
            if _plan(key, wav, text_hash, manifest.get(key), report):
                todo.append((key, lang, text, wav, text_hash))
            elif key in report.studio:
                manifest.pop(key, None)  # never ours again until the studio file is gone
    report.stale = sorted(k for k in manifest if k not in wanted)

    def run(item: tuple[str, str, str, Path, str]) -> None:
        key, lang, text, wav, text_hash = item
        try:
            synthesise(text, lang, wav)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
            detail = getattr(exc, "stderr", b"") or b""
            report.failed[key] = f"{exc} {detail.decode('utf-8', 'replace').strip()}".strip()
            log.error("prompt %s not built: %s", key, report.failed[key])
            return
        manifest[key] = {"text_sha256": text_hash, "file_sha256": _file_sha256(wav)}
        report.built.append(key)

    try:
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            list(pool.map(run, todo))
    finally:
        _write_manifest(manifest_path, manifest)
    report.built.sort()
    log.info("prompts built=%s unchanged=%s studio=%s failed=%s", len(report.built),
             len(report.unchanged), len(report.studio), len(report.failed))
    return report
