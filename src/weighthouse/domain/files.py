"""Reading versioned repos: tree listings, single entries and file downloads."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from weighthouse.domain.access import Principal, require_files
from weighthouse.domain.catalog import AccessRequestCatalog
from weighthouse.domain.encryption import Decryption
from weighthouse.domain.errors import BlobMissingError, EntryNotFoundError
from weighthouse.domain.model import (
    Commit,
    EntryKind,
    PathEntry,
    Repo,
    RepoId,
    Role,
    Tree,
    TreeEntry,
    TreeListing,
)
from weighthouse.domain.names import check_folder, check_path, split_path
from weighthouse.domain.paging import check_limit
from weighthouse.domain.ports import BlobReader, BlobStore
from weighthouse.domain.repos import DEFAULT_BRANCH, find_repo, require_versioned
from weighthouse.domain.revisions import Resolved, VersionedCatalog, resolve

LAST_CHANGE_DEPTH = 1000
"""How far back :meth:`Files.last_changes` reads history by default."""
_FOLDERS_HELD = 64


def _content(entry: TreeEntry | None) -> tuple[object, ...] | None:
    """What makes two entries at one path the same content."""
    return None if entry is None else (entry.kind, entry.tree_id, entry.sha256, entry.size)


@dataclass(frozen=True)
class Download:
    """What a front-end needs to answer for stored bytes (validators, headers) before it opens
    them with :func:`open_download`. Only an access-checked use case makes one."""

    sha256: str
    size: int
    modified_at: datetime
    name: str
    content_type: str | None = None
    md5: str | None = None
    git_sha1: str | None = None
    decryption: Decryption | None = field(default=None, repr=False, compare=False)
    """How to decrypt an object encrypted at rest (its key, held in memory only)."""


def open_download(blobs: BlobStore, download: Download) -> BlobReader:
    """Open the blob of ``download``; the caller closes the reader.

    Raises ``BlobMissingError`` when the store lacks the blob, or holds a different number of
    bytes than the catalog recorded (then nothing is served rather than a torn body).
    """
    reader = blobs.reader(download.sha256)
    if reader.size != download.size:
        reader.close()
        raise BlobMissingError(
            f"blob {download.sha256} has {reader.size} bytes, the catalog says {download.size}",
            sha256=download.sha256,
        )
    return reader


@dataclass(frozen=True)
class FirstAppearance:
    """Where a file's content first entered a repo's history: the file (path and entry) in
    the oldest commit holding it, and a branch or tag whose history reaches that commit."""

    file: PathEntry
    commit: Commit
    ref: str


class FilesCatalog(VersionedCatalog, AccessRequestCatalog, Protocol):
    """What :class:`Files` reads: repos, history, and the gate of gated repos."""


class Files:
    def __init__(self, catalog: FilesCatalog, blobs: BlobStore) -> None:
        self._catalog = catalog
        self._blobs = blobs

    def check_access(self, principal: Principal, repo_id: RepoId, *, write: bool = False) -> Repo:
        """The repo, when the caller may read its files, or with ``write`` change them.

        Raises what a download or a commit would before it looks at any revision:
        ``RepoNotFoundError`` for a repo the caller cannot see, the gate's
        ``GatedRepoError`` / ``GatedRepoSignInError`` for a reader the gate keeps out, and
        ``AuthenticationError`` / ``PermissionDeniedError`` for a writer without the role."""
        repo = find_repo(self._catalog, principal, repo_id, Role.WRITE if write else Role.READ)
        require_files(self._catalog, principal, repo)
        return repo

    def entry(
        self, principal: Principal, repo_id: RepoId, revision: str, path: str
    ) -> tuple[Resolved, PathEntry]:
        """The file or folder at ``path``; raises ``EntryNotFoundError``."""
        repo = find_repo(self._catalog, principal, repo_id)
        resolved = resolve(self._catalog, repo, revision)
        return resolved, self._find(repo, resolved.commit.tree_id, path)

    def download(
        self, principal: Principal, repo_id: RepoId, revision: str, path: str
    ) -> tuple[Resolved, Download]:
        """A file's bytes to serve; gated repos ask :func:`require_files` first, before the
        revision or path is looked at, so the gate tells nothing about what lies behind it."""
        check_path(path)
        repo = find_repo(self._catalog, principal, repo_id)
        require_files(self._catalog, principal, repo)
        resolved = resolve(self._catalog, repo, revision)
        entry = self._find(repo, resolved.commit.tree_id, path).entry
        if entry.kind is not EntryKind.FILE:
            raise EntryNotFoundError(f"{path!r} is a folder, not a file", path=path)
        assert entry.sha256 is not None
        return resolved, Download(
            sha256=entry.sha256,
            size=entry.size,
            modified_at=resolved.commit.created_at,
            name=entry.name,
            git_sha1=entry.git_sha1,
        )

    def reader(self, download: Download) -> BlobReader:
        """The bytes of a file or object a download use case returned; see
        :func:`open_download`.

        Pass only a ``Download`` that a use case returned after its access check, never a hash
        taken from a request: knowing a hash grants nothing (see
        :mod:`~weighthouse.domain.blob_proof`).
        """
        return open_download(self._blobs, download)

    def list_tree(
        self,
        principal: Principal,
        repo_id: RepoId,
        revision: str,
        path: str = "",
        *,
        recursive: bool = False,
        after: str | None = None,
        limit: int = 100,
    ) -> tuple[Resolved, TreeListing]:
        """Entries under the folder ``path`` in byte order of their names (depth first when
        ``recursive``). ``after`` is the last path of the previous page."""
        check_limit(limit)
        folder = check_folder(path)
        repo = find_repo(self._catalog, principal, repo_id)
        resolved = resolve(self._catalog, repo, revision)
        tree_id = resolved.commit.tree_id
        if folder:
            found = self._find(repo, tree_id, folder)
            if found.entry.kind is not EntryKind.DIRECTORY:
                raise EntryNotFoundError(f"{folder!r} is a file, not a folder", path=folder)
            assert found.entry.tree_id is not None
            tree_id = found.entry.tree_id
        resume: list[str] = []
        if after:
            resume = split_path(after)
            if folder:
                if resume[: len(split_path(folder))] != split_path(folder):
                    raise EntryNotFoundError("the cursor is not inside this folder", path=after)
                resume = resume[len(split_path(folder)) :]
        if not recursive and len(resume) <= 1:
            # One folder's page: read just that page, not the whole folder.
            rows = self._catalog.list_entries(
                repo.id, tree_id, resume[0] if resume else None, limit + 1
            )
            page = tuple(
                PathEntry(path=f"{folder}/{row.name}" if folder else row.name, entry=row)
                for row in rows[:limit]
            )
            more_rows = len(rows) > limit
            return resolved, TreeListing(
                entries=page, next_after=page[-1].path if more_rows and page else None
            )
        walker = self._walk(
            repo, self._catalog.get_tree(repo.id, tree_id), folder, resume, recursive
        )
        entries: list[PathEntry] = []
        more = False
        for item in walker:
            if len(entries) == limit:
                more = True
                break
            entries.append(item)
        next_after = entries[-1].path if more else None
        return resolved, TreeListing(entries=tuple(entries), next_after=next_after)

    def last_changes(
        self,
        principal: Principal,
        repo_id: RepoId,
        revision: str,
        paths: Sequence[str],
        *,
        max_commits: int = LAST_CHANGE_DEPTH,
    ) -> dict[str, Commit]:
        """For each of ``paths`` (files or folders at ``revision``), the newest commit in the
        first-parent history of ``revision`` that changed it: the one whose parent has other
        content, or nothing, at that path.

        History is read back at most ``max_commits`` commits; a path still unchanged there is
        left out of the answer rather than guessed, as are paths that do not exist. Each step
        reads the paths' folders once: a folder whose tree is the same in the parent changed
        none of its entries."""
        check_limit(max_commits)
        repo = find_repo(self._catalog, principal, repo_id)
        commit: Commit | None = resolve(self._catalog, repo, revision).commit
        assert commit is not None
        cache: dict[str, dict[str, TreeEntry]] = {}
        folders: dict[str, dict[str, TreeEntry]] = {}
        for path in dict.fromkeys(paths):
            parts = split_path(path)
            if not parts:
                continue
            folder = "/".join(parts[:-1])
            entries = self._folder(repo, commit.tree_id, folder, cache)
            if entries is not None and parts[-1] in entries:
                folders.setdefault(folder, {})[parts[-1]] = entries[parts[-1]]
        found: dict[str, Commit] = {}
        for _ in range(max_commits):
            if not folders or commit is None:
                break
            parent = self._parent(repo, commit)
            for folder, pending in list(folders.items()):
                before = (
                    None if parent is None else self._folder(repo, parent.tree_id, folder, cache)
                )
                if before is not None and before is self._folder(
                    repo, commit.tree_id, folder, cache
                ):
                    continue
                for name, entry in list(pending.items()):
                    if before is None or _content(before.get(name)) != _content(entry):
                        found[f"{folder}/{name}" if folder else name] = commit
                        del pending[name]
                if not pending:
                    del folders[folder]
            commit = parent
        return found

    def first_appearances(
        self, principal: Principal, repo_id: RepoId, keep: Callable[[PathEntry], bool]
    ) -> list[FirstAppearance]:
        """Each distinct content (SHA-256) among the files ``keep`` accepts, anywhere in the
        history of the repo's branches and tags, where it first appeared; by SHA-256.

        Commits are read oldest first, each once, and every distinct tree once: a tree met
        again (the same folder in a later commit) holds nothing new. A content that ``keep``
        accepts at one path and not at another counts where it was accepted. Needs read
        access, as history and tree listings do."""
        repo = find_repo(self._catalog, principal, repo_id)
        require_versioned(repo)
        refs = sorted(self._catalog.list_refs(repo.id), key=lambda r: r.name != DEFAULT_BRANCH)
        commits: dict[str, tuple[Commit, str]] = {}
        for ref in refs:
            commit: Commit | None = self._catalog.get_commit(repo.id, ref.commit_id)
            while commit is not None and commit.id not in commits:
                commits[commit.id] = (commit, ref.name)
                commit = self._parent(repo, commit)
        trees: set[str] = set()
        found: dict[str, FirstAppearance] = {}
        for commit, ref_name in sorted(commits.values(), key=lambda item: item[0].created_at):
            pending = [("", commit.tree_id)]
            while pending:
                prefix, tree_id = pending.pop()
                if tree_id in trees:
                    continue
                trees.add(tree_id)
                for entry in self._catalog.get_tree(repo.id, tree_id).entries:
                    path = f"{prefix}/{entry.name}" if prefix else entry.name
                    if entry.kind is EntryKind.DIRECTORY:
                        assert entry.tree_id is not None
                        pending.append((path, entry.tree_id))
                        continue
                    item = PathEntry(path=path, entry=entry)
                    if entry.sha256 is not None and entry.sha256 not in found and keep(item):
                        found[entry.sha256] = FirstAppearance(item, commit, ref_name)
        return [found[sha256] for sha256 in sorted(found)]

    def _folder(
        self, repo: Repo, tree_id: str, folder: str, cache: dict[str, dict[str, TreeEntry]]
    ) -> dict[str, TreeEntry] | None:
        """The entries of ``folder`` in the tree ``tree_id`` by name; ``None`` when it is not a
        folder there. Folder trees are read once per ``cache``, so the same tree gives the
        same mapping object."""
        try:
            found = self._find(repo, tree_id, folder)
        except EntryNotFoundError:
            return None
        folder_id = found.entry.tree_id
        if found.entry.kind is not EntryKind.DIRECTORY or folder_id is None:
            return None
        if folder_id not in cache:
            if len(cache) >= _FOLDERS_HELD:
                cache.clear()  # history walks forward: old folder versions are done with
            tree = self._catalog.get_tree(repo.id, folder_id)
            cache[folder_id] = {entry.name: entry for entry in tree.entries}
        return cache[folder_id]

    def _parent(self, repo: Repo, commit: Commit) -> Commit | None:
        if commit.parent_id is None:
            return None
        return self._catalog.get_commit(repo.id, commit.parent_id)

    def _walk(
        self, repo: Repo, tree: Tree, prefix: str, resume: list[str], recursive: bool
    ) -> Iterator[PathEntry]:
        """Depth-first, names in byte order; skips everything up to and including ``resume``."""
        head = resume[0].encode("utf-8") if resume else None
        for entry in tree.entries:
            key = entry.name.encode("utf-8")
            if head is not None and key < head:
                continue
            path = f"{prefix}/{entry.name}" if prefix else entry.name
            at_cursor = head is not None and key == head
            if not at_cursor:
                yield PathEntry(path=path, entry=entry)
            if recursive and entry.kind is EntryKind.DIRECTORY:
                assert entry.tree_id is not None
                sub_resume = resume[1:] if at_cursor else []
                child = self._catalog.get_tree(repo.id, entry.tree_id)
                yield from self._walk(repo, child, path, sub_resume, recursive)
            head = None if at_cursor or (head is not None and key > head) else head

    def _find(self, repo: Repo, tree_id: str, path: str) -> PathEntry:
        parts = split_path(path)
        if not parts:
            root = TreeEntry(name="", kind=EntryKind.DIRECTORY, tree_id=tree_id)
            return PathEntry(path="", entry=root)
        current = tree_id
        entry: TreeEntry | None = None
        for depth, part in enumerate(parts):
            entry = self._catalog.get_entry(repo.id, current, part)
            if entry is None or (depth < len(parts) - 1 and entry.kind is not EntryKind.DIRECTORY):
                raise EntryNotFoundError(f"no file or folder at {path!r}", path=path)
            if entry.tree_id is not None:
                current = entry.tree_id
        assert entry is not None
        return PathEntry(path=path, entry=entry)
