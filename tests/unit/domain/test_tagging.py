"""The S3 rules a tag set is held to: limits counted in characters, the characters allowed,
one key once, no ``aws:`` prefix; the set comes back in key order."""

from __future__ import annotations

import pytest

from weighthouse.domain.errors import InvalidTagError
from weighthouse.domain.tagging import BUCKET_TAGS, OBJECT_TAGS, check_tags


def test_a_valid_set_comes_back_in_key_order() -> None:
    pairs = [("zeta", ""), ("a b", "x+y=z"), ("path", "s3://b/k@v1"), ("ünï", "côde")]
    assert list(check_tags(pairs).items()) == sorted(pairs)


def test_limits_are_counted_in_characters_not_bytes() -> None:
    assert check_tags([("é" * 128, "ü" * 256)]) == {"é" * 128: "ü" * 256}
    for pairs in ([("k" * 129, "v")], [("k", "v" * 257)], [("", "v")]):
        with pytest.raises(InvalidTagError):
            check_tags(pairs)


def test_an_object_holds_ten_tags_and_a_bucket_fifty() -> None:
    ten = [(f"k{n}", "v") for n in range(OBJECT_TAGS)]
    assert len(check_tags(ten)) == OBJECT_TAGS
    with pytest.raises(InvalidTagError):
        check_tags([*ten, ("one more", "v")])
    fifty = [(f"k{n}", "v") for n in range(BUCKET_TAGS)]
    assert len(check_tags(fifty, limit=BUCKET_TAGS)) == BUCKET_TAGS
    with pytest.raises(InvalidTagError):
        check_tags([*fifty, ("one more", "v")], limit=BUCKET_TAGS)


@pytest.mark.parametrize(
    "pairs",
    [[("k", "1"), ("k", "2")], [("aws:cloudformation", "v")], [("AWS:x", "v")],
     [("semi;colon", "v")], [("k", "<script>")], [("k", "tab\x00nul")]],
)  # fmt: skip
def test_what_s3_refuses_is_invalid_tag(pairs: list[tuple[str, str]]) -> None:
    with pytest.raises(InvalidTagError):
        check_tags(pairs)
