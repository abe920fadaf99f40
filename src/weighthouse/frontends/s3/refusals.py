"""What the S3 port answers a connection that breaks the server's HTTP limits, before any
request reaches :class:`~weighthouse.frontends.s3.app.S3App`: the REST port's refusals as S3
error documents, with the codes S3 itself uses for them."""

from __future__ import annotations

from weighthouse.frontends.http_limits import Refusals, refusal
from weighthouse.frontends.s3.wire import error_document

XML = "application/xml"


def _s3_refusal(status: int, reason: str, code: str, message: str, extra: str = "") -> bytes:
    # No request exists yet, so there is no resource and no request id to name.
    return refusal(status, reason, error_document(code, message, "", "", {}), XML, extra)


S3_REFUSALS = Refusals(
    headers_too_large=_s3_refusal(
        431,
        "Request Header Fields Too Large",
        "RequestHeaderSectionTooLarge",
        "Your request header section exceeds the maximum allowed size.",
    ),
    headers_too_many=_s3_refusal(
        431,
        "Request Header Fields Too Large",
        "RequestHeaderSectionTooLarge",
        "Your request has too many header fields.",
    ),
    request_timeout=_s3_refusal(
        408,
        "Request Timeout",
        "RequestTimeout",
        "Your socket connection to the server was not read from or written to within the "
        "timeout period.",
    ),
    too_many_connections=_s3_refusal(
        503,
        "Service Unavailable",
        "SlowDown",
        "Please reduce your request rate.",
        extra="retry-after: 1\r\n",
    ),
)
