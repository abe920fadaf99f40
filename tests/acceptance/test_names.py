"""Names that differ only in case cannot be taken beside each other: no impersonation."""

from __future__ import annotations

import pytest

from tests.acceptance.api import make_user, unique
from tests.acceptance.live import LiveServer

pytestmark = pytest.mark.acceptance


def test_a_user_or_org_name_is_taken_in_every_mix_of_case(live_server: LiveServer) -> None:
    owner = make_user(live_server, unique("name"))
    with live_server.client(live_server.admin_token) as admin:
        for impostor in (owner.name.upper(), owner.name.capitalize()):
            response = admin.post("/api/users", json={"name": impostor})
            assert response.status_code == 409, response.text
            assert response.json()["error"]["code"] == "user_exists"
    with live_server.client(owner.token) as c:
        response = c.post("/api/orgs", json={"name": owner.name.upper()})
        assert response.status_code == 409, response.text
        assert response.json()["error"]["code"] == "user_exists"
        org = unique("org")
        assert c.post("/api/orgs", json={"name": org}).status_code == 201
    with live_server.client(live_server.admin_token) as admin:
        response = admin.post("/api/users", json={"name": org.upper()})
        assert response.status_code == 409, response.text
