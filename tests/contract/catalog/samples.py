"""Domain objects for the catalog contract tests, with the fields that do not matter filled in."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime

from weighthouse.domain.model import (
    BucketObject,
    Commit,
    EntryKind,
    Repo,
    RepoType,
    Tree,
    TreeEntry,
    User,
)

NOW = datetime(2026, 11, 21, 12, 30, 15, 123456, tzinfo=UTC)


def new_id() -> str:
    return uuid.uuid4().hex


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def make_user(name: str = "alice", *, is_admin: bool = False) -> User:
    return User(id=new_id(), name=name, is_admin=is_admin, created_at=NOW)


def make_repo(
    owner: User,
    namespace: str = "alice",
    name: str = "weights",
    *,
    type: RepoType = RepoType.MODEL,
    private: bool = False,
) -> Repo:
    return Repo(
        id=new_id(),
        type=type,
        namespace=namespace,
        name=name,
        private=private,
        created_at=NOW,
        owner_id=owner.id,
        description=f"{namespace}/{name}",
    )


def file_entry(name: str, content: str = "", size: int | None = None) -> TreeEntry:
    return TreeEntry(
        name=name,
        kind=EntryKind.FILE,
        sha256=digest(content or name),
        size=len(content) if size is None else size,
        git_sha1=hashlib.sha1(name.encode(), usedforsecurity=False).hexdigest(),
    )


def folder_entry(name: str, tree: Tree) -> TreeEntry:
    return TreeEntry(name=name, kind=EntryKind.DIRECTORY, tree_id=tree.id)


def make_tree(*entries: TreeEntry) -> Tree:
    """A tree whose id depends on its entries, as the domain's content addressing does."""
    ordered = tuple(sorted(entries, key=lambda e: e.name.encode()))
    text = "\0".join(f"{e.name} {e.kind} {e.tree_id} {e.sha256} {e.size}" for e in ordered)
    return Tree(id=hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest(), entries=ordered)


def make_commit(tree: Tree, parent_id: str | None = None, message: str = "") -> Commit:
    return Commit(
        id=hashlib.sha1(new_id().encode(), usedforsecurity=False).hexdigest(),
        tree_id=tree.id,
        parent_id=parent_id,
        author="alice",
        message=message or "update",
        created_at=NOW,
    )


def make_object(key: str, content: str = "", size: int | None = None) -> BucketObject:
    data = content or key
    return BucketObject(
        key=key,
        sha256=digest(data),
        size=len(data.encode()) if size is None else size,
        md5=hashlib.md5(data.encode(), usedforsecurity=False).hexdigest(),
        content_type="application/octet-stream",
        modified_at=NOW,
        metadata={"origin": "test"},
    )
