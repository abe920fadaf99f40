"""Bad credentials and bad bodies on the identity routes get a clear 4xx JSON error: never a 500,
never a traceback.

Requests are sent with ``http.client`` against the shared live server, so headers and bodies
reach it byte for byte as written (no client-side validation or normalisation). Nothing here
signs in with a wrong password, so the server's sign-in budget for 127.0.0.1 is left alone.
"""

from __future__ import annotations

import base64
import http.client
import json
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest

from tests.acceptance.api import unique
from tests.acceptance.live import LiveServer

pytestmark = pytest.mark.acceptance

PASSWORD = "a sufficiently long password"


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def error(self) -> dict[str, object]:
        assert "application/json" in self.headers.get("content-type", ""), self
        error = json.loads(self.body)["error"]
        assert isinstance(error, dict)
        return error


def raw(
    server: LiveServer,
    method: str,
    path: str,
    body: bytes = b"",
    headers: list[tuple[str, str | bytes]] | None = None,
) -> Reply:
    """Send exactly these bytes: header values may be raw bytes (sent as they are)."""
    conn = http.client.HTTPConnection(urlsplit(server.url).netloc, timeout=30)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for name, value in headers or []:
            conn.putheader(name, value)
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        response = conn.getresponse()
        return Reply(
            response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        )
    finally:
        conn.close()


@dataclass
class Setup:
    user: str
    token: str
    session: str
    org: str


@pytest.fixture(scope="module")
def setup(live_server: LiveServer) -> Setup:
    user = unique("badin")
    org = unique("badorg")
    with live_server.client(live_server.admin_token) as admin:
        admin.post("/api/users", json={"name": user, "password": PASSWORD}).raise_for_status()
        token = admin.post(
            "/api/tokens", json={"name": "w", "scope": "write", "user": user}
        ).json()["token"]
    with live_server.client(token) as c:
        c.post("/api/orgs", json={"name": org}).raise_for_status()
    with live_server.client() as c:
        signin = c.post("/api/signin", json={"name": user, "password": PASSWORD})
        assert signin.status_code == 200, signin.text
        session = signin.json()["token"]
    return Setup(user=user, token=token, session=session, org=org)


def _basic(raw_credentials: bytes) -> bytes:
    return b"Basic " + base64.b64encode(raw_credentials)


def _tamper_signature(session: str) -> str:
    last = session[-1]
    return session[:-1] + ("A" if last != "A" else "B")


def _tamper_claims(session: str) -> str:
    parts = session.split(".")
    claims = parts[-2]
    parts[-2] = claims[:5] + ("A" if claims[5] != "A" else "B") + claims[6:]
    return ".".join(parts)


# (id, the Authorization header; a callable gets the Setup)
AUTH_CASES = [
    ("bearer without token", "Bearer"),
    ("bearer, blank token", "Bearer    "),
    ("bearer with two words", "Bearer a b"),
    ("basic, not base64", "Basic !!!"),
    ("basic, bad base64 padding", "Basic abc"),
    ("basic without colon", _basic(b"nocolon")),
    ("basic with empty user", _basic(b":" + PASSWORD.encode())),
    ("basic, not UTF-8", _basic(b"\xff\xfe:\xfa\xfb")),
    ("basic, unknown token as password", _basic(b"someone:wh_" + b"a" * 16 + b"_secret")),
    ("basic, session garbage as password", _basic(b"someone:whs.garbage")),
    ("5000-character header", "Bearer " + "x" * 5000),
    ("300-character token", "Bearer wh_" + "a" * 300),
    ("300-character basic token", _basic(b"someone:wh_" + b"a" * 300)),
    ("300-character opaque token", "Bearer " + "z" * 300),
    ("wh_ without parts", "Bearer wh_"),
    ("wh_ without secret", "Bearer wh_abc"),
    ("wh_ with empty id", "Bearer wh__secret"),
    ("wh_ with odd id", "Bearer wh_ab-c_secret"),
    ("wh_ unknown id", "Bearer wh_0123456789abcdef_secret"),
    ("wh_ non-ASCII id", "Bearer wh_\xe9\xe9_secret".encode("latin-1")),
    ("non-ASCII bytes", b"Bearer \xff\xfe\xfd"),
    ("whs. garbage", "Bearer whs.garbage"),
    ("whs. four garbage parts", "Bearer whs.whs.kid.body.sig"),
    ("whs. only", "Bearer whs."),
    ("unknown scheme", "Digest x"),
    ("unknown scheme, empty", "Digest"),
    ("bare garbage", "garbage"),
    ("session, tampered signature", lambda s: "Bearer " + _tamper_signature(s.session)),
    ("session, tampered claims", lambda s: "Bearer " + _tamper_claims(s.session)),
    ("session, truncated", lambda s: "Bearer " + s.session[:-10]),
    ("session, inner part only", lambda s: "Bearer " + s.session[len("whs.") :]),
    ("session of another user name", lambda s: _basic(b"someone-else:" + s.session.encode())),
    ("token of another user name", lambda s: _basic(b"someone-else:" + s.token.encode())),
    (
        "token, tampered secret",
        lambda s: "Bearer " + s.token[:-1] + ("A" if s.token[-1] != "A" else "B"),
    ),
]

AUTHENTICATED_ROUTES = [("GET", "/api/whoami"), ("GET", "/api/tokens"), ("POST", "/api/orgs")]


@pytest.mark.parametrize(("case", "header"), AUTH_CASES, ids=[c[0] for c in AUTH_CASES])
def test_bad_authorization_is_a_clear_401(
    live_server: LiveServer, setup: Setup, case: str, header: object
) -> None:
    value = header(setup) if callable(header) else header
    assert isinstance(value, str | bytes)
    for method, path in AUTHENTICATED_ROUTES:
        body = json.dumps({"name": unique("o")}).encode() if method == "POST" else b""
        reply = raw(
            live_server,
            method,
            path,
            body,
            [("Authorization", value), ("Content-Type", "application/json")],
        )
        assert reply.status == 401, (case, path, reply)
        error = reply.error()
        assert error["code"] == "unauthenticated", (case, path, error)
        assert isinstance(error["message"], str) and error["message"], (case, error)
        assert b"Traceback" not in reply.body
        assert reply.headers.get("www-authenticate", "").startswith("Bearer"), reply.headers


def test_the_good_credentials_of_the_setup_work(live_server: LiveServer, setup: Setup) -> None:
    """The tampered variants above start from credentials that do work."""
    for value in (
        f"Bearer {setup.session}",
        f"Bearer {setup.token}",
        _basic(f"{setup.user}:{setup.session}".encode()),
        _basic(f"{setup.user}:{setup.token}".encode()),
    ):
        reply = raw(live_server, "GET", "/api/whoami", headers=[("Authorization", value)])
        assert reply.status == 200, reply
        assert json.loads(reply.body)["user"]["name"] == setup.user


def test_bad_authorization_on_a_public_route_is_ignored(live_server: LiveServer) -> None:
    """Health checks read no credentials: a broken header must not break them."""
    for value in ("Bearer a b", "Basic !!!", b"Bearer \xff", "Bearer " + "x" * 5000):
        reply = raw(live_server, "GET", "/healthz", headers=[("Authorization", value)])
        assert reply.status == 200, reply


# (id, method, path, body, credential: None | "user" | "admin", expected status, expected code)
BODY_CASES = [
    ("signup: name is a number", "POST", "/api/signup", b'{"name": 5, "password": "xxxxxxxxxx"}'),
    ("signup: name is a list", "POST", "/api/signup", b'{"name": ["a"], "password": "xxxxxxxxxx"}'),
    ("signup: name is null", "POST", "/api/signup", b'{"name": null, "password": "xxxxxxxxxx"}'),
    ("signup: name is an object", "POST", "/api/signup", b'{"name": {}, "password": "xxxxxxxxx"}'),
    ("signup: password is a number", "POST", "/api/signup", b'{"name": "n", "password": 12345678}'),
    ("signup: password is true", "POST", "/api/signup", b'{"name": "n", "password": true}'),
    ("signup: no password", "POST", "/api/signup", b'{"name": "n"}'),
    (
        "signup: extra field",
        "POST",
        "/api/signup",
        b'{"name": "n", "password": "x", "is_admin": 1}',
    ),
    ("signup: body is a list", "POST", "/api/signup", b"[]"),
    ("signup: body is a string", "POST", "/api/signup", b'"name"'),
    ("signup: body is a number", "POST", "/api/signup", b"42"),
    ("signup: body is null", "POST", "/api/signup", b"null"),
    ("signup: not JSON", "POST", "/api/signup", b"{name: n}"),
    ("signup: empty body", "POST", "/api/signup", b""),
    ("signup: not UTF-8", "POST", "/api/signup", b"\xff\xfe{}"),
    (
        "signup: deeply nested",
        "POST",
        "/api/signup",
        b"[" * 100_000 + b"]" * 100_000,
        None,
        400,
        "bad_request",
    ),
    (
        "signup: 5000-digit number",
        "POST",
        "/api/signup",
        b'{"name": ' + b"9" * 5000 + b"}",
        None,
        400,
        "bad_request",
    ),
    ("signup: lone surrogate", "POST", "/api/signup", b'{"name": "\\ud800", "password": "x"}'),
    (
        "signup: overlong name",
        "POST",
        "/api/signup",
        b'{"name": "' + b"n" * 201 + b'", "password": "x"}',
    ),
    ("signin: name is a number", "POST", "/api/signin", b'{"name": 1, "password": "xxxxxxxx"}'),
    ("signin: password is false", "POST", "/api/signin", b'{"name": "n", "password": false}'),
    ("signin: password is a list", "POST", "/api/signin", b'{"name": "n", "password": ["x"]}'),
    ("signin: empty object", "POST", "/api/signin", b"{}"),
    (
        "signin: overlong password",
        "POST",
        "/api/signin",
        b'{"name": "n", "password": "' + b"p" * 2049 + b'"}',
    ),
    ("signin: surrogate password", "POST", "/api/signin", b'{"name": "n", "password": "\\udfff"}'),
    ("password: new is a number", "PUT", "/api/password", b'{"new": 123456789}', "user"),
    ("password: new is null", "PUT", "/api/password", b'{"new": null}', "user"),
    ("token: name is a number", "POST", "/api/tokens", b'{"name": 5}', "user"),
    ("token: empty name", "POST", "/api/tokens", b'{"name": ""}', "user"),
    ("token: unknown scope", "POST", "/api/tokens", b'{"name": "t", "scope": "root"}', "user"),
    ("token: scope is a number", "POST", "/api/tokens", b'{"name": "t", "scope": 2}', "user"),
    (
        "token: restrict_to a string",
        "POST",
        "/api/tokens",
        b'{"name": "t", "restrict_to": "acme"}',
        "user",
    ),
    (
        "token: restrict_to numbers",
        "POST",
        "/api/tokens",
        b'{"name": "t", "restrict_to": [1]}',
        "user",
    ),
    (
        "token: restrict_to too deep",
        "POST",
        "/api/tokens",
        b'{"name": "t", "restrict_to": ["a/b/c"]}',
        "user",
        400,
        "invalid_input",
    ),
    (
        "token: restrict_to bad name",
        "POST",
        "/api/tokens",
        b'{"name": "t", "restrict_to": ["a..b"]}',
        "user",
        400,
        "invalid_name",
    ),
    (
        "token: expires_at a word",
        "POST",
        "/api/tokens",
        b'{"name": "t", "expires_at": "tomorrow"}',
        "user",
    ),
    (
        "token: expires_at huge",
        "POST",
        "/api/tokens",
        b'{"name": "t", "expires_at": 99999999999999999999}',
        "user",
    ),
    (
        "token: expires_at past",
        "POST",
        "/api/tokens",
        b'{"name": "t", "expires_at": "2001-01-01T00:00:00Z"}',
        "user",
        400,
        "invalid_input",
    ),
    pytest.param(
        "token: expires_at naive",
        "POST",
        "/api/tokens",
        b'{"name": "t", "expires_at": "2099-01-01T00:00:00"}',
        "user",
    ),
    pytest.param(
        "token: expires_at past year 9999",
        "POST",
        "/api/tokens",
        b'{"name": "t", "expires_at": "9999-12-31T23:59:59-14:00"}',
        "user",
    ),
    ("token: user is a number", "POST", "/api/tokens", b'{"name": "t", "user": 7}', "user"),
    ("token: extra field", "POST", "/api/tokens", b'{"name": "t", "admin": true}', "user"),
    ("org: name is a number", "POST", "/api/orgs", b'{"name": 1}', "user"),
    ("org: name is null", "POST", "/api/orgs", b'{"name": null}', "user"),
    ("org: name is a list", "POST", "/api/orgs", b'{"name": ["acme"]}', "user"),
    (
        "org: description is a number",
        "POST",
        "/api/orgs",
        b'{"name": "o", "description": 5}',
        "user",
    ),
    ("org: invalid name", "POST", "/api/orgs", b'{"name": "-bad-"}', "user", 400, "invalid_name"),
    (
        "org: overlong description",
        "POST",
        "/api/orgs",
        b'{"name": "o", "description": "' + b"d" * 2001 + b'"}',
        "user",
    ),
    ("member: unknown role", "PUT", "/api/orgs/{org}/members/{user}", b'{"role": "owner"}', "user"),
    ("member: role is a number", "PUT", "/api/orgs/{org}/members/{user}", b'{"role": 1}', "user"),
    (
        "member: role is a list",
        "PUT",
        "/api/orgs/{org}/members/{user}",
        b'{"role": ["read"]}',
        "user",
    ),
    ("member: no role", "PUT", "/api/orgs/{org}/members/{user}", b"{}", "user"),
    (
        "member: extra field",
        "PUT",
        "/api/orgs/{org}/members/{user}",
        b'{"role": "read", "x": 1}',
        "user",
    ),
    (
        "member: bad user name",
        "PUT",
        "/api/orgs/{org}/members/a..b",
        b'{"role": "read"}',
        "user",
        400,
        "invalid_name",
    ),
    ("user: disabled is a word", "PATCH", "/api/users/{user}", b'{"disabled": "maybe"}', "admin"),
    (
        "user: is_admin is a word",
        "POST",
        "/api/users",
        b'{"name": "u", "is_admin": "maybe"}',
        "admin",
    ),
    pytest.param(
        "repo: lone surrogate name",
        "POST",
        "/api/repos",
        b'{"name": "\\ud800"}',
        "user",
        400,
        "invalid_input",
    ),
    pytest.param(
        "repo: lone surrogate description",
        "POST",
        "/api/repos",
        b'{"name": "surrogate-description", "description": "\\ud800"}',
        "user",
        400,
        "invalid_input",
    ),
]


def _case(values: tuple[object, ...]) -> tuple[str, str, str, bytes, str | None, int, str]:
    name, method, path, body, *rest = values
    credential = rest[0] if rest else None
    status = rest[1] if len(rest) > 1 else 400
    code = rest[2] if len(rest) > 2 else "invalid_input"
    return name, method, path, body, credential, status, code  # type: ignore[return-value]


def _params() -> list[object]:
    params: list[object] = []
    for case in BODY_CASES:
        values = getattr(case, "values", None)
        if values is not None:  # a pytest.param (itself a tuple): keep its marks
            marks = getattr(case, "marks", ())
            params.append(pytest.param(*_case(tuple(values)), id=str(values[0]), marks=marks))
        else:
            params.append(pytest.param(*_case(case), id=str(case[0])))
    return params


@pytest.mark.parametrize(
    ("case", "method", "path", "body", "credential", "status", "code"), _params()
)
def test_bad_body_is_a_clear_4xx(
    live_server: LiveServer,
    setup: Setup,
    case: str,
    method: str,
    path: str,
    body: bytes,
    credential: str | None,
    status: int,
    code: str,
) -> None:
    token = {"user": setup.token, "admin": live_server.admin_token, None: None}[credential]
    headers: list[tuple[str, str | bytes]] = [("Content-Type", "application/json")]
    if token:
        headers.append(("Authorization", f"Bearer {token}"))
    path = path.format(org=setup.org, user=setup.user)
    reply = raw(live_server, method, path, body, headers)
    assert reply.status == status, (case, reply)
    error = reply.error()
    assert error["code"] == code, (case, error)
    assert isinstance(error["message"], str) and error["message"], (case, error)
    assert b"Traceback" not in reply.body


@pytest.mark.parametrize(
    "query",
    [
        "before=0",
        "before=abc",
        "limit=0",
        "limit=100000",
        "action=" + "a" * 101,
        pytest.param("before=99999999999999999999999"),
    ],
)
def test_bad_audit_query_is_a_400(live_server: LiveServer, query: str) -> None:
    reply = raw(
        live_server,
        "GET",
        f"/api/audit?{query}",
        headers=[("Authorization", f"Bearer {live_server.admin_token}")],
    )
    assert reply.status == 400, reply
    assert reply.error()["code"] == "invalid_input"
