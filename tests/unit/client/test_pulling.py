from __future__ import annotations

import pytest

from weighthouse.client.errors import EntryNotFoundError
from weighthouse.client.models import EntryInfo
from weighthouse.client.pulling import within

pytestmark = pytest.mark.unit

ENTRIES = [
    EntryInfo("config.json", "file", 2, "a" * 64),
    EntryInfo("weights", "directory"),
    EntryInfo("weights/a.bin", "file", 1, "b" * 64),
    EntryInfo("weights-old/a.bin", "file", 1, "b" * 64),
]


def test_no_paths_take_every_file() -> None:
    assert [e.path for e in within(ENTRIES, [], "r@main")] == [
        "config.json",
        "weights/a.bin",
        "weights-old/a.bin",
    ]


def test_a_folder_takes_what_is_below_it_and_nothing_that_only_starts_alike() -> None:
    assert [e.path for e in within(ENTRIES, ["weights/"], "r@main")] == ["weights/a.bin"]
    assert [e.path for e in within(ENTRIES, ["config.json"], "r@main")] == ["config.json"]


def test_a_path_the_revision_lacks_is_named() -> None:
    with pytest.raises(EntryNotFoundError, match="'weight' in r@main is neither"):
        within(ENTRIES, ["config.json", "weight"], "r@main")
