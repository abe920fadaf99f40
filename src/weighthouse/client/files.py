"""The files of models and datasets: tree listings, blob uploads and commits."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from weighthouse import wire
from weighthouse.client.hashing import OnBytes, file_chunks, sha256_bytes, sha256_file
from weighthouse.client.models import BlobInfo, CommitInfo, EntryInfo, UploadInfo
from weighthouse.client.transport import Transport, quote_path, repo_path
from weighthouse.domain.blob_proof import MAX_CHECK
from weighthouse.domain.commits import AddFile, DeleteFile, Operation
from weighthouse.domain.model import RepoType

SHA256_HEADER = wire.SHA256_HEADER


def _body_headers(size: int, sha256: str | None) -> dict[str, str]:
    # An explicit Content-Length keeps httpx from switching a generator body to chunked
    # encoding, so the server can refuse an oversized upload before reading it.
    headers = {"Content-Type": wire.OCTET_STREAM, "Content-Length": str(size)}
    if sha256 is not None:
        headers[SHA256_HEADER] = sha256
    return headers


class FilesApi(Transport):
    def iter_tree(
        self,
        repo: str,
        *,
        revision: str = "main",
        path: str = "",
        recursive: bool = False,
        repo_type: RepoType | str = RepoType.MODEL,
        page_size: int = wire.PAGE_LIMIT_MAX,
    ) -> Iterator[EntryInfo]:
        """Entries under ``path`` at ``revision``, following every page.

        ``revision_not_found`` / ``entry_not_found`` (404) when either is missing.
        """
        url = self._tree_url(repo, revision, path, repo_type)
        for page in self.pages(url, {"recursive": recursive, "limit": page_size}):
            yield from (EntryInfo.from_json(item) for item in page["entries"])

    def list_tree(
        self,
        repo: str,
        *,
        revision: str = "main",
        path: str = "",
        recursive: bool = False,
        repo_type: RepoType | str = RepoType.MODEL,
    ) -> tuple[str, list[EntryInfo]]:
        """``(commit id, entries)``: the commit ``revision`` resolved to, and the whole listing.

        Later pages are asked for at that commit, not at ``revision``, so a branch that moves
        meanwhile cannot mix two versions; pin downloads to it for the same reason.
        """
        params: dict[str, Any] = {"recursive": recursive, "limit": wire.PAGE_LIMIT_MAX}
        url = self._tree_url(repo, revision, path, repo_type)
        page = self.request("GET", url, params=params).json()
        commit: str = page["commit"]
        entries = [EntryInfo.from_json(item) for item in page["entries"]]
        if page.get("next_cursor"):
            params["cursor"] = page["next_cursor"]
            pinned = self._tree_url(repo, commit, path, repo_type)
            for later in self.pages(pinned, params):
                entries.extend(EntryInfo.from_json(item) for item in later["entries"])
        return commit, entries

    def _tree_url(self, repo: str, revision: str, path: str, repo_type: RepoType | str) -> str:
        url = f"{repo_path(repo, repo_type)}/tree/{quote(revision, safe='')}"
        return f"{url}/{quote_path(path.strip('/'))}" if path.strip("/") else url

    def upload_blob(
        self,
        repo: str,
        data: bytes | Iterable[bytes],
        *,
        size: int,
        sha256: str | None = None,
        repo_type: RepoType | str = RepoType.MODEL,
    ) -> BlobInfo:
        """Store ``size`` bytes for a later ``commit``. ``data`` may be a generator, so nothing
        needs to fit in memory; with ``sha256`` the server refuses other bytes
        (``digest_mismatch``)."""
        response = self.request(
            "POST",
            f"{repo_path(repo, repo_type)}/blobs",
            content=data,
            headers=_body_headers(size, sha256),
        )
        return BlobInfo.from_json(response.json())

    def upload_blob_file(
        self,
        repo: str,
        local: Path,
        *,
        sha256: str | None = None,
        repo_type: RepoType | str = RepoType.MODEL,
        on_bytes: OnBytes | None = None,
    ) -> BlobInfo:
        """Stream the file at ``local`` as a blob. Without ``sha256`` the file is hashed first,
        so the server can check what arrives."""
        if sha256 is None:
            sha256, _ = sha256_file(local)
        size = local.stat().st_size
        return self.upload_blob(
            repo, file_chunks(local, on_bytes), size=size, sha256=sha256, repo_type=repo_type
        )

    def reusable_blobs(
        self,
        repo: str,
        blobs: Iterable[tuple[str, int]],
        *,
        repo_type: RepoType | str = RepoType.MODEL,
    ) -> set[tuple[str, int]]:
        """Which of ``blobs`` (``(sha256, size)`` pairs) a ``commit`` to ``repo`` may add without
        uploading them first; upload the rest with ``upload_blob``.

        The server says yes only for blobs you uploaded within its grace period or that a repo
        or bucket you can read holds, stored with that size; for any other it says no, whether
        or not it has the bytes. Needs the ``write`` role on ``repo``. Asks in batches of
        ``MAX_CHECK``.
        """
        wanted = list(dict.fromkeys((sha256, size) for sha256, size in blobs))
        url = f"{repo_path(repo, repo_type)}/blobs/check"
        available: set[tuple[str, int]] = set()
        for start in range(0, len(wanted), MAX_CHECK):
            batch = wanted[start : start + MAX_CHECK]
            body = {"blobs": [{"sha256": sha256, "size": size} for sha256, size in batch]}
            answer = self.request("POST", url, json=body).json()
            found = (BlobInfo.from_json(item) for item in answer["available"])
            available.update((blob.sha256, blob.size) for blob in found)
        return available

    def upload_file(
        self,
        repo: str,
        path_in_repo: str,
        source: Path | bytes,
        *,
        branch: str = "main",
        message: str | None = None,
        parent_commit: str | None = None,
        repo_type: RepoType | str = RepoType.MODEL,
        on_bytes: OnBytes | None = None,
    ) -> UploadInfo:
        """Put one file at ``path_in_repo`` on ``branch`` as a new commit.

        ``source`` is a local file (streamed, hashed first) or bytes. With ``parent_commit``
        the commit fails with ``commit_conflict`` if the branch has moved past it.
        """
        content: bytes | Iterator[bytes]
        if isinstance(source, bytes):
            content, size, sha256 = source, len(source), sha256_bytes(source)
        else:
            sha256, size = sha256_file(source)
            content = file_chunks(source, on_bytes)
        url = (
            f"{repo_path(repo, repo_type)}/upload/{quote(branch, safe='')}/"
            f"{quote_path(path_in_repo)}"
        )
        params = {"message": message, "parent_commit": parent_commit}
        response = self.request(
            "PUT", url, params=params, content=content, headers=_body_headers(size, sha256)
        )
        return UploadInfo.from_json(response.json())

    def commit(
        self,
        repo: str,
        operations: Sequence[Operation],
        *,
        message: str,
        branch: str = "main",
        parent_commit: str | None = None,
        repo_type: RepoType | str = RepoType.MODEL,
    ) -> CommitInfo:
        """Apply every operation in one atomic commit on ``branch``. ``AddFile`` names a blob
        uploaded before with ``upload_blob``."""
        body = {
            "message": message,
            "parent_commit": parent_commit,
            "operations": [_operation_json(op) for op in operations],
        }
        url = f"{repo_path(repo, repo_type)}/commit/{quote(branch, safe='')}"
        return CommitInfo.from_json(self.request("POST", url, json=body).json())


def _operation_json(op: Operation) -> dict[str, object]:
    if isinstance(op, AddFile):
        return {"op": "add", "path": op.path, "sha256": op.sha256, "size": op.size}
    if isinstance(op, DeleteFile):
        return {"op": "delete", "path": op.path}
    raise TypeError(f"not a commit operation: {op!r}")
