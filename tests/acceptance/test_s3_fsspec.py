"""s3fs (fsspec's S3 file system, on aiobotocore), unchanged, against the S3 port of a live
server: open for writing and reading, put, glob, find, ls, info and rm, in a client
environment of its own (see ``client_envs``)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.acceptance.client_envs import S3FS
from tests.acceptance.live import LiveServer
from tests.acceptance.s3 import S3User, make_s3_user, new_bucket, s3_client

pytestmark = pytest.mark.acceptance

SCRIPT = """
import json, os, sys
import s3fs

fs = s3fs.S3FileSystem(
    key=os.environ["KEY"], secret=os.environ["SECRET"],
    client_kwargs={"endpoint_url": os.environ["ENDPOINT"], "region_name": "us-east-1"},
)
root = os.environ["BUCKET"] + "/data"
out = {"version": s3fs.__version__}
if sys.argv[1] == "write":
    with fs.open(root + "/a.txt", "wb") as f:
        f.write(b"alpha")
    with fs.open(root + "/sub/b.bin", "wb") as f:
        f.write(open("payload.bin", "rb").read())
    fs.pipe(root + "/sub/deeper/c.txt", b"gamma")
    fs.put("payload.bin", root + "/put.bin")
    with fs.open(root + "/sub/b.bin", "rb") as f:
        f.seek(100)
        out["range"] = f.read(10).hex()
    out["read"] = fs.cat(root + "/a.txt").decode()
    out["glob"] = sorted(fs.glob(root + "/*.txt"))
    out["glob_deep"] = sorted(fs.glob(root + "/**/*.txt"))
    out["find"] = sorted(fs.find(root))
    out["ls"] = sorted(fs.ls(root, detail=False))
    out["size"] = fs.info(root + "/sub/b.bin")["size"]
    out["isdir"] = fs.isdir(root + "/sub")
    out["missing"] = fs.exists(root + "/nothing")
    fs.rm(root + "/sub", recursive=True)
    fs.invalidate_cache()
    out["after_rm"] = sorted(fs.find(root))
else:
    try:
        fs.cat(root + "/a.txt")
        out["error"] = None
    except Exception as error:
        out["error"] = type(error).__name__
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def python() -> str:
    return S3FS.python()


@pytest.fixture(scope="module")
def user(live_server: LiveServer) -> S3User:
    return make_s3_user(live_server)


def run_s3fs(
    python: str, server: LiveServer, user: S3User, bucket: str, step: str, cwd: Path
) -> dict[str, Any]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(cwd),
        "KEY": user.key_id,
        "SECRET": user.secret,
        "ENDPOINT": server.s3_url,
        "BUCKET": bucket,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    done = subprocess.run(
        [python, "-c", SCRIPT, step], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_open_write_glob_find_and_rm(
    python: str, live_server: LiveServer, user: S3User, tmp_path: Path
) -> None:
    s3: Any = s3_client(live_server, user)
    bucket = new_bucket(s3, user)
    payload = os.urandom(1_500_000)
    (tmp_path / "payload.bin").write_bytes(payload)
    out = run_s3fs(python, live_server, user, bucket, "write", tmp_path)
    root = f"{bucket}/data"
    assert out["version"] == S3FS.requirements[0].split("==")[1]
    assert out["read"] == "alpha"
    assert out["range"] == payload[100:110].hex()
    assert out["glob"] == [f"{root}/a.txt"]
    assert out["glob_deep"] == [f"{root}/a.txt", f"{root}/sub/deeper/c.txt"]
    assert out["find"] == [
        f"{root}/a.txt",
        f"{root}/put.bin",
        f"{root}/sub/b.bin",
        f"{root}/sub/deeper/c.txt",
    ]
    assert out["ls"] == [f"{root}/a.txt", f"{root}/put.bin", f"{root}/sub"]
    assert (out["size"], out["isdir"], out["missing"]) == (len(payload), True, False)
    assert out["after_rm"] == [f"{root}/a.txt", f"{root}/put.bin"]
    # What s3fs wrote is what boto3 reads.
    assert s3.get_object(Bucket=bucket, Key="data/put.bin")["Body"].read() == payload


def test_another_users_bucket_is_not_readable(
    python: str, live_server: LiveServer, user: S3User, tmp_path: Path
) -> None:
    s3: Any = s3_client(live_server, user)
    bucket = new_bucket(s3, user)
    s3.put_object(Bucket=bucket, Key="data/a.txt", Body=b"private")
    stranger = make_s3_user(live_server)
    out = run_s3fs(python, live_server, stranger, bucket, "read", tmp_path)
    assert out["error"] in ("FileNotFoundError", "PermissionError")
