"""The Hub API's write surface, driven by the real ``huggingface_hub`` client (LFS uploads,
``HF_HUB_DISABLE_XET=1``): repos, commits with inline and LFS files and deletions, branches
and tags, and the same bytes visible through the REST API."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import httpx
import pytest

from tests.acceptance.api import Account, make_user, unique
from tests.acceptance.hub_client import run_hub
from tests.acceptance.live import LiveServer

pytestmark = pytest.mark.acceptance


@pytest.fixture(scope="module")
def alice(live_server: LiveServer) -> Account:
    return make_user(live_server)


def test_create_and_delete_repos(live_server: LiveServer, alice: Account, tmp_path: Path) -> None:
    model, dataset = f"{alice.name}/{unique()}", f"{alice.name}/{unique()}"
    out = run_hub(
        live_server,
        f"""
        url = api.create_repo({model!r})
        again = error_of(api.create_repo, {model!r})
        status = None
        try:
            api.create_repo({model!r})
        except hf_errors.HfHubHTTPError as exc:
            status = exc.response.status_code
        api.create_repo({model!r}, exist_ok=True)
        api.create_repo({dataset!r}, repo_type="dataset", private=True)
        info = api.repo_info({dataset!r}, repo_type="dataset")
        public = api.repo_info({model!r})
        api.delete_repo({model!r})
        print(json.dumps({{
            "url": [url.repo_id, url.endpoint, str(url)],
            "again": [again, status],
            "private": [info.private, public.private],
            "gone": api.repo_exists({model!r}),
            "missing_ok": error_of(api.delete_repo, {model!r}, missing_ok=True),
            "missing": error_of(api.delete_repo, {model!r}),
        }}))
        """,
        home=tmp_path,
        token=alice.token,
    )
    assert out["url"] == [model, f"{live_server.url}/hf", f"{live_server.url}/hf/models/{model}"]
    assert out["again"] == ["HfHubHTTPError", 409]
    # Without private= the site's default holds (private, unless the operator chose public),
    # as the Hub does for an organisation whose default is private.
    assert out["private"] == [True, True]
    assert out["gone"] is False
    assert out["missing_ok"] is None
    assert out["missing"] == "RepositoryNotFoundError"
    anonymous = run_hub(
        live_server,
        f'print(json.dumps(error_of(api.repo_info, {dataset!r}, repo_type="dataset")))',
        home=tmp_path,
        token=None,
    )
    assert anonymous == "RepositoryNotFoundError"


def test_uploads_commits_and_deletions(
    live_server: LiveServer, alice: Account, tmp_path: Path
) -> None:
    repo = f"{alice.name}/{unique()}"
    weights = os.urandom(3_000_000)
    (tmp_path / "weights.safetensors").write_bytes(weights)
    folder = tmp_path / "folder"
    (folder / "nested" / "deeper").mkdir(parents=True)
    (folder / "notes.txt").write_text("notes")
    (folder / "nested" / "a.txt").write_text("a")
    (folder / "nested" / "deeper" / "blob.bin").write_bytes(os.urandom(200_000))
    out = run_hub(
        live_server,
        f"""
        repo = {repo!r}
        api.create_repo(repo)
        small = api.upload_file(path_or_fileobj=b'{{"a":1}}', path_in_repo="config.json",
                                repo_id=repo)
        head = api.model_info(repo).sha
        api.upload_file(path_or_fileobj=b"---\\nlicense: mit\\n---\\n# Card\\n",
                        path_in_repo="README.md", repo_id=repo)
        big = api.upload_file(path_or_fileobj="weights.safetensors",
                              path_in_repo="weights/model.safetensors", repo_id=repo)
        commits = len(api.list_repo_commits(repo))
        same = api.upload_file(path_or_fileobj="weights.safetensors",
                               path_in_repo="weights/model.safetensors", repo_id=repo)
        unchanged = len(api.list_repo_commits(repo))
        tree = {{t.path: getattr(t, "lfs", None) and [t.lfs.sha256, t.lfs.size]
                 for t in api.list_repo_tree(repo, recursive=True)}}
        api.upload_folder(folder_path="folder", repo_id=repo, path_in_repo="data")
        first_folder = sorted(api.list_repo_files(repo))
        api.upload_folder(folder_path="folder", repo_id=repo, path_in_repo="data",
                          delete_patterns="*.txt", allow_patterns="*.bin")
        after_delete = sorted(api.list_repo_files(repo))
        ops = [
            hh.CommitOperationAdd("extra.json", b"{{}}"),
            hh.CommitOperationDelete("config.json"),
            hh.CommitOperationDelete("data/"),
            hh.CommitOperationCopy("weights/model.safetensors", "copy.safetensors"),
        ]
        combined = api.create_commit(repo, ops, commit_message="several at once")
        after_commit = sorted(api.list_repo_files(repo))
        api.delete_file("extra.json", repo)
        stale = error_of(api.create_commit, repo, [hh.CommitOperationAdd("x.json", b"1")],
                         commit_message="stale", parent_commit=head)
        missing = error_of(api.delete_file, "nope.json", repo)
        print(json.dumps({{
            "small": [small.oid, head], "big": big.oid, "same": same.oid,
            "commits": [commits, unchanged], "tree": tree,
            "first_folder": first_folder, "after_delete": after_delete,
            "combined": combined.oid, "after_commit": after_commit,
            "final": sorted(api.list_repo_files(repo)),
            "copy": sha256_of(hf_hub_download(repo, "copy.safetensors")),
            "stale": stale, "missing": missing,
            "titles": [c.title for c in api.list_repo_commits(repo)][:3],
        }}))
        """,
        home=tmp_path,
        token=alice.token,
    )
    weights_sha = hashlib.sha256(weights).hexdigest()
    assert out["small"][0] == out["small"][1] and len(out["small"][0]) == 40
    assert out["same"] == out["big"]
    assert out["commits"][0] == out["commits"][1]
    assert out["tree"]["weights/model.safetensors"] == [weights_sha, 3_000_000]
    assert out["tree"]["config.json"] is None
    assert out["first_folder"] == [
        "README.md",
        "config.json",
        "data/nested/a.txt",
        "data/nested/deeper/blob.bin",
        "data/notes.txt",
        "weights/model.safetensors",
    ]
    assert out["after_delete"] == [
        "README.md",
        "config.json",
        "data/nested/deeper/blob.bin",
        "weights/model.safetensors",
    ]
    assert out["after_commit"] == [
        "README.md",
        "copy.safetensors",
        "extra.json",
        "weights/model.safetensors",
    ]
    assert out["final"] == ["README.md", "copy.safetensors", "weights/model.safetensors"]
    assert out["copy"] == weights_sha
    assert out["stale"] == "HfHubHTTPError"
    assert out["missing"] == "RemoteEntryNotFoundError"
    assert out["titles"][:2] == ["Delete extra.json with huggingface_hub", "several at once"]
    # The same bytes through the REST API.
    with httpx.Client(base_url=live_server.url, timeout=30) as rest:
        got = rest.get(
            f"/api/models/{repo}/resolve/main/weights/model.safetensors",
            headers={"Authorization": f"Bearer {alice.token}"},
        )
        assert got.status_code == 200 and hashlib.sha256(got.content).hexdigest() == weights_sha


def test_a_repo_admin_deletes_a_tag_and_latest_moves_back(
    live_server: LiveServer, alice: Account, tmp_path: Path
) -> None:
    """``HfApi.delete_tag``: the owner may, a writer may not, anonymous reads the private repo
    as missing, a missing tag is 404; ``latest`` then names the highest version left."""
    writer = make_user(live_server)
    repo = f"{alice.name}/{unique()}"
    script = f"""
        repo = {repo!r}
        def status(call, *args, **kwargs):
            try:
                call(*args, **kwargs)
            except Exception as exc:
                return getattr(getattr(exc, "response", None), "status_code", type(exc).__name__)
            return "ok"
        """
    out = run_hub(
        live_server,
        script
        + """
        api.create_repo(repo, private=True)
        api.upload_file(path_or_fileobj=b"1", path_in_repo="v.txt", repo_id=repo)
        api.create_tag(repo, tag="v1.0")
        api.upload_file(path_or_fileobj=b"2", path_in_repo="v.txt", repo_id=repo)
        api.create_tag(repo, tag="v2.0")
        before = Path(hf_hub_download(repo, "v.txt", revision="latest")).read_text()
        print(json.dumps({"before": before}))
        """,
        home=tmp_path / "owner",
        token=alice.token,
    )
    assert out == {"before": "2"}
    with live_server.client(alice.token) as owner:
        owner.put(
            f"/api/models/{repo}/collaborators/{writer.name}", json={"role": "write"}
        ).raise_for_status()
    refused = run_hub(
        live_server,
        script
        + """
        print(json.dumps({
            "writer": status(api.delete_tag, repo, tag="v2.0"),
            "tags": [t.name for t in api.list_repo_refs(repo).tags],
        }))
        """,
        home=tmp_path / "writer",
        token=writer.token,
    )
    assert refused == {"writer": 403, "tags": ["v1.0", "v2.0"]}
    anonymous = run_hub(
        live_server,
        script
        + """
        print(json.dumps([status(api.delete_tag, repo, tag="v2.0"),
                          status(api.delete_tag, repo + "-missing", tag="v2.0")]))
        """,
        home=tmp_path / "anonymous",
        token=None,
    )
    assert anonymous[0] == anonymous[1] and anonymous[0] in (401, 404)
    deleted = run_hub(
        live_server,
        script
        + """
        api.delete_tag(repo, tag="v2.0")
        print(json.dumps({
            "again": status(api.delete_tag, repo, tag="v2.0"),
            "branch": status(api.delete_tag, repo, tag="main"),
            "tags": [t.name for t in api.list_repo_refs(repo).tags],
            "latest": Path(hf_hub_download(repo, "v.txt", revision="latest",
                                           force_download=True)).read_text(),
        }))
        """,
        home=tmp_path / "owner",
        token=alice.token,
    )
    assert deleted == {"again": 404, "branch": 404, "tags": ["v1.0"], "latest": "1"}


def test_branches_with_slashes_and_tags(
    live_server: LiveServer, alice: Account, tmp_path: Path
) -> None:
    repo = f"{alice.name}/{unique()}"
    out = run_hub(
        live_server,
        f"""
        repo = {repo!r}
        api.create_repo(repo)
        first = api.upload_file(path_or_fileobj=b"1", path_in_repo="v.txt", repo_id=repo).oid
        api.create_branch(repo, branch="dev")
        again = error_of(api.create_branch, repo, branch="dev")
        api.create_branch(repo, branch="dev", exist_ok=True)
        api.create_branch(repo, branch="feature/x", revision=first)
        api.upload_file(path_or_fileobj=b"2", path_in_repo="v.txt", repo_id=repo,
                        revision="feature/x")
        api.create_tag(repo, tag="v1.0", revision="dev", tag_message="m")
        tag_again = error_of(api.create_tag, repo, tag="v1.0")
        refs = api.list_repo_refs(repo)
        read = lambda rev: Path(hf_hub_download(repo, "v.txt", revision=rev)).read_text()
        result = {{
            "again": again, "tag_again": tag_again,
            "branches": sorted(b.name for b in refs.branches),
            "tags": [t.name for t in refs.tags],
            "feature": read("feature/x"), "main": read("main"), "tag": read("v1.0"),
            "tree": [t.path for t in api.list_repo_tree(repo, revision="feature/x")],
        }}
        api.delete_branch(repo, branch="feature/x")
        result["deleted"] = api.revision_exists(repo, "feature/x")
        print(json.dumps(result))
        """,
        home=tmp_path,
        token=alice.token,
    )
    assert out == {
        "again": "HfHubHTTPError",
        "tag_again": "HfHubHTTPError",
        "branches": ["dev", "feature/x", "main"],
        "tags": ["v1.0"],
        "feature": "2",
        "main": "1",
        "tag": "1",
        "tree": ["v.txt"],
        "deleted": False,
    }


def test_upload_links_work_only_with_their_ticket(live_server: LiveServer, alice: Account) -> None:
    repo = f"{alice.name}/{unique()}"
    data = os.urandom(2_000_000)
    oid = hashlib.sha256(data).hexdigest()
    with httpx.Client(base_url=f"{live_server.url}/hf", timeout=30) as c:
        auth = {"Authorization": f"Bearer {alice.token}"}
        assert c.post("/api/repos/create", json={"name": repo}, headers=auth).status_code == 200
        batch = c.post(
            f"/{repo}.git/info/lfs/objects/batch",
            json={"operation": "upload", "transfers": ["basic"],
                  "objects": [{"oid": oid, "size": len(data)}]},
            headers=auth,
        )  # fmt: skip
        assert batch.status_code == 200, batch.text
        href = batch.json()["objects"][0]["actions"]["upload"]["href"]
        assert href.startswith(live_server.url)
        forged = href[: href.index("ticket=") + 7] + "whs.x.y.z"
        # A refused upload's body is not read past 1 MiB and its connection closes, so a
        # short one shows the refusal itself, on a connection not kept for the next request.
        close = {"Connection": "close"}
        assert c.put(forged, content=data[:1000], headers=close).status_code == 401
        other = href.replace(oid, hashlib.sha256(b"other").hexdigest())
        assert c.put(other, content=b"other", headers=close).status_code == 401
        # The last byte changed, whatever it was (appending b"x" kept it 1 time in 256).
        assert c.put(href, content=data[:-1] + bytes([data[-1] ^ 1])).status_code == 400
        assert c.put(href, content=data).status_code == 200
        again = c.post(
            f"/{repo}.git/info/lfs/objects/batch",
            json={"operation": "upload", "objects": [{"oid": oid, "size": len(data)}]},
            headers=auth,
        )
        assert "actions" not in again.json()["objects"][0]
        anonymous = c.post(
            f"/{repo}.git/info/lfs/objects/batch",
            json={"operation": "upload", "objects": [{"oid": oid, "size": len(data)}]},
        )
        assert anonymous.status_code in (401, 404)


def test_cards_are_read_and_checked(
    live_server: LiveServer, alice: Account, tmp_path: Path
) -> None:
    repo = f"{alice.name}/{unique()}"
    out = run_hub(
        live_server,
        f"""
        api.create_repo({repo!r})
        api.upload_file(path_or_fileobj=b"---\\nlicense: mit\\ntags: [bert]\\n"
                        b"pipeline_tag: fill-mask\\n---\\n# Card\\n",
                        path_in_repo="README.md", repo_id={repo!r})
        bad = error_of(api.upload_file, path_or_fileobj=b"---\\na: [unclosed\\n---\\n",
                       path_in_repo="README.md", repo_id={repo!r})
        info = api.model_info({repo!r})
        print(json.dumps([info.card_data.to_dict(), info.pipeline_tag, info.tags, bad]))
        """,
        home=tmp_path,
        token=alice.token,
    )
    card, pipeline, tags, bad = out
    assert card["license"] == "mit" and card["tags"] == ["bert"]
    assert pipeline == "fill-mask" and tags == ["bert"]
    assert bad == "ValueError"


FORWARDED = {
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "hub.example.com",
    "X-Forwarded-Prefix": "/ml",
}


def test_urls_follow_a_reverse_proxy_only_when_trusted(
    live_server: LiveServer, alice: Account, tmp_path: Path, server_workers: int
) -> None:
    auth = {"Authorization": f"Bearer {alice.token}"}
    name = unique()
    with httpx.Client(base_url=f"{live_server.url}/hf", timeout=30) as c:
        made = c.post("/api/repos/create", json={"name": name}, headers={**auth, **FORWARDED})
        # The scheme, host and prefix stay the server's own, also from a peer on loopback,
        # where a proxy would stand: the setting alone decides.
        url = made.json()["url"]
        assert url == f"http://127.0.0.1:{live_server.port}/hf/models/{alice.name}/{name}"
    proxied = LiveServer(
        data_dir=tmp_path / "data",
        workers=server_workers,
        extra_env={
            "WEIGHTHOUSE_HF__TRUST_FORWARDED_HOST": "true",
            "WEIGHTHOUSE_HF__PAGE_SIZE": "1",
        },
    ).start()
    try:
        bob = make_user(proxied)
        auth = {"Authorization": f"Bearer {bob.token}"}
        with httpx.Client(base_url=f"{proxied.url}/hf", headers=auth, timeout=30) as c:
            made = c.post("/api/repos/create", json={"name": name}, headers=FORWARDED)
            assert made.json()["url"] == f"https://hub.example.com/ml/hf/models/{bob.name}/{name}"
            tree = c.get(f"/api/models/{bob.name}/{name}/tree/main", headers=FORWARDED)
            assert tree.json() == []
            c.post(
                f"/api/models/{bob.name}/{name}/commit/main",
                content=b'{"key":"header","value":{"summary":"s"}}\n'
                b'{"key":"file","value":{"path":"a","content":"eA==","encoding":"base64"}}\n'
                b'{"key":"file","value":{"path":"b","content":"eA==","encoding":"base64"}}',
            ).raise_for_status()
            paged = c.get(f"/api/models/{bob.name}/{name}/tree/main", headers=FORWARDED)
            assert paged.headers["link"].startswith(
                f"<https://hub.example.com/ml/hf/api/models/{bob.name}/{name}/tree/main?"
            )
            spoofed = c.post(
                "/api/repos/create",
                json={"name": unique()},
                headers={"X-Forwarded-Host": "evil host/x", "X-Forwarded-Prefix": "/a b"},
            )
            assert spoofed.json()["url"].startswith(f"{proxied.url}/hf/models/")
            assert c.get("/api/whoami-v2", headers=FORWARDED).status_code == 200
    finally:
        proxied.stop()


def test_repos_move_with_their_files(
    live_server: LiveServer, alice: Account, tmp_path: Path
) -> None:
    bob = make_user(live_server)
    repo, taken = f"{alice.name}/{unique()}", f"{alice.name}/{unique()}"
    moved = f"{alice.name}/{unique()}"
    out = run_hub(
        live_server,
        f"""
        api.create_repo({repo!r}, private=True)
        api.create_repo({taken!r})
        api.upload_file(path_or_fileobj=b"w", path_in_repo="w.txt", repo_id={repo!r})
        conflict = None
        try:
            api.move_repo({repo!r}, {taken!r})
        except hf_errors.HfHubHTTPError as exc:
            conflict = exc.response.status_code
        bad = error_of(api.move_repo, {repo!r}, "{alice.name}/bad name")
        api.move_repo({repo!r}, {moved!r})
        print(json.dumps({{
            "conflict": conflict, "bad": bad,
            "old": api.repo_exists({repo!r}),
            "file": Path(hf_hub_download({moved!r}, "w.txt")).read_text(),
            "private": api.repo_info({moved!r}).private,
        }}))
        """,
        home=tmp_path,
        token=alice.token,
    )
    assert out == {"conflict": 409, "bad": "BadRequestError", "old": False, "file": "w",
                   "private": True}  # fmt: skip
    # Another user, and nobody at all, cannot move it, and learn nothing about it.
    strangers = run_hub(
        live_server,
        f"""
        print(json.dumps([
            error_of(api.move_repo, {moved!r}, "{alice.name}/stolen"),
            error_of(api.move_repo, {moved!r}, {bob.name + "/stolen"!r}),
            error_of(api.move_repo, "{alice.name}/nothing-here", "{alice.name}/x"),
        ]))
        """,
        home=tmp_path / "bob",
        token=bob.token,
    )
    assert strangers == ["RepositoryNotFoundError"] * 3
    anonymous = run_hub(
        live_server,
        f'print(json.dumps(error_of(api.move_repo, {moved!r}, "{alice.name}/x")))',
        home=tmp_path / "anon",
        token=None,
    )
    assert anonymous == "RepositoryNotFoundError"


def test_expanded_listings_name_each_entrys_last_commit(
    live_server: LiveServer, alice: Account, tmp_path: Path
) -> None:
    repo = f"{alice.name}/{unique()}"
    out = run_hub(
        live_server,
        f"""
        repo = {repo!r}
        api.create_repo(repo)
        up = lambda data, path, **kw: api.upload_file(path_or_fileobj=data, path_in_repo=path,
                                                     repo_id=repo, **kw).oid
        a = up(b"1", "d/a.txt")
        b = up(b"2", "b.txt", commit_message="bee\\n\\nbody")
        c = up(b"3", "d/c.txt")
        many = api.create_commit(repo, [hh.CommitOperationAdd(f"many/{{i:02d}}.txt", b"%d" % i)
                                        for i in range(60)], commit_message="many").oid
        last = lambda t: t.last_commit and t.last_commit.oid
        tree = api.list_repo_tree(repo, recursive=True, expand=True)
        print(json.dumps({{
            "oids": [a, b, c, many],
            "tree": {{t.path: last(t) for t in tree if not t.path.startswith("many/")}},
            "many": sorted({{last(t) for t in api.list_repo_tree(repo, "many", expand=True)}}),
            "count": len(list(api.list_repo_tree(repo, "many", expand=True))),
            "title": [t.last_commit.title for t in api.list_repo_tree(repo, expand=True)
                      if t.path == "b.txt"],
            "plain": [getattr(t, "last_commit", None) for t in api.list_repo_tree(repo)],
            "security": [t.security for t in api.list_repo_tree(repo, expand=True)
                         if hasattr(t, "security")],
            "info": {{t.path: last(t) for t in api.get_paths_info(
                repo, ["d/a.txt", "b.txt", "d", "nope"], expand=True)}},
            "older": {{t.path: last(t) for t in api.list_repo_tree(
                repo, revision=b, recursive=True, expand=True)}},
        }}))
        """,
        home=tmp_path,
        token=alice.token,
    )
    a, b, c, many = out["oids"]
    assert out["tree"] == {"b.txt": b, "d": c, "d/a.txt": a, "d/c.txt": c, "many": many}
    assert out["many"] == [many] and out["count"] == 60
    assert out["title"] == ["bee"]
    assert out["plain"] == [None] * 3
    assert out["security"] == [None]
    assert out["info"] == {"d/a.txt": a, "b.txt": b, "d": c}
    assert out["older"] == {"b.txt": b, "d": a, "d/a.txt": a}
    # Expanded pages are 50 entries, as the Hub's, since each costs a history read.
    with live_server.client(alice.token) as rest:
        page = rest.get(f"/hf/api/models/{repo}/tree/main/many", params={"expand": "true"})
        assert len(page.json()) == 50 and 'rel="next"' in page.headers["link"]
        assert "lastCommit" in page.json()[0] and "securityFileStatus" not in page.json()[0]
        anonymous = httpx.get(f"{live_server.url}/hf/api/models/{repo}/tree/main?expand=true")
        assert anonymous.status_code == 404
        assert anonymous.headers["x-error-code"] == "RepoNotFound"
