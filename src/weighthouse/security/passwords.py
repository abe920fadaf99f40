"""Argon2id password hashing with a cap on concurrent hashes.

The defaults are the OWASP minimum (19 MiB, t=2, p=1). One verify with them took a median of
19 ms on the 2-core AMD EPYC development machine (20 runs, argon2-cffi 25.1.0, under a load
average of 3); durability-and-security.md §2.3 measured 38.4 ms on its reference machine, and
argon2-cffi's own defaults (64 MiB, t=3, p=4) cost ten times that. At most ``max_concurrent``
hashes run at once, so a burst of sign-ins queues instead of taking every core; rate limits
belong before the hash, in the caller.
"""

from __future__ import annotations

import secrets
import threading

import argon2
from argon2.exceptions import Argon2Error, InvalidHashError

from weighthouse.domain.errors import InvalidInputError

MAX_PASSWORD_LENGTH = 1024


class Argon2PasswordHasher:
    """Implements ``PasswordHasher`` with argon2id. Thread-safe."""

    def __init__(
        self,
        memory_kib: int = 19456,
        time_cost: int = 2,
        parallelism: int = 1,
        max_concurrent: int = 2,
    ) -> None:
        if time_cost < 1 or parallelism < 1 or max_concurrent < 1:
            raise ValueError("time_cost, parallelism and max_concurrent must be at least 1")
        if memory_kib < 8 * parallelism:
            raise ValueError("argon2 needs at least 8 KiB of memory per lane")
        self._argon2 = argon2.PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_kib,
            parallelism=parallelism,
            type=argon2.Type.ID,
        )
        self._slots = threading.BoundedSemaphore(max_concurrent)
        self._dummy_hash: str | None = None
        self._dummy_lock = threading.Lock()

    def hash(self, password: str) -> str:
        """The encoded hash of ``password``, with a fresh salt.

        Raises ``InvalidInputError`` for an empty password, one over 1024 characters, or one
        that is not valid Unicode text (a lone surrogate).
        """
        if not password:
            raise InvalidInputError("the password is empty")
        if len(password) > MAX_PASSWORD_LENGTH:
            raise InvalidInputError(
                f"the password is longer than {MAX_PASSWORD_LENGTH} characters",
                max_length=MAX_PASSWORD_LENGTH,
            )
        try:
            password.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidInputError("the password is not valid Unicode text") from None
        with self._slots:
            return self._argon2.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        """Whether ``password`` matches; ``False`` for a malformed or non-argon2 hash and for a
        password ``hash`` would refuse. Never raises for either."""
        if not password or len(password) > MAX_PASSWORD_LENGTH:
            return False
        try:
            with self._slots:
                return self._argon2.verify(password_hash, password)
        # ValueError covers InvalidHashError and hashes or passwords that do not encode.
        except (Argon2Error, ValueError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        """``True`` when the hash was made with other parameters than the current ones (weaker
        or stronger: the configured ones win), or cannot be parsed at all."""
        try:
            return self._argon2.check_needs_rehash(password_hash)
        except (InvalidHashError, ValueError):
            return True

    def dummy_verify(self, password: str) -> None:
        """Spend what a real ``verify`` would, for a user who does not exist.

        Call it where the user lookup failed, so unknown and known usernames take the same time
        and timing cannot tell which accounts exist. It never authenticates anyone.
        """
        self.verify(self._dummy(), password)

    def _dummy(self) -> str:
        # Made once, with these parameters, from a password nobody knows.
        with self._dummy_lock:
            if self._dummy_hash is None:
                self._dummy_hash = self.hash(secrets.token_urlsafe(32))
            return self._dummy_hash
