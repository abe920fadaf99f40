"""Pure helpers of the identity commands of the CLI (the client's front end): tables, token
restrictions and lines, expiry, audit rows, and passwords from stdin."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import click
import pytest

from weighthouse.cli.commands.audit import HEADERS, audit_rows
from weighthouse.cli.commands.token import check_restriction, expiry, token_line
from weighthouse.cli.credentials import Credentials
from weighthouse.cli.remote import read_password, stdin_lines, table
from weighthouse.client import AuditEventInfo, TokenInfo

pytestmark = pytest.mark.unit

NOW = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)


def test_table_aligns_columns_and_leaves_no_trailing_blanks() -> None:
    lines = table(("ID", "NAME", "NOTE"), [("1", "alice", ""), ("200", "b", "long note")])
    assert lines == [
        "ID   NAME   NOTE",
        "1    alice",
        "200  b      long note",
    ]
    assert table(("A", "B"), []) == ["A  B"]


@pytest.mark.parametrize("entry", ["acme", "acme/bert", "a.b/c-d_e"])
def test_restrictions_are_namespaces_or_repos(entry: str) -> None:
    assert check_restriction(entry) == entry


@pytest.mark.parametrize("entry", ["", "a/b/c", "acme/", "/bert", "a b", "..", "a--b"])
def test_bad_restrictions_are_refused(entry: str) -> None:
    with pytest.raises(ValueError, match="'ns' or a repo 'ns/name'"):
        check_restriction(entry)


def test_expiry_counts_days_from_now() -> None:
    assert expiry(None, NOW) is None
    assert expiry(7, NOW) == NOW + timedelta(days=7)
    later = expiry(1)
    assert later is not None and later.tzinfo is not None


def test_a_token_line_shows_state_and_restrictions_but_never_the_secret() -> None:
    token = TokenInfo(
        id="t1",
        name="ci",
        scope="read",
        created_at=NOW,
        expires_at=NOW + timedelta(days=1),
        last_used_at=NOW,
        secret="wh_t1_secret",
        restrict_to=("acme", "acme/bert"),
    )
    line = token_line(token, NOW)
    assert line == "t1\tci\tread\tactive\texpires 2026-03-05\tused 2026-03-04\tonly acme,acme/bert"
    assert "secret" not in line
    assert token_line(token, NOW + timedelta(days=2)).split("\t")[3] == "expired"
    plain = TokenInfo(id="t2", name="x", scope="write", created_at=NOW)
    assert token_line(plain, NOW) == "t2\tx\twrite\tactive\texpires -\tused -"


def test_audit_rows() -> None:
    events = [
        AuditEventInfo(
            id=9,
            at=NOW,
            action="user.signin",
            actor=None,
            target="bob",
            client="10.0.0.1",
            success=False,
        ),
        AuditEventInfo(
            id=8,
            at=NOW,
            action="token.create",
            actor="alice",
            target="alice",
            client=None,
            success=True,
            detail={"token": "t1", "scope": "read"},
        ),
    ]
    rows = audit_rows(events)
    assert all(len(row) == len(HEADERS) for row in rows)
    assert rows[0] == (
        "9",
        "2026-03-04 05:06:07",
        "user.signin",
        "-",
        "bob",
        "10.0.0.1",
        "FAILED",
        "-",
    )
    assert rows[1][6:] == ("ok", "scope=read token=t1")


def test_passwords_from_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("first line \r\nsecond\n"))
    assert stdin_lines(2, "two passwords") == ["first line ", "second"]
    monkeypatch.setattr("sys.stdin", io.StringIO("only one\n"))
    with pytest.raises(click.UsageError, match="line 2"):
        stdin_lines(2, "two passwords")
    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret pass"))
    assert read_password(True) == "s3cret pass"
    monkeypatch.setattr("sys.stdin", io.StringIO("\n"))
    with pytest.raises(click.UsageError, match="empty"):
        read_password(True)


def test_stored_credentials_know_a_session_and_hide_the_secret() -> None:
    assert Credentials("http://hub", "whs.k.b.s").is_session
    assert not Credentials("http://hub", "wh_a_b").is_session
    assert not Credentials("http://hub").is_session
    assert "whs." not in repr(Credentials("http://hub", "whs.k.b.s"))
