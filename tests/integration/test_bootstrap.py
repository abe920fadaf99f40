"""What the first start of a server leaves behind."""

from __future__ import annotations

import json
import multiprocessing
import os
import stat
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from tests.services import catalog_database, fresh_database, mariadb_url, postgres_url

from weighthouse.blobs.content import ContentBlobStore
from weighthouse.blobs.memory import MemoryBlobDriver
from weighthouse.bootstrap import (
    Container,
    bootstrap,
    create_notice_sender,
    create_outbound_rules,
    create_rate_limiter,
    migrate_catalog,
    server_processes,
    start,
)
from weighthouse.config import ConfigError, DatabaseSettings, Settings
from weighthouse.config_sources import load_settings
from weighthouse.domain.credentials import BearerToken
from weighthouse.domain.model import RepoId, RepoType
from weighthouse.domain.tokens import IssuedToken
from weighthouse.security.ratelimit import MemoryRateLimiter, RedisRateLimiter
from weighthouse.security.sqlite_ratelimit import SqliteRateLimiter

pytestmark = pytest.mark.integration


def test_first_start_makes_an_admin_and_a_private_session_key_ring(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    container = bootstrap(settings)
    try:
        issued = start(container)
        assert issued is not None and issued.token.scope.value == "admin"
        assert start(container) is None  # only the first start creates the admin
    finally:
        container.close()
    ring = settings.session_key_file
    assert ring.is_file() and ring.parent == (tmp_path / "data" / "secrets").resolve()
    assert stat.S_IMODE(ring.stat().st_mode) == 0o600
    assert stat.S_IMODE(ring.parent.stat().st_mode) == 0o700


def test_the_site_chooses_whether_new_repos_are_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert load_settings(None, {"data_dir": tmp_path}).repos.default_private
    monkeypatch.setenv("WEIGHTHOUSE_REPOS__DEFAULT_PRIVATE", "false")
    settings = load_settings(None, {"data_dir": tmp_path / "data"})
    container = bootstrap(settings)
    try:
        issued = start(container)
        assert issued is not None
        admin = container.authenticator.authenticate(BearerToken(issued.secret))
        made = container.repos.create(admin, RepoId(RepoType.BUCKET, "admin", "scratch"))
        assert not made.private
    finally:
        container.close()


STARTERS = 4


def _start_at_once(data_dir: str, url: str, start_line: Any, results: Any) -> None:
    """One server process's start-up on a catalog that is already migrated."""
    settings = Settings(data_dir=Path(data_dir), database={"url": url})
    container = bootstrap(settings, migrate=False)
    try:
        start_line.wait(timeout=60)
        issued = start(container)
        results.put(None if issued is None else issued.secret)
    except BaseException as exc:
        results.put(repr(exc))
        raise
    finally:
        container.close()


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def catalog_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'data' / 'weighthouse.db'}"
        return
    server = postgres_url() if request.param == "postgresql" else mariadb_url()
    with fresh_database(server) as url:
        yield url


def test_servers_starting_at_once_make_one_admin_and_one_key_ring(
    tmp_path: Path, catalog_url: str
) -> None:
    # Several processes (the workers of one server, or servers on several hosts sharing one
    # catalog) run the first start's chores together: the catalog's unique names and the key
    # ring's file lock must leave one admin, one token and one key.
    data_dir = tmp_path / "data"
    settings = Settings(data_dir=data_dir, database={"url": catalog_url})
    migrate_catalog(settings)
    context = multiprocessing.get_context("spawn")
    start_line, results = context.Barrier(STARTERS), context.Queue()
    starters = [
        context.Process(
            target=_start_at_once, args=(str(data_dir), catalog_url, start_line, results)
        )
        for _ in range(STARTERS)
    ]
    for process in starters:
        process.start()
    try:
        outcomes = [results.get(timeout=120) for _ in starters]
    finally:
        for process in starters:
            process.join(timeout=30)
            if process.exitcode is None:
                process.kill()
                process.join()
    secrets = [o for o in outcomes if o is not None]
    assert len(secrets) == 1 and secrets[0].startswith("wh_"), outcomes
    assert all(process.exitcode == 0 for process in starters)
    container = bootstrap(settings, migrate=False)
    try:
        users = container.catalog.list_users()
        assert [(u.name, u.is_admin) for u in users] == [("admin", True)]
        tokens = container.catalog.list_tokens(users[0].id)
        assert [t.id for t in tokens] == [secrets[0].split("_")[1]]
    finally:
        container.close()
    ring = json.loads(settings.session_key_file.read_text())
    assert len(ring["keys"]) == 1


@pytest.mark.parametrize(
    ("workers", "redis", "kind"),
    [
        (1, None, MemoryRateLimiter),
        (2, None, SqliteRateLimiter),
        (2, "redis://127.0.0.1:6379/0", RedisRateLimiter),
    ],
)
def test_sign_in_limits_are_shared_whenever_several_processes_serve(
    tmp_path: Path, workers: int, redis: str | None, kind: type
) -> None:
    settings = Settings(
        data_dir=tmp_path, server={"workers": workers}, auth={"rate_limit_redis_url": redis}
    )
    limiter = create_rate_limiter(settings)
    assert isinstance(limiter, kind)
    if isinstance(limiter, SqliteRateLimiter):
        assert repr(limiter) == f"SqliteRateLimiter({(tmp_path / 'ratelimits.db').resolve()})"


def test_serve_runs_one_process_per_usable_core_by_default() -> None:
    assert server_processes(Settings()) == len(os.sched_getaffinity(0))
    assert server_processes(Settings(server={"workers": 3})) == 3


@pytest.mark.parametrize("backend", ["sqlite", "postgresql", "mariadb"])
def test_servers_starting_together_on_one_catalog_make_one_admin(
    tmp_path: Path, backend: str
) -> None:
    """Several server processes share a catalog; each runs ``start`` on its first start."""
    with catalog_database(backend, tmp_path / "db") as url:
        settings = Settings(data_dir=tmp_path / "data", database=DatabaseSettings(url=url))
        containers = [bootstrap(settings, migrate=index == 0) for index in range(4)]
        try:
            barrier = threading.Barrier(len(containers))

            def first_start(container: Container) -> IssuedToken | None:
                barrier.wait(timeout=30)
                return start(container)

            with ThreadPoolExecutor(len(containers)) as pool:
                issued = list(pool.map(first_start, containers))
            catalog = containers[0].catalog
            assert len([i for i in issued if i is not None]) == 1
            assert [u.name for u in catalog.list_users()] == ["admin"]
            assert len(catalog.list_events(action="user.create")) == 1
            assert len(catalog.list_tokens(catalog.get_user("admin").id)) == 1
        finally:
            for container in containers:
                container.close()


class RemoteDriver(MemoryBlobDriver):
    """Blobs as an object store's driver keeps them: a network away."""

    local_reads = False
    loop_writes = 0


@contextmanager
def container_of(
    tmp_path: Path, backend: str, driver: str, server: dict[str, bool]
) -> Iterator[Container]:
    """A container on ``backend``'s catalog and ``driver``'s blobs: ``local`` (small blobs in
    its SQLite file), ``local-files`` (every blob a file), ``memory`` or ``remote``."""
    blobs = ContentBlobStore(RemoteDriver()) if driver == "remote" else None
    with catalog_database(backend, tmp_path / "db") as url:
        settings = Settings(
            data_dir=tmp_path / "data",
            database=DatabaseSettings(url=url),
            blobs={
                "driver": "memory" if driver == "memory" else "local",
                "local": {"small_max": 0 if driver == "local-files" else 64 * 1024},
            },
            server=server,
        )
        container = bootstrap(settings, blobs=blobs)
        try:
            yield container
        finally:
            container.close()


@pytest.mark.parametrize(
    ("backend", "driver", "setting", "on_loop"),
    [
        ("sqlite", "local", True, True),
        ("sqlite", "memory", True, True),
        ("sqlite", "local", False, False),
        ("sqlite", "remote", True, False),
        ("postgresql", "local", True, False),
        ("mariadb", "local", True, False),
    ],
)
def test_reads_run_on_the_event_loop_only_where_nothing_waits_on_a_network(
    tmp_path: Path, backend: str, driver: str, setting: bool, on_loop: bool
) -> None:
    with container_of(tmp_path, backend, driver, {"loop_reads": setting}) as container:
        assert container.loop_reads is on_loop


@pytest.mark.parametrize(
    ("backend", "driver", "setting", "up_to"),
    [
        ("sqlite", "local", True, 64 * 1024),  # the small-blob file's limit
        ("sqlite", "local-files", True, 0),  # every blob a file: each commit fsyncs
        ("sqlite", "memory", True, sys.maxsize),
        ("sqlite", "local", False, 0),
        ("sqlite", "remote", True, 0),
        ("postgresql", "local", True, 0),
        ("mariadb", "local", True, 0),
    ],
)
def test_writes_run_on_the_event_loop_only_where_every_commit_can_be_awaited_there(
    tmp_path: Path, backend: str, driver: str, setting: bool, up_to: int
) -> None:
    with container_of(tmp_path, backend, driver, {"loop_writes": setting}) as container:
        assert container.loop_writes == up_to


def test_a_memory_catalog_leaves_no_database_and_forgets_on_restart(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", database={"url": "memory:"})
    first = bootstrap(settings)
    try:
        assert start(first) is not None
        assert first.catalog.count_users() == 1
    finally:
        first.close()
    assert not (tmp_path / "data" / "weighthouse.db").exists()
    second = bootstrap(settings)
    try:
        assert second.catalog.count_users() == 0  # nothing survived: a new admin is made
        assert start(second) is not None
    finally:
        second.close()


def test_a_callback_ca_file_that_holds_no_certificate_stops_the_start(tmp_path: Path) -> None:
    """Refused when the server starts, naming the setting, rather than on every https callback
    later."""
    rules = create_outbound_rules(Settings(data_dir=tmp_path))
    for ca_file, reason in ((tmp_path / "ca.pem", "No such file"), (tmp_path, "")):
        settings = Settings(data_dir=tmp_path, jobs={"notify_ca_file": ca_file})
        with pytest.raises(ConfigError, match=f"jobs.notify_ca_file {ca_file}: .*{reason}"):
            create_notice_sender(settings, rules)
    (tmp_path / "ca.pem").write_text("not a certificate\n")
    settings = Settings(data_dir=tmp_path, jobs={"notify_ca_file": tmp_path / "ca.pem"})
    with pytest.raises(ConfigError, match="no certificate"):
        create_notice_sender(settings, rules)
