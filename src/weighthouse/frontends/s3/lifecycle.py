"""Bucket lifecycle on the S3 port: PutBucketLifecycleConfiguration (and the older
PutBucketLifecycle, which sends the same document with each rule's own ``<Prefix>``),
GetBucketLifecycleConfiguration and DeleteBucketLifecycle, and the ``x-amz-expiration`` header
of an object a rule will expire.

The document's shape is checked here, as S3 does before reading any value: an unknown element,
one given twice, a ``Status`` other than ``Enabled`` or ``Disabled``, a number or date that does
not parse, a rule with both or neither of ``<Prefix>`` and ``<Filter>``, a filter naming more
than one thing outside ``<And>``, an ``Expiration`` with more than one of its choices: each is
``MalformedXML``. The values are the core's to judge (``InvalidArgument``, ``InvalidRequest``).

Transitions: this server keeps every object in one storage class, ``STANDARD``, which S3 never
accepts as a transition's target, so a ``Transition`` or ``NoncurrentVersionTransition`` whose
days and date S3 would take is refused with ``InvalidStorageClass`` (400), whatever class it
names, rather than stored and never carried out.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from urllib.parse import quote
from xml.etree.ElementTree import Element

from starlette.responses import Response

from weighthouse.domain.lifecycle import LIFECYCLE, LifecycleFilter, LifecycleRule, new_rule_id
from weighthouse.frontends.http_dates import http_date
from weighthouse.frontends.s3 import wire, xml_input
from weighthouse.frontends.s3.bucket_names import bucket_id
from weighthouse.frontends.s3.checksums import check_digests
from weighthouse.frontends.s3.context import S3Call, in_thread
from weighthouse.frontends.s3.errors import S3Error

MAX_DOCUMENT = 1024 * 1024
INT32 = 2**31 - 1  # S3's integers; object sizes are longs
INT64 = 2**63 - 1
EXPIRATION_HEADER = "x-amz-expiration"
ABORT_DATE_HEADER = "x-amz-abort-date"
ABORT_RULE_HEADER = "x-amz-abort-rule-id"
_STORAGE_CLASS_REFUSAL = (
    "The storage class you specified is not valid: every object here stays in STANDARD, "
    "so no transition can be carried out"
)
_RULE_FIELDS = frozenset(
    {
        "ID",
        "Prefix",
        "Filter",
        "Status",
        "Expiration",
        "Transition",
        "NoncurrentVersionTransition",
        "NoncurrentVersionExpiration",
        "AbortIncompleteMultipartUpload",
    }
)
_REPEATED = frozenset({"Transition", "NoncurrentVersionTransition"})


def _malformed(message: str) -> S3Error:
    return S3Error(400, "MalformedXML", message)


def parse_configuration(body: bytes) -> list[LifecycleRule]:
    """The rules of a ``<LifecycleConfiguration>``; ``MalformedXML`` when it is not one, and
    ``InvalidStorageClass`` for a transition (see the module docstring)."""
    root = xml_input.parse(body)
    if xml_input.local(root.tag) != "LifecycleConfiguration":
        raise _malformed("the document must be <LifecycleConfiguration>")
    rules: list[LifecycleRule] = []
    transitions = False
    for element in root:
        if xml_input.local(element.tag) != "Rule":
            raise _malformed("a <LifecycleConfiguration> holds <Rule> elements")
        rule, with_transitions = _rule(element)
        rules.append(rule)
        transitions = transitions or with_transitions
    if not rules:
        raise _malformed("a lifecycle configuration holds at least one <Rule>")
    if transitions:
        raise S3Error(400, "InvalidStorageClass", _STORAGE_CLASS_REFUSAL)
    return rules


def _fields(
    element: Element, allowed: frozenset[str], repeated: frozenset[str] = frozenset()
) -> dict[str, list[Element]]:
    found: dict[str, list[Element]] = {}
    for child in element:
        name = xml_input.local(child.tag)
        if name not in allowed:
            raise _malformed(f"<{name[:64]}> has no place in <{xml_input.local(element.tag)}>")
        if name in found and name not in repeated:
            raise _malformed(f"<{name[:64]}> is given twice")
        found.setdefault(name, []).append(child)
    return found


def _text(element: Element) -> str:
    return (element.text or "").strip()


def _number(element: Element, limit: int = INT32) -> int:
    text = _text(element)
    digits = text.removeprefix("-")
    if not digits.isascii() or not digits.isdigit() or len(digits) > 19:
        raise _malformed(f"<{xml_input.local(element.tag)}> must be a whole number")
    value = int(text)
    if abs(value) > limit:
        raise _malformed(f"<{xml_input.local(element.tag)}> is out of range")
    return value


def _date(element: Element) -> datetime:
    text = _text(element)
    try:
        if len(text) < 10 or text[4] != "-" or text[7] != "-":
            raise ValueError(text)
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise _malformed("a <Date> must be an ISO 8601 date") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _rule(element: Element) -> tuple[LifecycleRule, bool]:
    fields = _fields(element, _RULE_FIELDS, _REPEATED)
    status = _text(fields["Status"][0]) if "Status" in fields else None
    if status not in ("Enabled", "Disabled"):
        raise _malformed("a rule's <Status> is Enabled or Disabled")
    if ("Prefix" in fields) == ("Filter" in fields):
        raise _malformed("a rule has either a <Filter> or a <Prefix>")
    if "Prefix" in fields:
        selected = LifecycleFilter(prefix=fields["Prefix"][0].text or "", legacy=True)
    else:
        selected = _filter(fields["Filter"][0])
    rule_id = _text(fields["ID"][0]) if "ID" in fields else ""
    values: dict[str, object] = {}
    if "Expiration" in fields:
        values.update(_expiration(fields["Expiration"][0]))
    if "NoncurrentVersionExpiration" in fields:
        found = _fields(
            fields["NoncurrentVersionExpiration"][0],
            frozenset({"NoncurrentDays", "NewerNoncurrentVersions"}),
        )
        if "NoncurrentDays" not in found:
            raise _malformed("<NoncurrentVersionExpiration> needs <NoncurrentDays>")
        values["noncurrent_days"] = _number(found["NoncurrentDays"][0])
        if "NewerNoncurrentVersions" in found:
            values["newer_noncurrent_versions"] = _number(found["NewerNoncurrentVersions"][0])
    if "AbortIncompleteMultipartUpload" in fields:
        found = _fields(
            fields["AbortIncompleteMultipartUpload"][0], frozenset({"DaysAfterInitiation"})
        )
        if "DaysAfterInitiation" not in found:
            raise _malformed("<AbortIncompleteMultipartUpload> needs <DaysAfterInitiation>")
        values["abort_days"] = _number(found["DaysAfterInitiation"][0])
    for transition in fields.get("Transition", []):
        _transition(transition, frozenset({"Days", "Date", "StorageClass"}))
    for transition in fields.get("NoncurrentVersionTransition", []):
        _transition(
            transition, frozenset({"NoncurrentDays", "NewerNoncurrentVersions", "StorageClass"})
        )
    rule = LifecycleRule(
        id=rule_id or new_rule_id(),
        enabled=status == "Enabled",
        filter=selected,
        **values,  # type: ignore[arg-type]
    )
    return rule, bool(fields.get("Transition") or fields.get("NoncurrentVersionTransition"))


def _expiration(element: Element) -> dict[str, object]:
    found = _fields(element, frozenset({"Days", "Date", "ExpiredObjectDeleteMarker"}))
    if len(found) != 1:
        raise _malformed("an <Expiration> holds one of <Days>, <Date>, <ExpiredObjectDeleteMarker>")
    if "Days" in found:
        return {"expiration_days": _number(found["Days"][0])}
    if "Date" in found:
        return {"expiration_date": _date(found["Date"][0])}
    flag = _text(found["ExpiredObjectDeleteMarker"][0]).lower()
    if flag not in ("true", "false"):
        raise _malformed("<ExpiredObjectDeleteMarker> is true or false")
    return {"expired_object_delete_marker": flag == "true"}


def _transition(element: Element, allowed: frozenset[str]) -> None:
    found = _fields(element, allowed)
    if "StorageClass" not in found:
        raise _malformed(f"<{xml_input.local(element.tag)}> needs a <StorageClass>")
    if "Days" in found and "Date" in found:
        raise _malformed("a <Transition> holds <Days> or <Date>, not both")
    for name in ("Days", "NoncurrentDays"):
        if name in found and _number(found[name][0]) < 0:
            raise S3Error(400, "InvalidArgument", f"'{name}' for Transition action must be >= 0")
    if "Date" in found and _date(found["Date"][0]).timetz() != time(tzinfo=UTC):
        raise S3Error(400, "InvalidArgument", "'Date' must be at midnight GMT")


def _filter(element: Element) -> LifecycleFilter:
    allowed = frozenset({"Prefix", "Tag", "And", "ObjectSizeGreaterThan", "ObjectSizeLessThan"})
    found = _fields(element, allowed)
    if len(found) > 1:
        raise _malformed("a <Filter> names one thing; several go in an <And>")
    if "And" in found:
        return _selection(found["And"][0], conjunction=True)
    return _selection(element, conjunction=False)


def _selection(element: Element, *, conjunction: bool) -> LifecycleFilter:
    allowed = frozenset({"Prefix", "Tag", "ObjectSizeGreaterThan", "ObjectSizeLessThan"})
    if not conjunction:
        allowed |= {"And"}
    found = _fields(element, allowed, frozenset({"Tag"}) if conjunction else frozenset())
    tags = []
    for tag in found.get("Tag", []):
        parts = _fields(tag, frozenset({"Key", "Value"}))
        if "Key" not in parts:
            raise _malformed("a <Tag> needs a <Key>")
        value = parts["Value"][0].text or "" if "Value" in parts else ""
        tags.append((parts["Key"][0].text or "", value))

    def number(name: str) -> int | None:
        return _number(found[name][0], INT64) if name in found else None

    return LifecycleFilter(
        prefix=(found["Prefix"][0].text or "") if "Prefix" in found else None,
        tags=tuple(tags),
        size_greater_than=number("ObjectSizeGreaterThan"),
        size_less_than=number("ObjectSizeLessThan"),
        conjunction=conjunction,
    )


def configuration_document(rules: tuple[LifecycleRule, ...]) -> bytes:
    root = wire.element("LifecycleConfiguration")
    for rule in rules:
        element = wire.add(root, "Rule")
        wire.add(element, "ID", rule.id)
        selected = rule.filter
        if selected.legacy:
            wire.add(element, "Prefix", selected.prefix or "")
        else:
            _add_filter(wire.add(element, "Filter"), selected)
        wire.add(element, "Status", "Enabled" if rule.enabled else "Disabled")
        if rule.expires_current or rule.expired_object_delete_marker is not None:
            expiration = wire.add(element, "Expiration")
            if rule.expiration_days is not None:
                wire.add(expiration, "Days", rule.expiration_days)
            if rule.expiration_date is not None:
                wire.add(expiration, "Date", wire.iso8601(rule.expiration_date))
            if rule.expired_object_delete_marker is not None:
                flag = "true" if rule.expired_object_delete_marker else "false"
                wire.add(expiration, "ExpiredObjectDeleteMarker", flag)
        if rule.noncurrent_days is not None:
            noncurrent = wire.add(element, "NoncurrentVersionExpiration")
            wire.add(noncurrent, "NoncurrentDays", rule.noncurrent_days)
            if rule.newer_noncurrent_versions is not None:
                wire.add(noncurrent, "NewerNoncurrentVersions", rule.newer_noncurrent_versions)
        if rule.abort_days is not None:
            abort = wire.add(element, "AbortIncompleteMultipartUpload")
            wire.add(abort, "DaysAfterInitiation", rule.abort_days)
    return wire.document(root)


def _add_filter(element: Element, selected: LifecycleFilter) -> None:
    target = wire.add(element, "And") if selected.conjunction else element
    if selected.prefix is not None:
        wire.add(target, "Prefix", selected.prefix)
    for key, value in selected.tags:
        tag = wire.add(target, "Tag")
        wire.add(tag, "Key", key)
        wire.add(tag, "Value", value)
    if selected.size_greater_than is not None:
        wire.add(target, "ObjectSizeGreaterThan", selected.size_greater_than)
    if selected.size_less_than is not None:
        wire.add(target, "ObjectSizeLessThan", selected.size_less_than)


async def bucket_lifecycle(call: S3Call) -> Response:
    """GET, PUT or DELETE ``?lifecycle`` on a bucket."""
    assert call.bucket is not None
    repo_id = bucket_id(call.bucket)
    configurations = call.hub.bucket_configurations
    method = call.request.method
    if method == "GET":
        rules = await in_thread(lambda: configurations.lifecycle(call.principal, repo_id))
        if rules is None:
            raise S3Error(
                404,
                "NoSuchLifecycleConfiguration",
                "The lifecycle configuration does not exist",
                BucketName=call.bucket,
            )
        return Response(configuration_document(rules), media_type=wire.XML)
    if call.principal.user is None:
        raise S3Error(403, "AccessDenied", "Anonymous users cannot write")
    if method == "DELETE":
        await in_thread(lambda: configurations.remove(call.principal, repo_id, LIFECYCLE))
        return Response(status_code=204)
    if method != "PUT":
        raise S3Error(405, "MethodNotAllowed", f"{method} is not allowed on ?lifecycle")
    # The caller's right to set it is asked before the document is judged, as S3 does.
    await in_thread(lambda: configurations.check_settable(call.principal, repo_id))
    body = await xml_input.read_small(call.request.stream(), MAX_DOCUMENT)
    check_digests(call, body)
    new_rules = parse_configuration(body)
    await in_thread(lambda: configurations.set_lifecycle(call.principal, repo_id, new_rules))
    return Response()


def expiration_header(expiry: tuple[datetime, str] | None) -> dict[str, str]:
    """The ``x-amz-expiration`` header for an object expiring at ``expiry[0]`` by the rule
    ``expiry[1]``; none when no rule expires it."""
    if expiry is None:
        return {}
    at, rule_id = expiry
    # A header is Latin-1 on the wire: other characters, and the quote, are percent-encoded.
    rule = "".join(c if " " <= c <= "~" and c not in '"%' else quote(c) for c in rule_id)
    return {EXPIRATION_HEADER: f'expiry-date="{http_date(at)}", rule-id="{rule}"'}
