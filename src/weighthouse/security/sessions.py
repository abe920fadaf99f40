"""Session tokens signed with HMAC-SHA256 by a key ring kept in a file.

A token reads ``whs.<kid>.<base64url(JSON claims)>.<base64url(HMAC)>``; the HMAC covers
everything before its own dot, prefix and key id included. The newest key signs and every key
in the ring verifies, so ``rotate()`` signs nobody out and ``retire()`` signs out exactly the
tokens of one key.

The ring is a JSON file readable by its owner only, created on first use and replaced
atomically on every change. Processes that share it notice a change on their next call (one
``stat`` per call), and change it under an exclusive lock on ``<file>.lock``, so workers that
start together agree on one ring.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import hmac
import json
import os
import re
import secrets
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from weighthouse.domain.errors import AuthenticationError

PREFIX = "whs"
MAX_TOKEN_LENGTH = 4096
KEY_BYTES = 32
FORMAT = 1

_B64URL = re.compile(r"[A-Za-z0-9_-]+")
_SIGNATURE_LENGTH = 43  # 32 bytes in unpadded base64url


class KeyRingError(RuntimeError):
    """The key file cannot be read, parsed or written: an operator's problem, not a bad token."""


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """One key of the ring, without its secret."""

    id: str
    created_at: datetime
    signing: bool


@dataclass(frozen=True, slots=True)
class _Key:
    id: str
    secret: bytes = field(repr=False)
    created_at: datetime


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    """Strict unpadded base64url; raises ``ValueError`` for anything else."""
    if not _B64URL.fullmatch(text):
        raise ValueError("not base64url")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    # Reject the other spellings of the same bytes, so one token has exactly one string form.
    if _b64encode(data) != text:
        raise ValueError("not canonical base64url")
    return data


def _new_key() -> _Key:
    return _Key(secrets.token_hex(4), secrets.token_bytes(KEY_BYTES), datetime.now(UTC))


class HmacSessionSigner:
    """Implements ``SessionSigner``. Thread-safe; processes sharing ``key_file`` agree."""

    def __init__(self, key_file: Path) -> None:
        self._file: Path | None = Path(key_file)
        self._keys: list[_Key] = []
        self._seen: tuple[int, int, int] | None = None  # (device, inode, mtime) of what we read
        self._lock = threading.Lock()

    @classmethod
    def ephemeral(cls) -> HmacSessionSigner:
        """A signer whose ring lives in memory only, for tests: restarting signs everyone out."""
        signer = cls(Path())
        signer._file = None
        signer._keys = [_new_key()]
        return signer

    def __repr__(self) -> str:
        where = "memory" if self._file is None else str(self._file)
        return f"{type(self).__name__}({where})"

    # --- the port ------------------------------------------------------------------------
    def sign(self, claims: Mapping[str, str | int]) -> str:
        """A token carrying ``claims``. Raises ``ValueError`` for a value that is not a string
        or an integer, or claims that make the token longer than 4096 characters."""
        _check_claims(claims)
        key = self._ring()[-1]
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
        key = next((k for k in self._ring() if k.id == kid), None)
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
        key = _new_key()
        with self._changing() as keys:
            keys.append(key)
        return key.id

    # --- administration ------------------------------------------------------------------
    def retire(self, kid: str) -> None:
        """Remove key ``kid``; tokens it signed stop verifying. Raises ``KeyError`` for an
        unknown id and ``ValueError`` for the last key (rotate first)."""
        with self._changing() as keys:
            index = next((i for i, k in enumerate(keys) if k.id == kid), None)
            if index is None:
                raise KeyError(kid)
            if len(keys) == 1:
                raise ValueError("cannot retire the only key; rotate first")
            del keys[index]

    def keys(self) -> list[KeyInfo]:
        """The ring, oldest first; the last one signs."""
        ring = self._ring()
        return [KeyInfo(k.id, k.created_at, k is ring[-1]) for k in ring]

    # --- the ring ------------------------------------------------------------------------
    def _ring(self) -> list[_Key]:
        """The current keys, re-read when another process replaced the file."""
        with self._lock:
            if self._file is None:
                return self._keys
            if self._identity() != self._seen or not self._keys:
                with self._file_lock():
                    self._load_or_create()
            return self._keys

    def _load_or_create(self) -> None:
        """Read the ring, writing a new one first if there is none; call under the file lock."""
        assert self._file is not None
        if not self._file.exists():
            self._write([_new_key()])
        self._read()

    @contextmanager
    def _changing(self) -> Iterator[list[_Key]]:
        """Yield a copy of the ring to change; it is stored if the block ends normally."""
        with self._lock:
            if self._file is None:
                keys = list(self._keys)
                yield keys
                self._keys = keys
                return
            with self._file_lock():
                self._load_or_create()
                keys = list(self._keys)
                yield keys
                self._write(keys)
                self._read()

    def _identity(self) -> tuple[int, int, int] | None:
        assert self._file is not None
        try:
            st = self._file.stat()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise KeyRingError(f"cannot read the session key file {self._file}: {exc}") from exc
        return st.st_dev, st.st_ino, st.st_mtime_ns

    @contextmanager
    def _file_lock(self) -> Iterator[None]:
        assert self._file is not None
        directory = self._file.parent
        try:
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(
                directory / f"{self._file.name}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600
            )
        except OSError as exc:
            raise KeyRingError(f"cannot lock the session key file {self._file}: {exc}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def _read(self) -> None:
        assert self._file is not None
        identity = self._identity()
        try:
            document = json.loads(self._file.read_bytes())
            keys = [
                _Key(
                    str(entry["id"]),
                    _b64decode(entry["secret"]),
                    datetime.fromisoformat(entry["created_at"]),
                )
                for entry in document["keys"]
            ]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            # The message names the file and the problem's kind, never its contents.
            raise KeyRingError(
                f"cannot read the session key file {self._file}: {type(exc).__name__}"
            ) from None
        if document.get("format") != FORMAT or not keys:
            raise KeyRingError(f"the session key file {self._file} has no keys of format 1")
        self._keys, self._seen = keys, identity

    def _write(self, keys: list[_Key]) -> None:
        assert self._file is not None
        document = {
            "format": FORMAT,
            "keys": [
                {"id": k.id, "secret": _b64encode(k.secret), "created_at": k.created_at.isoformat()}
                for k in keys
            ],
        }
        data = json.dumps(document, indent=2).encode() + b"\n"
        tmp = self._file.with_name(f".{self._file.name}.{secrets.token_hex(6)}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            tmp.replace(self._file)
            _fsync_directory(self._file.parent)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise KeyRingError(f"cannot write the session key file {self._file}: {exc}") from exc


def _mac(key: _Key, signed: str) -> bytes:
    return hmac.new(key.secret, signed.encode("ascii"), hashlib.sha256).digest()


def _check_claims(claims: object) -> None:
    if not isinstance(claims, Mapping):
        raise ValueError("claims must be a mapping")
    for name, value in claims.items():
        if not isinstance(name, str) or isinstance(value, bool):
            raise ValueError("claim names are strings and values strings or integers")
        if not isinstance(value, str | int):
            raise ValueError("claim names are strings and values strings or integers")


def _fsync_directory(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
