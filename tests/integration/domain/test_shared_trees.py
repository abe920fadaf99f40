"""In a repo of 100,000 files, a commit that changes one file writes rows in proportion to the
folders it changes, not to the size of the repo (measured on the real SQLite catalog)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from weighthouse.bootstrap import Container, bootstrap, start
from weighthouse.config import Settings
from weighthouse.domain.access import Principal
from weighthouse.domain.commits import AddFile, DeleteFile
from weighthouse.domain.model import RepoId, RepoType, Scope

pytestmark = pytest.mark.integration

FOLDERS = 100
FILES_PER_FOLDER = 1000
BATCH = 25  # folders per commit: a commit holds at most 25,000 operations


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Container]:
    container = bootstrap(Settings(data_dir=tmp_path / "data"))
    start(container)
    yield container
    container.close()


def rows(data_dir: Path, table: str) -> int:
    with sqlite3.connect(data_dir / "weighthouse.db") as db:
        return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_one_file_change_in_a_big_repo_writes_only_its_folders(hub: Container) -> None:
    admin = Principal(user=hub.catalog.get_user("admin"), scope=Scope.ADMIN)
    repo = RepoId(RepoType.MODEL, "admin", "big")
    hub.repos.create(admin, repo)
    blob = hub.commits.upload_blob(admin, repo, [b"x"])
    other = hub.commits.upload_blob(admin, repo, [b"y"])
    # Each folder differs by one name, or identical folders would share one tree.
    for first in range(0, FOLDERS, BATCH):
        ops = [
            AddFile(f"d{i:03}/f{j:03}-{i}.bin", blob.sha256, 1)
            for i in range(first, first + BATCH)
            for j in range(FILES_PER_FOLDER)
        ]
        hub.commits.commit(admin, repo, "main", ops, message=f"folders from {first}")
    data_dir = hub.settings.data_dir
    entries_before = rows(data_dir, "tree_entries")
    trees_before = rows(data_dir, "trees")
    assert entries_before >= FOLDERS * FILES_PER_FOLDER

    started = time.perf_counter()
    hub.commits.commit(
        admin, repo, "main", [AddFile("d007/f003-7.bin", other.sha256, 1)], message="one file"
    )
    elapsed = time.perf_counter() - started
    # The new root (FOLDERS entries) and the new d007 (FILES_PER_FOLDER entries), nothing else.
    assert rows(data_dir, "tree_entries") - entries_before == FOLDERS + FILES_PER_FOLDER
    assert rows(data_dir, "trees") - trees_before == 2
    print(f"one-file commit in a {FOLDERS * FILES_PER_FOLDER}-file repo: {elapsed * 1000:.0f} ms")

    hub.commits.commit(admin, repo, "main", [DeleteFile("d050")], message="drop a folder")
    assert rows(data_dir, "tree_entries") - entries_before == 2 * FOLDERS - 1 + FILES_PER_FOLDER
    _, found = hub.files.entry(admin, repo, "main", "d007/f003-7.bin")
    assert found.entry.sha256 == other.sha256
