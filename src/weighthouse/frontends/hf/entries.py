"""Tree entries, commits and refs in the shapes the Hub client parses."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from weighthouse.domain.model import Commit, EntryKind, PathEntry, Ref
from weighthouse.frontends.hf import wire


def iso(when: datetime) -> str:
    """ISO-8601 with milliseconds and ``Z``, as the Hub writes times."""
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def lfs_info(path: str, sha256: str, size: int, git_sha1: str | None) -> dict[str, Any] | None:
    if not wire.is_lfs(path, size, git_sha1):
        return None
    return {"oid": sha256, "size": size, "pointerSize": len(wire.lfs_pointer(sha256, size))}


def tree_entry(item: PathEntry) -> dict[str, Any]:
    """A file or folder as ``list_repo_tree`` and ``paths-info`` return it."""
    entry = item.entry
    if entry.kind is EntryKind.DIRECTORY:
        return {"type": "directory", "oid": entry.tree_id, "size": 0, "path": item.path}
    assert entry.sha256 is not None
    out: dict[str, Any] = {
        "type": "file",
        "oid": wire.file_oid(item.path, entry.sha256, entry.size, entry.git_sha1),
        "size": entry.size,
        "path": item.path,
    }
    lfs = lfs_info(item.path, entry.sha256, entry.size, entry.git_sha1)
    if lfs is not None:
        out["lfs"] = lfs
    return out


def sibling(item: PathEntry, *, blobs: bool) -> dict[str, Any]:
    """A file as repo info's ``siblings`` lists it; with ``blobs`` also its size and ids
    (here the LFS digest is called ``sha256``, not ``oid``)."""
    out: dict[str, Any] = {"rfilename": item.path}
    entry = item.entry
    if blobs:
        assert entry.sha256 is not None
        out["size"] = entry.size
        out["blobId"] = wire.file_oid(item.path, entry.sha256, entry.size, entry.git_sha1)
        lfs = lfs_info(item.path, entry.sha256, entry.size, entry.git_sha1)
        if lfs is not None:
            out["lfs"] = {
                "sha256": lfs["oid"],
                "size": lfs["size"],
                "pointerSize": lfs["pointerSize"],
            }
    return out


def commit_entry(commit: Commit) -> dict[str, Any]:
    title, _, rest = commit.message.partition("\n")
    return {
        "id": commit.id,
        "title": title,
        "message": rest.strip("\n"),
        "date": iso(commit.created_at),
        "authors": [{"user": commit.author}],
    }


def ref_entry(ref: Ref, kind: str) -> dict[str, Any]:
    return {"name": ref.name, "ref": f"refs/{kind}/{ref.name}", "targetCommit": ref.commit_id}
