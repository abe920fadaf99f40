"""A reader's pull request with files, as on the Hub: anyone who can read a repo uploads files
into a pull request of their own (``create_pr=True``) and adds to it later, through Xet, LFS
and inline uploads; ``main`` stays as it was until a writer merges.

Then an attacker with read access tries every upload path (preupload, LFS batch and its
upload links, the Xet token and CAS, the commit) to change ``main`` or another user's pull
request, and gets nowhere."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.acceptance.api import Account, make_user, unique
from tests.acceptance.client_envs import HUB_0_36, HUB_LATEST
from tests.acceptance.hub_client import run_hub
from tests.acceptance.live import LiveServer
from tests.unit.frontends.test_hf_xet_formats import XORB_HASHES, shard, source, xorb

pytestmark = pytest.mark.acceptance

LFS_JSON = "application/vnd.git-lfs+json"


@pytest.fixture(scope="module")
def owner(live_server: LiveServer) -> Account:
    return make_user(live_server)


@pytest.fixture(scope="module")
def reader(live_server: LiveServer) -> Account:
    return make_user(live_server)


READER_PR = """
from huggingface_hub.utils._runtime import is_xet_available
repo = {repo!r}
reader = HfApi(token={reader!r})
def status_of(call, *args, **kwargs):
    try:
        call(*args, **kwargs)
    except hf_errors.HfHubHTTPError as exc:
        return exc.response.status_code
    return None
api.create_repo(repo, private=False)
api.upload_file(path_or_fileobj=b"v1", path_in_repo="a.txt", repo_id=repo)
before = api.model_info(repo).sha
out = {{"version": hh.__version__, "xet": is_xet_available()}}
info = reader.create_commit(
    repo,
    [hh.CommitOperationAdd("w.safetensors", "w.safetensors"),
     hh.CommitOperationAdd("notes.txt", b"from the reader")],
    commit_message="Better weights",
    create_pr=True,
)
out["pr"] = info.pr_revision
# The reader adds to their own pull request.
reader.upload_file(path_or_fileobj="more.safetensors", path_in_repo="more.safetensors",
                   repo_id=repo, revision=info.pr_revision)
out["main_unchanged"] = api.model_info(repo).sha == before
out["pr_files"] = sorted(reader.list_repo_files(repo, revision=info.pr_revision))
# Straight to main: refused before a byte is uploaded, however the file would travel.
out["to_main"] = [
    status_of(reader.upload_file, path_or_fileobj=b"x", path_in_repo="x.txt", repo_id=repo),
    status_of(reader.upload_file, path_or_fileobj="w.safetensors",
              path_in_repo="evil.safetensors", repo_id=repo),
]
out["merge_by_reader"] = status_of(reader.merge_pull_request, repo, info.pr_num)
out["main_before_merge"] = sorted(api.list_repo_files(repo))
api.merge_pull_request(repo, info.pr_num)
out["main_after_merge"] = sorted(api.list_repo_files(repo))
out["merged"] = {{name: sha256_of(hf_hub_download(repo, name, cache_dir="dl"))
                 for name in ("w.safetensors", "more.safetensors", "notes.txt")}}
print(json.dumps(out))
"""

CLIENTS = {
    "latest-xet": (HUB_LATEST, "0"),
    "latest-lfs": (HUB_LATEST, "1"),
    "0.36-xet": (HUB_0_36, "0"),
    "0.36-lfs": (HUB_0_36, "1"),
}


@pytest.mark.parametrize("client", list(CLIENTS))
def test_a_reader_opens_a_pull_request_with_files_and_the_owner_merges_it(
    live_server: LiveServer, owner: Account, reader: Account, tmp_path: Path, client: str
) -> None:
    hub, disable_xet = CLIENTS[client]
    weights, more = os.urandom(3 * 2**20), os.urandom(2**20)
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "w.safetensors").write_bytes(weights)
    (tmp_path / "more.safetensors").write_bytes(more)
    repo = f"{owner.name}/{unique()}"
    out = run_hub(
        live_server,
        READER_PR.format(repo=repo, reader=reader.token),
        home=tmp_path,
        token=owner.token,
        python=hub.python(),
        HF_HUB_DISABLE_XET=disable_xet,
    )
    assert out["xet"] is (disable_xet == "0"), out["version"]
    assert out["pr"] == "refs/pr/1"
    assert out["main_unchanged"] is True
    assert out["pr_files"] == ["a.txt", "more.safetensors", "notes.txt", "w.safetensors"]
    assert out["to_main"] == [403, 403]
    assert out["merge_by_reader"] == 403
    assert "w.safetensors" not in out["main_before_merge"]
    assert {"w.safetensors", "more.safetensors", "notes.txt"} <= set(out["main_after_merge"])
    assert out["merged"] == {
        "w.safetensors": hashlib.sha256(weights).hexdigest(),
        "more.safetensors": hashlib.sha256(more).hexdigest(),
        "notes.txt": hashlib.sha256(b"from the reader").hexdigest(),
    }


def _auth(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def _ndjson(*lines: dict[str, Any]) -> bytes:
    return b"".join(json.dumps(line).encode() + b"\n" for line in lines)


def test_a_reader_cannot_reach_main_or_another_pull_request(
    live_server: LiveServer, owner: Account, reader: Account
) -> None:
    repo = f"{owner.name}/{unique()}"
    data = os.urandom(200_000)
    sha, size = hashlib.sha256(data).hexdigest(), len(data)
    floats = source("floats")
    floats_sha = hashlib.sha256(floats).hexdigest()
    mine, read_only = _auth(reader.token), _auth(reader.read_token)
    with httpx.Client(base_url=f"{live_server.url}/hf", timeout=60) as hub:

        def head() -> str:
            info = hub.get(f"/api/models/{repo}", headers=_auth(owner.token))
            assert info.status_code == 200, info.text
            return str(info.json()["sha"])

        def commit(revision: str, *lines: dict[str, Any], who: dict[str, str], query: str = ""):
            return hub.post(
                f"/api/models/{repo}/commit/{revision}{query}",
                content=_ndjson({"key": "header", "value": {"summary": "s"}}, *lines),
                headers={**who, "Content-Type": "application/x-ndjson"},
            )

        # Private, with the reader as a collaborator who may read: the Xet fixture's file
        # lands in it, and a public repo holding it would prove it to every user of this
        # server (test_hf_xet.py counts on nobody else having it).
        made = hub.post(
            "/api/repos/create",
            json={"name": repo.split("/")[1], "private": True},
            headers=_auth(owner.token),
        )
        assert made.status_code == 200, made.text
        with live_server.client(owner.token) as rest:
            granted = rest.put(
                f"/api/models/{repo}/collaborators/{reader.name}", json={"role": "read"}
            )
            assert granted.status_code == 200, granted.text
        inline = {
            "key": "file",
            "value": {"path": "a.txt", "content": "djE=", "encoding": "base64"},
        }
        assert commit("main", inline, who=_auth(owner.token)).status_code == 200
        # The owner's own pull request, which the reader must not add to.
        theirs = commit("main", inline, who=_auth(owner.token), query="?create_pr=1")
        assert theirs.status_code == 200, theirs.text
        assert theirs.json()["pullRequestUrl"].endswith("/discussions/1")
        main = head()

        # preupload: a branch needs write access; a new pull request only read access.
        def preupload(revision: str, who: dict[str, str], query: str = "") -> int:
            files = [{"path": "w.bin", "size": size, "sample": ""}]
            return hub.post(
                f"/api/models/{repo}/preupload/{revision}{query}",
                json={"files": files},
                headers=who,
            ).status_code

        assert preupload("main", mine) == 403
        assert preupload("refs%2Fpr%2F1", mine) == 403
        assert preupload("main", mine, "?create_pr=1") == 200
        assert preupload("main", read_only, "?create_pr=1") == 403
        assert preupload("main", {}, "?create_pr=1") == 404

        # LFS batch: a ref that is a branch, or someone else's pull request, is refused.
        batch_body: dict[str, Any] = {
            "operation": "upload",
            "transfers": ["basic"],
            "objects": [{"oid": sha, "size": size}],
            "hash_algo": "sha256",
        }

        def batch(who: dict[str, str], **extra: Any) -> httpx.Response:
            return hub.post(
                f"/{repo}.git/info/lfs/objects/batch",
                json={**batch_body, **extra},
                headers={**who, "Accept": LFS_JSON, "Content-Type": LFS_JSON},
            )

        assert batch(mine, ref={"name": "main"}).status_code == 403
        assert batch(mine, ref={"name": "refs/pr/1"}).status_code == 403
        assert batch(mine, ref="main").status_code == 400
        assert batch(read_only).status_code == 403
        assert batch({}).status_code == 401
        # Without a ref: the upload of a new pull request's files.
        granted = batch(mine)
        assert granted.status_code == 200, granted.text
        actions = granted.json()["objects"][0]["actions"]
        put = hub.put(actions["upload"]["href"], content=data)
        assert put.status_code == 200, put.text
        verify = actions["verify"]["href"]
        assert hub.post(verify, json={"oid": sha, "size": size}, headers=mine).status_code == 200

        # Xet: a write token for main or the owner's pull request is refused; one for a new
        # pull request is given, and its uploads are taken.
        def xet_token(revision: str, who: dict[str, str], query: str = "") -> httpx.Response:
            return hub.get(f"/api/models/{repo}/xet-write-token/{revision}{query}", headers=who)

        assert xet_token("main", mine).status_code == 403
        assert xet_token("refs%2Fpr%2F1", mine).status_code == 403
        assert xet_token("None", read_only, "?create_pr=1").status_code == 403
        token = xet_token("None", mine, "?create_pr=1")
        assert token.status_code == 200, token.text
        with httpx.Client(
            base_url=token.json()["casUrl"], headers=_auth(token.json()["accessToken"]), timeout=60
        ) as cas:
            stored = cas.post(f"/v1/xorbs/default/{XORB_HASHES['floats']}", content=xorb("floats"))
            assert stored.status_code == 200, stored.text
            assert cas.post("/v1/shards", content=shard("floats")).status_code == 200

        # The bytes are the reader's now, and no key to main or the owner's pull request.
        lfs = {
            "key": "lfsFile",
            "value": {"path": "w.bin", "algo": "sha256", "oid": sha, "size": size},
        }
        xet_file = {
            "key": "lfsFile",
            "value": {"path": "f.bin", "algo": "sha256", "oid": floats_sha, "size": len(floats)},
        }
        for revision in ("main", "refs%2Fpr%2F1"):
            for lines in ((lfs,), (xet_file,), (inline,)):
                refused = commit(revision, *lines, who=mine)
                assert refused.status_code == 403, (revision, lines, refused.text)
        assert commit("main", lfs, who=read_only, query="?create_pr=1").status_code == 403
        assert commit("main", lfs, who={}, query="?create_pr=1").status_code == 404
        assert head() == main

        # A pull request of their own takes them, and only its branch moves.
        opened = commit("main", lfs, xet_file, who=mine, query="?create_pr=1")
        assert opened.status_code == 200, opened.text
        assert opened.json()["pullRequestUrl"].endswith("/discussions/2")
        assert head() == main
        for name, expected in (("w.bin", data), ("f.bin", floats)):
            got = hub.get(f"/{repo}/resolve/refs%2Fpr%2F2/{name}", headers=mine)
            assert (got.status_code, got.content == expected) == (200, True)
            missing = hub.get(f"/{repo}/resolve/main/{name}", headers=mine)
            assert missing.headers["X-Error-Code"] == "EntryNotFound"
        # ... and only its author or a writer may add to it: not another reader, and a user
        # who cannot see the repo does not learn it exists.
        other = make_user(live_server)
        with live_server.client(owner.token) as rest:
            rest.put(
                f"/api/models/{repo}/collaborators/{other.name}", json={"role": "read"}
            ).raise_for_status()
        stranger = make_user(live_server)
        assert preupload("refs%2Fpr%2F2", _auth(other.token)) == 403
        assert commit("refs%2Fpr%2F2", inline, who=_auth(other.token)).status_code == 403
        assert preupload("main", _auth(stranger.token), "?create_pr=1") == 404
        assert commit("refs%2Fpr%2F2", inline, who=_auth(stranger.token)).status_code == 404
        assert commit("refs%2Fpr%2F2", inline, who=mine).status_code == 200
        assert head() == main
