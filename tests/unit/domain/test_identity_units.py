"""Each identity change is stored with its audit row or not at all: when the audit row cannot
be written, the user, token, session, password or access key is not stored either."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from weighthouse.bootstrap import Container, bootstrap, start
from weighthouse.config import AuthSettings, DatabaseSettings, Settings
from weighthouse.domain.access import Principal
from weighthouse.domain.credentials import BearerToken
from weighthouse.domain.errors import SessionNotFoundError, StorageError
from weighthouse.domain.model import AuditEvent, Scope, Session
from weighthouse.metadata.memory import MemoryCatalog
from weighthouse.security.cipher import AesGcmSecretCipher
from weighthouse.security.sessions import HmacSessionSigner

PASSWORD = "correct horse battery staple"


class AuditDownCatalog(MemoryCatalog):
    """A memory catalog whose audit log fails while ``audit_down`` is set."""

    audit_down = False

    def __init__(self) -> None:
        super().__init__()
        self.sessions_tried: list[str] = []

    def add_session(self, session: Session) -> None:
        self.sessions_tried.append(session.id)
        super().add_session(session)

    def record_event(self, event: AuditEvent) -> None:
        if self.audit_down:
            raise StorageError("the audit log is unreachable")
        super().record_event(event)


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[tuple[Container, AuditDownCatalog, Principal]]:
    catalog = AuditDownCatalog()
    settings = Settings(
        data_dir=tmp_path,
        database=DatabaseSettings(url="memory:"),
        auth=AuthSettings(argon2_memory_kib=8192, argon2_time_cost=1),
    )
    container = bootstrap(
        settings,
        catalog=catalog,
        signer=HmacSessionSigner.ephemeral(),
        cipher=AesGcmSecretCipher.ephemeral(),
    )
    issued = start(container)
    assert issued is not None
    admin = container.authenticator.authenticate(BearerToken(issued.secret))
    try:
        yield container, catalog, admin
    finally:
        container.close()


def test_no_user_without_its_audit_row(hub: tuple[Container, AuditDownCatalog, Principal]) -> None:
    container, catalog, admin = hub
    catalog.audit_down = True
    with pytest.raises(StorageError):
        container.users.sign_up("mallory", PASSWORD)
    with pytest.raises(StorageError):
        container.users.create(admin, "trudy", password=PASSWORD)
    assert [u.name for u in catalog.list_users()] == ["admin"]


def test_no_session_nor_rehash_without_the_sign_in_audit_row(
    hub: tuple[Container, AuditDownCatalog, Principal],
) -> None:
    container, catalog, admin = hub
    container.users.create(admin, "alice", password=PASSWORD)
    before = catalog.get_user("alice")
    catalog.audit_down = True
    with pytest.raises(StorageError):
        container.sessions.sign_in("alice", PASSWORD)
    catalog.audit_down = False
    assert catalog.sessions_tried  # the session was written, then rolled back with the unit
    for session_id in catalog.sessions_tried:
        with pytest.raises(SessionNotFoundError):
            catalog.get_session(session_id)
    assert catalog.list_events(action="user.signin") == []
    assert catalog.get_user("alice") == before
    signed_in = container.sessions.sign_in("alice", PASSWORD)
    assert catalog.get_session(signed_in.session.id) == signed_in.session


def test_no_password_change_disabling_or_sign_out_without_its_audit_row(
    hub: tuple[Container, AuditDownCatalog, Principal],
) -> None:
    container, catalog, admin = hub
    container.users.create(admin, "alice", password=PASSWORD)
    signed_in = container.sessions.sign_in("alice", PASSWORD)
    alice = container.authenticator.authenticate(BearerToken(signed_in.token))
    before = catalog.get_user("alice")
    catalog.audit_down = True
    with pytest.raises(StorageError):
        container.users.change_password(alice, PASSWORD, "another good password")
    with pytest.raises(StorageError):
        container.users.set_disabled(admin, "alice", True)
    with pytest.raises(StorageError):
        container.sessions.sign_out(alice)
    assert catalog.get_user("alice") == before
    assert catalog.get_session(signed_in.session.id).revoked_at is None


def test_no_token_or_access_key_change_without_its_audit_row(
    hub: tuple[Container, AuditDownCatalog, Principal],
) -> None:
    container, catalog, admin = hub
    assert admin.user is not None
    token = container.tokens.create(admin, "kept", Scope.READ).token
    key = container.access_keys.create(admin, "kept", Scope.READ).key
    catalog.audit_down = True
    with pytest.raises(StorageError):
        container.tokens.create(admin, "lost", Scope.READ)
    with pytest.raises(StorageError):
        container.tokens.revoke(admin, token.id)
    with pytest.raises(StorageError):
        container.access_keys.create(admin, "lost", Scope.READ)
    with pytest.raises(StorageError):
        container.access_keys.revoke(admin, key.id)
    assert [t.name for t in catalog.list_tokens(admin.user.id)] == ["bootstrap", "kept"]
    assert catalog.get_token(token.id).revoked_at is None
    assert catalog.list_access_keys(admin.user.id) == [key]


def test_a_first_start_that_cannot_audit_leaves_no_admin(tmp_path: Path) -> None:
    catalog = AuditDownCatalog()
    catalog.audit_down = True
    settings = Settings(data_dir=tmp_path, database=DatabaseSettings(url="memory:"))
    container = bootstrap(
        settings,
        catalog=catalog,
        signer=HmacSessionSigner.ephemeral(),
        cipher=AesGcmSecretCipher.ephemeral(),
    )
    try:
        with pytest.raises(StorageError):
            start(container)
        assert catalog.count_users() == 0
        catalog.audit_down = False
        issued = start(container)
        assert issued is not None
        assert catalog.list_tokens(issued.token.user_id) == [issued.token]
    finally:
        container.close()


class RacedCatalog(AuditDownCatalog):
    """Counts no users, as a process does whose count ran before another's admin was stored."""

    def count_users(self) -> int:
        return 0


def test_an_admin_made_by_another_process_meanwhile_is_not_an_error(tmp_path: Path) -> None:
    catalog = RacedCatalog()
    settings = Settings(data_dir=tmp_path, database=DatabaseSettings(url="memory:"))
    container = bootstrap(
        settings,
        catalog=catalog,
        signer=HmacSessionSigner.ephemeral(),
        cipher=AesGcmSecretCipher.ephemeral(),
    )
    try:
        assert start(container) is not None
        assert start(container) is None  # the name is taken: the other process won
        admin = catalog.get_user("admin")
        assert len(catalog.list_tokens(admin.id)) == 1
        assert len(catalog.list_events(action="user.create")) == 1
    finally:
        container.close()
