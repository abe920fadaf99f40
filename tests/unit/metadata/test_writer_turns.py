"""Writers of one SQLite catalog take turns: threads of a process, processes (forked ones too)
and the transactions of a real catalog engine."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from weighthouse.domain.errors import StorageError
from weighthouse.metadata.engine import create_engine_for
from weighthouse.metadata.transactions import transaction, unit
from weighthouse.metadata.writer_turns import WriterTurns, turns_of

pytestmark = pytest.mark.unit


def log(path: Path, line: str) -> None:
    with path.open("a") as file:
        file.write(line + "\n")


def test_threads_of_a_process_take_turns(tmp_path: Path) -> None:
    turns = WriterTurns(tmp_path / "catalog.sqlite3", wait=30)
    events = tmp_path / "events"
    holding = threading.Event()
    release = threading.Event()

    def first() -> None:
        with turns.turn():
            holding.set()
            release.wait(30)
            log(events, "first out")

    def second() -> None:
        holding.wait(30)
        with turns.turn():
            log(events, "second in")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    holding.wait(30)
    release.set()
    for thread in threads:
        thread.join(30)
    assert events.read_text().splitlines() == ["first out", "second in"]


def test_a_forked_process_waits_for_its_parents_turn(tmp_path: Path) -> None:
    """The parent used its turns before forking: the child must open the lock file again,
    or it would share the parent's lock and walk in."""
    turns = WriterTurns(tmp_path / "catalog.sqlite3", wait=30)
    events = tmp_path / "events"
    with turns.turn():
        pass
    ready_read, ready_write = os.pipe()
    with turns.turn():
        child = os.fork()
        if child == 0:  # pragma: no cover - the child's lines run in the child
            try:
                os.close(ready_read)
                os.write(ready_write, b"x")
                with turns.turn():
                    log(events, "child in")
            finally:
                os._exit(0)
        os.close(ready_write)
        assert os.read(ready_read, 1) == b"x"
        os.close(ready_read)
        # The child is about to ask for its turn, or asking already; it must not get it yet.
        threading.Event().wait(0.3)
        log(events, "parent out")
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert events.read_text().splitlines() == ["parent out", "child in"]


def test_a_thread_kept_waiting_past_the_limit_fails_as_a_busy_database(tmp_path: Path) -> None:
    turns = WriterTurns(tmp_path / "catalog.sqlite3", wait=0.05)
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with turns.turn():
            holding.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        holding.wait(30)
        with pytest.raises(StorageError, match="busy"), turns.turn():
            pass
    finally:
        release.set()
        holder.join(30)
    with turns.turn():  # and the turns go on once the holder is done
        pass


def test_a_sqlite_catalogs_write_transactions_take_turns(tmp_path: Path) -> None:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'catalog.sqlite3'}")
    try:
        turns = turns_of(engine)
        assert turns is not None
        assert turns.path == tmp_path / "catalog.sqlite3-writers"
        with transaction(engine, write=True) as connection:
            connection.execute(text("CREATE TABLE t (n INTEGER)"))
        events = tmp_path / "events"
        inside = threading.Event()
        release = threading.Event()

        def hold() -> None:
            with unit(engine), transaction(engine, write=True) as connection:
                connection.execute(text("INSERT INTO t VALUES (1)"))
                inside.set()
                release.wait(30)
                log(events, "unit out")

        def write() -> None:
            inside.wait(30)
            with transaction(engine, write=True) as connection:
                log(events, "writer in")
                connection.execute(text("INSERT INTO t VALUES (2)"))

        threads = [threading.Thread(target=hold), threading.Thread(target=write)]
        for thread in threads:
            thread.start()
        inside.wait(30)
        # A reader never waits for a turn.
        with transaction(engine) as connection:
            assert connection.execute(text("SELECT count(*) FROM t")).scalar() == 0
        release.set()
        for thread in threads:
            thread.join(30)
        assert events.read_text().splitlines() == ["unit out", "writer in"]
        with transaction(engine) as connection:
            assert connection.execute(text("SELECT count(*) FROM t")).scalar() == 2
    finally:
        engine.dispose()


def test_databases_that_need_no_turns_have_none() -> None:
    engine = create_engine_for("sqlite://")
    try:
        assert turns_of(engine) is None
    finally:
        engine.dispose()
