"""Helpers the S3 acceptance tests share: users with access keys, boto3 clients of a live
server's S3 port, and the module-scoped fixtures most S3 test files use (``conftest.py``
registers them; a file that needs something else defines its own of the same name)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.acceptance.api import make_user, unique
from tests.acceptance.live import LiveServer

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
"""The ACL grantee groups of everyone and of every signed-in caller."""


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


_sessions = threading.local()


def _session() -> boto3.session.Session:
    """This thread's boto3 session. A session loads botocore's service models once (a new
    one per client cost about 80 ms of CPU, a client of a kept one 9 ms); sessions are not
    for sharing between threads, hence one per thread. The clients' keys are their own."""
    session: boto3.session.Session | None = getattr(_sessions, "session", None)
    if session is None:
        session = _sessions.session = boto3.session.Session()
    return session


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
    return _session().client(
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


def refused(call: Callable[[], object]) -> tuple[int, str]:
    """The HTTP status and S3 error code of a call that must fail."""
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value.response["ResponseMetadata"]["HTTPStatusCode"], code_of(caught.value)


def user_id(server: LiveServer, user: S3User) -> str:
    """The id S3 names ``user`` by (in ACL grants, owners and policy principals)."""
    with server.client(user.token) as client:
        return str(client.get("/api/whoami").json()["user"]["id"])


@pytest.fixture(scope="module")
def alice(live_server: LiveServer) -> S3User:
    """The user who owns the module's buckets."""
    return make_s3_user(live_server)


@pytest.fixture(scope="module")
def s3(live_server: LiveServer, alice: S3User) -> Any:
    """alice's client."""
    return s3_client(live_server, alice)


@pytest.fixture(scope="module")
def bob_user(live_server: LiveServer) -> S3User:
    """Another user, who owns none of alice's buckets."""
    return make_s3_user(live_server)


@pytest.fixture(scope="module")
def bob(live_server: LiveServer, bob_user: S3User) -> Any:
    """bob_user's client."""
    return s3_client(live_server, bob_user)


@pytest.fixture(scope="module")
def anonymous(live_server: LiveServer) -> Any:
    """A client that signs nothing."""
    return s3_client(live_server)


@pytest.fixture(scope="module")
def bucket(s3: Any, alice: S3User) -> str:
    """A bucket of alice's that the module's tests share."""
    return new_bucket(s3, alice)
