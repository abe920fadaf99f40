"""Branches whose names hold ``/`` through REST and the CLI, and names that try to escape."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.acceptance.api import Account, make_repo, make_user, upload
from tests.acceptance.live import LiveServer
from tests.acceptance.test_cli import Cli

pytestmark = pytest.mark.acceptance


@pytest.fixture
def cli(tmp_path: Path, live_server: LiveServer, alice: Account) -> Cli:
    """The CLI with an empty config folder, signed in as alice through the environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WEIGHTHOUSE_")}
    env.update(
        {
            "WEIGHTHOUSE_CONFIG_DIR": str(tmp_path / "config"),
            "WEIGHTHOUSE_URL": live_server.url,
            "WEIGHTHOUSE_TOKEN": alice.token,
        }
    )
    work = tmp_path / "work"
    work.mkdir()
    return Cli(env, work)


@pytest.fixture(scope="module")
def alice(live_server: LiveServer) -> Account:
    return make_user(live_server)


def test_a_slashed_branch_is_created_pushed_pulled_listed_and_deleted_over_rest(
    live_server: LiveServer, alice: Account
) -> None:
    with live_server.client(alice.token) as c:
        repo = make_repo(c, alice.name)
        upload(c, repo, "a.txt", b"on main")
        made = c.post(f"/api/models/{repo}/branches", json={"name": "feature/x"})
        assert made.status_code == 201, made.text
        upload(c, repo, "a.txt", b"on feature", branch="feature%2Fx")
        upload(c, repo, "x/a.txt", b"a folder named like the branch's tail")
        # The escaped slash names the branch; a literal one separates segments.
        assert c.get(f"/api/models/{repo}/resolve/feature%2Fx/a.txt").content == b"on feature"
        assert c.get(f"/api/models/{repo}/resolve/feature%2fx/a.txt").content == b"on feature"
        head = c.head(f"/api/models/{repo}/resolve/feature%2Fx/a.txt")
        assert head.status_code == 200 and head.headers["content-length"] == "10"
        assert c.get(f"/api/models/{repo}/resolve/main/x/a.txt").status_code == 200
        missing = c.get(f"/api/models/{repo}/resolve/feature/x/a.txt")
        assert (
            missing.status_code == 404 and missing.json()["error"]["code"] == "revision_not_found"
        )
        tree = c.get(f"/api/models/{repo}/tree/feature%2Fx").json()
        assert [e["path"] for e in tree["entries"]] == ["a.txt"]
        log = c.get(f"/api/models/{repo}/commits/feature%2Fx").json()["items"]
        assert len(log) == 3 and log[0]["id"] == tree["commit"]
        ops = {"message": "m", "operations": [{"op": "delete", "path": "a.txt"}]}
        assert c.post(f"/api/models/{repo}/commit/feature%2Fx", json=ops).status_code == 201
        assert c.get(f"/api/models/{repo}/resolve/feature%2Fx/a.txt").status_code == 404
        assert c.get(f"/api/models/{repo}/resolve/main/a.txt").content == b"on main"
        branches = c.get(f"/api/models/{repo}/refs").json()["branches"]
        assert {b["name"] for b in branches} == {"main", "feature/x"}
        c.post(f"/api/models/{repo}/tags", json={"name": "v1/rc", "revision": "feature/x"})
        assert c.get(f"/api/models/{repo}/tree/v1%2Frc").status_code == 200
        assert c.delete(f"/api/models/{repo}/tags/v1%2Frc").status_code == 204
        assert c.delete(f"/api/models/{repo}/branches/feature%2Fx").status_code == 204
        assert c.get(f"/api/models/{repo}/tree/feature%2Fx").status_code == 404
        assert {b["name"] for b in c.get(f"/api/models/{repo}/refs").json()["branches"]} == {"main"}


HOSTILE = [
    "..",
    "a/../main",
    "/main",
    "main/",
    "a//b",
    "refs/heads/main",
    "refs/pr/1",
    ".hidden/x",
    "x/.lock",
    "feature%2Fx",  # the name itself, not an escape: '%' is never part of a ref
    "feature\\x",
    "a/./b",
]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_branch_names_are_refused_with_a_clear_error(
    live_server: LiveServer, alice: Account, name: str
) -> None:
    with live_server.client(alice.token) as c:
        repo = make_repo(c, alice.name)
        made = c.post(f"/api/models/{repo}/branches", json={"name": name})
        assert made.status_code == 400, made.text
        assert made.json()["error"]["code"] == "invalid_name"
        assert {b["name"] for b in c.get(f"/api/models/{repo}/refs").json()["branches"]} == {"main"}


def test_escapes_in_the_ref_segment_decode_exactly_once(
    live_server: LiveServer, alice: Account
) -> None:
    with live_server.client(alice.token) as c:
        repo = make_repo(c, alice.name)
        upload(c, repo, "a.txt", b"main")
        assert c.post(f"/api/models/{repo}/branches", json={"name": "feature/x"}).status_code == 201
        # '%252F' is a literal '%2F' in the name: it must not reach 'feature/x'.
        double = c.get(f"/api/models/{repo}/resolve/feature%252Fx/a.txt")
        assert double.status_code == 400 and double.json()["error"]["code"] == "invalid_revision"
        for traversal in ("..%2Fmain", "%2E%2E", "%2Fmain", "refs%2Fheads%2Fmain"):
            got = c.get(f"/api/models/{repo}/resolve/{traversal}/a.txt")
            assert got.status_code in (400, 404), (traversal, got.status_code)
            assert got.content != b"main"
        deleted = c.delete(f"/api/models/{repo}/branches/feature%252Fx")
        assert deleted.status_code == 400
        assert c.delete(f"/api/models/{repo}/branches/..%2Fmain").status_code == 400
        assert c.delete(f"/api/models/{repo}/branches/main").status_code == 400
        # Files whose names hold '%2F' are still plain names, not slashes.
        upload(c, repo, "100%25.txt", b"percent")
        assert c.get(f"/api/models/{repo}/resolve/main/100%25.txt").content == b"percent"


def test_the_cli_pushes_pulls_and_deletes_a_slashed_branch(
    cli: Cli, live_server: LiveServer, alice: Account, tmp_path: Path
) -> None:
    with live_server.client(alice.token) as c:
        repo = make_repo(c, alice.name)
        upload(c, repo, "a.txt", b"main")
    assert "feature/x" in cli.ok("branch", repo, "feature/x").stdout
    source = tmp_path / "weights.bin"
    source.write_bytes(os.urandom(4096))
    cli.ok("push", str(source), repo, "--branch", "feature/x")
    listed = json.loads(cli.ok("branch", repo, "--json").stdout)
    assert {b["name"] for b in listed} == {"main", "feature/x"}
    out = tmp_path / "out"
    cli.ok("pull", f"{repo}@feature/x", "--to", str(out))
    assert (out / "weights.bin").read_bytes() == source.read_bytes()
    assert "weights.bin" in cli.ok("ls", f"{repo}@feature/x").stdout
    bad = cli.run("branch", repo, "refs/heads/x")
    assert bad.returncode == 1 and "Traceback" not in bad.stderr and "refs/" in bad.stderr
    cli.ok("branch", repo, "feature/x", "--delete")
    gone = cli.run("pull", f"{repo}@feature/x", "--to", str(tmp_path / "again"))
    assert gone.returncode == 1 and "Traceback" not in gone.stderr
