"""Telling bucket locations from local paths on the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from weighthouse.client.bucket_paths import (
    BucketLocation,
    LocalPath,
    base_name,
    parse_bucket_location,
    parse_location,
    under,
)

pytestmark = pytest.mark.unit


def nothing_exists(name: str) -> bool:
    return False


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("wh://alice/scratch", BucketLocation("alice/scratch", "")),
        ("wh://alice/scratch/", BucketLocation("alice/scratch", "")),
        ("wh://alice/scratch/a/b.txt", BucketLocation("alice/scratch", "a/b.txt")),
        ("alice/scratch/logs/", BucketLocation("alice/scratch", "logs/")),
        ("alice/scratch/../x", BucketLocation("alice/scratch", "../x")),
        ("alice/scratch", BucketLocation("alice/scratch", "")),
    ],
)
def test_bucket_locations(text: str, expected: BucketLocation) -> None:
    assert parse_location(text, exists=nothing_exists) == expected


@pytest.mark.parametrize("text", ["./alice/scratch", "/tmp/x/y", "~/x/y", "file.txt"])
def test_plainly_local_paths(text: str) -> None:
    assert parse_location(text, exists=nothing_exists) == LocalPath(Path(text).expanduser())


@pytest.mark.parametrize("text", ["newdir/", "./a/b/", "/tmp/x/", ".", "..", "./", "/"])
def test_a_trailing_slash_names_a_folder_that_may_not_exist_yet(text: str) -> None:
    location = parse_location(text, exists=nothing_exists)
    assert location == LocalPath(Path(text), is_folder=True)
    assert str(location).endswith("/") or str(location) in (".", "..")


def test_an_existing_first_segment_makes_it_local() -> None:
    assert parse_location("out/dir", exists=lambda name: name == "out") == LocalPath(
        Path("out/dir")
    )
    assert parse_location("bad name/x/y", exists=nothing_exists) == LocalPath(Path("bad name/x/y"))


@pytest.mark.parametrize("text", ["wh://alice", "wh://", "wh://bad name/b"])
def test_a_scheme_without_a_bucket_is_an_error(text: str) -> None:
    with pytest.raises(ValueError, match="wh://namespace/bucket"):
        parse_location(text, exists=nothing_exists)


def test_prefixes_and_names() -> None:
    assert BucketLocation("a/b", "dir").folder == "dir/"
    assert BucketLocation("a/b", "dir/").is_prefix and BucketLocation("a/b").is_prefix
    assert not BucketLocation("a/b", "k").is_prefix
    assert under("", "x/y") == "x/y" and under("p/", "x") == "p/x" and under("p", "x") == "p/x"
    assert base_name("a/b/c.txt") == "c.txt" and base_name("dir/") == "dir"
    assert str(parse_bucket_location("a/b/k")) == "wh://a/b/k"
