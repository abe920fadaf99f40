"""``weighthouse.grpc.GrpcClient`` against a server started with no gRPC settings (TLS with
the certificate it made): one-call upload from a path, downloads that resume a part left
behind and refuse bytes that do not match, bucket objects, and the model catalog's stub with
its own token key."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest

from tests.acceptance.api import Account, make_user, unique
from tests.acceptance.live import LiveServer
from tests.acceptance.s3 import S3User, s3_client
from weighthouse.grpc import ChecksumError, GrpcClient, pb, repo_ref

pytestmark = pytest.mark.acceptance

SIZE = 3 * 2**20 + 12345  # several messages, the last one short


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, server_workers: int) -> Iterator[LiveServer]:
    # One upload per account at a time: the slot test below fills an account's share with one.
    live = LiveServer(
        data_dir=tmp_path_factory.mktemp("grpc-client") / "data",
        extra_env={"WEIGHTHOUSE_SERVER__TRANSFERS_PER_ACCOUNT": "1"},
        workers=server_workers,
    ).start()
    yield live
    live.stop()


@pytest.fixture(scope="module")
def alice(server: LiveServer) -> Account:
    return make_user(server)


@pytest.fixture
def client(server: LiveServer, alice: Account) -> Iterator[GrpcClient]:
    ca_file = server.data_dir / "secrets" / "grpc-cert.pem"
    with GrpcClient(f"localhost:{server.grpc_port}", token=alice.token, ca_file=ca_file) as opened:
        yield opened


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("grpc-client-files") / "weights.bin"
    path.write_bytes(os.urandom(SIZE))
    return path


def new_model(client: GrpcClient, owner: Account) -> str:
    name = f"{owner.name}/{unique('m')}"
    client.hub.CreateRepo(pb.CreateRepoRequest(repo=repo_ref(name)), metadata=client.metadata)
    return name


def test_upload_and_resumed_download(client: GrpcClient, alice: Account, source: Path) -> None:
    name = new_model(client, alice)
    done = client.upload_file(name, "w/weights.bin", source, message="from a path")
    expected = hashlib.sha256(source.read_bytes()).hexdigest()
    assert (done.blob.sha256, done.blob.size, done.commit.message) == (
        expected,
        SIZE,
        "from a path",
    )
    target = source.parent / "copy.bin"
    assert client.download_file(name, "w/weights.bin", target) == expected
    assert target.read_bytes() == source.read_bytes()

    # A download stopped half-way left its part: the next call fetches only the rest.
    resumed = source.parent / "resumed.bin"
    part = resumed.with_name("resumed.bin.part")
    part.write_bytes(source.read_bytes()[: SIZE // 2])
    assert client.download_file(name, "w/weights.bin", resumed, revision=done.commit.id)
    assert resumed.read_bytes() == source.read_bytes() and not part.exists()

    # A part that is not the file's beginning is caught by the hash, and nothing is kept.
    corrupt = source.parent / "corrupt.bin"
    corrupt.with_name("corrupt.bin.part").write_bytes(b"\0" * 1000)
    with pytest.raises(ChecksumError):
        client.download_file(name, "w/weights.bin", corrupt)
    assert not corrupt.exists() and not corrupt.with_name("corrupt.bin.part").exists()


def test_refusals_keep_their_status(
    client: GrpcClient, server: LiveServer, alice: Account, source: Path
) -> None:
    name = new_model(client, alice)
    missing = source.parent / "missing.bin"
    with pytest.raises(grpc.RpcError) as caught:
        client.download_file(name, "nothing-here.bin", missing)
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    assert not missing.with_name("missing.bin.part").exists() and not missing.exists()
    anonymous = GrpcClient(
        f"localhost:{server.grpc_port}", ca_file=server.data_dir / "secrets" / "grpc-cert.pem"
    )
    with anonymous, pytest.raises(grpc.RpcError) as refused:
        anonymous.upload_file(name, "x.bin", source)
    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
    with pytest.raises(ValueError, match="repo_type"):
        client.upload_file(name, "x.bin", source, repo_type="space")


def test_bucket_objects_also_through_s3(
    client: GrpcClient, server: LiveServer, alice: Account, source: Path
) -> None:
    bucket = f"{alice.name}/{unique('b')}"
    ref = pb.RepoRef(type=pb.BUCKET, repo=bucket)
    client.hub.CreateRepo(pb.CreateRepoRequest(repo=ref), metadata=client.metadata)
    stored = client.put_object(bucket, "ckpt/step-1.bin", source, content_type="x-test/bin")
    assert (stored.size, stored.content_type) == (SIZE, "x-test/bin")
    target = source.parent / "object.bin"
    assert client.get_object(bucket, "ckpt/step-1.bin", target) == stored.sha256
    assert target.read_bytes() == source.read_bytes()

    # The same object through the S3 port, with an access key of the same user.
    with server.client(alice.token) as rest:
        issued = rest.post("/api/access-keys", json={"name": "s3", "scope": "read"})
        assert issued.status_code == 201, issued.text
        key = issued.json()
    s3 = s3_client(server, S3User(alice.name, alice.token, key["id"], key["secret"]))
    s3_bucket = bucket.replace("/", "--")
    got = s3.get_object(Bucket=s3_bucket, Key="ckpt/step-1.bin")
    assert got["Body"].read() == source.read_bytes()
    assert got["ContentType"] == "x-test/bin"

    # An object a multipart upload joined from its parts has no SHA-256 to announce: the
    # download still checks its size and returns the digest of what it received.
    writer = s3_client(server, make_s3_user_of(server, alice))
    first, last = os.urandom(5 * 2**20), b"last part"
    upload = writer.create_multipart_upload(Bucket=s3_bucket, Key="joined")["UploadId"]
    parts = [
        {"PartNumber": n, "ETag": writer.upload_part(
            Bucket=s3_bucket, Key="joined", UploadId=upload, PartNumber=n, Body=body
        )["ETag"]}
        for n, body in ((1, first), (2, last))
    ]  # fmt: skip
    writer.complete_multipart_upload(
        Bucket=s3_bucket, Key="joined", UploadId=upload, MultipartUpload={"Parts": parts}
    )
    joined = source.parent / "joined.bin"
    assert client.get_object(bucket, "joined", joined) == hashlib.sha256(first + last).hexdigest()
    assert joined.read_bytes() == first + last


def make_s3_user_of(server: LiveServer, account: Account) -> S3User:
    with server.client(account.token) as rest:
        issued = rest.post("/api/access-keys", json={"name": "s3-write", "scope": "write"})
        assert issued.status_code == 201, issued.text
        key = issued.json()
    return S3User(account.name, account.token, key["id"], key["secret"])


def test_the_model_catalog_stub_takes_its_own_token_key(server: LiveServer) -> None:
    # In a process of its own: the original model catalog's generated messages, which other
    # test modules load, have the same names as the server's copy this stub uses.
    script = f"""
import sys
from weighthouse.grpc import GrpcClient
from weighthouse.frontends.grpc.protos import model_catalog_pb2 as pb

target, ca = "localhost:{server.grpc_port}", {str(server.data_dir / "secrets" / "grpc-cert.pem")!r}
with GrpcClient(target, ca_file=ca) as anonymous:
    signup = pb.SignUpRequest(username=sys.argv[1], password="x" * 12)
    token = anonymous.catalog.SignUp(signup).token
with GrpcClient(target, ca_file=ca, token=token) as user:
    assert user.catalog_metadata == [("user_token", token)]
    request = pb.CreateFolderRequest(name=sys.argv[2])
    folder = user.catalog.CreateFolder(request, metadata=user.catalog_metadata)
    print(folder.folder_id)
"""
    folder = unique("f")
    result = subprocess.run(
        [sys.executable, "-c", script, unique("cat"), folder],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == folder


def test_uploads_share_the_http_front_ends_slots(
    client: GrpcClient, server: LiveServer, alice: Account
) -> None:
    name = new_model(client, alice)
    release = threading.Event()
    done: list[Any] = []

    def messages() -> Iterator[Any]:
        header = pb.UploadHeader(repo=repo_ref(name), path="slow.bin", size=2 * 2**20)
        yield pb.UploadFileRequest(header=header)
        yield pb.UploadFileRequest(chunk=b"a" * 2**20)
        release.wait(60)  # stalls, holding alice's one slot
        yield pb.UploadFileRequest(chunk=b"b" * 2**20)

    def stalled() -> None:
        done.append(client.hub.UploadFile(messages(), metadata=client.metadata, timeout=90))

    thread = threading.Thread(target=stalled)
    thread.start()
    try:
        # REST uploads by the same account are refused once the gRPC one holds the slot.
        deadline = time.monotonic() + 30
        while True:
            answer = httpx.put(
                f"{server.url}/api/models/{name}/upload/main/rest.bin",
                content=b"rest",
                headers={"Authorization": f"Bearer {alice.token}"},
                timeout=30,
            )
            if answer.status_code == 429 or time.monotonic() > deadline:
                break
        assert answer.status_code == 429, answer.text
        with pytest.raises(grpc.RpcError) as refused:
            client.upload_file(name, "second.bin", Path(__file__))
        assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    finally:
        release.set()
        thread.join(60)
    assert done and done[0].blob.size == 2 * 2**20
    # Released: the next upload, by either protocol, goes through.
    assert client.upload_file(name, "after.bin", Path(__file__)).blob.size > 0
