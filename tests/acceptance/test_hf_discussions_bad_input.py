"""What an attacker or a careless script sends to the discussion routes of the Hub API: a
clear 4xx with the Hub's error headers, never a 500, and nothing changed."""

from __future__ import annotations

import httpx
import pytest

from tests.acceptance.api import Account, make_repo, make_user
from tests.acceptance.live import LiveServer

pytestmark = pytest.mark.acceptance


@pytest.fixture(scope="module")
def gina(live_server: LiveServer) -> Account:
    return make_user(live_server)


def test_bad_discussion_requests_are_4xx(live_server: LiveServer, gina: Account) -> None:
    with live_server.client(gina.token) as rest:
        repo = make_repo(rest, gina.name)
    base = f"/api/models/{repo}/discussions"
    auth = {"Authorization": f"Bearer {gina.token}"}
    with httpx.Client(base_url=f"{live_server.url}/hf", headers=auth, timeout=30) as c:
        opened = c.post(base, json={"title": "t", "description": "d"})
        assert opened.status_code == 200, opened.text
        num = opened.json()["num"]
        cases: list[tuple[str, str, dict[str, object]]] = [
            ("POST", base, {"content": b"not json"}),
            ("POST", base, {"json": {"title": 5}}),
            ("POST", base, {"json": {"title": "   "}}),
            ("POST", base, {"json": {"title": "x" * 10_000}}),
            ("POST", base, {"json": {"title": "t", "pullRequest": "yes"}}),
            ("GET", base + "?type=everything", {}),
            ("GET", base + "?status=sideways", {}),
            ("GET", base + "?p=-1", {}),
            ("GET", base + "?p=x", {}),
            ("GET", base + "/0", {}),
            ("GET", base + "/abc", {}),
            ("GET", base + "/99999999999999999999", {}),
            ("POST", f"{base}/{num}/comment", {"json": {"comment": ""}}),
            ("POST", f"{base}/{num}/comment", {"json": {"comment": ["x"]}}),
            ("POST", f"{base}/{num}/comment/zz/edit", {"json": {"content": "x"}}),
            ("POST", f"{base}/{num}/comment/{'f' * 40}/edit", {"json": {"content": "x"}}),
            ("POST", f"{base}/{num}/title", {"json": {}}),
            ("POST", f"{base}/{num}/status", {"json": {"status": "merged"}}),
            ("POST", f"{base}/{num}/status", {"json": {"status": "open", "comment": 1}}),
            ("POST", f"{base}/{num}/merge", {"content": b"[1]"}),
            ("POST", f"{base}/{num}/merge", {"json": {}}),
            ("POST", f"/api/models/{repo}/commit/refs%2Fpr%2F{num}", {"content": b""}),
            ("POST", f"/api/models/{repo}/commit/refs%2Fpr%2F0", {"content": b""}),
            ("GET", f"/api/models/{repo}/tree/refs%2Fpr%2F77", {}),
        ]  # fmt: skip
        for method, url, kwargs in cases:
            response = c.request(method, url, **kwargs)  # type: ignore[arg-type]
            assert 400 <= response.status_code < 500, (method, url, response.text)
            assert response.headers.get("x-error-message"), (method, url)
        # Nothing above changed the discussion.
        details = c.get(f"{base}/{num}").json()
        assert (details["title"], details["status"]) == ("t", "open")
        assert [e["type"] for e in details["events"]] == ["comment"]
    with httpx.Client(base_url=f"{live_server.url}/hf", timeout=30) as anonymous:
        refused = anonymous.post(base, json={"title": "t"})
        assert refused.status_code == 401, refused.text
        assert anonymous.post(f"{base}/{num}/comment", json={"comment": "x"}).status_code == 401
