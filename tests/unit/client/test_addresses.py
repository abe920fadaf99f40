from __future__ import annotations

import pytest

from weighthouse.client.addresses import RepoAddress, parse_repo_address, url_kind
from weighthouse.domain.model import RepoType

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("alice/bert", RepoAddress("alice", "bert", None)),
        ("alice/bert@v1.2", RepoAddress("alice", "bert", "v1.2")),
        ("alice/bert@main", RepoAddress("alice", "bert", "main")),
        ("alice/bert@" + "a" * 40, RepoAddress("alice", "bert", "a" * 40)),
        ("org.x/Llama_3.1-8B@latest", RepoAddress("org.x", "Llama_3.1-8B", "latest")),
    ],
)
def test_parses_namespace_name_and_revision(text: str, expected: RepoAddress) -> None:
    assert parse_repo_address(text) == expected
    assert str(expected) == text


def test_namespace_may_be_left_out_where_allowed() -> None:
    address = parse_repo_address("bert@v1", require_namespace=False)
    assert address == RepoAddress(None, "bert", "v1")
    assert address.with_namespace("alice").id == "alice/bert"
    with pytest.raises(ValueError, match="namespace"):
        _ = address.id


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("bert", "expected namespace/name"),
        ("a/b/c", "2 slashes"),
        ("alice/bert@", "nothing after '@'"),
        ("alice/ba d", "not a valid name"),
        ("alice/-bert", "not a valid name"),
        ("/bert", "not a valid name"),
        ("alice/", "not a valid name"),
        ("alice/x.git", "not a valid name"),
    ],
)
def test_rejects_malformed_addresses(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_repo_address(text)


def test_revision_can_be_forbidden() -> None:
    with pytest.raises(ValueError, match="not allowed"):
        parse_repo_address("alice/bert@v1", allow_revision=False)


def test_url_kinds() -> None:
    assert url_kind(RepoType.MODEL) == "models"
    assert url_kind("dataset") == "datasets"
    assert url_kind("bucket") == "buckets"
