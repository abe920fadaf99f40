"""The client's identity calls: what goes on the wire, and reading what the server's own
response schemas produce (so the client and the REST API cannot drift apart unnoticed)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from weighthouse.client import (
    AuditEventInfo,
    MemberInfo,
    OrgInfo,
    SessionInfo,
    TokenInfo,
    UserInfo,
    WeighthouseClient,
    is_session_token,
)
from weighthouse.client.transport import authorization
from weighthouse.domain.model import (
    AuditEvent,
    Member,
    Organization,
    Role,
    Scope,
    Token,
    User,
)
from weighthouse.frontends.rest import schemas

pytestmark = pytest.mark.unit

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
USER = User(id="u1", name="alice", is_admin=False, created_at=NOW, disabled=True)
TOKEN = Token(
    id="t1",
    user_id="u1",
    name="ci",
    scope=Scope.WRITE,
    secret_sha256="0" * 64,
    created_at=NOW,
    expires_at=NOW + timedelta(days=1),
    restrict_to=("acme", "acme/bert"),
)


def dumped(model: Any) -> Any:
    return json.loads(model.model_dump_json())


@pytest.fixture
def wire() -> Callable[[Any, int], tuple[WeighthouseClient, list[httpx.Request]]]:
    """A client whose every request is recorded and answered with ``body``."""

    def make(body: Any = None, status: int = 200) -> tuple[WeighthouseClient, list[httpx.Request]]:
        seen: list[httpx.Request] = []

        def handler(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            if status == 204:
                return httpx.Response(204)
            return httpx.Response(status, json=body)

        client = WeighthouseClient(
            "http://hub.test", "wh_x_y", transport=httpx.MockTransport(handler)
        )
        return client, seen

    return make


def sent(request: httpx.Request) -> Any:
    return json.loads(request.content) if request.content else None


# --- reading the server's schemas ---------------------------------------------------------
def test_a_user_and_a_session_read_from_the_server_schemas() -> None:
    user = UserInfo.from_json(dumped(schemas.UserOut.of(USER)))
    assert (user.name, user.is_admin, user.disabled, user.created_at) == ("alice", False, True, NOW)
    out = schemas.SessionOut(token="whs.k.b.s", expires_at=NOW, user=schemas.UserOut.of(USER))
    session = SessionInfo.from_json(dumped(out))
    assert session.token == "whs.k.b.s" and session.user.name == "alice"
    assert "whs." not in repr(session)  # the secret stays out of logs


def test_a_token_reads_its_restrictions_and_states() -> None:
    created = schemas.TokenCreated(**schemas.TokenOut.of(TOKEN).model_dump(), token="wh_t1_s")
    token = TokenInfo.from_json(dumped(created))
    assert token.restrict_to == ("acme", "acme/bert") and token.secret == "wh_t1_s"
    assert "wh_t1_s" not in repr(token)
    assert token.state(NOW) == "active"
    assert token.state(NOW + timedelta(days=1)) == "expired"
    revoked = TokenInfo.from_json({**dumped(created), "revoked_at": NOW.isoformat()})
    assert revoked.state(NOW) == "revoked"
    # An older server without restrictions still reads.
    legacy = {k: v for k, v in dumped(created).items() if k != "restrict_to"}
    assert TokenInfo.from_json(legacy).restrict_to == ()


def test_orgs_members_and_audit_events_read_from_the_server_schemas() -> None:
    org = OrgInfo.from_json(
        dumped(schemas.OrgOut.of(Organization(id="o", name="acme", created_at=NOW)))
    )
    assert (org.name, org.description, org.created_at) == ("acme", "", NOW)
    member = MemberInfo.from_json(
        dumped(schemas.MemberOut.of(Member("u1", "bob", Role.WRITE, NOW)))
    )
    assert (member.user, member.role, member.since) == ("bob", "write", NOW)
    event = AuditEvent(
        id=7,
        at=NOW,
        action="user.signin",
        actor=None,
        target="bob",
        client="10.0.0.1",
        success=False,
        detail={"k": "v"},
    )
    info = AuditEventInfo.from_json(dumped(schemas.AuditOut.of(event)))
    assert (info.id, info.action, info.actor, info.success, info.detail) == (
        7,
        "user.signin",
        None,
        False,
        {"k": "v"},
    )


# --- what goes on the wire ----------------------------------------------------------------
def test_sign_up_sign_in_sign_out_and_password(wire: Any) -> None:
    client, seen = wire(dumped(schemas.UserOut.of(USER)), 201)
    with client:
        client.sign_up("alice", "pw-pw-pw-pw")
    assert (seen[0].method, seen[0].url.path) == ("POST", "/api/signup")
    assert sent(seen[0]) == {"name": "alice", "password": "pw-pw-pw-pw"}

    body = dumped(schemas.SessionOut(token="whs.x", expires_at=NOW, user=schemas.UserOut.of(USER)))
    client, seen = wire(body)
    with client:
        assert client.sign_in("alice", "pw").token == "whs.x"
    assert (seen[0].method, seen[0].url.path) == ("POST", "/api/signin")

    client, seen = wire(None, 204)
    with client:
        client.sign_out()
        client.change_password(None, "new-password")
    assert [(r.method, r.url.path) for r in seen] == [
        ("POST", "/api/signout"),
        ("PUT", "/api/password"),
    ]
    assert sent(seen[1]) == {"current": None, "new": "new-password"}


def test_users_tokens_and_audit(wire: Any) -> None:
    client, seen = wire(dumped(schemas.UserOut.of(USER)))
    with client:
        client.set_user_disabled("a b", True)
        client.create_user("bob", password="pw-pw-pw-pw")
        client.create_user("carol")
    assert (seen[0].method, seen[0].url.raw_path) == ("PATCH", b"/api/users/a%20b")
    assert sent(seen[0]) == {"disabled": True}
    assert sent(seen[1]) == {"name": "bob", "is_admin": False, "password": "pw-pw-pw-pw"}
    assert sent(seen[2]) == {"name": "carol", "is_admin": False}

    created = schemas.TokenCreated(**schemas.TokenOut.of(TOKEN).model_dump(), token="wh_t1_s")
    client, seen = wire(dumped(created), 201)
    with client:
        client.create_token("ci", scope="write", restrict_to=["acme", "acme/bert"], expires_at=NOW)
        client.create_token("plain")
    assert sent(seen[0]) == {
        "name": "ci",
        "scope": "write",
        "expires_at": NOW.isoformat(),
        "restrict_to": ["acme", "acme/bert"],
    }
    assert sent(seen[1]) == {"name": "plain", "scope": "read"}

    client, seen = wire(dumped(created), 201)
    with client:
        client.create_token("naive", expires_at=datetime(2030, 1, 1, 12))
    sent_at = datetime.fromisoformat(sent(seen[0])["expires_at"])
    assert sent_at.utcoffset() == timedelta(0)
    assert sent_at == datetime(2030, 1, 1, 12).astimezone(UTC)  # local time, as Python reads it

    client, seen = wire([dumped(schemas.TokenOut.of(TOKEN))])
    with client:
        assert client.list_tokens()[0].id == "t1"
        client.list_tokens("bob")
    assert seen[0].url.query == b"" and seen[1].url.params["user"] == "bob"

    client, seen = wire([])
    with client:
        assert client.audit(before=10, limit=5, action="user.signin") == []
    assert dict(seen[0].url.params) == {"before": "10", "limit": "5", "action": "user.signin"}


def test_orgs_and_collaborators(wire: Any) -> None:
    member = dumped(schemas.MemberOut.of(Member("u1", "bob", Role.READ, NOW)))
    client, seen = wire(member)
    with client:
        client.set_org_member("acme", "bob", "read")
        client.set_collaborator("acme/bert", "bob", "admin", repo_type="dataset")
    assert [(r.method, r.url.path) for r in seen] == [
        ("PUT", "/api/orgs/acme/members/bob"),
        ("PUT", "/api/datasets/acme/bert/collaborators/bob"),
    ]
    assert sent(seen[1]) == {"role": "admin"}

    client, seen = wire([])
    with client:
        client.list_orgs(mine=True)
        client.list_orgs()
        client.org_members("acme")
        client.list_collaborators("acme/bert")
    assert seen[0].url.params["mine"] == "true" and "mine" not in seen[1].url.params
    assert [r.url.path for r in seen[2:]] == [
        "/api/orgs/acme/members",
        "/api/models/acme/bert/collaborators",
    ]

    client, seen = wire(None, 204)
    with client:
        client.remove_org_member("acme", "bob")
        client.remove_collaborator("acme/b", "bob", repo_type="bucket")
    assert [(r.method, r.url.path) for r in seen] == [
        ("DELETE", "/api/orgs/acme/members/bob"),
        ("DELETE", "/api/buckets/acme/b/collaborators/bob"),
    ]


# --- credentials --------------------------------------------------------------------------
def test_authorization_headers() -> None:
    assert authorization(None) is None and authorization("") is None
    assert authorization("wh_a_b") == "Bearer wh_a_b"
    basic = authorization(user="alice", password="pässword:with:colons")
    assert basic is not None and basic.startswith("Basic ")
    assert base64.b64decode(basic.removeprefix("Basic ")).decode() == "alice:pässword:with:colons"
    with pytest.raises(ValueError, match="not both"):
        authorization("wh_a_b", user="alice", password="x")
    with pytest.raises(ValueError, match="both a user name"):
        authorization(user="alice")
    with pytest.raises(ValueError, match="':'"):
        authorization(user="a:b", password="x")


def test_a_client_with_basic_credentials_sends_them() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"user": None, "scope": None})

    transport = httpx.MockTransport(handler)
    with WeighthouseClient(
        "http://hub.test", user="alice", password="wh_a_b", transport=transport
    ) as c:
        c.whoami()
    assert seen[0].headers["authorization"] == authorization(user="alice", password="wh_a_b")
    with WeighthouseClient("http://hub.test", transport=transport) as anonymous:
        anonymous.whoami()
    assert "authorization" not in seen[1].headers


def test_session_tokens_are_told_from_api_tokens() -> None:
    assert is_session_token("whs.k.b.s")
    assert not is_session_token("wh_abc_def")
    assert not is_session_token(None) and not is_session_token("")
