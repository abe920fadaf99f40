"""Session tokens: round trips, every kind of forgery, rotation and retirement, and the key file
on disk."""

from __future__ import annotations

import base64
import json
import multiprocessing
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from weighthouse.domain.errors import AuthenticationError
from weighthouse.security.sessions import HmacSessionSigner, KeyRingError

pytestmark = pytest.mark.unit

CLAIMS: dict[str, str | int] = {"sub": "alice", "sid": "s-123", "exp": 1_900_000_000}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    return tmp_path / "secrets" / "session-keys.json"


@pytest.fixture
def signer(key_file: Path) -> HmacSessionSigner:
    return HmacSessionSigner(key_file)


def test_round_trip(signer: HmacSessionSigner) -> None:
    token = signer.sign(CLAIMS)
    assert signer.verify(token) == CLAIMS


def test_token_shape(signer: HmacSessionSigner) -> None:
    token = signer.sign(CLAIMS)
    prefix, kid, body, signature = token.split(".")
    assert prefix == "whs"
    assert kid == signer.keys()[-1].id
    assert json.loads(base64.urlsafe_b64decode(body + "==")) == CLAIMS
    assert len(signature) == 43
    assert all(c.isalnum() or c in "._-" for c in token)  # URL-safe, unpadded


def test_ephemeral_round_trip_and_isolation() -> None:
    one, two = HmacSessionSigner.ephemeral(), HmacSessionSigner.ephemeral()
    assert one.verify(one.sign(CLAIMS)) == CLAIMS
    with pytest.raises(AuthenticationError):
        two.verify(one.sign(CLAIMS))
    assert "memory" in repr(one)


def test_tampered_payload(signer: HmacSessionSigner) -> None:
    prefix, kid, _, signature = signer.sign(CLAIMS).split(".")
    forged = _b64(json.dumps({**CLAIMS, "sub": "admin"}).encode())
    with pytest.raises(AuthenticationError):
        signer.verify(f"{prefix}.{kid}.{forged}.{signature}")


def test_tampered_signature(signer: HmacSessionSigner) -> None:
    token = signer.sign(CLAIMS)
    flipped = "A" if token[-2] != "A" else "B"
    with pytest.raises(AuthenticationError):
        signer.verify(token[:-2] + flipped + token[-1])


def test_non_canonical_signature_spelling_is_refused(signer: HmacSessionSigner) -> None:
    token = signer.sign(CLAIMS)
    # The last character of 43 base64 digits carries 2 unused bits; other values decode the same.
    last = token[-1]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    twin = alphabet[alphabet.index(last) ^ 1]
    with pytest.raises(AuthenticationError):
        signer.verify(token[:-1] + twin)


def test_tampered_or_unknown_kid(signer: HmacSessionSigner) -> None:
    old = signer.sign(CLAIMS)
    new_kid = signer.rotate()
    _, old_kid, body, signature = old.split(".")
    with pytest.raises(AuthenticationError):  # a real kid, but the wrong key for the signature
        signer.verify(f"whs.{new_kid}.{body}.{signature}")
    with pytest.raises(AuthenticationError, match="unknown key"):
        signer.verify(f"whs.deadbeef.{body}.{signature}")
    assert signer.verify(f"whs.{old_kid}.{body}.{signature}") == CLAIMS


def test_other_signer_is_rejected(signer: HmacSessionSigner, tmp_path: Path) -> None:
    other = HmacSessionSigner(tmp_path / "other" / "keys.json")
    with pytest.raises(AuthenticationError):
        signer.verify(other.sign(CLAIMS))


def test_rotation_keeps_old_tokens_and_signs_with_the_new_key(
    signer: HmacSessionSigner,
) -> None:
    old_token = signer.sign(CLAIMS)
    old_kid = signer.keys()[-1].id
    new_kid = signer.rotate()
    assert new_kid != old_kid
    assert signer.verify(old_token) == CLAIMS
    new_token = signer.sign(CLAIMS)
    assert new_token.split(".")[1] == new_kid
    ring = signer.keys()
    assert [(k.id, k.signing) for k in ring] == [(old_kid, False), (new_kid, True)]
    assert ring[0].created_at <= ring[1].created_at


def test_retire_invalidates_that_key_only(signer: HmacSessionSigner) -> None:
    old_token = signer.sign(CLAIMS)
    old_kid = signer.keys()[-1].id
    signer.rotate()
    new_token = signer.sign(CLAIMS)
    signer.retire(old_kid)
    with pytest.raises(AuthenticationError):
        signer.verify(old_token)
    assert signer.verify(new_token) == CLAIMS
    ring = signer.keys()
    assert [k.id for k in ring] == [new_token.split(".")[1]]


def test_retiring_the_signing_key_falls_back_to_the_previous(signer: HmacSessionSigner) -> None:
    first = signer.keys()[-1].id
    second = signer.rotate()
    signer.retire(second)
    assert signer.sign(CLAIMS).split(".")[1] == first


def test_retire_refuses_unknown_and_last_key(signer: HmacSessionSigner) -> None:
    with pytest.raises(KeyError):
        signer.retire("nope")
    with pytest.raises(ValueError):
        signer.retire(signer.keys()[-1].id)
    ephemeral = HmacSessionSigner.ephemeral()
    with pytest.raises(ValueError):
        ephemeral.retire(ephemeral.keys()[0].id)


def test_ephemeral_rotation_and_retirement() -> None:
    signer = HmacSessionSigner.ephemeral()
    old = signer.sign(CLAIMS)
    old_kid = signer.keys()[0].id
    signer.rotate()
    assert signer.verify(old) == CLAIMS
    signer.retire(old_kid)
    with pytest.raises(AuthenticationError):
        signer.verify(old)


def test_key_file_is_private_and_created_on_first_use(
    signer: HmacSessionSigner, key_file: Path
) -> None:
    assert not key_file.parent.exists()
    signer.sign(CLAIMS)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_file.parent.stat().st_mode) == 0o700
    signer.rotate()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    leftovers = [p.name for p in key_file.parent.iterdir()]
    assert sorted(leftovers) == ["session-keys.json", "session-keys.json.lock"]


def test_key_file_survives_reopen(signer: HmacSessionSigner, key_file: Path) -> None:
    old = signer.sign(CLAIMS)
    signer.rotate()
    new = signer.sign(CLAIMS)
    reopened = HmacSessionSigner(key_file)
    assert reopened.verify(old) == CLAIMS
    assert reopened.verify(new) == CLAIMS
    assert reopened.keys() == signer.keys()


def test_another_instance_sees_rotation_and_retirement(
    signer: HmacSessionSigner, key_file: Path
) -> None:
    other = HmacSessionSigner(key_file)
    old = other.sign(CLAIMS)
    old_kid = other.keys()[-1].id
    signer.rotate()
    assert other.verify(signer.sign(CLAIMS)) == CLAIMS  # a key it had not read yet
    signer.retire(old_kid)
    with pytest.raises(AuthenticationError):
        other.verify(old)


def _first_kid(key_file: str) -> str:
    return HmacSessionSigner(Path(key_file)).keys()[-1].id


def test_workers_starting_together_agree_on_one_key(key_file: Path) -> None:
    context = multiprocessing.get_context("spawn")
    with context.Pool(4) as pool:
        kids = pool.map(_first_kid, [str(key_file)] * 8)
    assert len(set(kids)) == 1


def test_concurrent_rotations_lose_no_key(signer: HmacSessionSigner, key_file: Path) -> None:
    others = [HmacSessionSigner(key_file) for _ in range(4)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        new = list(pool.map(lambda s: s.rotate(), others * 3))
    ring = signer.keys()
    assert {k.id for k in ring} >= set(new)
    assert len(ring) == 13


def test_keys_never_appear_in_reprs(signer: HmacSessionSigner, key_file: Path) -> None:
    signer.sign(CLAIMS)
    secrets_on_disk = [k["secret"] for k in json.loads(key_file.read_text())["keys"]]
    shown = repr(signer) + repr(signer.keys()) + repr(signer._keys)
    assert not any(secret in shown for secret in secrets_on_disk)


def test_deleted_key_file_signs_everyone_out(signer: HmacSessionSigner, key_file: Path) -> None:
    token = signer.sign(CLAIMS)
    key_file.unlink()
    with pytest.raises(AuthenticationError):
        signer.verify(token)
    assert signer.verify(signer.sign(CLAIMS)) == CLAIMS


@pytest.mark.parametrize(
    "content", [b"", b"{", b"[]", b'{"format": 1, "keys": []}', b'{"format": 2, "keys": [{}]}']
)
def test_corrupt_key_file_is_an_operator_error(key_file: Path, content: bytes) -> None:
    key_file.parent.mkdir(mode=0o700)
    key_file.write_bytes(content)
    with pytest.raises(KeyRingError):
        HmacSessionSigner(key_file).sign(CLAIMS)


@pytest.mark.parametrize(
    "claims",
    [{"admin": True}, {"n": 1.5}, {"list": [1]}, {"nested": {"a": 1}}, {1: "x"}],
)
def test_sign_refuses_other_claim_types(signer: HmacSessionSigner, claims: dict) -> None:  # type: ignore[type-arg]
    with pytest.raises(ValueError):
        signer.sign(claims)


def test_sign_refuses_oversized_claims(signer: HmacSessionSigner) -> None:
    with pytest.raises(ValueError):
        signer.sign({"blob": "x" * 4000})


def test_rejects_overlong_tokens(signer: HmacSessionSigner) -> None:
    token = signer.sign({"blob": "x" * 2900})
    assert len(token) <= 4096
    assert signer.verify(token)["blob"] == "x" * 2900
    with pytest.raises(AuthenticationError):
        signer.verify(token + "A" * 4096)


def _signed_by(signer: HmacSessionSigner, body: str) -> str:
    """A correctly signed token with an arbitrary body, as if the key had leaked."""
    from weighthouse.security.sessions import _mac

    key = signer._keys[-1]
    signed = f"whs.{key.id}.{body}"
    return f"{signed}.{_b64(_mac(key, signed))}"


@pytest.mark.parametrize(
    "payload", [b"[1, 2]", b'"text"', b"\xff\xfe", b'{"a": NaN}', b'{"a": true}', b"not json"]
)
def test_signed_but_malformed_claims_are_refused(payload: bytes) -> None:
    signer = HmacSessionSigner.ephemeral()
    signer.sign(CLAIMS)
    with pytest.raises(AuthenticationError):
        signer.verify(_signed_by(signer, _b64(payload)))


GARBAGE = [
    "",
    "whs",
    "whs...",
    "whs.a.b.c",
    "whs.a.b.c.d",
    "Bearer whs.x.y.z",
    "whs.deadbeef.e30.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    "whs.é.é.é",
    "whs.\ud800.\ud800.\ud800",
]


@pytest.mark.parametrize("token", GARBAGE)
def test_garbage_is_an_authentication_error(signer: HmacSessionSigner, token: str) -> None:
    with pytest.raises(AuthenticationError):
        signer.verify(token)


def test_non_string_is_an_authentication_error(signer: HmacSessionSigner) -> None:
    with pytest.raises(AuthenticationError):
        signer.verify(None)  # type: ignore[arg-type]


_EPHEMERAL = HmacSessionSigner.ephemeral()
_KID = _EPHEMERAL.keys()[-1].id
_B64_TEXT = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/.", max_size=60
)


@given(st.text(max_size=200))
def test_random_text_only_ever_fails_authentication(token: str) -> None:
    with pytest.raises(AuthenticationError):
        _EPHEMERAL.verify(token)


@given(body=_B64_TEXT, signature=_B64_TEXT | st.text(max_size=50))
def test_random_tokens_with_a_known_kid_fail_authentication(body: str, signature: str) -> None:
    with pytest.raises(AuthenticationError):
        _EPHEMERAL.verify(f"whs.{_KID}.{body}.{signature}")


@given(st.binary(max_size=200))
def test_any_signed_body_verifies_or_fails_authentication(payload: bytes) -> None:
    token = _signed_by(_EPHEMERAL, _b64(payload))
    try:
        claims = _EPHEMERAL.verify(token)
    except AuthenticationError:
        return
    assert all(isinstance(v, str | int) and not isinstance(v, bool) for v in claims.values())
