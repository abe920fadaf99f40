"""Content-addressed directory trees and commit ids, and the editor that changes them.

Trees share structure: a commit that changes one file rewrites only the directories on that
file's path; every other subtree keeps its id and is not touched.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from weighthouse.domain.errors import EntryNotFoundError, PathConflictError
from weighthouse.domain.model import EntryKind, Tree, TreeEntry
from weighthouse.domain.names import split_path

TreeLoader = Callable[[str], Tree]


def name_key(name: str) -> bytes:
    """Names sort by their UTF-8 bytes everywhere, as the catalog does."""
    return name.encode("utf-8")


def make_tree(entries: list[TreeEntry] | tuple[TreeEntry, ...]) -> Tree:
    """A tree from entries in any order; its id is the SHA-1 of a canonical serialisation."""
    ordered = tuple(sorted(entries, key=lambda e: name_key(e.name)))
    digest = hashlib.sha1(usedforsecurity=False)
    for entry in ordered:
        if entry.kind is EntryKind.DIRECTORY:
            line = f"tree {entry.tree_id} {entry.name}\0"
        else:
            line = f"file {entry.sha256} {entry.size} {entry.git_sha1 or '-'} {entry.name}\0"
        digest.update(line.encode("utf-8"))
    return Tree(id=digest.hexdigest(), entries=ordered)


EMPTY_TREE = make_tree([])


def make_commit_id(
    tree_id: str, parent_id: str | None, author: str, message: str, created_at: datetime
) -> str:
    """40 hex digits naming a commit: the SHA-1 of its tree, parent, author, time and message."""
    text = (
        f"tree {tree_id}\nparent {parent_id or '-'}\nauthor {author}\n"
        f"time {created_at.isoformat()}\n\n{message}"
    )
    return hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()


@dataclass
class _Dir:
    """A directory being edited: untouched entries plus the subdirectories that changed."""

    entries: dict[str, TreeEntry]
    changed: dict[str, _Dir] = field(default_factory=dict)

    def has(self, name: str) -> bool:
        return name in self.entries or name in self.changed


class TreeEditor:
    """Apply file additions and deletions, in order, to a root tree.

    ``load`` fetches a stored tree by id. Only directories on edited paths are loaded.
    """

    def __init__(self, load: TreeLoader, root: Tree) -> None:
        self._load = load
        self._root = _Dir({e.name: e for e in root.entries})

    def put(self, path: str, sha256: str, size: int, git_sha1: str | None) -> None:
        """Add or replace the file at ``path``, creating folders as needed.

        Raises ``PathConflictError`` when a folder is at ``path`` or a file is on its way.
        """
        *parents, name = split_path(path)
        node = self._descend(parents, create=True, path=path)
        if name in node.changed or (
            name in node.entries and node.entries[name].kind is EntryKind.DIRECTORY
        ):
            raise PathConflictError(f"{path!r} is a folder, not a file", path=path)
        node.entries[name] = TreeEntry(
            name=name, kind=EntryKind.FILE, sha256=sha256, size=size, git_sha1=git_sha1
        )

    def delete(self, path: str) -> None:
        """Remove the file or the whole folder at ``path``; raises ``EntryNotFoundError``."""
        *parents, name = split_path(path.rstrip("/"))
        node = self._descend(parents, create=False, path=path)
        if not node.has(name):
            raise EntryNotFoundError(f"no file or folder at {path!r}", path=path)
        node.entries.pop(name, None)
        node.changed.pop(name, None)

    def _descend(self, parts: list[str], *, create: bool, path: str) -> _Dir:
        node = self._root
        for depth, part in enumerate(parts):
            child = node.changed.get(part)
            if child is None:
                entry = node.entries.pop(part, None)
                if entry is None:
                    if not create:
                        raise EntryNotFoundError(f"no file or folder at {path!r}", path=path)
                    child = _Dir({})
                elif entry.kind is EntryKind.FILE:
                    node.entries[part] = entry
                    where = "/".join(parts[: depth + 1])
                    raise PathConflictError(f"{where!r} is a file, not a folder", path=path)
                else:
                    assert entry.tree_id is not None
                    child = _Dir({e.name: e for e in self._load(entry.tree_id).entries})
                node.changed[part] = child
            node = child
        return node

    def finish(self) -> tuple[Tree, list[Tree]]:
        """The new root tree and every new tree, children before parents.

        Folders left empty disappear, as in git.
        """
        created: list[Tree] = []
        root = self._seal(self._root, created)
        assert root is not None
        return root, created

    def _seal(self, node: _Dir, created: list[Tree], *, is_root: bool = True) -> Tree | None:
        entries = dict(node.entries)
        for name, child in node.changed.items():
            sub = self._seal(child, created, is_root=False)
            if sub is not None:
                entries[name] = TreeEntry(name=name, kind=EntryKind.DIRECTORY, tree_id=sub.id)
        if not entries and not is_root:
            return None
        tree = make_tree(list(entries.values()))
        created.append(tree)
        return tree
