"""Small helpers the REST acceptance tests share: unique names and users with tokens."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass

import httpx

from tests.acceptance.live import LiveServer


def unique(prefix: str = "r") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@dataclass
class Account:
    name: str
    token: str
    read_token: str


def make_user(server: LiveServer, name: str | None = None) -> Account:
    name = name or unique("u")
    with server.client(server.admin_token) as admin:
        admin.post("/api/users", json={"name": name}).raise_for_status()
        write = admin.post(
            "/api/tokens", json={"name": "w", "scope": "write", "user": name}
        ).json()["token"]
        read = admin.post("/api/tokens", json={"name": "r", "scope": "read", "user": name}).json()[
            "token"
        ]
    return Account(name=name, token=write, read_token=read)


def make_repo(
    client: httpx.Client, namespace: str, *, type: str = "model", private: bool = False
) -> str:
    name = unique()
    response = client.post(
        "/api/repos", json={"type": type, "namespace": namespace, "name": name, "private": private}
    )
    assert response.status_code == 201, response.text
    return f"{namespace}/{name}"


def upload(client: httpx.Client, repo: str, path: str, data: bytes, branch: str = "main") -> dict:
    response = client.put(
        f"/api/models/{repo}/upload/{branch}/{path}",
        content=data,
        headers={"X-Content-SHA256": hashlib.sha256(data).hexdigest()},
    )
    assert response.status_code == 201, response.text
    return response.json()
