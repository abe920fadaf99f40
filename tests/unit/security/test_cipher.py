"""Sealed secrets: round trips, every kind of tampering, binding to a context, rotation, and the
key file's place and permissions."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from weighthouse.domain.errors import AuthenticationError
from weighthouse.security.cipher import AesGcmSecretCipher
from weighthouse.security.keyring import KeyRingError

SECRET = b"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
CONTEXT = b"access-key:WHEXAMPLE0000000000"


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    return tmp_path / "secrets" / "secret-keys.json"


@pytest.fixture
def cipher(key_file: Path) -> AesGcmSecretCipher:
    return AesGcmSecretCipher(key_file)


def test_round_trip(cipher: AesGcmSecretCipher) -> None:
    sealed = cipher.seal(SECRET, context=CONTEXT)
    assert cipher.open(sealed, context=CONTEXT) == SECRET
    assert sealed.isascii() and len(sealed) < 255


def test_the_sealed_text_reveals_nothing_and_never_repeats(cipher: AesGcmSecretCipher) -> None:
    first = cipher.seal(SECRET, context=CONTEXT)
    second = cipher.seal(SECRET, context=CONTEXT)
    assert first != second  # a fresh nonce each time
    for sealed in (first, second):
        assert SECRET.decode() not in sealed
        assert SECRET[:8].decode() not in sealed


def test_another_context_does_not_open_it(cipher: AesGcmSecretCipher) -> None:
    """A sealed secret copied into another access key's row is useless there."""
    sealed = cipher.seal(SECRET, context=CONTEXT)
    with pytest.raises(AuthenticationError):
        cipher.open(sealed, context=b"access-key:WHOTHER00000000000000")


def _flip(text: str, index: int) -> str:
    replacement = "A" if text[index] != "A" else "B"
    return text[:index] + replacement + text[index + 1 :]


def test_any_changed_character_is_refused(cipher: AesGcmSecretCipher) -> None:
    sealed = cipher.seal(SECRET, context=CONTEXT)
    refused = 0
    for index in range(len(sealed)):
        if sealed[index] == ".":
            continue
        try:
            opened = cipher.open(_flip(sealed, index), context=CONTEXT)
        except AuthenticationError:
            refused += 1
        else:
            # Only a change to a base64 pad bit could leave the bytes as they were.
            assert opened == SECRET
    assert refused >= len(sealed) - 8


@pytest.mark.parametrize(
    "sealed", ["", "v1", "v1...", "v2.a.b.c", "v1.nokey.AAAA.AAAA", "v1.\ud800.x.y", "x" * 5000]
)
def test_garbage_is_an_authentication_error(cipher: AesGcmSecretCipher, sealed: str) -> None:
    cipher.seal(SECRET, context=CONTEXT)
    with pytest.raises(AuthenticationError):
        cipher.open(sealed, context=CONTEXT)


def test_rotation_keeps_old_secrets_and_retiring_their_key_loses_them(
    cipher: AesGcmSecretCipher,
) -> None:
    old = cipher.seal(SECRET, context=CONTEXT)
    old_kid = cipher.keys()[-1].id
    new_kid = cipher.rotate()
    new = cipher.seal(SECRET, context=CONTEXT)
    assert new.split(".")[1] == new_kid != old_kid
    assert cipher.open(old, context=CONTEXT) == SECRET
    cipher.retire(old_kid)
    with pytest.raises(AuthenticationError):
        cipher.open(old, context=CONTEXT)
    assert cipher.open(new, context=CONTEXT) == SECRET


def test_key_file_is_private_and_outside_the_catalog(
    cipher: AesGcmSecretCipher, key_file: Path
) -> None:
    sealed = cipher.seal(SECRET, context=CONTEXT)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_file.parent.stat().st_mode) == 0o700
    # Another process (a second worker, a restart) opens what this one sealed.
    assert AesGcmSecretCipher(key_file).open(sealed, context=CONTEXT) == SECRET
    document = json.loads(key_file.read_text())
    assert [k["id"] for k in document["keys"]] == [sealed.split(".")[1]]


def test_keys_never_appear_in_reprs(cipher: AesGcmSecretCipher, key_file: Path) -> None:
    cipher.seal(SECRET, context=CONTEXT)
    on_disk = [k["secret"] for k in json.loads(key_file.read_text())["keys"]]
    shown = repr(cipher) + repr(cipher.keys())
    assert not any(secret in shown for secret in on_disk)


def test_corrupt_key_file_is_an_operator_error(key_file: Path) -> None:
    key_file.parent.mkdir(mode=0o700)
    key_file.write_bytes(b'{"format": 1, "keys": []}')
    with pytest.raises(KeyRingError):
        AesGcmSecretCipher(key_file).seal(SECRET, context=CONTEXT)


_EPHEMERAL = AesGcmSecretCipher.ephemeral()


@given(st.binary(max_size=200), st.binary(max_size=50))
def test_any_plaintext_round_trips(plaintext: bytes, context: bytes) -> None:
    assert (
        _EPHEMERAL.open(_EPHEMERAL.seal(plaintext, context=context), context=context) == plaintext
    )


@given(st.text(max_size=300))
def test_random_text_only_ever_fails_authentication(text: str) -> None:
    with pytest.raises(AuthenticationError):
        _EPHEMERAL.open(text, context=CONTEXT)
