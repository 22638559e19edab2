"""The prompt catalogue: per language, prompt name -> text to speak.

Files are ``<dir>/<lang>.yaml`` with a flat mapping. A prompt is played by Asterisk as the
file ``<lang>/<name>`` under the hotline's prompts directory (see :func:`prompt_file`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from .yaml_strict import StrictYamlError, load_yaml

PROMPT_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
LANGUAGE_RE = re.compile(r"^[a-z]{2}$")
DEFAULT_DIR = Path(__file__).resolve().parent / "prompts"


class CatalogueError(ValueError):
    """A catalogue file is missing, malformed or names a prompt badly."""


def prompt_file(language: str, name: str) -> str:
    """The sound file Asterisk plays for a prompt, relative to the prompts directory.

    >>> prompt_file("uk", "welcome")
    'uk/welcome'
    """
    return f"{language}/{name}"


@dataclass(frozen=True)
class Catalogue:
    """Prompt texts per language; read-only."""

    texts: Mapping[str, Mapping[str, str]]

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self.texts)

    def has(self, language: str, name: str) -> bool:
        return name in self.texts.get(language, {})

    def text(self, language: str, name: str) -> str:
        """The text of one prompt; KeyError names the language and prompt."""
        try:
            return self.texts[language][name]
        except KeyError:
            raise KeyError(f"prompt {name!r} is not in the {language!r} catalogue") from None

    def missing(self, names: Iterable[str], languages: Iterable[str] | None = None) -> list[str]:
        """``"<lang>/<name>"`` for every name absent from one of the languages."""
        langs = tuple(languages) if languages is not None else self.languages
        return [prompt_file(lang, n) for lang in langs for n in names if not self.has(lang, n)]


def parse_catalogue_texts(language: str, data: object, source: str) -> dict[str, str]:
    """Check one language's mapping of name -> text."""
    if not isinstance(data, Mapping):
        raise CatalogueError(f"{source}: expected a mapping of prompt name -> text")
    texts: dict[str, str] = {}
    for name, text in data.items():
        if not isinstance(name, str) or not PROMPT_NAME_RE.match(name):
            raise CatalogueError(f"{source}: bad prompt name {name!r} (use [a-z0-9-])")
        if not isinstance(text, str) or not text.strip():
            raise CatalogueError(f"{source}: prompt {name!r} has no text")
        texts[name] = " ".join(text.split())
    return texts


def load_catalogue(
    directory: Path | str = DEFAULT_DIR, languages: Iterable[str] = ("uk", "en")
) -> Catalogue:
    """Load ``<directory>/<lang>.yaml`` for each language."""
    texts: dict[str, Mapping[str, str]] = {}
    for lang in languages:
        if not LANGUAGE_RE.match(lang):
            raise CatalogueError(f"bad language code {lang!r}")
        path = Path(directory) / f"{lang}.yaml"
        if not path.is_file():
            raise CatalogueError(f"{path}: catalogue file not found")
        try:
            data = load_yaml(path.read_text(encoding="utf-8"), str(path))
        except StrictYamlError as exc:
            raise CatalogueError(str(exc)) from exc
        texts[lang] = MappingProxyType(parse_catalogue_texts(lang, data, str(path)))
    return Catalogue(MappingProxyType(texts))
