"""Server-side encryption in the core, on the in-memory catalog and the memory blob store
with the real ciphers: the stored blob is ciphertext, reads decrypt at any offset, a
customer's key is never stored and must be given again, the bucket's default applies, and
multipart uploads encrypt each part."""

from __future__ import annotations

import base64
import hashlib
import os

import pytest
from tests.unit.domain.conftest import Hub, object_encryption

from weighthouse.domain.access import Principal
from weighthouse.domain.encryption import (
    DEFAULT_ENCRYPTION,
    SSE_KMS,
    SSE_S3,
    CustomerKey,
    EncryptionRequest,
    key_matches,
    key_verifier,
)
from weighthouse.domain.errors import (
    DigestMismatchError,
    EncryptionParametersError,
    PermissionDeniedError,
    StorageError,
)
from weighthouse.domain.model import CUSTOMER, RepoId, RepoType
from weighthouse.domain.multipart import MIN_PART_SIZE, ChosenPart, MultipartUploads

pytestmark = pytest.mark.unit

BUCKET = RepoId(RepoType.BUCKET, "alice", "vault")
DATA = os.urandom(3 * 65536 + 123)


def customer(raw: bytes) -> CustomerKey:
    md5 = base64.b64encode(hashlib.md5(raw, usedforsecurity=False).digest()).decode()
    return CustomerKey.parse("AES256", base64.b64encode(raw).decode(), md5)


KEY_A = customer(b"a" * 32)
KEY_B = customer(b"b" * 32)


@pytest.fixture
def bucket(hub: Hub, alice: Principal) -> RepoId:
    hub.repos.create(alice, BUCKET, private=True)
    return BUCKET


def stored_bytes(hub: Hub, sha256: str) -> bytes:
    with hub.blobs.reader(sha256) as reader:
        return reader.read_range(0, reader.size)


def read(hub: Hub, principal: Principal, key: str, start: int = 0, length: int | None = None,
         customer_key: CustomerKey | None = None) -> bytes:  # fmt: skip
    _, download = hub.buckets.download(principal, BUCKET, key, customer_key=customer_key)
    with hub.buckets.reader(download) as reader:
        return reader.read_range(start, reader.size if length is None else length)


def test_sse_s3_stores_ciphertext_and_reads_back_the_plaintext(
    hub: Hub, alice: Principal, bucket: RepoId
) -> None:
    obj = hub.buckets.put(
        alice, bucket, "k", [DATA[:1000], DATA[1000:]], encryption=EncryptionRequest(SSE_S3)
    )
    assert obj.encryption is not None and obj.encryption.kind == SSE_S3
    # The ETag is the plaintext's MD5, as S3's; the blob is named by the ciphertext's digest.
    assert obj.md5 == hashlib.md5(DATA, usedforsecurity=False).hexdigest()
    assert obj.sha256 != hashlib.sha256(DATA).hexdigest() and obj.content_sha256 is None
    on_disk = stored_bytes(hub, obj.sha256)
    assert len(on_disk) == len(DATA) and on_disk != DATA and DATA[:64] not in on_disk
    assert read(hub, alice, "k") == DATA
    for start, length in [(0, 1), (1, 15), (15, 2), (17, 70000), (65535, 3), (len(DATA) - 5, 5)]:
        assert read(hub, alice, "k", start, length) == DATA[start : start + length]
    # A sealed data key is kept, never the key itself.
    assert obj.encryption.sealed_key and obj.encryption.iv


def test_two_equal_encrypted_objects_are_two_blobs(
    hub: Hub, alice: Principal, bucket: RepoId
) -> None:
    first = hub.buckets.put(alice, bucket, "a", [DATA], encryption=EncryptionRequest(SSE_S3))
    second = hub.buckets.put(alice, bucket, "b", [DATA], encryption=EncryptionRequest(SSE_S3))
    assert first.sha256 != second.sha256 and first.md5 == second.md5


def test_a_declared_digest_is_checked_against_the_plaintext(
    hub: Hub, alice: Principal, bucket: RepoId
) -> None:
    sse = EncryptionRequest(SSE_S3)
    right = hashlib.sha256(DATA).hexdigest()
    hub.buckets.put(alice, bucket, "k", [DATA], sha256=right, size=len(DATA), encryption=sse)
    with pytest.raises(DigestMismatchError):
        hub.buckets.put(alice, bucket, "k", [DATA], sha256="0" * 64, encryption=sse)
    with pytest.raises(DigestMismatchError):
        hub.buckets.put(alice, bucket, "k", [DATA], md5="0" * 32, encryption=sse)


def test_kms_is_encrypted_as_sse_s3_with_its_key_id_kept(
    hub: Hub, alice: Principal, bucket: RepoId
) -> None:
    obj = hub.buckets.put(
        alice, bucket, "k", [DATA], encryption=EncryptionRequest(SSE_KMS, kms_key_id="key-1")
    )
    assert obj.encryption is not None and obj.encryption.kms_key_id == "key-1"
    assert stored_bytes(hub, obj.sha256) != DATA and read(hub, alice, "k") == DATA


def test_a_customer_key_is_needed_and_must_be_the_same(
    hub: Hub, alice: Principal, bucket: RepoId
) -> None:
    sse_c = EncryptionRequest(CUSTOMER, customer=KEY_A)
    obj = hub.buckets.put(alice, bucket, "k", [DATA], encryption=sse_c)
    assert obj.encryption is not None and obj.encryption.key_md5 == KEY_A.md5
    assert not obj.encryption.sealed_key and KEY_A.key.hex() not in repr(obj)
    # S3's ETag of such an object is no digest of its content.
    assert obj.md5 != hashlib.md5(DATA, usedforsecurity=False).hexdigest()
    assert stored_bytes(hub, obj.sha256) != DATA
    assert read(hub, alice, "k", 7, 100, customer_key=KEY_A) == DATA[7:107]
    with pytest.raises(EncryptionParametersError):
        hub.buckets.download(alice, bucket, "k")
    with pytest.raises(PermissionDeniedError):
        hub.buckets.download(alice, bucket, "k", customer_key=KEY_B)


def test_a_customer_key_for_an_object_without_one_is_refused(
    hub: Hub, alice: Principal, bucket: RepoId
) -> None:
    hub.buckets.put(alice, bucket, "plain", [b"clear"])
    hub.buckets.put(alice, bucket, "s3", [b"sealed"], encryption=EncryptionRequest(SSE_S3))
    for key in ("plain", "s3"):
        with pytest.raises(EncryptionParametersError):
            hub.buckets.download(alice, bucket, key, customer_key=KEY_A)


def test_another_user_gets_no_further_than_the_access_check(
    hub: Hub, alice: Principal, bob: Principal, bucket: RepoId
) -> None:
    hub.buckets.put(alice, bucket, "k", [DATA], encryption=EncryptionRequest(SSE_S3))
    with pytest.raises(Exception) as caught:
        hub.buckets.download(bob, bucket, "k")
    assert not isinstance(caught.value, EncryptionParametersError)


def test_malformed_customer_keys_are_refused() -> None:
    good = base64.b64encode(b"k" * 32).decode()
    md5 = base64.b64encode(hashlib.md5(b"k" * 32, usedforsecurity=False).digest()).decode()
    CustomerKey.parse("AES256", good, md5)
    for algorithm, key, digest in [
        ("AES128", good, md5),
        (None, good, md5),
        ("AES256", None, md5),
        ("AES256", good, None),
        ("AES256", base64.b64encode(b"k" * 16).decode(), md5),
        ("AES256", "not base64!", md5),
        ("AES256", good, base64.b64encode(b"0" * 16).decode()),
    ]:
        with pytest.raises(EncryptionParametersError):
            CustomerKey.parse(algorithm, key, digest)


def test_the_verifier_is_salted_and_matches_only_its_key() -> None:
    first, second = key_verifier(b"a" * 32), key_verifier(b"a" * 32)
    assert first != second
    assert key_matches(b"a" * 32, first) and key_matches(b"a" * 32, second)
    assert not key_matches(b"b" * 32, first) and not key_matches(b"a" * 32, "zz.00")


def test_the_bucket_default_encrypts_writes_that_ask_for_none(
    hub: Hub, alice: Principal, bucket: RepoId
) -> None:
    repo_id = hub.repos.get(alice, bucket).id
    hub.catalog.put_bucket_configuration(
        repo_id, DEFAULT_ENCRYPTION, {"algorithm": SSE_S3, "kms_key_id": "", "bucket_key": False}
    )
    obj = hub.buckets.put(alice, bucket, "k", [DATA])
    assert obj.encryption is not None and obj.encryption.kind == SSE_S3
    assert stored_bytes(hub, obj.sha256) != DATA and read(hub, alice, "k") == DATA
    # A request's own encryption wins over the default.
    own = hub.buckets.put(
        alice, bucket, "c", [DATA], encryption=EncryptionRequest(CUSTOMER, customer=KEY_A)
    )
    assert own.encryption is not None and own.encryption.customer


def test_a_data_key_opens_only_for_its_object_and_under_its_server_keys(
    hub: Hub, alice: Principal, bucket: RepoId
) -> None:
    obj = hub.buckets.put(alice, bucket, "a", [DATA], encryption=EncryptionRequest(SSE_S3))
    assert obj.encryption is not None
    repo_id = hub.repos.get(alice, bucket).id
    assert len(hub.encryption.data_key(obj.encryption, None, repo_id, "a")) == 32
    # Sealed for bucket and key: copied onto another object's row, it does not open.
    with pytest.raises(StorageError):
        hub.encryption.data_key(obj.encryption, None, repo_id, "b")
    # Nor under another server's keys.
    with pytest.raises(StorageError):
        object_encryption().data_key(obj.encryption, None, repo_id, "a")


@pytest.mark.parametrize(
    "sse", [EncryptionRequest(SSE_S3), EncryptionRequest(CUSTOMER, customer=KEY_A)]
)
def test_multipart_parts_are_encrypted_and_the_object_reads_across_them(
    hub: Hub, alice: Principal, bucket: RepoId, sse: EncryptionRequest
) -> None:
    uploads = MultipartUploads(
        hub.catalog, hub.blobs, hub.clock, max_object_bytes=3 * MIN_PART_SIZE,
        encryption=hub.encryption,
    )  # fmt: skip
    first, second = os.urandom(MIN_PART_SIZE), os.urandom(1000)
    upload = uploads.create(alice, bucket, "big", encryption=sse)
    assert upload.encryption is not None and not upload.encryption.iv
    given = sse.customer
    if given is not None:
        with pytest.raises(EncryptionParametersError):
            uploads.upload_part(alice, bucket, "big", upload.id, 1, [first])
        with pytest.raises(EncryptionParametersError):
            uploads.upload_part(alice, bucket, "big", upload.id, 1, [first], customer_key=KEY_B)
    parts = [
        uploads.upload_part(alice, bucket, "big", upload.id, n, [data], customer_key=given)
        for n, data in ((1, first), (2, second))
    ]
    for part, data in zip(parts, (first, second), strict=True):
        assert part.iv and stored_bytes(hub, part.sha256) != data
    obj, _ = uploads.complete(
        alice, bucket, "big", upload.id, [ChosenPart(1, parts[0].md5), ChosenPart(2, parts[1].md5)]
    )
    assert obj.joined and obj.encryption is not None
    assert obj.encryption.part_ivs == (parts[0].iv, parts[1].iv)
    whole = first + second
    edge = MIN_PART_SIZE - 7
    assert read(hub, alice, "big", customer_key=given) == whole
    assert read(hub, alice, "big", edge, 20, customer_key=given) == whole[edge : edge + 20]
