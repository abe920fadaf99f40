"""The body of a multipart completion answered before it ended: what botocore makes of it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from botocore.handlers import _looks_like_special_case_error
from botocore.parsers import RestXMLParser
from starlette.requests import Request

from weighthouse.domain.errors import PreconditionFailedError
from weighthouse.frontends.s3 import multipart
from weighthouse.frontends.s3.context import S3Call
from weighthouse.frontends.s3.credentials import RequestParts
from weighthouse.frontends.s3.errors import S3Error


def _call() -> S3Call:
    scope = {"type": "http", "method": "POST", "headers": [], "path": "/b/k", "query_string": b""}
    parts = RequestParts(method="POST", raw_path="/b/k", query=[], headers={})
    return S3Call(
        request=Request(scope),
        hub=None,  # type: ignore[arg-type]
        principal=None,  # type: ignore[arg-type]
        parts=parts,
        bucket="alice--b",
        key="k",
        payload_hash=None,
        limiter=None,  # type: ignore[arg-type]
        request_id="ABC123",
    )


async def _body(failure: BaseException, interval: float) -> bytes:
    """The body when ``failure`` ends the work after at least one interval went by."""
    work: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    body = multipart._kept_alive(_call(), "k", work, interval)
    # The declaration, then a space: the work is still going when the interval ends.
    pieces = [await anext(body), await anext(body)]
    work.set_exception(failure)
    pieces += [piece async for piece in body]
    return b"".join(pieces)


@pytest.mark.parametrize(
    ("failure", "code"),
    [
        (S3Error(400, "InvalidPart", "part 2 differs"), "InvalidPart"),
        (PreconditionFailedError("'k' already exists"), "PreconditionFailed"),
        (RuntimeError("disk on fire"), "InternalError"),
    ],
)
def test_an_error_after_the_200_reaches_botocore_as_that_error(
    failure: BaseException, code: str
) -> None:
    body = asyncio.run(_body(failure, 0.01))
    declaration, _, rest = body.partition(b"?>\n")
    assert declaration == b'<?xml version="1.0" encoding="UTF-8"'
    assert rest.startswith(b" ") and rest.lstrip().startswith(b"<Error>")
    # botocore turns such a 200 into an error, and reads the code from the document.
    assert _looks_like_special_case_error(200, body)
    parsed = RestXMLParser().parse({"body": body, "headers": {}, "status_code": 500}, None)
    assert parsed["Error"]["Code"] == code
    assert b"<RequestId>ABC123</RequestId>" in body
    assert b"disk on fire" not in body
