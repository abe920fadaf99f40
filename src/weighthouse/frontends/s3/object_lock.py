"""Object lock on the S3 port: Put/GetObjectLockConfiguration (``?object-lock`` on a bucket),
Put/GetObjectRetention (``?retention``) and Put/GetObjectLegalHold (``?legal-hold``) on an
object, the ``x-amz-object-lock-*`` headers of writes and reads, and
``x-amz-bypass-governance-retention``. The rules are the core's
(:mod:`weighthouse.domain.object_lock`); this reads and writes S3's documents and headers.

As S3 requires, a request that sets a lock and sends a body (the configuration, retention and
legal hold documents, a PutObject with lock headers) carries an integrity header
(``Content-MD5`` or an ``x-amz-checksum-*`` header or trailer) or is ``InvalidRequest``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import datetime

from starlette.responses import Response

from weighthouse.domain.access import GET_LEGAL_HOLD, GET_RETENTION
from weighthouse.domain.model import BucketObject
from weighthouse.domain.object_lock import (
    DefaultRetention,
    LockMode,
    Retention,
    check_default_retention,
)
from weighthouse.frontends.s3 import wire, xml_input
from weighthouse.frontends.s3.bucket_names import bucket_id
from weighthouse.frontends.s3.checksums import HEADER_PREFIX, check_digests
from weighthouse.frontends.s3.context import S3Call, in_thread
from weighthouse.frontends.s3.errors import S3Error

BUCKET_ENABLED_HEADER = "x-amz-bucket-object-lock-enabled"
BYPASS_HEADER = "x-amz-bypass-governance-retention"
MODE_HEADER = "x-amz-object-lock-mode"
UNTIL_HEADER = "x-amz-object-lock-retain-until-date"
HOLD_HEADER = "x-amz-object-lock-legal-hold"
_MODES = {mode.value: mode for mode in LockMode}
_HOLDS = {"ON": True, "OFF": False}


def bypass(call: S3Call) -> bool:
    """Whether the request asks to bypass a governance retention."""
    return (call.header(BYPASS_HEADER) or "").strip().lower() == "true"


def bucket_enabled(call: S3Call) -> bool:
    """Whether a CreateBucket asks for object lock."""
    value = (call.header(BUCKET_ENABLED_HEADER) or "").strip().lower()
    if value not in ("", "true", "false"):
        raise S3Error(400, "InvalidArgument", f"{BUCKET_ENABLED_HEADER} must be true or false")
    return value == "true"


def carries_integrity(call: S3Call) -> bool:
    """Whether the request carries ``Content-MD5`` or a checksum (header or trailer) of its
    body, which S3 requires of a body setting a lock; a signed payload hash does not count."""
    names = [name.lower() for name in call.request.headers]
    trailer = (call.header("x-amz-trailer") or "").lower()
    return (
        "content-md5" in names
        or any(name.startswith(HEADER_PREFIX) for name in names)
        or "x-amz-sdk-checksum-algorithm" in names
        or trailer.startswith(HEADER_PREFIX)
    )


def require_integrity(call: S3Call) -> None:
    """``InvalidRequest`` unless the request carries ``Content-MD5`` or a checksum."""
    if carries_integrity(call):
        return
    raise S3Error(
        400,
        "InvalidRequest",
        "Content-MD5 OR x-amz-checksum- HTTP header is required for requests with Object Lock "
        "parameters",
    )


def requested_lock(call: S3Call) -> tuple[Retention | None, bool | None]:
    """The retention and legal hold a write's headers ask for; both retention headers or
    neither (``InvalidArgument``). A write sending its body (PutObject, UploadPart) tells
    the core whether it :func:`carries_integrity`, which S3 requires of one whose object gets
    a lock, asked for or the bucket's default."""
    return lock_fields(call.header)


def lock_fields(get: Callable[[str], str | None]) -> tuple[Retention | None, bool | None]:
    """The retention and legal hold (``None``: none asked for) the headers (or a form's
    fields) ``get`` finds ask for."""
    mode = get(MODE_HEADER)
    until = get(UNTIL_HEADER)
    hold = get(HOLD_HEADER)
    if mode is None and until is None and hold is None:
        return None, None
    retention: Retention | None = None
    if (mode is None) != (until is None):
        raise S3Error(
            400,
            "InvalidArgument",
            "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied",
        )
    if mode is not None and until is not None:
        if mode.strip() not in _MODES:
            raise S3Error(400, "InvalidArgument", "Unknown wormMode directive.")
        retention = Retention(_MODES[mode.strip()], _date(until, "InvalidArgument"))
    legal_hold: bool | None = None
    if hold is not None:
        if hold.strip() not in _HOLDS:
            raise S3Error(400, "InvalidArgument", "Legal Hold must be either of 'ON' or 'OFF'")
        legal_hold = _HOLDS[hold.strip()]
    return retention, legal_hold


async def lock_headers(call: S3Call, obj: BucketObject) -> dict[str, str]:
    """The ``x-amz-object-lock-*`` headers GET and HEAD answer for ``obj``: as S3 does, the
    retention's only to a caller who may read it (``s3:GetObjectRetention``), the legal
    hold's only to one who may read that (``s3:GetObjectLegalHold``) and only once one was
    set (``OFF`` after it was lifted)."""
    if obj.retention is None and obj.legal_hold is None:
        return {}
    assert call.bucket is not None
    repo_id = bucket_id(call.bucket)
    retention, legal_hold = await in_thread(
        lambda: call.hub.object_locks.readable(call.principal, repo_id, obj)
    )
    headers: dict[str, str] = {}
    if retention is not None:
        headers[MODE_HEADER] = retention.mode.value
        headers[UNTIL_HEADER] = wire.iso8601(retention.until)
    if legal_hold is not None:
        headers[HOLD_HEADER] = "ON" if legal_hold else "OFF"
    return headers


def _date(value: str, code: str) -> datetime:
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        raise S3Error(400, code, "The retain until date is not an ISO 8601 date") from None
    if when.tzinfo is None:
        raise S3Error(400, code, "The retain until date needs a time zone")
    return when


def _mode(text: str | None) -> LockMode:
    value = (text or "").strip()
    if value not in _MODES:
        raise S3Error(400, "MalformedXML", "Mode must be GOVERNANCE or COMPLIANCE")
    return _MODES[value]


async def _document(call: S3Call, root_tag: str) -> ET.Element:
    if call.principal.user is None:
        raise S3Error(403, "AccessDenied", "Anonymous users cannot write")
    body = await xml_input.read_small(call.request.stream())
    require_integrity(call)
    check_digests(call, body)
    root = xml_input.parse(body)
    if xml_input.local(root.tag) != root_tag:
        raise S3Error(400, "MalformedXML", f"the document must be <{root_tag}>")
    return root


async def bucket_lock(call: S3Call) -> Response:
    """GET or PUT ``?object-lock`` on a bucket."""
    assert call.bucket is not None
    repo_id = bucket_id(call.bucket)
    locks = call.hub.object_locks
    method = call.request.method
    if method == "GET":
        configuration = await in_thread(lambda: locks.configuration(call.principal, repo_id))
        if configuration is None:
            raise S3Error(
                404,
                "ObjectLockConfigurationNotFoundError",
                "Object Lock configuration does not exist for this bucket",
                BucketName=call.bucket,
            )
        root = wire.element("ObjectLockConfiguration")
        wire.add(root, "ObjectLockEnabled", "Enabled")
        rule = configuration.rule
        if rule is not None:
            default = wire.add(wire.add(root, "Rule"), "DefaultRetention")
            wire.add(default, "Mode", rule.mode.value)
            if rule.days is not None:
                wire.add(default, "Days", rule.days)
            if rule.years is not None:
                wire.add(default, "Years", rule.years)
        return Response(wire.document(root), media_type=wire.XML)
    if method != "PUT":
        raise S3Error(405, "MethodNotAllowed", f"{method} is not allowed on ?object-lock")
    root = await _document(call, "ObjectLockConfiguration")
    if (xml_input.text(root, "ObjectLockEnabled") or "").strip() != "Enabled":
        raise S3Error(400, "MalformedXML", "ObjectLockEnabled must be Enabled")
    rule = _rule(root)
    await in_thread(lambda: locks.configure(call.principal, repo_id, rule))
    return Response()


def _rule(root: ET.Element) -> DefaultRetention | None:
    rules = xml_input.children(root, "Rule")
    if not rules:
        return None
    defaults = xml_input.children(rules[0], "DefaultRetention")
    if len(rules) > 1 or len(defaults) != 1:
        raise S3Error(400, "MalformedXML", "a Rule holds one DefaultRetention")
    default = defaults[0]
    mode = _mode(xml_input.text(default, "Mode"))
    days, years = _number(default, "Days"), _number(default, "Years")
    if (days is None) == (years is None):
        raise S3Error(400, "MalformedXML", "a DefaultRetention has either Days or Years")
    return check_default_retention(mode, days, years)


def _number(element: ET.Element, name: str) -> int | None:
    text = xml_input.text(element, name)
    if text is None:
        return None
    try:
        return int(text.strip())
    except ValueError:
        raise S3Error(400, "MalformedXML", f"{name} must be a whole number") from None


def _no_lock_configuration(key: str) -> S3Error:
    """What S3 answers for a version without the retention or legal hold asked for."""
    return S3Error(
        404,
        "NoSuchObjectLockConfiguration",
        "The specified object does not have a ObjectLock configuration",
        key=key,
    )


def _version(call: S3Call) -> str | None:
    return call.param("versionId") if call.has("versionId") else None


async def object_retention(call: S3Call) -> Response:
    """GET or PUT ``?retention`` on an object (``?versionId=`` for one version)."""
    assert call.bucket is not None and call.key is not None
    repo_id, key, version = bucket_id(call.bucket), call.key, _version(call)
    locks = call.hub.object_locks
    method = call.request.method
    if method == "GET":
        obj = await in_thread(
            lambda: locks.version(call.principal, repo_id, key, version, GET_RETENTION)
        )
        if obj.retention is None:
            raise _no_lock_configuration(key)
        root = wire.element("Retention")
        wire.add(root, "Mode", obj.retention.mode.value)
        wire.add(root, "RetainUntilDate", wire.iso8601(obj.retention.until))
        return Response(wire.document(root), media_type=wire.XML)
    if method != "PUT":
        raise S3Error(405, "MethodNotAllowed", f"{method} is not allowed on ?retention")
    root = await _document(call, "Retention")
    mode_text = xml_input.text(root, "Mode")
    until_text = xml_input.text(root, "RetainUntilDate")
    retention: Retention | None = None
    if mode_text is not None or until_text is not None:
        if until_text is None:
            raise S3Error(400, "MalformedXML", "a Retention has a Mode and a RetainUntilDate")
        retention = Retention(_mode(mode_text), _date(until_text, "MalformedXML"))
    asked_bypass = bypass(call)
    await in_thread(
        lambda: locks.set_retention(
            call.principal, repo_id, key, version, retention, bypass_governance=asked_bypass
        )
    )
    return Response()


async def object_legal_hold(call: S3Call) -> Response:
    """GET or PUT ``?legal-hold`` on an object (``?versionId=`` for one version)."""
    assert call.bucket is not None and call.key is not None
    repo_id, key, version = bucket_id(call.bucket), call.key, _version(call)
    locks = call.hub.object_locks
    method = call.request.method
    if method == "GET":
        obj = await in_thread(
            lambda: locks.version(call.principal, repo_id, key, version, GET_LEGAL_HOLD)
        )
        if obj.legal_hold is None:
            # As in AWS, a version that never had a legal hold has none to show.
            raise _no_lock_configuration(key)
        root = wire.element("LegalHold")
        wire.add(root, "Status", "ON" if obj.legal_hold else "OFF")
        return Response(wire.document(root), media_type=wire.XML)
    if method != "PUT":
        raise S3Error(405, "MethodNotAllowed", f"{method} is not allowed on ?legal-hold")
    root = await _document(call, "LegalHold")
    status = (xml_input.text(root, "Status") or "").strip()
    if status not in _HOLDS:
        raise S3Error(400, "MalformedXML", "Status must be ON or OFF")
    on = _HOLDS[status]
    await in_thread(lambda: locks.set_legal_hold(call.principal, repo_id, key, version, on))
    return Response()
