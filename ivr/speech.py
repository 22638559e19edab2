"""Dynamic speech: numbers, dates, durations, appeal numbers and queue announcements.

Each function returns a :class:`Speech`: the catalogue fragment names to play in order (so
Asterisk plays a sequence of prebuilt files ``<lang>/<name>``), with ``to_text()`` for tests
and logs.

>>> say_count(21, "minute", "uk").to_text()
'двадцять одна хвилина'
>>> say_date(dt.date(2025, 12, 1), "uk", with_year=False).to_text()
'перше грудня'
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from . import speech_en, speech_uk
from .catalogue import Catalogue, load_catalogue, prompt_file

LANGUAGES = ("uk", "en")
UNITS = ("day", "hour", "minute", "second")
Gender = speech_uk.Gender
Case = speech_uk.Case

__all__ = [
    "Speech",
    "queue_announcement",
    "say_appeal_number",
    "say_count",
    "say_date",
    "say_duration",
    "say_number",
    "say_ordinal",
    "say_queue_position",
    "say_wait",
]


@lru_cache(maxsize=1)
def _default_catalogue() -> Catalogue:
    return load_catalogue()


@dataclass(frozen=True)
class Speech:
    """A sequence of catalogue fragments in one language."""

    language: str
    fragments: tuple[str, ...]

    @property
    def files(self) -> list[str]:
        """The sound files to play, ``<lang>/<name>``."""
        return [prompt_file(self.language, name) for name in self.fragments]

    def to_text(self, catalogue: Catalogue | None = None) -> str:
        """The words the fragments say (from the packaged catalogue unless one is given)."""
        cat = catalogue or _default_catalogue()
        return " ".join(cat.text(self.language, name) for name in self.fragments)

    def __add__(self, other: Speech) -> Speech:
        if other.language != self.language:
            raise ValueError(f"cannot join {self.language!r} and {other.language!r} speech")
        return Speech(self.language, self.fragments + other.fragments)


def _lang(language: str) -> str:
    if language not in LANGUAGES:
        raise ValueError(f"no speech rules for language {language!r} (have {LANGUAGES})")
    return language


def _speech(language: str, fragments: list[str]) -> Speech:
    return Speech(language, tuple(fragments))


def say_number(n: int, language: str, gender: Gender = "m", case: Case = "nom") -> Speech:
    """A cardinal number; in Ukrainian ``gender`` (m/f/n) and ``case`` shape 1 and 2."""
    if _lang(language) == "uk":
        return _speech(language, speech_uk.cardinal(n, gender, case))
    return _speech(language, speech_en.cardinal(n))


def say_ordinal(n: int, language: str, form: speech_uk.OrdinalForm = "m") -> Speech:
    """An ordinal; Ukrainian ``form``: m (перший), n (перше), g (першого)."""
    if _lang(language) == "uk":
        return _speech(language, speech_uk.ordinal(n, form))
    return _speech(language, speech_en.ordinal(n))


def say_count(n: int, unit: str, language: str, case: Case = "nom") -> Speech:
    """A count of a unit (day, hour, minute, second): "дві хвилини", "two minutes"."""
    if unit not in UNITS:
        raise ValueError(f"unknown unit {unit!r} (one of {UNITS})")
    if _lang(language) == "uk":
        return _speech(language, speech_uk.count(n, unit, case))
    return _speech(language, speech_en.count(n, unit))


def say_duration(seconds: float, language: str, smallest: str = "second",
                 case: Case = "nom") -> Speech:
    """A duration in days/hours/minutes/seconds, rounded up to ``smallest``.

    "одна година і п'ять хвилин"; zero is "нуль секунд" / "zero seconds".
    """
    if smallest not in UNITS:
        raise ValueError(f"unknown unit {smallest!r} (one of {UNITS})")
    if seconds < 0 or math.isnan(seconds):
        raise ValueError(f"duration {seconds!r} is negative or not a number")
    sizes = {"day": 86_400, "hour": 3600, "minute": 60, "second": 1}
    units = UNITS[: UNITS.index(smallest) + 1]
    left = math.ceil(seconds / sizes[smallest]) * sizes[smallest]
    parts: list[Speech] = []
    for unit in units:
        value, left = divmod(left, sizes[unit])
        if value:
            parts.append(say_count(int(value), unit, language, case))
    if not parts:
        return say_count(0, smallest, language, case)
    out = parts[0]
    for i, part in enumerate(parts[1:], start=1):
        joiner = [speech_uk.AND if language == "uk" else speech_en.AND] if i == len(parts) - 1 else []
        out = out + _speech(language, joiner) + part
    return out


def say_date(day: dt.date, language: str, case: Literal["nom", "gen"] = "nom",
             with_year: bool = True) -> Speech:
    """A date: "перше грудня ... року" (nom) / "першого грудня" (gen, after "до")."""
    if _lang(language) == "uk":
        return _speech(language, speech_uk.date(day, case, with_year))
    return _speech(language, speech_en.date(day, with_year))


def say_appeal_number(number: str, language: str) -> Speech:
    """An appeal number digit by digit ("1545-0042" -> one five four five zero zero four two)."""
    _lang(language)
    digits = [c for c in str(number) if c.isascii() and c.isdigit()]
    if not digits:
        raise ValueError(f"appeal number {number!r} has no digits")
    return _speech(language, [f"num-{d}" for d in digits])


def say_queue_position(position: int, language: str) -> Speech:
    """"Ваш дзвінок наступний." for 1, else "Ваш номер у черзі: три"."""
    if position < 1:
        raise ValueError(f"queue position {position} must be 1 or more")
    if position == 1:
        return _speech(_lang(language), ["queue-position-next"])
    return _speech(language, ["queue-position"]) + say_number(position, language)


def say_wait(seconds: float, language: str) -> Speech:
    """"Орієнтовний час очікування: п'ять хвилин" (rounded up to whole minutes)."""
    _lang(language)
    if seconds < 60:
        return _speech(language, ["queue-wait", "queue-wait-under-minute"])
    return _speech(language, ["queue-wait"]) + say_duration(seconds, language, "minute")


def queue_announcement(position: int | None, wait_seconds: float | None, language: str,
                       offer_callback: bool = True) -> Speech:
    """The periodic announcement to a caller waiting in a queue.

    Position and wait are each left out when None; the callback offer is
    "press * to leave the queue and request a call back".
    """
    out = _speech(_lang(language), [])
    if position is not None:
        out = out + say_queue_position(position, language)
    if wait_seconds is not None:
        out = out + say_wait(wait_seconds, language)
    if offer_callback:
        out = out + _speech(language, ["queue-leave-star"])
    return out
