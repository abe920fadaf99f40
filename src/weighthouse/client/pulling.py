"""Pulling a whole revision of a repo into a folder, checked file by file and resumable.

Files are written to ``<dest>/.weighthouse-partial/<path>.part`` and renamed into place only
once their SHA-256 matches the tree's, so an interrupted pull never leaves a truncated file
under its real name, and the next pull continues each partial file with a range request.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from weighthouse.client.addresses import DEFAULT_REVISION
from weighthouse.client.errors import EntryNotFoundError
from weighthouse.client.hashing import sha256_file
from weighthouse.client.local_files import local_target
from weighthouse.client.models import EntryInfo
from weighthouse.client.progress import ProgressFactory, no_progress
from weighthouse.domain.model import RepoType

if TYPE_CHECKING:
    from weighthouse.client.client import WeighthouseClient

PARTIAL_DIR = ".weighthouse-partial"


@dataclass(frozen=True)
class PullResult:
    """``commit``: the commit pulled. ``resumed``: path -> bytes kept from an earlier run."""

    commit: str
    downloaded: tuple[str, ...]
    unchanged: tuple[str, ...]
    resumed: dict[str, int]


def is_current(target: Path, entry: EntryInfo) -> bool:
    """``target`` already holds exactly the bytes of ``entry`` (size first: it is free)."""
    if not target.is_file() or target.stat().st_size != entry.size:
        return False
    return sha256_file(target)[0] == entry.sha256


def pull_snapshot(
    client: WeighthouseClient,
    repo: str,
    dest: Path,
    *,
    revision: str = DEFAULT_REVISION,
    paths: Sequence[str] = (),
    selected: Callable[[str], bool] = lambda _: True,
    repo_type: RepoType | str = RepoType.MODEL,
    progress: ProgressFactory = no_progress,
    on_resume: Callable[[str, int], object] | None = None,
) -> PullResult:
    """Download the files of ``repo`` at ``revision`` under ``dest``, each at its repo path.

    ``paths`` (files or folders of the repo) limit the pull to those, and ``selected`` (a
    ``PathFilter``, say) to the repo paths it takes; by default every file comes. The
    revision is resolved once, and every file is fetched at that commit. Files already
    present with the right SHA-256 are left alone. ``on_resume(path, offset)`` reports each
    partial file continued from ``offset``. Raises ``EntryNotFoundError`` for a path the
    revision lacks and ``OSError`` for a file whose place is taken by a folder, or whose
    folder by a file (both before anything is written), ``DigestMismatchError`` for a file whose
    bytes do not match the tree, ``ApiError`` and ``ServerUnreachableError``.
    """
    commit, entries = client.list_tree(repo, revision=revision, recursive=True, repo_type=repo_type)
    files = [e for e in within(entries, paths, f"{repo}@{revision}") if selected(e.path)]
    targets = {e.path: local_target(dest, e.path) for e in files}
    for target in targets.values():
        check_writable(target, dest)
    partial_root = dest / PARTIAL_DIR
    unchanged = {e.path for e in files if is_current(targets[e.path], e)}
    wanted = [e for e in files if e.path not in unchanged]
    resumed: dict[str, int] = {}
    bar = progress("downloading", sum(e.size or 0 for e in wanted))
    try:
        for entry in wanted:
            part = local_target(partial_root, entry.path + ".part")

            def note(offset: int, path: str = entry.path) -> None:
                resumed[path] = offset
                if on_resume is not None:
                    on_resume(path, offset)

            client.download(
                repo,
                entry.path,
                targets[entry.path],
                revision=commit,
                repo_type=repo_type,
                sha256=entry.sha256,
                size=entry.size,
                partial=part,
                on_bytes=bar.update,
                on_resume=note,
            )
    finally:
        bar.close()
    _remove_empty_dirs(partial_root)
    return PullResult(commit, tuple(e.path for e in wanted), tuple(sorted(unchanged)), resumed)


def check_writable(target: Path, dest: Path) -> None:
    """Refuse a ``target`` below ``dest`` that is a folder or that would need a folder
    where a file is: finding out after the bytes came would waste them."""
    if target.is_dir():
        raise IsADirectoryError(f"{target} is a folder; cannot write a file there")
    for parent in target.parents:
        if parent.exists():
            if not parent.is_dir():
                raise NotADirectoryError(f"{parent} is a file; cannot write {target} below it")
            return
        if parent == dest:
            return


def within(entries: Sequence[EntryInfo], paths: Sequence[str], where: str) -> list[EntryInfo]:
    """The files of ``entries`` that are one of ``paths`` or below one (all when there are
    none); ``EntryNotFoundError`` names the first path that matches nothing."""
    files = [e for e in entries if e.is_file]
    if not paths:
        return files
    wanted = [p.strip("/") for p in paths]
    for path in wanted:
        if not any(e.path == path or e.path.startswith(f"{path}/") for e in files):
            raise EntryNotFoundError(where, path)
    return [e for e in files if any(e.path == p or e.path.startswith(f"{p}/") for p in wanted)]


def _remove_empty_dirs(root: Path) -> None:
    """Remove ``root`` and its folders bottom-up where empty; partial files stay."""
    if not root.is_dir():
        return
    for folder, _, _ in sorted(os.walk(root), key=lambda w: len(w[0]), reverse=True):
        # A folder that is not empty still holds a partial file to resume later.
        with contextlib.suppress(OSError):
            Path(folder).rmdir()
