"""The UnitOfWork half of the Catalog contract: ``atomic()``, ``run_atomic()`` and
``after_commit()``.

A unit commits every call of its block together or none of them, nests by joining, keeps its
changes from other threads until it commits, and survives a call that fails inside it; what is
to happen after it commits happens only then, and only for an attempt that committed.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import pytest
from tests.contract.catalog.samples import make_event, make_object, make_repo, make_token, make_user

from weighthouse.domain.errors import (
    PreconditionFailedError,
    RepoExistsError,
    StorageError,
    UserNotFoundError,
)
from weighthouse.domain.model import User
from weighthouse.domain.ports import Catalog

pytestmark = pytest.mark.contract

T = TypeVar("T")


class BoomError(Exception):
    """Raised by a test to abort a unit."""


def in_other_thread(call: Callable[[], T], *, inherit_context: bool = False) -> T:
    """Run ``call`` in a fresh thread (optionally with a copy of this context) and return its
    result or raise its error."""
    run: Callable[[], T] = call
    if inherit_context:
        context = contextvars.copy_context()

        def run() -> T:
            return context.run(call)

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result(timeout=60)


def user_exists(catalog: Catalog, name: str) -> bool:
    try:
        catalog.get_user(name)
    except UserNotFoundError:
        return False
    return True


# --- atomic() ---------------------------------------------------------------------------------
def test_a_unit_commits_all_its_calls_when_the_block_ends(catalog: Catalog) -> None:
    alice = make_user("alice")
    repo = make_repo(alice)
    with catalog.atomic():
        catalog.add_user(alice)
        catalog.add_repo(repo)
        catalog.record_event(make_event("repo.create", target="alice/weights"))
    assert catalog.get_repo(repo.type, "alice", "weights") == repo
    assert [e.action for e in catalog.list_events()] == ["repo.create"]


def test_a_unit_that_raises_stores_none_of_its_calls(catalog: Catalog) -> None:
    alice = make_user("alice")
    with pytest.raises(BoomError), catalog.atomic():
        catalog.add_user(alice)
        catalog.add_repo(make_repo(alice))
        catalog.record_event(make_event("repo.create"))
        raise BoomError
    assert not user_exists(catalog, "alice")
    assert catalog.list_events() == []
    assert catalog.count_users() == 0


def test_a_unit_reads_its_own_writes(catalog: Catalog) -> None:
    with catalog.atomic():
        catalog.add_user(make_user("alice"))
        assert catalog.get_user("alice").name == "alice"
        assert catalog.count_users() == 1


def test_nested_units_join_the_outer_one(catalog: Catalog) -> None:
    alice = make_user("alice")
    with pytest.raises(BoomError), catalog.atomic():
        catalog.add_user(alice)
        with catalog.atomic():
            catalog.add_repo(make_repo(alice))
        # The inner block ended normally, yet nothing is committed before the outer one ends.
        assert not in_other_thread(lambda: user_exists(catalog, "alice"))
        raise BoomError
    assert not user_exists(catalog, "alice")


def test_an_error_in_a_nested_unit_rolls_back_the_outer_one(catalog: Catalog) -> None:
    with pytest.raises(BoomError), catalog.atomic():
        catalog.add_user(make_user("alice"))
        with catalog.atomic():
            catalog.add_user(make_user("bob"))
            raise BoomError
    assert catalog.count_users() == 0


def test_other_threads_see_a_unit_only_after_it_commits(catalog: Catalog) -> None:
    with catalog.atomic():
        catalog.add_user(make_user("alice"))
        assert not in_other_thread(lambda: user_exists(catalog, "alice"))
    assert in_other_thread(lambda: user_exists(catalog, "alice"))


def test_a_thread_that_inherits_the_context_does_not_join_the_unit(catalog: Catalog) -> None:
    """A connection serves one thread: a copied context must not carry the unit across."""
    with catalog.atomic():
        catalog.add_user(make_user("alice"))
        seen = in_other_thread(lambda: user_exists(catalog, "alice"), inherit_context=True)
        assert not seen
    assert user_exists(catalog, "alice")


def test_a_call_that_fails_inside_a_unit_changes_nothing_and_the_unit_goes_on(
    catalog: Catalog,
) -> None:
    alice = make_user("alice")
    repo = make_repo(alice)
    with catalog.atomic():
        catalog.add_user(alice)
        catalog.add_repo(repo)
        with pytest.raises(RepoExistsError):
            catalog.add_repo(make_repo(alice))  # same name, new id
        catalog.put_object(repo.id, make_object("k", "first"))
        with pytest.raises(PreconditionFailedError):
            catalog.put_object(repo.id, make_object("k", "second"), if_none_match=True)
        catalog.add_token(make_token(alice))
    assert catalog.get_repo(repo.type, "alice", "weights").id == repo.id
    assert catalog.get_object(repo.id, "k") == make_object("k", "first")
    assert len(catalog.list_tokens(alice.id)) == 1


def test_a_unit_that_does_nothing_is_fine(catalog: Catalog) -> None:
    with catalog.atomic():
        pass
    with pytest.raises(BoomError), catalog.atomic():
        raise BoomError


# --- run_atomic() -----------------------------------------------------------------------------
def test_run_atomic_returns_the_result_of_a_committed_unit(catalog: Catalog) -> None:
    alice = make_user("alice")

    def work() -> str:
        catalog.add_user(alice)
        catalog.record_event(make_event("user.create"))
        return alice.id

    assert catalog.run_atomic(work) == alice.id
    assert catalog.get_user("alice") == alice and len(catalog.list_events()) == 1


def test_run_atomic_rolls_back_and_does_not_retry_other_errors(catalog: Catalog) -> None:
    calls = []

    def work() -> None:
        calls.append(1)
        catalog.add_user(make_user("alice"))
        raise BoomError

    with pytest.raises(BoomError):
        catalog.run_atomic(work)
    assert calls == [1]
    assert not user_exists(catalog, "alice")


def test_run_atomic_inside_a_unit_joins_it(catalog: Catalog) -> None:
    with pytest.raises(BoomError), catalog.atomic():
        catalog.run_atomic(lambda: catalog.add_user(make_user("alice")))
        raise BoomError
    assert not user_exists(catalog, "alice")


def crossing_units(
    catalog: Catalog, first: User, second: User, unit_of: str, committed: list[str] | None = None
) -> list[object]:
    """Two threads each disable both users, in opposite orders, each waiting for the other
    after its first write: on a database with row locks the units deadlock and the database
    aborts one. ``unit_of`` picks ``atomic`` (no retry) or ``run_atomic``. Returns what each
    thread ended with (``None`` or its error) and, last, how many times the work ran. Each run
    registers an action after its commit that appends its thread's first user to
    ``committed``."""
    barrier = threading.Barrier(2)
    runs = []

    def work(order: tuple[User, User]) -> None:
        runs.append(1)
        if committed is not None:
            catalog.after_commit(lambda: committed.append(order[0].name))
        catalog.set_user_disabled(order[0].id, True)
        if len(runs) <= 2:  # only the first attempts meet; a retried unit goes straight on
            # On SQLite the other unit waits for the write lock, not for a row: no meeting.
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(timeout=3)
        catalog.set_user_disabled(order[1].id, True)

    def thread(order: tuple[User, User]) -> object:
        try:
            if unit_of == "run_atomic":
                catalog.run_atomic(lambda: work(order))
            else:
                with catalog.atomic():
                    work(order)
        except StorageError as exc:
            return exc
        return None

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(thread, [(first, second), (second, first)]))
    return [*results, len(runs)]


def test_run_atomic_runs_a_unit_again_after_a_deadlock(catalog: Catalog, backend: str) -> None:
    first, second = make_user("alice"), make_user("bob")
    catalog.add_user(first)
    catalog.add_user(second)
    committed: list[str] = []
    *results, runs = crossing_units(catalog, first, second, "run_atomic", committed)
    assert results == [None, None]
    assert catalog.get_user("alice").disabled and catalog.get_user("bob").disabled
    if backend in ("postgresql", "mariadb"):
        assert isinstance(runs, int) and runs >= 3, "the deadlocked unit was not run again"
    # Only the attempts that committed ran their actions, once each.
    assert sorted(committed) == ["alice", "bob"]


def test_atomic_does_not_retry_inside_a_unit(catalog: Catalog, backend: str) -> None:
    """A call inside a unit is not retried on its own: the deadlock reaches the caller of
    ``atomic()`` as ``StorageError``, and the aborted unit stored nothing."""
    if backend not in ("postgresql", "mariadb"):
        pytest.skip("only databases with row locks deadlock")
    first, second = make_user("alice"), make_user("bob")
    catalog.add_user(first)
    catalog.add_user(second)
    committed: list[str] = []
    *results, runs = crossing_units(catalog, first, second, "atomic", committed)
    assert runs == 2
    assert sorted(type(r).__name__ for r in results) == ["NoneType", "StorageError"]
    assert len(committed) == 1, "the aborted unit's action ran"


# --- after_commit() ---------------------------------------------------------------------------
def test_an_action_outside_a_unit_runs_at_once(catalog: Catalog) -> None:
    ran: list[str] = []
    catalog.after_commit(lambda: ran.append("now"))
    assert ran == ["now"]


def test_an_action_runs_after_the_outermost_commit_and_sees_what_it_committed(
    catalog: Catalog,
) -> None:
    """Another thread (another connection) already finds the unit's writes when the action
    runs: what a worker told by the action would do."""
    seen: list[tuple[str, bool]] = []

    def action(name: str) -> Callable[[], None]:
        return lambda: seen.append((name, in_other_thread(lambda: user_exists(catalog, "alice"))))

    with catalog.atomic():
        catalog.add_user(make_user("alice"))
        catalog.after_commit(action("first"))
        with catalog.atomic():
            catalog.after_commit(action("inner"))
        assert seen == []
        catalog.after_commit(action("last"))
        assert seen == []
    assert seen == [("first", True), ("inner", True), ("last", True)]


def test_an_action_of_a_unit_that_rolls_back_never_runs(catalog: Catalog) -> None:
    ran: list[str] = []
    with pytest.raises(BoomError), catalog.atomic():
        catalog.add_user(make_user("alice"))
        catalog.after_commit(lambda: ran.append("rolled back"))
        raise BoomError
    with catalog.atomic():
        catalog.after_commit(lambda: ran.append("next unit"))
    assert ran == ["next unit"]


def test_an_action_that_raises_leaves_the_commit_and_the_other_actions(catalog: Catalog) -> None:
    ran: list[str] = []

    def fails() -> None:
        raise BoomError

    with catalog.atomic():
        catalog.add_user(make_user("alice"))
        catalog.after_commit(fails)
        catalog.after_commit(lambda: ran.append("second"))
    assert ran == ["second"]
    assert user_exists(catalog, "alice")
    catalog.after_commit(fails)  # outside a unit too: logged, not raised
