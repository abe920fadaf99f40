"""Refs, commits and trees of the in-memory catalog."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from weighthouse.domain.errors import (
    CommitConflictError,
    RefExistsError,
    RepoNotFoundError,
    RevisionNotFoundError,
)
from weighthouse.domain.model import Commit, EntryKind, Ref, RefKind, Tree, TreeEntry
from weighthouse.domain.repos import DEFAULT_BRANCH
from weighthouse.metadata.memory.tables import MemoryTables, in_utc, utc, utf8


class MemoryHistory(MemoryTables):
    def get_ref(self, repo_id: str, kind: RefKind, name: str) -> Ref:
        with self._lock:
            ref = self._tables.refs.get((repo_id, name))
        if ref is None or ref.kind is not kind:
            raise RevisionNotFoundError(f"no {kind.value} {name!r}", revision=name)
        return ref

    def list_refs(self, repo_id: str) -> list[Ref]:
        with self._lock:
            refs = [ref for (repo, _), ref in self._tables.refs.items() if repo == repo_id]
        return sorted(refs, key=lambda ref: (ref.kind.value, utf8(ref.name)))

    def create_ref(self, repo_id: str, ref: Ref) -> None:
        with self._lock:
            self._require_repo(repo_id)
            if (repo_id, ref.name) in self._tables.refs:
                raise RefExistsError(f"a branch or tag {ref.name!r} exists", ref=ref.name)
            self._tables.refs[repo_id, ref.name] = in_utc(ref)

    def delete_ref(self, repo_id: str, kind: RefKind, name: str) -> None:
        with self._lock:
            self.get_ref(repo_id, kind, name)
            del self._tables.refs[repo_id, name]

    def record_deleted_tag(self, repo_id: str, name: str, commit_id: str, at: datetime) -> None:
        with self._lock:
            self._tables.deleted_tags.setdefault((repo_id, name, commit_id), utc(at))

    def deleted_tag_commits(self, repo_id: str, name: str) -> set[str]:
        with self._lock:
            return {c for (r, n, c) in self._tables.deleted_tags if (r, n) == (repo_id, name)}

    def get_commit(self, repo_id: str, commit_id: str) -> Commit:
        with self._lock:
            commit = self._tables.commits.get((repo_id, commit_id))
        if commit is None:
            raise RevisionNotFoundError(f"no commit {commit_id!r}", revision=commit_id)
        return commit

    def save_commit(
        self,
        repo_id: str,
        commit: Commit,
        trees: Sequence[Tree],
        branch: str,
        expected_head: str | None,
    ) -> None:
        """The compare-and-swap is checked before anything is written, under the lock, so a
        loser stores nothing."""
        with self._lock:
            tables = self._tables
            self._require_repo(repo_id)
            current = tables.refs.get((repo_id, branch))
            if expected_head is None:
                if current is not None:
                    raise CommitConflictError(
                        f"branch {branch!r} already exists", branch=branch, expected=None
                    )
                moved = Ref(RefKind.BRANCH, branch, commit.id, commit.created_at)
            else:
                if (
                    current is None
                    or current.kind is not RefKind.BRANCH
                    or current.commit_id != expected_head
                ):
                    raise CommitConflictError(
                        f"branch {branch!r} is no longer at {expected_head}",
                        branch=branch,
                        expected=expected_head,
                    )
                moved = replace(current, commit_id=commit.id)
            for tree in trees:
                # Content-addressed: a stored tree of this id holds the same entries.
                if (repo_id, tree.id) not in tables.trees:
                    tables.trees[repo_id, tree.id] = _sorted_entries(tree.entries)
            tables.commits.setdefault((repo_id, commit.id), in_utc(commit))
            tables.refs[repo_id, branch] = in_utc(moved)
            repo = replace(tables.repos[repo_id], updated_at=utc(commit.created_at))
            if branch == DEFAULT_BRANCH:
                repo = replace(repo, size=self._tree_size(repo_id, commit.tree_id))
            tables.repos[repo_id] = repo

    def get_tree(self, repo_id: str, tree_id: str) -> Tree:
        with self._lock:
            entries = self._tables.trees.get((repo_id, tree_id))
        if entries is None:
            raise RevisionNotFoundError(f"no tree {tree_id!r}", revision=tree_id)
        return Tree(id=tree_id, entries=entries)

    def get_entry(self, repo_id: str, tree_id: str, name: str) -> TreeEntry | None:
        with self._lock:
            entries = self._tables.trees.get((repo_id, tree_id), ())
        return next((entry for entry in entries if entry.name == name), None)

    def list_entries(
        self, repo_id: str, tree_id: str, after: str | None, limit: int
    ) -> list[TreeEntry]:
        with self._lock:
            entries = self._tables.trees.get((repo_id, tree_id), ())
        start = None if after is None else utf8(after)
        return [e for e in entries if start is None or utf8(e.name) > start][:limit]

    def _tree_size(self, repo_id: str, tree_id: str) -> int:
        """The bytes of the files beneath a stored tree (walked: this catalog is for tests)."""
        total = 0
        for entry in self._tables.trees.get((repo_id, tree_id), ()):
            if entry.kind is EntryKind.DIRECTORY and entry.tree_id is not None:
                total += self._tree_size(repo_id, entry.tree_id)
            elif entry.kind is EntryKind.FILE:
                total += entry.size
        return total

    def _require_repo(self, repo_id: str) -> None:
        """Rows of a repo need the repo, as the SQL tables' foreign keys demand."""
        if repo_id not in self._tables.repos:
            raise RepoNotFoundError(f"no repo with id {repo_id!r}", repo_id=repo_id)


def _sorted_entries(entries: Sequence[TreeEntry]) -> tuple[TreeEntry, ...]:
    """One entry per name (the first, as a primary key keeps it), in name byte order."""
    unique: dict[str, TreeEntry] = {}
    for entry in entries:
        unique.setdefault(entry.name, entry)
    return tuple(sorted(unique.values(), key=lambda entry: utf8(entry.name)))
