"""Buckets: mutable object stores with the S3 model.

A PUT streams the body into the blob store (durable) and then replaces the key's row in one
catalog transaction, so readers see the old object or the new one, never a torn one; the last
writer wins. A conditional PUT (``If-None-Match: *``, ``If-Match``) is decided by the catalog in
that same write, as a compare-and-swap, so of racing conditional writers exactly one wins.
Listing runs in UTF-8 byte order with an optional prefix and delimiter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Protocol

from weighthouse.domain.access import (
    Principal,
    may_bypass_governance,
    require_object_permission,
)
from weighthouse.domain.access_lists import OwnerCatalog, find_version_for, new_object_acl
from weighthouse.domain.acls import AclRequest, Permission
from weighthouse.domain.bucket_configurations_catalog import BucketConfigurationCatalog
from weighthouse.domain.catalog import ObjectCatalog
from weighthouse.domain.encryption import (
    DEFAULT_ENCRYPTION,
    CustomerKey,
    EncryptionRequest,
    ObjectEncryption,
    decryption_of,
    default_request,
    part_opener,
    storing,
)
from weighthouse.domain.errors import (
    BlobMissingError,
    DigestMismatchError,
    EncryptionParametersError,
    EntryNotFoundError,
    InvalidInputError,
    ObjectLockedError,
    ObjectLockNotEnabledError,
    PreconditionFailedError,
    RepoNotFoundError,
    VersionNotFoundError,
)
from weighthouse.domain.files import Download, open_download
from weighthouse.domain.joined import JoinedReader
from weighthouse.domain.model import (
    CONTENT_HEADERS,
    MANIFEST_PREFIX,
    BucketObject,
    ObjectListing,
    Repo,
    RepoId,
    RepoType,
    Role,
    is_manifest_id,
)
from weighthouse.domain.names import check_key, check_name, check_prefix
from weighthouse.domain.object_lock import Retention, check_retention, require_integrity_check
from weighthouse.domain.object_lock_catalog import ObjectLockCatalog
from weighthouse.domain.object_versions import (
    Deletion,
    ObjectVersion,
    ObjectVersionCatalog,
    Versioning,
    VersionListing,
    VersionPosition,
    check_version_id,
    find_object_version,
    version_position,
)
from weighthouse.domain.paging import check_limit
from weighthouse.domain.ports import BlobReader, BlobStore, Clock
from weighthouse.domain.repos import RepoLookup, find_bucket, require_bucket
from weighthouse.domain.space import DiskRoom, NoDiskRoom, freeing_room
from weighthouse.domain.tagging import check_tags

METADATA_MAX_BYTES = 2048
CONTENT_TYPE_MAX = 255
CONTENT_HEADER_MAX = 1024
CHECKSUM_NAME_MAX = 16
CHECKSUM_VALUE_MAX = 128
PREFIX_END = b"\xff"  # never occurs in UTF-8, so it sorts after every key with the prefix
NEWEST = 2**63 - 1  # a position above every version's: from the newest version of a key


@dataclass(frozen=True)
class Fetched:
    """An object a caller may read (see :meth:`Buckets.fetch`): its bucket as read with it,
    the object, and what opens its bytes."""

    bucket: Repo
    object: BucketObject
    download: Download


@dataclass(frozen=True)
class PutConditions:
    """Optional preconditions of a PUT, as the headers carried them: ``if_none_match='*'``
    creates only; ``if_match`` (an ETag, the SHA-256, quoted or not) replaces only the object
    with that SHA-256. Other ``If-None-Match`` values are ignored."""

    if_none_match: str | None = None
    if_match: str | None = None

    @property
    def create_only(self) -> bool:
        return self.if_none_match is not None and self.if_none_match.strip() == "*"

    @property
    def asked(self) -> bool:
        """Whether any precondition applies; without one a PUT does no precondition work."""
        return self.create_only or self.if_match is not None

    def expected_sha256(self) -> str | None:
        """The SHA-256 (or a joined object's manifest id) ``if_match`` names;
        ``PreconditionFailedError`` when it cannot name one (then no stored object can match
        it)."""
        if self.if_match is None:
            return None
        value = self.if_match.strip()
        value = value.removeprefix("W/").strip('"').lower()
        digits = value.removeprefix(MANIFEST_PREFIX)
        if len(value) != 64 or not all(c in "0123456789abcdef" for c in digits):
            raise PreconditionFailedError("If-Match names no object this server stores")
        return value


class BucketCatalog(
    RepoLookup,
    ObjectCatalog,
    ObjectVersionCatalog,
    ObjectLockCatalog,
    OwnerCatalog,
    BucketConfigurationCatalog,
    Protocol,
):
    """What :class:`Buckets` uses: finding a bucket with the caller's access, its objects and
    their versions and locks, its owner and the users an object's ACL grants, and its default
    encryption."""


class Buckets:
    def __init__(
        self,
        catalog: BucketCatalog,
        blobs: BlobStore,
        clock: Clock,
        *,
        room: DiskRoom | None = None,
        encryption: ObjectEncryption | None = None,
    ) -> None:
        self._room = room or NoDiskRoom()
        self._encryption = encryption
        self._catalog = catalog
        self._blobs = blobs
        self._clock = clock

    def _bucket(
        self, principal: Principal, bucket: RepoId, *, write: bool = False, need: Role | None = None
    ) -> str:
        return self._bucket_repo(principal, bucket, write=write, need=need).id

    def _bucket_repo(
        self, principal: Principal, bucket: RepoId, *, write: bool = False, need: Role | None = None
    ) -> Repo:
        role = need or (Role.WRITE if write else Role.READ)
        return find_bucket(self._catalog, principal, bucket, role)

    def put(
        self,
        principal: Principal,
        bucket: RepoId,
        key: str,
        chunks: Iterable[bytes],
        *,
        size: int | None = None,
        sha256: str | None = None,
        md5: str | None = None,
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
        content_headers: Mapping[str, str] | None = None,
        checksums: Callable[[], Mapping[str, str]] | None = None,
        conditions: PutConditions | None = None,
        tags: Iterable[tuple[str, str]] = (),
        acl: AclRequest | None = None,
        encryption: EncryptionRequest | None = None,
        retention: Retention | None = None,
        legal_hold: bool | None = None,
        integrity_checked: bool = True,
    ) -> BucketObject:
        """Store ``chunks`` at ``key``. Access, key and metadata are checked before any byte is
        read. A declared ``size``, ``sha256`` or ``md5`` that does not match raises
        ``DigestMismatchError`` and nothing changes.

        With ``conditions``, raises ``PreconditionFailedError`` when they do not hold: checked
        once before the upload (so a body that would be refused is not read) and decided by the
        catalog's compare-and-swap when the object is stored. Both ``If-None-Match: *`` and
        ``If-Match`` together can never hold and fail at once.

        ``content_headers`` are stored and served with the object (names from
        :data:`CONTENT_HEADERS`). ``checksums`` is called once the last chunk has been read,
        so a front-end may take its values from a trailer: it must return only checksums the
        front-end verified over ``chunks``; they are stored with the object. ``tags`` (key,
        value) become the object's tag set, checked first (``InvalidTagError``); ``acl`` is the
        ACL the write asks for (see :func:`~weighthouse.domain.access_lists.new_object_acl`),
        checked first too. ``retention`` and ``legal_hold`` are the new version's object lock
        (``ObjectLockNotEnabledError`` in a bucket without one, ``InvalidInputError`` for a
        date not in the future); without ``retention`` it gets the bucket's default one.
        Without ``integrity_checked`` (the request carried no digest of its bytes) a locked
        new version is ``IntegrityCheckRequiredError``, as S3 requires.

        ``encryption`` encrypts the bytes at rest (see :mod:`~weighthouse.domain.encryption`);
        without it the bucket's default encryption applies, if it has one. The object's
        ``md5`` (its ETag) is then the plaintext's, but for a customer's key the
        ciphertext's, as S3's ETag of such an object is no digest of its content."""
        repo = self._bucket_repo(principal, bucket, write=True)
        repo_id = repo.id
        check_key(key)
        retention = self.check_lock(repo_id, retention, legal_hold)
        if not integrity_checked:
            require_integrity_check(
                self._catalog.bucket_object_lock(repo_id), retention, legal_hold, "Put Object"
            )
        meta = check_metadata(metadata or {})
        ctype = check_content_type(content_type)
        headers = check_content_headers(content_headers or {})
        tag_set = check_tags(tags)
        object_acl = new_object_acl(self._catalog, principal, repo, acl)
        if conditions is not None and not conditions.asked:
            conditions = None
        expected: str | None = None
        if conditions is not None:
            if conditions.create_only and conditions.if_match is not None:
                raise PreconditionFailedError(
                    "If-None-Match: * and If-Match cannot both hold", key=key
                )
            expected = conditions.expected_sha256()
            self._check_conditions(repo_id, key, conditions.create_only, expected)
        request = encryption or default_request(
            self._catalog.get_bucket_configuration(
                repo_id, DEFAULT_ENCRYPTION, revision=repo.configuration_revision
            )
        )
        started, data_key = None, None
        if request is not None:
            started, data_key = self._encryptor().start(request, repo_id, key)
        with storing(
            self._blobs,
            chunks,
            size=size,
            sha256=sha256,
            key=key,
            encryption=self._encryption,
            data_key=data_key,
            customer=started is not None and started.customer,
        ) as stored:
            if md5 is not None and md5.lower() != stored.md5:
                raise DigestMismatchError("the body does not match the declared MD5", key=key)
            verified = check_checksums(checksums() if checksums is not None else {})
            obj = BucketObject(
                key=key,
                sha256=stored.sha256,
                size=stored.size,
                md5=stored.etag,
                content_type=ctype,
                modified_at=self._clock(),
                metadata=meta,
                content_headers=headers,
                checksums=verified,
                tags=tag_set,
                acl=object_acl,
                encryption=None if started is None else replace(started, iv=stored.iv),
                retention=retention,
                legal_hold=legal_hold,
            )
            # The decision: another writer may have changed the key during the upload. The
            # blob of a refused body stays unreferenced until the garbage collector's grace
            # period ends; one the catalog failed to record (a full disk) goes at once.
            version_id = self._catalog.put_object(
                repo_id,
                obj,
                if_none_match=conditions is not None and conditions.create_only,
                if_match=expected,
            )
        return replace(obj, version_id=version_id)

    def _encryptor(self) -> ObjectEncryption:
        if self._encryption is None:
            raise EncryptionParametersError("server-side encryption is not available here")
        return self._encryption

    def check_lock(
        self, repo_id: str, retention: Retention | None, legal_hold: bool | None
    ) -> Retention | None:
        """The object lock a write asks for, checked: ``ObjectLockNotEnabledError`` when it
        asks for one in a bucket without object lock, ``InvalidInputError`` for a past date."""
        if retention is None and legal_hold is None:
            return None
        if self._catalog.bucket_object_lock(repo_id) is None:
            raise ObjectLockNotEnabledError(
                "the bucket is missing an object lock configuration", repo_id=repo_id
            )
        return None if retention is None else check_retention(retention, self._clock())

    def _check_conditions(
        self, repo_id: str, key: str, create_only: bool, expected: str | None
    ) -> None:
        """The early, advisory check; the catalog's write decides."""
        current = self._head(repo_id, key)
        if create_only and current is not None:
            raise PreconditionFailedError(f"{key!r} already exists", key=key)
        if expected is not None and (current is None or current.sha256 != expected):
            raise PreconditionFailedError(f"{key!r} does not match If-Match", key=key)

    def _head(self, repo_id: str, key: str) -> BucketObject | None:
        try:
            return self._catalog.get_object(repo_id, key)
        except EntryNotFoundError:
            return None

    def check_writable(self, principal: Principal, bucket: RepoId) -> None:
        """Raise as :meth:`put` would unless ``principal`` may write to ``bucket``; for
        requests that change nothing but must be refused to whoever could not make a change."""
        self._bucket(principal, bucket, write=True)

    def head(
        self, principal: Principal, bucket: RepoId, key: str, *, version_id: str | None = None
    ) -> BucketObject:
        """The object at ``key``, after the same access checks as every bucket call, with the
        bucket and the object read in one catalog statement. When the key's latest version is
        a delete marker, the ``EntryNotFoundError`` names it (field ``delete_marker``).

        With ``version_id``, that version of the key instead: ``InvalidInputError`` for an id
        no version can have, ``VersionNotFoundError`` when the key has none of that id,
        ``DeleteMarkerError`` when it is a delete marker (all after the access checks, which
        that version's ACL decides, as the latest's does without ``version_id``)."""
        return self._find(principal, bucket, key, version_id)[1]

    def _find(
        self, principal: Principal, bucket: RepoId, key: str, version_id: str | None
    ) -> tuple[Repo, BucketObject]:
        """:meth:`head`, and the bucket as read with it."""
        if version_id is not None:
            return find_version_for(
                self._catalog, principal, bucket, key, version_id, Permission.READ
            )
        if bucket.type is not RepoType.BUCKET:
            raise InvalidInputError("not a bucket id")
        try:
            check_key(key)
        except InvalidInputError:
            self._bucket(principal, bucket)  # the access answer comes first, as for any call
            raise
        check_name(bucket.namespace, what="namespace")
        check_name(bucket.name, what="repo name")
        try:
            repo, obj = self._catalog.find_object(bucket.type, bucket.namespace, bucket.name, key)
        except RepoNotFoundError:
            # Rebuilt, as find_repo does: a missing bucket reads like a private one.
            raise RepoNotFoundError.named(f"{bucket.namespace}/{bucket.name}") from None
        require_bucket(repo)
        tags = obj.tags if obj is not None else {}
        acl = obj.acl if obj is not None else None
        require_object_permission(
            self._catalog, principal, repo, acl, Permission.READ, tags=lambda: tags
        )
        if obj is None:
            raise self._missing(repo.id, key)
        return repo, obj

    def _missing(self, repo_id: str, key: str) -> EntryNotFoundError:
        """The error for a key with no latest object, naming the delete marker hiding it."""
        if self._catalog.bucket_versioning(repo_id) is not None:
            # The key sorts first among the keys it prefixes, its newest version first.
            found = self._catalog.list_object_versions(repo_id, key, None, 1)
            if found and found[0].key == key and found[0].latest and found[0].delete_marker:
                return EntryNotFoundError(
                    f"no object {key!r}", key=key, delete_marker=found[0].version_id
                )
        return EntryNotFoundError(f"no object {key!r}", key=key)

    def _version(
        self, principal: Principal, bucket: RepoId, key: str, version_id: str
    ) -> BucketObject:
        repo_id = self._bucket(principal, bucket)
        return find_object_version(self._catalog, repo_id, check_key(key), version_id)

    def set_tags(
        self,
        principal: Principal,
        bucket: RepoId,
        key: str,
        tags: Iterable[tuple[str, str]],
        *,
        version_id: str | None = None,
    ) -> dict[str, str]:
        """Replace the tag set of the object at ``key`` (none removes it), or of its version
        ``version_id``; needs write access, as writing the object does. Raises
        ``InvalidTagError``, ``EntryNotFoundError``, and for a version what :meth:`head`
        raises."""
        repo_id = self._bucket(principal, bucket, write=True)
        key = check_key(key)
        tag_set = check_tags(tags)
        if version_id is not None:
            self._version(principal, bucket, key, version_id)
            if not self._catalog.set_object_version_tags(repo_id, key, version_id, tag_set):
                raise VersionNotFoundError(
                    f"no version {version_id!r} of {key!r}", key=key, version_id=version_id
                )
            return tag_set
        if not self._catalog.set_object_tags(repo_id, key, tag_set):
            raise self._missing(repo_id, key)
        return tag_set

    def download(
        self,
        principal: Principal,
        bucket: RepoId,
        key: str,
        *,
        version_id: str | None = None,
        customer_key: CustomerKey | None = None,
    ) -> tuple[BucketObject, Download]:
        """The object, as :meth:`head` finds it, and what :meth:`reader` opens: :meth:`fetch`
        without the bucket."""
        found = self.fetch(principal, bucket, key, version_id=version_id, customer_key=customer_key)
        return found.object, found.download

    def fetch(
        self,
        principal: Principal,
        bucket: RepoId,
        key: str,
        *,
        version_id: str | None = None,
        customer_key: CustomerKey | None = None,
    ) -> Fetched:
        """The object, as :meth:`head` finds it, what :meth:`reader` opens, and the bucket as
        read in the same statement (for what its configurations say of the object, without
        reading it again). An object encrypted with a customer's key needs ``customer_key``,
        the same one (``EncryptionParametersError`` without it, ``PermissionDeniedError`` for
        another); ``customer_key`` for any other object is ``EncryptionParametersError``."""
        repo, obj = self._find(principal, bucket, key, version_id)
        decryption = None
        if obj.encryption is not None:
            data_key = self._encryptor().data_key(obj.encryption, customer_key, repo.id, key)
            decryption = decryption_of(obj.encryption, data_key)
        elif customer_key is not None:
            raise EncryptionParametersError(
                "The encryption parameters are not applicable to this object."
            )
        download = Download(
            sha256=obj.sha256,
            size=obj.size,
            modified_at=obj.modified_at,
            name=key.rsplit("/", 1)[-1],
            content_type=obj.content_type,
            md5=obj.md5,
            decryption=decryption,
        )
        return Fetched(repo, obj, download)

    def reader(self, download: Download) -> BlobReader:
        """The bytes of an object :meth:`download` returned; see
        :func:`~weighthouse.domain.files.open_download`. A joined object's parts are read
        through its manifest, which must add up to the object's size (``BlobMissingError``
        otherwise, and when the manifest or a part's blob is missing)."""
        decryption = download.decryption
        if not is_manifest_id(download.sha256):
            raw = open_download(self._blobs, download)
            if decryption is None:
                return raw
            return self._encryptor().reader(decryption, raw, decryption.iv)
        parts = self._catalog.manifest(download.sha256)
        opener = None
        if decryption is not None:
            opener = part_opener(self._encryptor(), decryption, self._blobs.reader)
        reader = JoinedReader(self._blobs, parts, opener=opener)
        if reader.size != download.size:
            raise BlobMissingError(
                f"manifest {download.sha256} has {reader.size} bytes, the object {download.size}",
                sha256=download.sha256,
            )
        return reader

    def delete(
        self, principal: Principal, bucket: RepoId, key: str, *, if_sha256: str | None = None
    ) -> Deletion:
        """Remove the object; raises ``EntryNotFoundError`` if there is none. With
        ``if_sha256``, only the version of that SHA-256: the catalog decides in the same write,
        so an object replaced meanwhile stays, and ``PreconditionFailedError`` is raised.

        In a bucket whose versioning is set, the object stays as an older version under a new
        delete marker, which is added even when the key holds no object (as S3 does), so
        then there is no ``EntryNotFoundError``."""
        repo_id = self._bucket(principal, bucket, write=True)
        key = check_key(key)
        deletion = freeing_room(
            self._room,
            lambda: self._catalog.delete_object(
                repo_id, key, if_sha256=if_sha256, at=self._clock()
            ),
        )
        if deletion.removed or deletion.marker is not None:
            return deletion
        if if_sha256 is not None:
            try:
                self._catalog.get_object(repo_id, key)
            except EntryNotFoundError:
                pass
            else:
                raise PreconditionFailedError(f"{key!r} was replaced", key=key)
        raise EntryNotFoundError(f"no object {key!r}", key=key)

    def delete_version(
        self,
        principal: Principal,
        bucket: RepoId,
        key: str,
        version_id: str,
        *,
        bypass_governance: bool = False,
    ) -> ObjectVersion | None:
        """Remove the version ``version_id`` of ``key`` for good (an object or a delete
        marker) and return it; ``None`` when the key has no such version (deleting one twice is
        not an error, as in S3). When it was the key's latest, the next newest version becomes
        the latest. Needs write access; ``InvalidInputError`` for an id no version can have.
        ``ObjectLockedError`` when the version is locked (see
        :mod:`~weighthouse.domain.object_lock`); ``bypass_governance`` lifts a governance
        retention only for a caller who may bypass it."""
        repo = self._bucket_repo(principal, bucket, write=True)
        key = check_key(key)
        check_version_id(version_id)

        def remove(bypass: bool) -> ObjectVersion | None:
            return freeing_room(
                self._room,
                lambda: self._catalog.delete_object_version(
                    repo.id, key, version_id, self._clock(), bypass_governance=bypass
                ),
            )

        # Whether the caller may bypass is asked only of a locked version: emptying a bucket
        # with the bypass asked for every key (as S3 tools do) costs no policy read per key.
        try:
            return remove(False)
        except ObjectLockedError:
            if not bypass_governance or not may_bypass_governance(
                self._catalog, principal, repo, key
            ):
                raise
        return remove(True)

    def versioning(self, principal: Principal, bucket: RepoId) -> Versioning | None:
        """The bucket's versioning, ``None`` when it was never set; needs read access."""
        return self._catalog.bucket_versioning(self._bucket(principal, bucket))

    def set_versioning(self, principal: Principal, bucket: RepoId, versioning: Versioning) -> None:
        """Enable or suspend the bucket's versioning (once set it is never unset); a setting of
        the bucket, so it needs admin access, as its visibility does."""
        repo_id = self._bucket(principal, bucket, need=Role.ADMIN)
        self._catalog.set_bucket_versioning(repo_id, Versioning(versioning))

    def list_versions(
        self,
        principal: Principal,
        bucket: RepoId,
        *,
        prefix: str = "",
        delimiter: str | None = None,
        after: VersionPosition | None = None,
        limit: int = 1000,
    ) -> VersionListing:
        """Versions (objects and delete markers) in key byte order, newest first within a
        key, and common prefixes, ``limit`` of them together, as :meth:`list` rolls them up.
        ``after`` continues a listing (see :meth:`version_position`)."""
        check_limit(limit)
        repo_id = self._bucket(principal, bucket)
        check_prefix(prefix)
        _check_delimiter(delimiter)
        versions: list[ObjectVersion] = []
        prefixes: list[str] = []
        position = after
        last: tuple[str, str | None] | None = None
        while len(versions) + len(prefixes) < limit:
            wanted = limit - len(versions) - len(prefixes)
            batch = self._catalog.list_object_versions(repo_id, prefix, position, wanted)
            if not batch:
                return VersionListing(tuple(versions), tuple(prefixes), None)
            for version in batch:
                common = common_prefix(version.key, prefix, delimiter)
                if common is None:
                    versions.append(version)
                    position = (version.key.encode("utf-8"), version.position)
                    last = (version.key, version.version_id)
                    continue
                prefixes.append(common)
                position = (common.encode("utf-8") + PREFIX_END, None)
                last = (common, None)
                break  # re-query past the whole common prefix
        more = bool(self._catalog.list_object_versions(repo_id, prefix, position, 1))
        if not more or last is None:
            return VersionListing(tuple(versions), tuple(prefixes), None)
        return VersionListing(tuple(versions), tuple(prefixes), position, last[0], last[1])

    def version_position(
        self, principal: Principal, bucket: RepoId, key: str, version_id: str | None
    ) -> VersionPosition:
        """Where a listing of versions continues after the version ``version_id`` of ``key``
        (after every version of the key when ``None``). A version removed since still has its
        place, except the ``null`` version, whose listing then continues at the key's newest
        version. ``InvalidInputError`` for an id no version can have."""
        repo_id = self._bucket(principal, bucket)
        start = key.encode("utf-8")
        if version_id is None:
            return start, None
        position = version_position(version_id)
        if position is not None:
            return start, position
        found = self._catalog.get_object_version(repo_id, key, version_id)
        return start, (found.position if found is not None else NEWEST)

    def list(
        self,
        principal: Principal,
        bucket: RepoId,
        *,
        prefix: str = "",
        delimiter: str | None = None,
        after: bytes | None = None,
        limit: int = 1000,
    ) -> ObjectListing:
        """Objects and common prefixes in UTF-8 byte order, ``limit`` of them together.

        Keys containing ``delimiter`` after ``prefix`` roll up into one common prefix each.
        """
        check_limit(limit)
        repo_id = self._bucket(principal, bucket)
        check_prefix(prefix)
        _check_delimiter(delimiter)
        objects: list[BucketObject] = []
        prefixes: list[str] = []
        position = after
        while len(objects) + len(prefixes) < limit:
            wanted = limit - len(objects) - len(prefixes)
            batch = self._catalog.list_objects(repo_id, prefix, position, wanted)
            if not batch:
                return ObjectListing(tuple(objects), tuple(prefixes), None)
            for obj in batch:
                common = common_prefix(obj.key, prefix, delimiter)
                if common is None:
                    objects.append(obj)
                    position = obj.key.encode("utf-8")
                    continue
                prefixes.append(common)
                position = common.encode("utf-8") + PREFIX_END
                break  # re-query past the whole common prefix
            if len(objects) + len(prefixes) >= limit:
                break
        more = bool(self._catalog.list_objects(repo_id, prefix, position, 1))
        return ObjectListing(tuple(objects), tuple(prefixes), position if more else None)


def _check_delimiter(delimiter: str | None) -> None:
    if delimiter is not None and not 1 <= len(delimiter.encode("utf-8")) <= 16:
        raise InvalidInputError("delimiter must be 1 to 16 bytes")


def common_prefix(key: str, prefix: str, delimiter: str | None) -> str | None:
    if delimiter is None:
        return None
    cut = key.find(delimiter, len(prefix))
    if cut < 0:
        return None
    return key[: cut + len(delimiter)]


def check_metadata(metadata: Mapping[str, str]) -> dict[str, str]:
    total = 0
    for name, value in metadata.items():
        if not name or not name.isascii() or not all(c.isalnum() or c in "-_." for c in name):
            raise InvalidInputError(
                f"metadata name {name[:64]!r} must be ASCII letters, digits, '-', '_' or '.'"
            )
        total += len(name.encode("utf-8")) + len(value.encode("utf-8"))
    if total > METADATA_MAX_BYTES:
        raise InvalidInputError(f"user metadata must be at most {METADATA_MAX_BYTES} bytes")
    return {name.lower(): value for name, value in metadata.items()}


def check_content_type(content_type: str | None) -> str:
    if not content_type:
        return "application/octet-stream"
    if (
        len(content_type) > CONTENT_TYPE_MAX
        or not content_type.isprintable()
        or not content_type.isascii()
    ):
        raise InvalidInputError("content type must be printable ASCII of at most 255 characters")
    return content_type


def check_content_headers(headers: Mapping[str, str]) -> dict[str, str]:
    checked = {}
    for name, value in headers.items():
        lower = name.lower()
        if lower not in CONTENT_HEADERS:
            raise InvalidInputError(f"{name[:64]!r} is not a content header an object keeps")
        if len(value) > CONTENT_HEADER_MAX or not value.isprintable():
            raise InvalidInputError(
                f"{lower} must be printable and at most {CONTENT_HEADER_MAX} characters"
            )
        if value:
            checked[lower] = value
    return checked


def check_checksums(checksums: Mapping[str, str]) -> dict[str, str]:
    checked = {}
    for algorithm, value in checksums.items():
        if not (
            0 < len(algorithm) <= CHECKSUM_NAME_MAX and algorithm.isascii() and algorithm.isalnum()
        ):
            raise InvalidInputError(f"checksum algorithm {algorithm[:64]!r} is not a name")
        if not (0 < len(value) <= CHECKSUM_VALUE_MAX and value.isascii() and value.isprintable()):
            raise InvalidInputError(f"the {algorithm} checksum is not a short ASCII value")
        checked[algorithm.lower()] = value
    return checked
