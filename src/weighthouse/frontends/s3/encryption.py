"""Server-side encryption on the S3 port: the request headers that ask for it, the response
headers that tell it, and a bucket's default encryption (``?encryption``).

A write may carry ``x-amz-server-side-encryption: AES256`` (SSE-S3) or ``aws:kms`` (with an
optional ``-aws-kms-key-id``), or the three ``x-amz-server-side-encryption-customer-*``
headers of SSE-C; a read of an SSE-C object carries the customer headers again, and a copy
the ``x-amz-copy-source-server-side-encryption-customer-*`` ones for its source. There is no
key management service: ``aws:kms`` is encrypted as ``AES256`` is, under the server's keys,
and the key id is a label answered back (see :mod:`weighthouse.domain.encryption`). Errors
are S3's: ``InvalidArgument`` for a malformed or contradictory request, ``InvalidRequest``
for an SSE-C object read without its key, ``AccessDenied`` for another key.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable

from starlette.responses import Response

from weighthouse.domain.encryption import (
    DEFAULT_ENCRYPTION,
    SSE_KMS,
    SSE_S3,
    CustomerKey,
    EncryptionRequest,
)
from weighthouse.domain.errors import EncryptionParametersError
from weighthouse.domain.model import Encryption
from weighthouse.frontends.s3 import wire, xml_input
from weighthouse.frontends.s3.bucket_names import bucket_id
from weighthouse.frontends.s3.checksums import check_digests
from weighthouse.frontends.s3.context import S3Call, in_thread
from weighthouse.frontends.s3.errors import S3Error

SSE = "x-amz-server-side-encryption"
KMS_KEY_ID = "x-amz-server-side-encryption-aws-kms-key-id"
KMS_CONTEXT = "x-amz-server-side-encryption-context"
BUCKET_KEY = "x-amz-server-side-encryption-bucket-key-enabled"
CUSTOMER = "x-amz-server-side-encryption-customer-"
COPY_CUSTOMER = "x-amz-copy-source-server-side-encryption-customer-"
_ALGORITHMS = (SSE_S3, SSE_KMS)
MAX_DOCUMENT = 64 * 1024


def _invalid(message: str, argument: str | None = None) -> S3Error:
    fields = {} if argument is None else {"ArgumentName": argument}
    return S3Error(400, "InvalidArgument", message, **fields)


Fields = Callable[[str], str | None]
"""A request's header (or a form upload's field) by lower-case name."""


def customer_key(call: S3Call, *, copy_source: bool = False) -> CustomerKey | None:
    """The customer's key the request (or, with ``copy_source``, its copy source) carries."""
    return _customer_key(call.header, copy_source=copy_source)


def _customer_key(get: Fields, *, copy_source: bool = False) -> CustomerKey | None:
    prefix = COPY_CUSTOMER if copy_source else CUSTOMER
    algorithm = get(prefix + "algorithm")
    key = get(prefix + "key")
    md5 = get(prefix + "key-md5")
    if algorithm is None and key is None and md5 is None:
        return None
    try:
        return CustomerKey.parse(algorithm, key, md5)
    except EncryptionParametersError as exc:
        found = exc.fields.get("argument")
        argument = None if found is None else str(found)
        if argument is not None and copy_source:
            argument = argument.replace("x-amz-", "x-amz-copy-source-", 1)
        raise _invalid(exc.message, argument) from None


def write_request(call: S3Call) -> EncryptionRequest | None:
    """The encryption a write (PutObject, CopyObject's destination, CreateMultipartUpload)
    asks for; ``None`` for none (the bucket's default then applies)."""
    return form_request(call.header)


def form_request(get: Fields) -> EncryptionRequest | None:
    """:func:`write_request` of headers or of a form upload's fields."""
    algorithm = get(SSE)
    kms_key_id = get(KMS_KEY_ID)
    customer = _customer_key(get)
    if algorithm is not None:
        algorithm = algorithm.strip()
        if algorithm not in _ALGORITHMS:
            raise _invalid("The encryption method specified is not supported", SSE)
        if customer is not None:
            raise _invalid(
                "Server Side Encryption with Customer provided key is incompatible with the "
                "encryption method specified",
                SSE,
            )
    if kms_key_id is not None and algorithm != SSE_KMS:
        raise _invalid(
            "Server Side Encryption with AWS KMS managed key requires HTTP header "
            "x-amz-server-side-encryption : aws:kms",
            KMS_KEY_ID,
        )
    if customer is not None:
        return EncryptionRequest("SSE-C", customer=customer)
    if algorithm is None:
        return None
    try:
        return EncryptionRequest(algorithm, kms_key_id=(kms_key_id or "").strip())
    except EncryptionParametersError as exc:
        raise _invalid(exc.message, KMS_KEY_ID) from None


def refuse_on_read(call: S3Call) -> None:
    """GET and HEAD take only the customer headers: S3 answers ``InvalidArgument`` for
    ``x-amz-server-side-encryption`` or a KMS key id on a read."""
    if call.header(SSE) is not None or call.header(KMS_KEY_ID) is not None:
        raise _invalid(
            "x-amz-server-side-encryption header is not supported for this operation.", SSE
        )


def response_headers(encryption: Encryption | None) -> dict[str, str]:
    """The headers that tell how an object (or upload) is encrypted, as S3 answers them."""
    if encryption is None:
        return {}
    if encryption.customer:
        return {
            CUSTOMER + "algorithm": "AES256",
            CUSTOMER + "key-MD5": encryption.key_md5,
        }
    headers = {SSE: encryption.kind}
    if encryption.kind == SSE_KMS:
        headers[KMS_KEY_ID] = encryption.kms_key_id
    return headers


# --- ?encryption on a bucket ---------------------------------------------------------------
async def bucket_encryption(call: S3Call) -> Response:
    """GetBucketEncryption, PutBucketEncryption and DeleteBucketEncryption."""
    assert call.bucket is not None
    repo_id = bucket_id(call.bucket)
    method = call.request.method
    configurations = call.hub.bucket_configurations
    if method == "GET":
        document = await in_thread(
            lambda: configurations.default_encryption(call.principal, repo_id)
        )
        if document is None:
            raise S3Error(
                404,
                "ServerSideEncryptionConfigurationNotFoundError",
                "The server side encryption configuration was not found",
                BucketName=call.bucket,
            )
        return Response(wire.document(_configuration(document)), media_type=wire.XML)
    if call.principal.user is None:
        raise S3Error(403, "AccessDenied", "Anonymous users cannot write")
    if method == "DELETE":
        await in_thread(lambda: configurations.remove(call.principal, repo_id, DEFAULT_ENCRYPTION))
        return Response(status_code=204)
    if method != "PUT":
        raise S3Error(405, "MethodNotAllowed", f"{method} is not allowed on ?encryption")
    # The caller's right to set it is asked before the document is read, as S3 does.
    await in_thread(lambda: configurations.check_settable(call.principal, repo_id))
    body = await xml_input.read_small(call.request.stream(), MAX_DOCUMENT)
    check_digests(call, body)
    request, bucket_key = _parse(body)
    await in_thread(
        lambda: configurations.set_default_encryption(
            call.principal, repo_id, request, bucket_key=bucket_key
        )
    )
    return Response()


def _configuration(document: dict[str, object]) -> ET.Element:
    root = wire.element("ServerSideEncryptionConfiguration")
    rule = wire.add(root, "Rule")
    default = wire.add(rule, "ApplyServerSideEncryptionByDefault")
    wire.add(default, "SSEAlgorithm", str(document["algorithm"]))
    if document.get("kms_key_id"):
        wire.add(default, "KMSMasterKeyID", str(document["kms_key_id"]))
    wire.add(rule, "BucketKeyEnabled", "true" if document.get("bucket_key") else "false")
    return root


def _parse(body: bytes) -> tuple[EncryptionRequest, bool]:
    malformed = S3Error(
        400, "MalformedXML", "The XML you provided was not well-formed or did not validate"
    )
    root = xml_input.parse(body)
    rules = xml_input.children(root, "Rule")
    if xml_input.local(root.tag) != "ServerSideEncryptionConfiguration" or len(rules) != 1:
        raise malformed
    defaults = xml_input.children(rules[0], "ApplyServerSideEncryptionByDefault")
    if len(defaults) != 1:
        raise malformed
    algorithm = (xml_input.text(defaults[0], "SSEAlgorithm") or "").strip()
    if algorithm not in _ALGORITHMS:
        raise malformed
    kms_key_id = (xml_input.text(defaults[0], "KMSMasterKeyID") or "").strip()
    if kms_key_id and algorithm != SSE_KMS:
        raise _invalid("a KMSMasterKeyID is allowed only for aws:kms")
    bucket_key = (xml_input.text(rules[0], "BucketKeyEnabled") or "").strip() == "true"
    try:
        return EncryptionRequest(algorithm, kms_key_id=kms_key_id), bucket_key
    except EncryptionParametersError as exc:
        raise _invalid(exc.message) from None
