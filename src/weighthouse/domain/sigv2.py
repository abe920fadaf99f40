"""AWS Signature Version 2, in a presigned URL or an ``Authorization: AWS`` header: the base64
HMAC-SHA1 of the string to sign under the secret access key. Building the string to sign from a
request is the S3 front-end's job::

    <method>
    <Content-MD5>
    <Content-Type>
    <Expires of a presigned URL; the Date header of a signed one, empty with X-Amz-Date>
    <x-amz-* headers, one "name:value" a line><canonical resource>
"""

from __future__ import annotations

import base64
import hashlib
import hmac


def signature(secret: str, string_to_sign: str) -> str:
    """The signature of ``string_to_sign``, encoded as UTF-8; surrogate escapes in it stand
    for the raw bytes a request carried that were not UTF-8."""
    text = string_to_sign.encode("utf-8", "surrogateescape")
    digest = hmac.new(secret.encode("utf-8"), text, hashlib.sha1)
    return base64.b64encode(digest.digest()).decode("ascii")
