"""``weighthouse.grpc.GrpcClient`` against a server started with no gRPC settings (TLS with
the certificate it made): one-call upload from a path, downloads that resume a part left
behind and refuse bytes that do not match, bucket objects, and the model catalog's stub with
its own token key."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from tests.acceptance.api import Account, make_user, unique
from tests.acceptance.live import LiveServer
from weighthouse.frontends.grpc.protos import model_catalog_pb2
from weighthouse.grpc import ChecksumError, GrpcClient, pb, repo_ref

pytestmark = pytest.mark.acceptance

SIZE = 3 * 2**20 + 12345  # several messages, the last one short


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, server_workers: int) -> Iterator[LiveServer]:
    if server_workers > 1:
        pytest.skip("the client does not depend on the server's process count; first pass")
    live = LiveServer(data_dir=tmp_path_factory.mktemp("grpc-client") / "data").start()
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


def test_bucket_objects(client: GrpcClient, alice: Account, source: Path) -> None:
    bucket = f"{alice.name}/{unique('b')}"
    ref = pb.RepoRef(type=pb.BUCKET, repo=bucket)
    client.hub.CreateRepo(pb.CreateRepoRequest(repo=ref), metadata=client.metadata)
    stored = client.put_object(bucket, "ckpt/step-1.bin", source, content_type="x-test/bin")
    assert (stored.size, stored.content_type) == (SIZE, "x-test/bin")
    target = source.parent / "object.bin"
    assert client.get_object(bucket, "ckpt/step-1.bin", target) == stored.sha256
    assert target.read_bytes() == source.read_bytes()


def test_the_model_catalog_stub_takes_its_own_token_key(client: GrpcClient) -> None:
    name = unique("cat")
    signed_up = client.catalog.SignUp(
        model_catalog_pb2.SignUpRequest(username=name, password="correct horse battery")
    )
    with GrpcClient("unused", token=signed_up.token, channel=client.channel) as catalog_user:
        assert catalog_user.catalog_metadata == [("user_token", signed_up.token)]
        folder = catalog_user.catalog.CreateFolder(
            model_catalog_pb2.CreateFolderRequest(name=unique("f")),
            metadata=catalog_user.catalog_metadata,
        )
        assert folder.folder_id
