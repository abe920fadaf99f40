"""Weighthouse's own gRPC API (``weighthouse.v1.Hub``) against a live server, plaintext on
loopback: repos, refs, history, trees, one-call and blob uploads, commits with blob proof,
resumable downloads, bucket objects, health and reflection, and the status of every bad input.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from typing import Any

import grpc
import psutil
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from tests.acceptance.api import Account, make_user, unique
from tests.acceptance.live import LiveServer, free_port
from weighthouse.frontends.grpc import wire
from weighthouse.frontends.grpc.protos import hub_pb2 as pb
from weighthouse.frontends.grpc.protos import hub_pb2_grpc as pb_grpc

# A one-process server answers gRPC on a listener of its own rather than one shared with
# spawned workers: this file runs against both.
pytestmark = [pytest.mark.acceptance, pytest.mark.server_workers(1, 2)]

LARGE = 64 * 2**20
RSS_LIMIT = 200 * 2**20
MAX_MESSAGE = 4 * 2**20


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, server_workers: int) -> Iterator[LiveServer]:
    live = LiveServer(
        data_dir=tmp_path_factory.mktemp("grpc-native") / "data",
        workers=server_workers,
        extra_env={
            "WEIGHTHOUSE_GRPC__ENABLED": "true",
            "WEIGHTHOUSE_GRPC__PORT": str(free_port()),
            "WEIGHTHOUSE_GRPC__PLAINTEXT": "true",
            "WEIGHTHOUSE_GRPC__MAX_MESSAGE_BYTES": str(MAX_MESSAGE),
        },
    ).start()
    yield live
    live.stop()


@pytest.fixture(scope="module")
def channel(server: LiveServer) -> Iterator[grpc.Channel]:
    port = server.extra_env["WEIGHTHOUSE_GRPC__PORT"]
    with grpc.insecure_channel(
        f"127.0.0.1:{port}", options=[("grpc.max_receive_message_length", 8 * 2**20)]
    ) as opened:
        yield opened


@pytest.fixture(scope="module")
def hub(channel: grpc.Channel) -> Any:
    return pb_grpc.HubStub(channel)


@pytest.fixture(scope="module")
def alice(server: LiveServer) -> Account:
    return make_user(server)


def auth(account: Account) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {account.token}")]


def model(name: str) -> Any:
    return pb.RepoRef(type=pb.MODEL, repo=name)


def new_model(hub: Any, owner: Account) -> str:
    name = f"{owner.name}/{unique('m')}"
    hub.CreateRepo(pb.CreateRepoRequest(repo=model(name)), metadata=auth(owner))
    return name


def code_of(call: Any, *args: Any, **kwargs: Any) -> grpc.StatusCode:
    with pytest.raises(grpc.RpcError) as caught:
        answer = call(*args, **kwargs)
        if isinstance(answer, Iterator):  # a stream fails as it is read
            list(answer)
    return caught.value.code()


def upload_messages(
    name: str,
    data: bytes,
    *,
    path: str = "w.bin",
    sha256: str | None = None,
    chunk: int = wire.DEFAULT_CHUNK_BYTES,
    **header: Any,
) -> Iterator[Any]:
    yield pb.UploadFileRequest(
        header=pb.UploadHeader(
            repo=model(name),
            path=path,
            size=len(data),
            sha256=sha256 or hashlib.sha256(data).hexdigest(),
            **header,
        )
    )
    for start in range(0, len(data), chunk):
        yield pb.UploadFileRequest(chunk=data[start : start + chunk])


def test_health_and_reflection(channel: grpc.Channel) -> None:
    health = health_pb2_grpc.HealthStub(channel)
    for service in ("", "weighthouse.v1.Hub", "model_catalog.ModelCatalog"):
        answer = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=10)
        assert answer.status == health_pb2.HealthCheckResponse.SERVING
    reflection = reflection_pb2_grpc.ServerReflectionStub(channel)
    request = reflection_pb2.ServerReflectionRequest(list_services="")
    (answer,) = list(reflection.ServerReflectionInfo(iter([request]), timeout=10))
    listed = {s.name for s in answer.list_services_response.service}
    assert {"weighthouse.v1.Hub", "model_catalog.ModelCatalog", "grpc.health.v1.Health"} <= listed


def test_repos_refs_history_and_trees(hub: Any, alice: Account) -> None:
    names = sorted(new_model(hub, alice) for _ in range(3))
    got = hub.GetRepo(pb.GetRepoRequest(repo=model(names[0])), metadata=auth(alice))
    assert (got.repo, got.type, got.private) == (names[0], pb.MODEL, True)
    seen, token = [], ""
    while True:
        page = hub.ListRepos(
            pb.ListReposRequest(namespace=alice.name, page_size=2, page_token=token),
            metadata=auth(alice),
        )
        assert len(page.repos) <= 2
        seen += [r.repo for r in page.repos]
        if not (token := page.next_page_token):
            break
    assert seen == names

    name = names[0]
    data = b"config" * 1000
    first = hub.UploadFile(upload_messages(name, data, path="cfg/a.json"), metadata=auth(alice))
    assert first.blob.sha256 == hashlib.sha256(data).hexdigest()
    second = hub.UploadFile(
        upload_messages(name, b"x", path="b.bin", parent_commit=first.commit.id),
        metadata=auth(alice),
    )
    assert second.commit.parent == first.commit.id
    tree = hub.ListTree(pb.ListTreeRequest(repo=model(name), recursive=True), metadata=auth(alice))
    assert tree.commit == second.commit.id
    assert {(e.path, e.directory, e.size) for e in tree.entries} == {
        ("b.bin", False, 1),
        ("cfg", True, 0),
        ("cfg/a.json", False, len(data)),
    }
    log = hub.ListCommits(
        pb.ListCommitsRequest(repo=model(name), page_size=2), metadata=auth(alice)
    )
    assert [c.id for c in log.commits] == [second.commit.id, first.commit.id]
    assert log.next_page_token  # the repo's first, empty commit is on the next page
    tag = hub.CreateRef(
        pb.CreateRefRequest(repo=model(name), name="v1", revision=first.commit.id, tag=True),
        metadata=auth(alice),
    )
    refs = hub.ListRefs(pb.ListRefsRequest(repo=model(name)), metadata=auth(alice))
    assert [(r.name, r.commit) for r in refs.tags] == [("v1", tag.commit)]
    assert [(r.name, r.commit) for r in refs.branches] == [("main", second.commit.id)]


def test_blob_uploads_commit_with_proof(hub: Any, server: LiveServer, alice: Account) -> None:
    name = new_model(hub, alice)
    blobs = []
    for data in (b"a" * 5000, b"b" * 7000):
        header = pb.BlobHeader(repo=model(name), size=len(data))
        messages = [pb.UploadBlobRequest(header=header), pb.UploadBlobRequest(chunk=data)]
        blobs.append(hub.UploadBlob(iter(messages), metadata=auth(alice)))
    operations = [
        pb.Operation(add=pb.AddFile(path=f"f{i}.bin", sha256=b.sha256, size=b.size))
        for i, b in enumerate(blobs)
    ]
    commit = hub.Commit(
        pb.CommitRequest(repo=model(name), message="two at once", operations=operations),
        metadata=auth(alice),
    )
    tree = hub.ListTree(pb.ListTreeRequest(repo=model(name)), metadata=auth(alice))
    assert tree.commit == commit.id and [e.path for e in tree.entries] == ["f0.bin", "f1.bin"]
    # Another user who only knows the hashes may not put the blobs in a repo of theirs: the
    # same answer as for a blob that was never stored.
    mallory = make_user(server)
    theirs = new_model(hub, mallory)
    never = pb.Operation(add=pb.AddFile(path="n.bin", sha256="c" * 64, size=1))
    codes = {
        code_of(
            hub.Commit,
            pb.CommitRequest(repo=model(theirs), operations=[op]),
            metadata=auth(mallory),
        )
        for op in (operations[0], never)
    }
    assert codes == {grpc.StatusCode.FAILED_PRECONDITION}


def worker_rss(server: LiveServer) -> int:
    return max(psutil.Process(pid).memory_info().rss for pid in server.worker_pids())


class PeakRss:
    """The largest RSS of the server's workers, sampled while a transfer runs."""

    def __init__(self, server: LiveServer) -> None:
        self.server, self.peak, self._done = server, 0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._done.wait(0.05):
            self.peak = max(self.peak, worker_rss(self.server))

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()


def pattern(size: int) -> Iterator[bytes]:
    block = hashlib.sha256(b"seed").digest() * (2**20 // 32)
    for start in range(0, size, len(block)):
        yield block[: min(len(block), size - start)]


def test_large_upload_and_resumed_download_keep_memory_flat(
    hub: Any, server: LiveServer, alice: Account
) -> None:
    name = new_model(hub, alice)
    digest = hashlib.sha256()
    for piece in pattern(LARGE):
        digest.update(piece)
    expected = digest.hexdigest()

    def messages() -> Iterator[Any]:
        header = pb.UploadHeader(repo=model(name), path="big.bin", size=LARGE, sha256=expected)
        yield pb.UploadFileRequest(header=header)
        for piece in pattern(LARGE):
            yield pb.UploadFileRequest(chunk=piece)

    baseline = worker_rss(server)
    with PeakRss(server) as rss:
        hub.UploadFile(messages(), metadata=auth(alice), timeout=300)
        request = pb.DownloadFileRequest(repo=model(name), path="big.bin")
        stream = hub.DownloadFile(request, metadata=auth(alice), timeout=300)
        metadata = dict(stream.initial_metadata())
        assert (metadata[wire.SHA256_KEY], metadata[wire.SIZE_KEY]) == (expected, str(LARGE))
        received = hashlib.sha256()
        offset = 0
        for message in stream:  # killed half-way
            received.update(message.data)
            offset += len(message.data)
            if offset >= LARGE // 2:
                stream.cancel()
                break
        request.offset = offset
        resumed = hub.DownloadFile(request, metadata=auth(alice), timeout=300)
        for message in resumed:
            received.update(message.data)
            offset += len(message.data)
    assert (offset, received.hexdigest()) == (LARGE, expected)
    # Flat: the server never held the file, nor half of it, whatever it holds besides.
    assert 0 < rss.peak < RSS_LIMIT, rss.peak
    assert rss.peak - baseline < LARGE // 2, (baseline, rss.peak)


def test_bucket_objects(hub: Any, alice: Account) -> None:
    bucket = f"{alice.name}/{unique('b')}"
    hub.CreateRepo(
        pb.CreateRepoRequest(repo=pb.RepoRef(type=pb.BUCKET, repo=bucket)), metadata=auth(alice)
    )
    data = bytes(range(256)) * 100
    for key in ("logs/a.txt", "logs/b.txt", "top.bin"):
        header = pb.ObjectHeader(bucket=bucket, key=key, size=len(data), content_type="text/plain")
        messages = [pb.PutObjectRequest(header=header), pb.PutObjectRequest(chunk=data)]
        put = hub.PutObject(iter(messages), metadata=auth(alice))
        assert (put.key, put.size, put.sha256) == (key, len(data), hashlib.sha256(data).hexdigest())
    keys, token = [], ""
    while True:
        page = hub.ListObjects(
            pb.ListObjectsRequest(bucket=bucket, prefix="logs/", page_size=1, page_token=token),
            metadata=auth(alice),
        )
        keys += [o.key for o in page.objects]
        if not (token := page.next_page_token):
            break
    assert keys == ["logs/a.txt", "logs/b.txt"]
    tail = hub.GetObject(
        pb.GetObjectRequest(bucket=bucket, key="top.bin", offset=25000), metadata=auth(alice)
    )
    assert b"".join(m.data for m in tail) == data[25000:]
    hub.DeleteObject(pb.DeleteObjectRequest(bucket=bucket, key="top.bin"), metadata=auth(alice))
    gone = pb.GetObjectRequest(bucket=bucket, key="top.bin")
    assert code_of(hub.GetObject, gone, metadata=auth(alice)) == grpc.StatusCode.NOT_FOUND


def test_bad_input_gets_the_right_status(hub: Any, alice: Account) -> None:
    name = new_model(hub, alice)
    good = hub.UploadFile(upload_messages(name, b"one"), metadata=auth(alice))
    hub.UploadFile(upload_messages(name, b"two"), metadata=auth(alice))
    s = grpc.StatusCode
    cases: list[tuple[grpc.StatusCode, Any, Any, list[tuple[str, str]] | None]] = [
        (
            s.NOT_FOUND,
            hub.GetRepo,
            pb.GetRepoRequest(repo=model(f"{alice.name}/nope")),
            auth(alice),
        ),
        (s.INVALID_ARGUMENT, hub.GetRepo, pb.GetRepoRequest(repo=model("no-slash")), auth(alice)),
        (s.UNAUTHENTICATED, hub.GetRepo, pb.GetRepoRequest(repo=model(name)), None),
        (
            s.UNAUTHENTICATED,
            hub.GetRepo,
            pb.GetRepoRequest(repo=model(name)),
            [("authorization", "Bearer wh_not_a_token")],
        ),
        (s.INVALID_ARGUMENT, hub.UploadFile, upload_messages(name, b"x", path="../x"), auth(alice)),
        (
            s.FAILED_PRECONDITION,
            hub.UploadFile,
            upload_messages(name, b"x", parent_commit=good.commit.id),
            auth(alice),
        ),
        (
            s.INVALID_ARGUMENT,
            hub.UploadFile,
            upload_messages(name, b"x", sha256="0" * 64),
            auth(alice),
        ),
        (
            s.RESOURCE_EXHAUSTED,
            hub.UploadFile,
            upload_messages(name, b"x" * (MAX_MESSAGE + 1024), chunk=MAX_MESSAGE + 1024),
            auth(alice),
        ),
        (
            s.NOT_FOUND,
            hub.DownloadFile,
            pb.DownloadFileRequest(repo=model(name), path="missing.bin"),
            auth(alice),
        ),
        (
            s.OUT_OF_RANGE,
            hub.DownloadFile,
            pb.DownloadFileRequest(repo=model(name), path="w.bin", offset=4),
            auth(alice),
        ),
        (
            s.INVALID_ARGUMENT,
            hub.UploadFile,
            iter([pb.UploadFileRequest(chunk=b"no header first")]),
            auth(alice),
        ),
    ]
    for expected, call, request, metadata in cases:
        assert code_of(call, request, metadata=metadata, timeout=30) == expected, (call, request)
    # The oversized message was refused as it arrived; the repo holds only what was committed.
    tree = hub.ListTree(pb.ListTreeRequest(repo=model(name)), metadata=auth(alice))
    assert [(e.path, e.size) for e in tree.entries] == [("w.bin", 3)]


def test_a_passed_deadline_stops_the_upload_and_frees_its_temporary(
    hub: Any, server: LiveServer, alice: Account
) -> None:
    name = new_model(hub, alice)
    temporaries = server.data_dir / "blobs" / "tmp"
    stalled = threading.Event()
    release = threading.Event()

    def messages() -> Iterator[Any]:
        header = pb.UploadHeader(repo=model(name), path="slow.bin", size=8 * 2**20)
        yield pb.UploadFileRequest(header=header)
        yield pb.UploadFileRequest(chunk=b"x" * 2**20)
        stalled.set()
        release.wait(60)  # a client that stops sending and outlives its own deadline

    try:
        with pytest.raises(grpc.RpcError) as caught:
            hub.UploadFile(messages(), metadata=auth(alice), timeout=3)
    finally:
        release.set()
    assert stalled.is_set()
    assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    # The server gave up too: its temporary goes, and nothing was committed.
    deadline = time.monotonic() + 30
    while any(temporaries.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert list(temporaries.iterdir()) == []
    tree = hub.ListTree(pb.ListTreeRequest(repo=model(name)), metadata=auth(alice))
    assert list(tree.entries) == []
