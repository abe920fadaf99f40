"""Secrets the server must read back, sealed with AES-256-GCM under keys kept in a file.

A sealed value reads ``v1.<kid>.<base64url(nonce)>.<base64url(ciphertext and tag)>``. The
key ring (:mod:`.keyring`) lives beside the session keys, in ``<data_dir>/secrets/`` (0700,
the file 0600), never in the catalog: a copy of the database alone reveals no secret. The
newest key seals; every key in the ring opens, so rotating does not lose a secret, and the
additional data binds each value to its key id and to the caller's context (the access key
id), so a sealed value copied to another row does not open.

``cryptography`` is imported by the calls that use it: it adds 8 MB to a server process, which
a server that never seals or opens a secret (no S3 access key, no encrypted object) need not
carry.
"""

from __future__ import annotations

import os
from pathlib import Path

from weighthouse.domain.errors import AuthenticationError
from weighthouse.security.keyring import KeyInfo, KeyRing, b64decode, b64encode

VERSION = "v1"
NONCE_BYTES = 12
MAX_SEALED = 4096


class AesGcmSecretCipher:
    """Implements ``SecretCipher``. Thread-safe; processes sharing ``key_file`` agree."""

    def __init__(self, key_file: Path) -> None:
        self._ring = KeyRing(Path(key_file), what="secret key file")

    @classmethod
    def ephemeral(cls) -> AesGcmSecretCipher:
        """A cipher whose keys live in memory only, for tests: restarting loses every secret."""
        cipher = cls(Path())
        cipher._ring = KeyRing(None)
        return cipher

    def __repr__(self) -> str:
        where = "memory" if self._ring.file is None else str(self._ring.file)
        return f"{type(self).__name__}({where})"

    def seal(self, plaintext: bytes, *, context: bytes) -> str:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # on use (module docstring)

        key = self._ring.current()
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(key.secret).encrypt(nonce, plaintext, _aad(key.id, context))
        return f"{VERSION}.{key.id}.{b64encode(nonce)}.{b64encode(sealed)}"

    def open(self, sealed: str, *, context: bytes) -> bytes:
        parts = sealed.split(".") if isinstance(sealed, str) and len(sealed) <= MAX_SEALED else []
        if len(parts) != 4 or parts[0] != VERSION:
            raise AuthenticationError("malformed sealed secret")
        _, kid, nonce_text, body = parts
        key = self._ring.find(kid)
        if key is None:
            raise AuthenticationError("the secret was sealed with a key this server no longer has")
        from cryptography.exceptions import InvalidTag  # on use (module docstring)
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        try:
            nonce, data = b64decode(nonce_text), b64decode(body)
            if len(nonce) != NONCE_BYTES:
                raise ValueError("nonce length")
            return AESGCM(key.secret).decrypt(nonce, data, _aad(kid, context))
        except (ValueError, InvalidTag):
            raise AuthenticationError("the sealed secret does not open") from None

    # --- administration ------------------------------------------------------------------
    def rotate(self) -> str:
        """Add a new key that seals from now on; older keys still open. Returns its id."""
        return self._ring.rotate()

    def retire(self, kid: str) -> None:
        """Remove key ``kid``: what it sealed no longer opens. Raises ``KeyError`` for an
        unknown id and ``ValueError`` for the last key."""
        self._ring.retire(kid)

    def keys(self) -> list[KeyInfo]:
        """The ring, oldest first; the last one seals."""
        return self._ring.info()


def _aad(kid: str, context: bytes) -> bytes:
    return b"weighthouse sealed secret\0" + kid.encode("ascii") + b"\0" + context
