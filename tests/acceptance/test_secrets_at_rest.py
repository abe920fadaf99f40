"""No password, API token, session token or S3 access-key secret is ever stored or logged in
the clear.

A live server of its own issues every kind of secret (sign-up, admin-made users, sign-in, Basic
auth with a password and with a token, API tokens with and without expiry and restrictions, a
password change, a wrong password, S3 access keys of each scope, restricted, expiring and
revoked); then every file of its data directory (the SQLite file, its
WAL and shared memory, blobs, everything) is read while it runs and again after it stopped, every
row of every table is dumped, and the server log is read. None may contain any of the secrets or
their secret parts.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.acceptance.api import unique
from tests.acceptance.live import LiveServer

pytestmark = pytest.mark.acceptance


def token_parts(token: str) -> list[str]:
    """An API token and its secret part (after ``wh_<id>_``)."""
    assert token.startswith("wh_"), token
    token_id, _, secret = token[3:].partition("_")
    assert token_id and secret
    return [token, secret]


def session_parts(token: str) -> list[str]:
    """A session token and its signature (its last dot-separated part)."""
    assert token.startswith("whs."), token
    return [token, token.rsplit(".", 1)[1]]


def read_tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def dump_catalog(database: Path) -> tuple[str, dict[str, list[dict[str, object]]]]:
    """Every column of every row of every table, as text and as rows by table."""
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        tables = [
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        by_table: dict[str, list[dict[str, object]]] = {}
        lines = []
        for table in tables:
            cursor = connection.execute(f'SELECT * FROM "{table}"')
            columns = [d[0] for d in cursor.description]
            by_table[table] = [dict(zip(columns, row, strict=True)) for row in cursor]
            for row in by_table[table]:
                for column, value in row.items():
                    if isinstance(value, bytes):
                        value = value.decode("latin-1")
                    lines.append(f"{table}.{column}={value}")
        return "\n".join(lines), by_table
    finally:
        connection.close()


@dataclass
class Scenario:
    issued: dict[str, list[str]]  # what -> the secret and its secret parts
    passwords: dict[str, str]  # user -> first password
    places: dict[str, bytes]  # where -> everything there, as bytes
    log: bytes
    tables: dict[str, list[dict[str, object]]]


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory, server_workers: int) -> Scenario:
    server = LiveServer(
        data_dir=tmp_path_factory.mktemp("secrets") / "data",
        extra_env={
            "WEIGHTHOUSE_AUTH__SIGNUP_PER_CLIENT": "1000",
            "WEIGHTHOUSE_AUTH__SIGNIN_PER_CLIENT": "1000",
            "WEIGHTHOUSE_AUTH__SIGNIN_PER_ACCOUNT": "1000",
        },
        workers=server_workers,
    ).start()
    issued: dict[str, list[str]] = {"admin token": token_parts(server.admin_token)}
    passwords: dict[str, str] = {}
    try:
        with server.client() as anonymous, server.client(server.admin_token) as admin:
            for _ in range(3):
                name, password = unique("secret"), secrets.token_urlsafe(18)
                response = anonymous.post("/api/signup", json={"name": name, "password": password})
                assert response.status_code == 201, response.text
                passwords[name] = password
            made = unique("made")
            passwords[made] = secrets.token_urlsafe(18)
            response = admin.post("/api/users", json={"name": made, "password": passwords[made]})
            assert response.status_code == 201, response.text

            for name, password in list(passwords.items()):
                issued[f"password of {name}"] = [password]
                wrong = password + "x"
                issued[f"wrong password of {name}"] = [wrong]
                response = anonymous.post("/api/signin", json={"name": name, "password": wrong})
                assert response.status_code == 401
                sessions = []
                for i in range(2):
                    response = anonymous.post(
                        "/api/signin", json={"name": name, "password": password}
                    )
                    assert response.status_code == 200, response.text
                    sessions.append(response.json()["token"])
                    issued[f"session {i} of {name}"] = session_parts(sessions[-1])
                with server.client(sessions[0]) as user:
                    for scope, extra in (
                        ("write", {}),
                        (
                            "read",
                            {"expires_at": (datetime.now(UTC) + timedelta(days=1)).isoformat()},
                        ),
                        ("write", {"restrict_to": [name]}),
                    ):
                        response = user.post(
                            "/api/tokens", json={"name": f"t-{scope}", "scope": scope, **extra}
                        )
                        assert response.status_code == 201, response.text
                        token = response.json()["token"]
                        issued[f"{scope} token {response.json()['id']} of {name}"] = token_parts(
                            token
                        )
                        # Use it: the server records when tokens are used.
                        with server.client(token) as c:
                            assert c.get("/api/whoami").json()["user"]["name"] == name
                    # Basic auth with the password, and with a token as the password.
                    basic = base64.b64encode(f"{name}:{password}".encode()).decode()
                    whoami = anonymous.get(
                        "/api/whoami", headers={"Authorization": f"Basic {basic}"}
                    )
                    assert whoami.json()["user"]["name"] == name
                    basic = base64.b64encode(f"{name}:{token}".encode()).decode()
                    whoami = anonymous.get(
                        "/api/whoami", headers={"Authorization": f"Basic {basic}"}
                    )
                    assert whoami.json()["user"]["name"] == name
                    assert user.post("/api/signout").status_code == 204

            # A password change: the old and the new one are both secrets.
            name = next(iter(passwords))
            new = secrets.token_urlsafe(18)
            issued[f"new password of {name}"] = [new]
            with server.client(issued[f"session 1 of {name}"][0]) as user:
                response = user.put("/api/password", json={"current": passwords[name], "new": new})
                assert response.status_code == 204, response.text
            response = anonymous.post("/api/signin", json={"name": name, "password": new})
            assert response.status_code == 200
            issued[f"session after change of {name}"] = session_parts(response.json()["token"])

            # Admin-made tokens, one revoked.
            for label in ("kept", "revoked"):
                response = admin.post(
                    "/api/tokens", json={"name": label, "scope": "write", "user": made}
                )
                assert response.status_code == 201, response.text
                issued[f"admin-made {label} token"] = token_parts(response.json()["token"])
            revoked_id = response.json()["id"]
            assert admin.delete(f"/api/tokens/{revoked_id}").status_code == 204

            # S3 access keys: the secret must come back for signatures, so it is sealed, not
            # hashed; neither it nor any part of it may be stored or logged.
            expiry = (datetime.now(UTC) + timedelta(days=1)).isoformat()
            for label, extra in (
                ("read", {"scope": "read"}),
                ("write", {"scope": "write", "expires_at": expiry}),
                ("restricted", {"scope": "write", "buckets": [made]}),
                ("for another user", {"scope": "read", "user": made}),
                ("revoked", {"scope": "read"}),
            ):
                response = admin.post("/api/access-keys", json={"name": label, **extra})
                assert response.status_code == 201, response.text
                secret = response.json()["secret"]
                assert len(secret) == 40
                issued[f"access key ({label})"] = [secret, secret[:20], secret[20:]]
            revoked_key = response.json()["id"]
            assert admin.delete(f"/api/access-keys/{revoked_key}").status_code == 204
            listed = admin.get("/api/access-keys").text
            assert not _hits(
                {k: v for k, v in issued.items() if "access key" in k}, {"listing": listed.encode()}
            )
            # An unknown token and a wrong Basic password: refused, perhaps logged or audited,
            # but never with the secret.
            guessed = f"wh_{secrets.token_hex(16)}_{secrets.token_urlsafe(32)}"
            issued["guessed token"] = token_parts(guessed)
            wrong_basic = secrets.token_urlsafe(18)
            issued["wrong Basic password"] = [wrong_basic]
            basic = base64.b64encode(f"{made}:{wrong_basic}".encode()).decode()
            for header in (f"Bearer {guessed}", f"Basic {basic}"):
                refused = anonymous.get("/api/whoami", headers={"Authorization": header})
                assert refused.status_code == 401, refused.text

        running = read_tree(server.data_dir)
        # The write-ahead log is searched too: recent rows live there until a checkpoint.
        assert "weighthouse.db-wal" in running, sorted(running)
    finally:
        server.stop()
    stopped = read_tree(server.data_dir)
    database = server.data_dir / "weighthouse.db"
    assert str(database.relative_to(server.data_dir)) in stopped
    text, tables = dump_catalog(database)
    assert server.log_path is not None
    log = server.log_path.read_bytes()

    places: dict[str, bytes] = {
        **{f"{path} (while running)": data for path, data in running.items()},
        **{f"{path} (after stop)": data for path, data in stopped.items()},
        "catalog rows": text.encode("utf-8", "surrogateescape"),
    }
    return Scenario(issued, passwords, places, log, tables)


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _hits(issued: dict[str, list[str]], places: dict[str, bytes]) -> list[str]:
    return [
        f"{what} found in {where}"
        for what, values in issued.items()
        for value in values
        for where, data in places.items()
        if value.encode() in data
    ]


def test_no_secret_is_in_any_file_or_row_of_the_catalog(scenario: Scenario) -> None:
    hits = _hits(scenario.issued, scenario.places)
    assert not hits, "\n".join(hits)
    secrets_count = sum(map(len, scenario.issued.values()))
    size = sum(map(len, scenario.places.values()))
    print(
        f"\n{secrets_count} secrets of {len(scenario.issued)} credentials, "
        f"{len(scenario.places)} places ({size} bytes) searched, 0 hits"
    )


def test_no_secret_is_in_the_server_log(scenario: Scenario) -> None:
    """The preset admin token is left to the test below."""
    issued = {k: v for k, v in scenario.issued.items() if k != "admin token"}
    hits = _hits(issued, {"server log": scenario.log})
    assert not hits, "\n".join(hits)


def test_a_preset_admin_token_is_not_echoed_to_the_log(scenario: Scenario) -> None:
    hits = _hits({"admin token": scenario.issued["admin token"]}, {"server log": scenario.log})
    assert not hits, "\n".join(hits)


def test_passwords_are_stored_as_argon2id_hashes(scenario: Scenario) -> None:
    hashes = {_text(row["name"]): row["password_hash"] for row in scenario.tables["users"]}
    for name in scenario.passwords:
        assert str(hashes[name]).startswith("$argon2id$"), (name, hashes[name])


def test_tokens_are_stored_as_sha256_of_their_secret(scenario: Scenario) -> None:
    stored = {_text(row["id"]): _text(row["secret_sha256"]) for row in scenario.tables["tokens"]}
    checked = 0
    for what, values in scenario.issued.items():
        if values[0].startswith("wh_") and what != "guessed token":
            token_id, secret = values[0][3:].split("_", 1)
            assert stored[token_id] == hashlib.sha256(secret.encode()).hexdigest(), what
            checked += 1
    assert checked >= 15


def test_access_key_secrets_are_sealed_under_a_key_outside_the_catalog(
    scenario: Scenario,
) -> None:
    rows = scenario.tables["access_keys"]
    assert len(rows) == 5
    key_file = "secrets/secret-keys.json (after stop)"
    assert key_file in scenario.places
    kids = {k["id"] for k in json.loads(scenario.places[key_file])["keys"]}
    for row in rows:
        version, kid, nonce, sealed = _text(row["sealed_secret"]).split(".")
        assert (version, kid in kids) == ("v1", True), row
        # 40 secret bytes and a 16-byte tag; nothing but that and a 12-byte nonce is kept.
        assert len(sealed) == 75 and len(nonce) == 16, row
    assert not [c for c in rows[0] if "secret" in c and c != "sealed_secret"]


def test_the_catalog_dump_would_find_a_plaintext_secret(tmp_path: Path) -> None:
    """The search above is not blind: a secret written into a table is found by it."""
    database = tmp_path / "probe.db"
    connection = sqlite3.connect(database)
    connection.execute("CREATE TABLE t (a TEXT, b BLOB)")
    connection.execute("INSERT INTO t VALUES (?, ?)", ("x", b"wh_abc_secret-part"))
    connection.commit()
    connection.close()
    text, _ = dump_catalog(database)
    assert "secret-part" in text
    assert b"secret-part" in read_tree(tmp_path)["probe.db"]
