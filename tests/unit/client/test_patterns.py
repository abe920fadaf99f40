from __future__ import annotations

import pytest

from weighthouse.client.patterns import TAKE_ALL, PathFilter

pytestmark = pytest.mark.unit


def test_no_patterns_take_everything() -> None:
    assert TAKE_ALL("a/b/c.bin") and PathFilter.of()("x")


def test_include_takes_only_matches_and_star_crosses_folders() -> None:
    only_json = PathFilter.of(include=["*.json"])
    assert only_json("config.json") and only_json("sub/tokenizer.json")
    assert not only_json("model.safetensors")


def test_exclude_wins_over_include() -> None:
    selected = PathFilter.of(include=["*.json"], exclude=["secret*"])
    assert selected("a.json") and not selected("secret.json")


def test_a_trailing_slash_means_everything_under_the_folder() -> None:
    no_logs = PathFilter.of(exclude=["logs/"])
    assert not no_logs("logs/a.log") and not no_logs("logs/deep/b.log")
    assert no_logs("logsbook.txt") and no_logs("weights/logs.txt")


def test_matching_is_case_sensitive() -> None:
    assert not PathFilter.of(include=["*.JSON"])("a.json")
