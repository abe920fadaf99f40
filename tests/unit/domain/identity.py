"""A small identity world for the authentication and access-key tests: a container on a SQLite
catalog with cheap password hashing, keys in memory, and a clock the test can move."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from weighthouse.bootstrap import Container, bootstrap, start
from weighthouse.config import AuthSettings, Settings
from weighthouse.domain.access import Principal
from weighthouse.domain.credentials import BearerToken
from weighthouse.domain.model import Scope
from weighthouse.security.cipher import AesGcmSecretCipher
from weighthouse.security.sessions import HmacSessionSigner

PASSWORD = "correct horse battery staple"


class MovableClock:
    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


@dataclass
class Identity:
    container: Container
    clock: MovableClock
    admin: Principal
    signer: HmacSessionSigner

    def user(self, name: str) -> Principal:
        """A new user with ``PASSWORD``, as the principal of a write token of theirs."""
        self.container.users.create(self.admin, name, password=PASSWORD)
        return self.token_principal(name, Scope.WRITE)

    def token_principal(self, name: str, scope: Scope, **kwargs: object) -> Principal:
        issued = self.container.tokens.create(self.admin, "t", scope, for_user=name, **kwargs)  # type: ignore[arg-type]
        return self.container.authenticator.authenticate(BearerToken(issued.secret))


def identity(data_dir: Path) -> Iterator[Identity]:
    settings = Settings(
        data_dir=data_dir,
        auth=AuthSettings(
            signin_per_account=3,
            signin_per_client=1000,
            argon2_memory_kib=8192,
            argon2_time_cost=1,
        ),
    )
    clock = MovableClock()
    signer = HmacSessionSigner.ephemeral()
    container = bootstrap(
        settings,
        clock=clock,
        signer=signer,
        cipher=AesGcmSecretCipher.ephemeral(),
    )
    issued = start(container)
    assert issued is not None
    try:
        yield Identity(
            container,
            clock,
            container.authenticator.authenticate(BearerToken(issued.secret)),
            signer,
        )
    finally:
        container.close()
