"""A ring of secret keys kept in a file outside the catalog, shared by the server's processes.

The ring is a JSON file readable by its owner only (0600, in a 0700 folder), created with one
key on first use and replaced atomically on every change. The newest key is the current one;
older keys stay until retired, so data made with them still verifies or decrypts. Processes
that share the file notice a change on their next call (one ``stat`` per call), and change it
under an exclusive lock on ``<file>.lock``, so processes that start together agree on one ring.

Used by the session signer (HMAC keys) and the secret cipher (AES-256-GCM keys).
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import re
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

KEY_BYTES = 32
FORMAT = 1

_B64URL = re.compile(r"[A-Za-z0-9_-]+")


class KeyRingError(RuntimeError):
    """The key file cannot be read, parsed or written: an operator's problem, not bad input."""


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """One key of the ring, without its secret."""

    id: str
    created_at: datetime
    signing: bool


@dataclass(frozen=True, slots=True)
class Key:
    id: str
    secret: bytes = field(repr=False)
    created_at: datetime


def b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64decode(text: str) -> bytes:
    """Strict unpadded base64url; raises ``ValueError`` for anything else."""
    if not _B64URL.fullmatch(text):
        raise ValueError("not base64url")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    # Reject the other spellings of the same bytes, so one value has exactly one string form.
    if b64encode(data) != text:
        raise ValueError("not canonical base64url")
    return data


def new_key() -> Key:
    return Key(secrets.token_hex(4), secrets.token_bytes(KEY_BYTES), datetime.now(UTC))


class KeyRing:
    """Thread-safe; processes sharing ``file`` agree. ``what`` names the ring in errors
    ("session key file"), never its contents."""

    def __init__(self, file: Path | None, *, what: str = "key file") -> None:
        self._file = file
        self._what = what
        self._keys: list[Key] = [] if file is not None else [new_key()]
        self._seen: tuple[int, int, int] | None = None  # (device, inode, mtime) of what we read
        self._lock = threading.Lock()

    @property
    def file(self) -> Path | None:
        """``None`` for a ring kept in memory only (tests): restarting loses it."""
        return self._file

    def current(self) -> Key:
        """The newest key: it signs or encrypts."""
        return self.keys()[-1]

    def find(self, kid: str) -> Key | None:
        return next((k for k in self.keys() if k.id == kid), None)

    def keys(self) -> list[Key]:
        """The current keys, oldest first, re-read when another process replaced the file."""
        with self._lock:
            if self._file is None:
                return self._keys
            if self._identity() != self._seen or not self._keys:
                with self._file_lock():
                    self._load_or_create()
            return self._keys

    def info(self) -> list[KeyInfo]:
        ring = self.keys()
        return [KeyInfo(k.id, k.created_at, k is ring[-1]) for k in ring]

    def rotate(self) -> str:
        """Add a new current key and return its id."""
        key = new_key()
        with self._changing() as keys:
            keys.append(key)
        return key.id

    def retire(self, kid: str) -> None:
        """Remove key ``kid``. Raises ``KeyError`` for an unknown id and ``ValueError`` for the
        last key (rotate first)."""
        with self._changing() as keys:
            index = next((i for i, k in enumerate(keys) if k.id == kid), None)
            if index is None:
                raise KeyError(kid)
            if len(keys) == 1:
                raise ValueError("cannot retire the only key; rotate first")
            del keys[index]

    # --- the file --------------------------------------------------------------------------
    def _load_or_create(self) -> None:
        """Read the ring, writing a new one first if there is none; call under the file lock."""
        assert self._file is not None
        if not self._file.exists():
            self._write([new_key()])
        self._read()

    @contextmanager
    def _changing(self) -> Iterator[list[Key]]:
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
            raise KeyRingError(f"cannot read the {self._what} {self._file}: {exc}") from exc
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
            raise KeyRingError(f"cannot lock the {self._what} {self._file}: {exc}") from exc
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
                Key(
                    str(entry["id"]),
                    b64decode(entry["secret"]),
                    datetime.fromisoformat(entry["created_at"]),
                )
                for entry in document["keys"]
            ]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            # The message names the file and the problem's kind, never its contents.
            raise KeyRingError(
                f"cannot read the {self._what} {self._file}: {type(exc).__name__}"
            ) from None
        if document.get("format") != FORMAT or not keys:
            raise KeyRingError(f"the {self._what} {self._file} has no keys of format 1")
        self._keys, self._seen = keys, identity

    def _write(self, keys: list[Key]) -> None:
        assert self._file is not None
        document = {
            "format": FORMAT,
            "keys": [
                {"id": k.id, "secret": b64encode(k.secret), "created_at": k.created_at.isoformat()}
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
            raise KeyRingError(f"cannot write the {self._what} {self._file}: {exc}") from exc


def _fsync_directory(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
