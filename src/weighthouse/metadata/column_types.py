"""Column types that behave the same on SQLite, PostgreSQL and MariaDB.

Text collations differ between databases (MariaDB's default ones ignore case, PostgreSQL's follow
the locale), so names, paths and keys are stored as their UTF-8 bytes: equality is exact and
ordering is byte order everywhere. Datetimes always come back timezone-aware in UTC, even from
databases that store them without a zone.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Dialect, LargeBinary
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.types import TypeDecorator, TypeEngine


class Utf8Bytes(TypeDecorator[str]):
    """A ``str`` stored as its UTF-8 bytes: VARBINARY on MariaDB, bytea on PostgreSQL, BLOB on
    SQLite. Bound values may also be ``bytes``, for byte-range bounds that are not valid UTF-8."""

    impl = LargeBinary
    cache_ok = True

    def __init__(self, length: int) -> None:
        super().__init__(length=length)
        self.length = length

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name in ("mysql", "mariadb"):
            # VARBINARY, not BLOB: only the former can sit in a primary key without a prefix.
            return dialect.type_descriptor(mysql.VARBINARY(self.length))
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.BYTEA())
        return dialect.type_descriptor(LargeBinary())

    def process_bind_param(self, value: Any, dialect: Dialect) -> bytes | None:
        if value is None or isinstance(value, bytes):
            return value
        return str(value).encode("utf-8")

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return bytes(value).decode("utf-8")


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime, stored in UTC with microseconds.

    PostgreSQL keeps the zone (timestamptz); MariaDB and SQLite store naive UTC, and the zone is
    put back on the way out. Naive datetimes are refused rather than guessed at.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name in ("mysql", "mariadb"):
            # Without fsp=6 MariaDB truncates to whole seconds.
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError(f"expected a timezone-aware datetime, got {value!r}")
        utc = value.astimezone(UTC)
        return utc if dialect.name == "postgresql" else utc.replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
        return value.astimezone(UTC)  # type: ignore[no-any-return]
