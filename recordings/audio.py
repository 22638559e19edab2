"""Decode whatever Asterisk writes into 16-bit mono PCM at the model's rate, with clear errors.

Asterisk names a recording by its format: ``wav`` (8 kHz slin in RIFF), ``WAV``/``wav49``
(GSM in RIFF), ``wav16``, ``gsm``, ``ulaw``/``alaw``/``sln``/``sln16`` (headerless). The
extension tells ``sox`` how to read it; sox resamples to the rate asked for.

Every failure is an :class:`AudioError` with a short machine ``reason`` (``missing``,
``empty``, ``corrupt``, ``too_long``, ``unsupported``) and a human ``detail``.
"""

from __future__ import annotations

import shutil
import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path

SAMPLE_WIDTH = 2  # bytes: signed 16-bit little-endian
DEFAULT_MAX_SECONDS = 2 * 3600.0
_READ_CHUNK = 1 << 16
# Headerless formats: bytes per second, so the length follows from the file size.
_BYTES_PER_SECOND = {
    "ulaw": 8000, "ul": 8000, "mu": 8000, "pcm": 8000, "alaw": 8000, "al": 8000,
    "sln": 16000, "slin": 16000, "raw": 16000, "sln16": 32000, "gsm": 1650,
}

# extension → sox input options; None means "sox reads the header itself".
_RAW_SLIN = ["-t", "raw", "-e", "signed-integer", "-b", "16", "-c", "1", "-L"]
INPUT_FORMATS: dict[str, list[str] | None] = {
    "wav": ["-t", "wav"],
    "wav49": ["-t", "wav"],
    "wav16": ["-t", "wav"],
    "gsm": ["-t", "gsm"],
    "ulaw": ["-t", "ul", "-r", "8000", "-c", "1"],
    "ul": ["-t", "ul", "-r", "8000", "-c", "1"],
    "mu": ["-t", "ul", "-r", "8000", "-c", "1"],
    "pcm": ["-t", "ul", "-r", "8000", "-c", "1"],  # Asterisk's "pcm" format is mu-law
    "alaw": ["-t", "al", "-r", "8000", "-c", "1"],
    "al": ["-t", "al", "-r", "8000", "-c", "1"],
    "sln": [*_RAW_SLIN, "-r", "8000"],
    "slin": [*_RAW_SLIN, "-r", "8000"],
    "raw": [*_RAW_SLIN, "-r", "8000"],
    "sln16": [*_RAW_SLIN, "-r", "16000"],
    "flac": None,
    "ogg": None,
    "au": None,
}


class AudioError(Exception):
    """A recording that cannot be turned into PCM; ``reason`` is a short code."""

    REASONS = ("missing", "empty", "corrupt", "too_long", "unsupported")

    def __init__(self, reason: str, detail: str) -> None:
        if reason not in self.REASONS:
            raise ValueError(f"unknown audio error reason {reason!r}")
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Pcm:
    """Signed 16-bit little-endian mono samples at ``rate`` Hz."""

    data: bytes
    rate: int

    @property
    def duration(self) -> float:
        return len(self.data) / (SAMPLE_WIDTH * self.rate)


def format_of(path: str | Path) -> str:
    """The Asterisk format name of a file, from its extension (``WAV`` → ``wav49``)."""
    suffix = Path(path).suffix
    if suffix == ".WAV":
        return "wav49"
    return suffix.lstrip(".").lower()


def sox_command(path: Path, rate: int) -> list[str]:
    """The sox command line that writes ``path`` as raw 16-bit mono at ``rate`` to stdout."""
    fmt = format_of(path)
    if fmt not in INPUT_FORMATS:
        raise AudioError("unsupported", f"unknown recording format {fmt!r} ({path.name})")
    input_opts = INPUT_FORMATS[fmt] or []
    output = ["-t", "raw", "-e", "signed-integer", "-b", "16", "-c", "1", "-L", "-r", str(rate)]
    return ["sox", "-V1", *input_opts, str(path), *output, "-"]


def decode(
    path: str | Path, rate: int, *, max_seconds: float = DEFAULT_MAX_SECONDS
) -> Pcm:
    """Decode ``path`` into PCM at ``rate``; refuse missing, empty, corrupt or too long audio.

    Output is read in chunks and sox is stopped as soon as ``max_seconds`` is passed, so a
    huge file never fills memory.

    >>> decode("call-1.wav", 16000).duration  # doctest: +SKIP
    12.5
    """
    path = Path(path)
    if not path.is_file():
        raise AudioError("missing", f"no such recording file: {path}")
    if path.stat().st_size == 0:
        raise AudioError("empty", f"recording file has no bytes: {path.name}")
    if shutil.which("sox") is None:
        raise RuntimeError("sox is not installed (apt-get install sox)")
    limit = int(max_seconds * rate) * SAMPLE_WIDTH
    data = _run_sox(sox_command(path, rate), limit, path, max_seconds)
    if len(data) < SAMPLE_WIDTH:
        raise AudioError("empty", f"recording holds no audio samples: {path.name}")
    return Pcm(data[: len(data) - len(data) % SAMPLE_WIDTH], rate)


def _run_sox(cmd: list[str], limit: int, path: Path, max_seconds: float) -> bytes:
    chunks: list[bytes] = []
    size = 0
    with subprocess.Popen(
        cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        while chunk := proc.stdout.read(_READ_CHUNK):
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                proc.kill()
                proc.wait()
                raise AudioError(
                    "too_long", f"{path.name} is longer than the limit of {max_seconds:g} s"
                )
        stderr = proc.stderr.read().decode("utf-8", "replace").strip()
        code = proc.wait()
    if code != 0:
        detail = stderr.splitlines()[-1] if stderr else f"sox exited with {code}"
        raise AudioError("corrupt", f"cannot decode {path.name}: {detail}")
    return b"".join(chunks)


def probe_duration(path: str | Path) -> float | None:
    """The length of a recording in seconds, or None when it cannot be read.

    Cheap: from the size for headerless formats, from the header (bounded by the data
    really present) for PCM WAV, else by letting sox count samples at 8 kHz.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError:
        return None
    fmt = format_of(path)
    if fmt in _BYTES_PER_SECOND:
        return round(size / _BYTES_PER_SECOND[fmt], 3)
    if fmt in ("wav", "wav16"):
        duration = _pcm_wav_duration(path, size)
        if duration is not None:
            return duration
    try:
        return round(decode(path, 8000, max_seconds=24 * 3600.0).duration, 3)
    except AudioError:
        return None


def _pcm_wav_duration(path: Path, size: int) -> float | None:
    try:
        with wave.open(str(path), "rb") as wav:
            frame_bytes = wav.getsampwidth() * wav.getnchannels()
            # A recording cut short (Asterisk killed) has a header promising more data.
            frames = min(wav.getnframes(), max(size - 44, 0) // max(frame_bytes, 1))
            return round(frames / wav.getframerate(), 3)
    except (wave.Error, EOFError, ZeroDivisionError):
        return None
