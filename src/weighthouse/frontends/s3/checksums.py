"""The additional checksums S3 clients send (``x-amz-checksum-<algorithm>``), computed while
the body streams: CRC32, CRC32C, CRC64NVME (through ``awscrt``, the library botocore uses),
SHA-1 and SHA-256. Values travel as base64 of the big-endian digest.

``awscrt`` is imported on the first CRC32C or CRC64NVME: it adds some 8 MiB to a process, and
most server processes never see an S3 upload that asks for one."""

from __future__ import annotations

import base64
import functools
import hashlib
import zlib
from collections.abc import Callable, Iterable, Iterator
from types import ModuleType
from typing import Protocol

from weighthouse.frontends.s3.errors import S3Error

HEADER_PREFIX = "x-amz-checksum-"
ALGORITHMS = ("crc32", "crc32c", "crc64nvme", "sha1", "sha256")
# What S3 computes and stores for a body sent with no checksum (since 2025): a full-object
# CRC64NVME, which a later GET in checksum mode returns and the client checks.
DEFAULT_ALGORITHM = "crc64nvme"


@functools.cache
def crt() -> ModuleType:
    """``awscrt.checksums``: the CRCs SHA and zlib do not have, and their combination."""
    from awscrt import checksums

    module: ModuleType = checksums
    return module


class _Running(Protocol):
    def update(self, data: bytes) -> None: ...
    def digest(self) -> bytes: ...


class _Crc:
    def __init__(self, step: Callable[[bytes, int], int], width: int) -> None:
        self._step = step
        self._width = width
        self._value = 0

    def update(self, data: bytes) -> None:
        self._value = self._step(data, self._value)

    def digest(self) -> bytes:
        return self._value.to_bytes(self._width, "big")


def running(algorithm: str) -> _Running:
    """A fresh running checksum; ``InvalidRequest`` (400) for an algorithm S3 does not have."""
    if algorithm == "crc32":
        return _Crc(lambda data, value: zlib.crc32(data, value), 4)
    if algorithm == "crc32c":
        return _Crc(crt().crc32c, 4)
    if algorithm == "crc64nvme":
        return _Crc(crt().crc64nvme, 8)
    if algorithm in ("sha1", "sha256"):
        return hashlib.new(algorithm)
    raise S3Error(400, "InvalidRequest", f"unknown checksum algorithm {algorithm[:40]!r}")


def check_value(algorithm: str, value: str) -> str:
    """``value`` if it is base64 of a digest of the right size, else ``InvalidRequest``."""
    size = {"crc32": 4, "crc32c": 4, "crc64nvme": 8, "sha1": 20, "sha256": 32}.get(algorithm)
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except ValueError:
        raw = b""
    if size is None or len(raw) != size:
        raise S3Error(400, "InvalidRequest", f"x-amz-checksum-{algorithm[:40]} is malformed")
    return value.strip()


class ChecksumCheck:
    """Checks one declared checksum over the bytes passing through :meth:`wrap`; the expected
    value may arrive only at the end (a trailer), through :meth:`expect`. A ``computed`` one
    expects nothing: it only computes the value (S3's default checksum of a body sent with
    none)."""

    def __init__(
        self, algorithm: str, expected: str | None = None, *, computed: bool = False
    ) -> None:
        self.algorithm = algorithm
        self._sum = running(algorithm)
        self._expected = check_value(algorithm, expected) if expected is not None else None
        self.value: str | None = None
        self.expected_in_trailer = False
        self.computed = computed

    def expect(self, expected: str) -> None:
        self._expected = check_value(self.algorithm, expected)

    def wrap(
        self, chunks: Iterable[bytes], finished: Callable[[], None] | None = None
    ) -> Iterator[bytes]:
        """Pass ``chunks`` on; after the last one (and ``finished``, which may set the expected
        value), raise ``BadDigest`` (400) if the checksum differs. The error interrupts the
        consumer, so nothing with a wrong checksum is stored."""
        for chunk in chunks:
            self._sum.update(chunk)
            yield chunk
        if finished is not None:
            finished()
        self.value = base64.b64encode(self._sum.digest()).decode("ascii")
        if self.computed:
            return
        if self._expected is None:
            raise S3Error(400, "InvalidRequest", f"no x-amz-checksum-{self.algorithm} was sent")
        if self._expected != self.value:
            raise S3Error(
                400,
                "BadDigest",
                f"The {self.algorithm.upper()} you specified did not match the checksum we "
                "calculated.",
            )


class HeaderSource(Protocol):
    def header(self, name: str) -> str | None: ...


def check_digests(call: HeaderSource, body: bytes) -> None:
    """Raise ``BadDigest``/``InvalidDigest`` when a declared digest does not match ``body``."""
    md5 = call.header("content-md5")
    if md5 is not None:
        try:
            declared = base64.b64decode(md5.strip(), validate=True)
        except ValueError:
            declared = b""
        if len(declared) != 16:
            raise S3Error(400, "InvalidDigest", "The Content-MD5 you specified was invalid.")
        if declared != hashlib.md5(body, usedforsecurity=False).digest():
            raise S3Error(400, "BadDigest", "The Content-MD5 you specified did not match.")
    for algorithm in ALGORITHMS:
        value = call.header(HEADER_PREFIX + algorithm)
        if value is not None:
            for _ in ChecksumCheck(algorithm, value).wrap([body]):
                pass
