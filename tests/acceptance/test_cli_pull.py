"""``weighthouse pull`` of single files and folders, ``weighthouse cat``, and the one default
revision (``main``) of ``ls``, ``pull``, ``log`` and ``cat``: real CLI processes against a
live server."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.acceptance.api import unique
from tests.acceptance.live import LiveServer
from tests.acceptance.test_cli import Account, Cli, assert_one_line_error
from weighthouse.client import WeighthouseClient

pytestmark = pytest.mark.acceptance

V1 = {
    "config.json": b'{"layers": 2}',
    "weights/a.bin": os.urandom(300_000),
    "weights/b.bin": os.urandom(1000),
    "tokenizer/vocab.txt": b"a\nb\n",
}
MAIN_CONFIG = b'{"layers": 3}'


@pytest.fixture(scope="module")
def account(live_server: LiveServer) -> Account:
    name = unique("pull")
    with WeighthouseClient(live_server.url, live_server.admin_token) as admin:
        admin.create_user(name)
        secret = admin.create_token("pull-tests", scope="write", user=name).secret
    assert secret
    return Account(name, secret)


@pytest.fixture
def cli(tmp_path: Path, live_server: LiveServer, account: Account) -> Cli:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WEIGHTHOUSE_")}
    env.update(
        {
            "WEIGHTHOUSE_CONFIG_DIR": str(tmp_path / "config"),
            "WEIGHTHOUSE_URL": live_server.url,
            "WEIGHTHOUSE_TOKEN": account.token,
            "PYTHONUNBUFFERED": "1",
        }
    )
    work = tmp_path / "work"
    work.mkdir()
    return Cli(env, work)


@pytest.fixture
def repo(cli: Cli, account: Account, tmp_path: Path) -> str:
    """A repo whose tag v1.0 holds ``V1`` and whose main has moved on: a new config.json."""
    name = f"{account.name}/{unique('m')}"
    cli.ok("repo", "create", name)
    source = tmp_path / "source"
    for path, data in V1.items():
        (source / path).parent.mkdir(parents=True, exist_ok=True)
        (source / path).write_bytes(data)
    cli.ok("push", str(source), name, "--tag", "v1.0")
    (source / "config.json").write_bytes(MAIN_CONFIG)
    cli.ok("push", str(source), name, "-m", "after the release")
    return name


def files_under(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_pull_single_files_and_folders(cli: Cli, repo: str, tmp_path: Path) -> None:
    one = cli.ok("pull", repo, "config.json", "--to", str(tmp_path / "one"))
    assert "@main" in one.stdout and "1 downloaded" in one.stdout
    assert files_under(tmp_path / "one") == {"config.json": MAIN_CONFIG}

    cli.ok("pull", f"{repo}@v1.0", "config.json", "weights", "--to", str(tmp_path / "two"))
    assert files_under(tmp_path / "two") == {
        p: d for p, d in V1.items() if p == "config.json" or p.startswith("weights/")
    }

    # No --to: a file lands in the current folder under its own name, not in a folder.
    cli.ok("pull", repo, "tokenizer/vocab.txt")
    assert (cli.cwd / "tokenizer" / "vocab.txt").read_bytes() == V1["tokenizer/vocab.txt"]
    cli.ok("pull", repo, "config.json")
    assert (cli.cwd / "config.json").read_bytes() == MAIN_CONFIG

    patterns = cli.ok("pull", repo, "--include", "weights/", "--exclude", "*b.bin", "--to", "w")
    assert "1 downloaded" in patterns.stdout
    assert files_under(cli.cwd / "w") == {"weights/a.bin": V1["weights/a.bin"]}


def test_pull_of_a_missing_path_writes_nothing(cli: Cli, repo: str, tmp_path: Path) -> None:
    missing = cli.run("pull", repo, "config.json", "nope.txt", "--to", str(tmp_path / "x"))
    assert_one_line_error(missing, "entry_not_found", "'nope.txt'", f"{repo}@main")
    assert not (tmp_path / "x").exists()


def test_the_older_pull_repo_dest_form_still_works(cli: Cli, repo: str, tmp_path: Path) -> None:
    cli.ok("pull", f"{repo}@v1.0", "./copy")
    assert files_under(cli.cwd / "copy") == V1
    cli.ok("pull", f"{repo}@v1.0", str(tmp_path / "absolute"))
    assert files_under(tmp_path / "absolute") == V1


def test_main_is_the_default_revision_and_latest_the_highest_version(cli: Cli, repo: str) -> None:
    cli.ok("pull", repo)
    name = repo.split("/")[1]
    assert (cli.cwd / name / "config.json").read_bytes() == MAIN_CONFIG
    cli.ok("pull", f"{repo}@latest", "--to", "released")
    assert files_under(cli.cwd / "released") == V1

    assert cat(cli, repo, "config.json") == MAIN_CONFIG
    assert cat(cli, f"{repo}@latest", "config.json") == V1["config.json"]
    assert cat(cli, f"{repo}@main", "config.json") == MAIN_CONFIG

    main_log = cli.ok("log", repo).stdout.splitlines()
    assert main_log[0].endswith("after the release")
    assert cli.ok("log", f"{repo}@latest").stdout.splitlines() == main_log[1:]

    def sha_of(listing: str) -> str:
        return next(line.split()[1] for line in listing.splitlines() if "config.json" in line)

    assert sha_of(cli.ok("ls", repo).stdout) != sha_of(cli.ok("ls", f"{repo}@latest").stdout)
    assert sha_of(cli.ok("ls", repo).stdout) == sha_of(cli.ok("ls", f"{repo}@main").stdout)


def cat(cli: Cli, *args: str) -> bytes:
    result = subprocess.run(
        cli.command("cat", *args), env=cli.env, cwd=cli.cwd, capture_output=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_cat_streams_a_file_byte_for_byte(cli: Cli, repo: str) -> None:
    assert cat(cli, f"{repo}@v1.0", "weights/a.bin") == V1["weights/a.bin"]
    assert_one_line_error(cli.run("cat", repo, "nope.bin"), "entry_not_found")
    assert_one_line_error(cli.run("cat", f"{repo}@v9", "config.json"), "revision_not_found")


def test_pull_into_folders_that_do_not_exist_or_are_files(
    cli: Cli, repo: str, tmp_path: Path
) -> None:
    cli.ok("pull", repo, "config.json", "--to", "new/dir/")
    assert files_under(cli.cwd / "new") == {"dir/config.json": MAIN_CONFIG}
    (cli.cwd / "taken").write_bytes(b"mine")
    as_dest = cli.run("pull", repo, "config.json", "--to", "taken")
    assert as_dest.returncode == 2 and "is a file" in as_dest.stderr
    # A local file where the repo has a folder (and a folder where it has a file) stops the
    # pull before any byte comes, and what is there stays.
    (cli.cwd / "here").mkdir()
    (cli.cwd / "here" / "weights").write_bytes(b"mine")
    (cli.cwd / "here" / "config.json").mkdir()
    for path, needle in (("weights", "weights is a file"), ("config.json", "is a folder")):
        refused = cli.run("pull", f"{repo}@v1.0", path, "--to", "here")
        assert_one_line_error(refused, needle)
    assert (cli.cwd / "here" / "weights").read_bytes() == b"mine"
    assert not (cli.cwd / "here" / ".weighthouse-partial").exists()
