from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from weighthouse.domain.errors import InvalidNameError, InvalidPathError, InvalidRevisionError
from weighthouse.domain.names import (
    check_key,
    check_name,
    check_path,
    check_ref_name,
    check_revision,
    is_valid_name,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("name", ["a", "bert-base", "Llama_3.1", "x" * 96, "a.b-c_d", "0"])
def test_good_names(name: str) -> None:
    assert check_name(name) == name


@pytest.mark.parametrize(
    "name",
    [
        "",
        "x" * 97,
        "a/b",
        "..",
        "a..b",
        "a--b",
        "-a",
        "a-",
        ".a",
        "a.",
        "a b",
        "é",
        "a\x00",
        "repo.git",
        "a\\b",
        "a\nb",
    ],
)
def test_bad_names(name: str) -> None:
    with pytest.raises(InvalidNameError):
        check_name(name)


@pytest.mark.parametrize(
    "path", ["a", "a/b.txt", "dir/sub/file.safetensors", "é/ü", ".gitattributes"]
)
def test_good_paths(path: str) -> None:
    assert check_path(path) == path


@pytest.mark.parametrize(
    "path",
    [
        "",
        "/abs",
        "a/../b",
        "..",
        "./a",
        "a//b",
        "a/",
        "a\\b",
        "a\x00b",
        "a\x7fb",
        ".git/config",
        "a/.git/x",
        "x" * 1025,
        "\udcff",
    ],
)
def test_bad_paths(path: str) -> None:
    with pytest.raises(InvalidPathError):
        check_path(path)


@pytest.mark.parametrize("key", ["../x", "a//b", "\\", " ", "é" * 512, "a/"])
def test_bucket_keys_are_verbatim(key: str) -> None:
    assert check_key(key) == key


@pytest.mark.parametrize("key", ["", "é" * 513, "\udcff"])
def test_bad_bucket_keys(key: str) -> None:
    with pytest.raises(InvalidPathError):
        check_key(key)


@pytest.mark.parametrize(
    "ref", ["main", "v1.2.3", "1.0+build", "release_2", "feature/x", "user/topic/v1.0"]
)
def test_good_refs(ref: str) -> None:
    assert check_ref_name(ref) == ref


@pytest.mark.parametrize(
    "ref",
    [
        *("", "latest", "a" * 40, "0" * 40, "-x", "a..b", "x.", "a b", "/a", "a/", "a//b"),
        *("a/.b", "a/-b", "a/b.", "a.lock", "a/b.lock/c", "refs/pr/1"),
    ],
)
def test_bad_refs(ref: str) -> None:
    with pytest.raises(InvalidNameError):
        check_ref_name(ref)


def test_revisions_accept_commit_ids_and_latest() -> None:
    assert check_revision("a" * 40) == "a" * 40
    assert check_revision("latest") == "latest"
    with pytest.raises(InvalidRevisionError):
        check_revision("../x")


def test_revisions_accept_pull_request_branches_only_by_number() -> None:
    assert check_revision("refs/pr/12") == "refs/pr/12"
    for other in ("refs/pr/0", "refs/pr/01", "refs/pr/x", "refs/pr/1/2", "refs/heads/main"):
        with pytest.raises(InvalidRevisionError):
            check_revision(other)


@given(st.text(max_size=120))
def test_valid_names_never_escape_a_folder(name: str) -> None:
    if is_valid_name(name):
        assert "/" not in name and "\\" not in name and name not in (".", "..")
        assert name.isascii() and 1 <= len(name) <= 96
