"""The policy of an S3 POST upload: its document read, and the form held to its conditions.

The document is JSON, base64-encoded in the form's ``policy`` field, and names its
``expiration`` and its ``conditions``: ``{"field": "value"}`` and ``["eq", "$field",
"value"]`` (exact), ``["starts-with", "$field", "prefix"]`` (an empty prefix allows any value)
and ``["content-length-range", min, max]``. Field names and operators compare
case-insensitively, values exactly. Every field the form sends must be covered by a condition,
but for ``policy``, the signature fields, ``file`` and ``x-ignore-*`` fields; ``bucket`` is
the bucket of the URL.

Whether the policy's signature is good is the domain's decision
(:class:`~weighthouse.domain.credentials.PostPolicySignature`); this module says only whether
the form keeps to what was signed.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from weighthouse.frontends.s3.errors import S3Error

# Form fields no condition has to cover.
_EXEMPT = frozenset(
    {"policy", "signature", "awsaccesskeyid", "x-amz-signature", "file", "x-amz-security-token"}
)
MAX_POLICY_BYTES = 32 * 1024
_OPERATORS = ("eq", "starts-with")


def _invalid(message: str) -> S3Error:
    return S3Error(400, "InvalidPolicyDocument", f"Invalid Policy: {message}")


def _refused(message: str) -> S3Error:
    return S3Error(403, "AccessDenied", f"Invalid according to Policy: {message}")


@dataclass(frozen=True)
class Condition:
    field: str  # lower case, without the "$"
    operator: str  # "eq" or "starts-with"
    value: str


@dataclass(frozen=True)
class Policy:
    expires_at: datetime
    conditions: tuple[Condition, ...] = ()
    length_range: tuple[int, int] | None = None
    covered: frozenset[str] = field(default_factory=frozenset)

    def check(self, fields: dict[str, str], *, key: str) -> None:
        """Raise ``AccessDenied`` unless ``fields`` (lower-case names) keep to every
        condition and none goes uncovered. ``key`` is the key with ``${filename}`` replaced,
        which a condition on ``$key`` may state instead of the field as sent."""
        for condition in self.conditions:
            values = [fields.get(condition.field)]
            if condition.field == "key":
                values.append(key)
            if not any(_holds(condition, value) for value in values):
                raise _refused(
                    f'Policy Condition failed: ["{condition.operator}", "${condition.field}", '
                    f'"{condition.value}"]'
                )
        extra = sorted(
            name
            for name in fields
            if name not in self.covered and name not in _EXEMPT and not name.startswith("x-ignore-")
        )
        if extra:
            raise _refused(f"Extra input fields: {', '.join(extra)}")


def _holds(condition: Condition, value: str | None) -> bool:
    if value is None:
        return False
    if condition.operator == "eq":
        return value == condition.value
    if condition.field == "content-type":
        # A list of content types is checked type by type.
        return all(t.strip().startswith(condition.value) for t in value.split(","))
    return value.startswith(condition.value)


def read_policy(encoded: str) -> Policy:
    """The policy of a form's ``policy`` field; ``InvalidPolicyDocument`` when it cannot be
    read, lacks its expiration or conditions, or states a condition S3 does not define."""
    if len(encoded) > MAX_POLICY_BYTES:
        raise _invalid("the policy is too large")
    try:
        document = json.loads(base64.b64decode(encoded.strip(), validate=True))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise _invalid("the policy is not base64-encoded JSON") from None
    if not isinstance(document, dict):
        raise _invalid("the policy is not a JSON object")
    if "expiration" not in document:
        raise _invalid("Policy missing expiration.")
    if "conditions" not in document:
        raise _invalid("Policy missing conditions.")
    expires_at = _expiration(document["expiration"])
    raw_conditions = document["conditions"]
    if not isinstance(raw_conditions, list):
        raise _invalid("conditions must be a list")
    conditions: list[Condition] = []
    covered: set[str] = set()
    length_range: tuple[int, int] | None = None
    for raw in raw_conditions:
        if isinstance(raw, dict):
            if len(raw) != 1:
                raise _invalid("a condition object names exactly one field")
            ((name, value),) = raw.items()
            conditions.append(_condition("eq", name, value))
        elif isinstance(raw, list) and raw and _operator(raw[0]) == "content-length-range":
            length_range = _length_range(raw)
            continue
        elif isinstance(raw, list) and len(raw) == 3 and _operator(raw[0]) in _OPERATORS:
            if not isinstance(raw[1], str) or not raw[1].startswith("$"):
                raise _invalid("a condition's field starts with $")
            conditions.append(_condition(_operator(raw[0]), raw[1][1:], raw[2]))
        else:
            raise _invalid(f"unknown condition {json.dumps(raw)[:80]}")
        covered.add(conditions[-1].field)
    return Policy(expires_at, tuple(conditions), length_range, frozenset(covered))


def _operator(value: Any) -> str:
    """Operators, like field names, compare case-insensitively."""
    return value.lower() if isinstance(value, str) else ""


def _condition(operator: str, name: Any, value: Any) -> Condition:
    if not isinstance(name, str) or not isinstance(value, str):
        raise _invalid("a condition's field and value are strings")
    return Condition(name.lower(), operator, value)


def _length_range(raw: list[Any]) -> tuple[int, int]:
    if len(raw) != 3 or not all(isinstance(v, int) and not isinstance(v, bool) for v in raw[1:]):
        raise _invalid("content-length-range takes a minimum and a maximum")
    low, high = raw[1], raw[2]
    if low < 0 or high < low:
        raise _invalid("content-length-range needs 0 <= minimum <= maximum")
    return low, high


def _expiration(value: Any) -> datetime:
    if not isinstance(value, str):
        raise _invalid("expiration must be an ISO 8601 date")
    text = value.strip()
    for pattern in ("%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%SZ"):
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise _invalid("expiration must be an ISO 8601 date such as 2026-12-31T12:00:00.000Z")
