"""Helpers the S3 acceptance tests share: users with access keys, and boto3 clients of a
live server's S3 port."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.acceptance.api import make_user, unique
from tests.acceptance.live import LiveServer


@dataclass
class S3User:
    name: str
    token: str
    key_id: str
    secret: str


def make_s3_user(server: LiveServer, scope: str = "write", **extra: Any) -> S3User:
    """A new user with an access key."""
    account = make_user(server)
    with server.client(account.token) as client:
        response = client.post("/api/access-keys", json={"name": "s3", "scope": scope, **extra})
        assert response.status_code == 201, response.text
        issued = response.json()
    return S3User(account.name, account.token, issued["id"], issued["secret"])


def s3_client(
    server: LiveServer,
    user: S3User | None = None,
    *,
    verify: bool | str = True,
    endpoint_url: str | None = None,
    **config: Any,
) -> Any:
    """A boto3 S3 client of ``server`` (or of ``endpoint_url``, a name for its S3 port) with
    default settings besides ``config`` and no retries, signed as ``user`` (anonymous without
    one)."""
    options: dict[str, Any] = {"retries": {"max_attempts": 1}, **config}
    if user is None:
        from botocore import UNSIGNED

        options["signature_version"] = UNSIGNED
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint_url or server.s3_url,
        region_name="us-east-1",
        aws_access_key_id=user.key_id if user else "x",
        aws_secret_access_key=user.secret if user else "x",
        config=Config(**options),
        verify=verify,
    )


def new_bucket(client: Any, user: S3User) -> str:
    name = f"{user.name}--{unique('b')}"
    client.create_bucket(Bucket=name)
    return name


def code_of(error: ClientError) -> str:
    """The S3 error code botocore read from an error answer."""
    return str(error.response["Error"]["Code"])
