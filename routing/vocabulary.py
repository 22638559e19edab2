"""Recognise a region, a topic or a state body in Ukrainian text (transcripts, free text).

Pure and data-driven: the words live in ``routing/data/vocabulary.yaml``. Matching is
case-insensitive, ignores apostrophe variants (’ ' ʼ) and hyphens, treats "у"/"в" and
"з"/"із"/"зі" alike, and compares simple stems (common inflection endings stripped from words
whose stem keeps 5+ letters), so "опалення" also finds "опаленням".

Example::

    suggest_region("Я з Харкова, у нас немає опалення вже тиждень")  # ('UA-63', 'харкова')
    suggest_topic("Я з Харкова, у нас немає опалення вже тиждень")   # ('20.02', 'опалення')
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from routing.reference import DATA_DIR, Reference, ReferenceDataError, default_reference

VOCABULARY_FILE = DATA_DIR / "vocabulary.yaml"
MIN_STEM = 5
# Longest first: the first ending that leaves a stem of MIN_STEM letters is stripped.
ENDINGS = tuple(sorted(
    {"ями", "ами", "ові", "еві", "ого", "ому", "ими", "ій", "ий", "ої", "ою", "ею", "ах", "ях",
     "ам", "ям", "ів", "їв", "ом", "ем", "им", "их", "ім", "а", "я", "у", "ю", "і", "и", "о",
     "е", "ь", "ї", "є", "й"},
    key=len, reverse=True,
))
_APOSTROPHES = re.compile("[’'ʼ‘`′ʹ]")
_TOKEN = re.compile(r"[0-9a-zа-яёіїєґыэъ']+")
_SAME = {"в": "у", "із": "з", "зі": "з"}


def normalize(text: str) -> str:
    """Lower case, apostrophes dropped, hyphens and punctuation as single spaces."""
    return " ".join(_key(t) for t in _tokens(text))


def stem(word: str) -> str:
    """``word`` without its inflection ending, if a stem of MIN_STEM letters remains."""
    for ending in ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= MIN_STEM:
            return word[: -len(ending)]
    return word


def _tokens(text: str) -> list[str]:
    lowered = _APOSTROPHES.sub("'", text.lower())
    return [t.strip("'") for t in _TOKEN.findall(lowered) if t.strip("'")]


def _key(token: str) -> str:
    key = token.replace("'", "")
    return _SAME.get(key, key)


@dataclass(frozen=True)
class _Pattern:
    word: str
    prefix: bool
    #: the stem compared with a token's stem, or None if the word only matches whole
    stem: str | None

    @classmethod
    def of(cls, word: str, prefix: bool = False) -> _Pattern:
        s = stem(word)
        return cls(word, prefix, s if len(s) >= MIN_STEM and not prefix else None)

    def matches(self, key: str, key_stem: str) -> bool:
        if self.prefix:
            return key.startswith(self.word)
        return key == self.word or (self.stem is not None and key_stem == self.stem)


@dataclass(frozen=True)
class Entry:
    """One word or phrase that points to a code."""

    code: str
    text: str
    patterns: tuple[_Pattern, ...]
    needs_context: bool = False

    def match_at(self, keys: Sequence[str], stems: Sequence[str], index: int) -> bool:
        if index + len(self.patterns) > len(keys):
            return False
        return all(p.matches(keys[index + i], stems[index + i])
                   for i, p in enumerate(self.patterns))


@dataclass(frozen=True)
class Vocabulary:
    regions: tuple[Entry, ...]
    topics: tuple[Entry, ...]
    bodies: tuple[Entry, ...]
    regional_markers: tuple[Entry, ...]
    place_words: frozenset[str]


@dataclass(frozen=True)
class _Hit:
    entry: Entry
    start: int
    words: str


def _entry(code: str, text: str, needs_context: bool = False) -> Entry:
    patterns = [_Pattern.of(_key(token)) for token in _tokens(str(text))]
    if str(text).strip().endswith("*") and patterns:
        patterns[-1] = _Pattern.of(patterns[-1].word, prefix=True)
    if not patterns:
        raise ReferenceDataError([f"vocabulary: empty word for {code!r}"])
    return Entry(code, str(text), tuple(patterns), needs_context)


def build_vocabulary(doc: Mapping[str, Any], ref: Reference) -> Vocabulary:
    """Build and check a vocabulary (codes must exist in ``ref``)."""
    problems: list[str] = []
    regions: list[Entry] = []
    for code, spec in (doc.get("regions") or {}).items():
        if code not in ref.regions_by_code:
            problems.append(f"vocabulary: unknown region {code!r}")
            continue
        spec = spec or {}
        regions += [_entry(code, w) for w in spec.get("words") or []]
        regions += [_entry(code, w, True) for w in spec.get("context_words") or []]
    topics = _section(doc.get("topics"), ref.topics_by_code, "topic", problems)
    bodies = _section(doc.get("bodies"), ref.bodies_by_code, "body", problems)
    markers = [_entry("regional", w) for w in doc.get("regional_markers") or []]
    places = frozenset(_key(t) for w in doc.get("place_words") or [] for t in _tokens(str(w)))
    if problems:
        raise ReferenceDataError(problems)
    return Vocabulary(tuple(regions), tuple(topics), tuple(bodies), tuple(markers), places)


def _section(spec: Any, known: Mapping[str, Any], what: str, problems: list[str]) -> list[Entry]:
    out: list[Entry] = []
    for code, words in (spec or {}).items():
        code = str(code)
        if code not in known:
            problems.append(f"vocabulary: unknown {what} {code!r}")
            continue
        out += [_entry(code, w) for w in words or []]
    return out


def load_vocabulary(path: Path | str | None = None, ref: Reference | None = None) -> Vocabulary:
    """Read the vocabulary YAML (default: the shipped one) and check it against ``ref``."""
    file = Path(path) if path is not None else VOCABULARY_FILE
    try:
        doc = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ReferenceDataError([f"{file.name}: cannot read: {exc}"]) from exc
    return build_vocabulary(doc, ref if ref is not None else default_reference())


@lru_cache(maxsize=1)
def default_vocabulary() -> Vocabulary:
    """The shipped vocabulary, loaded once."""
    return load_vocabulary()


# --- matching ------------------------------------------------------------------------------


def _hits(text: str, entries: Iterable[Entry], places: frozenset[str] = frozenset()) -> list[_Hit]:
    tokens = _tokens(text)
    keys = [_key(t) for t in tokens]
    stems = [stem(k) for k in keys]
    hits = []
    for entry in entries:
        for i in range(len(keys)):
            if not entry.match_at(keys, stems, i):
                continue
            if entry.needs_context and (i == 0 or keys[i - 1] not in places):
                continue
            hits.append(_Hit(entry, i, " ".join(tokens[i : i + len(entry.patterns)])))
    return hits


def _first(hits: list[_Hit]) -> _Hit | None:
    """The earliest hit; at the same place the longer phrase."""
    return min(hits, key=lambda h: (h.start, -len(h.entry.patterns)), default=None)


def suggest_region(text: str, vocabulary: Vocabulary | None = None) -> tuple[str, str] | None:
    """(region code, matched words) for the first region named in ``text``, or None."""
    vocab = vocabulary or default_vocabulary()
    hit = _first(_hits(text, vocab.regions, vocab.place_words))
    return (hit.entry.code, hit.words) if hit else None


def suggest_topic(text: str, vocabulary: Vocabulary | None = None) -> tuple[str, str] | None:
    """(topic code, matched words) for the topic best supported by ``text``, or None.

    Each topic scores the words of its distinct matched phrases; ties go to the more
    specific topic, then to the one named first.
    """
    vocab = vocabulary or default_vocabulary()
    by_topic: dict[str, list[_Hit]] = {}
    for hit in _hits(text, vocab.topics):
        by_topic.setdefault(hit.entry.code, []).append(hit)
    if not by_topic:
        return None

    def score(code: str) -> tuple[int, int, int]:
        hits = by_topic[code]
        weight = sum(len(e.patterns) for e in {h.entry for h in hits})
        return (weight, code.count("."), -min(h.start for h in hits))

    best = max(by_topic, key=score)
    return best, _first(by_topic[best]).words  # type: ignore[union-attr]


def suggest_body(text: str, ref: Reference | None = None,
                 vocabulary: Vocabulary | None = None) -> str | None:
    """Code of the body named in ``text`` ("Пенсійний фонд", "Львівська ОДА"), or None."""
    ref = ref if ref is not None else default_reference()
    vocab = vocabulary or default_vocabulary()
    if _hits(text, vocab.regional_markers):
        region = suggest_region(text, vocab)
        body = ref.regional_body(region[0]) if region else None
        if body is not None:
            return body.code
    hits = [h for h in _hits(text, vocab.bodies) if h.entry.code in ref.bodies_by_code]
    best = max(hits, key=lambda h: (len(h.entry.patterns), -h.start), default=None)
    return best.entry.code if best else None
