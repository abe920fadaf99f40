"""Open multipart uploads and their parts in the in-memory catalog."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from weighthouse.domain.errors import RepoNotFoundError, UploadNotFoundError
from weighthouse.domain.model import MultipartUpload, UploadedPart
from weighthouse.metadata.memory.tables import MemoryTables, in_utc, utc, utf8


class MemoryMultipart(MemoryTables):
    def add_upload(self, upload: MultipartUpload) -> None:
        with self._lock:
            if upload.repo_id not in self._tables.repos:
                raise RepoNotFoundError(f"no repo with id {upload.repo_id!r}")
            self._tables.uploads[upload.id] = in_utc(_copy(upload))

    def get_upload(self, upload_id: str) -> MultipartUpload:
        with self._lock:
            upload = self._tables.uploads.get(upload_id)
        if upload is None:
            raise UploadNotFoundError("no such upload", upload_id=upload_id)
        return _copy(upload)

    def put_part(self, upload_id: str, part: UploadedPart) -> None:
        with self._lock:
            if upload_id not in self._tables.uploads:
                raise UploadNotFoundError("no such upload", upload_id=upload_id)
            self._tables.parts[upload_id, part.number] = in_utc(part)

    def list_parts(self, upload_id: str, after: int, limit: int) -> list[UploadedPart]:
        with self._lock:
            found = [
                part
                for (upload, number), part in self._tables.parts.items()
                if upload == upload_id and number > after
            ]
        found.sort(key=lambda part: part.number)
        return found[:limit]

    def end_upload(self, upload_id: str) -> None:
        with self._lock:
            if self._tables.uploads.pop(upload_id, None) is None:
                raise UploadNotFoundError("no such upload", upload_id=upload_id)
            for key in [key for key in self._tables.parts if key[0] == upload_id]:
                del self._tables.parts[key]

    def list_uploads(
        self, repo_id: str, prefix: str, after: tuple[bytes, str] | None, limit: int
    ) -> list[MultipartUpload]:
        start = utf8(prefix)
        with self._lock:
            found = [
                ((key, upload.id), upload)
                for upload in self._tables.uploads.values()
                if upload.repo_id == repo_id
                and (key := utf8(upload.key)).startswith(start)
                and (after is None or (key, upload.id) > after)
            ]
        found.sort(key=lambda item: item[0])
        return [_copy(upload) for _, upload in found[:limit]]

    def prune_uploads(self, before: datetime) -> int:
        cutoff = utc(before)
        with self._lock:
            old = [u.id for u in self._tables.uploads.values() if u.created_at < cutoff]
            for upload_id in old:
                self.end_upload(upload_id)
        return len(old)


def _copy(upload: MultipartUpload) -> MultipartUpload:
    """A caller may change the dicts it gets; the stored ones must not change."""
    return replace(
        upload,
        metadata=dict(upload.metadata),
        content_headers=dict(upload.content_headers),
        tags=dict(upload.tags),
    )
