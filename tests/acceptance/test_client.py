"""The Python client against a live server: accounts, repos, refs, commits, trees, downloads
with ranges and resume, bucket objects, and the fields of ``ApiError``."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.acceptance.live import LiveServer, free_port
from weighthouse.client import (
    AddFile,
    ApiError,
    DeleteFile,
    ServerUnreachableError,
    WeighthouseClient,
    pull_snapshot,
    push_files,
    walk_local,
)
from weighthouse.client.downloads import partial_path_for

pytestmark = pytest.mark.acceptance


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="module")
def admin(live_server: LiveServer) -> Iterator[WeighthouseClient]:
    with WeighthouseClient(live_server.url, live_server.admin_token) as client:
        yield client


@pytest.fixture(scope="module")
def user(live_server: LiveServer, admin: WeighthouseClient) -> Iterator[WeighthouseClient]:
    name = unique("cu")
    admin.create_user(name)
    token = admin.create_token("client-tests", scope="write", user=name)
    assert token.secret
    with WeighthouseClient(live_server.url, token.secret) as client:
        yield client


@pytest.fixture
def repo(user: WeighthouseClient) -> str:
    me = user.whoami().user
    assert me is not None
    return user.create_repo(unique("m"), namespace=me.name).id


def test_accounts_and_token_revocation(live_server: LiveServer, admin: WeighthouseClient) -> None:
    me = admin.whoami()
    assert me.user is not None and me.user.is_admin and me.scope == "admin"
    name = unique("u")
    created = admin.create_user(name)
    assert name in [u.name for u in admin.list_users()]
    token = admin.create_token("t", scope="read", user=name)
    assert token.secret and token.scope == "read"
    with WeighthouseClient(live_server.url, token.secret) as theirs:
        who = theirs.whoami()
        assert who.user is not None and who.user.id == created.id and who.scope == "read"
        assert token.id in [t.id for t in theirs.list_tokens()]
        admin.revoke_token(token.id)
        with pytest.raises(ApiError) as caught:
            theirs.whoami()
    assert (caught.value.status, caught.value.code) == (401, "unauthenticated")
    with WeighthouseClient(live_server.url) as anonymous:
        assert anonymous.whoami().user is None


def test_api_error_fields(user: WeighthouseClient) -> None:
    with pytest.raises(ApiError) as caught:
        user.get_repo("nobody-here/nothing")
    error = caught.value
    assert (error.status, error.code) == (404, "repo_not_found")
    assert "nothing" in error.message
    assert isinstance(error.detail, dict)
    with pytest.raises(ApiError) as bad:
        user.create_repo("bad name")
    assert (bad.value.status, bad.value.code) == (400, "invalid_name")


def test_an_unreachable_server() -> None:
    client = WeighthouseClient(f"http://127.0.0.1:{free_port()}", timeout=5)
    with client, pytest.raises(ServerUnreachableError) as caught:
        client.whoami()
    assert "cannot reach" in str(caught.value)


def test_repos_refs_commits_and_log(user: WeighthouseClient, repo: str) -> None:
    namespace, name = repo.split("/")
    assert user.get_repo(repo).name == name
    assert repo in [r.id for r in user.list_repos(namespace=namespace, search=name)]
    updated = user.update_repo(repo, description="weights", private=True)
    assert updated.private and updated.description == "weights"

    first = user.upload_file(repo, "config.json", b'{"a": 1}', message="config")
    assert first.size == 8 and first.sha256 == hashlib.sha256(b'{"a": 1}').hexdigest()
    data = os.urandom(3000)
    blob = user.upload_blob(repo, iter([data[:1000], data[1000:]]), size=3000)
    assert blob.sha256 == hashlib.sha256(data).hexdigest()
    second = user.commit(
        repo,
        [AddFile("w/model.bin", blob.sha256, blob.size), DeleteFile("config.json")],
        message="weights in, config out",
    )
    assert second.parent == first.commit.id
    assert [c.id for c in user.log(repo, limit=2)] == [second.id, first.commit.id]

    user.create_branch(repo, "dev", revision=first.commit.id)
    user.create_tag(repo, "v1.0", revision=second.id)
    refs = user.refs(repo)
    assert {b.name for b in refs.branches} == {"main", "dev"}
    assert [(t.name, t.commit) for t in refs.tags] == [("v1.0", second.id)]
    assert refs.latest == second.id
    commit, entries = user.list_tree(repo, revision="dev", recursive=True)
    assert commit == first.commit.id and [e.path for e in entries] == ["config.json"]
    user.delete_branch(repo, "dev")
    assert {b.name for b in user.refs(repo).branches} == {"main"}

    user.delete_repo(repo)
    with pytest.raises(ApiError) as gone:
        user.get_repo(repo)
    assert gone.value.code == "repo_not_found"


def test_the_server_checks_a_declared_digest(user: WeighthouseClient, repo: str) -> None:
    with pytest.raises(ApiError) as caught:
        user.upload_blob(repo, b"actual bytes", size=12, sha256="0" * 64)
    assert (caught.value.status, caught.value.code) == (400, "digest_mismatch")


def test_tree_pages_are_all_followed(user: WeighthouseClient, repo: str) -> None:
    ops = []
    for i in range(5):
        blob = user.upload_blob(repo, f"file {i}".encode(), size=6)
        ops.append(AddFile(f"d/f{i}.txt", blob.sha256, blob.size))
    user.commit(repo, ops, message="five")
    listed = list(user.iter_tree(repo, path="d", page_size=2))
    assert [e.path for e in listed] == [f"d/f{i}.txt" for i in range(5)]


def test_download_with_ranges_and_resume(
    user: WeighthouseClient, repo: str, tmp_path: Path
) -> None:
    data = os.urandom(3 * 2**20 + 17)
    sha = hashlib.sha256(data).hexdigest()
    source = tmp_path / "w.bin"
    source.write_bytes(data)
    seen: list[int] = []
    user.upload_file(repo, "w.bin", source, message="weights", on_bytes=seen.append)
    assert sum(seen) == len(data)

    assert user.read_file(repo, "w.bin", byte_range=(100, 199)) == data[100:200]
    dest = tmp_path / "out" / "w.bin"
    user.download(repo, "w.bin", dest, sha256=sha, size=len(data))
    assert dest.read_bytes() == data

    again = tmp_path / "again.bin"
    partial_path_for(again).write_bytes(data[: 2**20])
    resumed: list[int] = []
    user.download(repo, "w.bin", again, sha256=sha, size=len(data), on_resume=resumed.append)
    assert resumed == [2**20]
    assert again.read_bytes() == data
    assert not partial_path_for(again).exists()


def test_push_files_and_pull_snapshot(user: WeighthouseClient, repo: str, tmp_path: Path) -> None:
    source = tmp_path / "src"
    (source / "sub").mkdir(parents=True)
    files = {"a.txt": b"alpha", "sub/b.bin": os.urandom(70_000), "sub/c.json": b"{}"}
    for path, data in files.items():
        (source / path).write_bytes(data)
    result = push_files(user, repo, walk_local(source).files, message="all", tag="v2")
    assert result.commit is not None
    assert result.tag is not None and result.tag.commit == result.commit.id
    pulled = pull_snapshot(user, repo, tmp_path / "dest", revision="v2")
    assert pulled.commit == result.commit.id and sorted(pulled.downloaded) == sorted(files)
    for path, data in files.items():
        assert (tmp_path / "dest" / path).read_bytes() == data
    assert pull_snapshot(user, repo, tmp_path / "dest", revision="v2").downloaded == ()


def test_bucket_objects(user: WeighthouseClient, tmp_path: Path) -> None:
    me = user.whoami().user
    assert me is not None
    bucket = user.create_repo(unique("b"), namespace=me.name, repo_type="bucket").id
    put = user.put_object(
        bucket, "logs/a.txt", b"hello", content_type="text/plain", metadata={"owner": "ci"}
    )
    assert put.size == 5 and put.sha256 == hashlib.sha256(b"hello").hexdigest()
    assert put.etag == hashlib.md5(b"hello").hexdigest()
    head = user.head_object(bucket, "logs/a.txt")
    assert (head.size, head.sha256, head.etag) == (5, put.sha256, put.etag)
    assert head.content_type.startswith("text/plain") and head.metadata == {"owner": "ci"}
    assert user.get_object(bucket, "logs/a.txt") == b"hello"

    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(2**20))
    user.put_object(bucket, "data/big.bin", big)
    user.put_object(bucket, "top.txt", b"t")
    out = user.download_object(bucket, "data/big.bin", tmp_path / "copy.bin")
    assert out.read_bytes() == big.read_bytes()

    assert [o.key for o in user.iter_objects(bucket, prefix="logs/")] == ["logs/a.txt"]
    listing = user.list_objects(bucket, delimiter="/")
    assert [o.key for o in listing.objects] == ["top.txt"]
    assert listing.common_prefixes == ("data/", "logs/")

    with pytest.raises(ApiError) as exists:
        user.put_object(bucket, "top.txt", b"again", if_none_match="*")
    assert (exists.value.status, exists.value.code) == (412, "precondition_failed")

    user.delete_object(bucket, "logs/a.txt")
    with pytest.raises(ApiError) as missing:
        user.get_object(bucket, "logs/a.txt")
    assert missing.value.status == 404
