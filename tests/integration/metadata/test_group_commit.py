"""Group commit on a real SQLite file: concurrent jobs share commits, each caller gets its own
result only after the commit, a failing job fails alone, and a failing database fails them all
with nothing written."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, event, text
from sqlalchemy import exc as sa_exc
from tests.catalogs import open_sql_backend
from tests.contract.catalog.samples import make_object, make_repo, make_user

from weighthouse.domain.errors import PreconditionFailedError, StorageError
from weighthouse.domain.model import RepoType
from weighthouse.metadata import group_commit
from weighthouse.metadata.engine import create_engine_for
from weighthouse.metadata.group_commit import GroupCommit
from weighthouse.metadata.transactions import transaction

pytestmark = pytest.mark.integration

THREADS = 16


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'group.db'}")
    with transaction(engine, write=True) as connection:
        connection.execute(text("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)"))
    yield engine
    engine.dispose()


def rows(engine: Engine) -> dict[int, str]:
    with transaction(engine) as connection:
        return {row.k: row.v for row in connection.execute(text("SELECT k, v FROM t"))}


def insert(k: int, v: str = "x") -> Callable[[Connection], int]:
    def job(connection: Connection) -> int:
        connection.execute(text("INSERT INTO t (k, v) VALUES (:k, :v)"), {"k": k, "v": v})
        return k

    return job


def run_concurrently(
    group: GroupCommit, jobs: list[Callable[[Connection], Any]], *, fails_cleanly: bool = False
) -> list[Any]:
    """Run ``jobs`` from one thread each; the first holds its batch open for a moment, so the
    others arrive while it commits. Returns each job's result or raised exception."""
    outcomes: list[Any] = [None] * len(jobs)

    def hold(connection: Connection) -> Any:
        time.sleep(0.3)
        return jobs[0](connection)

    def call(i: int) -> None:
        try:
            outcomes[i] = group.run(hold if i == 0 else jobs[i], fails_cleanly=fails_cleanly)
        except Exception as exc:
            outcomes[i] = exc

    first = threading.Thread(target=call, args=(0,))
    first.start()
    time.sleep(0.1)  # the first batch is open and holds the write transaction
    others = [threading.Thread(target=call, args=(i,)) for i in range(1, len(jobs))]
    for thread in others:
        thread.start()
    for thread in [first, *others]:
        thread.join(timeout=30)
    return outcomes


def test_concurrent_jobs_share_commits_and_each_gets_its_own_result(engine: Engine) -> None:
    group = GroupCommit(engine)
    outcomes = run_concurrently(group, [insert(k, f"v{k}") for k in range(THREADS)])
    assert outcomes == list(range(THREADS))
    assert rows(engine) == {k: f"v{k}" for k in range(THREADS)}
    assert group.jobs == THREADS
    # The first batch, then everything that queued behind it: far fewer commits than jobs.
    assert group.commits <= 3


def test_past_the_cap_each_batch_hands_the_lead_to_a_job_it_left_waiting(engine: Engine) -> None:
    # The first batch holds job 0 alone; the fifteen queued behind it take four batches of at
    # most four, each led by the thread of its oldest job, and every thread gets its own result.
    group = GroupCommit(engine, max_batch=4)
    outcomes = run_concurrently(group, [insert(k, f"v{k}") for k in range(THREADS)])
    assert outcomes == list(range(THREADS))
    assert rows(engine) == {k: f"v{k}" for k in range(THREADS)}
    assert (group.commits, group.jobs) == (5, THREADS)


def test_a_failing_job_fails_alone_and_leaves_no_trace(engine: Engine) -> None:
    group = GroupCommit(engine)

    def half_then_refuse(connection: Connection) -> int:
        insert(100, "half")(connection)
        raise PreconditionFailedError("refused after writing")

    jobs = [insert(k) for k in range(THREADS)]
    jobs[5] = half_then_refuse
    jobs[6] = insert(3)  # the same key as another job: a constraint, this job's own failure
    outcomes = run_concurrently(group, jobs)
    assert isinstance(outcomes[5], PreconditionFailedError)
    assert isinstance(outcomes[6], sa_exc.IntegrityError)
    stored = rows(engine)
    assert 100 not in stored
    assert sorted(stored) == [k for k in range(THREADS) if k not in (5, 6)]
    assert [o for i, o in enumerate(outcomes) if i not in (5, 6)] == sorted(stored)


def test_fails_cleanly_jobs_fail_alone_without_savepoints(engine: Engine) -> None:
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    group = GroupCommit(engine)
    jobs = [insert(k) for k in range(THREADS)]
    jobs[6] = insert(3)  # a constraint: SQLite undoes the statement, the batch goes on

    def refuse(connection: Connection) -> int:
        raise PreconditionFailedError("refused before writing")

    jobs[7] = refuse
    outcomes = run_concurrently(group, jobs, fails_cleanly=True)
    assert isinstance(outcomes[6], sa_exc.IntegrityError)
    assert isinstance(outcomes[7], PreconditionFailedError)
    stored = rows(engine)
    assert sorted(stored) == [k for k in range(THREADS) if k not in (6, 7)]
    assert [o for i, o in enumerate(outcomes) if i not in (6, 7)] == sorted(stored)
    assert group.commits <= 3
    assert not [s for s in statements if "SAVEPOINT" in s.upper()]


def test_a_database_failure_fails_the_whole_batch_and_writes_nothing(engine: Engine) -> None:
    group = GroupCommit(engine)

    def broken(connection: Connection) -> None:
        connection.execute(text("SELECT * FROM no_such_table"))

    jobs = [insert(k) for k in range(THREADS)]
    jobs[0] = broken  # the job that holds the first batch: every other job follows later
    jobs[8] = broken
    outcomes = run_concurrently(group, jobs)
    assert isinstance(outcomes[0], StorageError)
    assert isinstance(outcomes[8], StorageError)
    failed = {i for i, o in enumerate(outcomes) if isinstance(o, StorageError)}
    stored = rows(engine)
    # Jobs that shared a batch with a broken one failed with it; the others were committed.
    assert failed | set(stored) == set(range(THREADS))
    assert not failed & set(stored)
    assert failed > {0, 8}


def test_a_batch_waits_for_another_writer_of_the_file(tmp_path: Path, engine: Engine) -> None:
    # Another process's writer (here another engine) holds SQLite's write lock for a while.
    blocker = create_engine_for(f"sqlite:///{tmp_path / 'group.db'}")
    held = threading.Event()

    def hold_lock() -> None:
        with transaction(blocker, write=True) as connection:
            connection.execute(text("INSERT INTO t (k, v) VALUES (-1, 'other')"))
            held.set()
            time.sleep(0.5)

    holder = threading.Thread(target=hold_lock)
    holder.start()
    held.wait(5)
    group = GroupCommit(engine)
    assert group.run(insert(1)) == 1
    holder.join()
    blocker.dispose()
    assert rows(engine) == {-1: "other", 1: "x"}


def test_only_sqlite_engines_get_a_group_and_each_engine_one(engine: Engine) -> None:
    assert group_commit.for_engine(engine) is group_commit.for_engine(engine)
    other = create_engine_for("postgresql+psycopg://nobody@127.0.0.1:1/none")
    try:
        assert group_commit.for_engine(other) is None
    finally:
        other.dispose()


def test_racing_creators_of_one_key_in_shared_batches_have_one_winner(tmp_path: Path) -> None:
    with open_sql_backend("sqlite", tmp_path) as backend:
        catalog = backend.empty()
        owner = make_user()
        catalog.add_user(owner)
        repo = make_repo(owner, type=RepoType.BUCKET)
        catalog.add_repo(repo)
        group = group_commit.for_engine(backend.engine)
        assert group is not None
        before = group.commits
        outcomes: list[str] = []
        barrier = threading.Barrier(THREADS)

        def create(i: int) -> None:
            barrier.wait()
            try:
                catalog.put_object(repo.id, make_object("k", f"body{i}"), if_none_match=True)
                outcomes.append(f"won{i}")
            except PreconditionFailedError:
                outcomes.append("refused")

        threads = [threading.Thread(target=create, args=(i,)) for i in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        winners = [o for o in outcomes if o != "refused"]
        assert len(outcomes) == THREADS and len(winners) == 1
        stored = catalog.get_object(repo.id, "k")
        assert stored == make_object("k", f"body{winners[0].removeprefix('won')}")
        assert group.commits - before <= THREADS
