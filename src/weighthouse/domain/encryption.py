"""Server-side encryption of bucket objects at rest, as S3 defines it.

Three kinds, as S3 names them:

* ``AES256`` (SSE-S3): every object (or multipart upload) gets a random 256-bit data key,
  stored sealed by the server's secret cipher (the key ring outside the catalog that also
  seals S3 secret keys), bound to the bucket and key it was made for. Reading is transparent.
* ``aws:kms``: there is no key management service here. The object is encrypted exactly as
  ``AES256`` is, under the server's key ring, and the key id the client named (or
  :data:`DEFAULT_KMS_KEY_ID`) is stored and answered back. It is never stored in the clear.
* SSE-C (:data:`CUSTOMER`): the client's own 256-bit key encrypts the object and is never
  stored; a salted HMAC of it (:func:`key_verifier`) lets a read or a part with another key
  be refused without decrypting anything. Every read must send the key again.

The cipher is AES-256 in counter mode (:class:`~weighthouse.domain.ports.ObjectCipher`), with
a random 128-bit initial counter per stored blob: a blob of ciphertext is exactly as long as
its plaintext, so object sizes, byte ranges (any offset: the counter of a block is computed),
multipart part sizes, the small-blob database and the consistency checks stay as they are,
and encrypting or decrypting streams with flat memory. Counter mode does not authenticate;
the stored bytes are checked instead by their content address (the blob's SHA-256 is of the
ciphertext, which ``fsck`` verifies), so two equal encrypted objects are two blobs.

A joined object (a multipart upload of several parts) keeps one initial counter per part,
in part order (``part_ivs``); each part's blob was encrypted on its own.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from weighthouse.domain.errors import (
    AuthenticationError,
    DigestMismatchError,
    EncryptionParametersError,
    InvalidInputError,
    PermissionDeniedError,
    StorageError,
)
from weighthouse.domain.model import CUSTOMER, Encryption
from weighthouse.domain.ports import (
    BlobReader,
    BlobStore,
    FileSpan,
    LocalFile,
    ObjectCipher,
    SecretCipher,
)

SSE_S3 = "AES256"
SSE_KMS = "aws:kms"
KINDS = (SSE_S3, SSE_KMS, CUSTOMER)
DEFAULT_KMS_KEY_ID = "weighthouse/aws-s3"
"""The key id answered for ``aws:kms`` when the request named none (S3 names its own
``aws/s3`` key then); a label, as every other key id: see the module's docstring."""
KEY_BYTES = 32
IV_BYTES = 16
KMS_KEY_ID_MAX = 2048
_VERIFIER_LABEL = b"weighthouse sse-c key verifier\0"


def encryption_document(encryption: Encryption) -> dict[str, Any]:
    """The JSON document the catalog stores."""
    document: dict[str, Any] = {"kind": encryption.kind}
    for name in ("iv", "sealed_key", "kms_key_id", "key_md5", "verifier"):
        value = getattr(encryption, name)
        if value:
            document[name] = value
    if encryption.part_ivs:
        document["part_ivs"] = list(encryption.part_ivs)
    return document


def encryption_from(document: Mapping[str, Any]) -> Encryption:
    return Encryption(
        kind=str(document["kind"]),
        iv=str(document.get("iv", "")),
        sealed_key=str(document.get("sealed_key", "")),
        kms_key_id=str(document.get("kms_key_id", "")),
        key_md5=str(document.get("key_md5", "")),
        verifier=str(document.get("verifier", "")),
        part_ivs=tuple(str(iv) for iv in document.get("part_ivs", ())),
    )


@dataclass(frozen=True)
class CustomerKey:
    """A customer's key as a request carries it: 32 bytes and the base64 MD5 it declared."""

    key: bytes = field(repr=False)
    md5: str

    @classmethod
    def parse(cls, algorithm: str | None, key: str | None, md5: str | None) -> CustomerKey:
        """The key of S3's three ``...-customer-algorithm``, ``-key`` and ``-key-MD5``
        headers; ``EncryptionParametersError`` for a missing or malformed one, as S3 answers
        them."""
        if algorithm is None or algorithm.strip() != "AES256":
            raise EncryptionParametersError(
                "The encryption algorithm of a customer-provided key must be AES256",
                argument="x-amz-server-side-encryption-customer-algorithm",
            )
        if not key:
            raise EncryptionParametersError(
                "Requests specifying Server Side Encryption with Customer provided keys must "
                "provide an appropriate secret key.",
                argument="x-amz-server-side-encryption-customer-key",
            )
        if not md5:
            raise EncryptionParametersError(
                "Requests specifying Server Side Encryption with Customer provided keys must "
                "provide the client calculated MD5 of the secret key.",
                argument="x-amz-server-side-encryption-customer-key-MD5",
            )
        try:
            raw = base64.b64decode(key.strip(), validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) != KEY_BYTES:
            raise EncryptionParametersError(
                "The secret key was invalid for the specified algorithm.",
                argument="x-amz-server-side-encryption-customer-key",
            )
        digest = base64.b64encode(hashlib.md5(raw, usedforsecurity=False).digest()).decode()
        if md5.strip() != digest:
            raise EncryptionParametersError(
                "The calculated MD5 hash of the key did not match the hash that was provided.",
                argument="x-amz-server-side-encryption-customer-key-MD5",
            )
        return cls(raw, digest)


@dataclass(frozen=True)
class EncryptionRequest:
    """What a write asks for: ``kind`` one of :data:`KINDS`; ``customer`` the key of SSE-C;
    ``kms_key_id`` the label of ``aws:kms`` (empty: :data:`DEFAULT_KMS_KEY_ID`)."""

    kind: str
    kms_key_id: str = ""
    customer: CustomerKey | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise EncryptionParametersError(f"unknown server-side encryption {self.kind[:32]!r}")
        if (self.kind == CUSTOMER) != (self.customer is not None):
            raise EncryptionParametersError("SSE-C needs a customer key, and only SSE-C has one")
        if self.kms_key_id and (
            self.kind != SSE_KMS
            or len(self.kms_key_id) > KMS_KEY_ID_MAX
            or not self.kms_key_id.isascii()
            or not self.kms_key_id.isprintable()
        ):
            raise EncryptionParametersError("a KMS key id is printable ASCII, for aws:kms only")


@dataclass(frozen=True)
class Decryption:
    """What reading an encrypted object needs: its data key (in memory only) and the initial
    counters of its blob, or of each of its parts' blobs."""

    key: bytes = field(repr=False)
    iv: bytes = b""
    part_ivs: tuple[bytes, ...] = ()


def key_verifier(key: bytes, salt: bytes | None = None) -> str:
    """``<salt hex>.<HMAC-SHA256 hex>`` of a customer's key: proves a later key is the same
    without storing the key (a salted keyed hash, so equal keys of two objects look unrelated
    and no table of known keys' digests applies)."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    mac = hmac.new(key, _VERIFIER_LABEL + salt, hashlib.sha256).hexdigest()
    return f"{salt.hex()}.{mac}"


def key_matches(key: bytes, verifier: str) -> bool:
    salt_hex, _, _ = verifier.partition(".")
    try:
        salt = bytes.fromhex(salt_hex)
    except ValueError:
        return False
    return hmac.compare_digest(key_verifier(key, salt), verifier)


def _context(repo_id: str, key: str) -> bytes:
    return b"weighthouse object data key\0" + repo_id.encode() + b"\0" + key.encode("utf-8")


class ObjectEncryption:
    """Makes, seals and opens data keys, and encrypts and decrypts objects' bytes."""

    def __init__(self, cipher: ObjectCipher, secrets_cipher: SecretCipher) -> None:
        self._cipher = cipher
        self._secrets = secrets_cipher

    def start(self, request: EncryptionRequest, repo_id: str, key: str) -> tuple[Encryption, bytes]:
        """A new object's (or upload's) encryption, without an initial counter yet, and its
        data key."""
        if request.customer is not None:
            customer = request.customer
            return Encryption(
                CUSTOMER, key_md5=customer.md5, verifier=key_verifier(customer.key)
            ), customer.key
        data_key = secrets.token_bytes(KEY_BYTES)
        sealed = self._secrets.seal(data_key, context=_context(repo_id, key))
        kms_key_id = (request.kms_key_id or DEFAULT_KMS_KEY_ID) if request.kind == SSE_KMS else ""
        return Encryption(request.kind, sealed_key=sealed, kms_key_id=kms_key_id), data_key

    def data_key(
        self,
        encryption: Encryption,
        customer: CustomerKey | None,
        repo_id: str,
        key: str,
        *,
        reading: bool = True,
    ) -> bytes:
        """The data key of an object encrypted as ``encryption``. For SSE-C the customer's key,
        which must be given (``EncryptionParametersError``) and be the one it was written with
        (``PermissionDeniedError`` when ``reading``, as S3 answers a GET with another key;
        ``EncryptionParametersError`` for a part of an upload). A customer key given for an
        object not encrypted with one is ``EncryptionParametersError``."""
        if not encryption.customer:
            if customer is not None:
                raise EncryptionParametersError(
                    "The encryption parameters are not applicable to this object."
                )
            try:
                return self._secrets.open(encryption.sealed_key, context=_context(repo_id, key))
            except AuthenticationError:
                # A retired server key, or a sealed key copied from another object's row.
                raise StorageError(f"the data key of {key!r} does not open") from None
        if customer is None:
            raise EncryptionParametersError(
                "The object was stored using a form of Server Side Encryption. The correct "
                "parameters must be provided to retrieve the object."
            )
        if not key_matches(customer.key, encryption.verifier):
            if reading:
                raise PermissionDeniedError(
                    "The provided customer key does not match the one the object was stored with"
                )
            raise EncryptionParametersError(
                "The provided customer key does not match the one the upload was started with"
            )
        return customer.key

    def encrypt(
        self, data_key: bytes, chunks: Iterable[bytes], *, sha256: bool = True
    ) -> tuple[str, PlainDigest, Iterator[bytes]]:
        """A new initial counter (hex), the digests of the plaintext as it streams through
        (its SHA-256 only with ``sha256``), and the ciphertext chunks to store."""
        iv = secrets.token_bytes(IV_BYTES)
        plain = PlainDigest(chunks, sha256=sha256)
        transform = self._cipher.stream(data_key, iv)
        return iv.hex(), plain, (transform(chunk) for chunk in plain)

    def reader(self, decryption: Decryption, raw: BlobReader, iv: bytes) -> BlobReader:
        return DecryptingReader(self._cipher, decryption.key, iv, raw)


class PlainDigest:
    """Passes chunks through, counting them and hashing them (MD5, and SHA-256 with
    ``sha256``: the blob's own digest is of the ciphertext, so the plaintext's is worth its
    cost only when a client declared one to check)."""

    def __init__(self, chunks: Iterable[bytes], *, sha256: bool = True) -> None:
        self._chunks = chunks
        self.size = 0
        self._sha256 = hashlib.sha256() if sha256 else None
        self._md5 = hashlib.md5(usedforsecurity=False)

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._chunks:
            self.size += len(chunk)
            if self._sha256 is not None:
                self._sha256.update(chunk)
            self._md5.update(chunk)
            yield chunk

    @property
    def sha256(self) -> str | None:
        return None if self._sha256 is None else self._sha256.hexdigest()

    @property
    def md5(self) -> str:
        return self._md5.hexdigest()

    def check(self, *, size: int | None, sha256: str | None, md5: str | None, key: str) -> None:
        """``DigestMismatchError`` when a declared size or digest differs from what passed."""
        if size is not None and size != self.size:
            raise DigestMismatchError("the body does not have the declared size", key=key)
        if sha256 is not None and sha256.lower() != self.sha256:
            raise DigestMismatchError("the body does not match the declared SHA-256", key=key)
        if md5 is not None and md5.lower() != self.md5:
            raise DigestMismatchError("the body does not match the declared MD5", key=key)


class DecryptingReader(BlobReader):
    """The plaintext of a blob of ciphertext, at any offset. Never a local file or a presigned
    URL: those would serve the ciphertext."""

    def __init__(self, cipher: ObjectCipher, key: bytes, iv: bytes, raw: BlobReader) -> None:
        self._cipher = cipher
        self._key = key
        self._iv = iv
        self._raw = raw
        self.size = raw.size

    def read_range(self, offset: int, length: int) -> bytes:
        data = self._raw.read_range(offset, length)
        return self._cipher.at(self._key, self._iv, offset, data)

    def local_file(self) -> LocalFile | None:
        return None

    def local_spans(self, offset: int, length: int) -> list[FileSpan] | None:
        if offset < 0 or length < 0 or offset > self.size:
            raise InvalidInputError("the range lies outside the blob", offset=offset)
        return None

    def presigned_url(self, expires_in: int) -> str | None:
        return None

    def close(self) -> None:
        self._raw.close()


def part_opener(
    encryption: ObjectEncryption, decryption: Decryption, open_blob: Callable[[str], BlobReader]
) -> Callable[[int, str], BlobReader]:
    """Opens part ``index`` (blob ``sha256``) of a joined encrypted object, decrypting."""

    def open_part(index: int, sha256: str) -> BlobReader:
        if index >= len(decryption.part_ivs):
            raise StorageError("an encrypted object has fewer counters than parts")
        return encryption.reader(decryption, open_blob(sha256), decryption.part_ivs[index])

    return open_part


def decryption_of(encryption: Encryption, data_key: bytes) -> Decryption:
    try:
        return Decryption(
            data_key,
            bytes.fromhex(encryption.iv),
            tuple(bytes.fromhex(iv) for iv in encryption.part_ivs),
        )
    except ValueError:
        raise StorageError("an object's stored encryption is malformed") from None


DEFAULT_ENCRYPTION = "encryption"
"""The name of a bucket's default encryption among its configurations: ``{"algorithm":
"AES256" | "aws:kms", "kms_key_id": str, "bucket_key": bool}``."""


def default_request(document: Mapping[str, Any] | None) -> EncryptionRequest | None:
    """What a write that asks for no encryption gets in a bucket with ``document`` as its
    default encryption."""
    if document is None:
        return None
    return EncryptionRequest(str(document["algorithm"]), str(document.get("kms_key_id", "")))


@dataclass(frozen=True)
class StoredBytes:
    """A body stored as a blob: the blob's digest (of the ciphertext when encrypted), the
    plaintext's size and MD5, its ETag, and the blob's initial counter (hex) or empty.

    The ETag is the plaintext's MD5, but the ciphertext's under a customer's key, as S3's
    ETag of such an object is no digest of its content."""

    sha256: str
    size: int
    md5: str
    etag: str
    iv: str = ""


@contextmanager
def storing(
    blobs: BlobStore,
    chunks: Iterable[bytes],
    *,
    size: int | None,
    sha256: str | None,
    key: str,
    encryption: ObjectEncryption | None = None,
    data_key: bytes | None = None,
    customer: bool = False,
) -> Iterator[StoredBytes]:
    """Store ``chunks`` as :meth:`BlobStore.provisional` does, encrypted under ``data_key``
    when one is given; a declared ``size`` or ``sha256`` is of the plaintext
    (``DigestMismatchError``). The caller checks a declared MD5 against ``md5``; the
    ciphertext's MD5 is computed only when ``data_key`` is a ``customer``'s, whose ETag it
    is."""
    if data_key is None:
        with blobs.provisional(chunks, size=size, sha256=sha256, md5=True) as digest:
            assert digest.md5 is not None
            yield StoredBytes(digest.sha256, digest.size, digest.md5, digest.md5)
        return
    if encryption is None:
        raise EncryptionParametersError("server-side encryption is not available")
    iv, plain, ciphertext = encryption.encrypt(data_key, chunks, sha256=sha256 is not None)
    # The ciphertext's MD5 serves only as an SSE-C object's ETag.
    with blobs.provisional(ciphertext, size=size, md5=customer) as digest:
        plain.check(size=size, sha256=sha256, md5=None, key=key)
        etag = (digest.md5 or "") if customer else plain.md5
        yield StoredBytes(digest.sha256, plain.size, plain.md5, etag, iv)
