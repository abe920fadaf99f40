"""The command line end to end: real ``python -m weighthouse`` processes against a live
server, with the login state in a temporary config folder."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.acceptance.api import unique
from tests.acceptance.live import LiveServer, free_port
from weighthouse.client import WeighthouseClient

pytestmark = pytest.mark.acceptance

MiB = 2**20


@dataclass
class Cli:
    """Runs the CLI as a user would, with its own config folder and no inherited login."""

    env: dict[str, str]
    cwd: Path

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "weighthouse", *args]

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.command(*args),
            env=self.env,
            cwd=self.cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def ok(self, *args: str) -> subprocess.CompletedProcess[str]:
        result = self.run(*args)
        assert result.returncode == 0, f"{args}: {result.stderr}"
        return result


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WEIGHTHOUSE_")}
    env["WEIGHTHOUSE_CONFIG_DIR"] = str(tmp_path / "config")
    env["PYTHONUNBUFFERED"] = "1"
    work = tmp_path / "work"
    work.mkdir()
    return Cli(env, work)


@dataclass
class Account:
    name: str
    token: str


@pytest.fixture(scope="module")
def account(live_server: LiveServer) -> Account:
    name = unique("cli")
    with WeighthouseClient(live_server.url, live_server.admin_token) as admin:
        admin.create_user(name)
        secret = admin.create_token("cli-tests", scope="write", user=name).secret
    assert secret
    return Account(name, secret)


@pytest.fixture
def logged_in(cli: Cli, live_server: LiveServer, account: Account) -> Cli:
    cli.ok("login", "--url", live_server.url, "--token", account.token)
    return cli


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(MiB):
            digest.update(chunk)
    return digest.hexdigest()


def write_random(path: Path, size: int) -> None:
    """Real random bytes in 4 MiB pieces: no sparse file, no big buffer."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        for start in range(0, size, 4 * MiB):
            handle.write(os.urandom(min(4 * MiB, size - start)))


def assert_one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode == 1, result
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for needle in needles:
        assert needle in lines[0]


def test_login_whoami_logout(
    cli: Cli, live_server: LiveServer, account: Account, tmp_path: Path
) -> None:
    out = cli.ok("login", "--url", live_server.url, "--token", account.token).stdout
    assert f"as {account.name}" in out
    config = tmp_path / "config" / "config.json"
    assert config.stat().st_mode & 0o777 == 0o600
    assert account.name in cli.ok("whoami").stdout
    assert "Logged out" in cli.ok("logout").stdout
    assert_one_line_error(cli.run("whoami"), "no server")
    assert "anonymous" in cli.ok("whoami", "--url", live_server.url).stdout
    env_login = Cli({**cli.env, "WEIGHTHOUSE_URL": live_server.url}, cli.cwd)
    assert account.name in env_login.ok("whoami", "--token", account.token).stdout


def test_login_with_a_bad_token_stores_nothing(
    cli: Cli, live_server: LiveServer, tmp_path: Path
) -> None:
    result = cli.run("login", "--url", live_server.url, "--token", "wh_bad_token")
    assert_one_line_error(result, "unauthenticated")
    assert not (tmp_path / "config" / "config.json").exists()


def test_repo_create_list_delete(logged_in: Cli, account: Account) -> None:
    name = unique("r")
    out = logged_in.ok("repo", "create", name, "--description", "tiny").stdout
    assert f"{account.name}/{name}" in out and "private" in out  # the default
    dataset = f"{account.name}/{unique('d')}"
    public = logged_in.ok("repo", "create", dataset, "--type", "dataset", "--public").stdout
    assert f"Created public dataset {dataset}." in public
    listed = logged_in.ok("repo", "list", "--namespace", account.name).stdout
    assert f"model\t{account.name}/{name}\tprivate\ttiny" in listed.splitlines()
    assert f"dataset\t{dataset}\tpublic" in listed.splitlines()
    only = logged_in.ok("repo", "list", "--type", "dataset", "--search", dataset.split("/")[1])
    scripted = logged_in.ok("repo", "list", "--namespace", account.name, "--json").stdout
    assert {(r["type"], r["id"], r["private"]) for r in json.loads(scripted)} == {
        ("model", f"{account.name}/{name}", True),
        ("dataset", dataset, False),
    }
    assert only.stdout.splitlines() == [f"dataset\t{dataset}\tpublic"]
    logged_in.ok("repo", "delete", f"{account.name}/{name}", "--yes")
    assert f"{account.name}/{name}\t" not in logged_in.ok("repo", "list").stdout
    again = logged_in.run("repo", "delete", f"{account.name}/{name}", "--yes")
    assert_one_line_error(again, "repo_not_found")


def test_repo_move_keeps_the_files(logged_in: Cli, account: Account, tmp_path: Path) -> None:
    repo, moved = f"{account.name}/{unique('m')}", f"{account.name}/{unique('m')}"
    logged_in.ok("repo", "create", repo)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_text("a")
    logged_in.ok("push", str(tmp_path / "src"), repo)
    taken = f"{account.name}/{unique('t')}"
    logged_in.ok("repo", "create", taken)
    assert_one_line_error(logged_in.run("repo", "move", repo, taken), "repo_exists")
    assert f"to {moved}." in logged_in.ok("repo", "move", repo, moved).stdout
    assert_one_line_error(logged_in.run("ls", repo), "repo_not_found")
    assert logged_in.ok("cat", moved, "a.txt").stdout == "a"
    assert logged_in.run("repo", "move", moved, "a/b/c").returncode != 0


def test_push_a_folder_as_one_commit_then_pull_the_tag(
    logged_in: Cli, account: Account, tmp_path: Path
) -> None:
    repo = f"{account.name}/{unique('m')}"
    logged_in.ok("repo", "create", repo)
    source = tmp_path / "model"
    files = {
        "config.json": b'{"layers": 2}',
        "README.md": b"# tiny\n",
        "tokenizer/vocab.txt": b"a\nb\nc\n",
    }
    for path, data in files.items():
        (source / path).parent.mkdir(parents=True, exist_ok=True)
        (source / path).write_bytes(data)
    write_random(source / "weights" / "model.safetensors", 20 * MiB)
    (source / ".git").mkdir()
    (source / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    before = logged_in.ok("log", repo).stdout.splitlines()

    pushed = logged_in.ok(
        "push", str(source), repo, "--tag", "v1.0", "-m", "first weights", "--progress"
    )
    assert "skipping" in pushed.stderr and ".git" in pushed.stderr
    assert "uploading" in pushed.stderr  # the forced progress bar
    assert "4 added" in pushed.stdout and "Tagged" in pushed.stdout

    after = logged_in.ok("log", repo).stdout.splitlines()
    assert len(after) == len(before) + 1 and after[1:] == before
    assert after[0].endswith("first weights")
    assert len(logged_in.ok("log", repo, "-n", "1").stdout.splitlines()) == 1

    listing = logged_in.ok("ls", f"{repo}@v1.0", "-r").stdout
    expected = sorted([*files, "weights/model.safetensors"])
    assert (
        sorted(line.split()[-1] for line in listing.splitlines() if not line.endswith("/"))
        == expected
    )
    top = logged_in.ok("ls", f"{repo}@v1.0").stdout.splitlines()
    assert [line.split()[-1] for line in top] == [
        "README.md",
        "config.json",
        "tokenizer/",
        "weights/",
    ]

    dest = tmp_path / "pulled"
    out = logged_in.ok("pull", f"{repo}@v1.0", str(dest)).stdout
    assert "4 downloaded" in out
    for path in expected:
        assert sha256_of(dest / path) == sha256_of(source / path), path
    assert not (dest / ".git").exists()
    assert not (dest / ".weighthouse-partial").exists()
    assert "4 already up to date" in logged_in.ok("pull", f"{repo}@v1.0", str(dest)).stdout

    logged_in.ok("tag", repo, "v1.1")
    assert "Deleted tag v1.1." in logged_in.ok("tag", repo, "v1.1", "--delete").stdout
    assert_one_line_error(logged_in.run("ls", f"{repo}@v1.1"), "revision_not_found")
    assert_one_line_error(logged_in.run("tag", repo, "v1.1", "-d"), "revision_not_found")
    assert logged_in.run("tag", f"{repo}@main", "v1.0", "-d").returncode == 2
    default_dest = logged_in.ok("pull", repo)
    assert "@main" in default_dest.stdout
    name = repo.split("/")[1]
    assert sha256_of(logged_in.cwd / name / "config.json") == sha256_of(source / "config.json")


def test_error_messages(
    cli: Cli, logged_in: Cli, live_server: LiveServer, account: Account
) -> None:
    missing = logged_in.run("pull", f"{account.name}/{unique('nope')}")
    assert_one_line_error(missing, "error: repo_not_found:")
    assert_one_line_error(logged_in.run("log", f"{account.name}/nope@v9"), "repo_not_found")

    bad = logged_in.run("repo", "create", "bad name!")
    assert bad.returncode == 2 and "not a valid name" in bad.stderr
    assert "Traceback" not in bad.stderr
    too_deep = logged_in.run("pull", "a/b/c")
    assert too_deep.returncode == 2 and "namespace/name" in too_deep.stderr

    anonymous = Cli({**cli.env, "WEIGHTHOUSE_CONFIG_DIR": str(cli.cwd / "no-login")}, cli.cwd)
    push = anonymous.run("push", str(cli.cwd), f"{account.name}/x", "--url", live_server.url)
    assert_one_line_error(push, "unauthenticated")

    down = logged_in.run("repo", "list", "--url", f"http://127.0.0.1:{free_port()}")
    assert_one_line_error(down, "cannot reach")


def test_admin_users_and_tokens(cli: Cli, live_server: LiveServer) -> None:
    cli.ok("login", "--url", live_server.url, "--token", live_server.admin_token)
    name = unique("adm")
    cli.ok("admin", "user", "create", name)
    assert any(
        line.startswith(f"{name}\tuser\t")
        for line in cli.ok("admin", "user", "list").stdout.splitlines()
    )
    assert_one_line_error(cli.run("admin", "user", "create", name), "user_exists")

    created = cli.ok(
        "admin",
        "token",
        "create",
        "--name",
        "ci",
        "--scope",
        "write",
        "--user",
        name,
        "--expires-in-days",
        "7",
    )
    secret = created.stdout.strip()
    assert len(created.stdout.splitlines()) == 1 and secret.startswith("wh_")
    token_id = created.stderr.split("Created token ", 1)[1].split()[0]
    theirs = Cli(dict(cli.env), cli.cwd)
    assert name in theirs.ok("whoami", "--token", secret).stdout
    listed = theirs.ok("admin", "token", "list", "--token", secret).stdout
    assert f"{token_id}\tci\twrite\tactive" in listed
    assert secret not in listed

    cli.ok("admin", "token", "revoke", token_id)
    assert_one_line_error(theirs.run("whoami", "--token", secret), "unauthenticated")


def test_pull_resumes_an_interrupted_download(
    logged_in: Cli, account: Account, tmp_path: Path
) -> None:
    repo = f"{account.name}/{unique('big')}"
    logged_in.ok("repo", "create", repo)
    source = tmp_path / "big"
    write_random(source / "huge.bin", 200 * MiB)
    logged_in.ok("push", str(source), repo)
    dest = tmp_path / "pulled"
    part = dest / ".weighthouse-partial" / "huge.bin.part"

    process = subprocess.Popen(
        logged_in.command("pull", repo, str(dest)),
        env=logged_in.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    killed_at = 0
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            if part.exists() and part.stat().st_size >= 24 * MiB:
                process.send_signal(signal.SIGKILL)
                break
            time.sleep(0.002)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    assert process.returncode == -signal.SIGKILL, "the pull ended before it could be killed"
    killed_at = part.stat().st_size
    assert 0 < killed_at < 200 * MiB
    assert not (dest / "huge.bin").exists()

    resumed = logged_in.ok("pull", repo, str(dest))
    # The second run asked only for the rest: it says from where, and that is at least as
    # far as the first run got before the kill.
    offsets = [
        int(line.rsplit(" ", 1)[1])
        for line in resumed.stderr.splitlines()
        if line.startswith("resuming huge.bin from byte ")
    ]
    assert len(offsets) == 1 and offsets[0] >= killed_at
    assert sha256_of(dest / "huge.bin") == sha256_of(source / "huge.bin")
    assert not part.exists()
