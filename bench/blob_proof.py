"""How long proof before reuse takes: ``BlobProof.proven`` for 1,000 hashes at a time.

    .venv/bin/python bench/blob_proof.py                       # SQLite in a temporary folder
    .venv/bin/python bench/blob_proof.py --database-url postgresql://postgres@127.0.0.1/bench

The catalog gets a caller (alice) with a target repo of 1,000 files and 1,000 recent uploads,
and another user (bob) with ``--repos`` private and as many public repos of 50 files each; one
"popular" blob sits in every repo. Each scenario asks about 1,000 hashes (the popular one: one
hash) and reports the median of ``--rounds`` runs. A given database URL must name an empty
database; the script creates the tables and leaves them.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

from weighthouse.domain.access import Principal
from weighthouse.domain.blob_proof import BlobProof
from weighthouse.domain.model import (
    Commit,
    EntryKind,
    Repo,
    RepoType,
    Scope,
    TreeEntry,
    User,
)
from weighthouse.domain.ports import BlobStore
from weighthouse.domain.trees import make_tree
from weighthouse.metadata.catalog import SqlCatalog
from weighthouse.metadata.engine import create_engine_for
from weighthouse.metadata.migrate import upgrade

NOW = datetime.now(UTC)


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def add_repo(catalog: SqlCatalog, owner: User, name: str, private: bool, files: list[str]) -> Repo:
    repo = Repo(uuid.uuid4().hex, RepoType.MODEL, owner.name, name, private, NOW, owner.id)
    catalog.add_repo(repo)
    entries = tuple(
        TreeEntry(name=f"f{i:05}", kind=EntryKind.FILE, sha256=h, size=1)
        for i, h in enumerate(files)
    )
    tree = make_tree(entries)
    commit_id = hashlib.sha1(repo.id.encode(), usedforsecurity=False).hexdigest()
    commit = Commit(commit_id, tree.id, None, owner.name, "bench", NOW)
    catalog.save_commit(repo.id, commit, [tree], "main", None)
    return repo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--repos", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.db'}"
        upgrade(url)
        engine = create_engine_for(url)
        try:
            run(SqlCatalog(engine), args.repos, args.rounds, url.split(":")[0])
        finally:
            engine.dispose()


def run(catalog: SqlCatalog, repos: int, rounds: int, database: str) -> None:
    alice = User(uuid.uuid4().hex, "alice", False, NOW)
    bob = User(uuid.uuid4().hex, "bob", False, NOW)
    for user in (alice, bob):
        catalog.add_user(user)
    popular = sha("popular")
    held = [sha(f"held {i}") for i in range(1000)]
    target = add_repo(catalog, alice, "target", True, [*held, popular])
    uploaded = [sha(f"uploaded {i}") for i in range(1000)]
    for h in uploaded:
        catalog.record_blob_upload(alice.id, h, 1, NOW)
    hidden: list[str] = []
    for i in range(2 * repos):
        files = [sha(f"bob {i} {j}") for j in range(50)]
        if i < repos:
            hidden.extend(files)
        add_repo(catalog, bob, f"r{i}", i < repos, [*files, popular])
    proof = BlobProof(catalog, cast(BlobStore, None), lambda: NOW, timedelta(hours=6))
    caller = Principal(user=alice, scope=Scope.WRITE)
    scenarios = {
        "1000 uploaded by the caller": uploaded,
        "1000 in the target repo": held,
        "1000 unknown": [sha(f"unknown {i}") for i in range(1000)],
        "1000 only in others' private repos": hidden[:1000],
        f"1 in {2 * repos + 1} repos": [popular],
    }
    print(f"{database}: BlobProof.proven, median of {rounds} rounds")
    for label, hashes in scenarios.items():
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            found = proof.proven(caller, target, hashes)
            times.append(time.perf_counter() - started)
        median = statistics.median(times)
        per_hash = median / len(hashes) * 1e6
        print(f"  {label:40} {median * 1000:8.1f} ms  {per_hash:8.1f} us/hash  proven {len(found)}")


if __name__ == "__main__":
    main()
