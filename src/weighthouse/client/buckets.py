"""Bucket objects: put, get, head, delete and listing (``/api/buckets/<ns>/<name>/objects``).

User metadata travels as ``X-Meta-<name>`` headers and comes back the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from email.utils import parsedate_to_datetime
from pathlib import Path

import httpx

from weighthouse import wire
from weighthouse.client.downloads import DownloadsApi
from weighthouse.client.errors import ApiError
from weighthouse.client.hashing import CHUNK, OnBytes, file_chunks, sha256_bytes, sha256_file
from weighthouse.client.models import ObjectInfo, ObjectListing
from weighthouse.client.resume import etag_sha256
from weighthouse.client.transport import quote_path, repo_path
from weighthouse.domain.model import RepoType

_META = wire.META_PREFIX.lower()


class BucketsApi(DownloadsApi):
    def object_url(self, bucket: str, key: str) -> str:
        return f"{repo_path(bucket, RepoType.BUCKET)}/objects/{quote_path(key)}"

    def put_object(
        self,
        bucket: str,
        key: str,
        data: bytes | Path | Iterable[bytes],
        *,
        size: int | None = None,
        sha256: str | None = None,
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
        if_none_match: str | None = None,
        if_match: str | None = None,
        on_bytes: OnBytes | None = None,
    ) -> ObjectInfo:
        """Store ``data`` at ``key``, replacing what is there.

        A ``Path`` is streamed (and hashed first unless ``sha256`` is given); an iterable of
        chunks needs ``size``. ``if_none_match="*"`` only creates; ``if_match=<etag>`` only
        replaces that version (``precondition_failed``, 412, otherwise).
        """
        content: bytes | Iterable[bytes]
        if isinstance(data, bytes):
            content, size, sha256 = data, len(data), sha256 or sha256_bytes(data)
        elif isinstance(data, Path):
            if sha256 is None:
                sha256, size = sha256_file(data)
            size = data.stat().st_size if size is None else size
            content = file_chunks(data, on_bytes)
        else:
            if size is None:
                raise ValueError("a streamed object needs its size")
            content = data
        headers = {
            "Content-Type": content_type or wire.OCTET_STREAM,
            "Content-Length": str(size),
        }
        optional = {
            wire.SHA256_HEADER: sha256,
            "If-None-Match": if_none_match,
            "If-Match": if_match,
        }
        headers.update({k: v for k, v in optional.items() if v is not None})
        for name, value in (metadata or {}).items():
            headers[f"{wire.META_PREFIX}{name}"] = value
        response = self.request(
            "PUT", self.object_url(bucket, key), content=content, headers=headers
        )
        return ObjectInfo.from_json(response.json())

    def get_object(self, bucket: str, key: str) -> bytes:
        """The object's bytes in memory; ``download_object`` streams big ones to disk."""
        return self.request("GET", self.object_url(bucket, key)).content

    def download_object(
        self, bucket: str, key: str, dest: Path, *, on_bytes: OnBytes | None = None
    ) -> Path:
        """Stream an object to ``dest`` with the resume and SHA-256 check of ``download``."""
        return self.download_url(self.object_url(bucket, key), dest, on_bytes=on_bytes)

    def head_object(self, bucket: str, key: str) -> ObjectInfo:
        """The object's size, digests, type and metadata, without its bytes."""
        response = self.request("HEAD", self.object_url(bucket, key))
        return _object_from_headers(key, response.headers)

    def find_object(self, bucket: str, key: str) -> ObjectInfo:
        """The object's listing entry: its stored content type and metadata as given (a
        download's headers make unsafe types inert). ``entry_not_found`` (404) if absent."""
        first = next(self.iter_objects(bucket, prefix=key, page_size=1), None)
        if first is None or first.key != key:
            raise ApiError(404, "entry_not_found", f"no object {key!r} in {bucket}")
        return first

    def copy_object(
        self,
        source: ObjectInfo,
        source_bucket: str,
        bucket: str,
        key: str,
        *,
        on_bytes: OnBytes | None = None,
    ) -> ObjectInfo:
        """Copy the object ``source`` (a listing entry of ``source_bucket``) to ``key`` in
        ``bucket``, streaming its bytes through this client without a local copy.

        The PUT declares the source's SHA-256 when it is known (not for an object joined from
        multipart parts), so the server refuses bytes that changed on the way
        (``digest_mismatch``), e.g. when the source was replaced meanwhile. Type and metadata
        are kept."""
        with self.stream("GET", self.object_url(source_bucket, source.key)) as response:

            def chunks() -> Iterator[bytes]:
                for chunk in response.iter_bytes(CHUNK):
                    if on_bytes is not None:
                        on_bytes(len(chunk))
                    yield chunk

            return self.put_object(
                bucket,
                key,
                chunks(),
                size=source.size,
                sha256=source.sha256,
                content_type=source.content_type,
                metadata=source.metadata,
            )

    def delete_object(self, bucket: str, key: str) -> None:
        self.request("DELETE", self.object_url(bucket, key))

    def iter_objects(
        self, bucket: str, *, prefix: str = "", page_size: int = wire.PAGE_LIMIT_MAX
    ) -> Iterator[ObjectInfo]:
        """Every object whose key starts with ``prefix``, in key order, page after page."""
        path = f"{repo_path(bucket, RepoType.BUCKET)}/objects"
        for page in self.pages(path, {"prefix": prefix, "limit": page_size}):
            yield from (ObjectInfo.from_json(o) for o in page["objects"])

    def list_objects(
        self, bucket: str, *, prefix: str = "", delimiter: str | None = None
    ) -> ObjectListing:
        """The whole listing under ``prefix``; with ``delimiter`` the keys that go on past it
        are rolled up into ``common_prefixes``, as in S3."""
        path = f"{repo_path(bucket, RepoType.BUCKET)}/objects"
        objects: list[ObjectInfo] = []
        prefixes: list[str] = []
        for page in self.pages(
            path, {"prefix": prefix, "delimiter": delimiter, "limit": wire.PAGE_LIMIT_MAX}
        ):
            objects.extend(ObjectInfo.from_json(o) for o in page["objects"])
            prefixes.extend(page["common_prefixes"])
        return ObjectListing(tuple(objects), tuple(prefixes))


def _joined_etag(etag: str | None) -> str:
    """The ``<MD5 of the parts' MD5s>-<parts>`` a joined object's ETag header carries (such an
    object has no MD5 header), unquoted; ``""`` for any other tag."""
    value = (etag or "").strip().removeprefix("W/").strip('"').lower()
    digest, dash, parts = value.partition("-")
    hexadecimal = all(c in "0123456789abcdef" for c in digest)
    return value if dash and parts.isdigit() and len(digest) == 32 and hexadecimal else ""


def _object_from_headers(key: str, headers: httpx.Headers) -> ObjectInfo:
    modified = headers.get("last-modified")
    return ObjectInfo(
        key=key,
        size=int(headers.get("content-length", "0")),
        sha256=headers.get(wire.SHA256_HEADER) or etag_sha256(headers.get("etag")),
        etag=headers.get(wire.MD5_HEADER) or _joined_etag(headers.get("etag")),
        content_type=headers.get("content-type", wire.OCTET_STREAM),
        modified_at=parsedate_to_datetime(modified) if modified else None,
        metadata={
            name[len(_META) :]: value
            for name, value in headers.items()
            if name.lower().startswith(_META)
        },
    )
