"""Identity and access from the command line: real ``python -m weighthouse`` processes against
a live server: tokens, sign-up and sessions, disabled users, organisations, collaborators, the
audit log, and the session key ring of a stopped server's data folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.acceptance.api import unique
from tests.acceptance.live import LiveServer
from weighthouse.client import ApiError, WeighthouseClient

pytestmark = pytest.mark.acceptance

PASSWORD = "correct horse battery staple"


@dataclass
class Cli:
    """Runs the CLI as a user would, with its own config folder and no inherited login."""

    env: dict[str, str]
    cwd: Path
    config: Path

    def run(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "weighthouse", *args],
            env=self.env,
            cwd=self.cwd,
            input=stdin if stdin is not None else "",
            capture_output=True,
            text=True,
            timeout=60,
        )

    def ok(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        result = self.run(*args, stdin=stdin)
        assert result.returncode == 0, f"{args}: {result.stderr}"
        return result

    def stored_token(self) -> str | None:
        path = self.config / "config.json"
        if not path.exists():
            return None
        token: str | None = json.loads(path.read_text())["token"]
        return token


def assert_one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode == 1, result
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, server_workers: int) -> Iterator[LiveServer]:
    """A server of this module's own: every sign-in here comes from 127.0.0.1, so the
    per-client limit is raised rather than shared with the other modules' servers."""
    live = LiveServer(
        data_dir=tmp_path_factory.mktemp("identity") / "data",
        extra_env={
            "WEIGHTHOUSE_AUTH__SIGNIN_PER_CLIENT": "1000",
            "WEIGHTHOUSE_AUTH__SIGNUP_PER_CLIENT": "1000",
            "WEIGHTHOUSE_AUTH__ARGON2_MEMORY_KIB": "8192",
            "WEIGHTHOUSE_AUTH__ARGON2_TIME_COST": "1",
        },
        workers=server_workers,
    ).start()
    yield live
    live.stop()


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WEIGHTHOUSE_")}
    env["WEIGHTHOUSE_CONFIG_DIR"] = str(tmp_path / "config")
    env["PYTHONUNBUFFERED"] = "1"
    work = tmp_path / "work"
    work.mkdir()
    return Cli(env, work, tmp_path / "config")


@dataclass
class Account:
    name: str
    token: str


def new_account(
    server: LiveServer, *, scope: str = "write", password: str | None = None
) -> Account:
    name = unique("id")
    with WeighthouseClient(server.url, server.admin_token) as admin:
        admin.create_user(name, password=password)
        secret = admin.create_token("setup", scope=scope, user=name).secret
    assert secret
    return Account(name, secret)


def as_admin(cli: Cli, server: LiveServer) -> Cli:
    cli.ok("login", "--url", server.url, "--token", server.admin_token)
    return cli


def test_token_create_list_revoke(cli: Cli, server: LiveServer) -> None:
    me = new_account(server)
    cli.ok("login", "--url", server.url, "--token", me.token)

    created = cli.ok(
        "token",
        "create",
        "--name",
        "ci",
        "--expires-in-days",
        "3",
        "--restrict-to",
        me.name,
        "--restrict-to",
        f"{me.name}/bert",
    )
    secret = created.stdout.strip()
    assert created.stdout.count("\n") == 1 and secret.startswith("wh_")
    token_id = created.stderr.split("Created token ", 1)[1].split()[0]
    assert me.name in cli.ok("whoami", "--token", secret).stdout

    listed = cli.ok("token", "list").stdout
    assert secret not in listed
    (line,) = [x for x in listed.splitlines() if x.startswith(f"{token_id}\t")]
    assert line.startswith(f"{token_id}\tci\tread\tactive\texpires ")
    assert line.endswith(f"\tonly {me.name},{me.name}/bert")
    assert "\tsetup\twrite\tactive\t" in listed  # the token in use is listed too

    cli.ok("token", "revoke", token_id)
    assert_one_line_error(cli.run("whoami", "--token", secret), "unauthenticated", "revoked")
    assert f"{token_id}\tci\tread\trevoked\t" in cli.ok("token", "list").stdout
    assert_one_line_error(cli.run("token", "revoke", "nosuchtoken"), "token_not_found")
    # Not broader than the credential that mints it, and restrictions are checked locally.
    assert_one_line_error(
        cli.run("token", "create", "--name", "x", "--scope", "admin"), "forbidden"
    )
    bad = cli.run("token", "create", "--name", "x", "--restrict-to", "a/b/c")
    assert bad.returncode == 2 and "--restrict-to" in bad.stderr


def test_access_key_create_list_revoke(cli: Cli, server: LiveServer) -> None:
    me = new_account(server)
    cli.ok("login", "--url", server.url, "--token", me.token)

    created = cli.ok(
        "access-key", "create", "--name", "train", "--scope", "write", "--bucket", f"{me.name}/d"
    )
    secret = created.stdout.strip()
    assert created.stdout.count("\n") == 1 and len(secret) == 40
    key_id = created.stderr.split("Access key id: ", 1)[1].split()[0]
    assert len(key_id) == 20 and key_id.startswith("WH") and key_id.isupper()

    listed = cli.ok("access-key", "list").stdout
    assert secret not in listed
    (line,) = [x for x in listed.splitlines() if x.startswith(f"{key_id}\t")]
    assert line == f"{key_id}\ttrain\twrite\tactive\texpires -\tused -\tonly {me.name}/d"

    cli.ok("access-key", "revoke", key_id)
    assert f"{key_id}\ttrain\twrite\trevoked\t" in cli.ok("access-key", "list").stdout
    assert_one_line_error(cli.run("access-key", "revoke", "WHNOSUCHKEY"), "access_key_not_found")
    # Someone else's key does not exist for them; an admin sees and revokes it.
    other = new_account(server)
    cli.ok("login", "--url", server.url, "--token", other.token)
    assert_one_line_error(cli.run("access-key", "revoke", key_id), "access_key_not_found")
    as_admin(cli, server)
    assert key_id in cli.ok("access-key", "list", "--user", me.name).stdout
    bad = cli.run("access-key", "create", "--name", "x", "--scope", "admin")
    assert bad.returncode == 2 and "--scope" in bad.stderr


def test_signup_login_with_a_password_whoami_logout(cli: Cli, server: LiveServer) -> None:
    name = unique("su")
    signed_up = cli.ok(
        "signup", "--url", server.url, "--user", name, "--password-stdin", stdin=PASSWORD + "\n"
    )
    assert f"Created the account {name}" in signed_up.stdout
    assert_one_line_error(
        cli.run("signup", "--url", server.url, "--user", name, "--password-stdin", stdin="x" * 9),
        "user_exists",
    )

    wrong = cli.run(
        "login", "--url", server.url, "--user", name, "--password-stdin", stdin="nope!!!!"
    )
    assert_one_line_error(wrong, "unauthenticated")
    assert cli.stored_token() is None

    login = ["login", "--url", server.url, "--user", name, "--password-stdin"]
    assert f"as {name}" in cli.ok(*login, stdin=PASSWORD + "\n").stdout
    session = cli.stored_token()
    assert session is not None and session.startswith("whs.")
    assert (cli.config / "config.json").stat().st_mode & 0o777 == 0o600
    assert cli.ok("whoami").stdout.startswith(f"{name}, scope write")

    # A session may change the password; the old one stops working.
    new_password = PASSWORD + "!"
    cli.ok("password", "--password-stdin", stdin=f"{PASSWORD}\n{new_password}\n")
    wrong_current = cli.run("password", "--password-stdin", stdin=f"{PASSWORD}\n{new_password}\n")
    assert_one_line_error(wrong_current, "unauthenticated", "current password")

    logout = cli.ok("logout")
    assert logout.stdout.strip() == "Logged out." and "Ended the session" in logout.stderr
    assert cli.stored_token() is None
    ended = cli.run("whoami", "--url", server.url, "--token", session)
    assert_one_line_error(ended, "unauthenticated", "session has ended")

    assert_one_line_error(cli.run(*login, stdin=PASSWORD + "\n"), "unauthenticated")
    cli.ok(*login, stdin=new_password + "\n")
    assert cli.ok("whoami").stdout.startswith(name)
    # Usage errors exit 2: an empty password, or --user with --token.
    assert cli.run(*login, stdin="\n").returncode == 2
    assert cli.run(*login, "--token", "wh_x_y", stdin=PASSWORD).returncode == 2


def test_organisations_and_their_members(cli: Cli, server: LiveServer) -> None:
    owner, other = new_account(server), new_account(server)
    cli.ok("login", "--url", server.url, "--token", owner.token)
    org = unique("org")

    assert org in cli.ok("org", "create", org, "--description", "the lab").stdout
    assert f"{org}\t" in cli.ok("org", "list").stdout
    assert any(
        line.startswith(f"{org}\t") and line.endswith("\tthe lab")
        for line in cli.ok("org", "list", "--mine").stdout.splitlines()
    )
    cli.ok("org", "add", org, other.name, "--role", "write")
    members = cli.ok("org", "members", org).stdout
    assert f"{owner.name}\tadmin\t" in members and f"{other.name}\twrite\t" in members

    cli.ok("org", "add", org, other.name, "--role", "read")  # changes the role
    assert f"{other.name}\tread\t" in cli.ok("org", "members", org).stdout
    assert_one_line_error(cli.run("org", "remove", org, owner.name), "conflict", "no admin")
    assert_one_line_error(
        cli.run("org", "add", org, unique("ghost"), "--role", "read"), "not_found"
    )
    assert cli.run("org", "add", org, other.name).returncode == 2  # --role is required

    cli.ok("org", "remove", org, other.name)
    assert other.name not in cli.ok("org", "members", org).stdout
    outsider = cli.run("org", "members", org, "--token", other.token)
    assert_one_line_error(outsider, "org_not_found")


def test_repo_collaborators_grant_and_revoke(cli: Cli, server: LiveServer) -> None:
    owner, other = new_account(server), new_account(server)
    cli.ok("login", "--url", server.url, "--token", owner.token)
    repo = f"{owner.name}/{unique('secret')}"
    cli.ok("repo", "create", repo, "--private")

    with WeighthouseClient(server.url, other.token) as theirs:
        with pytest.raises(ApiError) as hidden:
            theirs.get_repo(repo)
        assert hidden.value.code == "repo_not_found"

        cli.ok("repo", "grant", repo, other.name, "--role", "read")
        assert theirs.get_repo(repo).private
        collaborators = cli.ok("repo", "collaborators", repo).stdout
        assert collaborators.startswith(f"{other.name}\tread\t")

        cli.ok("repo", "revoke", repo, other.name)
        with pytest.raises(ApiError):
            theirs.get_repo(repo)
    assert cli.ok("repo", "collaborators", repo).stdout == ""
    assert_one_line_error(cli.run("repo", "revoke", repo, other.name), "entry_not_found")
    wrong_type = cli.run("repo", "grant", repo, other.name, "--role", "read", "--type", "dataset")
    assert_one_line_error(wrong_type, "repo_not_found")


def test_admin_disables_and_enables_a_user(cli: Cli, server: LiveServer) -> None:
    user = new_account(server)
    as_admin(cli, server)
    assert user.name in cli.ok("whoami", "--token", user.token).stdout

    cli.ok("admin", "user", "disable", user.name)
    assert_one_line_error(cli.run("whoami", "--token", user.token), "unauthenticated", "disabled")
    listed = cli.ok("admin", "user", "list").stdout.splitlines()
    assert any(x.startswith(f"{user.name}\tuser\t") and x.endswith("\tdisabled") for x in listed)

    cli.ok("admin", "user", "enable", user.name)
    assert user.name in cli.ok("whoami", "--token", user.token).stdout
    assert_one_line_error(cli.run("admin", "user", "disable", "admin"), "invalid_input")
    assert_one_line_error(cli.run("admin", "user", "disable", user.name, "--token", user.token))

    # A user made with a password can sign in with it.
    name = unique("pw")
    cli.ok("admin", "user", "create", name, "--password-stdin", stdin=PASSWORD + "\n")
    with WeighthouseClient(server.url) as anonymous:
        assert anonymous.sign_in(name, PASSWORD).user.name == name


def test_audit_shows_the_newest_events_first(cli: Cli, server: LiveServer) -> None:
    user = new_account(server)
    with WeighthouseClient(server.url, user.token) as theirs:
        theirs.create_token("first", scope="read")
        theirs.create_token("second", scope="read")
    as_admin(cli, server)

    lines = cli.ok("audit", "--actor", user.name, "--action", "token.create", "-n", "5")
    header, *rows = lines.stdout.splitlines()
    assert header.split()[:4] == ["ID", "TIME", "(UTC)", "ACTION"]
    assert header.split()[4:] == ["ACTOR", "TARGET", "CLIENT", "RESULT", "DETAIL"]
    assert len(rows) == 2 and all("token.create" in r and user.name in r for r in rows)
    ids = [int(r.split()[0]) for r in rows]
    assert ids == sorted(ids, reverse=True)
    assert "scope=read" in rows[0] and " ok " in rows[0]

    assert "user.create" in cli.ok("audit", "-n", "50").stdout
    denied = cli.run("audit", "--token", user.token)
    assert_one_line_error(denied, "forbidden")
    assert cli.run("audit", "-n", "0").returncode == 2


def test_session_keys_rotate_and_retire_on_a_stopped_server(
    cli: Cli, fresh_server: LiveServer, tmp_path: Path
) -> None:
    data = ["--data-dir", str(fresh_server.data_dir)]
    empty = cli.run("keys", "list", "--data-dir", str(tmp_path / "nowhere"))
    assert_one_line_error(empty, "no catalog at")

    with WeighthouseClient(fresh_server.url) as anonymous:
        anonymous.sign_up("keyholder", PASSWORD)
        before = anonymous.sign_in("keyholder", PASSWORD).token
    fresh_server.stop()

    listed = cli.ok("keys", "list", *data).stdout.splitlines()
    assert listed[0].split() == ["KID", "CREATED", "(UTC)", "USE"] and len(listed) == 2
    old_kid = listed[1].split()[0]
    assert listed[1].endswith("signing") and old_kid in before
    key_file = fresh_server.data_dir / "secrets" / "session-keys.json"
    secret = json.loads(key_file.read_text())["keys"][0]["secret"]
    assert secret not in "".join(listed)
    assert_one_line_error(cli.run("keys", "retire", old_kid, *data), "only key")

    new_kid = cli.ok("keys", "rotate", *data).stdout.strip()
    listed = cli.ok("keys", "list", *data).stdout.splitlines()
    assert [line.split()[0] for line in listed[1:]] == [old_kid, new_kid]
    assert listed[1].endswith("verifying") and listed[2].endswith("signing")
    as_json = json.loads(cli.ok("keys", "list", "--json", *data).stdout)
    assert [(k["kid"], k["signing"]) for k in as_json] == [(old_kid, False), (new_kid, True)]
    assert secret not in json.dumps(as_json)

    fresh_server.start()
    with WeighthouseClient(fresh_server.url, before) as old_session:
        assert old_session.whoami().user is not None  # signed before the rotation, still valid
    with WeighthouseClient(fresh_server.url) as anonymous:
        after = anonymous.sign_in("keyholder", PASSWORD).token
    assert f".{new_kid}." in after

    cli.ok("keys", "retire", old_kid, *data)  # a running server notices on its next request
    with WeighthouseClient(fresh_server.url, before) as old_session:
        with pytest.raises(ApiError) as signed_out:
            old_session.whoami()
        assert signed_out.value.code == "unauthenticated"
    with WeighthouseClient(fresh_server.url, after) as new_session:
        assert new_session.whoami().user is not None
    assert_one_line_error(cli.run("keys", "retire", "feedbeef", *data), "no key")
