"""Speech to text with Vosk: one model per process, a fresh recognizer per recording."""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .models import check_model_dir, model_language, model_name, model_sample_rate

log = logging.getLogger(__name__)

CHUNK_SECONDS = 0.5
_models: dict[Path, Any] = {}
_models_lock = threading.Lock()


class NoModelError(RuntimeError):
    """No Vosk model is configured (or it cannot be found); recordings stay untranscribed."""


@dataclass(frozen=True)
class TranscriptResult:
    """What was said: the text, each word with its timing and confidence, the audio length."""

    text: str
    words: list[dict[str, Any]] = field(default_factory=list)
    duration: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"text": self.text, "words": self.words, "duration": self.duration}


def load_model(path: Path) -> Any:
    """The Vosk model at ``path``, loaded once per process and shared by all transcribers."""
    import vosk

    key = path.resolve()
    with _models_lock:
        model = _models.get(key)
        if model is None:
            vosk.SetLogLevel(-1)
            log.info("loading Vosk model from %s", key)
            model = vosk.Model(str(key))
            _models[key] = model
        return model


class Transcriber:
    """Transcribe PCM with the Vosk model at ``model_path``.

    ``model_path`` None (nothing configured) or a wrong folder gives a transcriber whose
    :attr:`available` is False and whose :meth:`transcribe` raises :class:`NoModelError`.

    >>> t = Transcriber("/srv/vosk/vosk-model-uk-v3")  # doctest: +SKIP
    >>> t.transcribe(pcm_bytes, 16000).text  # doctest: +SKIP
    'добрий день'
    """

    def __init__(self, model_path: str | Path | None, *, language: str | None = None) -> None:
        self.model_path: Path | None = None
        self.problem = "no Vosk model configured (set HOTLINE_VOSK_MODEL_PATH)"
        if model_path is not None and str(model_path).strip():
            try:
                self.model_path = check_model_dir(model_path)
            except ValueError as exc:
                self.problem = str(exc)
        self.sample_rate = (
            model_sample_rate(self.model_path) if self.model_path else 16000
        )
        self.language = language or (model_language(self.model_path) if self.model_path else None)
        self.model_name = model_name(self.model_path) if self.model_path else None
        self._model: Any = None

    @property
    def available(self) -> bool:
        return self.model_path is not None

    def _loaded(self) -> Any:
        if self.model_path is None:
            raise NoModelError(self.problem)
        if self._model is None:
            self._model = load_model(self.model_path)
        return self._model

    def load(self) -> None:
        """Load the model now (workers do this at start, not on the first job)."""
        self._loaded()

    def transcribe(self, pcm: bytes, rate: int) -> TranscriptResult:
        """Recognise ``pcm`` (16-bit mono at ``rate`` Hz), fed in half-second chunks."""
        import vosk

        recognizer = vosk.KaldiRecognizer(self._loaded(), float(rate))
        recognizer.SetWords(True)
        step = int(rate * CHUNK_SECONDS) * 2
        words: list[dict[str, Any]] = []
        for start in range(0, len(pcm), step):
            if recognizer.AcceptWaveform(pcm[start : start + step]):
                words.extend(_words(recognizer.Result()))
        words.extend(_words(recognizer.FinalResult()))
        text = " ".join(w["word"] for w in words)
        return TranscriptResult(text=text, words=words, duration=len(pcm) / (2 * rate))


def _words(result_json: str) -> list[dict[str, Any]]:
    result = json.loads(result_json)
    return [
        {
            "word": item["word"],
            "start": round(float(item["start"]), 3),
            "end": round(float(item["end"]), 3),
            "conf": round(float(item.get("conf", 1.0)), 3),
        }
        for item in result.get("result", [])
    ]
