"""AES-256-CTR over objects' bytes: a stream in pieces of any size, and the bytes at any
offset transformed alone, agree with each other and with a reference encryption."""

from __future__ import annotations

import os

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from weighthouse.domain.errors import InvalidInputError
from weighthouse.security.object_cipher import AesCtrObjectCipher

pytestmark = pytest.mark.unit

KEY = bytes(range(32))
IV = bytes.fromhex("00112233445566778899aabbccddeeff")
DATA = os.urandom(5000)


def reference(key: bytes, iv: bytes, data: bytes) -> bytes:
    context = Cipher(algorithms.AES(key), modes.CTR(iv)).encryptor()
    return context.update(data) + context.finalize()


def test_a_stream_in_uneven_pieces_is_counter_mode_from_offset_zero() -> None:
    transform = AesCtrObjectCipher().stream(KEY, IV)
    pieces = [DATA[:1], DATA[1:17], DATA[17:18], DATA[18:4095], DATA[4095:]]
    ciphertext = b"".join(transform(piece) for piece in pieces)
    assert ciphertext == reference(KEY, IV, DATA)
    assert ciphertext != DATA and len(ciphertext) == len(DATA)


@pytest.mark.parametrize("offset", [0, 1, 15, 16, 17, 31, 1000, 4093, 4999])
@pytest.mark.parametrize("length", [1, 2, 15, 16, 33, 1000])
def test_the_bytes_at_any_offset_decrypt_alone(offset: int, length: int) -> None:
    cipher = AesCtrObjectCipher()
    ciphertext = reference(KEY, IV, DATA)
    piece = ciphertext[offset : offset + length]
    assert cipher.at(KEY, IV, offset, piece) == DATA[offset : offset + length]


def test_the_counter_wraps_at_two_to_the_128() -> None:
    top = b"\xff" * 16
    ciphertext = reference(KEY, top, DATA[:100])
    assert AesCtrObjectCipher().at(KEY, top, 37, ciphertext[37:]) == DATA[37:100]


def test_another_key_or_counter_does_not_decrypt() -> None:
    cipher = AesCtrObjectCipher()
    ciphertext = reference(KEY, IV, DATA)
    other = bytes(32)
    assert cipher.at(other, IV, 0, ciphertext) != DATA
    assert cipher.at(KEY, bytes(16), 0, ciphertext) != DATA
    assert cipher.at(KEY, IV, 16, ciphertext[:64]) != DATA[:64]  # the wrong offset


def test_malformed_keys_and_offsets_are_refused() -> None:
    cipher = AesCtrObjectCipher()
    with pytest.raises(InvalidInputError):
        cipher.at(KEY[:16], IV, 0, b"x")
    with pytest.raises(InvalidInputError):
        cipher.stream(KEY, IV[:12])
    with pytest.raises(InvalidInputError):
        cipher.at(KEY, IV, -1, b"x")
    assert cipher.at(KEY, IV, 10, b"") == b""
