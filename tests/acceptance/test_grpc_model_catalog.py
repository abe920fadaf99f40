"""The model catalog's own gRPC clients against Weighthouse, over TLS with a self-signed
certificate: stubs generated here, with grpcio-tools, from the original service definition
(``model_catalog.proto`` as the replaced system published it, written out below), never from
the server's copy.

Only the original stubs are imported in this process: both define ``model_catalog.*`` messages,
and one process's protobuf pool holds one definition of each name.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import grpc
import httpx
import pytest

from tests.acceptance.api import unique
from tests.acceptance.certificates import self_signed
from tests.acceptance.hub_client import run_hub
from tests.acceptance.live import LiveServer, free_port
from tests.acceptance.test_cli import Cli, cli

pytestmark = pytest.mark.acceptance

__all__ = ["cli"]

ORIGINAL_PROTO = """
syntax = "proto3";
package model_catalog;
service ModelCatalog {
  rpc SignIn(SignInRequest) returns (SignInResponse);
  rpc SignUp(SignUpRequest) returns (SignUpResponse);
  rpc CreateFolder(CreateFolderRequest) returns (CreateFolderResponse);
  rpc CreateModel(CreateModelRequest) returns (CreateModelResponse);
  rpc ListModels(ListModelsRequest) returns (ListModelsResponse);
  rpc UploadFile(stream UploadFileRequest) returns (UploadFileResponse);
  rpc SetModelVersion(SetModelVersionRequest) returns (SetModelVersionResponse);
  rpc DownloadVersion(DownloadVersionRequest) returns (stream DownloadVersionResponse);
  rpc GrantAccess(GrantAccessRequest) returns (GrantAccessResponse);
}
message SignInRequest { string username = 1; string password = 2; }
message SignInResponse { string token = 1; }
message SignUpRequest { string username = 1; string password = 2; }
message SignUpResponse { string token = 1; }
message CreateFolderRequest { string name = 1; }
message CreateFolderResponse { string folder_id = 1; }
message CreateModelRequest { string name = 1; string folder_id = 2; string description = 3; }
message CreateModelResponse { string model_id = 1; }
message ListModelsRequest {}
message ListModelsResponse { repeated Model model = 1; }
message UploadFileRequest {
  oneof request { FileMetadata file_metadata = 1; bytes chunk_data = 2; }
}
message UploadFileResponse { string file_path = 1; }
message SetModelVersionRequest { string model_id = 1; string uploaded_file_path = 2; }
message SetModelVersionResponse { string version_id = 1; }
message DownloadVersionRequest { string model_id = 1; string version_id = 2; }
message DownloadVersionResponse { bytes chunk_data = 1; }
message GrantAccessRequest { string username = 1; string folder_id = 2; }
message GrantAccessResponse { string message = 1; }
message Version { string id = 1; string file_path = 2; }
message Model {
  string id = 1; string name = 2; string folder_id = 3; string description = 4;
  repeated Version versions = 5; float created_at = 6; string created_by = 7;
}
message FileMetadata { string filename = 1; string model_id = 2; }
"""
ORIGINAL_CHUNK = 1024  # the original client's CHUNK_SIZE
BIG = 100 * 10**6
PASSWORD = "correct horse battery"


def original_stubs(folder: Path) -> tuple[ModuleType, ModuleType]:
    folder.mkdir()
    (folder / "model_catalog.proto").write_text(ORIGINAL_PROTO)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "grpc_tools.protoc",
            f"-I{folder}",
            f"--python_out={folder}",
            f"--grpc_python_out={folder}",
            str(folder / "model_catalog.proto"),
        ],
        check=True,
    )
    sys.path.insert(0, str(folder))
    try:
        return importlib.import_module("model_catalog_pb2"), importlib.import_module(
            "model_catalog_pb2_grpc"
        )
    finally:
        sys.path.remove(str(folder))


class Catalog:
    """The original client's calls, on stubs generated from the original definition."""

    def __init__(self, server: LiveServer, port: int, cert: bytes, pb: Any, pb_grpc: Any):
        self.server, self.port, self.pb = server, port, pb
        credentials = grpc.ssl_channel_credentials(root_certificates=cert)
        self.channel = grpc.secure_channel(f"localhost:{port}", credentials)
        self.stub = pb_grpc.ModelCatalogStub(self.channel)

    def call(self, name: str, request: Any, token: str | None = None, **kw: Any) -> Any:
        metadata = [("user_token", token)] if token is not None else None
        return getattr(self.stub, name)(request, metadata=metadata, timeout=60, **kw)

    def code(self, name: str, request: Any, token: str | None = None) -> grpc.StatusCode:
        with pytest.raises(grpc.RpcError) as caught:
            answer = self.call(name, request, token)
            if name == "DownloadVersion":  # a stream fails as it is read
                list(answer)
        return caught.value.code()

    def sign_up(self, name: str) -> str:
        return str(
            self.call("SignUp", self.pb.SignUpRequest(username=name, password=PASSWORD)).token
        )

    def upload(self, token: str, model_id: str, path: Path, chunk: int, name: str = "") -> str:
        """As the original ``upload(input_path, model_id)``: metadata, then the file's chunks."""

        def messages() -> Iterator[Any]:
            meta = self.pb.FileMetadata(filename=name or str(path), model_id=model_id)
            yield self.pb.UploadFileRequest(file_metadata=meta)
            with path.open("rb") as source:
                while data := source.read(chunk):
                    yield self.pb.UploadFileRequest(chunk_data=data)

        return str(
            self.stub.UploadFile(
                messages(), metadata=[("user_token", token)], timeout=300
            ).file_path
        )

    def download_sha256(self, token: str, model_id: str, version_id: str) -> tuple[str, int]:
        digest, size = hashlib.sha256(), 0
        request = self.pb.DownloadVersionRequest(model_id=model_id, version_id=version_id)
        for message in self.call("DownloadVersion", request, token):
            digest.update(message.chunk_data)
            size += len(message.chunk_data)
        return digest.hexdigest(), size

    def models(self, token: str) -> dict[str, Any]:
        return {m.id: m for m in self.call("ListModels", self.pb.ListModelsRequest(), token).model}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, server_workers: int) -> Iterator[Catalog]:
    folder = tmp_path_factory.mktemp("grpc-catalog")
    pb, pb_grpc = original_stubs(folder / "stubs")
    cert, key = self_signed(folder)
    port = free_port()
    server = LiveServer(
        data_dir=folder / "data",
        workers=server_workers,
        extra_env={
            "WEIGHTHOUSE_GRPC__ENABLED": "true",
            "WEIGHTHOUSE_GRPC__PORT": str(port),
            "WEIGHTHOUSE_GRPC__TLS_CERT": str(cert),
            "WEIGHTHOUSE_GRPC__TLS_KEY": str(key),
        },
    ).start()
    catalog = Catalog(server, port, cert.read_bytes(), pb, pb_grpc)
    yield catalog
    catalog.channel.close()
    server.stop()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory, server_workers: int) -> tuple[Path, Path]:
    """The file sent in the original 1 KiB chunks, and the 100 MB one sent in 1 MiB chunks.

    Both are 100 MB against one server process. Against two, the run that checks the
    listener of every worker, the 1 KiB one is 4 MB: 100,000 messages take a quarter of a
    minute, and the first run has shown that they work.
    """
    folder = tmp_path_factory.mktemp("grpc-files")
    big = folder / "weights.bin"
    with big.open("wb") as out:
        for _ in range(BIG // 10**6):
            out.write(os.urandom(10**6))
    if server_workers == 1:
        return big, big
    small = folder / "small" / "weights.bin"
    small.parent.mkdir()
    with big.open("rb") as source:
        small.write_bytes(source.read(4 * 10**6))
    return small, big


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while data := source.read(1 << 20):
            digest.update(data)
    return digest.hexdigest()


def test_accounts_and_tokens(world: Catalog) -> None:
    pb, name = world.pb, unique("ann")
    token = world.sign_up(name)
    assert token
    duplicate = pb.SignUpRequest(username=name, password=PASSWORD)
    assert world.code("SignUp", duplicate) == grpc.StatusCode.ALREADY_EXISTS
    assert world.call("SignIn", pb.SignInRequest(username=name, password=PASSWORD)).token
    wrong, unknown = [], []
    for request, into in (
        (pb.SignInRequest(username=name, password="not the password"), wrong),
        (pb.SignInRequest(username=unique("nobody"), password="not the password"), unknown),
    ):
        with pytest.raises(grpc.RpcError) as caught:
            world.call("SignIn", request)
        into.append((caught.value.code(), caught.value.details()))
    # The same answer whether the user exists or not.
    assert wrong == unknown and wrong[0][0] == grpc.StatusCode.UNAUTHENTICATED
    listing = pb.ListModelsRequest()
    assert world.code("ListModels", listing) == grpc.StatusCode.UNAUTHENTICATED
    assert (
        world.code("ListModels", listing, "whs.forged.token.x") == grpc.StatusCode.UNAUTHENTICATED
    )
    bearer = world.stub.ListModels(listing, metadata=[("authorization", f"Bearer {token}")])
    assert list(bearer.model) == []


def test_folders_grants_versions_and_bytes(
    world: Catalog, files: tuple[Path, Path], cli: Cli, tmp_path: Path
) -> None:
    pb = world.pb
    alice, bob = unique("alice"), unique("bob")
    alice_token, bob_token = world.sign_up(alice), world.sign_up(bob)
    folder = world.call("CreateFolder", pb.CreateFolderRequest(name=unique("team")), alice_token)
    folder_id = folder.folder_id
    first = world.call(
        "CreateModel",
        pb.CreateModelRequest(name="resnet", folder_id=folder_id, description="first"),
        alice_token,
    ).model_id
    no_access = pb.CreateModelRequest(name="intruder", folder_id=folder_id)
    assert world.code("CreateModel", no_access, bob_token) == grpc.StatusCode.PERMISSION_DENIED
    assert first not in world.models(bob_token)
    assert (
        "may use"
        in world.call(
            "GrantAccess", pb.GrantAccessRequest(username=bob, folder_id=folder_id), alice_token
        ).message
    )
    later = world.call(
        "CreateModel", pb.CreateModelRequest(name="later", folder_id=folder_id), alice_token
    ).model_id
    seen = world.models(bob_token)
    assert {first, later} <= set(seen)
    model = seen[first]
    assert (model.name, model.folder_id, model.description) == ("resnet", folder_id, "first")
    assert model.created_at > 0 and model.created_by

    # Upload without a token is refused before a byte is stored.
    with pytest.raises(grpc.RpcError) as caught:
        world.stub.UploadFile(iter([pb.UploadFileRequest(chunk_data=b"x")]))
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED

    small_file, big_file = files
    expected = [(sha256_of(f), f.stat().st_size) for f in files]
    started = time.monotonic()
    small_chunks = world.upload(bob_token, first, small_file, ORIGINAL_CHUNK)
    took_small = time.monotonic() - started
    assert str(big_file.parent) not in small_chunks
    started = time.monotonic()
    big_chunks = world.upload(bob_token, first, big_file, 1 << 20)
    took_big = time.monotonic() - started
    print(f"uploads: {took_small:.1f}s in 1 KiB chunks, {took_big:.1f}s in 1 MiB chunks")

    # A path, another user's receipt, or a receipt for another model: all refused.
    for token, model_id, reference in (
        (bob_token, first, "/etc/passwd"),
        (bob_token, first, str(big_file)),
        (alice_token, first, small_chunks),
        (bob_token, later, small_chunks),
    ):
        request = pb.SetModelVersionRequest(model_id=model_id, uploaded_file_path=reference)
        assert world.code("SetModelVersion", request, token) == grpc.StatusCode.INVALID_ARGUMENT

    versions = [
        world.call(
            "SetModelVersion",
            pb.SetModelVersionRequest(model_id=first, uploaded_file_path=reference),
            bob_token,
        ).version_id
        for reference in (small_chunks, big_chunks)
    ]
    assert len(set(versions)) == 2  # the same file name twice: two versions
    for version, sent in zip(versions, expected, strict=True):
        assert world.download_sha256(alice_token, first, version) == sent
    listed = world.models(alice_token)[first].versions
    assert [(v.id, v.file_path) for v in listed] == [(v, "weights.bin") for v in versions]
    missing = pb.DownloadVersionRequest(model_id=first, version_id="v-0000")
    assert world.code("DownloadVersion", missing, alice_token) == grpc.StatusCode.NOT_FOUND
    outsider = world.sign_up(unique("eve"))
    hidden = pb.DownloadVersionRequest(model_id=first, version_id=versions[0])
    assert world.code("DownloadVersion", hidden, outsider) == grpc.StatusCode.NOT_FOUND

    # The same model through REST and the CLI.
    server = world.server
    with server.client(alice_token) as rest:
        repo = rest.get(f"/api/models/{first}").raise_for_status().json()
        assert repo["description"] == "first"
        tags = {r["name"] for r in rest.get(f"/api/models/{first}/refs").json()["tags"]}
        assert set(versions) <= tags
        head = rest.head(f"/api/models/{first}/resolve/{versions[1]}/weights.bin")
        assert int(head.headers["content-length"]) == BIG
    cli.ok("login", "--url", server.url, "--token", alice_token)
    assert "weights.bin" in cli.ok("ls", first).stdout
    # And through the Hugging Face Hub API, with the Hub's own client: the same bytes.
    seen_by_hub = run_hub(
        server,
        f"""
        path = hf_hub_download({first!r}, "weights.bin", revision={versions[0]!r})
        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        print(json.dumps([digest, Path(path).stat().st_size]))
        """,
        home=tmp_path / "hf",
        token=alice_token,
    )
    assert tuple(seen_by_hub) == expected[0]

    # Everything survives a restart.
    server.stop()
    server.start()
    token = world.call("SignIn", pb.SignInRequest(username=bob, password=PASSWORD)).token
    after = world.models(token)
    assert {first, later} <= set(after)
    assert [v.id for v in after[first].versions] == versions
    assert world.download_sha256(token, first, versions[0]) == expected[0]


def test_no_server_paths_and_clear_errors(world: Catalog) -> None:
    pb = world.pb
    token = world.sign_up(unique("mal"))
    folder_id = world.call(
        "CreateFolder", pb.CreateFolderRequest(name=unique("f")), token
    ).folder_id
    model_id = world.call(
        "CreateModel", pb.CreateModelRequest(name="m", folder_id=folder_id), token
    ).model_id
    cases = [
        ("CreateModel", pb.CreateModelRequest(name="../../etc", folder_id=folder_id)),
        ("SetModelVersion", pb.SetModelVersionRequest(model_id="../../x", uploaded_file_path="a")),
        ("DownloadVersion", pb.DownloadVersionRequest(model_id=model_id, version_id="..")),
    ]
    for name, request in cases:
        code = world.code(name, request, token)
        assert code == grpc.StatusCode.INVALID_ARGUMENT, (name, code)
    # Chunks before the metadata, and a client path whose last part is empty.
    for messages in (
        [pb.UploadFileRequest(chunk_data=b"x")],
        [pb.UploadFileRequest(file_metadata=pb.FileMetadata(filename="dir/", model_id=model_id))],
    ):
        with pytest.raises(grpc.RpcError) as caught:
            world.stub.UploadFile(iter(messages), metadata=[("user_token", token)])
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    # httpx is here for the health probe only: the REST API kept answering throughout.
    assert httpx.get(f"{world.server.url}/healthz").status_code == 200
