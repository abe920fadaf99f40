"""CORS on the S3 port: Put/Get/DeleteBucketCors, the answer to a browser's preflight
(``OPTIONS``), and the ``Access-Control-*`` headers of requests carrying an ``Origin``.

As S3 does it: a preflight names the method it wants in ``Access-Control-Request-Method`` and
its headers in ``Access-Control-Request-Headers``; the first of the bucket's rules allowing
the origin, the method and every header answers 200 with the ``Access-Control-*`` headers,
otherwise 403 ``CORSResponse`` (also for a bucket without rules, or no bucket: a preflight
carries no credentials, so it learns nothing of which buckets exist). A request with an
``Origin`` gets the headers of the first rule allowing its origin and its own method, on
errors too, so a page's script can read the error.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

from starlette.responses import Response

from weighthouse.bootstrap import Container
from weighthouse.domain.bucket_configurations import CORS
from weighthouse.domain.cors import CorsRule, matching_rule
from weighthouse.domain.errors import DomainError
from weighthouse.frontends.s3 import wire, xml_input
from weighthouse.frontends.s3.bucket_names import bucket_id
from weighthouse.frontends.s3.checksums import check_digests
from weighthouse.frontends.s3.context import S3Call, in_thread
from weighthouse.frontends.s3.errors import S3Error

MAX_DOCUMENT = 64 * 1024
_FIELDS = {
    "AllowedMethod": "allowed_methods",
    "AllowedOrigin": "allowed_origins",
    "AllowedHeader": "allowed_headers",
    "ExposeHeader": "expose_headers",
}
_VARY = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"
_DENIED = (
    "This CORS request is not allowed. This is usually because the evalution of Origin, "
    "request method / Access-Control-Request-Method or Access-Control-Request-Headers are "
    "not whitelisted by the resource's CORS spec."
)


def parse_configuration(body: bytes) -> list[CorsRule]:
    """The rules of a ``<CORSConfiguration>`` document; ``MalformedXML`` when it is not one
    (the core then holds the rules to S3's limits)."""
    root = xml_input.parse(body)
    if xml_input.local(root.tag) != "CORSConfiguration":
        raise S3Error(400, "MalformedXML", "the document must be <CORSConfiguration>")
    rules = []
    for element in root:
        if xml_input.local(element.tag) != "CORSRule":
            raise S3Error(400, "MalformedXML", "a <CORSConfiguration> holds <CORSRule> elements")
        rules.append(_rule(element))
    return rules


def _rule(element: Element) -> CorsRule:
    lists: dict[str, list[str]] = {field: [] for field in _FIELDS.values()}
    age: int | None = None
    rule_id: str | None = None
    for child in element:
        name, text = xml_input.local(child.tag), (child.text or "").strip()
        if name in _FIELDS:
            lists[_FIELDS[name]].append(text)
        elif name == "MaxAgeSeconds" and age is None:
            if not text.isascii() or not text.isdigit() or len(text) > 10:
                raise S3Error(400, "MalformedXML", "MaxAgeSeconds must be a whole number")
            age = int(text)
        elif name == "ID" and rule_id is None:
            rule_id = text
        else:
            raise S3Error(400, "MalformedXML", f"<{name[:64]}> has no place in a <CORSRule>")
    if not lists["allowed_methods"] or not lists["allowed_origins"]:
        raise S3Error(
            400, "MalformedXML", "every <CORSRule> needs an <AllowedMethod> and an <AllowedOrigin>"
        )
    return CorsRule(
        allowed_methods=tuple(lists["allowed_methods"]),
        allowed_origins=tuple(lists["allowed_origins"]),
        allowed_headers=tuple(lists["allowed_headers"]),
        expose_headers=tuple(lists["expose_headers"]),
        max_age_seconds=age,
        id=rule_id,
    )


def configuration_document(rules: tuple[CorsRule, ...]) -> bytes:
    root = wire.element("CORSConfiguration")
    for rule in rules:
        element = wire.add(root, "CORSRule")
        if rule.id is not None:
            wire.add(element, "ID", rule.id)
        for tag, field in (
            ("AllowedHeader", rule.allowed_headers),
            ("AllowedMethod", rule.allowed_methods),
            ("AllowedOrigin", rule.allowed_origins),
            ("ExposeHeader", rule.expose_headers),
        ):
            for value in field:
                wire.add(element, tag, value)
        if rule.max_age_seconds is not None:
            wire.add(element, "MaxAgeSeconds", rule.max_age_seconds)
    return wire.document(root)


async def bucket_cors(call: S3Call) -> Response:
    """GET, PUT or DELETE ``?cors`` on a bucket."""
    assert call.bucket is not None
    repo_id = bucket_id(call.bucket)
    configurations = call.hub.bucket_configurations
    method = call.request.method
    if method == "GET":
        rules = await in_thread(lambda: configurations.cors(call.principal, repo_id))
        if rules is None:
            raise S3Error(
                404,
                "NoSuchCORSConfiguration",
                "The CORS configuration does not exist",
                BucketName=call.bucket,
            )
        return Response(configuration_document(rules), media_type=wire.XML)
    if call.principal.user is None:
        raise S3Error(403, "AccessDenied", "Anonymous users cannot write")
    if method == "DELETE":
        await in_thread(lambda: configurations.remove(call.principal, repo_id, CORS))
        return Response(status_code=204)
    if method != "PUT":
        raise S3Error(405, "MethodNotAllowed", f"{method} is not allowed on ?cors")
    # The caller's right to set it is asked before the document is read, as S3 does.
    await in_thread(lambda: configurations.check_settable(call.principal, repo_id))
    body = await xml_input.read_small(call.request.stream(), MAX_DOCUMENT)
    check_digests(call, body)
    new_rules = parse_configuration(body)
    await in_thread(lambda: configurations.set_cors(call.principal, repo_id, new_rules))
    return Response()


def _requested_headers(value: str | None) -> list[str]:
    return [h.strip() for h in (value or "").split(",") if h.strip()]


def _allow(rule: CorsRule, origin: str) -> dict[str, str]:
    """The ``Access-Control-*`` headers of an answer ``rule`` allows for ``origin``."""
    any_origin = rule.allows_origin(origin) == "*"
    headers = {
        "Access-Control-Allow-Origin": "*" if any_origin else origin,
        "Access-Control-Allow-Methods": ", ".join(rule.allowed_methods),
        "Vary": _VARY,
    }
    if not any_origin:
        headers["Access-Control-Allow-Credentials"] = "true"
    if rule.expose_headers:
        headers["Access-Control-Expose-Headers"] = ", ".join(rule.expose_headers)
    if rule.max_age_seconds is not None:
        headers["Access-Control-Max-Age"] = str(rule.max_age_seconds)
    return headers


async def preflight(call: S3Call) -> Response:
    """The answer to ``OPTIONS`` on a bucket or an object."""
    origin = call.header("origin")
    method = call.header("access-control-request-method")
    if not origin:
        raise S3Error(400, "BadRequest", "Insufficient information. Origin request header needed.")
    if not method:
        raise S3Error(400, "BadRequest", "Invalid Access-Control-Request-Method")
    assert call.bucket is not None
    repo_id = bucket_id(call.bucket)
    asked = _requested_headers(call.header("access-control-request-headers"))
    rules = await in_thread(lambda: call.hub.bucket_configurations.cors_rules(repo_id))
    rule = matching_rule(rules, origin, method, asked)
    if rule is None:
        raise S3Error(403, "CORSResponse", _DENIED)
    headers = _allow(rule, origin)
    if asked:
        headers["Access-Control-Allow-Headers"] = ", ".join(h.lower() for h in asked)
    return Response(headers=headers)


async def request_headers(hub: Container, bucket: str, origin: str, method: str) -> dict[str, str]:
    """The ``Access-Control-*`` headers for a request with ``method`` from ``origin`` to
    ``bucket``, as the bucket's first rule allowing both gives them; none without one."""
    try:
        repo_id = bucket_id(bucket)
        rules = await in_thread(lambda: hub.bucket_configurations.cors_rules(repo_id))
    except (S3Error, DomainError):
        return {}
    rule = matching_rule(rules, origin, method)
    return {} if rule is None else _allow(rule, origin)
