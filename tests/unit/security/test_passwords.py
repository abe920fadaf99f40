"""Argon2id hashing: round trips, refusals that never raise, rehash, the concurrency cap, and
equal timing for unknown users."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import argon2
import pytest

from weighthouse.domain.errors import InvalidInputError
from weighthouse.security.passwords import Argon2PasswordHasher

pytestmark = pytest.mark.unit

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def hasher() -> Argon2PasswordHasher:
    return Argon2PasswordHasher()


@pytest.fixture(scope="module")
def stored(hasher: Argon2PasswordHasher) -> str:
    return hasher.hash(PASSWORD)


def test_hash_is_argon2id_with_owasp_minimum(stored: str) -> None:
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_round_trip(hasher: Argon2PasswordHasher, stored: str) -> None:
    assert hasher.verify(stored, PASSWORD) is True
    assert hasher.needs_rehash(stored) is False


def test_salted(hasher: Argon2PasswordHasher, stored: str) -> None:
    assert hasher.hash(PASSWORD) != stored


def test_wrong_password(hasher: Argon2PasswordHasher, stored: str) -> None:
    assert hasher.verify(stored, PASSWORD + "!") is False
    assert hasher.verify(stored, PASSWORD.upper()) is False


@pytest.mark.parametrize(
    "bad_hash",
    [
        "",
        "not a hash",
        "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",  # bcrypt
        "$argon2id$v=19$m=19456,t=2,p=1$zzz$yyy",
        "$argon2id$v=19$m=0,t=0,p=0$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$argon2id$v=19$m=19456,t=2,p=1$é$é",
        "\ud800",
    ],
)
def test_malformed_hash_is_false_never_raises(hasher: Argon2PasswordHasher, bad_hash: str) -> None:
    assert hasher.verify(bad_hash, PASSWORD) is False
    assert hasher.needs_rehash(bad_hash) is True


@pytest.mark.parametrize("password", ["", "x" * 1025, "\ud800"])
def test_verify_refuses_what_hash_refuses(
    hasher: Argon2PasswordHasher, stored: str, password: str
) -> None:
    assert hasher.verify(stored, password) is False


@pytest.mark.parametrize("password", ["", "x" * 1025, "ab\ud800"])
def test_hash_rejects_empty_long_and_unencodable(
    hasher: Argon2PasswordHasher, password: str
) -> None:
    with pytest.raises(InvalidInputError):
        hasher.hash(password)


def test_longest_and_unicode_passwords(hasher: Argon2PasswordHasher) -> None:
    for password in ["x" * 1024, "pässwörd 密码 🔑", " "]:
        assert hasher.verify(hasher.hash(password), password)


def test_other_argon2_variant_verifies_and_needs_rehash(hasher: Argon2PasswordHasher) -> None:
    legacy = argon2.PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1, type=argon2.Type.I)
    old = legacy.hash(PASSWORD)
    assert hasher.verify(old, PASSWORD) is True
    assert hasher.needs_rehash(old) is True


def test_needs_rehash_for_weaker_and_other_parameters(
    hasher: Argon2PasswordHasher, stored: str
) -> None:
    weaker = Argon2PasswordHasher(memory_kib=1024, time_cost=1)
    weak_hash = weaker.hash(PASSWORD)
    assert hasher.needs_rehash(weak_hash) is True
    assert hasher.verify(weak_hash, PASSWORD) is True  # still verifies, so it can be upgraded
    assert weaker.needs_rehash(stored) is True  # configured parameters win either way


@pytest.mark.parametrize(
    "kwargs",
    [{"time_cost": 0}, {"parallelism": 0}, {"max_concurrent": 0}, {"memory_kib": 7}],
)
def test_rejects_impossible_parameters(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        Argon2PasswordHasher(**kwargs)


class _Gauge:
    """Wraps argon2's hasher, counting how many calls are inside it at once."""

    def __init__(self, inner: argon2.PasswordHasher) -> None:
        self.inner = inner
        self.inside = 0
        self.most = 0
        self.lock = threading.Lock()

    def _measured(self, call: Callable[..., Any], *args: str) -> Any:
        with self.lock:
            self.inside += 1
            self.most = max(self.most, self.inside)
        try:
            time.sleep(0.02)  # widen the window in which calls could overlap
            return call(*args)
        finally:
            with self.lock:
                self.inside -= 1

    def hash(self, password: str) -> str:
        return self._measured(self.inner.hash, password)  # type: ignore[no-any-return]

    def verify(self, password_hash: str, password: str) -> bool:
        return self._measured(self.inner.verify, password_hash, password)  # type: ignore[no-any-return]


@pytest.mark.parametrize("cap", [1, 2])
def test_semaphore_caps_concurrent_hashing(cap: int) -> None:
    hasher = Argon2PasswordHasher(memory_kib=1024, time_cost=1, max_concurrent=cap)
    gauge = _Gauge(hasher._argon2)
    hasher._argon2 = gauge  # type: ignore[assignment]
    stored = hasher.hash(PASSWORD)

    def sign_in(i: int) -> bool:
        if i % 3 == 0:
            hasher.dummy_verify(PASSWORD)
            return False
        return hasher.verify(stored, PASSWORD if i % 2 else "wrong")

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(sign_in, range(24)))

    assert gauge.most == cap
    assert results == [i % 3 != 0 and i % 2 == 1 for i in range(24)]


def test_dummy_verify_costs_what_verify_costs(hasher: Argon2PasswordHasher, stored: str) -> None:
    hasher.dummy_verify("warm-up")  # the dummy hash is made on first use
    known: list[float] = []
    unknown: list[float] = []
    # The cost is CPU time (what the hash burns), not wall time, which other processes on a
    # busy machine stretch at random; interleaved, and the cheapest run of each counts.
    for _ in range(9):
        for samples, call in (
            (known, lambda: hasher.verify(stored, "guess")),
            (unknown, lambda: hasher.dummy_verify("guess")),
        ):
            started = time.process_time()
            call()
            samples.append(time.process_time() - started)
    assert min(known) / 1.5 < min(unknown) < min(known) * 1.5, (known, unknown)


def test_dummy_hash_uses_the_same_parameters_and_is_made_once(
    hasher: Argon2PasswordHasher,
) -> None:
    for password in [PASSWORD, "", "x" * 2000]:
        hasher.dummy_verify(password)
    assert hasher._dummy() is hasher._dummy()
    assert hasher._dummy().startswith("$argon2id$v=19$m=19456,t=2,p=1$")
