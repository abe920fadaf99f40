"""The Hub API's download surface, driven by the real ``huggingface_hub`` client: files pushed
through the REST API come out of ``hf_hub_download``/``snapshot_download`` byte-identical,
listings and refs read as the client expects, and each failure raises the client's own class."""

from __future__ import annotations

import hashlib
import json
import os
import struct
from pathlib import Path

import httpx
import pytest

from tests.acceptance.api import Account, make_repo, make_user, upload
from tests.acceptance.cutting_proxy import CuttingProxy
from tests.acceptance.hub_client import run_hub
from tests.acceptance.live import LiveServer

pytestmark = pytest.mark.acceptance


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
def alice(live_server: LiveServer) -> Account:
    return make_user(live_server)


@pytest.fixture(scope="module")
def seeded(live_server: LiveServer, alice: Account) -> dict[str, object]:
    """A model repo with a small JSON file, a 3 MB LFS-sized file in a folder, a tag on the
    first commit, all pushed through the REST API."""
    weights = os.urandom(3_000_000)
    with live_server.client(alice.token) as c:
        repo = make_repo(c, alice.name)
        first = upload(c, repo, "config.json", b'{"hidden_size": 8}')["commit"]["id"]
        c.post(f"/api/models/{repo}/tags", json={"name": "v1.0", "revision": first})
        upload(c, repo, "weights/model.safetensors", weights)
        head = upload(c, repo, "config.json", b'{"hidden_size": 16}')["commit"]["id"]
    return {"repo": repo, "first": first, "head": head, "weights": sha(weights)}


def test_files_listings_and_refs(
    live_server: LiveServer, alice: Account, seeded: dict[str, object], tmp_path: Path
) -> None:
    repo = seeded["repo"]
    out = run_hub(
        live_server,
        f"""
        repo = {repo!r}
        info = api.model_info(repo, files_metadata=True)
        tree = api.list_repo_tree(repo, recursive=True)
        refs = api.list_repo_refs(repo)
        print(json.dumps({{
            "me": api.whoami()["name"],
            "sha": info.sha,
            "siblings": {{s.rfilename: [s.size, s.lfs.sha256 if s.lfs else None]
                          for s in info.siblings}},
            "tree": sorted([t.path, type(t).__name__, getattr(t, "lfs", None) and t.lfs.sha256]
                           for t in tree),
            "top": sorted(t.path for t in api.list_repo_tree(repo)),
            "folder": [t.path for t in api.list_repo_tree(repo, path_in_repo="weights")],
            "files": api.list_repo_files(repo),
            "branches": [[b.name, b.target_commit] for b in refs.branches],
            "tags": [[t.name, t.target_commit] for t in refs.tags],
            "commits": [c.title for c in api.list_repo_commits(repo)],
            "paths": sorted(p.path for p in api.get_paths_info(repo, ["config.json", "weights",
                                                                      "nope"])),
        }}))
        """,
        home=tmp_path,
        token=alice.token,
    )
    assert out["me"] == alice.name
    assert out["sha"] == seeded["head"]
    assert out["siblings"] == {
        "config.json": [19, None],
        "weights/model.safetensors": [3_000_000, seeded["weights"]],
    }
    assert out["tree"] == [
        ["config.json", "RepoFile", None],
        ["weights", "RepoFolder", None],
        ["weights/model.safetensors", "RepoFile", seeded["weights"]],
    ]
    assert out["top"] == ["config.json", "weights"]
    assert out["folder"] == ["weights/model.safetensors"]
    assert sorted(out["files"]) == ["config.json", "weights/model.safetensors"]
    assert out["branches"] == [["main", seeded["head"]]]
    assert out["tags"] == [["v1.0", seeded["first"]]]
    assert out["commits"] == [
        "Upload config.json",
        "Upload weights/model.safetensors",
        "Upload config.json",
        "Initial commit",
    ]
    assert out["paths"] == ["config.json", "weights"]


def test_downloads_by_branch_tag_and_commit_then_offline(
    live_server: LiveServer, alice: Account, seeded: dict[str, object], tmp_path: Path
) -> None:
    repo = seeded["repo"]
    script = f"""
        repo = {repo!r}
        print(json.dumps({{
            "main": Path(hf_hub_download(repo, "config.json")).read_text(),
            "tag": Path(hf_hub_download(repo, "config.json", revision="v1.0")).read_text(),
            "commit": Path(hf_hub_download(repo, "config.json",
                                           revision={seeded["first"]!r})).read_text(),
            "weights": sha256_of(hf_hub_download(repo, "weights/model.safetensors")),
            "snapshot": sorted(str(p.relative_to(snap)) for snap in [Path(snapshot_download(repo))]
                               for p in snap.rglob("*") if p.is_file()),
            "json_only": sorted(p.name for p in Path(snapshot_download(
                repo, allow_patterns=["*.json"], local_dir="only-json")).rglob("*.json")
                if ".cache" not in p.parts),
            "no_weights": sorted(str(p.relative_to(Path.cwd())) for p in Path(
                snapshot_download(repo, ignore_patterns=["weights/*"], local_dir="no-weights"))
                .rglob("*") if p.is_file() and ".cache" not in p.parts),
        }}))
        """
    out = run_hub(live_server, script, home=tmp_path / "home", token=alice.token)
    assert out["main"] == '{"hidden_size": 16}'
    assert out["tag"] == out["commit"] == '{"hidden_size": 8}'
    assert out["weights"] == seeded["weights"]
    assert out["snapshot"] == ["config.json", "weights/model.safetensors"]
    assert out["json_only"] == ["config.json"]
    assert out["no_weights"] == ["no-weights/config.json"]
    offline = run_hub(
        live_server,
        f"""
        snap = Path(snapshot_download({repo!r}))
        print(json.dumps([snap.name, sha256_of(snap / "weights" / "model.safetensors")]))
        """,
        home=tmp_path / "home",
        token=alice.token,
        HF_HUB_OFFLINE="1",
    )
    assert offline == [seeded["head"], seeded["weights"]]


def test_each_failure_raises_the_clients_own_error(
    live_server: LiveServer, alice: Account, seeded: dict[str, object], tmp_path: Path
) -> None:
    repo = seeded["repo"]
    out = run_hub(
        live_server,
        f"""
        repo = {repo!r}
        print(json.dumps({{
            "repo": error_of(hf_hub_download, repo + "-missing", "config.json"),
            "revision": error_of(hf_hub_download, repo, "config.json", revision="nope"),
            "file": error_of(hf_hub_download, repo, "missing.json"),
            "folder": error_of(lambda: list(api.list_repo_tree(repo, path_in_repo="nope"))),
            "info": error_of(api.model_info, repo + "-missing"),
            "exists": [api.file_exists(repo, "config.json"), api.file_exists(repo, "nope"),
                       api.repo_exists(repo), api.repo_exists(repo + "-missing"),
                       api.revision_exists(repo, "v1.0"), api.revision_exists(repo, "nope")],
            "no_exist": sorted(p.name for p in Path(os.environ["HF_HOME"]).rglob(".no_exist/*/*")),
        }}))
        """,
        home=tmp_path,
        token=alice.token,
    )
    assert out == {
        "repo": "RepositoryNotFoundError",
        "revision": "RevisionNotFoundError",
        "file": "RemoteEntryNotFoundError",
        "folder": "RemoteEntryNotFoundError",
        "info": "RepositoryNotFoundError",
        "exists": [True, False, True, False, True, False],
        "no_exist": ["missing.json"],
    }
    bad_token = run_hub(
        live_server,
        "print(json.dumps(error_of(api.whoami)))",
        home=tmp_path,
        token="wh_nope",
    )
    assert bad_token == "HfHubHTTPError"


def test_private_repo_is_invisible_without_a_token(
    live_server: LiveServer, alice: Account, tmp_path: Path
) -> None:
    with live_server.client(alice.token) as c:
        repo = make_repo(c, alice.name, private=True)
        upload(c, repo, "config.json", b"{}")
    script = f"""
        repo = {repo!r}
        print(json.dumps([error_of(api.model_info, repo), error_of(hf_hub_download, repo,
                          "config.json"), api.repo_exists(repo)]))
        """
    anonymous = run_hub(live_server, script, home=tmp_path, token=None)
    assert anonymous == ["RepositoryNotFoundError", "RepositoryNotFoundError", False]
    owner = run_hub(live_server, script, home=tmp_path, token=alice.token)
    assert owner == [None, None, True]


def test_resolve_serves_ranges_without_compression(
    live_server: LiveServer, seeded: dict[str, object]
) -> None:
    url = f"{live_server.url}/hf/{seeded['repo']}/resolve/main/weights/model.safetensors"
    size = 3_000_000
    with httpx.Client(timeout=30) as c:
        head = c.head(url, headers={"Accept-Encoding": "gzip"})
        assert head.headers["x-repo-commit"] == seeded["head"]
        assert head.headers["etag"] == head.headers["x-linked-etag"] == f'"{seeded["weights"]}"'
        assert head.headers["x-linked-size"] == head.headers["content-length"] == str(size)
        assert "content-encoding" not in head.headers
        first = c.get(url, headers={"Range": "bytes=0-9"})
        assert first.status_code == 206
        assert first.headers["content-range"] == f"bytes 0-9/{size}"
        assert len(first.content) == 10
        tail = c.get(url, headers={"Range": "bytes=-5"})
        assert tail.status_code == 206 and len(tail.content) == 5
        rest = c.get(url, headers={"Range": "bytes=10-"})
        assert sha(first.content + rest.content) == seeded["weights"]
        past = c.get(url, headers={"Range": f"bytes={size}-"})
        assert past.status_code == 416
        assert past.headers["content-range"] == f"bytes */{size}"
        small = c.head(f"{live_server.url}/hf/{seeded['repo']}/resolve/main/config.json")
        git_id = hashlib.sha1(b"blob 19\0" + b'{"hidden_size": 16}').hexdigest()
        assert small.headers["etag"] == f'"{git_id}"'
        assert "x-linked-etag" not in small.headers


def test_listings_page_with_link_headers(tmp_path: Path, server_workers: int) -> None:
    server = LiveServer(
        data_dir=tmp_path / "data",
        workers=server_workers,
        extra_env={"WEIGHTHOUSE_HF__PAGE_SIZE": "2"},
    ).start()
    try:
        bob = make_user(server)
        with server.client(bob.token) as c:
            repo = make_repo(c, bob.name)
            for i in range(5):
                upload(c, repo, f"d/f{i}.txt", b"%d" % i)
            first_page = c.get(f"/hf/api/models/{repo}/tree/main/d")
            assert len(first_page.json()) == 2 and 'rel="next"' in first_page.headers["link"]
        out = run_hub(
            server,
            f"""
            print(json.dumps([sorted(api.list_repo_files({repo!r})),
                              len(api.list_repo_commits({repo!r}))]))
            """,
            home=tmp_path,
            token=bob.token,
        )
        assert out == [[f"d/f{i}.txt" for i in range(5)], 6]
    finally:
        server.stop()


def test_a_download_cut_mid_stream_resumes_with_a_range(
    live_server: LiveServer, alice: Account, tmp_path: Path
) -> None:
    data = os.urandom(24 * 2**20)
    with live_server.client(alice.token) as c:
        repo = make_repo(c, alice.name)
        upload(c, repo, "big.safetensors", data)
    with CuttingProxy(live_server.port, cut_after=12 * 2**20) as proxy:
        out = run_hub(
            proxy.url,
            f'print(json.dumps(sha256_of(hf_hub_download({repo!r}, "big.safetensors"))))',
            home=tmp_path,
            token=alice.token,
        )
        sent = bytes(proxy.requests).lower()
    assert proxy.cuts == 1
    assert out == sha(data)
    assert b"range: bytes=" in sent


def test_repo_info_counts_safetensors_parameters(
    live_server: LiveServer, alice: Account, tmp_path: Path
) -> None:
    header = json.dumps(
        {
            "w": {"dtype": "F32", "shape": [4, 8], "data_offsets": [0, 128]},
            "b": {"dtype": "F32", "shape": [8], "data_offsets": [128, 160]},
        }
    ).encode()
    weights = struct.pack("<Q", len(header)) + header + bytes(160)
    with live_server.client(alice.token) as c:
        repo = make_repo(c, alice.name)
        upload(c, repo, "model.safetensors", weights)
    out = run_hub(
        live_server,
        f"""
        info = api.model_info({repo!r}).safetensors
        print(json.dumps([info.parameters, info.total]))
        """,
        home=tmp_path,
        token=alice.token,
    )
    assert out == [{"F32": 40}, 40]
