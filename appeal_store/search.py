"""Finding appeals: by number, phone, applicant name, words of the substance, dates, status.

On PostgreSQL a name matches when every typed word begins a word of the applicant's name
(any order, case and apostrophes ignored): the name is resolved to applicant ids through the
GIN index on the name's words first, then the planner, knowing exactly how many applicants
matched, either walks ``ix_appeals_received_at`` newest first with a hashed id filter (common
names) or fetches those applicants' appeals (rare ones). A name so common that more than
:data:`NAME_IDS_CAP` applicants match is filtered during the walk, which then stops early.
Input without a letter or digit matches no one. The text
search is a full-text match (``'simple'`` configuration, no stemming, so Ukrainian and
English behave alike) served by the tsvector GIN index. On SQLite both fall back to LIKE
over Unicode-folded text (``casefold`` is registered by :func:`appeal_store.db.make_engine`).
See docs/SCHEMA.md ("Name search").
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Sequence

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    any_,
    bindparam,
    false,
    func,
    literal_column,
    or_,
    select,
)
from sqlalchemy.orm import Session, contains_eager

from appeal_store.calls import ANONYMOUS, sanitize_phone
from appeal_store.models import Appeal, Applicant

MAX_LIMIT = 500
SIMPLE = literal_column("'simple'::regconfig")
# Apostrophes inside names (Дем'яненко, Мар’яна) are dropped, so every spelling is one word.
APOSTROPHES = "'\u2019\u02bc`\u2018"
# The name's words exactly as ix_applicants_name_words indexes them (revision 0004).
NAME_WORDS_SQL = (
    "to_tsvector('simple'::regconfig, translate(applicants.full_name, '"
    + APOSTROPHES.replace("'", "''") + "', ''))"
)
# More matching applicants than this: filter while walking the date index instead.
NAME_IDS_CAP = 10_000
_WORD = re.compile(r"[^\W_]+")


def name_words(raw: str) -> list[str]:
    """The words of a typed name as the name index sees them: folded, apostrophes dropped."""
    # lower(), not casefold(): the 'simple' dictionary lower-cases the same way (ß stays ß)
    folded = unicodedata.normalize("NFC", raw).lower()
    for mark in APOSTROPHES:
        folded = folded.replace(mark, "")
    return _WORD.findall(folded)


def name_tsquery(words: Sequence[str]) -> str:
    """A ``to_tsquery`` text in which every word is a prefix: ``'шевч':* & 'олен':*``."""
    return " & ".join(f"'{w}':*" for w in words)


def phone_variants(raw: str) -> list[str]:
    """The stored forms a typed phone may match ("044…", "380…", "+380…" are one number)."""
    clean = sanitize_phone(raw)
    if clean == ANONYMOUS:
        return []
    digits = clean.lstrip("+")
    forms = {clean, digits, "+" + digits}
    if len(digits) == 10 and digits.startswith("0"):
        forms |= {"+38" + digits, "38" + digits}
    if len(digits) == 12 and digits.startswith("380"):
        forms |= {"0" + digits[3:]}
    return sorted(forms)


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _is_pg(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _contains(session: Session, column: ColumnElement[str], needle: str) -> ColumnElement[bool]:
    pattern = f"%{_escape_like(needle)}%"
    if _is_pg(session):
        return column.ilike(pattern, escape="\\")
    return func.casefold(column).like(pattern.casefold(), escape="\\")


def _equals_folded(session: Session, column: ColumnElement[str], value: str) -> ColumnElement[bool]:
    if _is_pg(session):
        return func.lower(column) == value.lower()  # ix_applicants_full_name_lower
    return func.casefold(column) == value.casefold()


def _text_match(session: Session, words: str) -> ColumnElement[bool]:
    if _is_pg(session):
        return func.to_tsvector(SIMPLE, Appeal.substance).op("@@")(
            func.websearch_to_tsquery(SIMPLE, words)
        )
    terms = [w for w in words.split() if w]
    return and_(*(_contains(session, Appeal.substance, w) for w in terms))


def _name_match(words: Sequence[str]) -> ColumnElement[bool]:
    # inline (literal_execute), so a prepared statement is still planned for these words:
    # "Мельник" and "Рожишин" need different plans
    query = bindparam("name_query", name_tsquery(words), literal_execute=True)
    return literal_column(NAME_WORDS_SQL).op("@@")(func.to_tsquery(SIMPLE, query))


def _applicant_match(session: Session, raw: str) -> ColumnElement[bool]:
    """The name criterion; on PostgreSQL resolved to applicant ids first (see the module)."""
    if not _is_pg(session):
        return _contains(session, Applicant.full_name, " ".join(raw.split()))
    words = name_words(raw)
    if not words:
        return false()  # no letter or digit: no one's name (and no full scan)
    ids = list(session.scalars(
        select(Applicant.id).where(_name_match(words)).limit(NAME_IDS_CAP + 1)
    ))
    if not ids:
        return false()
    if len(ids) > NAME_IDS_CAP:
        return _name_match(words)
    # An inline constant, not a parameter: psycopg prepares a statement after five runs and
    # a generic plan would not know how many ids there are. With the constant the planner
    # sees the count and hashes the membership test. The ids are integers read just now.
    array = literal_column("'{" + ",".join(str(int(i)) for i in ids) + "}'::bigint[]")
    return Appeal.applicant_id == any_(array)


def search_appeals(
    session: Session,
    *,
    number: str | None = None,
    phone: str | None = None,
    applicant: str | None = None,
    text: str | None = None,
    date_from: dt.datetime | None = None,
    date_to: dt.datetime | None = None,
    status: str | Sequence[str] | None = None,
    body_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[Appeal]:
    """Appeals matching every given criterion, newest first (``date_to`` is exclusive)."""
    stmt = search_statement(
        session, number=number, phone=phone, applicant=applicant, text=text,
        date_from=date_from, date_to=date_to, status=status, body_id=body_id,
    )
    limit = max(1, min(int(limit), MAX_LIMIT))
    stmt = stmt.order_by(Appeal.received_at.desc(), Appeal.id.desc()).limit(limit)
    return list(session.scalars(stmt.offset(max(0, int(offset)))).unique())


def search_statement(
    session: Session,
    *,
    number: str | None = None,
    phone: str | None = None,
    applicant: str | None = None,
    text: str | None = None,
    date_from: dt.datetime | None = None,
    date_to: dt.datetime | None = None,
    status: str | Sequence[str] | None = None,
    body_id: int | None = None,
) -> Select[tuple[Appeal]]:
    """The SELECT behind :func:`search_appeals`, unordered (for counts and EXPLAIN)."""
    stmt = select(Appeal).outerjoin(Applicant, Appeal.applicant_id == Applicant.id)
    stmt = stmt.options(contains_eager(Appeal.applicant))
    if number and number.strip():
        stmt = stmt.where(Appeal.number == number.strip())
    if phone is not None:
        variants = phone_variants(phone)
        # a value with no digits ("anonymous") matches nothing rather than everything
        stmt = stmt.where(Applicant.phone.in_(variants) if variants else false())
    if applicant and applicant.strip():
        stmt = stmt.where(_applicant_match(session, applicant))
    if text and text.strip():
        stmt = stmt.where(_text_match(session, text.strip()))
    if date_from is not None:
        stmt = stmt.where(Appeal.received_at >= date_from)
    if date_to is not None:
        stmt = stmt.where(Appeal.received_at < date_to)
    if status:
        statuses = [status] if isinstance(status, str) else list(status)
        stmt = stmt.where(Appeal.status.in_(statuses))
    if body_id is not None:
        stmt = stmt.where(Appeal.body_id == body_id)
    return stmt


def find_repeated(
    session: Session,
    *,
    phone: str | None = None,
    full_name: str | None = None,
    topic_code: str | None = None,
    exclude_appeal_id: int | None = None,
    limit: int = 10,
) -> list[Appeal]:
    """Earlier registered appeals of the same person on the same topic, newest first.

    The same person: the same phone (any stored form) or the same full name (case and
    spacing ignored). Drafts are not counted. The first result is what a new appeal's
    ``repeated_of_id`` should point to (Instruction No. 348: repeated appeals are linked).
    """
    stmt = find_repeated_statement(session, phone=phone, full_name=full_name,
                                   topic_code=topic_code, exclude_appeal_id=exclude_appeal_id)
    if stmt is None:
        return []
    stmt = stmt.order_by(Appeal.received_at.desc(), Appeal.id.desc()).limit(limit)
    return list(session.scalars(stmt).unique())


def find_repeated_statement(
    session: Session,
    *,
    phone: str | None = None,
    full_name: str | None = None,
    topic_code: str | None = None,
    exclude_appeal_id: int | None = None,
) -> Select[tuple[Appeal]] | None:
    """The SELECT behind :func:`find_repeated`, unordered; None when no person is given."""
    who: list[ColumnElement[bool]] = []
    if phone:
        variants = phone_variants(phone)
        if variants:
            who.append(Applicant.phone.in_(variants))
    if full_name and full_name.strip():
        who.append(_equals_folded(session, Applicant.full_name, " ".join(full_name.split())))
    if not who:
        return None
    stmt = (
        select(Appeal)
        .join(Applicant, Appeal.applicant_id == Applicant.id)
        .options(contains_eager(Appeal.applicant))
        .where(or_(*who), Appeal.status != "draft")
    )
    if topic_code:
        stmt = stmt.where(Appeal.topic_code == topic_code)
    if exclude_appeal_id is not None:
        stmt = stmt.where(Appeal.id != exclude_appeal_id)
    return stmt
