"""rclone (Debian's package), unchanged, against the S3 port of a live server: ``copy``
(up, down and server-side), ``sync``, ``check``, ``lsf`` and ``delete``.

rclone checks every transfer against the ETag (the MD5 of single-part objects) and keeps
modification times in ``X-Amz-Meta-Mtime``, so a server that got either wrong fails here."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.acceptance.debian import RCLONE, debian_binary
from tests.acceptance.live import LiveServer
from tests.acceptance.s3 import S3User, make_s3_user, new_bucket, s3_client

pytestmark = pytest.mark.acceptance


@pytest.fixture(scope="module")
def rclone_binary() -> Path:
    return debian_binary(RCLONE, "rclone")


@pytest.fixture(scope="module")
def user(live_server: LiveServer) -> S3User:
    return make_s3_user(live_server)


def rclone(
    binary: Path, server: LiveServer, user: S3User, home: Path, *args: str, secret: str = ""
) -> subprocess.CompletedProcess[str]:
    """Run rclone with one remote, ``wh:``, configured from the environment only."""
    remote = {
        "TYPE": "s3",
        "PROVIDER": "Other",
        "ENDPOINT": server.s3_url,
        "REGION": "us-east-1",
        "ACCESS_KEY_ID": user.key_id,
        "SECRET_ACCESS_KEY": secret or user.secret,
    }
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "RCLONE_CONFIG": str(home / "rclone.conf"),  # never the user's own
        **{f"RCLONE_CONFIG_WH_{name}": value for name, value in remote.items()},
    }
    command = [str(binary), "--retries", "1", "--low-level-retries", "1", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)


def ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def make_tree(root: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)


def read_tree(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes() for path in root.rglob("*") if path.is_file()
    }


def test_copy_lsf_check_sync_and_delete(
    rclone_binary: Path, live_server: LiveServer, user: S3User, tmp_path: Path
) -> None:
    s3: Any = s3_client(live_server, user)
    bucket = new_bucket(s3, user)
    local = tmp_path / "local"
    files = {
        "a.txt": b"alpha",
        "sub/b.bin": os.urandom(300_000),
        "sub/c d+é.txt": b"spaces, a plus and an accent",
        "empty": b"",
    }
    make_tree(local, files)
    os.utime(local / "a.txt", (1_700_000_000, 1_700_000_000))

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return rclone(rclone_binary, live_server, user, tmp_path, *args)

    ok(run("copy", str(local), f"wh:{bucket}/tree"))
    for name, data in files.items():
        assert s3.get_object(Bucket=bucket, Key=f"tree/{name}")["Body"].read() == data
    head = s3.head_object(Bucket=bucket, Key="tree/a.txt")
    assert float(head["Metadata"]["mtime"]) == 1_700_000_000

    listed = ok(run("lsf", "-R", f"wh:{bucket}/tree")).splitlines()
    assert sorted(listed) == sorted([*files, "sub/"])
    ok(run("check", str(local), f"wh:{bucket}/tree"))

    # A changed object is noticed: check compares the MD5 the server reports.
    s3.put_object(Bucket=bucket, Key="tree/sub/b.bin", Body=os.urandom(300_000))
    differs = run("check", str(local), f"wh:{bucket}/tree")
    assert differs.returncode != 0
    assert "sub/b.bin" in differs.stderr

    (local / "a.txt").unlink()
    (local / "new.txt").write_bytes(b"added")
    ok(run("sync", str(local), f"wh:{bucket}/tree"))
    ok(run("check", str(local), f"wh:{bucket}/tree"))
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    assert keys == {f"tree/{name}" for name in read_tree(local)}

    # Server-side copy (CopyObject), then down to disk again.
    ok(run("copy", f"wh:{bucket}/tree", f"wh:{bucket}/copy"))
    back = tmp_path / "back"
    ok(run("copy", f"wh:{bucket}/copy", str(back)))
    assert read_tree(back) == read_tree(local)

    ok(run("delete", f"wh:{bucket}/tree"))
    assert ok(run("lsf", "-R", f"wh:{bucket}/tree")) == ""
    assert sorted(ok(run("lsf", "-R", f"wh:{bucket}/copy")).splitlines()) == sorted(
        [*read_tree(local), "sub/"]
    )


def test_a_wrong_secret_or_another_users_bucket_is_refused(
    rclone_binary: Path, live_server: LiveServer, user: S3User, tmp_path: Path
) -> None:
    bucket = new_bucket(s3_client(live_server, user), user)
    source = tmp_path / "f.txt"
    source.write_bytes(b"x")
    forged = rclone(
        rclone_binary,
        live_server,
        user,
        tmp_path,
        "copy",
        str(source),
        f"wh:{bucket}",
        secret="not-the-secret",
    )
    assert forged.returncode != 0
    # rclone's first request is a HEAD, whose error has no body to name the code.
    assert "status code: 403" in forged.stderr
    stranger = make_s3_user(live_server)
    refused = rclone(
        rclone_binary, live_server, stranger, tmp_path, "copy", str(source), f"wh:{bucket}"
    )
    assert refused.returncode != 0
    assert s3_client(live_server, user).list_objects_v2(Bucket=bucket)["KeyCount"] == 0
