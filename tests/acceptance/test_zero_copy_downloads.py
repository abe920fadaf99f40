"""Downloads sent from local files without copying through Python, against a live server: the
bytes of whole, ranged and suffix-ranged objects and of objects joined from multipart parts
are exact, over S3 and REST; a connection carries another request after such a response; a
client that leaves mid-download or stops reading leaves the server healthy, with no file
descriptor left open. Every socket has a timeout, so nothing here waits without bound.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.acceptance.live import LiveServer
from tests.acceptance.s3 import make_s3_user, new_bucket, s3_client

pytestmark = pytest.mark.acceptance

BODY_IDLE_TIMEOUT = 2.0
WAIT = 20.0  # the longest any socket waits for the server; far above the timeout above
MIB = 1 << 20
PART = 5 * MIB  # the smallest part S3 allows but the last


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, server_workers: int) -> Iterator[LiveServer]:
    live = LiveServer(
        data_dir=tmp_path_factory.mktemp("zero-copy") / "data",
        workers=server_workers,
        extra_env={"WEIGHTHOUSE_SERVER__BODY_IDLE_TIMEOUT_SECONDS": str(BODY_IDLE_TIMEOUT)},
    ).start()
    yield live
    live.stop()


@pytest.fixture(scope="module")
def stored(server: LiveServer) -> dict[str, Any]:
    """A bucket holding ``whole`` (one blob) and ``joined`` (three multipart parts)."""
    user = make_s3_user(server)
    s3 = s3_client(server, user)
    bucket = new_bucket(s3, user)
    whole = os.urandom(24 * MIB + 123)
    s3.put_object(Bucket=bucket, Key="whole", Body=whole)
    parts = [os.urandom(PART), os.urandom(PART), os.urandom(MIB + 7)]
    upload = s3.create_multipart_upload(Bucket=bucket, Key="joined")["UploadId"]
    done = [
        {
            "PartNumber": n,
            "ETag": s3.upload_part(
                Bucket=bucket, Key="joined", UploadId=upload, PartNumber=n, Body=data
            )["ETag"],
        }
        for n, data in enumerate(parts, start=1)
    ]
    s3.complete_multipart_upload(
        Bucket=bucket, Key="joined", UploadId=upload, MultipartUpload={"Parts": done}
    )
    return {
        "user": user,
        "s3": s3,
        "bucket": bucket,
        "rest": "/api/buckets/" + bucket.replace("--", "/", 1),
        "objects": {"whole": whole, "joined": b"".join(parts)},
    }


RANGES = [
    None,
    "bytes=0-0",
    "bytes=1000-2000000",
    f"bytes={PART - 10}-{PART + 10}",  # across the first part's end
    f"bytes={PART - 1}-",  # open-ended, through every later part
    "bytes=-12345",
    f"bytes=-{2 * PART + 3}",  # a suffix starting inside the first part
]


def expected(data: bytes, header: str | None) -> bytes:
    if header is None:
        return data
    first, last = header.removeprefix("bytes=").split("-")
    if not first:
        return data[-int(last) :]
    return data[int(first) : int(last) + 1] if last else data[int(first) :]


@pytest.mark.parametrize("key", ["whole", "joined"])
@pytest.mark.parametrize("byte_range", RANGES)
def test_s3_get_sends_exact_bytes(stored: dict[str, Any], key: str, byte_range: str | None) -> None:
    extra = {"Range": byte_range} if byte_range else {}
    got = stored["s3"].get_object(Bucket=stored["bucket"], Key=key, **extra)
    body = got["Body"].read()
    want = expected(stored["objects"][key], byte_range)
    assert hashlib.sha256(body).hexdigest() == hashlib.sha256(want).hexdigest()
    assert got["ContentLength"] == len(want)


def test_boto3_download_file_of_a_joined_object_is_exact(
    stored: dict[str, Any], tmp_path: Path
) -> None:
    from boto3.s3.transfer import TransferConfig

    target = tmp_path / "joined"
    config = TransferConfig(multipart_threshold=MIB, multipart_chunksize=3 * MIB, max_concurrency=4)
    stored["s3"].download_file(stored["bucket"], "joined", str(target), Config=config)
    assert target.read_bytes() == stored["objects"]["joined"]


def request(path: str, token: str, headers: str = "") -> bytes:
    return (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n{headers}\r\n"
    ).encode()


def read_response(sock: socket.socket) -> tuple[bytes, bytes]:
    """The head and body of one response with a ``Content-Length``, read off ``sock``."""
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = sock.recv(65536)
        assert chunk, f"closed before the head ended: {received[:200]!r}"
        received += chunk
    head, body = received.split(b"\r\n\r\n", 1)
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        chunk = sock.recv(min(MIB, length - len(body)))
        assert chunk, f"closed after {len(body)} of {length} body bytes"
        body += chunk
    return head, body


def test_a_connection_carries_requests_after_file_sends(
    server: LiveServer, stored: dict[str, Any]
) -> None:
    token = stored["user"].token
    objects = stored["objects"]
    with socket.create_connection(("127.0.0.1", server.port), timeout=WAIT) as sock:
        for key, byte_range in [
            ("joined", f"bytes={PART - 5}-"),
            ("whole", None),
            ("joined", None),
        ]:
            extra = f"Range: {byte_range}\r\n" if byte_range else ""
            sock.sendall(request(f"{stored['rest']}/objects/{key}", token, extra))
            head, body = read_response(sock)
            assert head.startswith(b"HTTP/1.1 206" if byte_range else b"HTTP/1.1 200"), head
            assert b"connection: close" not in head.lower()
            assert body == expected(objects[key], byte_range)
        sock.sendall(
            f"HEAD {stored['rest']}/objects/whole HTTP/1.1\r\nHost: x\r\n"
            f"Authorization: Bearer {token}\r\n\r\n".encode()
        )
        head = sock.recv(65536)
        assert head.startswith(b"HTTP/1.1 200") and head.endswith(b"\r\n\r\n"), head


def open_fds(server: LiveServer) -> int:
    return sum(len(os.listdir(f"/proc/{pid}/fd")) for pid in server.worker_pids())


def settled_fds(server: LiveServer, at_most: int) -> int:
    """The server's open descriptors once they are back to ``at_most`` (or after 10 s)."""
    deadline = time.monotonic() + 10
    count = open_fds(server)
    while count > at_most and time.monotonic() < deadline:
        time.sleep(0.1)
        count = open_fds(server)
    return count


def steady_fds(server: LiveServer) -> int:
    """The server's open descriptors once the count has stayed the same for half a second (or
    after 10 s): what closing connections release has been released."""
    deadline = time.monotonic() + 10
    count = open_fds(server)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        again = open_fds(server)
        if again == count:
            break
        count = again
    return count


def assert_healthy(server: LiveServer, stored: dict[str, Any]) -> None:
    body = stored["s3"].get_object(Bucket=stored["bucket"], Key="joined")["Body"].read()
    assert body == stored["objects"]["joined"]
    assert "Traceback" not in server.log()


def test_clients_leaving_mid_download_leave_the_server_healthy(
    server: LiveServer, stored: dict[str, Any]
) -> None:
    url = f"{stored['rest']}/objects/whole"
    assert_healthy(server, stored)

    def leave_four_times() -> set[int]:
        """Four clients leave mid-download; the server processes that served them."""
        served: set[int] = set()
        for abrupt in (False, True, False, True):
            with socket.create_connection(("127.0.0.1", server.port), timeout=WAIT) as sock:
                sock.sendall(request(url, stored["user"].token))
                assert sock.recv(65536).startswith(b"HTTP/1.1 200")
                served.update(server.workers_of([sock.getsockname()[1]]).values())
                if abrupt:  # a reset rather than an orderly close
                    sock.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
                    )
        return served

    # First rounds let each server process open what it keeps open once used (pooled
    # database connections, a worker thread's reader, the catalog writers' lock file), until
    # every process has served some (the kernel picks the process of each connection); the
    # round after must add nothing to it.
    served: set[int] = set()
    for _ in range(20):
        served |= leave_four_times()
        if served >= set(server.worker_pids()):
            break
    assert served >= set(server.worker_pids()), served
    before = steady_fds(server)
    leave_four_times()
    assert settled_fds(server, before) <= before
    assert_healthy(server, stored)


def test_a_client_that_stops_reading_is_cut_off(server: LiveServer, stored: dict[str, Any]) -> None:
    size = len(stored["objects"]["whole"])
    before = open_fds(server)
    with socket.create_connection(("127.0.0.1", server.port), timeout=WAIT) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        sock.sendall(request(f"{stored['rest']}/objects/whole", stored["user"].token))
        time.sleep(BODY_IDLE_TIMEOUT * 2 + 1)
        received = 0
        with contextlib.suppress(ConnectionResetError):
            while chunk := sock.recv(MIB):
                received += len(chunk)
    # The server gave up on the reader long before the body was all sent.
    assert received < size
    assert settled_fds(server, before) <= before
    assert_healthy(server, stored)
