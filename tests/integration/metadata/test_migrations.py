"""The migrations build exactly the schema ``tables.py`` declares, on every database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import insert, inspect, text
from tests.services import fresh_database, mariadb_url, postgres_url

from weighthouse.domain.errors import UserExistsError
from weighthouse.domain.model import (
    AuditEvent,
    Commit,
    EntryKind,
    Member,
    Organization,
    Repo,
    RepoType,
    Role,
    Tree,
    TreeEntry,
    User,
)
from weighthouse.metadata.catalog import SqlCatalog
from weighthouse.metadata.engine import create_engine_for
from weighthouse.metadata.migrate import alembic_config, current, upgrade
from weighthouse.metadata.rows import repo_row
from weighthouse.metadata.tables import (
    Base,
    bucket_configurations,
    commits,
    multipart_uploads,
    objects,
    refs,
    repos,
    tokens,
    tree_entries,
    trees,
    users,
)

pytestmark = pytest.mark.integration

HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a database with no tables."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'catalog.sqlite'}"
        return
    server = postgres_url() if request.param == "postgresql" else mariadb_url()
    with fresh_database(server) as url:
        yield url


def schema_differences(url: str) -> list[Any]:
    engine = create_engine_for(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def test_there_is_one_head() -> None:
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert heads == [HEAD]


def test_upgrading_an_empty_database_builds_the_declared_schema(empty_database: str) -> None:
    assert current(empty_database) is None
    upgrade(empty_database)
    assert current(empty_database) == HEAD
    assert schema_differences(empty_database) == []


def test_upgrading_again_changes_nothing(empty_database: str) -> None:
    upgrade(empty_database)
    engine = create_engine_for(empty_database)
    try:
        user = User(id="0" * 32, name="alice", is_admin=True, created_at=datetime.now(UTC))
        SqlCatalog(engine).add_user(user)
        upgrade(empty_database)
        assert SqlCatalog(engine).get_user("alice") == user
    finally:
        engine.dispose()
    assert current(empty_database) == HEAD
    assert schema_differences(empty_database) == []


def test_upgrading_from_0001_keeps_users_and_tokens_and_reserves_their_names(
    empty_database: str,
) -> None:
    upgrade(empty_database, "0001")
    now = datetime.now(UTC)
    alice = User(id="a" * 32, name="alice", is_admin=True, created_at=now)
    engine = create_engine_for(empty_database)
    try:
        with engine.begin() as connection:  # rows as revision 0001 stored them
            connection.execute(
                insert(users).values(
                    id=alice.id, name="alice", is_admin=True, disabled=False, created_at=now
                )
            )
            connection.execute(
                insert(tokens).values(
                    id="t" * 32,
                    user_id=alice.id,
                    name="laptop",
                    scope="write",
                    secret_sha256="0" * 64,
                    created_at=now,
                )
            )
        upgrade(empty_database)
        catalog = SqlCatalog(engine)
        assert catalog.get_user("alice") == alice
        assert catalog.get_token("t" * 32).restrict_to == ()
        founder = Member(alice.id, alice.name, Role.ADMIN, now)
        with pytest.raises(UserExistsError):
            catalog.add_org(Organization(id="o" * 32, name="alice", created_at=now), founder)
        with pytest.raises(UserExistsError):
            catalog.add_user(User(id="b" * 32, name="alice", is_admin=False, created_at=now))
    finally:
        engine.dispose()
    assert schema_differences(empty_database) == []


def add_repo_before_0013(engine: Any, repo: Repo) -> None:
    """Store ``repo`` as revisions before 0013 did, without ``gated``."""
    row = {k: v for k, v in repo_row(repo).items() if k not in ("gated", *LATER_REPO_COLUMNS)}
    with engine.begin() as connection:
        connection.execute(insert(repos).values(row))


LATER_REPO_COLUMNS = ("size", "updated_at")  # from 0018


def add_repo_before_0018(engine: Any, repo: Repo) -> None:
    """Store ``repo`` as revisions before 0018 did, without its size and update time."""
    row = {k: v for k, v in repo_row(repo).items() if k not in LATER_REPO_COLUMNS}
    with engine.begin() as connection:
        connection.execute(insert(repos).values(row))


def test_objects_stored_before_0008_read_with_no_content_headers_or_checksums(
    empty_database: str,
) -> None:
    upgrade(empty_database, "0007")
    now = datetime.now(UTC)
    alice = User(id="a" * 32, name="alice", is_admin=False, created_at=now)
    bucket = Repo(
        id="r" * 32,
        type=RepoType.BUCKET,
        namespace="alice",
        name="data",
        private=True,
        created_at=now,
        owner_id=alice.id,
    )
    engine = create_engine_for(empty_database)
    try:
        catalog = SqlCatalog(engine)
        catalog.add_user(alice)
        add_repo_before_0013(engine, bucket)
        row = {
            "repo_id": bucket.id,
            "key": "k",
            "sha256": "0" * 64,
            "size": 1,
            "md5": "0" * 32,
            "content_type": "text/plain",
            "metadata": {"a": "b"},
            "modified_at": now,
        }
        with engine.begin() as connection:  # a row as revision 0007 stored it
            connection.execute(insert(objects).values(row))
        upgrade(empty_database)
        obj = SqlCatalog(engine).get_object(bucket.id, "k")
        assert (obj.metadata, obj.content_headers, obj.checksums) == ({"a": "b"}, {}, {})
    finally:
        engine.dispose()


def test_uploads_open_before_0011_read_with_no_content_headers_and_downgrade_drops_them(
    empty_database: str,
) -> None:
    upgrade(empty_database, "0010")
    now = datetime.now(UTC)
    alice = User(id="a" * 32, name="alice", is_admin=False, created_at=now)
    bucket = Repo(
        id="r" * 32,
        type=RepoType.BUCKET,
        namespace="alice",
        name="data",
        private=True,
        created_at=now,
        owner_id=alice.id,
    )
    engine = create_engine_for(empty_database)
    try:
        catalog = SqlCatalog(engine)
        catalog.add_user(alice)
        add_repo_before_0013(engine, bucket)
        row = {
            "id": "u" * 48,
            "repo_id": bucket.id,
            "key": b"k",
            "initiator_id": alice.id,
            "created_at": now,
            "content_type": "text/plain",
            "metadata": {"a": "b"},
            "checksum_algorithm": "crc32",
            "checksum_type": "COMPOSITE",
        }
        with engine.begin() as connection:  # an upload as revision 0010 stored it
            connection.execute(insert(multipart_uploads).values(row))
        upgrade(empty_database)
        upload = SqlCatalog(engine).get_upload("u" * 48)
        assert (upload.metadata, upload.content_headers) == ({"a": "b"}, {})
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), "0010")
        columns = {c["name"] for c in inspect(engine).get_columns("multipart_uploads")}
        assert "content_headers" not in columns and "metadata" in columns
    finally:
        engine.dispose()


def test_the_comparison_notices_a_schema_that_drifted(empty_database: str) -> None:
    upgrade(empty_database)
    engine = create_engine_for(empty_database)
    try:
        with engine.begin() as connection:
            drop = "DROP INDEX ix_objects_sha256_repo_id" + _on_table(empty_database)
            connection.execute(text(drop))
    finally:
        engine.dispose()
    differences = schema_differences(empty_database)
    assert [d[0] for d in differences] == ["add_index"]


def test_downgrading_0004_restores_the_sha256_indexes(empty_database: str) -> None:
    upgrade(empty_database)
    engine = create_engine_for(empty_database)
    try:
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), "0003")
        inspector = inspect(engine)
        assert "blob_uploads" not in inspector.get_table_names()
        assert "access_keys" in inspector.get_table_names()  # 0003 is left alone
        for table in ("tree_entries", "objects"):
            indexes = {i["name"]: i["column_names"] for i in inspector.get_indexes(table)}
            assert indexes.get(f"ix_{table}_sha256") == ["sha256"], indexes
            assert f"ix_{table}_sha256_repo_id" not in indexes
    finally:
        engine.dispose()
    upgrade(empty_database)
    assert schema_differences(empty_database) == []


def test_downgrading_to_base_removes_every_table(empty_database: str) -> None:
    upgrade(empty_database)
    engine = create_engine_for(empty_database)
    try:
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), "base")
        assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    finally:
        engine.dispose()
    upgrade(empty_database)
    assert schema_differences(empty_database) == []


def _on_table(url: str) -> str:
    # MariaDB names the table an index belongs to; the others know it from the name alone.
    return " ON objects" if url.startswith("mysql") else ""


def test_upgrading_reports_names_that_differ_only_in_case_and_then_refuses_new_ones(
    empty_database: str, caplog: pytest.LogCaptureFixture
) -> None:
    upgrade(empty_database, "0006")
    now = datetime.now(UTC)
    engine = create_engine_for(empty_database)
    try:
        with engine.begin() as connection:  # clashes stored before the rule
            for i, name in enumerate(["Alice", "alice", "ALICE", "bob"]):
                connection.execute(
                    insert(users).values(
                        id=f"{i}" * 32, name=name, is_admin=False, disabled=False, created_at=now
                    )
                )
                connection.execute(
                    text("INSERT INTO namespaces (name, kind) VALUES (:name, 'user')"),
                    {"name": name.encode()},
                )
        with caplog.at_level("WARNING", logger="weighthouse.migrations"):
            upgrade(empty_database)
        reported = [r.getMessage() for r in caplog.records if r.name == "weighthouse.migrations"]
        assert len(reported) == 1 and "ALICE, Alice, alice" in reported[0]
        catalog = SqlCatalog(engine)
        assert {catalog.get_user(n).name for n in ("Alice", "alice", "ALICE")} == {
            "Alice",
            "alice",
            "ALICE",
        }
        for impostor in ("aLiCe", "Bob", "BOB"):
            with pytest.raises(UserExistsError):
                catalog.add_user(User(id="n" * 32, name=impostor, is_admin=False, created_at=now))
        founder = Member("0" * 32, "Alice", Role.ADMIN, now)
        with pytest.raises(UserExistsError):
            catalog.add_org(Organization(id="o" * 32, name="alicE", created_at=now), founder)
    finally:
        engine.dispose()
    assert schema_differences(empty_database) == []


def test_tags_deleted_before_0014_stay_guarded(empty_database: str) -> None:
    upgrade(empty_database, "0013")
    now = datetime.now(UTC)
    alice = User(id="a" * 32, name="alice", is_admin=False, created_at=now)
    model = Repo(
        id="m" * 32,
        type=RepoType.MODEL,
        namespace="alice",
        name="bert",
        private=False,
        created_at=now,
        owner_id=alice.id,
    )
    engine = create_engine_for(empty_database)
    try:
        catalog = SqlCatalog(engine)
        catalog.add_user(alice)
        add_repo_before_0018(engine, model)

        def deleted(detail: dict[str, str]) -> None:
            catalog.record_event(
                AuditEvent(None, now, "tag.delete", "alice", "model:alice/bert", None, True, detail)
            )

        deleted({"tag": "v1", "commit": "1" * 40, "repo_id": model.id})
        deleted({"tag": "v1", "commit": "1" * 40, "repo_id": model.id})  # deleted twice
        deleted({"tag": "v1", "commit": "2" * 40, "repo_id": model.id})
        deleted({"tag": "v2", "commit": "3" * 40, "repo_id": "gone" * 8})  # repo since deleted
        deleted({"tag": "v3"})  # not an event this revision reads
        upgrade(empty_database)
        after = SqlCatalog(engine)
        assert after.deleted_tag_commits(model.id, "v1") == {"1" * 40, "2" * 40}
        assert after.deleted_tag_commits(model.id, "v3") == set()
        assert after.deleted_tag_commits("gone" * 8, "v2") == set()
    finally:
        engine.dispose()


def test_repos_made_before_0018_get_their_size_and_last_update(empty_database: str) -> None:
    """Sizes come from main's head through nested, shared trees (not from other branches);
    a bucket's from its objects; the last update from the newest commit or object."""
    upgrade(empty_database, "0017")
    now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    alice = User(id="a" * 32, name="alice", is_admin=False, created_at=now)

    def repo(letter: str, type: RepoType, name: str) -> Repo:
        return Repo(letter * 32, type, "alice", name, False, now, alice.id)

    model, bucket, empty = (
        repo("m", RepoType.MODEL, "bert"),
        repo("b", RepoType.BUCKET, "data"),
        repo("e", RepoType.BUCKET, "empty"),
    )
    engine = create_engine_for(empty_database)
    try:
        SqlCatalog(engine).add_user(alice)
        for each in (model, bucket, empty):
            add_repo_before_0018(engine, each)

        def entry(tree: str, name: str, size: int = 0, child: str | None = None) -> dict[str, Any]:
            kind = "file" if child is None else "directory"
            sha256 = None if child else name[0] * 64
            return {
                "repo_id": model.id,
                "tree_id": tree,
                "name": name,
                "kind": kind,
                "child_tree_id": child,
                "sha256": sha256,
                "size": size,
                "git_sha1": None,
            }

        t = {name: name[0] * 64 for name in ("leaf", "mid", "root", "other")}
        rows = [
            entry(t["leaf"], "w.bin", 100),
            entry(t["leaf"], "x.bin", 20),
            entry(t["mid"], "leaf", child=t["leaf"]),
            entry(t["mid"], "y.txt", 3),
            entry(t["root"], "mid", child=t["mid"]),
            entry(t["root"], "again", child=t["leaf"]),
            entry(t["root"], "README.md", 4),
            entry(t["other"], "z.bin", 5000),
        ]
        later = now + timedelta(hours=2)
        with engine.begin() as connection:
            for tree_id in t.values():
                connection.execute(insert(trees).values(repo_id=model.id, tree_id=tree_id))
            connection.execute(insert(tree_entries), rows)
            for commit_id, tree_id, at in (
                ("1" * 40, t["root"], now),
                ("2" * 40, t["other"], later),
            ):
                connection.execute(
                    insert(commits).values(
                        repo_id=model.id,
                        id=commit_id,
                        tree_id=tree_id,
                        parent_id=None,
                        author="alice",
                        message="m",
                        created_at=at,
                    )
                )
            for name, commit_id in (("main", "1" * 40), ("dev", "2" * 40)):
                connection.execute(
                    insert(refs).values(
                        repo_id=model.id,
                        name=name,
                        kind="branch",
                        commit_id=commit_id,
                        created_at=now,
                    )
                )
            for key, size in (("a", 7), ("b", 8)):
                connection.execute(
                    insert(objects).values(
                        repo_id=bucket.id,
                        key=key,
                        sha256="0" * 64,
                        size=size,
                        md5="0" * 32,
                        content_type="x/y",
                        metadata={},
                        modified_at=now + timedelta(minutes=size),
                    )
                )
        upgrade(empty_database)
        catalog = SqlCatalog(engine)
        got = {
            r.name: (r.size, r.updated_at)
            for r in (catalog.get_repo(x.type, x.namespace, x.name) for x in (model, bucket, empty))
        }
        assert got == {
            "bert": (100 + 20 + 3 + 100 + 20 + 4, later),
            "data": (15, now + timedelta(minutes=8)),
            "empty": (0, now),
        }
        # The trees' sizes are stored: a commit on main that reuses one counts it.
        root = Tree(id="9" * 64, entries=(TreeEntry("mid", EntryKind.DIRECTORY, tree_id=t["mid"]),))
        commit = Commit("3" * 40, root.id, "1" * 40, "alice", "m", later)
        catalog.save_commit(model.id, commit, [root], "main", "1" * 40)
        assert catalog.get_repo(model.type, "alice", "bert").size == 123
    finally:
        engine.dispose()


def test_buckets_configured_before_0028_start_at_revision_one(empty_database: str) -> None:
    """A bucket left at revision 0 with a configuration would have its policy skipped."""
    upgrade(empty_database, "0027")
    now = datetime(2026, 12, 5, tzinfo=UTC)
    alice = User(id="a" * 32, name="alice", is_admin=False, created_at=now)
    configured, plain = (
        Repo(letter * 32, RepoType.BUCKET, "alice", name, False, now, alice.id)
        for letter, name in (("c", "configured"), ("p", "plain"))
    )
    engine = create_engine_for(empty_database)
    try:
        SqlCatalog(engine).add_user(alice)
        for each in (configured, plain):
            row = {k: v for k, v in repo_row(each).items() if k != "configuration_revision"}
            with engine.begin() as connection:
                connection.execute(insert(repos).values(row))
        with engine.begin() as connection:
            connection.execute(
                insert(bucket_configurations).values(
                    repo_id=configured.id, name="policy", document={"text": "{}"}
                )
            )
        upgrade(empty_database)
        catalog = SqlCatalog(engine)
        got = catalog.get_repo(RepoType.BUCKET, "alice", "configured")
        assert got.configuration_revision == 1
        assert catalog.get_repo(RepoType.BUCKET, "alice", "plain").configuration_revision == 0
        document = catalog.get_bucket_configuration(got.id, "policy", revision=1)
        assert document == {"text": "{}"}
    finally:
        engine.dispose()
