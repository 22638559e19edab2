"""English numbers, ordinals, units and dates as catalogue fragment names (ivr/prompts/en.yaml)."""

from __future__ import annotations

import datetime as dt

MAX_CARDINAL = 999_999_999
AND = "word-and"


def _below_hundred(n: int) -> list[str]:
    if n < 20:
        return [f"num-{n}"]
    tens, units = divmod(n, 10)
    return [f"num-{tens * 10}"] + ([f"num-{units}"] if units else [])


def _below_thousand(n: int) -> list[str]:
    hundreds, rest = divmod(n, 100)
    out = [f"num-{hundreds}", "hundred"] if hundreds else []
    if rest:
        out += ([AND] if hundreds else []) + _below_hundred(rest)
    return out


def cardinal(n: int) -> list[str]:
    """"one hundred and five", "twenty-one thousand" (British "and")."""
    if not 0 <= n <= MAX_CARDINAL:
        raise ValueError(f"number {n} is outside 0..{MAX_CARDINAL}")
    if n == 0:
        return ["num-0"]
    out: list[str] = []
    millions, rest = divmod(n, 1_000_000)
    if millions:
        out += _below_thousand(millions) + ["million"]
    thousands, rest = divmod(rest, 1000)
    if thousands:
        out += _below_thousand(thousands) + ["thousand"]
    if rest:
        if out and rest < 100:
            out.append(AND)
        out += _below_thousand(rest)
    return out


def ordinal(n: int) -> list[str]:
    """"first", "twenty-first", "one hundredth", "two thousand and fifth"."""
    if not 1 <= n <= MAX_CARDINAL:
        raise ValueError(f"ordinal {n} is outside 1..{MAX_CARDINAL}")
    last_two = n % 100
    if last_two == 0:
        words = cardinal(n)
        # the last scale word becomes ordinal: hundred -> hundredth, thousand -> thousandth
        return words[:-1] + [words[-1] + "th"]
    head = cardinal(n - last_two) if n >= 100 else []
    if head:
        head.append(AND)
    if last_two < 20 or last_two % 10 == 0:
        return head + [f"ord-{last_two}"]
    return head + [f"num-{last_two - last_two % 10}", f"ord-{last_two % 10}"]


def count(n: int, unit: str) -> list[str]:
    """"one minute", "twenty-one minutes"."""
    return cardinal(n) + [f"unit-{unit}-{'one' if n == 1 else 'many'}"]


def year(y: int) -> list[str]:
    """Years as spoken: "nineteen ninety-one", "two thousand and five", "twenty twenty-five"."""
    if not 1 <= y <= 9999:
        raise ValueError(f"year {y} is outside 1..9999")
    if y < 1000 or 2000 <= y <= 2009:
        return cardinal(y)
    century, rest = divmod(y, 100)
    if rest == 0:
        return _below_hundred(century) + ["hundred"]
    if rest < 10:
        return _below_hundred(century) + ["word-oh", f"num-{rest}"]
    return _below_hundred(century) + _below_hundred(rest)


def date(day: dt.date, with_year: bool = True) -> list[str]:
    """"the first of December twenty twenty-five"."""
    out = ["word-the"] + ordinal(day.day) + ["word-of", f"month-{day.month}"]
    return out + (year(day.year) if with_year else [])
