"""Refs, commits and trees: the versioned half of the catalog, mixed into ``SqlCatalog``."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Connection, Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from weighthouse.domain.errors import CommitConflictError, RefExistsError, RevisionNotFoundError
from weighthouse.domain.model import Commit, EntryKind, Ref, RefKind, Tree, TreeEntry
from weighthouse.domain.repos import DEFAULT_BRANCH
from weighthouse.metadata.rows import (
    commit_from,
    commit_row,
    entry_from,
    entry_row,
    ref_from,
    ref_row,
)
from weighthouse.metadata.tables import commits, deleted_tags, refs, repos, tree_entries, trees
from weighthouse.metadata.transactions import retry_transient, transaction
from weighthouse.metadata.upserts import insert_missing

T = TypeVar("T")

# Bound parameters per IN list; well under SQLite's limit of 32766.
IN_BATCH = 500


class HistoryQueries:
    _engine: Engine

    def get_ref(self, repo_id: str, kind: RefKind, name: str) -> Ref:
        query = select(refs).where(
            refs.c.repo_id == repo_id, refs.c.kind == kind.value, refs.c.name == name
        )
        with transaction(self._engine) as connection:
            row = connection.execute(query).first()
        if row is None:
            raise RevisionNotFoundError(f"no {kind.value} {name!r}", revision=name)
        return ref_from(row)

    def list_refs(self, repo_id: str) -> list[Ref]:
        """Branches first, then tags, each in name byte order."""
        query = select(refs).where(refs.c.repo_id == repo_id).order_by(refs.c.kind, refs.c.name)
        with transaction(self._engine) as connection:
            rows = connection.execute(query).all()
        return [ref_from(row) for row in rows]

    @retry_transient
    def create_ref(self, repo_id: str, ref: Ref) -> None:
        try:
            with transaction(self._engine, write=True) as connection:
                connection.execute(insert(refs).values(ref_row(repo_id, ref)))
        except IntegrityError as exc:
            raise RefExistsError(f"a branch or tag {ref.name!r} exists", ref=ref.name) from exc

    @retry_transient
    def delete_ref(self, repo_id: str, kind: RefKind, name: str) -> None:
        with transaction(self._engine, write=True) as connection:
            deleted = connection.execute(
                delete(refs).where(
                    refs.c.repo_id == repo_id, refs.c.kind == kind.value, refs.c.name == name
                )
            ).rowcount
        if deleted == 0:
            raise RevisionNotFoundError(f"no {kind.value} {name!r}", revision=name)

    @retry_transient
    def record_deleted_tag(self, repo_id: str, name: str, commit_id: str, at: datetime) -> None:
        row = {"repo_id": repo_id, "name": name, "commit_id": commit_id, "deleted_at": at}
        with transaction(self._engine, write=True) as connection:
            insert_missing(connection, deleted_tags, [row])

    def deleted_tag_commits(self, repo_id: str, name: str) -> set[str]:
        query = select(deleted_tags.c.commit_id).where(
            deleted_tags.c.repo_id == repo_id, deleted_tags.c.name == name
        )
        with transaction(self._engine) as connection:
            return set(connection.scalars(query))

    def get_commit(self, repo_id: str, commit_id: str) -> Commit:
        query = select(commits).where(commits.c.repo_id == repo_id, commits.c.id == commit_id)
        with transaction(self._engine) as connection:
            row = connection.execute(query).first()
        if row is None:
            raise RevisionNotFoundError(f"no commit {commit_id!r}", revision=commit_id)
        return commit_from(row)

    @retry_transient
    def save_commit(
        self,
        repo_id: str,
        commit: Commit,
        trees: Sequence[Tree],
        branch: str,
        expected_head: str | None,
    ) -> None:
        """Move the branch first: its row lock then queues concurrent commits to the branch,
        and those that lose the compare-and-swap roll back before writing any tree. The repo's
        update time, and its size for a commit to ``main``, change in the same transaction."""
        with transaction(self._engine, write=True) as connection:
            _move_branch(connection, repo_id, commit, branch, expected_head)
            sizes = _store_trees(connection, repo_id, trees)
            insert_missing(connection, commits, [commit_row(repo_id, commit)])
            changes: dict[str, object] = {"updated_at": commit.created_at}
            if branch == DEFAULT_BRANCH:
                changes["size"] = _tree_sizes(connection, repo_id, [commit.tree_id], sizes).get(
                    commit.tree_id, 0
                )
            connection.execute(update(repos).where(repos.c.id == repo_id).values(changes))

    def get_tree(self, repo_id: str, tree_id: str) -> Tree:
        stored = select(trees.c.tree_id).where(
            trees.c.repo_id == repo_id, trees.c.tree_id == tree_id
        )
        query = (
            select(tree_entries)
            .where(tree_entries.c.repo_id == repo_id, tree_entries.c.tree_id == tree_id)
            .order_by(tree_entries.c.name)
        )
        with transaction(self._engine) as connection:
            if connection.scalar(stored) is None:
                raise RevisionNotFoundError(f"no tree {tree_id!r}", revision=tree_id)
            rows = connection.execute(query).all()
        return Tree(id=tree_id, entries=tuple(entry_from(row) for row in rows))

    def get_entry(self, repo_id: str, tree_id: str, name: str) -> TreeEntry | None:
        query = select(tree_entries).where(
            tree_entries.c.repo_id == repo_id,
            tree_entries.c.tree_id == tree_id,
            tree_entries.c.name == name,
        )
        with transaction(self._engine) as connection:
            row = connection.execute(query).first()
        return None if row is None else entry_from(row)

    def list_entries(
        self, repo_id: str, tree_id: str, after: str | None, limit: int
    ) -> list[TreeEntry]:
        query = select(tree_entries).where(
            tree_entries.c.repo_id == repo_id, tree_entries.c.tree_id == tree_id
        )
        if after is not None:
            query = query.where(tree_entries.c.name > after)
        query = query.order_by(tree_entries.c.name).limit(limit)
        with transaction(self._engine) as connection:
            rows = connection.execute(query).all()
        return [entry_from(row) for row in rows]


def _move_branch(
    connection: Connection, repo_id: str, commit: Commit, branch: str, expected_head: str | None
) -> None:
    """Compare-and-swap the branch head, or create the branch when ``expected_head`` is None.

    Raises ``CommitConflictError`` when another writer got there first.
    """
    if expected_head is None:
        row = ref_row(repo_id, Ref(RefKind.BRANCH, branch, commit.id, commit.created_at))
        try:
            connection.execute(insert(refs).values(row))
        except IntegrityError as exc:
            raise CommitConflictError(
                f"branch {branch!r} already exists", branch=branch, expected=None
            ) from exc
        return
    moved = connection.execute(
        update(refs)
        .where(
            refs.c.repo_id == repo_id,
            refs.c.name == branch,
            refs.c.kind == RefKind.BRANCH.value,
            refs.c.commit_id == expected_head,
        )
        .values(commit_id=commit.id)
    ).rowcount
    # The new head always differs from the old, so matched and changed rows agree even where
    # a driver counts changed rows.
    if moved != 1:
        raise CommitConflictError(
            f"branch {branch!r} is no longer at {expected_head}",
            branch=branch,
            expected=expected_head,
        )


def _store_trees(connection: Connection, repo_id: str, new_trees: Sequence[Tree]) -> dict[str, int]:
    """Insert the trees not stored yet, with their entries and sizes; returns the size of
    every tree given and of every stored subtree they name. Trees are content-addressed, so a
    tree stored concurrently by another commit is identical and is skipped."""
    wanted = {tree.id: tree for tree in new_trees}
    sizes = _tree_sizes(connection, repo_id, list(wanted), {})
    missing = [tree for tree_id, tree in wanted.items() if tree_id not in sizes]
    subtrees = {
        entry.tree_id
        for tree in missing
        for entry in tree.entries
        if entry.kind is EntryKind.DIRECTORY and entry.tree_id is not None
    }
    sizes = _tree_sizes(connection, repo_id, list(subtrees - wanted.keys()), sizes)
    for tree in missing:
        _size_of(tree.id, wanted, sizes)
    insert_missing(
        connection,
        trees,
        [{"repo_id": repo_id, "tree_id": t.id, "size": sizes[t.id]} for t in missing],
    )
    insert_missing(
        connection,
        tree_entries,
        [entry_row(repo_id, tree.id, entry) for tree in missing for entry in tree.entries],
    )
    return sizes


def _tree_sizes(
    connection: Connection, repo_id: str, tree_ids: list[str], known: dict[str, int]
) -> dict[str, int]:
    """``known`` with the stored sizes of those of ``tree_ids`` it lacks (a copy)."""
    sizes = dict(known)
    for batch in _batches([t for t in tree_ids if t not in sizes], IN_BATCH):
        query = select(trees.c.tree_id, trees.c.size).where(
            trees.c.repo_id == repo_id, trees.c.tree_id.in_(batch)
        )
        sizes.update((tree_id, int(size)) for tree_id, size in connection.execute(query))
    return sizes


def _size_of(tree_id: str, new: dict[str, Tree], sizes: dict[str, int]) -> int:
    """The bytes of the files beneath a new tree, from its new and stored subtrees' sizes;
    remembered in ``sizes``. A subtree found nowhere counts as empty (the foreign keys do not
    hold entries to stored trees, and the tree walk reports such a tree missing)."""
    if tree_id in sizes:
        return sizes[tree_id]
    tree = new.get(tree_id)
    total = 0
    if tree is not None:
        for entry in tree.entries:
            if entry.kind is EntryKind.DIRECTORY:
                total += 0 if entry.tree_id is None else _size_of(entry.tree_id, new, sizes)
            else:
                total += entry.size
    sizes[tree_id] = total
    return total


def _batches(items: list[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
