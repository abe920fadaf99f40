from __future__ import annotations

import http.server
import re
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.acceptance.certificates import self_signed

from weighthouse.client import WeighthouseClient
from weighthouse.client.errors import ServerUnreachableError
from weighthouse.client.transport import default_tls, quote_path, repo_path

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("path", "quoted"),
    [
        ("a/b c.bin", "a/b%20c.bin"),
        ("../x", "%2E%2E/x"),
        ("./x/.", "%2E/x/%2E"),
        ("100%/ü?#", "100%25/%C3%BC%3F%23"),
        ("..x/...", "..x/..."),
    ],
)
def test_quote_path(path: str, quoted: str) -> None:
    assert quote_path(path) == quoted


def test_repo_path() -> None:
    assert repo_path("alice/bert", "model") == "/api/models/alice/bert"
    assert repo_path("alice/data", "dataset") == "/api/datasets/alice/data"
    with pytest.raises(ValueError, match="namespace/name"):
        repo_path("bert", "model")


def test_dot_segments_of_a_key_reach_the_server_verbatim() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.raw_path.decode())
        return httpx.Response(204)

    with WeighthouseClient("http://hub.test", transport=httpx.MockTransport(handler)) as client:
        client.delete_object("alice/b", "../x")
    assert seen == ["/api/buckets/alice/b/objects/%2E%2E/x"]


def test_listings_follow_cursors_to_the_end() -> None:
    cursors: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        cursor = request.url.params.get("cursor")
        cursors.append(cursor)
        page = {None: ("a", "c1"), "c1": ("b", "c2"), "c2": ("c", None)}[cursor]
        entry = {"path": page[0], "type": "file", "size": 1, "sha256": "0" * 64}
        return httpx.Response(
            200, json={"commit": "f" * 40, "entries": [entry], "next_cursor": page[1]}
        )

    with WeighthouseClient("http://hub.test", transport=httpx.MockTransport(handler)) as client:
        assert [e.path for e in client.iter_tree("alice/bert", recursive=True)] == ["a", "b", "c"]
        commit, entries = client.list_tree("alice/bert", revision="main")
    assert commit == "f" * 40 and [e.path for e in entries] == ["a", "b", "c"]
    assert cursors == [None, "c1", "c2", None, "c1", "c2"]


def test_later_tree_pages_are_pinned_to_the_first_commit() -> None:
    paths: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.path)
        more = request.url.params.get("cursor") is None
        body: dict[str, object] = {
            "commit": "e" * 40,
            "entries": [],
            "next_cursor": "c1" if more else None,
        }
        return httpx.Response(200, json=body)

    with WeighthouseClient("http://hub.test", transport=httpx.MockTransport(handler)) as client:
        client.list_tree("alice/bert", revision="main", path="sub")
    assert paths == [
        "/api/models/alice/bert/tree/main/sub",
        f"/api/models/alice/bert/tree/{'e' * 40}/sub",
    ]


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An HTTPS server on loopback answering 200 to every GET, with a certificate for
    127.0.0.1 signed by a CA of its own; its URL and that CA's file."""
    cert, key = self_signed(tmp_path)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}", cert
    server.shutdown()
    server.server_close()


def test_every_client_shares_one_tls_context_that_still_verifies(
    tls_server: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, ca = tls_server
    default_tls.cache_clear()
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))
    made: list[ssl.SSLContext] = []

    def counted(*args: Any, **kwargs: Any) -> ssl.SSLContext:
        made.append(create(*args, **kwargs))
        return made[-1]

    create = ssl.create_default_context
    monkeypatch.setattr(ssl, "create_default_context", counted)
    try:
        # Made once, from the environment as it is then: the server's CA is trusted.
        with WeighthouseClient(url) as first, WeighthouseClient(url) as second:
            assert first.request("GET", "/healthz").status_code == 200
            assert second.request("GET", "/healthz").status_code == 200
        assert len(made) == 1
        context = default_tls()
        assert default_tls() is context
        assert (context.verify_mode, context.check_hostname) == (ssl.CERT_REQUIRED, True)
    finally:
        default_tls.cache_clear()
    # Made again without that CA, the same server's certificate is refused.
    monkeypatch.delenv("SSL_CERT_FILE")
    try:
        with WeighthouseClient(url) as client, pytest.raises(ServerUnreachableError):
            client.request("GET", "/healthz")
    finally:
        default_tls.cache_clear()


@pytest.mark.parametrize("content", [None, b"not a certificate\n"])
def test_roots_that_cannot_be_loaded_are_named_in_the_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: bytes | None
) -> None:
    roots = tmp_path / "roots.pem"
    if content is not None:
        roots.write_bytes(content)
    monkeypatch.setenv("SSL_CERT_FILE", str(roots))
    default_tls.cache_clear()
    try:
        with pytest.raises(OSError, match=re.escape(f"SSL_CERT_FILE={roots} cannot be loaded: ")):
            WeighthouseClient("https://hub.test")
    finally:
        default_tls.cache_clear()
