"""What the SQL catalog promises beyond the port, on every database: what is stored in which
column, how many statements the hot paths take, and that an unreachable database is a
``StorageError``. The port's own contract is in ``tests/contract/catalog``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import event, func, inspect, select
from tests.catalogs import SqlBackend, open_sql_backend
from tests.contract.catalog.samples import (
    NOW,
    as_member,
    digest,
    file_entry,
    folder_entry,
    make_commit,
    make_event,
    make_org,
    make_repo,
    make_token,
    make_tree,
    make_user,
    new_id,
)
from tests.contract.catalog.test_blob_sources_contract import commit_files

from weighthouse.domain.errors import StorageError
from weighthouse.domain.model import Role
from weighthouse.domain.ports import BlobSourceQuery
from weighthouse.metadata.catalog import SqlCatalog
from weighthouse.metadata.engine import create_engine_for
from weighthouse.metadata.tables import tokens, tree_entries

pytestmark = pytest.mark.integration

SQL_BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql"),
    pytest.param("mariadb", id="mariadb"),
]


@pytest.fixture(scope="module", params=SQL_BACKENDS)
def sql_backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SqlBackend]:
    name = str(request.param)
    with open_sql_backend(name, tmp_path_factory.mktemp(name)) as backend:
        yield backend


@pytest.fixture
def catalog(sql_backend: SqlBackend) -> SqlCatalog:
    return sql_backend.empty()


def test_only_the_sha256_of_a_token_secret_is_stored(
    catalog: SqlCatalog, sql_backend: SqlBackend
) -> None:
    user = make_user()
    catalog.add_user(user)
    token = make_token(user)
    catalog.add_token(token)
    columns = {c["name"] for c in inspect(sql_backend.engine).get_columns("tokens")}
    assert {c for c in columns if "secret" in c} == {"secret_sha256"}
    with sql_backend.engine.connect() as connection:
        stored = connection.scalar(select(tokens.c.secret_sha256))
    assert stored == token.secret_sha256
    assert len(stored) == 64
    assert set(stored) <= set("0123456789abcdef")


def test_stored_trees_are_stored_once(catalog: SqlCatalog, sql_backend: SqlBackend) -> None:
    user = make_user()
    catalog.add_user(user)
    repo = make_repo(user)
    catalog.add_repo(repo)
    inner = make_tree(file_entry("model.safetensors", "weights"))
    root = make_tree(file_entry("README.md", "hello"), folder_entry("models", inner))
    first = make_commit(root)
    catalog.save_commit(repo.id, first, [root, inner], "main", None)
    catalog.save_commit(repo.id, make_commit(root, first.id), [root, inner, root], "main", first.id)
    catalog.save_commit(repo.id, make_commit(root), [root, inner], "copy", None)
    with sql_backend.engine.connect() as connection:
        stored = connection.scalar(select(func.count()).select_from(tree_entries))
    assert stored == len(root.entries) + len(inner.entries)


def test_member_role_is_one_statement(catalog: SqlCatalog, sql_backend: SqlBackend) -> None:
    user = make_user()
    catalog.add_user(user)
    catalog.add_org(make_org("acme"), as_member(user))
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if not statement.lstrip().upper().startswith("BEGIN"):
            statements.append(statement)

    event.listen(sql_backend.engine, "before_cursor_execute", record)
    try:
        assert catalog.member_role("acme", user.id) is Role.ADMIN
    finally:
        event.remove(sql_backend.engine, "before_cursor_execute", record)
    assert len(statements) == 1, statements


def unreachable_url(backend: str, tmp_path: Path) -> str:
    """A URL of the backend's kind where nothing answers: a closed port, or a missing folder."""
    return {
        "sqlite": f"sqlite:///{tmp_path / 'missing' / 'catalog.sqlite'}",
        "postgresql": "postgresql://postgres@127.0.0.1:1/test",
        "mariadb": "mariadb://root@127.0.0.1:1/test",
    }[backend]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql", "mariadb"])
def test_an_unreachable_database_raises_storage_error(backend: str, tmp_path: Path) -> None:
    engine = create_engine_for(unreachable_url(backend, tmp_path))
    catalog = SqlCatalog(engine)
    try:
        calls: list[Callable[[], object]] = [
            catalog.check_ready,
            lambda: catalog.get_user("alice"),
            lambda: catalog.add_user(make_user()),
            lambda: catalog.list_objects(new_id(), "", None, 10),
            lambda: list(catalog.referenced_blobs()),
            lambda: catalog.member_role("acme", new_id()),
            lambda: catalog.record_event(make_event()),
        ]
        for call in calls:
            with pytest.raises(StorageError):
                call()
    finally:
        engine.dispose()


def test_many_hashes_are_answered_in_one_transaction(
    catalog: SqlCatalog, sql_backend: SqlBackend
) -> None:
    """More hashes than one IN list takes, uploaded and held ones mixed, in one transaction."""
    user = make_user()
    catalog.add_user(user)
    repo = make_repo(user)
    catalog.add_repo(repo)
    commit_files(catalog, repo, *(f"held {i}" for i in range(600)))
    uploaded = [digest(f"uploaded {i}") for i in range(600)]
    for sha in uploaded:
        catalog.record_blob_upload(user.id, sha, 1, NOW)
    held = [digest(f"held {i}") for i in range(600)]
    unknown = [digest(f"unknown {i}") for i in range(600)]
    began: list[object] = []

    def count(connection: object) -> None:
        began.append(connection)

    event.listen(sql_backend.engine, "begin", count)
    try:
        found = catalog.find_blob_sources(
            [*uploaded, *held, *unknown], BlobSourceQuery(user.id, NOW)
        )
    finally:
        event.remove(sql_backend.engine, "begin", count)
    assert len(began) == 1
    assert found.uploaded == frozenset(uploaded)
    assert set(found.holders) == set(held)
    assert all(holders == (repo,) for holders in found.holders.values())
