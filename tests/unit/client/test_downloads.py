"""Downloads against an in-process fake server (``httpx.MockTransport``): what is asked for
when resuming, and what ends up on disk."""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx
import pytest

from weighthouse.client import ApiError, DigestMismatchError, WeighthouseClient
from weighthouse.client.downloads import partial_path_for

pytestmark = pytest.mark.unit

DATA = bytes(range(256)) * 40
SHA = hashlib.sha256(DATA).hexdigest()
URL = "/api/models/alice/bert/resolve/main/w.bin"


class FakeFiles:
    """Serves ``DATA`` like the REST API does: ETag, Range, If-Range, 416."""

    def __init__(self, data: bytes = DATA) -> None:
        self.data = data
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        sha = hashlib.sha256(self.data).hexdigest()
        headers = {"ETag": f'"{sha}"', "X-Content-SHA256": sha, "Accept-Ranges": "bytes"}
        wanted = request.headers.get("range")
        if_range = request.headers.get("if-range")
        if wanted and (if_range is None or if_range == f'"{sha}"'):
            first, _, last = wanted.removeprefix("bytes=").partition("-")
            start, end = int(first), int(last) + 1 if last else len(self.data)
            if start >= len(self.data):
                body = {"error": {"code": "range_not_satisfiable", "message": "past the end"}}
                return httpx.Response(416, json=body)
            headers["Content-Range"] = f"bytes {start}-{end - 1}/{len(self.data)}"
            return httpx.Response(206, content=self.data[start:end], headers=headers)
        if request.method == "HEAD":
            headers["Content-Length"] = str(len(self.data))
            return httpx.Response(200, headers=headers)
        return httpx.Response(200, content=self.data, headers=headers)


def _client(server: FakeFiles) -> WeighthouseClient:
    return WeighthouseClient("http://hub.test", "tok", transport=httpx.MockTransport(server))


def test_plain_download_checks_and_renames(tmp_path: Path) -> None:
    server = FakeFiles()
    dest = tmp_path / "w.bin"
    with _client(server) as client:
        client.download("alice/bert", "w.bin", dest, sha256=SHA, size=len(DATA))
    assert dest.read_bytes() == DATA
    assert not partial_path_for(dest).exists()
    assert "range" not in server.requests[0].headers
    assert server.requests[0].headers["authorization"] == "Bearer tok"
    assert server.requests[0].url.path == URL


def test_resume_asks_for_the_rest_and_keeps_the_prefix(tmp_path: Path) -> None:
    server = FakeFiles()
    dest = tmp_path / "w.bin"
    partial_path_for(dest).write_bytes(DATA[:1000])
    resumed: list[int] = []
    seen: list[int] = []
    with _client(server) as client:
        client.download(
            "alice/bert",
            "w.bin",
            dest,
            sha256=SHA,
            size=len(DATA),
            on_resume=resumed.append,
            on_bytes=seen.append,
        )
    assert dest.read_bytes() == DATA
    assert server.requests[0].headers["range"] == "bytes=1000-"
    assert server.requests[0].headers["if-range"] == f'"{SHA}"'
    assert resumed == [1000]
    assert sum(seen) == len(DATA)


def test_a_changed_file_is_downloaded_again_from_zero(tmp_path: Path) -> None:
    new = b"new content " * 100
    server = FakeFiles(new)
    dest = tmp_path / "w.bin"
    partial_path_for(dest).write_bytes(DATA[:1000])
    with _client(server) as client:
        # The caller still believes in the old digest: If-Range fails, the server sends the
        # whole new file, and the digest check refuses it.
        with pytest.raises(DigestMismatchError):
            client.download("alice/bert", "w.bin", dest, sha256=SHA, size=len(DATA))
        assert not partial_path_for(dest).exists() and not dest.exists()
        client.download("alice/bert", "w.bin", dest)
    assert dest.read_bytes() == new


def test_without_a_known_digest_the_server_validators_are_used(tmp_path: Path) -> None:
    server = FakeFiles()
    dest = tmp_path / "w.bin"
    partial_path_for(dest).write_bytes(DATA[:10])
    with _client(server) as client:
        client.download("alice/bert", "w.bin", dest)
    assert [r.method for r in server.requests] == ["HEAD", "GET"]
    assert server.requests[1].headers["range"] == "bytes=10-"
    assert dest.read_bytes() == DATA


def test_a_complete_partial_file_is_not_fetched_again(tmp_path: Path) -> None:
    server = FakeFiles()
    dest = tmp_path / "w.bin"
    partial_path_for(dest).write_bytes(DATA)
    with _client(server) as client:
        client.download("alice/bert", "w.bin", dest, sha256=SHA, size=len(DATA))
    assert server.requests == []
    assert dest.read_bytes() == DATA


def test_a_corrupt_full_partial_file_is_replaced(tmp_path: Path) -> None:
    server = FakeFiles()
    dest = tmp_path / "w.bin"
    partial_path_for(dest).write_bytes(b"\0" * len(DATA))
    with _client(server) as client:
        client.download("alice/bert", "w.bin", dest, sha256=SHA, size=len(DATA))
    assert "range" not in server.requests[0].headers
    assert dest.read_bytes() == DATA


def test_a_partial_file_past_the_end_starts_over(tmp_path: Path) -> None:
    server = FakeFiles()
    dest = tmp_path / "w.bin"
    partial_path_for(dest).write_bytes(DATA + b"extra")
    with _client(server) as client:
        # Size unknown, so the range is tried; the 416 makes it start from zero.
        client.download("alice/bert", "w.bin", dest, sha256=SHA)
    assert [r.headers.get("range") for r in server.requests] == [f"bytes={len(DATA) + 5}-", None]
    assert dest.read_bytes() == DATA


def test_a_range_from_elsewhere_is_refused(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"Content-Range": f"bytes 0-{len(DATA) - 1}/{len(DATA)}"}
        return httpx.Response(206, content=DATA, headers=headers)

    dest = tmp_path / "w.bin"
    partial_path_for(dest).write_bytes(DATA[:100])
    client = WeighthouseClient("http://hub.test", transport=httpx.MockTransport(handler))
    with client, pytest.raises(ApiError) as caught:
        client.download("alice/bert", "w.bin", dest, sha256=SHA, size=len(DATA))
    assert caught.value.code == "bad_range"
    assert partial_path_for(dest).read_bytes() == DATA[:100]


def test_read_file_sends_an_inclusive_range() -> None:
    server = FakeFiles()
    with _client(server) as client:
        assert client.read_file("alice/bert", "w.bin", byte_range=(10, 19)) == DATA[10:20]
    assert server.requests[0].headers["range"] == "bytes=10-19"


class RedirectingFiles(FakeFiles):
    """Sends the GET on to another origin, as a store with presigned URLs does."""

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == "hub.test" and request.method == "GET":
            self.requests.append(request)
            headers = {"Location": "https://objects.test/blob?sig=x", "X-Content-SHA256": SHA}
            return httpx.Response(307, headers=headers)
        response = super().__call__(request)
        if request.url.host == "objects.test":
            del response.headers["X-Content-SHA256"]
            response.headers["ETag"] = '"not-a-sha256"'
        return response


def test_a_redirect_is_followed_without_the_token_and_checked_against_the_hub(
    tmp_path: Path,
) -> None:
    server = RedirectingFiles()
    dest = tmp_path / "w.bin"
    with _client(server) as client:
        client.download("alice/bert", "w.bin", dest)
        assert client.read_file("alice/bert", "w.bin") == DATA
    assert dest.read_bytes() == DATA
    fetched = [r for r in server.requests if r.url.host == "objects.test"]
    assert fetched and all("authorization" not in r.headers for r in fetched)
    assert all(r.headers["authorization"] == "Bearer tok" for r in server.requests[:1])


def test_a_redirect_to_other_bytes_fails_the_digest_check(tmp_path: Path) -> None:
    server = RedirectingFiles()
    server.data = DATA[::-1]  # the storage service serves something else
    with _client(server) as client, pytest.raises(DigestMismatchError):
        client.download("alice/bert", "w.bin", tmp_path / "w.bin")
