"""What a push changes: local files compared with the branch it goes to.

Pure data in, data out, so the rules (what counts as unchanged, what ``--delete`` may remove)
are tested without a server.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from weighthouse.client.models import EntryInfo
from weighthouse.domain.commits import AddFile, DeleteFile


@dataclass(frozen=True)
class PushPlan:
    """``added``: paths new to the branch; ``changed``: paths whose bytes differ;
    ``deleted``: branch files to remove; ``unchanged``: local files the branch already holds."""

    added: tuple[AddFile, ...]
    changed: tuple[AddFile, ...]
    deleted: tuple[DeleteFile, ...]
    unchanged: tuple[str, ...]

    @property
    def uploads(self) -> tuple[AddFile, ...]:
        """The files whose blobs a commit needs, new and changed alike."""
        return self.added + self.changed

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.changed or self.deleted)


def plan_push(
    local: Sequence[AddFile],
    remote: Sequence[EntryInfo],
    *,
    delete_under: str | None = None,
    selected: Callable[[str], bool] = lambda _: True,
) -> PushPlan:
    """Compare ``local`` files with the ``remote`` tree entries of the branch.

    A local file is unchanged when the branch holds the same path with the same SHA-256 and
    size. With ``delete_under`` (a folder, ``""`` for the whole repo) every branch file below
    it that has no local counterpart is deleted, unless ``selected`` (called with the path
    relative to that folder) leaves it out: files the patterns exclude are never deleted.
    """
    held = {e.path: e for e in remote if e.is_file}
    added: list[AddFile] = []
    changed: list[AddFile] = []
    unchanged: list[str] = []
    for op in local:
        there = held.get(op.path)
        if there is None:
            added.append(op)
        elif there.sha256 == op.sha256 and there.size == op.size:
            unchanged.append(op.path)
        else:
            changed.append(op)
    deleted: list[DeleteFile] = []
    if delete_under is not None:
        prefix = f"{delete_under.strip('/')}/" if delete_under.strip("/") else ""
        pushed = {op.path for op in local}
        for path in sorted(held, key=lambda p: p.encode("utf-8")):
            if path.startswith(prefix) and path not in pushed and selected(path[len(prefix) :]):
                deleted.append(DeleteFile(path))
    return PushPlan(tuple(added), tuple(changed), tuple(deleted), tuple(unchanged))
