"""How objects are encrypted at rest, on every catalog: kept with the object, with its older
versions once replaced (an older version must still decrypt), listed with them, and with
uploads and their parts until the object is assembled."""

from __future__ import annotations

import secrets
from dataclasses import replace

import pytest
from tests.contract.catalog.samples import NOW, digest, make_object, make_repo

from weighthouse.domain.catalog import Catalog
from weighthouse.domain.model import (
    CUSTOMER,
    Encryption,
    MultipartUpload,
    Repo,
    RepoType,
    UploadedPart,
    User,
)
from weighthouse.domain.object_versions import Versioning

pytestmark = pytest.mark.contract

SSE_S3 = Encryption(
    "AES256", iv="00" * 16, sealed_key="v1.kid.nonce.sealed", part_ivs=("11" * 16, "22" * 16)
)
SSE_C = Encryption(CUSTOMER, iv="33" * 16, key_md5="bWQ1", verifier="salt.mac")


@pytest.fixture
def bucket(catalog: Catalog, user: User) -> Repo:
    stored = make_repo(user, name="sealed", type=RepoType.BUCKET)
    catalog.add_repo(stored)
    return stored


def test_an_objects_encryption_comes_back_as_given(
    catalog: Catalog, user: User, bucket: Repo
) -> None:
    for key, encryption in (("s3", SSE_S3), ("c", SSE_C)):
        catalog.put_object(bucket.id, replace(make_object(key), encryption=encryption))
        assert catalog.get_object(bucket.id, key).encryption == encryption
    assert [o.encryption for o in catalog.list_objects(bucket.id, "", None, 10)] == [SSE_C, SSE_S3]
    _, found = catalog.find_object(bucket.type, user.name, bucket.name, "s3")
    assert found is not None and found.encryption == SSE_S3
    catalog.put_object(bucket.id, make_object("plain"))
    assert catalog.get_object(bucket.id, "plain").encryption is None


def test_an_older_version_keeps_its_encryption(catalog: Catalog, bucket: Repo) -> None:
    catalog.set_bucket_versioning(bucket.id, Versioning.ENABLED)
    first = catalog.put_object(bucket.id, replace(make_object("k"), encryption=SSE_C))
    catalog.put_object(bucket.id, make_object("k", "clear"))
    assert first is not None
    older = catalog.get_object_version(bucket.id, "k", first)
    assert older is not None and older.object is not None
    assert older.object.encryption == SSE_C
    listed = catalog.list_object_versions(bucket.id, "", None, 10)
    assert [v.object.encryption if v.object else None for v in listed] == [None, SSE_C]
    # Removing the newer version makes the older one the latest again, still encrypted.
    assert catalog.delete_object_version(bucket.id, "k", listed[0].version_id, NOW) is not None
    assert catalog.get_object(bucket.id, "k").encryption == SSE_C


def test_an_upload_and_its_parts_keep_their_encryption(
    catalog: Catalog, bucket: Repo, user: User
) -> None:
    upload = MultipartUpload(
        id=secrets.token_hex(24),
        repo_id=bucket.id,
        key="k",
        initiator_id=user.id,
        created_at=NOW,
        content_type="application/octet-stream",
        encryption=replace(SSE_S3, iv="", part_ivs=()),
    )
    catalog.add_upload(upload)
    assert catalog.get_upload(upload.id) == upload
    part = UploadedPart(1, digest("p"), 1, "0" * 32, NOW, iv="44" * 16)
    catalog.put_part(upload.id, part)
    catalog.put_part(upload.id, replace(part, number=2, iv=""))
    assert catalog.list_parts(upload.id, 0, 10) == [part, replace(part, number=2, iv="")]
