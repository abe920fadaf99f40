"""S3 access keys: create, list and revoke them.

An access key is a public id like AWS's (20 upper-case letters and digits, starting ``WH``) and
a 40-character secret, shown once. Verifying a SigV4 signature needs the secret itself, so it
cannot be hashed like a token's: it is sealed by the :class:`SecretCipher` port (AES-256-GCM
under a server key kept outside the catalog, bound to the key's id) and only that is stored.
A key carries a scope (``read`` or ``write``), an optional expiry and optional restrictions to
namespaces (``ns``) or buckets (``ns/name``). Checking a signature is
:mod:`weighthouse.domain.authentication`'s job. A new or revoked key is stored in one
transaction with its audit row; the secret is sealed before that transaction.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from weighthouse.domain.access import Principal, require_admin, require_user
from weighthouse.domain.audit import Audit
from weighthouse.domain.catalog import AccessKeyCatalog, UnitOfWork, UserCatalog
from weighthouse.domain.errors import (
    AccessKeyNotFoundError,
    InvalidInputError,
    PermissionDeniedError,
)
from weighthouse.domain.model import AccessKey, Scope
from weighthouse.domain.ports import Clock, SecretCipher
from weighthouse.domain.tokens import (
    check_expiry,
    check_label,
    check_narrower,
    check_restrictions,
    split_entry,
)

KEY_ID_PREFIX = "WH"
KEY_ID_LENGTH = 20
SECRET_LENGTH = 40
KEY_ID_MAX = 128
_KEY_ID_ALPHABET = string.ascii_uppercase + string.digits
_SECRET_ALPHABET = string.ascii_letters + string.digits


@dataclass(frozen=True)
class IssuedAccessKey:
    """An access key as created: the only moment its secret is known in the clear."""

    key: AccessKey
    secret: str = field(repr=False)


def new_key_id() -> str:
    """``WH`` and 18 random upper-case letters and digits: about 93 bits, never guessed."""
    body = "".join(secrets.choice(_KEY_ID_ALPHABET) for _ in range(KEY_ID_LENGTH - 2))
    return KEY_ID_PREFIX + body


def new_secret() -> str:
    """40 random letters and digits: about 238 bits."""
    return "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(SECRET_LENGTH))


def is_key_id(text: str) -> bool:
    """Whether ``text`` could be an access key id (upper-case letters and digits). Ids made
    elsewhere (AWS's own test keys, say) are 16 to 128 characters, so the check is loose."""
    return 0 < len(text) <= KEY_ID_MAX and text.isascii() and text.isalnum() and text.isupper()


def context(key_id: str) -> bytes:
    """What a sealed secret is bound to: the id of its access key."""
    return f"access-key:{key_id}".encode("ascii")


class AccessKeyIssuerCatalog(UserCatalog, AccessKeyCatalog, UnitOfWork, Protocol):
    """What :class:`AccessKeys` uses: users and their access keys, stored in units with audit
    rows."""


class AccessKeys:
    def __init__(
        self,
        catalog: AccessKeyIssuerCatalog,
        clock: Clock,
        *,
        cipher: SecretCipher,
        audit: Audit,
    ) -> None:
        self._catalog = catalog
        self._clock = clock
        self._cipher = cipher
        self._audit = audit

    def create(
        self,
        principal: Principal,
        name: str,
        scope: Scope = Scope.READ,
        *,
        for_user: str | None = None,
        expires_at: datetime | None = None,
        buckets: tuple[str, ...] | list[str] = (),
    ) -> IssuedAccessKey:
        """A new access key for the caller (or, for admins, for ``for_user``).

        Raises ``InvalidInputError`` for an ``admin`` scope (access keys never carry a site
        admin's powers), a bad name, expiry or restriction, and ``PermissionDeniedError`` when
        the key would be broader than the credential making it.
        """
        caller = require_user(principal)
        target = caller
        if for_user is not None and for_user != caller.name:
            require_admin(principal)
            target = self._catalog.get_user(for_user)
        if scope is Scope.ADMIN:
            raise InvalidInputError("an access key's scope is read or write")
        check_label(name, what="access key")
        check_expiry(expires_at, self._clock())
        restrictions = check_restrictions(buckets, what="access key")
        check_narrower(principal, scope, restrictions, what="access key")
        key_id, secret = new_key_id(), new_secret()
        key = AccessKey(
            id=key_id,
            user_id=target.id,
            name=name,
            scope=scope,
            sealed_secret=self._cipher.seal(secret.encode("ascii"), context=context(key_id)),
            created_at=self._clock(),
            expires_at=expires_at,
            buckets=restrictions,
        )

        def store() -> None:
            self._catalog.add_access_key(key)
            self._audit.record(
                "access_key.create",
                actor=caller.name,
                target=target.name,
                detail={"access_key": key_id, "scope": scope.value},
            )

        self._catalog.run_atomic(store)
        return IssuedAccessKey(key=key, secret=secret)

    def list(self, principal: Principal, *, for_user: str | None = None) -> list[AccessKey]:
        """The caller's access keys (admins: ``for_user``'s), oldest first; never a secret."""
        user = require_user(principal)
        if for_user is not None and for_user != user.name:
            require_admin(principal)
            user = self._catalog.get_user(for_user)
        return self._catalog.list_access_keys(user.id)

    def revoke(self, principal: Principal, key_id: str) -> None:
        """Revoke at once; idempotent. Someone else's key is ``AccessKeyNotFoundError`` (unless
        the caller is a site admin), so key ids cannot be probed. A restricted credential may
        revoke only keys within its own restrictions."""
        user = require_user(principal)
        missing = AccessKeyNotFoundError(
            f"no access key {key_id[:KEY_ID_MAX]!r}", access_key=key_id[:KEY_ID_MAX]
        )
        if not is_key_id(key_id):
            raise missing
        try:
            key = self._catalog.get_access_key(key_id)
        except AccessKeyNotFoundError:
            raise missing from None
        if key.user_id != user.id and not principal.is_admin:
            raise missing
        if principal.scope is Scope.READ:
            raise PermissionDeniedError("this credential is read-only", scope="read")
        if principal.restrict_to and not (
            key.buckets and all(principal.reaches(*split_entry(b)) for b in key.buckets)
        ):
            raise PermissionDeniedError("a restricted token can only revoke narrower keys")

        def store() -> None:
            self._catalog.revoke_access_key(key_id, self._clock())
            self._audit.record(
                "access_key.revoke", actor=user.name, target=key_id, detail={"owner": key.user_id}
            )

        self._catalog.run_atomic(store)
