"""Duplicating a versioned repo, as the Hub's ``duplicate_repo`` does: a new repo holding the
source's branches and tags and every commit they reach, so its history, commit ids and file
ids are the source's.

Only catalog rows are copied: trees name files by content, and the blob store keeps each
content once, so a duplicate of any size costs no bytes and is complete when it is answered.
Pull-request branches (``refs/pr/<num>``) stay behind, with the discussions they belong to;
so do collaborators, likes, the gate and access requests. The copy belongs to the caller.
"""

from __future__ import annotations

import uuid
from typing import Protocol

from weighthouse.domain.access import Principal, require_files, require_namespace_role
from weighthouse.domain.audit import Audit
from weighthouse.domain.catalog import AccessRequestCatalog
from weighthouse.domain.discussions_model import PR_REF_PREFIX
from weighthouse.domain.errors import InvalidInputError
from weighthouse.domain.model import Commit, EntryKind, Ref, RefKind, Repo, RepoId, Tree
from weighthouse.domain.names import check_name
from weighthouse.domain.ports import Clock
from weighthouse.domain.repos import (
    DEFAULT_BRANCH,
    RepoLifecycleCatalog,
    find_repo,
    require_versioned,
)


class DuplicateCatalog(RepoLifecycleCatalog, AccessRequestCatalog, Protocol):
    """What :class:`Duplicates` uses: the source's history and gate, and a new repo."""


class Duplicates:
    def __init__(self, catalog: DuplicateCatalog, clock: Clock, audit: Audit) -> None:
        self._catalog = catalog
        self._clock = clock
        self._audit = audit

    def duplicate(
        self, principal: Principal, source: RepoId, target: RepoId, *, private: bool | None = None
    ) -> Repo:
        """Make ``target`` a copy of ``source``; private as the source is unless ``private``
        says otherwise.

        The caller must be able to read the source's files (a gated source asks its gate, as a
        download does) and create repos in the target's namespace. The new repo, its refs and
        commits and the audit row are one transaction: nobody sees a partial copy. Raises
        ``InvalidInputError`` when the types differ, ``RepoExistsError`` when the target name
        is taken, and the access errors of :func:`find_repo`, ``require_files`` and
        ``require_namespace_role``."""
        check_name(target.namespace, what="namespace")
        check_name(target.name, what="repo name")
        if target.type != source.type:
            raise InvalidInputError("a duplicate has the type of the repo it copies")
        repo = find_repo(self._catalog, principal, source)
        require_versioned(repo)
        require_files(self._catalog, principal, repo)
        require_namespace_role(self._catalog, principal, target.namespace)
        assert principal.user is not None
        copy = Repo(
            id=uuid.uuid4().hex,
            type=target.type,
            namespace=target.namespace,
            name=target.name,
            private=repo.private if private is None else private,
            created_at=self._clock(),
            owner_id=principal.user.id,
            description=repo.description,
        )

        def store() -> None:
            self._catalog.add_repo(copy)
            _History(self._catalog, repo.id, copy.id).copy_refs()
            self._audit.record(
                "repo.duplicate",
                actor=self._audit.by(principal),
                target=f"{copy.type.value}:{copy.full_name}",
                detail={"from": repo.full_name, "private": str(copy.private).lower()},
            )

        self._catalog.run_atomic(store)
        return copy


class _History:
    """Copies the refs of one repo into another, each commit and tree once."""

    def __init__(self, catalog: DuplicateCatalog, source_id: str, copy_id: str) -> None:
        self._catalog = catalog
        self._source = source_id
        self._copy = copy_id
        self._commits: set[str] = set()
        self._trees: set[str] = set()

    def copy_refs(self) -> None:
        refs = [
            r for r in self._catalog.list_refs(self._source) if not r.name.startswith(PR_REF_PREFIX)
        ]
        branches = sorted(
            (r for r in refs if r.kind is RefKind.BRANCH), key=lambda r: r.name != DEFAULT_BRANCH
        )
        for ref in branches:
            self._copy_branch(ref.name, ref.commit_id)
        for ref in refs:
            if ref.kind is not RefKind.TAG:
                continue
            if ref.commit_id not in self._commits:
                # A tag on a commit no branch reaches (its branch was deleted): its history
                # goes in through a branch of the tag's own name, free since names are unique.
                self._copy_branch(ref.name, ref.commit_id)
                self._catalog.delete_ref(self._copy, RefKind.BRANCH, ref.name)
            self._catalog.create_ref(self._copy, ref)

    def _copy_branch(self, name: str, head: str) -> None:
        """The branch ``name`` at ``head``, with the commits before it not copied yet."""
        missing: list[Commit] = []
        commit: Commit | None = self._catalog.get_commit(self._source, head)
        while commit is not None and commit.id not in self._commits:
            missing.append(commit)
            parent = commit.parent_id
            commit = None if parent is None else self._catalog.get_commit(self._source, parent)
        expected: str | None = None
        if commit is not None:
            # The branch starts at a commit another branch brought along.
            base = Ref(RefKind.BRANCH, name, commit.id, commit.created_at)
            self._catalog.create_ref(self._copy, base)
            expected = commit.id
        for commit in reversed(missing):
            trees = self._new_trees(commit.tree_id)
            self._catalog.save_commit(self._copy, commit, trees, name, expected)
            self._trees.update(tree.id for tree in trees)
            self._commits.add(commit.id)
            expected = commit.id

    def _new_trees(self, root: str) -> list[Tree]:
        """The trees under ``root`` (itself included) that the copy does not hold yet."""
        found: list[Tree] = []
        seen: set[str] = set()
        pending = [root]
        while pending:
            tree_id = pending.pop()
            if tree_id in self._trees or tree_id in seen:
                continue
            seen.add(tree_id)
            tree = self._catalog.get_tree(self._source, tree_id)
            found.append(tree)
            pending.extend(
                e.tree_id for e in tree.entries if e.kind is EntryKind.DIRECTORY and e.tree_id
            )
        return found
