"""Per-prefix, per-year counters behind registration numbers (see appeal_store.numbering)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class NumberCounter(Base):
    """The last number issued for one (prefix, year)."""

    __tablename__ = "number_counters"

    prefix: Mapped[str] = mapped_column(String(20), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
