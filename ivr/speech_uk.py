"""Ukrainian numbers, ordinals, units and dates as catalogue fragment names.

Gender and case follow Ukrainian grammar: "одна хвилина", "дві хвилини", "п'ять хвилин",
"двадцять одна хвилина"; "перше грудня"; "до п'ятнадцятого січня дві тисячі двадцять
п'ятого року". Fragment names match ivr/prompts/uk.yaml.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

Gender = Literal["m", "f", "n"]
Case = Literal["nom", "acc", "gen"]
OrdinalForm = Literal["m", "n", "g"]  # masculine nom., neuter nom., genitive (masc./neut.)

UNIT_GENDER: dict[str, Gender] = {"day": "m", "hour": "f", "minute": "f", "second": "f"}
MAX_CARDINAL = 999_999_999


def plural_form(n: int) -> Literal["one", "few", "many"]:
    """Ukrainian plural class of a count: 1, 21 -> one; 2-4, 22 -> few; 0, 5-20, 25 -> many."""
    n = abs(n)
    if n % 10 == 1 and n % 100 != 11:
        return "one"
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return "few"
    return "many"


def _unit_word(value: int, gender: Gender, case: Case) -> str:
    if value == 1:
        if gender == "f":
            return "num-1-f-acc" if case == "acc" else "num-1-f"
        return "num-1-n" if gender == "n" else "num-1"
    if value == 2 and gender == "f":
        return "num-2-f"
    return f"num-{value}"


def _parts_below_thousand(n: int) -> list[int]:
    """Split 1..999 into spoken parts: [hundreds, tens or teen, units] without zeros."""
    parts = []
    hundreds, rest = divmod(n, 100)
    if hundreds:
        parts.append(hundreds * 100)
    if 10 <= rest <= 19:
        parts.append(rest)
    else:
        tens, units = divmod(rest, 10)
        if tens:
            parts.append(tens * 10)
        if units:
            parts.append(units)
    return parts


def _below_thousand(n: int, gender: Gender, case: Case = "nom") -> list[str]:
    out = []
    for part in _parts_below_thousand(n):
        out.append(_unit_word(part, gender, case) if part < 10 else f"num-{part}")
    return out


def cardinal(n: int, gender: Gender = "m", case: Case = "nom") -> list[str]:
    """Fragments of a cardinal number 0..999 999 999 (gender/case shape the last 1 or 2)."""
    if not 0 <= n <= MAX_CARDINAL:
        raise ValueError(f"number {n} is outside 0..{MAX_CARDINAL}")
    if n == 0:
        return ["num-0"]
    out: list[str] = []
    millions, rest = divmod(n, 1_000_000)
    if millions:
        out += _below_thousand(millions, "m") + [f"million-{plural_form(millions)}"]
    thousands, rest = divmod(rest, 1000)
    if thousands == 1:
        out.append("thousand-one")  # "тисяча", not "одна тисяча"
    elif thousands:
        out += _below_thousand(thousands, "f") + [f"thousand-{plural_form(thousands)}"]
    if rest:
        out += _below_thousand(rest, gender, case)
    return out


def ordinal(n: int, form: OrdinalForm = "n") -> list[str]:
    """Fragments of an ordinal 1..2999: only the last part is ordinal ("двадцять перше")."""
    if not 1 <= n <= 2999:
        raise ValueError(f"ordinal {n} is outside 1..2999")
    thousands, rest = divmod(n, 1000)
    if rest == 0:
        return [f"ord-{thousands * 1000}-{form}"]
    out = cardinal(thousands * 1000) if thousands else []
    parts = _parts_below_thousand(rest)
    out += [f"num-{p}" for p in parts[:-1]]
    out.append(f"ord-{parts[-1]}-{form}")
    return out


def count(n: int, unit: str, case: Case = "nom") -> list[str]:
    """A number with its unit in the right form: 21 minute -> двадцять одна хвилина."""
    gender = UNIT_GENDER[unit]
    form = plural_form(n)
    word = f"unit-{unit}-{form}"
    if form == "one" and case == "acc" and gender == "f":
        word += "-acc"
    return cardinal(n, gender, case) + [word]


def date(day: dt.date, case: Literal["nom", "gen"] = "nom", with_year: bool = True) -> list[str]:
    """"перше грудня дві тисячі двадцять п'ятого року"; case gen: "першого грудня ..."."""
    form: OrdinalForm = "g" if case == "gen" else "n"
    out = ordinal(day.day, form) + [f"month-{day.month}-g"]
    if with_year:
        out += ordinal(day.year, "g") + ["word-year-g"]
    return out


AND = "word-and"
