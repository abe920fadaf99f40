"""Maintenance commands on a PostgreSQL-backed deployment, run as an operator would: real
PostgreSQL, a live server that stored real blobs, and ``python -m weighthouse`` processes.

With the database settings missing or wrong, ``gc --grace 0 --delete`` and ``fsck`` delete
nothing, create nothing, and say why in one line. A catalog and a store of two deployments are
refused, a fresh deployment starts, one from before deployment ids is adopted, and
``admin recover-token`` gives a token the live server accepts.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect

from tests.acceptance.live import LiveServer, free_port
from tests.services import fresh_database, postgres_url
from weighthouse.blobs.marker import MARKER_KEY
from weighthouse.blobs.small import FILE_NAME as SMALL_FILE
from weighthouse.client import WeighthouseClient
from weighthouse.metadata.deployment import SqlDeploymentCatalog
from weighthouse.metadata.engine import create_engine_for
from weighthouse.metadata.migrate import alembic_config, current

pytestmark = [pytest.mark.acceptance, pytest.mark.integration]

FILES = {"config.json": b'{"layers": 2}', "model.safetensors": os.urandom(300_000)}


@dataclass
class Deployment:
    """A PostgreSQL-backed server with files in a repo and one uncommitted (orphan) blob."""

    server: LiveServer
    database_url: str
    config_file: Path
    orphan_sha256: str

    @property
    def blob_root(self) -> Path:
        return self.server.data_dir / "blobs"


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The command line with none of the test runner's WEIGHTHOUSE_* settings, plus ``env``."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("WEIGHTHOUSE_")}
    return subprocess.run(
        [sys.executable, "-m", "weighthouse", *args],
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def refused(result: subprocess.CompletedProcess[str], *needles: str) -> str:
    """The one error line of a refused command, after checking it names every needle."""
    assert result.returncode == 1, result
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def snapshot(root: Path) -> dict[str, tuple[int, str]]:
    """Every committed blob of a local store, size and SHA-256: its files (not temporaries)
    and the rows of its small-blob database, read as rows, since SQLite may rewrite its files
    (the shared-memory index, a checkpoint) whenever it is opened, without changing a row."""
    stored = {
        str(path.relative_to(root)): (
            path.stat().st_size,
            hashlib.sha256(path.read_bytes()).hexdigest(),
        )
        for path in sorted(root.rglob("*"))
        if path.is_file()
        and path.relative_to(root).parts[0] != "tmp"
        and not path.name.startswith(SMALL_FILE)
    }
    database = root / SMALL_FILE
    if database.exists():
        with contextlib.closing(sqlite3.connect(database)) as rows:
            for key, data in rows.execute("SELECT key, data FROM blobs"):
                stored[f"{SMALL_FILE}:{key}"] = (len(data), hashlib.sha256(data).hexdigest())
    return stored


def write_config(path: Path, data_dir: Path, database_url: str) -> Path:
    path.write_text(f'data_dir = "{data_dir}"\n\n[database]\nurl = "{database_url}"\n')
    return path


def deployment_ids(database_url: str, blob_root: Path) -> tuple[str | None, str | None]:
    engine = create_engine_for(database_url)
    try:
        record = SqlDeploymentCatalog(engine).deployment()
    finally:
        engine.dispose()
    marker = blob_root / MARKER_KEY
    stored = marker.read_text() if marker.exists() else None
    catalog_id = record.id if record else None
    if stored is not None and catalog_id is not None:
        assert catalog_id in stored
        return catalog_id, catalog_id
    return catalog_id, stored


def start_on(data_dir: Path, database_url: str) -> LiveServer:
    return LiveServer(
        data_dir=data_dir, extra_env={"WEIGHTHOUSE_DATABASE__URL": database_url}
    ).start()


def fill(server: LiveServer) -> str:
    """Commit ``FILES`` to a repo and upload one blob no commit refers to; its SHA-256."""
    with WeighthouseClient(server.url, server.admin_token) as admin:
        admin.create_repo("weights", namespace="admin", private=False)  # read anonymously below
        for path, content in FILES.items():
            admin.upload_file("admin/weights", path, content)
        return admin.upload_blob("admin/weights", b"never committed", size=15).sha256


@pytest.fixture(scope="module")
def postgres() -> str:
    return postgres_url()


@pytest.fixture(scope="module")
def deployment(postgres: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    root = tmp_path_factory.mktemp("pg-deployment")
    with fresh_database(postgres) as url:
        server = start_on(root / "data", url)
        try:
            orphan = fill(server)
            config = write_config(root / "weighthouse.toml", server.data_dir, url)
            yield Deployment(server, url, config, orphan)
        finally:
            server.stop()


@pytest.fixture
def other_database(postgres: str) -> Iterator[str]:
    with fresh_database(postgres) as url:
        yield url


def test_gc_and_fsck_without_the_database_settings_delete_nothing_and_say_why(
    deployment: Deployment,
) -> None:
    before = snapshot(deployment.blob_root)
    assert len(before) == len(FILES) + 2  # the files, the orphan and the deployment marker
    data_dir = str(deployment.server.data_dir)

    for args in (
        ("gc", "--grace", "0", "--delete"),
        ("gc", "--grace", "0", "--delete", "--force"),  # --force never skips this check
        ("fsck",),
    ):
        line = refused(cli(*args, "--data-dir", data_dir), "is empty", str(deployment.blob_root))
        assert "wrong catalog" in line and "WEIGHTHOUSE_CONFIG" in line

    assert snapshot(deployment.blob_root) == before
    assert not (deployment.server.data_dir / "weighthouse.db").exists()  # no catalog was made


def test_gc_and_fsck_on_the_wrong_database_delete_nothing_and_say_why(
    deployment: Deployment, other_database: str, tmp_path: Path
) -> None:
    before = snapshot(deployment.blob_root)
    data_dir = ["--data-dir", str(deployment.server.data_dir)]
    wrong = {"WEIGHTHOUSE_DATABASE__URL": other_database}

    # An empty database: refused, and left without a schema.
    refused(cli("gc", "--grace", "0", "--delete", *data_dir, env=wrong), "is empty")
    refused(cli("fsck", *data_dir, env=wrong), "is empty")
    engine = create_engine_for(other_database)
    try:
        assert inspect(engine).get_table_names() == []
    finally:
        engine.dispose()

    # The catalog of another deployment: two different ids.
    elsewhere = tmp_path / "elsewhere"
    made = cli("db", "upgrade", "--data-dir", str(elsewhere), env=wrong)
    assert made.returncode == 0, made.stderr
    other_id = made.stdout.split()[-1]
    ours, _ = deployment_ids(deployment.database_url, deployment.blob_root)
    for args in (("gc", "--grace", "0", "--delete"), ("fsck",)):
        refused(
            cli(*args, *data_dir, env=wrong), f"is deployment {other_id}", f"is deployment {ours}"
        )

    # A database that does not exist.
    missing = other_database.rsplit("/", 1)[0] + "/weighthouse_test_does_not_exist"
    gone = cli(
        "gc", "--grace", "0", "--delete", *data_dir, env={"WEIGHTHOUSE_DATABASE__URL": missing}
    )
    assert gone.returncode == 1 and "Traceback" not in gone.stderr
    assert "does not exist" in gone.stderr

    assert snapshot(deployment.blob_root) == before


def test_with_the_servers_settings_gc_deletes_only_the_orphan(deployment: Deployment) -> None:
    config = ["--config", str(deployment.config_file)]
    report = cli("gc", "--grace", "0", *config)
    assert report.returncode == 0 and "would remove 1 blobs" in report.stdout, report.stderr
    fsck = cli("fsck", env={"WEIGHTHOUSE_CONFIG": str(deployment.config_file)})
    assert fsck.returncode == 0 and "clean" in fsck.stdout and "1 unreferenced" in fsck.stdout

    orphan = deployment.orphan_sha256
    assert any(key.endswith(orphan) for key in snapshot(deployment.blob_root))
    removed = cli("gc", "--grace", "0", "--delete", *config)
    assert removed.returncode == 0 and "removed 1 blobs" in removed.stdout, removed.stderr
    assert not any(key.endswith(orphan) for key in snapshot(deployment.blob_root))
    with WeighthouseClient(deployment.server.url) as anonymous:
        for path, content in FILES.items():
            url = f"/api/models/admin/weights/resolve/main/{path}"
            assert anonymous.request("GET", url).content == content


def test_serve_refuses_the_store_of_another_deployment(
    deployment: Deployment, other_database: str, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    other = {"WEIGHTHOUSE_DATABASE__URL": other_database}
    assert cli("db", "upgrade", "--data-dir", str(elsewhere), env=other).returncode == 0
    ours, _ = deployment_ids(deployment.database_url, deployment.blob_root)
    before = snapshot(elsewhere / "blobs")

    serving = cli(
        "serve",
        "--port",
        str(free_port()),
        "--data-dir",
        str(elsewhere),
        env={
            "WEIGHTHOUSE_DATABASE__URL": deployment.database_url,
            "WEIGHTHOUSE_GRPC__PORT": str(free_port()),
        },
    )
    refused(serving, f"is deployment {ours}", str(elsewhere / "blobs"))
    refused(
        cli(
            "db",
            "upgrade",
            "--data-dir",
            str(elsewhere),
            env={"WEIGHTHOUSE_DATABASE__URL": deployment.database_url},
        ),
        f"is deployment {ours}",
    )
    assert snapshot(elsewhere / "blobs") == before


def test_a_fresh_deployment_starts_and_keeps_one_id(other_database: str, tmp_path: Path) -> None:
    server = start_on(tmp_path / "data", other_database)
    try:
        fill(server)
        catalog_id, store_id = deployment_ids(other_database, server.data_dir / "blobs")
        assert catalog_id is not None and catalog_id == store_id
        server.stop()
        server.start()  # a restart finds the same pair
        assert deployment_ids(other_database, server.data_dir / "blobs") == (catalog_id, catalog_id)
    finally:
        server.stop()


@pytest.mark.parametrize("adopter", ["serve", "db upgrade"])
def test_a_deployment_from_before_ids_is_adopted(
    adopter: str, other_database: str, tmp_path: Path
) -> None:
    server = start_on(tmp_path / "data", other_database)
    try:
        fill(server)
    finally:
        server.stop()
    # Back to the schema and the store of the release before deployment ids.
    engine = create_engine_for(other_database)
    try:
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), "0002")
    finally:
        engine.dispose()
    (server.data_dir / "blobs" / MARKER_KEY).unlink()
    assert current(other_database) == "0002"
    before = snapshot(server.data_dir / "blobs")
    settings = {"WEIGHTHOUSE_DATABASE__URL": other_database}
    data_dir = ["--data-dir", str(server.data_dir)]

    refused(cli("fsck", *data_dir, env=settings), "has schema 0002", "db upgrade")
    refused(cli("gc", "--grace", "0", "--delete", *data_dir, env=settings), "db upgrade")
    assert snapshot(server.data_dir / "blobs") == before

    if adopter == "db upgrade":
        upgraded = cli("db", "upgrade", *data_dir, env=settings)
        assert upgraded.returncode == 0, upgraded.stderr
    server.start()
    try:
        catalog_id, store_id = deployment_ids(other_database, server.data_dir / "blobs")
        assert catalog_id is not None and catalog_id == store_id
        with WeighthouseClient(server.url) as anonymous:
            for path, content in FILES.items():
                url = f"/api/models/admin/weights/resolve/main/{path}"
                assert anonymous.request("GET", url).content == content
    finally:
        server.stop()
    fsck = cli("fsck", *data_dir, env=settings)
    assert fsck.returncode == 0 and "clean" in fsck.stdout, fsck.stdout + fsck.stderr
    assert "would remove 1 blobs" in cli("gc", "--grace", "0", *data_dir, env=settings).stdout


def test_recover_token_gives_an_admin_token_the_live_server_accepts(
    deployment: Deployment,
) -> None:
    config = ["--config", str(deployment.config_file)]
    recovered = cli("admin", "recover-token", *config)
    assert recovered.returncode == 0, recovered.stderr
    token = recovered.stdout.strip()
    assert token.startswith("wh_") and token not in recovered.stderr
    assert "shown only this once" in recovered.stderr

    with WeighthouseClient(deployment.server.url, token) as recovered_admin:
        me = recovered_admin.whoami()
        assert me.user is not None and me.user.name == "admin" and me.scope == "admin"
        recovered_admin.create_user("plain-user")
        events = recovered_admin.audit(action="token.recover")
    assert events and events[0].target == "admin" and events[0].detail["scope"] == "admin"
    assert events[0].detail["token"] in token and "recover-token" in (events[0].client or "")

    refused(cli("admin", "recover-token", "plain-user", *config), "not a site admin")
    refused(cli("admin", "recover-token", "nobody", *config), "no user 'nobody'")
    # Without the server's settings, there is no deployment to recover a token from.
    refused(
        cli("admin", "recover-token", "--data-dir", str(deployment.server.data_dir)), "is empty"
    )
