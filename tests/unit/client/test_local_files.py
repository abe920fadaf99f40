from __future__ import annotations

import os
from pathlib import Path

import pytest

from weighthouse.client.local_files import local_target, walk_local
from weighthouse.domain.errors import InvalidPathError

pytestmark = pytest.mark.unit


def _tree(root: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def test_walk_gives_posix_repo_paths_sorted_with_sizes(tmp_path: Path) -> None:
    _tree(tmp_path, {"b.txt": b"bb", "a/z.bin": b"z", "a/b/c.json": b"{}", "A.md": b"#"})
    walk = walk_local(tmp_path)
    assert [f.repo_path for f in walk.files] == ["A.md", "a/b/c.json", "a/z.bin", "b.txt"]
    assert [f.size for f in walk.files] == [1, 2, 1, 2]
    assert walk.total_size == 6
    assert walk.skipped == ()


def test_walk_skips_git_folders_and_says_so(tmp_path: Path) -> None:
    _tree(tmp_path, {"model.bin": b"m", ".git/HEAD": b"ref", "sub/.git/config": b"c"})
    walk = walk_local(tmp_path)
    assert [f.repo_path for f in walk.files] == ["model.bin"]
    assert sorted(s.local for s in walk.skipped) == [tmp_path / ".git", tmp_path / "sub/.git"]
    assert all("git" in s.reason for s in walk.skipped)


def test_walk_follows_file_links_but_not_folder_links(tmp_path: Path) -> None:
    _tree(tmp_path, {"real/x.bin": b"xx", "outside.bin": b"o"})
    root = tmp_path / "real"
    (root / "link.bin").symlink_to(tmp_path / "outside.bin")
    (root / "loop").symlink_to(root, target_is_directory=True)
    (root / "dangling").symlink_to(tmp_path / "missing")
    walk = walk_local(root)
    assert [f.repo_path for f in walk.files] == ["link.bin", "x.bin"]
    reasons = {s.local.name: s.reason for s in walk.skipped}
    assert reasons == {"loop": "a symlinked folder", "dangling": "a broken symlink"}


def test_walk_skips_special_files(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    _tree(tmp_path, {"ok.txt": b"k"})
    walk = walk_local(tmp_path)
    assert [f.repo_path for f in walk.files] == ["ok.txt"]
    assert [(s.local.name, s.reason) for s in walk.skipped] == [("pipe", "not a regular file")]


def test_a_single_file_and_a_prefix(tmp_path: Path) -> None:
    _tree(tmp_path, {"w.safetensors": b"w", "d/c.json": b"c"})
    assert [f.repo_path for f in walk_local(tmp_path / "w.safetensors").files] == ["w.safetensors"]
    one = walk_local(tmp_path / "w.safetensors", prefix="weights/")
    assert [f.repo_path for f in one.files] == ["weights/w.safetensors"]
    many = walk_local(tmp_path / "d", prefix="/cfg")
    assert [f.repo_path for f in many.files] == ["cfg/c.json"]


def test_names_the_server_would_refuse_fail_before_reading(tmp_path: Path) -> None:
    _tree(tmp_path, {"ok.txt": b"k", "bad\\name": b"b"})
    with pytest.raises(InvalidPathError, match="bad"):
        walk_local(tmp_path)


def test_an_empty_folder_has_no_files(tmp_path: Path) -> None:
    assert walk_local(tmp_path).files == ()


def test_local_target_stays_inside_the_destination(tmp_path: Path) -> None:
    assert local_target(tmp_path, "a/b/c.bin") == tmp_path / "a" / "b" / "c.bin"


@pytest.mark.parametrize(
    "path", ["", "/etc/passwd", "../x", "a/../../x", "a//b", "a/./b", "a\\b", "a\x00b", "a/"]
)
def test_local_target_refuses_paths_that_escape(tmp_path: Path, path: str) -> None:
    with pytest.raises(InvalidPathError):
        local_target(tmp_path, path)
