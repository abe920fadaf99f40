"""The client's access-key calls: what goes on the wire, and reading what the server's own
response schemas produce."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from weighthouse.client import AccessKeyInfo, WeighthouseClient
from weighthouse.domain.model import AccessKey, Scope
from weighthouse.frontends.rest.access_keys import AccessKeyCreated, AccessKeyOut

pytestmark = pytest.mark.unit

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
KEY = AccessKey(
    id="WHABCDEFGHIJKLMNOPQR",
    user_id="u1",
    name="job",
    scope=Scope.WRITE,
    sealed_secret="v1.k.n.c",
    created_at=NOW,
    expires_at=NOW + timedelta(days=1),
    buckets=("acme/data",),
)


def test_a_created_key_reads_from_the_server_schema_and_hides_its_secret() -> None:
    out = AccessKeyCreated(**AccessKeyOut.of(KEY).model_dump(), secret="S" * 40)
    data = json.loads(out.model_dump_json())
    assert "sealed_secret" not in data and "v1.k.n.c" not in json.dumps(data)
    key = AccessKeyInfo.from_json(data)
    assert (key.id, key.scope, key.buckets, key.secret) == (
        KEY.id,
        "write",
        ("acme/data",),
        "S" * 40,
    )
    assert "S" * 40 not in repr(key)
    assert key.state(NOW) == "active" and key.state(NOW + timedelta(days=1)) == "expired"
    listed = AccessKeyInfo.from_json(json.loads(AccessKeyOut.of(KEY).model_dump_json()))
    assert listed.secret is None


def test_create_list_and_revoke_on_the_wire() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.method == "DELETE":
            return httpx.Response(204)
        out = json.loads(AccessKeyOut.of(KEY).model_dump_json())
        return httpx.Response(200, json=[out] if request.method == "GET" else out)

    with WeighthouseClient(
        "http://hub.test", "wh_x_y", transport=httpx.MockTransport(handler)
    ) as client:
        client.create_access_key(
            "job", scope="write", user="bob", expires_at=NOW, buckets=["acme/data"]
        )
        client.create_access_key("plain")
        assert [k.id for k in client.list_access_keys("bob")] == [KEY.id]
        client.revoke_access_key("WH/../x")
    bodies: list[Any] = [json.loads(r.content) for r in seen if r.method == "POST"]
    assert bodies == [
        {
            "name": "job",
            "scope": "write",
            "user": "bob",
            "expires_at": NOW.isoformat(),
            "buckets": ["acme/data"],
        },
        {"name": "plain", "scope": "read"},
    ]
    assert str(seen[2].url) == "http://hub.test/api/access-keys?user=bob"
    assert seen[3].url.raw_path == b"/api/access-keys/WH%2F..%2Fx"
