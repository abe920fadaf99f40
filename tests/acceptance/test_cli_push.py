"""``weighthouse push`` sends only what the server lacks: real CLI processes against a live
server, through a proxy that counts the bytes on the wire."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.acceptance.api import unique
from tests.acceptance.counting_proxy import CountingProxy
from tests.acceptance.live import LiveServer
from tests.acceptance.test_cli import Account, Cli, MiB, assert_one_line_error, write_random
from weighthouse.client import WeighthouseClient

pytestmark = pytest.mark.acceptance

GiB = 2**30


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    """The CLI with an empty config folder; each test passes the server and token itself."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WEIGHTHOUSE_")}
    env.update({"WEIGHTHOUSE_CONFIG_DIR": str(tmp_path / "config"), "PYTHONUNBUFFERED": "1"})
    work = tmp_path / "work"
    work.mkdir()
    return Cli(env, work)


@pytest.fixture(scope="module")
def account(live_server: LiveServer) -> Account:
    return make_account(live_server, unique("push"))


@pytest.fixture
def proxy(live_server: LiveServer) -> Iterator[CountingProxy]:
    with CountingProxy(live_server.port) as counting:
        yield counting


def through(cli: Cli, proxy: CountingProxy, token: str) -> Cli:
    """The CLI talking to the server only through ``proxy``, as the user owning ``token``."""
    env = {**cli.env, "WEIGHTHOUSE_URL": proxy.url, "WEIGHTHOUSE_TOKEN": token}
    return Cli(env, cli.cwd)


def private_repo(server: LiveServer, account: Account) -> str:
    name = unique("p")
    with WeighthouseClient(server.url, account.token) as client:
        client.create_repo(name, namespace=account.name, private=True)
    return f"{account.name}/{name}"


def history(server: LiveServer, token: str, repo: str) -> list[str]:
    with WeighthouseClient(server.url, token) as client:
        return [c.id for c in client.log(repo)]


def files_at(server: LiveServer, token: str, repo: str, revision: str = "main") -> dict[str, str]:
    with WeighthouseClient(server.url, token) as client:
        _, entries = client.list_tree(repo, revision=revision, recursive=True)
    return {e.path: e.sha256 or "" for e in entries if e.is_file}


def make_account(server: LiveServer, name: str) -> Account:
    with WeighthouseClient(server.url, server.admin_token) as admin:
        admin.create_user(name)
        secret = admin.create_token("push-tests", scope="write", user=name).secret
    assert secret
    return Account(name, secret)


def test_unchanged_1gib_is_not_sent_again_and_an_outsider_gains_nothing(
    cli: Cli,
    live_server: LiveServer,
    account: Account,
    proxy: CountingProxy,
    tmp_path: Path,
    server_workers: int,
) -> None:
    source = tmp_path / "big"
    write_random(source / "model-00001.safetensors", 768 * MiB)
    write_random(source / "model-00002.safetensors", 256 * MiB)
    (source / "config.json").write_text('{"layers": 24}')
    first, second = private_repo(live_server, account), private_repo(live_server, account)
    owner = through(cli, proxy, account.token)

    owner.ok("push", str(source), first)
    assert proxy.sent > GiB
    commits = history(live_server, account.token, first)

    proxy.reset()
    again = owner.ok("push", str(source), first, "-m", "same again")
    assert proxy.sent < MiB, proxy.sent
    assert "Nothing to push" in again.stdout and "no commit" in again.stdout
    assert history(live_server, account.token, first) == commits

    proxy.reset()
    copy = owner.ok("push", str(source), second)
    assert proxy.sent < MiB, proxy.sent
    assert "3 added" in copy.stdout and "3 already on the server" in copy.stdout
    assert files_at(live_server, account.token, second) == files_at(
        live_server, account.token, first
    )

    # Someone who cannot read those private repos learns nothing from the hashes: the
    # server makes them send every byte, as if it had never seen them.
    stranger = make_account(live_server, unique("out"))
    theirs = f"{stranger.name}/{unique('copy')}"
    with WeighthouseClient(live_server.url, stranger.token) as client:
        client.create_repo(theirs.split("/")[1], namespace=stranger.name)
    proxy.reset()
    out = through(cli, proxy, stranger.token).ok("push", str(source), theirs)
    assert proxy.sent > GiB
    assert "0 already on the server" in out.stdout


def test_an_existing_tag_fails_before_anything_is_sent(
    cli: Cli, live_server: LiveServer, account: Account, proxy: CountingProxy, tmp_path: Path
) -> None:
    source = tmp_path / "m"
    write_random(source / "weights.bin", 8 * MiB)
    repo = private_repo(live_server, account)
    owner = through(cli, proxy, account.token)
    owner.ok("push", str(source), repo, "--tag", "v1.0", "-m", "first weights")
    commits = history(live_server, account.token, repo)

    write_random(source / "weights.bin", 8 * MiB)  # new bytes: the push would commit
    proxy.reset()
    result = owner.run("push", str(source), repo, "--tag", "v1.0", "-m", "first weights")
    assert_one_line_error(result, "ref_exists", "'v1.0'", "nothing was pushed")
    assert proxy.sent < MiB, proxy.sent
    assert history(live_server, account.token, repo) == commits

    bad = owner.run("push", str(source), repo, "--tag", "latest")
    assert bad.returncode == 1 and "reserved" in bad.stderr and "Traceback" not in bad.stderr
    assert history(live_server, account.token, repo) == commits

    tagged = owner.ok("push", str(source), repo, "--tag", "v1.1")
    assert "1 changed" in tagged.stdout and "Tagged" in tagged.stdout
    # Unchanged since: a new tag names the head, with no empty commit.
    same = owner.ok("push", str(source), repo, "--tag", "v1.2")
    assert "Nothing to push" in same.stdout and "as v1.2" in same.stdout
    commits = history(live_server, account.token, repo)
    assert files_at(live_server, account.token, repo, "v1.2") == files_at(
        live_server, account.token, repo, "v1.1"
    )
    assert len(commits) == 3  # the repo's first commit, v1.0 and v1.1


def test_delete_syncs_the_folder_and_patterns_choose_the_paths(
    cli: Cli, live_server: LiveServer, account: Account, proxy: CountingProxy, tmp_path: Path
) -> None:
    source = tmp_path / "m"
    contents = {
        "a.txt": b"alpha",
        "b.bin": b"bravo",
        "sub/c.json": b"{}",
        "logs/run.log": b"step 1",
    }
    for path, data in contents.items():
        (source / path).parent.mkdir(parents=True, exist_ok=True)
        (source / path).write_bytes(data)
    repo = private_repo(live_server, account)
    owner = through(cli, proxy, account.token)

    owner.ok("push", str(source), repo, "--exclude", "logs/")
    assert set(files_at(live_server, account.token, repo)) == {"a.txt", "b.bin", "sub/c.json"}
    owner.ok("push", str(source / "logs"), repo, "--path-in-repo", "logs")
    assert "logs/run.log" in files_at(live_server, account.token, repo)

    # Gone locally: b.bin and the log. --delete removes b.bin; the excluded log stays.
    (source / "b.bin").unlink()
    (source / "logs" / "run.log").unlink()
    (source / "d.txt").write_bytes(b"delta")
    before = history(live_server, account.token, repo)
    synced = owner.ok("push", str(source), repo, "--delete", "--exclude", "logs/")
    assert "1 added" in synced.stdout and "1 deleted" in synced.stdout
    assert set(files_at(live_server, account.token, repo)) == {
        "a.txt",
        "d.txt",
        "sub/c.json",
        "logs/run.log",
    }
    assert len(history(live_server, account.token, repo)) == len(before) + 1

    # Only what --include takes is pushed; a.txt changed too but is left as it was.
    (source / "a.txt").write_bytes(b"alpha 2")
    (source / "sub" / "c.json").write_bytes(b'{"x": 1}')
    old = files_at(live_server, account.token, repo)
    only = owner.ok("push", str(source), repo, "--include", "*.json")
    assert "1 changed" in only.stdout
    now = files_at(live_server, account.token, repo)
    assert now["a.txt"] == old["a.txt"] and now["sub/c.json"] != old["sub/c.json"]

    # A file the walk cannot read (here a broken link) is skipped, not taken as deleted.
    owner.ok("push", str(source), repo, "--path-in-repo", "kept")
    (source / "d.txt").rename(tmp_path / "d.txt")
    (source / "d.txt").symlink_to(tmp_path / "missing")
    skipping = owner.ok("push", str(source), repo, "--path-in-repo", "kept", "--delete")
    (source / "d.txt").unlink()
    (tmp_path / "d.txt").rename(source / "d.txt")
    assert "broken symlink" in skipping.stderr and "Nothing to push" in skipping.stdout
    assert "kept/d.txt" in files_at(live_server, account.token, repo)

    # --delete under --path-in-repo touches only that folder.
    (source / "logs" / "new.log").write_bytes(b"step 2")
    owner.ok("push", str(source / "logs"), repo, "--path-in-repo", "logs", "--delete")
    assert set(files_at(live_server, account.token, repo)) == {
        "a.txt",
        "d.txt",
        "sub/c.json",
        "logs/new.log",
        "kept/a.txt",
        "kept/d.txt",
        "kept/sub/c.json",
    }

    none = owner.run("push", str(source), repo, "--include", "*.nothing")
    assert_one_line_error(none, "nothing to push", "patterns")
    file_delete = owner.run("push", str(source / "d.txt"), repo, "--delete")
    assert file_delete.returncode == 2 and "--delete" in file_delete.stderr
