"""Multipart uploads through boto3 against a live server's S3 port, with the client's default
settings (s3transfer splits at 8 MiB and sends a CRC32 with every part): over http and https,
and what a careless or hostile client tries."""

from __future__ import annotations

import base64
import hashlib
import os
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from awscrt import checksums as crt
from botocore.exceptions import ClientError

from tests.acceptance.live import LiveServer
from tests.acceptance.s3 import S3User, code_of, make_s3_user, new_bucket, s3_client
from tests.acceptance.test_s3_aws_cli import aws
from weighthouse.client import WeighthouseClient

pytestmark = pytest.mark.acceptance

MIB = 2**20


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("mp") / "weights.bin"
    with path.open("wb") as out:
        for _ in range(100):
            out.write(os.urandom(MIB))
    return path


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(MIB), b""):
            digest.update(block)
    return digest.hexdigest()


def round_trip(client: Any, bucket: str, source: Path, target: Path) -> dict[str, Any]:
    client.upload_file(str(source), bucket, "model/weights.bin")
    head: dict[str, Any] = client.head_object(Bucket=bucket, Key="model/weights.bin")
    client.download_file(bucket, "model/weights.bin", str(target))
    assert sha256_of(target) == sha256_of(source)
    return head


def test_upload_and_download_100_mb_over_http(
    s3: Any, alice: S3User, big_file: Path, tmp_path: Path
) -> None:
    bucket = new_bucket(s3, alice)
    head = round_trip(s3, bucket, big_file, tmp_path / "back.bin")
    assert head["ContentLength"] == big_file.stat().st_size
    # s3transfer's 8 MiB parts: 13 of them, and S3's ETag of a multipart object.
    assert head["ETag"].strip('"').endswith("-13")
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_upload_and_download_100_mb_over_https(
    tls_server: LiveServer, big_file: Path, tmp_path: Path
) -> None:
    user = make_s3_user(tls_server)
    client = s3_client(tls_server, user, verify=str(tls_server.cert))
    bucket = new_bucket(client, user)
    head = round_trip(client, bucket, big_file, tmp_path / "back.bin")
    assert head["ETag"].strip('"').endswith("-13")


def crc32(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def test_parts_listed_aborted_and_assembled_by_hand(s3: Any, alice: S3User) -> None:
    bucket = new_bucket(s3, alice)
    created = s3.create_multipart_upload(
        Bucket=bucket, Key="k", ChecksumAlgorithm="CRC32", Metadata={"stage": "draft"}
    )
    upload = created["UploadId"]
    first, second = os.urandom(5 * MIB), b"tail"
    one = s3.upload_part(Bucket=bucket, Key="k", UploadId=upload, PartNumber=1, Body=first)
    two = s3.upload_part(Bucket=bucket, Key="k", UploadId=upload, PartNumber=2, Body=second)
    assert one["ChecksumCRC32"] == crc32(first)
    listed = s3.list_parts(Bucket=bucket, Key="k", UploadId=upload)
    assert [(p["PartNumber"], p["Size"], p["ETag"]) for p in listed["Parts"]] == [
        (1, len(first), one["ETag"]),
        (2, len(second), two["ETag"]),
    ]
    assert listed["Parts"][0]["ChecksumCRC32"] == crc32(first)
    uploads = s3.list_multipart_uploads(Bucket=bucket)["Uploads"]
    assert [(u["Key"], u["UploadId"]) for u in uploads] == [("k", upload)]
    parts = [
        {"PartNumber": 1, "ETag": one["ETag"], "ChecksumCRC32": one["ChecksumCRC32"]},
        {"PartNumber": 2, "ETag": two["ETag"], "ChecksumCRC32": two["ChecksumCRC32"]},
    ]
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="k", UploadId=upload, MultipartUpload={"Parts": parts}
    )
    expected = hashlib.md5(
        bytes.fromhex(one["ETag"].strip('"')) + bytes.fromhex(two["ETag"].strip('"'))
    ).hexdigest()
    assert done["ETag"] == f'"{expected}-2"'
    assert done["ChecksumCRC32"].endswith("-2")
    got = s3.get_object(Bucket=bucket, Key="k")
    assert got["Body"].read() == first + second
    assert got["Metadata"] == {"stage": "draft"}
    second_part = s3.get_object(Bucket=bucket, Key="k", PartNumber=2)
    assert second_part["Body"].read() == second
    assert second_part["PartsCount"] == 2
    assert s3.head_object(Bucket=bucket, Key="k", PartNumber=1)["ContentLength"] == len(first)
    # The upload is over: completing or aborting it again finds nothing.
    with pytest.raises(ClientError) as again:
        s3.complete_multipart_upload(
            Bucket=bucket, Key="k", UploadId=upload, MultipartUpload={"Parts": parts}
        )
    assert code_of(again.value) == "NoSuchUpload"

    aborted = s3.create_multipart_upload(Bucket=bucket, Key="gone")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="gone", UploadId=aborted, PartNumber=1, Body=b"x")
    s3.abort_multipart_upload(Bucket=bucket, Key="gone", UploadId=aborted)
    with pytest.raises(ClientError) as missing:
        s3.list_parts(Bucket=bucket, Key="gone", UploadId=aborted)
    assert code_of(missing.value) == "NoSuchUpload"
    with pytest.raises(ClientError) as no_object:
        s3.head_object(Bucket=bucket, Key="gone")
    assert code_of(no_object.value) == "404"


def test_completing_with_bad_parts_is_refused_and_changes_nothing(s3: Any, alice: S3User) -> None:
    bucket = new_bucket(s3, alice)
    upload = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    small = s3.upload_part(Bucket=bucket, Key="k", UploadId=upload, PartNumber=1, Body=b"a")
    tail = s3.upload_part(Bucket=bucket, Key="k", UploadId=upload, PartNumber=2, Body=b"b")

    def complete(parts: list[dict[str, Any]]) -> str:
        with pytest.raises(ClientError) as refused:
            s3.complete_multipart_upload(
                Bucket=bucket, Key="k", UploadId=upload, MultipartUpload={"Parts": parts}
            )
        return code_of(refused.value)

    wrong = '"' + "0" * 32 + '"'
    assert complete([{"PartNumber": 1, "ETag": wrong}]) == "InvalidPart"
    assert complete([{"PartNumber": 3, "ETag": small["ETag"]}]) == "InvalidPart"
    assert (
        complete(
            [{"PartNumber": 2, "ETag": tail["ETag"]}, {"PartNumber": 1, "ETag": small["ETag"]}]
        )
        == "InvalidPartOrder"
    )
    assert (
        complete(
            [{"PartNumber": 1, "ETag": small["ETag"]}, {"PartNumber": 2, "ETag": tail["ETag"]}]
        )
        == "EntityTooSmall"
    )
    assert complete([]) == "MalformedXML"
    assert len(s3.list_parts(Bucket=bucket, Key="k", UploadId=upload)["Parts"]) == 2
    with pytest.raises(ClientError) as none:
        s3.head_object(Bucket=bucket, Key="k")
    assert code_of(none.value) == "404"
    with pytest.raises(ClientError) as forged:
        s3.list_parts(Bucket=bucket, Key="k", UploadId="f" * 48)
    assert code_of(forged.value) == "NoSuchUpload"
    with pytest.raises(ClientError) as other_key:
        s3.list_parts(Bucket=bucket, Key="other", UploadId=upload)
    assert code_of(other_key.value) == "NoSuchUpload"


def test_another_user_cannot_touch_an_upload(
    live_server: LiveServer, s3: Any, alice: S3User
) -> None:
    bucket = new_bucket(s3, alice)
    upload = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    mallory = s3_client(live_server, make_s3_user(live_server))
    calls = [
        lambda: mallory.upload_part(
            Bucket=bucket, Key="k", UploadId=upload, PartNumber=1, Body=b"evil"
        ),
        lambda: mallory.list_parts(Bucket=bucket, Key="k", UploadId=upload),
        lambda: mallory.abort_multipart_upload(Bucket=bucket, Key="k", UploadId=upload),
        lambda: mallory.list_multipart_uploads(Bucket=bucket),
        lambda: mallory.complete_multipart_upload(
            Bucket=bucket, Key="k", UploadId=upload, MultipartUpload={"Parts": []}
        ),
    ]
    for call in calls:
        with pytest.raises(ClientError) as refused:
            call()
        assert code_of(refused.value) in ("AccessDenied", "NoSuchBucket", "MalformedXML")
    anonymous = s3_client(live_server)
    with pytest.raises(ClientError) as anon:
        anonymous.upload_part(Bucket=bucket, Key="k", UploadId=upload, PartNumber=1, Body=b"x")
    assert code_of(anon.value) == "AccessDenied"
    assert s3.list_parts(Bucket=bucket, Key="k", UploadId=upload).get("Parts", []) == []


def test_upload_part_copy_with_a_range(s3: Any, alice: S3User) -> None:
    bucket = new_bucket(s3, alice)
    source = os.urandom(6 * MIB)
    s3.put_object(Bucket=bucket, Key="src", Body=source)
    upload = s3.create_multipart_upload(Bucket=bucket, Key="dst")["UploadId"]
    copied = s3.upload_part_copy(
        Bucket=bucket,
        Key="dst",
        UploadId=upload,
        PartNumber=1,
        CopySource={"Bucket": bucket, "Key": "src"},
        CopySourceRange=f"bytes=0-{5 * MIB - 1}",
    )
    tail = s3.upload_part_copy(
        Bucket=bucket,
        Key="dst",
        UploadId=upload,
        PartNumber=2,
        CopySource={"Bucket": bucket, "Key": "src"},
        CopySourceRange=f"bytes={5 * MIB}-{6 * MIB - 1}",
    )
    with pytest.raises(ClientError) as beyond:
        s3.upload_part_copy(
            Bucket=bucket,
            Key="dst",
            UploadId=upload,
            PartNumber=3,
            CopySource={"Bucket": bucket, "Key": "src"},
            CopySourceRange=f"bytes=0-{6 * MIB}",
        )
    assert code_of(beyond.value) == "InvalidRange"
    parts = [
        {"PartNumber": 1, "ETag": copied["CopyPartResult"]["ETag"]},
        {"PartNumber": 2, "ETag": tail["CopyPartResult"]["ETag"]},
    ]
    s3.complete_multipart_upload(
        Bucket=bucket, Key="dst", UploadId=upload, MultipartUpload={"Parts": parts}
    )
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == source


def test_racing_completes_with_if_none_match_star_one_wins(
    live_server: LiveServer, s3: Any, alice: S3User
) -> None:
    bucket = new_bucket(s3, alice)
    racers = 20
    uploads = []
    for index in range(racers):
        upload = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
        body = f"racer {index}".encode()
        part = s3.upload_part(Bucket=bucket, Key="k", UploadId=upload, PartNumber=1, Body=body)
        uploads.append((upload, part["ETag"], body))

    def complete(entry: tuple[str, str, bytes]) -> str:
        upload, etag, _ = entry
        client = s3_client(live_server, alice)
        try:
            client.complete_multipart_upload(
                Bucket=bucket,
                Key="k",
                UploadId=upload,
                MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]},
                IfNoneMatch="*",
            )
        except ClientError as error:
            return code_of(error)
        return "ok"

    with ThreadPoolExecutor(racers) as pool:
        results = list(pool.map(complete, uploads))
    assert results.count("ok") == 1, results
    assert set(results) == {"ok", "PreconditionFailed"}
    winner = uploads[results.index("ok")]
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == winner[2]
    # The losers' uploads are still open: a refused completion changes nothing.
    assert len(s3.list_multipart_uploads(Bucket=bucket)["Uploads"]) == racers - 1


def test_aws_cli_copies_100_mb_both_ways(
    live_server: LiveServer, s3: Any, alice: S3User, big_file: Path, tmp_path: Path
) -> None:
    bucket = new_bucket(s3, alice)
    aws(live_server, alice, "s3", "cp", str(big_file), f"s3://{bucket}/weights.bin")
    head = s3.head_object(Bucket=bucket, Key="weights.bin")
    assert "-" in head["ETag"]  # the CLI sent it in parts
    back = tmp_path / "back.bin"
    aws(live_server, alice, "s3", "cp", f"s3://{bucket}/weights.bin", str(back))
    assert sha256_of(back) == sha256_of(big_file)


@pytest.fixture(scope="module")
def twenty_mib(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("mp-headers") / "weights.bin"
    path.write_bytes(os.urandom(20 * MIB))
    return path


CONTENT = {
    "ContentDisposition": 'attachment; filename="weights.bin"',
    "CacheControl": "max-age=3600, immutable",
    "ContentEncoding": "gzip",
    "ContentLanguage": "en-GB",
}


def headers_of(answer: dict[str, Any]) -> dict[str, str]:
    return dict(answer["ResponseMetadata"]["HTTPHeaders"])


def test_upload_file_keeps_content_headers_and_its_composite_checksum(
    s3: Any, alice: S3User, twenty_mib: Path
) -> None:
    bucket = new_bucket(s3, alice)
    s3.upload_file(
        str(twenty_mib),
        bucket,
        "w.bin",
        ExtraArgs={
            **CONTENT,
            "ChecksumAlgorithm": "CRC32",
            "Expires": "Thu, 01 Dec 2044 16:00:00 GMT",
            "Metadata": {"stage": "final"},
        },
    )
    data = twenty_mib.read_bytes()
    # What S3 returns for s3transfer's three parts: the CRC32 of their CRC32s, then "-3".
    raw = b"".join(
        zlib.crc32(data[start : start + 8 * MIB]).to_bytes(4, "big")
        for start in range(0, len(data), 8 * MIB)
    )
    composite = crc32(raw) + "-3"
    head = s3.head_object(Bucket=bucket, Key="w.bin", ChecksumMode="ENABLED")
    got = s3.get_object(Bucket=bucket, Key="w.bin", ChecksumMode="ENABLED")
    assert got["Body"].read() == data
    for answer in (head, got):
        assert {name: answer[name] for name in CONTENT} == CONTENT
        assert headers_of(answer)["expires"] == "Thu, 01 Dec 2044 16:00:00 GMT"
        assert answer["Metadata"] == {"stage": "final"}
        assert answer["ChecksumCRC32"] == composite
        assert answer["ChecksumType"] == "COMPOSITE"
    # Without checksum mode, or for a range or one part, the whole object's checksum stays out.
    plain = s3.head_object(Bucket=bucket, Key="w.bin")
    ranged = s3.get_object(Bucket=bucket, Key="w.bin", Range="bytes=0-9", ChecksumMode="ENABLED")
    part = s3.head_object(Bucket=bucket, Key="w.bin", PartNumber=2, ChecksumMode="ENABLED")
    for answer in (plain, ranged, part):
        assert "ChecksumCRC32" not in answer
    assert ranged["ContentDisposition"] == CONTENT["ContentDisposition"]


@pytest.mark.parametrize(
    ("algorithm", "width", "compute"),
    [("CRC32", 4, zlib.crc32), ("CRC64NVME", 8, crt.crc64nvme)],
)
def test_a_full_object_checksum_is_stored_and_botocore_verifies_it_on_get(
    s3: Any, alice: S3User, algorithm: str, width: int, compute: Any
) -> None:
    bucket = new_bucket(s3, alice)
    pieces = [os.urandom(5 * MIB), os.urandom(MIB)]
    data = b"".join(pieces)
    created = s3.create_multipart_upload(
        Bucket=bucket,
        Key="full.bin",
        ChecksumAlgorithm=algorithm,
        ChecksumType="FULL_OBJECT",
        CacheControl="no-store",
    )
    upload_id = created["UploadId"]
    listed = []
    for number, piece in enumerate(pieces, start=1):
        value = base64.b64encode(compute(piece).to_bytes(width, "big")).decode()
        answer = s3.upload_part(
            Bucket=bucket,
            Key="full.bin",
            UploadId=upload_id,
            PartNumber=number,
            Body=piece,
            **{"Checksum" + algorithm: value},
        )
        listed.append({"PartNumber": number, "ETag": answer["ETag"]})
    completed = s3.complete_multipart_upload(
        Bucket=bucket,
        Key="full.bin",
        UploadId=upload_id,
        MultipartUpload={"Parts": listed},
        ChecksumType="FULL_OBJECT",
    )
    whole = base64.b64encode(compute(data).to_bytes(width, "big")).decode()
    assert completed["Checksum" + algorithm] == whole
    head = s3.head_object(Bucket=bucket, Key="full.bin", ChecksumMode="ENABLED")
    assert (head["Checksum" + algorithm], head["ChecksumType"]) == (whole, "FULL_OBJECT")
    assert head["CacheControl"] == "no-store"
    # botocore checks the body against a full-object checksum as it reads it.
    got = s3.get_object(Bucket=bucket, Key="full.bin", ChecksumMode="ENABLED")
    assert got["Body"].read() == data
    assert got["Checksum" + algorithm] == whole


def test_an_upload_with_bad_content_headers_is_refused_before_it_starts(
    s3: Any, alice: S3User
) -> None:
    bucket = new_bucket(s3, alice)
    for extra in (
        {"CacheControl": "x" * 2000},
        {"ContentDisposition": "attachment;\tfilename=a"},
    ):
        with pytest.raises(ClientError) as refused:
            s3.create_multipart_upload(Bucket=bucket, Key="k", **extra)
        assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    # Upload framing is not the object's encoding: "aws-chunked" is not kept.
    created = s3.create_multipart_upload(
        Bucket=bucket, Key="k", ContentEncoding="aws-chunked, gzip"
    )
    answer = s3.upload_part(
        Bucket=bucket, Key="k", UploadId=created["UploadId"], PartNumber=1, Body=b"tiny"
    )
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key="k",
        UploadId=created["UploadId"],
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": answer["ETag"]}]},
    )
    assert s3.head_object(Bucket=bucket, Key="k")["ContentEncoding"] == "gzip"


def test_list_multipart_uploads_rolls_keys_up_by_delimiter_and_pages(
    s3: Any, alice: S3User
) -> None:
    bucket = new_bucket(s3, alice)
    made = {}
    for key in ("models/a.bin", "models/b.bin", "models/x/c.bin", "readme", "z/d"):
        made[key] = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    top = s3.list_multipart_uploads(Bucket=bucket, Delimiter="/")
    assert [u["Key"] for u in top["Uploads"]] == ["readme"]
    assert [p["Prefix"] for p in top["CommonPrefixes"]] == ["models/", "z/"]
    assert (top["Delimiter"], top["IsTruncated"]) == ("/", False)
    inner = s3.list_multipart_uploads(Bucket=bucket, Prefix="models/", Delimiter="/")
    assert [u["Key"] for u in inner["Uploads"]] == ["models/a.bin", "models/b.bin"]
    assert [p["Prefix"] for p in inner["CommonPrefixes"]] == ["models/x/"]
    # botocore's paginator follows NextKeyMarker / NextUploadIdMarker, one entry a page.
    pages = s3.get_paginator("list_multipart_uploads").paginate(
        Bucket=bucket, Delimiter="/", PaginationConfig={"PageSize": 1}
    )
    seen = []
    for page in pages:
        seen += [u["Key"] for u in page.get("Uploads", [])]
        seen += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
    assert seen == ["models/", "readme", "z/"]
    everything = s3.list_multipart_uploads(Bucket=bucket)
    assert [u["UploadId"] for u in everything["Uploads"]] == [made[k] for k in sorted(made)]
    assert "CommonPrefixes" not in everything
    with pytest.raises(ClientError) as refused:
        s3.list_multipart_uploads(Bucket=bucket, Delimiter="/" * 17)
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_an_object_joined_from_its_parts_reads_the_same_every_way(
    live_server: LiveServer, s3: Any, alice: S3User
) -> None:
    # Completion writes no byte: the object is its parts' blobs in order. Every read goes
    # through them: whole, ranges across part boundaries, a part, a copy, and the REST API.
    bucket = new_bucket(s3, alice)
    pieces = [os.urandom(5 * MIB), os.urandom(5 * MIB), b"the last part"]
    whole = b"".join(pieces)
    upload = s3.create_multipart_upload(Bucket=bucket, Key="joined")["UploadId"]
    etags = [
        s3.upload_part(Bucket=bucket, Key="joined", UploadId=upload, PartNumber=n, Body=body)[
            "ETag"
        ]
        for n, body in enumerate(pieces, start=1)
    ]
    parts = [{"PartNumber": n, "ETag": etag} for n, etag in enumerate(etags, start=1)]
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="joined", UploadId=upload, MultipartUpload={"Parts": parts}
    )
    assert done["ETag"].endswith('-3"')
    assert s3.get_object(Bucket=bucket, Key="joined")["Body"].read() == whole
    edge = 5 * MIB
    for start, end in ((edge - 10, edge + 9), (edge - 1, 2 * edge), (2 * edge - 3, len(whole) - 1)):
        got = s3.get_object(Bucket=bucket, Key="joined", Range=f"bytes={start}-{end}")
        assert got["Body"].read() == whole[start : end + 1]
        assert got["ContentRange"] == f"bytes {start}-{end}/{len(whole)}"
    tail = s3.get_object(Bucket=bucket, Key="joined", Range="bytes=-20")["Body"].read()
    assert tail == whole[-20:]
    assert s3.get_object(Bucket=bucket, Key="joined", PartNumber=3)["Body"].read() == pieces[2]
    head = s3.head_object(Bucket=bucket, Key="joined")
    assert (head["ContentLength"], head["ETag"]) == (len(whole), done["ETag"])

    s3.copy_object(Bucket=bucket, Key="copied", CopySource={"Bucket": bucket, "Key": "joined"})
    copied = s3.get_object(Bucket=bucket, Key="copied")
    assert copied["Body"].read() == whole
    assert copied["ETag"] == f'"{hashlib.md5(whole).hexdigest()}"'  # a copy is one blob

    namespace, name = bucket.split("--")
    with live_server.client(alice.token) as rest:
        listed = {
            o["key"]: o
            for o in rest.get(f"/api/buckets/{namespace}/{name}/objects").json()["objects"]
        }
        # No whole-content SHA-256 is claimed for the joined object; the copy has one.
        assert listed["joined"]["sha256"] is None
        assert listed["joined"]["etag"] == done["ETag"].strip('"')
        assert listed["copied"]["sha256"] == hashlib.sha256(whole).hexdigest()
        got = rest.get(f"/api/buckets/{namespace}/{name}/objects/joined")
        assert got.content == whole and "x-content-sha256" not in got.headers
        # Its ETag is S3's, on GET and HEAD alike, and validates as any other.
        assert got.headers["etag"] == done["ETag"] and "x-content-md5" not in got.headers
        headed = rest.head(f"/api/buckets/{namespace}/{name}/objects/joined")
        assert headed.headers["etag"] == done["ETag"]
        unchanged = rest.get(
            f"/api/buckets/{namespace}/{name}/objects/joined",
            headers={"If-None-Match": done["ETag"]},
        )
        assert unchanged.status_code == 304
        with WeighthouseClient(live_server.url, alice.token) as client:
            info = client.head_object(f"{namespace}/{name}", "joined")
            listed_info = client.find_object(f"{namespace}/{name}", "joined")
        assert (info.etag, info.sha256, info.size) == (done["ETag"].strip('"'), None, len(whole))
        assert listed_info.etag == info.etag
        ranged = rest.get(
            f"/api/buckets/{namespace}/{name}/objects/joined",
            headers={"Range": f"bytes={edge - 5}-{edge + 4}"},
        )
        assert ranged.status_code == 206 and ranged.content == whole[edge - 5 : edge + 5]
        # Its validator still works for a conditional replace.
        etag = got.headers["etag"]
        refused = rest.put(
            f"/api/buckets/{namespace}/{name}/objects/joined",
            content=b"new",
            headers={"If-Match": '"' + "0" * 64 + '"'},
        )
        assert refused.status_code == 412
        stale = rest.put(
            f"/api/buckets/{namespace}/{name}/objects/joined",
            content=b"new",
            headers={"If-Match": '"' + "0" * 32 + '-3"'},
        )
        assert stale.status_code == 412
        replaced = rest.put(
            f"/api/buckets/{namespace}/{name}/objects/joined",
            content=b"new",
            headers={"If-Match": etag},
        )
        assert replaced.status_code in (200, 201), replaced.text
    assert s3.get_object(Bucket=bucket, Key="joined")["Body"].read() == b"new"
