"""Organisation membership takes effect on the very next request, both ways, for every kind of
credential the member already holds (API tokens and a session), against a live server."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest

from tests.acceptance.api import Account, make_repo, make_user, unique
from tests.acceptance.live import LiveServer

pytestmark = pytest.mark.acceptance

PASSWORD = "members only, please"


@dataclass
class Org:
    name: str
    admin: Account


def make_org(server: LiveServer) -> Org:
    admin = make_user(server)
    name = unique("org")
    with server.client(admin.token) as c:
        response = c.post("/api/orgs", json={"name": name})
        assert response.status_code == 201, response.text
    return Org(name=name, admin=admin)


def set_role(server: LiveServer, org: Org, user: str, role: str) -> None:
    with server.client(org.admin.token) as c:
        response = c.put(f"/api/orgs/{org.name}/members/{user}", json={"role": role})
        assert response.status_code == 200, response.text


def remove(server: LiveServer, org: Org, user: str) -> None:
    with server.client(org.admin.token) as c:
        response = c.delete(f"/api/orgs/{org.name}/members/{user}")
        assert response.status_code == 204, response.text


def listings(client: httpx.Client, namespace: str) -> list[set[str]]:
    """The repo ids in ``namespace`` the caller sees: in the listing filtered to the namespace,
    and in the unfiltered listing (every page)."""
    found = []
    for params in ({"namespace": namespace}, {}):
        names: set[str] = set()
        cursor = None
        while True:
            query: dict[str, str | int] = {**params, "limit": 1000}
            if cursor:
                query["cursor"] = cursor
            page = client.get("/api/repos", params=query)
            assert page.status_code == 200, page.text
            body = page.json()
            names |= {item["id"] for item in body["items"] if item["namespace"] == namespace}
            cursor = body["next_cursor"]
            if not cursor:
                break
        found.append(names)
    return found


def sees(client: httpx.Client, namespace: str) -> set[str]:
    """What both listings agree the caller sees in ``namespace``; they must agree."""
    filtered, everything = listings(client, namespace)
    assert filtered == everything, (filtered, everything)
    return filtered


def upload_status(client: httpx.Client, repo: str) -> int:
    return client.put(f"/api/models/{repo}/upload/main/{unique('f')}.txt", content=b"x").status_code


def session_for(server: LiveServer, name: str) -> str:
    with server.client() as c:
        response = c.post("/api/signin", json={"name": name, "password": PASSWORD})
        assert response.status_code == 200, response.text
        return str(response.json()["token"])


def test_member_sees_new_repos_at_once_and_loses_them_at_once(live_server: LiveServer) -> None:
    org = make_org(live_server)
    member = unique("member")
    with live_server.client(live_server.admin_token) as admin:
        created = admin.post("/api/users", json={"name": member, "password": PASSWORD})
        assert created.status_code == 201, created.text
        token = admin.post(
            "/api/tokens", json={"name": "w", "scope": "write", "user": member}
        ).json()["token"]
        read_token = admin.post(
            "/api/tokens", json={"name": "r", "scope": "read", "user": member}
        ).json()["token"]
    session = session_for(live_server, member)

    set_role(live_server, org, member, "write")
    # A private repo created after the membership: visible at once, with every credential.
    with live_server.client(org.admin.token) as c:
        repo = make_repo(c, org.name, private=True)
    with live_server.client(token) as c:
        put = c.put(f"/api/models/{repo}/upload/main/weights.bin", content=b"weights")
        assert put.status_code == 201, put.text
    credentials = {"token": token, "read token": read_token, "session": session}
    for kind, secret in credentials.items():
        with live_server.client(secret) as c:
            assert c.get(f"/api/models/{repo}").status_code == 200, kind
            assert repo in sees(c, org.name), kind
            assert c.get(f"/api/models/{repo}/refs").status_code == 200, kind
            assert c.get(f"/api/models/{repo}/resolve/main/weights.bin").content == b"weights"

    # Removed: the next request with the same credentials finds nothing.
    remove(live_server, org, member)
    for kind, secret in credentials.items():
        with live_server.client(secret) as c:
            response = c.get(f"/api/models/{repo}")
            assert response.status_code == 404, (kind, response.text)
            assert response.json()["error"]["code"] == "repo_not_found"
            assert repo not in sees(c, org.name), kind
            assert c.get(f"/api/models/{repo}/resolve/main/weights.bin").status_code == 404
            assert c.get(f"/api/orgs/{org.name}/members").status_code == 404, kind
            # The credential itself still works: only the access went.
            assert c.get("/api/whoami").json()["user"]["name"] == member
    with live_server.client(token) as c:
        assert upload_status(c, repo) == 404
        created = c.post(
            "/api/repos", json={"namespace": org.name, "name": unique(), "private": True}
        )
        assert created.status_code == 403, created.text

    # Back as a reader: reads again at once, but may not write.
    set_role(live_server, org, member, "read")
    with live_server.client(token) as c:
        assert c.get(f"/api/models/{repo}").status_code == 200
        assert repo in sees(c, org.name)
        assert upload_status(c, repo) == 403
        assert c.patch(f"/api/models/{repo}", json={"description": "mine"}).status_code == 403
        assert c.post(f"/api/models/{repo}/tags", json={"name": "v1"}).status_code == 403
        created = c.post(
            "/api/repos", json={"namespace": org.name, "name": unique(), "private": True}
        )
        assert created.status_code == 403, created.text
        assert c.get(f"/api/orgs/{org.name}/members").status_code == 200

    # Promoted to writer: writes at once.
    set_role(live_server, org, member, "write")
    with live_server.client(token) as c:
        assert upload_status(c, repo) == 201


def test_collaborator_sees_only_the_repo_shared_with_them(live_server: LiveServer) -> None:
    org = make_org(live_server)
    guest = make_user(live_server)
    with live_server.client(org.admin.token) as c:
        shared = make_repo(c, org.name, private=True)
        hidden = make_repo(c, org.name, private=True)
        response = c.put(f"/api/models/{shared}/collaborators/{guest.name}", json={"role": "read"})
        assert response.status_code == 200, response.text

    with live_server.client(guest.token) as c:
        assert c.get(f"/api/models/{shared}").status_code == 200
        assert c.get(f"/api/models/{hidden}").status_code == 404
        assert sees(c, org.name) == {shared}
        assert upload_status(c, shared) == 403
        assert upload_status(c, hidden) == 404
        assert c.get(f"/api/models/{shared}/collaborators").status_code == 200
        # A collaborator is not a member of the organisation.
        assert c.get(f"/api/orgs/{org.name}/members").status_code == 404

    # Raised to write: can write that repo, still nothing else.
    with live_server.client(org.admin.token) as c:
        c.put(
            f"/api/models/{shared}/collaborators/{guest.name}", json={"role": "write"}
        ).raise_for_status()
    with live_server.client(guest.token) as c:
        assert upload_status(c, shared) == 201
        assert upload_status(c, hidden) == 404

    # Removed: gone at once.
    with live_server.client(org.admin.token) as c:
        response = c.delete(f"/api/models/{shared}/collaborators/{guest.name}")
        assert response.status_code == 204, response.text
    with live_server.client(guest.token) as c:
        assert c.get(f"/api/models/{shared}").status_code == 404
        assert sees(c, org.name) == set()
