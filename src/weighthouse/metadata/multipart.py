"""Open multipart uploads and their parts; mixed into ``SqlCatalog``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, Engine, delete, select, tuple_

from weighthouse.domain.errors import RepoNotFoundError, UploadNotFoundError
from weighthouse.domain.model import MultipartUpload, UploadedPart
from weighthouse.metadata.object_versions import prefix_successor
from weighthouse.metadata.rows import part_from, part_row, upload_from, upload_row
from weighthouse.metadata.tables import multipart_parts, multipart_uploads, repos
from weighthouse.metadata.transactions import retry_transient, transaction
from weighthouse.metadata.upserts import upsert


class MultipartQueries:
    _engine: Engine

    @retry_transient
    def add_upload(self, upload: MultipartUpload) -> None:
        with transaction(self._engine, write=True) as connection:
            found = connection.execute(select(repos.c.id).where(repos.c.id == upload.repo_id))
            if found.first() is None:
                raise RepoNotFoundError(f"no repo with id {upload.repo_id!r}")
            connection.execute(multipart_uploads.insert().values(upload_row(upload)))

    def get_upload(self, upload_id: str) -> MultipartUpload:
        query = select(multipart_uploads).where(multipart_uploads.c.id == upload_id)
        with transaction(self._engine) as connection:
            row = connection.execute(query).first()
        if row is None:
            raise UploadNotFoundError("no such upload", upload_id=upload_id)
        return upload_from(row)

    @retry_transient
    def put_part(self, upload_id: str, part: UploadedPart) -> None:
        """The upload's row is locked first, so a concurrent :meth:`end_upload` either waits
        for this part (and removes it with the rest) or has already ended the upload."""
        with transaction(self._engine, write=True) as connection:
            _lock_upload(connection, upload_id)
            upsert(connection, multipart_parts, part_row(upload_id, part))

    def list_parts(self, upload_id: str, after: int, limit: int) -> list[UploadedPart]:
        query = (
            select(multipart_parts)
            .where(multipart_parts.c.upload_id == upload_id, multipart_parts.c.number > after)
            .order_by(multipart_parts.c.number)
            .limit(limit)
        )
        with transaction(self._engine) as connection:
            return [part_from(row) for row in connection.execute(query)]

    @retry_transient
    def end_upload(self, upload_id: str) -> None:
        with transaction(self._engine, write=True) as connection:
            _lock_upload(connection, upload_id)
            connection.execute(
                delete(multipart_parts).where(multipart_parts.c.upload_id == upload_id)
            )
            connection.execute(delete(multipart_uploads).where(multipart_uploads.c.id == upload_id))

    def list_uploads(
        self, repo_id: str, prefix: str, after: tuple[bytes, str] | None, limit: int
    ) -> list[MultipartUpload]:
        table = multipart_uploads
        query = select(table).where(table.c.repo_id == repo_id)
        if prefix:
            start = prefix.encode("utf-8")
            query = query.where(table.c.key >= start)
            end = prefix_successor(start)
            if end is not None:
                query = query.where(table.c.key < end)
        if after is not None:
            query = query.where(tuple_(table.c.key, table.c.id) > tuple_(*after))
        query = query.order_by(table.c.key, table.c.id).limit(limit)
        with transaction(self._engine) as connection:
            return [upload_from(row) for row in connection.execute(query)]

    @retry_transient
    def prune_uploads(self, before: datetime) -> int:
        old = select(multipart_uploads.c.id).where(multipart_uploads.c.created_at < before)
        with transaction(self._engine, write=True) as connection:
            ids = list(connection.scalars(old))
            for upload_id in ids:
                connection.execute(
                    delete(multipart_parts).where(multipart_parts.c.upload_id == upload_id)
                )
                connection.execute(
                    delete(multipart_uploads).where(multipart_uploads.c.id == upload_id)
                )
        return len(ids)


def _lock_upload(connection: Connection, upload_id: str) -> None:
    query = (
        select(multipart_uploads.c.id).where(multipart_uploads.c.id == upload_id).with_for_update()
    )
    if connection.execute(query).first() is None:
        raise UploadNotFoundError("no such upload", upload_id=upload_id)
