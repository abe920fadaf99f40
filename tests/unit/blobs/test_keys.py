from __future__ import annotations

import pytest

from weighthouse.blobs.errors import InvalidBlobKeyError
from weighthouse.blobs.keys import check_key, check_prefix, check_range, commit_key

pytestmark = pytest.mark.unit

GOOD = ["a", "sha256/ab/cd/" + "0" * 64, "uploads/x.part", "a-b_c.d/e", "tmpfile", "x/tmp"]
BAD = ["", "/a", "a/", "a//b", "../a", "a/..", "a..b", ".a", "a/.b", "A", "a\0", "tmp", "tmp/a"]


@pytest.mark.parametrize("key", GOOD)
def test_good_keys(key: str) -> None:
    assert check_key(key, "d") == key


@pytest.mark.parametrize("key", [*BAD, "a" * 1025, None, 5, b"a"])
def test_bad_keys(key: object) -> None:
    with pytest.raises(InvalidBlobKeyError) as caught:
        check_key(key, "d")
    assert caught.value.driver == "d"


def test_a_key_checked_again_gets_the_same_answer() -> None:
    # The key that passed last is not matched again; nothing else may pass by that.
    for key in GOOD:
        assert check_key(key, "d") == key
        assert check_key(key, "d") == key
        for bad in BAD:
            with pytest.raises(InvalidBlobKeyError):
                check_key(bad, "d")
        assert check_key(key, "d") == key


@pytest.mark.parametrize("prefix", ["", "a", "a/", "sha256/ab/c", "tmp", "t"])
def test_good_prefixes(prefix: str) -> None:
    assert check_prefix(prefix, "d") == prefix


@pytest.mark.parametrize("prefix", ["/", "a//", "../", "A/", ".", "a/../"])
def test_bad_prefixes(prefix: str) -> None:
    with pytest.raises(InvalidBlobKeyError):
        check_prefix(prefix, "d")


def test_commit_key_prefers_the_key_given_at_commit() -> None:
    assert commit_key("a", "b", "d") == "b"
    assert commit_key("a", None, "d") == "a"
    with pytest.raises(InvalidBlobKeyError):
        commit_key(None, None, "d")
    with pytest.raises(InvalidBlobKeyError):
        commit_key("a", "../b", "d")


def test_offsets() -> None:
    check_range(0, 0)
    for offset, length in ((-1, 0), (0, -1)):
        with pytest.raises(ValueError, match="negative"):
            check_range(offset, length)
