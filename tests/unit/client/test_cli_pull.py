"""How ``weighthouse pull`` reads its second argument: a destination or a repo path."""

from __future__ import annotations

import pytest

from weighthouse.cli.commands.pull import is_local_path

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("text", ["/tmp/x", "./copy", "../up", ".", ".."])
def test_paths_only_a_folder_can_have_are_the_destination(text: str) -> None:
    assert is_local_path(text)


@pytest.mark.parametrize("text", ["config.json", "weights/", "copy", ".hidden", "a/./b"])
def test_anything_a_repo_path_can_be_is_a_repo_path(text: str) -> None:
    assert not is_local_path(text)
