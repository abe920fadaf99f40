"""The other ``HfApi`` calls a model-hub user makes, and the ``hf`` commands around them,
each against the live server with the real client: listings by author and search, file
metadata, deletions by pattern and folder, annotated tags, safetensors metadata,
``HfFileSystem``, a plain-HTTP resumed read, and calls the server refuses cleanly.

One client process runs the calls, so the suite pays for one interpreter start."""

from __future__ import annotations

import hashlib
import json
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from tests.acceptance.api import Account, make_user, unique
from tests.acceptance.hub_client import hub_env, run_hub
from tests.acceptance.live import LiveServer

pytestmark = pytest.mark.acceptance


def tiny_safetensors() -> bytes:
    header = json.dumps(
        {
            "w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},
            "__metadata__": {"format": "pt"},
        }
    ).encode()
    return struct.pack("<Q", len(header)) + header + bytes(24)


CALLS = """
repo, other = {repo!r}, {other!r}
author = repo.split("/")[0]
(Path("model.safetensors")).write_bytes(bytes.fromhex({weights!r}))
api.create_repo(repo, private=False)
api.create_repo(other, private=True)
api.create_repo(repo, repo_type="dataset")
api.upload_file(path_or_fileobj="model.safetensors", path_in_repo="model.safetensors",
                repo_id=repo)
api.create_commit(repo, [hh.CommitOperationAdd(p, p.encode()) for p in
                         ("config.json", "d/a.txt", "d/b.txt", "d/keep.bin", "other/x.txt")],
                  commit_message="files")
out = {{}}
out["models"] = sorted(m.id for m in api.list_models(author=author))
# The client's own paginator, on pages of one repo: it follows Link: rel="next".
from huggingface_hub.utils._pagination import paginate
out["paged"] = sorted(m["id"] for m in paginate(api.endpoint + "/api/models",
                      params={{"author": author, "limit": 1}}, headers=api._build_hf_headers()))
out["search"] = [m.id for m in api.list_models(search=repo.split("/")[1])]
out["full"] = [(m.sha == api.model_info(m.id).sha, m.last_modified is not None,
                sorted(s.rfilename for s in m.siblings))
               for m in api.list_models(author=author, full=True) if m.id == repo]
api.upload_file(path_or_fileobj=b"---\\nlicense: mit\\ntags: [tiny]\\n---\\n# other\\n",
                path_in_repo="README.md", repo_id=other)
out["cards"] = {{m.id: m.card_data and m.card_data.to_dict()
                for m in api.list_models(author=author, cardData=True)}}
out["security"] = api.model_info(other, securityStatus=True).security_repo_status
out["datasets"] = [d.id for d in api.list_datasets(author=author)]
out["anonymous"] = sorted(m.id for m in HfApi(token=False).list_models(author=author))
out["refused_filter"] = error_of(lambda: list(api.list_models(author=author, filter="x")))
out["refused_pipeline"] = error_of(
    lambda: list(api.list_models(author=author, pipeline_tag="text-generation")))
api.update_repo_settings(other, gated="auto")
out["gated"] = [[m.id for m in api.list_models(author=author, gated=flag)]
                for flag in (True, False)]
api.update_repo_settings(other, gated=False)
# 0.x clients send model_name and search as two search values: both must match.
name = repo.split("/")[1]
out["two_terms"] = [[m["id"] for m in paginate(api.endpoint + "/api/models",
                     params={{"author": author, "search": [name[:6], second]}},
                     headers=api._build_hf_headers())] for second in (name[-6:], "no-such")]
info = api.model_info(repo, files_metadata=True)
out["siblings"] = {{s.rfilename: [s.size, s.lfs is not None, s.blob_id is not None]
                   for s in info.siblings}}
out["paths_info"] = sorted((p.path, type(p).__name__)
                           for p in api.get_paths_info(repo, ["config.json", "d", "nope"]))
out["squash"] = error_of(api.super_squash_history, repo)
lfs_files = list(api.list_lfs_files(repo))
out["lfs_files"] = sorted([f.filename, f.size, f.ref, f.file_oid] for f in lfs_files)
out["lfs_delete"] = error_of(api.permanently_delete_lfs_files, repo, lfs_files)
api.delete_files(repo, delete_patterns=["d/*.txt"])
api.delete_folder("other", repo_id=repo)
out["after_deletes"] = sorted(api.list_repo_files(repo))
api.create_tag(repo, tag="v1", tag_message="first release")
refs = api.list_repo_refs(repo, include_pull_requests=True)
out["tags"] = [t.name for t in refs.tags]
out["pull_requests"] = refs.pull_requests
copy = api.duplicate_repo(repo, to_id=repo + "-copy")
copied = api.model_info(copy.repo_id)
out["duplicate"] = [copy.repo_id, copy.files_copy_pending, copied.sha == api.model_info(repo).sha,
                    copied.private, [t.name for t in api.list_repo_refs(copy.repo_id).tags],
                    [c.commit_id for c in api.list_repo_commits(copy.repo_id)]
                    == [c.commit_id for c in api.list_repo_commits(repo)]]
out["duplicate_again"] = [error_of(api.duplicate_repo, repo, to_id=repo + "-copy"),
                          api.duplicate_repo(repo, to_id=repo + "-copy", exist_ok=True).repo_id]
out["duplicate_private"] = [api.duplicate_repo(other, private=False, to_id=other + "-open").repo_id,
                            error_of(HfApi(token=False).duplicate_repo, other, to_id=other + "-x")]
out["duplicate_dataset"] = api.duplicate_repo(repo, to_id=repo + "-d", repo_type="dataset").url
stored = {{(r.id, r.type): [r.visibility, r.storage] for r in api.list_user_repos()}}
out["user_repos"] = [stored[repo, "model"], stored[other, "model"], stored[repo, "dataset"],
                     sum(s.size for s in api.model_info(repo, files_metadata=True).siblings),
                     error_of(lambda: list(HfApi(token=False).list_user_repos()))]
meta = api.get_safetensors_metadata(repo)
out["safetensors"] = [meta.weight_map, meta.files_metadata["model.safetensors"].parameter_count]
out["parsed"] = api.parse_safetensors_file_metadata(repo, "model.safetensors").metadata
fs = hh.HfFileSystem()
out["ls"] = sorted(fs.ls(repo, detail=False))
out["glob"] = fs.glob(repo + "/**/*.bin")
out["read"] = fs.open(repo + "/config.json").read().decode()
with fs.open(repo + "/d/c.json", "w") as f:
    f.write("written")
out["written"] = fs.read_text(repo + "/d/c.json")
out["at_tag"] = sorted(fs.ls(repo + "@v1", detail=False))
url = hh.hf_hub_url(repo, "model.safetensors")
import httpx2
size = Path("model.safetensors").stat().st_size
part = httpx2.get(url, headers={{"authorization": "Bearer " + os.environ["HF_TOKEN"],
                                "range": "bytes=8-"}})
out["range"] = [part.status_code, part.headers["content-range"],
                part.content == Path("model.safetensors").read_bytes()[8:]]
out["private_anonymous"] = error_of(HfApi(token=False).model_info, other)
# Spaces are not served: none are listed, and each is missing, also to a download's HEAD.
out["spaces"] = [list(api.list_spaces(author=author)), error_of(api.space_info, repo),
                 error_of(hf_hub_download, repo, "config.json", repo_type="space")]
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def dora(live_server: LiveServer) -> Account:
    return make_user(live_server)


def test_model_hub_calls(live_server: LiveServer, dora: Account, tmp_path: Path) -> None:
    repo, other = f"{dora.name}/{unique()}", f"{dora.name}/{unique()}"
    weights = tiny_safetensors()
    out = run_hub(
        live_server,
        CALLS.format(repo=repo, other=other, weights=weights.hex()),
        home=tmp_path,
        token=dora.token,
    )
    assert out["models"] == sorted([repo, other])
    assert out["paged"] == out["models"]
    assert out["search"] == [repo]
    # full=true lists each repo's files; the listing is of main's head, like repo info.
    files = ["config.json", "d/a.txt", "d/b.txt", "d/keep.bin", "model.safetensors", "other/x.txt"]
    assert out["full"] == [[True, True, files]]
    assert out["cards"] == {repo: None, other: {"license": "mit", "tags": ["tiny"]}}
    assert out["security"] == {"scansDone": True, "filesWithIssues": []}
    assert out["datasets"] == [repo]
    assert out["anonymous"] == [repo]
    assert out["refused_filter"] == "BadRequestError"
    assert out["refused_pipeline"] == "BadRequestError"
    assert out["gated"] == [[other], [repo]]
    assert out["two_terms"] == [[repo], []]
    assert out["siblings"]["model.safetensors"] == [len(weights), True, True]
    assert out["siblings"]["config.json"] == [len("config.json"), False, True]
    assert out["paths_info"] == [["config.json", "RepoFile"], ["d", "RepoFolder"]]
    assert out["squash"] == "BadRequestError"
    # The LFS files of the history (a .bin of 10 bytes is LFS by its suffix), each once.
    assert out["lfs_files"] == [
        ["d/keep.bin", 10, "main", hashlib.sha256(b"d/keep.bin").hexdigest()],
        ["model.safetensors", len(weights), "main", hashlib.sha256(weights).hexdigest()],
    ]
    assert out["lfs_delete"] == "BadRequestError"
    assert out["after_deletes"] == ["config.json", "d/keep.bin", "model.safetensors"]
    assert out["tags"] == ["v1"]
    # A copy with the same commits, tags and visibility, complete when answered.
    assert out["duplicate"] == [f"{repo}-copy", False, True, False, ["v1"], True]
    assert out["duplicate_again"] == ["HfHubHTTPError", f"{repo}-copy"]
    assert out["duplicate_private"] == [f"{other}-open", "RepositoryNotFoundError"]
    assert out["duplicate_dataset"].endswith(f"/datasets/{repo}-d")
    # list_user_repos: each repo's visibility and the bytes at the head of main.
    size = out["user_repos"][3]
    assert out["user_repos"] == [
        ["public", size],
        ["private", 42],  # its README.md
        ["private", 0],  # private as every new repo unless asked
        size,
        "HfHubHTTPError",
    ]
    assert out["pull_requests"] == []
    assert out["safetensors"] == [{"w": "model.safetensors"}, {"F32": 6}]
    assert out["parsed"] == {"format": "pt"}
    assert out["ls"] == sorted(f"{repo}/{p}" for p in ("config.json", "d", "model.safetensors"))
    assert out["glob"] == [f"{repo}/d/keep.bin"]
    assert out["read"] == "config.json"
    assert out["written"] == "written"
    # v1 was tagged before d/c.json was written.
    assert out["at_tag"] == sorted(
        f"{repo}@v1/{p}" for p in ("config.json", "d", "model.safetensors")
    )
    assert out["range"] == [206, f"bytes 8-{len(weights) - 1}/{len(weights)}", True]
    assert out["private_anonymous"] == "RepositoryNotFoundError"
    assert out["spaces"] == [[], "RepositoryNotFoundError", "RepositoryNotFoundError"]


def hf(server: LiveServer, home: Path, token: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).with_name("hf")), *args],
        env=hub_env(server, home, token),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=home,
    )


def test_hf_repo_and_tag_commands(live_server: LiveServer, dora: Account, tmp_path: Path) -> None:
    repo = f"{dora.name}/{unique()}"

    def ok(*args: str) -> str:
        done = hf(live_server, tmp_path, dora.token, *args)
        assert done.returncode == 0, f"hf {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    ok("repos", "create", repo)
    (tmp_path / "up").mkdir()
    (tmp_path / "up" / "a.json").write_text("{}")
    (tmp_path / "up" / "b.txt").write_text("b")
    ok("upload", repo, "up", ".")
    ok("repos", "delete-files", repo, "b.txt")
    ok("repos", "duplicate", repo, f"{repo}-dup")
    ok("repos", "tag", "create", repo, "v2", "-m", "second")
    assert "v2" in ok("repos", "tag", "list", repo)
    ok("repos", "tag", "delete", repo, "v2", "-y")
    listed = ok("models", "ls", "--author", dora.name, "--format", "quiet").split()
    assert repo in listed and f"{repo}-dup" in listed
    assert f"{repo}-dup" in ok("repos", "ls")
    # b.txt is gone and *.json is all there is to take.
    ok("download", repo, "--include", "*.*", "--local-dir", "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if p.is_file()) == ["a.json"]
    ok("repos", "delete", repo, "-y")
    gone = hf(live_server, tmp_path, dora.token, "repos", "delete", repo, "-y")
    assert gone.returncode != 0 and "not found" in (gone.stdout + gone.stderr).lower()
