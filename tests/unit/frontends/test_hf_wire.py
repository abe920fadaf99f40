from __future__ import annotations

import hashlib

import pytest

from weighthouse.frontends.hf import wire
from weighthouse.frontends.hf.routing import RawRouter

pytestmark = pytest.mark.unit

SHA = "a" * 64


@pytest.mark.parametrize(
    ("path", "size", "mode"),
    [
        ("config.json", 10, "regular"),
        ("config.json", wire.REGULAR_MAX, "regular"),
        ("config.json", wire.REGULAR_MAX + 1, "lfs"),
        ("w/model.SafeTensors", 10, "lfs"),
        ("model.safetensors", 0, "regular"),
    ],
)
def test_upload_mode_depends_on_path_and_size_only(path: str, size: int, mode: str) -> None:
    assert wire.upload_mode(path, size) == mode


def test_git_ids_match_git() -> None:
    # `printf 'hello\n' | git hash-object --stdin`
    assert wire.git_blob_id(b"hello\n") == "ce013625030ba8dba906f756967f9e9ca394464a"
    assert wire.EMPTY_BLOB_ID == "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"


def test_regular_files_are_named_by_git_id_and_lfs_files_by_sha256() -> None:
    git = wire.git_blob_id(b"{}")
    assert wire.file_oid("a.json", SHA, 2, git) == wire.etag("a.json", SHA, 2, git) == git
    pointer = wire.lfs_pointer(SHA, 2)
    assert (
        pointer
        == f"version https://git-lfs.github.com/spec/v1\noid sha256:{SHA}\nsize 2\n".encode()
    )
    assert (
        wire.file_oid("a.bin", SHA, 2, git)
        == hashlib.sha1(b"blob %d\0" % len(pointer) + pointer).hexdigest()
    )
    assert wire.etag("a.bin", SHA, 2, git) == SHA
    # Without a git id only the SHA-256 can name a non-empty file.
    assert wire.etag("a.json", SHA, 2, None) == SHA
    assert wire.etag("empty.json", SHA, 0, None) == wire.EMPTY_BLOB_ID


async def _handler(call: object) -> object:
    return call


def test_routes_split_the_raw_path_before_decoding() -> None:
    router = RawRouter()
    router.add("GET", "api/{kind}/{ns}/{name}/tree/{rev}/{path*}", _handler)
    router.add("POST", "api/{kind}/{ns}/{name}/commit/{rev}", _handler)
    router.add("GET", "{ns}/{name}/resolve/{rev}/{path*}", _handler)
    found = router.find("GET", "/api/models/a/b/tree/feature%2Fx/sub%2Fdir")
    assert isinstance(found, tuple)
    assert found[1] == {
        "kind": "models", "ns": "a", "name": "b", "rev": "feature/x", "path": "sub/dir"
    }  # fmt: skip
    found = router.find("HEAD", "/a/b/resolve/refs%2Fpr%2F1/dir/file%20name.txt")
    assert isinstance(found, tuple)
    assert found[1]["rev"] == "refs/pr/1"
    assert found[1]["path"] == "dir/file name.txt"
    tree_root = router.find("GET", "/api/models/a/b/tree/main")
    assert isinstance(tree_root, tuple) and tree_root[1]["path"] == ""
    assert router.find("GET", "/api/models/a/b/commit/main") is False
    assert router.find("GET", "/api/models/a/b/nothing/main") is None
