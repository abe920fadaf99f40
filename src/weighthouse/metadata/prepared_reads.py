"""The catalog's hottest reads on SQLite, run on the driver's connection without SQLAlchemy's
per-statement machinery.

Every authenticated request reads the credential epoch, and every small bucket GET reads its
bucket and object; each read through a SQLAlchemy ``Connection`` cost about 90 µs of CPU here
(checkout and connection events, ``BEGIN`` and ``COMMIT`` as statements of their own, execution
context, result set-up), a tenth of that on the ``sqlite3`` connection itself. A
:class:`PreparedRead` compiles its SELECT once, with the engine's own dialect, and keeps the
type processors SQLAlchemy would apply to its parameters and columns; a read checks a
connection out of the engine's pool, runs the statement and returns the first row with the
same attributes and values a ``Row`` would have.

Only on SQLite, and only outside a unit of work: the connection runs in autocommit mode
(``engine.py``), where one SELECT is one consistent read transaction of its own, so no
``BEGIN`` is needed; inside a unit of work a read must see the unit's own writes, so it goes
through the unit's connection as before. Server databases keep the usual path, where the
network round trip outweighs what this would save. The engine's circuit breaker guards these
reads too, and driver errors become the same :class:`StorageError` as on the usual path.

A thread that runs an event loop (the server's, where remembered callers' small GETs and PUTs
are made) keeps one connection of each engine for its prepared reads instead of taking one from
the pool each time: the pool's checkout, reset and check-in, under a lock the group commits'
threads take too, cost that thread a fifth of a small GET's CPU (221 against 170 µs a GET
through the application, measured in one process). One connection per loop thread and engine,
made and configured by the pool and detached from it; it is dropped after any driver error, and
closed when its thread or its engine is gone or by the thread's next read after the engine is
disposed. Autocommit holds for it too, so no read keeps a snapshot open.

The credential epoch, read by every authenticated request and changed only by a revocation, is
a *steady* read (:func:`steady_first_row`): the loop thread answers the row it read last again
while ``PRAGMA data_version`` on its connection is unchanged, which SQLite changes whenever any
other connection, of any process, commits. 5 µs instead of 38 µs a request under reads alone;
under writes it costs the pragma more than before.
"""

from __future__ import annotations

import threading
import weakref
from asyncio import events
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from datetime import UTC, datetime
from functools import partial
from typing import Any

from sqlalchemy import JSON, Dialect, Engine, Executable, Select
from sqlalchemy import event as sa_event
from sqlalchemy import exc as sa_exc
from sqlalchemy.types import TypeEngine

from weighthouse.metadata import transactions
from weighthouse.metadata.column_types import UtcDateTime

Processor = Callable[[Any], Any] | None


class PreparedRow:
    """One row: values by column name, as attributes (``row.sha256``). The values are the
    instance's own attributes: a ``__getattr__`` that looked them up ran for every column a
    caller read, about a fifth of a small GET's catalog read."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


class CompiledStatement:
    """A statement compiled once with a dialect, with the type processors SQLAlchemy would
    apply to its parameters and to the columns it returns (``columns`` names the values an
    INSERT without ``.values()`` takes)."""

    def __init__(
        self, dialect: Dialect, statement: Executable, columns: Sequence[str] | None = None
    ) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=columns)  # type: ignore[attr-defined]
        self._dialect = dialect
        self._compiled = compiled
        self._sql: str = compiled.string
        self._order: Sequence[str] = compiled.positiontup or ()
        self._binds: dict[str, Processor] = {
            name: compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
            for name in self._order
        }
        selected = list(getattr(statement, "selected_columns", None) or ())
        returned = compiled.effective_returning or ()
        result_columns = selected or list(returned)
        self._names = [column.name for column in result_columns]
        if len(set(self._names)) != len(self._names):
            raise ValueError("a prepared statement needs distinct column names")
        results: list[Processor] = [
            _cheaper(
                column.type,
                dialect,
                column.type.dialect_impl(dialect).result_processor(dialect, None),
            )
            for column in result_columns
        ]
        # The columns whose values need processing, by position; the rest are taken as read.
        self._processed = [
            (index, name, process)
            for index, (name, process) in enumerate(zip(self._names, results, strict=True))
            if process is not None
        ]

    def run_on(
        self, connection: Any, parameters: Mapping[str, Any]
    ) -> tuple[int, PreparedRow | None]:
        """Run the statement on the driver's ``connection`` (in whatever transaction it is);
        the rows it changed and its first row. Driver errors are raised as SQLAlchemy's."""
        values = self._compiled.construct_params(dict(parameters))
        # As SQLAlchemy does: every value goes through its processor, None included (a JSON
        # column stores None as JSON null).
        bound = []
        for name in self._order:
            value = values[name]
            process = self._binds[name]
            bound.append(process(value) if process is not None else value)
        try:
            cursor = connection.cursor()
            try:
                cursor.execute(self._sql, bound)
                raw = cursor.fetchone() if self._names else None
                count = cursor.rowcount
            finally:
                cursor.close()
        except self._dialect.loaded_dbapi.Error as exc:
            raise sa_exc.DBAPIError.instance(
                self._sql, None, exc, self._dialect.loaded_dbapi.Error, dialect=self._dialect
            ) from exc
        if raw is None:
            return count, None
        values = dict(zip(self._names, raw, strict=True))
        for index, name, process in self._processed:
            values[name] = process(raw[index])
        return count, PreparedRow(values)


class PreparedRead(CompiledStatement):
    """A SELECT compiled once for a SQLite engine (see the module docstring)."""

    def __init__(self, engine: Engine, statement: Select[Any]) -> None:
        super().__init__(engine.dialect, statement)
        self._engine = engine

    def first(self, parameters: Mapping[str, Any], *, steady: bool = False) -> PreparedRow | None:
        """The first row the statement returns for ``parameters``, or ``None``.

        ``steady``: on an event-loop thread, the row this thread read last for the same
        ``parameters`` is answered again, without reading, while no connection has committed
        to the database since (see :func:`steady_first_row`)."""
        # The breaker and the error translation of transactions._connect, written out: three
        # context managers cost a small GET's two reads more than their SQL (a tenth of it).
        breaker = transactions.breaker_of(self._engine)
        if breaker is not None:
            breaker.admit()
        try:
            row = self._first(parameters, steady)
        except BaseException as exc:
            failure = transactions.storage_failure(exc)
            if breaker is not None:
                breaker.settle(failure or exc)
            if failure is None:
                raise
            raise failure from exc
        if breaker is not None:
            breaker.settle(None)
        return row

    def _first(self, parameters: Mapping[str, Any], steady: bool) -> PreparedRow | None:
        engine = self._engine
        dbapi_error = engine.dialect.loaded_dbapi.Error
        try:
            held = _held(engine)
            if held is None:
                connection = engine.raw_connection()
                try:
                    return self.run_on(connection.driver_connection, parameters)[1]
                finally:
                    connection.close()
            try:
                if not steady:
                    return self.run_on(held.connection, parameters)[1]
                return self._steady(held, parameters)
            except (sa_exc.DBAPIError, dbapi_error):
                _drop_held(held)
                raise
        except dbapi_error as exc:
            raise sa_exc.DBAPIError.instance(
                self._sql, None, exc, dbapi_error, dialect=engine.dialect
            ) from exc

    def _steady(self, held: _Held, parameters: Mapping[str, Any]) -> PreparedRow | None:
        # Read before the row: a commit between the two changes the version the next call
        # sees, so a row is never kept past a commit that may have changed it.
        cursor = held.connection.execute("PRAGMA data_version")
        try:
            version = cursor.fetchone()[0]
        finally:
            cursor.close()  # no statement left open, so no read transaction either
        key = (self, tuple(parameters.items()))
        kept = held.steady.get(key)
        if kept is not None and kept[0] == version:
            return kept[1]
        row = self.run_on(held.connection, parameters)[1]
        held.steady[key] = (version, row)
        return row


class _Held(threading.local):
    connection: Any = None
    generation = -1
    steady: dict[tuple[Any, ...], tuple[int, PreparedRow | None]]  # see PreparedRead._steady


# Engine -> its loop threads' connections (each thread sees its own), and how often the
# engine was disposed; an engine that is gone takes its connections with it.
_HELD: weakref.WeakKeyDictionary[Engine, _Held] = weakref.WeakKeyDictionary()
_DISPOSALS: weakref.WeakKeyDictionary[Engine, int] = weakref.WeakKeyDictionary()
_HELD_LOCK = threading.Lock()


def _held(engine: Engine) -> _Held | None:
    """This thread's own connection to ``engine`` (with what it keeps) when the thread runs an
    event loop, else ``None`` (the pool serves)."""
    if events._get_running_loop() is None:
        return None
    held = _HELD.get(engine)
    if held is None:
        with _HELD_LOCK:
            held = _HELD.get(engine)
            if held is None:
                held = _HELD[engine] = _Held()
                sa_event.listen(engine, "engine_disposed", _disposed)
    generation = _DISPOSALS.get(engine, 0)
    if held.connection is not None and held.generation == generation:
        return held
    if held.connection is not None:  # the engine was disposed since it was made
        _drop_held(held)
    pooled = engine.raw_connection()  # made by the pool, so configured as every connection
    connection = pooled.driver_connection  # read first: a detached fairy has no record
    pooled.detach()
    held.connection, held.generation, held.steady = connection, generation, {}
    return held


def _drop_held(held: _Held) -> None:
    connection, held.connection, held.steady = held.connection, None, {}
    with suppress(Exception):
        connection.close()


def _disposed(engine: Engine) -> None:
    # Only the thread that owns a connection may close it: each closes its own at its next read.
    with _HELD_LOCK:
        _DISPOSALS[engine] = _DISPOSALS.get(engine, 0) + 1


def _cheaper(column_type: TypeEngine[Any], dialect: Dialect, process: Processor) -> Processor:
    """``process``, or a processor that returns the same values for less on the columns every
    hot read carries: SQLite's datetimes (SQLAlchemy parses them with a regular expression,
    then :class:`UtcDateTime` adds the zone, 1.3 µs a column) and JSON columns holding an empty
    or null document (1.2 µs through ``json.loads``). Anything else still goes to ``process``;
    a small GET reads seven JSON columns and three datetimes."""
    if process is None or dialect.name != "sqlite":
        return process
    if isinstance(column_type, UtcDateTime):
        return partial(_sqlite_utc, process)
    if isinstance(column_type, JSON):
        return partial(_json_document, process)
    return process


def _sqlite_utc(process: Callable[[Any], Any], value: Any) -> Any:
    # SQLAlchemy stores naive UTC as "YYYY-MM-DD HH:MM:SS.ffffff", which fromisoformat reads.
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return process(value)
        if parsed.tzinfo is None:
            return parsed.replace(tzinfo=UTC)
    return process(value)


_JSON_LITERALS: dict[Any, Callable[[], Any]] = {"null": lambda: None, "{}": dict, "[]": list}


def _json_document(process: Callable[[Any], Any], value: Any) -> Any:
    # A fresh dict or list each time, as json.loads gives: callers may change what they get.
    make = _JSON_LITERALS.get(value) if isinstance(value, str) else None
    return make() if make is not None else process(value)


# Engine -> id of a statement -> the statement (kept, so its id stays its own) and its read.
_READS: weakref.WeakKeyDictionary[Engine, dict[int, tuple[Select[Any], PreparedRead]]] = (
    weakref.WeakKeyDictionary()
)


def prepared(engine: Engine, statement: Select[Any]) -> PreparedRead | None:
    """The prepared form of ``statement`` on ``engine`` when a read may take it now (a SQLite
    engine, outside a unit of work); ``None`` means: read the usual way. Meant for statements
    built once, at import: each is compiled once per engine and kept as long as the engine."""
    if engine.dialect.name != "sqlite" or transactions.in_unit(engine):
        return None
    reads = _READS.setdefault(engine, {})
    found = reads.get(id(statement))
    if found is None:
        found = reads[id(statement)] = (statement, PreparedRead(engine, statement))
    return found[1]


def first_row(engine: Engine, statement: Select[Any], parameters: Mapping[str, Any]) -> Any:
    """The first row of ``statement`` for ``parameters``, or ``None``: a prepared read where
    one may be taken now (see :func:`prepared`), else a read transaction of its own on
    ``engine`` (or the unit of work's)."""
    read = prepared(engine, statement)
    if read is not None:
        return read.first(parameters)
    with transactions.transaction(engine) as connection:
        return connection.execute(statement, dict(parameters)).first()


def steady_first_row(engine: Engine, statement: Select[Any], parameters: Mapping[str, Any]) -> Any:
    """As :func:`first_row`, for a row read on every request that seldom changes (the
    credential epoch): on an event-loop thread the row read last for the same ``parameters``
    is answered again while no connection has committed to the database since, which SQLite's
    ``PRAGMA data_version`` on the thread's own connection tells for a fifth of a read's cost.
    Any commit, by any process, of any table, means a new read. The row answered may be the
    one an earlier call got: read it, never change it. Keeps one row for each set of
    ``parameters`` a thread asks for, so meant for statements asked with a few of them."""
    read = prepared(engine, statement)
    if read is not None:
        return read.first(parameters, steady=True)
    with transactions.transaction(engine) as connection:
        return connection.execute(statement, dict(parameters)).first()
