"""Callers the law serves first: the list of their numbers, read from a file.

The list is personal data, so it is never shipped: ``settings.priority_numbers_file`` names
a plain text or CSV file kept by the installation, one number per line (the first cell of a
CSV row; ``#`` starts a comment; a header or a line without digits is skipped). Numbers
are compared in routing's normal form, so ``0501234567``, ``380501234567`` and
``+38 (050) 123-45-67`` are the same caller.

The file is re-read when it changes (mtime or size). A missing or unreadable file is logged
once and means nobody is a priority caller: the list never fails a call.

>>> callers = PriorityCallers(Path("priority.csv"))        # doctest: +SKIP
>>> callers.contains("+380501234567")                      # doctest: +SKIP
True
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from routing.call_routing import normalize_number

log = logging.getLogger(__name__)

MIN_DIGITS = 5  # shorter cells are headers, notes or typos, not phone numbers
_CELL_SEPARATORS = re.compile(r"[,;\t]")


def parse_priority_numbers(text: str) -> tuple[frozenset[str], list[int]]:
    """Numbers in normal form, and the line numbers skipped as not a number."""
    numbers: set[str] = set()
    skipped: list[int] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        cell = _CELL_SEPARATORS.split(line.split("#", 1)[0], maxsplit=1)[0].strip().strip('"')
        if not any(ch.isdigit() for ch in cell):  # blank, a header or a label
            continue
        number = normalize_number(cell)
        if len(number) < MIN_DIGITS or re.search(r"[^\d\s+()\-.]", cell):
            skipped.append(lineno)
            continue
        numbers.add(number)
    return frozenset(numbers), skipped


class PriorityCallers:
    """The priority list of one file, re-read when the file changes."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._numbers: frozenset[str] = frozenset()
        self._stamp: tuple[int, int] | None = None
        self._problem: str | None = None

    def numbers(self) -> frozenset[str]:
        """The current list (empty without a file or when it cannot be read)."""
        if self.path is None:
            return frozenset()
        try:
            st = self.path.stat()
            stamp = (st.st_mtime_ns, st.st_size)
            if stamp != self._stamp:
                self._load(stamp)
        except (OSError, UnicodeDecodeError) as exc:
            self._fail(f"{type(exc).__name__}: {exc.strerror if isinstance(exc, OSError) else exc}")
        return self._numbers

    def contains(self, caller: str | None) -> bool:
        """Whether ``caller`` (any stored form) is on the list."""
        number = normalize_number(caller or "")
        return bool(number) and number in self.numbers()

    def _load(self, stamp: tuple[int, int]) -> None:
        assert self.path is not None
        numbers, skipped = parse_priority_numbers(self.path.read_text(encoding="utf-8-sig"))
        self._numbers, self._stamp, self._problem = numbers, stamp, None
        if skipped:  # line numbers only: the numbers themselves are personal data
            log.warning("priority numbers file %s: %d line(s) not a number, skipped: %s",
                        self.path, len(skipped), ", ".join(map(str, skipped[:20])))
        log.info("priority numbers file %s: %d number(s)", self.path, len(numbers))

    def _fail(self, problem: str) -> None:
        self._numbers, self._stamp = frozenset(), None
        if problem != self._problem:
            log.error("priority numbers file %s unusable (%s): no caller is served first",
                      self.path, problem)
            self._problem = problem
