from __future__ import annotations

import httpx
import pytest

from weighthouse.client import WeighthouseClient
from weighthouse.client.transport import quote_path, repo_path

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
