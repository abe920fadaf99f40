"""What one commit changed: the files added, modified and deleted against its first parent.

Two trees are compared folder by folder; a folder whose tree id is the same on both sides is
skipped whole, so a commit that touches one file of a large repo reads only the folders on that
file's path.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass

from weighthouse.domain.access import Principal
from weighthouse.domain.model import Commit, EntryKind, Repo, RepoId, TreeEntry
from weighthouse.domain.paging import check_limit
from weighthouse.domain.repos import find_repo, require_versioned
from weighthouse.domain.revisions import VersionedCatalog, resolve


class ChangeKind(enum.StrEnum):
    ADDED = "added"
    MODIFIED = "modified"
    DELETED = "deleted"


@dataclass(frozen=True)
class Change:
    """One file a commit changed; ``size`` is the new size (the old one for a deletion)."""

    path: str
    kind: ChangeKind
    size: int


@dataclass(frozen=True)
class CommitChanges:
    commit: Commit
    changes: tuple[Change, ...]
    truncated: bool
    """More files changed than the ``limit`` asked for."""


class Changes:
    def __init__(self, catalog: VersionedCatalog) -> None:
        self._catalog = catalog

    def of_commit(
        self, principal: Principal, repo_id: RepoId, revision: str, *, limit: int = 1000
    ) -> CommitChanges:
        """The files the commit ``revision`` names changed, in path order, at most ``limit``.

        Raises the errors of :func:`~weighthouse.domain.repos.find_repo` (a private repo the
        caller may not see reads as missing) and of :func:`~weighthouse.domain.revisions.resolve`.
        """
        check_limit(limit)
        repo = find_repo(self._catalog, principal, repo_id)
        require_versioned(repo)
        commit = resolve(self._catalog, repo, revision).commit
        before = None
        if commit.parent_id is not None:
            before = self._catalog.get_commit(repo.id, commit.parent_id).tree_id
        found: list[Change] = []
        truncated = False
        for change in self._diff(repo, before, commit.tree_id, ""):
            if len(found) == limit:
                truncated = True
                break
            found.append(change)
        return CommitChanges(commit=commit, changes=tuple(found), truncated=truncated)

    def _entries(self, repo: Repo, tree_id: str | None) -> dict[str, TreeEntry]:
        if tree_id is None:
            return {}
        return {entry.name: entry for entry in self._catalog.get_tree(repo.id, tree_id).entries}

    def _diff(
        self, repo: Repo, old_tree: str | None, new_tree: str | None, prefix: str
    ) -> Iterator[Change]:
        if old_tree == new_tree:
            return
        old, new = self._entries(repo, old_tree), self._entries(repo, new_tree)
        for name in sorted(old.keys() | new.keys(), key=lambda n: n.encode("utf-8")):
            path = f"{prefix}{name}"
            was, now = old.get(name), new.get(name)
            was_dir = was is not None and was.kind is EntryKind.DIRECTORY
            now_dir = now is not None and now.kind is EntryKind.DIRECTORY
            if was_dir or now_dir:
                yield from self._diff(
                    repo,
                    was.tree_id if was_dir and was else None,
                    now.tree_id if now_dir and now else None,
                    path + "/",
                )
            if was is not None and not was_dir and (now is None or now_dir):
                yield Change(path, ChangeKind.DELETED, was.size)
            elif now is not None and not now_dir:
                if was is None or was_dir:
                    yield Change(path, ChangeKind.ADDED, now.size)
                elif (was.sha256, was.size) != (now.sha256, now.size):
                    yield Change(path, ChangeKind.MODIFIED, now.size)
