"""Other ways in: an older client line (0.36, which negotiates the LFS transfer and lists
snapshots from ``siblings``) and the ``hf`` command line."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.acceptance.api import Account, make_user, unique
from tests.acceptance.client_envs import client_python
from tests.acceptance.hub_client import hub_env, run_hub
from tests.acceptance.live import LiveServer

pytestmark = pytest.mark.acceptance

ROUND_TRIP = """
repo = {repo!r}
api.create_repo(repo)
api.upload_file(path_or_fileobj=b'{{"a": 1}}', path_in_repo="config.json", repo_id=repo)
api.upload_file(path_or_fileobj="weights.bin", path_in_repo="w/weights.bin", repo_id=repo)
first = api.model_info(repo).sha
api.create_branch(repo, branch="feature/x", revision=first)
api.upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id=repo, revision="feature/x")
api.create_tag(repo, tag="v1", revision=first)
snap = Path(snapshot_download(repo))
print(json.dumps({{
    "version": hh.__version__,
    "snapshot": sorted(str(p.relative_to(snap)) for p in snap.rglob("*") if p.is_file()),
    "weights": sha256_of(snap / "w" / "weights.bin"),
    "feature": sorted(api.list_repo_files(repo, revision="feature/x")),
    "tag": Path(hf_hub_download(repo, "config.json", revision="v1")).read_text(),
    "refs": sorted(b.name for b in api.list_repo_refs(repo).branches),
    "errors": [error_of(hf_hub_download, repo, "nope"),
               error_of(hf_hub_download, repo, "config.json", revision="nope"),
               error_of(hf_hub_download, repo + "-x", "config.json")],
}}))
"""


@pytest.fixture(scope="module")
def carol(live_server: LiveServer) -> Account:
    return make_user(live_server)


def test_the_0_36_client_round_trip(
    live_server: LiveServer, carol: Account, tmp_path: Path
) -> None:
    python = client_python("huggingface_hub==0.36.2")
    weights = os.urandom(2_500_000)
    (tmp_path / "weights.bin").write_bytes(weights)
    repo = f"{carol.name}/{unique()}"
    # With hf_xet installed 0.36 offers Xet in the LFS batch; the server answers "xet", and
    # the client uploads weights.bin through the write token and the CAS.
    out = run_hub(
        live_server,
        ROUND_TRIP.format(repo=repo),
        home=tmp_path,
        token=carol.token,
        python=python,
        HF_HUB_DISABLE_XET="0",
    )
    assert out["version"] == "0.36.2"
    assert out["snapshot"] == ["config.json", "w/weights.bin"]
    assert out["weights"] == hashlib.sha256(weights).hexdigest()
    assert out["feature"] == ["config.json", "w/weights.bin", "x.txt"]
    assert out["tag"] == '{"a": 1}'
    assert out["refs"] == ["feature/x", "main"]
    assert out["errors"] == [
        "EntryNotFoundError",
        "RevisionNotFoundError",
        "RepositoryNotFoundError",
    ]


def hf(server: LiveServer, home: Path, token: str, *args: str) -> str:
    """Run the ``hf`` command line of the test environment's client."""
    done = subprocess.run(
        [str(Path(sys.executable).with_name("hf")), *args],
        env=hub_env(server, home, token),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=home,
    )
    assert done.returncode == 0, f"{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def test_the_hf_command_line(live_server: LiveServer, carol: Account, tmp_path: Path) -> None:
    repo = f"{carol.name}/{unique()}"
    folder = tmp_path / "model"
    (folder / "sub").mkdir(parents=True)
    (folder / "config.json").write_text('{"b": 2}')
    weights = os.urandom(1_500_000)
    (folder / "sub" / "weights.safetensors").write_bytes(weights)
    assert carol.name in hf(live_server, tmp_path, carol.token, "auth", "whoami")
    hf(live_server, tmp_path, carol.token, "upload", repo, str(folder), ".")
    hf(live_server, tmp_path, carol.token, "upload", repo, str(folder), ".", "--revision", "dev")
    hf(live_server, tmp_path, carol.token, "download", repo, "--local-dir", "out")
    assert (tmp_path / "out" / "config.json").read_text() == '{"b": 2}'
    assert (tmp_path / "out" / "sub" / "weights.safetensors").read_bytes() == weights
    one = hf(
        live_server, tmp_path, carol.token, "download", repo, "config.json", "--revision", "dev"
    )
    # The CLI prints the cached file's path last (2.x: "  path: <path>").
    assert Path(one.strip().splitlines()[-1].split("path:")[-1].strip()).read_text() == '{"b": 2}'
    refs = run_hub(
        live_server,
        f"print(json.dumps(sorted(b.name for b in api.list_repo_refs({repo!r}).branches)))",
        home=tmp_path,
        token=carol.token,
    )
    assert refs == ["dev", "main"]
