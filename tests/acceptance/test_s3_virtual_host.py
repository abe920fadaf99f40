"""Virtual-host addressing (``<bucket>.<base domain>/<key>``, the default of the AWS SDKs for
JavaScript, Java and Go) with boto3 told to use it, against a server with ``s3.base_domain``
set. No DNS serves the test domain, so this process resolves it to the loopback server."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.acceptance.live import LiveServer
from tests.acceptance.s3 import make_s3_user, new_bucket, s3_client

pytestmark = pytest.mark.acceptance

DOMAIN = "s3.weighthouse.test"


@pytest.fixture(scope="module")
def vhost_server(
    tmp_path_factory: pytest.TempPathFactory, server_workers: int
) -> Iterator[LiveServer]:
    server = LiveServer(
        data_dir=tmp_path_factory.mktemp("vhost") / "data",
        workers=server_workers,
        extra_env={"WEIGHTHOUSE_S3__BASE_DOMAIN": DOMAIN},
    ).start()
    yield server
    server.stop()


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> None:
    """Names under the test domain resolve to 127.0.0.1, in this process only."""
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, str) and (host == DOMAIN or host.endswith("." + DOMAIN)):
            host = "127.0.0.1"
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def test_virtual_host_and_path_style_reach_the_same_objects(
    vhost_server: LiveServer, resolver: None
) -> None:
    user = make_s3_user(vhost_server)
    path_style = s3_client(vhost_server, user)
    bucket = new_bucket(path_style, user)
    endpoint = f"http://{DOMAIN}:{vhost_server.s3_port}"
    virtual = s3_client(
        vhost_server, user, endpoint_url=endpoint, s3={"addressing_style": "virtual"}
    )
    put = virtual.put_object(Bucket=bucket, Key="dir/a b+c.txt", Body=b"virtual")
    sent = put["ResponseMetadata"]["HTTPHeaders"]
    assert sent["etag"]
    assert path_style.get_object(Bucket=bucket, Key="dir/a b+c.txt")["Body"].read() == b"virtual"
    path_style.put_object(Bucket=bucket, Key="path.txt", Body=b"path")
    assert virtual.get_object(Bucket=bucket, Key="path.txt")["Body"].read() == b"path"
    listed = virtual.list_objects_v2(Bucket=bucket, Prefix="dir/", Delimiter="/")
    assert [o["Key"] for o in listed["Contents"]] == ["dir/a b+c.txt"]
    # The Host names the bucket: the request really was virtual-host style.
    raw = httpx.get(
        f"http://127.0.0.1:{vhost_server.s3_port}/path.txt", headers={"host": f"{bucket}.{DOMAIN}"}
    )
    assert raw.status_code in (403, 404)  # anonymous: a private bucket reads as missing
    with pytest.raises(ClientError) as missing:
        virtual.head_object(Bucket=bucket, Key="nothing")
    assert missing.value.response["Error"]["Code"] == "404"
    # The base domain itself is the service: ListBuckets.
    names = [b["Name"] for b in virtual.list_buckets()["Buckets"]]
    assert bucket in names
    virtual.delete_object(Bucket=bucket, Key="path.txt")
    assert path_style.list_objects_v2(Bucket=bucket)["KeyCount"] == 1


@pytest.mark.parametrize("signature_version", ["s3", "s3v4"])
def test_sigv2_signs_the_bucket_of_a_virtual_host(
    vhost_server: LiveServer, resolver: None, signature_version: str
) -> None:
    """SigV2 signs ``/<bucket>/<key>`` even when the bucket travels in the Host, both in the
    header (``signature_version="s3"``) and in the presigned URLs boto3 makes by default."""
    user = make_s3_user(vhost_server)
    bucket = new_bucket(s3_client(vhost_server, user), user)
    endpoint = f"http://{DOMAIN}:{vhost_server.s3_port}"
    virtual = s3_client(
        vhost_server,
        user,
        endpoint_url=endpoint,
        signature_version=signature_version,
        s3={"addressing_style": "virtual"},
    )
    virtual.put_object(Bucket=bucket, Key="v2/a b.txt", Body=b"signed by host")
    assert virtual.get_object(Bucket=bucket, Key="v2/a b.txt")["Body"].read() == b"signed by host"
    assert virtual.list_objects(Bucket=bucket)["Contents"][0]["Key"] == "v2/a b.txt"
    presigning = s3_client(
        vhost_server, user, endpoint_url=endpoint, s3={"addressing_style": "virtual"}
    )
    url = presigning.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "v2/a b.txt"}, ExpiresIn=60
    )
    assert "AWSAccessKeyId=" in url and f"//{bucket}.{DOMAIN}" in url
    assert httpx.get(url).content == b"signed by host"
