"""A local cache of repo files shared by every download: ``hub_download`` (one file) and
``snapshot_download`` (a revision), named after and shaped like ``huggingface_hub``'s.

Layout, under ``cache_dir`` (``$WEIGHTHOUSE_CACHE_DIR``, else ``~/.cache/weighthouse``)::

    <server>/<kind>--<namespace>--<name>/
        blobs/<sha256>                    each file's bytes once, checked against its SHA-256
        snapshots/<commit>/<repo path>    symlinks into blobs/ (copies where links fail)
        refs/<revision>                   the commit a branch or tag named when last asked
        partial/<sha256>.part             interrupted downloads, resumed by the next call

Bytes are published under ``blobs/`` only once their digest matched, so identical files of
any revision are downloaded and stored once. A commit's snapshot never changes, so a commit id
that is cached needs no request at all, and when the server cannot be reached a branch or tag
falls back to the commit it named last time. Repo paths go through ``local_target``, so a
path from the server cannot escape the snapshot folder.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from weighthouse.client.addresses import DEFAULT_REVISION, url_kind
from weighthouse.client.errors import EntryNotFoundError, ServerUnreachableError
from weighthouse.client.local_files import local_target
from weighthouse.client.models import EntryInfo
from weighthouse.client.patterns import PathFilter
from weighthouse.client.progress import ProgressFactory, no_progress
from weighthouse.client.pulling import pull_snapshot, within
from weighthouse.domain.model import RepoType
from weighthouse.domain.names import check_name, is_commit_id

if TYPE_CHECKING:
    from weighthouse.client.client import WeighthouseClient

CACHE_DIR_ENV = "WEIGHTHOUSE_CACHE_DIR"


def default_cache_dir() -> Path:
    """``$WEIGHTHOUSE_CACHE_DIR``, else ``$XDG_CACHE_HOME/weighthouse``, else
    ``~/.cache/weighthouse``."""
    if chosen := os.environ.get(CACHE_DIR_ENV):
        return Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "weighthouse"


def repo_cache(
    client: WeighthouseClient,
    repo: str,
    repo_type: RepoType | str,
    cache_dir: str | os.PathLike[str] | None,
) -> Path:
    """The cache folder of ``repo`` on the client's server. Names are checked with the
    server's own rule first, so they are safe as folder names."""
    namespace, _, name = repo.partition("/")
    check_name(namespace, what="namespace")
    check_name(name)
    server = quote(client.url.rstrip("/"), safe="")
    folder = f"{url_kind(repo_type)}--{namespace}--{name}"
    return Path(cache_dir or default_cache_dir()) / server / folder


def hub_download(
    client: WeighthouseClient,
    repo: str,
    path: str,
    *,
    revision: str = DEFAULT_REVISION,
    repo_type: RepoType | str = RepoType.MODEL,
    cache_dir: str | os.PathLike[str] | None = None,
    local_dir: str | os.PathLike[str] | None = None,
) -> Path:
    """Download the file ``path`` of ``repo`` at ``revision`` and return where it is.

    Into the cache by default (a path under ``snapshots/<commit>/``; do not edit it), or to
    ``local_dir/<path>`` as a plain file. Raises ``EntryNotFoundError`` for a path the
    revision lacks, ``DigestMismatchError``, ``ApiError``, and ``ServerUnreachableError``
    when the server is down and the cache cannot answer.
    """
    path = path.strip("/")
    where = f"{repo}@{revision}"
    if local_dir is not None:
        target = local_target(Path(local_dir), path)
        pull_snapshot(
            client, repo, Path(local_dir), revision=revision, paths=[path], repo_type=repo_type
        )
        if not target.is_file():
            raise EntryNotFoundError(where, path, folder=True)
        return target
    root = repo_cache(client, repo, repo_type, cache_dir)
    commit, entries = _resolve(client, root, repo, revision, path, repo_type)
    exact = [e for e in within(entries, [path], where) if e.path == path]
    if not exact:
        raise EntryNotFoundError(where, path, folder=True)
    return _materialise(client, root, repo, commit, exact, repo_type, no_progress)[0]


def snapshot_download(
    client: WeighthouseClient,
    repo: str,
    *,
    revision: str = DEFAULT_REVISION,
    allow_patterns: Iterable[str] = (),
    ignore_patterns: Iterable[str] = (),
    repo_type: RepoType | str = RepoType.MODEL,
    cache_dir: str | os.PathLike[str] | None = None,
    local_dir: str | os.PathLike[str] | None = None,
    progress: ProgressFactory = no_progress,
) -> Path:
    """Download the files of ``repo`` at ``revision`` that the patterns take (see
    ``PathFilter``) and return the folder holding them at their repo paths.

    Into the cache by default (``snapshots/<commit>``, shared with ``hub_download``), or
    into ``local_dir`` as plain files (``pull_snapshot``). Raises as ``hub_download`` does.
    """
    selected = PathFilter.of(allow_patterns, ignore_patterns)
    if local_dir is not None:
        pull_snapshot(
            client,
            repo,
            Path(local_dir),
            revision=revision,
            selected=selected,
            repo_type=repo_type,
            progress=progress,
        )
        return Path(local_dir)
    root = repo_cache(client, repo, repo_type, cache_dir)
    commit, entries = _resolve(client, root, repo, revision, "", repo_type)
    files = [e for e in entries if e.is_file and selected(e.path)]
    _materialise(client, root, repo, commit, files, repo_type, progress)
    snapshot = root / "snapshots" / commit
    snapshot.mkdir(parents=True, exist_ok=True)
    return snapshot


def _resolve(
    client: WeighthouseClient,
    root: Path,
    repo: str,
    revision: str,
    path: str,
    repo_type: RepoType | str,
) -> tuple[str, list[EntryInfo]]:
    """``(commit, file entries)`` of ``revision``: all files, or ``path`` and what is below
    it. A cached commit costs no request; an unreachable server falls back to the commit
    the ref named last time, when that snapshot has the file."""
    ref_file = root / "refs" / quote(revision, safe="")
    try:
        commit, entries = client.list_tree(
            repo, revision=revision, recursive=True, repo_type=repo_type
        )
    except ServerUnreachableError:
        cached = revision if is_commit_id(revision) else _read(ref_file)
        if cached is None or not _cached(root / "snapshots" / cached, path):
            raise
        return cached, _snapshot_entries(root / "snapshots" / cached, path)
    if commit != revision:
        ref_file.parent.mkdir(parents=True, exist_ok=True)
        ref_file.write_text(commit)
    return commit, [e for e in entries if e.is_file]


def _read(path: Path) -> str | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    return text if is_commit_id(text) else None


def _cached(snapshot: Path, path: str) -> bool:
    return (snapshot / path).exists() if path else snapshot.is_dir()


def _snapshot_entries(snapshot: Path, path: str) -> list[EntryInfo]:
    """The files of a cached snapshot, for an answer without the server: the snapshot holds
    only complete, checked files."""
    base = snapshot / path if path else snapshot
    found = [base] if base.is_file() else [p for p in base.rglob("*") if p.is_file()]
    return [EntryInfo(p.relative_to(snapshot).as_posix(), "file") for p in found]


def _materialise(
    client: WeighthouseClient,
    root: Path,
    repo: str,
    commit: str,
    files: Sequence[EntryInfo],
    repo_type: RepoType | str,
    progress: ProgressFactory,
) -> list[Path]:
    """Make ``snapshots/<commit>/<path>`` exist for each of ``files``, downloading the blobs
    the cache lacks; the snapshot paths, in order."""
    snapshot = root / "snapshots" / commit
    targets = []
    missing = [e for e in files if e.sha256 and not (root / "blobs" / e.sha256).is_file()]
    bar = progress("downloading", sum(e.size or 0 for e in missing))
    try:
        for entry in files:
            target = local_target(snapshot, entry.path)
            targets.append(target)
            if target.exists() or entry.sha256 is None:
                continue  # a complete snapshot file, or one known only from the cache
            blob = root / "blobs" / entry.sha256
            if not blob.is_file():
                client.download(
                    repo,
                    entry.path,
                    blob,
                    revision=commit,
                    repo_type=repo_type,
                    sha256=entry.sha256,
                    size=entry.size,
                    partial=root / "partial" / f"{entry.sha256}.part",
                    on_bytes=bar.update,
                )
            _link(blob, target)
    finally:
        bar.close()
    return targets


def _link(blob: Path, target: Path) -> None:
    """Point ``target`` at ``blob`` with a relative symlink, so the cache can move; where
    symlinks are not allowed, a copy's hard link, else a copy."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(target.name + ".link")
    temporary.unlink(missing_ok=True)
    try:
        temporary.symlink_to(os.path.relpath(blob, target.parent))
    except OSError:
        try:
            os.link(blob, temporary)
        except OSError:
            shutil.copyfile(blob, temporary)
    temporary.replace(target)
