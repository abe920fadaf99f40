"""The aws CLI, unchanged, against the S3 port of a live server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.acceptance.live import LiveServer
from tests.acceptance.s3 import S3User, make_s3_user, new_bucket, s3_client

pytestmark = pytest.mark.acceptance


@pytest.fixture(scope="module")
def user(live_server: LiveServer) -> S3User:
    return make_s3_user(live_server)


def aws(server: LiveServer, user: S3User, *args: str, cwd: Path | None = None) -> str:
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": user.key_id,
        "AWS_SECRET_ACCESS_KEY": user.secret,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    # The CLI installed beside this interpreter (the test extra), never one from elsewhere.
    command = [str(Path(sys.executable).with_name("aws")), "--endpoint-url", server.s3_url, *args]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, cwd=cwd)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_s3_commands(live_server: LiveServer, user: S3User, tmp_path: Path) -> None:
    bucket = new_bucket(s3_client(live_server, user), user)
    source = tmp_path / "src"
    (source / "sub").mkdir(parents=True)
    files = {"a.txt": b"alpha", "sub/b.bin": os.urandom(300_000), "sub/c d+e.txt": b"spaces"}
    for name, data in files.items():
        (source / name).write_bytes(data)
    aws(live_server, user, "s3", "cp", str(source / "a.txt"), f"s3://{bucket}/one/a.txt")
    aws(live_server, user, "s3", "sync", str(source), f"s3://{bucket}/tree")
    listed = aws(live_server, user, "s3", "ls", "--recursive", f"s3://{bucket}/")
    for key in ("one/a.txt", "tree/a.txt", "tree/sub/b.bin", "tree/sub/c d+e.txt"):
        assert key in listed
    back = tmp_path / "back"
    aws(live_server, user, "s3", "sync", f"s3://{bucket}/tree", str(back))
    for name, data in files.items():
        assert (back / name).read_bytes() == data
    aws(live_server, user, "s3", "rm", "--recursive", f"s3://{bucket}/")
    assert aws(live_server, user, "s3", "ls", "--recursive", f"s3://{bucket}/").strip() == ""


def test_s3api_commands(live_server: LiveServer, user: S3User, tmp_path: Path) -> None:
    bucket = new_bucket(s3_client(live_server, user), user)
    body = tmp_path / "body"
    body.write_bytes(b"s3api body")
    aws(
        live_server,
        user,
        "s3api",
        "put-object",
        "--bucket",
        bucket,
        "--key",
        "k",
        "--body",
        str(body),
    )
    head = aws(live_server, user, "s3api", "head-object", "--bucket", bucket, "--key", "k")
    assert '"ContentLength": 10' in head
    out = tmp_path / "out"
    aws(live_server, user, "s3api", "get-object", "--bucket", bucket, "--key", "k", str(out))
    assert out.read_bytes() == b"s3api body"
    listed = aws(live_server, user, "s3api", "list-objects-v2", "--bucket", bucket)
    assert '"Key": "k"' in listed
