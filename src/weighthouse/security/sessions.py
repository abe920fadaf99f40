"""Session tokens signed with HMAC-SHA256 by a key ring kept in a file.

A token reads ``whs.<kid>.<base64url(JSON claims)>.<base64url(HMAC)>``; the HMAC covers
everything before its own dot, prefix and key id included. The newest key signs and every key
in the ring verifies, so ``rotate()`` signs nobody out and ``retire()`` signs out exactly the
tokens of one key. The ring itself (file, permissions, locking) is :mod:`.keyring`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from pathlib import Path

from weighthouse.domain.errors import AuthenticationError
from weighthouse.security.keyring import Key, KeyInfo, KeyRing, KeyRingError
from weighthouse.security.keyring import b64decode as _b64decode
from weighthouse.security.keyring import b64encode as _b64encode

__all__ = ["HmacSessionSigner", "KeyInfo", "KeyRingError"]

PREFIX = "whs"
MAX_TOKEN_LENGTH = 4096

_B64URL = re.compile(r"[A-Za-z0-9_-]+")
_SIGNATURE_LENGTH = 43  # 32 bytes in unpadded base64url


class HmacSessionSigner:
    """Implements ``SessionSigner``. Thread-safe; processes sharing ``key_file`` agree."""

    def __init__(self, key_file: Path) -> None:
        self._ring = KeyRing(Path(key_file), what="session key file")

    @classmethod
    def ephemeral(cls) -> HmacSessionSigner:
        """A signer whose ring lives in memory only, for tests: restarting signs everyone out."""
        signer = cls(Path())
        signer._ring = KeyRing(None)
        return signer

    def __repr__(self) -> str:
        where = "memory" if self._ring.file is None else str(self._ring.file)
        return f"{type(self).__name__}({where})"

    @property
    def _keys(self) -> list[Key]:
        return self._ring.keys()

    # --- the port ------------------------------------------------------------------------
    def sign(self, claims: Mapping[str, str | int]) -> str:
        """A token carrying ``claims``. Raises ``ValueError`` for a value that is not a string
        or an integer, or claims that make the token longer than 4096 characters."""
        _check_claims(claims)
        key = self._ring.current()
        body = _b64encode(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())
        signed = f"{PREFIX}.{key.id}.{body}"
        token = f"{signed}.{_b64encode(_mac(key, signed))}"
        if len(token) > MAX_TOKEN_LENGTH:
            raise ValueError(f"the claims make a token over {MAX_TOKEN_LENGTH} characters")
        return token

    def verify(self, token: str) -> dict[str, str | int]:
        if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH:
            raise AuthenticationError("malformed session token")
        parts = token.split(".")
        if (
            len(parts) != 4
            or parts[0] != PREFIX
            or not _B64URL.fullmatch(parts[2])
            or len(parts[3]) != _SIGNATURE_LENGTH
        ):
            raise AuthenticationError("malformed session token")
        _, kid, body, signature = parts
        key = self._ring.find(kid)
        if key is None:
            raise AuthenticationError("session token signed with an unknown key")
        try:
            given = _b64decode(signature)
        except ValueError:
            raise AuthenticationError("malformed session token") from None
        if not hmac.compare_digest(given, _mac(key, token[: -len(signature) - 1])):
            raise AuthenticationError("session token signature does not match")
        try:
            claims = json.loads(_b64decode(body))
        except ValueError:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            raise AuthenticationError("malformed session token") from None
        try:
            _check_claims(claims)
        except ValueError:
            raise AuthenticationError("malformed session token") from None
        return dict(claims)

    def rotate(self) -> str:
        return self._ring.rotate()

    # --- administration ------------------------------------------------------------------
    def retire(self, kid: str) -> None:
        """Remove key ``kid``; tokens it signed stop verifying. Raises ``KeyError`` for an
        unknown id and ``ValueError`` for the last key (rotate first)."""
        self._ring.retire(kid)

    def keys(self) -> list[KeyInfo]:
        """The ring, oldest first; the last one signs."""
        return self._ring.info()


def _mac(key: Key, signed: str) -> bytes:
    return hmac.new(key.secret, signed.encode("ascii"), hashlib.sha256).digest()


def _check_claims(claims: object) -> None:
    if not isinstance(claims, Mapping):
        raise ValueError("claims must be a mapping")
    for name, value in claims.items():
        if not isinstance(name, str) or isinstance(value, bool):
            raise ValueError("claim names are strings and values strings or integers")
        if not isinstance(value, str | int):
            raise ValueError("claim names are strings and values strings or integers")
