"""Every listing command for scripts and for people: ``--json`` parsed here, and the long,
human form of ``ls``; real CLI processes against a live server."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.acceptance.api import unique
from tests.acceptance.live import LiveServer
from tests.acceptance.test_cli import Cli, cli, sha256_of

pytestmark = pytest.mark.acceptance

__all__ = ["cli"]  # fixture shared with test_cli


def listed(cli: Cli, *args: str) -> Any:
    result = cli.ok(*args, "--json")
    return json.loads(result.stdout)


def is_time(text: str) -> bool:
    return datetime.fromisoformat(text).tzinfo is not None


def test_every_listing_speaks_json(cli: Cli, live_server: LiveServer, tmp_path: Path) -> None:
    cli.ok("login", "--url", live_server.url, "--token", live_server.admin_token)
    user, org = unique("lst"), unique("org")
    cli.ok("admin", "user", "create", user)
    cli.ok("org", "create", org, "--description", "listing tests")
    cli.ok("org", "add", org, user, "--role", "write")
    repo = f"{org}/{unique('m')}"
    cli.ok("repo", "create", repo)
    cli.ok("repo", "grant", repo, user, "--role", "read")
    source = tmp_path / "source"
    (source / "weights").mkdir(parents=True)
    (source / "config.json").write_bytes(b'{"layers": 2}')
    (source / "weights" / "model.bin").write_bytes(b"w" * 3000)
    cli.ok("push", str(source), repo, "-m", "first\n\nwith a body")
    secret = cli.ok("token", "create", "--name", "ci-listing").stdout.strip()
    cli.ok("access-key", "create", "--name", "s3-listing")

    tree = listed(cli, "ls", repo, "-r")
    assert tree["repo"] == repo and tree["revision"] == "main" and len(tree["commit"]) == 40
    files = {e["path"]: e for e in tree["entries"]}
    model = files["weights/model.bin"]
    assert (model["type"], model["size"]) == ("file", 3000)
    assert model["sha256"] == sha256_of(source / "weights" / "model.bin")
    top = listed(cli, "ls", repo)["entries"]
    assert {(e["path"], e["type"]) for e in top} == {
        ("config.json", "file"),
        ("weights", "directory"),
    }

    commit = listed(cli, "log", repo)[0]
    assert commit["id"] == tree["commit"] and commit["message"] == "first\n\nwith a body"
    assert is_time(commit["created_at"])

    repos = listed(cli, "repo", "list", "--namespace", org)
    assert [(r["id"], r["private"]) for r in repos] == [(repo, True)]
    assert repos[0]["size"] == 13 + 3000 and repos[0]["updated_at"] > repos[0]["created_at"]
    empty = f"{org}/{unique('e')}"
    cli.ok("repo", "create", empty)
    by_size = listed(cli, "repo", "list", "--namespace", org, "--sort", "size")
    assert [r["id"] for r in by_size] == [repo, empty]
    by_time = listed(cli, "repo", "list", "--namespace", org, "--sort", "updated")
    assert [r["id"] for r in by_time] == [empty, repo]
    orgs = {o["name"]: o for o in listed(cli, "org", "list")}
    assert orgs[org]["description"] == "listing tests" and is_time(orgs[org]["created_at"])
    members = {m["user"]: m["role"] for m in listed(cli, "org", "members", org)}
    assert members[user] == "write"
    assert [(m["user"], m["role"]) for m in listed(cli, "repo", "collaborators", repo)] == [
        (user, "read")
    ]
    users = {u["name"]: u for u in listed(cli, "admin", "user", "list")}
    assert users[user]["is_admin"] is False and users[user]["disabled"] is False

    for command in (("token", "list"), ("admin", "token", "list")):
        tokens = {t["name"]: t for t in listed(cli, *command)}
        assert tokens["ci-listing"]["state"] == "active" and "secret" not in tokens["ci-listing"]
        assert secret not in cli.ok(*command, "--json").stdout
    keys = {k["name"]: k for k in listed(cli, "access-key", "list")}
    assert keys["s3-listing"]["state"] == "active" and "secret" not in keys["s3-listing"]

    events = listed(cli, "audit", "-n", "20")
    assert events and all(isinstance(e["id"], int) and is_time(e["at"]) for e in events)
    assert "user.create" in {e["action"] for e in events}


def test_ls_long_and_human(cli: Cli, live_server: LiveServer, tmp_path: Path) -> None:
    cli.ok("login", "--url", live_server.url, "--token", live_server.admin_token)
    repo = f"admin/{unique('h')}"
    cli.ok("repo", "create", repo)
    source = tmp_path / "source"
    source.mkdir()
    (source / "big.bin").write_bytes(b"b" * (3 * 1024 * 1024 + 512 * 1024))
    (source / "small.txt").write_bytes(b"tiny")
    cli.ok("push", str(source), repo)

    plain = cli.ok("ls", repo).stdout.splitlines()
    assert plain[0].split()[0] == str(3 * 1024 * 1024 + 512 * 1024)  # bytes, for scripts
    long = cli.ok("ls", repo, "-l", "-h").stdout.splitlines()
    assert re.match(
        rf"{re.escape(repo)}@main: commit [0-9a-f]{{12}}, "
        r"\d{4}-\d\d-\d\d \d\d:\d\d UTC by admin; 2 files, 3\.5 MiB in all$",
        long[0],
    ), long[0]
    assert long[1].split() == ["SIZE", "SHA256", "PATH"]
    rows = {line.split()[-1]: line.split() for line in long[2:]}
    assert rows["big.bin"][:2] == ["3.5", "MiB"] and rows["small.txt"][:2] == ["4", "B"]
    in_bytes = cli.ok("ls", repo, "-l").stdout.splitlines()
    assert in_bytes[2].split()[0] == str(3 * 1024 * 1024 + 512 * 1024)
