"""The calls the issue names, made by each client set-up users run: the latest
``huggingface_hub`` with ``hf_xet`` (large files over Xet), the latest with
``HF_HUB_DISABLE_XET=1`` (git-lfs), and the 0.36 line as installed (it negotiates Xet in the
LFS batch). Each creates repos, uploads a file, a folder and a commit of additions, deletions
and copies, makes a ``feature/x`` branch and a tag, lists trees, refs and commits, downloads by
branch, tag and commit, takes snapshots with patterns, checks existence and the exception
classes, and runs ``hf upload`` / ``hf download``.

A 300 MB Xet upload checks the memory of the server's whole process tree (the serving process,
and the app processes and any other children it starts) while it rebuilds the file, on a
server of its own with the default settings (the 1 GiB figure is ``bench/hf.py --only-xet``)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
from pathlib import Path

import psutil
import pytest

from tests.acceptance.api import Account, make_user, unique
from tests.acceptance.client_envs import HUB_0_36, HUB_LATEST
from tests.acceptance.hub_client import run_hf, run_hub
from tests.acceptance.live import LiveServer
from weighthouse.jobs import app_process

pytestmark = pytest.mark.acceptance

SETUPS = {
    "latest-xet": (HUB_LATEST, "0"),
    "latest-lfs": (HUB_LATEST, "1"),
    "0.36": (HUB_0_36, "0"),
}
MB = 10**6
BIG = 300 * MB
RSS_LIMIT = 200 * MB
"""The issue's limit, in decimal megabytes: the whole tree peaked at 179 MB in three runs
(189-196 MB before the Xet path held less and the app processes shed OpenSSL)."""


@pytest.fixture(scope="module")
def dora(live_server: LiveServer) -> Account:
    return make_user(live_server)


CALLS = """
from huggingface_hub.utils._runtime import is_xet_available
repo, private = {repo!r}, {private!r}
anonymous = HfApi(token=False)
out = {{"version": hh.__version__, "xet": is_xet_available()}}
api.create_repo(repo, private=False)
api.create_repo(private, private=True)
api.upload_file(path_or_fileobj=b'{{"a": 1}}', path_in_repo="config.json", repo_id=repo)
api.upload_file(path_or_fileobj="weights.bin", path_in_repo="w/weights.bin", repo_id=repo)
api.upload_folder(folder_path="folder", repo_id=repo, path_in_repo="f")
first = api.model_info(repo).sha
api.create_commit(repo, [
    hh.CommitOperationAdd("extra.json", b"{{}}"),
    hh.CommitOperationDelete("f/notes.txt"),
    hh.CommitOperationCopy("w/weights.bin", "copy/weights.bin"),
], commit_message="several at once")
api.create_branch(repo, branch="feature/x", revision=first)
api.upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id=repo, revision="feature/x")
api.create_tag(repo, tag="v1", revision=first)
refs = api.list_repo_refs(repo)
out["refs"] = [sorted(b.name for b in refs.branches), sorted(t.name for t in refs.tags)]
out["commits"] = [c.title for c in api.list_repo_commits(repo)][:2]
tree = list(api.list_repo_tree(repo, recursive=True))
out["tree"] = sorted(t.path for t in tree)
out["lfs"] = sorted(t.path for t in tree if getattr(t, "lfs", None))
out["feature"] = Path(hf_hub_download(repo, "x.txt", revision="feature/x")).read_text()
out["tag"] = sorted(api.list_repo_files(repo, revision="v1"))
out["commit"] = Path(hf_hub_download(repo, "f/notes.txt", revision=first)).read_text()
out["copy"] = sha256_of(hf_hub_download(repo, "copy/weights.bin"))
def files(folder):
    return sorted(str(p.relative_to(folder)) for p in Path(folder).rglob("*") if p.is_file())
out["snapshots"] = [
    files(snapshot_download(repo, allow_patterns=["*.json"], cache_dir="s1")),
    files(snapshot_download(repo, ignore_patterns=["*.bin", "f/*"], cache_dir="s2")),
]
out["private"] = [error_of(anonymous.model_info, private), anonymous.repo_exists(private),
                  api.repo_exists(private)]
out["errors"] = [error_of(hf_hub_download, repo, "nope"),
                 error_of(hf_hub_download, repo, "config.json", revision="nope"),
                 error_of(hf_hub_download, repo + "-x", "config.json")]
out["exists"] = [api.file_exists(repo, "config.json"), api.file_exists(repo, "nope"),
                 api.file_exists(repo, "x.txt", revision="feature/x"), api.repo_exists(repo),
                 api.repo_exists(repo + "-x")]
print(json.dumps(out))
"""


@pytest.mark.parametrize("setup", list(SETUPS))
def test_each_client_setup_makes_every_named_call(
    live_server: LiveServer, dora: Account, tmp_path: Path, setup: str
) -> None:
    hub, disable_xet = SETUPS[setup]
    python = hub.python()
    weights = os.urandom(2 * 2**20)
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "weights.bin").write_bytes(weights)
    folder = tmp_path / "folder"
    (folder / "sub").mkdir(parents=True)
    (folder / "notes.txt").write_text("notes")
    (folder / "sub" / "model.safetensors").write_bytes(weights[::-1])
    repo, private = f"{dora.name}/{unique()}", f"{dora.name}/{unique()}"
    out = run_hub(
        live_server,
        CALLS.format(repo=repo, private=private),
        home=tmp_path,
        token=dora.token,
        python=python,
        HF_HUB_DISABLE_XET=disable_xet,
    )
    assert out["xet"] is (disable_xet == "0"), out["version"]
    if setup == "0.36":
        assert out["version"].startswith("0.36.")
    assert out["refs"] == [["feature/x", "main"], ["v1"]]
    assert out["commits"][0] == "several at once"
    assert out["tree"] == [
        "config.json", "copy", "copy/weights.bin", "extra.json", "f", "f/sub",
        "f/sub/model.safetensors", "w", "w/weights.bin",
    ]  # fmt: skip
    assert out["lfs"] == ["copy/weights.bin", "f/sub/model.safetensors", "w/weights.bin"]
    assert out["feature"] == "x"
    assert out["tag"] == ["config.json", "f/notes.txt", "f/sub/model.safetensors", "w/weights.bin"]
    assert out["commit"] == "notes"
    assert out["copy"] == hashlib.sha256(weights).hexdigest()
    assert out["snapshots"] == [
        ["config.json", "extra.json"],
        ["config.json", "extra.json"],
    ]
    assert out["private"] == ["RepositoryNotFoundError", False, True]
    # 1.x renamed the missing-file error (a subclass of the old one, which 0.36 raises).
    missing_file = "EntryNotFoundError" if setup == "0.36" else "RemoteEntryNotFoundError"
    assert out["errors"] == [missing_file, "RevisionNotFoundError", "RepositoryNotFoundError"]
    assert out["exists"] == [True, False, True, True, False]

    # What this set-up pushed comes out byte-identical through Weighthouse's own CLI and REST.
    cli_env = {k: v for k, v in os.environ.items() if not k.startswith("WEIGHTHOUSE_")}
    cli_env.update(
        WEIGHTHOUSE_CONFIG_DIR=str(tmp_path / "wh-config"),
        WEIGHTHOUSE_URL=live_server.url,
        WEIGHTHOUSE_TOKEN=dora.token,
    )
    pulled = subprocess.run(
        [sys.executable, "-m", "weighthouse", "pull", repo, "--to", str(tmp_path / "pulled")],
        env=cli_env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert pulled.returncode == 0, pulled.stderr
    assert (tmp_path / "pulled" / "w" / "weights.bin").read_bytes() == weights
    assert (tmp_path / "pulled" / "f" / "sub" / "model.safetensors").read_bytes() == weights[::-1]
    with live_server.client(dora.token) as rest:
        got = rest.get(f"/api/models/{repo}/resolve/main/copy/weights.bin")
        assert got.status_code == 200 and got.content == weights

    # The same set-up's command line, both ways.
    cli = tmp_path / "cli"
    (cli / "deep").mkdir(parents=True)
    (cli / "deep" / "cli.safetensors").write_bytes(weights[:1_500_000])
    (cli / "README.md").write_text("# cli\n")
    for args in (
        ("upload", repo, str(cli), "from-cli"),
        ("download", repo, "--include", "from-cli/*", "--local-dir", "out"),
    ):
        run_hf(live_server, tmp_path, dora.token, *args, python=python,
               HF_HUB_DISABLE_XET=disable_xet)  # fmt: skip
    got = tmp_path / "out" / "from-cli"
    assert (got / "README.md").read_text() == "# cli\n"
    assert (got / "deep" / "cli.safetensors").read_bytes() == weights[:1_500_000]


APP_PROCESS = app_process.__name__
"""The module the job apps' processes run (``python -m``), as their command lines name it."""


def _tree_rss(server: LiveServer) -> tuple[int, int, int]:
    """The RSS of the server's process and all its descendants: the sum, the sum without the
    app processes the jobs run in, and the largest."""
    assert server.process is not None
    root = psutil.Process(server.process.pid)
    command = root.cmdline()
    sizes, apps = [root.memory_info().rss], 0
    for process in root.children(recursive=True):
        try:
            # A child still the server's own command is a fork (or vfork) before its exec: it
            # borrows the server's pages, which the root's figure already counts.
            cmdline = process.cmdline()
            if cmdline != command:
                sizes.append(process.memory_info().rss)
                if APP_PROCESS in cmdline:
                    apps += sizes[-1]
        except psutil.Error:
            continue  # ended meanwhile
    return sum(sizes), sum(sizes) - apps, max(sizes)


# Memory is a matter of the process count: this one runs with both.
@pytest.mark.server_workers(1, 2)
def test_a_300_mb_xet_upload_keeps_the_server_small(
    fresh_server: LiveServer, tmp_path: Path, server_workers: int
) -> None:
    dora = make_user(fresh_server)
    digest = hashlib.sha256()
    tmp_path.mkdir(parents=True, exist_ok=True)
    with (tmp_path / "big.bin").open("wb") as out:
        for _ in range(BIG // MB):
            piece = os.urandom(MB)
            digest.update(piece)
            out.write(piece)
    repo = f"{dora.name}/{unique()}"
    baseline, peak, done = _tree_rss(fresh_server), [0, 0, 0], threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            figures = _tree_rss(fresh_server)
            peak[:] = [max(pair) for pair in zip(peak, figures, strict=True)]

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        out = run_hub(
            fresh_server,
            f"""
            repo = {repo!r}
            api.create_repo(repo)
            api.upload_file(path_or_fileobj="big.bin", path_in_repo="big.bin", repo_id=repo)
            os.remove("big.bin")
            print(json.dumps([[t.lfs.sha256, t.lfs.size] for t in api.list_repo_tree(repo)]))
            """,
            home=tmp_path,
            token=dora.token,
            python=HUB_LATEST.python(),
            HF_HUB_DISABLE_XET="0",
        )
    finally:
        done.set()
        sampler.join()
    # The server checked every chunk and the whole file's SHA-256 against the client's.
    assert out == [[digest.hexdigest(), BIG]]
    # Each process is held to the limit, the app processes the push's jobs start included;
    # with one serving process, the whole tree too. The serving processes' growth must stay
    # flat: the app processes are left out of that figure, as the jobs of a push start them
    # (one per app, kept for later jobs) in the same moments, whatever the upload's size.
    assert 0 < peak[2] < RSS_LIMIT, (baseline, peak)
    if server_workers == 1:
        assert peak[0] < RSS_LIMIT, (baseline, peak)
    assert peak[1] - baseline[1] < BIG // 4, (baseline, peak)
