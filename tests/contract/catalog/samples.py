"""Domain objects for the catalog contract tests, with the fields that do not matter filled in."""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from weighthouse.domain.access_keys import new_key_id
from weighthouse.domain.model import (
    AccessKey,
    AuditEvent,
    BucketObject,
    Commit,
    EntryKind,
    Member,
    Organization,
    Repo,
    RepoType,
    Role,
    Scope,
    Session,
    Token,
    Tree,
    TreeEntry,
    User,
)

T = TypeVar("T")

NOW = datetime(2026, 11, 21, 12, 30, 15, 123456, tzinfo=UTC)


def new_id() -> str:
    return uuid.uuid4().hex


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def make_user(name: str = "alice", *, is_admin: bool = False) -> User:
    return User(id=new_id(), name=name, is_admin=is_admin, created_at=NOW)


def make_token(
    user: User,
    name: str = "laptop",
    *,
    restrict_to: tuple[str, ...] = (),
    **fields: datetime | None,
) -> Token:
    return Token(
        id=new_id(),
        user_id=user.id,
        name=name,
        scope=Scope.WRITE,
        secret_sha256=digest(f"secret for {name}"),
        created_at=NOW,
        restrict_to=restrict_to,
        **fields,
    )


def make_access_key(user: User, name: str = "job", **fields: object) -> AccessKey:
    values: dict[str, object] = {
        "id": new_key_id(),
        "user_id": user.id,
        "name": name,
        "scope": Scope.READ,
        "sealed_secret": f"v1.kid.nonce.{name}",
        "created_at": NOW,
        **fields,
    }
    return AccessKey(**values)  # type: ignore[arg-type]


def make_org(name: str = "acme", description: str = "") -> Organization:
    return Organization(id=new_id(), name=name, created_at=NOW, description=description)


def as_member(user: User, role: Role = Role.ADMIN, at: datetime = NOW) -> Member:
    return Member(user_id=user.id, user_name=user.name, role=role, created_at=at)


def make_session(user: User, hours: int = 12) -> Session:
    return Session(
        id=new_id(), user_id=user.id, created_at=NOW, expires_at=NOW + timedelta(hours=hours)
    )


def make_event(
    action: str = "user.signin",
    actor: str | None = "alice",
    *,
    target: str = "alice",
    success: bool = True,
    detail: dict[str, str] | None = None,
) -> AuditEvent:
    return AuditEvent(
        id=None,
        at=NOW,
        action=action,
        actor=actor,
        target=target,
        client="127.0.0.1",
        success=success,
        detail=detail or {},
    )


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


def run_together(count: int, task: Callable[[int], T]) -> list[T | BaseException]:
    """Run ``task(0..count-1)`` in threads released at the same instant; results or errors."""
    barrier = threading.Barrier(count)

    def attempt(index: int) -> T | BaseException:
        barrier.wait()
        try:
            return task(index)
        except Exception as exc:
            return exc

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(attempt, range(count)))
