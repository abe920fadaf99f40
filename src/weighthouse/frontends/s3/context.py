"""One S3 request as the operations see it: who asks, which bucket and key, the raw parts a
signature covers, and the use cases to call."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

import anyio.to_thread
from starlette.requests import Request

from weighthouse.bootstrap import Container
from weighthouse.domain.access import Principal
from weighthouse.domain.credentials import ChunkSignatures
from weighthouse.domain.errors import RepoNotFoundError
from weighthouse.frontends.s3.credentials import RequestParts
from weighthouse.frontends.s3.errors import S3Error

T = TypeVar("T")


@dataclass
class S3Call:
    request: Request
    hub: Container
    principal: Principal
    parts: RequestParts
    bucket: str | None  # the S3 bucket name, None for the service
    key: str | None  # the object key, None for a bucket operation
    payload_hash: str | None  # x-amz-content-sha256 as signed; None when anonymous
    limiter: anyio.CapacityLimiter
    chunk_signatures: ChunkSignatures | None = None  # for a body signed chunk by chunk
    request_id: str = ""  # as x-amz-request-id says, for an error sent in a 200 body

    def param(self, name: str) -> str | None:
        return self.parts.param(name)

    def has(self, name: str) -> bool:
        return any(key == name for key, _ in self.parts.query)

    def header(self, name: str) -> str | None:
        return self.request.headers.get(name)

    @property
    def resource(self) -> str:
        if self.bucket is None:
            return "/"
        return f"/{self.bucket}" + (f"/{self.key}" if self.key is not None else "")


async def in_thread(call: Callable[[], T], limiter: anyio.CapacityLimiter | None = None) -> T:
    """Run a blocking use case in a worker thread."""
    return await anyio.to_thread.run_sync(call, limiter=limiter)


@contextlib.contextmanager
def anonymous_write(principal: Principal) -> Iterator[None]:
    """Around an anonymous write the bucket's ACL may allow: one to a bucket the caller cannot
    see is ``AccessDenied``, as S3 answers it, for a bucket that exists or not alike."""
    try:
        yield
    except RepoNotFoundError:
        if principal.user is None:
            raise S3Error(403, "AccessDenied", "Anonymous users cannot write") from None
        raise
