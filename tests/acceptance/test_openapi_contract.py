"""Answers that schemathesis found breaking the OpenAPI contract, each kept as a regression
test against a live server: booleans and sizes are JSON's own types, a 405 lists every method
of its path, a wrong method on a real path is a 405, and the last admin is a conflict."""

from __future__ import annotations

import pytest

from tests.acceptance.api import unique
from tests.acceptance.live import LiveServer

pytestmark = pytest.mark.acceptance


@pytest.mark.parametrize("private", [0, 1, "true", "no"])
def test_private_must_be_a_json_boolean(live_server: LiveServer, private: object) -> None:
    with live_server.client(live_server.admin_token) as admin:
        created = admin.post("/api/repos", json={"name": unique(), "private": private})
        assert created.status_code == 400, created.text
        assert created.json()["error"]["code"] == "invalid_input"
        name = unique()
        admin.post("/api/repos", json={"name": name}).raise_for_status()
        changed = admin.patch(f"/api/models/admin/{name}", json={"private": private})
        assert changed.status_code == 400, changed.text


def test_a_blob_size_must_be_a_json_integer(live_server: LiveServer) -> None:
    with live_server.client(live_server.admin_token) as admin:
        name = unique()
        admin.post("/api/repos", json={"name": name}).raise_for_status()
        blobs = [{"sha256": "0" * 64, "size": False}]
        checked = admin.post(f"/api/models/admin/{name}/blobs/check", json={"blobs": blobs})
        assert checked.status_code == 400, checked.text


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/api/repos", "GET, POST"),
        ("/api/models/admin/x", "DELETE, GET, PATCH"),
        ("/api/access-keys", "GET, POST"),
    ],
)
def test_a_405_lists_every_method_of_the_path(
    live_server: LiveServer, path: str, allowed: str
) -> None:
    with live_server.client(live_server.admin_token) as admin:
        answer = admin.request("OPTIONS", path)
    assert answer.status_code == 405
    assert answer.headers["allow"] == allowed
    assert answer.json()["error"]["code"] == "method_not_allowed"


def test_a_wrong_method_on_an_organisation_path_is_a_405(live_server: LiveServer) -> None:
    with live_server.client(live_server.admin_token) as admin:
        org = unique("o")
        admin.post("/api/orgs", json={"name": org}).raise_for_status()
        answer = admin.patch(f"/api/orgs/{org}/members", json={})
    assert answer.status_code == 405, answer.text
    assert answer.headers["allow"] == "GET"


def test_removing_the_last_admin_is_a_conflict(live_server: LiveServer) -> None:
    with live_server.client(live_server.admin_token) as admin:
        org = unique("o")
        admin.post("/api/orgs", json={"name": org}).raise_for_status()
        removed = admin.delete(f"/api/orgs/{org}/members/admin")
        demoted = admin.put(f"/api/orgs/{org}/members/admin", json={"role": "read"})
    for answer in (removed, demoted):
        assert answer.status_code == 409, answer.text
        assert answer.json()["error"]["code"] == "conflict"
