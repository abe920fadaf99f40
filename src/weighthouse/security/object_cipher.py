"""AES-256-CTR for objects' bytes at rest (the ``ObjectCipher`` port), with ``cryptography``.

The counter block is the 16-byte initial counter read as a big-endian integer, incremented
once per 16-byte block and wrapping at 2**128, as ``cryptography``'s ``CTR`` mode counts; so
the bytes at any offset are transformed by starting at block ``offset // 16`` and dropping
the first ``offset % 16`` bytes of its key stream.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from weighthouse.domain.errors import InvalidInputError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers import CipherContext

BLOCK = 16
KEY_BYTES = 32
_WRAP = 1 << 128


class AesCtrObjectCipher:
    """Implements ``ObjectCipher``. Stateless and thread-safe."""

    def stream(self, key: bytes, iv: bytes) -> Callable[[bytes], bytes]:
        return _context(key, iv, 0).update

    def at(self, key: bytes, iv: bytes, offset: int, data: bytes) -> bytes:
        if offset < 0:
            raise InvalidInputError("offset must not be negative", offset=offset)
        if not data:
            return b""
        skip = offset % BLOCK
        context = _context(key, iv, offset // BLOCK)
        if skip:
            context.update(bytes(skip))
        return context.update(data)


def _context(key: bytes, iv: bytes, block: int) -> CipherContext:
    if len(key) != KEY_BYTES or len(iv) != BLOCK:
        raise InvalidInputError("an object key is 32 bytes and its counter 16")
    # Imported here: 8 MB of a server process that may never encrypt an object (see
    # weighthouse.security.cipher).
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    counter = (int.from_bytes(iv, "big") + block) % _WRAP
    return Cipher(algorithms.AES(key), modes.CTR(counter.to_bytes(BLOCK, "big"))).encryptor()
