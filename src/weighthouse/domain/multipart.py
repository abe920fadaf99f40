"""Multipart uploads: an object sent as numbered parts, then assembled at once.

Each part streams into the blob store like any upload (hashed while written, durable before
its row is recorded) and is referenced by its upload's row until the upload ends, so the
garbage collector keeps it. Completing writes no byte: the object of two or more parts is
joined (see :class:`~weighthouse.domain.model.ManifestPart`), its bytes the chosen parts'
blobs in order. In one catalog transaction the completion claims the upload, records the
manifest and stores the object, deciding any ``If-None-Match: *`` / ``If-Match`` there: of
racing completions exactly one wins, and a crash leaves the old object or the new one. The
object's manifest then keeps the chosen parts' blobs; those of parts not chosen become
unreferenced and go with the next garbage collection after the grace period.

A joined object's whole-content SHA-256 and MD5 are never computed (that would read every
byte again): its ``sha256`` is its manifest id, its ``md5`` empty, and its ETag S3's
``<MD5 of the parts' MD5s>-<number of parts>``.

An upload belongs to the user who started it: only they may add parts, list, complete or
abort it. Upload ids are 192 random bits.
"""

from __future__ import annotations

import hashlib
import itertools
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from weighthouse.domain.access import Principal
from weighthouse.domain.access_lists import OwnerCatalog, new_object_acl
from weighthouse.domain.acls import AclRequest
from weighthouse.domain.bucket_configurations_catalog import BucketConfigurationCatalog
from weighthouse.domain.buckets import (
    PREFIX_END,
    PutConditions,
    check_checksums,
    check_content_headers,
    check_content_type,
    check_metadata,
    common_prefix,
)
from weighthouse.domain.catalog import MultipartCatalog, ObjectCatalog, UnitOfWork
from weighthouse.domain.encryption import (
    DEFAULT_ENCRYPTION,
    CustomerKey,
    EncryptionRequest,
    ObjectEncryption,
    default_request,
    storing,
)
from weighthouse.domain.errors import (
    EncryptionParametersError,
    EntryNotFoundError,
    InvalidInputError,
    InvalidPartError,
    ObjectLockNotEnabledError,
    PartOrderError,
    PartTooSmallError,
    PermissionDeniedError,
    PreconditionFailedError,
    TooLargeError,
    UploadNotFoundError,
)
from weighthouse.domain.model import (
    BucketObject,
    ManifestPart,
    MultipartUpload,
    Repo,
    RepoId,
    Role,
    UploadedPart,
    manifest_id,
)
from weighthouse.domain.names import check_key, check_prefix
from weighthouse.domain.object_lock import Retention, check_retention, require_integrity_check
from weighthouse.domain.object_lock_catalog import ObjectLockCatalog
from weighthouse.domain.ports import BlobStore, Clock
from weighthouse.domain.repos import RepoLookup, find_bucket
from weighthouse.domain.space import DiskRoom, NoDiskRoom, freeing_room
from weighthouse.domain.tagging import check_tags

MIN_PART_SIZE = 5 * 2**20
"""Every part but the last must hold at least this many bytes (S3's rule)."""
MAX_PART_SIZE = 5 * 2**30
MAX_PART_NUMBER = 10_000
_PAGE = 1000


@dataclass(frozen=True)
class ChosenPart:
    """A part as the completion names it: its number, and optionally the ETag (its MD5) and
    checksum the client was given for it, which must match the stored part."""

    number: int
    md5: str | None = None
    checksum: str | None = None


@dataclass(frozen=True)
class UploadListing:
    """A page of open uploads with the common prefixes they rolled up into. ``last`` is the
    (key or prefix, upload id or "") to continue after, when ``truncated``."""

    uploads: tuple[MultipartUpload, ...]
    prefixes: tuple[str, ...]
    truncated: bool
    last: tuple[str, str] | None


class UploadsCatalog(
    RepoLookup,
    ObjectCatalog,
    MultipartCatalog,
    ObjectLockCatalog,
    OwnerCatalog,
    UnitOfWork,
    BucketConfigurationCatalog,
    Protocol,
):
    """What :class:`MultipartUploads` uses."""


class MultipartUploads:
    def __init__(
        self,
        catalog: UploadsCatalog,
        blobs: BlobStore,
        clock: Clock,
        *,
        max_object_bytes: int,
        room: DiskRoom | None = None,
        encryption: ObjectEncryption | None = None,
    ) -> None:
        self._encryption = encryption
        self._catalog = catalog
        self._blobs = blobs
        self._clock = clock
        self._max_object_bytes = max_object_bytes
        self._room = room or NoDiskRoom()

    def _bucket(self, principal: Principal, bucket: RepoId) -> str:
        return self._bucket_repo(principal, bucket).id

    def _bucket_repo(self, principal: Principal, bucket: RepoId) -> Repo:
        return find_bucket(self._catalog, principal, bucket, Role.WRITE)

    def _open(
        self, principal: Principal, bucket: RepoId, key: str, upload_id: str
    ) -> MultipartUpload:
        """The open upload ``upload_id`` of ``key``, if the caller started it."""
        repo_id = self._bucket(principal, bucket)
        check_key(key)
        if not _well_formed_id(upload_id):
            raise UploadNotFoundError("no such upload", upload_id=upload_id[:64])
        upload = self._catalog.get_upload(upload_id)
        if upload.repo_id != repo_id or upload.key != key:
            raise UploadNotFoundError("no such upload", upload_id=upload_id)
        if principal.user is None or upload.initiator_id != principal.user.id:
            raise PermissionDeniedError("this upload was started by another user")
        return upload

    def create(
        self,
        principal: Principal,
        bucket: RepoId,
        key: str,
        *,
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
        checksum_algorithm: str = "",
        checksum_type: str = "",
        content_headers: Mapping[str, str] | None = None,
        tags: Iterable[tuple[str, str]] = (),
        acl: AclRequest | None = None,
        encryption: EncryptionRequest | None = None,
        retention: Retention | None = None,
        legal_hold: bool | None = None,
    ) -> MultipartUpload:
        """Start an upload of ``key``; needs write access to the bucket. The object will carry
        ``content_type``, ``metadata``, ``content_headers``, ``tags`` (checked here:
        ``InvalidTagError``), the ACL ``acl`` asks for (checked here too), and the object lock
        ``retention`` and ``legal_hold`` (checked as :meth:`Buckets.put` checks them). Its
        parts are encrypted as ``encryption`` asks, else as the bucket's default encryption
        does, if it has one; for a customer's key every part must carry the same key."""
        repo = self._bucket_repo(principal, bucket)
        repo_id = repo.id
        check_key(key)
        if retention is not None or legal_hold is not None:
            if self._catalog.bucket_object_lock(repo_id) is None:
                raise ObjectLockNotEnabledError(
                    "the bucket is missing an object lock configuration", repo_id=repo_id
                )
            if retention is not None:
                retention = check_retention(retention, self._clock())
        if principal.user is None:
            raise PermissionDeniedError("anonymous users cannot upload")
        object_acl = new_object_acl(self._catalog, principal, repo, acl)
        request = encryption or default_request(
            self._catalog.get_bucket_configuration(
                repo_id, DEFAULT_ENCRYPTION, revision=repo.configuration_revision
            )
        )
        started = None
        if request is not None:
            started, _ = self._encryptor().start(request, repo_id, key)
        upload = MultipartUpload(
            id=secrets.token_hex(24),
            repo_id=repo_id,
            key=key,
            initiator_id=principal.user.id,
            created_at=self._clock(),
            content_type=check_content_type(content_type),
            metadata=check_metadata(metadata or {}),
            checksum_algorithm=checksum_algorithm,
            checksum_type=checksum_type,
            content_headers=check_content_headers(content_headers or {}),
            tags=check_tags(tags),
            acl=object_acl,
            encryption=started,
            retention=retention,
            legal_hold=legal_hold,
        )
        self._catalog.add_upload(upload)
        return upload

    def _encryptor(self) -> ObjectEncryption:
        if self._encryption is None:
            raise EncryptionParametersError("server-side encryption is not available here")
        return self._encryption

    def upload(
        self, principal: Principal, bucket: RepoId, key: str, upload_id: str
    ) -> MultipartUpload:
        """The open upload, after the same checks as every call on it."""
        return self._open(principal, bucket, key, upload_id)

    def upload_part(
        self,
        principal: Principal,
        bucket: RepoId,
        key: str,
        upload_id: str,
        number: int,
        chunks: Iterable[bytes],
        *,
        size: int | None = None,
        sha256: str | None = None,
        md5: str | None = None,
        checksum: Callable[[], str] | None = None,
        customer_key: CustomerKey | None = None,
        integrity_checked: bool = True,
    ) -> UploadedPart:
        """Store part ``number`` (1 to 10,000), replacing an earlier one of that number.
        Without ``integrity_checked`` (no digest of the part's bytes came with it), a part of
        an upload whose object gets a lock is ``IntegrityCheckRequiredError``, as S3 requires.
        ``checksum`` is called once every byte was read (and verified by whoever wraps
        ``chunks``) for the value to record. A declared ``size``, ``sha256`` or ``md5`` that
        does not match raises ``DigestMismatchError`` and nothing changes."""
        if not 1 <= number <= MAX_PART_NUMBER:
            raise InvalidInputError(f"part numbers run from 1 to {MAX_PART_NUMBER}")
        if size is not None and size > MAX_PART_SIZE:
            raise TooLargeError(f"a part holds at most {MAX_PART_SIZE} bytes")
        upload = self._open(principal, bucket, key, upload_id)
        if not integrity_checked:
            require_integrity_check(
                self._catalog.bucket_object_lock(upload.repo_id),
                upload.retention,
                upload.legal_hold,
                "Put Part",
            )
        data_key = None
        if upload.encryption is not None:
            data_key = self._encryptor().data_key(
                upload.encryption, customer_key, upload.repo_id, key, reading=False
            )
        elif customer_key is not None:
            raise EncryptionParametersError(
                "The upload was not started with a customer-provided key"
            )
        with storing(
            self._blobs,
            chunks,
            size=size,
            sha256=sha256,
            key=key,
            encryption=self._encryption,
            data_key=data_key,
            customer=upload.encryption is not None and upload.encryption.customer,
        ) as stored:
            if md5 is not None and md5.lower() != stored.md5:
                raise InvalidInputError("the part does not match the declared MD5")
            if stored.size > MAX_PART_SIZE:
                raise TooLargeError(f"a part holds at most {MAX_PART_SIZE} bytes")
            part = UploadedPart(
                number=number,
                sha256=stored.sha256,
                size=stored.size,
                md5=stored.etag,
                modified_at=self._clock(),
                checksum=checksum() if checksum is not None else "",
                iv=stored.iv,
            )
            self._catalog.put_part(upload_id, part)
        return part

    def parts(
        self,
        principal: Principal,
        bucket: RepoId,
        key: str,
        upload_id: str,
        *,
        after: int = 0,
        limit: int = _PAGE,
    ) -> tuple[MultipartUpload, list[UploadedPart]]:
        """The upload and up to ``limit`` of its parts numbered above ``after``."""
        _check_limit(limit)
        upload = self._open(principal, bucket, key, upload_id)
        return upload, self._catalog.list_parts(upload_id, max(after, 0), limit)

    def uploads(
        self,
        principal: Principal,
        bucket: RepoId,
        *,
        prefix: str = "",
        after: tuple[str, str] | None = None,
        limit: int = _PAGE,
    ) -> list[MultipartUpload]:
        """Open uploads of the bucket (needs write access), by key then id, after
        ``(key, upload id)``."""
        _check_limit(limit)
        repo_id = self._bucket(principal, bucket)
        check_prefix(prefix)
        position = (after[0].encode("utf-8"), after[1]) if after is not None else None
        return self._catalog.list_uploads(repo_id, prefix, position, limit)

    def listing(
        self,
        principal: Principal,
        bucket: RepoId,
        *,
        prefix: str = "",
        delimiter: str | None = None,
        after: tuple[str, str] | None = None,
        limit: int = _PAGE,
    ) -> UploadListing:
        """As :meth:`uploads`, but uploads whose key continues past ``prefix`` with
        ``delimiter`` roll up into one common prefix each, counted in ``limit`` like an upload
        (as S3's ListMultipartUploads does). An ``after`` key inside a rolled-up prefix
        continues past the whole prefix."""
        _check_limit(limit)
        repo_id = self._bucket(principal, bucket)
        check_prefix(prefix)
        if delimiter is not None and not 1 <= len(delimiter.encode("utf-8")) <= 16:
            raise InvalidInputError("delimiter must be 1 to 16 bytes")
        position = None
        if after is not None:
            rolled = (
                common_prefix(after[0], prefix, delimiter) if after[0].startswith(prefix) else None
            )
            position = (
                (rolled.encode("utf-8") + PREFIX_END, "")
                if rolled is not None
                else (after[0].encode("utf-8"), after[1])
            )
        uploads: list[MultipartUpload] = []
        prefixes: list[str] = []
        last: tuple[str, str] | None = None
        while len(uploads) + len(prefixes) < limit:
            wanted = limit - len(uploads) - len(prefixes)
            batch = self._catalog.list_uploads(repo_id, prefix, position, wanted)
            if not batch:
                return UploadListing(tuple(uploads), tuple(prefixes), False, last)
            for upload in batch:
                common = common_prefix(upload.key, prefix, delimiter)
                if common is None:
                    uploads.append(upload)
                    position = (upload.key.encode("utf-8"), upload.id)
                    last = (upload.key, upload.id)
                    continue
                prefixes.append(common)
                position = (common.encode("utf-8") + PREFIX_END, "")
                last = (common, "")
                break  # re-query past the whole common prefix
        more = bool(self._catalog.list_uploads(repo_id, prefix, position, 1))
        return UploadListing(tuple(uploads), tuple(prefixes), more, last)

    def abort(self, principal: Principal, bucket: RepoId, key: str, upload_id: str) -> None:
        """End the upload without an object; its parts go with the next garbage collection."""
        self._open(principal, bucket, key, upload_id)
        freeing_room(self._room, lambda: self._catalog.end_upload(upload_id))

    def complete(
        self,
        principal: Principal,
        bucket: RepoId,
        key: str,
        upload_id: str,
        chosen: Sequence[ChosenPart],
        *,
        conditions: PutConditions | None = None,
        checksums: Callable[[Sequence[UploadedPart]], Mapping[str, str]] | None = None,
    ) -> tuple[BucketObject, list[UploadedPart]]:
        """Assemble the chosen parts, in the order given (which must be ascending), into the
        object at ``key``, and end the upload. Raises ``InvalidPartError`` for a part not
        uploaded or not matching, ``PartOrderError``, ``PartTooSmallError`` for a part
        before the last under :data:`MIN_PART_SIZE`, ``PreconditionFailedError`` as
        :meth:`~weighthouse.domain.buckets.Buckets.put` does, and ``UploadNotFoundError``
        when another completion won; in every case nothing changes. ``checksums`` gives, from
        the chosen parts, the whole object's checksums to store with it (only values that hold
        for the whole object, as a front-end derives them from the parts' verified ones)."""
        upload = self._open(principal, bucket, key, upload_id)
        parts = self._choose(upload_id, chosen)
        total = sum(part.size for part in parts)
        if total > self._max_object_bytes:
            raise TooLargeError(f"an object holds at most {self._max_object_bytes} bytes")
        expected = self._check_conditions(upload, conditions)
        parts_md5 = hashlib.md5(
            b"".join(bytes.fromhex(part.md5) for part in parts), usedforsecurity=False
        ).hexdigest()
        verified = check_checksums(checksums(parts) if checksums is not None else {})

        manifest = [ManifestPart(sha256=part.sha256, size=part.size) for part in parts]
        encryption = upload.encryption
        if encryption is not None:
            if not all(part.iv for part in parts):
                raise InvalidPartError("a part of an encrypted upload was stored in the clear")
            if len(parts) == 1:
                encryption = replace(encryption, iv=parts[0].iv)
            else:
                encryption = replace(encryption, part_ivs=tuple(part.iv for part in parts))

        def commit(sha256: str, md5: str) -> BucketObject:
            obj = BucketObject(
                key=key,
                sha256=sha256,
                size=total,
                md5=md5,
                content_type=upload.content_type,
                modified_at=self._clock(),
                metadata=upload.metadata,
                content_headers=upload.content_headers,
                checksums=verified,
                part_sizes=tuple(part.size for part in parts),
                parts_md5=parts_md5,
                tags=upload.tags,
                acl=upload.acl,
                encryption=encryption,
                retention=upload.retention,
                legal_hold=upload.legal_hold,
            )

            def claim_and_store() -> str:
                self._catalog.end_upload(upload_id)
                if obj.joined:
                    self._catalog.put_manifest(sha256, manifest, obj.modified_at)
                return self._catalog.put_object(
                    upload.repo_id,
                    obj,
                    if_none_match=conditions is not None and conditions.create_only,
                    if_match=expected,
                )

            return replace(obj, version_id=self._catalog.run_atomic(claim_and_store))

        if len(parts) == 1:
            # One part is already the whole object, with its digests.
            return commit(parts[0].sha256, parts[0].md5), parts
        return commit(manifest_id(manifest), ""), parts

    def _choose(self, upload_id: str, chosen: Sequence[ChosenPart]) -> list[UploadedPart]:
        if not chosen:
            raise InvalidPartError("name at least one part")
        for before, after in itertools.pairwise(chosen):
            if after.number <= before.number:
                raise PartOrderError("list the parts in ascending order of their numbers")
        stored = {part.number: part for part in self._all_parts(upload_id)}
        parts = []
        for choice in chosen:
            part = stored.get(choice.number)
            if (
                part is None
                or (choice.md5 is not None and choice.md5.lower() != part.md5)
                or (
                    choice.checksum is not None
                    and part.checksum
                    and choice.checksum != part.checksum
                )
            ):
                raise InvalidPartError(
                    f"part {choice.number} was not uploaded, or its ETag or checksum differs",
                    part=choice.number,
                )
            parts.append(part)
        for part in parts[:-1]:
            if part.size < MIN_PART_SIZE:
                raise PartTooSmallError(
                    f"part {part.number} is smaller than {MIN_PART_SIZE} bytes and not the last",
                    part=part.number,
                )
        return parts

    def _all_parts(self, upload_id: str) -> Iterator[UploadedPart]:
        after = 0
        while True:
            batch = self._catalog.list_parts(upload_id, after, _PAGE)
            yield from batch
            if len(batch) < _PAGE:
                return
            after = batch[-1].number

    def _check_conditions(
        self, upload: MultipartUpload, conditions: PutConditions | None
    ) -> str | None:
        """The early, advisory check (the catalog's write decides); the SHA-256 ``If-Match``
        names."""
        if conditions is None or not conditions.asked:
            return None
        if conditions.create_only and conditions.if_match is not None:
            raise PreconditionFailedError("If-None-Match: * and If-Match cannot both hold")
        expected = conditions.expected_sha256()
        try:
            current: BucketObject | None = self._catalog.get_object(upload.repo_id, upload.key)
        except EntryNotFoundError:
            current = None
        if conditions.create_only and current is not None:
            raise PreconditionFailedError(f"{upload.key!r} already exists", key=upload.key)
        if expected is not None and (current is None or current.sha256 != expected):
            raise PreconditionFailedError(f"{upload.key!r} does not match If-Match", key=upload.key)
        return expected

    def prune(self, before: datetime) -> int:
        """Remove uploads started before ``before``; see :meth:`MultipartCatalog.prune_uploads`."""
        return freeing_room(self._room, lambda: self._catalog.prune_uploads(before))


def _well_formed_id(upload_id: str) -> bool:
    return len(upload_id) == 48 and all(c in "0123456789abcdef" for c in upload_id)


def _check_limit(limit: int) -> None:
    # One more than a page, so a caller can tell whether a page is the last.
    if not 1 <= limit <= _PAGE + 1:
        raise InvalidInputError(f"limit must be between 1 and {_PAGE + 1}")
